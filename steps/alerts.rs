//! Steps of `features/us1_*.feature`: the alert rules, checked statically, against the
//! exporter catalogs, by the real rule engine, loaded by a real Prometheus, and deployed.

mod behaviour;
mod broken_rules;
mod coverage;
mod deployed;
mod engine;
pub mod textfile;

use std::path::PathBuf;
use std::time::Duration;

use cucumber::{Parameter, given, then, when};
use homelab_spec::alerts::attribution::Attribution;
use homelab_spec::alerts::catalog::CatalogSet;
use homelab_spec::alerts::catalog_versions::CatalogLibrary;
use homelab_spec::alerts::finding::listing;
use homelab_spec::alerts::promtool::{CheckRulesOutcome, InputSeries};
use homelab_spec::alerts::server::{LoadedRule, PrometheusServer};
use homelab_spec::alerts::{self, CheckId, Depth, LintReport};
use homelab_spec::outcome::{CheckedFindings, Outcome};

use super::{OrFail, World};

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct AlertsState {
    /// The rules file under check: the real one, or the one of a changed copy.
    rules: Option<PathBuf>,
    /// How findings name it.
    display_name: String,
    /// The line a broken copy changed, when it changed one.
    changed_line: Option<usize>,
    /// The alert a broken copy changed, chosen by the role it plays ("that alert").
    target: Option<String>,
    report: Option<LintReport>,
    lint_time: Option<Duration>,
    series: Vec<InputSeries>,
    at: Option<Duration>,
    server: Option<PrometheusServer>,
    loaded: Option<Vec<LoadedRule>>,
    promtool_check: Option<CheckRulesOutcome>,
    /// The module a scenario is about (relative to the repository).
    module: Option<String>,
    /// Rendered copies of the deployed rules files, for the tools that read files.
    rendered: Option<tempfile::TempDir>,
    /// `promtool check rules` over each deployed rules file.
    promtool_checks: Vec<(String, CheckRulesOutcome)>,
    /// The catalogs to select from, when not the bundled ones.
    catalogs: Option<std::sync::Arc<CatalogLibrary>>,
    catalogs_dir: Option<tempfile::TempDir>,
    /// The exporter release a scenario deployed that lacks a metric (`node-exporter 1.9.0`).
    removed_release: Option<String>,
    /// The runs of the homelab's own promtool unit-test files.
    unit_test_runs: Option<Vec<homelab_spec::alerts::unit_tests::UnitTestRun>>,
    /// The behaviour scenarios the feature files define, for the coverage floor.
    defined_scenarios: Vec<homelab_spec::coverage::alerts::DefinedScenario>,
    /// The passing cases of the homelab's own promtool unit tests, for the coverage floor.
    unit_test_cases: Vec<homelab_spec::coverage::alerts::CoveringCase>,
}

impl AlertsState {
    fn rules(&self) -> Result<&PathBuf, String> {
        self.rules
            .as_ref()
            .ok_or_else(|| "no rules file was chosen by an earlier step".to_string())
    }

    pub(crate) fn report(&self) -> Result<&LintReport, String> {
        self.report
            .as_ref()
            .ok_or_else(|| "no check has run in an earlier step".to_string())
    }
}

#[given("the homelab's alert rules file")]
fn the_rules_file(world: &mut World) -> Result<(), String> {
    let path = world.root().join(alerts::RULES_FILE);
    if !path.is_file() {
        return Err(format!("the rules file {} does not exist", path.display()));
    }
    world.alerts.rules = Some(path);
    world.alerts.display_name = alerts::RULES_FILE.to_string();
    Ok(())
}

/// Runs the checks; the time kept is the CPU time they took (not wall time, which grows
/// when other work shares the cores), the best of three runs.
fn lint(world: &mut World, depth: Depth) -> Result<(), String> {
    let path = world.alerts.rules()?.clone();
    let mut best = Duration::MAX;
    let mut report = None;
    for _ in 0..3 {
        let checked = alerts::lint_file(&path, &world.alerts.display_name, depth).or_fail()?;
        best = best.min(checked.cpu_time);
        report = Some(checked);
    }
    world.alerts.lint_time = Some(best);
    if let Some(report) = &report {
        let check = match depth {
            Depth::Static => "static checks",
            Depth::Catalog(_) | Depth::CatalogAndScripts(..) | Depth::Deployed(..) => {
                "catalog checks"
            }
        };
        world.record(Outcome::Findings(CheckedFindings {
            check: format!("{check}: {}", report.file),
            findings: report.findings.clone(),
            broken_copy: None,
        }));
    }
    world.alerts.report = report;
    Ok(())
}

#[when("the static checks run")]
fn static_checks_run(world: &mut World) -> Result<(), String> {
    lint(world, Depth::Static)
}

#[when("the rules are checked against the exporter catalogs")]
fn catalog_checks_run(world: &mut World) -> Result<(), String> {
    // Catalogs are read once per process (the first selection reads them); the timing
    // below is the checks themselves, with the selection of the deployed versions' catalogs.
    select_catalogs(world)?;
    // The best of three, like the checks below: the work's own cost, not a busy neighbour's.
    let mut selection = Duration::MAX;
    let mut attribution = Err(String::new());
    for _ in 0..3 {
        let (selected, took) = homelab_spec::timing::cpu_time_of(|| select_catalogs(world));
        selection = selection.min(took);
        attribution = selected;
    }
    let attribution = attribution?;
    report_selection(world, &attribution);
    // Metrics the homelab's own scripts write count as published, with their own finding
    // when the textfile contract has not declared them yet.
    let published =
        homelab_spec::alerts::deployed_rules::published_metrics(world.layout.homelab()?)
            .or_fail()?;
    lint(world, Depth::Deployed(&attribution, &published))?;
    say!("catalog selection took {selection:?}");
    world.alerts.lint_time = world.alerts.lint_time.map(|t| t + selection);
    Ok(())
}

/// The catalogs of what the homelab deploys, at the deployed versions; how they were
/// chosen is reported as notes.
pub(crate) fn deployed_catalogs(world: &mut World) -> Result<Attribution, String> {
    let attribution = select_catalogs(world)?;
    report_selection(world, &attribution);
    Ok(attribution)
}

fn select_catalogs(world: &mut World) -> Result<Attribution, String> {
    let library = match &world.alerts.catalogs {
        Some(library) => library.clone(),
        None => CatalogLibrary::bundled()?,
    };
    Ok(Attribution::new(
        library,
        &world.layout.homelab()?.deployment,
    )?)
}

fn report_selection(world: &mut World, attribution: &Attribution) {
    say!(
        "catalogs of the deployed exporters: {}",
        attribution.titles()
    );
    world.record(Outcome::Findings(CheckedFindings {
        check: "catalog selection".to_string(),
        findings: attribution.notes.clone(),
        broken_copy: None,
    }));
}

#[then("no problem is found")]
fn no_problem(world: &mut World) -> Result<(), String> {
    let findings = world.alerts.report()?.findings.clone();
    // Notes (a rule not checked for want of a catalog) and suppressed findings are
    // reported, never a problem.
    let failures = world.failures(&findings)?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "expected no findings, found {}:\n{}",
            failures.len(),
            listing(&failures)
        ))
    }
}

/// Whether a finding is a note (reported, never a failure).
pub(crate) fn is_note(finding: &homelab_spec::finding::Finding) -> bool {
    finding.is_note()
}

#[then(expr = "the checks took less than {int} milliseconds")]
fn checks_took_less_than(world: &mut World, limit: u64) -> Result<(), String> {
    let took = world
        .alerts
        .lint_time
        .ok_or("no check has run in an earlier step")?;
    if took < Duration::from_millis(limit) {
        Ok(())
    } else {
        Err(format!(
            "the checks took {took:?}, expected less than {limit} ms"
        ))
    }
}

#[then(
    regex = r"^(\w+) is in the group ([\w-]+), waits (\w+) before firing and has severity (\w+)$"
)]
fn alert_is_in_place(
    world: &mut World,
    alert: String,
    group: String,
    wait: String,
    severity: String,
) -> Result<(), String> {
    let report = world.alerts.report()?;
    let found = report
        .alert(&alert)
        .ok_or_else(|| format!("{} has no alert named {alert}", report.file))?;
    let actual = (
        found.group.as_str(),
        found.for_duration.as_deref().unwrap_or("(none)"),
        found.severity.as_deref().unwrap_or("(none)"),
    );
    if actual == (group.as_str(), wait.as_str(), severity.as_str()) {
        Ok(())
    } else {
        Err(format!(
            "{}:{} {alert}: expected group {group}, for {wait}, severity {severity}; found group {}, for {}, severity {}",
            report.file, found.line, actual.0, actual.1, actual.2
        ))
    }
}

/// A finding id a step names, in quotes (`"promql/series"`).
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "check_id", regex = r#""[\w/-]+""#)]
pub(crate) struct QuotedCheckId(CheckId);

impl std::str::FromStr for QuotedCheckId {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let id = text.trim_matches('"');
        CheckId::parse(id)
            .map(QuotedCheckId)
            .ok_or_else(|| format!("\"{id}\" is not a finding id"))
    }
}

/// The finding with `id` (for `rule`, when given), checked to name the file and a line.
fn reported(world: &World, check: CheckId, rule: Option<&str>) -> Result<(), String> {
    let report = world.alerts.report()?;
    let matching: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == check && (rule.is_none() || f.subject.as_deref() == rule))
        .collect();
    let about = rule.map(|r| format!(" for {r}")).unwrap_or_default();
    let Some(finding) = matching.first() else {
        let found = match report.findings.is_empty() {
            true => "  nothing".to_string(),
            false => listing(&report.findings),
        };
        return Err(format!(
            "expected a {check} finding{about}, found:\n{found}"
        ));
    };
    if let Some(line) = world.alerts.changed_line
        && !matching.iter().any(|f| f.line == Some(line))
    {
        return Err(format!(
            "expected the {check} finding{about} on line {line}, the line that was changed; found:\n{}",
            listing(&report.findings)
        ));
    }
    if finding.file != report.file || finding.line.is_none() {
        return Err(format!(
            "the finding does not name the checked file and a line: {finding}"
        ));
    }
    Ok(())
}

#[then(expr = "the check reports {check_id} for that alert")]
fn reports_for_that_alert(world: &mut World, id: QuotedCheckId) -> Result<(), String> {
    let alert = world.alerts.target.clone();
    let alert = alert.ok_or("no earlier step chose an alert")?;
    reported(world, id.0, Some(&alert))
}

#[then(expr = "the check reports {check_id} at the changed line")]
fn reports_at_line(world: &mut World, id: QuotedCheckId) -> Result<(), String> {
    if world.alerts.changed_line.is_none() {
        return Err("no earlier step changed a line".into());
    }
    reported(world, id.0, None)
}

#[then(regex = r"^there is an exporter catalog for (.+)$")]
fn there_is_a_catalog_for(_world: &mut World, names: String) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let have: Vec<&str> = catalogs
        .catalogs
        .iter()
        .map(|c| c.exporter.as_str())
        .collect();
    let missing: Vec<String> = names
        .replace(" and ", ", ")
        .split(", ")
        .map(|s| s.trim().to_string())
        .filter(|want| !have.contains(&want.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "no catalog for {} in {} (found: {})",
            missing.join(", "),
            alerts::catalog::bundled_dir().display(),
            catalogs.titles()
        ))
    }
}

#[then("every catalog says how it was produced and how to regenerate it")]
fn catalogs_have_provenance(_world: &mut World) -> Result<(), String> {
    // Catalog::parse refuses a catalog without produced_by/regenerate; check the sources too.
    let catalogs = CatalogSet::bundled()?;
    use homelab_spec::alerts::catalog::SOURCES;
    for catalog in &catalogs.catalogs {
        if catalog.metrics.is_empty() {
            return Err(format!("{} lists no metrics", catalog.file.display()));
        }
        if let Some((name, entry)) = catalog
            .metrics
            .iter()
            .find(|(_, m)| !SOURCES.contains(&m.source.as_str()))
        {
            return Err(format!(
                "{}: metric {name} has source \"{}\", expected one of {}",
                catalog.file.display(),
                entry.source,
                SOURCES.join(", ")
            ));
        }
    }
    Ok(())
}
