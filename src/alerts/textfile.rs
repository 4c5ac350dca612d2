//! The textfile-metric contract, made real: the homelab's operations scripts are run in a
//! controlled `bash` against a stand-in world (fake `ssh` answering with canned Proxmox
//! JSON, a fake `terraform` reporting drift, fake `openssl`, `curl`, `getent`, `sleep`
//! and clock), each writing into its own temporary textfile directory. The metric
//! families, types and labels they write are then compared with the homelab-textfile
//! catalog: every published metric must be declared with the same type and labels, and
//! every declared metric must be published by some script. The alert rules rely on that
//! catalog, so a metric no script writes would be an alert that can never fire.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::catalog::{Catalog, CatalogError, CatalogSet};
use super::exposition;
use crate::finding::{Finding, listing};
use crate::shell::fake_commands::{FakeCommandError, FakeCommands};
use crate::tools::{self, Command, RunError};

/// The catalog that holds the contract.
pub(crate) const CONTRACT_EXPORTER: &str = "homelab-textfile";

/// One script may take this long; with fakes it needs well under a second.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The clock the fake `date +%s` shows.
const FAKE_NOW: &str = "1764115200";

/// Why the scripts could not be run or read.
#[derive(Debug, thiserror::Error)]
pub enum TextfileError {
    #[error("the operations script {0} does not exist")]
    NoScript(String),
    #[error("there is no {0} exporter catalog")]
    NoContract(&'static str),
    #[error(transparent)]
    Fakes(#[from] FakeCommandError),
    #[error("{script}: {source}")]
    Run {
        script: String,
        #[source]
        source: RunError,
    },
    #[error("{script} failed against the stand-in node, Terraform and certificates:\n{output}")]
    Failed { script: String, output: String },
    #[error(
        "{script} left {file} in the textfile directory: a write that is not atomic, or a leftover temporary file"
    )]
    Leftover { script: String, file: String },
    #[error("{script} wrote {file}: {reason}")]
    Exposition {
        script: String,
        file: String,
        reason: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Several(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> TextfileError {
    move |source| TextfileError::Io { context, source }
}

/// What the fake node answers, per remote command (the last argument of `ssh`).
const SSH_ANSWERS: [(&str, &str); 6] = [
    (
        "pvesh get /nodes/pve/tasks --typefilter vzdump --limit 500 --output-format json",
        r#"[{"id":"100","type":"vzdump","status":"OK","starttime":1764030000,"endtime":1764030100},
            {"id":"101","type":"vzdump","status":"job errors","starttime":1764030200,"endtime":1764030300}]"#,
    ),
    (
        "pvesh get /nodes/pve/qemu --output-format json",
        r#"[{"vmid":100,"name":"monitoring"}]"#,
    ),
    (
        "pvesh get /nodes/pve/lxc --output-format json",
        r#"[{"vmid":200,"name":"dns"}]"#,
    ),
    (
        "pvesh get /nodes/pve/qemu/100/snapshot --output-format json",
        r#"[{"name":"pre-upgrade","snaptime":1763000000},{"name":"current","running":1}]"#,
    ),
    (
        "pvesh get /nodes/pve/lxc/200/snapshot --output-format json",
        r#"[{"name":"current"}]"#,
    ),
    ("true", ""),
];

/// The fakes: each a bash script put first on PATH under its name.
const FAKES: [(&str, &str); 7] = [
    (
        "ssh",
        r#"remote="${*: -1}"
key="${remote//[^A-Za-z0-9]/_}"
if [[ -f "${FAKE_DIR}/ssh/${key}" ]]; then cat "${FAKE_DIR}/ssh/${key}"; exit 0; fi
echo "ssh: connect to host: Connection refused (no canned answer for: ${remote})" >&2
exit 255"#,
    ),
    // Every module has drifted: plan -detailed-exitcode exits 2.
    ("terraform", "exit 2"),
    ("openssl", r#"echo "notAfter=Dec 31 12:00:00 2026 GMT""#),
    (
        "date",
        r#"if [[ "$*" == "+%s" ]]; then echo "$FAKE_NOW"; else exec "$REAL_DATE" "$@"; fi"#,
    ),
    ("getent", "echo '192.0.2.10 pve'"),
    ("curl", "printf 401"),
    ("sleep", "exit 0"),
];

/// One metric family as a script wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMetric {
    /// The script, relative to the repository (`scripts/backup-status.sh`).
    pub script: String,
    /// The file it wrote, by name (`homelab_backup.prom`).
    pub file: String,
    pub name: String,
    /// The TYPE line's type; `untyped` without one.
    pub kind: String,
    /// Every label name on any of its samples.
    pub labels: BTreeSet<String>,
}

/// Finding ids of the textfile contract check. The subject of each is the metric.
pub mod ids {
    use crate::finding::FindingId;
    /// A script publishes a metric the contract does not declare (file: the script).
    pub const UNDECLARED: FindingId = FindingId::new("textfile/undeclared");
    /// A script publishes a metric with another type than declared (file: the script).
    pub(crate) const WRONG_TYPE: FindingId = FindingId::new("textfile/wrong-type");
    /// A script sets a label the contract does not declare (found: the label).
    pub const EXTRA_LABEL: FindingId = FindingId::new("textfile/extra-label");
    /// A declared label the script does not set (expected: the label).
    pub const MISSING_LABEL: FindingId = FindingId::new("textfile/missing-label");
    /// No script publishes a declared metric (file: the contract).
    pub const UNPUBLISHED: FindingId = FindingId::new("textfile/unpublished");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "textfile",
        ids::UNDECLARED,
        crate::finding::Depth::Offline,
        "a script publishes (or a rule uses) a textfile metric the contract does not declare",
    ),
    crate::finding::Check::new(
        "textfile",
        ids::WRONG_TYPE,
        crate::finding::Depth::Offline,
        "a script publishes a metric with another type than declared",
    ),
    crate::finding::Check::new(
        "textfile",
        ids::EXTRA_LABEL,
        crate::finding::Depth::Offline,
        "a script sets a label the contract does not declare",
    ),
    crate::finding::Check::new(
        "textfile",
        ids::MISSING_LABEL,
        crate::finding::Depth::Offline,
        "a declared label the script does not set",
    ),
    crate::finding::Check::new(
        "textfile",
        ids::UNPUBLISHED,
        crate::finding::Depth::Offline,
        "no script publishes a declared metric",
    ),
];

/// The contract's catalog among the given ones.
pub fn contract(catalogs: &[Catalog]) -> Result<&Catalog, TextfileError> {
    catalogs
        .iter()
        .find(|c| c.exporter == CONTRACT_EXPORTER)
        .ok_or(TextfileError::NoContract(CONTRACT_EXPORTER))
}

/// The contract the suite bundles (`catalogs/homelab-textfile-*.yml`): the catalog the
/// publishing scripts and the alerts agree on. The suite's, not the homelab's, so it is read
/// here and not by discovery.
pub(crate) fn bundled_contract() -> Result<&'static Catalog, TextfileError> {
    contract(&CatalogSet::bundled()?.catalogs)
}

/// The contract in one line, for the run's opening summary beside discovery's.
pub fn contract_summary() -> String {
    match bundled_contract() {
        Ok(c) => format!(
            "textfile contract: {} {} ({} metrics)",
            c.exporter,
            c.version,
            c.metrics.len()
        ),
        Err(e) => format!("textfile contract: {e}"),
    }
}

/// Runs the given scripts (relative to `root`) in parallel and returns what they wrote.
pub(crate) fn publish_scripts(
    root: &Path,
    scripts: &[&str],
) -> Result<Vec<PublishedMetric>, TextfileError> {
    let results = crate::parallel::map(
        scripts,
        |script| publish(root, script),
        |script| {
            Err(TextfileError::Several(format!(
                "the run of {script} panicked"
            )))
        },
    );
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(metrics) => all.extend(metrics),
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => Ok(all),
        1 => Err(errors.remove(0)),
        _ => Err(TextfileError::Several(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}

/// Runs one script (relative to `root`) in the stand-in world and reads the files it wrote.
pub fn publish(root: &Path, script: &str) -> Result<Vec<PublishedMetric>, TextfileError> {
    let path = root.join(script);
    if !path.is_file() {
        return Err(TextfileError::NoScript(path.display().to_string()));
    }
    let world = World::create()?;
    let mut args = vec![path.display().to_string()];
    match script {
        "scripts/drift-check.sh" => args.push(world.module.display().to_string()),
        "scripts/lifecycle-report.sh" => {
            args.push("--certificate".into());
            args.push(format!("grafana={}", world.certificate.display()));
        }
        _ => {}
    }
    let command = world
        .fakes
        .command(Command::new("bash", args).dir(&world.work).timeout(TIMEOUT))?
        .env("FAKE_DIR", world.fakes.dir())
        .env("FAKE_NOW", FAKE_NOW)
        .env("REAL_DATE", &world.real_date)
        .env("TEXTFILE_DIR", &world.textfile_dir)
        .env("TFVARS_FILE", world.fakes.dir().join("no-such.tfvars"))
        .env("PVE_NODE", "pve")
        .env("PVE_IP", "192.0.2.10");
    let out = tools::run(&command).map_err(|source| TextfileError::Run {
        script: script.to_string(),
        source,
    })?;
    if !out.success() {
        return Err(TextfileError::Failed {
            script: script.to_string(),
            output: out.to_string(),
        });
    }
    read_textfile_dir(script, &world.textfile_dir)
}

/// The temporary world one script runs in: its fakes and directories, removed on drop.
struct World {
    fakes: FakeCommands,
    work: PathBuf,
    textfile_dir: PathBuf,
    module: PathBuf,
    certificate: PathBuf,
    real_date: PathBuf,
}

impl World {
    fn create() -> Result<Self, TextfileError> {
        let fakes = FakeCommands::new()?;
        let dir = fakes.dir().to_path_buf();
        let answers = dir.join("ssh");
        let work = dir.join("work");
        let textfile_dir = dir.join("textfile");
        let module = dir.join("modules/monitoring-stack");
        for d in [&answers, &work, &textfile_dir, &module] {
            std::fs::create_dir_all(d).map_err(io(format!("cannot create {}", d.display())))?;
        }
        let real_date = tools::which("date").ok_or_else(|| TextfileError::Io {
            context: "the date command is not on PATH".into(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })?;
        for (name, body) in FAKES {
            fakes.script(name, body)?;
        }
        for (remote, answer) in SSH_ANSWERS {
            let key: String = remote
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            write(&answers.join(key), &format!("{answer}\n"))?;
        }
        let certificate = dir.join("grafana.pem");
        write(&certificate, "stand-in certificate\n")?;
        Ok(Self {
            fakes,
            work,
            textfile_dir,
            module,
            certificate,
            real_date,
        })
    }
}

fn write(path: &Path, text: &str) -> Result<(), TextfileError> {
    std::fs::write(path, text).map_err(io(format!("cannot write {}", path.display())))
}

/// Every metric family in the `.prom` files of `dir`. Any other file left there (a
/// temporary file not renamed) is an error: node-exporter's directory must stay clean.
fn read_textfile_dir(script: &str, dir: &Path) -> Result<Vec<PublishedMetric>, TextfileError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(format!("cannot read {}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let mut metrics = Vec::new();
    for path in entries {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !file.ends_with(".prom") || file.starts_with('.') {
            return Err(TextfileError::Leftover {
                script: script.to_string(),
                file,
            });
        }
        // Bytes: a file that is not UTF-8 is the exposition reader's to report.
        let text = std::fs::read(&path).map_err(io(format!("cannot read {}", path.display())))?;
        let families =
            exposition::read(&text, &file).map_err(|findings| TextfileError::Exposition {
                script: script.to_string(),
                file: file.clone(),
                reason: listing(&findings),
            })?;
        metrics.extend(
            families
                .published()
                .into_iter()
                .map(|(name, (kind, labels))| PublishedMetric {
                    script: script.to_string(),
                    file: file.clone(),
                    name,
                    kind,
                    labels,
                }),
        );
    }
    Ok(metrics)
}

/// Everything the published metrics and the contract disagree on.
pub fn compare(published: &[PublishedMetric], contract: &Catalog) -> Vec<Finding> {
    let mut findings = Vec::new();
    for metric in published {
        let about =
            |id, message: String| Finding::new(id, &metric.script, message).about(&metric.name);
        let Some(entry) = contract.metrics.get(&metric.name) else {
            findings.push(about(
                ids::UNDECLARED,
                format!(
                    "{} publishes {}, which the textfile contract does not declare",
                    metric.script, metric.name
                ),
            ));
            continue;
        };
        if entry.kind != metric.kind {
            findings.push(
                about(
                    ids::WRONG_TYPE,
                    format!(
                        "{} publishes {} as a {}; the contract declares a {}",
                        metric.script, metric.name, metric.kind, entry.kind
                    ),
                )
                .expected(&entry.kind)
                .found(&metric.kind),
            );
        }
        let declared: BTreeSet<String> = entry.labels.iter().cloned().collect();
        for label in metric.labels.difference(&declared) {
            findings.push(
                about(
                    ids::EXTRA_LABEL,
                    format!(
                        "{} sets the label {label:?} on {}, which the contract does not declare",
                        metric.script, metric.name
                    ),
                )
                .found(label),
            );
        }
        for label in declared.difference(&metric.labels) {
            findings.push(
                about(
                    ids::MISSING_LABEL,
                    format!(
                        "{} publishes {} without the label {label:?} the contract declares",
                        metric.script, metric.name
                    ),
                )
                .expected(label),
            );
        }
    }
    for name in contract.metrics.keys() {
        if !published.iter().any(|m| &m.name == name) {
            let file = contract.file.display().to_string();
            findings.push(
                Finding::new(
                    ids::UNPUBLISHED,
                    &file,
                    format!("no operations script publishes {name}, declared in {file}"),
                )
                .about(name),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_is_the_bundled_textfile_catalog() {
        let contract = bundled_contract().unwrap();
        assert_eq!(contract.exporter, "homelab-textfile");
        assert!(
            contract
                .metrics
                .contains_key("homelab_backup_last_run_success")
        );
        assert!(contract_summary().starts_with("textfile contract: homelab-textfile "));
    }

    const CONTRACT: &str = r#"
exporter: homelab-textfile
version: "1.1"
produced_by: test
regenerate: test
metrics:
  homelab_a:
    type: gauge
    labels: [vmid, storage]
    source: contract
  homelab_b:
    type: gauge
    labels: [module]
    source: contract
"#;

    fn published(name: &str, kind: &str, labels: &[&str]) -> PublishedMetric {
        PublishedMetric {
            script: "scripts/x.sh".into(),
            file: "x.prom".into(),
            name: name.into(),
            kind: kind.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn each_disagreement_names_script_metric_and_label() {
        let contract = Catalog::parse(Path::new("contract.yml"), CONTRACT).unwrap();
        let findings = compare(
            &[
                published("homelab_a", "counter", &["vmid", "node"]),
                published("homelab_z", "gauge", &[]),
            ],
            &contract,
        );
        type Row<'a> = (String, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
        let found: Vec<Row> = findings
            .iter()
            .map(|f| {
                (
                    f.id.to_string(),
                    f.file.as_str(),
                    f.subject(),
                    f.expected.as_deref(),
                    f.found.as_deref(),
                )
            })
            .collect();
        pretty_assertions::assert_eq!(
            found,
            [
                (
                    "textfile/wrong-type".into(),
                    "scripts/x.sh",
                    "homelab_a",
                    Some("gauge"),
                    Some("counter")
                ),
                (
                    "textfile/extra-label".into(),
                    "scripts/x.sh",
                    "homelab_a",
                    None,
                    Some("node")
                ),
                (
                    "textfile/missing-label".into(),
                    "scripts/x.sh",
                    "homelab_a",
                    Some("storage"),
                    None
                ),
                (
                    "textfile/undeclared".into(),
                    "scripts/x.sh",
                    "homelab_z",
                    None,
                    None
                ),
                (
                    "textfile/unpublished".into(),
                    "contract.yml",
                    "homelab_b",
                    None,
                    None
                ),
            ]
        );
    }

    #[test]
    fn matching_metrics_give_no_finding() {
        let contract = Catalog::parse(Path::new("contract.yml"), CONTRACT).unwrap();
        let findings = compare(
            &[
                published("homelab_a", "gauge", &["vmid", "storage"]),
                published("homelab_b", "gauge", &["module"]),
            ],
            &contract,
        );
        assert!(findings.is_empty(), "{findings:?}");
    }
}
