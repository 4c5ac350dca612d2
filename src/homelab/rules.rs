//! The static and catalog checks over every rules file the homelab deploys, as one
//! Prometheus would load them: a series recorded by a recording rule of any deployed file
//! is known to the rules of every other file.

use std::path::{Path, PathBuf};

use super::{Homelab, RulesFile};
use crate::alerts::lint::{Depth, LintReport, lint_text_among};
use crate::alerts::published_metrics::{PublishedError, PublishedMetrics};

/// One report per deployed rules file, in the homelab's order; each names its file by its
/// path relative to the root, and checks the text Prometheus gets (rendered templates).
pub fn lint_rules_files(homelab: &Homelab, depth: Depth) -> Vec<LintReport> {
    homelab
        .rules_files
        .iter()
        .map(|file| {
            let elsewhere: Vec<String> = homelab
                .rules_files
                .iter()
                .filter(|other| other.path != file.path)
                .flat_map(recorded_series)
                .collect();
            lint_text_among(&file.path, &file.text, depth, &elsewhere)
        })
        .collect()
}

/// The textfile metrics the homelab's publishing scripts write (read, not run), for
/// [`Depth::CatalogAndScripts`].
pub fn published_metrics(homelab: &Homelab) -> Result<PublishedMetrics, PublishedError> {
    Ok(PublishedMetrics::from_publishing(
        &homelab.publishing_scripts,
    ))
}

/// The deployed rules file that defines the alerting rule `alert` (the first, in the
/// homelab's order), for a behaviour scenario about that alert.
pub fn file_defining<'h>(homelab: &'h Homelab, alert: &str) -> Option<&'h RulesFile> {
    homelab.rules_files.iter().find(|file| {
        let (parsed, _) = crate::alerts::rule_file::parse(&file.path, &file.text);
        parsed.alerting_rules().any(|rule| rule.name == alert)
    })
}

/// The series a file's recording rules produce.
fn recorded_series(file: &RulesFile) -> Vec<String> {
    let Ok(yaml) = serde_yaml::from_str::<serde_yaml::Value>(&file.text) else {
        return Vec::new();
    };
    let groups = yaml
        .get("groups")
        .and_then(serde_yaml::Value::as_sequence)
        .map_or(&[][..], Vec::as_slice);
    groups
        .iter()
        .filter_map(|g| g.get("rules").and_then(serde_yaml::Value::as_sequence))
        .flatten()
        .filter_map(|rule| rule.get("record").and_then(serde_yaml::Value::as_str))
        .map(str::to_string)
        .collect()
}

/// The reports of several files as one: findings, groups and alerts side by side, counts
/// summed, the files' names joined.
pub fn merged(reports: &[LintReport]) -> LintReport {
    LintReport {
        file: reports
            .iter()
            .map(|r| r.file.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        findings: reports.iter().flat_map(|r| r.findings.clone()).collect(),
        groups: reports.iter().flat_map(|r| r.groups.clone()).collect(),
        alerting_rules: reports.iter().map(|r| r.alerting_rules).sum(),
        recording_rules: reports.iter().map(|r| r.recording_rules).sum(),
        alerts: reports.iter().flat_map(|r| r.alerts.clone()).collect(),
        cpu_time: reports.iter().map(|r| r.cpu_time).sum(),
    }
}

/// The deployed rules files as files tools can read (Prometheus, promtool): the files
/// themselves, or their rendered text written under `scratch`.
pub fn rules_files_on_disk(homelab: &Homelab, scratch: &Path) -> std::io::Result<Vec<PathBuf>> {
    homelab
        .rules_files
        .iter()
        .map(|f| f.file_on_disk(&homelab.root, scratch))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::catalog::CatalogSet;
    use crate::alerts::finding::CheckId;

    #[test]
    fn every_deployed_rule_of_this_repository_passes_and_there_are_at_least_26() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = Homelab::discover(root).expect("this repository's layout is valid");
        assert!(!homelab.rules_files.is_empty());
        let catalogs = CatalogSet::bundled().unwrap();
        let published = published_metrics(&homelab).unwrap();
        let report = merged(&lint_rules_files(
            &homelab,
            Depth::CatalogAndScripts(catalogs, &published),
        ));
        assert!(report.alerting_rules >= 26, "{}", report.alerting_rules);
        let serious: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.id != CheckId::PromqlNeedsConfig)
            .collect();
        assert!(serious.is_empty(), "{serious:#?}");
    }
}
