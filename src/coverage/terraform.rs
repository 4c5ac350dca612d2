//! Terraform coverage: which `terraform test` runs touch each module element.
//! (Being written on the `cov-alerts-tf` branch; until it lands, nothing is collected.)

use std::path::Path;

use crate::coverage::model::TerraformElement;

pub fn collect(_root: &Path) -> Vec<TerraformElement> {
    Vec::new()
}
