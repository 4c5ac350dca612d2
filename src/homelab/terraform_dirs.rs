//! The homelab's Terraform directories: every directory under
//! `infrastructure/proxmox/modules/` is a module (and must hold `*.tf` files); every
//! directory under `infrastructure/proxmox/environments/` with `*.tf` files is an
//! environment. Each knows its `.tf` files, its `terraform test` files and the local modules
//! it calls.

use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::structure::Body;

use super::error::DiscoveryError;
use super::repo_fs::{Located, RepoFs};

/// Where modules live, relative to the repository root.
pub const MODULES_DIR: &str = "infrastructure/proxmox/modules";
/// The regression test file every module must have, relative to the module.
pub const REGRESSION_FILE: &str = "tests/regression.tftest.hcl";
/// Where environments live, relative to the repository root.
pub const ENVIRONMENTS_DIR: &str = "infrastructure/proxmox/environments";

/// A module or an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirKind {
    Module,
    Environment,
}

/// One Terraform configuration directory of the homelab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformDir {
    pub kind: DirKind,
    /// The directory's name (`vm`, `prod`).
    pub name: String,
    /// The directory, relative to the root (`infrastructure/proxmox/modules/vm`).
    pub dir: String,
    /// Its `*.tf` files by name, sorted (a symlinked file by its link's name).
    pub(crate) tf_files: Vec<String>,
    /// Its `terraform test` files relative to it (`tests/regression.tftest.hcl`), sorted.
    pub(crate) test_files: Vec<String>,
    /// The modules it calls (`module "x" { source = ... }`).
    pub(crate) module_calls: Vec<ModuleCall>,
}

impl TerraformDir {
    /// Whether it has `tests/regression.tftest.hcl`.
    pub(crate) fn has_regression_file(&self) -> bool {
        self.test_files.iter().any(|f| f == REGRESSION_FILE)
    }

    /// Whether `terraform test` has anything to run here.
    pub fn has_tests(&self) -> bool {
        !self.test_files.is_empty()
    }
}

/// A `module` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleCall {
    /// The block's label.
    pub name: String,
    /// `source` as written (`../../modules/vm`), when it is a literal.
    pub source: Option<String>,
    /// For a local source (`./`, `../`): the module's directory relative to the root, links
    /// resolved.
    pub(crate) local_dir: Option<String>,
    /// The `.tf` file with the block, relative to the root, and its line.
    pub tf_file: String,
    pub line: usize,
}

/// `dir` (relative to the root) and every local module it calls, directly or through
/// another module, each relative to the root: the directories a Terraform run of `dir`
/// reads its configuration from.
pub fn configuration_dirs(root: &Path, dir: &str) -> Result<Vec<String>, DiscoveryError> {
    let fs = RepoFs::new(root)?;
    let mut seen = std::collections::BTreeSet::new();
    let mut queue = vec![dir.to_string()];
    while let Some(next) = queue.pop() {
        if !seen.insert(next.clone()) {
            continue;
        }
        let Located::Found(path) = fs.locate(Path::new(&next))? else {
            continue;
        };
        if !path.is_dir() {
            continue;
        }
        let config = parse_config(&fs, &path)?;
        queue.extend(
            module_calls(&fs, &config)?
                .into_iter()
                .filter_map(|call| call.local_dir),
        );
    }
    Ok(seen.into_iter().collect())
}

/// A directory's `.tf` files, parsed.
pub(crate) struct ParsedConfig {
    /// The directory as found (not resolved: `path.module` is what Terraform sees).
    pub(crate) dir: PathBuf,
    /// The directory relative to the root.
    pub(crate) rel: String,
    /// (file relative to the root, its text, its body)
    pub(crate) files: Vec<(String, String, Body)>,
}

impl ParsedConfig {
    pub(crate) fn line_of(text: &str, span: Option<std::ops::Range<usize>>) -> usize {
        let offset = span.map_or(0, |s| s.start).min(text.len());
        text[..offset].matches('\n').count() + 1
    }
}

/// The names of `dir`'s `*.tf` files, sorted; links among them checked.
fn tf_files(fs: &RepoFs, dir: &Path) -> Result<Vec<String>, DiscoveryError> {
    let entries = std::fs::read_dir(dir).map_err(|source| DiscoveryError::Io {
        path: fs.relative(dir),
        source,
    })?;
    let mut names = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tf")
            && let Located::Found(path) = fs.locate(&entry.path())?
            && path.is_file()
        {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// `tests/*.tftest.hcl` and `*.tftest.hcl`, relative to `dir`, sorted.
fn test_files(fs: &RepoFs, dir: &Path) -> Result<Vec<String>, DiscoveryError> {
    let mut found = Vec::new();
    for (sub, prefix) in [(dir.to_path_buf(), ""), (dir.join("tests"), "tests/")] {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tftest.hcl") {
                fs.locate(&entry.path())?;
                found.push(format!("{prefix}{name}"));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Parses a directory's `.tf` files.
pub(crate) fn parse_config(fs: &RepoFs, dir: &Path) -> Result<ParsedConfig, DiscoveryError> {
    let rel = fs.relative(dir);
    let mut files = Vec::new();
    for name in tf_files(fs, dir)? {
        let path = dir.join(&name);
        let rel_file = format!("{rel}/{name}");
        let text = std::fs::read_to_string(&path).map_err(|source| DiscoveryError::Io {
            path: rel_file.clone(),
            source,
        })?;
        let body = hcl_edit::parser::parse_body(&text).map_err(|e| DiscoveryError::Hcl {
            file: rel_file.clone(),
            line: e.location().line(),
            message: e.message().to_string(),
        })?;
        files.push((rel_file, text, body));
    }
    Ok(ParsedConfig {
        dir: dir.to_path_buf(),
        rel,
        files,
    })
}

/// The `module` blocks of a parsed directory; a local source that is not a directory of
/// `.tf` files is an error.
pub(crate) fn module_calls(
    fs: &RepoFs,
    config: &ParsedConfig,
) -> Result<Vec<ModuleCall>, DiscoveryError> {
    let mut calls = Vec::new();
    for (file, text, body) in &config.files {
        for block in body.get_blocks("module") {
            let name = block
                .labels
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default();
            let line = ParsedConfig::line_of(text, block.span());
            let source = block
                .body
                .get_attribute("source")
                .and_then(|a| a.value.as_str().map(str::to_string));
            let local_dir = match source.as_deref() {
                Some(s) if s.starts_with("./") || s.starts_with("../") => {
                    let missing = || DiscoveryError::MissingModule {
                        reader: file.clone(),
                        line,
                        source_dir: s.to_string(),
                    };
                    match fs.locate(&config.dir.join(s))? {
                        Located::Found(dir) if dir.is_dir() => {
                            if tf_files(fs, &dir)?.is_empty() {
                                return Err(missing());
                            }
                            Some(fs.relative(&dir))
                        }
                        _ => return Err(missing()),
                    }
                }
                _ => None,
            };
            calls.push(ModuleCall {
                name,
                source,
                local_dir,
                tf_file: file.clone(),
                line,
            });
        }
    }
    Ok(calls)
}

/// Reads one directory into a [`TerraformDir`] and its parsed configuration.
pub(crate) fn read_dir(
    fs: &RepoFs,
    kind: DirKind,
    name: &str,
    dir: &Path,
) -> Result<(TerraformDir, ParsedConfig), DiscoveryError> {
    let config = parse_config(fs, dir)?;
    let tf = config
        .files
        .iter()
        .map(|(f, _, _)| f.rsplit('/').next().unwrap_or(f).to_string())
        .collect();
    let terraform_dir = TerraformDir {
        kind,
        name: name.to_string(),
        dir: config.rel.clone(),
        tf_files: tf,
        test_files: test_files(fs, dir)?,
        module_calls: module_calls(fs, &config)?,
    };
    Ok((terraform_dir, config))
}

/// The subdirectories of `parent` (links checked and followed), by name, sorted; hidden
/// ones and `.terraform` left out.
pub(crate) fn subdirectories(
    fs: &RepoFs,
    parent: &Path,
) -> Result<Vec<(String, PathBuf)>, DiscoveryError> {
    let entries = std::fs::read_dir(parent).map_err(|source| DiscoveryError::Io {
        path: fs.relative(parent),
        source,
    })?;
    let mut dirs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if let Located::Found(path) = fs.locate(&entry.path())?
            && path.is_dir()
        {
            dirs.push((name, entry.path()));
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Every module: each subdirectory of `MODULES_DIR`; one without `.tf` is an error.
pub(crate) fn modules(
    fs: &RepoFs,
    errors: &mut Vec<DiscoveryError>,
) -> Result<Vec<(TerraformDir, ParsedConfig)>, DiscoveryError> {
    let parent = fs.root().join(MODULES_DIR);
    if !parent.is_dir() {
        return Err(DiscoveryError::NoModulesDir {
            root: fs.root().to_path_buf(),
        });
    }
    let mut found = Vec::new();
    for (name, dir) in subdirectories(fs, &parent)? {
        match tf_files(fs, &dir) {
            Ok(files) if files.is_empty() => errors.push(DiscoveryError::ModuleWithoutTerraform {
                module: fs.relative(&dir),
            }),
            Ok(_) => match read_dir(fs, DirKind::Module, &name, &dir) {
                Ok(pair) => found.push(pair),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    Ok(found)
}

/// Every environment: each subdirectory of `ENVIRONMENTS_DIR` with `.tf` files (none when
/// there is no such directory).
pub(crate) fn environments(
    fs: &RepoFs,
    errors: &mut Vec<DiscoveryError>,
) -> Vec<(TerraformDir, ParsedConfig)> {
    let parent = fs.root().join(ENVIRONMENTS_DIR);
    if !parent.is_dir() {
        return Vec::new();
    }
    let dirs = match subdirectories(fs, &parent) {
        Ok(dirs) => dirs,
        Err(e) => {
            errors.push(e);
            return Vec::new();
        }
    };
    let mut found = Vec::new();
    for (name, dir) in dirs {
        match tf_files(fs, &dir) {
            Ok(files) if files.is_empty() => {}
            Ok(_) => match read_dir(fs, DirKind::Environment, &name, &dir) {
                Ok(pair) => found.push(pair),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(e),
        }
    }
    found
}
