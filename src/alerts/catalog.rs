//! Exporter catalogs: which metrics, with which labels, each exporter the homelab deploys
//! really exposes (node-exporter, prometheus-pve-exporter, Prometheus itself, the homelab's
//! textfile metrics).
//!
//! The catalogs are data, one YAML file per exporter and version under
//! `src/alerts/catalogs/`, each saying how it was produced and how to regenerate it. They
//! are read once per process (a [`OnceLock`]); the checks then only look names up.
//! They belong to the checker, not to the repository under test, so they are read from the
//! crate's own directory.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use super::label_flow::{LabelSet, MetricLabels, TARGET_LABELS};

/// Where the bundled catalogs live.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/alerts/catalogs")
}

/// One metric as an exporter exposes it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MetricEntry {
    #[serde(rename = "type")]
    pub kind: String,
    /// Labels the exporter puts on the series; the target labels (job, instance) are not listed.
    #[serde(default)]
    pub labels: Vec<String>,
    /// scrape | documentation | source-code | contract
    pub source: String,
    #[serde(default)]
    pub help: Option<String>,
}

/// One exporter's catalog at one version.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Catalog {
    pub exporter: String,
    pub version: String,
    pub produced_by: String,
    pub regenerate: String,
    pub metrics: std::collections::BTreeMap<String, MetricEntry>,
    #[serde(skip)]
    pub file: PathBuf,
}

impl Catalog {
    pub fn parse(file: &Path, text: &str) -> Result<Catalog, String> {
        let mut catalog: Catalog = serde_yaml::from_str(text).map_err(|e| {
            format!(
                "{}: not a valid exporter catalog (expected exporter, version, produced_by, regenerate, metrics): {e}",
                file.display()
            )
        })?;
        catalog.file = file.to_path_buf();
        for field in [
            &catalog.exporter,
            &catalog.version,
            &catalog.produced_by,
            &catalog.regenerate,
        ] {
            if field.trim().is_empty() {
                return Err(format!(
                    "{}: exporter, version, produced_by and regenerate must all be filled in",
                    file.display()
                ));
            }
        }
        Ok(catalog)
    }

    pub fn title(&self) -> String {
        format!("{} {}", self.exporter, self.version)
    }
}

/// All catalogs, with an index from metric name to its labels.
#[derive(Debug, Clone, Default)]
pub struct CatalogSet {
    pub catalogs: Vec<Catalog>,
    index: HashMap<String, (BTreeSet<String>, Vec<usize>)>,
}

impl CatalogSet {
    pub fn new(catalogs: Vec<Catalog>) -> Self {
        let mut index: HashMap<String, (BTreeSet<String>, Vec<usize>)> = HashMap::new();
        for (i, catalog) in catalogs.iter().enumerate() {
            for (name, entry) in &catalog.metrics {
                let slot = index.entry(name.clone()).or_default();
                slot.0.extend(entry.labels.iter().cloned());
                slot.1.push(i);
            }
        }
        Self { catalogs, index }
    }

    /// Every `*.yml` catalog in `dir`, sorted by file name.
    pub fn load_dir(dir: &Path) -> Result<Self, String> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            format!(
                "cannot read the exporter catalogs in {}: {e}",
                dir.display()
            )
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(format!("no exporter catalogs (*.yml) in {}", dir.display()));
        }
        let catalogs = files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
                Catalog::parse(f, &text)
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self::new(catalogs))
    }

    /// The bundled catalogs, read and indexed once per process.
    pub fn bundled() -> Result<&'static CatalogSet, String> {
        static BUNDLED: OnceLock<Result<CatalogSet, String>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| CatalogSet::load_dir(&bundled_dir()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The exporter labels of `metric` (target labels not included).
    pub fn labels(&self, metric: &str) -> Option<&BTreeSet<String>> {
        self.index.get(metric).map(|(labels, _)| labels)
    }

    /// The catalogs that list `metric`.
    pub fn exporters_of(&self, metric: &str) -> Vec<&Catalog> {
        self.index.get(metric).map_or_else(Vec::new, |(_, at)| {
            at.iter().map(|&i| &self.catalogs[i]).collect()
        })
    }

    pub fn titles(&self) -> String {
        self.catalogs
            .iter()
            .map(Catalog::title)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The known metric closest to `name`, for a "did you mean" hint.
    pub fn closest(&self, name: &str) -> Option<&str> {
        self.index
            .keys()
            .map(|k| (edit_distance(k, name), k))
            .filter(|(d, _)| *d <= 3.max(name.len() / 6))
            .min()
            .map(|(_, k)| k.as_str())
    }
}

/// Levenshtein distance; only computed for names that are already wrong.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            previous = here;
        }
    }
    row[b.len()]
}

/// What the rules can select: the catalogs plus the series the file's own recording rules
/// produce.
pub struct KnownSeries<'a> {
    pub catalogs: &'a CatalogSet,
    /// Recorded metric name to the labels its expression can carry.
    pub recorded: HashMap<String, LabelSet>,
}

impl KnownSeries<'_> {
    pub fn is_known(&self, metric: &str) -> bool {
        self.recorded.contains_key(metric) || self.catalogs.labels(metric).is_some()
    }
}

impl MetricLabels for KnownSeries<'_> {
    fn labels_of(&self, metric: &str) -> Option<LabelSet> {
        if let Some(set) = self.recorded.get(metric) {
            return Some(set.clone());
        }
        self.catalogs
            .labels(metric)
            .map(|labels| LabelSet::of(labels.iter().cloned()))
    }
}

/// Labels a selector may match on besides the exporter's: the target labels and the name.
pub fn always_allowed(label: &str) -> bool {
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
    family: extra fields are tolerated
";

    #[test]
    fn a_catalog_reads_and_indexes() {
        let set = CatalogSet::new(vec![Catalog::parse(Path::new("n.yml"), NODE).unwrap()]);
        assert_eq!(set.labels("node_systemd_unit_state").unwrap().len(), 3);
        assert!(set.labels("node_load_15").is_none());
        assert_eq!(set.closest("node_load_15"), Some("node_load15"));
        assert_eq!(
            set.exporters_of("node_load15")[0].title(),
            "node-exporter 1.5.0"
        );
    }

    #[test]
    fn a_catalog_without_its_provenance_is_refused() {
        let err = Catalog::parse(
            Path::new("n.yml"),
            &NODE.replace("produced_by: \"test fixture\"", "produced_by: \"\""),
        )
        .unwrap_err();
        assert!(
            err.contains("n.yml") && err.contains("produced_by"),
            "{err}"
        );
        let err = Catalog::parse(Path::new("x.yml"), "exporter: a\n").unwrap_err();
        assert!(
            err.starts_with("x.yml: not a valid exporter catalog"),
            "{err}"
        );
    }

    #[test]
    fn the_bundled_catalogs_load() {
        let set = CatalogSet::bundled().unwrap();
        assert!(set.labels("up").is_some());
    }
}
