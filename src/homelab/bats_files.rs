//! The BATS files of the homelab: every `*.bats` under `tests/`, vendored code left out as
//! [`super::walk`] says (git submodules, `node_modules`, bats' own libraries in `bats` and
//! `bats-*` directories, which is where `test_helper/` vendors them, hidden directories).
//! A link is checked whatever it names; a linked `*.bats` counts where it really is.

use super::error::DiscoveryError;
use super::repo_fs::RepoFs;
use super::walk::{FileLinks, files_under};

/// Where the BATS files live, relative to the root.
pub const TESTS_DIR: &str = "tests";

/// Every non-vendored `*.bats` under `tests/`, relative to the root, links resolved, sorted.
pub(crate) fn bats_files(fs: &RepoFs) -> Result<Vec<String>, DiscoveryError> {
    files_under(
        fs,
        &fs.root().join(TESTS_DIR),
        FileLinks::Followed,
        |name, _| name.ends_with(".bats"),
    )
}
