//! Environments under `terraform test`. An environment calls modules by relative paths
//! (`source = "../../modules/vm"`) and may link shared files in (`providers.tf ->
//! ../../shared/providers.tf`): like a module, it runs in place in a copy of the whole
//! repository ([`super::in_place`]), where every source and link is where the repository
//! has it. A link the copy refused (out of the repository, or a loop) below the environment
//! or a module it calls fails the environment's run, naming the link. The modules are
//! installed offline (`terraform get`, local sources only) before `terraform validate` and
//! `terraform test`.

use std::path::Path;

use super::error::TerraformError;
use super::runner::{ModuleOutcome, TestRunner};
use crate::homelab::TerraformDir;

/// Why an environment could not be tested at all.
#[derive(Debug, thiserror::Error)]
#[error("environment {environment}: {source}")]
pub struct EnvironmentError {
    pub environment: String,
    #[source]
    pub source: TerraformError,
}

impl EnvironmentError {
    /// A refused link, a broken module call or a copy that failed, as findings (empty when
    /// Terraform itself could not run: no providers, a timeout).
    pub fn findings(&self) -> Vec<crate::finding::Finding> {
        self.source.findings()
    }
}

/// Runs `terraform get`, `validate` and `test` in the environment at `root`, in place in a
/// copy of the repository. The outcome is named `environments/<name>`.
pub(crate) fn run_environment(
    runner: &TestRunner,
    root: &Path,
    environment: &TerraformDir,
) -> Result<ModuleOutcome, EnvironmentError> {
    let name = format!("environments/{}", environment.name);
    runner
        .run_in_place(&name, &environment.dir, &root.join(&environment.dir), true)
        .map_err(|source| EnvironmentError {
            environment: environment.dir.clone(),
            source,
        })
}

/// Several environments at once (bounded by [`TestRunner::parallel_limit`] with the
/// modules), results in the given order.
pub fn run_environments(
    runner: &TestRunner,
    root: &Path,
    environments: &[TerraformDir],
) -> Vec<Result<ModuleOutcome, EnvironmentError>> {
    crate::parallel::map(
        environments,
        |env| run_environment(runner, root, env),
        |env| {
            Err(EnvironmentError {
                environment: env.dir.clone(),
                source: TerraformError::Panicked {
                    module: env.name.clone(),
                },
            })
        },
    )
}

#[cfg(test)]
mod tests;
