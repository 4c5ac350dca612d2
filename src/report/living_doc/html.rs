//! [`RunReport`] to HTML: a view of the run (stories, features, criteria, pictures) handed to
//! one MiniJinja template (`template.html`) whose auto-escaping covers every value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use super::coverage::{CoverageView, HistoryView, coverage_view, history_view};
use super::svg::{self, TimelineSvg, WaitBars};
use super::{Criterion, FeatureReport, RunReport, STORIES, ScenarioReport, Status};
use crate::finding::Finding;
use crate::outcome::{CaseStatus, Outcome, RetryWaits, TerraformKind};

const TEMPLATE: &str = include_str!("template.html");

/// Why the page could not be written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("the living documentation template failed: {0}")]
    Template(#[from] minijinja::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Serialize)]
struct Page {
    repository: String,
    commit: Option<String>,
    engine: Option<String>,
    date: String,
    duration: String,
    verdict: &'static str,
    passed: usize,
    failed: usize,
    skipped: usize,
    errors: Vec<String>,
    stories: Vec<Story>,
    coverage: Option<CoverageView>,
    history: Option<HistoryView>,
}

#[derive(Serialize)]
struct Story {
    id: String,
    title: String,
    sentence: Option<String>,
    status: &'static str,
    passed: usize,
    total: usize,
    features: Vec<FeatureView>,
}

#[derive(Serialize)]
struct FeatureView {
    name: String,
    path: String,
    tags: Vec<String>,
    description: String,
    status: &'static str,
    criteria: Vec<CriterionView>,
    retry_cases: Vec<RetryCase>,
    terraform: Vec<TerraformTable>,
}

#[derive(Serialize)]
struct CriterionView {
    kind: &'static str,
    name: String,
    line: usize,
    tags: Vec<String>,
    status: &'static str,
    /// Shown unfolded: it failed, or it has a picture to look at.
    open: bool,
    scenarios: Vec<ScenarioView>,
}

#[derive(Serialize)]
struct ScenarioView {
    name: String,
    line: usize,
    tags: Vec<String>,
    status: &'static str,
    failed_step: Option<String>,
    failed_line: Option<usize>,
    error: Option<String>,
    not_applicable: Option<String>,
    findings: Vec<FindingView>,
    /// What the scenario's checks did not judge, and why, and the findings a suppression
    /// comment accepted, with its reason: shown whatever the verdict.
    notes: Vec<FindingView>,
    timelines: Vec<TimelineSvg>,
}

#[derive(Serialize)]
struct FindingView {
    note: bool,
    /// The reason of the suppression comment that accepted it, when one did.
    suppressed: Option<String>,
    place: String,
    subject: String,
    id: String,
    message: String,
}

#[derive(Serialize)]
struct RetryCase {
    case: String,
    charts: Vec<WaitBars>,
}

#[derive(Serialize)]
struct TerraformTable {
    dir: String,
    kind: &'static str,
    rows: Vec<TerraformRow>,
}

#[derive(Serialize)]
struct TerraformRow {
    file: String,
    run: String,
    status: &'static str,
    detail: Option<String>,
    release_comment: Option<String>,
}

fn finding_view(f: &Finding) -> FindingView {
    FindingView {
        note: f.is_note(),
        suppressed: f.suppressed.as_ref().map(|s| s.reason.clone()),
        place: match f.line {
            Some(line) => format!("{}:{line}", f.file),
            None => f.file.clone(),
        },
        subject: f.subject().to_string(),
        id: f.id.to_string(),
        message: {
            let mut text = f.message.clone();
            match (&f.expected, &f.found) {
                (Some(e), Some(found)) => text += &format!(" (expected {e}, found {found})"),
                (Some(e), None) => text += &format!(" (expected {e})"),
                (None, Some(found)) => text += &format!(" (found {found})"),
                (None, None) => {}
            }
            text
        },
    }
}

/// The findings a failed scenario's outcomes carry: what its checks found, and the failed
/// cases of its tool runs (not those on a broken copy, whose failure was expected).
fn findings_of(outcomes: &[Outcome]) -> Vec<FindingView> {
    let mut out = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Findings(checked) => out.extend(checked.findings.iter().map(finding_view)),
            Outcome::ToolRun(run) if run.broken_copy.is_none() => {
                for case in &run.cases {
                    if let CaseStatus::Failed(f) | CaseStatus::Note(f) = &case.status {
                        out.push(finding_view(f));
                    }
                }
            }
            Outcome::TerraformRuns(runs) => {
                for run in &runs.runs {
                    if let CaseStatus::Failed(f) | CaseStatus::Note(f) = &run.status {
                        out.push(finding_view(f));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn scenario_view(s: &ScenarioReport) -> ScenarioView {
    let failed = s.status == Status::Failed;
    ScenarioView {
        name: s.name.clone(),
        line: s.line,
        tags: s.tags.clone(),
        status: s.status.as_str(),
        failed_step: s
            .failed_step
            .as_ref()
            .map(|step| format!("{} {}", step.keyword.trim(), step.text)),
        failed_line: s.failed_step.as_ref().map(|step| step.line),
        error: s.error.clone(),
        not_applicable: s.not_applicable.clone(),
        findings: if failed {
            findings_of(&s.outcomes)
                .into_iter()
                .filter(|f| !f.note && f.suppressed.is_none())
                .collect()
        } else {
            Vec::new()
        },
        notes: findings_of(&s.outcomes)
            .into_iter()
            .filter(|f| f.note || f.suppressed.is_some())
            .collect(),
        timelines: s
            .outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::AlertTimeline(t) => Some(svg::timeline(t)),
                _ => None,
            })
            .collect(),
    }
}

fn criterion_view(c: &Criterion) -> CriterionView {
    let mut view = criterion_parts(c);
    view.open = view.status != "passed" || view.scenarios.iter().any(|s| !s.timelines.is_empty());
    view
}

fn criterion_parts(c: &Criterion) -> CriterionView {
    match c {
        Criterion::Rule(rule) => CriterionView {
            kind: "Rule",
            name: rule.name.clone(),
            line: rule.line,
            tags: rule.tags.clone(),
            status: rule.status().as_str(),
            open: false,
            scenarios: rule.scenarios.iter().map(scenario_view).collect(),
        },
        Criterion::Scenario(s) => CriterionView {
            kind: "Scenario",
            name: s.name.clone(),
            line: s.line,
            tags: s.tags.clone(),
            status: s.status.as_str(),
            open: false,
            scenarios: vec![scenario_view(s)],
        },
    }
}

/// Retry waits of the feature's scenarios, one entry per case with every implementation
/// side by side (an outline runs each example once per implementation).
fn retry_cases(feature: &FeatureReport) -> Vec<RetryCase> {
    let mut cases: Vec<(String, Vec<&RetryWaits>)> = Vec::new();
    for outcome in feature.scenarios().flat_map(|s| s.outcomes.iter()) {
        if let Outcome::RetryWaits(w) = outcome {
            match cases.iter_mut().find(|(case, _)| *case == w.case) {
                Some((_, runs)) => runs.push(w),
                None => cases.push((w.case.clone(), vec![w])),
            }
        }
    }
    cases
        .into_iter()
        .map(|(case, mut runs)| {
            runs.sort_by(|a, b| a.implementation.cmp(&b.implementation));
            RetryCase {
                charts: svg::wait_bars(&runs),
                case,
            }
        })
        .collect()
}

/// Terraform runs of the feature's scenarios, one table per module or environment; a run
/// seen twice (two scenarios ran the same tests) is shown once, its last result kept.
fn terraform_tables(feature: &FeatureReport) -> Vec<TerraformTable> {
    let mut tables: BTreeMap<String, (TerraformKind, Vec<TerraformRow>)> = BTreeMap::new();
    for outcome in feature.scenarios().flat_map(|s| s.outcomes.iter()) {
        if let Outcome::TerraformRuns(runs) = outcome {
            let (_, rows) = tables
                .entry(runs.dir.clone())
                .or_insert_with(|| (runs.kind, Vec::new()));
            for run in &runs.runs {
                let (status, detail) = match &run.status {
                    CaseStatus::Passed => ("passed", None),
                    CaseStatus::Failed(f) => ("failed", Some(f.to_string())),
                    CaseStatus::Skipped => ("skipped", None),
                    CaseStatus::Note(f) => ("skipped", Some(f.to_string())),
                };
                let row = TerraformRow {
                    file: run.file.clone(),
                    run: run.run.clone(),
                    status,
                    detail,
                    release_comment: run.release_comment.clone(),
                };
                match rows
                    .iter_mut()
                    .find(|r| r.file == row.file && r.run == row.run)
                {
                    Some(existing) => *existing = row,
                    None => rows.push(row),
                }
            }
        }
    }
    tables
        .into_iter()
        .map(|(dir, (kind, rows))| TerraformTable {
            dir,
            kind: match kind {
                TerraformKind::Module => "module",
                TerraformKind::Environment => "environment",
            },
            rows,
        })
        .collect()
}

fn feature_view(f: &FeatureReport) -> FeatureView {
    FeatureView {
        name: f.name.clone(),
        path: f.path.clone(),
        tags: f.tags.clone(),
        description: f.description.trim().to_string(),
        status: f.status().as_str(),
        criteria: f.criteria.iter().map(criterion_view).collect(),
        retry_cases: retry_cases(f),
        terraform: terraform_tables(f),
    }
}

/// The story's sentence: the first paragraph of its features' descriptions that reads
/// "As a ...".
fn story_sentence<'a>(features: impl Iterator<Item = &'a FeatureReport>) -> Option<String> {
    features
        .flat_map(|f| f.description.split("\n\n"))
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|p| p.starts_with("As a"))
}

fn story(id: &str, title: &str, features: Vec<&FeatureReport>) -> Story {
    let criteria: Vec<Status> = features
        .iter()
        .flat_map(|f| f.criteria.iter().map(Criterion::status))
        .collect();
    Story {
        id: id.to_string(),
        title: title.to_string(),
        sentence: story_sentence(features.iter().copied()),
        status: Status::of_all(criteria.iter().copied()).as_str(),
        passed: criteria.iter().filter(|s| **s == Status::Passed).count(),
        total: criteria.len(),
        features: features.into_iter().map(feature_view).collect(),
    }
}

fn date_text(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t)
        .to_string()
        .replace('T', " ")
        .replace('Z', " UTC")
}

fn page(report: &RunReport) -> Page {
    let mut stories: Vec<Story> = STORIES
        .iter()
        .map(|(id, title)| {
            let features = report
                .features
                .iter()
                .filter(|f| f.story() == Some(id))
                .collect();
            story(id, title, features)
        })
        .collect();
    let others: Vec<&FeatureReport> = report
        .features
        .iter()
        .filter(|f| f.story().is_none())
        .collect();
    if !others.is_empty() {
        stories.push(story("other", "Cross-cutting", others));
    }
    let scenarios: Vec<Status> = report
        .features
        .iter()
        .flat_map(|f| f.scenarios().map(|s| s.status))
        .collect();
    let count = |status| scenarios.iter().filter(|s| **s == status).count();
    Page {
        repository: report.repository.display().to_string(),
        commit: report.commit.clone(),
        engine: report.engine.clone(),
        date: date_text(report.started),
        duration: format!("{:.1} s", report.duration.as_secs_f64()),
        verdict: match report.verdict() {
            Status::Skipped if scenarios.is_empty() => "nothing ran",
            status => status.as_str(),
        },
        passed: count(Status::Passed),
        failed: count(Status::Failed),
        skipped: count(Status::Skipped),
        errors: report.errors.clone(),
        stories,
        coverage: report.coverage.as_ref().map(coverage_view),
        history: report.history.as_ref().map(|h| history_view(report, h)),
    }
}

/// The page as text.
pub fn render(report: &RunReport) -> Result<String, HtmlError> {
    let mut env = minijinja::Environment::new();
    // The name's `.html` turns on HTML auto-escaping for every `{{ }}`.
    env.add_template("living_doc.html", TEMPLATE)?;
    let page = page(report);
    Ok(env.get_template("living_doc.html")?.render(
        minijinja::context! { page => minijinja::Value::from(minijinja::value::Serde(page)) },
    )?)
}

/// Writes the page to `path` (e.g. `reports/index.html`), creating its directory.
pub fn write_html(report: &RunReport, path: &Path) -> Result<(), HtmlError> {
    let html = render(report)?;
    let write = |path: &Path| -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, html.as_bytes())
    };
    write(path).map_err(|source| HtmlError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::finding::FindingId;
    use crate::outcome::{AlertState, AlertTimeline, CheckedFindings};
    use crate::report::history::{RunRecord, Verdict};
    use crate::report::living_doc::{FailedStep, HistoryReport, RuleReport};

    fn feature(tag: &str, criteria: Vec<Criterion>) -> FeatureReport {
        FeatureReport {
            name: format!("A {tag} feature"),
            path: format!("features/{tag}.feature"),
            description: "As a homelab admin I want things.\n\nMore context.".into(),
            tags: vec![format!("@{tag}")],
            criteria,
        }
    }

    fn run(features: Vec<FeatureReport>) -> RunReport {
        RunReport {
            repository: "/repo".into(),
            commit: None,
            engine: None,
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_millis(1500),
            features,
            errors: Vec::new(),
            coverage: None,
            history: None,
        }
    }

    #[test]
    fn an_empty_run_still_renders_every_story_and_says_nothing_ran() {
        let html = render(&run(Vec::new())).unwrap();
        for id in ["US1", "US2", "US3"] {
            assert!(
                html.contains(&format!("id=\"{id}\"")),
                "{id} section missing"
            );
        }
        assert!(html.contains("<span class=\"verdict nothing ran\">nothing ran</span>"));
        assert!(html.contains("(not a git repository)"));
        assert!(html.contains("1970-01-01 00:00:00 UTC"));
        assert!(!html.contains("<script"));
    }

    #[test]
    fn every_value_is_escaped() {
        let nasty = r#"Rule <b>"x" & 'y'</b>"#;
        let mut scenario = ScenarioReport::new(format!("Scenario {nasty}"), 7);
        scenario.status = Status::Failed;
        scenario.tags = vec![format!("@{nasty}")];
        scenario.failed_step = Some(FailedStep {
            keyword: "Then ".into(),
            text: nasty.into(),
            line: 9,
        });
        scenario.error = Some(format!("error {nasty}"));
        scenario.outcomes = vec![
            Outcome::Findings(CheckedFindings {
                check: nasty.into(),
                broken_copy: None,
                findings: vec![
                    Finding::new(FindingId::new("promql/series"), nasty, nasty)
                        .at_line(3)
                        .about(nasty),
                ],
            }),
            Outcome::AlertTimeline(AlertTimeline {
                alert: nasty.into(),
                series: vec![(nasty.into(), "1x2".into())],
                threshold: Some(2.0),
                for_duration: Some(Duration::from_secs(60)),
                at: Duration::from_secs(120),
                states: vec![
                    (Duration::ZERO, AlertState::Pending),
                    (Duration::from_secs(60), AlertState::Firing),
                    (Duration::from_secs(120), AlertState::Firing),
                ],
            }),
        ];
        let rule = RuleReport {
            name: nasty.into(),
            line: 5,
            description: nasty.into(),
            tags: vec![],
            scenarios: vec![scenario],
        };
        let mut f = feature("US1", vec![Criterion::Rule(rule)]);
        f.name = nasty.into();
        f.description = nasty.into();
        let mut report = run(vec![f]);
        report.repository = format!("/tmp/{nasty}").into();
        report.errors = vec![nasty.into()];
        let html = render(&report).unwrap();
        assert!(!html.contains("<b>"), "raw markup from a value");
        assert!(!html.contains(r#""x""#), "raw quotes from a value");
        assert!(!html.contains("& '"), "raw ampersand from a value");
        assert!(html.contains("Rule &lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;&#x2f;b&gt;"));
        assert!(html.contains("class=\"finding-id\">[promql&#x2f;series]</span>"));
        assert!(html.contains("class=\"state firing\""));
    }

    fn record(started: &str, key: &str, verdict: Verdict) -> RunRecord {
        RunRecord {
            started: started.into(),
            commit: None,
            counts: Default::default(),
            coverage: Default::default(),
            scenarios: [(key.to_string(), verdict)].into(),
        }
    }

    #[test]
    fn the_page_shows_what_is_tested_and_what_changed_with_a_trend_after_two_runs() {
        let mut failed = ScenarioReport::new("A unit failed for 6 minutes", 12);
        failed.status = Status::Failed;
        let mut report = run(vec![feature("us1", vec![Criterion::Scenario(failed)])]);
        report.coverage = Some(crate::report::coverage_json::sample());
        let before = record(
            "2026-01-01T00:00:00Z",
            "features/us1.feature:12",
            Verdict::Passed,
        );
        let now = record(
            "2026-01-02T00:00:00Z",
            "features/us1.feature:12",
            Verdict::Failed,
        );
        let history = |runs: Vec<RunRecord>| HistoryReport {
            current: now.clone(),
            previous: runs.iter().rev().nth(1).cloned(),
            runs,
            note: None,
        };
        report.history = Some(history(vec![before.clone(), now.clone()]));
        let html = render(&report).unwrap();
        // The scenario's anchor, and the coverage matrix and the change linking to it.
        assert!(
            html.contains(r#"id="features&#x2f;us1.feature:12""#),
            "no anchor"
        );
        assert!(html.contains(r#"id="what-is-tested""#));
        assert!(html.contains(r#"<td class="untested">untested</td>"#));
        assert!(html.contains(
            r##"<ul class="changes failing"><li><a href="#features&#x2f;us1.feature:12">A unit failed for 6 minutes</a>"##
        ));
        assert!(
            html.contains(r#"<svg class="trend""#),
            "no trend after two runs"
        );

        report.history = Some(history(vec![now.clone()]));
        let html = render(&report).unwrap();
        assert!(
            !html.contains(r#"<svg class="trend""#),
            "a trend from one run"
        );
        assert!(html.contains("No earlier run is recorded"));
    }

    /// The coverage section of a homelab a little larger than this repository (40 rules,
    /// 200 Terraform elements, 60 functions over 12 files, 12 textfile metrics, every cell
    /// full of cases with long names) leaves the page under the 500 KB it may take.
    #[test]
    fn the_coverage_section_of_a_homelab_this_size_stays_small() {
        use crate::coverage::*;
        let case = |kind, i: usize| CaseRef {
            kind,
            name: format!("a case with a name of a usual length, number {i}"),
            file: "features/us1_alerts_behaviour.feature".into(),
            line: Some(i as u32 + 1),
        };
        let many = |kind, n: usize| (0..n).map(|i| case(kind, i)).collect::<Vec<_>>();
        let coverage = Coverage {
            schema_version: model::SCHEMA_VERSION,
            alerts: (0..40)
                .map(|i| RuleCoverage {
                    alert: format!("HomelabAlertNumber{i}"),
                    file: "infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/default.yml".into(),
                    line: Some(i),
                    firing: many(CaseKind::Scenario, 3),
                    quiet: many(CaseKind::Promtool, 2),
                    status: RuleStatus::Tested,
                })
                .collect(),
            terraform: (0..200)
                .map(|i| TerraformElement {
                    directory: "infrastructure/proxmox/modules/monitoring-stack".into(),
                    kind: ElementKind::Resource,
                    address: format!("proxmox_virtual_environment_vm.element_{i}"),
                    file: "main.tf".into(),
                    line: Some(i),
                    covered_by: many(CaseKind::TerraformTest, 3),
                })
                .collect(),
            bash: (0..60)
                .map(|i| FunctionCoverage {
                    function: format!("function_number_{i}"),
                    file: format!("scripts/lib/file{}.sh", i % 12),
                    line: i + 1,
                    executed_by: many(CaseKind::Bats, 20),
                })
                .collect(),
            bash_files: (0..12)
                .map(|i| FileLines {
                    file: format!("scripts/lib/file{i}.sh"),
                    executable: 300,
                    executed: 200,
                    missed: (1..=100).map(|l| l * 3).collect(),
                })
                .collect(),
            textfile: (0..12)
                .map(|i| TextfileMetric {
                    metric: format!("homelab_textfile_metric_{i}"),
                    alerts: vec!["BackupStale".into(), "BackupFailed".into()],
                    script: Some("scripts/backup-status.sh".into()),
                    line: Some(i),
                    executed_by: many(CaseKind::Bats, 4),
                })
                .collect(),
        };
        let mut report = run(Vec::new());
        let without = render(&report).unwrap().len();
        report.coverage = Some(coverage);
        let section = render(&report).unwrap().len() - without;
        eprintln!("coverage section: {section} bytes");
        // With the rest of this repository's page (about 250 KB for 168 scenarios), under 500 KB.
        assert!(
            section < 230_000,
            "the coverage section takes {section} bytes"
        );
    }

    #[test]
    fn a_suppressed_finding_is_listed_with_its_reason_in_a_passed_scenario() {
        let mut scenario = ScenarioReport::new("accepted", 7);
        scenario.status = Status::Passed;
        scenario.outcomes = vec![Outcome::Findings(CheckedFindings {
            check: "c".into(),
            broken_copy: None,
            findings: vec![
                Finding::new(FindingId::new("promql/series"), "r.yml", "dead")
                    .at_line(4)
                    .about("ToolingQueueStuck")
                    .suppressed_by(crate::finding::Suppressed {
                        file: "r.yml".into(),
                        line: 3,
                        reason: "installed by hand".into(),
                    }),
            ],
        })];
        let html = render(&run(vec![feature(
            "US1",
            vec![Criterion::Scenario(scenario)],
        )]))
        .unwrap();
        assert!(
            html.contains(
                "<li class=\"note\">suppressed (installed by hand): r.yml:4 ToolingQueueStuck"
            ),
            "{html}"
        );
    }

    #[test]
    fn a_failed_criterion_fails_its_story_and_the_run() {
        let mut failed = ScenarioReport::new("broken", 3);
        failed.status = Status::Failed;
        let mut passed = ScenarioReport::new("fine", 4);
        passed.status = Status::Passed;
        let report = run(vec![
            feature("US1", vec![Criterion::Scenario(failed)]),
            feature("layout", vec![Criterion::Scenario(passed)]),
        ]);
        assert_eq!(report.verdict(), Status::Failed);
        let page = page(&report);
        let statuses: Vec<_> = page
            .stories
            .iter()
            .map(|s| (s.id.as_str(), s.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("US1", "failed"),
                ("US2", "skipped"),
                ("US3", "skipped"),
                ("other", "passed")
            ]
        );
        assert_eq!(
            page.stories[0].sentence.as_deref(),
            Some("As a homelab admin I want things.")
        );
    }
}
