//! The homelab's `.terraform.lock.hcl`: which provider versions it pins. Offline, Terraform
//! runs the bundled schema of each provider whatever the lock file says (`dev_overrides`
//! ignore versions), so a pin of another release is worth a note: the module is checked
//! against the bundled release, not the pinned one. A note, never a failure.

use std::fmt;
use std::path::{Path, PathBuf};

use hcl_edit::expr::Expression;

/// The lock file Terraform writes next to a module's or environment's configuration.
pub const LOCK_FILE_NAME: &str = ".terraform.lock.hcl";
const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// A provider the lock file pins at another version than the bundled one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockNote {
    /// Full source address as the lock file writes it (`registry.terraform.io/bpg/proxmox`).
    pub address: String,
    /// The version in the lock file.
    pub pinned: String,
    /// The version of the bundled schema that the suite serves instead.
    pub bundled: String,
}

impl fmt::Display for LockNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "note: {LOCK_FILE_NAME} pins {} {}, the offline suite checks against the bundled {}",
            self.address, self.pinned, self.bundled
        )
    }
}

/// Why the lock file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockFileError {
    #[error("{file}: cannot read: {message}", file = .file.display())]
    Read { file: PathBuf, message: String },
    #[error("{file}:{line}:{column}: not valid HCL: {message}", file = .file.display())]
    Hcl {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: provider {address:?}: {reason}", file = .file.display())]
    Provider {
        file: PathBuf,
        address: String,
        reason: String,
    },
}

/// Compares the versions `dir/.terraform.lock.hcl` pins with the bundled ones and returns a
/// note for each provider pinned at another version, in the lock file's order. `bundled`
/// lists (source address, version); an address may omit the registry host (`bpg/proxmox`).
/// No lock file, or a provider the suite does not bundle, gives no note.
pub fn version_notes(dir: &Path, bundled: &[(&str, &str)]) -> Result<Vec<LockNote>, LockFileError> {
    let file = dir.join(LOCK_FILE_NAME);
    let source = match std::fs::read_to_string(&file) {
        Ok(source) => source,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(LockFileError::Read {
                file,
                message: e.to_string(),
            });
        }
    };
    let body = hcl_edit::parser::parse_body(&source).map_err(|e| LockFileError::Hcl {
        file: file.clone(),
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })?;
    let mut notes = Vec::new();
    for block in body.blocks().filter(|b| b.ident.as_str() == "provider") {
        let Some(label) = block.labels.first() else {
            continue;
        };
        let address = label.as_str().to_string();
        let Some((_, bundled_version)) = bundled
            .iter()
            .find(|(source, _)| full_address(source) == full_address(&address))
        else {
            continue;
        };
        let pinned = match block.body.get_attribute("version").map(|a| &a.value) {
            Some(Expression::String(s)) => s.value().to_string(),
            Some(_) => {
                return Err(LockFileError::Provider {
                    file,
                    address,
                    reason: "version is not a string".to_string(),
                });
            }
            None => {
                return Err(LockFileError::Provider {
                    file,
                    address,
                    reason: "has no version".to_string(),
                });
            }
        };
        if pinned != *bundled_version {
            notes.push(LockNote {
                address: full_address(&address),
                pinned,
                bundled: bundled_version.to_string(),
            });
        }
    }
    Ok(notes)
}

/// The provider releases `providers/offline` bundles (source address, version); a unit test
/// keeps this list equal to the schema files it ships.
pub const BUNDLED: [(&str, &str); 3] = [
    ("bpg/proxmox", "0.94.0"),
    ("hashicorp/tls", "4.2.1"),
    ("hashicorp/random", "3.8.1"),
];

/// The notes of every lock file in `dirs` (relative to `root`), once per provider and
/// pinned version, with the lock files that could not be read.
pub fn notes_once(root: &Path, dirs: &[&str]) -> (Vec<LockNote>, Vec<LockFileError>) {
    let mut notes: Vec<LockNote> = Vec::new();
    let mut errors = Vec::new();
    for dir in dirs {
        match version_notes(&root.join(dir), &BUNDLED) {
            Ok(found) => {
                for note in found {
                    if !notes.contains(&note) {
                        notes.push(note);
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    (notes, errors)
}

/// `bpg/proxmox` → `registry.terraform.io/bpg/proxmox`; a full address is kept, lower-cased
/// like Terraform compares them.
fn full_address(address: &str) -> String {
    let address = address.to_ascii_lowercase();
    if address.split('/').count() == 2 {
        format!("{DEFAULT_REGISTRY}/{address}")
    } else {
        address
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_is_what_providers_offline_ships() {
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("providers/offline/schemas");
        for (source, version) in super::BUNDLED {
            let file = schemas.join(format!("{}-{version}.json", source.replace('/', "-")));
            assert!(file.is_file(), "{} is not bundled", file.display());
        }
    }

    #[test]
    fn a_pin_seen_in_two_directories_is_one_note() {
        let root = tempfile::tempdir().unwrap();
        let lock = "provider \"registry.terraform.io/bpg/proxmox\" {\n  version = \"0.93.1\"\n}\n";
        for dir in ["a", "b"] {
            std::fs::create_dir_all(root.path().join(dir)).unwrap();
            std::fs::write(root.path().join(dir).join(LOCK_FILE_NAME), lock).unwrap();
        }
        let (notes, errors) = notes_once(root.path(), &["a", "b", "c"]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].pinned, "0.93.1");
    }

    const BUNDLED: &[(&str, &str)] = &[
        ("bpg/proxmox", "0.94.0"),
        ("hashicorp/tls", "4.2.1"),
        ("registry.terraform.io/hashicorp/random", "3.8.1"),
    ];

    fn dir_with(lock: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE_NAME), lock).unwrap();
        dir
    }

    const LOCK: &str = r#"# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/bpg/proxmox" {
  version     = "0.93.1"
  constraints = "~> 0.93"
  hashes = [
    "h1:abc=",
  ]
}

provider "registry.terraform.io/hashicorp/tls" {
  version = "4.2.1"
}

provider "registry.terraform.io/hashicorp/random" {
  version = "3.7.2"
}

provider "registry.terraform.io/hashicorp/aws" {
  version = "5.100.0"
}
"#;

    #[test]
    fn each_provider_pinned_at_another_version_gets_one_note() {
        let dir = dir_with(LOCK);
        let notes = version_notes(dir.path(), BUNDLED).unwrap();
        assert_eq!(
            notes,
            vec![
                LockNote {
                    address: "registry.terraform.io/bpg/proxmox".to_string(),
                    pinned: "0.93.1".to_string(),
                    bundled: "0.94.0".to_string(),
                },
                LockNote {
                    address: "registry.terraform.io/hashicorp/random".to_string(),
                    pinned: "3.7.2".to_string(),
                    bundled: "3.8.1".to_string(),
                },
            ]
        );
    }

    #[test]
    fn no_lock_file_means_no_notes() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(version_notes(dir.path(), BUNDLED).unwrap(), Vec::new());
    }

    #[test]
    fn matching_pins_give_no_notes() {
        let dir = dir_with(
            "provider \"registry.terraform.io/bpg/proxmox\" {\n  version = \"0.94.0\"\n}\n",
        );
        assert!(version_notes(dir.path(), BUNDLED).unwrap().is_empty());
    }

    #[test]
    fn invalid_hcl_names_the_file_and_line() {
        let dir = dir_with("provider \"registry.terraform.io/bpg/proxmox\" {\n  version = \n}\n");
        match version_notes(dir.path(), BUNDLED).unwrap_err() {
            LockFileError::Hcl { file, line, .. } => {
                assert!(file.ends_with(LOCK_FILE_NAME));
                assert!(line >= 2, "line {line}");
            }
            other => panic!("expected an HCL error, got {other:?}"),
        }
    }

    #[test]
    fn a_bundled_provider_without_a_version_is_an_error() {
        let dir = dir_with("provider \"registry.terraform.io/hashicorp/tls\" {\n}\n");
        assert!(matches!(
            version_notes(dir.path(), BUNDLED).unwrap_err(),
            LockFileError::Provider { .. }
        ));
    }
}
