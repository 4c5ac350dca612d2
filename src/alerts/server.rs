//! A real Prometheus server, started on 127.0.0.1 at a free port with a scratch storage
//! directory and a configuration that loads one rules file; and its rules API.
//!
//! The server is a long-running child, so it is spawned directly (in its own process group)
//! rather than through `tools::run`, which waits for completion. It is stopped when the
//! [`PrometheusServer`] is dropped, so a failing scenario does not leave it running.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::retry::RetryPolicy;
use crate::tools::{self, Tool};

/// A running Prometheus, owned by the test that started it.
pub struct PrometheusServer {
    child: Child,
    pub address: SocketAddr,
    scratch: tempfile::TempDir,
}

impl std::fmt::Debug for PrometheusServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrometheusServer")
            .field("pid", &self.child.id())
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
    pub last_error: Option<String>,
    /// Filled in from the group.
    #[serde(skip)]
    pub group: String,
}

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
    rules: Vec<LoadedRule>,
}

/// A port nobody listens on right now (the kernel picks it).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

/// A minimal HTTP/1.0 GET on loopback: (status, body).
pub fn http_get(
    address: SocketAddr,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let fail = |e: std::io::Error| format!("GET http://{address}{path}: {e}");
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(fail)?;
    stream.set_read_timeout(Some(timeout)).map_err(fail)?;
    stream.set_write_timeout(Some(timeout)).map_err(fail)?;
    // One write: a request split over several segments is harder on minimal servers.
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\nAccept: */*\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(fail)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(fail)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("GET http://{address}{path}: no HTTP header in the answer"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            format!(
                "GET http://{address}{path}: bad status line {:?}",
                head.lines().next()
            )
        })?;
    Ok((status, body.to_string()))
}

impl PrometheusServer {
    /// Starts Prometheus loading `rules_file`, evaluating every second, with no scrape jobs.
    pub fn start(rules_file: &Path) -> Result<Self, String> {
        let binary = tools::find(Tool::Prometheus)
            .map_err(|e| e.to_string())?
            .path;
        let rules_file = rules_file
            .canonicalize()
            .map_err(|e| format!("cannot read the rules file {}: {e}", rules_file.display()))?;
        let scratch =
            tempfile::tempdir().map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let config = scratch.path().join("prometheus.yml");
        // JSON is YAML, and serde_json quotes the path correctly whatever it contains.
        let config_text = serde_json::json!({
            "global": { "evaluation_interval": "1s", "scrape_interval": "1m" },
            "rule_files": [rules_file.display().to_string()],
        })
        .to_string();
        std::fs::write(&config, config_text)
            .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
        let log_path = scratch.path().join("prometheus.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
        let port = free_port()?;
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = std::process::Command::new(&binary);
        command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                scratch.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .current_dir(scratch.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        {
            use std::os::unix::process::CommandExt;
            // Its own group, so that stopping it never touches the test runner.
            command.process_group(0);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", binary.display()))?;
        Ok(Self {
            child,
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
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!(
                "prometheus exited ({status}) before it was ready; its log:\n{}",
                self.log()
            )),
            _ => None,
        }
    }

    /// Polls `/-/ready` until it answers 200, the server exits, or about `timeout` passes,
    /// with the suite's own [`RetryPolicy`] (20 ms doubling, capped at 250 ms).
    pub fn wait_until_ready(&mut self, timeout: Duration) -> Result<(), String> {
        const FIRST: Duration = Duration::from_millis(20);
        const CAP: Duration = Duration::from_millis(250);
        let attempts = u32::try_from(timeout.as_millis() / CAP.as_millis())
            .unwrap_or(u32::MAX)
            .saturating_add(5);
        let policy = RetryPolicy::new(attempts)
            .map_err(|e| e.to_string())?
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
            Ok(ready_or_exited) => ready_or_exited,
            Err(not_ready) => Err(format!("{not_ready}; its log:\n{}", self.log())),
        }
    }

    /// Every rule the rules API reports, with its group.
    pub fn rules(&self) -> Result<Vec<LoadedRule>, String> {
        let (status, body) = http_get(self.address, "/api/v1/rules", Duration::from_secs(5))?;
        if status != 200 {
            return Err(format!("GET /api/v1/rules answered {status}: {body}"));
        }
        let response: RulesResponse = serde_json::from_str(&body)
            .map_err(|e| format!("GET /api/v1/rules: not the expected JSON ({e}): {body}"))?;
        if response.status != "success" {
            return Err(format!(
                "GET /api/v1/rules: status {}: {body}",
                response.status
            ));
        }
        Ok(response
            .data
            .groups
            .into_iter()
            .flat_map(|g| {
                let group = g.name;
                g.rules.into_iter().map(move |mut r| {
                    r.group = group.clone();
                    r
                })
            })
            .collect())
    }

    /// The rules once every one has been evaluated (health no longer "unknown").
    pub fn evaluated_rules(&mut self, timeout: Duration) -> Result<Vec<LoadedRule>, String> {
        let started = Instant::now();
        loop {
            let rules = self.rules()?;
            if !rules.is_empty() && rules.iter().all(|r| r.health != "unknown") {
                return Ok(rules);
            }
            if started.elapsed() >= timeout {
                let waiting: Vec<&str> = rules
                    .iter()
                    .filter(|r| r.health == "unknown")
                    .map(|r| r.name.as_str())
                    .collect();
                return Err(format!(
                    "after {timeout:?}, {} of {} rules were still not evaluated: {}",
                    waiting.len(),
                    rules.len(),
                    waiting.join(", ")
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for PrometheusServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGTERM the group first so the TSDB closes cleanly, then make sure.
            let pid = self.child.id().to_string();
            let _ = std::process::Command::new("kill")
                .args(["-TERM", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nPrometheus Server is Ready.\n",
        );
        let (status, body) = http_get(address, "/-/ready", Duration::from_secs(5)).unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, "Prometheus Server is Ready.\n");
    }

    #[test]
    fn a_closed_port_is_an_error_naming_the_url() {
        let port = free_port().unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let err = http_get(address, "/-/ready", Duration::from_secs(1)).unwrap_err();
        assert!(
            err.starts_with(&format!("GET http://{address}/-/ready:")),
            "{err}"
        );
    }

    #[test]
    fn an_answer_without_headers_is_an_error() {
        let address = serve_once("garbage");
        let err = http_get(address, "/api/v1/rules", Duration::from_secs(5)).unwrap_err();
        assert!(err.contains("no HTTP header"), "{err}");
    }
}
