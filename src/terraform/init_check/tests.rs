use super::*;
use crate::finding::ids_and_subjects;

const MODULE: &str = "infrastructure/proxmox/modules/vm";
const ENV: &str = "infrastructure/proxmox/environments/prod";

fn versions(provider: &str, source: &str, version: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    {provider} = {{\n      source  = \"{source}\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n"
    )
}

/// A repository with the vm module (`~> 0.94.0` unless said) and an environment `prod`
/// calling it, requiring bpg/proxmox at `env_constraint`.
fn homelab(env_constraint: &str, lock: Option<&str>) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        &format!("{MODULE}/versions.tf"),
        &versions("proxmox", "bpg/proxmox", "~> 0.94.0"),
    );
    write(
        &format!("{ENV}/main.tf"),
        "module \"vm\" {\n  source = \"../../modules/vm\"\n}\n",
    );
    write(
        &format!("{ENV}/versions.tf"),
        &versions("proxmox", "bpg/proxmox", env_constraint),
    );
    if let Some(lock) = lock {
        write(&format!("{ENV}/{LOCK_FILE_NAME}"), lock);
    }
    root
}

fn lock(address: &str, version: &str) -> String {
    format!("provider \"{address}\" {{\n  version = \"{version}\"\n}}\n")
}

fn pairs(findings: &[Finding]) -> Vec<(String, String)> {
    ids_and_subjects(findings)
}

#[test]
fn constraints_that_agree_and_a_matching_lock_pass_and_select_the_pin() {
    let root = homelab(
        "~> 0.94",
        Some(&lock("registry.terraform.io/bpg/proxmox", "0.94.0")),
    );
    let checked = check(root.path(), ENV);
    assert_eq!(checked.failures, Vec::new());
    assert_eq!(checked.notes, Vec::new());
    assert_eq!(checked.served.len(), 1);
    assert_eq!(checked.served[0].bundled.to_string(), "0.94.0");
}

#[test]
fn an_environment_bumped_past_its_modules_has_no_release_to_install() {
    let root = homelab(
        "~> 0.95.0",
        Some(&lock("registry.terraform.io/bpg/proxmox", "0.95.0")),
    );
    let checked = check(root.path(), ENV);
    assert_eq!(
        pairs(&checked.failures),
        vec![
            (
                "terraform-init/lock-mismatch".to_string(),
                "bpg/proxmox".to_string()
            ),
            (
                "terraform-init/no-matching-release".to_string(),
                "bpg/proxmox".to_string()
            ),
        ]
    );
    let no_release = checked
        .failures
        .iter()
        .find(|f| f.id == ids::NO_MATCHING_RELEASE)
        .unwrap();
    assert_eq!(no_release.file, ENV);
    let found = no_release.found.as_deref().unwrap();
    assert!(
        found.contains(&format!("~> 0.95.0 ({ENV}/versions.tf:5)")),
        "{found}"
    );
    assert!(
        found.contains(&format!("~> 0.94.0 ({MODULE}/versions.tf:5)")),
        "{found}"
    );
    let mismatch = checked
        .failures
        .iter()
        .find(|f| f.id == ids::LOCK_MISMATCH)
        .unwrap();
    assert_eq!(mismatch.file, format!("{ENV}/{LOCK_FILE_NAME}"));
    assert_eq!(mismatch.found.as_deref(), Some("0.95.0"));
}

#[test]
fn a_module_called_through_another_module_counts_too() {
    let root = homelab("~> 0.94.0", None);
    let write = |path: &str, text: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        &format!("{MODULE}/main.tf"),
        "module \"disk\" {\n  source = \"./disk\"\n}\n",
    );
    write(
        &format!("{MODULE}/disk/versions.tf"),
        &versions("pve", "BPG/Proxmox", ">= 0.96, < 1.0"),
    );
    let checked = check(root.path(), ENV);
    assert_eq!(
        pairs(&checked.failures),
        vec![(
            "terraform-init/no-matching-release".to_string(),
            "bpg/proxmox".to_string()
        )]
    );
    assert!(
        checked.failures[0]
            .found
            .as_deref()
            .unwrap()
            .contains(&format!("{MODULE}/disk/versions.tf"))
    );
}

#[test]
fn a_lock_entry_nothing_requires_is_a_note() {
    let pins = format!(
        "{}{}",
        lock("registry.terraform.io/bpg/proxmox", "0.94.0"),
        lock("registry.terraform.io/hashicorp/aws", "5.100.0")
    );
    let root = homelab("~> 0.94.0", Some(&pins));
    let checked = check(root.path(), ENV);
    assert_eq!(checked.failures, Vec::new());
    assert_eq!(
        pairs(&checked.notes),
        vec![(
            "terraform-init/lock-unused".to_string(),
            "hashicorp/aws".to_string()
        )]
    );
    assert_eq!(checked.notes[0].line, Some(4));
    assert!(checked.notes.iter().all(Finding::is_note));
}

#[test]
fn a_constraint_that_does_not_parse_names_its_file_and_line() {
    let root = homelab("~> v0.94", None);
    let checked = check(root.path(), ENV);
    assert_eq!(
        pairs(&checked.failures),
        vec![(
            "terraform-init/constraint".to_string(),
            "bpg/proxmox".to_string()
        )]
    );
    assert_eq!(checked.failures[0].file, format!("{ENV}/versions.tf"));
    assert_eq!(checked.failures[0].line, Some(5));
}

#[test]
fn a_lock_file_that_does_not_parse_names_the_file() {
    let root = homelab(
        "~> 0.94.0",
        Some("provider \"registry.terraform.io/bpg/proxmox\" {\n  version = \n"),
    );
    let checked = check(root.path(), ENV);
    assert_eq!(
        pairs(&checked.failures),
        vec![(
            "terraform-init/lock-file".to_string(),
            format!("{ENV}/{LOCK_FILE_NAME}")
        )]
    );
    assert_eq!(checked.failures[0].file, format!("{ENV}/{LOCK_FILE_NAME}"));
}

#[test]
fn constraints_beyond_every_known_release_are_a_note_not_a_failure() {
    let root = homelab(">= 0.94.0", None);
    std::fs::write(
        root.path().join(MODULE).join("versions.tf"),
        versions("proxmox", "bpg/proxmox", ">= 9.0"),
    )
    .unwrap();
    let checked = check(root.path(), ENV);
    assert_eq!(checked.failures, Vec::new());
    assert_eq!(
        pairs(&checked.notes),
        vec![(
            "terraform-init/unknown-release".to_string(),
            "bpg/proxmox".to_string()
        )]
    );
}

#[test]
fn a_pin_without_a_bundled_schema_is_served_the_nearest_with_a_note() {
    let root = homelab(
        ">= 0.30",
        Some(&lock("registry.terraform.io/bpg/proxmox", "0.30.0")),
    );
    std::fs::write(
        root.path().join(MODULE).join("versions.tf"),
        versions("proxmox", "bpg/proxmox", ">= 0.30"),
    )
    .unwrap();
    let checked = check(root.path(), ENV);
    assert_eq!(checked.failures, Vec::new());
    assert_eq!(
        pairs(&checked.notes),
        vec![(
            "terraform-init/nearest-schema".to_string(),
            "bpg/proxmox".to_string()
        )]
    );
    assert_eq!(checked.notes[0].expected.as_deref(), Some("0.30.0"));
    assert_eq!(checked.served[0].selected, Some(Version::new(0, 30, 0)));
}

#[test]
fn a_single_bundled_version_stands_for_its_major_and_another_major_is_a_note() {
    for (pin, notes) in [("4.0.6", 0), ("3.4.0", 1)] {
        let root = homelab(
            "~> 0.94.0",
            Some(&format!(
                "{}{}",
                lock("registry.terraform.io/bpg/proxmox", "0.94.0"),
                lock("registry.terraform.io/hashicorp/tls", pin)
            )),
        );
        std::fs::write(
            root.path().join(ENV).join("tls.tf"),
            versions("tls", "hashicorp/tls", ">= 3.0"),
        )
        .unwrap();
        let checked = check(root.path(), ENV);
        assert_eq!(checked.failures, Vec::new(), "{pin}");
        assert_eq!(checked.notes.len(), notes, "{pin}: {:?}", checked.notes);
    }
}

#[test]
fn the_checks_of_this_repository_cost_under_50_ms() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let homelab = crate::homelab::Homelab::discover(root).unwrap();
    let _ = releases::known(); // parsed once per process, counted below on its own
    let (checks, took) = crate::timing::cpu_time_of(|| check_homelab(&homelab));
    let (_, list) = crate::timing::cpu_time_of(|| releases::known().len());
    assert!(checks.iter().all(|c| c.failures.is_empty()), "{checks:?}");
    assert!(!checks.is_empty());
    println!(
        "init checks of {} directories: {took:?} of CPU (release list: {list:?})",
        checks.len()
    );
    assert!(took < std::time::Duration::from_millis(50), "{took:?}");
}

#[test]
fn only_releases_other_than_the_defaults_are_selected_for_an_install() {
    let pinned = homelab(
        "~> 0.94",
        Some(&lock("registry.terraform.io/bpg/proxmox", "0.111.1")),
    );
    std::fs::write(
        pinned.path().join(MODULE).join("versions.tf"),
        versions("proxmox", "bpg/proxmox", ">= 0.66"),
    )
    .unwrap();
    assert_eq!(
        selection_for(&pinned.path().join(ENV)),
        vec![("proxmox".to_string(), "0.111.1".to_string())]
    );
    let default = homelab("~> 0.94.0", None);
    assert_eq!(selection_for(&default.path().join(ENV)), Vec::new());
    // Without a lock file, the newest bundled release the constraints allow.
    let newest = homelab("~> 0.94", None);
    std::fs::write(
        newest.path().join(MODULE).join("versions.tf"),
        versions("proxmox", "bpg/proxmox", "< 0.100"),
    )
    .unwrap();
    assert_eq!(
        selection_for(&newest.path().join(ENV)),
        vec![("proxmox".to_string(), "0.99.0".to_string())]
    );
}
