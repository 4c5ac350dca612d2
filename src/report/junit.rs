//! `reports/junit.xml`: cucumber's scenarios, then one `<testsuite>` per tool run that the
//! scenarios returned, written from one place and well-formed whatever the tools printed.

use std::collections::HashSet;
use std::io::Cursor;
use std::path::Path;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::collected::NotApplicableScenario;
use super::text::sanitize;
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
}

/// The tool runs of a whole run, each once, and one suite per name: scenarios that share
/// a cached run (the same module's `terraform test`) all return it, and it is reported
/// once; the cases of runs with one suite name (a promtool test per scenario) are grouped.
pub fn distinct(runs: Vec<ToolRun>) -> Vec<ToolRun> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut grouped: Vec<ToolRun> = Vec::new();
    for run in runs {
        if !seen.insert(format!("{run:?}")) {
            continue;
        }
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

/// One `<testsuite>` per run, as XML text (no declaration, no root element).
pub fn tool_suites_xml(runs: &[ToolRun]) -> String {
    let mut writer = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    for run in runs {
        write_suite(&mut writer, run);
    }
    String::from_utf8(writer.into_inner().into_inner()).unwrap_or_default()
}

fn write_suite(writer: &mut Writer<Cursor<Vec<u8>>>, run: &ToolRun) {
    let time: f64 = run.cases.iter().map(|c| c.time.as_secs_f64()).sum();
    let skipped = run
        .cases
        .iter()
        .filter(|c| matches!(c.status, CaseStatus::Skipped | CaseStatus::Note(_)))
        .count();
    // A run on a broken copy that failed is what its scenario expects: its cases pass, and
    // their names say which copy and which finding was expected.
    let failures = if run.broken_copy.is_some() {
        0
    } else {
        run.failures()
    };
    let name = match &run.broken_copy {
        Some(copy) => format!("{} (broken copy: {})", run.suite, copy.change),
        None => run.suite.clone(),
    };
    let mut suite = BytesStart::new("testsuite");
    suite.push_attribute(("name", sanitize(&name).as_str()));
    suite.push_attribute(("tests", run.cases.len().to_string().as_str()));
    suite.push_attribute(("failures", failures.to_string().as_str()));
    suite.push_attribute(("errors", "0"));
    suite.push_attribute(("skipped", skipped.to_string().as_str()));
    suite.push_attribute(("time", format!("{time:.3}").as_str()));
    let _ = writer.write_event(Event::Start(suite));
    for case in &run.cases {
        let mut name = case.name.clone();
        let mut status = &case.status;
        if let (Some(copy), CaseStatus::Failed(finding)) = (&run.broken_copy, &case.status) {
            let expected = copy.expected.as_deref().unwrap_or(finding.id.as_str());
            name = format!("{name} [failed as expected on the broken copy: {expected}]");
            status = &CaseStatus::Passed;
        }
        let mut element = BytesStart::new("testcase");
        element.push_attribute(("name", sanitize(&name).as_str()));
        element.push_attribute(("classname", sanitize(&case.classname).as_str()));
        element.push_attribute(("time", format!("{:.3}", case.time.as_secs_f64()).as_str()));
        match status {
            CaseStatus::Passed => {
                let _ = writer.write_event(Event::Empty(element));
            }
            CaseStatus::Skipped => {
                let _ = writer.write_event(Event::Start(element));
                let _ = writer.write_event(Event::Empty(BytesStart::new("skipped")));
                let _ = writer.write_event(Event::End(BytesEnd::new("testcase")));
            }
            // A note's message is its reason ("not checked: ..."), the id in front as for
            // failures, so a CI view tells one kind of skip from another.
            CaseStatus::Note(finding) => write_finding(writer, element, "skipped", finding),
            CaseStatus::Failed(finding) => write_finding(writer, element, "failure", finding),
        }
    }
    let _ = writer.write_event(Event::End(BytesEnd::new("testsuite")));
}

/// A test case carrying a finding as its `<failure>` or `<skipped>` child: the id and the
/// message's first line as the child's `message`, the whole finding as its text.
fn write_finding(
    writer: &mut Writer<Cursor<Vec<u8>>>,
    case: BytesStart<'_>,
    child: &str,
    finding: &crate::finding::Finding,
) {
    let mut element = BytesStart::new(child);
    let message = format!(
        "[{}] {}",
        finding.id,
        first_line(&sanitize(&finding.message))
    );
    element.push_attribute(("message", message.as_str()));
    if child == "failure" {
        element.push_attribute(("type", finding.id.as_str()));
    }
    let _ = writer.write_event(Event::Start(case));
    let _ = writer.write_event(Event::Start(element));
    let _ = writer.write_event(Event::Text(BytesText::new(&sanitize(&finding.to_string()))));
    let _ = writer.write_event(Event::End(BytesEnd::new(child)));
    let _ = writer.write_event(Event::End(BytesEnd::new("testcase")));
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

/// Gives the `<skipped>` element of each scenario that did not apply to the homelab its
/// reason as `message`, so CI shows why it was skipped.
fn mark_not_applicable(xml: &str, scenarios: &[NotApplicableScenario]) -> String {
    if scenarios.is_empty() {
        return xml.to_string();
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut writer = Writer::new(Cursor::new(Vec::new()));
    let mut reason: Option<&str> = None;
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) => break,
            // Unreadable: leave the file as it was rather than lose the report.
            Err(_) => return xml.to_string(),
            Ok(event) => event,
        };
        let event = match event {
            Event::Start(start) if start.name().as_ref() == b"testcase" => {
                let name = start
                    .try_get_attribute("name")
                    .ok()
                    .flatten()
                    .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                    .unwrap_or_default();
                reason = case_place(&name).and_then(|(path, line)| {
                    scenarios
                        .iter()
                        .find(|s| s.line == line && !path.is_empty() && s.feature.ends_with(path))
                        .map(|s| s.message.as_str())
                });
                Event::Start(start)
            }
            Event::End(end) if end.name().as_ref() == b"testcase" => {
                reason = None;
                Event::End(end)
            }
            Event::Empty(skipped) if skipped.name().as_ref() == b"skipped" && reason.is_some() => {
                let mut marked = BytesStart::new("skipped");
                marked.push_attribute(("message", reason.unwrap_or_default()));
                Event::Empty(marked)
            }
            other => other,
        };
        if writer.write_event(event).is_err() {
            return xml.to_string();
        }
    }
    String::from_utf8(writer.into_inner().into_inner()).unwrap_or_else(|_| xml.to_string())
}

/// Rewrites the JUnit file cucumber wrote at `path`: its text made well-formed (colour
/// codes, control characters and invalid UTF-8 in scenario messages), the reason on each
/// scenario that did not apply, and the tool runs appended inside `<testsuites>`.
pub fn finish(
    path: &Path,
    runs: &[ToolRun],
    not_applicable: &[NotApplicableScenario],
) -> Result<(), JunitError> {
    let io = |source| JunitError::Io {
        path: path.display().to_string(),
        source,
    };
    let original = std::fs::read(path).map_err(io)?;
    let cucumber = mark_not_applicable(
        &sanitize(&String::from_utf8_lossy(&original)),
        not_applicable,
    );
    let extra = tool_suites_xml(runs);
    let merged = match cucumber.rfind("</testsuites>") {
        Some(end) => format!("{}{}\n{}", &cucumber[..end], extra, &cucumber[end..]),
        None if cucumber.trim().is_empty() => {
            let mut writer = Writer::new(Cursor::new(Vec::new()));
            let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
            let decl = String::from_utf8(writer.into_inner().into_inner()).unwrap_or_default();
            format!("{decl}\n<testsuites>\n{extra}\n</testsuites>\n")
        }
        None => format!("{cucumber}<testsuites>\n{extra}\n</testsuites>\n"),
    };
    std::fs::write(path, merged).map_err(io)
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

    use super::*;
    use crate::finding::{Finding, FindingId};
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
        assert!(
            xml.contains(
                "feature:70:5\"><skipped message=\"not applicable: no alert quotes a label\"/>"
            ),
            "{xml}"
        );
        // The other skipped scenario keeps cucumber's plain skip.
        assert!(xml.contains("feature:75:5\"><skipped/>"), "{xml}");
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
    fn a_shared_run_is_reported_once_and_one_name_is_one_suite() {
        let runs = distinct(vec![run("x"), run("x"), run("y")]);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].cases.len(), 6);
    }
}
