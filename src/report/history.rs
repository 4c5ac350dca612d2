//! `reports/history.json`: each full run's verdict counts, coverage figures and per-scenario
//! verdicts, the last [`KEPT`] runs, so that the living documentation can say what changed
//! since the previous run and draw the trend.
//!
//! The file lives next to the other reports and is only ever appended to (never deleted by
//! `make specs`), so it survives a reused reports directory or one restored from a CI cache.
//! A run that saw only part of the suite (a `--tags`/`--name` filter, one shard of a sharded
//! run) does not append: its counts would read as a drop.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::coverage::Figures;

/// How many runs the file keeps.
pub(crate) const KEPT: usize = 50;
/// Bumped when a field changes meaning or goes away.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// A scenario's verdict in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Passed,
    Failed,
    NotApplicable,
    /// Not run to the end for another reason (an undefined step).
    Skipped,
}

/// The run's closing line in numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
    pub notes: usize,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When the run started, RFC 3339 in UTC.
    pub started: String,
    /// The commit of the repository under test, when it is a git repository.
    pub commit: Option<String>,
    pub counts: Counts,
    pub coverage: Figures,
    /// Each scenario's verdict, keyed by `<feature file>:<line>` (the page's anchor).
    pub scenarios: BTreeMap<String, Verdict>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub(crate) schema_version: u32,
    /// Oldest first.
    pub runs: Vec<RunRecord>,
}

impl Default for History {
    fn default() -> Self {
        History {
            schema_version: SCHEMA_VERSION,
            runs: Vec::new(),
        }
    }
}

/// Why a run is not appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRecorded {
    /// The suite's own filters, as written (`--tags @US1`).
    Filtered(Vec<String>),
    /// One shard of a sharded run (`SPEC_SHARD`).
    Shard(String),
}

impl std::fmt::Display for NotRecorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotRecorded::Filtered(filters) => {
                write!(f, "a filtered run ({}) is not recorded", filters.join(" "))
            }
            NotRecorded::Shard(shard) => {
                write!(f, "a single shard (SPEC_SHARD={shard}) is not recorded")
            }
        }
    }
}

/// Whether a run with these filters (`cargo_args::explicit_filters`) and this shard
/// (`SPEC_SHARD`, unset or empty for a whole run) is recorded.
pub fn not_recorded(filters: &[String], shard: Option<&str>) -> Option<NotRecorded> {
    if !filters.is_empty() {
        return Some(NotRecorded::Filtered(filters.to_vec()));
    }
    shard
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| NotRecorded::Shard(s.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not a history this suite wrote ({problem}); left as it is, this run is not recorded"
    )]
    Invalid { path: PathBuf, problem: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The history at `path`; a missing file is an empty history.
pub fn load(path: &Path) -> Result<History, HistoryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(source) => {
            return Err(HistoryError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let history: History = serde_json::from_str(&text).map_err(|e| HistoryError::Invalid {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    if history.schema_version != SCHEMA_VERSION {
        return Err(HistoryError::Invalid {
            path: path.to_path_buf(),
            problem: format!(
                "schema_version {}, this suite writes {SCHEMA_VERSION}",
                history.schema_version
            ),
        });
    }
    Ok(history)
}

/// The history as this run leaves it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// Every kept run, this one last when it was appended.
    pub history: History,
    /// The run before this one, to compare with.
    pub previous: Option<RunRecord>,
    /// Why this run was not appended.
    pub not_recorded: Option<NotRecorded>,
}

/// Appends `run` to the history at `path` (keeping the last [`KEPT`]) unless `skip` says why
/// not; returns the history either way, with the run to compare this one with.
pub fn record(
    path: &Path,
    run: RunRecord,
    skip: Option<NotRecorded>,
) -> Result<Recorded, HistoryError> {
    let mut history = load(path)?;
    let previous = history.runs.last().cloned();
    if skip.is_some() {
        return Ok(Recorded {
            history,
            previous,
            not_recorded: skip,
        });
    }
    history.runs.push(run);
    let excess = history.runs.len().saturating_sub(KEPT);
    history.runs.drain(..excess);
    write(path, &history)?;
    Ok(Recorded {
        history,
        previous,
        not_recorded: None,
    })
}

/// Writes through a temporary file in the same directory, so that an interrupted run never
/// leaves half a history.
fn write(path: &Path, history: &History) -> Result<(), HistoryError> {
    let failed = |source| HistoryError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(failed)?;
    let text = serde_json::to_string_pretty(history).map_err(|e| failed(e.into()))? + "\n";
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(failed)?;
    // A report like the others (a temporary file is created readable by its owner only).
    tmp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// A coverage figure that moved between two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureChange {
    /// e.g. `alerts with a firing case`.
    pub what: &'static str,
    pub before: crate::coverage::Ratio,
    pub after: crate::coverage::Ratio,
    pub up: bool,
}

/// What changed between two runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Scenarios (their keys) that failed now and did not before.
    pub(crate) newly_failing: Vec<String>,
    /// Scenarios that passed now and failed before.
    pub(crate) newly_passing: Vec<String>,
    pub coverage: Vec<FigureChange>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.newly_failing.is_empty() && self.newly_passing.is_empty() && self.coverage.is_empty()
    }
}

/// The figures a run records, with what each says.
pub(crate) fn named_figures(f: &Figures) -> [(&'static str, crate::coverage::Ratio); 6] {
    [
        ("alerts with a firing case", f.alerts_firing),
        ("alerts with a firing and a quiet case", f.alerts_tested),
        ("terraform elements touched by a test run", f.terraform),
        ("bash functions executed", f.bash_functions),
        ("bash lines executed", f.bash_lines),
        ("textfile metrics whose publishing code runs", f.textfile),
    ]
}

/// What changed from `before` to `now`: scenarios that started or stopped failing (a
/// scenario new in this run that fails counts as newly failing), and every coverage figure
/// whose count moved.
pub fn changes(before: &RunRecord, now: &RunRecord) -> Changes {
    let mut out = Changes::default();
    for (key, verdict) in &now.scenarios {
        let was = before.scenarios.get(key);
        match verdict {
            Verdict::Failed if was != Some(&Verdict::Failed) => out.newly_failing.push(key.clone()),
            Verdict::Passed if was == Some(&Verdict::Failed) => out.newly_passing.push(key.clone()),
            _ => {}
        }
    }
    for ((what, b), (_, a)) in named_figures(&before.coverage)
        .into_iter()
        .zip(named_figures(&now.coverage))
    {
        if a != b {
            out.coverage.push(FigureChange {
                what,
                before: b,
                after: a,
                up: a.percent() > b.percent()
                    || (a.percent() == b.percent() && a.covered > b.covered),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::Ratio;

    pub(crate) fn run(i: usize, scenarios: &[(&str, Verdict)]) -> RunRecord {
        RunRecord {
            started: format!("2026-01-01T00:{:02}:00Z", i % 60),
            commit: None,
            counts: Counts {
                passed: i,
                ..Counts::default()
            },
            coverage: Figures::default(),
            scenarios: scenarios.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn the_history_keeps_the_last_fifty_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reports/history.json");
        for i in 0..KEPT + 3 {
            let recorded = record(&path, run(i, &[]), None).unwrap();
            assert_eq!(recorded.history.runs.last().unwrap().counts.passed, i);
            assert_eq!(recorded.previous.map(|p| p.counts.passed), i.checked_sub(1));
        }
        let kept = load(&path).unwrap().runs;
        assert_eq!(kept.len(), KEPT);
        assert_eq!(kept[0].counts.passed, 3, "the oldest runs go first");
        assert_eq!(kept[KEPT - 1].counts.passed, KEPT + 2);
    }

    #[test]
    fn a_filtered_run_or_a_shard_does_not_append() {
        let filters = vec!["--tags @US1".to_string()];
        assert_eq!(not_recorded(&[], None), None);
        assert_eq!(not_recorded(&[], Some("")), None);
        assert_eq!(
            not_recorded(&filters, None),
            Some(NotRecorded::Filtered(filters.clone()))
        );
        assert_eq!(
            not_recorded(&[], Some("2/4")),
            Some(NotRecorded::Shard("2/4".into()))
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        record(&path, run(1, &[]), None).unwrap();
        let skipped = record(&path, run(2, &[]), not_recorded(&filters, None)).unwrap();
        assert_eq!(skipped.history.runs.len(), 1);
        assert!(skipped.not_recorded.is_some());
        assert_eq!(skipped.previous.unwrap().counts.passed, 1);
        record(&path, run(3, &[]), not_recorded(&[], Some("1/2"))).unwrap();
        assert_eq!(load(&path).unwrap().runs.len(), 1, "nothing was appended");
    }

    #[test]
    fn a_history_that_is_not_ours_is_named_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        std::fs::write(&path, "{ not json").unwrap();
        let err = record(&path, run(1, &[]), None).unwrap_err();
        assert!(
            matches!(err, HistoryError::Invalid { ref path, .. } if path.ends_with("history.json"))
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[test]
    fn changes_name_newly_failing_and_passing_scenarios_and_moved_figures() {
        use Verdict::*;
        let mut before = run(
            1,
            &[
                ("a:1", Passed),
                ("b:2", Failed),
                ("c:3", Failed),
                ("d:4", Passed),
            ],
        );
        let mut now = run(
            2,
            &[
                ("a:1", Failed),
                ("b:2", Passed),
                ("c:3", Failed),
                ("d:4", NotApplicable),
                ("e:5", Failed),
            ],
        );
        before.coverage.alerts_firing = Ratio {
            covered: 3,
            total: 5,
        };
        now.coverage.alerts_firing = Ratio {
            covered: 4,
            total: 5,
        };
        before.coverage.bash_lines = Ratio {
            covered: 10,
            total: 20,
        };
        now.coverage.bash_lines = Ratio {
            covered: 10,
            total: 30,
        };
        let c = changes(&before, &now);
        assert_eq!(c.newly_failing, ["a:1", "e:5"]);
        assert_eq!(c.newly_passing, ["b:2"]);
        let moved: Vec<(&str, bool)> = c.coverage.iter().map(|f| (f.what, f.up)).collect();
        assert_eq!(
            moved,
            [
                ("alerts with a firing case", true),
                ("bash lines executed", false)
            ]
        );
        assert!(changes(&now, &now).is_empty());
    }
}
