//! The steps on what `terraform init` would refuse, and on the tests of every module and
//! environment together.

use cucumber::then;
use homelab_spec::finding::expected_finding;
use homelab_spec::terraform::init_check;
use homelab_spec::terraform::verdicts::RegressionRunsBeyondPlan;

use super::super::World;
use super::super::expect::{names_each, none_of};
use super::runs::init_checks;

#[then("terraform init accepts every module and environment that has tests")]
fn terraform_init_accepts_everything(world: &mut World) -> Result<(), String> {
    let checks = init_checks(world)?;
    let failures = init_check::failures(checks);
    let refused = checks.iter().filter(|c| !c.failures.is_empty()).count();
    let (accepted, of) = (checks.len() - refused, checks.len());
    say!("terraform init accepts {accepted} of {of} modules and environments with tests");
    none_of(&failures)
}

#[then(expr = "terraform init's checks report {string} about {string} in {string}")]
fn init_reports(
    world: &mut World,
    id: String,
    subject: String,
    file: String,
) -> Result<(), String> {
    let failures = init_check::failures(init_checks(world)?);
    expected_finding(&failures, &id, Some(&subject), Some(&file)).map(|_| ())
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
    let failures = init_check::failures(init_checks(world)?);
    let found = expected_finding(&failures, &id, Some(&subject), Some(&file))?;
    names_each(found, &[&first, &second])
}

#[then("the tests pass in every module and every environment that has tests")]
fn the_tests_pass_everywhere(world: &mut World) -> Result<(), String> {
    let tests = world.terraform.tests_everywhere()?;
    say!("{}", tests.summary());
    let failures = world.failures(&tests.findings)?;
    tests.verdict(&failures)
}

#[then(expr = "every module the plan does not name has at least {int} regression run(s)")]
fn other_modules_have_regression_runs(world: &mut World, at_least: usize) -> Result<(), String> {
    let state = &world.terraform;
    let found = RegressionRunsBeyondPlan::of(&state.modules, &state.outcomes, at_least);
    let checked = found.checked.join(", ");
    let checked = if checked.is_empty() { "none" } else { &checked };
    say!("modules beyond the plan's five: {checked}");
    found.verdict()
}
