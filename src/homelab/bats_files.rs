//! The BATS files of the homelab: every `*.bats` under `tests/`, except vendored code: git
//! submodules (the paths `.gitmodules` lists), `node_modules`, and bats' own libraries
//! (directories named `bats`, `bats-core`, `bats-support`, `bats-assert`, `bats-file`, or any
//! other `bats-*`, which is where `test_helper/` vendors them).

use std::collections::BTreeSet;
use std::path::Path;

use super::error::DiscoveryError;
use super::repo_fs::{Located, RepoFs};

/// Where the BATS files live, relative to the root.
pub const TESTS_DIR: &str = "tests";

/// Whether a directory of that name holds vendored code.
pub(crate) fn is_vendored_name(name: &str) -> bool {
    name == "node_modules" || name == "bats" || name.starts_with("bats-") || name.starts_with('.')
}

/// The submodule paths `.gitmodules` lists, relative to the root.
pub(crate) fn submodules(root: &Path) -> BTreeSet<String> {
    let Ok(text) = std::fs::read_to_string(root.join(".gitmodules")) else {
        return BTreeSet::new();
    };
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "path").then(|| value.trim().trim_end_matches('/').to_string())
        })
        .collect()
}

/// Every non-vendored `*.bats` under `tests/`, relative to the root, links resolved, sorted.
pub(crate) fn bats_files(fs: &RepoFs) -> Result<Vec<String>, DiscoveryError> {
    let skip = submodules(fs.root());
    let mut found = BTreeSet::new();
    walk(fs, &fs.root().join(TESTS_DIR), &skip, &mut found)?;
    Ok(found.into_iter().collect())
}

fn walk(
    fs: &RepoFs,
    dir: &Path,
    skip: &BTreeSet<String>,
    found: &mut BTreeSet<String>,
) -> Result<(), DiscoveryError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let as_found = fs.relative(&entry.path());
        if is_vendored_name(&name) || skip.contains(&as_found) {
            continue;
        }
        if kind.is_dir() {
            walk(fs, &entry.path(), skip, found)?;
        } else if kind.is_symlink() {
            // Checked whatever it is (a link out of the repository is an error); a linked
            // directory is not walked, its files are found where they really are.
            if let Located::Found(path) = fs.locate(&entry.path())?
                && name.ends_with(".bats")
                && path.is_file()
            {
                found.insert(fs.relative(&path));
            }
        } else if name.ends_with(".bats") {
            found.insert(as_found);
        }
    }
    Ok(())
}
