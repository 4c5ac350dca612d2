//! Bash coverage: the functions and lines the real BATS runs executed, and the textfile
//! metrics they published. (Being written on the `cov-bash` branch; until it lands, nothing
//! is collected.)

use std::path::Path;

use crate::coverage::model::{FileLines, FunctionCoverage, TextfileMetric};
use crate::report::ScenarioOutcomes;

pub fn functions(_root: &Path, _scenarios: &[ScenarioOutcomes]) -> Vec<FunctionCoverage> {
    Vec::new()
}

pub fn files(_root: &Path, _scenarios: &[ScenarioOutcomes]) -> Vec<FileLines> {
    Vec::new()
}

pub fn textfile_metrics(_root: &Path, _scenarios: &[ScenarioOutcomes]) -> Vec<TextfileMetric> {
    Vec::new()
}
