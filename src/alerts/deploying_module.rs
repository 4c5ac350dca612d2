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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{MONITORING_MODULE, RULES_FILE};

    #[test]
    fn the_monitoring_module_of_this_repository_reads_its_rules_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = Homelab::discover(root).expect("this repository's layout is valid");
        let relative = RULES_FILE
            .strip_prefix(&format!("{MONITORING_MODULE}/"))
            .unwrap();
        let read = read_by(&homelab, MONITORING_MODULE, relative).unwrap();
        assert_eq!(read.config, MONITORING_MODULE);
        let other = read_by(&homelab, "infrastructure/proxmox/modules/vm", "files/x.yml");
        assert!(
            matches!(other, Err(NotDeployedBy::NotDeployed { .. })),
            "{other:?}"
        );
    }
}
