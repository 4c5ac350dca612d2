//! Steps of `features/suppressions.feature`: a finding accepted on purpose by a
//! `homelab-spec: ignore <id> -- <reason>` comment (`homelab_spec::suppression`), written on
//! a copy of the repository, never in the repository under test.

use cucumber::{then, when};
use homelab_spec::finding::{Finding, FindingId, expected_finding};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{CheckedFindings, Outcome};
use homelab_spec::report::collected::tool_runs_of;
use homelab_spec::report::junit::skipped_messages;
use homelab_spec::suppression::{Placement, Suppressions, failures_in, write_comment};
use homelab_spec::terraform::runner::ids::RUN_FAILED;

use super::expect::{found_or, none_of, pass_if};
use super::words::{FindingIdWords, Where};
use super::{OrFail, World};

/// The finding the checks reported with `id` about `subject`.
fn reported(world: &World, id: FindingId, subject: &str) -> Result<Finding, String> {
    let findings = &world.alerts.report()?.findings;
    expected_finding(findings, id.as_str(), Some(subject), None).cloned()
}

/// Writes the comment for the finding into the scenario's copy, and makes discovery read
/// the copy again.
fn suppress(
    world: &mut World,
    id: FindingIdWords,
    subject: &str,
    placement: Placement,
    reason: Option<&str>,
) -> Result<(), String> {
    let found = reported(world, id.0, subject)?;
    write_suppression(world, &found, placement, reason)
}

/// Writes the comment for `found` into the scenario's copy, and makes discovery read the
/// copy again.
fn write_suppression(
    world: &mut World,
    found: &Finding,
    placement: Placement,
    reason: Option<&str>,
) -> Result<(), String> {
    let root = world.root().to_path_buf();
    if root == world.checkout().path() {
        return Err("a suppression is written on a copy of the repository only".into());
    }
    let line = found
        .line
        .ok_or_else(|| format!("the finding has no line: {found}"))?;
    let ids = [found.id.as_str()];
    write_comment(&root.join(&found.file), line, placement, &ids, reason).or_fail()?;
    world.layout.rediscover();
    Ok(())
}

/// The finding of the run that guards the default an earlier step changed, which must
/// have failed.
fn guarding_run_failed(world: &World) -> Result<Finding, String> {
    let chosen = world.terraform.guarding_run.as_deref();
    let run = chosen.ok_or("no earlier step chose a guarded default")?;
    let path = world.terraform.module_path(world.root())?;
    let findings = world.terraform.ran()?.findings_at(&path);
    expected_finding(&findings, RUN_FAILED.as_str(), Some(run), None).cloned()
}

#[when(expr = "the run that guards it is suppressed {placement} with the reason {string}")]
fn guarding_run_suppressed(
    world: &mut World,
    placement: Where,
    reason: String,
) -> Result<(), String> {
    let found = guarding_run_failed(world)?;
    write_suppression(world, &found, placement.0, Some(&reason))
}

#[then("the run that guards it fails the scenario")]
fn guarding_run_fails(world: &mut World) -> Result<(), String> {
    let found = guarding_run_failed(world)?;
    not_suppressed_by_the_homelab(world, &found)?;
    let fails = !world.failures(std::slice::from_ref(&found))?.is_empty();
    let expected = "expected the run that guards the changed default to fail the scenario";
    found_or(fails, expected.to_string(), std::slice::from_ref(&found))
}

/// Ends the scenario as not applicable when the homelab itself suppresses the failure
/// `found`: it then has no run without a suppression to show.
fn not_suppressed_by_the_homelab(world: &mut World, found: &Finding) -> Result<(), String> {
    let checkout = world.checkout().path().to_path_buf();
    let failures = failures_in(&checkout, false, std::slice::from_ref(found)).or_fail()?;
    if !failures.is_empty() {
        return Ok(());
    }
    let why = format!(
        "the homelab itself suppresses the failure of {}",
        found.subject()
    );
    Err(world.skip(NotApplicable::new(why)))
}

#[when(
    expr = "the {finding_id} finding for {word} is suppressed {placement} with the reason {string}"
)]
fn suppressed_with_a_reason(
    world: &mut World,
    id: FindingIdWords,
    subject: String,
    placement: Where,
    reason: String,
) -> Result<(), String> {
    suppress(world, id, &subject, placement.0, Some(&reason))
}

#[when(expr = "the {finding_id} finding for {word} is suppressed {placement} without a reason")]
fn suppressed_without_a_reason(
    world: &mut World,
    id: FindingIdWords,
    subject: String,
    placement: Where,
) -> Result<(), String> {
    suppress(world, id, &subject, placement.0, None)
}

#[then(expr = "the JUnit report lists the {finding_id} finding for {word} as skipped, {string}")]
fn listed_as_skipped(
    world: &mut World,
    id: FindingIdWords,
    subject: String,
    message: String,
) -> Result<(), String> {
    let name = format!("{subject} [{}]", id.0);
    let skipped = skipped_messages(&tool_runs_of(world.reported_outcomes()?), &name);
    let found = skipped.iter().any(|m| m.starts_with(&message));
    let expected = || format!("expected {name:?} skipped with \"{message}...\", found {skipped:?}");
    pass_if(found, expected)
}

#[then(expr = "the {finding_id} finding for {word} still fails the scenario")]
fn still_fails(world: &mut World, id: FindingIdWords, subject: String) -> Result<(), String> {
    let findings = world.alerts.report()?.findings.clone();
    let failures = world.failures(&findings)?;
    let found = failures.iter().any(|f| f.is(id.0.as_str(), Some(&subject)));
    let expected = format!("expected {} about {subject} among the failures", id.0);
    found_or(found, expected, &failures)
}

#[then(expr = "the suppression is refused with {finding_id}")]
fn refused_with(world: &mut World, id: FindingIdWords) -> Result<(), String> {
    let findings = world.alerts.report()?.findings.clone();
    let failures = world.failures(&findings)?;
    let found = failures
        .iter()
        .any(|f| f.is(id.0.as_str(), None) && f.line.is_some());
    let expected = format!("expected a {} finding at the comment's line", id.0);
    found_or(found, expected, &failures)
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

#[then(expr = "the suppression check reports {finding_id} in {string}")]
fn suppression_check_reports(
    world: &mut World,
    id: FindingIdWords,
    file: String,
) -> Result<(), String> {
    // A finding at the comment's line: the comment is named, not just its file.
    let at_a_line: Vec<Finding> = checked(world)?
        .into_iter()
        .filter(|f| f.line.is_some())
        .collect();
    expected_finding(&at_a_line, id.0.as_str(), None, Some(&file)).map(|_| ())
}

#[then("every suppression comment names a known check and gives a reason")]
fn every_suppression_is_sound(world: &mut World) -> Result<(), String> {
    none_of(&checked(world)?)
}
