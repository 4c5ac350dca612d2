//! The steps on the static rules of the modules' tests: a regression file per module, runs
//! that only plan, assert and name their release, mocked providers.

use cucumber::then;
use homelab_spec::finding::{Finding, listing};
use homelab_spec::terraform::broken_copy::UNGUARDED_RUN;
use homelab_spec::terraform::module::REGRESSION_FILE;
use homelab_spec::terraform::static_checks::ids;
use homelab_spec::terraform::{Module, TestFile, check_module, modules_without_regression_file};

use super::super::World;

// ---- Then: static rules over the five modules ----

#[then("every module has a regression test file")]
fn every_module_has_a_regression_file(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    let missing = modules_without_regression_file(homelab);
    let of = homelab.modules.len();
    let have = of - missing.len();
    say!("{have} of {of} modules have a regression test file");
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
    let missing = modules_without_regression_file(world.layout.homelab()?);
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
        .flat_map(|module| check_module(world.root(), module))
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
fn in_module(finding: &Finding, module: &Module, root: &std::path::Path) -> bool {
    let dir = format!("{}/", module.path_in_repo(root));
    finding.file == dir || finding.file.starts_with(&dir)
}

#[then("the check finds that the module has no tests directory")]
fn finds_no_tests(world: &mut World) -> Result<(), String> {
    let module = world.terraform.module()?.clone();
    let finding = finding_of(world, ids::NO_TESTS, Some(&module.name))?;
    if in_module(&finding, &module, world.root()) {
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
    let expected = format!("{}/{file}", module.path_in_repo(world.root()));
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
    let expected = format!("{}/{file}", module.path_in_repo(world.root()));
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
    let expected_file = format!("{}/{REGRESSION_FILE}", module.path_in_repo(world.root()));
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
