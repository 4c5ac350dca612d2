//! The catalog format's schema: what the loader refuses, each time naming the file and the
//! entry, so that a hand edit or a broken generator cannot silently weaken the checks.
//!
//! - the header (`exporter`, `version`, `produced_by`, `regenerate`) filled in;
//! - every metric name a valid Prometheus metric name (so not empty), listed once: a metric
//!   key written twice is refused while reading, since a YAML map would keep only the last;
//! - `type` one of [`TYPES`], `source` one of [`SOURCES`];
//! - labels valid label names, not reserved (`__`), each listed once;
//! - `family` naming a metric of the same catalog, `requires` a configuration name;
//! - patterns anchored (`^...$`) regular expressions that compile.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// Metric types a catalog may give (the exposition format's, plus OpenMetrics' `info`).
pub const TYPES: [&str; 6] = [
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
    "info",
];

/// Where an entry comes from:
/// - `scrape`: a real scrape of the exporter on this machine;
/// - `fixture-scrape`: the real exporter binary run on its project's end-to-end test fixtures
///   (a host with hardware this machine lacks);
/// - `source-code`: read from the exporter's source at the released tag;
/// - `documentation`: from the project's documentation;
/// - `contract`: declared by the homelab (its textfile metrics).
pub const SOURCES: [&str; 5] = [
    "scrape",
    "fixture-scrape",
    "source-code",
    "documentation",
    "contract",
];

/// Why a catalog cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the exporter catalogs in {}: {reason}", dir.display())]
    ReadDir { dir: PathBuf, reason: String },
    #[error("no exporter catalogs (*.yml) in {}", .0.display())]
    NoCatalogs(PathBuf),
    #[error("cannot read {}: {reason}", file.display())]
    Read { file: PathBuf, reason: String },
    /// Not YAML, or not the catalog's shape (a missing or unknown field, a metric key
    /// written twice, a wrong value type).
    #[error(
        "{}: not a valid exporter catalog (expected exporter, version, produced_by, regenerate, metrics, optional patterns): {reason}",
        file.display()
    )]
    Shape { file: PathBuf, reason: String },
    #[error("{}: {field} must be filled in (every catalog says what it describes, how it was produced and how to regenerate it)", file.display())]
    Header { file: PathBuf, field: &'static str },
    /// One entry breaks the schema.
    #[error("{}: {entry}: {problem}", file.display())]
    Entry {
        file: PathBuf,
        /// The metric name or pattern, as written.
        entry: String,
        problem: String,
    },
}

impl From<CatalogError> for String {
    fn from(e: CatalogError) -> String {
        e.to_string()
    }
}

impl CatalogError {
    /// The entry the error is about, for an [`CatalogError::Entry`].
    pub fn entry(&self) -> Option<&str> {
        match self {
            CatalogError::Entry { entry, .. } => Some(entry),
            _ => None,
        }
    }
}

pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The problem with one entry's type, source and labels, if any.
pub(crate) fn entry_problem(kind: &str, source: &str, labels: &[String]) -> Option<String> {
    if !TYPES.contains(&kind) {
        return Some(format!("type {kind:?} is not one of {}", TYPES.join(", ")));
    }
    if !SOURCES.contains(&source) {
        return Some(format!(
            "source {source:?} is not one of {}",
            SOURCES.join(", ")
        ));
    }
    let mut seen = BTreeSet::new();
    for label in labels {
        if !is_label_name(label) {
            return Some(format!("label {label:?} is not a valid label name"));
        }
        if label.starts_with("__") {
            return Some(format!(
                "label {label:?} is reserved (names starting with __ are Prometheus's own)"
            ));
        }
        if !seen.insert(label.as_str()) {
            return Some(format!("label {label:?} is listed twice"));
        }
    }
    None
}

/// Checks an entry and wraps its problem with the file and entry.
pub(crate) fn check_entry(
    file: &Path,
    entry: &str,
    kind: &str,
    source: &str,
    labels: &[String],
) -> Result<(), CatalogError> {
    match entry_problem(kind, source, labels) {
        None => Ok(()),
        Some(problem) => Err(CatalogError::Entry {
            file: file.to_path_buf(),
            entry: entry.to_string(),
            problem,
        }),
    }
}

/// Deserializes a map, refusing a key written twice (serde's maps keep the last one).
pub(crate) fn unique_keys<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct UniqueKeys<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for UniqueKeys<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map from metric name to its entry")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(de::Error::custom(format!(
                        "metric {key:?} is listed twice (YAML would keep only the last entry)"
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_map(UniqueKeys(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prometheus() {
        assert!(is_metric_name("node_load15"));
        assert!(is_metric_name("job:up:sum"));
        assert!(!is_metric_name(""));
        assert!(!is_metric_name("0abc"));
        assert!(!is_metric_name("a-b"));
        assert!(is_label_name("chip"));
        assert!(!is_label_name("a b"));
        assert!(!is_label_name(""));
        assert!(!is_label_name("a:b"));
    }

    #[test]
    fn each_entry_problem_is_caught() {
        let labels = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(entry_problem("gauge", "scrape", &labels(&["a", "b"])), None);
        assert!(entry_problem("bogus", "scrape", &[]).is_some());
        assert!(entry_problem("gauge", "banana", &[]).is_some());
        assert!(entry_problem("gauge", "scrape", &labels(&["a b"])).is_some());
        assert!(entry_problem("gauge", "scrape", &labels(&[""])).is_some());
        assert!(entry_problem("gauge", "scrape", &labels(&["a", "a"])).is_some());
        assert!(entry_problem("gauge", "scrape", &labels(&["__name__"])).is_some());
    }
}
