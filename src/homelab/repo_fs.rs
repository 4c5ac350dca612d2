//! Paths inside the repository under test: relative names, symlinks followed and checked.
//! A link that points nowhere or out of the repository is an error naming the link, since a
//! check that followed it would read something that is not part of the homelab.

use std::path::{Path, PathBuf};

use super::error::DiscoveryError;
use crate::paths::ELOOP;
/// Lexical, below this module (`crate::paths`); discovery's modules take it from here.
pub(crate) use crate::paths::normalize;

/// The repository under test, by its canonical root.
#[derive(Debug, Clone)]
pub(crate) struct RepoFs {
    root: PathBuf,
}

/// Where a path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Located {
    /// An existing file or directory, canonical (links resolved).
    Found(PathBuf),
    /// Nothing is there (and no link on the way is broken).
    Missing,
}

impl RepoFs {
    pub(crate) fn new(root: &Path) -> Result<RepoFs, DiscoveryError> {
        let root = root.canonicalize().map_err(|source| DiscoveryError::Io {
            path: root.display().to_string(),
            source,
        })?;
        Ok(RepoFs { root })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// `path` relative to the root, with `/` separators; the path itself when it is not
    /// inside the root.
    pub(crate) fn relative(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Follows `path` (absolute, or relative to the root) component by component. A link on
    /// the way that points nowhere, or out of the repository, is an error naming that link.
    /// The result is outside the root only when `path` itself is (no link involved).
    pub(crate) fn locate(&self, path: &Path) -> Result<Located, DiscoveryError> {
        let path = normalize(&self.root.join(path));
        let mut prefix = PathBuf::new();
        for component in path.components() {
            prefix.push(component);
            let Ok(meta) = prefix.symlink_metadata() else {
                return Ok(Located::Missing);
            };
            if meta.file_type().is_symlink() {
                let link = self.relative(&prefix);
                let target = std::fs::read_link(&prefix).unwrap_or_default();
                match prefix.canonicalize() {
                    Err(e) if e.raw_os_error() == Some(ELOOP) => {
                        return Err(DiscoveryError::LinkLoop { link, target });
                    }
                    Err(_) => return Err(DiscoveryError::DanglingLink { link, target }),
                    Ok(resolved) if !resolved.starts_with(&self.root) => {
                        return Err(DiscoveryError::LinkOutside {
                            link,
                            target: resolved,
                        });
                    }
                    Ok(resolved) => prefix = resolved,
                }
            }
        }
        Ok(Located::Found(prefix))
    }

    /// Whether `path` (canonical) is inside the repository.
    pub(crate) fn contains(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_inside_are_followed_and_bad_links_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("shared")).unwrap();
        std::fs::write(root.join("shared/a.yml"), "x").unwrap();
        std::os::unix::fs::symlink("shared/a.yml", root.join("link.yml")).unwrap();
        std::os::unix::fs::symlink("shared/none.yml", root.join("dangling.yml")).unwrap();
        std::fs::write(dir.path().join("outside.yml"), "x").unwrap();
        std::os::unix::fs::symlink("../outside.yml", root.join("out.yml")).unwrap();
        let fs = RepoFs::new(&root).unwrap();
        let real = root.canonicalize().unwrap().join("shared/a.yml");
        assert_eq!(
            fs.locate(Path::new("link.yml")).unwrap(),
            Located::Found(real)
        );
        assert_eq!(
            fs.locate(Path::new("shared/b.yml")).unwrap(),
            Located::Missing
        );
        match fs.locate(Path::new("dangling.yml")) {
            Err(DiscoveryError::DanglingLink { link, .. }) => assert_eq!(link, "dangling.yml"),
            other => panic!("{other:?}"),
        }
        match fs.locate(Path::new("out.yml")) {
            Err(DiscoveryError::LinkOutside { link, .. }) => assert_eq!(link, "out.yml"),
            other => panic!("{other:?}"),
        }
    }
}
