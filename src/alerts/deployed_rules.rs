//! The rules files the homelab deploys (found by discovery, `crate::homelab`), each read
//! once ([`super::rule_file::read_as_yaml`], from the YAML value discovery parsed) and then
//! looked up by every check that needs it: the static and catalog checks over them all, as
//! one Prometheus would load them (a series recorded by a recording rule of any deployed
//! file is known to the rules of every other file), the file that defines an alert, the
//! alerts' coverage.
//!
//! Discovery only finds, renders and parses the files as YAML; reading them as rules is
//! this area's job. The value owns what it read, so it is made once per workspace (the
//! checkout, or a scenario's changed copy) and kept next to that workspace's homelab: the
//! scenario's steps and the run's coverage look it up instead of reading the files again.

use std::time::Duration;

use super::finding::Finding;
use super::lint::{Depth, LintReport, lint_read_among};
use super::published_metrics::PublishedMetrics;
use super::rule_file::{self, RuleFile, RuleKind};
use crate::homelab::{Homelab, RulesFile};

/// Every deployed rules file of one homelab, read.
#[derive(Debug, Clone, Default)]
pub struct DeployedRules {
    files: Vec<DeployedRulesFile>,
}

/// One deployed rules file and what reading it gave.
#[derive(Debug, Clone)]
pub struct DeployedRulesFile {
    /// The file as discovery found it (path relative to the root, text as deployed).
    pub file: RulesFile,
    /// Its groups and rules.
    pub rules: RuleFile,
    /// What reading it found (YAML syntax, shapes, unknown keys): the checks report them.
    read_findings: Vec<Finding>,
    /// The CPU time reading it took, counted with its checks.
    read_time: Duration,
}

impl DeployedRules {
    /// Reads each of the homelab's deployed rules files, in the homelab's order: once per
    /// workspace, by whoever keeps its homelab.
    pub fn read(homelab: &Homelab) -> DeployedRules {
        let files = homelab
            .rules_files
            .iter()
            .map(|file| {
                let ((rules, read_findings), read_time) = crate::timing::cpu_time_of(|| {
                    rule_file::read_as_yaml(&file.path, &file.text, file.yaml.clone())
                });
                DeployedRulesFile {
                    file: file.clone(),
                    rules,
                    read_findings,
                    read_time,
                }
            })
            .collect();
        DeployedRules { files }
    }

    /// The files, in the homelab's order.
    pub fn files(&self) -> &[DeployedRulesFile] {
        &self.files
    }

    /// One report per deployed rules file, in the homelab's order; each names its file by
    /// its path relative to the root, and checks the text Prometheus gets (rendered
    /// templates). The series the other files' recording rules produce count as known.
    pub fn lint(&self, depth: Depth) -> Vec<LintReport> {
        let recorded: Vec<Vec<String>> = self.files.iter().map(recorded_series).collect();
        self.files
            .iter()
            .map(|file| {
                let elsewhere: Vec<String> = self
                    .files
                    .iter()
                    .zip(&recorded)
                    .filter(|(other, _)| other.file.path != file.file.path)
                    .flat_map(|(_, series)| series.iter().cloned())
                    .collect();
                lint_read_among(
                    &file.rules,
                    &file.read_findings,
                    file.read_time,
                    depth,
                    &elsewhere,
                )
            })
            .collect()
    }

    /// The deployed rules file that defines the alerting rule `alert` (the first, in the
    /// homelab's order), for a behaviour scenario about that alert.
    pub fn file_defining(&self, alert: &str) -> Option<&DeployedRulesFile> {
        self.files.iter().find(|file| file.defines(alert))
    }
}

impl DeployedRulesFile {
    /// Whether it has an alerting rule named `alert`.
    pub fn defines(&self, alert: &str) -> bool {
        self.rules.alerting_rules().any(|rule| rule.name == alert)
    }
}

/// The series a file's recording rules produce.
fn recorded_series(file: &DeployedRulesFile) -> Vec<String> {
    file.rules
        .rules()
        .filter(|rule| rule.kind == RuleKind::Recording)
        .map(|rule| rule.name.clone())
        .collect()
}

/// The textfile metrics the homelab's publishing scripts write (read, not run), for
/// [`Depth::CatalogAndScripts`].
pub fn published_metrics(homelab: &Homelab) -> PublishedMetrics {
    PublishedMetrics::from_publishing(&homelab.publishing_scripts)
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::alerts::catalog::CatalogSet;
    use crate::alerts::finding::CheckId;

    #[test]
    fn every_deployed_rule_of_this_repository_passes_and_there_are_at_least_26() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = Homelab::discover(root).expect("this repository's layout is valid");
        assert!(!homelab.rules_files.is_empty());
        let catalogs = CatalogSet::bundled().unwrap();
        let published = published_metrics(&homelab);
        let report = merged(
            &DeployedRules::read(&homelab).lint(Depth::CatalogAndScripts(catalogs, &published)),
        );
        assert!(report.alerting_rules >= 26, "{}", report.alerting_rules);
        let serious: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.id != CheckId::PromqlNeedsConfig)
            .collect();
        assert!(serious.is_empty(), "{serious:#?}");
    }

    #[test]
    fn each_deployed_file_is_read_once_for_discovery_checks_lookup_and_coverage() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let (before, yaml_before) = (
            rule_file::parses::so_far(),
            rule_file::parses::yaml_so_far(),
        );
        let homelab = Homelab::discover(root).expect("this repository's layout is valid");
        let deployed = DeployedRules::read(&homelab);
        let catalogs = CatalogSet::bundled().unwrap();
        let published = published_metrics(&homelab);
        let reports = deployed.lint(Depth::CatalogAndScripts(catalogs, &published));
        let alert = reports
            .iter()
            .flat_map(|r| r.alerts.iter())
            .next()
            .expect("an alerting rule")
            .clone();
        assert!(deployed.file_defining(&alert.name).is_some(), "{alert:?}");
        let defined = crate::coverage::alerts::defined(&deployed, &[], &[]);
        let coverage = crate::coverage::collect(root, Some((&homelab, &deployed)), &[]);
        assert_eq!(defined.len(), coverage.alerts.len());
        assert!(!coverage.textfile.is_empty());
        assert_eq!(
            rule_file::parses::so_far() - before,
            homelab.rules_files.len(),
            "one reading per deployed rules file"
        );
        // Discovery parsed each file's YAML (once, to classify it); reading it as rules
        // did not parse it again.
        assert!(homelab.rules_files.iter().all(|f| f.yaml.is_some()));
        assert_eq!(rule_file::parses::yaml_so_far() - yaml_before, 0);
    }
}
