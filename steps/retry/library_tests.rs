//! The steps that run one BATS file of the library and judge its tests: they pass, each has
//! its own JUnit result, and enough of them execute the retry functions.

use std::path::Path;

use cucumber::{given, then, when};
use homelab_spec::coverage::bash::passing_tests_executing;
use homelab_spec::homelab::bash_functions::bash_files;
use homelab_spec::shard::RunKind;
use homelab_spec::shell::bats::{self, BatsRun};
use homelab_spec::shell::bats_results::{self, junit_gaps};
use homelab_spec::shell::twin::RETRY_FUNCTIONS;

use super::super::expect::{no_problems, none_of, pass_if};
use super::super::{OrFail, World, blocking};

impl super::RetryState {
    fn bats(&self) -> Result<&BatsRun, String> {
        self.bats
            .as_ref()
            .ok_or_else(|| "the BATS tests were not run by an earlier step".to_string())
    }
}

#[given(expr = "the BATS file {string}")]
fn the_bats_file(world: &mut World, file: String) {
    world.retry.bats_file = Some(file);
}

#[when("the BATS tests run")]
async fn the_bats_tests_run(world: &mut World) -> Result<(), String> {
    let named = world.retry.bats_file.clone();
    let file = named.ok_or("no BATS file was named by an earlier step")?;
    // Another shard runs it when it is not this shard's (`SPEC_SHARD`).
    world.shard_share(RunKind::Bats, vec![file.clone()], String::clone)?;
    // Shared with the scenario that runs every BATS file: one run per file and suite run.
    let (suite, root) = (world.suite.clone(), world.checkout());
    let run = move || bats::shared_run(&suite.bats, root.path(), Path::new(&file));
    let run = (*blocking("the BATS run", run).await?).clone().or_fail()?;
    let outcomes = bats_results::outcomes_of(&run);
    outcomes.into_iter().for_each(|o| world.record(o));
    world.retry.bats = Some(run);
    Ok(())
}

#[then("every BATS test passes")]
fn every_bats_test_passes(world: &mut World) -> Result<(), String> {
    none_of(&world.retry.bats()?.findings())
}

#[then("each BATS test has its own result in the JUnit report")]
fn each_bats_test_reported(world: &mut World) -> Result<(), String> {
    let run = world.retry.bats()?;
    if run.tests.is_empty() {
        return Err(format!("{}: bats reported no tests", run.file));
    }
    no_problems(junit_gaps(run, world.outcomes.tool_runs()))
}

#[then(expr = "at least {int} BATS tests execute the retry functions")]
fn bats_tests_execute_retry(world: &mut World, minimum: usize) -> Result<(), String> {
    let run = world.retry.bats()?;
    // Measured: the tests during which bash traced a line of one of the functions.
    let executing = passing_tests_executing(run, &bash_files(world.root()), &RETRY_FUNCTIONS);
    let (file, count) = (&run.file, executing.len());
    say!("{count} passing tests of {file} executed {RETRY_FUNCTIONS:?} (traced)");
    let message = || {
        format!(
            "{file}: expected at least {minimum} passing tests that execute {RETRY_FUNCTIONS:?} \
             (traced during the run), found {count}: {executing:?}"
        )
    };
    pass_if(count >= minimum, message)
}
