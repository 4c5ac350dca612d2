//! Reading the JUnit XML that `terraform test -junit-xml=FILE` writes: one `<testsuite>` per
//! test file, one `<testcase>` per `run`, with `<failure>`, `<error>` or `<skipped>`.

use std::time::Duration;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// One `run` as Terraform reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct JunitCase {
    /// The test file (`tests/regression.tftest.hcl`).
    pub file: String,
    pub run: String,
    pub time: Duration,
    /// The failure or error text, when the run did not pass.
    pub failure: Option<String>,
    pub skipped: bool,
}

fn attribute(start: &BytesStart, name: &[u8]) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// Parses Terraform's JUnit report.
/// Terraform's JUnit report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not valid JUnit XML at byte {position}: {reason}")]
pub struct JunitParseError {
    pub position: u64,
    pub reason: String,
}

pub fn parse(xml: &str) -> Result<Vec<JunitCase>, JunitParseError> {
    let mut reader = Reader::from_str(xml);
    let mut cases = Vec::new();
    let mut suite = String::new();
    let mut current: Option<JunitCase> = None;
    // Inside <failure> or <error>: its text is collected into the current case.
    let mut in_failure = false;
    loop {
        let event = reader.read_event().map_err(|e| JunitParseError {
            position: reader.buffer_position(),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(start) | Event::Empty(start) if start.name().as_ref() == b"testsuite" => {
                suite = attribute(&start, b"name").unwrap_or_default();
            }
            Event::Start(ref start) if start.name().as_ref() == b"testcase" => {
                current = Some(new_case(start, &suite));
            }
            Event::Empty(ref start) if start.name().as_ref() == b"testcase" => {
                cases.push(new_case(start, &suite));
            }
            Event::Start(ref start) | Event::Empty(ref start)
                if matches!(start.name().as_ref(), b"failure" | b"error") =>
            {
                if let Some(case) = current.as_mut() {
                    let message = attribute(start, b"message").unwrap_or_default();
                    case.failure = Some(message);
                }
                in_failure = matches!(event, Event::Start(_));
            }
            Event::Start(ref start) | Event::Empty(ref start)
                if start.name().as_ref() == b"skipped" =>
            {
                if let Some(case) = current.as_mut() {
                    case.skipped = true;
                }
            }
            Event::Text(text) if in_failure => {
                let text = text.decode().map_err(|e| JunitParseError {
                    position: reader.buffer_position(),
                    reason: e.to_string(),
                })?;
                append_detail(
                    current.as_mut(),
                    &quick_xml::escape::unescape(&text).map_err(|e| JunitParseError {
                        position: reader.buffer_position(),
                        reason: e.to_string(),
                    })?,
                );
            }
            Event::CData(data) if in_failure => {
                append_detail(current.as_mut(), &String::from_utf8_lossy(&data));
            }
            Event::End(end) if matches!(end.name().as_ref(), b"failure" | b"error") => {
                in_failure = false;
            }
            Event::End(end) if end.name().as_ref() == b"testcase" => {
                if let Some(case) = current.take() {
                    cases.push(case);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(cases)
}

fn new_case(start: &BytesStart, suite: &str) -> JunitCase {
    let time = attribute(start, b"time")
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|t| t.is_finite() && *t >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or_default();
    JunitCase {
        file: attribute(start, b"classname").unwrap_or_else(|| suite.to_string()),
        run: attribute(start, b"name").unwrap_or_default(),
        time,
        failure: None,
        skipped: false,
    }
}

fn append_detail(case: Option<&mut JunitCase>, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if let Some(case) = case {
        let failure = case.failure.get_or_insert_with(String::new);
        if !failure.is_empty() {
            failure.push('\n');
        }
        failure.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_failures_and_skips_are_read_per_run() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><testsuites>
  <testsuite name="tests/t.tftest.hcl" tests="3" skipped="1" failures="1" errors="0">
    <testcase name="one" classname="tests/t.tftest.hcl" time="0.25" timestamp="2026-11-26T01:00:46Z"></testcase>
    <testcase name="fails" classname="tests/t.tftest.hcl" time="0.006">
      <failure message="1 of 1 assertions failed: x is not b"><![CDATA[
Error: Test assertion failed

  on tests/t.tftest.hcl line 29, in run "fails":
x is not b
]]></failure>
    </testcase>
    <testcase name="later" classname="tests/t.tftest.hcl"><skipped message="Testing halted"></skipped></testcase>
  </testsuite>
</testsuites>"#;
        let cases = parse(xml).unwrap();
        assert_eq!(cases.len(), 3);
        assert_eq!(cases[0].run, "one");
        assert_eq!(cases[0].file, "tests/t.tftest.hcl");
        assert_eq!(cases[0].time, Duration::from_millis(250));
        assert_eq!(cases[0].failure, None);
        let failure = cases[1].failure.as_deref().unwrap();
        assert!(
            failure
                .starts_with("1 of 1 assertions failed: x is not b\nError: Test assertion failed"),
            "{failure}"
        );
        assert!(failure.contains("line 29, in run \"fails\""), "{failure}");
        assert!(cases[2].skipped);
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(
            parse("<testsuites><testsuite name=\"x\"><testcase name=\"a\"></testsuite>").is_err()
        );
    }
}
