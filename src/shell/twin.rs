//! One retry case, run against either implementation and observed the same way: the Bash
//! library (`retry_with_backoff`, `ssh_exec_retry`, `check_ssh_access` in a controlled
//! bash) or the suite's native [`crate::retry`] module (in virtual time). The US3
//! scenarios run every example against both and require the same attempts, waits and
//! final status.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use crate::outcome::RetryWaits;
use crate::retry::{RetryPolicy, VirtualClock};
use crate::shell::harness::{self, BashCall, HarnessError};
use crate::spec_root::SpecRoot;

/// Why a case could not be run.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    #[error("a retry case needs at least one scripted status")]
    NoStatuses,
    #[error("unknown implementation {0:?}: expected \"bash\" or \"rust\"")]
    UnknownImplementation(String),
    #[error(transparent)]
    Harness(#[from] HarnessError),
    #[error("ssh was never called")]
    SshNeverCalled,
}

/// The library's retry functions, as `scripts/lib/common.sh` defines them.
pub const RETRY_FUNCTIONS: [&str; 3] = ["retry_with_backoff", "ssh_exec_retry", "check_ssh_access"];

/// What every ssh call of the library must carry: never prompt for a password, give up on a
/// node that does not answer, and accept only host keys not seen before.
pub const SSH_OPTIONS: [&str; 3] = [
    "-o BatchMode=yes",
    "-o ConnectTimeout=",
    "-o StrictHostKeyChecking=accept-new",
];

/// How a case ended, as each implementation reports it: bash in its log lines (the
/// library's contract, SPEC US3), rust in its typed result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// An attempt succeeded (or a dry run).
    Succeeded,
    /// Every attempt failed: the error names how many were made.
    GaveUp { attempts: usize },
    /// A failure that is not retried (`RETRY_ON`, or a remote command that ran) was
    /// returned at once.
    NotRetried,
    /// A bad attempt count or a missing command: refused before running anything.
    UsageError,
    /// `check_ssh_access` gave up: it names the node and how many times it tried.
    AccessRefused { node: String, tried: usize },
}

/// Which implementation runs a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// `scripts/lib/common.sh` from the repository under test.
    Bash,
    /// `homelab_spec::retry`.
    Rust,
}

impl std::str::FromStr for Implementation {
    type Err = TwinError;
    fn from_str(text: &str) -> Result<Self, TwinError> {
        match text {
            "bash" => Ok(Self::Bash),
            "rust" => Ok(Self::Rust),
            other => Err(TwinError::UnknownImplementation(other.to_string())),
        }
    }
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bash => "bash",
            Self::Rust => "rust",
        })
    }
}

/// What is retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// `retry_with_backoff MAX CMD`: a local command.
    Command,
    /// `ssh_exec_retry NODE COMMAND`: the scripted statuses are ssh's.
    SshCommand { node: String, command: String },
    /// `check_ssh_access NODE`: the scripted statuses are ssh's.
    SshAccessCheck { node: String },
}

/// One case: what runs, how it fails, and the retry settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryCase {
    pub subject: Subject,
    /// The attempt count as a script would pass it (may be invalid on purpose). Only
    /// `Subject::Command` takes it; the SSH functions always make 3 attempts.
    pub max_attempts: String,
    /// The statuses of successive attempts; the last one repeats.
    pub statuses: Vec<i32>,
    /// `RETRY_BASE_DELAY` / base delay, whole seconds; `None`: the default.
    pub base_secs: Option<u64>,
    /// `RETRY_MAX_DELAY` / cap, whole seconds; `None`: the default.
    pub cap_secs: Option<u64>,
    /// `RETRY_ON`; `None`: every failure is retried.
    pub retry_on: Option<Vec<i32>>,
    pub dry_run: bool,
}

impl Default for RetryCase {
    fn default() -> Self {
        Self {
            subject: Subject::Command,
            max_attempts: "3".into(),
            statuses: vec![0],
            base_secs: None,
            cap_secs: None,
            retry_on: None,
            dry_run: false,
        }
    }
}

/// What a case did, observed the same way for both implementations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// How many times the command (or ssh) ran.
    pub attempts: usize,
    pub delays: Vec<Duration>,
    pub status: i32,
    /// How it ended.
    pub ending: Ending,
    /// What it reported: bash's stderr, or the Rust run's summary / usage error; shown to
    /// people, never compared.
    pub report: String,
    /// Bash only: ssh's argument lines, one per call.
    pub(crate) ssh_calls: Vec<String>,
}

impl Observed {
    /// The ssh calls (as `ssh ARGS`) that lack one of [`SSH_OPTIONS`]; an error when the
    /// case never called ssh, which would make "every call" true of nothing.
    pub fn ssh_calls_without_options(&self) -> Result<Vec<String>, TwinError> {
        if self.ssh_calls.is_empty() {
            return Err(TwinError::SshNeverCalled);
        }
        let carries_all = |call: &String| SSH_OPTIONS.iter().all(|o| call.contains(o));
        let lacking = self.ssh_calls.iter().filter(|call| !carries_all(call));
        Ok(lacking.map(|call| format!("ssh {call}")).collect())
    }

    /// The waits as a report outcome (the HTML report draws them, bash beside rust).
    pub fn waits(&self, implementation: Implementation, case: &RetryCase) -> RetryWaits {
        RetryWaits {
            implementation: implementation.to_string(),
            case: case.to_string(),
            attempts: self.attempts,
            waits: self.delays.clone(),
            status: self.status,
        }
    }
}

/// Reads how a bash run ended from the library's own log lines: `usage: ...` for a usage
/// error, `Failed after N attempts` when it gave up, `Cannot connect to USER@NODE over SSH:
/// tried N times` when the access check gave up.
fn bash_ending(status: i32, stderr: &str) -> Ending {
    static GAVE_UP: OnceLock<regex::Regex> = OnceLock::new();
    static REFUSED: OnceLock<regex::Regex> = OnceLock::new();
    let gave_up =
        GAVE_UP.get_or_init(|| regex::Regex::new(r"Failed after (\d+) attempts").unwrap());
    let refused = REFUSED.get_or_init(|| {
        regex::Regex::new(r"Cannot connect to (?:\S+@)?(\S+) over SSH: tried (\d+) times").unwrap()
    });
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    if status == 0 {
        Ending::Succeeded
    } else if let Some(c) = refused.captures(last) {
        Ending::AccessRefused {
            node: c[1].to_string(),
            tried: c[2].parse().unwrap_or(0),
        }
    } else if let Some(c) = gave_up.captures(last) {
        Ending::GaveUp {
            attempts: c[1].parse().unwrap_or(0),
        }
    } else if status == 2 && stderr.contains("usage: ") {
        Ending::UsageError
    } else {
        Ending::NotRetried
    }
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let delays: Vec<String> = self
            .delays
            .iter()
            .map(|d| format!("{}s", d.as_secs_f64()))
            .collect();
        write!(
            f,
            "ran {} time(s), waited [{}], final status {}",
            self.attempts,
            delays.join(", "),
            self.status
        )
    }
}

impl fmt::Display for RetryCase {
    /// The case as the Bash call it stands for, e.g.
    /// `RETRY_ON="255" retry_with_backoff 3 CMD`, CMD exiting 1, 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
        let mut words = Vec::new();
        if let Some(base) = self.base_secs {
            words.push(format!("RETRY_BASE_DELAY={base}"));
        }
        if let Some(cap) = self.cap_secs {
            words.push(format!("RETRY_MAX_DELAY={cap}"));
        }
        if let Some(codes) = &self.retry_on {
            words.push(format!("RETRY_ON=\"{}\"", list(codes)));
        }
        if self.dry_run {
            words.push("DRY_RUN=true".into());
        }
        let (call, exiting) = match &self.subject {
            Subject::Command => (
                format!("retry_with_backoff {} CMD", self.max_attempts),
                "CMD",
            ),
            Subject::SshCommand { node, command } => {
                (format!("ssh_exec_retry {node} \"{command}\""), "ssh")
            }
            Subject::SshAccessCheck { node } => (format!("check_ssh_access {node}"), "ssh"),
        };
        words.push(call);
        write!(
            f,
            "`{}`, {exiting} exiting {}",
            words.join(" "),
            list(&self.statuses)
        )
    }
}

impl RetryCase {
    /// Runs the case against one implementation.
    pub fn run(
        &self,
        implementation: Implementation,
        root: &SpecRoot,
    ) -> Result<Observed, TwinError> {
        if self.statuses.is_empty() {
            return Err(TwinError::NoStatuses);
        }
        match implementation {
            Implementation::Bash => self.run_bash(root),
            Implementation::Rust => Ok(self.run_rust()),
        }
    }

    fn run_bash(&self, root: &SpecRoot) -> Result<Observed, TwinError> {
        let (call, counted) = match &self.subject {
            Subject::Command => (
                BashCall::new("retry_with_backoff", [self.max_attempts.as_str(), "flaky"])
                    .scripted("flaky", self.statuses.clone()),
                "flaky",
            ),
            Subject::SshCommand { node, command } => (
                BashCall::new("ssh_exec_retry", [node.as_str(), command.as_str()])
                    .scripted("ssh", self.statuses.clone()),
                "ssh",
            ),
            Subject::SshAccessCheck { node } => (
                BashCall::new("check_ssh_access", [node.as_str()])
                    .scripted("ssh", self.statuses.clone()),
                "ssh",
            ),
        };
        let mut call = call;
        if let Some(base) = self.base_secs {
            call = call.env("RETRY_BASE_DELAY", base.to_string());
        }
        if let Some(cap) = self.cap_secs {
            call = call.env("RETRY_MAX_DELAY", cap.to_string());
        }
        if let Some(codes) = &self.retry_on {
            let list: Vec<String> = codes.iter().map(i32::to_string).collect();
            call = call.env("RETRY_ON", list.join(" "));
        }
        if self.dry_run {
            call = call.env("DRY_RUN", "true");
        }
        let run = harness::call(root, &call)?;
        Ok(Observed {
            attempts: run.runs_of(counted),
            delays: run.delays.clone(),
            status: run.status,
            ending: bash_ending(run.status, &run.stderr),
            report: run.stderr.clone(),
            ssh_calls: run.calls.get("ssh").cloned().unwrap_or_default(),
        })
    }

    fn run_rust(&self) -> Observed {
        let policy = match &self.subject {
            Subject::Command => match RetryPolicy::parse_attempts(&self.max_attempts) {
                Ok(policy) => match &self.retry_on {
                    Some(codes) => policy.retrying_only(codes.iter().copied()),
                    None => policy,
                },
                Err(usage) => {
                    return Observed {
                        attempts: 0,
                        delays: Vec::new(),
                        status: usage.status(),
                        ending: Ending::UsageError,
                        report: usage.to_string(),
                        ssh_calls: Vec::new(),
                    };
                }
            },
            Subject::SshCommand { .. } | Subject::SshAccessCheck { .. } => {
                RetryPolicy::ssh_connection()
            }
        };
        let mut policy = policy.with_dry_run(self.dry_run);
        if let Some(base) = self.base_secs {
            policy = policy.with_base_delay(Duration::from_secs(base));
        }
        if let Some(cap) = self.cap_secs {
            policy = policy.with_max_delay(Duration::from_secs(cap));
        }
        // The access check probes for real even in a dry run, as the Bash one does.
        if matches!(self.subject, Subject::SshAccessCheck { .. }) {
            policy = policy.with_dry_run(false);
        }
        let statuses = &self.statuses;
        let mut clock = VirtualClock::default();
        let run = policy.run(&mut clock, |attempt| {
            statuses[(attempt as usize - 1).min(statuses.len() - 1)]
        });
        let status = match self.subject {
            Subject::SshAccessCheck { .. } => run.check_status(),
            _ => run.status,
        };
        let max = match self.subject {
            Subject::Command => RetryPolicy::parse_attempts(&self.max_attempts)
                .map_or(0, |p| p.max_attempts() as usize),
            _ => 3,
        };
        let attempts = run.attempts as usize;
        let ending = match &self.subject {
            _ if run.status == 0 => Ending::Succeeded,
            Subject::SshAccessCheck { node } => Ending::AccessRefused {
                node: node.clone(),
                tried: attempts,
            },
            _ if attempts < max => Ending::NotRetried,
            _ => Ending::GaveUp { attempts },
        };
        Observed {
            attempts,
            delays: clock.slept,
            status,
            ending,
            report: run.to_string(),
            ssh_calls: Vec::new(),
        }
    }
}

/// Where two observations of the same case differ; empty when they agree.
pub fn differences(bash: &Observed, rust: &Observed) -> Vec<String> {
    let mut found = Vec::new();
    if bash.attempts != rust.attempts {
        found.push(format!(
            "attempts: bash {} but rust {}",
            bash.attempts, rust.attempts
        ));
    }
    if bash.delays != rust.delays {
        found.push(format!(
            "waits: bash {:?} but rust {:?}",
            bash.delays, rust.delays
        ));
    }
    if bash.status != rust.status {
        found.push(format!(
            "final status: bash {} but rust {}",
            bash.status, rust.status
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_endings_are_read_from_the_library_log() {
        assert_eq!(bash_ending(0, ""), Ending::Succeeded);
        assert_eq!(
            bash_ending(
                7,
                "[WARN] Attempt 1/2 failed\n[ERROR] Failed after 2 attempts (last status 7): flaky\n"
            ),
            Ending::GaveUp { attempts: 2 }
        );
        assert_eq!(
            bash_ending(
                1,
                "[ERROR] Cannot connect to root@pve1 over SSH: tried 3 times (BatchMode)\n"
            ),
            Ending::AccessRefused {
                node: "pve1".into(),
                tried: 3
            }
        );
        assert_eq!(
            bash_ending(2, "[ERROR] usage: retry_with_backoff MAX CMD\n"),
            Ending::UsageError
        );
        assert_eq!(
            bash_ending(
                1,
                "[ERROR] flaky failed with status 1, which is not retried\n"
            ),
            Ending::NotRetried
        );
    }

    #[test]
    fn the_rust_side_counts_attempts_waits_and_status() {
        let case = RetryCase {
            max_attempts: "4".into(),
            statuses: vec![3, 3, 3, 7],
            ..RetryCase::default()
        };
        let root = crate::settings::Settings::from_env().unwrap().root;
        let seen = case.run(Implementation::Rust, &root).unwrap();
        assert_eq!(seen.attempts, 4);
        assert_eq!(seen.delays, [1, 2, 4].map(Duration::from_secs).to_vec());
        assert_eq!(seen.status, 7);
    }

    #[test]
    fn a_bad_attempt_count_is_a_usage_error_on_the_rust_side() {
        let case = RetryCase {
            max_attempts: "abc".into(),
            ..RetryCase::default()
        };
        let seen = case.run_rust();
        assert_eq!((seen.attempts, seen.status), (0, 2));
    }

    #[test]
    fn a_case_reads_as_the_bash_call_it_stands_for() {
        let case = RetryCase {
            retry_on: Some(vec![1, 255]),
            base_secs: Some(2),
            statuses: vec![255, 0],
            ..RetryCase::default()
        };
        assert_eq!(
            case.to_string(),
            "`RETRY_BASE_DELAY=2 RETRY_ON=\"1, 255\" retry_with_backoff 3 CMD`, CMD exiting 255, 0"
        );
    }

    #[test]
    fn differences_name_each_disagreement() {
        let a = Observed {
            attempts: 3,
            delays: vec![Duration::from_secs(1)],
            status: 1,
            ending: Ending::GaveUp { attempts: 3 },
            report: String::new(),
            ssh_calls: Vec::new(),
        };
        let b = Observed {
            attempts: 2,
            status: 0,
            ..a.clone()
        };
        assert_eq!(
            differences(&a, &b),
            [
                "attempts: bash 3 but rust 2",
                "final status: bash 1 but rust 0"
            ]
        );
        assert!(differences(&a, &a).is_empty());
    }
}
