//! The textfile-metric contract, made real: the homelab's operations scripts are run in a
//! controlled `bash` against a stand-in world (fake `ssh` answering with canned Proxmox
//! JSON, a fake `terraform` reporting drift, fake `openssl`, `curl`, `getent`, `sleep`
//! and clock), each writing into its own temporary textfile directory. The metric
//! families, types and labels they write are then compared with the homelab-textfile
//! catalog: every published metric must be declared with the same type and labels, and
//! every declared metric must be published by some script. The alert rules rely on that
//! catalog, so a metric no script writes would be an alert that can never fire.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::catalog::Catalog;
use super::exposition;
use crate::finding::listing;
use crate::shell::harness::write_executable;
use crate::tools::{self, Command};

/// The catalog that holds the contract.
pub const CONTRACT_EXPORTER: &str = "homelab-textfile";

/// One script may take this long; with fakes it needs well under a second.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The clock the fake `date +%s` shows.
const FAKE_NOW: &str = "1764115200";

/// The operations scripts that publish textfile metrics, by the name a reader uses.
pub const PUBLISHING_SCRIPTS: [(&str, &str); 4] = [
    ("backup", "scripts/backup-status.sh"),
    ("drift-check", "scripts/drift-check.sh"),
    ("health-check", "scripts/health-check.sh"),
    ("lifecycle", "scripts/lifecycle-report.sh"),
];

/// The path of a publishing script from its reader's name (`backup`, `drift-check`...).
pub fn script_path(name: &str) -> Result<&'static str, String> {
    PUBLISHING_SCRIPTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, path)| *path)
        .ok_or_else(|| {
            let known: Vec<&str> = PUBLISHING_SCRIPTS.iter().map(|(n, _)| *n).collect();
            format!("no operations script is called {name:?}; known: {known:?}")
        })
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

/// Variables of the library that the caller's environment must not leak into a run.
const LIBRARY_VARIABLES: [&str; 10] = [
    "DRY_RUN",
    "FORCE",
    "RETRY_ON",
    "RETRY_BASE_DELAY",
    "RETRY_MAX_DELAY",
    "SSH_USER",
    "SSH_CONNECT_TIMEOUT",
    "HOMELAB_ROOT",
    "BACKUP_STORAGE",
    "HEALTH_DNS_NAME",
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

/// Something the scripts and the contract disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractFinding {
    /// A script publishes a metric the contract does not declare.
    Undeclared { script: String, metric: String },
    WrongType {
        script: String,
        metric: String,
        published: String,
        declared: String,
    },
    /// A script sets a label the contract does not declare for the metric.
    ExtraLabel {
        script: String,
        metric: String,
        label: String,
    },
    /// A declared label the script does not set.
    MissingLabel {
        script: String,
        metric: String,
        label: String,
    },
    /// No script publishes a declared metric.
    Unpublished { metric: String, contract: String },
}

impl ContractFinding {
    /// The script the finding is about (none for an unpublished metric).
    pub fn script(&self) -> Option<&str> {
        match self {
            Self::Undeclared { script, .. }
            | Self::WrongType { script, .. }
            | Self::ExtraLabel { script, .. }
            | Self::MissingLabel { script, .. } => Some(script),
            Self::Unpublished { .. } => None,
        }
    }

    pub fn metric(&self) -> &str {
        match self {
            Self::Undeclared { metric, .. }
            | Self::WrongType { metric, .. }
            | Self::ExtraLabel { metric, .. }
            | Self::MissingLabel { metric, .. }
            | Self::Unpublished { metric, .. } => metric,
        }
    }

    pub fn label(&self) -> Option<&str> {
        match self {
            Self::ExtraLabel { label, .. } | Self::MissingLabel { label, .. } => Some(label),
            _ => None,
        }
    }
}

impl fmt::Display for ContractFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Undeclared { script, metric } => write!(
                f,
                "{script} publishes {metric}, which the textfile contract does not declare"
            ),
            Self::WrongType {
                script,
                metric,
                published,
                declared,
            } => write!(
                f,
                "{script} publishes {metric} as a {published}; the contract declares a {declared}"
            ),
            Self::ExtraLabel {
                script,
                metric,
                label,
            } => write!(
                f,
                "{script} sets the label {label:?} on {metric}, which the contract does not declare"
            ),
            Self::MissingLabel {
                script,
                metric,
                label,
            } => write!(
                f,
                "{script} publishes {metric} without the label {label:?} the contract declares"
            ),
            Self::Unpublished { metric, contract } => write!(
                f,
                "no operations script publishes {metric}, declared in {contract}"
            ),
        }
    }
}

/// The contract's catalog among the bundled ones.
pub fn contract(catalogs: &[Catalog]) -> Result<&Catalog, String> {
    catalogs
        .iter()
        .find(|c| c.exporter == CONTRACT_EXPORTER)
        .ok_or_else(|| format!("there is no {CONTRACT_EXPORTER} exporter catalog"))
}

/// Runs every publishing script under `root` (a checkout, or a copy of its `scripts/`),
/// in parallel, and returns what each one wrote.
pub fn publish_all(root: &Path) -> Result<Vec<PublishedMetric>, String> {
    let results: Vec<Result<Vec<PublishedMetric>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = PUBLISHING_SCRIPTS
            .iter()
            .map(|(_, script)| scope.spawn(move || publish(root, script)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a script run panicked".into()))
            })
            .collect()
    });
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(metrics) => all.extend(metrics),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(all)
    } else {
        Err(errors.join("\n"))
    }
}

/// Runs one script (relative to `root`) in the stand-in world and reads the files it wrote.
pub fn publish(root: &Path, script: &str) -> Result<Vec<PublishedMetric>, String> {
    let path = root.join(script);
    if !path.is_file() {
        return Err(format!(
            "the operations script {} does not exist",
            path.display()
        ));
    }
    let scratch = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
    let world = World::create(scratch.path())?;
    let mut args = vec![path.display().to_string()];
    match script {
        "scripts/drift-check.sh" => args.push(world.module.display().to_string()),
        "scripts/lifecycle-report.sh" => {
            args.push("--certificate".into());
            args.push(format!("grafana={}", world.certificate.display()));
        }
        _ => {}
    }
    let mut command = Command::new("bash", args)
        .dir(&world.work)
        .env("PATH", &world.path)
        .env("FAKE_DIR", scratch.path())
        .env("FAKE_NOW", FAKE_NOW)
        .env("REAL_DATE", &world.real_date)
        .env("TEXTFILE_DIR", &world.textfile_dir)
        .env("TFVARS_FILE", scratch.path().join("no-such.tfvars"))
        .env("PVE_NODE", "pve")
        .env("PVE_IP", "192.0.2.10")
        .env("NO_COLOR", "1")
        .timeout(TIMEOUT);
    for variable in LIBRARY_VARIABLES {
        command = command.env_remove(variable);
    }
    let out = tools::run(&command).map_err(|e| format!("{script}: {e}"))?;
    if !out.success() {
        return Err(format!(
            "{script} failed against the stand-in node, Terraform and certificates:\n{out}"
        ));
    }
    read_textfile_dir(script, &world.textfile_dir)
}

/// The temporary world one script runs in.
struct World {
    work: PathBuf,
    textfile_dir: PathBuf,
    module: PathBuf,
    certificate: PathBuf,
    path: std::ffi::OsString,
    real_date: PathBuf,
}

impl World {
    fn create(dir: &Path) -> Result<Self, String> {
        let bin = dir.join("bin");
        let answers = dir.join("ssh");
        let work = dir.join("work");
        let textfile_dir = dir.join("textfile");
        let module = dir.join("modules/monitoring-stack");
        for d in [&bin, &answers, &work, &textfile_dir, &module] {
            std::fs::create_dir_all(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        let real_date = tools::which("date").ok_or("the date command is not on PATH")?;
        for (name, body) in FAKES {
            write_executable(
                &bin.join(name),
                &format!("#!/usr/bin/env bash\nset -u\n{body}\n"),
            )?;
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
        let mut dirs = vec![bin];
        if let Some(old) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&old));
        }
        let path = std::env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))?;
        Ok(Self {
            work,
            textfile_dir,
            module,
            certificate,
            path,
            real_date,
        })
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Every metric family in the `.prom` files of `dir`. Any other file left there (a
/// temporary file not renamed) is an error: node-exporter's directory must stay clean.
fn read_textfile_dir(script: &str, dir: &Path) -> Result<Vec<PublishedMetric>, String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
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
            return Err(format!(
                "{script} left {file} in the textfile directory: a write that is not atomic, or a leftover temporary file"
            ));
        }
        // Bytes: a file that is not UTF-8 is the exposition reader's to report.
        let text =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let families = exposition::read(&text, &file)
            .map_err(|findings| format!("{script} wrote {file}:\n{}", listing(&findings)))?;
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
pub fn compare(published: &[PublishedMetric], contract: &Catalog) -> Vec<ContractFinding> {
    let mut findings = Vec::new();
    for metric in published {
        let Some(entry) = contract.metrics.get(&metric.name) else {
            findings.push(ContractFinding::Undeclared {
                script: metric.script.clone(),
                metric: metric.name.clone(),
            });
            continue;
        };
        if entry.kind != metric.kind {
            findings.push(ContractFinding::WrongType {
                script: metric.script.clone(),
                metric: metric.name.clone(),
                published: metric.kind.clone(),
                declared: entry.kind.clone(),
            });
        }
        let declared: BTreeSet<String> = entry.labels.iter().cloned().collect();
        for label in metric.labels.difference(&declared) {
            findings.push(ContractFinding::ExtraLabel {
                script: metric.script.clone(),
                metric: metric.name.clone(),
                label: label.clone(),
            });
        }
        for label in declared.difference(&metric.labels) {
            findings.push(ContractFinding::MissingLabel {
                script: metric.script.clone(),
                metric: metric.name.clone(),
                label: label.clone(),
            });
        }
    }
    for name in contract.metrics.keys() {
        if !published.iter().any(|m| &m.name == name) {
            findings.push(ContractFinding::Unpublished {
                metric: name.clone(),
                contract: contract.file.display().to_string(),
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let text: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "scripts/x.sh publishes homelab_a as a counter; the contract declares a gauge",
                "scripts/x.sh sets the label \"node\" on homelab_a, which the contract does not declare",
                "scripts/x.sh publishes homelab_a without the label \"storage\" the contract declares",
                "scripts/x.sh publishes homelab_z, which the textfile contract does not declare",
                "no operations script publishes homelab_b, declared in contract.yml",
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
