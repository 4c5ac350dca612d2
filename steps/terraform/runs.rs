//! The steps that run Terraform: `terraform test` in modules and environments, and the
//! offline checks of what `terraform init` would refuse, each handed to the report.

use std::time::Duration;

use cucumber::when;
use homelab_spec::finding::Finding;
use homelab_spec::homelab::TerraformDir;
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{
    CaseStatus, CheckedFindings, Outcome, TerraformKind, ToolCase, ToolRun,
};
use homelab_spec::shard::{self, RunKind};
use homelab_spec::terraform::broken_copy::HANG_FILE;
use homelab_spec::terraform::environment::{EnvironmentError, run_environments};
use homelab_spec::terraform::init_check::{InitCheck, check_homelab};
use homelab_spec::terraform::module::REGRESSION_FILE;
use homelab_spec::terraform::runner::{
    SharedOutcome, TestRequest, ids as run_ids, not_tested, test_modules, test_modules_in_scratch,
};
use homelab_spec::terraform::{Module, TerraformError, check_module};

use super::super::words::ModuleName;
use super::super::{OrFail, World, blocking};

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
/// scenario's repository (or copy). A scenario that replaced PATH with fakes runs no real
/// terraform: it keeps every module, in every shard.
fn module_share(world: &World) -> Result<Vec<Module>, NotApplicable> {
    let modules = world.terraform.modules.clone();
    if world.terraform.path.is_some() {
        return Ok(modules);
    }
    let root = world.root().to_path_buf();
    world
        .suite
        .shard_runs
        .share(RunKind::TerraformModule, modules, |m| m.path_in_repo(&root))
}

/// Hands every run this scenario made to the report: the module's JUnit suite and its
/// runs with their release comments.
fn report_runs(world: &mut World) {
    let root = world.root().to_path_buf();
    let state = &world.terraform;
    let mut outcomes = Vec::new();
    for (outcome, module) in state.outcomes.iter().zip(&state.modules) {
        match outcome.as_ref() {
            Ok(outcome) => {
                outcomes.push(Outcome::ToolRun(outcome.tool_run()));
                outcomes.push(Outcome::TerraformRuns(
                    outcome.terraform_runs(module, TerraformKind::Module),
                ));
            }
            Err(e) => outcomes.push(Outcome::ToolRun(not_tested(
                &module.name,
                &module.path_in_repo(&root),
                e,
            ))),
        }
    }
    for outcome in outcomes {
        world.record(outcome);
    }
}

/// Runs the scenario's modules; bad input and broken copies in a scratch directory of
/// their own, checked empty afterwards.
async fn run_modules_of(world: &mut World, filter: Option<&str>, timeout: Option<Duration>) {
    let state = &world.terraform;
    let own_scratch = state.module_edited || state.path.is_some() || timeout.is_some();
    let request = TestRequest {
        only: filter.map(str::to_string),
        timeout,
        terraform_path: state.path.as_ref().map(|(fakes, _)| fakes.path_alone()),
        scratch: None,
    };
    let (context, modules) = (world.suite.terraform.clone(), state.modules.clone());
    let names: Vec<String> = modules.iter().map(|m| m.name.clone()).collect();
    let run = move || {
        if own_scratch {
            test_modules_in_scratch(&context, &modules, request)
        } else {
            (test_modules(&context, &modules, &request), None)
        }
    };
    let (outcomes, scratch) = blocking("the modules' tests", run)
        .await
        .unwrap_or_else(|_| {
            let panicked = |module| SharedOutcome::new(Err(TerraformError::Panicked { module }));
            (names.into_iter().map(panicked).collect(), None)
        });
    world.terraform.outcomes = outcomes;
    if scratch.is_some() {
        world.terraform.scratch = scratch;
    }
}

#[when("its tests run")]
async fn its_tests_run(world: &mut World) -> Result<(), String> {
    run_modules(world, None, None).await
}

#[when(expr = "the {module} module's tests run")]
async fn the_named_modules_tests_run(world: &mut World, name: ModuleName) -> Result<(), String> {
    world.terraform.modules = vec![Module::in_root(world.root(), &name.0).or_fail()?];
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
    let (modules, environments) = (module_share(world), environment_share(world)?);
    if modules.is_err() && environments.is_none() {
        let shard = world.suite.settings.shard;
        let why = format!("shard {shard} has none of the modules and environments");
        return Err(world.skip(NotApplicable::new(why)));
    }
    world.terraform.modules = modules.unwrap_or_default();
    run_modules_of(world, None, None).await;
    report_runs(world);
    run_environments_of(world, environments.unwrap_or_default()).await
}

#[when("the tests of every environment run")]
async fn the_tests_of_every_environment_run(world: &mut World) -> Result<(), String> {
    check_init(world)?;
    let shard = world.suite.settings.shard;
    let environments = environment_share(world)?
        .ok_or_else(|| world.skip(shard::not_in_shard(shard, RunKind::TerraformEnvironment)))?;
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
    Ok(world
        .suite
        .shard_runs
        .share(RunKind::TerraformEnvironment, environments, |e| {
            e.dir.clone()
        })
        .ok())
}

/// Runs `terraform test` in each of `environments` (each on a copy that keeps its relative
/// module sources and links) and hands the runs to the report.
async fn run_environments_of(
    world: &mut World,
    environments: Vec<TerraformDir>,
) -> Result<(), String> {
    let root = world.root().to_path_buf();
    if environments.is_empty() {
        world.terraform.environments.clear();
        return Ok(());
    }
    let runner = homelab_spec::terraform::TestRunner::new(&world.suite.terraform).or_fail()?;
    let dirs: Vec<String> = environments.iter().map(|e| e.dir.clone()).collect();
    let copy_root = root.clone();
    let run = move || run_environments(&runner, &copy_root, &environments);
    let results = blocking("the environments' tests", run).await?;
    for (dir, result) in dirs.iter().zip(&results) {
        let run = match result {
            Ok(outcome) => outcome.tool_run(),
            Err(e) => not_tested_environment(dir, e),
        };
        world.record(Outcome::ToolRun(run));
        if let Ok(outcome) = result
            && let Ok(environment) = Module::at(dir, &root.join(dir))
        {
            world.record(Outcome::TerraformRuns(
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
        world.record(Outcome::Findings(CheckedFindings {
            check: format!("terraform init checks: {}", check.dir),
            findings: check.failures.iter().chain(&check.notes).cloned().collect(),
            broken_copy: None,
        }));
    }
    world.terraform.init = Some(checks);
    Ok(())
}

pub(super) fn init_checks(world: &World) -> Result<&[InitCheck], String> {
    world
        .terraform
        .init
        .as_deref()
        .ok_or_else(|| "terraform init's checks did not run in an earlier step".to_string())
}

/// An environment whose tests could not run, as a JUnit suite of one failed case.
fn not_tested_environment(dir: &str, e: &EnvironmentError) -> ToolRun {
    let finding = e.findings().into_iter().next().unwrap_or_else(|| {
        Finding::new(run_ids::TEST, dir.to_string(), e.to_string()).about(dir.to_string())
    });
    ToolRun {
        suite: format!("terraform test: {dir}"),
        cases: vec![ToolCase {
            name: "terraform test".into(),
            classname: dir.to_string(),
            time: Duration::ZERO,
            status: CaseStatus::Failed(finding),
        }],
        broken_copy: None,
    }
}

#[when("the module's tests are checked")]
fn the_modules_tests_are_checked(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    world.terraform.findings = check_module(world.root(), &module);
    world.record(Outcome::Findings(CheckedFindings {
        check: format!("static checks of the tests of {}", module.name),
        findings: world.terraform.findings.clone(),
        broken_copy: None,
    }));
    Ok(())
}
