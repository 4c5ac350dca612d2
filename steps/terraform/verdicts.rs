//! The steps on what `terraform test` reported: runs passed or failed, timeouts, a missing
//! or old terraform, scratch directories left behind.

use std::time::Duration;

use cucumber::then;
use homelab_spec::finding::listing;
use homelab_spec::terraform::module::REGRESSION_FILE;
use homelab_spec::terraform::runner::ids as run_ids;
use homelab_spec::terraform::{ModuleOutcome, RunStatus, TerraformError};
use homelab_spec::tools::{Tool, ToolError, Version};

use super::super::World;
use super::findings_of;

// ---- Then: terraform runs ----

#[then("Terraform validates the module")]
fn terraform_validates(world: &mut World) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    match &outcome.validate_error {
        None => Ok(()),
        Some(error) => Err(format!(
            "module {}: terraform validate failed:\n{error}",
            outcome.module
        )),
    }
}

#[then("every regression run passes")]
fn every_regression_run_passes(world: &mut World) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let runs: Vec<_> = outcome.runs_in(REGRESSION_FILE).collect();
    if runs.is_empty() {
        return Err(format!(
            "module {}: no run of {REGRESSION_FILE} was reported by terraform test\n{}",
            outcome.module,
            findings_of(outcome)
        ));
    }
    if runs.iter().all(|r| r.status == RunStatus::Passed) && outcome.errors.is_empty() {
        Ok(())
    } else {
        Err(findings_of(outcome))
    }
}

#[then("every other test run passes")]
fn every_other_run_passes(world: &mut World) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let others: Vec<_> = outcome
        .runs
        .iter()
        .filter(|r| r.file != REGRESSION_FILE)
        .collect();
    if others.is_empty() {
        return Err(format!(
            "module {}: terraform test reported no runs besides {REGRESSION_FILE}",
            outcome.module
        ));
    }
    if outcome.passed() {
        Ok(())
    } else {
        Err(findings_of(outcome))
    }
}

#[then(expr = "its regression file has at least {int} runs")]
fn regression_file_has_runs(world: &mut World, at_least: usize) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let ran = outcome.runs_in(REGRESSION_FILE).count();
    if ran >= at_least {
        Ok(())
    } else {
        Err(format!(
            "module {}: {REGRESSION_FILE} has {ran} runs, at least {at_least} expected",
            outcome.module
        ))
    }
}

#[then(expr = "the run {string} of {string} passes")]
fn the_run_passes(world: &mut World, run: String, file: String) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let found = outcome
        .runs_in(&file)
        .find(|r| r.run == run)
        .ok_or_else(|| {
            format!(
                "module {}: no run \"{run}\" in {file} was reported",
                outcome.module
            )
        })?;
    if found.status == RunStatus::Passed {
        Ok(())
    } else {
        Err(findings_of(outcome))
    }
}

#[then("the run that guards it fails")]
fn the_guarding_run_fails(world: &mut World) -> Result<(), String> {
    let run = world
        .terraform
        .guarding_run
        .clone()
        .ok_or("no earlier step chose a guarded default")?;
    the_run_fails(world, run)
}

#[then(expr = "the run {string} fails")]
fn the_run_fails(world: &mut World, run: String) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let found = outcome.runs.iter().find(|r| r.run == run).ok_or_else(|| {
        format!(
            "module {}: no run \"{run}\" was reported:\n{outcome}",
            outcome.module
        )
    })?;
    if found.status != RunStatus::Failed {
        return Err(format!(
            "module {}: run \"{run}\" was expected to fail, but it {:?}",
            outcome.module, found.status
        ));
    }
    let others: Vec<_> = outcome
        .runs
        .iter()
        .filter(|r| r.run != run && r.status != RunStatus::Passed)
        .map(|r| r.run.as_str())
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "only \"{run}\" should fail, but these did too: {others:?}"
        ))
    }
}

#[then("the failure names the module, the test file, the run and Terraform's message")]
fn the_failure_is_named(world: &mut World) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let failed = outcome
        .runs
        .iter()
        .find(|r| r.status == RunStatus::Failed)
        .ok_or("no run failed")?;
    let findings = outcome.findings();
    let expected_file = format!("{}/{}", outcome.path, failed.file);
    let named = findings.iter().any(|f| {
        f.id == run_ids::RUN_FAILED && f.subject() == failed.run && f.file == expected_file
    });
    // Terraform's own words for a failed assertion, as it reported the run.
    let terraform_said = failed
        .message
        .as_deref()
        .is_some_and(|m| m.contains("Test assertion failed"));
    if named && terraform_said && outcome.path.ends_with(&outcome.module) {
        Ok(())
    } else {
        Err(format!(
            "expected a {} finding for run \"{}\" in {expected_file} carrying Terraform's \
             assertion message, got:\n{}",
            run_ids::RUN_FAILED,
            failed.run,
            listing(&findings)
        ))
    }
}

#[then(expr = "the tests fail and Terraform's own message names {string}")]
fn the_tests_fail_naming(world: &mut World, file: String) -> Result<(), String> {
    let outcome = world.terraform.ran()?;
    let findings = outcome.findings();
    let named = findings.iter().any(|f| {
        (f.id == run_ids::TEST || f.id == run_ids::VALIDATE)
            && f.found.as_deref().is_some_and(|said| said.contains(&file))
    });
    if named {
        Ok(())
    } else {
        Err(format!(
            "expected terraform test to fail with a message naming {file}, got:\n{}",
            listing(&findings)
        ))
    }
}

#[then(expr = "the run is stopped at its timeout of {int} seconds")]
fn the_run_is_stopped(world: &mut World, seconds: u64) -> Result<(), String> {
    match world.terraform.outcome()? {
        Err(TerraformError::TimedOut { timeout, .. })
            if *timeout == Duration::from_secs(seconds) =>
        {
            Ok(())
        }
        other => Err(format!(
            "expected the run to be stopped after {seconds}s, got: {}",
            describe(other)
        )),
    }
}

#[then("the tests cannot run because terraform is missing")]
fn terraform_is_missing(world: &mut World) -> Result<(), String> {
    match world.terraform.outcome()? {
        Err(TerraformError::Tool(ToolError::Missing {
            tool: Tool::Terraform,
        })) => Ok(()),
        other => Err(format!(
            "expected \"terraform is missing\", got: {}",
            describe(other)
        )),
    }
}

#[then(expr = "the tests cannot run because terraform {word} is older than {word}")]
fn terraform_is_too_old(world: &mut World, found: String, minimum: String) -> Result<(), String> {
    let matches = |v: &Version, text: &str| v.to_string() == text;
    match world.terraform.outcome()? {
        Err(TerraformError::Tool(ToolError::TooOld {
            tool: Tool::Terraform,
            found: version,
            ..
        })) if matches(version, &found) && matches(&Tool::Terraform.minimum(), &minimum) => Ok(()),
        other => Err(format!(
            "expected terraform {found} to be refused as older than {minimum}, got: {}",
            describe(other)
        )),
    }
}

fn describe(outcome: &Result<ModuleOutcome, TerraformError>) -> String {
    match outcome {
        Ok(outcome) => outcome.to_string(),
        Err(e) => e.to_string(),
    }
}

#[then("no temporary directory is left behind")]
fn no_temporary_directory_is_left(world: &mut World) -> Result<(), String> {
    let Some(scratch) = &world.terraform.scratch else {
        // The run stopped before it made any copy.
        return Ok(());
    };
    let left: Vec<String> = std::fs::read_dir(scratch.path())
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .collect();
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "temporary directories were left behind: {}",
            left.join(", ")
        ))
    }
}
