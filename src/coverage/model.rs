//! The data of `reports/coverage.json` (schema in `docs/coverage.md`). Paths are relative to
//! the repository root, with `/`; lists are sorted so that two runs of the same homelab
//! write the same file.

use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning or goes away (adding a field does not bump it).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Everything the run knows about what is tested.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub(crate) schema_version: u32,
    /// One entry per alerting rule of every deployed rules file.
    pub alerts: Vec<RuleCoverage>,
    /// One entry per resource, data source, output and variable validation of every module
    /// and environment.
    pub terraform: Vec<TerraformElement>,
    /// One entry per function defined in the homelab's Bash libraries and scripts.
    pub bash: Vec<FunctionCoverage>,
    /// Line coverage per Bash file.
    pub bash_files: Vec<FileLines>,
    /// One entry per textfile metric an alert uses.
    pub textfile: Vec<TextfileMetric>,
}

/// A case that exercises something: a Gherkin scenario, a promtool test case, a
/// `terraform test` run, a BATS test.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CaseRef {
    pub kind: CaseKind,
    /// The scenario's, run's or test's name.
    pub name: String,
    /// The file that defines the case, relative to the repository root (a feature file
    /// relative to the suite's own root).
    pub file: String,
    pub line: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaseKind {
    Scenario,
    Promtool,
    TerraformTest,
    Bats,
}

/// An alerting rule and the cases that show it firing and staying quiet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCoverage {
    pub alert: String,
    /// The rules file, relative to the repository root.
    pub file: String,
    pub line: Option<u32>,
    pub firing: Vec<CaseRef>,
    pub quiet: Vec<CaseRef>,
    pub status: RuleStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    /// No case shows it firing.
    Untested,
    /// A firing case, no quiet case.
    HalfTested,
    /// Both.
    Tested,
}

impl RuleStatus {
    pub fn of(firing: &[CaseRef], quiet: &[CaseRef]) -> RuleStatus {
        match (firing.is_empty(), quiet.is_empty()) {
            (true, _) => RuleStatus::Untested,
            (false, true) => RuleStatus::HalfTested,
            (false, false) => RuleStatus::Tested,
        }
    }
}

/// A module or environment element and the `terraform test` runs that touch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerraformElement {
    /// The module or environment directory, relative to the repository root.
    pub directory: String,
    pub kind: ElementKind,
    /// `proxmox_virtual_environment_vm.this`, `data.x.y`, `output.vm_id`, `var.cores`.
    pub address: String,
    pub file: String,
    pub line: Option<u32>,
    /// Runs whose `assert` conditions reference it, or (a validation) whose
    /// `expect_failures` exercise it.
    pub(crate) covered_by: Vec<CaseRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElementKind {
    Resource,
    DataSource,
    Output,
    Validation,
}

/// A Bash function and the BATS tests that executed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCoverage {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub(crate) executed_by: Vec<CaseRef>,
}

/// The lines of one Bash file the BATS runs executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLines {
    pub file: String,
    /// Lines bash can execute (commands, not comments, blank lines or closing braces).
    pub(crate) executable: u32,
    pub executed: u32,
    /// Executable lines no test executed.
    pub missed: Vec<u32>,
}

/// A metric an alert reads from a textfile, the script that publishes it, and the BATS tests
/// that ran the publishing code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextfileMetric {
    pub metric: String,
    /// The alerts that use it.
    pub alerts: Vec<String>,
    /// The publishing script, `None` when no script of the homelab writes it.
    pub script: Option<String>,
    pub line: Option<u32>,
    pub(crate) executed_by: Vec<CaseRef>,
}
