//! Calling one function of `scripts/lib/common.sh` in a controlled `bash`: the real library
//! from the repository under test is sourced under `set -euo pipefail`, with a temporary
//! PATH whose first directory holds recording fakes of `ssh`, `sleep` and any command a
//! scenario scripts. Each fake records its arguments and exits with the next scripted
//! status, so a call reports how many attempts ran, which waits were asked for, the final
//! status and the messages, without a network or real waiting.

use std::collections::BTreeMap;
use std::time::Duration;

use super::fake_commands::{FakeCommandError, FakeCommands};
use crate::spec_root::SpecRoot;
use crate::tools::{self, Command, RunError};

/// The library, relative to the repository under test.
pub(crate) const COMMON_SH: &str = "scripts/lib/common.sh";

/// A `bash` that sources the library and calls one function may take this long.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Commands that always have a fake: nothing may connect anywhere or wait in real time.
const ALWAYS_FAKED: [&str; 2] = ["ssh", "sleep"];

/// Why a call could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("the Bash library {0} does not exist")]
    NoLibrary(String),
    #[error(transparent)]
    Fakes(#[from] FakeCommandError),
    #[error("{call}: {source}")]
    Run {
        call: String,
        #[source]
        source: RunError,
    },
    #[error("{call}: bash was killed by a signal\n{stderr}")]
    Killed { call: String, stderr: String },
    #[error("{call}: sleep was called with {argument:?}, which is not a number of seconds")]
    BadSleep { call: String, argument: String },
}

/// One function call to make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BashCall {
    pub function: String,
    pub args: Vec<String>,
    /// Environment for the call (`RETRY_BASE_DELAY`, `DRY_RUN`, ...).
    pub env: Vec<(String, String)>,
    /// Fake commands and the statuses they give, call by call (the last repeats).
    pub(crate) scripted: Vec<(String, Vec<i32>)>,
}

impl BashCall {
    pub(crate) fn new<S: Into<String>>(function: &str, args: impl IntoIterator<Item = S>) -> Self {
        Self {
            function: function.to_string(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    pub(crate) fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Puts a fake `command` on PATH that exits with these statuses, one per call.
    pub(crate) fn scripted(
        mut self,
        command: &str,
        statuses: impl IntoIterator<Item = i32>,
    ) -> Self {
        self.scripted
            .push((command.to_string(), statuses.into_iter().collect()));
        self
    }

    fn display(&self) -> String {
        let env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut words = env;
        words.push(self.function.clone());
        words.extend(self.args.iter().cloned());
        words.join(" ")
    }
}

/// What a call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BashRun {
    pub call: String,
    /// The function's exit status (`set -e` makes it the script's).
    pub status: i32,
    /// Each fake command's calls, one shell-quoted argument line per call.
    pub calls: BTreeMap<String, Vec<String>>,
    /// The waits the library asked `sleep` for, in order.
    pub delays: Vec<Duration>,
    pub stdout: String,
    pub stderr: String,
}

impl BashRun {
    /// How many times the fake `command` ran.
    pub(crate) fn runs_of(&self, command: &str) -> usize {
        self.calls.get(command).map_or(0, Vec::len)
    }
}

/// Sources `scripts/lib/common.sh` from `root` and calls the function.
pub(crate) fn call(root: &SpecRoot, call: &BashCall) -> Result<BashRun, HarnessError> {
    let library = root.join(COMMON_SH);
    if !library.is_file() {
        return Err(HarnessError::NoLibrary(library.display().to_string()));
    }
    let fakes = FakeCommands::new()?;
    for name in ALWAYS_FAKED {
        fakes.recording(name)?;
    }
    for (name, statuses) in &call.scripted {
        fakes.scripted(name, statuses.iter().copied())?;
    }
    let work = fakes.dir().join("work");
    std::fs::create_dir(&work).map_err(|source| FakeCommandError::Io {
        context: format!("cannot create {}", work.display()),
        source,
    })?;
    let script = "set -euo pipefail\nsource \"$1\"\nshift\n\"$@\"\n";
    let mut args = vec![
        "-c".to_string(),
        script.to_string(),
        "bash".to_string(),
        library.display().to_string(),
        call.function.clone(),
    ];
    args.extend(call.args.iter().cloned());
    let mut command = fakes.command(Command::new("bash", args).dir(&work).timeout(TIMEOUT))?;
    for (key, value) in &call.env {
        command = command.env(key, value);
    }
    let out = tools::run(&command).map_err(|source| HarnessError::Run {
        call: call.display(),
        source,
    })?;
    let status = out.status.ok_or_else(|| HarnessError::Killed {
        call: call.display(),
        stderr: out.stderr.clone(),
    })?;
    let calls = fakes.calls()?;
    let delays = calls
        .get("sleep")
        .map(|lines: &Vec<String>| {
            lines
                .iter()
                .map(|l| {
                    parse_delay(l).ok_or_else(|| HarnessError::BadSleep {
                        call: call.display(),
                        argument: l.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(BashRun {
        call: call.display(),
        status,
        calls,
        delays,
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// A `sleep` argument: seconds, whole or decimal (`1`, `0.5`).
fn parse_delay(argument: &str) -> Option<Duration> {
    argument
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repository holding only a given common.sh, to test the harness itself.
    fn repo_with_library(text: &str) -> (tempfile::TempDir, SpecRoot) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("scripts/lib")).unwrap();
        std::fs::write(dir.path().join(COMMON_SH), text).unwrap();
        let root = SpecRoot::resolve(None, dir.path()).unwrap();
        (dir, root)
    }

    #[test]
    fn fakes_record_calls_and_give_scripted_statuses() {
        let (_dir, root) = repo_with_library(
            "probe() { local s=0; ssh -o X \"$1\" 'a b'; ssh || s=$?; sleep 2; sleep 0.5; return $s; }\n",
        );
        let run = call(
            &root,
            &BashCall::new("probe", ["pve1"]).scripted("ssh", [0, 7]),
        )
        .unwrap();
        assert_eq!(run.status, 7, "{run:?}");
        assert_eq!(run.calls["ssh"], ["-o X pve1 a\\ b", ""]);
        assert_eq!(run.runs_of("ssh"), 2);
        assert_eq!(
            run.delays,
            [Duration::from_secs(2), Duration::from_millis(500)]
        );
    }

    #[test]
    fn a_call_gets_the_environment_it_asks_for_and_no_library_settings() {
        let (_dir, root) = repo_with_library("show() { echo \"${DRY_RUN:-unset} ${X:-}\"; }\n");
        let run = call(
            &root,
            &BashCall::new("show", Vec::<String>::new()).env("X", "y"),
        )
        .unwrap();
        assert_eq!(run.stdout, "unset y\n");
    }

    #[test]
    fn a_missing_library_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = SpecRoot::resolve(None, dir.path()).unwrap();
        let err = call(&root, &BashCall::new("x", Vec::<String>::new())).unwrap_err();
        assert!(
            matches!(&err, HarnessError::NoLibrary(path) if path.ends_with(COMMON_SH)),
            "{err}"
        );
    }

    #[test]
    fn a_sleep_argument_that_is_not_a_number_is_reported() {
        let (_dir, root) = repo_with_library("nap() { sleep forever; }\n");
        let err = call(&root, &BashCall::new("nap", Vec::<String>::new())).unwrap_err();
        assert!(
            matches!(&err, HarnessError::BadSleep { argument, .. } if argument == "forever"),
            "{err}"
        );
    }
}
