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

use cucumber::{gherkin, given, then, when};
use homelab_spec::alerts::attribution::Attribution;
use homelab_spec::alerts::catalog::CatalogSet;
use homelab_spec::alerts::catalog_versions::CatalogLibrary;
use homelab_spec::alerts::deployed_rules::published_metrics;
use homelab_spec::alerts::finding::listing;
use homelab_spec::alerts::lint_runs::{check_name, checked_findings, lint_timed};
use homelab_spec::alerts::promtool::{CheckRulesOutcome, InputSeries};
use homelab_spec::alerts::rendered_rules::RenderedRules;
use homelab_spec::alerts::server::{LoadedRule, PrometheusServer};
use homelab_spec::alerts::{self, Depth, LintReport};
use homelab_spec::finding::FindingId;
use homelab_spec::outcome::{CheckedFindings, Outcome};
use homelab_spec::timing::best_of_three;

use super::expect::{pass_if, same};
use super::words::{FindingIdWords, NameList};
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
    /// The deployed rules files as the tools read them (rendered templates in a scratch
    /// directory), kept while the tools run.
    rendered: Option<RenderedRules>,
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

    /// The report, its findings said (a diagnostic).
    fn report_said(&self) -> Result<&LintReport, String> {
        let report = self.report()?;
        say!("the checks report:\n{}", listing(&report.findings));
        Ok(report)
    }

    fn loaded(&self) -> Result<&[LoadedRule], String> {
        self.loaded
            .as_deref()
            .ok_or_else(|| "no rules were read by an earlier step".to_string())
    }

    /// Where rendered rules files were written, when a step wrote some.
    fn rendered_dir(&self) -> Option<PathBuf> {
        self.rendered
            .as_ref()
            .map(|rendered| rendered.dir().to_path_buf())
    }

    /// How a shard (`SPEC_SHARD`) knows the run on the rules file: a broken copy's by the
    /// file it copies.
    fn shard_key(&self, broken_copy: bool) -> String {
        match broken_copy {
            true => format!("{} (a broken copy)", alerts::RULES_FILE),
            false => self.display_name.clone(),
        }
    }

    fn take_server(&mut self) -> Result<PrometheusServer, String> {
        self.server
            .take()
            .ok_or_else(|| "no server was started by an earlier step".to_string())
    }

    fn promtool_check(&self) -> Result<&CheckRulesOutcome, String> {
        self.promtool_check
            .as_ref()
            .ok_or_else(|| "promtool has not run in an earlier step".to_string())
    }

    fn promtool_checks(&self) -> Result<&[(String, CheckRulesOutcome)], String> {
        match self.promtool_checks.is_empty() {
            true => Err("promtool has not run in an earlier step".to_string()),
            false => Ok(&self.promtool_checks),
        }
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
    let report = lint_timed(&path, &world.alerts.display_name, depth).or_fail()?;
    world.alerts.lint_time = Some(report.cpu_time);
    let checked = checked_findings(check_name(depth), &report);
    world.record(Outcome::Findings(checked));
    world.alerts.report = Some(report);
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
    let (attribution, selection) = best_of_three(|| select_catalogs(world));
    let attribution = attribution?;
    report_selection(world, &attribution);
    // Metrics the homelab's own scripts write count as published, with their own finding
    // when the textfile contract has not declared them yet.
    let published = published_metrics(world.layout.homelab()?);
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
    let (count, listed) = (failures.len(), listing(&failures));
    let message = || format!("expected no findings, found {count}:\n{listed}");
    pass_if(failures.is_empty(), message)
}

#[then(expr = "the checks took less than {int} milliseconds")]
fn checks_took_less_than(world: &mut World, limit: u64) -> Result<(), String> {
    let took = world.alerts.lint_time;
    let took = took.ok_or("no check has run in an earlier step")?;
    let message = || format!("the checks took {took:?}, expected less than {limit} ms");
    pass_if(took < Duration::from_millis(limit), message)
}

#[then(expr = "{word} is in the group {word}, waits {word} before firing and has severity {word}")]
fn alert_is_in_place(
    world: &mut World,
    alert: String,
    group: String,
    wait: String,
    severity: String,
) -> Result<(), String> {
    let report = world.alerts.report()?;
    let found = report.alert(&alert);
    let found = found.ok_or_else(|| format!("{} has no alert named {alert}", report.file))?;
    let what = format!("{}:{} {alert}", report.file, found.line);
    let expected = (group.as_str(), wait.as_str(), severity.as_str());
    same(what, expected, found.placement())
}

/// The finding with `id` (for `rule`, when given), checked to name the file and a line.
fn reported(world: &World, check: FindingId, rule: Option<&str>) -> Result<(), String> {
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

#[then(expr = "the check reports {finding_id} for that alert")]
fn reports_for_that_alert(world: &mut World, id: FindingIdWords) -> Result<(), String> {
    let alert = world.alerts.target.clone();
    let alert = alert.ok_or("no earlier step chose an alert")?;
    reported(world, id.0, Some(&alert))
}

#[then(expr = "the check reports {finding_id} at the changed line")]
fn reports_at_line(world: &mut World, id: FindingIdWords) -> Result<(), String> {
    if world.alerts.changed_line.is_none() {
        return Err("no earlier step changed a line".into());
    }
    reported(world, id.0, None)
}

#[then(expr = "there is an exporter catalog for {names}")]
fn there_is_a_catalog_for(_world: &mut World, names: NameList) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let missing = names.missing_from(&catalogs.exporters()).join(", ");
    let (dir, titles) = (alerts::catalog::bundled_dir(), catalogs.titles());
    let message = || {
        format!(
            "no catalog for {missing} in {} (found: {titles})",
            dir.display()
        )
    };
    pass_if(missing.is_empty(), message)
}

#[then("every catalog says how it was produced and how to regenerate it")]
fn catalogs_have_provenance(_world: &mut World) -> Result<(), String> {
    // Catalog::parse refuses a catalog without produced_by/regenerate; check the sources too.
    let catalogs = &CatalogSet::bundled()?.catalogs;
    catalogs
        .iter()
        .find_map(|c| c.provenance_problem())
        .map_or(Ok(()), Err)
}

/// The rows of a step's table under the header `header` (`| series | values |`), each as
/// long as the header; `what` says what the table holds.
pub(crate) fn table_rows(
    step: &gherkin::Step,
    what: &str,
    header: &[&str],
) -> Result<Vec<Vec<String>>, String> {
    let table = step.table.as_ref();
    let table = table.ok_or_else(|| format!("this step needs a table of {what}"))?;
    let mut rows = table.rows.iter();
    match rows.next() {
        Some(found) if found == header => Ok(rows.cloned().collect()),
        other => Err(format!(
            "the table's header must be | {} |, found {other:?}",
            header.join(" | ")
        )),
    }
}
