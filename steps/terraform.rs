//! Steps of `features/us2_modules.feature`: the homelab's Terraform modules, their static
//! test rules, and their `terraform test` runs (on temporary copies, offline).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cucumber::{Parameter, given, then, when};
use homelab_spec::finding::{Finding, listing};
use homelab_spec::homelab::TerraformDir;
use homelab_spec::homelab::copy::{RepositoryCopy, copy_repository};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{BrokenCopy, CheckedFindings, Outcome, TerraformKind};
use homelab_spec::settings::Settings;
use homelab_spec::shard::{self, RunKind};
use homelab_spec::shell::fake_commands::FakeCommands;
use homelab_spec::terraform::broken_copy::{
    HANG_FILE, ModuleChange, UNGUARDED_RUN, first_guarded_default,
};
use homelab_spec::terraform::environment::{EnvironmentError, run_environments};
use homelab_spec::terraform::init_check::{InitCheck, check_homelab};
use homelab_spec::terraform::module::MODULE_NAMES;
use homelab_spec::terraform::module::REGRESSION_FILE;
use homelab_spec::terraform::runner::{
    SharedOutcome, TestRequest, ids as run_ids, not_tested, test_modules,
};
use homelab_spec::terraform::static_checks::ids;
use homelab_spec::terraform::{
    Module, ModuleOutcome, RunStatus, TerraformError, TestFile, check_module,
};
use homelab_spec::tools::{Tool, ToolError, Version};

use super::{OrFail, World};

/// A named change to a module copy, as a feature writes it. The regex lists every change
/// (see `ModuleChange`), so a misspelt one is an undefined step that fails the run before
/// any tool runs.
#[derive(Debug, Clone, Parameter)]
#[param(
    name = "module_change",
    regex = r#"the [\w-]+ defaults to "[^"]*"|the data size loses its unit suffix|the SCSI controller is [\w-]+|the health-check key algorithm is [\w-]+|the tests directory is removed|the regression file is cut off in the middle of a run|a regression run applies without a release comment or an assertion|the regression file does not mock the [\w-]+ provider|a test run never finishes"#
)]
pub struct Change(String, ModuleChange);

impl std::str::FromStr for Change {
    type Err = String;
    fn from_str(text: &str) -> Result<Change, String> {
        let change = text.parse::<ModuleChange>().map_err(|e| e.to_string())?;
        Ok(Change(text.to_string(), change))
    }
}

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct TerraformState {
    modules: Vec<Module>,
    /// A copy of the repository with one module broken, and the change that broke it.
    copy: Option<(RepositoryCopy, String)>,
    /// Where the runner puts its own temporary copies in bad-input scenarios; must be empty
    /// once the run is over.
    scratch: Option<tempfile::TempDir>,
    /// Fake commands standing for the machine's PATH, when a scenario replaces it, and what
    /// the replacement stands for.
    path: Option<(FakeCommands, String)>,
    outcomes: Vec<SharedOutcome>,
    /// The outcomes of the environments that have tests, by directory.
    environments: Vec<(String, Result<ModuleOutcome, EnvironmentError>)>,
    findings: Vec<Finding>,
    /// The regression run that guards the default a role-chosen change broke.
    guarding_run: Option<String>,
    /// What `terraform init` would check, per module and environment that has tests.
    init: Option<Vec<InitCheck>>,
}

impl TerraformState {
    fn module(&self) -> Result<&Module, String> {
        self.modules
            .first()
            .ok_or_else(|| "no module was chosen by an earlier step".to_string())
    }

    fn outcome(&self) -> Result<&Result<ModuleOutcome, TerraformError>, String> {
        self.outcomes
            .first()
            .map(|o| o.as_ref())
            .ok_or_else(|| "no module's tests ran in an earlier step".to_string())
    }

    /// The outcome of a run that must have happened.
    fn ran(&self) -> Result<&ModuleOutcome, String> {
        self.outcome()?.as_ref().map_err(|e| e.to_string())
    }
}

fn findings_of(outcome: &ModuleOutcome) -> String {
    listing(&outcome.findings())
}

// ---- Given ----

#[given("every homelab module")]
fn every_homelab_module(world: &mut World) -> Result<(), String> {
    // The scenario's repository by the path the other scenarios use, so that each module's
    // shared outcome is computed once per process.
    let root = world.layout.root();
    let homelab = world.layout.homelab()?;
    world.terraform.modules = homelab.modules.iter().map(|m| m.as_module(&root)).collect();
    Ok(())
}

#[given(regex = r"^the (\S+) module$")]
fn the_module(world: &mut World, name: String) -> Result<(), String> {
    world.terraform.modules = vec![Module::in_root(&world.layout.root(), &name).or_fail()?];
    Ok(())
}

/// A copy of module `name` with `change` made; a module without what the change needs ends
/// the scenario as not applicable (the module itself missing still fails).
fn broken_copy(
    world: &mut World,
    name: &str,
    change: &ModuleChange,
    sentence: String,
) -> Result<(), String> {
    let copy = copy_repository(world.root().path(), None).or_fail()?;
    let module = Module::in_root(&copy.root, name).or_fail()?;
    if let Err(e) = change.apply(&module) {
        return Err(match e.not_applicable() {
            Some(why) => world.skip(why),
            None => e.to_string(),
        });
    }
    world.terraform.modules = vec![module];
    world.terraform.copy = Some((copy, sentence));
    Ok(())
}

#[given(expr = "a copy of the {word} module in which {module_change}")]
fn a_broken_copy(world: &mut World, name: String, change: Change) -> Result<(), String> {
    broken_copy(world, &name, &change.1, change.0)
}

#[given("a copy of the first module with a guarded default, in which that default is changed")]
fn a_copy_with_a_guarded_default_changed(world: &mut World) -> Result<(), String> {
    let root = world.layout.root();
    let modules: Vec<Module> = world
        .layout
        .homelab()?
        .modules
        .iter()
        .map(|m| m.as_module(&root))
        .collect();
    let guarded = first_guarded_default(&modules).map_err(|why| world.skip(why))?;
    let sentence = format!(
        "the {} default of {} changed (guarded by {})",
        guarded.variable, guarded.module, guarded.run
    );
    broken_copy(world, &guarded.module, &guarded.change(), sentence)?;
    world.terraform.guarding_run = Some(guarded.run);
    Ok(())
}

#[given("a PATH without terraform")]
fn a_path_without_terraform(world: &mut World) -> Result<(), String> {
    world.terraform.path = Some((
        FakeCommands::new().or_fail()?,
        "a PATH without terraform".into(),
    ));
    Ok(())
}

#[given(expr = "a PATH whose terraform reports version {word}")]
fn a_path_with_an_old_terraform(world: &mut World, version: String) -> Result<(), String> {
    let fakes = FakeCommands::new().or_fail()?;
    fakes
        .script(
            "terraform",
            &format!("echo 'Terraform v{version}'\necho 'on linux_amd64'"),
        )
        .or_fail()?;
    world.terraform.path = Some((
        fakes,
        format!("a PATH whose terraform reports version {version}"),
    ));
    Ok(())
}

// ---- When ----

/// Runs the scenario's modules that are this shard's (`SPEC_SHARD`); none of them: the
/// scenario is skipped, saying so.
async fn run_modules(
    world: &mut World,
    filter: Option<&str>,
    timeout: Option<Duration>,
) -> Result<(), String> {
    let mine = module_share(world).map_err(|why| world.skip(why))?;
    world.terraform.modules = mine;
    run_modules_of(world, filter, timeout).await;
    report_runs(world);
    Ok(())
}

/// This shard's share of the scenario's modules, each assigned by its path in the
/// repository (or copy) it is in. A scenario that replaced PATH with fakes runs no real
/// terraform: it keeps every module, in every shard.
fn module_share(world: &World) -> Result<Vec<Module>, NotApplicable> {
    let modules = world.terraform.modules.clone();
    if world.terraform.path.is_some() {
        return Ok(modules);
    }
    let roots: Vec<PathBuf> = [
        world.terraform.copy.as_ref().map(|(c, _)| c.root.clone()),
        Some(world.layout.root()),
        Some(world.root().path().to_path_buf()),
    ]
    .into_iter()
    .flatten()
    .collect();
    shard::share(
        Settings::get().shard,
        RunKind::TerraformModule,
        modules,
        |m| {
            roots
                .iter()
                .find_map(|root| m.dir.strip_prefix(root).ok())
                .map_or_else(|| m.name.clone(), |p| p.display().to_string())
        },
    )
}

/// Hands every run this scenario made to the report: the module's JUnit suite (marked
/// when it ran on a broken copy) and its runs with their release comments.
fn report_runs(world: &mut World) {
    let state = &world.terraform;
    // A run on a broken copy, or with a broken PATH, is expected to fail.
    let broken = state
        .copy
        .as_ref()
        .map(|(_, change)| change.clone())
        .or_else(|| state.path.as_ref().map(|(_, what)| what.clone()))
        .map(|change| BrokenCopy {
            change,
            expected: None,
        });
    for (outcome, module) in state.outcomes.iter().zip(&state.modules) {
        match outcome.as_ref() {
            Ok(outcome) => {
                let mut run = outcome.tool_run();
                run.broken_copy = broken.clone();
                world.outcomes.push(Outcome::ToolRun(run));
                // The report's table of a module's runs shows the module as it is; a
                // broken copy's runs are in its scenario and in junit.xml.
                if broken.is_none() {
                    world.outcomes.push(Outcome::TerraformRuns(
                        outcome.terraform_runs(module, TerraformKind::Module),
                    ));
                }
            }
            Err(e) => {
                let mut run = not_tested(&module.name, &module.path_in_repo(), e);
                run.broken_copy = broken.clone();
                world.outcomes.push(Outcome::ToolRun(run));
            }
        }
    }
}

async fn run_modules_of(world: &mut World, filter: Option<&str>, timeout: Option<Duration>) {
    let state = &mut world.terraform;
    let mut request = TestRequest {
        only: filter.map(str::to_string),
        timeout,
        terraform_path: state.path.as_ref().map(|(fakes, _)| fakes.path_alone()),
        scratch: None,
    };
    if state.copy.is_some() || state.path.is_some() || timeout.is_some() {
        // Bad input and broken copies: their own scratch directory, checked empty afterwards.
        match tempfile::Builder::new()
            .prefix("homelab-spec-us2-scratch-")
            .tempdir()
        {
            Ok(dir) => request.scratch = Some(state.scratch.insert(dir).path().to_path_buf()),
            Err(source) => {
                let e = Arc::new(Err(TerraformError::Io {
                    context: "cannot create a scratch directory".into(),
                    source,
                }));
                state.outcomes = state.modules.iter().map(|_| e.clone()).collect();
                return;
            }
        }
    }
    let modules = state.modules.clone();
    let names: Vec<String> = modules.iter().map(|m| m.name.clone()).collect();
    state.outcomes = tokio::task::spawn_blocking(move || test_modules(&modules, &request))
        .await
        .unwrap_or_else(|_| {
            names
                .into_iter()
                .map(|module| Arc::new(Err(TerraformError::Panicked { module })))
                .collect()
        });
}

#[when("its tests run")]
async fn its_tests_run(world: &mut World) -> Result<(), String> {
    run_modules(world, None, None).await
}

#[when(regex = r"^the (\S+) module's tests run$")]
async fn the_named_modules_tests_run(world: &mut World, name: String) -> Result<(), String> {
    world.terraform.modules = vec![Module::in_root(world.root().path(), &name).or_fail()?];
    run_modules(world, None, None).await
}

#[when("its regression tests run")]
async fn its_regression_tests_run(world: &mut World) -> Result<(), String> {
    run_modules(world, Some(REGRESSION_FILE), None).await
}

#[when(expr = "the run that never finishes is started with a timeout of {int} seconds")]
async fn the_hanging_run_is_started(world: &mut World, seconds: u64) -> Result<(), String> {
    run_modules(world, Some(HANG_FILE), Some(Duration::from_secs(seconds))).await
}

#[when("the tests of every module and environment run")]
async fn the_tests_of_every_module_and_environment_run(world: &mut World) -> Result<(), String> {
    check_init(world)?;
    // This shard's share of both; the scenario is not applicable only when it has neither.
    let modules = module_share(world);
    let environments = environment_share(world)?;
    let shard = Settings::get().shard;
    match (modules, environments) {
        (Err(_), None) => Err(world.skip(NotApplicable::new(format!(
            "shard {shard} has none of the modules and environments"
        )))),
        (modules, environments) => {
            world.terraform.modules = modules.unwrap_or_default();
            run_modules_of(world, None, None).await;
            report_runs(world);
            run_environments_of(world, environments.unwrap_or_default()).await
        }
    }
}

#[when("the tests of every environment run")]
async fn the_tests_of_every_environment_run(world: &mut World) -> Result<(), String> {
    check_init(world)?;
    let environments = environment_share(world)?.ok_or_else(|| {
        world.skip(shard::not_in_shard(
            Settings::get().shard,
            RunKind::TerraformEnvironment,
        ))
    })?;
    run_environments_of(world, environments).await?;
    if world.terraform.environments.is_empty() {
        return Err("the homelab has no environment with tests".into());
    }
    Ok(())
}

/// This shard's share of the environments that have tests (`None`: they all belong to
/// other shards).
fn environment_share(world: &mut World) -> Result<Option<Vec<TerraformDir>>, String> {
    let environments: Vec<TerraformDir> = world
        .layout
        .homelab()?
        .environments
        .iter()
        .filter(|e| e.has_tests())
        .cloned()
        .collect();
    Ok(shard::share(
        Settings::get().shard,
        RunKind::TerraformEnvironment,
        environments,
        |e| e.dir.clone(),
    )
    .ok())
}

/// Runs `terraform test` in each of `environments` (each on a copy that keeps its relative
/// module sources and links) and hands the runs to the report.
async fn run_environments_of(
    world: &mut World,
    environments: Vec<TerraformDir>,
) -> Result<(), String> {
    let root = world.layout.root();
    if environments.is_empty() {
        world.terraform.environments.clear();
        return Ok(());
    }
    let runner = homelab_spec::terraform::TestRunner::from_settings().or_fail()?;
    let dirs: Vec<String> = environments.iter().map(|e| e.dir.clone()).collect();
    let copy_root = root.clone();
    let results =
        tokio::task::spawn_blocking(move || run_environments(&runner, &copy_root, &environments))
            .await
            .map_err(|e| format!("the environments' tests did not finish: {e}"))?;
    let broken = world.layout.broken_copy();
    for (dir, result) in dirs.iter().zip(&results) {
        let mut run = match result {
            Ok(outcome) => outcome.tool_run(),
            Err(e) => homelab_spec::outcome::ToolRun {
                suite: format!("terraform test: {dir}"),
                cases: vec![homelab_spec::outcome::ToolCase {
                    name: "terraform test".into(),
                    classname: dir.clone(),
                    time: Duration::ZERO,
                    status: homelab_spec::outcome::CaseStatus::Failed(
                        e.findings().into_iter().next().unwrap_or_else(|| {
                            Finding::new(run_ids::TEST, dir.clone(), e.to_string())
                                .about(dir.clone())
                        }),
                    ),
                }],
                broken_copy: None,
            },
        };
        run.broken_copy = broken.clone();
        world.outcomes.push(Outcome::ToolRun(run));
        if let (Ok(outcome), None) = (result, &broken)
            && let Ok(environment) = Module::at(dir, &root.join(dir))
        {
            world.outcomes.push(Outcome::TerraformRuns(
                outcome.terraform_runs(&environment, TerraformKind::Environment),
            ));
        }
    }
    world.terraform.environments = dirs.into_iter().zip(results).collect();
    Ok(())
}

#[when("terraform init's checks run over every module and environment that has tests")]
fn terraform_inits_checks_run(world: &mut World) -> Result<(), String> {
    check_init(world)
}

/// What `terraform init` would refuse, checked offline before any run, handed to the report.
fn check_init(world: &mut World) -> Result<(), String> {
    let checks = check_homelab(world.layout.homelab()?);
    for check in &checks {
        world.outcomes.push(Outcome::Findings(CheckedFindings {
            check: format!("terraform init checks: {}", check.dir),
            findings: check.failures.iter().chain(&check.notes).cloned().collect(),
            broken_copy: world.layout.broken_copy(),
        }));
    }
    world.terraform.init = Some(checks);
    Ok(())
}

fn init_checks(world: &World) -> Result<&[InitCheck], String> {
    world
        .terraform
        .init
        .as_deref()
        .ok_or_else(|| "terraform init's checks did not run in an earlier step".to_string())
}

fn init_failures(checks: &[InitCheck]) -> Vec<Finding> {
    checks.iter().flat_map(|c| c.failures.clone()).collect()
}

#[then("terraform init accepts every module and environment that has tests")]
fn terraform_init_accepts_everything(world: &mut World) -> Result<(), String> {
    let checks = init_checks(world)?;
    let failures = init_failures(checks);
    let refused = checks.iter().filter(|c| !c.failures.is_empty()).count();
    println!(
        "terraform init accepts {} of {} modules and environments with tests",
        checks.len() - refused,
        checks.len()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(listing(&failures))
    }
}

#[then(expr = "terraform init's checks report {string} about {string} in {string}")]
fn init_reports(
    world: &mut World,
    id: String,
    subject: String,
    file: String,
) -> Result<(), String> {
    init_finding(world, &id, &subject, &file).map(|_| ())
}

#[then(
    expr = "terraform init's checks report {string} about {string} in {string}, naming {string} and {string}"
)]
fn init_reports_naming(
    world: &mut World,
    id: String,
    subject: String,
    file: String,
    first: String,
    second: String,
) -> Result<(), String> {
    let finding = init_finding(world, &id, &subject, &file)?;
    let found = finding.found.clone().unwrap_or_default();
    for constraint in [&first, &second] {
        if !found.contains(constraint.as_str()) {
            return Err(format!(
                "{finding}\ndoes not name the constraint {constraint:?}"
            ));
        }
    }
    Ok(())
}

fn init_finding(world: &World, id: &str, subject: &str, file: &str) -> Result<Finding, String> {
    let failures = init_failures(init_checks(world)?);
    failures
        .iter()
        .find(|f| f.is(id, Some(subject)) && f.file == file)
        .cloned()
        .ok_or_else(|| {
            format!(
                "expected a failing {id} finding about {subject} in {file}, got:\n{}",
                listing(&failures)
            )
        })
}

#[then("the tests pass in every module and every environment that has tests")]
fn the_tests_pass_everywhere(world: &mut World) -> Result<(), String> {
    let state = &world.terraform;
    if state.outcomes.is_empty() && state.environments.is_empty() {
        return Err("no module's or environment's tests ran in an earlier step".into());
    }
    let mut problems = Vec::new();
    let names = state.modules.iter().map(|m| m.name.clone());
    for (outcome, name) in state.outcomes.iter().zip(names) {
        match outcome.as_ref() {
            Ok(o) if o.passed() => {}
            Ok(o) => problems.push(findings_of(o)),
            Err(e) => problems.push(format!("module {name}: {e}")),
        }
    }
    for (dir, outcome) in &state.environments {
        match outcome {
            Ok(o) if o.passed() => {}
            Ok(o) => problems.push(findings_of(o)),
            Err(e) => problems.push(format!("{dir}: {e}")),
        }
    }
    let of = state.outcomes.len() + state.environments.len();
    println!(
        "terraform test passes in {} of {of} ({} modules, {} environments with tests)",
        of - problems.len(),
        state.outcomes.len(),
        state.environments.len()
    );
    // What `terraform init` would refuse fails the homelab's CI before any test runs.
    if let Some(checks) = &state.init {
        let failures = init_failures(checks);
        if !failures.is_empty() {
            problems.insert(
                0,
                format!("terraform init would refuse:\n{}", listing(&failures)),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[then(expr = "every module the plan does not name has at least {int} regression run(s)")]
fn other_modules_have_regression_runs(world: &mut World, at_least: usize) -> Result<(), String> {
    let state = &world.terraform;
    let mut short = Vec::new();
    let mut checked = Vec::new();
    for (outcome, module) in state.outcomes.iter().zip(&state.modules) {
        if MODULE_NAMES.contains(&module.name.as_str()) {
            continue;
        }
        checked.push(module.name.clone());
        let runs = match outcome.as_ref() {
            Ok(o) => o.runs_in(REGRESSION_FILE).count(),
            Err(_) => 0,
        };
        if runs < at_least {
            short.push(format!(
                "module {}: {REGRESSION_FILE} has {runs} runs, at least {at_least} expected",
                module.name
            ));
        }
    }
    println!(
        "modules beyond the plan's five: {}",
        if checked.is_empty() {
            "none".to_string()
        } else {
            checked.join(", ")
        }
    );
    if short.is_empty() {
        Ok(())
    } else {
        Err(short.join("\n"))
    }
}

#[when("the module's tests are checked")]
fn the_modules_tests_are_checked(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    world.terraform.findings = check_module(&module);
    world.outcomes.push(Outcome::Findings(CheckedFindings {
        check: format!("static checks of the tests of {}", module.name),
        findings: world.terraform.findings.clone(),
        broken_copy: world.terraform.copy.as_ref().map(|(_, change)| BrokenCopy {
            change: change.clone(),
            expected: None,
        }),
    }));
    Ok(())
}

// ---- Then: static rules over the five modules ----

#[then("every module has a regression test file")]
fn every_module_has_a_regression_file(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    let missing = homelab.modules_without_regression_file();
    let of = homelab.modules.len();
    let have = of - missing.len();
    println!("{have} of {of} modules have a regression test file");
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{have} of {of} modules have a regression test file:\n{}",
            listing(&missing)
        ))
    }
}

#[then(expr = "the check finds that the module {word} has no regression test file")]
fn finds_no_regression_file(world: &mut World, module: String) -> Result<(), String> {
    let missing = world.layout.homelab()?.modules_without_regression_file();
    if missing
        .iter()
        .any(|f| f.is(ids::NO_REGRESSION_FILE.as_str(), Some(&module)))
    {
        Ok(())
    } else {
        Err(format!(
            "expected a {} finding about {module}, got:\n{}",
            ids::NO_REGRESSION_FILE,
            listing(&missing)
        ))
    }
}

fn no_findings_of(
    world: &World,
    check: homelab_spec::finding::FindingId,
    rule: &str,
) -> Result<(), String> {
    let found: Vec<String> = world
        .terraform
        .modules
        .iter()
        .flat_map(check_module)
        .filter(|f| f.id == check)
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

fn finding_of(
    world: &World,
    check: homelab_spec::finding::FindingId,
    subject: Option<&str>,
) -> Result<Finding, String> {
    world
        .terraform
        .findings
        .iter()
        .find(|f| f.is(check.as_str(), subject))
        .cloned()
        .ok_or_else(|| {
            format!(
                "expected a {check} finding{}, got:\n{}",
                subject.map(|s| format!(" about {s}")).unwrap_or_default(),
                listing(&world.terraform.findings)
            )
        })
}

/// The file a finding names, relative to its module.
fn in_module(finding: &Finding, module: &Module) -> bool {
    finding.file == format!("{}/", module.path_in_repo())
        || finding
            .file
            .starts_with(&format!("{}/", module.path_in_repo()))
}

#[then("the check finds that the module has no tests directory")]
fn finds_no_tests(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    let finding = finding_of(world, ids::NO_TESTS, Some(&module.name))?;
    if in_module(&finding, &module) {
        Ok(())
    } else {
        Err(format!(
            "the finding does not name the module's directory: {finding}"
        ))
    }
}

#[then(expr = "the check finds that {string} is not valid HCL, with its line")]
fn finds_a_parse_error(world: &mut World, file: String) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    let finding = finding_of(world, ids::PARSE, None)?;
    let expected = format!("{}/{file}", module.path_in_repo());
    if finding.file != expected || finding.line.is_none() {
        return Err(format!(
            "expected a parse finding for {expected} with a line, got: {finding}"
        ));
    }
    Ok(())
}

#[then(expr = "the check finds that {string} does not mock the provider {string}")]
fn finds_a_missing_mock(world: &mut World, file: String, provider: String) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    let finding = finding_of(world, ids::MOCK_PROVIDER, Some(&provider))?;
    let expected = format!("{}/{file}", module.path_in_repo());
    if finding.file == expected {
        Ok(())
    } else {
        Err(format!(
            "expected {expected} to be reported for provider {provider}, got: {finding}"
        ))
    }
}

#[then("the check names the file, line and run that applies, asserts nothing and names no release")]
fn finds_the_unguarded_run(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    let file = TestFile::read(&module.dir, std::path::Path::new(REGRESSION_FILE))
        .map_err(|e| e.to_string())?;
    let line = file
        .runs
        .iter()
        .find(|r| r.name == UNGUARDED_RUN)
        .map(|r| r.line)
        .ok_or_else(|| format!("the copy has no run {UNGUARDED_RUN}"))?;
    let expected_file = format!("{}/{REGRESSION_FILE}", module.path_in_repo());
    for check in [ids::PLAN_ONLY, ids::ASSERT, ids::RELEASE_COMMENT] {
        let finding = finding_of(world, check, Some(UNGUARDED_RUN))?;
        if finding.file != expected_file || finding.line != Some(line) {
            return Err(format!(
                "expected the {check} finding for run \"{UNGUARDED_RUN}\" at {expected_file}:{line}, got: {finding}"
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
