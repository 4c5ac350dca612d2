//! Discovery on small homelabs built in temporary directories, and on this repository.

use std::path::Path;
use std::time::{Duration, Instant};

use super::*;

use crate::test_support::{link, write};

const ALERTS: &str = "groups:\n  - name: extra\n    rules:\n      - alert: A\n        expr: up == 0\n      - alert: B\n        expr: up == 0\n";
const RECORDING: &str = "groups:\n  - name: rec\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n";
const TEMPLATED: &str = "groups:\n  - name: templated\n    rules:\n%{ for job in jobs ~}\n      - alert: ${job}Down\n        expr: up{job=\"${job}\"} == 0\n        labels:\n          severity: ${severity}\n        annotations:\n          summary: '{{ $labels.instance }} is down'\n%{ endfor ~}\n";

const MONITORING: &str = r#"
variable "severity" {
  type    = string
  default = "critical"
}

locals {
  rules_dir = "${path.module}/files/prometheus/rules"
  prometheus_config = yamlencode({
    rule_files = ["/etc/prometheus/rules/*.yml"]
  })
  cloud_init = yamlencode({
    write_files = [
      { path = "/etc/prometheus/rules/broken.yml", content = file("${path.module}/files/broken.yml") },
      { path = "/etc/alertmanager/alertmanager.yml", content = file("${path.module}/files/alertmanager.yml") },
    ]
  })
}

resource "proxmox_virtual_environment_file" "rules" {
  for_each = fileset(local.rules_dir, "*.yml")
  source_raw {
    data      = file("${local.rules_dir}/${each.value}")
    file_name = each.value
  }
}

resource "proxmox_virtual_environment_file" "templated" {
  source_raw {
    data = templatefile("${path.module}/files/templated.yml.tftpl", {
      severity = var.severity
      jobs     = ["node", "pve"]
    })
    file_name = "templated.yml"
  }
}
"#;

/// A homelab that grew: a second alert rules file and a recording rules file deployed with
/// fileset + for_each, a rendered template, an Alertmanager config, a broken rules file
/// deployed under rule_files, a new module without tests, an environment composing modules
/// with a symlinked shared file, scripts, BATS files and vendored BATS libraries.
fn grown_homelab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let modules = "infrastructure/proxmox/modules";
    write(
        root,
        &format!("{modules}/vm/main.tf"),
        "variable \"name\" {}\n",
    );
    write(
        root,
        &format!("{modules}/vm/tests/regression.tftest.hcl"),
        "",
    );
    write(
        root,
        &format!("{modules}/monitoring-stack/main.tf"),
        MONITORING,
    );
    write(
        root,
        &format!("{modules}/monitoring-stack/tests/regression.tftest.hcl"),
        "",
    );
    let files = format!("{modules}/monitoring-stack/files");
    write(
        root,
        &format!("{files}/prometheus/rules/alerts.yml"),
        ALERTS,
    );
    write(
        root,
        &format!("{files}/prometheus/rules/recording.yml"),
        RECORDING,
    );
    write(
        root,
        &format!("{files}/prometheus/rules/notes.txt"),
        "not deployed",
    );
    write(root, &format!("{files}/templated.yml.tftpl"), TEMPLATED);
    write(root, &format!("{files}/broken.yml"), "groups: [\n");
    write(
        root,
        &format!("{files}/alertmanager.yml"),
        "route:\n  receiver: mail\nreceivers:\n  - name: mail\n",
    );
    write(
        root,
        &format!("{modules}/tooling-stack/main.tf"),
        "locals {}\n",
    );
    write(
        root,
        "infrastructure/proxmox/environments/prod/main.tf",
        "module \"vm\" {\n  source = \"../../modules/vm\"\n  name   = \"a\"\n}\n",
    );
    write(
        root,
        "infrastructure/proxmox/environments/prod/tests/plan.tftest.hcl",
        "",
    );
    write(
        root,
        "infrastructure/proxmox/shared/providers.tf",
        "provider \"proxmox\" {}\n",
    );
    link(
        root,
        "infrastructure/proxmox/environments/prod/providers.tf",
        "../../shared/providers.tf",
    );
    // Not an environment: no .tf files.
    write(root, "infrastructure/proxmox/environments/README.md", "");
    write(root, "infrastructure/proxmox/environments/notes/x.md", "");

    write(root, "scripts/lib/textfile.sh", "textfile_write() { :; }\n");
    write(root, "scripts/lib/common.sh", "log() { :; }\n");
    write(
        root,
        "scripts/backup-status.sh",
        "#!/usr/bin/env bash\nsource \"$(dirname \"$0\")/lib/textfile.sh\"\ntextfile_write homelab_backup.prom\n",
    );
    write(
        root,
        "scripts/tooling/report.sh",
        "#!/usr/bin/env bash\necho 'x 1' > \"${TEXTFILE_DIR}/homelab_tooling.prom\"\n",
    );
    write(
        root,
        "scripts/check-node-access.sh",
        "#!/usr/bin/env bash\nsource lib/common.sh\n# not homelab_x.prom\n",
    );

    for bats in [
        "tests/restore/test_common.bats",
        "tests/tooling/test_report.bats",
        "tests/test_helper/bats-support/test/x.bats",
        "tests/test_helper/bats-assert/test/y.bats",
        "tests/node_modules/bats/test/z.bats",
        "tests/vendor/lib/v.bats",
    ] {
        write(root, bats, "@test \"t\" { true; }\n");
    }
    write(
        root,
        ".gitmodules",
        "[submodule \"tests/vendor/lib\"]\n\tpath = tests/vendor/lib\n\turl = https://example.invalid/lib\n",
    );
    dir
}

#[test]
fn a_grown_homelab_is_found_whole() {
    let dir = grown_homelab();
    let homelab = Homelab::discover(dir.path()).unwrap();

    let names: Vec<&str> = homelab.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["monitoring-stack", "tooling-stack", "vm"]);
    assert_eq!(homelab.environments.len(), 1);
    let prod = &homelab.environments[0];
    assert_eq!(prod.dir, "infrastructure/proxmox/environments/prod");
    assert_eq!(prod.tf_files, ["main.tf", "providers.tf"]);
    assert_eq!(prod.test_files, ["tests/plan.tftest.hcl"]);
    assert_eq!(
        prod.module_calls[0].local_dir.as_deref(),
        Some("infrastructure/proxmox/modules/vm")
    );

    let rules: Vec<(&str, usize, usize)> = homelab
        .rules_files
        .iter()
        .map(|f| (f.path.as_str(), f.alerting_rules, f.recording_rules))
        .collect();
    let files = "infrastructure/proxmox/modules/monitoring-stack/files";
    assert_eq!(
        rules,
        [
            (format!("{files}/broken.yml").as_str(), 0, 0),
            (
                format!("{files}/prometheus/rules/alerts.yml").as_str(),
                2,
                0
            ),
            (
                format!("{files}/prometheus/rules/recording.yml").as_str(),
                0,
                1
            ),
            (format!("{files}/templated.yml.tftpl").as_str(), 2, 0),
        ]
    );
    assert_eq!(
        homelab.rules_files[0].evidence,
        RulesEvidence::RuleFilesGlob("/etc/prometheus/rules/*.yml".into())
    );
    assert_eq!(homelab.alerting_rules(), 4);
    assert_eq!(homelab.recording_rules(), 1);
    let others: Vec<&str> = homelab
        .other_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(others, [format!("{files}/alertmanager.yml")]);
    assert!(
        homelab.unresolved_reads.is_empty(),
        "{:?}",
        homelab.unresolved_reads
    );

    let scripts: Vec<(&str, &str)> = homelab
        .publishing_scripts
        .iter()
        .map(|s| (s.path.as_str(), s.name.as_str()))
        .collect();
    assert_eq!(
        scripts,
        [
            ("scripts/backup-status.sh", "backup-status"),
            ("scripts/tooling/report.sh", "report")
        ]
    );
    assert_eq!(
        homelab.publishing_scripts[1].prom_files,
        ["homelab_tooling.prom"]
    );
    assert_eq!(
        homelab.bats_files,
        [
            "tests/restore/test_common.bats",
            "tests/tooling/test_report.bats"
        ]
    );
}

#[test]
fn a_templated_rules_file_is_rendered_with_the_values_the_module_passes() {
    let dir = grown_homelab();
    let homelab = Homelab::discover(dir.path()).unwrap();
    let templated = homelab
        .rules_files
        .iter()
        .find(|f| f.path.ends_with("templated.yml.tftpl"))
        .unwrap();
    assert!(templated.rendered);
    assert!(
        templated.text.contains("- alert: nodeDown"),
        "{}",
        templated.text
    );
    assert!(templated.text.contains("severity: critical"));
    assert!(templated.text.contains("'{{ $labels.instance }} is down'"));
    let scratch = tempfile::tempdir().unwrap();
    let on_disk = templated
        .file_on_disk(&homelab.root, scratch.path())
        .unwrap();
    assert!(on_disk.starts_with(scratch.path()));
    assert_eq!(std::fs::read_to_string(on_disk).unwrap(), templated.text);
}

#[test]
fn a_module_without_a_regression_file_is_named() {
    let dir = grown_homelab();
    let homelab = Homelab::discover(dir.path()).unwrap();
    let without: Vec<&str> = homelab
        .modules
        .iter()
        .filter(|m| !m.has_regression_file())
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(without, ["tooling-stack"]);
    let tested: Vec<&str> = homelab.tested_dirs().map(|d| d.name.as_str()).collect();
    assert_eq!(tested, ["monitoring-stack", "vm", "prod"]);
}

fn problems(error: &DiscoveryError) -> Vec<(String, String)> {
    crate::finding::ids_and_subjects(&error.findings())
}

#[test]
fn no_modules_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = Homelab::discover(dir.path()).unwrap_err();
    assert!(
        matches!(error, DiscoveryError::NoModulesDir { .. }),
        "{error}"
    );
}

#[test]
fn a_root_without_the_layout_is_refused_before_anything_is_copied() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), "Documents/notes.txt", "not a homelab");
    let finding = Homelab::require_layout(home.path()).unwrap_err();
    assert_eq!(finding.id, ids::NO_MODULES);
    let homelab = grown_homelab();
    assert!(Homelab::require_layout(homelab.path()).is_ok());
}

#[test]
fn a_module_directory_without_terraform_is_named() {
    let dir = grown_homelab();
    write(
        dir.path(),
        "infrastructure/proxmox/modules/empty/README.md",
        "",
    );
    let error = Homelab::discover(dir.path()).unwrap_err();
    assert_eq!(
        problems(&error),
        [("layout/module-without-tf".to_string(), "empty".to_string())]
    );
}

#[test]
fn a_deployed_file_that_is_missing_is_named_with_its_reader() {
    let dir = grown_homelab();
    std::fs::remove_file(
        dir.path()
            .join("infrastructure/proxmox/modules/monitoring-stack/files/alertmanager.yml"),
    )
    .unwrap();
    let error = Homelab::discover(dir.path()).unwrap_err();
    let findings = error.findings();
    assert_eq!(
        problems(&error),
        [(
            "layout/missing-file".to_string(),
            "infrastructure/proxmox/modules/monitoring-stack/files/alertmanager.yml".to_string()
        )]
    );
    assert_eq!(
        findings[0].file,
        "infrastructure/proxmox/modules/monitoring-stack/main.tf"
    );
    assert_eq!(findings[0].line, Some(15));
}

#[test]
fn links_to_nowhere_or_outside_are_named() {
    let dir = grown_homelab();
    link(
        dir.path(),
        "infrastructure/proxmox/environments/prod/extra.tf",
        "../../shared/gone.tf",
    );
    link(dir.path(), "tests/outside.bats", "/etc/hostname");
    let error = Homelab::discover(dir.path()).unwrap_err();
    assert_eq!(
        problems(&error),
        [
            (
                "layout/dangling-link".to_string(),
                "infrastructure/proxmox/environments/prod/extra.tf".to_string()
            ),
            (
                "layout/link-outside".to_string(),
                "tests/outside.bats".to_string()
            ),
        ]
    );
}

#[test]
fn a_call_to_a_module_that_is_not_there_is_named() {
    let dir = grown_homelab();
    write(
        dir.path(),
        "infrastructure/proxmox/environments/prod/more.tf",
        "module \"db\" {\n  source = \"../../modules/db\"\n}\n",
    );
    let error = Homelab::discover(dir.path()).unwrap_err();
    assert_eq!(
        problems(&error),
        [(
            "layout/missing-module".to_string(),
            "../../modules/db".to_string()
        )]
    );
}

#[test]
fn this_repository_is_found_quickly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Warm the file system cache, then time a discovery.
    Homelab::discover(root).unwrap();
    let started = Instant::now();
    let homelab = Homelab::discover(root).unwrap();
    let took = started.elapsed();
    eprintln!("discovery of this repository took {took:?}");
    assert!(took < Duration::from_millis(500), "discovery took {took:?}");

    assert!(homelab.modules.len() >= 5, "{}", homelab.summary());
    assert!(
        homelab
            .modules
            .iter()
            .all(TerraformDir::has_regression_file)
    );
    let rules: Vec<&str> = homelab
        .rules_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert!(
        rules.contains(
            &"infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/default.yml"
        ),
        "{rules:?}"
    );
    assert!(homelab.alerting_rules() >= 26);
    assert!(
        homelab
            .rule_file_globs
            .contains(&"/etc/prometheus/alerts/*.yml".to_string())
    );
    for script in [
        "scripts/backup-status.sh",
        "scripts/drift-check.sh",
        "scripts/health-check.sh",
        "scripts/lifecycle-report.sh",
    ] {
        assert!(homelab.publishing_script(script).is_some(), "{script}");
    }
    assert!(homelab.publishing_script("check-node-access").is_none());
    assert!(
        homelab
            .bats_files
            .contains(&"tests/restore/test_common.bats".to_string())
    );
}
