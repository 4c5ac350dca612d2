//! Steps that run every BATS file the homelab has (found by `homelab_spec::homelab`), the
//! files in parallel: "no existing test breaks". Each test is its own JUnit case under its
//! file; a failing test fails the scenario naming the file and the test.

use cucumber::{then, when};
use homelab_spec::finding::{Finding, expected_finding, listing};
use homelab_spec::shard::RunKind;
use homelab_spec::shell::bats::{self, BatsError, BatsRun};
use homelab_spec::shell::bats_results::{self, files_to_run, junit_gaps};

use super::expect::{no_problems, none_of};
use super::{World, blocking};

#[when("every BATS file of the homelab runs")]
async fn every_bats_file_runs(world: &mut World) -> Result<(), String> {
    let files = homelab_bats_files(world)?;
    // This shard's share (`SPEC_SHARD`) of the files the scenario runs.
    let files = files_to_run(files, |f| world.workspace().unchanged(f));
    let files = world.shard_share(RunKind::Bats, files, String::clone)?;
    let runs = run_files(world, files).await?;
    say!("{}", bats_results::summary(&runs));
    let outcomes = bats_results::outcomes(&runs);
    outcomes.into_iter().for_each(|o| world.record(o));
    world.layout.bats = runs;
    Ok(())
}

/// The BATS files of the scenario's homelab; none is the scenario's failure.
fn homelab_bats_files(world: &mut World) -> Result<Vec<String>, String> {
    let files = world.layout.homelab()?.bats_files.clone();
    if files.is_empty() {
        return Err("the homelab has no BATS file".into());
    }
    Ok(files)
}

/// Runs `files` (relative to the scenario's repository) in parallel. A file unchanged in an
/// unchanged repository gives the repository's result, computed once per process; a file a
/// scenario added (or any file of a changed copy) runs here.
pub(crate) async fn run_files(
    world: &World,
    files: Vec<String>,
) -> Result<Vec<Result<BatsRun, BatsError>>, String> {
    let unchanged = files.iter().filter(|f| world.workspace().unchanged(f));
    let unchanged: Vec<String> = unchanged.cloned().collect();
    let is_unchanged = move |file: &str| unchanged.iter().any(|u| u == file);
    let (suite, root, checkout) = (
        world.suite.clone(),
        world.root().to_path_buf(),
        world.checkout(),
    );
    let run =
        move || bats::run_files_sharing(&suite.bats, &root, checkout.path(), &files, is_unchanged);
    blocking("the BATS runs", run).await
}

/// Runs `files` of the checkout under test, whatever the scenario changed: the repository's
/// own runs, computed once per process.
pub(crate) async fn run_checkout_files(
    world: &World,
    files: Vec<String>,
) -> Result<Vec<Result<BatsRun, BatsError>>, String> {
    let (suite, checkout) = (world.suite.clone(), world.checkout());
    let root = checkout.path().to_path_buf();
    let run = move || bats::run_files_sharing(&suite.bats, &root, &root, &files, |_| true);
    blocking("the BATS runs", run).await
}

/// Everything wrong with the BATS runs of an earlier step.
fn bats_findings(world: &World) -> Result<Vec<Finding>, String> {
    if world.layout.bats.is_empty() {
        return Err("no BATS file ran in an earlier step".into());
    }
    Ok(bats_results::findings(&world.layout.bats))
}

#[then("every test of every BATS file passes")]
fn every_test_passes(world: &mut World) -> Result<(), String> {
    let findings = bats_findings(world)?;
    none_of(&world.failures(&findings)?)
}

#[then("each test of every BATS file has its own result in the JUnit report, under its file")]
fn each_test_is_a_case(world: &mut World) -> Result<(), String> {
    let runs = world.layout.bats.iter().flatten();
    no_problems(runs.flat_map(|run| junit_gaps(run, world.outcomes.tool_runs())))
}

#[then(expr = "the BATS check reports {string} about {string} in {string}")]
fn the_bats_check_reports(
    world: &mut World,
    id: String,
    subject: String,
    file: String,
) -> Result<(), String> {
    let findings = bats_findings(world)?;
    say!("the BATS runs report:\n{}", listing(&findings));
    expected_finding(&findings, &id, Some(&subject), Some(&file)).map(|_| ())
}
