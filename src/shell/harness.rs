//! Calling one function of `scripts/lib/common.sh` in a controlled `bash`: the real library
//! from the repository under test is sourced under `set -euo pipefail`, with a temporary
//! PATH whose first directory holds recording fakes of `ssh`, `sleep` and any command a
//! scenario scripts. Each fake records its arguments and exits with the next scripted
//! status, so a call reports how many attempts ran, which waits were asked for, the final
//! status and the messages, without a network or real waiting.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::spec_root::SpecRoot;
use crate::tools::{self, Command};

/// The library, relative to the repository under test.
pub const COMMON_SH: &str = "scripts/lib/common.sh";

/// A `bash` that sources the library and calls one function may take this long.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The recording fake linked under each command's name. Like the BATS stub, but the
/// suite's own: it must not depend on the repository under test.
const FAKE_COMMAND: &str = r#"#!/usr/bin/env bash
# Records one line per call (arguments, shell-quoted) in $FAKE_DIR/<name>.calls and exits
# with the next status in $FAKE_DIR/<name>.statuses (one per line, the last repeats).
set -u
name="${0##*/}"
calls="${FAKE_DIR}/${name}.calls"
previous=()
[[ -f "$calls" ]] && mapfile -t previous <"$calls"
printf -v line '%q ' "$@"
[[ $# -eq 0 ]] && line=""
printf '%s\n' "${line% }" >>"$calls"
status=0
if [[ -s "${FAKE_DIR}/${name}.statuses" ]]; then
    mapfile -t statuses <"${FAKE_DIR}/${name}.statuses"
    index=${#previous[@]}
    (( index >= ${#statuses[@]} )) && index=$(( ${#statuses[@]} - 1 ))
    status="${statuses[$index]}"
fi
exit "$status"
"#;

/// Commands that always have a fake: nothing may connect anywhere or wait in real time.
const ALWAYS_FAKED: [&str; 2] = ["ssh", "sleep"];

/// Variables of the library that a caller's environment must not leak into a call.
const LIBRARY_VARIABLES: [&str; 9] = [
    "DRY_RUN",
    "FORCE",
    "RETRY_ON",
    "RETRY_BASE_DELAY",
    "RETRY_MAX_DELAY",
    "SSH_USER",
    "SSH_CONNECT_TIMEOUT",
    "PVE_NODE",
    "PVE_IP",
];

/// One function call to make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BashCall {
    pub function: String,
    pub args: Vec<String>,
    /// Environment for the call (`RETRY_BASE_DELAY`, `DRY_RUN`, ...).
    pub env: Vec<(String, String)>,
    /// Fake commands and the statuses they give, call by call (the last repeats).
    pub scripted: Vec<(String, Vec<i32>)>,
}

impl BashCall {
    pub fn new<S: Into<String>>(function: &str, args: impl IntoIterator<Item = S>) -> Self {
        Self {
            function: function.to_string(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// Puts a fake `command` on PATH that exits with these statuses, one per call.
    pub fn scripted(mut self, command: &str, statuses: impl IntoIterator<Item = i32>) -> Self {
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
pub struct BashRun {
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
    pub fn runs_of(&self, command: &str) -> usize {
        self.calls.get(command).map_or(0, Vec::len)
    }
}

/// Sources `scripts/lib/common.sh` from `root` and calls the function.
pub fn call(root: &SpecRoot, call: &BashCall) -> Result<BashRun, String> {
    let library = root.join(COMMON_SH);
    if !library.is_file() {
        return Err(format!(
            "the Bash library {} does not exist",
            library.display()
        ));
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let bin = scratch.path().join("bin");
    let records = scratch.path().join("records");
    let work = scratch.path().join("work");
    for dir in [&bin, &records, &work] {
        std::fs::create_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let fake = scratch.path().join("fake-command");
    write_executable(&fake, FAKE_COMMAND)?;
    let names = ALWAYS_FAKED
        .iter()
        .map(|n| n.to_string())
        .chain(call.scripted.iter().map(|(n, _)| n.clone()));
    for name in names {
        if name.is_empty() || name.contains('/') {
            return Err(format!("a fake command needs a plain name, got {name:?}"));
        }
        let link = bin.join(&name);
        if !link.exists() {
            std::os::unix::fs::symlink(&fake, &link)
                .map_err(|e| format!("cannot create {}: {e}", link.display()))?;
        }
    }
    for (name, statuses) in &call.scripted {
        let text: String = statuses.iter().map(|s| format!("{s}\n")).collect();
        let path = records.join(format!("{name}.statuses"));
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let path = match std::env::var_os("PATH") {
        Some(old) => {
            let mut dirs = vec![bin.clone()];
            dirs.extend(std::env::split_paths(&old));
            std::env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?
        }
        None => bin.clone().into_os_string(),
    };
    let script = "set -euo pipefail\nsource \"$1\"\nshift\n\"$@\"\n";
    let mut args = vec![
        "-c".to_string(),
        script.to_string(),
        "bash".to_string(),
        library.display().to_string(),
        call.function.clone(),
    ];
    args.extend(call.args.iter().cloned());
    let mut command = Command::new("bash", args)
        .dir(&work)
        .env("PATH", path)
        .env("FAKE_DIR", &records)
        .env("NO_COLOR", "1")
        .timeout(TIMEOUT);
    for variable in LIBRARY_VARIABLES {
        command = command.env_remove(variable);
    }
    for (key, value) in &call.env {
        command = command.env(key, value);
    }
    let out = tools::run(&command).map_err(|e| format!("{}: {e}", call.display()))?;
    let status = out.status.ok_or_else(|| {
        format!(
            "{}: bash was killed by a signal\n{}",
            call.display(),
            out.stderr
        )
    })?;

    let mut calls = BTreeMap::new();
    let entries =
        std::fs::read_dir(&records).map_err(|e| format!("cannot read the fake records: {e}"))?;
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = file.strip_suffix(".calls") {
            let text = std::fs::read_to_string(entry.path())
                .map_err(|e| format!("cannot read {file}: {e}"))?;
            calls.insert(name.to_string(), text.lines().map(String::from).collect());
        }
    }
    let delays = calls
        .get("sleep")
        .map(|lines: &Vec<String>| lines.iter().map(|l| parse_delay(l)).collect())
        .transpose()
        .map_err(|e| format!("{}: {e}", call.display()))?
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
fn parse_delay(argument: &str) -> Result<Duration, String> {
    argument
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!("sleep was called with {argument:?}, which is not a number of seconds")
        })
}

/// Writes a fake command (a script with its shebang) and makes it executable.
pub(crate) fn write_executable(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot make {} executable: {e}", path.display()))
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
            err.starts_with("the Bash library ")
                && err.ends_with("scripts/lib/common.sh does not exist"),
            "{err}"
        );
    }

    #[test]
    fn a_sleep_argument_that_is_not_a_number_is_reported() {
        let (_dir, root) = repo_with_library("nap() { sleep forever; }\n");
        let err = call(&root, &BashCall::new("nap", Vec::<String>::new())).unwrap_err();
        assert!(err.contains("sleep was called with \"forever\""), "{err}");
    }
}
