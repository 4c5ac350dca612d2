//! The steps on what `terraform init` would refuse, and on the tests of every module and
//! environment together.

use cucumber::then;
use homelab_spec::finding::{Finding, listing};
use homelab_spec::terraform::init_check::InitCheck;
use homelab_spec::terraform::module::{MODULE_NAMES, REGRESSION_FILE};

use super::super::World;
use super::findings_of;
use super::runs::init_checks;

fn init_failures(checks: &[InitCheck]) -> Vec<Finding> {
    checks.iter().flat_map(|c| c.failures.clone()).collect()
}

#[then("terraform init accepts every module and environment that has tests")]
fn terraform_init_accepts_everything(world: &mut World) -> Result<(), String> {
    let checks = init_checks(world)?;
    let failures = init_failures(checks);
    let refused = checks.iter().filter(|c| !c.failures.is_empty()).count();
    say!(
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
    say!(
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
    say!(
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
