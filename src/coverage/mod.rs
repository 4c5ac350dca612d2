//! What is tested, and what is not: for every alerting rule, Terraform module element and
//! Bash function of the homelab, the cases that exercise it.
//!
//! Each layer has its own collector: [`alerts`] (the behaviour scenarios and the homelab's
//! promtool test files that show a rule firing or staying quiet), [`terraform`] (the
//! `.tftest.hcl` runs whose assertions or `expect_failures` touch an element) and [`bash`]
//! (the functions and lines the real BATS runs executed, traced by bash itself, and the
//! textfile metrics those runs published). [`collect`] puts them together into one
//! [`Coverage`], the data of `reports/coverage.json` and of the page's "What is tested".

pub mod alerts;
pub mod bash;
pub mod figures;
pub mod model;
pub(crate) mod terraform;

use std::path::Path;

use crate::alerts::deployed_rules::DeployedRules;
use crate::homelab::Homelab;
use crate::outcome::ScenarioOutcomes;

pub use figures::{Figures, Ratio};
pub use model::{
    CaseKind, CaseRef, Coverage, ElementKind, FileLines, FunctionCoverage, RuleCoverage,
    RuleStatus, TerraformElement, TextfileMetric,
};

/// The coverage of the homelab at `root`, from what the run's scenarios returned.
/// `discovered` is the homelab there and its deployed rules files, read once by the runner;
/// `None` when discovery refused the root (no rules, no textfile metrics to report).
pub fn collect(
    root: &Path,
    discovered: Option<(&Homelab, &DeployedRules)>,
    scenarios: &[ScenarioOutcomes],
) -> Coverage {
    // The Bash files and what the BATS runs traced, read once for the three Bash layers.
    let files = crate::homelab::bash_functions::bash_files(root);
    let traced = bash::traced_tests(scenarios);
    Coverage {
        schema_version: model::SCHEMA_VERSION,
        alerts: discovered.map_or_else(Vec::new, |(_, deployed)| {
            alerts::collect(deployed, scenarios)
        }),
        terraform: terraform::collect(root),
        bash: bash::functions_of(&files, &traced),
        bash_files: bash::files_of(&files, &traced),
        textfile: discovered.map_or_else(Vec::new, |(homelab, deployed)| {
            bash::textfile_metrics_of(homelab, deployed, &traced)
        }),
    }
}
