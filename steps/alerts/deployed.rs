//! Steps over every rules file the homelab deploys (found by `homelab_spec::homelab`): the
//! static and catalog checks, a real Prometheus loading them all, and promtool. The plan's
//! numbers are floors here: the count is reported, never pinned.

use cucumber::{given, then, when};
use homelab_spec::alerts::attribution::ids::UNCHECKED;
use homelab_spec::alerts::catalog_fixture::{RemovedMetric, node_exporter_without_a_metric};
use homelab_spec::alerts::engine_version::EngineVersions;
use homelab_spec::alerts::finding::listing;
use homelab_spec::alerts::lint_runs::{checked_findings, counts, lint_deployed};
use homelab_spec::alerts::loaded_rules::{LoadedCounts, serve_deployed};
use homelab_spec::alerts::promtool_each::{PromtoolCounts, check_each};
use homelab_spec::finding::Finding;
use homelab_spec::homelab::growth::{
    ExporterRelease, RepositoryChange, SECOND_RULES_FILE, UNKNOWN_METRIC_ALERT,
};
use homelab_spec::homelab::rules::merged;
use homelab_spec::outcome::Outcome;
use homelab_spec::shard::RunKind;

use super::super::words::{FindingIdWords, NameList};
use super::super::{OrFail, World, blocking};
use super::found_or;

#[then(expr = "the check lists {word} and {word} as not checked, naming what deploys them")]
fn listed_as_not_checked(world: &mut World, first: String, second: String) -> Result<(), String> {
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let listed = |rule: &str| {
        let deployed_by = |f: &&Finding| f.is_note() && f.message.contains("deployed by ");
        let mut notes = report.findings.iter().filter(deployed_by);
        notes.any(|f| f.is(UNCHECKED.as_str(), Some(rule)))
    };
    let missing: Vec<&String> = [&first, &second]
        .into_iter()
        .filter(|r| !listed(r))
        .collect();
    let expected = format!("expected {missing:?} listed as not checked (catalog/unchecked)");
    found_or(missing.is_empty(), expected, &report.findings)
}

#[given("the rules files the homelab deploys")]
fn the_deployed_rules_files(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    match homelab.rules_files.is_empty() {
        true => Err(format!(
            "the homelab deploys no rules file:\n{}",
            homelab.summary()
        )),
        false => Ok(()),
    }
}

#[when("the static and catalog checks run over every deployed rules file")]
fn checks_run_over_every_file(world: &mut World) -> Result<(), String> {
    let attribution = super::deployed_catalogs(world)?;
    let reports = lint_deployed(world.layout.homelab()?, &attribution).or_fail()?;
    for report in &reports {
        say!("{}", counts(report));
        world.record(Outcome::Findings(checked_findings(
            "catalog checks",
            report,
        )));
    }
    // The CPU time of the checks, not wall time, which grows on a busy machine.
    let merged = merged(&reports);
    world.alerts.lint_time = Some(merged.cpu_time);
    world.alerts.report = Some(merged);
    Ok(())
}

#[then(
    expr = "there are at least {int} alerting rules over the deployed files, and the count is reported"
)]
fn at_least_alerting_rules(world: &mut World, floor: usize) -> Result<(), String> {
    let report = world.alerts.report()?;
    let (file, alerting) = (&report.file, report.alerting_rules);
    say!(
        "{alerting} alerting rules in {} groups over {file}",
        report.groups.len()
    );
    match alerting >= floor {
        true => Ok(()),
        false => Err(format!(
            "{file} hold {alerting} alerting rules, at least {floor} expected"
        )),
    }
}

#[then(expr = "the groups include {names}")]
fn the_groups_include(world: &mut World, names: NameList) -> Result<(), String> {
    let report = world.alerts.report()?;
    let groups: Vec<&String> = report.groups.iter().map(|(g, _)| g).collect();
    let missing: Vec<&String> = names
        .0
        .iter()
        .filter(|want| !groups.contains(want))
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => Err(format!(
            "{} lack the groups {missing:?}; found {groups:?}",
            report.file
        )),
    }
}

#[then(
    expr = "the check reports {finding_id} for {word} in the second rules file, at the line of its metric"
)]
fn reports_in_second_file(
    world: &mut World,
    id: FindingIdWords,
    rule: String,
) -> Result<(), String> {
    let (id, line) = (id.0, RepositoryChange::unknown_metric_line());
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let at_line = |f: &&Finding| f.file == SECOND_RULES_FILE && f.line == Some(line);
    let found = report
        .findings
        .iter()
        .filter(at_line)
        .any(|f| f.is(id.as_str(), Some(&rule)));
    let expected = format!("expected a {id} finding for {rule} at {SECOND_RULES_FILE}:{line}");
    found_or(
        found && rule == UNKNOWN_METRIC_ALERT,
        expected,
        &report.findings,
    )
}

#[then(
    expr = "the check reports {finding_id} for {word} about the label {string} in the second rules file"
)]
fn reports_label_in_second_file(
    world: &mut World,
    id: FindingIdWords,
    rule: String,
    label: String,
) -> Result<(), String> {
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let about = |f: &&Finding| f.file == SECOND_RULES_FILE && f.found.as_deref() == Some(&label);
    let found = report
        .findings
        .iter()
        .filter(about)
        .any(|f| f.is(id.0.as_str(), Some(&rule)));
    let expected = format!(
        "expected a {} finding for {rule} about the label {label} in {SECOND_RULES_FILE}",
        id.0
    );
    found_or(found, expected, &report.findings)
}

#[given("a Prometheus server started on this machine with every rules file the homelab deploys")]
async fn a_server_with_every_file(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    // One run that loads every file together: assigned to a shard by the list it loads.
    let loads: Vec<&str> = homelab
        .rules_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    world.shard_share(
        RunKind::PrometheusLoad,
        vec![loads.join(" + ")],
        String::clone,
    )?;
    // Which engine checks the rules, next to the Prometheus the homelab deploys.
    say!("{}", EngineVersions::of(&homelab).header());
    let served = blocking("starting prometheus", move || serve_deployed(&homelab)).await?;
    let served = served.or_fail()?;
    world.alerts.rendered = Some(served.rendered);
    world.alerts.server = Some(served.server);
    Ok(())
}

#[then(
    expr = "it reports at least {int} alerting rules, as many as the deployed files hold, in as many groups"
)]
fn it_reports_what_the_files_hold(world: &mut World, floor: usize) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    let n = LoadedCounts::of(world.alerts.loaded()?, &homelab);
    say!(
        "Prometheus reports {} alerting rules in {} groups from {} files",
        n.alerting,
        n.groups,
        n.files
    );
    match n.agree(floor) {
        true => Ok(()),
        false => Err(format!(
            "Prometheus reports {} alerting rules in {} groups; the deployed files hold {} in {}, at least {floor} expected",
            n.alerting, n.groups, n.held_alerting, n.held_groups
        )),
    }
}

#[when("promtool checks every rules file the homelab deploys")]
async fn promtool_checks_every_file(world: &mut World) -> Result<(), String> {
    let mut homelab = world.layout.homelab()?.clone();
    // This shard's share of the files (`SPEC_SHARD`); the rest is another shard's.
    let files = std::mem::take(&mut homelab.rules_files);
    homelab.rules_files = world.shard_share(RunKind::PromtoolCheck, files, |f| f.path.clone())?;
    let engine = EngineVersions::of(&homelab);
    let checked = blocking("promtool", move || check_each(&homelab))
        .await?
        .or_fail()?;
    say!("{}", engine.header());
    for run in checked.tool_runs(&engine) {
        world.record(Outcome::ToolRun(run));
    }
    world.alerts.promtool_checks = checked.checks;
    world.alerts.rendered = Some(checked.rendered);
    Ok(())
}

#[then("promtool finds as many rules as the deployed files hold, and no error")]
fn promtool_agrees(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    let checks = world.alerts.promtool_checks()?;
    let n = PromtoolCounts::of(checks, &homelab);
    say!("promtool finds {} rules in {} files", n.found, checks.len());
    match n.agree() {
        true => Ok(()),
        false => Err(format!(
            "promtool finds {} rules, the deployed files hold {}; refused:\n{}",
            n.found,
            n.held,
            n.refused.join("\n")
        )),
    }
}

#[given(
    "a copy of the repository in which the monitoring stack runs a node-exporter release that no longer has a metric an alert uses"
)]
fn a_release_without_an_alert_metric(world: &mut World) -> Result<(), String> {
    let fixture = node_exporter_without_a_metric().or_fail()?;
    let RemovedMetric {
        release,
        metric,
        gone_in,
    } = fixture.removed;
    say!("node-exporter {release} no longer has {metric} (gone in {gone_in})");
    world.change(ExporterRelease { release, metric })?;
    world.alerts.catalogs = Some(fixture.library);
    world.alerts.catalogs_dir = fixture.scratch;
    world.alerts.removed_release = Some(format!("node-exporter {gone_in}"));
    Ok(())
}

#[then(expr = "the check reports {finding_id} for {word}, naming the release it left")]
fn reports_the_release(world: &mut World, id: FindingIdWords, rule: String) -> Result<(), String> {
    let release = world.alerts.removed_release.clone();
    let release = release.ok_or("no earlier step deployed a release")?;
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let naming = |f: &&Finding| f.found.as_deref() == Some(release.as_str()) && f.line.is_some();
    let found = report
        .findings
        .iter()
        .filter(naming)
        .any(|f| f.is(id.0.as_str(), Some(&rule)));
    let expected = format!("expected a {} finding for {rule} naming {release}", id.0);
    found_or(found, expected, &report.findings)
}
