//! Environments under `terraform test`. An environment calls modules by relative paths
//! (`source = "../../modules/vm"`) and may link shared files in (`providers.tf ->
//! ../../shared/providers.tf`), so it cannot be copied alone: the copy holds the part of the
//! repository it needs (the environment, every local module it calls, directly or through
//! another module, and every link target) at the same relative paths in a temporary
//! directory. A link that leaves the repository or points nowhere is refused, naming the
//! link. The modules are then installed offline (`terraform get`, local sources only)
//! before `terraform validate` and `terraform test`, as for a module.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use super::runner::{ModuleOutcome, TestRunner};
use crate::homelab::repo_fs::{Located, RepoFs, relative_path};
use crate::homelab::{DiscoveryError, TerraformDir};

/// Why an environment could not be tested at all.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    /// A link out of the repository or to nowhere, a module call to nothing, bad HCL.
    #[error("environment {environment}: {source}")]
    Layout {
        environment: String,
        #[source]
        source: DiscoveryError,
    },
    #[error("environment {environment}: cannot copy {} to {}: {source}", from.display(), to.display())]
    Copy {
        environment: String,
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Terraform could not run (no providers, `terraform get` failed, a timeout).
    #[error("environment {environment}: {source}")]
    Terraform {
        environment: String,
        #[source]
        source: super::error::TerraformError,
    },
}

impl EnvironmentError {
    /// The layout problem, as findings (empty for a copy or Terraform failure).
    pub fn findings(&self) -> Vec<crate::finding::Finding> {
        match self {
            EnvironmentError::Layout { source, .. } => source.findings(),
            _ => Vec::new(),
        }
    }
}

/// A scratch copy of an environment and what it needs; removed when dropped.
#[derive(Debug)]
pub struct EnvironmentCopy {
    scratch: tempfile::TempDir,
    /// The copy of the repository root (only the parts the environment needs).
    pub repo: PathBuf,
    /// The environment's directory inside the copy.
    pub dir: PathBuf,
}

impl EnvironmentCopy {
    /// The scratch directory: the copy is in `repo/`, Terraform's data and reports beside it.
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }
}

/// Copies the environment at `environment_dir` (relative to `root`) with every local module
/// it calls and every link target, at the same relative paths, into a new temporary
/// directory under `parent` (the system temp dir when `None`).
pub fn copy_environment(
    root: &Path,
    environment_dir: &str,
    parent: Option<&Path>,
) -> Result<EnvironmentCopy, EnvironmentError> {
    let environment = environment_dir.to_string();
    let layout = |source| EnvironmentError::Layout {
        environment: environment.clone(),
        source,
    };
    let fs = RepoFs::new(root).map_err(layout)?;
    let start = match fs.locate(Path::new(environment_dir)).map_err(layout)? {
        Located::Found(dir) if dir.is_dir() => dir,
        _ => {
            return Err(EnvironmentError::Copy {
                environment: environment.clone(),
                from: root.join(environment_dir),
                to: PathBuf::new(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the environment is not a directory",
                ),
            });
        }
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix("homelab-spec-env-");
    let scratch = match parent {
        Some(parent) => builder.tempdir_in(parent),
        None => builder.tempdir(),
    }
    .map_err(|source| EnvironmentError::Copy {
        environment: environment.clone(),
        from: root.to_path_buf(),
        to: parent.map_or_else(std::env::temp_dir, Path::to_path_buf),
        source,
    })?;
    let repo = scratch.path().join("repo");
    let mut copier = Copier {
        fs: &fs,
        repo: &repo,
        environment: &environment,
        copied: BTreeSet::new(),
        queue: VecDeque::from([start.clone()]),
    };
    copier.run()?;
    Ok(EnvironmentCopy {
        dir: repo.join(fs.relative(&start)),
        repo,
        scratch,
    })
}

struct Copier<'a> {
    fs: &'a RepoFs,
    repo: &'a Path,
    environment: &'a str,
    /// Canonical directories and files already copied.
    copied: BTreeSet<PathBuf>,
    /// Canonical directories and files still to copy.
    queue: VecDeque<PathBuf>,
}

impl Copier<'_> {
    fn layout(&self, source: DiscoveryError) -> EnvironmentError {
        EnvironmentError::Layout {
            environment: self.environment.to_string(),
            source,
        }
    }

    fn copy_error(&self, from: &Path, to: &Path, source: std::io::Error) -> EnvironmentError {
        EnvironmentError::Copy {
            environment: self.environment.to_string(),
            from: from.to_path_buf(),
            to: to.to_path_buf(),
            source,
        }
    }

    fn run(&mut self) -> Result<(), EnvironmentError> {
        while let Some(path) = self.queue.pop_front() {
            if self.copied.iter().any(|done| path.starts_with(done)) {
                continue;
            }
            self.copied.insert(path.clone());
            let target = self.repo.join(self.fs.relative(&path));
            if path.is_dir() {
                self.copy_dir(&path, &target)?;
                let config =
                    crate::homelab::parse_config(self.fs, &path).map_err(|e| self.layout(e))?;
                let calls =
                    crate::homelab::module_calls(self.fs, &config).map_err(|e| self.layout(e))?;
                for dir in calls.into_iter().filter_map(|c| c.local_dir) {
                    self.queue.push_back(self.fs.root().join(dir));
                }
            } else {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| self.copy_error(&path, parent, e))?;
                }
                std::fs::copy(&path, &target).map_err(|e| self.copy_error(&path, &target, e))?;
            }
        }
        Ok(())
    }

    /// Copies a directory; links become links to the same relative place (their targets
    /// are queued), `.terraform/` and state files are left out.
    fn copy_dir(&mut self, from: &Path, to: &Path) -> Result<(), EnvironmentError> {
        std::fs::create_dir_all(to).map_err(|e| self.copy_error(from, to, e))?;
        let entries = std::fs::read_dir(from).map_err(|e| self.copy_error(from, to, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| self.copy_error(from, to, e))?;
            let name = entry.file_name();
            let text = name.to_string_lossy();
            if text == ".terraform"
                || text.ends_with(".tfstate")
                || text.ends_with(".tfstate.backup")
            {
                continue;
            }
            let source = entry.path();
            let target = to.join(&name);
            let kind = entry
                .file_type()
                .map_err(|e| self.copy_error(&source, &target, e))?;
            if kind.is_symlink() {
                let Located::Found(resolved) =
                    self.fs.locate(&source).map_err(|e| self.layout(e))?
                else {
                    continue;
                };
                let link = relative_path(from, &resolved);
                match std::os::unix::fs::symlink(&link, &target) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(self.copy_error(&source, &target, e));
                    }
                    _ => {}
                }
                self.queue.push_back(resolved);
            } else if kind.is_dir() {
                self.copy_dir(&source, &target)?;
            } else {
                std::fs::copy(&source, &target)
                    .map_err(|e| self.copy_error(&source, &target, e))?;
            }
        }
        Ok(())
    }
}

/// Copies the environment and runs `terraform get`, `validate` and `test` in the copy. The
/// outcome is named `environments/<name>`.
pub fn run_environment(
    runner: &TestRunner,
    root: &Path,
    environment: &TerraformDir,
) -> Result<ModuleOutcome, EnvironmentError> {
    let copy = copy_environment(root, &environment.dir, runner.scratch_dir())?;
    let name = format!("environments/{}", environment.name);
    runner
        .run_copied(&name, &environment.dir, &copy.dir, copy.scratch(), true)
        .map_err(|source| EnvironmentError::Terraform {
            environment: environment.dir.clone(),
            source,
        })
}

/// Several environments at once (bounded by [`TestRunner::parallel_limit`] with the
/// modules), results in the given order.
pub fn run_environments(
    runner: &TestRunner,
    root: &Path,
    environments: &[TerraformDir],
) -> Vec<Result<ModuleOutcome, EnvironmentError>> {
    crate::parallel::map(
        environments,
        |env| run_environment(runner, root, env),
        |env| {
            Err(EnvironmentError::Terraform {
                environment: env.dir.clone(),
                source: super::error::TerraformError::Panicked {
                    module: env.name.clone(),
                },
            })
        },
    )
}

#[cfg(test)]
mod tests;
