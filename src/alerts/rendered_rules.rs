//! The deployed rules files as files the real tools read (Prometheus, promtool): the
//! repository's own files, and the rendered text of templates written to a scratch
//! directory that lives as long as the value does.

use std::path::{Path, PathBuf};

use crate::homelab::Homelab;

/// Why the deployed rules files could not be put on disk.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot create a scratch directory: {0}")]
    Scratch(std::io::Error),
    #[error(transparent)]
    Write(#[from] std::io::Error),
}

/// Every deployed rules file of a homelab, on disk, in the homelab's order.
#[derive(Debug)]
pub struct RenderedRules {
    /// One path per deployed rules file.
    pub files: Vec<PathBuf>,
    /// Where rendered templates were written; removed when this is dropped.
    scratch: tempfile::TempDir,
}

impl RenderedRules {
    /// Writes the rendered templates of `homelab`'s rules files to a new scratch directory.
    pub fn of(homelab: &Homelab) -> Result<RenderedRules, RenderError> {
        let scratch = tempfile::Builder::new()
            .prefix("homelab-spec-rendered-")
            .tempdir()
            .map_err(RenderError::Scratch)?;
        let files = homelab.rules_files_on_disk(scratch.path())?;
        Ok(RenderedRules { files, scratch })
    }

    /// The directory rendered templates were written under, at their relative paths.
    pub fn dir(&self) -> &Path {
        self.scratch.path()
    }
}
