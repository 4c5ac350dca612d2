//! Scratch copies of the repository under test: every tool runs in one, as the homelab's
//! own CI runs it in a checkout (Terraform in place in each module and environment, BATS
//! from the root), and the scenarios that change the homelab (growth cases, bad input)
//! change one. The suite never writes into `SPEC_ROOT`.
//!
//! Links are copied as links, so that a copy keeps the layout Terraform and bash follow; a
//! link that leaves the repository or loops is left out and named
//! ([`RepositoryCopy::refused_links`]): only the runs that read through it fail. The build
//! output, the reports, the Git directory, Terraform's `.terraform/` and state files are left
//! out (large, or a checkout's own state no test reads). A copy never enters its own scratch
//! directory or the directory scratch copies are made in, and stops at [`Limit::REPOSITORY`]
//! with a `copy/too-big` finding naming the biggest directories.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use super::error::DiscoveryError;
use crate::copy_tree::{CopyTreeError, Limit, Links, RefusedLink, Rules, copy_tree_with};
use crate::finding::Finding;

/// Directories at the root that are not part of the homelab.
pub(crate) const SKIPPED: [&str; 3] = ["target", ".git", "reports"];

/// Finding ids of a copy that could not be made.
pub(crate) mod ids {
    use crate::finding::FindingId;
    /// The root holds more than a homelab repository would ([`crate::copy_tree::Limit`]).
    pub(crate) const TOO_BIG: FindingId = FindingId::new("copy/too-big");
    /// A file could not be read or written.
    pub(crate) const IO: FindingId = FindingId::new("copy/io");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "copy",
        ids::TOO_BIG,
        crate::finding::Depth::Offline,
        "the root holds more than a homelab repository would, so it is not copied",
    ),
    crate::finding::Check::new(
        "copy",
        ids::IO,
        crate::finding::Depth::Offline,
        "a file could not be read or written while copying the repository",
    ),
];

/// Why a copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("cannot create a scratch directory in {}: {source}", parent.display())]
    Scratch {
        parent: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tree(#[from] CopyTreeError),
}

impl CopyError {
    /// The error as a finding: `copy/too-big` naming the biggest directories, or `copy/io`.
    pub fn finding(&self) -> Finding {
        match self {
            CopyError::Tree(CopyTreeError::TooBig {
                limit,
                files,
                bytes,
                biggest,
                ..
            }) => Finding::new(ids::TOO_BIG, ".", self.to_string())
                .about(biggest.first().map_or(".", |(dir, _)| dir.as_str()))
                .expected(format!(
                    "at most {} files and {} MB",
                    limit.files,
                    limit.bytes / (1024 * 1024)
                ))
                .found(format!("more than {files} files or {bytes} bytes")),
            CopyError::Tree(CopyTreeError::Io { path, .. }) => {
                Finding::new(ids::IO, path.display().to_string(), self.to_string())
            }
            CopyError::Scratch { parent, .. } => {
                Finding::new(ids::IO, parent.display().to_string(), self.to_string())
            }
        }
    }
}

/// A copy of the repository in a temporary directory, removed when dropped.
#[derive(Debug)]
pub struct RepositoryCopy {
    scratch: tempfile::TempDir,
    /// The copy's root.
    pub root: PathBuf,
    /// Links left out, as `layout/link-outside` and `layout/link-loop` findings (the file is
    /// the link, relative to the root).
    refused: Vec<Finding>,
}

impl RepositoryCopy {
    /// Every path in the scratch directory (the copy and anything beside it), relative to
    /// it, with each file's size, sorted: two snapshots differ when a step wrote into the
    /// copy or left something beside it.
    pub(crate) fn snapshot(&self) -> std::io::Result<Vec<(String, u64)>> {
        let mut entries = Vec::new();
        list(self.scratch.path(), self.scratch.path(), &mut entries)?;
        entries.sort();
        Ok(entries)
    }

    /// The temporary directory holding the copy (in `repo/`) and room for tools beside it.
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    /// Every link left out of the copy.
    pub(crate) fn refused_links(&self) -> &[Finding] {
        &self.refused
    }

    /// The links left out below any of `dirs` (relative to the root): a run that reads
    /// these directories would read through them.
    pub(crate) fn refused_links_under<'a>(
        &'a self,
        dirs: &'a [String],
    ) -> impl Iterator<Item = &'a Finding> + 'a {
        self.refused.iter().filter(move |f| {
            dirs.iter()
                .any(|dir| dir.is_empty() || f.file.starts_with(&format!("{dir}/")))
        })
    }
}

/// The copy of the repository under test shared by every caller until the last one drops
/// it (the module and environment runs of the repository under test, which Terraform only
/// reads: see `terraform::in_place`). A later caller gets a fresh copy. One per suite run,
/// kept by `terraform::RunnerContext`.
#[derive(Debug, Default)]
pub(crate) struct SharedCopy {
    slot: Mutex<Option<(PathBuf, Weak<RepositoryCopy>)>>,
}

impl SharedCopy {
    /// The shared copy of the repository at `root`, made when no caller holds one.
    pub(crate) fn of(&self, root: &Path) -> Result<Arc<RepositoryCopy>, CopyError> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((of, copy)) = slot.as_ref()
            && of == root
            && let Some(copy) = copy.upgrade()
        {
            return Ok(copy);
        }
        let copy = Arc::new(copy_repository(root, None)?);
        *slot = Some((root.to_path_buf(), Arc::downgrade(&copy)));
        Ok(copy)
    }
}

/// Copies `root` into a new temporary directory (under `parent`, or the system's).
pub(crate) fn copy_repository(
    root: &Path,
    parent: Option<&Path>,
) -> Result<RepositoryCopy, CopyError> {
    copy_repository_within(root, parent, Limit::REPOSITORY)
}

pub(crate) fn copy_repository_within(
    root: &Path,
    parent: Option<&Path>,
    limit: Limit,
) -> Result<RepositoryCopy, CopyError> {
    let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
    let scratch = tempfile::Builder::new()
        .prefix("homelab-spec-copy-")
        .tempdir_in(&parent)
        .map_err(|source| CopyError::Scratch {
            parent: parent.clone(),
            source,
        })?;
    let copy = scratch.path().join("repo");
    let skip = |p: &Path| {
        SKIPPED.iter().any(|s| p == Path::new(s)) || p.file_name().is_some_and(terraform_state)
    };
    let rules = Rules {
        links: Links::Keep,
        skip: &skip,
        // The scratch directory, and the directory scratch copies go to, may lie inside
        // the root (SPEC_ROOT=/tmp): the copy must not copy itself or the others.
        never_enter: vec![scratch.path().to_path_buf(), parent],
        limit,
    };
    let copied = copy_tree_with(root, &copy, &rules)?;
    let refused = copied
        .refused
        .iter()
        .map(|link| {
            let name = link.link().display().to_string();
            let error = match link {
                RefusedLink::Outside { target, .. } => DiscoveryError::LinkOutside {
                    link: name,
                    target: target.clone(),
                },
                RefusedLink::Loop { target, .. } => DiscoveryError::LinkLoop {
                    link: name,
                    target: target.clone(),
                },
            };
            error.findings().remove(0)
        })
        .collect();
    Ok(RepositoryCopy {
        scratch,
        root: copy,
        refused,
    })
}

/// Terraform's own state of a checkout: never copied, so that a copy starts clean.
fn terraform_state(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name == ".terraform" || name.ends_with(".tfstate") || name.ends_with(".tfstate.backup")
}

fn list(base: &Path, dir: &Path, out: &mut Vec<(String, u64)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let meta = path.symlink_metadata()?;
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
    fn links_stay_links_and_build_output_and_terraform_state_are_left_out() {
        let original = tempfile::tempdir().unwrap();
        let root = original.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::create_dir_all(root.join("a/.terraform/providers")).unwrap();
        std::fs::write(root.join("a/terraform.tfstate"), "{}").unwrap();
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
        assert!(!copy.root.join("a/.terraform").exists());
        assert!(!copy.root.join("a/terraform.tfstate").exists());
        assert!(copy.refused_links().is_empty());
        let before = copy.snapshot().unwrap();
        std::fs::write(copy.scratch().join("left-behind"), "x").unwrap();
        assert_ne!(copy.snapshot().unwrap(), before);
        let scratch = copy.scratch().to_path_buf();
        drop(copy);
        assert!(!scratch.exists());
    }

    #[test]
    fn links_out_of_the_repository_or_looping_are_named_and_left_out() {
        let original = tempfile::tempdir().unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        let root = original.path();
        crate::test_support::write(root, "env/prod/main.tf", "");
        crate::test_support::link(
            root,
            "env/prod/secrets.tfvars",
            outside.path().to_str().unwrap(),
        );
        crate::test_support::link(root, "env/shared", "..");
        let copy = copy_repository(root, None).unwrap();
        let mut found = crate::finding::ids_and_subjects(copy.refused_links());
        found.sort();
        assert_eq!(
            found,
            [
                ("layout/link-loop".to_string(), "env/shared".to_string()),
                (
                    "layout/link-outside".to_string(),
                    "env/prod/secrets.tfvars".to_string()
                ),
            ]
        );
        let dirs = ["env/prod".to_string()];
        let under: Vec<_> = copy.refused_links_under(&dirs).map(|f| &f.file).collect();
        assert_eq!(under, ["env/prod/secrets.tfvars"]);
        assert!(copy.root.join("env/prod/main.tf").is_file());
    }

    #[test]
    fn a_copy_made_inside_the_root_does_not_copy_itself() {
        // SPEC_ROOT=/tmp with the scratch directory in /tmp, in small.
        let original = tempfile::tempdir().unwrap();
        let root = original.path();
        crate::test_support::write(root, "infrastructure/proxmox/modules/vm/main.tf", "");
        crate::test_support::write(root, "scratch/earlier-copy/x", "x");
        let parent = root.join("scratch");
        let first = copy_repository(root, Some(&parent)).unwrap();
        let second = copy_repository(root, Some(&parent)).unwrap();
        for copy in [&first, &second] {
            assert!(
                copy.root
                    .join("infrastructure/proxmox/modules/vm/main.tf")
                    .is_file()
            );
            assert!(
                !copy.root.join("scratch").exists(),
                "{}",
                copy.root.display()
            );
        }
    }

    #[test]
    fn a_copy_beyond_its_bound_is_a_finding_naming_the_biggest_directory() {
        let original = tempfile::tempdir().unwrap();
        let root = original.path();
        for i in 0..30 {
            crate::test_support::write(root, &format!("home/videos/{i}.mkv"), "frames");
        }
        crate::test_support::write(root, "notes.txt", "x");
        let limit = Limit {
            files: 20,
            bytes: 1_000_000,
        };
        let error = copy_repository_within(root, None, limit).unwrap_err();
        let finding = error.finding();
        assert_eq!(finding.id, ids::TOO_BIG);
        assert_eq!(finding.subject(), "home");
        assert!(finding.message.contains("home/videos"), "{finding}");
    }

    /// The figures in the README: what a copy of this repository costs, and of one grown
    /// to 30 BATS files and 9 Terraform directories.
    /// `cargo test --lib copy_cost -- --ignored --nocapture`
    #[test]
    #[ignore = "prints timings"]
    fn copy_cost() {
        let this = Path::new(env!("CARGO_MANIFEST_DIR"));
        let time = |root: &Path| {
            let runs = 10;
            let mut copying = std::time::Duration::ZERO;
            let mut copied = (0, 0);
            for _ in 0..runs {
                let started = std::time::Instant::now();
                let copy = copy_repository(root, None).unwrap();
                copying += started.elapsed();
                copied = copy
                    .snapshot()
                    .unwrap()
                    .iter()
                    .fold((0, 0), |(n, b), (_, size)| (n + 1, b + size));
            }
            (copying / runs, copied)
        };
        let (mean, (entries, bytes)) = time(this);
        println!(
            "this repository: {entries} entries, {} KB: {mean:?} per copy",
            bytes / 1024
        );
        let grown = copy_repository(this, None).unwrap();
        let bats = std::fs::read_to_string(this.join("tests/restore/test_common.bats")).unwrap();
        for i in 0..28 {
            crate::test_support::write(&grown.root, &format!("tests/grown/test_{i}.bats"), &bats);
        }
        let modules = grown.root.join("infrastructure/proxmox/modules");
        for (i, to) in [
            "modules/vm2",
            "modules/lxc2",
            "environments/prod",
            "environments/lab",
        ]
        .iter()
        .enumerate()
        {
            let from = modules.join(["vm", "lxc", "minio", "backup"][i]);
            let to = grown.root.join("infrastructure/proxmox").join(to);
            crate::copy_tree::copy_tree(&from, &to, Links::Keep, &|_| false).unwrap();
        }
        let (mean, (entries, bytes)) = time(&grown.root);
        println!(
            "grown to 30 BATS files and 9 Terraform directories: {entries} entries, {} KB: {mean:?} per copy, {:?} for one copy per BATS file",
            bytes / 1024,
            mean * 30
        );
    }
}
