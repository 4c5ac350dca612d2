//! The steps on the static rules of the modules' tests: a regression file per module, runs
//! that only plan, assert and name their release, mocked providers.

use cucumber::then;
use homelab_spec::finding::{Finding, FindingId, expected_finding, listing};
use homelab_spec::terraform::static_checks::ids;
use homelab_spec::terraform::verdicts::unguarded_run_is_named;
use homelab_spec::terraform::{Module, check_module, modules_without_regression_file};

use super::super::World;
use super::super::expect::pass_if;

// ---- Then: static rules over the five modules ----

#[then("every module has a regression test file")]
fn every_module_has_a_regression_file(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    let missing = modules_without_regression_file(homelab);
    let of = homelab.modules.len();
    let have = of - missing.len();
    say!("{have} of {of} modules have a regression test file");
    let message = || {
        format!(
            "{have} of {of} modules have a regression test file:\n{}",
            listing(&missing)
        )
    };
    pass_if(missing.is_empty(), message)
}

#[then(expr = "the check finds that the module {word} has no regression test file")]
fn finds_no_regression_file(world: &mut World, module: String) -> Result<(), String> {
    let missing = modules_without_regression_file(world.layout.homelab()?);
    expected_finding(
        &missing,
        ids::NO_REGRESSION_FILE.as_str(),
        Some(&module),
        None,
    )
    .map(|_| ())
}

/// Fails stating `rule` with every finding of `check` over the scenario's modules.
fn no_findings_of(world: &World, check: FindingId, rule: &str) -> Result<(), String> {
    let modules = world.terraform.modules.iter();
    let findings = modules.flat_map(|module| check_module(world.root(), module));
    let found: Vec<Finding> = findings.filter(|f| f.id == check).collect();
    pass_if(found.is_empty(), || {
        format!("{rule}, but:\n{}", listing(&found))
    })
}

#[then("every regression run only plans")]
fn every_regression_run_only_plans(world: &mut World) -> Result<(), String> {
    let rule = "every regression run must use command = plan";
    no_findings_of(world, ids::PLAN_ONLY, rule)
}

#[then("every regression run has at least one assertion")]
fn every_regression_run_asserts(world: &mut World) -> Result<(), String> {
    let rule = "every regression run must have an assert block";
    no_findings_of(world, ids::ASSERT, rule)
}

#[then("every regression run has a comment just above it naming the release whose fix it protects")]
fn every_regression_run_names_its_release(world: &mut World) -> Result<(), String> {
    let rule =
        "every regression run must have a \"# Regression vX.Y.Z: ...\" comment just above it";
    no_findings_of(world, ids::RELEASE_COMMENT, rule)
}

#[then("every test file mocks each provider its module requires")]
fn every_test_file_mocks_its_providers(world: &mut World) -> Result<(), String> {
    let rule = "every test file must declare a mock_provider for each required provider";
    no_findings_of(world, ids::MOCK_PROVIDER, rule)
}

// ---- Then: findings on broken copies ----

/// The finding of `check` about `subject` among the findings of the scenario's module.
fn module_finding(
    world: &World,
    check: FindingId,
    subject: Option<&str>,
) -> Result<Finding, String> {
    expected_finding(&world.terraform.findings, check.as_str(), subject, None).cloned()
}

/// The path of `file` of the scenario's module, relative to the repository.
fn module_file(world: &World, file: &str) -> Result<String, String> {
    let module = world.terraform.module()?;
    Ok(format!("{}/{file}", module.path_in_repo(world.root())))
}

/// The file a finding names, relative to its module.
fn in_module(finding: &Finding, module: &Module, root: &std::path::Path) -> bool {
    let dir = format!("{}/", module.path_in_repo(root));
    finding.file == dir || finding.file.starts_with(&dir)
}

#[then("the check finds that the module has no tests directory")]
fn finds_no_tests(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?;
    let finding = module_finding(world, ids::NO_TESTS, Some(&module.name))?;
    let message = || format!("the finding does not name the module's directory: {finding}");
    pass_if(in_module(&finding, module, world.root()), message)
}

#[then(expr = "the check finds that {string} is not valid HCL, with its line")]
fn finds_a_parse_error(world: &mut World, file: String) -> Result<(), String> {
    let finding = module_finding(world, ids::PARSE, None)?;
    let expected = module_file(world, &file)?;
    let message = || format!("expected a parse finding for {expected} with a line, got: {finding}");
    pass_if(finding.file == expected && finding.line.is_some(), message)
}

#[then(expr = "the check finds that {string} does not mock the provider {string}")]
fn finds_a_missing_mock(world: &mut World, file: String, provider: String) -> Result<(), String> {
    let finding = module_finding(world, ids::MOCK_PROVIDER, Some(&provider))?;
    let expected = module_file(world, &file)?;
    let message =
        || format!("expected {expected} to be reported for provider {provider}, got: {finding}");
    pass_if(finding.file == expected, message)
}

#[then("the check names the file, line and run that applies, asserts nothing and names no release")]
fn finds_the_unguarded_run(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?;
    unguarded_run_is_named(&world.terraform.findings, module, world.root())
}
