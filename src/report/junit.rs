//! JUnit XML: collecting tool-level suites during a run and merging them into cucumber's file.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use quick_xml::escape::escape;

/// One test case reported by an external tool (a terraform `run`, a BATS test, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCase {
    pub name: String,
    pub classname: String,
    pub time: Duration,
    /// `Some(message)` when the case failed.
    pub failure: Option<String>,
    pub skipped: bool,
}

/// The cases one tool run reported, as one JUnit `<testsuite>`.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSuite {
    /// e.g. `terraform test: lxc` or `bats: tests/restore/test_common.bats`.
    pub name: String,
    pub cases: Vec<ToolCase>,
}

impl ToolSuite {
    pub fn failures(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_some()).count()
    }

    fn to_xml(&self) -> String {
        let time: f64 = self.cases.iter().map(|c| c.time.as_secs_f64()).sum();
        let skipped = self.cases.iter().filter(|c| c.skipped).count();
        let mut xml = format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{:.3}\">\n",
            escape(self.name.as_str()),
            self.cases.len(),
            self.failures(),
            skipped,
            time
        );
        for case in &self.cases {
            xml.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(case.name.as_str()),
                escape(case.classname.as_str()),
                case.time.as_secs_f64()
            ));
            match (&case.failure, case.skipped) {
                (Some(msg), _) => xml.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(first_line(msg)),
                    escape(msg.as_str())
                )),
                (None, true) => xml.push_str(">\n      <skipped/>\n    </testcase>\n"),
                (None, false) => xml.push_str("/>\n"),
            }
        }
        xml.push_str("  </testsuite>\n");
        xml
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

static RECORDED: Mutex<Vec<ToolSuite>> = Mutex::new(Vec::new());

/// Keeps a tool's results for the JUnit report of this run.
pub fn record(suite: ToolSuite) {
    RECORDED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(suite);
}

/// Everything recorded so far, in order.
pub fn recorded() -> Vec<ToolSuite> {
    RECORDED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Appends tool suites to the `<testsuites>` document cucumber wrote at `path`.
pub fn merge_tool_suites(path: &Path, suites: &[ToolSuite]) -> std::io::Result<()> {
    if suites.is_empty() {
        return Ok(());
    }
    let original = std::fs::read_to_string(path)?;
    let extra: String = suites.iter().map(ToolSuite::to_xml).collect();
    let merged = match original.rfind("</testsuites>") {
        Some(end) => format!("{}{}{}", &original[..end], extra, &original[end..]),
        None => format!("{original}<testsuites>\n{extra}</testsuites>\n"),
    };
    std::fs::write(path, merged)
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
    use super::*;

    fn suite() -> ToolSuite {
        ToolSuite {
            name: "terraform test: lxc".into(),
            cases: vec![
                ToolCase {
                    name: "tags_kept".into(),
                    classname: "tests/regression.tftest.hcl".into(),
                    time: Duration::from_millis(120),
                    failure: None,
                    skipped: false,
                },
                ToolCase {
                    name: "default <description>".into(),
                    classname: "tests/regression.tftest.hcl".into(),
                    time: Duration::from_millis(80),
                    failure: Some("Test assertion failed\ndescription was \"x\"".into()),
                    skipped: false,
                },
            ],
        }
    }

    #[test]
    fn tool_suites_are_appended_inside_testsuites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        std::fs::write(&path, "<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"f\" tests=\"1\"><testcase name=\"s\"/></testsuite>\n</testsuites>\n").unwrap();
        merge_tool_suites(&path, &[suite()]).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        assert!(xml.trim_end().ends_with("</testsuites>"), "{xml}");
        assert_eq!(summarize(&xml), (3, 1, 0));
        assert!(
            xml.contains("name=\"default &lt;description&gt;\""),
            "{xml}"
        );
        assert!(
            xml.contains("<failure message=\"Test assertion failed\">"),
            "{xml}"
        );
    }

    #[test]
    fn the_merged_file_is_well_formed_xml() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        std::fs::write(&path, "<testsuites>\n</testsuites>\n").unwrap();
        merge_tool_suites(&path, &[suite()]).unwrap();
        let xml = std::fs::read_to_string(&path).unwrap();
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}\n{xml}"),
            }
        }
    }
}
