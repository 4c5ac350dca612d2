//! Exporter catalogs: which metrics, with which labels, each exporter the homelab deploys
//! really exposes (node-exporter, prometheus-pve-exporter, Prometheus itself, the homelab's
//! textfile metrics).
//!
//! The catalogs are data, one YAML file per exporter and version under
//! `src/alerts/catalogs/`, each saying how it was produced and how to regenerate it. They
//! are read once per process (a [`OnceLock`]); the checks then only look names up.
//! They belong to the checker, not to the repository under test, so they are read from the
//! crate's own directory.
//!
//! Besides plain metrics a catalog may hold:
//! - `patterns`: families whose names the exporter builds at run time from what it finds
//!   (node-exporter's `node_hwmon_<type>_<element>_<unit>`), as anchored regular
//!   expressions with their labels; a metric that matches one is known;
//! - metrics with `requires`: they exist only under a configuration the monitoring stack
//!   does not use (Prometheus's `remote_write`, a service discovery mechanism); a rule on
//!   one gets a finding naming that configuration, not "never fires".
//!
//! The format's schema is enforced on load ([`super::catalog_schema`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::{Regex, RegexSet};
use serde::Deserialize;

use super::catalog_schema::{self as schema, check_entry, is_metric_name};
pub use super::catalog_schema::{CatalogError, SOURCES, TYPES};
use super::did_you_mean::NameIndex;
use super::label_flow::{LabelSet, MetricLabels, TARGET_LABELS};
use super::published_metrics::PublishedMetrics;

/// Where the bundled catalogs live.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/alerts/catalogs")
}

/// One metric as an exporter exposes it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricEntry {
    #[serde(rename = "type")]
    pub kind: String,
    /// Labels the exporter puts on the series; the target labels (job, instance) are not listed.
    #[serde(default)]
    pub labels: Vec<String>,
    /// One of [`SOURCES`].
    pub source: String,
    #[serde(default)]
    pub(crate) help: Option<String>,
    /// For a histogram's or summary's `_bucket`, `_sum`, `_count`: the family's name.
    #[serde(default)]
    pub(crate) family: Option<String>,
    /// The configuration the metric needs, which the monitoring stack does not use
    /// (`remote_write`; alternatives joined by " or ": `http_sd_configs or dns_sd_configs`).
    #[serde(default)]
    pub requires: Option<String>,
}

/// A family of metrics whose names the exporter builds at run time.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatternEntry {
    /// An anchored regular expression (`^node_hwmon_temp_(?:max|crit)_celsius$`).
    #[serde(rename = "match")]
    pub(crate) pattern: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub labels: Vec<String>,
    pub source: String,
    #[serde(default)]
    pub(crate) help: Option<String>,
}

/// One exporter's catalog at one version.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub exporter: String,
    pub version: String,
    pub produced_by: String,
    pub regenerate: String,
    #[serde(deserialize_with = "schema::unique_keys")]
    pub metrics: BTreeMap<String, MetricEntry>,
    #[serde(default)]
    pub(crate) patterns: Vec<PatternEntry>,
    #[serde(skip)]
    pub file: PathBuf,
}

impl Catalog {
    /// Reads a catalog's text and checks it against the schema; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog = serde_yaml::from_str(text).map_err(|e| CatalogError::Shape {
            file: file.to_path_buf(),
            reason: e.to_string(),
        })?;
        catalog.file = file.to_path_buf();
        catalog.validate()?;
        Ok(catalog)
    }

    fn validate(&self) -> Result<(), CatalogError> {
        let file = &self.file;
        for (field, value) in [
            ("exporter", &self.exporter),
            ("version", &self.version),
            ("produced_by", &self.produced_by),
            ("regenerate", &self.regenerate),
        ] {
            if value.trim().is_empty() {
                return Err(CatalogError::Header {
                    file: file.clone(),
                    field,
                });
            }
        }
        let entry_error = |entry: &str, problem: String| CatalogError::Entry {
            file: file.clone(),
            entry: entry.to_string(),
            problem,
        };
        for (name, entry) in &self.metrics {
            if name.is_empty() {
                return Err(entry_error(
                    "\"\"",
                    "a metric name must not be empty".into(),
                ));
            }
            if !is_metric_name(name) {
                return Err(entry_error(name, "not a valid metric name".into()));
            }
            check_entry(file, name, &entry.kind, &entry.source, &entry.labels)?;
            if let Some(family) = &entry.family
                && !self.metrics.contains_key(family)
            {
                return Err(entry_error(
                    name,
                    format!("family {family} is not a metric of this catalog"),
                ));
            }
            if let Some(requires) = &entry.requires
                && !requires.split(" or ").all(is_metric_name)
            {
                return Err(entry_error(
                    name,
                    format!(
                        "requires {requires:?} is not a configuration name (e.g. remote_write)"
                    ),
                ));
            }
        }
        for pattern in &self.patterns {
            let p = &pattern.pattern;
            if !(p.starts_with('^') && p.ends_with('$')) {
                return Err(entry_error(p, "a pattern must be anchored: ^...$".into()));
            }
            if let Err(e) = Regex::new(p) {
                return Err(entry_error(p, format!("not a regular expression: {e}")));
            }
            check_entry(file, p, &pattern.kind, &pattern.source, &pattern.labels)?;
        }
        Ok(())
    }

    pub fn title(&self) -> String {
        format!("{} {}", self.exporter, self.version)
    }

    /// What keeps the catalog from saying where its metrics come from: no metric at all, or
    /// a metric whose source is not one of [`SOURCES`].
    pub fn provenance_problem(&self) -> Option<String> {
        let file = self.file.display();
        if self.metrics.is_empty() {
            return Some(format!("{file} lists no metrics"));
        }
        let (name, entry) =
            (self.metrics.iter()).find(|(_, m)| !SOURCES.contains(&m.source.as_str()))?;
        Some(format!(
            "{file}: metric {name} has source \"{}\", expected one of {}",
            entry.source,
            SOURCES.join(", ")
        ))
    }
}

/// What the index knows of one metric name.
#[derive(Debug, Clone, Default)]
struct Known {
    labels: BTreeSet<String>,
    catalogs: Vec<usize>,
}

/// A metric that exists only under a configuration the monitoring stack does not use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Conditional<'a> {
    /// The configuration it needs (`remote_write`).
    pub requires: &'a str,
    /// The catalog that records it.
    pub catalog: &'a Catalog,
}

/// All catalogs, with an index from metric name to its labels.
#[derive(Debug, Clone, Default)]
pub struct CatalogSet {
    pub catalogs: Vec<Catalog>,
    /// Metrics that exist with the monitoring stack's configuration.
    index: HashMap<String, Known>,
    /// Metrics that exist only under other configuration: name to (catalog, requires).
    conditional: HashMap<String, (usize, String)>,
    /// Every pattern, in one set for a single pass, with its labels and catalog.
    pattern_set: Option<RegexSet>,
    patterns: Vec<(BTreeSet<String>, usize)>,
    /// The "did you mean" search over every concrete name.
    names: NameIndex,
}

impl CatalogSet {
    pub fn new(catalogs: Vec<Catalog>) -> Self {
        let mut index: HashMap<String, Known> = HashMap::new();
        let mut conditional = HashMap::new();
        let mut sources = Vec::new();
        let mut patterns = Vec::new();
        for (i, catalog) in catalogs.iter().enumerate() {
            for (name, entry) in &catalog.metrics {
                if let Some(requires) = &entry.requires {
                    conditional
                        .entry(name.clone())
                        .or_insert_with(|| (i, requires.clone()));
                    continue;
                }
                let slot = index.entry(name.clone()).or_default();
                slot.labels.extend(entry.labels.iter().cloned());
                slot.catalogs.push(i);
            }
            for pattern in &catalog.patterns {
                sources.push(pattern.pattern.clone());
                patterns.push((pattern.labels.iter().cloned().collect(), i));
            }
        }
        // A configuration-dependent entry never hides one the stack has.
        conditional.retain(|name, _| !index.contains_key(name));
        // Patterns were validated one by one when their catalog was read.
        let pattern_set = (!sources.is_empty())
            .then(|| RegexSet::new(&sources).expect("patterns are validated on load"));
        let names = NameIndex::new(index.keys().chain(conditional.keys()).map(String::as_str));
        Self {
            catalogs,
            index,
            conditional,
            pattern_set,
            patterns,
            names,
        }
    }

    /// Every `*.yml` catalog in `dir`, sorted by file name.
    pub(crate) fn load_dir(dir: &Path) -> Result<Self, CatalogError> {
        let entries = std::fs::read_dir(dir).map_err(|e| CatalogError::ReadDir {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(CatalogError::NoCatalogs(dir.to_path_buf()));
        }
        let catalogs = files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).map_err(|e| CatalogError::Read {
                    file: f.clone(),
                    reason: e.to_string(),
                })?;
                Catalog::parse(f, &text)
            })
            .collect::<Result<Vec<_>, CatalogError>>()?;
        Ok(Self::new(catalogs))
    }

    /// The bundled catalogs, read and indexed once per process.
    pub fn bundled() -> Result<&'static CatalogSet, CatalogError> {
        static BUNDLED: OnceLock<Result<CatalogSet, CatalogError>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| CatalogSet::load_dir(&bundled_dir()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The pattern `metric` matches first, if any: its labels and catalog.
    fn pattern_of(&self, metric: &str) -> Option<&(BTreeSet<String>, usize)> {
        let set = self.pattern_set.as_ref()?;
        let first = set.matches(metric).into_iter().next()?;
        self.patterns.get(first)
    }

    /// The exporter labels of `metric` (target labels not included), if the monitoring
    /// stack's exporters expose it (by name or by pattern).
    pub fn labels(&self, metric: &str) -> Option<&BTreeSet<String>> {
        match self.index.get(metric) {
            Some(known) => Some(&known.labels),
            None => self.pattern_of(metric).map(|(labels, _)| labels),
        }
    }

    /// The catalogs that list `metric` (by name or by pattern).
    pub(crate) fn exporters_of(&self, metric: &str) -> Vec<&Catalog> {
        match self.index.get(metric) {
            Some(known) => known.catalogs.iter().map(|&i| &self.catalogs[i]).collect(),
            None => self
                .pattern_of(metric)
                .map(|&(_, i)| vec![&self.catalogs[i]])
                .unwrap_or_default(),
        }
    }

    /// For a metric the stack does not expose but another configuration would: what it needs.
    pub(crate) fn conditional(&self, metric: &str) -> Option<Conditional<'_>> {
        self.conditional
            .get(metric)
            .map(|(i, requires)| Conditional {
                requires,
                catalog: &self.catalogs[*i],
            })
    }

    /// The exporters the catalogs describe, in their order.
    pub fn exporters(&self) -> Vec<&str> {
        self.catalogs.iter().map(|c| c.exporter.as_str()).collect()
    }

    pub fn titles(&self) -> String {
        self.catalogs
            .iter()
            .map(Catalog::title)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The known metric closest to `name`, for a "did you mean" hint (bounded search, see
    /// [`super::did_you_mean`]).
    pub(crate) fn closest(&self, name: &str) -> Option<&str> {
        self.names.closest(name)
    }
}

/// What the rules can select: the catalogs, the series the file's own recording rules
/// produce, and (when the repository under test is known) what its scripts publish.
pub(crate) struct KnownSeries<'a> {
    pub catalogs: &'a CatalogSet,
    /// Recorded metric name to the labels its expression can carry.
    pub recorded: HashMap<String, LabelSet>,
    /// The textfile metrics the repository's publishing scripts write.
    pub published: Option<&'a PublishedMetrics>,
    /// How the catalogs were chosen for the homelab's deployment, when they were.
    pub attribution: Option<&'a super::attribution::Attribution>,
}

impl KnownSeries<'_> {
    pub(crate) fn is_known(&self, metric: &str) -> bool {
        self.recorded.contains_key(metric)
            || self.catalogs.labels(metric).is_some()
            || self.written_by_script(metric).is_some()
    }

    /// A textfile metric a script outside the textfile contract writes: the script and the
    /// label names it writes (such scripts are judged by what they write).
    pub(crate) fn written_by_script(&self, metric: &str) -> Option<(&str, &BTreeSet<String>)> {
        self.published
            .and_then(|p| p.written_outside_contract(metric))
    }
}

impl MetricLabels for KnownSeries<'_> {
    fn labels_of(&self, metric: &str) -> Option<LabelSet> {
        if let Some(set) = self.recorded.get(metric) {
            return Some(set.clone());
        }
        self.catalogs
            .labels(metric)
            .or_else(|| self.written_by_script(metric).map(|(_, labels)| labels))
            .map(|labels| LabelSet::of(labels.iter().cloned()))
    }
}

/// Labels a selector may match on besides the exporter's: the target labels and the name.
pub(crate) fn always_allowed(label: &str) -> bool {
    label == "__name__" || TARGET_LABELS.contains(&label)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODE: &str = "\
exporter: node-exporter
version: \"1.5.0\"
produced_by: \"test fixture\"
regenerate: \"by hand\"
metrics:
  node_load15:
    type: gauge
    labels: []
    source: scrape
  node_systemd_unit_state:
    type: gauge
    labels: [name, state, type]
    source: documentation
    help: \"Systemd unit\"
patterns:
  - match: '^node_hwmon_temp_(?:max|crit|crit_alarm)_celsius$'
    type: gauge
    labels: [chip, sensor]
    source: source-code
  - match: '^node_hwmon_temp_alarm$'
    type: gauge
    labels: [chip, sensor]
    source: source-code
";

    const PROMETHEUS: &str = "\
exporter: prometheus
version: \"2.42.0\"
produced_by: \"test fixture\"
regenerate: \"by hand\"
metrics:
  prometheus_notifications_errors_total:
    type: counter
    labels: [alertmanager]
    source: scrape
  prometheus_remote_storage_samples_failed_total:
    type: counter
    labels: [remote_name, url]
    source: source-code
    requires: remote_write
  node_load15:
    type: gauge
    source: source-code
    requires: something_else
";

    fn parse(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::parse(Path::new("n.yml"), text)
    }

    fn set() -> CatalogSet {
        CatalogSet::new(vec![parse(NODE).unwrap(), parse(PROMETHEUS).unwrap()])
    }

    #[test]
    fn a_catalog_reads_and_indexes() {
        let set = set();
        assert_eq!(set.labels("node_systemd_unit_state").unwrap().len(), 3);
        assert!(set.labels("node_load_15").is_none());
        assert_eq!(set.closest("node_load_15"), Some("node_load15"));
        assert_eq!(
            set.exporters_of("node_load15")[0].title(),
            "node-exporter 1.5.0"
        );
    }

    #[test]
    fn a_name_matching_a_pattern_is_known_with_its_labels() {
        let set = set();
        for known in [
            "node_hwmon_temp_crit_alarm_celsius",
            "node_hwmon_temp_max_celsius",
            "node_hwmon_temp_alarm",
        ] {
            let labels = set.labels(known).unwrap_or_else(|| panic!("{known}"));
            assert!(
                labels.contains("chip") && labels.contains("sensor"),
                "{known}"
            );
            assert_eq!(set.exporters_of(known)[0].exporter, "node-exporter");
        }
        for unknown in [
            "node_hwmon_temp_banana_celsius",
            "node_hwmon_temp_alarm_celsius",
            "xnode_hwmon_temp_max_celsius",
            "node_hwmon_temp_max_celsiusx",
        ] {
            assert!(set.labels(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn a_configuration_dependent_metric_is_not_known_but_says_what_it_needs() {
        let set = set();
        let metric = "prometheus_remote_storage_samples_failed_total";
        assert!(set.labels(metric).is_none());
        let conditional = set.conditional(metric).unwrap();
        assert_eq!(conditional.requires, "remote_write");
        assert_eq!(conditional.catalog.exporter, "prometheus");
        assert!(
            set.conditional("prometheus_notifications_errors_total")
                .is_none()
        );
        // An entry the stack has is never hidden by a conditional one of the same name.
        assert!(set.labels("node_load15").is_some());
        assert!(set.conditional("node_load15").is_none());
    }

    #[test]
    fn a_catalog_without_its_provenance_is_refused() {
        let err =
            parse(&NODE.replace("produced_by: \"test fixture\"", "produced_by: \"\"")).unwrap_err();
        assert!(
            matches!(
                err,
                CatalogError::Header {
                    field: "produced_by",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("n.yml"));
        let err = parse("exporter: a\n").unwrap_err();
        assert!(matches!(err, CatalogError::Shape { .. }), "{err}");
    }

    /// The schema violations of issue 13, each refused naming the file and the entry.
    #[test]
    fn the_schema_refuses_each_bad_entry_by_name() {
        let cases: [(&str, &str, &str); 8] = [
            (
                "    type: gauge\n    labels: []\n    source: scrape\n  node_systemd",
                "    type: bogus\n    labels: []\n    source: scrape\n  node_systemd",
                "node_load15",
            ),
            (
                "    labels: []\n    source: scrape\n",
                "    labels: []\n    source: banana\n",
                "node_load15",
            ),
            (
                "    labels: []\n    source: scrape\n",
                "    labels: [\"a b\"]\n    source: scrape\n",
                "node_load15",
            ),
            (
                "    labels: []\n    source: scrape\n",
                "    labels: [\"\"]\n    source: scrape\n",
                "node_load15",
            ),
            (
                "    labels: []\n    source: scrape\n",
                "    labels: [a, a]\n    source: scrape\n",
                "node_load15",
            ),
            ("  node_load15:\n", "  \"\":\n", "\"\""),
            ("  node_load15:\n", "  0node_load15:\n", "0node_load15"),
            (
                "'^node_hwmon_temp_alarm$'",
                "'node_hwmon_temp_alarm'",
                "node_hwmon_temp_alarm",
            ),
        ];
        for (from, to, entry) in cases {
            let text = NODE.replacen(from, to, 1);
            assert_ne!(text, NODE, "{from:?} not in the fixture");
            let err = parse(&text).unwrap_err();
            assert_eq!(err.entry(), Some(entry), "{to:?}: {err}");
            assert!(err.to_string().starts_with("n.yml: "), "{err}");
        }
    }

    #[test]
    fn an_unknown_field_or_a_bad_regex_is_refused() {
        let err =
            parse(&NODE.replace("    help: \"Systemd unit\"", "    lables: [x]")).unwrap_err();
        assert!(matches!(err, CatalogError::Shape { .. }), "{err}");
        let err = parse(&NODE.replace("(?:max|crit|crit_alarm)", "(max")).unwrap_err();
        assert_eq!(err.entry(), Some("^node_hwmon_temp_(max_celsius$"), "{err}");
    }

    #[test]
    fn a_metric_listed_twice_is_refused_not_overwritten() {
        let text = NODE.replace(
            "patterns:",
            "  node_load15:\n    type: counter\n    labels: [cpu]\n    source: scrape\npatterns:",
        );
        let err = parse(&text).unwrap_err();
        match &err {
            CatalogError::Shape { file, reason } => {
                assert_eq!(file, Path::new("n.yml"));
                assert!(reason.contains("node_load15"), "{reason}");
            }
            other => panic!("expected a shape error, got {other}"),
        }
    }

    #[test]
    fn a_family_must_name_a_metric_of_the_catalog() {
        let text = NODE.replace("    help: \"Systemd unit\"", "    family: node_nothing");
        assert_eq!(
            parse(&text).unwrap_err().entry(),
            Some("node_systemd_unit_state")
        );
        let alternatives = PROMETHEUS.replace(
            "requires: remote_write",
            "requires: http_sd_configs or dns_sd_configs",
        );
        assert!(parse(&alternatives).is_ok());
        let text = PROMETHEUS.replace("requires: remote_write", "requires: \"remote write\"");
        assert_eq!(
            parse(&text).unwrap_err().entry(),
            Some("prometheus_remote_storage_samples_failed_total")
        );
    }

    #[test]
    fn the_bundled_catalogs_load() {
        let set = CatalogSet::bundled().unwrap();
        assert!(set.labels("up").is_some());
    }
}
