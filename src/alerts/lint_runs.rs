//! The static and catalog checks as a scenario runs them: one rules file timed by its CPU
//! time, or every rules file the homelab deploys; each report also as the findings the
//! reports show.

use std::path::Path;

use super::attribution::Attribution;
use super::deployed_rules::{DeployedRules, published_metrics};
use super::lint::{Depth, LintReport, ReadError, lint_file};
use crate::homelab::Homelab;
use crate::outcome::CheckedFindings;

/// The checks of the file at `path` (named `name` in findings), run three times: the last
/// report, whose `cpu_time` is the least CPU time a run took (the checks' own cost, not a
/// busy neighbour's).
pub fn lint_timed(path: &Path, name: &str, depth: Depth) -> Result<LintReport, ReadError> {
    let mut report = lint_file(path, name, depth)?;
    for _ in 1..3 {
        let best = report.cpu_time;
        report = lint_file(path, name, depth)?;
        report.cpu_time = report.cpu_time.min(best);
    }
    Ok(report)
}

/// One report per deployed rules file (`deployed`, the homelab's files as read), checked
/// against the catalogs `attribution` selected; the metrics the homelab's own scripts write
/// count as published (`textfile/undeclared` when the contract lacks them).
pub fn lint_deployed(
    homelab: &Homelab,
    deployed: &DeployedRules,
    attribution: &Attribution,
) -> Vec<LintReport> {
    let published = published_metrics(homelab);
    deployed.lint(Depth::Deployed(attribution, &published))
}

/// How the reports name the checks `depth` runs.
pub fn check_name(depth: Depth) -> &'static str {
    match depth {
        Depth::Static => "static checks",
        Depth::Catalog(_) | Depth::CatalogAndScripts(..) | Depth::Deployed(..) => "catalog checks",
    }
}

/// A report's findings as the reports show them, under the name of the checks (`check`).
pub fn checked_findings(check: &str, report: &LintReport) -> CheckedFindings {
    CheckedFindings {
        check: format!("{check}: {}", report.file),
        findings: report.findings.clone(),
        broken_copy: None,
    }
}

/// `<file>: N alerting rules, N recording rules, N findings`.
pub fn counts(report: &LintReport) -> String {
    format!(
        "{}: {} alerting rules, {} recording rules, {} findings",
        report.file,
        report.alerting_rules,
        report.recording_rules,
        report.findings.len()
    )
}
