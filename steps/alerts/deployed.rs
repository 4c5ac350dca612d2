//! Steps over every rules file the homelab deploys (found by `homelab_spec::homelab`): the
//! static and catalog checks, a real Prometheus loading them all, and promtool. The plan's
//! numbers are floors here: the count is reported, never pinned.

use std::time::Duration;

use cucumber::{given, then, when};
use homelab_spec::alerts::Depth;
use homelab_spec::alerts::finding::listing;
use homelab_spec::alerts::promtool;
use homelab_spec::alerts::server::PrometheusServer;
use std::sync::Arc;

use homelab_spec::alerts::catalog_versions::CatalogLibrary;
use homelab_spec::alerts::deployed_rules::{DeployedRules, merged, published_metrics};
use homelab_spec::alerts::engine_version::EngineVersions;
use homelab_spec::homelab::growth::{
    ExporterRelease, RepositoryChange, SECOND_RULES_FILE, UNKNOWN_METRIC_ALERT,
};
use homelab_spec::outcome::{CheckedFindings, Outcome};

use homelab_spec::shard::RunKind;

use super::super::{OrFail, World};

#[then(regex = r"^the check lists (\w+) and (\w+) as not checked, naming what deploys them$")]
fn listed_as_not_checked(world: &mut World, first: String, second: String) -> Result<(), String> {
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let missing: Vec<&String> = [&first, &second]
        .into_iter()
        .filter(|rule| {
            !report.findings.iter().any(|f| {
                f.is("catalog/unchecked", Some(rule.as_str()))
                    && f.message.contains("deployed by ")
                    && super::is_note(f)
            })
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "expected {missing:?} listed as not checked (catalog/unchecked), found:\n{}",
            listing(&report.findings)
        ))
    }
}

#[given("the rules files the homelab deploys")]
fn the_deployed_rules_files(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    if homelab.rules_files.is_empty() {
        return Err(format!(
            "the homelab deploys no rules file:\n{}",
            homelab.summary()
        ));
    }
    Ok(())
}

#[when("the static and catalog checks run over every deployed rules file")]
fn checks_run_over_every_file(world: &mut World) -> Result<(), String> {
    let attribution = super::deployed_catalogs(world)?;
    let homelab = world.layout.homelab()?;
    // Metrics the homelab's own scripts write count as published (`textfile/undeclared`
    // when the contract lacks them).
    let published = published_metrics(homelab).or_fail()?;
    let reports = DeployedRules::read(homelab).lint(Depth::Deployed(&attribution, &published));
    // The CPU time of the checks, not wall time, which grows on a busy machine.
    let took = reports.iter().map(|r| r.cpu_time).sum();
    for report in &reports {
        say!(
            "{}: {} alerting rules, {} recording rules, {} findings",
            report.file,
            report.alerting_rules,
            report.recording_rules,
            report.findings.len()
        );
    }
    for report in &reports {
        world.record(Outcome::Findings(CheckedFindings {
            check: format!("catalog checks: {}", report.file),
            findings: report.findings.clone(),
            broken_copy: None,
        }));
    }
    world.alerts.lint_time = Some(took);
    world.alerts.report = Some(merged(&reports));
    Ok(())
}

#[then(
    regex = r"^there are at least (\d+) alerting rules over the deployed files, and the count is reported$"
)]
fn at_least_alerting_rules(world: &mut World, floor: usize) -> Result<(), String> {
    let report = world.alerts.report()?;
    say!(
        "{} alerting rules in {} groups over {}",
        report.alerting_rules,
        report.groups.len(),
        report.file
    );
    if report.alerting_rules >= floor {
        Ok(())
    } else {
        Err(format!(
            "{} hold {} alerting rules, at least {floor} expected",
            report.file, report.alerting_rules
        ))
    }
}

#[then(regex = r"^the groups include (.+)$")]
fn the_groups_include(world: &mut World, names: String) -> Result<(), String> {
    let report = world.alerts.report()?;
    let missing: Vec<String> = names
        .replace(" and ", ", ")
        .split(", ")
        .map(|s| s.trim().to_string())
        .filter(|want| !report.groups.iter().any(|(g, _)| g == want))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} lack the groups {missing:?}; found {:?}",
            report.file,
            report.groups.iter().map(|(g, _)| g).collect::<Vec<_>>()
        ))
    }
}

#[then(
    regex = r#"^the check reports "([\w/-]+)" for (\w+) in the second rules file, at the line of its metric$"#
)]
fn reports_in_second_file(world: &mut World, id: String, rule: String) -> Result<(), String> {
    let report = world.alerts.report()?;
    let line = RepositoryChange::unknown_metric_line();
    let found = report
        .findings
        .iter()
        .any(|f| f.is(&id, Some(&rule)) && f.file == SECOND_RULES_FILE && f.line == Some(line));
    say!("the checks report:\n{}", listing(&report.findings));
    if found && rule == UNKNOWN_METRIC_ALERT {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding for {rule} at {SECOND_RULES_FILE}:{line}, found:\n{}",
            listing(&report.findings)
        ))
    }
}

#[then(
    regex = r#"^the check reports "([\w/-]+)" for (\w+) about the label "(\w+)" in the second rules file$"#
)]
fn reports_label_in_second_file(
    world: &mut World,
    id: String,
    rule: String,
    label: String,
) -> Result<(), String> {
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let found = report.findings.iter().any(|f| {
        f.is(&id, Some(&rule))
            && f.file == SECOND_RULES_FILE
            && f.found.as_deref() == Some(label.as_str())
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding for {rule} about the label {label} in {SECOND_RULES_FILE}, found:\n{}",
            listing(&report.findings)
        ))
    }
}

#[given("a Prometheus server started on this machine with every rules file the homelab deploys")]
async fn a_server_with_every_file(world: &mut World) -> Result<(), String> {
    let scratch = tempfile::Builder::new()
        .prefix("homelab-spec-rendered-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let homelab = world.layout.homelab()?;
    // One run that loads every file together: assigned to a shard by the list it loads.
    let loads = homelab
        .rules_files
        .iter()
        .map(|f| f.path.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    world.shard_share(RunKind::PrometheusLoad, vec![loads], String::clone)?;
    let homelab = world.layout.homelab()?;
    // Which engine checks the rules, next to the Prometheus the homelab deploys.
    say!("{}", EngineVersions::of(homelab).header());
    let files = homelab.rules_files_on_disk(scratch.path()).or_fail()?;
    world.alerts.rendered = Some(scratch);
    let server = tokio::task::spawn_blocking(move || {
        let mut server = PrometheusServer::start(&files).or_fail()?;
        server.wait_until_ready(Duration::from_secs(30)).or_fail()?;
        Ok::<_, String>(server)
    })
    .await
    .map_err(|e| format!("starting prometheus did not finish: {e}"))??;
    world.alerts.server = Some(server);
    Ok(())
}

#[then(
    regex = r"^it reports at least (\d+) alerting rules, as many as the deployed files hold, in as many groups$"
)]
fn it_reports_what_the_files_hold(world: &mut World, floor: usize) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    let rules = world
        .alerts
        .loaded
        .as_ref()
        .ok_or("no rules were read by an earlier step")?;
    let alerting = rules.iter().filter(|r| r.kind == "alerting").count();
    let mut groups: Vec<&str> = rules.iter().map(|r| r.group.as_str()).collect();
    groups.dedup();
    let want_groups: usize = homelab.rules_files.iter().map(|f| f.groups).sum();
    say!(
        "Prometheus reports {alerting} alerting rules in {} groups from {} files",
        groups.len(),
        homelab.rules_files.len()
    );
    if alerting >= floor && alerting == homelab.alerting_rules() && groups.len() == want_groups {
        Ok(())
    } else {
        Err(format!(
            "Prometheus reports {alerting} alerting rules in {} groups; the deployed files hold {} in {want_groups}, at least {floor} expected",
            groups.len(),
            homelab.alerting_rules()
        ))
    }
}

#[when("promtool checks every rules file the homelab deploys")]
async fn promtool_checks_every_file(world: &mut World) -> Result<(), String> {
    let scratch = tempfile::Builder::new()
        .prefix("homelab-spec-rendered-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let mut homelab = world.layout.homelab()?.clone();
    // This shard's share of the files (`SPEC_SHARD`); the rest is another shard's.
    homelab.rules_files = world.shard_share(RunKind::PromtoolCheck, homelab.rules_files, |f| {
        f.path.clone()
    })?;
    let files = homelab.rules_files_on_disk(scratch.path()).or_fail()?;
    let names: Vec<String> = homelab.rules_files.iter().map(|f| f.path.clone()).collect();
    let outcomes = tokio::task::spawn_blocking(move || {
        files
            .iter()
            .map(|f| promtool::check_rules(f))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| format!("promtool did not finish: {e}"))?
    .or_fail()?;
    let engine = EngineVersions::of(&homelab);
    say!("{}", engine.header());
    world.alerts.promtool_checks.clear();
    for (name, outcome) in names.into_iter().zip(outcomes) {
        let mut run = outcome.tool_run(&name);
        // junit.xml names the engine that checked the file next to the deployed version.
        run.suite = format!("{} ({})", run.suite, engine.short());
        world.record(Outcome::ToolRun(run));
        world.alerts.promtool_checks.push((name, outcome));
    }
    world.alerts.rendered = Some(scratch);
    Ok(())
}

#[then("promtool finds as many rules as the deployed files hold, and no error")]
fn promtool_agrees(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?.clone();
    let checks = &world.alerts.promtool_checks;
    if checks.is_empty() {
        return Err("promtool has not run in an earlier step".into());
    }
    let refused: Vec<String> = checks
        .iter()
        .filter(|(_, o)| !o.passed)
        .map(|(name, o)| format!("{name}:\n{}", o.output))
        .collect();
    let found: usize = checks.iter().filter_map(|(_, o)| o.rules).sum();
    // The files promtool checked: this shard's share of the deployed ones.
    let held: usize = homelab
        .rules_files
        .iter()
        .filter(|f| checks.iter().any(|(name, _)| *name == f.path))
        .map(|f| f.alerting_rules + f.recording_rules)
        .sum();
    say!("promtool finds {found} rules in {} files", checks.len());
    if refused.is_empty() && found == held {
        Ok(())
    } else {
        Err(format!(
            "promtool finds {found} rules, the deployed files hold {held}; refused:\n{}",
            refused.join("\n")
        ))
    }
}

#[given(
    "a copy of the repository in which the monitoring stack runs a node-exporter release that no longer has a metric an alert uses"
)]
fn a_release_without_an_alert_metric(world: &mut World) -> Result<(), String> {
    let library = CatalogLibrary::bundled()?;
    let (library, scratch) = match library.removed_metric("node-exporter") {
        Some(_) => (library, None),
        None => {
            // One catalogued release only: a fixture release without one of its metrics.
            let (dir, library) = fixture_release(&library)?;
            (library, Some(dir))
        }
    };
    let (release, metric, gone_in) = library
        .removed_metric("node-exporter")
        .ok_or("no node-exporter release lacks a metric of an older one")?;
    say!("node-exporter {release} no longer has {metric} (gone in {gone_in})");
    world.change(ExporterRelease { release, metric })?;
    world.alerts.catalogs = Some(library);
    world.alerts.catalogs_dir = scratch;
    world.alerts.removed_release = Some(format!("node-exporter {gone_in}"));
    Ok(())
}

#[then(regex = r#"^the check reports "([\w/-]+)" for (\w+), naming the release it left$"#)]
fn reports_the_release(world: &mut World, id: String, rule: String) -> Result<(), String> {
    let release = world
        .alerts
        .removed_release
        .clone()
        .ok_or("no earlier step deployed a release")?;
    let report = world.alerts.report()?;
    say!("the checks report:\n{}", listing(&report.findings));
    let found = report.findings.iter().any(|f| {
        f.is(&id, Some(&rule)) && f.found.as_deref() == Some(release.as_str()) && f.line.is_some()
    });
    if found {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding for {rule} naming {release}, found:\n{}",
            listing(&report.findings)
        ))
    }
}

/// The bundled catalogs and a fixture node-exporter release one minor above the newest,
/// equal to it but for one metric (the first `node_` gauge by name), in a scratch directory.
fn fixture_release(
    bundled: &CatalogLibrary,
) -> Result<(tempfile::TempDir, Arc<CatalogLibrary>), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    for entry in std::fs::read_dir(bundled.dir())
        .map_err(|e| e.to_string())?
        .flatten()
    {
        std::fs::copy(entry.path(), dir.path().join(entry.file_name()))
            .map_err(|e| e.to_string())?;
    }
    let newest = *bundled
        .versions("node-exporter")
        .last()
        .ok_or("no node-exporter catalog")?;
    let catalog = bundled.load("node-exporter", newest)?;
    let parts: Vec<u64> = newest.split('.').filter_map(|p| p.parse().ok()).collect();
    let version = format!(
        "{}.{}.0",
        parts.first().unwrap_or(&1),
        parts.get(1).unwrap_or(&0) + 1
    );
    let gone = catalog
        .metrics
        .iter()
        .find(|(n, e)| n.starts_with("node_") && e.kind == "gauge" && e.family.is_none())
        .map(|(n, _)| n.clone())
        .ok_or("no node_ gauge to leave out")?;
    // The catalog's text without the metric's entry (its key line and the indented lines
    // below it), under the new version.
    let text = std::fs::read_to_string(&catalog.file).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line == format!("  {gone}:") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with("    ") {
            continue;
        }
        skipping = false;
        if line.starts_with("version:") {
            out.push_str(&format!("version: \"{version}\"\n"));
        } else if line.starts_with("produced_by:") {
            out.push_str(&format!(
                "produced_by: \"test fixture: node-exporter {newest}'s catalog without {gone}, standing for a release that dropped it\"\n"
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(dir.path().join(format!("node-exporter-{version}.yml")), out)
        .map_err(|e| e.to_string())?;
    let library = CatalogLibrary::open(dir.path())?;
    Ok((dir, Arc::new(library)))
}
