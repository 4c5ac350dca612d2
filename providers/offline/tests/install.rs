//! `tf-offline-provider install DIR`: the layout the suite relies on, idempotence,
//! and refusal of a bad schema document with the file and the reason.

mod support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use support::{install, install_into, installed};

#[test]
fn install_lays_out_one_executable_per_provider_and_a_cli_config() {
    let providers = installed();
    let dir = providers.dir.path().canonicalize().unwrap();
    for name in ["proxmox", "tls", "random"] {
        let program = dir.join(name).join(format!("terraform-provider-{name}"));
        let mode = fs::metadata(&program)
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o111,
            0o111,
            "{} should be executable",
            program.display()
        );
        assert!(dir.join(name).join("schema.json").is_file());
        // the schema pre-encoded for the provider processes
        assert!(dir.join(name).join("schema.pb").is_file());
    }
    let config = fs::read_to_string(dir.join("terraform.rc")).unwrap();
    assert!(
        config.contains(&format!(
            "\"bpg/proxmox\" = \"{}\"",
            dir.join("proxmox").display()
        )),
        "{config}"
    );
    assert!(
        config.contains(&format!(
            "\"hashicorp/tls\" = \"{}\"",
            dir.join("tls").display()
        )),
        "{config}"
    );
    assert!(
        config.contains(&format!(
            "\"hashicorp/random\" = \"{}\"",
            dir.join("random").display()
        )),
        "{config}"
    );
    assert!(config.contains("direct {}"), "{config}");
    // tls and random, planned without a mock, get their plan facts; bpg/proxmox none
    assert!(dir.join("tls/plan.json").is_file() && dir.join("random/plan.json").is_file());
    assert!(!dir.join("proxmox/plan.json").exists());
    assert_eq!(
        providers.printed.stdout.matches("wrote ").count(),
        12,
        "{}",
        providers.printed.output()
    );
}

#[test]
fn install_twice_changes_nothing_and_says_so() {
    let providers = installed();
    let before = fs::read(providers.config()).unwrap();
    let again = install_into(providers.dir.path(), &[]);
    assert!(again.success, "{}", again.output());
    assert_eq!(
        again.stdout.matches("unchanged ").count(),
        12,
        "{}",
        again.output()
    );
    assert_eq!(
        again.stdout.matches("wrote ").count(),
        0,
        "{}",
        again.output()
    );
    assert_eq!(fs::read(providers.config()).unwrap(), before);
}

#[test]
fn malformed_schema_json_is_refused_with_file_and_reason() {
    let scratch = tempfile::tempdir().unwrap();
    let bad = scratch.path().join("proxmox.json");
    fs::write(
        &bad,
        "{\"format_version\": \"1.0\", \"provider_schemas\": {",
    )
    .unwrap();
    let ran = install(&["--schema", &format!("proxmox={}", bad.display())]);
    assert!(!ran.success, "{}", ran.output());
    assert!(
        ran.stderr
            .contains(&format!("{}: not valid JSON", bad.display())),
        "{}",
        ran.output()
    );
}

#[test]
fn unknown_format_version_is_refused_with_file_and_reason() {
    let scratch = tempfile::tempdir().unwrap();
    let bad = scratch.path().join("proxmox.json");
    fs::write(
        &bad,
        "{\"format_version\": \"0.2\", \"provider_schemas\": {}}",
    )
    .unwrap();
    let ran = install(&["--schema", &format!("proxmox={}", bad.display())]);
    assert!(!ran.success, "{}", ran.output());
    assert!(
        ran.stderr.contains(&format!(
            "{}: unknown format_version \"0.2\"",
            bad.display()
        )),
        "{}",
        ran.output()
    );
}

#[test]
fn check_accepts_the_bundled_schemas() {
    let schemas = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let mut command = std::process::Command::new(support::provider_binary());
    command
        .arg("check")
        .arg(schemas.join("bpg-proxmox-0.94.0.json"))
        .arg(schemas.join("hashicorp-tls-4.2.1.json"))
        .arg(schemas.join("hashicorp-random-3.8.1.json"));
    let ran = support::run(command, std::time::Duration::from_secs(30));
    assert!(ran.success, "{}", ran.output());
    assert!(
        ran.stdout
            .contains("registry.terraform.io/bpg/proxmox, 60 resources, 49 data sources"),
        "{}",
        ran.output()
    );
    assert!(
        ran.stdout
            .contains("registry.terraform.io/hashicorp/tls, 4 resources, 2 data sources"),
        "{}",
        ran.output()
    );
}
