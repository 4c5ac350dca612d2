//! Which module's Terraform deploys a rules file: the read discovery followed (`file()`,
//! `templatefile()`, locals, `fileset()`) from the module to one of the deployed rules files
//! every alert check runs over.

use crate::homelab::FileRead;
use crate::homelab::Homelab;

/// Why the module does not deploy the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotDeployedBy {
    #[error("{file} is not among the rules files the homelab deploys: {deployed:?}")]
    NotDeployed { file: String, deployed: Vec<String> },
    #[error("{file} is deployed, but not by {module}: read by {readers:?}")]
    OtherReaders {
        file: String,
        module: String,
        readers: Vec<String>,
    },
}

/// Where `module` reads its file `relative` (a path inside the module) into what it
/// deploys.
pub fn read_by<'h>(
    homelab: &'h Homelab,
    module: &str,
    relative: &str,
) -> Result<&'h FileRead, NotDeployedBy> {
    let file = format!("{module}/{relative}");
    let Some(deployed) = homelab.rules_files.iter().find(|f| f.path == file) else {
        let deployed = homelab.rules_files.iter().map(|f| f.path.clone()).collect();
        return Err(NotDeployedBy::NotDeployed { file, deployed });
    };
    let read = deployed.reads.iter().find(|read| read.config == module);
    read.ok_or_else(|| NotDeployedBy::OtherReaders {
        readers: deployed.reads.iter().map(|r| r.tf_file.clone()).collect(),
        module: module.to_string(),
        file,
    })
}
