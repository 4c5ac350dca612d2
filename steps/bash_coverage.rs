//! Steps of the Bash coverage floors: a function is executed by at least N BATS tests, as
//! bash traced it during the real runs (`homelab_spec::coverage::bash`), and the copy of the
//! repository without the tests that execute a function, which must turn that floor red.

use cucumber::{given, then};
use homelab_spec::coverage::bash::{self, TracedTest};
use homelab_spec::finding::{Finding, listing};
use homelab_spec::homelab::bash_functions::bash_files;
use homelab_spec::outcome::{CheckedFindings, Outcome};
use homelab_spec::shard::RunKind;
use homelab_spec::shell::bats;

use homelab_spec::workspace::BatsTestsRemoved;

use super::World;

/// What the BATS runs of an earlier step executed, test by test.
fn traced(world: &World) -> Result<Vec<TracedTest>, String> {
    if world.layout.bats.is_empty() {
        return Err("no BATS file ran in an earlier step".into());
    }
    let executions: Vec<_> = world
        .layout
        .bats
        .iter()
        .flatten()
        .map(|run| run.bash_execution())
        .collect();
    Ok(bash::tests_of(&executions))
}

/// A floor counts the tests of every BATS file. A shard ran only its share of them: the
/// shard that judges the floor runs the others too, reading only their traces (their
/// results are reported by the shards they belong to).
async fn every_bats_file_traced(world: &mut World) -> Result<(), String> {
    let files = world.layout.homelab()?.bats_files.clone();
    if world.suite.settings.shard.is_all() || world.layout.bats.len() >= files.len() {
        return Ok(());
    }
    let runs = super::bats::run_files(world, files).await?;
    world.layout.bats = runs;
    Ok(())
}

/// The floor's verdict on the scenario's repository, handed to the report as a check.
async fn floor(world: &mut World, function: &str, minimum: usize) -> Result<Vec<Finding>, String> {
    // One shard judges a floor (`SPEC_SHARD`): the one that runs the first of the BATS files
    // the scenario runs (all of them, or on a copy the ones it changed).
    let files = world.layout.homelab()?.bats_files.clone();
    let changed: Vec<String> = files
        .iter()
        .filter(|f| !world.workspace().unchanged(f))
        .cloned()
        .collect();
    let first = if changed.is_empty() { &files } else { &changed }
        .first()
        .cloned()
        .ok_or("the homelab has no BATS file")?;
    world.shard_share(RunKind::Bats, vec![first], String::clone)?;
    every_bats_file_traced(world).await?;
    let tests = traced(world)?;
    let files = bash_files(world.root());
    let findings = match bash::floor(&files, &tests, function, minimum) {
        Ok(cases) => {
            say!(
                "{function} is executed by {} BATS test(s): {}",
                cases.len(),
                cases
                    .iter()
                    .map(|c| format!("{}: {}", c.file, c.name))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            Vec::new()
        }
        Err(finding) => vec![finding],
    };
    world.record(Outcome::Findings(CheckedFindings {
        check: format!("Bash coverage floor: {function}"),
        findings: findings.clone(),
        broken_copy: None,
    }));
    Ok(findings)
}

#[then(expr = "the Bash function {string} is executed by at least {int} BATS test(s)")]
async fn executed_by_at_least(
    world: &mut World,
    function: String,
    minimum: usize,
) -> Result<(), String> {
    let findings = floor(world, &function, minimum).await?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(listing(&findings))
    }
}

#[then(expr = "the floor of the Bash function {string} reports {string} about {string}")]
async fn the_floor_reports(
    world: &mut World,
    function: String,
    id: String,
    subject: String,
) -> Result<(), String> {
    let findings = floor(world, &function, 1).await?;
    say!("the floor reports:\n{}", listing(&findings));
    if findings.iter().any(|f| f.is(&id, Some(&subject))) {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding about {subject:?}, got:\n{}",
            listing(&findings)
        ))
    }
}

#[given(expr = "a copy of the repository without the BATS tests that execute {string}")]
async fn without_the_tests_executing(world: &mut World, function: String) -> Result<(), String> {
    let spec_root = world.checkout().path().to_path_buf();
    let files = world.layout.homelab()?.bats_files.clone();
    // The repository's own runs (shared with the scenarios that run every BATS file) say
    // which tests execute the function.
    let root = spec_root.clone();
    let suite = world.suite.clone();
    let runs = tokio::task::spawn_blocking(move || {
        bats::run_files_sharing(&suite.bats, &root, &root, &files, |_| true)
    })
    .await
    .map_err(|e| format!("the BATS runs did not finish: {e}"))?;
    let executions: Vec<_> = runs.iter().flatten().map(|r| r.bash_execution()).collect();
    let tests = bash::tests_of(&executions);
    let bash_files = bash_files(&spec_root);
    let defined: Vec<String> = bash_files
        .iter()
        .filter(|f| f.functions.iter().any(|(name, _)| *name == function))
        .map(|f| f.path.clone())
        .collect();
    if defined.is_empty() {
        return Err(format!("no Bash file under scripts/ defines {function}"));
    }
    let change = BatsTestsRemoved {
        function,
        tests,
        defined_in: defined,
    };
    let removed = change.removed();
    say!(
        "removing {} BATS tests that execute {}:\n  {}",
        removed.len(),
        change.function,
        removed
            .iter()
            .map(|t| format!(
                "{}:{} {}",
                t.case.file,
                t.case.line.unwrap_or(0),
                t.case.name
            ))
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    world.change(change)
}
