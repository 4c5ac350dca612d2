//! GitHub Actions workflow commands for the run's findings, so that they appear on the pull
//! request's lines without an upload step: `::error file=F,line=L,title=<id>::<message>` for
//! a failure, `::notice ...` for a note, printed on stdout when `GITHUB_ACTIONS=true`.
//!
//! GitHub shows about 10 annotations of a kind per step and 50 per job, so failures come
//! first, at most [`PER_KIND`] of each kind are printed, and one plain line counts the rest
//! (all of them are in `findings.sarif`).

use std::path::Path;

use super::sarif::{message, relative_file};
use crate::finding::Finding;

/// How many annotations of one kind (error, notice) GitHub shows for a step.
pub(crate) const PER_KIND: usize = 10;

/// Whether the run is a GitHub Actions job (GitHub sets `GITHUB_ACTIONS=true` itself).
pub fn on_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// One workflow command for a finding; the file relative to `root`, when it has one there.
pub fn command(finding: &Finding, root: &Path) -> String {
    let kind = if finding.is_note() { "notice" } else { "error" };
    let mut properties = Vec::new();
    if let Some(file) = relative_file(finding, root) {
        properties.push(format!("file={}", escape_property(&file)));
        if let Some(line) = finding.line {
            properties.push(format!("line={line}"));
        }
    }
    properties.push(format!("title={}", escape_property(finding.id.as_str())));
    format!(
        "::{kind} {}::{}",
        properties.join(","),
        escape_data(&message(finding))
    )
}

/// The lines to print for a run's findings: failures first, at most [`PER_KIND`] of each
/// kind, then one line for the rest (none when everything was printed). A suppressed
/// finding was accepted on purpose, in the file itself: it is not annotated (it stays in
/// `findings.sarif` and `junit.xml`).
pub fn lines(findings: &[Finding], root: &Path, sarif: &Path) -> Vec<String> {
    let (notes, failures): (Vec<&Finding>, Vec<&Finding>) = findings
        .iter()
        .filter(|f| !f.is_suppressed())
        .partition(|f| f.is_note());
    let mut out: Vec<String> = failures
        .iter()
        .take(PER_KIND)
        .chain(notes.iter().take(PER_KIND))
        .map(|f| command(f, root))
        .collect();
    let more_failures = failures.len().saturating_sub(PER_KIND);
    let more_notes = notes.len().saturating_sub(PER_KIND);
    if more_failures + more_notes > 0 {
        out.push(format!(
            "annotations: {more_failures} more failures and {more_notes} more notes are not annotated; every finding is in {}",
            sarif.display()
        ));
    }
    out
}

/// GitHub's escaping of a command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingId;

    const RULES: &str = "infrastructure/monitoring/rules/default.yml";

    #[test]
    fn a_finding_in_a_rules_file_is_an_error_at_its_file_and_line() {
        let finding = Finding::new(FindingId::new("promql/series"), RULES, "no such metric")
            .at_line(42)
            .about("DiskFull");
        assert_eq!(
            command(&finding, Path::new("/repo")),
            format!("::error file={RULES},line=42,title=promql/series::DiskFull: no such metric")
        );
    }

    #[test]
    fn a_note_is_a_notice_and_an_absolute_path_under_the_root_is_made_relative() {
        let finding = Finding::new(
            FindingId::new("catalog/unchecked"),
            format!("/repo/{RULES}"),
            "m",
        )
        .at_line(3)
        .note();
        assert!(command(&finding, Path::new("/repo")).starts_with(&format!(
            "::notice file={RULES},line=3,title=catalog/unchecked::"
        )));
    }

    #[test]
    fn message_and_properties_are_escaped_as_github_reads_them() {
        let finding = Finding::new(
            FindingId::new("bats/test-failed"),
            "tests/a,b:c.bats",
            "100% failed\r\nsee: below, here",
        );
        assert_eq!(
            command(&finding, Path::new("/repo")),
            "::error file=tests/a%2Cb%3Ac.bats,title=bats/test-failed::100%25 failed%0D%0Asee: below, here"
        );
    }

    #[test]
    fn a_finding_without_a_file_has_no_file_property() {
        let finding = Finding::new(FindingId::new("a/b"), "", "m").at_line(3);
        assert_eq!(command(&finding, Path::new("/r")), "::error title=a/b::m");
    }

    #[test]
    fn failures_come_first_and_the_rest_is_counted_in_one_line() {
        let note = |i: usize| Finding::new(FindingId::new("n/n"), "f", format!("{i}")).note();
        let failure = |i: usize| Finding::new(FindingId::new("f/f"), "f", format!("{i}"));
        let mut findings: Vec<Finding> = (0..12).map(note).collect();
        findings.extend((0..13).map(failure));
        let lines = lines(
            &findings,
            Path::new("/r"),
            Path::new("reports/findings.sarif"),
        );
        assert_eq!(lines.len(), 2 * PER_KIND + 1);
        assert!(lines[..PER_KIND].iter().all(|l| l.starts_with("::error ")));
        assert!(
            lines[PER_KIND..2 * PER_KIND]
                .iter()
                .all(|l| l.starts_with("::notice "))
        );
        assert!(lines[2 * PER_KIND].starts_with("annotations: 3 more failures and 2 more notes"));
        let few = super::lines(&findings[..2], Path::new("/r"), Path::new("x"));
        assert_eq!(few.len(), 2);
        let accepted = failure(0).suppressed_by(crate::finding::Suppressed {
            file: "f".into(),
            line: 1,
            reason: "r".into(),
        });
        assert!(super::lines(&[accepted], Path::new("/r"), Path::new("x")).is_empty());
    }
}
