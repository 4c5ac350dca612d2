//! Which textfile metrics the homelab's publishing scripts write, and with which label names,
//! read from the scripts' syntax (nothing is run: [`crate::homelab::PublishingScript`]), so
//! that the catalog check can tell apart
//! - a metric a script held to the textfile contract writes but the contract does not
//!   declare (`textfile/undeclared`),
//! - a metric a script outside the contract writes: judged by what it writes, its label
//!   names included (`promql/label` for a label it never sets),
//! - a metric nothing publishes: the rule never fires (`promql/series`).

use std::collections::{BTreeMap, BTreeSet};

use crate::homelab::PublishingScript;

/// Who publishes a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Publisher {
    /// The first script (relative to the repository) that writes it.
    script: String,
    /// Every label name any script outside the contract writes on it.
    labels: BTreeSet<String>,
    /// Whether that script is held to the textfile contract.
    under_contract: bool,
}

/// The metrics the publishing scripts write, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedMetrics {
    by_metric: BTreeMap<String, Publisher>,
}

impl PublishedMetrics {
    /// From the publishing scripts discovery found.
    pub(crate) fn from_publishing(scripts: &[PublishingScript]) -> Self {
        let mut by_metric: BTreeMap<String, Publisher> = BTreeMap::new();
        for script in scripts {
            let under_contract = script.under_contract();
            for metric in script.library_metrics.iter().chain(&script.samples) {
                let publisher = by_metric
                    .entry(metric.name.clone())
                    .or_insert_with(|| Publisher {
                        script: script.path.clone(),
                        labels: BTreeSet::new(),
                        under_contract,
                    });
                publisher.labels.extend(metric.labels.iter().cloned());
            }
        }
        Self { by_metric }
    }

    /// From `(script, text)` pairs, with no textfile directory configured beyond what the
    /// scripts say themselves.
    pub fn from_scripts<'a>(scripts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let none = BTreeSet::new();
        let found: Vec<PublishingScript> = scripts
            .into_iter()
            .filter_map(|(path, text)| crate::homelab::publishing(path, text, &none))
            .collect();
        Self::from_publishing(&found)
    }

    /// The script held to the textfile contract that writes `metric`, if one does.
    pub(crate) fn script_of(&self, metric: &str) -> Option<&str> {
        self.by_metric
            .get(metric)
            .filter(|p| p.under_contract)
            .map(|p| p.script.as_str())
    }

    /// For a metric a script outside the textfile contract writes: the script and the label
    /// names it writes on it.
    pub(crate) fn written_outside_contract(
        &self,
        metric: &str,
    ) -> Option<(&str, &BTreeSet<String>)> {
        self.by_metric
            .get(metric)
            .filter(|p| !p.under_contract)
            .map(|p| (p.script.as_str(), &p.labels))
    }

    pub fn metrics(&self) -> impl Iterator<Item = &str> {
        self.by_metric.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_scripts_are_under_the_contract_and_others_bring_their_labels() {
        let published = PublishedMetrics::from_scripts([
            (
                "scripts/backup.sh",
                "source lib/textfile.sh\ntextfile_declare homelab_a gauge \"unlike homelab_in_help\"\ntextfile_sample homelab_a 1 vmid=\"$v\"\n",
            ),
            (
                "scripts/ops/drift.sh",
                "tmp=$(mktemp)\nprintf 'pve_drift_status{env=\"%s\"} %s\\n' \"$env\" \"$s\" >> \"$tmp\"\nmv \"$tmp\" \"$TEXTFILE_DIR/drift.prom\"\n",
            ),
            ("scripts/log.sh", "echo \"homelab_to_stdout 1\"\n"),
        ]);
        assert_eq!(published.script_of("homelab_a"), Some("scripts/backup.sh"));
        assert_eq!(published.written_outside_contract("homelab_a"), None);
        let (script, labels) = published
            .written_outside_contract("pve_drift_status")
            .unwrap();
        assert_eq!(script, "scripts/ops/drift.sh");
        assert_eq!(labels.iter().collect::<Vec<_>>(), ["env"]);
        assert_eq!(published.script_of("pve_drift_status"), None);
        assert_eq!(
            published.metrics().collect::<Vec<_>>(),
            ["homelab_a", "pve_drift_status"]
        );
    }

    #[test]
    fn the_repositorys_own_scripts_publish_the_contract() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = crate::homelab::Homelab::discover(root).unwrap();
        let published = crate::alerts::deployed_rules::published_metrics(&homelab);
        assert_eq!(
            published.script_of("homelab_backup_last_run_success"),
            Some("scripts/backup-status.sh")
        );
        assert_eq!(
            published.script_of("homelab_terraform_drift_detected"),
            Some("scripts/drift-check.sh")
        );
        assert!(published.metrics().all(|m| m.starts_with("homelab_")));
        assert_eq!(published.metrics().count(), 8);
    }

    #[test]
    fn no_scripts_publish_nothing() {
        let published = PublishedMetrics::from_scripts(std::iter::empty());
        assert_eq!(published.metrics().count(), 0);
    }
}
