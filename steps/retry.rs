//! Steps of `features/us3_retry.feature`: retry with backoff in the Bash library and in the
//! suite's Rust module, observed the same way (`homelab_spec::shell::twin`), and the BATS
//! tests of the library (`homelab_spec::shell::bats`).

use cucumber::{given, then, when};
use homelab_spec::finding::listing;
use homelab_spec::homelab::bash_functions::bash_files;
use homelab_spec::outcome::Outcome;
use homelab_spec::shell::bats::{self, BatsRun};
use homelab_spec::shell::twin::{self, Ending, Implementation, Observed, RetryCase, Subject};
use std::time::Duration;

use homelab_spec::shard::RunKind;

use super::{OrFail, World};

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct RetryState {
    implementation: Option<Implementation>,
    case: RetryCase,
    observed: Option<Observed>,
    /// (bash, rust) for the scenarios that compare both.
    both: Option<(Observed, Observed)>,
    bats_file: Option<String>,
    bats: Option<BatsRun>,
}

impl RetryState {
    fn observed(&self) -> Result<&Observed, String> {
        self.observed
            .as_ref()
            .ok_or_else(|| "nothing was run by an earlier step".to_string())
    }

    fn implementation(&self) -> Result<Implementation, String> {
        self.implementation
            .ok_or_else(|| "no implementation was chosen by an earlier step".to_string())
    }

    fn bats(&self) -> Result<&BatsRun, String> {
        self.bats
            .as_ref()
            .ok_or_else(|| "the BATS tests were not run by an earlier step".to_string())
    }
}

/// "1, 2 and 4" / "255" / "no" -> the numbers.
fn number_list<T: std::str::FromStr>(text: &str) -> Result<Vec<T>, String> {
    if text.trim() == "no" {
        return Ok(Vec::new());
    }
    text.replace(" and ", ",")
        .split(',')
        .map(|part| {
            part.trim()
                .parse()
                .map_err(|_| format!("{part:?} in {text:?} is not a number"))
        })
        .collect()
}

fn parse<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a number"))
}

/// Runs the scenario's case against one implementation, off the async runtime's threads,
/// and hands its waits to the report.
async fn observe(world: &mut World, implementation: Implementation) -> Result<Observed, String> {
    let case = world.retry.case.clone();
    let root = world.checkout();
    let run_case = case.clone();
    let seen = tokio::task::spawn_blocking(move || run_case.run(implementation, &root))
        .await
        .map_err(|e| format!("the {implementation} run did not finish: {e}"))?
        .or_fail()?;
    world
        .outcomes
        .push(Outcome::RetryWaits(seen.waits(implementation, &case)));
    Ok(seen)
}

fn describe(world: &World) -> String {
    let who = world
        .retry
        .implementation
        .map_or("both".to_string(), |i| i.to_string());
    format!("{who}, {}", world.retry.case)
}

// ----- choosing what runs --------------------------------------------------------------

#[given(regex = r#"^the (\w+) retry with at most "?([^"]*?)"? attempts$"#)]
fn retry_with_attempts(
    world: &mut World,
    implementation: String,
    max: String,
) -> Result<(), String> {
    world.retry.implementation = Some(implementation.parse().or_fail()?);
    world.retry.case.subject = Subject::Command;
    world.retry.case.max_attempts = max;
    Ok(())
}

#[given(regex = r"^the (\w+) way of running a command on a node over SSH$")]
fn ssh_command_runner(world: &mut World, implementation: String) -> Result<(), String> {
    world.retry.implementation = Some(implementation.parse().or_fail()?);
    world.retry.case.subject = Subject::SshCommand {
        node: String::new(),
        command: String::new(),
    };
    Ok(())
}

#[given(regex = r"^the (\w+) SSH access check$")]
fn ssh_access_check(world: &mut World, implementation: String) -> Result<(), String> {
    world.retry.implementation = Some(implementation.parse().or_fail()?);
    world.retry.case.subject = Subject::SshAccessCheck {
        node: String::new(),
    };
    Ok(())
}

#[given(
    regex = r"^at most (\S+) attempts, a first wait of (\d+) seconds and waits of at most (\d+) seconds$"
)]
fn attempts_and_waits(
    world: &mut World,
    max: String,
    base: String,
    cap: String,
) -> Result<(), String> {
    world.retry.case.max_attempts = max;
    world.retry.case.base_secs = Some(parse(&base)?);
    world.retry.case.cap_secs = Some(parse(&cap)?);
    Ok(())
}

// ----- how the command behaves and the retry settings --------------------------------

#[given(regex = r"^a command that fails with status (\d+) and then succeeds$")]
fn fails_then_succeeds(world: &mut World, status: String) -> Result<(), String> {
    world.retry.case.statuses = vec![parse(&status)?, 0];
    Ok(())
}

#[given(regex = r"^a command that always fails with status (\d+)$")]
fn always_fails(world: &mut World, status: String) -> Result<(), String> {
    world.retry.case.statuses = vec![parse(&status)?];
    Ok(())
}

#[given(regex = r"^a command that exits with (.+) on successive attempts$")]
fn exits_with(world: &mut World, statuses: String) -> Result<(), String> {
    world.retry.case.statuses = number_list(&statuses)?;
    Ok(())
}

#[given(regex = r"^ssh exits with (.+) on successive tries$")]
fn ssh_exits_with(world: &mut World, statuses: String) -> Result<(), String> {
    world.retry.case.statuses = number_list(&statuses)?;
    Ok(())
}

#[given(regex = r"^a first wait of (\d+) seconds and waits of at most (\d+) seconds$")]
fn first_wait_and_cap(world: &mut World, base: String, cap: String) -> Result<(), String> {
    world.retry.case.base_secs = Some(parse(&base)?);
    world.retry.case.cap_secs = Some(parse(&cap)?);
    Ok(())
}

#[given(regex = r"^dry-run mode is (on|off)$")]
fn dry_run_mode(world: &mut World, mode: String) {
    world.retry.case.dry_run = mode == "on";
}

#[given(regex = r"^only status (\d+) is retried$")]
fn only_status_retried(world: &mut World, status: String) -> Result<(), String> {
    world.retry.case.retry_on = Some(vec![parse(&status)?]);
    Ok(())
}

#[given(regex = r"^the retried statuses are (.+)$")]
fn retried_statuses(world: &mut World, statuses: String) -> Result<(), String> {
    world.retry.case.retry_on = match statuses.as_str() {
        "all" => None,
        list => Some(number_list(list)?),
    };
    Ok(())
}

// ----- running -------------------------------------------------------------------------

#[when("the command is run with retries")]
async fn run_with_retries(world: &mut World) -> Result<(), String> {
    let implementation = world.retry.implementation()?;
    world.retry.observed = Some(observe(world, implementation).await?);
    Ok(())
}

#[when(regex = r#"^the command "([^"]*)" is run on node "([^"]*)"$"#)]
async fn run_on_node(world: &mut World, command: String, node: String) -> Result<(), String> {
    world.retry.case.subject = Subject::SshCommand { node, command };
    let implementation = world.retry.implementation()?;
    world.retry.observed = Some(observe(world, implementation).await?);
    Ok(())
}

#[when(regex = r#"^the access to node "([^"]*)" is checked$"#)]
async fn access_is_checked(world: &mut World, node: String) -> Result<(), String> {
    world.retry.case.subject = Subject::SshAccessCheck { node };
    let implementation = world.retry.implementation()?;
    world.retry.observed = Some(observe(world, implementation).await?);
    Ok(())
}

#[when("both implementations run the command with retries")]
async fn both_run(world: &mut World) -> Result<(), String> {
    let bash = observe(world, Implementation::Bash).await?;
    let rust = observe(world, Implementation::Rust).await?;
    world.retry.both = Some((bash, rust));
    Ok(())
}

// ----- what happened -------------------------------------------------------------------

#[then(regex = r"^(?:the command ran|ssh was tried) (\d+) times?$")]
fn ran_times(world: &mut World, times: String) -> Result<(), String> {
    let expected: usize = parse(&times)?;
    let seen = world.retry.observed()?;
    if seen.attempts == expected {
        return Ok(());
    }
    Err(format!(
        "{}: expected {expected} run(s), but it {seen}\n{}",
        describe(world),
        seen.report
    ))
}

#[then(regex = r"^the waits between attempts were (.+) seconds$")]
fn waits_were(world: &mut World, waits: String) -> Result<(), String> {
    let expected: Vec<Duration> = number_list::<u64>(&waits)?
        .into_iter()
        .map(Duration::from_secs)
        .collect();
    let seen = world.retry.observed()?;
    if seen.delays == expected {
        return Ok(());
    }
    Err(format!(
        "{}: expected waits of {waits} seconds, but it {seen}\n{}",
        describe(world),
        seen.report
    ))
}

#[then(regex = r"^the final status is (\d+)$")]
fn final_status(world: &mut World, status: String) -> Result<(), String> {
    let expected: i32 = parse(&status)?;
    let seen = world.retry.observed()?;
    if seen.status == expected {
        return Ok(());
    }
    Err(format!(
        "{}: expected final status {expected}, but it {seen}\n{}",
        describe(world),
        seen.report
    ))
}

#[then(regex = r"^the failure report says it gave up after (\d+) attempts$")]
fn gave_up_after(world: &mut World, attempts: String) -> Result<(), String> {
    let expected = Ending::GaveUp {
        attempts: parse(&attempts)?,
    };
    let seen = world.retry.observed()?;
    if seen.ending == expected {
        return Ok(());
    }
    Err(format!(
        "{}: expected it to report {expected:?}, but it ended {:?} and reported:\n{}",
        describe(world),
        seen.ending,
        seen.report
    ))
}

#[then(regex = r"^the retry is refused as a usage error with status (\d+)$")]
fn refused_as_usage_error(world: &mut World, status: String) -> Result<(), String> {
    let expected: i32 = parse(&status)?;
    let seen = world.retry.observed()?;
    if seen.status == expected && seen.ending == Ending::UsageError {
        return Ok(());
    }
    Err(format!(
        "{}: expected a usage error with status {expected} saying MAX must be a positive whole \
         number, but it {seen} and reported:\n{}",
        describe(world),
        seen.report
    ))
}

#[then("the access check reports failure")]
fn access_check_fails(world: &mut World) -> Result<(), String> {
    let seen = world.retry.observed()?;
    if seen.status == 1 {
        return Ok(());
    }
    Err(format!(
        "{}: expected the access check to fail with status 1, but it {seen}\n{}",
        describe(world),
        seen.report
    ))
}

#[then(regex = r#"^the failure message names node "([^"]*)" and says it tried (\d+) times$"#)]
fn failure_message(world: &mut World, node: String, times: String) -> Result<(), String> {
    let expected = Ending::AccessRefused {
        node,
        tried: parse(&times)?,
    };
    let seen = world.retry.observed()?;
    if seen.ending == expected {
        return Ok(());
    }
    Err(format!(
        "expected the access check to report {expected:?}, but it ended {:?} and reported:\n{}",
        seen.ending, seen.report
    ))
}

#[then("every ssh call ran in batch mode, with a connect timeout, accepting only new host keys")]
fn ssh_options(world: &mut World) -> Result<(), String> {
    let seen = world.retry.observed()?;
    if seen.ssh_calls.is_empty() {
        return Err("ssh was never called".into());
    }
    let required = [
        "-o BatchMode=yes",
        "-o ConnectTimeout=",
        "-o StrictHostKeyChecking=accept-new",
    ];
    let bad: Vec<String> = seen
        .ssh_calls
        .iter()
        .filter(|call| !required.iter().all(|option| call.contains(option)))
        .map(|call| format!("ssh {call}"))
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(format!(
        "expected every ssh call to carry {required:?}, but these did not:\n{}",
        bad.join("\n")
    ))
}

#[then("they ran it the same number of times, waited the same and ended with the same status")]
fn both_agree(world: &mut World) -> Result<(), String> {
    let (bash, rust) = world
        .retry
        .both
        .as_ref()
        .ok_or("both implementations were not run by an earlier step")?;
    let differences = twin::differences(bash, rust);
    if differences.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the implementations disagree on {}:\n  {}\nbash {bash}; rust {rust}\nbash said:\n{}",
        world.retry.case,
        differences.join("\n  "),
        bash.report
    ))
}

// ----- the BATS tests ------------------------------------------------------------------

#[given(regex = r#"^the BATS file "([^"]*)"$"#)]
fn the_bats_file(world: &mut World, file: String) {
    world.retry.bats_file = Some(file);
}

#[when("the BATS tests run")]
async fn the_bats_tests_run(world: &mut World) -> Result<(), String> {
    let file = world
        .retry
        .bats_file
        .clone()
        .ok_or("no BATS file was named by an earlier step")?;
    // Another shard runs it when it is not this shard's (`SPEC_SHARD`).
    world.shard_share(RunKind::Bats, vec![file.clone()], String::clone)?;
    let root = world.checkout();
    let suite = world.suite.clone();
    // Shared with the scenario that runs every BATS file: one run per file and suite run.
    let run = tokio::task::spawn_blocking(move || {
        (*bats::shared_run(&suite.bats, root.path(), std::path::Path::new(&file))).clone()
    })
    .await
    .map_err(|e| format!("the BATS run did not finish: {e}"))?
    .map_err(|e| e.to_string())?;
    world.outcomes.push(Outcome::ToolRun(run.tool_run()));
    world
        .outcomes
        .push(Outcome::BashExecution(run.bash_execution()));
    world.retry.bats = Some(run);
    Ok(())
}

#[then("every BATS test passes")]
fn every_bats_test_passes(world: &mut World) -> Result<(), String> {
    let findings = world.retry.bats()?.findings();
    if findings.is_empty() {
        return Ok(());
    }
    Err(listing(&findings))
}

#[then("each BATS test has its own result in the JUnit report")]
fn each_bats_test_reported(world: &mut World) -> Result<(), String> {
    let run = world.retry.bats()?;
    let suite_name = format!("bats: {}", run.file);
    let suite = world
        .outcomes
        .tool_runs()
        .find(|s| s.suite == suite_name)
        .ok_or_else(|| format!("this scenario returned no tool run named {suite_name:?}"))?;
    let missing: Vec<&str> = run
        .tests
        .iter()
        .filter(|t| !suite.cases.iter().any(|c| c.name == t.name))
        .map(|t| t.name.as_str())
        .collect();
    if run.tests.is_empty() {
        return Err(format!("{}: bats reported no tests", run.file));
    }
    if missing.is_empty() && suite.cases.len() >= run.planned {
        return Ok(());
    }
    Err(format!(
        "{suite_name}: {} tests planned, {} cases recorded; missing: {missing:?}",
        run.planned,
        suite.cases.len()
    ))
}

#[then(regex = r"^at least (\d+) BATS tests execute the retry functions$")]
fn bats_tests_execute_retry(world: &mut World, minimum: String) -> Result<(), String> {
    let minimum: usize = parse(&minimum)?;
    let run = world.retry.bats()?;
    // Measured: the tests during which bash traced a line of one of the functions (in the
    // file that defines it), whatever their names say.
    let files = bash_files(world.root());
    let retry_functions = ["retry_with_backoff", "ssh_exec_retry", "check_ssh_access"];
    let defined: Vec<(&str, &str)> = files
        .iter()
        .flat_map(|f| {
            f.functions
                .iter()
                .filter(|(name, _)| retry_functions.contains(&name.as_str()))
                .map(move |(name, _)| (f.path.as_str(), name.as_str()))
        })
        .collect();
    let passed: Vec<&str> = run
        .tests
        .iter()
        .filter(|t| t.passed)
        .map(|t| t.name.as_str())
        .collect();
    let executing: Vec<&str> = run
        .execution
        .iter()
        .filter(|t| passed.contains(&t.name.as_str()))
        .filter(|t| {
            defined
                .iter()
                .any(|(file, name)| t.ran_function(file, name))
        })
        .map(|t| t.name.as_str())
        .collect();
    say!(
        "{} passing tests of {} executed {retry_functions:?} (traced)",
        executing.len(),
        run.file
    );
    if executing.len() >= minimum {
        return Ok(());
    }
    Err(format!(
        "{}: expected at least {minimum} passing tests that execute {retry_functions:?} (traced \
         during the run), found {}: {executing:?}",
        run.file,
        executing.len()
    ))
}
