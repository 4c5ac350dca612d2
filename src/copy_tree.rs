//! Copying a directory tree into a scratch directory: the one way the suite copies a module,
//! the operations scripts or the whole repository before it runs or changes anything there
//! (it never writes into `SPEC_ROOT`). File permissions are kept, so scripts stay executable.

use std::path::{Path, PathBuf};

/// What to do with a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// Copy what it points to: the copy stands alone (a module copied on its own).
    Follow,
    /// Copy the link itself: the copy keeps the layout (a whole repository).
    Keep,
}

/// A file or directory that could not be copied.
#[derive(Debug, thiserror::Error)]
#[error("cannot copy {}: {source}", path.display())]
pub struct CopyTreeError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Copies `from` into `to` (created), leaving out every entry whose path relative to
/// `from` `skip` names.
pub fn copy_tree(
    from: &Path,
    to: &Path,
    links: Links,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<(), CopyTreeError> {
    copy_below(from, to, Path::new(""), links, skip)
}

fn copy_below(
    from: &Path,
    to: &Path,
    relative: &Path,
    links: Links,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<(), CopyTreeError> {
    let at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CopyTreeError { path, source }
    };
    std::fs::create_dir_all(to).map_err(at(to))?;
    for entry in std::fs::read_dir(from).map_err(at(from))? {
        let entry = entry.map_err(at(from))?;
        let name = entry.file_name();
        let inside = relative.join(&name);
        if skip(&inside) {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        let kind = entry.file_type().map_err(at(&source))?;
        if kind.is_symlink() && links == Links::Keep {
            let points_to = std::fs::read_link(&source).map_err(at(&source))?;
            std::os::unix::fs::symlink(&points_to, &target).map_err(at(&target))?;
        } else if source.is_dir() {
            copy_below(&source, &target, &inside, links, skip)?;
        } else {
            std::fs::copy(&source, &target).map_err(at(&source))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            dir.path().join("a/b/run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("skip/me")).unwrap();
        std::os::unix::fs::symlink("b/run.sh", dir.path().join("a/link.sh")).unwrap();
        dir
    }

    #[test]
    fn links_are_followed_or_kept_and_skipped_paths_left_out() {
        let from = tree();
        for links in [Links::Follow, Links::Keep] {
            let to = tempfile::tempdir().unwrap();
            copy_tree(from.path(), to.path(), links, &|p| p == Path::new("skip")).unwrap();
            assert!(!to.path().join("skip").exists());
            let mode = std::fs::metadata(to.path().join("a/b/run.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "still executable");
            let link = std::fs::symlink_metadata(to.path().join("a/link.sh")).unwrap();
            assert_eq!(link.file_type().is_symlink(), links == Links::Keep);
        }
    }
}
