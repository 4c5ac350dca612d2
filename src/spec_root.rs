//! Which repository the suite checks: `SPEC_ROOT`, or the crate root by default.

use std::path::{Path, PathBuf};

/// The environment variable that points the suite at another checkout.
pub const ENV_VAR: &str = "SPEC_ROOT";

/// The root of the repository under test. The suite reads from it and never writes into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRoot(PathBuf);

impl SpecRoot {
    /// Resolves `SPEC_ROOT` (or `default` when unset or empty) to an existing directory.
    pub fn resolve(value: Option<&str>, default: &Path) -> Result<Self, String> {
        let path = match value {
            Some(v) if !v.trim().is_empty() => PathBuf::from(v),
            _ => default.to_path_buf(),
        };
        if !path.exists() {
            return Err(format!(
                "{ENV_VAR}={} does not exist: point it at a checkout of the homelab repository",
                path.display()
            ));
        }
        if !path.is_dir() {
            return Err(format!(
                "{ENV_VAR}={} is not a directory: point it at a checkout of the homelab repository",
                path.display()
            ));
        }
        let path = path
            .canonicalize()
            .map_err(|e| format!("{ENV_VAR}={}: {e}", path.display()))?;
        Ok(Self(path))
    }

    /// Reads `SPEC_ROOT` from the environment; the crate root when unset.
    pub fn from_env() -> Result<Self, String> {
        let value = std::env::var(ENV_VAR).ok();
        Self::resolve(value.as_deref(), Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A path inside the repository under test.
    pub fn join(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.0.join(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_means_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let root = SpecRoot::resolve(None, dir.path()).unwrap();
        assert_eq!(root.path(), dir.path().canonicalize().unwrap());
    }

    #[test]
    fn a_missing_directory_is_named() {
        let err = SpecRoot::resolve(Some("/no/such/checkout"), Path::new("/")).unwrap_err();
        assert!(err.contains("/no/such/checkout does not exist"), "{err}");
    }

    #[test]
    fn a_file_is_not_a_checkout() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = SpecRoot::resolve(file.path().to_str(), Path::new("/")).unwrap_err();
        assert!(err.contains("is not a directory"), "{err}");
    }
}
