//! External tools the suite drives (terraform, bats, promtool, prometheus): finding them,
//! checking their versions, and running them with an argument list and a timeout.
//!
//! A missing or too old tool is one sentence: which tool, the version known to work, and the
//! command that installs it. A command that fails shows its exit status, stdout and stderr.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One external tool the suite needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    Terraform,
    Bats,
    Promtool,
    Prometheus,
}

impl Tool {
    pub(crate) fn program(self) -> &'static str {
        match self {
            Tool::Terraform => "terraform",
            Tool::Bats => "bats",
            Tool::Promtool => "promtool",
            Tool::Prometheus => "prometheus",
        }
    }

    /// The oldest version the suite accepts.
    pub fn minimum(self) -> Version {
        match self {
            // `terraform test` with mock_provider and override blocks needs 1.9 (SPEC: IaC).
            Tool::Terraform => Version(1, 9, 0),
            // bats_require_minimum_version and `run -N` appeared in 1.5.
            Tool::Bats => Version(1, 5, 0),
            // `promtool test rules` and the rules API have been stable since 2.x.
            Tool::Promtool | Tool::Prometheus => Version(2, 30, 0),
        }
    }

    /// The version this suite is developed and run against.
    pub(crate) fn known_good(self) -> &'static str {
        match self {
            Tool::Terraform => "1.11.4",
            Tool::Bats => "1.8.2",
            Tool::Promtool | Tool::Prometheus => "2.42.0",
        }
    }

    /// The command that installs it on Debian/Ubuntu.
    pub(crate) fn install_hint(self) -> &'static str {
        match self {
            Tool::Terraform => {
                "install Terraform >= 1.9 (HashiCorp's apt repository: `apt-get install terraform`)"
            }
            Tool::Bats => {
                "run `make setup` (apt-get install bats bats-assert bats-support bats-file)"
            }
            Tool::Promtool | Tool::Prometheus => "run `make setup` (apt-get install prometheus)",
        }
    }

    fn version_args(self) -> &'static [&'static str] {
        match self {
            Tool::Terraform => &["version"],
            Tool::Bats | Tool::Promtool | Tool::Prometheus => &["--version"],
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.program())
    }
}

/// A `major.minor.patch` version as tools print it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The first `N.N[.N]` in a tool's `--version` output.
    pub(crate) fn find_in(text: &str) -> Option<Version> {
        static RE: OnceLock<regex::Regex> = OnceLock::new();
        let re = RE.get_or_init(|| regex::Regex::new(r"(\d+)\.(\d+)(?:\.(\d+))?").unwrap());
        let caps = re.captures(text)?;
        let part = |i: usize| caps.get(i).map_or(Some(0), |m| m.as_str().parse().ok());
        Some(Version(part(1)?, part(2)?, part(3)?))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// A tool found on PATH, with the version it reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolInfo {
    pub tool: Tool,
    pub path: PathBuf,
    pub version: Version,
}

/// Why a tool cannot be used: one sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolError {
    #[error("{tool} was not found on PATH; version {known} is known to work: {hint}", known = .tool.known_good(), hint = .tool.install_hint())]
    Missing { tool: Tool },
    #[error("{tool} {found} at {path} is older than {min}; version {known} is known to work: {hint}", min = .tool.minimum(), known = .tool.known_good(), hint = .tool.install_hint(), path = .path.display())]
    TooOld {
        tool: Tool,
        found: Version,
        path: PathBuf,
    },
    #[error("{tool} at {path} did not report a version ({detail}); version {known} is known to work: {hint}", known = .tool.known_good(), hint = .tool.install_hint(), path = .path.display())]
    Unusable {
        tool: Tool,
        path: PathBuf,
        detail: String,
    },
}

/// Looks `program` up on PATH the way a shell would.
pub fn which(program: &str) -> Option<PathBuf> {
    which::which(program).ok()
}

/// Looks `program` up in a PATH-style list of directories.
pub(crate) fn which_in(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    which::which_in(program, Some(path), cwd).ok()
}

/// The tools one suite run found on PATH, each looked up and version-checked on first use
/// and remembered for the rest of the run (a missing tool is remembered too: every scenario
/// that needs it says the same sentence). Held by the [`crate::suite::Suite`]; clones share
/// one memo, so the Terraform and BATS runs of a suite run see what it found.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    found: Arc<Mutex<HashMap<Tool, Result<ToolInfo, ToolError>>>>,
}

impl Tools {
    /// Nothing looked up yet.
    pub fn new() -> Tools {
        Tools::default()
    }

    /// Finds a tool on PATH and checks its version, the first time it is asked for.
    pub fn find(&self, tool: Tool) -> Result<ToolInfo, ToolError> {
        if let Some(hit) = self
            .found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tool)
        {
            return hit.clone();
        }
        let found = probe(tool);
        self.found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tool, found.clone());
        found
    }

    /// A tool found by [`Tools::find`], with its arguments.
    pub fn command<I, S>(&self, tool: Tool, args: I) -> Result<Command, ToolError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Ok(Command::new(self.find(tool)?.path, args))
    }
}

/// Finds a tool in the given PATH-style directory list and checks its version, uncached:
/// for checking what happens on a machine whose PATH lacks a tool or has an old one.
pub(crate) fn find_on_path(tool: Tool, path: &std::ffi::OsStr) -> Result<ToolInfo, ToolError> {
    probe_at(tool, which_in(tool.program(), path))
}

fn probe(tool: Tool) -> Result<ToolInfo, ToolError> {
    probe_at(tool, which(tool.program()))
}

fn probe_at(tool: Tool, found: Option<PathBuf>) -> Result<ToolInfo, ToolError> {
    let path = found.ok_or(ToolError::Missing { tool })?;
    let args: Vec<OsString> = tool.version_args().iter().map(OsString::from).collect();
    let out =
        run(&Command::new(path.clone(), args).timeout(Duration::from_secs(20))).map_err(|e| {
            ToolError::Unusable {
                tool,
                path: path.clone(),
                detail: e.to_string(),
            }
        })?;
    // promtool and prometheus print their version on stderr in some releases.
    let text = format!("{}\n{}", out.stdout, out.stderr);
    let version = Version::find_in(&text).ok_or_else(|| ToolError::Unusable {
        tool,
        path: path.clone(),
        detail: format!("output was {:?}", text.trim()),
    })?;
    if version < tool.minimum() {
        return Err(ToolError::TooOld {
            tool,
            found: version,
            path,
        });
    }
    Ok(ToolInfo {
        tool,
        path,
        version,
    })
}

/// An external command to run: program, argument list (never a shell string), working
/// directory, extra environment, and a timeout.
#[derive(Debug, Clone)]
pub struct Command {
    /// A name looked up on PATH, or a path. Kept as a string: duct treats a `Path` without
    /// a separator as relative to the working directory rather than looking it up.
    pub(crate) program: OsString,
    pub args: Vec<OsString>,
    pub dir: Option<PathBuf>,
    pub env: Vec<(OsString, OsString)>,
    pub(crate) env_remove: Vec<OsString>,
    pub(crate) stdin: Option<Vec<u8>>,
    pub timeout: Duration,
}

impl Command {
    pub fn new<I, S>(program: impl Into<OsString>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            dir: None,
            env: Vec::new(),
            env_remove: Vec::new(),
            stdin: None,
            timeout: Duration::from_secs(120),
        }
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Sets a variable; the last of `env` and `env_remove` for a key wins.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        let key = key.into();
        self.env_remove.retain(|k| *k != key);
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.into()));
        self
    }

    /// Removes an inherited variable; the last of `env` and `env_remove` for a key wins.
    pub(crate) fn env_remove(mut self, key: impl Into<OsString>) -> Self {
        let key = key.into();
        self.env.retain(|(k, _)| *k != key);
        self.env_remove.push(key);
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The command line as a user would type it, for messages.
    pub fn display(&self) -> String {
        std::iter::once(self.program.to_string_lossy().into_owned())
            .chain(self.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a finished command did.
#[derive(Debug, Clone)]
pub struct Output {
    pub command: String,
    /// The exit code; `None` when a signal ended it.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// Turns a non-zero exit into an error carrying status, stdout and stderr.
    pub fn checked(self) -> Result<Output, RunError> {
        if self.success() {
            Ok(self)
        } else {
            Err(RunError::Failed(Box::new(self)))
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.map_or("killed by a signal".to_string(), |s| {
            format!("exit status {s}")
        });
        writeln!(
            f,
            "`{}` ended with {status} after {:.1?}",
            self.command, self.duration
        )?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr ---\n{}", self.stderr.trim_end())
    }
}

/// Why a command did not give a usable result.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error(
        "`{command}` did not finish within {timeout:?} and was killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    )]
    TimedOut {
        command: String,
        timeout: Duration,
        stdout: String,
        stderr: String,
    },
    #[error("{0}")]
    Failed(Box<Output>),
    #[error(transparent)]
    Tool(#[from] ToolError),
}

/// Runs a command to completion (or its timeout), capturing stdout and stderr.
///
/// The child runs in its own process group so that a timeout kills everything it started
/// (terraform's provider plugins, a server's children), not just the direct child.
pub fn run(cmd: &Command) -> Result<Output, RunError> {
    let command = cmd.display();
    let expr = expression(cmd).stdout_capture().stderr_capture();
    let started = Instant::now();
    let handle = expr.start().map_err(|source| RunError::Spawn {
        command: command.clone(),
        source,
    })?;
    let finished = |out: &std::process::Output| Output {
        command: command.clone(),
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        duration: started.elapsed(),
    };
    match handle.wait_deadline(started + cmd.timeout) {
        Ok(Some(out)) => Ok(finished(out)),
        Ok(None) => {
            kill_group(&handle);
            let out = handle.wait().ok();
            let text = |b: Option<&Vec<u8>>| {
                b.map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            };
            Err(RunError::TimedOut {
                command,
                timeout: cmd.timeout,
                stdout: text(out.map(|o| &o.stdout)),
                stderr: text(out.map(|o| &o.stderr)),
            })
        }
        Err(source) => Err(RunError::Spawn { command, source }),
    }
}

/// Starts a long-running command (a server) without waiting for it, in its own process
/// group, its stdout and stderr written to `log`; whoever holds the handle stops it
/// ([`stop`]). Commands run to completion go through [`run`].
pub(crate) fn start(cmd: &Command, log: &std::fs::File) -> Result<duct::Handle, RunError> {
    let spawn = |source| RunError::Spawn {
        command: cmd.display(),
        source,
    };
    let (out, err) = (
        log.try_clone().map_err(spawn)?,
        log.try_clone().map_err(spawn)?,
    );
    let expr = expression(cmd).stdout_file(out).stderr_file(err);
    expr.start().map_err(spawn)
}

/// Stops a command [`start`] started: SIGTERM to its process group, so that it can close
/// cleanly, then SIGKILL to the group when it has not ended within `grace`.
pub(crate) fn stop(handle: &duct::Handle, grace: Duration) {
    if let Ok(None) = handle.try_wait() {
        signal_groups(handle, rustix::process::Signal::TERM);
        if let Ok(None) = handle.wait_timeout(grace) {
            kill_group(handle);
            let _ = handle.wait();
        }
    }
}

/// The duct expression for `cmd`, its output not yet redirected: in its own process group,
/// with its directory, environment and stdin, its exit status left to the caller.
fn expression(cmd: &Command) -> duct::Expression {
    use std::os::unix::process::CommandExt;

    let mut expr = duct::cmd(&cmd.program, &cmd.args)
        .unchecked()
        .before_spawn(|c| {
            c.process_group(0);
            Ok(())
        });
    if let Some(dir) = &cmd.dir {
        expr = expr.dir(dir);
    }
    for (k, v) in &cmd.env {
        expr = expr.env(k, v);
    }
    for k in &cmd.env_remove {
        expr = expr.env_remove(k);
    }
    match &cmd.stdin {
        Some(bytes) => expr.stdin_bytes(bytes.clone()),
        None => expr.stdin_null(),
    }
}

fn kill_group(handle: &duct::Handle) {
    signal_groups(handle, rustix::process::Signal::KILL);
    let _ = handle.kill();
}

/// Sends `signal` to the process group of each process `handle` started.
fn signal_groups(handle: &duct::Handle, signal: rustix::process::Signal) {
    for pid in handle.pids() {
        signal_group(pid, signal);
    }
}

/// Sends `signal` to the process group led by `pid` (a child started with
/// `process_group(0)`), so that whatever it started goes too.
pub(crate) fn signal_group(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_tool_banners() {
        assert_eq!(
            Version::find_in("Terraform v1.11.4\non linux_amd64"),
            Some(Version(1, 11, 4))
        );
        assert_eq!(Version::find_in("Bats 1.8.2"), Some(Version(1, 8, 2)));
        assert_eq!(
            Version::find_in("promtool, version 2.42.0+ds (branch: debian/sid)"),
            Some(Version(2, 42, 0))
        );
        assert_eq!(Version::find_in("no digits"), None);
    }

    #[test]
    fn a_missing_tool_is_one_sentence_with_the_fix() {
        let msg = ToolError::Missing { tool: Tool::Bats }.to_string();
        assert_eq!(
            msg,
            "bats was not found on PATH; version 1.8.2 is known to work: run `make setup` \
             (apt-get install bats bats-assert bats-support bats-file)"
        );
    }

    #[test]
    fn a_too_old_tool_names_the_minimum() {
        let msg = ToolError::TooOld {
            tool: Tool::Terraform,
            found: Version(1, 5, 7),
            path: "/usr/bin/terraform".into(),
        }
        .to_string();
        assert!(
            msg.starts_with("terraform 1.5.7 at /usr/bin/terraform is older than 1.9.0"),
            "{msg}"
        );
    }

    #[test]
    fn output_and_status_are_captured() {
        let out = run(&Command::new(
            "sh",
            ["-c", "echo out; echo err >&2; exit 3"],
        ))
        .unwrap();
        assert_eq!(out.status, Some(3));
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
        let err = out.checked().unwrap_err().to_string();
        assert!(
            err.contains("exit status 3") && err.contains("out") && err.contains("err"),
            "{err}"
        );
    }

    #[test]
    fn a_hung_command_and_its_children_are_killed_at_the_timeout() {
        let started = Instant::now();
        let cmd =
            Command::new("sh", ["-c", "sleep 30 & sleep 30"]).timeout(Duration::from_millis(300));
        let err = run(&cmd).unwrap_err();
        assert!(matches!(err, RunError::TimedOut { .. }), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_started_command_writes_its_log_and_stop_ends_its_whole_group() {
        let scratch = tempfile::tempdir().unwrap();
        let (log_path, pid_path) = (scratch.path().join("log"), scratch.path().join("pid"));
        let log = std::fs::File::create(&log_path).unwrap();
        // The `sleep` is the started command's own child: only a signal to the group reaches
        // it. Its pid is written down so that the test can look for it afterwards.
        let script = format!(
            "echo started; echo oops >&2; sleep 30 & echo $! > {}; wait",
            pid_path.display()
        );
        let handle = start(&Command::new("sh", ["-c", script.as_str()]), &log).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&pid_path).map_or(true, |p| p.trim().is_empty()) {
            assert!(Instant::now() < deadline, "the started command never ran");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            handle.try_wait().unwrap().map(|o| o.status.code()),
            None,
            "still running"
        );
        stop(&handle, Duration::from_secs(5));
        assert!(handle.try_wait().unwrap().is_some(), "stopped");
        let grandchild: i32 = std::fs::read_to_string(&pid_path)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let pid = rustix::process::Pid::from_raw(grandchild).unwrap();
        let gone = || rustix::process::test_kill_process(pid).is_err();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !gone() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(gone(), "the started command's own child outlived stop");
        let logged = std::fs::read_to_string(&log_path).unwrap();
        assert!(
            logged.contains("started") && logged.contains("oops"),
            "{logged:?}"
        );
    }

    #[test]
    fn a_program_that_does_not_exist_is_a_spawn_error() {
        let err = run(&Command::new("/no/such/program", Vec::<String>::new())).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("could not start `/no/such/program`"),
            "{err}"
        );
    }
}
