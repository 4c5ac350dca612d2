//! The one way the suite puts fake commands on PATH: the shell harness (`ssh`, `sleep`, a
//! flaky command), the textfile check's stand-in world (`ssh`, `terraform`, `openssl`...)
//! and the Terraform "missing or old terraform" cases all use it.
//!
//! A fake either records (each call appends its arguments, shell-quoted, to
//! `$STUB_DIR/<name>.calls`, prints `$STUB_DIR/<name>.stdout` if there is one, and exits with
//! the next status of `$STUB_DIR/<name>.statuses`, the last one repeating), or runs a bash
//! body of its own. The recording contract is the one of the BATS tests' stub
//! (`tests/restore/stubs/recording-stub`), so both sides read the same records.
//!
//! Every run made with [`FakeCommands::command`] loses the library variables a caller may
//! have set ([`LIBRARY_VARIABLES`]): a developer's `DRY_RUN=true` never leaks into a check.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::tools::Command;

/// Every variable the homelab's Bash library and operations scripts read from the
/// environment (`scripts/lib/*.sh`, `scripts/*.sh`), scrubbed from every fake-command run.
pub(crate) const LIBRARY_VARIABLES: [&str; 17] = [
    "BACKUP_STORAGE",
    "DNS_NAME",
    "DRY_RUN",
    "FORCE",
    "HEALTH_DNS_NAME",
    "HOMELAB_ROOT",
    "NODE_HOST",
    "OUTPUT_FILE",
    "PVE_IP",
    "PVE_NODE",
    "RETRY_BASE_DELAY",
    "RETRY_MAX_DELAY",
    "RETRY_ON",
    "SSH_CONNECT_TIMEOUT",
    "SSH_USER",
    "TEXTFILE_DIR",
    "TFVARS_FILE",
];

/// The recording fake, the suite's own copy of the BATS stub's contract.
const RECORDING: &str = r#"#!/usr/bin/env bash
set -u
name="${0##*/}"
dir="${STUB_DIR:?STUB_DIR must point at the records of the fake commands}"
calls="${dir}/${name}.calls"
previous=()
[[ -f "$calls" ]] && mapfile -t previous <"$calls"
printf -v line '%q ' "$@"
[[ $# -eq 0 ]] && line=""
printf '%s\n' "${line% }" >>"$calls"
if [[ -f "${dir}/${name}.stdout" ]]; then
    printf '%s\n' "$(<"${dir}/${name}.stdout")"
fi
status=0
if [[ -s "${dir}/${name}.statuses" ]]; then
    mapfile -t statuses <"${dir}/${name}.statuses"
    index=${#previous[@]}
    (( index >= ${#statuses[@]} )) && index=$(( ${#statuses[@]} - 1 ))
    status="${statuses[$index]}"
fi
exit "$status"
"#;

/// Why the fakes could not be laid out.
#[derive(Debug, thiserror::Error)]
pub enum FakeCommandError {
    #[error("a fake command needs a plain name, got {0:?}")]
    BadName(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> FakeCommandError {
    move |source| FakeCommandError::Io { context, source }
}

/// A temporary directory of fake commands and their records, removed when dropped.
#[derive(Debug)]
pub struct FakeCommands {
    dir: tempfile::TempDir,
}

impl FakeCommands {
    pub fn new() -> Result<FakeCommands, FakeCommandError> {
        let dir = tempfile::Builder::new()
            .prefix("homelab-spec-fakes-")
            .tempdir()
            .map_err(io("cannot create a directory for fake commands".into()))?;
        for sub in ["bin", "records"] {
            let path = dir.path().join(sub);
            std::fs::create_dir(&path).map_err(io(format!("cannot create {}", path.display())))?;
        }
        write_executable(&dir.path().join("recording-fake"), RECORDING)?;
        Ok(FakeCommands { dir })
    }

    /// The directory holding the fakes (`bin/`), their records (`records/`), and free room
    /// for a scenario's own files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// Where the records are (`STUB_DIR` of the fakes).
    pub fn records(&self) -> PathBuf {
        self.dir.path().join("records")
    }

    /// A recording fake `name` that always exits 0 (until [`Self::scripted`] says otherwise).
    pub fn recording(&self, name: &str) -> Result<&Self, FakeCommandError> {
        let link = self.bin().join(checked(name)?);
        if !link.exists() {
            std::os::unix::fs::symlink(self.dir.path().join("recording-fake"), &link)
                .map_err(io(format!("cannot create {}", link.display())))?;
        }
        Ok(self)
    }

    /// A recording fake `name` that exits with these statuses, call by call.
    pub(crate) fn scripted(
        &self,
        name: &str,
        statuses: impl IntoIterator<Item = i32>,
    ) -> Result<&Self, FakeCommandError> {
        self.recording(name)?;
        let text: String = statuses.into_iter().map(|s| format!("{s}\n")).collect();
        let path = self.records().join(format!("{name}.statuses"));
        std::fs::write(&path, text).map_err(io(format!("cannot write {}", path.display())))?;
        Ok(self)
    }

    /// A fake `name` that runs its own bash `body` (under `set -u`).
    pub fn script(&self, name: &str, body: &str) -> Result<&Self, FakeCommandError> {
        let path = self.bin().join(checked(name)?);
        write_executable(&path, &format!("#!/usr/bin/env bash\nset -u\n{body}\n"))?;
        Ok(self)
    }

    /// A PATH with the fakes first, then the inherited PATH.
    pub fn path(&self) -> Result<OsString, FakeCommandError> {
        let mut dirs = vec![self.bin()];
        if let Some(old) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&old));
        }
        std::env::join_paths(dirs).map_err(|e| FakeCommandError::Io {
            context: "cannot build PATH".into(),
            source: std::io::Error::other(e),
        })
    }

    /// A PATH of the fakes alone: a machine that has only these commands.
    pub fn path_alone(&self) -> OsString {
        self.bin().into_os_string()
    }

    /// `command` set up to find the fakes first, write their records, and see none of the
    /// library variables its caller may have set.
    pub fn command(&self, command: Command) -> Result<Command, FakeCommandError> {
        let mut command = command
            .env("PATH", self.path()?)
            .env("STUB_DIR", self.records())
            .env("NO_COLOR", "1");
        for variable in LIBRARY_VARIABLES {
            command = command.env_remove(variable);
        }
        Ok(command)
    }

    /// Each recording fake's calls, one shell-quoted argument line per call.
    pub fn calls(&self) -> Result<BTreeMap<String, Vec<String>>, FakeCommandError> {
        let mut calls = BTreeMap::new();
        let records = self.records();
        let entries = std::fs::read_dir(&records)
            .map_err(io(format!("cannot read {}", records.display())))?;
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(".calls") {
                let text = std::fs::read_to_string(entry.path())
                    .map_err(io(format!("cannot read {}", entry.path().display())))?;
                calls.insert(name.to_string(), text.lines().map(String::from).collect());
            }
        }
        Ok(calls)
    }
}

fn checked(name: &str) -> Result<&str, FakeCommandError> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        Err(FakeCommandError::BadName(name.to_string()))
    } else {
        Ok(name)
    }
}

/// Writes a script with its shebang and makes it executable.
pub(crate) fn write_executable(path: &Path, text: &str) -> Result<(), FakeCommandError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).map_err(io(format!("cannot write {}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(io(format!("cannot make {} executable", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools;

    #[test]
    fn recording_fakes_record_and_follow_their_script() {
        let fakes = FakeCommands::new().unwrap();
        fakes.scripted("ssh", [255, 0]).unwrap();
        fakes.script("greet", "echo \"hi $1\"").unwrap();
        let command = fakes
            .command(Command::new(
                "bash",
                ["-c", "ssh -o X 'a b' || echo \"first $?\"; ssh; greet you; echo \"${DRY_RUN:-unset}\""],
            ))
            .unwrap()
            // Set after the scrub: a check's own settings are kept.
            .env("DRY_RUN", "set-by-the-check");
        let out = tools::run(&command).unwrap();
        assert_eq!(out.stdout, "first 255\nhi you\nset-by-the-check\n");
        let calls = fakes.calls().unwrap();
        pretty_assertions::assert_eq!(calls["ssh"], vec!["-o X a\\ b".to_string(), String::new()]);
    }

    #[test]
    fn the_callers_library_settings_never_reach_a_run() {
        let fakes = FakeCommands::new().unwrap();
        // Variables set before `command` stand for what a caller's environment carries.
        let command = Command::new(
            "bash",
            ["-c", "echo \"${TFVARS_FILE:-unset} ${RETRY_ON:-unset}\""],
        )
        .env("TFVARS_FILE", "/etc/x")
        .env("RETRY_ON", "1");
        let out = tools::run(&fakes.command(command).unwrap()).unwrap();
        assert_eq!(out.stdout, "unset unset\n");
    }

    #[test]
    fn a_name_with_a_slash_is_refused() {
        let fakes = FakeCommands::new().unwrap();
        assert!(matches!(
            fakes.recording("../x"),
            Err(FakeCommandError::BadName(_))
        ));
    }

    #[test]
    fn the_scrub_list_covers_every_variable_the_library_reads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let re = regex::Regex::new(r"\$\{?([A-Z][A-Z0-9_]+)").unwrap();
        // Set by bash itself or by the library for its own use, not read from outside.
        let internal = [
            "BASH_REMATCH",
            "BASH_SOURCE",
            "COMMON_SH_DIR",
            "NO_COLOR",
            "REMAINING_ARGS",
            "SCRIPT_DESCRIPTION",
            "SCRIPT_NAME",
            "SCRIPT_USAGE",
        ];
        let mut missing = Vec::new();
        for dir in ["scripts", "scripts/lib"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                if entry.path().extension().is_some_and(|e| e == "sh") {
                    let text = std::fs::read_to_string(entry.path()).unwrap();
                    for c in re.captures_iter(&text) {
                        let name = c[1].to_string();
                        if !LIBRARY_VARIABLES.contains(&name.as_str())
                            && !internal.contains(&name.as_str())
                            && !missing.contains(&name)
                        {
                            missing.push(name);
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "not scrubbed: {missing:?}");
    }
}
