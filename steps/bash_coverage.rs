//! Steps of the Bash coverage floors: a function is executed by at least N BATS tests, as
//! bash traced it during the real runs (`homelab_spec::coverage::bash`), and the copy of the
//! repository without the tests that execute a function, which must turn that floor red.

use cucumber::{given, then};
use homelab_spec::coverage::bash::{self, TracedTest};
use homelab_spec::finding::{Finding, expected_finding, listing};
use homelab_spec::homelab::bash_functions::bash_files;
use homelab_spec::outcome::{CheckedFindings, Outcome};
use homelab_spec::shard::RunKind;
use homelab_spec::shell::bats_results::files_to_run;
use homelab_spec::workspace::BatsTestsRemoved;

use super::World;
use super::expect::none_of;

/// What the BATS runs of an earlier step executed, test by test.
fn traced(world: &World) -> Result<Vec<TracedTest>, String> {
    if world.layout.bats.is_empty() {
        return Err("no BATS file ran in an earlier step".into());
    }
    Ok(bash::tests_of_runs(&world.layout.bats))
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
    let first = files_to_run(files, |f| world.workspace().unchanged(f))
        .into_iter()
        .next();
    let first = first.ok_or("the homelab has no BATS file")?;
    world.shard_share(RunKind::Bats, vec![first], String::clone)?;
    every_bats_file_traced(world).await?;
    let verdict = bash::floor(
        &bash_files(world.root()),
        &traced(world)?,
        function,
        minimum,
    );
    if let Ok(cases) = &verdict {
        let (count, cases) = (cases.len(), bash::case_lines(cases));
        say!("{function} is executed by {count} BATS test(s):\n  {cases}");
    }
    let findings: Vec<Finding> = verdict.err().into_iter().collect();
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
    none_of(&floor(world, &function, minimum).await?)
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
    expected_finding(&findings, &id, Some(&subject), None).map(|_| ())
}

#[given(expr = "a copy of the repository without the BATS tests that execute {string}")]
async fn without_the_tests_executing(world: &mut World, function: String) -> Result<(), String> {
    let files = world.layout.homelab()?.bats_files.clone();
    // The repository's own runs (shared with the scenarios that run every BATS file) say
    // which tests execute the function.
    let tests = bash::tests_of_runs(&super::bats::run_checkout_files(world, files).await?);
    let bash_files = bash_files(world.checkout().path());
    let change = BatsTestsRemoved::of(&function, tests, &bash_files)
        .ok_or_else(|| format!("no Bash file under scripts/ defines {function}"))?;
    say!("removing {}", change.removed_listing());
    world.change(change)
}
