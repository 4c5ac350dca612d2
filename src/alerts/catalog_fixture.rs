//! A catalog library with a node-exporter release that no longer has a metric an older
//! release had, for the scenario about a deployment that moved past a metric an alert
//! uses: the bundled catalogs when they have such a release, else the bundled catalogs and
//! a fixture release one minor above the newest, written to a scratch directory.

use std::path::Path;
use std::sync::Arc;

use super::catalog_schema::CatalogError;
use super::catalog_versions::CatalogLibrary;

const EXPORTER: &str = "node-exporter";

/// Why no library with such a release could be made.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("cannot write the fixture release: {0}")]
    Io(#[from] std::io::Error),
    #[error("no node-exporter catalog")]
    NoCatalog,
    #[error("no node_ gauge to leave out")]
    NoGauge,
    #[error("no node-exporter release lacks a metric of an older one")]
    NoRemoval,
}

/// The newest node-exporter release, the metric it no longer has, and the release it
/// disappeared in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedMetric {
    pub release: String,
    pub metric: String,
    pub gone_in: String,
}

/// `node-exporter 1.9.0 no longer has node_x (gone in 1.9.0)`.
impl std::fmt::Display for RemovedMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (release, metric, gone_in) = (&self.release, &self.metric, &self.gone_in);
        write!(
            f,
            "{EXPORTER} {release} no longer has {metric} (gone in {gone_in})"
        )
    }
}

/// The library to select catalogs from, and what its newest node-exporter release lacks.
#[derive(Debug)]
pub struct LibraryWithRemoval {
    pub library: Arc<CatalogLibrary>,
    pub removed: RemovedMetric,
    /// The fixture release's directory, when one was written (removed when dropped).
    pub scratch: Option<tempfile::TempDir>,
}

/// The bundled catalogs if a node-exporter release of theirs lacks a metric, else the
/// bundled ones with a fixture release that does.
pub fn node_exporter_without_a_metric() -> Result<LibraryWithRemoval, FixtureError> {
    let bundled = CatalogLibrary::bundled()?;
    let (library, scratch) = match bundled.removed_metric(EXPORTER) {
        Some(_) => (bundled, None),
        None => {
            let dir = tempfile::tempdir()?;
            (fixture_release(&bundled, dir.path())?, Some(dir))
        }
    };
    let (release, metric, gone_in) =
        (library.removed_metric(EXPORTER)).ok_or(FixtureError::NoRemoval)?;
    let removed = RemovedMetric {
        release,
        metric,
        gone_in,
    };
    Ok(LibraryWithRemoval {
        library,
        removed,
        scratch,
    })
}

/// The bundled catalogs and a release one minor above the newest, equal to it but for one
/// metric (the first `node_` gauge by name), in `dir`.
fn fixture_release(
    bundled: &CatalogLibrary,
    dir: &Path,
) -> Result<Arc<CatalogLibrary>, FixtureError> {
    for entry in std::fs::read_dir(bundled.dir())?.flatten() {
        std::fs::copy(entry.path(), dir.join(entry.file_name()))?;
    }
    let newest = *bundled
        .versions(EXPORTER)
        .last()
        .ok_or(FixtureError::NoCatalog)?;
    let catalog = bundled.load(EXPORTER, newest)?;
    let parts: Vec<u64> = newest.split('.').filter_map(|p| p.parse().ok()).collect();
    let version = format!(
        "{}.{}.0",
        parts.first().unwrap_or(&1),
        parts.get(1).unwrap_or(&0) + 1
    );
    let gone = catalog
        .metrics
        .iter()
        .find(|(n, e)| n.starts_with("node_") && e.kind == "gauge" && e.family.is_none())
        .map(|(n, _)| n.clone())
        .ok_or(FixtureError::NoGauge)?;
    let text = std::fs::read_to_string(&catalog.file)?;
    let produced_by = format!(
        "test fixture: node-exporter {newest}'s catalog without {gone}, standing for a release that dropped it"
    );
    let out = without_metric(&text, &gone, &version, &produced_by);
    std::fs::write(dir.join(format!("{EXPORTER}-{version}.yml")), out)?;
    Ok(Arc::new(CatalogLibrary::open(dir)?))
}

/// A catalog's text without the metric's entry (its key line and the indented lines below
/// it), under a new version and provenance.
fn without_metric(text: &str, gone: &str, version: &str, produced_by: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line == format!("  {gone}:") {
            skipping = true;
            continue;
        }
        if skipping && line.starts_with("    ") {
            continue;
        }
        skipping = false;
        if line.starts_with("version:") {
            out.push_str(&format!("version: \"{version}\"\n"));
        } else if line.starts_with("produced_by:") {
            out.push_str(&format!("produced_by: \"{produced_by}\"\n"));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_entry_is_left_out_with_its_indented_lines() {
        let text = "version: \"1.0.0\"\nproduced_by: \"x\"\nmetrics:\n  node_a:\n    type: gauge\n  node_b:\n    type: gauge\n";
        let out = without_metric(text, "node_a", "1.1.0", "fixture");
        assert_eq!(
            out,
            "version: \"1.1.0\"\nproduced_by: \"fixture\"\nmetrics:\n  node_b:\n    type: gauge\n"
        );
    }
}
