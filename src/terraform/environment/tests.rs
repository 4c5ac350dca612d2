//! An environment calling `../../modules/vm` (this repository's vm module, copied into a
//! temporary homelab) with a symlinked shared file, tested for real by Terraform with the
//! offline providers, in place; and what Terraform writes there (nothing outside its data
//! directory, which is why the runs of the repository under test share one copy).

use crate::settings::Settings;
use crate::terraform::RunnerContext;
use crate::tools::Tools;
use std::path::Path;

use super::*;
use crate::homelab::Homelab;
use crate::terraform::{Module, RunStatus};

use crate::test_support::{link, write};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        if entry.file_name() == ".terraform" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

const PROD: &str = r#"
module "web" {
  source         = "../../modules/vm"
  name           = "web01"
  node_name      = "pve"
  vm_id          = 130
  template_vm_id = 9000
  ip_address     = "192.168.1.60/24"
  gateway        = "192.168.1.1"
}

output "web_name" {
  value = module.web.name
}
"#;

const PROVIDERS: &str = r#"
terraform {
  required_providers {
    proxmox = {
      source  = "bpg/proxmox"
      version = "~> 0.93"
    }
  }
}
"#;

fn prod_test(expected_name: &str) -> String {
    format!(
        "mock_provider \"proxmox\" {{}}\n\nrun \"plans_the_web_vm\" {{\n  command = plan\n\n  assert {{\n    condition     = module.web.name == \"{expected_name}\"\n    error_message = \"the web VM is named after its module input\"\n  }}\n}}\n"
    )
}

/// A homelab with the real vm module and an environment `prod` calling it, its provider
/// requirements linked in from `infrastructure/proxmox/shared/`.
fn homelab(expected_name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("infrastructure/proxmox/modules/vm"),
        &root.join("infrastructure/proxmox/modules/vm"),
    );
    write(
        root,
        "infrastructure/proxmox/environments/prod/main.tf",
        PROD,
    );
    write(
        root,
        "infrastructure/proxmox/shared/providers.tf",
        PROVIDERS,
    );
    link(
        root,
        "infrastructure/proxmox/environments/prod/providers.tf",
        "../../shared/providers.tf",
    );
    write(
        root,
        "infrastructure/proxmox/environments/prod/tests/plan.tftest.hcl",
        &prod_test(expected_name),
    );
    dir
}

#[test]
fn terraform_tests_an_environment_that_calls_a_module() {
    let runner = TestRunner::new(&RunnerContext::new(
        &Settings::from_env().unwrap(),
        Tools::new(),
    ))
    .expect("terraform and the offline providers");
    let passing = homelab("web01");
    let failing = homelab("db01");
    let environments: Vec<_> = [&passing, &failing]
        .iter()
        .map(|dir| {
            let homelab = Homelab::discover(dir.path()).unwrap();
            (dir.path().to_path_buf(), homelab.environments[0].clone())
        })
        .collect();
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = environments
            .iter()
            .map(|(root, env)| scope.spawn(|| run_environment(&runner, root, env)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let passed = outcomes[0].as_ref().unwrap();
    assert!(passed.passed(), "{passed}");
    assert_eq!(passed.module, "environments/prod");
    assert_eq!(passed.runs.len(), 1);

    let failed = outcomes[1].as_ref().unwrap();
    assert!(!failed.passed());
    assert_eq!(failed.runs[0].run, "plans_the_web_vm");
    assert_eq!(failed.runs[0].status, RunStatus::Failed);
}

#[test]
fn terraform_writes_only_under_its_data_dir() {
    let runner = TestRunner::new(&RunnerContext::new(
        &Settings::from_env().unwrap(),
        Tools::new(),
    ))
    .expect("terraform and the offline providers");
    let dir = homelab("web01");
    let copy = crate::homelab::copy::copy_repository(dir.path(), None).unwrap();
    let before = copy.snapshot().unwrap();
    let homelab = Homelab::discover(&copy.root).unwrap();
    let environment = run_environment(&runner, &copy.root, &homelab.environments[0]).unwrap();
    assert!(environment.passed(), "{environment}");
    let vm = runner
        .run(&Module::from_dir(&homelab.modules[0], &copy.root))
        .unwrap();
    assert!(vm.passed(), "{vm}");
    pretty_assertions::assert_eq!(copy.snapshot().unwrap(), before);
}
