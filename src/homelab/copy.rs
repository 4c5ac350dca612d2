//! A scratch copy of the repository under test, for scenarios that change it (growth cases,
//! bad input): the suite never writes into `SPEC_ROOT`. Links are copied as links, so that
//! a copy keeps the layout discovery follows; the build output, the reports and the Git
//! directory are left out (they are large and no check reads them).

use std::path::{Path, PathBuf};

use crate::copy_tree::{Links, copy_tree};

/// Directories at the root that are not part of the homelab.
pub const SKIPPED: [&str; 3] = ["target", ".git", "reports"];

/// Why a copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("cannot create a scratch directory: {0}")]
    Scratch(#[source] std::io::Error),
    #[error("cannot copy {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A copy of the repository in a temporary directory, removed when dropped.
#[derive(Debug)]
pub struct RepositoryCopy {
    scratch: tempfile::TempDir,
    /// The copy's root.
    pub root: PathBuf,
}

impl RepositoryCopy {
    /// Every path in the scratch directory (the copy and anything beside it), relative to
    /// it, with each file's size, sorted: two snapshots differ when a step wrote into the
    /// copy or left something beside it.
    pub fn snapshot(&self) -> Result<Vec<(String, u64)>, CopyError> {
        let mut entries = Vec::new();
        list(self.scratch.path(), self.scratch.path(), &mut entries)?;
        entries.sort();
        Ok(entries)
    }

    /// The temporary directory holding the copy (in `repo/`) and room for tools beside it.
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }
}

/// Copies `root` into a new temporary directory (under `parent`, or the system's).
pub fn copy_repository(root: &Path, parent: Option<&Path>) -> Result<RepositoryCopy, CopyError> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("homelab-spec-copy-");
        b
    };
    let scratch = match parent {
        Some(dir) => builder.tempdir_in(dir),
        None => builder.tempdir(),
    }
    .map_err(CopyError::Scratch)?;
    let copy = scratch.path().join("repo");
    let at_root = |p: &Path| SKIPPED.iter().any(|s| p == Path::new(s));
    copy_tree(root, &copy, Links::Keep, &at_root).map_err(|e| CopyError::Io {
        path: e.path,
        source: e.source,
    })?;
    Ok(RepositoryCopy {
        scratch,
        root: copy,
    })
}

fn list(base: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> Result<(), CopyError> {
    let io = |source| CopyError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let meta = path.symlink_metadata().map_err(io)?;
        let name = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .display()
            .to_string();
        out.push((name, if meta.is_file() { meta.len() } else { 0 }));
        if meta.is_dir() {
            list(base, &path, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stay_links_and_build_output_is_left_out() {
        let original = tempfile::tempdir().unwrap();
        let root = original.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::write(root.join("a/b/file.txt"), "text").unwrap();
        std::os::unix::fs::symlink("b/file.txt", root.join("a/link.txt")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("a/dangling")).unwrap();

        let copy = copy_repository(root, None).unwrap();
        assert_eq!(
            std::fs::read_to_string(copy.root.join("a/b/file.txt")).unwrap(),
            "text"
        );
        assert_eq!(
            std::fs::read_link(copy.root.join("a/link.txt")).unwrap(),
            Path::new("b/file.txt")
        );
        assert!(copy.root.join("a/dangling").symlink_metadata().is_ok());
        assert!(!copy.root.join("target").exists());
        let before = copy.snapshot().unwrap();
        std::fs::write(copy.scratch().join("left-behind"), "x").unwrap();
        assert_ne!(copy.snapshot().unwrap(), before);
        let scratch = copy.scratch().to_path_buf();
        drop(copy);
        assert!(!scratch.exists());
    }
}
