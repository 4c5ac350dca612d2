//! `reports/junit.xml`: cucumber's scenarios, then one `<testsuite>` per tool run that the
//! scenarios returned, written from one place and well-formed whatever the tools printed.
//!
//! The report is one typed model, `quick-junit`'s (cargo-nextest's): cucumber's file is read
//! into it, each scenario that did not apply gets its reason, the tool runs are added as
//! suites, the counts are taken from the cases, and the model is written back. No XML is
//! spliced or edited as text.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::collected::NotApplicableScenario;
use super::text::sanitize;
use crate::finding::Finding;
use crate::outcome::{CaseStatus, ToolRun};

/// Why the JUnit report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a JUnit report cucumber could have written: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: quick_junit::DeserializeError,
    },
    #[error("cannot serialize the JUnit report for {path}: {source}")]
    Serialize {
        path: String,
        #[source]
        source: quick_junit::SerializeError,
    },
}

/// The tool runs of a whole run, each once, and one suite per name: scenarios that share
/// a cached run (the same module's `terraform test`) all return it, and it is reported
/// once; the cases of runs with one suite name (a promtool test per scenario) are grouped.
pub fn distinct(runs: Vec<ToolRun>) -> Vec<ToolRun> {
    let mut seen: Vec<ToolRun> = Vec::new();
    let mut grouped: Vec<ToolRun> = Vec::new();
    for run in runs {
        if seen.contains(&run) {
            continue;
        }
        seen.push(run.clone());
        match grouped
            .iter_mut()
            .find(|g| g.suite == run.suite && g.broken_copy == run.broken_copy)
        {
            Some(group) => group.cases.extend(run.cases),
            None => grouped.push(run),
        }
    }
    grouped
}

/// One JUnit suite per tool run.
pub(crate) fn test_suites(runs: &[ToolRun]) -> Vec<TestSuite> {
    runs.iter().map(test_suite).collect()
}

/// The message of each case named `case` that the report lists as skipped (a note, a
/// suppressed finding), as `junit.xml` writes it.
pub fn skipped_messages(runs: &[ToolRun], case: &str) -> Vec<String> {
    let suites = test_suites(runs);
    let cases = suites.iter().flat_map(|suite| &suite.test_cases);
    cases
        .filter(|found| found.name.as_str() == case)
        .filter_map(|found| match &found.status {
            TestCaseStatus::Skipped { message, .. } => {
                Some(message.as_ref().map(|m| m.to_string()).unwrap_or_default())
            }
            _ => None,
        })
        .collect()
}

/// The tool runs' suites as a JUnit document of their own (for a look at them alone).
pub fn tool_suites_xml(runs: &[ToolRun]) -> String {
    let mut report = Report::unnamed();
    report.add_test_suites(test_suites(runs));
    report.to_string().unwrap_or_default()
}

fn test_suite(run: &ToolRun) -> TestSuite {
    let name = match &run.broken_copy {
        Some(copy) => format!("{} (broken copy: {})", run.suite, copy.change),
        None => run.suite.clone(),
    };
    let mut suite = TestSuite::new(sanitize(&name));
    suite.set_time(run.cases.iter().map(|c| c.time).sum::<Duration>());
    for case in &run.cases {
        let mut name = case.name.clone();
        let mut status = &case.status;
        // A run on a broken copy that failed is what its scenario expects: its cases pass,
        // and their names say which copy and which finding was expected.
        if let (Some(copy), CaseStatus::Failed(finding)) = (&run.broken_copy, &case.status) {
            let expected = copy.expected.as_deref().unwrap_or(finding.id.as_str());
            name = format!("{name} [failed as expected on the broken copy: {expected}]");
            status = &CaseStatus::Passed;
        }
        let mut test_case = TestCase::new(sanitize(&name), case_status(status));
        test_case.set_classname(sanitize(&case.classname));
        test_case.set_time(case.time);
        suite.add_test_case(test_case);
    }
    suite
}

fn case_status(status: &CaseStatus) -> TestCaseStatus {
    match status {
        CaseStatus::Passed => TestCaseStatus::success(),
        CaseStatus::Skipped => TestCaseStatus::skipped(),
        // A note's message is its reason ("not checked: ..."), and a suppressed finding's
        // starts "suppressed: <reason>", so a CI view tells one kind of skip from another.
        CaseStatus::Note(finding) => skipped(finding, message(finding)),
        CaseStatus::Failed(finding) => match &finding.suppressed {
            Some(suppressed) => skipped(
                finding,
                format!("suppressed: {} ({})", suppressed.reason, message(finding)),
            ),
            None => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(message(finding))
                    .set_type(finding.id.as_str())
                    .set_description(sanitize(&finding.to_string()));
                status
            }
        },
    }
}

fn skipped(finding: &Finding, message: String) -> TestCaseStatus {
    let mut status = TestCaseStatus::skipped();
    status
        .set_message(sanitize(&message))
        .set_description(sanitize(&finding.to_string()));
    status
}

/// The id and the message's first line: a case's `message`, the whole finding its text.
fn message(finding: &Finding) -> String {
    format!(
        "[{}] {}",
        finding.id,
        first_line(&sanitize(&finding.message))
    )
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The feature file and line cucumber's JUnit writer puts at the end of a scenario's case
/// name (`...Scenario: <name>: <path>:<line>:<column>`).
fn case_place(name: &str) -> Option<(&str, usize)> {
    let (rest, _column) = name.rsplit_once(':')?;
    let (rest, line) = rest.rsplit_once(':')?;
    let path = rest.rsplit_once(": ").map_or(rest, |(_, p)| p);
    Some((path, line.parse().ok()?))
}

/// Gives each skipped scenario that did not apply to the homelab its reason as `message`,
/// so CI shows why it was skipped.
fn mark_not_applicable(report: &mut Report, scenarios: &[NotApplicableScenario]) {
    for case in report
        .test_suites
        .iter_mut()
        .flat_map(|suite| suite.test_cases.iter_mut())
    {
        let Some((path, line)) = case_place(case.name.as_str()) else {
            continue;
        };
        let reason = scenarios
            .iter()
            .find(|s| s.line == line && !path.is_empty() && s.feature.ends_with(path));
        if let (Some(reason), TestCaseStatus::Skipped { message, .. }) = (reason, &mut case.status)
        {
            *message = Some(reason.message.as_str().into());
        }
    }
}

/// The counts of every suite and of the whole report, from the cases themselves: cucumber's
/// file leaves some out, and the tool runs add to them.
fn recount(report: &mut Report) {
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for suite in &mut report.test_suites {
        suite.tests = suite.test_cases.len();
        suite.failures = 0;
        suite.errors = 0;
        suite.skipped = 0;
        for case in &suite.test_cases {
            match &case.status {
                TestCaseStatus::Success { .. } => {}
                TestCaseStatus::Skipped { .. } => suite.skipped += 1,
                TestCaseStatus::NonSuccess { kind, .. } => match kind {
                    NonSuccessKind::Failure => suite.failures += 1,
                    NonSuccessKind::Error => suite.errors += 1,
                },
            }
        }
        tests += suite.tests;
        failures += suite.failures;
        errors += suite.errors;
        skipped += suite.skipped;
    }
    (report.tests, report.failures, report.errors, report.skipped) =
        (tests, failures, errors, skipped);
}

/// Rewrites the JUnit file cucumber wrote at `path`: its text made well-formed (colour
/// codes, control characters and invalid UTF-8 in scenario messages), the reason on each
/// scenario that did not apply, and the tool runs added as suites.
pub fn finish(
    path: &Path,
    runs: &[ToolRun],
    not_applicable: &[NotApplicableScenario],
) -> Result<(), JunitError> {
    let shown = path.display().to_string();
    let io = |source| JunitError::Io {
        path: shown.clone(),
        source,
    };
    let original = std::fs::read(path).map_err(io)?;
    let cucumber = sanitize(&String::from_utf8_lossy(&original));
    let mut report = if cucumber.trim().is_empty() {
        Report::unnamed()
    } else {
        Report::deserialize_from_str(&cucumber).map_err(|source| JunitError::Unreadable {
            path: shown.clone(),
            source,
        })?
    };
    mark_not_applicable(&mut report, not_applicable);
    report.add_test_suites(test_suites(runs));
    recount(&mut report);
    let text = report.to_string().map_err(|source| JunitError::Serialize {
        path: shown.clone(),
        source,
    })?;
    std::fs::write(path, text).map_err(io)
}

/// Counts in a JUnit file: (testcases, failures + errors, skipped).
pub fn summarize(xml: &str) -> (usize, usize, usize) {
    let count = |needle: &str| xml.matches(needle).count();
    (
        count("<testcase "),
        count("<failure") + count("<error"),
        count("<skipped"),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use quick_xml::events::Event;

    use super::*;
    use crate::finding::FindingId;
    use crate::outcome::{BrokenCopy, ToolCase};

    fn run(output: &str) -> ToolRun {
        ToolRun {
            suite: "bats: tests/restore/test_common.bats".into(),
            cases: vec![
                ToolCase {
                    name: "retries <three> times & \"stops\"".into(),
                    classname: "tests/restore/test_common.bats".into(),
                    time: Duration::from_millis(120),
                    status: CaseStatus::Passed,
                },
                ToolCase {
                    name: "logs in colour".into(),
                    classname: "tests/restore/test_common.bats".into(),
                    time: Duration::from_millis(80),
                    status: CaseStatus::Failed(
                        Finding::new(
                            FindingId::new("bats/test-failed"),
                            "tests/restore/test_common.bats",
                            output,
                        )
                        .about("logs in colour"),
                    ),
                },
                ToolCase {
                    name: "skipped one".into(),
                    classname: "tests/restore/test_common.bats".into(),
                    time: Duration::ZERO,
                    status: CaseStatus::Skipped,
                },
            ],
            broken_copy: None,
        }
    }

    /// Parses with a real XML parser (quick-xml, checking every end tag and character).
    fn well_formed(xml: &str) -> Result<(), String> {
        let mut reader = quick_xml::Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        loop {
            match reader.read_event() {
                Ok(Event::Eof) => return Ok(()),
                Ok(Event::Text(t)) => {
                    t.decode().map_err(|e| e.to_string())?;
                }
                Ok(_) => {}
                Err(e) => return Err(format!("{e} at {}", reader.buffer_position())),
            }
        }
    }

    #[test]
    fn colour_codes_and_control_characters_never_reach_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        // A cucumber report whose scenario message carries what a colourful script logs.
        std::fs::write(
            &path,
            "<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"f\" tests=\"1\"><testcase name=\"s\"><failure>\u{1b}[31mERROR\u{1b}[0m bell\u{7} nul\u{0}</failure></testcase></testsuite>\n</testsuites>\n",
        )
        .unwrap();
        let noisy = "\u{1b}[1;31m[ERROR]\u{1b}[0m ssh failed\u{8}\u{b}\u{c} \u{1b}]0;title\u{7}done\u{fffe}";
        finish(&path, &[run(noisy)], &[]).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        well_formed(&xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
        assert!(!xml.contains('\u{1b}') && !xml.contains('\u{7}'), "{xml}");
        assert!(xml.contains("[ERROR] ssh failed"), "{xml}");
        assert_eq!(summarize(&xml), (4, 2, 1));
    }

    #[test]
    fn invalid_utf8_from_cucumber_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        let mut bytes =
            b"<testsuites><testsuite name=\"f\"><testcase name=\"s\"><failure>".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe, b'x']);
        bytes.extend_from_slice(b"</failure></testcase></testsuite></testsuites>");
        std::fs::write(&path, bytes).unwrap();
        finish(&path, &[], &[]).unwrap();
        well_formed(&std::fs::read_to_string(&path).unwrap()).unwrap();
    }

    #[test]
    fn a_broken_copy_that_fails_as_expected_is_a_passed_case_naming_it() {
        let mut broken = run("1 of 1 assertions failed");
        broken.broken_copy = Some(BrokenCopy {
            change: "the SCSI controller is virtio-scsi-pci".into(),
            expected: Some("terraform/run-failed".into()),
        });
        let xml = tool_suites_xml(&[broken]);
        well_formed(&xml).unwrap();
        assert_eq!(summarize(&xml).1, 0, "{xml}");
        assert!(xml.contains("broken copy: the SCSI controller is virtio-scsi-pci"));
        assert!(xml.contains("failed as expected on the broken copy: terraform/run-failed"));
    }

    #[test]
    fn a_scenario_that_does_not_apply_is_skipped_with_its_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        std::fs::write(
            &path,
            "<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"f\" tests=\"2\">\
             <testcase name=\"Rule: r: Scenario: a: /features/us1_static.feature:70:5\"><skipped/><system-out>x</system-out></testcase>\
             <testcase name=\"Scenario: b: /features/us1_static.feature:75:5\"><skipped/></testcase>\
             </testsuite>\n</testsuites>\n",
        )
        .unwrap();
        let reason = NotApplicableScenario {
            feature: "/work/x/features/us1_static.feature".into(),
            line: 70,
            message: "not applicable: no alert quotes a label".into(),
        };
        finish(&path, &[], &[reason]).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        well_formed(&xml).unwrap();
        let report = Report::deserialize_from_str(&xml).unwrap();
        let skip_messages: Vec<Option<&str>> = report.test_suites[0]
            .test_cases
            .iter()
            .map(|c| match &c.status {
                TestCaseStatus::Skipped { message, .. } => message.as_ref().map(|m| m.as_str()),
                _ => panic!("{xml}"),
            })
            .collect();
        // The other skipped scenario keeps cucumber's plain skip.
        assert_eq!(
            skip_messages,
            [Some("not applicable: no alert quotes a label"), None],
            "{xml}"
        );
        assert_eq!(report.skipped, 2, "counted from the cases");
    }

    #[test]
    fn a_checks_notes_are_skipped_cases_with_their_reason_never_failures() {
        use crate::outcome::CheckedFindings;
        let checked = CheckedFindings {
            check: "catalog check: tooling.yml".into(),
            broken_copy: None,
            findings: vec![
                Finding::new(
                    FindingId::new("catalog/unchecked"),
                    "tooling.yml",
                    "not checked: no catalog for traefik 3.1 <x> \u{1b}[1m",
                )
                .at_line(7)
                .about("TraefikDown")
                .note(),
                Finding::new(FindingId::new("promql/series"), "tooling.yml", "dead").about("X"),
            ],
        };
        let notes = checked.notes_run().expect("one note");
        assert_eq!(
            notes.cases.len(),
            1,
            "only the note: the failure fails its scenario"
        );
        assert_eq!(notes.failures(), 0);
        let xml = tool_suites_xml(&[notes]);
        well_formed(&xml).unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
        assert_eq!(summarize(&xml), (1, 0, 1), "{xml}");
        assert!(
            xml.contains("<skipped message=\"[catalog/unchecked] not checked: no catalog for traefik 3.1 &lt;x&gt;"),
            "{xml}"
        );
        let without = CheckedFindings {
            check: "c".into(),
            broken_copy: None,
            findings: vec![],
        };
        assert!(without.notes_run().is_none());
    }

    #[test]
    fn a_suppressed_finding_is_a_skipped_case_with_its_reason_never_a_failure() {
        use crate::finding::Suppressed;
        use crate::outcome::CheckedFindings;
        let suppressed = Finding::new(FindingId::new("promql/series"), "r.yml", "dead")
            .at_line(4)
            .about("X")
            .suppressed_by(Suppressed {
                file: "r.yml".into(),
                line: 3,
                reason: "installed by hand".into(),
            });
        let mut tool = run("x");
        tool.cases[1].status = CaseStatus::Failed(suppressed.clone());
        let checked = CheckedFindings {
            check: "catalog checks: r.yml".into(),
            findings: vec![suppressed],
            broken_copy: None,
        };
        let mut runs = vec![tool];
        runs.extend(super::super::collected::tool_runs_of(vec![
            crate::outcome::Outcome::Findings(checked),
        ]));
        let suites = test_suites(&runs);
        assert_eq!(
            suites.len(),
            2,
            "the tool run and the check's suppressed findings"
        );
        for suite in &suites {
            assert_eq!(suite.failures, 0, "{suite:?}");
            let case = suite
                .test_cases
                .iter()
                .find(|c| {
                    matches!(c.status, TestCaseStatus::Skipped { .. })
                        && c.name.as_str() != "skipped one"
                })
                .expect("a skipped case");
            let TestCaseStatus::Skipped { message, .. } = &case.status else {
                unreachable!()
            };
            assert!(
                message
                    .as_ref()
                    .is_some_and(|m| m.as_str().starts_with("suppressed: installed by hand")),
                "{message:?}"
            );
        }
    }

    #[test]
    fn a_shared_run_is_reported_once_and_one_name_is_one_suite() {
        let runs = distinct(vec![run("x"), run("x"), run("y")]);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].cases.len(), 6);
    }
}
