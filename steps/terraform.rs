//! Steps of `features/us2_modules.feature`: the homelab's Terraform modules, their static
//! test rules, and their `terraform test` runs (on temporary copies, offline).

mod broken_copies;

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cucumber::{given, then, when};
use homelab_spec::terraform::module::REGRESSION_FILE;
use homelab_spec::terraform::runner::shared_outcome;
use homelab_spec::terraform::static_checks::ids;
use homelab_spec::terraform::{
    Finding, Module, ModuleCopy, ModuleOutcome, RunStatus, TestRunner, check_module,
};

use super::World;

type Outcome = Arc<Result<ModuleOutcome, String>>;

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct TerraformState {
    modules: Vec<Module>,
    /// A broken temporary copy of a module.
    copy: Option<ModuleCopy>,
    /// Where the runner puts its own temporary copies in bad-input scenarios; must be empty
    /// once the run is over.
    scratch: Option<tempfile::TempDir>,
    /// A PATH to look for terraform in, and the directory it names.
    path: Option<(tempfile::TempDir, OsString)>,
    outcomes: Vec<Outcome>,
    findings: Vec<Finding>,
}

impl TerraformState {
    fn module(&self) -> Result<&Module, String> {
        self.modules
            .first()
            .ok_or_else(|| "no module was chosen by an earlier step".to_string())
    }

    fn outcome(&self) -> Result<&Result<ModuleOutcome, String>, String> {
        self.outcomes
            .first()
            .map(|o| o.as_ref())
            .ok_or_else(|| "no module's tests ran in an earlier step".to_string())
    }

    /// The outcome of a run that must have happened.
    fn ran(&self) -> Result<&ModuleOutcome, String> {
        self.outcome()?.as_ref().map_err(Clone::clone)
    }

    fn runner(&mut self, timeout: Option<Duration>) -> Result<TestRunner, String> {
        let scratch = tempfile::Builder::new()
            .prefix("homelab-spec-us2-scratch-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let scratch = self.scratch.insert(scratch).path().to_path_buf();
        let runner = match &self.path {
            Some((_, path)) => TestRunner::with_terraform_on_path(path)?,
            None => TestRunner::from_env()?,
        };
        let runner = runner.scratch_in(&scratch);
        Ok(match timeout {
            Some(timeout) => runner.timeout(timeout),
            None => runner,
        })
    }
}

fn problems_of(outcome: &ModuleOutcome) -> String {
    outcome.problems().join("\n")
}

// ---- Given ----

#[given("the five homelab modules")]
fn the_five_modules(world: &mut World) -> Result<(), String> {
    world.terraform.modules = Module::all(world.root().path())?;
    Ok(())
}

#[given(regex = r"^the (\S+) module$")]
fn the_module(world: &mut World, name: String) -> Result<(), String> {
    world.terraform.modules = vec![Module::in_root(world.root().path(), &name)?];
    Ok(())
}

#[given(regex = r"^a copy of the (\S+) module in which (.+)$")]
fn a_broken_copy(world: &mut World, name: String, change: String) -> Result<(), String> {
    let original = Module::in_root(world.root().path(), &name)?;
    let copy = ModuleCopy::new(&original, None)?;
    broken_copies::apply(&copy, &change)?;
    world.terraform.modules = vec![copy.module.clone()];
    world.terraform.copy = Some(copy);
    Ok(())
}

#[given("a PATH without terraform")]
fn a_path_without_terraform(world: &mut World) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().as_os_str().to_os_string();
    world.terraform.path = Some((dir, path));
    Ok(())
}

#[given(expr = "a PATH whose terraform reports version {word}")]
fn a_path_with_an_old_terraform(world: &mut World, version: String) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let fake = dir.path().join("terraform");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\necho 'Terraform v{version}'\necho 'on linux_amd64'\n"),
    )
    .and_then(|_| std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)))
    .map_err(|e| format!("cannot write {}: {e}", fake.display()))?;
    let path = dir.path().as_os_str().to_os_string();
    world.terraform.path = Some((dir, path));
    Ok(())
}

// ---- When ----

async fn run_modules(world: &mut World, filter: Option<&str>, timeout: Option<Duration>) {
    let state = &mut world.terraform;
    let is_repository_module =
        state.copy.is_none() && state.path.is_none() && timeout.is_none() && filter.is_none();
    let modules = state.modules.clone();
    if is_repository_module {
        // The repository's own modules: computed once per process, shared between scenarios.
        let handles: Vec<_> = modules
            .into_iter()
            .map(|m| tokio::task::spawn_blocking(move || shared_outcome(&m)))
            .collect();
        let mut outcomes = Vec::new();
        for handle in handles {
            outcomes.push(
                handle
                    .await
                    .unwrap_or_else(|e| Arc::new(Err(e.to_string()))),
            );
        }
        state.outcomes = outcomes;
        return;
    }
    let runner = match state.runner(timeout) {
        Ok(runner) => runner,
        Err(e) => {
            state.outcomes = vec![Arc::new(Err(e))];
            return;
        }
    };
    let runner = match filter {
        Some(file) => runner.only(file),
        None => runner,
    };
    let outcomes = tokio::task::spawn_blocking(move || runner.run_all(&modules))
        .await
        .unwrap_or_else(|e| vec![Err(e.to_string())]);
    state.outcomes = outcomes.into_iter().map(Arc::new).collect();
}

#[when("its tests run")]
async fn its_tests_run(world: &mut World) {
    run_modules(world, None, None).await;
}

#[when(regex = r"^the (\S+) module's tests run$")]
async fn the_named_modules_tests_run(world: &mut World, name: String) -> Result<(), String> {
    world.terraform.modules = vec![Module::in_root(world.root().path(), &name)?];
    run_modules(world, None, None).await;
    Ok(())
}

#[when("its regression tests run")]
async fn its_regression_tests_run(world: &mut World) {
    run_modules(world, Some(REGRESSION_FILE), None).await;
}

#[when(expr = "the run that never finishes is started with a timeout of {int} seconds")]
async fn the_hanging_run_is_started(world: &mut World, seconds: u64) {
    run_modules(
        world,
        Some(broken_copies::HANG_FILE),
        Some(Duration::from_secs(seconds)),
    )
    .await;
}

#[when("the tests of every module run")]
async fn the_tests_of_every_module_run(world: &mut World) {
    run_modules(world, None, None).await;
}

#[when("the module's tests are checked")]
fn the_modules_tests_are_checked(world: &mut World) -> Result<(), String> {
    world.terraform.findings = check_module(world.terraform.module()?);
    Ok(())
}

// ---- Then: static rules over the five modules ----

#[then(expr = "{int} of {int} modules have a regression test file")]
fn modules_have_a_regression_file(world: &mut World, want: usize, of: usize) -> Result<(), String> {
    let modules = &world.terraform.modules;
    if modules.len() != of {
        return Err(format!("expected {of} modules, found {}", modules.len()));
    }
    let missing: Vec<String> = modules
        .iter()
        .filter(|m| !m.dir.join(REGRESSION_FILE).is_file())
        .map(|m| format!("{} has no {REGRESSION_FILE}", m.dir.display()))
        .collect();
    let have = of - missing.len();
    if have == want {
        Ok(())
    } else {
        Err(format!(
            "{have} of {of} modules have a regression test file:\n{}",
            missing.join("\n")
        ))
    }
}

fn no_findings_of(world: &World, check: &str, rule: &str) -> Result<(), String> {
    let found: Vec<String> = world
        .terraform
        .modules
        .iter()
        .flat_map(check_module)
        .filter(|f| f.check == check)
        .map(|f| f.to_string())
        .collect();
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("{rule}, but:\n{}", found.join("\n")))
    }
}

#[then("every regression run only plans")]
fn every_regression_run_only_plans(world: &mut World) -> Result<(), String> {
    no_findings_of(
        world,
        ids::PLAN_ONLY,
        "every regression run must use command = plan",
    )
}

#[then("every regression run has at least one assertion")]
fn every_regression_run_asserts(world: &mut World) -> Result<(), String> {
    no_findings_of(
        world,
        ids::ASSERT,
        "every regression run must have an assert block",
    )
}

#[then("every regression run has a comment just above it naming the release whose fix it protects")]
fn every_regression_run_names_its_release(world: &mut World) -> Result<(), String> {
    no_findings_of(
        world,
        ids::RELEASE_COMMENT,
        "every regression run must have a \"# Regression vX.Y.Z: ...\" comment just above it",
    )
}

#[then("every test file mocks each provider its module requires")]
fn every_test_file_mocks_its_providers(world: &mut World) -> Result<(), String> {
    no_findings_of(
        world,
        ids::MOCK_PROVIDER,
        "every test file must declare a mock_provider for each required provider",
    )
}

// ---- Then: findings on broken copies ----

fn finding_of<'a>(world: &'a World, check: &str) -> Result<&'a Finding, String> {
    world
        .terraform
        .findings
        .iter()
        .find(|f| f.check == check)
        .ok_or_else(|| {
            format!(
                "expected a {check} finding, got: {:#?}",
                world.terraform.findings
            )
        })
}

#[then("the check finds that the module has no tests directory")]
fn finds_no_tests(world: &mut World) -> Result<(), String> {
    let finding = finding_of(world, ids::NO_TESTS)?;
    if finding.to_string().contains("has no tests directory") {
        Ok(())
    } else {
        Err(format!("the finding does not say so: {finding}"))
    }
}

#[then(expr = "the check finds that {string} is not valid HCL, with its line")]
fn finds_a_parse_error(world: &mut World, file: String) -> Result<(), String> {
    let finding = finding_of(world, ids::PARSE)?;
    if finding.file != Path::new(&file) || finding.line.is_none_or(|l| l == 0) {
        return Err(format!(
            "expected a parse finding for {file} with a line, got: {finding}"
        ));
    }
    Ok(())
}

#[then(expr = "the check finds that {string} does not mock the provider {string}")]
fn finds_a_missing_mock(world: &mut World, file: String, provider: String) -> Result<(), String> {
    let finding = finding_of(world, ids::MOCK_PROVIDER)?;
    if finding.file == Path::new(&file)
        && finding
            .message
            .contains(&format!("mock_provider \"{provider}\""))
    {
        Ok(())
    } else {
        Err(format!(
            "expected {file} to be reported for provider {provider}, got: {finding}"
        ))
    }
}

#[then("the check names the file, line and run that applies, asserts nothing and names no release")]
fn finds_the_unguarded_run(world: &mut World) -> Result<(), String> {
    let run = broken_copies::UNGUARDED_RUN;
    let copy = world
        .terraform
        .copy
        .as_ref()
        .ok_or("no broken copy was made")?;
    let text = std::fs::read_to_string(copy.module.dir.join(REGRESSION_FILE))
        .map_err(|e| e.to_string())?;
    let offset = text
        .find(&format!("run \"{run}\""))
        .ok_or_else(|| format!("the copy has no run {run}"))?;
    let line = homelab_spec::terraform::tftest::line_of(&text, offset);
    for check in [ids::PLAN_ONLY, ids::ASSERT, ids::RELEASE_COMMENT] {
        let found = world.terraform.findings.iter().any(|f| {
            f.check == check
                && f.file == Path::new(REGRESSION_FILE)
                && f.line == Some(line)
                && f.run.as_deref() == Some(run)
        });
        if !found {
            return Err(format!(
                "expected a {check} finding for run \"{run}\" at {REGRESSION_FILE}:{line}, got: {:#?}",
                world.terraform.findings
            ));
        }
    }
    Ok(())
}

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
            problems_of(outcome)
        ));
    }
    if runs.iter().all(|r| r.status == RunStatus::Passed) && outcome.errors.is_empty() {
        Ok(())
    } else {
        Err(problems_of(outcome))
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
        Err(problems_of(outcome))
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

#[then(expr = "the tests pass in {int} of {int} modules")]
fn the_tests_pass_in(world: &mut World, want: usize, of: usize) -> Result<(), String> {
    let outcomes = &world.terraform.outcomes;
    if outcomes.len() != of {
        return Err(format!(
            "expected {of} modules to run, {} did",
            outcomes.len()
        ));
    }
    let mut problems = Vec::new();
    let mut passed = 0;
    let names = world.terraform.modules.iter().map(|m| m.name.as_str());
    for (outcome, name) in outcomes.iter().zip(names) {
        match outcome.as_ref() {
            Ok(o) if o.passed() => passed += 1,
            Ok(o) => problems.push(problems_of(o)),
            Err(e) => problems.push(format!("module {name}: {e}")),
        }
    }
    if passed == want {
        Ok(())
    } else {
        Err(format!(
            "the tests pass in {passed} of {of} modules:\n{}",
            problems.join("\n")
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
        Err(problems_of(outcome))
    }
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
    let report = problems_of(outcome);
    let expected = [
        format!("module {}", outcome.module),
        failed.file.clone(),
        format!("run \"{}\"", failed.run),
        // Terraform's own words for a failed assertion.
        "assertions failed".to_string(),
        "Test assertion failed".to_string(),
    ];
    match expected.iter().find(|part| !report.contains(part.as_str())) {
        None => Ok(()),
        Some(missing) => Err(format!("the failure report lacks {missing:?}:\n{report}")),
    }
}

#[then(expr = "the tests fail with a message containing {string}")]
fn the_tests_fail_with(world: &mut World, text: String) -> Result<(), String> {
    let message = match world.terraform.outcome()? {
        Err(message) => message.clone(),
        Ok(outcome) if !outcome.passed() => problems_of(outcome),
        Ok(outcome) => return Err(format!("the tests were expected to fail, but: {outcome}")),
    };
    if message.contains(&text) {
        Ok(())
    } else {
        Err(format!("the failure does not contain {text:?}:\n{message}"))
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
