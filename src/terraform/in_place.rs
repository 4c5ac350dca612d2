//! Where Terraform runs: in place, in a copy of the whole repository, as the homelab's CI
//! runs `terraform test` in a checkout. Every file a configuration reads through
//! `path.module`, `path.root`, a relative module source or a symlink is where the
//! repository has it. Each run has its own scratch directory beside the copy for
//! `TF_DATA_DIR`, the plugin cache, the CLI config and the JUnit report (`TestRunner`).
//!
//! The runs of the repository under test share one copy per process
//! ([`SharedCopy`]), because with the offline providers Terraform writes only
//! under `TF_DATA_DIR` there: `terraform get` records the local modules in
//! `$TF_DATA_DIR/modules/modules.json`, `validate` and `test` (plan and apply against mocks,
//! state in memory) write nothing else. Checked by the unit test
//! `terraform::environment::tests::terraform_writes_only_under_its_data_dir`, which snapshots
//! every path and size of a copy, runs `get`, `validate` and `test` of a module and of an
//! environment calling it in place, and compares. With `SPEC_TF_PROVIDERS=registry`,
//! `terraform init` writes the directory's `.terraform.lock.hcl`, so each run then gets a copy
//! of its own. A directory outside the repository under test (a scenario's changed copy, a
//! unit test's homelab) is already a scratch copy and runs where it is.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::TerraformError;
use crate::homelab::copy::{RepositoryCopy, SharedCopy, copy_repository};

/// A directory to run Terraform in, and the copy that holds it (kept alive by this value).
#[derive(Debug)]
pub(crate) struct Workdir {
    _copy: Option<Arc<RepositoryCopy>>,
    pub dir: PathBuf,
}

/// Where to run Terraform for `dir` (absolute), named `name` in errors. For a directory of
/// the repository under test: the same place in a copy of the whole repository, shared when
/// `share` (else one of its own, made under `scratch`). A run that would read through a
/// link the copy refused (below the directory or a local module it calls) is an error
/// naming the link.
/// The repository under test is at `root`; `shared` is the suite run's one shared copy.
pub(crate) fn workdir(
    root: &Path,
    shared: &SharedCopy,
    name: &str,
    dir: &Path,
    share: bool,
    scratch: Option<&Path>,
) -> Result<Workdir, TerraformError> {
    let Ok(relative) = dir.strip_prefix(root) else {
        return Ok(Workdir {
            _copy: None,
            dir: dir.to_path_buf(),
        });
    };
    let copy = if share {
        shared.of(root)
    } else {
        copy_repository(root, scratch).map(Arc::new)
    }
    .map_err(|source| TerraformError::Copy {
        module: name.to_string(),
        source,
    })?;
    let relative = relative.display().to_string();
    let layout = |findings| TerraformError::Layout {
        module: name.to_string(),
        findings,
    };
    let dirs =
        crate::homelab::configuration_dirs(root, &relative).map_err(|e| layout(e.findings()))?;
    let refused: Vec<_> = copy.refused_links_under(&dirs).cloned().collect();
    if !refused.is_empty() {
        return Err(layout(refused));
    }
    Ok(Workdir {
        dir: copy.root.join(&relative),
        _copy: Some(copy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{link, write};

    /// An environment calling a module; the module links a file in from `target`.
    fn homelab(target: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "infrastructure/proxmox/modules/vm/main.tf", "");
        write(
            root,
            "infrastructure/proxmox/environments/prod/main.tf",
            "module \"vm\" {\n  source = \"../../modules/vm\"\n}\n",
        );
        write(root, "infrastructure/proxmox/modules/lxc/main.tf", "");
        link(
            root,
            "infrastructure/proxmox/modules/vm/secrets.auto.tfvars",
            target,
        );
        dir
    }

    #[test]
    fn a_run_reading_through_a_refused_link_fails_naming_it_and_the_others_run() {
        let outside = tempfile::NamedTempFile::new().unwrap();
        let dir = homelab(outside.path().to_str().unwrap());
        let root = dir.path().canonicalize().unwrap();
        let modules = root.join("infrastructure/proxmox/modules");
        let environment = root.join("infrastructure/proxmox/environments/prod");
        for (name, at) in [("vm", modules.join("vm")), ("prod", environment)] {
            match workdir(&root, &SharedCopy::default(), name, &at, false, None) {
                Err(e) => assert_eq!(
                    crate::finding::ids_and_subjects(&e.findings()),
                    [(
                        "layout/link-outside".to_string(),
                        "infrastructure/proxmox/modules/vm/secrets.auto.tfvars".to_string()
                    )],
                    "{name}"
                ),
                Ok(w) => panic!("{name} ran in {}", w.dir.display()),
            }
        }
        let lxc = workdir(
            &root,
            &SharedCopy::default(),
            "lxc",
            &modules.join("lxc"),
            false,
            None,
        )
        .unwrap();
        assert!(lxc.dir.join("main.tf").is_file());
        assert!(lxc.dir.ends_with("repo/infrastructure/proxmox/modules/lxc"));
    }

    #[test]
    fn a_directory_outside_the_repository_under_test_runs_where_it_is() {
        let dir = homelab("main.tf");
        let other = tempfile::tempdir().unwrap();
        let w = workdir(
            other.path(),
            &SharedCopy::default(),
            "vm",
            dir.path(),
            true,
            None,
        )
        .unwrap();
        assert_eq!(w.dir, dir.path());
    }
}
