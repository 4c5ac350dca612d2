//! What `terraform init` checks, done offline before any run. Offline, the providers are
//! served through `dev_overrides`, which resolve no version: without these checks a
//! configuration that `terraform init` refuses (its CI red) would pass every test here.
//!
//! Per module and environment that has tests:
//! - the provider requirements of the configuration and of every local module it calls are
//!   merged per provider ([`super::requirements`]) and matched against every release the
//!   suite knows ([`super::releases`]); none matching is what `terraform init` refuses with
//!   "no available releases match the given constraints";
//! - the lock file's pin must satisfy the merged constraints ("locked provider ... does not
//!   match configured version constraint"); a pin of a provider nothing requires is a note
//!   (Terraform keeps it);
//! - each provider is then served at the version the lock file pins, or without a lock file
//!   the newest known release the constraints allow; a version without a bundled schema is
//!   served by the nearest bundled one, with a note naming both.

use std::path::Path;

use super::constraints::Version;
use super::lock_file::{self, LOCK_FILE_NAME, LockFileError, LockedProvider};
use super::releases::{self, ProviderReleases};
use super::requirements::{self, ProviderAddress, Requirement, RequirementProblem, Requirements};
use crate::finding::Finding;
use crate::homelab::repo_fs::RepoFs;

/// Finding ids of the init checks.
pub mod ids {
    use crate::finding::FindingId;
    /// No release the suite knows meets every constraint on a provider.
    pub(crate) const NO_MATCHING_RELEASE: FindingId =
        FindingId::new("terraform-init/no-matching-release");
    /// The lock file pins a version the merged constraints do not allow.
    pub(crate) const LOCK_MISMATCH: FindingId = FindingId::new("terraform-init/lock-mismatch");
    /// A note: the lock file pins a provider the configuration does not require.
    pub(crate) const LOCK_UNUSED: FindingId = FindingId::new("terraform-init/lock-unused");
    /// A `version` constraint Terraform cannot parse.
    pub(crate) const CONSTRAINT: FindingId = FindingId::new("terraform-init/constraint");
    /// A `source` that is not a provider address.
    pub(crate) const PROVIDER_SOURCE: FindingId = FindingId::new("terraform-init/provider-source");
    /// A lock file Terraform cannot read.
    pub(crate) const LOCK_FILE: FindingId = FindingId::new("terraform-init/lock-file");
    /// A note: the constraints allow only releases newer than every one the suite knows.
    pub(crate) const UNKNOWN_RELEASE: FindingId = FindingId::new("terraform-init/unknown-release");
    /// A note: the selected version has no bundled schema; the nearest bundled one serves.
    pub(crate) const NEAREST_SCHEMA: FindingId = FindingId::new("terraform-init/nearest-schema");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "terraform-init",
        ids::NO_MATCHING_RELEASE,
        crate::finding::Depth::Offline,
        "no known provider release meets every constraint on it",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::LOCK_MISMATCH,
        crate::finding::Depth::Offline,
        "the lock file pins a version the constraints do not allow",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::LOCK_UNUSED,
        crate::finding::Depth::Offline,
        "a note: the lock file pins a provider nothing requires",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::CONSTRAINT,
        crate::finding::Depth::Offline,
        "a version constraint Terraform cannot parse",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::PROVIDER_SOURCE,
        crate::finding::Depth::Offline,
        "a provider source that is not a provider address",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::LOCK_FILE,
        crate::finding::Depth::Offline,
        "a lock file Terraform cannot read",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::UNKNOWN_RELEASE,
        crate::finding::Depth::Offline,
        "a note: the constraints allow only releases newer than any known",
    ),
    crate::finding::Check::new(
        "terraform-init",
        ids::NEAREST_SCHEMA,
        crate::finding::Depth::Offline,
        "a note: no bundled schema of the selected version; the nearest serves",
    ),
];

/// The version of one provider a directory is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub address: ProviderAddress,
    /// What `terraform init` would install (the lock file's pin, or the newest allowed).
    pub selected: Option<Version>,
    /// The bundled schema's version that stands for it.
    pub bundled: Version,
}

/// What the init checks found for one directory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitCheck {
    /// The directory, relative to the root.
    pub dir: String,
    /// What `terraform init` would refuse.
    pub failures: Vec<Finding>,
    /// Worth knowing, never a failure (each [`Finding::note`]).
    pub notes: Vec<Finding>,
    /// Each offline provider the configuration requires, at the version it is served.
    pub served: Vec<Served>,
}

/// Everything `terraform init` would refuse in any of `checks`.
pub fn failures(checks: &[InitCheck]) -> Vec<Finding> {
    checks.iter().flat_map(|c| c.failures.clone()).collect()
}

/// Checks the configuration at `dir` (relative to `root`) as `terraform init` would.
pub fn check(root: &Path, dir: &str) -> InitCheck {
    let mut result = InitCheck {
        dir: dir.to_string(),
        ..InitCheck::default()
    };
    let fs = match RepoFs::new(root) {
        Ok(fs) => fs,
        Err(e) => {
            result.failures = e.findings();
            return result;
        }
    };
    let requirements = requirements::merged(&fs, Path::new(dir));
    result.failures.extend(requirements.layout.iter().cloned());
    result.failures.extend(problems(&requirements));
    let lock = lock_file::read(&root.join(dir)).map_err(|e| lock_file_finding(dir, &e));
    let locked = match lock {
        Ok(locked) => locked,
        Err(finding) => {
            result.failures.push(finding);
            None
        }
    };
    let lock_path = format!("{dir}/{LOCK_FILE_NAME}");
    for requirement in &requirements.providers {
        let Some(known) = releases::of(&requirement.address) else {
            continue; // not a provider the suite knows releases of: nothing to judge
        };
        let constraints = requirement.constraints();
        let newest = known.newest_allowed(&constraints);
        if newest.is_none()
            && let Some(finding) = no_release(dir, requirement, known)
        {
            if finding.is_note() {
                result.notes.push(finding);
            } else {
                result.failures.push(finding);
            }
        }
        let pinned = locked
            .iter()
            .flatten()
            .find(|l| l.address == requirement.address);
        if let Some(pin) = pinned
            && !super::constraints::allows(&constraints, &pin.version)
        {
            result
                .failures
                .push(lock_mismatch(&lock_path, requirement, pin));
        }
        let selected = pinned.map(|p| p.version.clone()).or(newest.cloned());
        if let Some((served, note)) = serve(dir, requirement, known, selected) {
            result.served.push(served);
            result.notes.extend(note);
        }
    }
    for pin in locked.iter().flatten() {
        if requirements.get(&pin.address).is_none() {
            result.notes.push(
                Finding::new(
                    ids::LOCK_UNUSED,
                    lock_path.clone(),
                    format!(
                        "the lock file pins {} {}, which the configuration does not require",
                        pin.address, pin.version
                    ),
                )
                .at_line(pin.line)
                .about(pin.address.to_string())
                .note(),
            );
        }
    }
    result
}

/// No known release meets the constraints: a failure, or a note when the constraints may
/// allow a release newer than every one the suite knows.
fn no_release(dir: &str, requirement: &Requirement, known: &ProviderReleases) -> Option<Finding> {
    if requirement.declared.is_empty() {
        return None;
    }
    let finding = |id| {
        Finding::new(
            id,
            dir,
            format!(
                "no available releases match the given constraints {}",
                requirement.constraint_list()
            ),
        )
        .about(requirement.address.to_string())
        .expected("a release that meets every constraint")
        .found(requirement.declared_list())
    };
    Some(if known.may_allow_newer(&requirement.constraints()) {
        finding(ids::UNKNOWN_RELEASE)
            .found(format!(
                "{}: no known release up to {} matches",
                requirement.declared_list(),
                known.all.last().map(Version::to_string).unwrap_or_default()
            ))
            .note()
    } else {
        finding(ids::NO_MATCHING_RELEASE)
    })
}

/// The lock file's pin does not meet the merged constraints.
fn lock_mismatch(lock_path: &str, requirement: &Requirement, pin: &LockedProvider) -> Finding {
    Finding::new(
        ids::LOCK_MISMATCH,
        lock_path,
        format!(
            "locked provider {} {} does not match configured version constraint {}",
            requirement.address,
            pin.version,
            requirement.constraint_list()
        ),
    )
    .at_line(pin.line)
    .about(requirement.address.to_string())
    .expected(requirement.declared_list())
    .found(pin.version.to_string())
}

/// The bundled schema that serves `selected` (the newest bundled one when nothing is
/// selected), and a note when it is not that version. A provider bundled at one release only
/// stands for its whole major line: only another major is worth a note.
fn serve(
    dir: &str,
    requirement: &Requirement,
    known: &ProviderReleases,
    selected: Option<Version>,
) -> Option<(Served, Option<Finding>)> {
    let bundled = selected
        .as_ref()
        .and_then(|v| known.nearest_bundled(v))
        .or(known.bundled.last())
        .cloned()?;
    let address = &requirement.address;
    let note = selected
        .as_ref()
        .filter(|s| **s != bundled && (known.bundled.len() > 1 || s.major != bundled.major))
        .map(|selected| {
            Finding::new(
                ids::NEAREST_SCHEMA,
                dir,
                format!(
                    "{address} {selected} has no bundled schema: checked against the nearest bundled {bundled}"
                ),
            )
            .about(address.to_string())
            .expected(selected.to_string())
            .found(bundled.to_string())
            .note()
        });
    Some((
        Served {
            address: address.clone(),
            selected,
            bundled,
        },
        note,
    ))
}

impl InitCheck {
    /// The offline providers' releases to install for this directory, by local name of the
    /// offline provider (`proxmox`), where they differ from the install's defaults.
    pub fn selection(&self) -> Vec<(String, String)> {
        let mut selection: Vec<(String, String)> = self
            .served
            .iter()
            .filter(|s| {
                releases::of(&s.address).and_then(|r| r.default.as_ref()) != Some(&s.bundled)
            })
            .map(|s| (s.address.name.clone(), s.bundled.to_string()))
            .collect();
        selection.sort();
        selection
    }
}

/// The offline providers' releases to serve the configuration at `dir` (an absolute path,
/// e.g. a scratch copy): [`InitCheck::selection`] of its check. Links are followed
/// anywhere: this only chooses versions; the layout is discovery's to judge.
pub(crate) fn selection_for(dir: &Path) -> Vec<(String, String)> {
    let relative = dir.strip_prefix("/").unwrap_or(dir);
    check(Path::new("/"), &relative.to_string_lossy()).selection()
}

/// The init checks of every module and environment that has tests, in the homelab's order.
pub fn check_homelab(homelab: &crate::homelab::Homelab) -> Vec<InitCheck> {
    homelab
        .tested_dirs()
        .map(|d| check(&homelab.root, &d.dir))
        .collect()
}

fn problems(requirements: &Requirements) -> Vec<Finding> {
    requirements
        .problems
        .iter()
        .map(|problem| match problem {
            RequirementProblem::Constraint {
                provider,
                text,
                reason,
                file,
                line,
            } => Finding::new(
                ids::CONSTRAINT,
                file.clone(),
                format!("invalid version constraint {text:?}: {reason}"),
            )
            .at_line(*line)
            .about(provider.clone())
            .found(text.clone()),
            RequirementProblem::Source {
                provider,
                source,
                file,
                line,
            } => Finding::new(
                ids::PROVIDER_SOURCE,
                file.clone(),
                format!("provider {provider}: source {source:?} is not a provider address"),
            )
            .at_line(*line)
            .about(provider.clone())
            .found(source.clone()),
        })
        .collect()
}

fn lock_file_finding(dir: &str, error: &LockFileError) -> Finding {
    let (_, line) = error.location();
    let file = format!("{dir}/{LOCK_FILE_NAME}");
    let message = match error {
        LockFileError::Read { message, .. } => format!("cannot read: {message}"),
        LockFileError::Hcl { message, .. } => format!("not valid HCL: {message}"),
        LockFileError::Provider {
            address, reason, ..
        } => format!("provider {address:?}: {reason}"),
    };
    Finding::new(ids::LOCK_FILE, file.clone(), message)
        .at(line)
        .about(file)
}

#[cfg(test)]
mod tests;
