//! `reports/coverage.json`: the run's [`Coverage`], sorted so that two runs of the same
//! homelab write the same bytes. The schema is `docs/coverage.schema.json` (explained in
//! `docs/coverage.md`).

use std::path::{Path, PathBuf};

use crate::coverage::Coverage;

/// Why `coverage.json` could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CoverageJsonError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot serialize the coverage: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// The coverage in its stable order: every list sorted by file, line and name, every list of
/// cases sorted and each case once.
pub(crate) fn sorted(mut coverage: Coverage) -> Coverage {
    fn cases(list: &mut Vec<crate::coverage::CaseRef>) {
        list.sort();
        list.dedup();
    }
    for rule in &mut coverage.alerts {
        cases(&mut rule.firing);
        cases(&mut rule.quiet);
    }
    coverage
        .alerts
        .sort_by(|a, b| (&a.file, a.line, &a.alert).cmp(&(&b.file, b.line, &b.alert)));
    for element in &mut coverage.terraform {
        cases(&mut element.covered_by);
    }
    coverage.terraform.sort_by(|a, b| {
        (&a.directory, &a.file, a.line, &a.address).cmp(&(
            &b.directory,
            &b.file,
            b.line,
            &b.address,
        ))
    });
    for function in &mut coverage.bash {
        cases(&mut function.executed_by);
    }
    coverage
        .bash
        .sort_by(|a, b| (&a.file, a.line, &a.function).cmp(&(&b.file, b.line, &b.function)));
    for file in &mut coverage.bash_files {
        file.missed.sort_unstable();
        file.missed.dedup();
    }
    coverage.bash_files.sort_by(|a, b| a.file.cmp(&b.file));
    for metric in &mut coverage.textfile {
        metric.alerts.sort();
        metric.alerts.dedup();
        cases(&mut metric.executed_by);
    }
    coverage
        .textfile
        .sort_by(|a, b| (&a.metric, &a.script).cmp(&(&b.metric, &b.script)));
    coverage
}

/// The file's text: the sorted coverage, pretty-printed, with a final newline.
pub fn to_string(coverage: &Coverage) -> Result<String, CoverageJsonError> {
    Ok(serde_json::to_string_pretty(&sorted(coverage.clone()))? + "\n")
}

/// Writes `coverage.json` to `path`, creating its directory.
pub fn write(path: &Path, coverage: &Coverage) -> Result<(), CoverageJsonError> {
    let text = to_string(coverage)?;
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)
    };
    write().map_err(|source| CoverageJsonError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
use crate::coverage::{
    CaseKind, CaseRef, ElementKind, FileLines, FunctionCoverage, RuleCoverage, RuleStatus,
    TerraformElement, TextfileMetric, model::SCHEMA_VERSION,
};

#[cfg(test)]
fn case(kind: CaseKind, name: &str, line: Option<u32>) -> CaseRef {
    CaseRef {
        kind,
        name: name.into(),
        file: "features/us1.feature".into(),
        line,
    }
}

/// A coverage with every kind, status and optional field both set and unset (for tests).
#[cfg(test)]
pub(crate) fn sample() -> Coverage {
    let scenario = case(CaseKind::Scenario, "A unit failed for 6 minutes", Some(12));
    let promtool = case(CaseKind::Promtool, "disk fills", None);
    let tftest = case(CaseKind::TerraformTest, "unprivileged_by_default", Some(4));
    let bats = case(CaseKind::Bats, "retries then succeeds", Some(20));
    let rule = |alert: &str, firing: Vec<CaseRef>, quiet: Vec<CaseRef>| RuleCoverage {
        alert: alert.into(),
        file: "monitoring/rules/default.yml".into(),
        line: Some(7),
        status: RuleStatus::of(&firing, &quiet),
        firing,
        quiet,
    };
    let element = |kind, address: &str, covered_by| TerraformElement {
        directory: "infrastructure/proxmox/modules/lxc".into(),
        kind,
        address: address.into(),
        file: "main.tf".into(),
        line: None,
        covered_by,
    };
    Coverage {
        schema_version: SCHEMA_VERSION,
        alerts: vec![
            rule("Zeta", vec![], vec![]),
            rule(
                "Alpha",
                vec![scenario.clone(), scenario.clone()],
                vec![promtool.clone()],
            ),
            rule("Half", vec![promtool], vec![]),
        ],
        terraform: vec![
            element(
                ElementKind::Resource,
                "proxmox_virtual_environment_container.this",
                vec![tftest.clone()],
            ),
            element(ElementKind::DataSource, "data.x.y", vec![]),
            element(ElementKind::Output, "output.vm_id", vec![tftest.clone()]),
            element(ElementKind::Validation, "var.cores", vec![tftest]),
        ],
        bash: vec![FunctionCoverage {
            function: "retry_with_backoff".into(),
            file: "scripts/lib/common.sh".into(),
            line: 10,
            executed_by: vec![bats.clone()],
        }],
        bash_files: vec![FileLines {
            file: "scripts/lib/common.sh".into(),
            executable: 40,
            executed: 30,
            missed: vec![15, 12, 13],
        }],
        textfile: vec![
            TextfileMetric {
                metric: "backup_last_success_timestamp_seconds".into(),
                alerts: vec!["BackupStale".into()],
                script: Some("scripts/backup.sh".into()),
                line: Some(33),
                executed_by: vec![bats],
            },
            TextfileMetric {
                metric: "orphan_metric".into(),
                alerts: vec!["Orphan".into()],
                script: None,
                line: None,
                executed_by: vec![],
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_sorted_and_the_same_whatever_the_order_collected() {
        let mut shuffled = sample();
        shuffled.alerts.reverse();
        shuffled.terraform.reverse();
        shuffled.textfile.reverse();
        let text = to_string(&shuffled).unwrap();
        assert_eq!(text, to_string(&sample()).unwrap());
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let alerts: Vec<&str> = value["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["alert"].as_str().unwrap())
            .collect();
        assert_eq!(alerts, ["Alpha", "Half", "Zeta"]);
        assert_eq!(value["alerts"][0]["firing"].as_array().unwrap().len(), 1);
        assert_eq!(
            value["bash_files"][0]["missed"],
            serde_json::json!([12, 13, 15])
        );
        assert_eq!(value["alerts"][1]["status"], "half-tested");
    }

    fn validate(schema: &Path, file: &Path) -> Option<std::process::Output> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/sarif-schema/validate.py");
        let ready = std::process::Command::new("python3")
            .args(["-c", "import jsonschema"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ready {
            return None;
        }
        Some(
            std::process::Command::new("python3")
                .arg(script)
                .arg(schema)
                .arg(file)
                .output()
                .expect("python3 runs"),
        )
    }

    /// The documented schema (`docs/coverage.schema.json`) accepts what the suite writes and
    /// rejects a file with a value it does not document; validated with the same validator
    /// as `findings.sarif` (`tools/sarif-schema/validate.py`, Python's jsonschema).
    #[test]
    fn the_file_is_valid_against_its_documented_schema() {
        let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/coverage.schema.json");
        let scratch = tempfile::tempdir().unwrap();
        let file = scratch.path().join("coverage.json");
        write(&file, &sample()).unwrap();
        let Some(validated) = validate(&schema, &file) else {
            eprintln!(
                "SKIPPED the_file_is_valid_against_its_documented_schema: python3 cannot import \
                 jsonschema (run `make setup`)"
            );
            return;
        };
        assert!(
            validated.status.success(),
            "coverage.json does not follow docs/coverage.schema.json:\n{}{}",
            String::from_utf8_lossy(&validated.stdout),
            String::from_utf8_lossy(&validated.stderr)
        );
        // The schema can say no: an undocumented status and an undocumented field.
        let mut value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        value["alerts"][0]["status"] = "mostly-tested".into();
        value["bash"][0]["undocumented"] = 1.into();
        std::fs::write(&file, value.to_string()).unwrap();
        let rejected = validate(&schema, &file).unwrap();
        let said = String::from_utf8_lossy(&rejected.stdout);
        assert!(!rejected.status.success(), "a wrong file was accepted");
        assert!(said.contains("/alerts/0/status"), "{said}");
        assert!(said.contains("/bash/0"), "{said}");
    }
}
