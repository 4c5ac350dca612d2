//! Steps of `features/us1_*.feature`: the alert rules, checked statically, against the
//! exporter catalogs, by the real rule engine, loaded by a real Prometheus, and deployed.

mod behaviour;
mod deployed;
mod engine;
pub mod textfile;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use cucumber::{given, then, when};
use homelab_spec::alerts::attribution::Attribution;
use homelab_spec::alerts::catalog::CatalogSet;
use homelab_spec::alerts::catalog_versions::CatalogLibrary;
use homelab_spec::alerts::finding::listing;
use homelab_spec::alerts::promtool::{CheckRulesOutcome, InputSeries};
use homelab_spec::alerts::roles::{self, AlertRole};
use homelab_spec::alerts::server::{LoadedRule, PrometheusServer};
use homelab_spec::alerts::{self, CheckId, Depth, LintReport, rule_edit};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{BrokenCopy, CheckedFindings, Outcome};

use super::{OrFail, World};

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct AlertsState {
    /// The rules file under check: the real one, or a broken copy in `scratch`.
    rules: Option<PathBuf>,
    /// How findings name it.
    display_name: String,
    scratch: Option<tempfile::TempDir>,
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

/// Writes an edited copy of the real rules file to a scratch directory and checks that one.
fn use_copy(
    world: &mut World,
    edit: impl FnOnce(&str) -> Result<rule_edit::Edited, rule_edit::RuleEditError>,
) -> Result<(), String> {
    let original = world.root().join(alerts::RULES_FILE);
    let text = std::fs::read_to_string(&original)
        .map_err(|e| format!("cannot read {}: {e}", original.display()))?;
    let edited = edit(&text).map_err(|e| e.to_string())?;
    let scratch =
        tempfile::tempdir().map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let copy = scratch.path().join("default.yml");
    std::fs::write(&copy, &edited.text)
        .map_err(|e| format!("cannot write {}: {e}", copy.display()))?;
    world.alerts.display_name = copy.display().to_string();
    world.alerts.rules = Some(copy);
    world.alerts.scratch = Some(scratch);
    world.alerts.changed_line = edited.line;
    Ok(())
}

/// "the first alert ...": an alert chosen by the role it plays in the rules file.
#[derive(Debug, Clone, Copy)]
struct FirstAlert(AlertRole);

impl FromStr for FirstAlert {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(FirstAlert(match text {
            "the first alert" => AlertRole::Any,
            "the first alert that waits before firing" => AlertRole::Waiting,
            "the first alert with a severity" => AlertRole::WithSeverity,
            "the first alert with a description" => AlertRole::WithDescription,
            other => return Err(format!("no alert is chosen as {other:?}")),
        }))
    }
}

/// The text of the homelab's rules file, which broken copies start from.
fn original_rules(world: &World) -> Result<String, String> {
    let original = world.root().join(alerts::RULES_FILE);
    std::fs::read_to_string(&original)
        .map_err(|e| format!("cannot read {}: {e}", original.display()))
}

/// The role's target in the rules file, remembered as "that alert"; a homelab with nothing
/// to play the role ends the scenario as not applicable.
fn target<T>(
    world: &mut World,
    find: impl FnOnce(&str) -> Result<T, NotApplicable>,
    alert_of: impl Fn(&T) -> &str,
) -> Result<T, String> {
    let text = original_rules(world)?;
    match find(&text) {
        Ok(found) => {
            world.alerts.target = Some(alert_of(&found).to_string());
            Ok(found)
        }
        Err(why) => Err(world.skip(why)),
    }
}

fn first_alert(world: &mut World, choice: FirstAlert) -> Result<String, String> {
    target(world, |text| roles::alert(text, choice.0), |name| name)
}

#[given(
    regex = r#"^a copy of the rules file where (the first alert(?: that waits before firing| with a severity| with a description)?) has the severity "([^"]*)"$"#
)]
fn copy_with_severity(world: &mut World, choice: FirstAlert, value: String) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, |text| {
        rule_edit::set_value(text, &alert, "severity", &value)
    })
}

#[given(
    regex = r#"^a copy of the rules file where (the first alert(?: that waits before firing| with a severity| with a description)?) waits "([^"]*)" before firing$"#
)]
fn copy_with_for(world: &mut World, choice: FirstAlert, value: String) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, |text| {
        rule_edit::set_value(text, &alert, "for", &value)
    })
}

#[given(
    regex = r#"^a copy of the rules file where (the first alert(?: that waits before firing| with a severity| with a description)?) has no (expression|"for"|description|summary|severity)$"#
)]
fn copy_without(world: &mut World, choice: FirstAlert, what: String) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    let key = match what.as_str() {
        "expression" => "expr",
        "\"for\"" => "for",
        other => other,
    }
    .to_string();
    use_copy(world, |text| rule_edit::remove_key(text, &alert, &key))
}

#[given(
    regex = r"^a copy of the rules file where the expression of (the first alert(?: that waits before firing| with a severity| with a description)?) is cut short$"
)]
fn copy_with_broken_expr(world: &mut World, choice: FirstAlert) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, |text| {
        let expr = rule_edit::value_of(text, &alert, "expr")?;
        rule_edit::set_value(text, &alert, "expr", &format!("{expr} and ("))
    })
}

#[given("a copy of the rules file where the second alert is renamed as the first")]
fn copy_with_rename(world: &mut World) -> Result<(), String> {
    let (first, second) = target(world, roles::two_alerts, |(first, _)| first)?;
    use_copy(world, |text| {
        rule_edit::set_value(text, &second, "alert", &first)
    })
}

#[given(
    regex = r#"^a copy of the rules file where the "(\w+)" of (the first alert(?: that waits before firing| with a severity| with a description)?) is indented with a tab$"#
)]
fn copy_with_tab(world: &mut World, key: String, choice: FirstAlert) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, |text| rule_edit::indent_with_tab(text, &alert, &key))
}

#[given("a copy of the rules file where the first alert on a catalogued metric misspells it")]
fn copy_with_misspelt_metric(world: &mut World) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let (alert, metric, misspelt) = target(
        world,
        |text| roles::alert_on_a_catalogued_metric(text, catalogs),
        |(alert, _, _)| alert,
    )?;
    use_copy(world, |text| {
        rule_edit::replace_in_expr(text, &alert, &metric, &misspelt)
    })
}

#[given(
    regex = r"^a copy of the rules file where the first alert that matches on a label of (?:its|an? (\S+)) metric uses a label only other metrics of (?:its|that) exporter have$"
)]
fn copy_with_label_of_another_metric(world: &mut World, exporter: String) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let exporter = Some(exporter.as_str()).filter(|e| !e.is_empty());
    let (alert, own, other) = target(
        world,
        |text| roles::alert_matching_a_metric_label(text, catalogs, exporter),
        |(alert, _, _)| alert,
    )?;
    use_copy(world, |text| {
        rule_edit::replace_in_expr(text, &alert, &own, &other)
    })
}

/// Adds ` ({{ $labels.<label> }})` to the alert's summary.
fn copy_naming_label(world: &mut World, alert: &str, label: &str) -> Result<(), String> {
    use_copy(world, |text| {
        let value = rule_edit::value_of(text, alert, "summary")?;
        rule_edit::set_value(
            text,
            alert,
            "summary",
            &format!("{value} ({{{{ $labels.{label} }}}})"),
        )
    })
}

#[given(
    "a copy of the rules file where the summary of the first alert that aggregates away a label it selects on also names that label"
)]
fn copy_naming_a_dropped_label(world: &mut World) -> Result<(), String> {
    let (alert, label) = target(world, roles::alert_dropping_a_selected_label, |(a, _)| a)?;
    copy_naming_label(world, &alert, &label)
}

#[given(
    "a copy of the rules file where the summary of the first alert whose labels the catalogs know also names a label its metric does not have"
)]
fn copy_naming_a_label_the_metric_lacks(world: &mut World) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let (alert, label) = target(
        world,
        |text| roles::alert_whose_metric_lacks_a_label(text, catalogs),
        |(a, _)| a,
    )?;
    copy_naming_label(world, &alert, &label)
}

#[given(regex = r#"^a copy of the rules file with an extra top-level key "(\w+)"$"#)]
fn copy_with_top_level_key(world: &mut World, key: String) -> Result<(), String> {
    use_copy(world, |text| Ok(rule_edit::add_top_level_key(text, &key)))
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
        world.outcomes.push(Outcome::Findings(CheckedFindings {
            check: format!("{check}: {}", report.file),
            findings: report.findings.clone(),
            broken_copy: world.alerts.scratch.as_ref().map(|_| BrokenCopy {
                change: format!("a changed copy of {}", alerts::RULES_FILE),
                expected: None,
            }),
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
    let (attribution, selection) = homelab_spec::timing::cpu_time_of(|| select_catalogs(world));
    let attribution = attribution?;
    report_selection(world, &attribution);
    // Metrics the homelab's own scripts write count as published, with their own finding
    // when the textfile contract has not declared them yet.
    let published =
        homelab_spec::homelab::rules::published_metrics(world.layout.homelab()?).or_fail()?;
    lint(world, Depth::Deployed(&attribution, &published))?;
    println!("catalog selection took {selection:?}");
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
    println!(
        "catalogs of the deployed exporters: {}",
        attribution.titles()
    );
    world.outcomes.push(Outcome::Findings(CheckedFindings {
        check: "catalog selection".to_string(),
        findings: attribution.notes.clone(),
        broken_copy: world.layout.broken_copy(),
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

#[then(regex = r"^the checks took less than (\d+) milliseconds$")]
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

/// The finding with `id` (for `rule`, when given), checked to name the file and a line.
fn reported(world: &World, id: &str, rule: Option<&str>) -> Result<(), String> {
    let check = CheckId::parse(id).ok_or_else(|| format!("\"{id}\" is not a finding id"))?;
    let report = world.alerts.report()?;
    let matching: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == check && (rule.is_none() || f.subject.as_deref() == rule))
        .collect();
    let about = rule.map(|r| format!(" for {r}")).unwrap_or_default();
    let Some(finding) = matching.first() else {
        return Err(format!(
            "expected a {id} finding{about}, found:\n{}",
            if report.findings.is_empty() {
                "  nothing".to_string()
            } else {
                listing(&report.findings)
            }
        ));
    };
    if let Some(line) = world.alerts.changed_line
        && !matching.iter().any(|f| f.line == Some(line))
    {
        return Err(format!(
            "expected the {id} finding{about} on line {line}, the line that was changed; found:\n{}",
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

#[then(regex = r#"^the check reports "([\w/-]+)" for that alert$"#)]
fn reports_for_that_alert(world: &mut World, id: String) -> Result<(), String> {
    let alert = world
        .alerts
        .target
        .clone()
        .ok_or("no earlier step chose an alert")?;
    reported(world, &id, Some(&alert))
}

#[then(regex = r#"^the check reports "([\w/-]+)" at the changed line$"#)]
fn reports_at_line(world: &mut World, id: String) -> Result<(), String> {
    if world.alerts.changed_line.is_none() {
        return Err("no earlier step changed a line".into());
    }
    reported(world, &id, None)
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
