//! What can keep Terraform from testing a module at all (as opposed to a test that ran and
//! failed, which is a [`crate::finding::Finding`]).

use std::path::PathBuf;
use std::time::Duration;

use super::tftest::HclError;
use crate::tools::ToolError;

#[derive(Debug, thiserror::Error)]
pub enum TerraformError {
    #[error("module {module}: {} is not a directory", dir.display())]
    NoModule { module: String, dir: PathBuf },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error(transparent)]
    Providers(#[from] ProviderError),
    #[error("{0}")]
    Hcl(HclError),
    #[error(
        "module {module}: `terraform {command}` did not finish within {timeout:?} and was killed{}",
        so_far(output)
    )]
    TimedOut {
        module: String,
        command: String,
        timeout: Duration,
        output: String,
    },
    #[error("module {module}: terraform {command}: {reason}")]
    Command {
        module: String,
        command: String,
        reason: String,
    },
    #[error("{file} of module {module} does not contain {text:?}")]
    TextNotFound {
        module: String,
        file: String,
        text: String,
    },
    #[error("module {module}: the test thread panicked")]
    Panicked { module: String },
    /// The repository could not be copied (too big, unreadable).
    #[error("{module}: no copy of the repository to run in: {source}")]
    Copy {
        module: String,
        #[source]
        source: crate::homelab::copy::CopyError,
    },
    /// The directory reads through a link the copy refused, or its module calls are broken.
    #[error("{module}: {}", findings.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("; "))]
    Layout {
        module: String,
        findings: Vec<crate::finding::Finding>,
    },
}

fn so_far(output: &str) -> String {
    if output.trim().is_empty() {
        String::new()
    } else {
        let indented: Vec<String> = output
            .trim_end()
            .lines()
            .map(|l| format!("    {l}"))
            .collect();
        format!("; its output so far:\n{}", indented.join("\n"))
    }
}

impl From<HclError> for TerraformError {
    fn from(e: HclError) -> TerraformError {
        TerraformError::Hcl(e)
    }
}

impl TerraformError {
    /// What kept the directory from running, as findings of its own ids (`copy/too-big`, a
    /// refused link's `layout/link-outside`, ...); empty for the other errors.
    pub fn findings(&self) -> Vec<crate::finding::Finding> {
        match self {
            TerraformError::Copy { source, .. } => vec![source.finding()],
            TerraformError::Layout { findings, .. } => findings.clone(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> TerraformError {
        TerraformError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Why the offline providers are not available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("SPEC_OFFLINE_PROVIDER={} does not exist: build it with `make provider` (cargo build -p tf-offline-provider), or unset it", .0.display())]
    NamedBinaryMissing(PathBuf),
    #[error(
        "no tf-offline-provider build found in {searched}: run `make provider` (cargo build -p tf-offline-provider), or set SPEC_OFFLINE_PROVIDER"
    )]
    NoBuild { searched: String },
    #[error("installing the offline Terraform providers failed: {0}")]
    Install(String),
}
