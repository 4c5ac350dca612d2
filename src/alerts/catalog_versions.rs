//! The catalogs per exporter and version, and which one a deployed version is checked
//! against: its own, else the nearest (same major first), else, when the homelab's version
//! cannot be known, the default named in `catalog_defaults.yml`.
//!
//! Files are named `<exporter>-<version>.yml`. The directory is listed once; a catalog is
//! read and checked only when a run needs its version, and then once per process.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::catalog::{Catalog, CatalogError, CatalogSet, bundled_dir};

/// A version as numbers (`1.10.2` -> [1, 10, 2]); parts that are not numbers count as 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version(Vec<u64>);

impl Version {
    pub(crate) fn parse(text: &str) -> Version {
        Version(
            text.trim_start_matches('v')
                .split(['.', '-', '+'])
                .take(3)
                .map(|p| p.parse().unwrap_or(0))
                .collect(),
        )
    }

    fn part(&self, i: usize) -> u64 {
        self.0.get(i).copied().unwrap_or(0)
    }

    pub(crate) fn major(&self) -> u64 {
        self.part(0)
    }

    /// How far apart two versions are, most significant part first.
    fn distance(&self, other: &Version) -> [u64; 3] {
        [0, 1, 2].map(|i| self.part(i).abs_diff(other.part(i)))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        [0, 1, 2]
            .map(|i| self.part(i))
            .cmp(&[0, 1, 2].map(|i| other.part(i)))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One catalog file, before it is read.
#[derive(Debug, Clone)]
struct CatalogFile {
    exporter: String,
    version: String,
    path: PathBuf,
}

/// A set of catalogs by (exporter, version), sorted.
type SetKey = Vec<(String, String)>;

/// How the catalog for a deployment was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// The deployed version's own catalog.
    Exact,
    /// No catalog of the deployed version: the nearest one.
    Nearest { deployed: String },
    /// The deployed version cannot be known: the default one.
    Default,
}

/// Every catalog of a directory, by exporter and version.
#[derive(Debug)]
pub struct CatalogLibrary {
    dir: PathBuf,
    /// Exporter to its files, oldest version first.
    files: BTreeMap<String, Vec<CatalogFile>>,
    defaults: BTreeMap<String, String>,
    loaded: Mutex<HashMap<PathBuf, Arc<Catalog>>>,
    /// Indexed sets of catalogs, by their (exporter, version) list: built once.
    sets: Mutex<HashMap<SetKey, Arc<CatalogSet>>>,
}

/// `node-exporter-1.5.0.yml` -> (`node-exporter`, `1.5.0`).
fn split_name(file_name: &str) -> Option<(String, String)> {
    let stem = file_name
        .strip_suffix(".yml")
        .or_else(|| file_name.strip_suffix(".yaml"))?;
    let at = stem.char_indices().find_map(|(i, c)| {
        (c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit())).then_some(i)
    })?;
    Some((stem[..at].to_string(), stem[at + 1..].to_string()))
}

impl CatalogLibrary {
    /// Lists the catalogs of `dir` (`<exporter>-<version>.yml`); reads none of them.
    pub(crate) fn open(dir: &Path) -> Result<CatalogLibrary, CatalogError> {
        let entries = std::fs::read_dir(dir).map_err(|e| CatalogError::ReadDir {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut files: BTreeMap<String, Vec<CatalogFile>> = BTreeMap::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
                continue;
            }
            let Some((exporter, version)) = split_name(&name) else {
                return Err(CatalogError::Shape {
                    file: entry.path(),
                    reason: "a catalog's file is named <exporter>-<version>.yml".into(),
                });
            };
            files
                .entry(exporter.clone())
                .or_default()
                .push(CatalogFile {
                    exporter,
                    version,
                    path: entry.path(),
                });
        }
        if files.is_empty() {
            return Err(CatalogError::NoCatalogs(dir.to_path_buf()));
        }
        for list in files.values_mut() {
            list.sort_by(|a, b| Version::parse(&a.version).cmp(&Version::parse(&b.version)));
        }
        let defaults = serde_yaml::from_str(include_str!("catalog_defaults.yml")).map_err(|e| {
            CatalogError::Shape {
                file: PathBuf::from("src/alerts/catalog_defaults.yml"),
                reason: e.to_string(),
            }
        })?;
        Ok(CatalogLibrary {
            dir: dir.to_path_buf(),
            files,
            defaults,
            loaded: Mutex::new(HashMap::new()),
            sets: Mutex::new(HashMap::new()),
        })
    }

    /// The bundled catalogs, listed once per process.
    pub fn bundled() -> Result<Arc<CatalogLibrary>, CatalogError> {
        static BUNDLED: OnceLock<Result<Arc<CatalogLibrary>, CatalogError>> = OnceLock::new();
        BUNDLED
            .get_or_init(|| CatalogLibrary::open(&bundled_dir()).map(Arc::new))
            .clone()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The exporters that have catalogs, sorted.
    pub fn exporters(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// The versions of `exporter`'s catalogs, oldest first.
    pub fn versions(&self, exporter: &str) -> Vec<&str> {
        self.files
            .get(exporter)
            .map(|l| l.iter().map(|f| f.version.as_str()).collect())
            .unwrap_or_default()
    }

    /// The catalog of `exporter` at exactly `version`, read once.
    pub fn load(&self, exporter: &str, version: &str) -> Result<Arc<Catalog>, CatalogError> {
        let file = self
            .files
            .get(exporter)
            .and_then(|l| l.iter().find(|f| f.version == version))
            .ok_or_else(|| {
                CatalogError::NoCatalogs(self.dir.join(format!("{exporter}-{version}.yml")))
            })?;
        if let Some(done) = self.cache().get(&file.path) {
            return Ok(done.clone());
        }
        let text = std::fs::read_to_string(&file.path).map_err(|e| CatalogError::Read {
            file: file.path.clone(),
            reason: e.to_string(),
        })?;
        let catalog = Catalog::parse(&file.path, &text)?;
        if catalog.exporter != file.exporter || catalog.version != file.version {
            return Err(CatalogError::Shape {
                file: file.path.clone(),
                reason: format!(
                    "the file is named for {} {} but holds {} {}",
                    file.exporter, file.version, catalog.exporter, catalog.version
                ),
            });
        }
        let catalog = Arc::new(catalog);
        self.cache().insert(file.path.clone(), catalog.clone());
        Ok(catalog)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Catalog>>> {
        // A panic while holding the lock leaves a valid map.
        self.loaded.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The catalogs `wanted` (exporter, version) indexed as one set, built once per process.
    pub(crate) fn set_of(
        &self,
        wanted: &[(String, String)],
    ) -> Result<Arc<CatalogSet>, CatalogError> {
        let mut key = wanted.to_vec();
        key.sort();
        key.dedup();
        let cached = self
            .sets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(set) = cached {
            return Ok(set);
        }
        let catalogs = key
            .iter()
            .map(|(e, v)| self.load(e, v).map(|c| (*c).clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let set = Arc::new(CatalogSet::new(catalogs));
        self.sets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, set.clone());
        Ok(set)
    }

    /// The version checked for `exporter` deployed at `deployed` (`None`: unknown), and how
    /// it was chosen. `None` when the exporter has no catalog.
    pub fn select(&self, exporter: &str, deployed: Option<&str>) -> Option<(String, Choice)> {
        let versions = self.versions(exporter);
        if versions.is_empty() {
            return None;
        }
        let Some(deployed) = deployed else {
            let default = self
                .defaults
                .get(exporter)
                .filter(|d| versions.contains(&d.as_str()))
                .map(String::as_str)
                .or(versions.last().copied())?;
            return Some((default.to_string(), Choice::Default));
        };
        let want = Version::parse(deployed);
        if let Some(exact) = versions.iter().find(|v| Version::parse(v) == want) {
            return Some((exact.to_string(), Choice::Exact));
        }
        let same_major: Vec<&str> = versions
            .iter()
            .copied()
            .filter(|v| Version::parse(v).major() == want.major())
            .collect();
        let candidates = if same_major.is_empty() {
            versions
        } else {
            same_major
        };
        let nearest = candidates.into_iter().min_by(|a, b| {
            let (a, b) = (Version::parse(a), Version::parse(b));
            want.distance(&a).cmp(&want.distance(&b)).then(a.cmp(&b))
        })?;
        Some((
            nearest.to_string(),
            Choice::Nearest {
                deployed: deployed.to_string(),
            },
        ))
    }

    /// The newest release of `exporter`, a metric an older release had and it no longer
    /// has (one of the exporter's own namespace first, then by name), and the release the
    /// metric disappeared in.
    pub(crate) fn removed_metric(&self, exporter: &str) -> Option<(String, String, String)> {
        let versions = self.versions(exporter);
        let (newest, older) = versions.split_last()?;
        let newest_catalog = self.load(exporter, newest).ok()?;
        let own = format!("{}_", crate::homelab::services::product_key(exporter));
        let mut best: Option<(bool, String, String)> = None;
        for (i, version) in older.iter().enumerate() {
            let catalog = self.load(exporter, version).ok()?;
            for (name, entry) in &catalog.metrics {
                let gone = entry.requires.is_none()
                    && entry.family.is_none()
                    && !newest_catalog.metrics.contains_key(name)
                    && !newest_catalog
                        .patterns
                        .iter()
                        .any(|p| regex::Regex::new(&p.pattern).is_ok_and(|re| re.is_match(name)));
                if !gone {
                    continue;
                }
                // The release after the last one that has it.
                let last = versions[..=i]
                    .iter()
                    .rposition(|v| {
                        self.load(exporter, v)
                            .is_ok_and(|c| c.metrics.contains_key(name))
                    })
                    .unwrap_or(i);
                let later_has = older[i + 1..].iter().any(|v| {
                    self.load(exporter, v)
                        .is_ok_and(|c| c.metrics.contains_key(name))
                });
                if later_has {
                    continue;
                }
                let gone_in = versions[last + 1].to_string();
                let candidate = (!name.starts_with(&own), name.clone(), gone_in);
                if best
                    .as_ref()
                    .is_none_or(|b| (candidate.0, &candidate.1) < (b.0, &b.1))
                {
                    best = Some(candidate);
                }
            }
        }
        best.map(|(_, name, gone_in)| (newest.to_string(), name, gone_in))
    }

    /// The catalogs of `exporter` older than `version`, oldest first (read as needed).
    pub fn older(&self, exporter: &str, version: &str) -> Vec<Arc<Catalog>> {
        let limit = Version::parse(version);
        self.versions(exporter)
            .into_iter()
            .filter(|v| Version::parse(v) < limit)
            .filter_map(|v| self.load(exporter, v).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(files: &[(&str, &str)]) -> (tempfile::TempDir, CatalogLibrary) {
        let dir = tempfile::tempdir().unwrap();
        for (exporter, version) in files {
            std::fs::write(
                dir.path().join(format!("{exporter}-{version}.yml")),
                format!(
                    "exporter: {exporter}\nversion: \"{version}\"\nproduced_by: fixture\nregenerate: by hand\nmetrics:\n  up: {{type: gauge, labels: [], source: scrape}}\n"
                ),
            )
            .unwrap();
        }
        let lib = CatalogLibrary::open(dir.path()).unwrap();
        (dir, lib)
    }

    #[test]
    fn file_names_split_into_exporter_and_version() {
        assert_eq!(
            split_name("prometheus-pve-exporter-3.10.2.yml"),
            Some(("prometheus-pve-exporter".into(), "3.10.2".into()))
        );
        assert_eq!(split_name("notes.yml"), None);
    }

    #[test]
    fn the_deployed_version_else_the_nearest_of_the_same_major() {
        let (_d, lib) = library(&[
            ("node-exporter", "1.5.0"),
            ("node-exporter", "1.9.0"),
            ("node-exporter", "1.11.1"),
            ("prometheus", "2.42.0"),
            ("prometheus", "2.53.3"),
            ("prometheus", "3.5.0"),
        ]);
        assert_eq!(lib.versions("node-exporter"), ["1.5.0", "1.9.0", "1.11.1"]);
        let pick = |e, v| lib.select(e, v).map(|(v, c)| (v, c == Choice::Exact));
        assert_eq!(
            pick("node-exporter", Some("1.9.0")),
            Some(("1.9.0".into(), true))
        );
        assert_eq!(
            pick("node-exporter", Some("1.10.2")),
            Some(("1.11.1".into(), false))
        );
        assert_eq!(
            pick("node-exporter", Some("1.8.2")),
            Some(("1.9.0".into(), false))
        );
        assert_eq!(
            pick("prometheus", Some("3.7.0")),
            Some(("3.5.0".into(), false))
        );
        // 2.99 is nearer to 3.5 in numbers, but the same major comes first.
        assert_eq!(
            pick("prometheus", Some("2.99.0")),
            Some(("2.53.3".into(), false))
        );
        assert_eq!(
            pick("prometheus", Some("4.0.0")),
            Some(("3.5.0".into(), false))
        );
        // Unknown: the default the defaults file names.
        assert_eq!(
            lib.select("node-exporter", None),
            Some(("1.5.0".into(), Choice::Default))
        );
        assert_eq!(lib.select("traefik", Some("3.1")), None);
    }

    #[test]
    fn a_catalog_is_read_once_and_must_match_its_name() {
        let (dir, lib) = library(&[("node-exporter", "1.5.0")]);
        let a = lib.load("node-exporter", "1.5.0").unwrap();
        let b = lib.load("node-exporter", "1.5.0").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        std::fs::write(
            dir.path().join("node-exporter-1.9.0.yml"),
            "exporter: node-exporter\nversion: \"1.8.0\"\nproduced_by: x\nregenerate: y\nmetrics: {}\n",
        )
        .unwrap();
        let lib = CatalogLibrary::open(dir.path()).unwrap();
        let err = lib.load("node-exporter", "1.9.0").unwrap_err();
        assert!(err.to_string().contains("node-exporter-1.9.0.yml"), "{err}");
    }

    #[test]
    fn the_bundled_defaults_exist() {
        let lib = CatalogLibrary::bundled().unwrap();
        for (exporter, version) in &lib.defaults {
            assert!(
                lib.versions(exporter).contains(&version.as_str()),
                "{exporter} {version}"
            );
        }
    }
}
