//! Which repository the suite checks: `SPEC_ROOT`, or the crate root by default.

use std::path::{Path, PathBuf};

/// The environment variable that points the suite at another checkout.
pub(crate) const ENV_VAR: &str = "SPEC_ROOT";

/// Why `SPEC_ROOT` cannot be the repository under test.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecRootError {
    #[error("{ENV_VAR}={} does not exist: point it at a checkout of the homelab repository", .0.display())]
    Missing(PathBuf),
    #[error("{ENV_VAR}={} is not a directory: point it at a checkout of the homelab repository", .0.display())]
    NotADirectory(PathBuf),
    #[error("{ENV_VAR}={}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
}

/// The root of the repository under test. The suite reads from it and never writes into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRoot(PathBuf);

impl SpecRoot {
    /// Resolves `SPEC_ROOT` (or `default` when unset or empty) to an existing directory.
    pub fn resolve(value: Option<&str>, default: &Path) -> Result<Self, SpecRootError> {
        let path = match value {
            Some(v) if !v.trim().is_empty() => PathBuf::from(v),
            _ => default.to_path_buf(),
        };
        if !path.exists() {
            return Err(SpecRootError::Missing(path));
        }
        if !path.is_dir() {
            return Err(SpecRootError::NotADirectory(path));
        }
        let path = path.canonicalize().map_err(|e| SpecRootError::Unreadable {
            reason: e.to_string(),
            path,
        })?;
        Ok(Self(path))
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
        assert_eq!(err, SpecRootError::Missing("/no/such/checkout".into()));
    }

    #[test]
    fn a_file_is_not_a_checkout() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = SpecRoot::resolve(file.path().to_str(), Path::new("/")).unwrap_err();
        assert!(matches!(err, SpecRootError::NotADirectory(_)), "{err}");
    }
}
