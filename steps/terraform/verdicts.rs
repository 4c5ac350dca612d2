//! The steps on what `terraform test` reported: runs passed or failed, timeouts, a missing
//! or old terraform, scratch directories left behind (each judged by
//! `homelab_spec::terraform::verdicts`).

use std::time::Duration;

use cucumber::then;
use homelab_spec::finding::{Finding, listing};
use homelab_spec::terraform::verdicts;

use super::super::World;

#[then("Terraform validates the module")]
fn terraform_validates(world: &mut World) -> Result<(), String> {
    verdicts::validates(world.terraform.ran()?)
}

#[then("every regression run passes")]
fn every_regression_run_passes(world: &mut World) -> Result<(), String> {
    let path = world.terraform.module_path(world.root())?;
    let findings = verdicts::regression_findings(world.terraform.ran()?, &path)?;
    no_failures(world, &findings)
}

#[then("every other test run passes")]
fn every_other_run_passes(world: &mut World) -> Result<(), String> {
    let path = world.terraform.module_path(world.root())?;
    let findings = verdicts::other_runs_findings(world.terraform.ran()?, &path)?;
    no_failures(world, &findings)
}

/// Judged through the scenario's suppressions: a run's finding may be accepted on purpose.
fn no_failures(world: &mut World, findings: &[Finding]) -> Result<(), String> {
    let failures = world.failures(findings)?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(listing(&failures))
    }
}

#[then(expr = "its regression file has at least {int} runs")]
fn regression_file_has_runs(world: &mut World, at_least: usize) -> Result<(), String> {
    verdicts::regression_runs_at_least(world.terraform.ran()?, at_least)
}

#[then(expr = "the run {string} of {string} passes")]
fn the_run_passes(world: &mut World, run: String, file: String) -> Result<(), String> {
    verdicts::run_passes(world.terraform.ran()?, &run, &file)
}

#[then("the run that guards it fails")]
fn the_guarding_run_fails(world: &mut World) -> Result<(), String> {
    let chosen = world.terraform.guarding_run.as_deref();
    let run = chosen.ok_or("no earlier step chose a guarded default")?;
    verdicts::only_run_fails(world.terraform.ran()?, run)
}

#[then(expr = "the run {string} fails")]
fn the_run_fails(world: &mut World, run: String) -> Result<(), String> {
    verdicts::only_run_fails(world.terraform.ran()?, &run)
}

#[then("the failure names the module, the test file, the run and Terraform's message")]
fn the_failure_is_named(world: &mut World) -> Result<(), String> {
    verdicts::failure_is_named(world.terraform.ran()?)
}

#[then(expr = "the tests fail and Terraform's own message names {string}")]
fn the_tests_fail_naming(world: &mut World, file: String) -> Result<(), String> {
    verdicts::fails_naming(world.terraform.ran()?, &file)
}

#[then(expr = "the run is stopped at its timeout of {int} seconds")]
fn the_run_is_stopped(world: &mut World, seconds: u64) -> Result<(), String> {
    verdicts::stopped_at(world.terraform.outcome()?, Duration::from_secs(seconds))
}

#[then("the tests cannot run because terraform is missing")]
fn terraform_is_missing(world: &mut World) -> Result<(), String> {
    verdicts::terraform_missing(world.terraform.outcome()?)
}

#[then(expr = "the tests cannot run because terraform {word} is older than {word}")]
fn terraform_is_too_old(world: &mut World, found: String, minimum: String) -> Result<(), String> {
    verdicts::terraform_too_old(world.terraform.outcome()?, &found, &minimum)
}

#[then("no temporary directory is left behind")]
fn no_temporary_directory_is_left(world: &mut World) -> Result<(), String> {
    match &world.terraform.scratch {
        Some(scratch) => verdicts::nothing_left_in(scratch.path()),
        // The run stopped before it made any copy.
        None => Ok(()),
    }
}
