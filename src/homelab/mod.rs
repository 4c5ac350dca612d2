//! The homelab under test, as the suite finds it: its Terraform modules and environments,
//! the Prometheus rules files it deploys (alerting and recording), the operations scripts
//! that publish textfile metrics, and its BATS files. Checks iterate over this model
//! instead of lists written into the suite, so a homelab that grows (one more module, rules
//! file or BATS file) is checked without editing the suite.
//!
//! Discovery follows conventions the README documents ("Conventions the suite discovers
//! by"); a broken one is a [`DiscoveryError`] naming the file or link at fault. Every path
//! in the model is relative to the root.

pub mod bash_functions;
mod bats_files;
pub(crate) mod copy;
mod deployed;
mod error;
pub(crate) use error::CHECKS as LAYOUT_CHECKS;
mod eval;
mod glob;
pub mod growth;
mod promtool_tests;
pub(crate) use promtool_tests::rule_file_names;
pub(crate) mod repo_fs;
mod scripts;
pub mod services;
mod shell_syntax;
mod terraform_dirs;
mod textfile_writes;
mod walk;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) use deployed::FileRead;
pub use error::{DiscoveryError, ids};
pub(crate) use scripts::publishing;
pub use scripts::{LIBRARY_DIR, PublishingScript, SCRIPTS_DIR, TEXTFILE_LIBRARY};
pub use terraform_dirs::{
    DirKind, ENVIRONMENTS_DIR, MODULES_DIR, ModuleCall, REGRESSION_FILE, TerraformDir,
    configuration_dirs,
};
pub(crate) use terraform_dirs::{ParsedConfig, environments, module_calls, modules, parse_config};
pub use textfile_writes::WrittenMetric;

pub use bats_files::TESTS_DIR;
pub use services::{Deployment, ScrapeJob, Service};

use crate::finding::Finding;
use glob::Glob;
use repo_fs::{Located, RepoFs, normalize};

/// The homelab under test.
#[derive(Debug, Clone)]
pub struct Homelab {
    /// The repository root, canonical.
    pub root: PathBuf,
    /// Every module, sorted by name.
    pub modules: Vec<TerraformDir>,
    /// Every environment, sorted by name.
    pub environments: Vec<TerraformDir>,
    /// The Prometheus rules files the modules and environments deploy, sorted by path.
    pub rules_files: Vec<RulesFile>,
    /// The other files they read (an Alertmanager configuration, cloud-init templates...).
    pub(crate) other_files: Vec<DeployedFile>,
    /// Reads whose path depends on something discovery cannot know (a resource attribute,
    /// a variable without default).
    pub unresolved_reads: Vec<UnresolvedRead>,
    /// The `rule_files` globs of the Prometheus configurations they deploy.
    pub rule_file_globs: Vec<String>,
    /// The operations scripts that publish textfile metrics, sorted by path.
    pub publishing_scripts: Vec<PublishingScript>,
    /// Every BATS file (vendored code aside), relative to the root, sorted.
    pub bats_files: Vec<String>,
    /// The homelab's own promtool unit-test files (`rule_files:` + `tests:`), anywhere in
    /// the repository, relative to the root, sorted.
    pub promtool_test_files: Vec<String>,
    /// The exporters, Prometheus and other services it deploys, with versions, and the
    /// scrape jobs of its Prometheus configurations.
    pub deployment: Deployment,
}

/// How a deployed file was recognised as a rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RulesEvidence {
    /// It parses as YAML with a top-level `groups:` list.
    Groups,
    /// It is written under this `rule_files` glob of the deployed Prometheus configuration
    /// (although it does not parse as a rules file: the checks will say why).
    RuleFilesGlob(String),
}

/// A Prometheus rules file the homelab deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesFile {
    /// Relative to the root, links resolved.
    pub path: String,
    /// The text Prometheus gets: as rendered by `templatefile()`, or the file itself.
    pub text: String,
    /// Whether `text` was rendered from a template (and so differs from the file on disk).
    pub rendered: bool,
    /// Where the homelab reads it.
    pub reads: Vec<FileRead>,
    pub(crate) evidence: RulesEvidence,
    pub groups: usize,
    pub alerting_rules: usize,
    pub(crate) recording_rules: usize,
    /// `text` as YAML, read once here (to tell a rules file from other YAML) and kept so
    /// that reading it as rules does not parse it again; `None` when it is not YAML.
    pub(crate) yaml: Option<serde_yaml::Value>,
}

impl RulesFile {
    /// A file with exactly [`RulesFile::text`], for tools that read files (promtool,
    /// Prometheus): the file itself when it was not rendered, else a copy of the rendered
    /// text written at the same relative path under `scratch`.
    pub(crate) fn file_on_disk(&self, root: &Path, scratch: &Path) -> std::io::Result<PathBuf> {
        if !self.rendered {
            return Ok(root.join(&self.path));
        }
        let path = scratch.join(&self.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &self.text)?;
        Ok(path)
    }
}

/// Any other file the homelab deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeployedFile {
    pub path: String,
    /// Its text as deployed (rendered when read through `templatefile()`); `None` when it
    /// is not text.
    pub text: Option<String>,
    pub rendered: bool,
    /// Why `templatefile()` could not render it (a variable without default...).
    pub(crate) render_error: Option<String>,
    pub reads: Vec<FileRead>,
}

/// A read whose path could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedRead {
    pub read: FileRead,
    pub reason: String,
}

impl Homelab {
    /// Refuses a root without the homelab's layout (no `infrastructure/proxmox/modules/`)
    /// with discovery's own finding, `layout/no-modules`. The runner checks it before any
    /// scenario, so that a `SPEC_ROOT` one typo away (`/`, a home directory, `/tmp`) stops
    /// the run before anything is copied.
    pub fn require_layout(root: &Path) -> Result<(), Finding> {
        if root.join(MODULES_DIR).is_dir() {
            return Ok(());
        }
        let error = DiscoveryError::NoModulesDir {
            root: root.to_path_buf(),
        };
        Err(error.findings().remove(0))
    }

    /// Discovers the homelab at `root` (a checkout: `SPEC_ROOT`). Only reads.
    pub fn discover(root: &Path) -> Result<Homelab, DiscoveryError> {
        let fs = RepoFs::new(root)?;
        let mut errors = Vec::new();
        let modules = terraform_dirs::modules(&fs, &mut errors)?;
        let environments = terraform_dirs::environments(&fs, &mut errors);

        let mut reads = Vec::new();
        let mut globs = Vec::new();
        for (_, config) in modules.iter().chain(&environments) {
            let found = deployed::reads_of(config);
            reads.extend(found.reads);
            globs.extend(found.rule_globs);
        }
        let (files, unresolved_reads) = read_files(&fs, reads, &mut errors);
        let module_dirs: Vec<&str> = modules.iter().map(|(d, _)| d.dir.as_str()).collect();
        let publishing_scripts =
            scripts::publishing_scripts(&fs, &module_dirs).unwrap_or_else(|e| {
                errors.push(e);
                Vec::new()
            });
        let bats_files = bats_files::bats_files(&fs).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let promtool_test_files = promtool_tests::promtool_test_files(&fs).unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        if let Some(error) = DiscoveryError::from_all(errors) {
            return Err(error);
        }
        let (rules_files, other_files, rule_file_globs) = classify(files, globs);
        let configs: Vec<&terraform_dirs::ParsedConfig> = modules
            .iter()
            .chain(&environments)
            .map(|(_, config)| config)
            .collect();
        let deployment = services::deployment(&fs, &configs, &other_files);
        Ok(Homelab {
            root: fs.root().to_path_buf(),
            modules: modules.into_iter().map(|(d, _)| d).collect(),
            environments: environments.into_iter().map(|(d, _)| d).collect(),
            rules_files,
            other_files,
            unresolved_reads,
            rule_file_globs,
            publishing_scripts,
            bats_files,
            promtool_test_files,
            deployment,
        })
    }

    /// A module by name.
    pub fn module(&self, name: &str) -> Option<&TerraformDir> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Modules and environments that have `terraform test` files, modules first.
    pub(crate) fn tested_dirs(&self) -> impl Iterator<Item = &TerraformDir> {
        self.modules
            .iter()
            .chain(&self.environments)
            .filter(|d| d.has_tests())
    }

    /// The alerting rules over every deployed rules file.
    pub fn alerting_rules(&self) -> usize {
        self.rules_files.iter().map(|f| f.alerting_rules).sum()
    }

    /// The deployed rules files as files tools can read (Prometheus, promtool): the files
    /// themselves, or their rendered text written under `scratch`.
    pub(crate) fn rules_files_on_disk(&self, scratch: &Path) -> std::io::Result<Vec<PathBuf>> {
        self.rules_files
            .iter()
            .map(|f| f.file_on_disk(&self.root, scratch))
            .collect()
    }

    /// The recording rules over every deployed rules file.
    pub fn recording_rules(&self) -> usize {
        self.rules_files.iter().map(|f| f.recording_rules).sum()
    }

    /// A publishing script by name (`backup-status`) or path (`scripts/backup-status.sh`).
    pub fn publishing_script(&self, name_or_path: &str) -> Option<&PublishingScript> {
        self.publishing_scripts
            .iter()
            .find(|s| s.name == name_or_path || s.path == name_or_path)
    }

    /// The kinds of part a homelab of this family has and discovery found none of: modules,
    /// deployed rules files, publishing scripts, BATS files.
    pub fn kinds_of_part_missing(&self) -> Vec<&'static str> {
        [
            ("modules", self.modules.is_empty()),
            ("deployed rules files", self.rules_files.is_empty()),
            ("publishing scripts", self.publishing_scripts.is_empty()),
            ("BATS files", self.bats_files.is_empty()),
        ]
        .into_iter()
        .filter_map(|(what, none)| none.then_some(what))
        .collect()
    }

    /// What was found, for people: counts and names, one part per line.
    pub fn summary(&self) -> String {
        let names = |dirs: &[TerraformDir]| {
            dirs.iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let rules: Vec<String> = self
            .rules_files
            .iter()
            .map(|f| {
                format!(
                    "{} ({} alerting, {} recording{})",
                    f.path,
                    f.alerting_rules,
                    f.recording_rules,
                    if f.rendered { ", rendered" } else { "" }
                )
            })
            .collect();
        let scripts: Vec<&str> = self
            .publishing_scripts
            .iter()
            .map(|s| s.path.as_str())
            .collect();
        format!(
            "{} modules: {}\n{} environments: {}\n{} rules files: {}\n{} other deployed files\n\
             {} publishing scripts: {}\n{} BATS files: {}\n\
             deployed exporters and scrape jobs:\n{}",
            self.modules.len(),
            names(&self.modules),
            self.environments.len(),
            names(&self.environments),
            self.rules_files.len(),
            rules.join(", "),
            self.other_files.len(),
            scripts.len(),
            scripts.join(", "),
            self.bats_files.len(),
            self.bats_files.join(", "),
            self.deployment.listing(),
        )
    }
}

/// A deployed file's text and reads, before it is classified.
struct Read {
    path: String,
    text: Option<String>,
    rendered: bool,
    render_error: Option<String>,
    reads: Vec<FileRead>,
}

/// Checks each read's path (missing files and bad links are errors) and merges reads of
/// the same file with the same text.
fn read_files(
    fs: &RepoFs,
    raw: Vec<deployed::RawRead>,
    errors: &mut Vec<DiscoveryError>,
) -> (Vec<Read>, Vec<UnresolvedRead>) {
    let mut files: BTreeMap<(String, Option<String>), Read> = BTreeMap::new();
    let mut unresolved = Vec::new();
    for raw in raw {
        let path = match raw.path {
            Ok(path) => normalize(&path),
            Err(reason) => {
                unresolved.push(UnresolvedRead {
                    read: raw.read,
                    reason,
                });
                continue;
            }
        };
        let found = match fs.locate(&path) {
            Ok(Located::Found(found)) if !fs.contains(&found) => {
                errors.push(DiscoveryError::FileOutside {
                    reader: raw.read.tf_file.clone(),
                    line: raw.read.line,
                    path: path.display().to_string(),
                });
                continue;
            }
            Ok(Located::Found(found)) if found.is_file() => found,
            Ok(_) => {
                errors.push(DiscoveryError::MissingFile {
                    reader: raw.read.tf_file.clone(),
                    line: raw.read.line,
                    path: fs.relative(&path),
                });
                continue;
            }
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let rel = fs.relative(&found);
        let (text, rendered, render_error) = match raw.rendered {
            Some(Ok(text)) => (Some(text), true, None),
            Some(Err(e)) => (std::fs::read_to_string(&found).ok(), false, Some(e)),
            None => (std::fs::read_to_string(&found).ok(), false, None),
        };
        files
            .entry((rel.clone(), text.clone()))
            .or_insert_with(|| Read {
                path: rel,
                text,
                rendered,
                render_error,
                reads: Vec::new(),
            })
            .reads
            .push(raw.read);
    }
    (files.into_values().collect(), unresolved)
}

/// What a rules file holds, when it parses as one.
struct Content {
    groups: usize,
    alerting: usize,
    recording: usize,
}

fn rules_content(yaml: &serde_yaml::Value) -> Option<Content> {
    let groups = yaml.as_mapping()?.get("groups")?.as_sequence()?;
    let mut content = Content {
        groups: groups.len(),
        alerting: 0,
        recording: 0,
    };
    for group in groups {
        let rules = group
            .get("rules")
            .and_then(serde_yaml::Value::as_sequence)
            .map_or(&[][..], Vec::as_slice);
        for rule in rules {
            if rule.get("alert").is_some() {
                content.alerting += 1;
            } else if rule.get("record").is_some() {
                content.recording += 1;
            }
        }
    }
    Some(content)
}

/// Splits deployed files into rules files and the others; returns the `rule_files` globs too
/// (from HCL and from any deployed YAML that has them).
fn classify(
    files: Vec<Read>,
    mut globs: Vec<String>,
) -> (Vec<RulesFile>, Vec<DeployedFile>, Vec<String>) {
    let parsed: Vec<Option<serde_yaml::Value>> = files
        .iter()
        .map(|f| f.text.as_deref().and_then(|t| serde_yaml::from_str(t).ok()))
        .collect();
    for yaml in parsed.iter().flatten() {
        if let Some(list) = yaml.get("rule_files").and_then(|v| v.as_sequence()) {
            globs.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
        }
    }
    globs.sort();
    globs.dedup();
    let compiled: Vec<(String, Glob)> = globs
        .iter()
        .filter_map(|g| {
            // A relative glob is relative to prometheus.yml's directory, which may be
            // anywhere: it matches the end of a destination.
            let pattern = if g.starts_with('/') {
                g.clone()
            } else {
                format!("**/{g}")
            };
            Glob::new(&pattern).map(|glob| (g.clone(), glob))
        })
        .collect();

    let mut rules = Vec::new();
    let mut others = Vec::new();
    for (file, yaml) in files.into_iter().zip(parsed) {
        let content = yaml.as_ref().and_then(rules_content);
        let under_glob = || {
            file.reads.iter().find_map(|r| {
                let destination = r.destination.as_deref()?;
                compiled
                    .iter()
                    .find(|(_, glob)| glob.matches(destination))
                    .map(|(g, _)| g.clone())
            })
        };
        let evidence = match &content {
            Some(_) => Some(RulesEvidence::Groups),
            None => under_glob().map(RulesEvidence::RuleFilesGlob),
        };
        match (evidence, file.text) {
            (Some(evidence), Some(text)) => {
                let content = content.unwrap_or(Content {
                    groups: 0,
                    alerting: 0,
                    recording: 0,
                });
                rules.push(RulesFile {
                    path: file.path,
                    text,
                    rendered: file.rendered,
                    reads: file.reads,
                    evidence,
                    groups: content.groups,
                    alerting_rules: content.alerting,
                    recording_rules: content.recording,
                    yaml,
                });
            }
            (_, text) => others.push(DeployedFile {
                path: file.path,
                text,
                rendered: file.rendered,
                render_error: file.render_error,
                reads: file.reads,
            }),
        }
    }
    (rules, others, globs)
}

#[cfg(test)]
mod tests;
