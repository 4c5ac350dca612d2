//! Path helpers below every module that reads the repository: lexical normalisation and the
//! error number of a link loop. The repository's access layer (`homelab::repo_fs`) and the
//! one tree copy (`copy_tree`) both follow links with them, and neither depends on the other.

use std::path::{Component, Path, PathBuf};

/// Linux's "too many levels of symbolic links".
pub(crate) const ELOOP: i32 = 40;

/// Removes `.` and `..` without touching the file system (links are followed later, one
/// component at a time).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_go_without_the_file_system() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
        assert_eq!(normalize(Path::new("a/b/../../c")), Path::new("c"));
    }
}
