//! The homelab's own files, found by walking a directory of the repository under test. Left
//! out: vendored code (directories named `node_modules`, `bats` or `bats-*`, which is where
//! `test_helper/` vendors bats' libraries; hidden directories such as `.git` and
//! `.terraform`; the git submodules `.gitmodules` lists) and, at the root, what the suite
//! itself writes there (`target`, `reports`). The BATS files and the promtool unit-test
//! files are found this way.

use std::collections::BTreeSet;
use std::path::Path;

use super::copy::SKIPPED;
use super::error::DiscoveryError;
use super::repo_fs::{Located, RepoFs};

/// What a walk does with a link to a file. A linked directory is never walked: its files
/// are found where they really are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileLinks {
    /// Every link is followed and checked, whatever it names (one that points nowhere or out
    /// of the repository is an error); a linked file that is wanted counts where it really
    /// is.
    Followed,
    /// Links are left out, unchecked.
    Ignored,
}

/// Every file under `dir` (absolute, inside the root) that `wanted` accepts by its name and
/// path, relative to the root, sorted.
pub(crate) fn files_under(
    fs: &RepoFs,
    dir: &Path,
    links: FileLinks,
    wanted: impl Fn(&str, &Path) -> bool,
) -> Result<Vec<String>, DiscoveryError> {
    let walk = Walk {
        fs,
        links,
        wanted: &wanted,
        submodules: submodules(fs.root()),
    };
    let mut found = BTreeSet::new();
    walk.dir(dir, &mut found)?;
    Ok(found.into_iter().collect())
}

/// Whether a directory of that name holds vendored code (or is hidden).
fn is_vendored_name(name: &str) -> bool {
    name == "node_modules" || name == "bats" || name.starts_with("bats-") || name.starts_with('.')
}

/// The submodule paths `.gitmodules` lists, relative to the root.
fn submodules(root: &Path) -> BTreeSet<String> {
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

/// One walk: its rules and the submodules it leaves out.
struct Walk<'a> {
    fs: &'a RepoFs,
    links: FileLinks,
    wanted: &'a dyn Fn(&str, &Path) -> bool,
    submodules: BTreeSet<String>,
}

impl Walk<'_> {
    fn dir(&self, dir: &Path, found: &mut BTreeSet<String>) -> Result<(), DiscoveryError> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let relative = self.fs.relative(&path);
            if is_vendored_name(&name)
                || self.submodules.contains(&relative)
                || (dir == self.fs.root() && SKIPPED.contains(&name.as_str()))
            {
                continue;
            }
            if kind.is_dir() {
                self.dir(&path, found)?;
            } else if kind.is_symlink() {
                if self.links == FileLinks::Followed
                    && let Located::Found(real) = self.fs.locate(&path)?
                    && real.is_file()
                    && (self.wanted)(&name, &real)
                {
                    found.insert(self.fs.relative(&real));
                }
            } else if kind.is_file() && (self.wanted)(&name, &path) {
                found.insert(relative);
            }
        }
        Ok(())
    }
}
