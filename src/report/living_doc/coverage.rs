//! The page's "What is tested" section (a matrix per layer, untested items first, each case
//! linked to its scenario or named with its file and line) and its "Since the previous run"
//! section (newly failing and passing scenarios, coverage figures that moved, the trend).

use std::collections::BTreeMap;

use serde::Serialize;

use super::svg::{self, TrendSvg};
use super::{HistoryReport, RunReport};
use crate::coverage::{CaseKind, CaseRef, Coverage, ElementKind, Figures, RuleStatus};
use crate::report::history;

/// At most this many cases are listed in one cell (coverage.json has them all): a BATS test
/// that runs every function would otherwise repeat itself down the page, and the page must
/// stay under 500 KB.
const CASES_SHOWN: usize = 3;
/// Missed lines are listed up to this many characters.
const MISSED_CHARS: usize = 160;

#[derive(Debug, Serialize)]
pub(crate) struct CaseLink {
    pub name: String,
    /// `#<feature file>:<line>`: the scenario's entry on this page.
    pub(crate) href: Option<String>,
    /// `file:line`, for a case that is not on this page.
    pub place: String,
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct Cases {
    pub shown: Vec<CaseLink>,
    /// How many more coverage.json lists.
    pub more: usize,
}

#[derive(Debug, Serialize)]
pub(crate) struct Row {
    /// The module or environment directory of a Terraform element (one heading row each),
    /// empty elsewhere.
    pub group: String,
    /// The first row of its group.
    pub(crate) heading: bool,
    /// `untested`, `half-tested` or `tested`.
    pub status: &'static str,
    /// What is covered: an alert, `directory address`, a function, a metric.
    pub name: String,
    /// e.g. `resource`, the alerts that read a metric.
    pub(crate) detail: String,
    pub place: String,
    /// One column per kind of case (alerts: firing, quiet).
    pub cases: Vec<Cases>,
}

#[derive(Debug, Serialize)]
pub(crate) struct FileRow {
    pub file: String,
    pub executed: u32,
    pub(crate) executable: u32,
    pub(crate) percent: String,
    pub missed: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct CoverageView {
    pub lines: Vec<String>,
    pub alerts: Vec<Row>,
    pub terraform: Vec<Row>,
    pub bash: Vec<Row>,
    pub bash_files: Vec<FileRow>,
    pub textfile: Vec<Row>,
}

fn place(file: &str, line: Option<u32>) -> String {
    match line {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    }
}

fn link(case: &CaseRef) -> CaseLink {
    CaseLink {
        name: case.name.clone(),
        href: (case.kind == CaseKind::Scenario)
            .then(|| format!("#{}", place(&case.file, case.line))),
        place: place(&case.file, case.line),
        kind: match case.kind {
            CaseKind::Scenario => "scenario",
            CaseKind::Promtool => "promtool",
            CaseKind::TerraformTest => "terraform test",
            CaseKind::Bats => "bats",
        },
    }
}

fn cases(list: &[CaseRef]) -> Cases {
    Cases {
        shown: list.iter().take(CASES_SHOWN).map(link).collect(),
        more: list.len().saturating_sub(CASES_SHOWN),
    }
}

fn covered(list: &[CaseRef]) -> &'static str {
    if list.is_empty() {
        "untested"
    } else {
        "tested"
    }
}

/// By group (a Terraform directory), then untested first, then half tested, then tested;
/// by place within each.
fn untested_first(mut rows: Vec<Row>) -> Vec<Row> {
    let rank = |s: &str| match s {
        "untested" => 0,
        "half-tested" => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| {
        (&a.group, rank(a.status), &a.place, &a.name).cmp(&(
            &b.group,
            rank(b.status),
            &b.place,
            &b.name,
        ))
    });
    for i in 0..rows.len() {
        rows[i].heading =
            !rows[i].group.is_empty() && (i == 0 || rows[i - 1].group != rows[i].group);
    }
    rows
}

/// `3-5, 9, 12-13`, cut with `…` when long.
fn ranges(lines: &[u32]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        parts.push(if i == j {
            lines[i].to_string()
        } else {
            format!("{}-{}", lines[i], lines[j])
        });
        i = j + 1;
    }
    let text = parts.join(", ");
    if text.chars().count() > MISSED_CHARS {
        text.chars().take(MISSED_CHARS).chain(['…']).collect()
    } else {
        text
    }
}

pub(crate) fn coverage_view(coverage: &Coverage) -> CoverageView {
    let coverage = crate::report::coverage_json::sorted(coverage.clone());
    let alerts = coverage
        .alerts
        .iter()
        .map(|r| Row {
            group: String::new(),
            heading: false,
            status: match r.status {
                RuleStatus::Untested => "untested",
                RuleStatus::HalfTested => "half-tested",
                RuleStatus::Tested => "tested",
            },
            name: r.alert.clone(),
            detail: String::new(),
            place: place(&r.file, r.line),
            cases: vec![cases(&r.firing), cases(&r.quiet)],
        })
        .collect();
    let terraform = coverage
        .terraform
        .iter()
        .map(|e| Row {
            group: e.directory.clone(),
            heading: false,
            status: covered(&e.covered_by),
            name: e.address.clone(),
            detail: match e.kind {
                ElementKind::Resource => "resource",
                ElementKind::DataSource => "data source",
                ElementKind::Output => "output",
                ElementKind::Validation => "validation",
            }
            .to_string(),
            place: place(&e.file, e.line),
            cases: vec![cases(&e.covered_by)],
        })
        .collect();
    let bash = coverage
        .bash
        .iter()
        .map(|f| Row {
            group: String::new(),
            heading: false,
            status: covered(&f.executed_by),
            name: f.function.clone(),
            detail: String::new(),
            place: place(&f.file, Some(f.line)),
            cases: vec![cases(&f.executed_by)],
        })
        .collect();
    let textfile = coverage
        .textfile
        .iter()
        .map(|m| Row {
            group: String::new(),
            heading: false,
            status: covered(&m.executed_by),
            name: m.metric.clone(),
            detail: m.alerts.join(", "),
            place: match &m.script {
                Some(script) => place(script, m.line),
                None => "(no script of the homelab writes it)".into(),
            },
            cases: vec![cases(&m.executed_by)],
        })
        .collect();
    let mut bash_files: Vec<FileRow> = coverage
        .bash_files
        .iter()
        .map(|f| FileRow {
            file: f.file.clone(),
            executed: f.executed,
            executable: f.executable,
            percent: format!(
                "{:.0} %",
                crate::coverage::Ratio {
                    covered: f.executed,
                    total: f.executable
                }
                .percent()
            ),
            missed: ranges(&f.missed),
        })
        .collect();
    // The least covered file first.
    bash_files.sort_by(|a, b| {
        let share = |f: &FileRow| f64::from(f.executed) / f64::from(f.executable.max(1));
        share(a)
            .total_cmp(&share(b))
            .then_with(|| a.file.cmp(&b.file))
    });
    CoverageView {
        lines: Figures::of(&coverage).lines(),
        alerts: untested_first(alerts),
        terraform: untested_first(terraform),
        bash: untested_first(bash),
        bash_files,
        textfile: untested_first(textfile),
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ScenarioLink {
    pub name: String,
    pub(crate) href: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct HistoryView {
    /// Why this run is not in the history (a filter, a shard, an unreadable file).
    pub note: Option<String>,
    /// Runs the history keeps.
    pub runs: usize,
    /// When the run compared with started.
    pub previous: Option<String>,
    pub(crate) newly_failing: Vec<ScenarioLink>,
    pub(crate) newly_passing: Vec<ScenarioLink>,
    /// e.g. `alerts with a firing case: 3/5 → 4/5`.
    pub(crate) coverage_up: Vec<String>,
    pub(crate) coverage_down: Vec<String>,
    pub(crate) trend: Option<TrendSvg>,
}

pub(crate) fn history_view(report: &RunReport, history: &HistoryReport) -> HistoryView {
    let names: BTreeMap<String, String> = report
        .features
        .iter()
        .flat_map(|f| {
            f.scenarios()
                .map(|s| (format!("{}:{}", f.path, s.line), s.name.clone()))
        })
        .collect();
    let scenario = |key: &String| ScenarioLink {
        name: names.get(key).cloned().unwrap_or_else(|| key.clone()),
        href: format!("#{key}"),
    };
    let changes = history
        .previous
        .as_ref()
        .map(|previous| history::changes(previous, &history.current))
        .unwrap_or_default();
    // A run that saw part of the suite has partial coverage: only its scenarios compare.
    let recorded = history.note.is_none();
    let moved = |up: bool| -> Vec<String> {
        changes
            .coverage
            .iter()
            .filter(|c| recorded && c.up == up)
            .map(|c| format!("{}: {} → {}", c.what, c.before, c.after))
            .collect()
    };
    HistoryView {
        note: history.note.clone(),
        runs: history.runs.len(),
        previous: history.previous.as_ref().map(|p| p.started.clone()),
        newly_failing: changes.newly_failing.iter().map(scenario).collect(),
        newly_passing: changes.newly_passing.iter().map(scenario).collect(),
        coverage_up: moved(true),
        coverage_down: moved(false),
        trend: svg::trend(&history.runs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::FunctionCoverage;

    #[test]
    fn untested_items_come_first_and_scenarios_link_to_their_entry() {
        let view = coverage_view(&crate::report::coverage_json::sample());
        let alerts: Vec<(&str, &str)> = view
            .alerts
            .iter()
            .map(|r| (r.status, r.name.as_str()))
            .collect();
        assert_eq!(
            alerts,
            [
                ("untested", "Zeta"),
                ("half-tested", "Half"),
                ("tested", "Alpha")
            ]
        );
        let alpha_firing = &view.alerts[2].cases[0].shown[0];
        assert_eq!(
            alpha_firing.href.as_deref(),
            Some("#features/us1.feature:12")
        );
        let promtool = &view.alerts[1].cases[0].shown[0];
        assert_eq!(
            (promtool.href.as_deref(), promtool.place.as_str()),
            (None, "features/us1.feature")
        );
        assert_eq!(view.terraform[0].status, "untested");
        assert_eq!(view.bash_files[0].missed, "12-13, 15");
        assert_eq!(view.textfile[0].name, "orphan_metric");
    }

    #[test]
    fn a_long_list_of_cases_is_cut() {
        let case = |i: u32| CaseRef {
            kind: CaseKind::Bats,
            name: format!("t{i:02}"),
            file: "tests/a.bats".into(),
            line: Some(i),
        };
        let coverage = Coverage {
            bash: vec![FunctionCoverage {
                function: "f".into(),
                file: "lib.sh".into(),
                line: 1,
                executed_by: (1..=10).map(case).collect(),
            }],
            ..Coverage::default()
        };
        let view = coverage_view(&coverage);
        assert_eq!(view.bash[0].cases[0].shown.len(), CASES_SHOWN);
        assert_eq!(view.bash[0].cases[0].more, 10 - CASES_SHOWN);
        assert_eq!(view.bash[0].cases[0].shown[0].place, "tests/a.bats:1");
        assert_eq!(ranges(&[1, 2, 3, 7, 9, 10]), "1-3, 7, 9-10");
    }
}
