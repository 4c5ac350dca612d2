//! The one finding type every check returns: alert rules (static and catalog), Terraform
//! tests (static), the textfile contract, and failed tool runs (a terraform `run`, a BATS
//! test, a promtool case).
//!
//! A finding has a stable id in the style of pint (`promql/series`,
//! `regression/release-comment`, `bats/test-failed`), the file relative to the repository
//! under test, the line where known, the subject it is about (a rule, module, run, test or
//! metric), and what was expected and found. Steps assert on ids and subjects, never on the
//! wording of `message`, so a message can be reworded without breaking a scenario.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable check id such as `promql/series`. Ids never change meaning: reports, scenarios
/// and people refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(&'static str);

impl FindingId {
    /// An id from its text. Ids are `area/what`, lower case with dashes.
    pub const fn new(id: &'static str) -> FindingId {
        FindingId(id)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

/// Written as its text (`promql/series`); read back (a shard's reports, for the merge) as
/// an interned text: each distinct id is kept once for the rest of the process (a merge
/// reads a few dozen). Not through the registry of checks, which sits above every area. The
/// table is process-wide because serde's `Deserialize` takes no context to pass it in; it
/// only ever grows by texts that are then immutable, so no run sees another's state.
impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        static INTERNED: std::sync::Mutex<std::collections::BTreeSet<&'static str>> =
            std::sync::Mutex::new(std::collections::BTreeSet::new());
        let text = String::deserialize(deserializer)?;
        let mut interned = INTERNED.lock().unwrap_or_else(|e| e.into_inner());
        let id = match interned.get(text.as_str()) {
            Some(id) => *id,
            None => {
                let id: &'static str = Box::leak(text.into_boxed_str());
                interned.insert(id);
                id
            }
        };
        Ok(FindingId(id))
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<&str> for FindingId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Whether a finding fails its scenario.
///
/// A note is reported (in `junit.xml` as a skipped case with its message, on the page, in the
/// run's summary) but never fails anything: it says what the suite could not know or chose
/// in the user's place ("not checked: no catalog for ...", "served the nearest version").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum Severity {
    /// A problem: the scenario that checked it fails.
    #[default]
    Failure,
    /// Information the user should see; never a failure.
    Note,
}

/// The in-source suppression that accepted a finding on purpose: where its comment is
/// (relative to the repository under test) and the reason it gives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Suppressed {
    pub file: String,
    /// The comment's 1-based line.
    pub line: usize,
    pub reason: String,
}

/// One problem: where it is, what it is about, and what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: FindingId,
    /// A failure (the default) or a note.
    pub severity: Severity,
    /// The file, relative to the repository under test (or as the caller named it).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What the finding is about: a rule, group, module, run, test or metric.
    pub subject: Option<String>,
    /// The sentence shown to people; never asserted on.
    pub message: String,
    pub expected: Option<String>,
    pub found: Option<String>,
    /// Set when a `homelab-spec: ignore` comment accepted this finding (see
    /// `crate::suppression`): reported, never a failure.
    pub suppressed: Option<Suppressed>,
}

impl Finding {
    pub fn new(
        id: impl Into<FindingId>,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            id: id.into(),
            severity: Severity::Failure,
            file: file.into(),
            line: None,
            subject: None,
            message: message.into(),
            expected: None,
            found: None,
            suppressed: None,
        }
    }

    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn at(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn found(mut self, found: impl Into<String>) -> Self {
        self.found = Some(found.into());
        self
    }

    /// The same finding as a note: reported, never a failure.
    pub fn note(mut self) -> Self {
        self.severity = Severity::Note;
        self
    }

    pub fn is_note(&self) -> bool {
        self.severity == Severity::Note
    }

    /// The same finding, accepted on purpose by a suppression comment.
    pub fn suppressed_by(mut self, suppressed: Suppressed) -> Self {
        self.suppressed = Some(suppressed);
        self
    }

    pub(crate) fn is_suppressed(&self) -> bool {
        self.suppressed.is_some()
    }

    /// Whether this finding fails its scenario: neither a note nor suppressed.
    pub(crate) fn is_failure(&self) -> bool {
        !self.is_note() && !self.is_suppressed()
    }

    /// The subject, or "" when the finding is about the whole file.
    pub fn subject(&self) -> &str {
        self.subject.as_deref().unwrap_or("")
    }

    /// Whether this finding has the id and (when given) the subject.
    pub fn is(&self, id: &str, subject: Option<&str>) -> bool {
        self.id.as_str() == id && subject.is_none_or(|s| self.subject.as_deref() == Some(s))
    }
}

impl fmt::Display for Finding {
    /// `file:line subject [id] message`, the line left out when unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(subject) = &self.subject {
            write!(f, " {subject}")?;
        }
        let note = if self.is_note() { "note: " } else { "" };
        write!(f, " [{}] {note}{}", self.id, self.message)?;
        if let Some(suppressed) = &self.suppressed {
            write!(f, " (suppressed: {})", suppressed.reason)?;
        }
        match (&self.expected, &self.found) {
            (Some(e), Some(found)) => write!(f, " (expected {e}, found {found})"),
            (Some(e), None) => write!(f, " (expected {e})"),
            (None, Some(found)) => write!(f, " (found {found})"),
            (None, None) => Ok(()),
        }
    }
}

/// The failures among findings (notes and suppressed findings left out): what a step
/// expects to be empty.
pub fn failures(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.is_failure()).collect()
}

/// The findings a suppression comment accepted.
pub fn suppressed(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.is_suppressed()).collect()
}

/// The notes among findings.
pub fn notes(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.is_note()).collect()
}

/// The finding with `id` about `subject` in `file` (any subject or file when `None`) among
/// `findings`; else a failure message naming what was expected, with the findings listed:
/// what a step or a verdict says when a finding it expects is missing.
pub fn expected_finding<'a>(
    findings: &'a [Finding],
    id: &str,
    subject: Option<&str>,
    file: Option<&str>,
) -> Result<&'a Finding, String> {
    let wanted = |f: &&Finding| f.is(id, subject) && file.is_none_or(|file| f.file == file);
    findings.iter().find(wanted).ok_or_else(|| {
        let about = subject.map(|s| format!(" about {s:?}")).unwrap_or_default();
        let within = file.map(|f| format!(" in {f}")).unwrap_or_default();
        format!(
            "expected a {id} finding{about}{within}, found:\n{}",
            listing(findings)
        )
    })
}

/// Findings as one block of text, one per line, for a step's failure message.
pub fn listing(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {f}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `id subject` pairs, sorted: what a step compares (with pretty_assertions) when it expects
/// an exact set of findings.
pub fn ids_and_subjects(findings: &[Finding]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.id.to_string(), f.subject().to_string()))
        .collect();
    pairs.sort();
    pairs
}

/// What a check needs to reach a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Reads files only (rules, HCL, scripts, the bundled catalogs and schemas).
    Offline,
    /// Runs a real tool (terraform, bats, promtool).
    Tool,
    /// Asks a real running server (Prometheus).
    Server,
}

/// One check: the id its findings carry and what it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Check {
    /// `area/what`, lower case with dashes.
    pub id: &'static str,
    /// The part of `id` before the slash.
    pub(crate) area: &'static str,
    pub depth: Depth,
    /// One line: what the check catches.
    pub summary: &'static str,
}

impl Check {
    /// A check for `id`, which must lie in `area` (the tests hold every entry to it).
    pub(crate) const fn new(
        area: &'static str,
        id: FindingId,
        depth: Depth,
        summary: &'static str,
    ) -> Check {
        Check {
            id: id.as_str(),
            area,
            depth,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_reads_file_line_subject_id_message() {
        let finding = Finding::new(
            FindingId::new("alerts/severity"),
            "default.yml",
            "severity \"warn\" is not one of info, warning, critical",
        )
        .at_line(42)
        .about("SystemdServiceFailed");
        assert_eq!(
            finding.to_string(),
            "default.yml:42 SystemdServiceFailed [alerts/severity] severity \"warn\" is not one of info, warning, critical"
        );
    }

    #[test]
    fn an_expected_finding_is_found_by_id_subject_and_file_or_the_others_are_listed() {
        let findings = [
            Finding::new(FindingId::new("bats/test-failed"), "tests/a.bats", "failed").about("one"),
            Finding::new(FindingId::new("bats/test-failed"), "tests/b.bats", "failed").about("two"),
        ];
        let found = expected_finding(
            &findings,
            "bats/test-failed",
            Some("two"),
            Some("tests/b.bats"),
        );
        assert_eq!(found.map(|f| f.subject()), Ok("two"));
        let any_subject =
            expected_finding(&findings, "bats/test-failed", None, Some("tests/b.bats"));
        assert_eq!(any_subject.map(|f| f.subject()), Ok("two"));
        let missing = expected_finding(
            &findings,
            "bats/test-failed",
            Some("two"),
            Some("tests/a.bats"),
        );
        let listed = missing.unwrap_err();
        assert!(
            listed.contains(&findings[0].to_string()) && listed.contains(&findings[1].to_string()),
            "the findings are listed: {listed}"
        );
    }

    #[test]
    fn unknown_line_and_subject_are_left_out() {
        let finding = Finding::new(FindingId::new("regression/file"), "modules/x", "no file")
            .expected("tests/regression.tftest.hcl")
            .found("nothing");
        assert_eq!(
            finding.to_string(),
            "modules/x [regression/file] no file (expected tests/regression.tftest.hcl, found nothing)"
        );
    }

    #[test]
    fn a_note_says_so_and_is_not_a_failure() {
        let note = Finding::new(FindingId::new("catalog/unchecked"), "x.yml", "not checked")
            .at_line(3)
            .note();
        let failure = Finding::new(FindingId::new("promql/series"), "x.yml", "no such metric");
        assert_eq!(
            note.to_string(),
            "x.yml:3 [catalog/unchecked] note: not checked"
        );
        let both = [note.clone(), failure.clone()];
        assert_eq!(failures(&both), vec![&failure]);
        assert_eq!(notes(&both), vec![&note]);
        assert!(!failure.is_note());
    }

    #[test]
    fn a_suppressed_finding_says_why_and_is_not_a_failure() {
        let suppressed = Finding::new(FindingId::new("promql/series"), "x.yml", "no such metric")
            .at_line(4)
            .suppressed_by(Suppressed {
                file: "x.yml".into(),
                line: 3,
                reason: "installed by hand".into(),
            });
        assert_eq!(
            suppressed.to_string(),
            "x.yml:4 [promql/series] no such metric (suppressed: installed by hand)"
        );
        let both = [suppressed.clone()];
        assert!(failures(&both).is_empty());
        assert_eq!(self::suppressed(&both), vec![&suppressed]);
    }

    #[test]
    fn is_matches_id_and_subject() {
        let finding = Finding::new(FindingId::new("bats/test-failed"), "t.bats", "failed")
            .about("retries three times");
        assert!(finding.is("bats/test-failed", None));
        assert!(finding.is("bats/test-failed", Some("retries three times")));
        assert!(!finding.is("bats/test-failed", Some("other")));
        assert!(!finding.is("bats/parse", None));
    }
}
