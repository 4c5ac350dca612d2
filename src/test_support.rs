//! Building small homelabs in temporary directories, for unit tests.

use std::path::Path;

/// Writes `text` at `root/relative`, creating the directories.
pub(crate) fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Makes `root/relative` a symlink to `target`, creating the directories.
pub(crate) fn link(root: &Path, relative: &str, target: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, path).unwrap();
}
