//! Steps of `features/suppressions.feature`: a finding accepted on purpose by a
//! `homelab-spec: ignore <id> -- <reason>` comment (`homelab_spec::suppression`), written on
//! a copy of the repository, never in the repository under test.

use cucumber::{Parameter, then, when};
use homelab_spec::finding::{Finding, listing};
use homelab_spec::outcome::{CheckedFindings, Outcome};
use homelab_spec::report::collected::tool_runs_of;
use homelab_spec::report::junit::test_suites;
use homelab_spec::suppression::{Placement, Suppressions, write_comment};
use quick_junit::TestCaseStatus;

use super::{OrFail, World};

/// Where a scenario writes its suppression comment.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "placement", regex = "on its line|on the line above it")]
pub struct Where(Placement);

impl std::str::FromStr for Where {
    type Err = String;
    fn from_str(text: &str) -> Result<Where, String> {
        match text {
            "on its line" => Ok(Where(Placement::OnTheLine)),
            "on the line above it" => Ok(Where(Placement::Above)),
            other => Err(format!("no placement {other:?}")),
        }
    }
}

/// The finding the checks reported with `id` about `subject`.
fn finding(world: &World, id: &str, subject: &str) -> Result<Finding, String> {
    let report = world.alerts.report()?;
    report
        .findings
        .iter()
        .find(|f| f.is(id, Some(subject)))
        .cloned()
        .ok_or_else(|| {
            format!(
                "expected a {id} finding about {subject}, found:\n{}",
                listing(&report.findings)
            )
        })
}

/// Writes the comment for the finding into the scenario's copy, and makes discovery read
/// the copy again.
fn suppress(
    world: &mut World,
    id: &str,
    subject: &str,
    placement: Placement,
    reason: Option<&str>,
) -> Result<(), String> {
    let root = world.root().to_path_buf();
    if root == world.checkout().path() {
        return Err("a suppression is written on a copy of the repository only".into());
    }
    let found = finding(world, id, subject)?;
    let line = found
        .line
        .ok_or_else(|| format!("the finding has no line: {found}"))?;
    write_comment(&root.join(&found.file), line, placement, &[id], reason).or_fail()?;
    world.layout.rediscover();
    Ok(())
}

#[when(expr = "the {string} finding for {word} is suppressed {placement} with the reason {string}")]
fn suppressed_with_a_reason(
    world: &mut World,
    id: String,
    subject: String,
    placement: Where,
    reason: String,
) -> Result<(), String> {
    suppress(world, &id, &subject, placement.0, Some(&reason))
}

#[when(expr = "the {string} finding for {word} is suppressed {placement} without a reason")]
fn suppressed_without_a_reason(
    world: &mut World,
    id: String,
    subject: String,
    placement: Where,
) -> Result<(), String> {
    suppress(world, &id, &subject, placement.0, None)
}

#[then(expr = "the JUnit report lists the {string} finding for {word} as skipped, {string}")]
fn listed_as_skipped(
    world: &mut World,
    id: String,
    subject: String,
    message: String,
) -> Result<(), String> {
    let name = format!("{subject} [{id}]");
    let suites = test_suites(&tool_runs_of(world.reported_outcomes()?));
    let skipped: Vec<String> = suites
        .iter()
        .flat_map(|suite| &suite.test_cases)
        .filter(|case| case.name.as_str() == name)
        .filter_map(|case| match &case.status {
            TestCaseStatus::Skipped { message, .. } => {
                Some(message.as_ref().map(|m| m.to_string()).unwrap_or_default())
            }
            _ => None,
        })
        .collect();
    if skipped.iter().any(|m| m.starts_with(&message)) {
        Ok(())
    } else {
        Err(format!(
            "expected the case {name:?} skipped with a message starting {message:?}, found {skipped:?}"
        ))
    }
}

#[then(expr = "the {string} finding for {word} still fails the scenario")]
fn still_fails(world: &mut World, id: String, subject: String) -> Result<(), String> {
    let findings = world.alerts.report()?.findings.clone();
    let failures = world.failures(&findings)?;
    if failures.iter().any(|f| f.is(&id, Some(&subject))) {
        Ok(())
    } else {
        Err(format!(
            "expected {id} about {subject} among the failures, found:\n{}",
            listing(&failures)
        ))
    }
}

#[then(expr = "the suppression is refused with {string}")]
fn refused_with(world: &mut World, id: String) -> Result<(), String> {
    let findings = world.alerts.report()?.findings.clone();
    let failures = world.failures(&findings)?;
    if failures.iter().any(|f| f.is(&id, None) && f.line.is_some()) {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding at the comment's line, found:\n{}",
            listing(&failures)
        ))
    }
}

/// The suppression comments of the scenario's repository that cannot apply, reported.
fn checked(world: &mut World) -> Result<Vec<Finding>, String> {
    let findings = Suppressions::read(world.root())
        .or_fail()?
        .check(homelab_spec::checks::is_registered);
    world.record(Outcome::Findings(CheckedFindings {
        check: "suppression comments".to_string(),
        findings: findings.clone(),
        broken_copy: None,
    }));
    Ok(findings)
}

#[then(expr = "the suppression check reports {string} in {string}")]
fn suppression_check_reports(world: &mut World, id: String, file: String) -> Result<(), String> {
    let findings = checked(world)?;
    if findings
        .iter()
        .any(|f| f.is(&id, None) && f.file == file && f.line.is_some())
    {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding in {file}, found:\n{}",
            listing(&findings)
        ))
    }
}

#[then("every suppression comment names a known check and gives a reason")]
fn every_suppression_is_sound(world: &mut World) -> Result<(), String> {
    let findings = checked(world)?;
    if findings.is_empty() {
        Ok(())
    } else {
        Err(listing(&findings))
    }
}
