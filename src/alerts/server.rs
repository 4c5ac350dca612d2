//! A real Prometheus server, started on 127.0.0.1 at a free port with a scratch storage
//! directory and a configuration that loads one rules file; and its rules API.
//!
//! The server is a long-running child, started with `tools::start` (in its own process
//! group) rather than `tools::run`, which waits for completion. It is stopped when the
//! [`PrometheusServer`] is dropped, so a failing scenario does not leave it running.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::retry::RetryPolicy;
use crate::tools::{self, RunError, Tool, ToolError, Tools};

/// Why the server could not be started or asked.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Start(#[from] RunError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("GET {url}: {reason}")]
    Http { url: String, reason: String },
    #[error("{0}")]
    NotReady(String),
    #[error("after {timeout:?}, {waiting} of {total} rules were still not evaluated: {names}")]
    NotEvaluated {
        timeout: Duration,
        waiting: usize,
        total: usize,
        names: String,
    },
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> ServerError {
    move |source| ServerError::Io { context, source }
}

/// A running Prometheus, owned by the test that started it.
pub struct PrometheusServer {
    process: duct::Handle,
    pub address: SocketAddr,
    scratch: tempfile::TempDir,
}

impl std::fmt::Debug for PrometheusServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusServer")
            .field("pids", &self.process.pids())
            .field("address", &self.address)
            .field("scratch", &self.scratch.path())
            .finish()
    }
}

/// One rule as the rules API reports it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct LoadedRule {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub health: String,
    #[serde(default, rename = "lastError")]
    pub(crate) last_error: Option<String>,
    /// Filled in from the group.
    #[serde(skip)]
    pub group: String,
    /// The rules file the group came from, as the server loaded it; [`relative_files`]
    /// makes it relative to the repository.
    #[serde(skip)]
    pub file: String,
    /// How often its group is evaluated, from the group.
    #[serde(skip)]
    pub(crate) group_interval: Duration,
    /// Not evaluated within the wait because its group's interval is longer than the wait:
    /// the server says it is loaded, and cannot say yet whether it evaluates without error.
    #[serde(skip)]
    pub not_due: bool,
}

impl LoadedRule {
    /// Evaluated, with an error or without: health "ok" or "err".
    fn evaluated(&self) -> bool {
        self.health != UNKNOWN
    }

    /// Whether the server says something is wrong with it: an error, or no evaluation within
    /// the wait although its group was due.
    pub fn unhealthy(&self) -> bool {
        self.health != "ok" && !self.not_due
    }

    /// What the server can say about a rule it has not evaluated yet.
    pub fn not_due_reason(&self) -> String {
        format!(
            "loaded, health not yet known: its group {} is evaluated every {:?}, longer than the wait",
            self.group, self.group_interval
        )
    }
}

/// The rules of a rules API answer, each with its group's name and interval.
fn parse_rules(body: &str) -> Result<Vec<LoadedRule>, String> {
    let response: RulesResponse =
        serde_json::from_str(body).map_err(|e| format!("not the expected JSON ({e}): {body}"))?;
    if response.status != "success" {
        return Err(format!("status {}: {body}", response.status));
    }
    Ok(response
        .data
        .groups
        .into_iter()
        .flat_map(|g| {
            let group = g.name;
            let file = g.file;
            let interval = Duration::try_from_secs_f64(g.interval).unwrap_or_default();
            g.rules.into_iter().map(move |mut r| {
                r.group = group.clone();
                r.file = file.clone();
                r.group_interval = interval;
                r
            })
        })
        .collect())
}

/// Names each rule's file relative to the first of `bases` (the repository, the directory
/// rendered templates were written under, as their relative paths) that holds it, so that a
/// finding points at the repository's file; a file under none keeps its path.
pub(crate) fn relative_files(rules: &mut [LoadedRule], bases: &[&std::path::Path]) {
    for rule in rules {
        let loaded = std::path::Path::new(&rule.file);
        let relative = bases.iter().find_map(|base| {
            let base = base.canonicalize().ok()?;
            loaded
                .strip_prefix(&base)
                .ok()
                .map(|p| p.display().to_string())
        });
        if let Some(relative) = relative {
            rule.file = relative;
        }
    }
}

/// Marks the rules not evaluated yet whose group's interval is longer than `wait`; true
/// when every rule is then judged (evaluated, or not due).
fn all_judged(rules: &mut [LoadedRule], wait: Duration) -> bool {
    for rule in rules.iter_mut() {
        rule.not_due = !rule.evaluated() && rule.group_interval > wait;
    }
    !rules.is_empty() && rules.iter().all(|r| r.evaluated() || r.not_due)
}

/// The health the rules API reports for a rule not evaluated yet.
const UNKNOWN: &str = "unknown";

#[derive(Deserialize)]
struct RulesResponse {
    status: String,
    data: RulesData,
}

#[derive(Deserialize)]
struct RulesData {
    groups: Vec<LoadedGroup>,
}

#[derive(Deserialize)]
struct LoadedGroup {
    name: String,
    /// The rules file as the server loaded it (an absolute path).
    #[serde(default)]
    file: String,
    /// Seconds between evaluations.
    #[serde(default)]
    interval: f64,
    rules: Vec<LoadedRule>,
}

/// A rule the real server evaluated with an error.
pub(crate) const RULE_UNHEALTHY: crate::finding::FindingId =
    crate::finding::FindingId::new("prometheus/rule-unhealthy");

/// A rule the server loaded and has not evaluated yet, its group's interval being longer
/// than the wait: a note, never a failure.
pub(crate) const RULE_NOT_DUE: crate::finding::FindingId =
    crate::finding::FindingId::new("prometheus/rule-not-due");

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "prometheus",
        RULE_UNHEALTHY,
        crate::finding::Depth::Server,
        "a rule the real Prometheus evaluated with an error",
    ),
    crate::finding::Check::new(
        "prometheus",
        RULE_NOT_DUE,
        crate::finding::Depth::Server,
        "a note: a rule whose group was not evaluated within the wait",
    ),
];

/// What the server reported, as one JUnit suite: a case per rule, failed when its health
/// is not `ok`, a note when its group was not due within the wait.
pub fn rules_run(rules: &[LoadedRule]) -> crate::outcome::ToolRun {
    use crate::outcome::{CaseStatus, ToolCase, ToolRun};
    ToolRun {
        suite: "prometheus: rules loaded and evaluated".into(),
        cases: rules
            .iter()
            .map(|rule| ToolCase {
                name: rule.name.clone(),
                classname: rule.group.clone(),
                time: Duration::ZERO,
                status: if rule.health == "ok" {
                    CaseStatus::Passed
                } else if rule.not_due {
                    CaseStatus::Note(
                        crate::finding::Finding::new(
                            RULE_NOT_DUE,
                            rule_file(rule),
                            rule.not_due_reason(),
                        )
                        .about(&rule.name)
                        .note(),
                    )
                } else {
                    CaseStatus::Failed(
                        crate::finding::Finding::new(
                            RULE_UNHEALTHY,
                            rule_file(rule),
                            rule.last_error.clone().unwrap_or_default(),
                        )
                        .about(&rule.name)
                        .expected("ok")
                        .found(&rule.health),
                    )
                },
            })
            .collect(),
        broken_copy: None,
    }
}

/// Where a rule's finding points: its file, or its group when the server did not say.
fn rule_file(rule: &LoadedRule) -> &str {
    if rule.file.is_empty() {
        &rule.group
    } else {
        &rule.file
    }
}

/// A port nobody listens on right now (the kernel picks it).
fn free_port() -> Result<u16, ServerError> {
    let context = || "cannot find a free port on 127.0.0.1".to_string();
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io(context()))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(io(context()))
}

/// A GET on loopback with a timeout: (status, body). Any status is an answer; only a
/// connection or protocol failure is an error.
pub(crate) fn http_get(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), ServerError> {
    let url = format!("http://{address}{path}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let fail = |e: ureq::Error| ServerError::Http {
        url: url.clone(),
        reason: e.to_string(),
    };
    let mut response = agent.get(&url).call().map_err(fail)?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().map_err(fail)?;
    Ok((status, body))
}

impl PrometheusServer {
    /// Starts Prometheus loading `rules_files` together, evaluating every second, with no
    /// scrape jobs.
    pub fn start(tools: &Tools, rules_files: &[PathBuf]) -> Result<Self, ServerError> {
        let binary = tools.find(Tool::Prometheus)?.path;
        let rules_files = rules_files
            .iter()
            .map(|file| {
                file.canonicalize()
                    .map(|p| p.display().to_string())
                    .map_err(io(format!("cannot read the rules file {}", file.display())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let scratch =
            tempfile::tempdir().map_err(io("cannot create a scratch directory".into()))?;
        let config = scratch.path().join("prometheus.yml");
        // JSON is YAML, and serde_json quotes the path correctly whatever it contains.
        let config_text = serde_json::json!({
            "global": { "evaluation_interval": "1s", "scrape_interval": "1m" },
            "rule_files": rules_files,
        })
        .to_string();
        std::fs::write(&config, config_text)
            .map_err(io(format!("cannot write {}", config.display())))?;
        let log_path = scratch.path().join("prometheus.log");
        let log = std::fs::File::create(&log_path)
            .map_err(io(format!("cannot write {}", log_path.display())))?;
        let port = free_port()?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let data = scratch.path().join("data");
        let args = [
            format!("--config.file={}", config.display()),
            format!("--storage.tsdb.path={}", data.display()),
            format!("--web.listen-address={address}"),
        ];
        let command = tools::Command::new(binary, args).dir(scratch.path());
        let process = tools::start(&command, &log)?;
        Ok(Self {
            process,
            address,
            scratch,
        })
    }

    fn log_path(&self) -> PathBuf {
        self.scratch.path().join("prometheus.log")
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn exited(&mut self) -> Option<String> {
        match self.process.try_wait() {
            Ok(Some(ended)) => Some(format!(
                "prometheus exited ({}) before it was ready; its log:\n{}",
                ended.status,
                self.log()
            )),
            _ => None,
        }
    }

    /// Polls `/-/ready` until it answers 200, the server exits, or about `timeout` passes,
    /// with the suite's own [`RetryPolicy`] (20 ms doubling, capped at 250 ms).
    pub(crate) fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), ServerError> {
        const FIRST: Duration = Duration::from_millis(20);
        const CAP: Duration = Duration::from_millis(250);
        let attempts = u32::try_from(timeout.as_millis() / CAP.as_millis())
            .unwrap_or(u32::MAX)
            .saturating_add(5);
        let policy = RetryPolicy::new(attempts)
            .map_err(|e| ServerError::NotReady(e.to_string()))?
            .with_base_delay(FIRST)
            .with_max_delay(CAP);
        let address = self.address;
        // A server that has exited ends the wait at once: `Ok(Err(..))` is "stop, it is dead".
        let outcome = policy.wait_until(&format!("prometheus on {address} to be ready"), || {
            if let Some(exit) = self.exited() {
                return Ok(Err(exit));
            }
            match http_get(address, "/-/ready", Duration::from_secs(2)) {
                Ok((200, _)) => Ok(Ok(())),
                other => Err(format!("last answer: {other:?}")),
            }
        });
        match outcome {
            Ok(ready_or_exited) => ready_or_exited.map_err(ServerError::NotReady),
            Err(not_ready) => Err(ServerError::NotReady(format!(
                "{not_ready}; its log:\n{}",
                self.log()
            ))),
        }
    }

    /// Every rule the rules API reports, with its group.
    pub fn rules(&self) -> Result<Vec<LoadedRule>, ServerError> {
        let url = format!("http://{}/api/v1/rules", self.address);
        let (status, body) = http_get(self.address, "/api/v1/rules", Duration::from_secs(5))?;
        let http = |reason: String| ServerError::Http {
            url: url.clone(),
            reason,
        };
        if status != 200 {
            return Err(http(format!("answered {status}: {body}")));
        }
        parse_rules(&body).map_err(http)
    }

    /// The rules once every one whose group is due within `timeout` has been evaluated.
    ///
    /// Prometheus evaluates a group first at an offset within its interval, so a group with
    /// `interval: 5m` may not be evaluated for five minutes. Its rules still unevaluated are
    /// returned marked [`LoadedRule::not_due`] as soon as every other rule is evaluated: the
    /// server says they are loaded, and nothing yet about their health. Only a rule of a
    /// group due within the wait that is still not evaluated is an error.
    pub(crate) fn evaluated_rules(
        &mut self,
        timeout: Duration,
    ) -> Result<Vec<LoadedRule>, ServerError> {
        let started = Instant::now();
        loop {
            let mut rules = self.rules()?;
            if all_judged(&mut rules, timeout) {
                return Ok(rules);
            }
            if started.elapsed() >= timeout {
                let waiting: Vec<&str> = rules
                    .iter()
                    .filter(|r| !r.evaluated() && !r.not_due)
                    .map(|r| r.name.as_str())
                    .collect();
                return Err(ServerError::NotEvaluated {
                    timeout,
                    waiting: waiting.len(),
                    total: rules.len(),
                    names: waiting.join(", "),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        // SIGTERM first so the TSDB closes cleanly, then make sure.
        tools::stop(&self.process, Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::{Read, Write};

    /// Serves one canned answer on a loopback port.
    fn serve_once(answer: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                // Read the whole request, so closing does not reset the connection.
                let mut request = Vec::new();
                let mut chunk = [0u8; 256];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = stream.write_all(answer.as_bytes());
            }
        });
        address
    }

    #[test]
    fn status_and_body_are_read() {
        let address = serve_once(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 28\r\nConnection: close\r\n\r\nPrometheus Server is Ready.\n",
        );
        let (status, body) = http_get(address, "/-/ready", Duration::from_secs(5)).unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, "Prometheus Server is Ready.\n");
    }

    #[test]
    fn a_status_that_is_not_200_is_an_answer() {
        let address = serve_once(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n",
        );
        let (status, _) = http_get(address, "/-/ready", Duration::from_secs(5)).unwrap();
        assert_eq!(status, 503);
    }

    #[test]
    fn a_closed_port_is_an_error_naming_the_url() {
        let port = free_port().unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let err = http_get(address, "/-/ready", Duration::from_secs(1)).unwrap_err();
        assert!(
            matches!(&err, ServerError::Http { url, .. } if *url == format!("http://{address}/-/ready")),
            "{err}"
        );
    }

    /// A rules API answer: a group evaluated every second, and one every five minutes.
    fn answer(fast_health: &str) -> String {
        format!(
            r#"{{"status":"success","data":{{"groups":[
            {{"name":"node-alerts","file":"a.yml","interval":1,"rules":[
              {{"name":"HostDown","type":"alerting","health":"{fast_health}"}}]}},
            {{"name":"capacity-recording","file":"a.yml","interval":300,"rules":[
              {{"name":"instance:node_filesystem_avail:ratio","type":"recording","health":"unknown"}}]}}]}}}}"#
        )
    }

    #[test]
    fn a_rules_finding_names_its_file_relative_to_the_repository() {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path().canonicalize().unwrap();
        let body = answer("err").replace("a.yml", &format!("{}/alerts/a.yml", dir.display()));
        let mut rules = parse_rules(&body).unwrap();
        relative_files(&mut rules, &[repo.path()]);
        let run = rules_run(&rules);
        let crate::outcome::CaseStatus::Failed(finding) = &run.cases[0].status else {
            panic!("{run:?}")
        };
        assert_eq!(finding.file, "alerts/a.yml");
        assert_eq!(finding.subject(), "HostDown");
    }

    #[test]
    fn a_rule_whose_group_is_not_due_within_the_wait_is_loaded_not_failed() {
        let mut rules = parse_rules(&answer("ok")).unwrap();
        assert!(all_judged(&mut rules, Duration::from_secs(20)));
        let slow = &rules[1];
        assert_eq!(slow.group_interval, Duration::from_secs(300));
        assert!(slow.not_due && !slow.unhealthy());
        assert_eq!(rules_run(&rules).failures(), 0);
        assert!(matches!(
            &rules_run(&rules).cases[1].status,
            crate::outcome::CaseStatus::Note(f) if f.id == RULE_NOT_DUE && f.is_note()
        ));
        // A wait as long as the group's interval leaves no excuse.
        let mut rules = parse_rules(&answer("ok")).unwrap();
        assert!(!all_judged(&mut rules, Duration::from_secs(300)));
        assert!(rules[1].unhealthy());
    }

    #[test]
    fn a_rule_of_a_group_due_within_the_wait_is_waited_for() {
        let mut rules = parse_rules(&answer("unknown")).unwrap();
        assert!(!all_judged(&mut rules, Duration::from_secs(20)));
        assert!(rules[0].unhealthy());
        let mut rules = parse_rules(&answer("err")).unwrap();
        assert!(all_judged(&mut rules, Duration::from_secs(20)));
        assert!(rules[0].unhealthy());
    }

    #[test]
    fn an_answer_without_headers_is_an_error() {
        let address = serve_once("garbage");
        let err = http_get(address, "/api/v1/rules", Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, ServerError::Http { .. }), "{err}");
    }
}
