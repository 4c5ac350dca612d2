//! Suppressions: accepting one finding on purpose, with a reason, in the file it is about.
//!
//! A comment in the file's own syntax (YAML and Bash `#`, HCL `#` or `//`), on the line of
//! the finding or on the line above it:
//!
//! ```text
//! # homelab-spec: ignore promql/series, alerts/for -- the exporter is installed by hand
//! ```
//!
//! A finding with that file, line and id is kept in the reports as suppressed and does not
//! fail its scenario. The comments are read from the repository under test (never written
//! there). A suppression without a reason, or naming an id the registry of checks does not
//! know, is itself a finding ([`Suppressions::check`]); one that matched nothing by the end
//! of a whole run is too ([`Suppressions::unused`]). A finding without a file and line cannot
//! be suppressed, and neither can the plan's own criteria (scenarios tagged `@plan`): there
//! the suppression is refused with a [`PLAN_CRITERION`] finding and the scenario fails.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::finding::{Check, Depth};
use crate::finding::{Finding, FindingId, Suppressed};
use crate::outcome::{BrokenCopy, CaseStatus, CheckedFindings, Outcome};

pub(crate) const NO_REASON: FindingId = FindingId::new("suppression/no-reason");
pub(crate) const UNKNOWN_CHECK: FindingId = FindingId::new("suppression/unknown-check");
pub(crate) const UNUSED: FindingId = FindingId::new("suppression/unused");
pub(crate) const PLAN_CRITERION: FindingId = FindingId::new("suppression/plan-criterion");

pub(crate) const CHECKS: &[Check] = &[
    Check::new(
        "suppression",
        NO_REASON,
        Depth::Offline,
        "A suppression comment gives no reason after `--`, so it does not apply.",
    ),
    Check::new(
        "suppression",
        UNKNOWN_CHECK,
        Depth::Offline,
        "A suppression comment names a check id the suite does not have (or none at all).",
    ),
    Check::new(
        "suppression",
        UNUSED,
        Depth::Offline,
        "A suppression comment matched no finding in a whole, unfiltered run.",
    ),
    Check::new(
        "suppression",
        PLAN_CRITERION,
        Depth::Offline,
        "A suppression comment tried to accept a failure of one of the plan's own criteria.",
    ),
];

/// What starts a suppression, after the comment marker.
const KEYWORD: &str = "homelab-spec: ignore";

/// Why the suppressions of a repository could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SuppressionError {
    #[error("cannot read {path} for suppression comments: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// How a kind of file writes a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommentSyntax {
    /// `#`: YAML, Bash, BATS.
    Hash,
    /// `#` or `//`: HCL (Terraform and its test files).
    HashOrSlashes,
}

impl CommentSyntax {
    /// The syntax of the files a suppression can be written in, by name; `None` for others.
    pub(crate) fn of(path: &Path) -> Option<CommentSyntax> {
        let name = path.file_name()?.to_str()?;
        let ends = |suffixes: &[&str]| suffixes.iter().any(|s| name.ends_with(s));
        if ends(&[
            ".yml",
            ".yaml",
            ".yml.tftpl",
            ".yaml.tftpl",
            ".sh",
            ".bash",
            ".bats",
        ]) {
            Some(CommentSyntax::Hash)
        } else if ends(&[".tf", ".hcl", ".tfvars"]) {
            Some(CommentSyntax::HashOrSlashes)
        } else {
            None
        }
    }

    fn markers(self) -> &'static [&'static str] {
        match self {
            CommentSyntax::Hash => &["#"],
            CommentSyntax::HashOrSlashes => &["#", "//"],
        }
    }
}

/// What one suppression comment says: the ids it names and its reason, if it gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub ids: Vec<String>,
    pub reason: Option<String>,
}

/// The suppression comment on one line of a file, if the line holds one (alone or after
/// code).
pub(crate) fn parse_line(text: &str, syntax: CommentSyntax) -> Option<Comment> {
    for marker in syntax.markers() {
        let mut from = 0;
        while let Some(at) = text[from..].find(marker) {
            let after = from + at + marker.len();
            let body = text[after..].trim_start_matches(['#', '/', ' ', '\t']);
            if let Some(rest) = body.strip_prefix(KEYWORD)
                && (rest.is_empty() || rest.starts_with([' ', '\t']))
            {
                return Some(parse_body(rest));
            }
            from = after;
        }
    }
    None
}

/// `<id>[, <id>...] -- <reason>`.
fn parse_body(body: &str) -> Comment {
    let (ids, reason) = match body.split_once("--") {
        Some((ids, reason)) => (ids, Some(reason)),
        None => (body, None),
    };
    Comment {
        ids: ids
            .split([',', ' ', '\t'])
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .collect(),
        reason: reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string),
    }
}

/// One suppression comment in the repository under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Relative to the repository's root, `/`-separated.
    pub file: String,
    /// The comment's 1-based line: it covers this line and the next.
    pub line: usize,
    pub comment: Comment,
}

impl Suppression {
    /// Whether it accepts a finding with this id on this line: a reason given, the id named,
    /// the line the comment's own or the next. (A finding's id is always a registered one:
    /// the registry's tests hold every id `src/` emits to that.)
    fn covers(&self, id: &str, line: usize) -> bool {
        self.comment.reason.is_some()
            && (line == self.line || line == self.line + 1)
            && self.comment.ids.iter().any(|named| named == id)
    }

    fn marker(&self) -> Suppressed {
        Suppressed {
            file: self.file.clone(),
            line: self.line,
            reason: self.comment.reason.clone().unwrap_or_default(),
        }
    }

    fn finding(&self, id: FindingId, message: String) -> Finding {
        Finding::new(id, self.file.clone(), message)
            .at_line(self.line)
            .about(self.comment.ids.join(", "))
    }
}

/// Every suppression comment of one repository.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    root: PathBuf,
    items: Vec<Suppression>,
}

/// Directories never searched: version control, tool caches, build output.
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || name == "target" || name == "node_modules"
}

impl Suppressions {
    /// The suppressions in the YAML, HCL and shell files under `root`, in path order.
    pub fn read(root: &Path) -> Result<Suppressions, SuppressionError> {
        let mut files = Vec::new();
        collect_files(root, root, &mut files)?;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let mut items = Vec::new();
        for (relative, syntax) in files {
            let path = root.join(&relative);
            let bytes = std::fs::read(&path).map_err(|source| SuppressionError::Io {
                path: path.display().to_string(),
                source,
            })?;
            items.extend(Self::parse_file(
                &relative,
                &String::from_utf8_lossy(&bytes),
                syntax,
            ));
        }
        Ok(Suppressions {
            root: root.to_path_buf(),
            items,
        })
    }

    /// The suppressions of one file's text (`file` relative to the root).
    pub(crate) fn parse_file(file: &str, text: &str, syntax: CommentSyntax) -> Vec<Suppression> {
        text.lines()
            .enumerate()
            .filter(|(_, line)| line.contains(KEYWORD))
            .filter_map(|(at, line)| {
                Some(Suppression {
                    file: file.to_string(),
                    line: at + 1,
                    comment: parse_line(line, syntax)?,
                })
            })
            .collect()
    }

    /// Suppressions given directly, for a repository at `root`.
    pub fn new(root: &Path, items: Vec<Suppression>) -> Suppressions {
        Suppressions {
            root: root.to_path_buf(),
            items,
        }
    }

    pub fn items(&self) -> &[Suppression] {
        &self.items
    }

    /// The suppression that accepts `finding`, if one does: a failure with a file under the
    /// root and a line.
    fn accepting(&self, finding: &Finding) -> Option<&Suppression> {
        if !finding.is_failure() {
            return None;
        }
        let line = finding.line?;
        let file = relative(&finding.file, &self.root)?;
        self.items
            .iter()
            .find(|s| s.file == file && s.covers(finding.id.as_str(), line))
    }

    /// Marks the findings a suppression accepts as suppressed. In a scenario that states one
    /// of the plan's own criteria (`plan`), nothing is marked: each suppression that tried
    /// is returned as a [`PLAN_CRITERION`] finding, and the finding keeps failing.
    pub fn apply(&self, findings: &mut [Finding], plan: bool) -> Vec<Finding> {
        let mut refused = Vec::new();
        for finding in findings.iter_mut() {
            let Some(suppression) = self.accepting(finding) else {
                continue;
            };
            if plan {
                let refusal = suppression.finding(
                    PLAN_CRITERION,
                    format!(
                        "this suppression of [{}] {} is refused: the scenario states one of the plan's own criteria (tagged @plan), which cannot be suppressed",
                        finding.id,
                        finding.subject()
                    ),
                );
                if !refused.contains(&refusal) {
                    refused.push(refusal);
                }
            } else {
                finding.suppressed = Some(suppression.marker());
            }
        }
        refused
    }

    /// [`Self::apply`] over everything a scenario collected: its checks' findings and the
    /// failed cases of its tool and Terraform runs. Refusals are added as one more
    /// outcome, marked with the scenario's broken copy (`None` on the repository itself).
    pub fn apply_to_outcomes(
        &self,
        outcomes: &mut Vec<Outcome>,
        plan: bool,
        broken_copy: Option<BrokenCopy>,
    ) {
        let mut refused = Vec::new();
        let mut apply = |findings: &mut [Finding]| {
            for refusal in self.apply(findings, plan) {
                if !refused.contains(&refusal) {
                    refused.push(refusal);
                }
            }
        };
        for outcome in outcomes.iter_mut() {
            match outcome {
                Outcome::Findings(checked) => apply(&mut checked.findings),
                Outcome::ToolRun(run) => {
                    for case in &mut run.cases {
                        if let CaseStatus::Failed(finding) = &mut case.status {
                            apply(std::slice::from_mut(finding));
                        }
                    }
                }
                Outcome::TerraformRuns(runs) => {
                    for run in &mut runs.runs {
                        if let CaseStatus::Failed(finding) = &mut run.status {
                            apply(std::slice::from_mut(finding));
                        }
                    }
                }
                Outcome::AlertTimeline(_)
                | Outcome::AlertCase(_)
                | Outcome::RetryWaits(_)
                | Outcome::BashExecution(_) => {}
            }
        }
        if !refused.is_empty() {
            outcomes.push(Outcome::Findings(CheckedFindings {
                check: "suppressions".to_string(),
                findings: refused,
                broken_copy,
            }));
        }
    }

    /// The suppressions that cannot apply: no reason given, or an id the registry of checks
    /// does not know (or no id at all). `registered` is the registry's answer
    /// (`checks::is_registered`), passed in: the registry lists this module's own checks, so
    /// this module does not reach up to it.
    pub fn check(&self, registered: impl Fn(&str) -> bool) -> Vec<Finding> {
        let mut findings = Vec::new();
        for suppression in &self.items {
            if suppression.comment.reason.is_none() {
                findings.push(
                    suppression
                        .finding(
                            NO_REASON,
                            "a suppression must say why after `--`; without a reason it does not apply".to_string(),
                        )
                        .expected(format!("{KEYWORD} <check id> -- <reason>")),
                );
            }
            let unknown: Vec<&str> = suppression
                .comment
                .ids
                .iter()
                .map(String::as_str)
                .filter(|id| !registered(id))
                .collect();
            if suppression.comment.ids.is_empty() || !unknown.is_empty() {
                findings.push(
                    suppression
                        .finding(
                            UNKNOWN_CHECK,
                            "a suppression names a check id the suite does not have".to_string(),
                        )
                        .expected("an id listed under docs/checks/")
                        .found(if unknown.is_empty() {
                            "no id".to_string()
                        } else {
                            unknown.join(", ")
                        }),
                );
            }
        }
        findings
    }

    /// The suppressions that accepted none of `findings` (a whole run's findings): what the
    /// comment accepted is gone, so the comment must go too.
    pub fn unused(&self, findings: &[Finding]) -> Vec<Finding> {
        let used: HashSet<(&str, usize)> = findings
            .iter()
            .filter_map(|f| f.suppressed.as_ref())
            .map(|s| (s.file.as_str(), s.line))
            .collect();
        self.items
            .iter()
            // One that cannot apply is reported by `check` already.
            .filter(|s| s.comment.reason.is_some())
            .filter(|s| !used.contains(&(s.file.as_str(), s.line)))
            .map(|s| {
                s.finding(
                    UNUSED,
                    "this suppression matched no finding in the whole run: remove it".to_string(),
                )
            })
            .collect()
    }
}

/// Whether a run has seen every finding, so that a suppression that accepted none of them
/// is stale: no filter selected part of the scenarios (`filters`, as
/// `cargo_args::explicit_filters` gives them), the run is not one shard of several
/// (`SPEC_SHARD`), and no scenario failed (a failed step can end a scenario before the
/// check whose finding a suppression accepts).
pub fn judges_unused(filters: &[String], shard: Option<&str>, failed: bool) -> bool {
    filters.is_empty() && shard.is_none_or(|s| s.trim().is_empty()) && !failed
}

/// The stale suppressions as a JUnit suite of failed cases, one per comment (`None` for
/// none).
pub fn unused_run(unused: &[Finding]) -> Option<crate::outcome::ToolRun> {
    use crate::outcome::{ToolCase, ToolRun};
    (!unused.is_empty()).then(|| ToolRun {
        suite: "suppressions: unused".to_string(),
        cases: unused
            .iter()
            .map(|f| ToolCase {
                name: format!("{}:{} [{}]", f.file, f.line.unwrap_or(0), f.id),
                classname: f.file.clone(),
                time: std::time::Duration::ZERO,
                status: CaseStatus::Failed(f.clone()),
            })
            .collect(),
        broken_copy: None,
    })
}

/// The findings that fail a scenario, from everything its checks found: the failures no
/// suppression in the scenario's repository (`root`) accepts, and in a scenario that states
/// one of the plan's own criteria (`plan`) a [`PLAN_CRITERION`] finding for each suppression
/// that tried. The one place a step's "nothing failed" goes through.
pub fn failures_in(
    root: &Path,
    plan: bool,
    findings: &[Finding],
) -> Result<Vec<Finding>, SuppressionError> {
    let suppressions = Suppressions::read(root)?;
    let mut findings = findings.to_vec();
    let refused = suppressions.apply(&mut findings, plan);
    Ok(findings
        .into_iter()
        .filter(Finding::is_failure)
        .chain(refused)
        .collect())
}

/// Where [`write_comment`] puts a suppression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// At the end of the finding's line.
    OnTheLine,
    /// On a line of its own above it, indented as it is.
    Above,
}

/// Writes a suppression of `ids` (with `reason`, when given) for `line` of `path`, in the
/// file's comment syntax: how a scenario accepts a finding on a copy of the repository (the
/// suite never writes into the repository under test).
pub fn write_comment(
    path: &Path,
    line: usize,
    placement: Placement,
    ids: &[&str],
    reason: Option<&str>,
) -> Result<(), SuppressionError> {
    let io = |source| SuppressionError::Io {
        path: path.display().to_string(),
        source,
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let Some(target) = line.checked_sub(1).filter(|at| *at < lines.len()) else {
        return Err(io(std::io::Error::other(format!(
            "has no line {line} to suppress a finding on"
        ))));
    };
    let mut comment = format!("# {KEYWORD} {}", ids.join(", "));
    if let Some(reason) = reason {
        comment.push_str(&format!(" -- {reason}"));
    }
    match placement {
        Placement::OnTheLine => {
            let own = &mut lines[target];
            own.push_str("  ");
            own.push_str(&comment);
        }
        Placement::Above => {
            let indent: String = lines[target]
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            lines.insert(target, format!("{indent}{comment}"));
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").map_err(io)
}

/// A finding's file relative to `root` (`None` for one outside it, or without a file).
fn relative(file: &str, root: &Path) -> Option<String> {
    let file = file.trim();
    if file.is_empty() {
        return None;
    }
    let path = Path::new(file);
    if path.is_absolute() {
        let canonical = root.canonicalize().ok();
        let inside = path
            .strip_prefix(root)
            .ok()
            .or_else(|| path.strip_prefix(canonical.as_deref()?).ok())?;
        return Some(inside.display().to_string());
    }
    Some(file.trim_start_matches("./").to_string())
}

/// Every file under `dir` a suppression can be written in, relative to `root`.
fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, CommentSyntax)>,
) -> Result<(), SuppressionError> {
    let io = |source| SuppressionError::Io {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        // Directories are entered when they are real ones (a link could loop); linked files
        // are read like the others.
        let kind = entry.file_type().map_err(io)?;
        if kind.is_dir() {
            if !skipped_dir(&name) {
                collect_files(root, &path, out)?;
            }
        } else if let Some(syntax) = CommentSyntax::of(&path)
            && path.is_file()
            && let Ok(relative) = path.strip_prefix(root)
        {
            out.push((relative.display().to_string(), syntax));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "infrastructure/monitoring/rules/default.yml";

    fn comment(ids: &[&str], reason: Option<&str>) -> Option<Comment> {
        Some(Comment {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            reason: reason.map(str::to_string),
        })
    }

    #[test]
    fn each_files_comment_syntax_is_read() {
        use CommentSyntax::*;
        let yaml = "  # homelab-spec: ignore promql/series -- installed by hand";
        assert_eq!(
            parse_line(yaml, Hash),
            comment(&["promql/series"], Some("installed by hand"))
        );
        let bash =
            "retry 3 curl \"$url\" # homelab-spec: ignore bats/test-failed -- flaky upstream";
        assert_eq!(
            parse_line(bash, Hash),
            comment(&["bats/test-failed"], Some("flaky upstream"))
        );
        let hcl_hash = "# homelab-spec: ignore regression/release-comment -- must apply";
        let hcl_slashes =
            "  run \"x\" { // homelab-spec: ignore regression/release-comment -- must apply";
        for line in [hcl_hash, hcl_slashes] {
            assert_eq!(
                parse_line(line, HashOrSlashes),
                comment(&["regression/release-comment"], Some("must apply")),
                "{line}"
            );
        }
        // `//` is no comment in YAML or Bash.
        assert_eq!(parse_line(hcl_slashes, Hash), None);
        assert_eq!(parse_line("# homelab-spec: ignored", Hash), None);
        assert_eq!(parse_line("expr: up == 0 # a comment", Hash), None);
    }

    #[test]
    fn several_ids_a_missing_reason_and_no_id() {
        use CommentSyntax::Hash;
        assert_eq!(
            parse_line(
                "# homelab-spec: ignore promql/series, alerts/for -- why",
                Hash
            ),
            comment(&["promql/series", "alerts/for"], Some("why"))
        );
        assert_eq!(
            parse_line("# homelab-spec: ignore promql/series", Hash),
            comment(&["promql/series"], None)
        );
        assert_eq!(
            parse_line("# homelab-spec: ignore promql/series --   ", Hash),
            comment(&["promql/series"], None)
        );
        assert_eq!(
            parse_line("# homelab-spec: ignore -- why", Hash),
            comment(&[], Some("why"))
        );
    }

    fn suppressions(text: &str) -> Suppressions {
        Suppressions::new(
            Path::new("/repo"),
            Suppressions::parse_file(RULES, text, CommentSyntax::Hash),
        )
    }

    fn series(line: usize) -> Finding {
        Finding::new(FindingId::new("promql/series"), RULES, "no such metric")
            .at_line(line)
            .about("DiskFull")
    }

    #[test]
    fn a_comment_covers_its_own_line_and_the_next() {
        let text = "a\n# homelab-spec: ignore promql/series -- by hand\nb # homelab-spec: ignore alerts/for -- short\nc\n";
        let s = suppressions(text);
        assert_eq!(s.items().len(), 2);
        let mut findings = vec![series(1), series(2), series(3), series(4)];
        assert!(s.apply(&mut findings, false).is_empty());
        let marked: Vec<bool> = findings.iter().map(Finding::is_suppressed).collect();
        assert_eq!(marked, [false, true, true, false]);
        assert_eq!(findings[2].suppressed.as_ref().unwrap().reason, "by hand");
        // The same-line comment names another id: only that id on its own line and the next.
        let mut other = vec![
            Finding::new(FindingId::new("alerts/for"), format!("/repo/{RULES}"), "m").at_line(4),
        ];
        s.apply(&mut other, false);
        assert!(other[0].is_suppressed(), "an absolute path under the root");
    }

    #[test]
    fn no_reason_unknown_id_no_line_other_file_and_notes_are_not_suppressed() {
        let text =
            "# homelab-spec: ignore promql/series\n# homelab-spec: ignore promql/seris -- typo\n";
        let s = suppressions(text);
        let mut findings = vec![
            series(1),
            series(2),
            series(3),
            Finding::new(FindingId::new("promql/series"), RULES, "m"),
            Finding::new(FindingId::new("promql/series"), "other.yml", "m").at_line(2),
            series(2).note(),
        ];
        s.apply(&mut findings, false);
        assert!(findings.iter().all(|f| !f.is_suppressed()));
        let checked = crate::finding::ids_and_subjects(&s.check(crate::checks::is_registered));
        assert_eq!(
            checked,
            [
                ("suppression/no-reason".into(), "promql/series".into()),
                ("suppression/unknown-check".into(), "promql/seris".into()),
            ]
        );
        assert!(
            s.check(crate::checks::is_registered)
                .iter()
                .all(|f| f.file == RULES && f.line.is_some())
        );
    }

    #[test]
    fn a_plan_criterion_is_refused_and_keeps_failing() {
        let s = suppressions("# homelab-spec: ignore promql/series -- by hand\n");
        let mut findings = vec![series(2)];
        let refused = s.apply(&mut findings, true);
        assert!(!findings[0].is_suppressed());
        assert_eq!(
            crate::finding::ids_and_subjects(&refused),
            [("suppression/plan-criterion".into(), "promql/series".into())]
        );
        assert_eq!(refused[0].line, Some(1));
    }

    #[test]
    fn outcomes_are_marked_and_refusals_added() {
        use crate::outcome::{ToolCase, ToolRun};
        let s = suppressions("# homelab-spec: ignore promql/series -- by hand\n");
        let outcomes = || {
            vec![
                Outcome::Findings(CheckedFindings {
                    check: "c".into(),
                    findings: vec![series(2)],
                    broken_copy: None,
                }),
                Outcome::ToolRun(ToolRun {
                    suite: "s".into(),
                    cases: vec![ToolCase {
                        name: "t".into(),
                        classname: "c".into(),
                        time: std::time::Duration::ZERO,
                        status: CaseStatus::Failed(series(2)),
                    }],
                    broken_copy: None,
                }),
            ]
        };
        let mut marked = outcomes();
        s.apply_to_outcomes(&mut marked, false, None);
        assert_eq!(marked.len(), 2);
        let Outcome::ToolRun(run) = &marked[1] else {
            panic!()
        };
        assert!(matches!(&run.cases[0].status, CaseStatus::Failed(f) if f.is_suppressed()));
        let mut refused = outcomes();
        s.apply_to_outcomes(&mut refused, true, None);
        assert_eq!(refused.len(), 3, "one refusal for the two findings");
    }

    #[test]
    fn a_suppression_that_accepted_nothing_is_unused() {
        let s = suppressions(
            "# homelab-spec: ignore promql/series -- by hand\nx\n# homelab-spec: ignore promql/series -- stale\n# homelab-spec: ignore promql/series\n",
        );
        let mut findings = vec![series(2)];
        s.apply(&mut findings, false);
        let unused = s.unused(&findings);
        assert_eq!(
            unused.len(),
            1,
            "the stale one; the one without reason is `check`'s"
        );
        assert_eq!((unused[0].id, unused[0].line), (UNUSED, Some(3)));
        let run = unused_run(&unused).unwrap();
        assert_eq!(run.failures(), 1);
        assert!(unused_run(&[]).is_none());
    }

    #[test]
    fn unused_is_judged_only_after_a_whole_unsharded_passing_run() {
        let none: &[String] = &[];
        assert!(judges_unused(none, None, false));
        assert!(judges_unused(none, Some(""), false));
        assert!(!judges_unused(
            &["--tags".into(), "@US1".into()],
            None,
            false
        ));
        assert!(!judges_unused(none, Some("1/3"), false));
        assert!(!judges_unused(none, None, true));
    }

    #[test]
    fn a_written_comment_is_read_back_on_its_line_or_above() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yml");
        std::fs::write(&file, "groups:\n  - expr: x > 1\n").unwrap();
        write_comment(
            &file,
            2,
            Placement::OnTheLine,
            &["promql/series"],
            Some("why"),
        )
        .unwrap();
        write_comment(&file, 2, Placement::Above, &["alerts/for"], None).unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "groups:\n  # homelab-spec: ignore alerts/for\n  - expr: x > 1  # homelab-spec: ignore promql/series -- why\n"
        );
        let read = Suppressions::read(dir.path()).unwrap();
        let places: Vec<(usize, Option<&str>)> = read
            .items()
            .iter()
            .map(|s| (s.line, s.comment.reason.as_deref()))
            .collect();
        assert_eq!(places, [(2, None), (3, Some("why"))]);
    }

    #[test]
    fn failures_in_reads_the_repository() {
        let dir = tempfile::tempdir().unwrap();
        let rules = dir.path().join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(
            rules.join("a.yml"),
            "groups:\n  # homelab-spec: ignore promql/series -- by hand\n  - x\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(
            dir.path().join(".git/b.yml"),
            "# homelab-spec: ignore promql/series\n",
        )
        .unwrap();
        let finding = Finding::new(FindingId::new("promql/series"), "rules/a.yml", "m").at_line(3);
        let other = Finding::new(FindingId::new("alerts/for"), "rules/a.yml", "m").at_line(3);
        let left = failures_in(dir.path(), false, &[finding.clone(), other.clone()]).unwrap();
        assert_eq!(left, vec![other]);
        let s = Suppressions::read(dir.path()).unwrap();
        assert_eq!(s.items().len(), 1, "hidden directories are not read");
        let plan = failures_in(dir.path(), true, &[finding]).unwrap();
        assert_eq!(
            plan.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["promql/series", "suppression/plan-criterion"]
        );
    }
}
