//! Every metric attributed before it is judged: which catalogs the homelab's deployed
//! exporters are checked against (at their deployed version, or the nearest, or the default
//! when the version cannot be known, each said in a note), and, for a metric no selected
//! catalog lists, whether something deployed without a catalog could expose it.
//!
//! For each selector, in order: the catalogs of the deployed exporters; then the selector's
//! `job` matcher against the deployed scrape jobs; then the metric's namespace (the part
//! before its first `_`, or a longer prefix) against the names of the deployed services
//! (image name, compose service name, scrape job name). Names are compared by product
//! ([`product_key`]): no table of known products.

use std::sync::Arc;

use super::catalog::{Catalog, CatalogError, CatalogSet};
use super::catalog_versions::{CatalogLibrary, Choice, Version};
use super::textfile::CONTRACT_EXPORTER;
use crate::finding::Finding;
use crate::homelab::Deployment;
use crate::homelab::services::product_key;

/// Stable ids of the attribution's findings (declared with the other alert checks').
pub mod ids {
    use super::super::CheckId;
    pub const UNCHECKED: CheckId = CheckId::CatalogUnchecked;
    pub(crate) const NEAREST_VERSION: CheckId = CheckId::CatalogNearestVersion;
    pub(crate) const VERSION_UNKNOWN: CheckId = CheckId::CatalogVersionUnknown;
    pub const REMOVED_METRIC: CheckId = CheckId::CatalogRemovedMetric;
}

/// Marks a finding as a note: reported, never failing its scenario.
pub(crate) fn note(finding: Finding) -> Finding {
    finding.note()
}

/// The catalog one deployed exporter is checked against.
#[derive(Debug, Clone)]
pub struct Selection {
    pub exporter: String,
    /// The version of the catalog used.
    pub version: String,
    /// The deployed version (`None`: unknown).
    pub(crate) deployed_version: Option<String>,
    pub choice: Choice,
    /// Where it is deployed: `file:line` of its declaration, or of its scrape job.
    pub deployed_by: String,
    pub catalog: Arc<Catalog>,
}

/// A deployed service that Prometheus may scrape and that has no catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncatalogued {
    pub name: String,
    pub version: Option<String>,
    /// The file that deploys it (`file:line`).
    pub deployed_by: String,
    /// Its product keys: image, compose service and scrape job names.
    pub keys: Vec<String>,
    /// Its scrape jobs.
    pub(crate) jobs: Vec<String>,
}

impl Uncatalogued {
    pub fn title(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => format!("{} (version unknown)", self.name),
        }
    }
}

/// What the homelab's deployment means for the catalog check.
#[derive(Debug)]
pub struct Attribution {
    /// The selected catalogs, indexed: what the check looks metrics up in.
    pub set: Arc<CatalogSet>,
    pub(crate) selections: Vec<Selection>,
    pub(crate) uncatalogued: Vec<Uncatalogued>,
    /// How each catalog was chosen, when it is not the deployed version's own.
    pub notes: Vec<Finding>,
    library: Arc<CatalogLibrary>,
}

/// What attribution says of a metric no selected catalog lists.
#[derive(Debug, Clone)]
pub enum Verdict<'a> {
    /// An older catalog of a deployed exporter has it: it left in `gone_in`.
    Removed {
        selection: &'a Selection,
        last_seen: String,
        gone_in: String,
    },
    /// A deployed exporter without a catalog may expose it.
    Unchecked(&'a Uncatalogued),
    /// Nothing deployed could expose it.
    Unknown,
}

impl Attribution {
    /// Selects the catalogs for `deployment` from `library`.
    pub fn new(
        library: Arc<CatalogLibrary>,
        deployment: &Deployment,
    ) -> Result<Attribution, CatalogError> {
        let mut selections: Vec<Selection> = Vec::new();
        let mut notes = Vec::new();
        for exporter in library.exporters() {
            // Deployments of one product, each with its version (None: unknown).
            let mut deployed: Vec<(Option<String>, String, String)> = Vec::new();
            if exporter == CONTRACT_EXPORTER {
                // The homelab's own scripts: the contract is the catalog.
                deployed.push((
                    None,
                    "the homelab's textfile contract".into(),
                    String::new(),
                ));
            } else {
                for service in deployment.services_named(exporter) {
                    deployed.push((
                        service.version.clone(),
                        service.location(),
                        service.unknown_because.clone().unwrap_or_default(),
                    ));
                }
                if deployed.is_empty()
                    && let Some(job) = deployment
                        .scrape_jobs
                        .iter()
                        .find(|j| product_key(&j.name) == product_key(exporter))
                {
                    deployed.push((
                        None,
                        format!("{}:{}", job.file, job.line),
                        format!(
                            "the scrape job {} scrapes it, and nothing in the repository says which version",
                            job.name
                        ),
                    ));
                }
            }
            for (version, deployed_by, why) in deployed {
                let Some((chosen, choice)) = library.select(exporter, version.as_deref()) else {
                    continue;
                };
                if selections.iter().any(|s| {
                    s.exporter == exporter && s.version == chosen && s.deployed_version == version
                }) {
                    continue;
                }
                let catalog = library.load(exporter, &chosen)?;
                let (file, line) = split_location(&deployed_by);
                match &choice {
                    Choice::Nearest { deployed } => notes.push(note(
                        Finding::new(
                            ids::NEAREST_VERSION,
                            file,
                            format!(
                                "{exporter} {deployed} is deployed; there is no catalog of that version, so its metrics are checked against {exporter} {chosen}, the nearest"
                            ),
                        )
                        .at(line)
                        .about(exporter.to_string())
                        .expected(format!("{exporter} {deployed}"))
                        .found(format!("{exporter} {chosen}")),
                    )),
                    Choice::Default if exporter != CONTRACT_EXPORTER => notes.push(note(
                        Finding::new(
                            ids::VERSION_UNKNOWN,
                            file,
                            format!(
                                "the deployed version of {exporter} cannot be known ({why}); its metrics are checked against the default catalog {exporter} {chosen}"
                            ),
                        )
                        .at(line)
                        .about(exporter.to_string())
                        .found(format!("{exporter} {chosen}")),
                    )),
                    _ => {}
                }
                selections.push(Selection {
                    exporter: exporter.to_string(),
                    version: chosen,
                    deployed_version: version,
                    choice,
                    deployed_by,
                    catalog,
                });
            }
        }
        let uncatalogued = uncatalogued(&library, deployment);
        let wanted: Vec<(String, String)> = selections
            .iter()
            .map(|s| (s.exporter.clone(), s.version.clone()))
            .collect();
        Ok(Attribution {
            set: library.set_of(&wanted)?,
            selections,
            uncatalogued,
            notes,
            library,
        })
    }

    /// For a metric no selected catalog lists: an older release that had it, a deployed
    /// exporter without a catalog that may expose it, or nothing.
    pub fn verdict(&self, metric: &str, jobs: &[&str]) -> Verdict<'_> {
        if let Some(removed) = self.removed(metric, |_| true) {
            return removed;
        }
        // The selector's job: a deployed job of an exporter without a catalog.
        for job in jobs {
            let key = product_key(job);
            if let Some(u) = self
                .uncatalogued
                .iter()
                .find(|u| u.jobs.iter().any(|j| j == job) || u.keys.contains(&key))
            {
                return Verdict::Unchecked(u);
            }
        }
        // The metric's namespace: its first word, or a longer prefix.
        let words: Vec<&str> = metric.split('_').collect();
        for n in (1..words.len()).rev() {
            let prefix = product_key(&words[..n].join("_"));
            if prefix.is_empty() {
                continue;
            }
            if let Some(u) = self.uncatalogued.iter().find(|u| u.keys.contains(&prefix)) {
                return Verdict::Unchecked(u);
            }
        }
        Verdict::Unknown
    }

    /// For a metric some selected catalog lists: a deployed version of the same exporter
    /// whose catalog lacks it although an older release had it.
    pub(crate) fn removed_from_a_deployment(&self, metric: &str) -> Option<Verdict<'_>> {
        let having: Vec<&str> = self
            .selections
            .iter()
            .filter(|s| lists(&s.catalog, metric))
            .map(|s| s.exporter.as_str())
            .collect();
        if having.is_empty() {
            return None;
        }
        self.removed(metric, |s| having.contains(&s.exporter.as_str()))
    }

    fn removed(&self, metric: &str, consider: impl Fn(&Selection) -> bool) -> Option<Verdict<'_>> {
        for selection in self.selections.iter().filter(|s| consider(s)) {
            if selection.exporter == CONTRACT_EXPORTER || lists(&selection.catalog, metric) {
                continue;
            }
            let older = self.library.older(&selection.exporter, &selection.version);
            let Some(last) = older.iter().rev().find(|c| lists(c, metric)) else {
                continue;
            };
            let last_version = Version::parse(&last.version);
            let gone_in = self
                .library
                .versions(&selection.exporter)
                .into_iter()
                .find(|v| Version::parse(v) > last_version)
                .unwrap_or(&selection.version)
                .to_string();
            return Some(Verdict::Removed {
                selection,
                last_seen: last.version.clone(),
                gone_in,
            });
        }
        None
    }

    /// The selections, for people: `node-exporter 1.5.0 (deployed: version unknown)`.
    pub fn titles(&self) -> String {
        self.selections
            .iter()
            .map(|s| {
                let deployed = match (&s.deployed_version, &s.choice) {
                    (_, Choice::Exact) => String::new(),
                    (Some(v), _) => format!(" (deployed {v})"),
                    (None, _) if s.exporter == CONTRACT_EXPORTER => String::new(),
                    (None, _) => " (deployed version unknown)".to_string(),
                };
                format!("{} {}{deployed}", s.exporter, s.version)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether a catalog lists `metric`, by name or pattern.
fn lists(catalog: &Catalog, metric: &str) -> bool {
    catalog.metrics.contains_key(metric)
        || catalog
            .patterns
            .iter()
            .any(|p| regex::Regex::new(&p.pattern).is_ok_and(|re| re.is_match(metric)))
}

/// `file:line` -> (file, line).
fn split_location(location: &str) -> (String, Option<usize>) {
    match location.rsplit_once(':') {
        Some((file, line)) if line.parse::<usize>().is_ok() => {
            (file.to_string(), line.parse().ok())
        }
        _ => (location.to_string(), None),
    }
}

/// The deployed services and jobs no catalog covers: every container, and every scrape
/// job, whose product has no catalog.
fn uncatalogued(library: &CatalogLibrary, deployment: &Deployment) -> Vec<Uncatalogued> {
    let catalogued: Vec<String> = library.exporters().map(product_key).collect();
    let mut out: Vec<Uncatalogued> = Vec::new();
    for service in deployment.services.iter().filter(|s| s.is_container()) {
        let keys: Vec<String> = service.names().iter().map(|n| product_key(n)).collect();
        if keys.iter().any(|k| catalogued.contains(k)) {
            continue;
        }
        out.push(Uncatalogued {
            name: service.name.clone(),
            version: service.version.clone(),
            deployed_by: service.location(),
            keys,
            jobs: Vec::new(),
        });
    }
    for job in &deployment.scrape_jobs {
        let key = product_key(&job.name);
        if catalogued.contains(&key) {
            continue;
        }
        if let Some(u) = out.iter_mut().find(|u| u.keys.contains(&key)) {
            u.jobs.push(job.name.clone());
            continue;
        }
        // A job of a service deployed some other way (a package, an install script).
        let service = deployment.services_named(&job.name).into_iter().next();
        out.push(Uncatalogued {
            name: service.map_or(job.name.clone(), |s| s.name.clone()),
            version: service.and_then(|s| s.version.clone()),
            deployed_by: service.map_or(format!("{}:{}", job.file, job.line), |s| s.location()),
            keys: vec![key],
            jobs: vec![job.name.clone()],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::homelab::services::{Declaration, ScrapeJob, Service};

    const OLD: &str = "exporter: node-exporter\nversion: \"1.5.0\"\nproduced_by: fixture\nregenerate: by hand\nmetrics:\n  node_load15: {type: gauge, labels: [], source: scrape}\n  node_gone: {type: gauge, labels: [], source: scrape}\n";
    const NEW: &str = "exporter: node-exporter\nversion: \"1.9.0\"\nproduced_by: fixture\nregenerate: by hand\nmetrics:\n  node_load15: {type: gauge, labels: [], source: scrape}\n";
    const PROM: &str = "exporter: prometheus\nversion: \"2.42.0\"\nproduced_by: fixture\nregenerate: by hand\nmetrics:\n  up: {type: gauge, labels: [], source: scrape}\n";

    fn library() -> (tempfile::TempDir, Arc<CatalogLibrary>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            ("node-exporter-1.5.0.yml", OLD),
            ("node-exporter-1.9.0.yml", NEW),
            ("prometheus-2.42.0.yml", PROM),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let lib = CatalogLibrary::open(dir.path()).unwrap();
        (dir, Arc::new(lib))
    }

    fn image(image: &str, name: &str, version: Option<&str>, service: &str) -> Service {
        Service {
            name: name.into(),
            version: version.map(str::to_string),
            unknown_because: version.is_none().then(|| "latest".into()),
            file: "compose.yml".into(),
            line: 3,
            declaration: Declaration::Image {
                image: image.into(),
                compose_service: Some(service.into()),
            },
        }
    }

    fn job(name: &str) -> ScrapeJob {
        ScrapeJob {
            name: name.into(),
            targets: vec![format!("{name}:9100")],
            metrics_path: None,
            file: "main.tf".into(),
            line: 10,
        }
    }

    fn deployment() -> Deployment {
        Deployment {
            services: vec![
                image(
                    "prom/node-exporter:v1.9.0",
                    "node-exporter",
                    Some("1.9.0"),
                    "node",
                ),
                image("traefik:v3.1", "traefik", Some("3.1"), "proxy"),
                image("ghcr.io/x/step-ca:0.27", "step-ca", Some("0.27"), "ca"),
                image(
                    "prom/prometheus:v2.45.0",
                    "prometheus",
                    Some("2.45.0"),
                    "prometheus",
                ),
            ],
            scrape_jobs: vec![job("node"), job("traefik"), job("certificates")],
            problems: vec![],
        }
    }

    #[test]
    fn deployed_versions_select_their_catalogs_or_the_nearest_with_a_note() {
        let (_d, lib) = library();
        let a = Attribution::new(lib.clone(), &deployment()).unwrap();
        let chosen: Vec<(&str, &str)> = a
            .selections
            .iter()
            .map(|s| (s.exporter.as_str(), s.version.as_str()))
            .collect();
        assert_eq!(
            chosen,
            [("node-exporter", "1.9.0"), ("prometheus", "2.42.0")]
        );
        let notes: Vec<(&str, &str)> = a
            .notes
            .iter()
            .map(|n| (n.id.as_str(), n.subject()))
            .collect();
        assert_eq!(notes, [(ids::NEAREST_VERSION.as_str(), "prometheus")]);
        assert!(a.set.labels("node_load15").is_some());
    }

    #[test]
    fn a_metric_the_deployed_version_dropped_names_the_release_it_left() {
        let (_d, lib) = library();
        let a = Attribution::new(lib.clone(), &deployment()).unwrap();
        match a.verdict("node_gone", &[]) {
            Verdict::Removed {
                last_seen, gone_in, ..
            } => assert_eq!((last_seen.as_str(), gone_in.as_str()), ("1.5.0", "1.9.0")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(a.verdict("node_never_was", &[]), Verdict::Unknown));
    }

    #[test]
    fn metrics_of_exporters_without_catalog_are_attributed_by_job_and_namespace() {
        let (_d, lib) = library();
        let a = Attribution::new(lib.clone(), &deployment()).unwrap();
        let name = |v: Verdict| match v {
            Verdict::Unchecked(u) => u.name.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(
            name(a.verdict("traefik_entrypoint_requests_total", &[])),
            "traefik"
        );
        assert_eq!(
            name(a.verdict("step_ca_certificates_issued", &[])),
            "step-ca"
        );
        // The job names a deployed job whose exporter has no catalog.
        assert_eq!(
            name(a.verdict("certs_expiring", &["certificates"])),
            "certificates"
        );
        // A namespace nothing deployed has is still unknown.
        assert!(matches!(a.verdict("gitea_up", &[]), Verdict::Unknown));
    }

    #[test]
    fn an_exporter_of_unknown_version_uses_the_default_with_a_note() {
        let (_d, lib) = library();
        let mut d = deployment();
        d.services[0] = image("prom/node-exporter:latest", "node-exporter", None, "node");
        let a = Attribution::new(lib.clone(), &d).unwrap();
        assert!(
            a.selections
                .iter()
                .any(|s| s.exporter == "node-exporter" && s.version == "1.5.0")
        );
        assert!(
            a.notes
                .iter()
                .any(|n| n.is(ids::VERSION_UNKNOWN.as_str(), Some("node-exporter")))
        );
    }

    #[test]
    fn two_deployed_versions_each_must_have_the_metric() {
        let (_d, lib) = library();
        let mut d = deployment();
        d.services.push(Service {
            name: "node-exporter".into(),
            version: Some("1.5.0".into()),
            unknown_because: None,
            file: "scripts/install.sh".into(),
            line: 2,
            declaration: Declaration::InstallScript {
                variable: "NODE_EXPORTER_VERSION".into(),
            },
        });
        let a = Attribution::new(lib.clone(), &d).unwrap();
        assert!(a.set.labels("node_gone").is_some());
        match a.removed_from_a_deployment("node_gone") {
            Some(Verdict::Removed {
                selection, gone_in, ..
            }) => {
                assert_eq!(
                    (selection.version.as_str(), gone_in.as_str()),
                    ("1.9.0", "1.9.0")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(a.removed_from_a_deployment("node_load15").is_none());
    }
}
