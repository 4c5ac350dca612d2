//! A Terraform module of the homelab: where it lives, its test files and the providers it
//! requires. Terraform runs it in place in a copy of the whole repository
//! (`terraform::in_place`).

use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;

use super::error::TerraformError;
use super::tftest::{HclError, parse_hcl};
use crate::homelab::{MODULES_DIR, TerraformDir};

/// The regression test file every module must have: a convention of the homelab's layout,
/// which discovery knows (`homelab::REGRESSION_FILE`); named here too for the runner's users.
pub use crate::homelab::REGRESSION_FILE;

/// The five modules SPEC.md names (US2).
pub(crate) const MODULE_NAMES: [&str; 5] = ["vm", "lxc", "backup", "minio", "monitoring-stack"];

/// One module directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub dir: PathBuf,
}

/// A provider from `terraform { required_providers { ... } }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredProvider {
    /// The local name used in the module and in `mock_provider "<name>"`.
    pub(crate) local_name: String,
    /// `source`, when written as a literal (`bpg/proxmox`).
    pub source: Option<String>,
}

impl Module {
    /// The module `name` under `root/infrastructure/proxmox/modules/`.
    pub fn in_root(root: &Path, name: &str) -> Result<Module, TerraformError> {
        Module::at(name, &root.join(MODULES_DIR).join(name))
    }

    /// A directory discovery found (for modules: copied and tested on their own), under the
    /// repository at `root`.
    pub fn from_dir(dir: &TerraformDir, root: &Path) -> Module {
        Module {
            name: dir.name.clone(),
            dir: root.join(&dir.dir),
        }
    }

    /// A module directory anywhere (a temporary copy, another checkout).
    pub fn at(name: &str, dir: &Path) -> Result<Module, TerraformError> {
        if !dir.is_dir() {
            return Err(TerraformError::NoModule {
                module: name.to_string(),
                dir: dir.to_path_buf(),
            });
        }
        Ok(Module {
            name: name.to_string(),
            dir: dir.to_path_buf(),
        })
    }

    /// The module's directory relative to the repository under test at `root`; its name
    /// when it lies outside (a temporary copy). Findings name their files from here.
    pub fn path_in_repo(&self, root: &Path) -> String {
        self.dir
            .strip_prefix(root)
            .map_or_else(|_| self.name.clone(), |p| p.display().to_string())
    }

    /// `tests/*.tftest.hcl`, relative to the module, sorted.
    pub(crate) fn test_files(&self) -> Result<Vec<PathBuf>, TerraformError> {
        let tests = self.dir.join("tests");
        let entries = std::fs::read_dir(&tests).map_err(|e| {
            TerraformError::io(
                format!("module {}: cannot list {}", self.name, tests.display()),
                e,
            )
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".tftest.hcl"))
            .map(|name| Path::new("tests").join(name))
            .collect();
        files.sort();
        Ok(files)
    }

    /// The providers the module's `*.tf` files require.
    pub(crate) fn required_providers(&self) -> Result<Vec<RequiredProvider>, HclError> {
        let mut found = Vec::new();
        for file in self.tf_files().map_err(|e| HclError {
            file: self.dir.clone(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })? {
            let source = std::fs::read_to_string(self.dir.join(&file)).map_err(|e| HclError {
                file: file.clone(),
                line: 0,
                column: 0,
                message: e.to_string(),
            })?;
            let body = parse_hcl(&source, &file)?;
            for terraform in body.blocks().filter(|b| b.ident.as_str() == "terraform") {
                for required in terraform
                    .body
                    .blocks()
                    .filter(|b| b.ident.as_str() == "required_providers")
                {
                    for attr in required.body.attributes() {
                        found.push(RequiredProvider {
                            local_name: attr.key.as_str().to_string(),
                            source: literal_source(&attr.value),
                        });
                    }
                }
            }
        }
        Ok(found)
    }

    fn tf_files(&self) -> Result<Vec<PathBuf>, TerraformError> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map_err(|e| TerraformError::io(format!("cannot list {}", self.dir.display()), e))?
            .filter_map(|entry| entry.ok())
            .map(|entry| PathBuf::from(entry.file_name()))
            .filter(|name| name.extension().is_some_and(|ext| ext == "tf"))
            .collect();
        files.sort();
        Ok(files)
    }
}

fn literal_source(value: &Expression) -> Option<String> {
    let Expression::Object(object) = value else {
        return None;
    };
    object.iter().find_map(|(key, value)| {
        let is_source = key.as_ident().map(|i| i.as_str()) == Some("source")
            || key.as_expr().and_then(Expression::as_str) == Some("source");
        if is_source {
            value.expr().as_str().map(str::to_string)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("m/tests")).unwrap();
        std::fs::write(
            dir.path().join("m/versions.tf"),
            "terraform {\n  required_providers {\n    proxmox = {\n      source  = \"bpg/proxmox\"\n      version = \"~> 0.93\"\n    }\n    tls = { source = \"hashicorp/tls\" }\n  }\n}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("m/tests/b.tftest.hcl"), "").unwrap();
        std::fs::write(dir.path().join("m/tests/a.tftest.hcl"), "").unwrap();
        std::fs::write(dir.path().join("m/tests/notes.md"), "").unwrap();
        dir
    }

    #[test]
    fn required_providers_come_from_the_terraform_block() {
        let dir = fixture();
        let module = Module::at("m", &dir.path().join("m")).unwrap();
        let providers = module.required_providers().unwrap();
        assert_eq!(
            providers,
            vec![
                RequiredProvider {
                    local_name: "proxmox".into(),
                    source: Some("bpg/proxmox".into())
                },
                RequiredProvider {
                    local_name: "tls".into(),
                    source: Some("hashicorp/tls".into())
                },
            ]
        );
    }

    #[test]
    fn test_files_are_the_tftest_files_sorted() {
        let dir = fixture();
        let module = Module::at("m", &dir.path().join("m")).unwrap();
        assert_eq!(
            module.test_files().unwrap(),
            vec![
                PathBuf::from("tests/a.tftest.hcl"),
                PathBuf::from("tests/b.tftest.hcl")
            ]
        );
    }
}
