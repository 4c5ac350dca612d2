//! Steps that run every BATS file the homelab has (found by `homelab_spec::homelab`), the
//! files in parallel: "no existing test breaks". Each test is its own JUnit case under its
//! file; a failing test fails the scenario naming the file and the test.

use cucumber::{then, when};
use homelab_spec::finding::{Finding, listing};
use homelab_spec::outcome::Outcome;
use homelab_spec::shard::RunKind;
use homelab_spec::shell::bats::{self, BatsError, BatsRun};

use super::World;

#[when("every BATS file of the homelab runs")]
async fn every_bats_file_runs(world: &mut World) -> Result<(), String> {
    let files = world.layout.homelab()?.bats_files.clone();
    if files.is_empty() {
        return Err("the homelab has no BATS file".into());
    }
    // This shard's share of them (`SPEC_SHARD`). A scenario on a copy that only added files
    // is about them: its runs are the added files; the unchanged ones are the repository's
    // (their results are the same), judged by the repository's own scenario in their shard.
    let changed: Vec<String> = files
        .iter()
        .filter(|f| !world.workspace().unchanged(f))
        .cloned()
        .collect();
    let files = if changed.is_empty() { files } else { changed };
    let files = world.shard_share(RunKind::Bats, files, String::clone)?;
    let runs = run_files(world, files).await?;
    let broken = world.workspace().broken_copy();
    for error in runs.iter().filter_map(|r| r.as_ref().err()) {
        let mut tool_run = error.tool_run();
        tool_run.broken_copy = broken.clone();
        world.outcomes.push(Outcome::ToolRun(tool_run));
    }
    for run in runs.iter().flatten() {
        say!(
            "{}: {} tests, {} failed",
            run.file,
            run.tests.len(),
            run.failed().len()
        );
        let mut tool_run = run.tool_run();
        tool_run.broken_copy = broken.clone();
        world.outcomes.push(Outcome::ToolRun(tool_run));
        let mut execution = run.bash_execution();
        execution.broken_copy = broken.clone();
        world.outcomes.push(Outcome::BashExecution(execution));
    }
    world.layout.bats = runs;
    Ok(())
}

/// Runs `files` (relative to the scenario's repository) in parallel. A file unchanged in an
/// unchanged repository gives the repository's result, computed once per process; a file a
/// scenario added (or any file of a changed copy) runs here.
pub(crate) async fn run_files(
    world: &World,
    files: Vec<String>,
) -> Result<Vec<Result<BatsRun, BatsError>>, String> {
    let root = world.root().to_path_buf();
    let spec_root = world.checkout().path().to_path_buf();
    let unchanged: Vec<bool> = files
        .iter()
        .map(|f| world.workspace().unchanged(f))
        .collect();
    let suite = world.suite.clone();
    tokio::task::spawn_blocking(move || {
        bats::run_files_sharing(&suite.bats, &root, &spec_root, &files, |file| {
            files
                .iter()
                .position(|f| f == file)
                .is_some_and(|i| unchanged[i])
        })
    })
    .await
    .map_err(|e| format!("the BATS runs did not finish: {e}"))
}

/// Everything wrong with the BATS runs: failed tests, broken plans, files that do not parse.
fn bats_findings(world: &World) -> Result<Vec<Finding>, String> {
    if world.layout.bats.is_empty() {
        return Err("no BATS file ran in an earlier step".into());
    }
    Ok(world
        .layout
        .bats
        .iter()
        .flat_map(|run| match run {
            Ok(run) => run.findings(),
            Err(e) => vec![e.finding()],
        })
        .collect())
}

#[then("every test of every BATS file passes")]
fn every_test_passes(world: &mut World) -> Result<(), String> {
    let findings = bats_findings(world)?;
    let failures = world.failures(&findings)?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(listing(&failures))
    }
}

#[then("each test of every BATS file has its own result in the JUnit report, under its file")]
fn each_test_is_a_case(world: &mut World) -> Result<(), String> {
    let mut problems = Vec::new();
    for run in world.layout.bats.iter().flatten() {
        let suite_name = format!("bats: {}", run.file);
        let Some(suite) = world.outcomes.tool_runs().find(|s| s.suite == suite_name) else {
            problems.push(format!("no JUnit suite {suite_name:?}"));
            continue;
        };
        for test in &run.tests {
            if !suite
                .cases
                .iter()
                .any(|c| c.name == test.name && c.classname == run.file)
            {
                problems.push(format!("{}: no JUnit case for {:?}", run.file, test.name));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
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
    if findings
        .iter()
        .any(|f| f.is(&id, Some(&subject)) && f.file == file)
    {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding about {subject:?} in {file}, got:\n{}",
            listing(&findings)
        ))
    }
}
