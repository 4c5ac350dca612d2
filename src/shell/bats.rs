//! Running a BATS file the homelab's way and reading its per-test results, so that each
//! BATS test becomes a `<testcase>` of the JUnit report.
//!
//! The homelab's CI runs `bats tests/...` from the repository root, and its tests name the
//! scripts under test relative to the root. So each file runs as `bats --tap --timing <file
//! relative to the root>` with the root of its own copy of the repository as working
//! directory (tests may write relative paths, and files run in parallel must not share a
//! writable tree), `TMPDIR` and `BATS_TMPDIR` in the copy's scratch directory. A test that
//! passes from the root of a clean checkout passes here, with the same names and bats' own
//! messages.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::finding::Finding;
use crate::homelab::copy::{RepositoryCopy, copy_repository};
use crate::outcome::{BashExecution, CaseStatus, TestExecution, ToolCase, ToolRun};
use crate::parallel::{JobSlots, RunOnce};
use crate::shell::bash_trace::{self, TraceSetup};
use crate::spec_root::SpecRoot;
use crate::tools::{self, Tool, Tools};

/// Finding ids of a BATS run.
pub mod ids {
    use crate::finding::FindingId;
    /// A test failed; the subject is the test's name.
    pub(crate) const TEST_FAILED: FindingId = FindingId::new("bats/test-failed");
    /// bats reported fewer or more tests than it planned (a syntax error, a crash).
    pub(crate) const PLAN: FindingId = FindingId::new("bats/plan");
    /// bats failed although every test passed (a failing `teardown_file`, ...).
    pub(crate) const STATUS: FindingId = FindingId::new("bats/status");
    /// A failing test read a file by an absolute path outside the repository, and the file
    /// is missing: a test that can only pass on its author's machine.
    pub(crate) const ABSOLUTE_PATH: FindingId = FindingId::new("bats/absolute-path");
    /// The BATS file is missing.
    pub(crate) const MISSING: FindingId = FindingId::new("bats/missing");
    /// bash cannot parse the file (with the line).
    pub const PARSE: FindingId = FindingId::new("bats/parse");
    /// bats could not be started or finished on the file.
    pub(crate) const RUN: FindingId = FindingId::new("bats/run");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "bats",
        ids::TEST_FAILED,
        crate::finding::Depth::Tool,
        "a BATS test failed",
    ),
    crate::finding::Check::new(
        "bats",
        ids::PLAN,
        crate::finding::Depth::Tool,
        "bats reported fewer or more tests than it planned",
    ),
    crate::finding::Check::new(
        "bats",
        ids::STATUS,
        crate::finding::Depth::Tool,
        "bats failed although every test passed",
    ),
    crate::finding::Check::new(
        "bats",
        ids::ABSOLUTE_PATH,
        crate::finding::Depth::Tool,
        "a failing test read a missing file by an absolute path outside the repository",
    ),
    crate::finding::Check::new(
        "bats",
        ids::MISSING,
        crate::finding::Depth::Tool,
        "a BATS file the suite was asked to run is missing",
    ),
    crate::finding::Check::new(
        "bats",
        ids::PARSE,
        crate::finding::Depth::Tool,
        "a BATS file bash cannot parse",
    ),
    crate::finding::Check::new(
        "bats",
        ids::RUN,
        crate::finding::Depth::Tool,
        "bats could not be run on the file",
    ),
];

/// How long a BATS file may run. The library's file takes about a second; the margin is
/// for a loaded CI machine.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The result of one test, as bats reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatsTest {
    pub number: usize,
    pub name: String,
    pub passed: bool,
    /// `Some(reason)` when the test was skipped.
    pub skipped: Option<String>,
    pub time: Duration,
    /// The diagnostic lines bats printed under a failing test (assertion, output).
    pub diagnostics: Vec<String>,
}

/// A whole run of one BATS file.
#[derive(Debug, Clone)]
pub struct BatsRun {
    /// The file, relative to the repository under test.
    pub file: String,
    /// The number of tests bats announced (`1..N`).
    pub(crate) planned: usize,
    pub tests: Vec<BatsTest>,
    pub status: Option<i32>,
    pub duration: Duration,
    /// Diagnostics not under any test (a syntax error, a failing `setup_file`).
    pub(crate) stray: Vec<String>,
    pub stderr: String,
    /// What explains a failing test beside bats' message: a missing file it read by an
    /// absolute path outside the repository (`bats/absolute-path`), a link the copy refused
    /// that its output names (`layout/link-outside`, `layout/link-loop`).
    pub(crate) explained: Vec<Finding>,
    /// What each test executed, traced by bash during this run ([`crate::shell::bash_trace`]).
    pub execution: Vec<TestExecution>,
}

impl BatsRun {
    pub fn failed(&self) -> Vec<&BatsTest> {
        self.tests.iter().filter(|t| !t.passed).collect()
    }

    /// Everything wrong with the run; empty when it passed.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings: Vec<Finding> =
            self.failed().iter().map(|t| self.test_finding(t)).collect();
        findings.extend(self.explained.iter().cloned());
        if self.tests.len() != self.planned {
            findings.push(
                Finding::new(
                    ids::PLAN,
                    &self.file,
                    format!(
                        "bats planned {} tests but reported {}{}",
                        self.planned,
                        self.tests.len(),
                        stray_text(&self.stray, &self.stderr)
                    ),
                )
                .about(&self.file)
                .expected(format!("{} tests", self.planned))
                .found(format!("{} tests", self.tests.len())),
            );
        }
        if self.status != Some(0) && findings.is_empty() {
            findings.push(
                Finding::new(
                    ids::STATUS,
                    &self.file,
                    format!(
                        "bats ended with status {:?} although every test passed{}",
                        self.status,
                        stray_text(&self.stray, &self.stderr)
                    ),
                )
                .about(&self.file),
            );
        }
        findings
    }

    /// `bats/test-failed` about the test, at its line when bats gave it.
    fn test_finding(&self, test: &BatsTest) -> Finding {
        static IN_FILE: OnceLock<regex::Regex> = OnceLock::new();
        let in_file = IN_FILE.get_or_init(|| {
            regex::Regex::new(r"\(in test file .*, line (\d+)\)").expect("the pattern is valid")
        });
        let line = test
            .diagnostics
            .iter()
            .find_map(|d| in_file.captures(d).and_then(|c| c[1].parse().ok()));
        Finding::new(
            ids::TEST_FAILED,
            &self.file,
            format!(
                "test {} \"{}\" failed:\n  {}",
                test.number,
                test.name,
                test.diagnostics.join("\n  ")
            ),
        )
        .at(line)
        .about(&test.name)
    }

    /// What each test executed, for the report (`broken_copy` set by the scenario).
    pub(crate) fn bash_execution(&self) -> BashExecution {
        BashExecution {
            bats_file: self.file.clone(),
            tests: self.execution.clone(),
            broken_copy: None,
        }
    }

    /// The run as a JUnit suite: one case per test, plus one for a broken plan or exit.
    pub fn tool_run(&self) -> ToolRun {
        let mut cases: Vec<ToolCase> = self
            .tests
            .iter()
            .map(|t| ToolCase {
                name: t.name.clone(),
                classname: self.file.clone(),
                time: t.time,
                status: if !t.passed {
                    CaseStatus::Failed(self.test_finding(t))
                } else if t.skipped.is_some() {
                    CaseStatus::Skipped
                } else {
                    CaseStatus::Passed
                },
            })
            .collect();
        if let Some(whole) = self
            .findings()
            .into_iter()
            .find(|f| f.id == ids::PLAN || f.id == ids::STATUS)
        {
            cases.push(ToolCase {
                name: "the whole file ran".into(),
                classname: self.file.clone(),
                time: self.duration,
                status: CaseStatus::Failed(whole),
            });
        }
        ToolRun {
            suite: format!("bats: {}", self.file),
            cases,
            broken_copy: None,
        }
    }
}

fn stray_text(stray: &[String], stderr: &str) -> String {
    let mut text = String::new();
    if !stray.is_empty() {
        text.push_str(&format!("\n  {}", stray.join("\n  ")));
    }
    if !stderr.trim().is_empty() {
        text.push_str(&format!("\n  stderr: {}", stderr.trim()));
    }
    text
}

/// Why a BATS file gave no results.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatsError {
    #[error("the BATS file {file} does not exist")]
    Missing { file: String },
    /// Bash could not parse the file: bats runs none of its tests.
    #[error("the BATS file {file} does not parse: line {line}: {reason}")]
    Parse {
        file: String,
        line: usize,
        reason: String,
    },
    /// bats could not be started or did not finish in time.
    #[error("{file}: {message}")]
    Run { file: String, message: String },
    /// The repository could not be copied to run the file in (`copy/too-big`, ...).
    #[error("{file}: {}", finding.message)]
    Copy { file: String, finding: Box<Finding> },
}

impl BatsError {
    /// The file, relative to the repository under test.
    pub fn file(&self) -> &str {
        match self {
            BatsError::Missing { file }
            | BatsError::Parse { file, .. }
            | BatsError::Run { file, .. }
            | BatsError::Copy { file, .. } => file,
        }
    }

    /// The file's run for the report: one failed case, the file itself.
    pub fn tool_run(&self) -> ToolRun {
        ToolRun {
            suite: format!("bats: {}", self.file()),
            cases: vec![ToolCase {
                name: "the file runs".into(),
                classname: self.file().to_string(),
                time: Duration::ZERO,
                status: CaseStatus::Failed(self.finding()),
            }],
            broken_copy: None,
        }
    }

    /// The error as a finding (`bats/missing`, `bats/parse` with its line, `bats/run`),
    /// about the file.
    pub fn finding(&self) -> Finding {
        let id = match self {
            BatsError::Missing { .. } => ids::MISSING,
            BatsError::Parse { .. } => ids::PARSE,
            BatsError::Run { .. } => ids::RUN,
            BatsError::Copy { finding, .. } => return (**finding).clone(),
        };
        let finding = Finding::new(id, self.file(), self.to_string()).about(self.file());
        match self {
            BatsError::Parse { line, .. } => finding.at_line(*line),
            _ => finding,
        }
    }
}

/// Runs `bats --tap --timing FILE` (FILE relative to the repository under test) from the
/// root of a copy of the repository, with the bats `tools` find.
pub fn run_file(tools: &Tools, root: &SpecRoot, file: &str) -> Result<BatsRun, BatsError> {
    run_path(tools, root.path(), Path::new(file))
}

/// Runs one BATS file (relative to `root`) from the root of its own copy of `root`; a file
/// bash cannot parse is a [`BatsError::Parse`] naming the line and bash's reason.
pub(crate) fn run_path(tools: &Tools, root: &Path, file: &Path) -> Result<BatsRun, BatsError> {
    let name = file.display().to_string();
    if !root.join(file).is_file() {
        return Err(BatsError::Missing { file: name });
    }
    let run_error = |message: String| BatsError::Run {
        file: name.clone(),
        message,
    };
    let copy = copy_repository(root, None).map_err(|e| BatsError::Copy {
        file: name.clone(),
        finding: Box::new(e.finding()),
    })?;
    let tmp = copy.scratch().join("tmp");
    std::fs::create_dir_all(&tmp)
        .map_err(|e| run_error(format!("cannot create {}: {e}", tmp.display())))?;
    let trace = TraceSetup::create(copy.scratch())
        .map_err(|e| run_error(format!("cannot prepare the bash trace: {e}")))?;
    let mut command = tools
        .command(
            Tool::Bats,
            [Path::new("--tap"), Path::new("--timing"), file],
        )
        .map_err(|e| run_error(e.to_string()))?
        .dir(&copy.root)
        .env("TMPDIR", &tmp)
        .env("BATS_TMPDIR", &tmp)
        .timeout(TIMEOUT);
    for (name, value) in trace.environment() {
        command = command.env(name, value);
    }
    let out = tools::run(&command).map_err(|e| run_error(e.to_string()))?;
    let mut run = parse_tap(&name, &out.stdout);
    run.status = out.status;
    run.duration = out.duration;
    run.stderr = out.stderr;
    if let Some((line, reason)) = syntax_error(&run, file) {
        return Err(BatsError::Parse {
            file: name,
            line,
            reason,
        });
    }
    run.explained = explain_failures(&run, &copy);
    let blocks = std::fs::read_to_string(copy.root.join(file))
        .map(|text| bash_trace::test_blocks(&text))
        .unwrap_or_default();
    let tests: Vec<(usize, String, Option<u32>)> = run
        .tests
        .iter()
        .map(|t| {
            let line = bash_trace::test_line(&blocks, &t.name, t.number);
            (t.number, t.name.clone(), line)
        })
        .collect();
    run.execution = bash_trace::read_traces(&trace.dir, &copy.root, &tests);
    Ok(run)
}

/// For each failing test: every missing file its output names by an absolute path outside
/// the copy (`bats/absolute-path`, at the test's line), and every link the copy refused that
/// its output names. Only failing tests are read, so a passing test never fails here, and a
/// path that exists (a helper under `/usr/lib/bats`, a tool) is never reported.
fn explain_failures(run: &BatsRun, copy: &RepositoryCopy) -> Vec<Finding> {
    static ABSOLUTE: OnceLock<regex::Regex> = OnceLock::new();
    let absolute = ABSOLUTE.get_or_init(|| {
        regex::Regex::new(r#"(?:^|[\s'"`=(:,])(/[A-Za-z0-9._+@%-][A-Za-z0-9._+@%/-]*)"#)
            .expect("the absolute path pattern is valid")
    });
    let scratch = copy.scratch();
    let canonical_scratch = scratch
        .canonicalize()
        .unwrap_or_else(|_| scratch.to_path_buf());
    let mut found: Vec<Finding> = Vec::new();
    for test in run.failed() {
        let line = run.test_finding(test).line;
        for diagnostic in &test.diagnostics {
            for caps in absolute.captures_iter(diagnostic) {
                let path = Path::new(caps.get(1).map_or("", |m| m.as_str()));
                let inside = path.starts_with(scratch) || path.starts_with(&canonical_scratch);
                if inside || path.symlink_metadata().is_ok() {
                    continue;
                }
                let text = path.display().to_string();
                if found.iter().any(|f| f.subject() == text) {
                    continue;
                }
                found.push(
                    Finding::new(
                        ids::ABSOLUTE_PATH,
                        &run.file,
                        format!(
                            "test \"{}\" read {text}, an absolute path outside the repository, \
                             and that file is missing: the test can only pass where that path \
                             exists; name it relative to the root or to $BATS_TEST_DIRNAME",
                            test.name
                        ),
                    )
                    .at(line)
                    .about(text),
                );
            }
            for refused in copy.refused_links() {
                let named = diagnostic.contains(&refused.file);
                if named && !found.iter().any(|f| f.file == refused.file) {
                    found.push(refused.clone());
                }
            }
        }
    }
    found
}

/// What the BATS runs of one suite run share: a job pool of their own (a BATS file never
/// waits for a Terraform slot), the run of each file of the repository under test, and the
/// suite run's tools (bats is looked up there).
#[derive(Debug)]
pub struct BatsRuns {
    slots: JobSlots,
    runs: RunOnce<Result<BatsRun, BatsError>>,
    tools: Tools,
}

impl BatsRuns {
    /// At most `jobs` BATS files at once, with the bats `tools` find.
    pub fn new(jobs: usize, tools: Tools) -> BatsRuns {
        BatsRuns {
            slots: JobSlots::new("bats", jobs),
            runs: RunOnce::new(),
            tools,
        }
    }
}

/// Runs several BATS files at once, bounded by the BATS job pool; results in the given
/// order.
pub fn run_files<P: AsRef<Path> + Sync>(
    shared: &BatsRuns,
    root: &Path,
    files: &[P],
) -> Vec<Result<BatsRun, BatsError>> {
    crate::parallel::map(
        files,
        |file| {
            let _slot = shared.slots.acquire();
            run_path(&shared.tools, root, file.as_ref())
        },
        |file| Err(panicked(file.as_ref())),
    )
}

/// The run of a BATS file of the repository under test, computed once per suite run: the
/// scenario that runs every BATS file and the scenarios about one file share it. Each
/// scenario that uses it reports its [`BatsRun::tool_run`]; the report writer keeps one
/// copy of each run.
pub fn shared_run(shared: &BatsRuns, root: &Path, file: &Path) -> Arc<Result<BatsRun, BatsError>> {
    shared.runs.get_or_run(root.join(file), || {
        let _slot = shared.slots.acquire();
        run_path(&shared.tools, root, file)
    })
}

/// Runs `files` of a checkout at `root` in parallel, results in the given order. A file
/// `unchanged` says is the same as in the repository under test (`spec_root`) gives that
/// repository's run, computed once per suite run ([`shared_run`]); the others run afresh.
pub fn run_files_sharing(
    shared: &BatsRuns,
    root: &Path,
    spec_root: &Path,
    files: &[String],
    unchanged: impl Fn(&str) -> bool + Sync,
) -> Vec<Result<BatsRun, BatsError>> {
    crate::parallel::map(
        files,
        |file| {
            if unchanged(file) {
                (*shared_run(shared, spec_root, Path::new(file))).clone()
            } else {
                let _slot = shared.slots.acquire();
                run_path(&shared.tools, root, Path::new(file))
            }
        },
        |file| Err(panicked(Path::new(file))),
    )
}

fn panicked(file: &Path) -> BatsError {
    BatsError::Run {
        file: file.display().to_string(),
        message: "the bats thread panicked".into(),
    }
}

/// Bash's complaint about the file itself (`/path/x.bats: line 6: syntax error near
/// unexpected token `}'`), which bats reports as a failed `setup_file` with no test run.
/// Only a message naming this very file counts: a test's own output may mention syntax
/// errors of other scripts.
fn syntax_error(run: &BatsRun, path: &Path) -> Option<(usize, String)> {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(r"^(.*): line (\d+): (syntax error.*)$")
            .expect("the syntax error pattern is valid")
    });
    let file_name = path.file_name()?.to_string_lossy().into_owned();
    let full = path.display().to_string();
    run.stray
        .iter()
        .chain(run.tests.iter().flat_map(|t| &t.diagnostics))
        .chain(
            run.stderr
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
                .iter(),
        )
        .find_map(|line| {
            let caps = pattern.captures(line.trim())?;
            let named = &caps[1];
            (named == full || named.ends_with(&format!("/{file_name}")) || named == file_name)
                .then(|| (caps[2].parse().unwrap_or(0), caps[3].to_string()))
        })
}

/// Reads bats' TAP output (with `--timing`): `1..N`, `ok N name in Tms [# skip reason]`,
/// `not ok N name in Tms`, and `# ...` diagnostics under a failing test.
pub(crate) fn parse_tap(file: &str, tap: &str) -> BatsRun {
    static RESULT: OnceLock<regex::Regex> = OnceLock::new();
    let result = RESULT.get_or_init(|| {
        regex::Regex::new(r"^(ok|not ok) (\d+) (.*?)(?: in (\d+)ms)?(?: # skip(?: (.*))?)?$")
            .expect("the TAP line pattern is valid")
    });
    let mut run = BatsRun {
        file: file.to_string(),
        planned: 0,
        tests: Vec::new(),
        status: None,
        duration: Duration::ZERO,
        stray: Vec::new(),
        stderr: String::new(),
        explained: Vec::new(),
        execution: Vec::new(),
    };
    for line in tap.lines() {
        if let Some(count) = line.strip_prefix("1..") {
            run.planned = count.trim().parse().unwrap_or(0);
        } else if let Some(caps) = result.captures(line) {
            let skipped = line.contains(" # skip").then(|| {
                caps.get(5)
                    .map_or(String::new(), |m| m.as_str().to_string())
            });
            run.tests.push(BatsTest {
                number: caps[2].parse().unwrap_or(0),
                name: caps[3].to_string(),
                passed: &caps[1] == "ok",
                skipped,
                time: caps
                    .get(4)
                    .and_then(|m| m.as_str().parse().ok())
                    .map_or(Duration::ZERO, Duration::from_millis),
                diagnostics: Vec::new(),
            });
        } else if let Some(text) = line.strip_prefix('#') {
            let text = text.strip_prefix(' ').unwrap_or(text).to_string();
            match run.tests.last_mut() {
                Some(test) if !test.passed => test.diagnostics.push(text),
                _ => run.stray.push(text),
            }
        } else if !line.trim().is_empty() {
            run.stray.push(line.to_string());
        }
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bats_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn files_run_in_parallel_each_with_its_tests_and_errors() {
        let dir = bats_dir(&[
            ("pass.bats", "@test \"adds\" {\n  [ $((1 + 1)) -eq 2 ]\n}\n"),
            (
                "fail.bats",
                "@test \"passes\" {\n  true\n}\n\n@test \"compares\" {\n  [ 1 -eq 2 ]\n}\n",
            ),
            (
                "broken.bats",
                "@test \"ok\" {\n  true\n}\n@test \"broken\" {\n  if true; then\n}\n",
            ),
            (
                "quoted.bats",
                "@test \"another script's syntax error is output, not a parse error\" {\n  run bash -c 'if'\n  [ \"$status\" -eq 0 ]\n}\n",
            ),
        ]);
        let files = [
            "pass.bats",
            "fail.bats",
            "broken.bats",
            "quoted.bats",
            "none.bats",
        ];
        let results = run_files(&BatsRuns::new(2, Tools::new()), dir.path(), &files);
        let pass = results[0].as_ref().unwrap();
        assert!(pass.findings().is_empty(), "{:?}", pass.findings());
        let fail = results[1].as_ref().unwrap();
        assert_eq!(
            crate::finding::ids_and_subjects(&fail.findings()),
            [("bats/test-failed".to_string(), "compares".to_string())]
        );
        assert_eq!(fail.findings()[0].line, Some(6));
        match &results[2] {
            Err(BatsError::Parse { file, line, .. }) => {
                assert_eq!((file.as_str(), *line), ("broken.bats", 6));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            results[2].as_ref().unwrap_err().finding().id.as_str(),
            "bats/parse"
        );
        let quoted = results[3].as_ref().unwrap();
        assert_eq!(quoted.failed().len(), 1, "{quoted:?}");
        assert!(matches!(&results[4], Err(BatsError::Missing { file }) if file == "none.bats"));
    }

    #[test]
    fn a_file_runs_from_the_root_of_its_own_copy_and_never_writes_the_checkout() {
        let dir = tempfile::tempdir().unwrap();
        crate::test_support::write(dir.path(), "scripts/greet.sh", "echo hello\n");
        crate::test_support::write(
            dir.path(),
            "tests/tooling/root.bats",
            "@test \"names its script from the root and writes a relative file\" {\n  [ -f scripts/greet.sh ]\n  echo x > written.txt\n  [ \"$TMPDIR\" = \"$BATS_TMPDIR\" ]\n  [ \"$TMPDIR\" = \"${PWD%/repo}/tmp\" ]\n}\n",
        );
        let run = run_path(
            &Tools::new(),
            dir.path(),
            Path::new("tests/tooling/root.bats"),
        )
        .unwrap();
        assert!(run.findings().is_empty(), "{:?}", run.findings());
        assert!(!dir.path().join("written.txt").exists());
    }

    #[test]
    fn a_failing_test_that_read_a_missing_absolute_path_says_so() {
        let dir = bats_dir(&[(
            "abs.bats",
            "@test \"reads its author's helper\" {\n  source /home/nobody-homelab-spec/helpers.bash\n}\n\n@test \"names existing absolute paths and fails for another reason\" {\n  echo \"/etc/hostname /usr\"\n  false\n}\n\n@test \"passes with a missing absolute path in its output\" {\n  echo /nonexistent/file\n}\n",
        )]);
        let run = run_path(&Tools::new(), dir.path(), Path::new("abs.bats")).unwrap();
        let mut found = crate::finding::ids_and_subjects(&run.findings());
        found.sort();
        pretty_assertions::assert_eq!(
            found,
            [
                (
                    "bats/absolute-path".to_string(),
                    "/home/nobody-homelab-spec/helpers.bash".to_string()
                ),
                (
                    "bats/test-failed".to_string(),
                    "names existing absolute paths and fails for another reason".to_string()
                ),
                (
                    "bats/test-failed".to_string(),
                    "reads its author's helper".to_string()
                ),
            ]
        );
        let absolute = run
            .findings()
            .into_iter()
            .find(|f| f.id == ids::ABSOLUTE_PATH)
            .unwrap();
        assert_eq!(
            (absolute.file.as_str(), absolute.line),
            ("abs.bats", Some(2))
        );
    }

    const TAP: &str = "1..4\n\
        ok 1 passes in 20ms\n\
        not ok 2 fails badly in 21ms\n\
        # (in test file mix.bats, line 2)\n\
        #   `false' failed\n\
        ok 3 skipped one in 3ms # skip no reason\n\
        ok 4 name with # hash in 7ms\n";

    #[test]
    fn each_tap_line_becomes_a_test() {
        let run = parse_tap("mix.bats", TAP);
        assert_eq!(run.planned, 4);
        let names: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            ["passes", "fails badly", "skipped one", "name with # hash"]
        );
        assert_eq!(run.tests[1].time, Duration::from_millis(21));
        assert!(!run.tests[1].passed);
        assert_eq!(
            run.tests[1].diagnostics,
            ["(in test file mix.bats, line 2)", "  `false' failed"]
        );
        assert_eq!(run.tests[2].skipped.as_deref(), Some("no reason"));
        assert!(run.tests[3].skipped.is_none());
    }

    #[test]
    fn the_suite_has_one_case_per_test_and_names_the_failure() {
        let mut run = parse_tap("tests/restore/x.bats", TAP);
        run.status = Some(1);
        let suite = run.tool_run();
        assert_eq!(suite.suite, "bats: tests/restore/x.bats");
        assert_eq!(suite.cases.len(), 4);
        assert_eq!(suite.failures(), 1);
        assert_eq!(suite.cases[2].status, CaseStatus::Skipped);
        let findings = run.findings();
        pretty_assertions::assert_eq!(
            crate::finding::ids_and_subjects(&findings),
            vec![("bats/test-failed".to_string(), "fails badly".to_string())]
        );
        assert_eq!(findings[0].file, "tests/restore/x.bats");
    }

    #[test]
    fn a_file_that_stops_early_is_a_failure_even_if_no_test_failed() {
        let mut run = parse_tap(
            "x.bats",
            "1..3\nok 1 first in 1ms\n# bats warning: Executed 1 instead of expected 3 tests\n",
        );
        run.status = Some(1);
        let suite = run.tool_run();
        assert_eq!(suite.failures(), 1);
        let findings = run.findings();
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, ids::PLAN);
        assert_eq!(findings[0].expected.as_deref(), Some("3 tests"));
        assert_eq!(findings[0].found.as_deref(), Some("1 tests"));
    }
}
