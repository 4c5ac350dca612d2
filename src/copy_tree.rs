//! Copying a directory tree into a scratch directory: the one way the suite copies the
//! operations scripts or the whole repository before it runs or changes anything there
//! (it never writes into `SPEC_ROOT`). File permissions are kept, so scripts stay executable.
//!
//! A copy cannot eat the disk: it never enters the directories it is told to stay out of
//! (its own destination, the scratch directory), and it stops at a bound on files and bytes,
//! naming the biggest directories it had seen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::paths::ELOOP;

/// What to do with a symbolic link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// Copy what it points to: the copy stands alone (the scripts copied on their own).
    Follow,
    /// Copy the link itself: the copy keeps the layout (a whole repository). A link that
    /// leaves the tree or loops back onto a directory above it is left out and reported
    /// ([`Copied::refused`]).
    Keep,
}

/// How much a copy may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub files: u64,
    pub bytes: u64,
}

impl Limit {
    /// Generous for a homelab repository (this one: about 260 files, 3 MB without `.git`
    /// and `target`), small enough that a `SPEC_ROOT` pointing at `/`, a home directory or
    /// `/tmp` stops within a second or two.
    pub(crate) const REPOSITORY: Limit = Limit {
        files: 20_000,
        bytes: 500 * 1024 * 1024,
    };
    /// No bound (a known small tree).
    pub const NONE: Limit = Limit {
        files: u64::MAX,
        bytes: u64::MAX,
    };
}

/// What a copy obeys besides its source and destination.
pub(crate) struct Rules<'a> {
    pub links: Links,
    /// Leaves out every entry whose path relative to the source it names.
    pub skip: &'a dyn Fn(&Path) -> bool,
    /// Directories (absolute) the copy never enters, wherever they appear below the source.
    pub(crate) never_enter: Vec<PathBuf>,
    pub limit: Limit,
}

/// Why a link was left out of a copy ([`Links::Keep`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefusedLink {
    /// It resolves outside the tree copied.
    Outside { link: PathBuf, target: PathBuf },
    /// It points at itself through other links, or at a directory that contains it.
    Loop { link: PathBuf, target: PathBuf },
}

impl RefusedLink {
    /// The link, relative to the tree copied.
    pub(crate) fn link(&self) -> &Path {
        match self {
            RefusedLink::Outside { link, .. } | RefusedLink::Loop { link, .. } => link,
        }
    }
}

/// What a copy held, and what it left out.
#[derive(Debug, Default, Clone)]
pub(crate) struct Copied {
    pub files: u64,
    pub bytes: u64,
    pub refused: Vec<RefusedLink>,
}

/// Why a tree could not be copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyTreeError {
    #[error("cannot copy {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bound was reached: the biggest directories seen so far, by bytes.
    #[error(
        "{} holds more than {} files or {} MB: stopped after {files} files and {} MB; the biggest directories: {}",
        from.display(), limit.files, limit.bytes / (1024 * 1024), bytes / (1024 * 1024), biggest_text(.biggest)
    )]
    TooBig {
        from: PathBuf,
        limit: Limit,
        files: u64,
        bytes: u64,
        /// Directories relative to the source (at most two levels deep) with their bytes.
        biggest: Vec<(String, u64)>,
    },
}

fn biggest_text(biggest: &[(String, u64)]) -> String {
    biggest
        .iter()
        .map(|(dir, bytes)| format!("{dir} ({} KB)", bytes / 1024))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Copies `from` into `to` (created), leaving out every entry whose path relative to
/// `from` `skip` names. No bound: for trees the suite knows to be small.
pub(crate) fn copy_tree(
    from: &Path,
    to: &Path,
    links: Links,
    skip: &dyn Fn(&Path) -> bool,
) -> Result<Copied, CopyTreeError> {
    copy_tree_with(
        from,
        to,
        &Rules {
            links,
            skip,
            never_enter: vec![to.to_path_buf()],
            limit: Limit::NONE,
        },
    )
}

/// Copies `from` into `to` (created) as `rules` say.
pub(crate) fn copy_tree_with(
    from: &Path,
    to: &Path,
    rules: &Rules,
) -> Result<Copied, CopyTreeError> {
    let root = from.canonicalize().map_err(|source| CopyTreeError::Io {
        path: from.to_path_buf(),
        source,
    })?;
    let mut never_enter: Vec<PathBuf> = rules
        .never_enter
        .iter()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.clone()))
        .collect();
    // The destination is created now, so that its canonical path is known before the walk.
    std::fs::create_dir_all(to).map_err(|source| CopyTreeError::Io {
        path: to.to_path_buf(),
        source,
    })?;
    if let Ok(to) = to.canonicalize() {
        never_enter.push(to);
    }
    let mut walk = Walk {
        root,
        given_root: crate::paths::normalize(
            &std::path::absolute(from).unwrap_or_else(|_| from.to_path_buf()),
        ),
        rules,
        never_enter,
        copied: Copied::default(),
        sizes: BTreeMap::new(),
    };
    walk.copy_below(from, to, Path::new(""))?;
    Ok(walk.copied)
}

struct Walk<'a> {
    /// The source, canonical and as given (a dangling link cannot be resolved, only
    /// normalised from where it is).
    root: PathBuf,
    given_root: PathBuf,
    rules: &'a Rules<'a>,
    never_enter: Vec<PathBuf>,
    copied: Copied,
    /// Bytes per directory, two levels deep, for the finding of a copy that is too big.
    sizes: BTreeMap<PathBuf, u64>,
}

impl Walk<'_> {
    fn copy_below(&mut self, from: &Path, to: &Path, relative: &Path) -> Result<(), CopyTreeError> {
        let at = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CopyTreeError::Io { path, source }
        };
        std::fs::create_dir_all(to).map_err(at(to))?;
        for entry in std::fs::read_dir(from).map_err(at(from))? {
            let entry = entry.map_err(at(from))?;
            let name = entry.file_name();
            let inside = relative.join(&name);
            if (self.rules.skip)(&inside) {
                continue;
            }
            let source = entry.path();
            let target = to.join(&name);
            let kind = entry.file_type().map_err(at(&source))?;
            if kind.is_symlink() && self.rules.links == Links::Keep {
                let points_to = std::fs::read_link(&source).map_err(at(&source))?;
                if let Some(refused) = self.refused(&source, &inside, &points_to) {
                    self.copied.refused.push(refused);
                    continue;
                }
                std::os::unix::fs::symlink(&points_to, &target).map_err(at(&target))?;
            } else if source.is_dir() {
                let canonical = source.canonicalize().map_err(at(&source))?;
                if self.never_enter.contains(&canonical)
                    || (kind.is_symlink() && self.is_ancestor_of(&canonical, from))
                {
                    continue;
                }
                self.copy_below(&source, &target, &inside)?;
            } else {
                let bytes = std::fs::copy(&source, &target).map_err(at(&source))?;
                self.count(&inside, bytes)?;
            }
        }
        Ok(())
    }

    /// A followed link to a directory above the one being copied would copy forever.
    fn is_ancestor_of(&self, dir: &Path, from: &Path) -> bool {
        from.canonicalize().is_ok_and(|f| f.starts_with(dir))
    }

    /// Why a link must not be kept: it leads out of the tree or loops.
    fn refused(&self, source: &Path, inside: &Path, points_to: &Path) -> Option<RefusedLink> {
        let link = inside.to_path_buf();
        let target = points_to.to_path_buf();
        match source.canonicalize() {
            Err(e) if e.raw_os_error() == Some(ELOOP) => Some(RefusedLink::Loop { link, target }),
            // Pointing nowhere inside the tree behaves the same in a copy as in place.
            Err(_) => {
                let resolved = crate::paths::normalize(&source.parent()?.join(points_to));
                (!resolved.starts_with(&self.root) && !resolved.starts_with(&self.given_root))
                    .then_some(RefusedLink::Outside { link, target })
            }
            Ok(resolved) if !resolved.starts_with(&self.root) => {
                Some(RefusedLink::Outside { link, target })
            }
            Ok(resolved) => {
                let parent = source.parent()?.canonicalize().ok()?;
                (resolved.is_dir() && parent.starts_with(&resolved))
                    .then_some(RefusedLink::Loop { link, target })
            }
        }
    }

    fn count(&mut self, inside: &Path, bytes: u64) -> Result<(), CopyTreeError> {
        self.copied.files += 1;
        self.copied.bytes += bytes;
        let mut dir = PathBuf::new();
        for component in inside
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .take(2)
        {
            dir.push(component);
            *self.sizes.entry(dir.clone()).or_default() += bytes;
        }
        let limit = self.rules.limit;
        if self.copied.files > limit.files || self.copied.bytes > limit.bytes {
            let mut biggest: Vec<(String, u64)> = self
                .sizes
                .iter()
                .map(|(dir, bytes)| (dir.display().to_string(), *bytes))
                .collect();
            biggest.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            biggest.truncate(5);
            return Err(CopyTreeError::TooBig {
                from: self.root.clone(),
                limit,
                files: self.copied.files,
                bytes: self.copied.bytes,
                biggest,
            });
        }
        Ok(())
    }
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

    #[test]
    fn links_out_of_the_tree_or_looping_are_left_out_and_named() {
        let from = tree();
        let outside = tempfile::NamedTempFile::new().unwrap();
        let root = from.path();
        std::os::unix::fs::symlink(outside.path(), root.join("a/out")).unwrap();
        std::os::unix::fs::symlink("/no/such/place", root.join("a/out-dangling")).unwrap();
        std::os::unix::fs::symlink("self", root.join("a/self")).unwrap();
        std::os::unix::fs::symlink("..", root.join("a/up")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("a/dangling")).unwrap();
        let to = tempfile::tempdir().unwrap();
        let copied = copy_tree(root, to.path(), Links::Keep, &|_| false).unwrap();
        let mut refused: Vec<(String, &str)> = copied
            .refused
            .iter()
            .map(|r| {
                let kind = match r {
                    RefusedLink::Outside { .. } => "outside",
                    RefusedLink::Loop { .. } => "loop",
                };
                (r.link().display().to_string(), kind)
            })
            .collect();
        refused.sort();
        assert_eq!(
            refused,
            [
                ("a/out".to_string(), "outside"),
                ("a/out-dangling".to_string(), "outside"),
                ("a/self".to_string(), "loop"),
                ("a/up".to_string(), "loop"),
            ]
        );
        assert!(to.path().join("a/link.sh").exists());
        assert!(to.path().join("a/dangling").symlink_metadata().is_ok());
        assert!(to.path().join("a/out").symlink_metadata().is_err());
    }

    #[test]
    fn a_copy_never_enters_its_destination_or_a_directory_it_must_stay_out_of() {
        let from = tree();
        let root = from.path();
        // The destination and the scratch directory inside the tree, as with SPEC_ROOT=/tmp.
        std::fs::create_dir_all(root.join("scratch/old")).unwrap();
        std::fs::write(root.join("scratch/old/big"), "x").unwrap();
        let to = root.join("copy-here");
        let copied = copy_tree_with(
            root,
            &to,
            &Rules {
                links: Links::Keep,
                skip: &|_| false,
                never_enter: vec![root.join("scratch")],
                limit: Limit::REPOSITORY,
            },
        )
        .unwrap();
        assert!(to.join("a/b/run.sh").is_file());
        assert!(
            !to.join("copy-here").exists(),
            "the copy did not copy itself"
        );
        assert!(!to.join("scratch").exists());
        assert_eq!(copied.files, 1);
    }

    #[test]
    fn a_copy_stops_at_its_bound_naming_the_biggest_directories() {
        let from = tempfile::tempdir().unwrap();
        let root = from.path();
        std::fs::create_dir_all(root.join("media/films")).unwrap();
        std::fs::create_dir_all(root.join("docs")).unwrap();
        for i in 0..20 {
            std::fs::write(root.join(format!("media/films/{i}")), vec![0u8; 1000]).unwrap();
        }
        std::fs::write(root.join("docs/a"), "small").unwrap();
        let to = tempfile::tempdir().unwrap();
        let limit = Limit {
            files: 10,
            bytes: u64::MAX,
        };
        let rules = Rules {
            links: Links::Keep,
            skip: &|_| false,
            never_enter: vec![],
            limit,
        };
        match copy_tree_with(root, to.path(), &rules) {
            Err(CopyTreeError::TooBig { biggest, files, .. }) => {
                assert_eq!(files, 11);
                assert_eq!(biggest[0].0, "media");
                assert!(biggest.iter().any(|(d, _)| d == "media/films"));
            }
            other => panic!("{other:?}"),
        }
        let bytes = Rules {
            limit: Limit {
                files: u64::MAX,
                bytes: 5_000,
            },
            ..rules
        };
        let to = tempfile::tempdir().unwrap();
        assert!(matches!(
            copy_tree_with(root, to.path(), &bytes),
            Err(CopyTreeError::TooBig { .. })
        ));
    }
}
