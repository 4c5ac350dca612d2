//! Steps over every rules file the homelab deploys (found by `homelab_spec::homelab`): the
//! static and catalog checks, a real Prometheus loading them all, and promtool. The plan's
//! numbers are floors here: the count is reported, never pinned.

use cucumber::{given, then, when};
use homelab_spec::alerts::attribution::ids::UNCHECKED;
use homelab_spec::alerts::catalog_fixture::node_exporter_without_a_metric;
use homelab_spec::alerts::deployed_rules::merged;
use homelab_spec::alerts::engine_version::EngineVersions;
use homelab_spec::alerts::lint_runs::{checked_findings, counts, lint_deployed};
use homelab_spec::alerts::loaded_rules::{LoadedCounts, load_key, serve_deployed};
use homelab_spec::alerts::promtool_each::{PromtoolCounts, check_each};
use homelab_spec::finding::Finding;
use homelab_spec::homelab::growth::{
    ExporterRelease, RepositoryChange, SECOND_RULES_FILE, UNKNOWN_METRIC_ALERT,
};
use homelab_spec::outcome::Outcome;
use homelab_spec::shard::RunKind;

use super::super::expect::{found_or, has, pass_if};
use super::super::words::{FindingIdWords, NameList};
use super::super::{OrFail, World};

#[then(expr = "the check lists {word} and {word} as not checked, naming what deploys them")]
fn listed_as_not_checked(world: &mut World, first: String, second: String) -> Result<(), String> {
    let report = world.alerts.report_said()?;
    let deployed_by = |f: &Finding| f.is_note() && f.message.contains("deployed by ");
    let listed = |rule: &&String| has(&report.findings, UNCHECKED.as_str(), rule, deployed_by);
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
    let message = || format!("the homelab deploys no rules file:\n{}", homelab.summary());
    pass_if(!homelab.rules_files.is_empty(), message)
}

#[when("the static and catalog checks run over every deployed rules file")]
fn checks_run_over_every_file(world: &mut World) -> Result<(), String> {
    let attribution = super::deployed_catalogs(world)?;
    let (homelab, deployed) = world.layout.homelab_with_rules()?;
    let reports = lint_deployed(homelab, deployed, &attribution);
    for report in &reports {
        say!("{}", counts(report));
        let checked = checked_findings("catalog checks", report);
        world.record(Outcome::Findings(checked));
    }
    // The CPU time of the checks, not wall time, which grows on a busy machine.
    let merged = merged(&reports);
    (world.alerts.lint_time, world.alerts.report) = (Some(merged.cpu_time), Some(merged));
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
    let message = || format!("{file} hold {alerting} alerting rules, at least {floor} expected");
    pass_if(alerting >= floor, message)
}

#[then(expr = "the groups include {names}")]
fn the_groups_include(world: &mut World, names: NameList) -> Result<(), String> {
    let report = world.alerts.report()?;
    let groups: Vec<&str> = report.groups.iter().map(|(g, _)| g.as_str()).collect();
    let missing = names.missing_from(&groups);
    let message = || {
        format!(
            "{} lack the groups {missing:?}; found {groups:?}",
            report.file
        )
    };
    pass_if(missing.is_empty(), message)
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
    let report = world.alerts.report_said()?;
    let at_line = |f: &Finding| f.file == SECOND_RULES_FILE && f.line == Some(line);
    let found = has(&report.findings, id.as_str(), &rule, at_line) && rule == UNKNOWN_METRIC_ALERT;
    let expected = format!("expected a {id} finding for {rule} at {SECOND_RULES_FILE}:{line}");
    found_or(found, expected, &report.findings)
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
    let (id, report) = (id.0, world.alerts.report_said()?);
    let about = |f: &Finding| f.file == SECOND_RULES_FILE && f.found.as_deref() == Some(&*label);
    let found = has(&report.findings, id.as_str(), &rule, about);
    let expected = format!(
        "expected a {id} finding for {rule} about the label {label} in {SECOND_RULES_FILE}"
    );
    found_or(found, expected, &report.findings)
}

#[given("a Prometheus server started on this machine with every rules file the homelab deploys")]
async fn a_server_with_every_file(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    // One run that loads every file together: assigned to a shard by the list it loads.
    let key = vec![load_key(&homelab)];
    world.shard_share(RunKind::PrometheusLoad, key, String::clone)?;
    // Which engine checks the rules, next to the Prometheus the homelab deploys.
    let engine = EngineVersions::of(&world.suite.tools, &homelab);
    say!("{}", engine.header());
    let served = world.with_tools("starting prometheus", move |t| serve_deployed(t, &homelab));
    let served = served.await?.or_fail()?;
    (world.alerts.rendered, world.alerts.server) = (Some(served.rendered), Some(served.server));
    Ok(())
}

#[then(
    expr = "it reports at least {int} alerting rules, as many as the deployed files hold, in as many groups"
)]
fn it_reports_what_the_files_hold(world: &mut World, floor: usize) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    let counts = LoadedCounts::of(world.alerts.loaded()?, &homelab);
    say!("Prometheus reports {counts}");
    counts.disagreement(floor).map_or(Ok(()), Err)
}

#[when("promtool checks every rules file the homelab deploys")]
async fn promtool_checks_every_file(world: &mut World) -> Result<(), String> {
    let mut homelab = world.layout.homelab()?.clone();
    // This shard's share of the files (`SPEC_SHARD`); the rest is another shard's.
    let files = std::mem::take(&mut homelab.rules_files);
    homelab.rules_files = world.shard_share(RunKind::PromtoolCheck, files, |f| f.path.clone())?;
    let engine = EngineVersions::of(&world.suite.tools, &homelab);
    let checked = world.with_tools("promtool", move |tools| check_each(tools, &homelab));
    let checked = checked.await?.or_fail()?;
    say!("{}", engine.header());
    let runs = checked.tool_runs(&engine).into_iter();
    runs.for_each(|run| world.record(Outcome::ToolRun(run)));
    (world.alerts.promtool_checks, world.alerts.rendered) =
        (checked.checks, Some(checked.rendered));
    Ok(())
}

#[then("promtool finds as many rules as the deployed files hold, and no error")]
fn promtool_agrees(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    let counts = PromtoolCounts::of(world.alerts.promtool_checks()?, &homelab);
    say!("promtool finds {counts}");
    counts.disagreement().map_or(Ok(()), Err)
}

#[given(
    "a copy of the repository in which the monitoring stack runs a node-exporter release that no longer has a metric an alert uses"
)]
fn a_release_without_an_alert_metric(world: &mut World) -> Result<(), String> {
    let fixture = node_exporter_without_a_metric().or_fail()?;
    let removed = fixture.removed;
    say!("{removed}");
    world.alerts.removed_release = Some(format!("node-exporter {}", removed.gone_in));
    let (release, metric) = (removed.release, removed.metric);
    world.change(ExporterRelease { release, metric })?;
    (world.alerts.catalogs, world.alerts.catalogs_dir) = (Some(fixture.library), fixture.scratch);
    Ok(())
}

#[then(expr = "the check reports {finding_id} for {word}, naming the release it left")]
fn reports_the_release(world: &mut World, id: FindingIdWords, rule: String) -> Result<(), String> {
    let release = world.alerts.removed_release.clone();
    let release = release.ok_or("no earlier step deployed a release")?;
    let (id, report) = (id.0, world.alerts.report_said()?);
    let naming = |f: &Finding| f.found.as_deref() == Some(&*release) && f.line.is_some();
    let found = has(&report.findings, id.as_str(), &rule, naming);
    let expected = format!("expected a {id} finding for {rule} naming {release}");
    found_or(found, expected, &report.findings)
}
