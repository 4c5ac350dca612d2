//! The provider requirements `terraform init` resolves for one configuration: its own
//! `required_providers` and those of every local module it calls, directly or through
//! another module, merged per provider source address. As in Terraform
//! (`configs.Config.ProviderRequirements`), each module's constraints are appended to the
//! others', so all of them must hold together: a module that wants `~> 0.94.0` and an
//! environment that wants `~> 0.95.0` leave no version to install.
//!
//! Read: `name = { source = "ns/type", version = "..." }` and the older `name = "version"`;
//! a requirement without `source` means `hashicorp/<name>`, as in Terraform. Not read:
//! providers only implied by a resource type, and the deprecated `version` argument of a
//! `provider` block.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey};

use super::constraints::{self, Constraint};
use crate::finding::Finding;
use crate::homelab::repo_fs::RepoFs;
use crate::homelab::{DiscoveryError, ParsedConfig, module_calls, parse_config};

/// Terraform's default registry host.
pub(crate) const DEFAULT_HOST: &str = "registry.terraform.io";

/// A provider source address, lower case as Terraform compares them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderAddress {
    pub host: String,
    pub(crate) namespace: String,
    pub name: String,
}

impl ProviderAddress {
    /// `bpg/proxmox` or `registry.terraform.io/bpg/proxmox`; `None` for anything else.
    pub fn parse(source: &str) -> Option<ProviderAddress> {
        let parts: Vec<String> = source
            .split('/')
            .map(|p| p.trim().to_ascii_lowercase())
            .collect();
        let valid = |p: &String| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        };
        if !parts.iter().all(valid) {
            return None;
        }
        match parts.as_slice() {
            [namespace, name] => Some(ProviderAddress {
                host: DEFAULT_HOST.to_string(),
                namespace: namespace.clone(),
                name: name.clone(),
            }),
            [host, namespace, name] => Some(ProviderAddress {
                host: host.clone(),
                namespace: namespace.clone(),
                name: name.clone(),
            }),
            _ => None,
        }
    }

    /// `registry.terraform.io/bpg/proxmox`, as lock files write it.
    pub fn full(&self) -> String {
        format!("{}/{}/{}", self.host, self.namespace, self.name)
    }
}

impl fmt::Display for ProviderAddress {
    /// `bpg/proxmox` on the default registry (Terraform's `ForDisplay`), else in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host == DEFAULT_HOST {
            write!(f, "{}/{}", self.namespace, self.name)
        } else {
            f.write_str(&self.full())
        }
    }
}

/// One `version` argument, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared {
    /// As written (`~> 0.94.0`).
    pub text: String,
    pub(crate) constraints: Vec<Constraint>,
    /// Relative to the root.
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Declared {
    /// `~> 0.94.0 (infrastructure/proxmox/modules/vm/versions.tf:7)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}:{})", self.text, self.file, self.line)
    }
}

/// One provider the configuration needs, with every constraint on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    pub address: ProviderAddress,
    /// Every `version` argument that names it, the configuration's own first, then the
    /// modules' in the order they are called.
    pub declared: Vec<Declared>,
}

impl Requirement {
    /// Every constraint, merged.
    pub(crate) fn constraints(&self) -> Vec<Constraint> {
        self.declared
            .iter()
            .flat_map(|d| d.constraints.iter().cloned())
            .collect()
    }

    /// Every constraint as written, comma-separated, as Terraform lists them.
    pub(crate) fn constraint_list(&self) -> String {
        self.declared
            .iter()
            .map(|d| d.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every constraint as written, with its file and line, comma-separated.
    pub(crate) fn declared_list(&self) -> String {
        self.declared
            .iter()
            .map(Declared::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What one `required_providers` entry could not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequirementProblem {
    /// A `version` Terraform would refuse (or that is not a string).
    Constraint {
        provider: String,
        text: String,
        reason: String,
        file: String,
        line: usize,
    },
    /// A `source` that is not a provider address.
    Source {
        provider: String,
        source: String,
        file: String,
        line: usize,
    },
}

/// The merged requirements of a configuration, and what could not be read.
#[derive(Debug, Default)]
pub(crate) struct Requirements {
    pub providers: Vec<Requirement>,
    pub problems: Vec<RequirementProblem>,
    /// Discovery's own findings on a called module (a call to nothing, bad HCL, a bad link).
    pub layout: Vec<Finding>,
}

impl Requirements {
    /// The requirement on one provider.
    pub(crate) fn get(&self, address: &ProviderAddress) -> Option<&Requirement> {
        self.providers.iter().find(|r| r.address == *address)
    }
}

/// The requirements of the configuration in `dir` (relative to the root of `fs`, or
/// absolute) and of every local module it calls, recursively, merged per provider.
pub(crate) fn merged(fs: &RepoFs, dir: &Path) -> Requirements {
    let mut found = Requirements::default();
    let mut visited = BTreeSet::new();
    let mut queue = vec![fs.root().join(dir)];
    while !queue.is_empty() {
        let dir = queue.remove(0);
        if !visited.insert(dir.canonicalize().unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let layout = |e: DiscoveryError| e.findings();
        let config = match parse_config(fs, &dir) {
            Ok(config) => config,
            Err(e) => {
                found.layout.extend(layout(e));
                continue;
            }
        };
        for (file, text, body) in &config.files {
            read_required_providers(file, text, body, &mut found);
        }
        match module_calls(fs, &config) {
            Ok(calls) => queue.extend(
                calls
                    .into_iter()
                    .filter_map(|c| c.local_dir)
                    .map(|d| fs.root().join(d)),
            ),
            Err(e) => found.layout.extend(layout(e)),
        }
    }
    found
}

fn read_required_providers(
    file: &str,
    text: &str,
    body: &hcl_edit::structure::Body,
    found: &mut Requirements,
) {
    let line_of = |span: Option<std::ops::Range<usize>>| ParsedConfig::line_of(text, span);
    for terraform in body.get_blocks("terraform") {
        for block in terraform.body.get_blocks("required_providers") {
            for attribute in block.body.attributes() {
                let local_name = attribute.key.as_str().to_string();
                let line = line_of(attribute.span());
                let (source, version) = match &attribute.value {
                    Expression::Object(object) => {
                        let mut source = None;
                        let mut version = None;
                        for (key, value) in object.iter() {
                            let key = match key {
                                ObjectKey::Ident(ident) => ident.as_str().to_string(),
                                ObjectKey::Expression(e) => {
                                    e.as_str().map(str::to_string).unwrap_or_default()
                                }
                            };
                            let expr = value.expr();
                            let at = line_of(expr.span());
                            match key.as_str() {
                                "source" => source = Some((expr.as_str().map(str::to_string), at)),
                                "version" => {
                                    version = Some((expr.as_str().map(str::to_string), at))
                                }
                                _ => {}
                            }
                        }
                        (source, version)
                    }
                    // The older form: `proxmox = "~> 0.94"`, source hashicorp/<name>.
                    other => (None, Some((other.as_str().map(str::to_string), line))),
                };
                let (source_text, source_line) = match source {
                    Some((Some(s), at)) => (s, at),
                    Some((None, at)) => {
                        found.problems.push(RequirementProblem::Source {
                            provider: local_name.clone(),
                            source: "(not a string)".into(),
                            file: file.to_string(),
                            line: at,
                        });
                        continue;
                    }
                    None => (format!("hashicorp/{local_name}"), line),
                };
                let Some(address) = ProviderAddress::parse(&source_text) else {
                    found.problems.push(RequirementProblem::Source {
                        provider: local_name.clone(),
                        source: source_text,
                        file: file.to_string(),
                        line: source_line,
                    });
                    continue;
                };
                let declared = match version {
                    None => None,
                    Some((None, at)) => {
                        found.problems.push(RequirementProblem::Constraint {
                            provider: address.to_string(),
                            text: "(not a string)".into(),
                            reason: "a version constraint must be a string".into(),
                            file: file.to_string(),
                            line: at,
                        });
                        None
                    }
                    Some((Some(text), at)) => match constraints::parse(&text) {
                        Ok(constraints) => Some(Declared {
                            text,
                            constraints,
                            file: file.to_string(),
                            line: at,
                        }),
                        Err(e) => {
                            found.problems.push(RequirementProblem::Constraint {
                                provider: address.to_string(),
                                text,
                                reason: e.reason,
                                file: file.to_string(),
                                line: at,
                            });
                            None
                        }
                    },
                };
                let index = match found.providers.iter().position(|r| r.address == address) {
                    Some(i) => i,
                    None => {
                        found.providers.push(Requirement {
                            address,
                            declared: Vec::new(),
                        });
                        found.providers.len() - 1
                    }
                };
                found.providers[index].declared.extend(declared);
            }
        }
    }
}
