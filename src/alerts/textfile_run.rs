//! The textfile contract checked by running the homelab's publishing scripts: the scripts
//! held to the contract (those that use the textfile library) run against a stand-in node,
//! and what they publish is compared with the contract's catalog.

use std::path::Path;

use super::catalog::{CatalogError, CatalogSet};
use super::textfile::{self, PublishedMetric, TextfileError};
use crate::finding::Finding;
use crate::homelab::Homelab;

/// Why the scripts could not be run, or the contract not read.
#[derive(Debug, thiserror::Error)]
pub enum ContractRunError {
    #[error(transparent)]
    Scripts(#[from] TextfileError),
    #[error(transparent)]
    Catalogs(#[from] CatalogError),
}

/// What the scripts published, and how it differs from the contract.
#[derive(Debug, Clone)]
pub struct ContractRun {
    pub published: Vec<PublishedMetric>,
    pub findings: Vec<Finding>,
}

/// Runs the scripts of `homelab` that are under the contract, where they are under `root`
/// (the others are judged by what they write: the catalog check). Blocking.
pub fn run_contract(root: &Path, homelab: &Homelab) -> Result<ContractRun, ContractRunError> {
    let scripts: Vec<&str> = (homelab.publishing_scripts.iter())
        .filter(|s| s.under_contract())
        .map(|s| s.path.as_str())
        .collect();
    let published = textfile::publish_scripts(root, &scripts)?;
    let catalogs = CatalogSet::bundled()?;
    let findings = textfile::compare(&published, textfile::contract(&catalogs.catalogs)?);
    Ok(ContractRun {
        published,
        findings,
    })
}
