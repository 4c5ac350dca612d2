//! The homelab's `.terraform.lock.hcl`: which version of each provider `terraform init`
//! installed last and will install again. Read as Terraform's `depsfile` reads it: one
//! `provider "<address>"` block per provider with a `version` string; `constraints` and
//! `hashes` are not needed offline. What the pins must satisfy is
//! [`super::init_check`]'s concern.

use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;

use super::constraints::Version;
use super::requirements::ProviderAddress;

/// The lock file Terraform writes next to a module's or environment's configuration.
pub(crate) const LOCK_FILE_NAME: &str = ".terraform.lock.hcl";

/// One `provider` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LockedProvider {
    pub address: ProviderAddress,
    pub version: Version,
    /// The block's 1-based line.
    pub line: usize,
}

/// Why the lock file could not be read; `terraform init` refuses it too.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LockFileError {
    #[error("{file}: cannot read: {message}", file = .file.display())]
    Read { file: PathBuf, message: String },
    #[error("{file}:{line}:{column}: not valid HCL: {message}", file = .file.display())]
    Hcl {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}:{line}: provider {address:?}: {reason}", file = .file.display())]
    Provider {
        file: PathBuf,
        line: usize,
        address: String,
        reason: String,
    },
}

impl LockFileError {
    /// The file and line the error is about.
    pub(crate) fn location(&self) -> (&Path, Option<usize>) {
        match self {
            LockFileError::Read { file, .. } => (file, None),
            LockFileError::Hcl { file, line, .. } | LockFileError::Provider { file, line, .. } => {
                (file, Some(*line))
            }
        }
    }
}

/// The providers `dir/.terraform.lock.hcl` pins, in the file's order; `None` when there is
/// no lock file.
pub(crate) fn read(dir: &Path) -> Result<Option<Vec<LockedProvider>>, LockFileError> {
    let file = dir.join(LOCK_FILE_NAME);
    let source = match std::fs::read_to_string(&file) {
        Ok(source) => source,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(LockFileError::Read {
                file,
                message: e.to_string(),
            });
        }
    };
    parse(&file, &source).map(Some)
}

/// Reads the text of a lock file; `file` only names it in errors.
pub(crate) fn parse(file: &Path, source: &str) -> Result<Vec<LockedProvider>, LockFileError> {
    let body = hcl_edit::parser::parse_body(source).map_err(|e| LockFileError::Hcl {
        file: file.to_path_buf(),
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })?;
    let line_of = |span: Option<std::ops::Range<usize>>| {
        let offset = span.map_or(0, |s| s.start).min(source.len());
        source[..offset].matches('\n').count() + 1
    };
    let mut locked = Vec::new();
    for block in body.blocks() {
        let line = line_of(block.span());
        let problem = |address: &str, reason: &str| LockFileError::Provider {
            file: file.to_path_buf(),
            line,
            address: address.to_string(),
            reason: reason.to_string(),
        };
        if block.ident.as_str() != "provider" {
            return Err(problem(
                block.ident.as_str(),
                "unsupported block type: a lock file has only provider blocks",
            ));
        }
        let [label] = block.labels.as_slice() else {
            return Err(problem(
                "",
                "a provider block has exactly one label, its address",
            ));
        };
        let address_text = label.as_str();
        let address = ProviderAddress::parse(address_text)
            .ok_or_else(|| problem(address_text, "not a provider address"))?;
        let version = match block.body.get_attribute("version").map(|a| &a.value) {
            Some(Expression::String(s)) => Version::parse(s.value())
                .map_err(|e| problem(address_text, &format!("version: {}", e.reason)))?,
            Some(_) => return Err(problem(address_text, "version is not a string")),
            None => return Err(problem(address_text, "has no version")),
        };
        if locked.iter().any(|l: &LockedProvider| l.address == address) {
            return Err(problem(address_text, "is locked twice"));
        }
        locked.push(LockedProvider {
            address,
            version,
            line,
        });
    }
    Ok(locked)
}

#[cfg(test)]
mod tests {
    use super::*;

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
"#;

    fn dir_with(lock: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE_NAME), lock).unwrap();
        dir
    }

    #[test]
    fn each_provider_block_is_an_address_a_version_and_a_line() {
        let dir = dir_with(LOCK);
        let locked = read(dir.path()).unwrap().unwrap();
        let found: Vec<(String, String, usize)> = locked
            .iter()
            .map(|l| (l.address.full(), l.version.to_string(), l.line))
            .collect();
        assert_eq!(
            found,
            vec![
                (
                    "registry.terraform.io/bpg/proxmox".to_string(),
                    "0.93.1".to_string(),
                    2
                ),
                (
                    "registry.terraform.io/hashicorp/tls".to_string(),
                    "4.2.1".to_string(),
                    10
                ),
            ]
        );
    }

    #[test]
    fn no_lock_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), None);
    }

    #[test]
    fn invalid_hcl_names_the_file_and_line() {
        let dir = dir_with("provider \"registry.terraform.io/bpg/proxmox\" {\n  version = \n}\n");
        match read(dir.path()).unwrap_err() {
            LockFileError::Hcl { file, line, .. } => {
                assert!(file.ends_with(LOCK_FILE_NAME));
                assert!(line >= 2, "line {line}");
            }
            other => panic!("expected an HCL error, got {other:?}"),
        }
    }

    #[test]
    fn a_provider_without_a_readable_version_is_an_error() {
        for bad in [
            "provider \"registry.terraform.io/hashicorp/tls\" {\n}\n",
            "provider \"registry.terraform.io/hashicorp/tls\" {\n  version = 4\n}\n",
            "provider \"registry.terraform.io/hashicorp/tls\" {\n  version = \"~> 4.0\"\n}\n",
            "provider \"not an address\" {\n  version = \"4.0.0\"\n}\n",
            "module \"x\" {\n}\n",
        ] {
            let dir = dir_with(bad);
            assert!(
                matches!(read(dir.path()), Err(LockFileError::Provider { .. })),
                "{bad}"
            );
        }
    }
}
