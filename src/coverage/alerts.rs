//! Alert coverage: which cases show each alerting rule firing and staying quiet.
//! (Being written on the `cov-alerts-tf` branch; until it lands, nothing is collected.)

use std::path::Path;

use crate::coverage::model::RuleCoverage;
use crate::report::ScenarioOutcomes;

pub fn collect(_root: &Path, _scenarios: &[ScenarioOutcomes]) -> Vec<RuleCoverage> {
    Vec::new()
}
