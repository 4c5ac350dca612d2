//! What can stop discovery: the homelab breaks one of the conventions the suite finds its
//! parts by. Each error names the file or link at fault; [`DiscoveryError::findings`] gives
//! the same as [`Finding`]s (stable ids, a subject) for steps that assert on them.

use std::path::PathBuf;

use crate::finding::{Finding, FindingId};

/// Stable ids of the layout findings.
pub mod ids {
    pub(crate) const NO_MODULES: &str = "layout/no-modules";
    pub(crate) const MODULE_WITHOUT_TF: &str = "layout/module-without-tf";
    pub(crate) const MISSING_FILE: &str = "layout/missing-file";
    pub(crate) const MISSING_MODULE: &str = "layout/missing-module";
    pub(crate) const OUTSIDE: &str = "layout/outside-repository";
    pub(crate) const DANGLING_LINK: &str = "layout/dangling-link";
    pub(crate) const LINK_OUTSIDE: &str = "layout/link-outside";
    pub(crate) const LINK_LOOP: &str = "layout/link-loop";
    pub const HCL: &str = "layout/hcl";
    pub(crate) const IO: &str = "layout/io";
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::NO_MODULES),
        crate::finding::Depth::Offline,
        "no Terraform module directory where the layout expects them",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::MODULE_WITHOUT_TF),
        crate::finding::Depth::Offline,
        "a module directory without any .tf file",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::MISSING_FILE),
        crate::finding::Depth::Offline,
        "a file the configuration reads (file(), templatefile()) is missing",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::MISSING_MODULE),
        crate::finding::Depth::Offline,
        "a module block whose local source directory is missing",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::OUTSIDE),
        crate::finding::Depth::Offline,
        "a path that leads outside the repository",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::DANGLING_LINK),
        crate::finding::Depth::Offline,
        "a symbolic link whose target does not exist",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::LINK_OUTSIDE),
        crate::finding::Depth::Offline,
        "a symbolic link that points outside the repository",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::LINK_LOOP),
        crate::finding::Depth::Offline,
        "symbolic links that lead back to themselves",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::HCL),
        crate::finding::Depth::Offline,
        "a .tf file that is not valid HCL",
    ),
    crate::finding::Check::new(
        "layout",
        crate::finding::FindingId::new(ids::IO),
        crate::finding::Depth::Offline,
        "a file or directory of the repository that cannot be read",
    ),
];

/// One broken convention, or several at once.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error(
        "{} has no infrastructure/proxmox/modules/ directory: the suite finds the homelab's Terraform modules there",
        root.display()
    )]
    NoModulesDir { root: PathBuf },

    #[error(
        "the module directory {module} has no .tf file: every directory under infrastructure/proxmox/modules/ must be a Terraform module"
    )]
    ModuleWithoutTerraform { module: String },

    #[error("{reader}:{line} reads {path}, which does not exist")]
    MissingFile {
        reader: String,
        line: usize,
        path: String,
    },

    #[error("{reader}:{line} calls the module {source_dir}, which is not a directory of .tf files")]
    MissingModule {
        reader: String,
        line: usize,
        source_dir: String,
    },

    #[error("{reader}:{line} reads {path}, which is outside the repository")]
    FileOutside {
        reader: String,
        line: usize,
        path: String,
    },

    #[error("the symlink {link} points to {}, which does not exist", target.display())]
    DanglingLink { link: String, target: PathBuf },

    #[error("the symlink {link} points to {}, outside the repository", target.display())]
    LinkOutside { link: String, target: PathBuf },

    #[error(
        "the symlink {link} points to {}, which loops (to itself or to a directory that contains it)",
        target.display()
    )]
    LinkLoop { link: String, target: PathBuf },

    #[error("{file}:{line}: not valid HCL: {message}")]
    Hcl {
        file: String,
        line: usize,
        message: String,
    },

    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{}", several(.0))]
    Several(Vec<DiscoveryError>),
}

fn several(errors: &[DiscoveryError]) -> String {
    let mut text = format!("{} problems with the homelab's layout:", errors.len());
    for error in errors {
        text.push_str(&format!("\n  {error}"));
    }
    text
}

impl DiscoveryError {
    /// One error for all problems found: itself when there is one, [`DiscoveryError::Several`]
    /// otherwise. `None` when there are none.
    pub(crate) fn from_all(mut errors: Vec<DiscoveryError>) -> Option<DiscoveryError> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(DiscoveryError::Several(errors)),
        }
    }

    /// The single problems (a [`DiscoveryError::Several`] flattened).
    pub fn problems(&self) -> Vec<&DiscoveryError> {
        match self {
            DiscoveryError::Several(all) => all.iter().flat_map(|e| e.problems()).collect(),
            other => vec![other],
        }
    }

    /// The problems as findings: id, file, line, and the subject at fault (the module, the
    /// missing file, the link).
    pub fn findings(&self) -> Vec<Finding> {
        self.problems().into_iter().map(one_finding).collect()
    }
}

fn one_finding(error: &DiscoveryError) -> Finding {
    let message = error.to_string();
    match error {
        DiscoveryError::NoModulesDir { .. } => Finding::new(
            FindingId::new(ids::NO_MODULES),
            "infrastructure/proxmox/modules",
            message,
        )
        .about("infrastructure/proxmox/modules"),
        DiscoveryError::ModuleWithoutTerraform { module } => {
            let name = module.rsplit('/').next().unwrap_or(module);
            Finding::new(FindingId::new(ids::MODULE_WITHOUT_TF), module, message).about(name)
        }
        DiscoveryError::MissingFile { reader, line, path } => {
            Finding::new(FindingId::new(ids::MISSING_FILE), reader, message)
                .at_line(*line)
                .about(path)
        }
        DiscoveryError::MissingModule {
            reader,
            line,
            source_dir,
        } => Finding::new(FindingId::new(ids::MISSING_MODULE), reader, message)
            .at_line(*line)
            .about(source_dir),
        DiscoveryError::FileOutside { reader, line, path } => {
            Finding::new(FindingId::new(ids::OUTSIDE), reader, message)
                .at_line(*line)
                .about(path)
        }
        DiscoveryError::DanglingLink { link, .. } => {
            Finding::new(FindingId::new(ids::DANGLING_LINK), link, message).about(link)
        }
        DiscoveryError::LinkOutside { link, .. } => {
            Finding::new(FindingId::new(ids::LINK_OUTSIDE), link, message).about(link)
        }
        DiscoveryError::LinkLoop { link, .. } => {
            Finding::new(FindingId::new(ids::LINK_LOOP), link, message).about(link)
        }
        DiscoveryError::Hcl { file, line, .. } => {
            Finding::new(FindingId::new(ids::HCL), file, message).at_line(*line)
        }
        DiscoveryError::Io { path, .. } => {
            Finding::new(FindingId::new(ids::IO), path, message).about(path)
        }
        // problems() flattens these; kept total so that no input can panic here.
        DiscoveryError::Several(_) => Finding::new(FindingId::new(ids::IO), "", message),
    }
}
