//! What the homelab deploys that Prometheus scrapes, with its version and where that is
//! declared: the scrape jobs of the Prometheus configurations its modules build (HCL objects
//! with a `job_name`, evaluated like deployed files' paths are; YAML files with
//! `scrape_configs`), container images in the docker compose files and templates its modules
//! ship, cloud-init `packages`, and install scripts' version defaults
//! (`NODE_EXPORTER_VERSION="${1:-1.8.2}"`).
//!
//! What cannot be known is said, never guessed: an image tagged `latest` or pinned by digest
//! only, a package on a Debian release the configuration does not name, a compose template
//! that does not render, a scrape job without targets are listed as notes
//! ([`Deployment::problems`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use hcl::Value;
use hcl::eval::Context;
use hcl_edit::Span;
use hcl_edit::expr::{Expression, Object, ObjectKey};
use hcl_edit::visit::{Visit, visit_object};
use regex::Regex;
use serde::Deserialize;

use super::DeployedFile;
use super::deployed::config_context;
use super::eval::{evaluate, with_base};
use super::repo_fs::RepoFs;
use super::terraform_dirs::ParsedConfig;
use crate::finding::Finding;

/// Stable ids of what discovery lists about the deployment (notes: never failures).
pub mod ids {
    use crate::finding::FindingId;
    /// An exporter whose version cannot be known (tag `latest`, digest only, a package on
    /// an unnamed release, a tag from a template variable).
    pub(crate) const VERSION_UNKNOWN: FindingId = FindingId::new("deployed/version-unknown");
    /// A scrape job with no target.
    pub(crate) const NO_TARGETS: FindingId = FindingId::new("deployed/no-targets");
    /// A compose template that does not render.
    pub(crate) const NOT_RENDERED: FindingId = FindingId::new("deployed/not-rendered");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "deployed",
        ids::VERSION_UNKNOWN,
        crate::finding::Depth::Offline,
        "a note: an exporter whose version cannot be known (latest, digest only, a variable)",
    ),
    crate::finding::Check::new(
        "deployed",
        ids::NO_TARGETS,
        crate::finding::Depth::Offline,
        "a note: a scrape job with no target",
    ),
    crate::finding::Check::new(
        "deployed",
        ids::NOT_RENDERED,
        crate::finding::Depth::Offline,
        "a note: a compose template that does not render",
    ),
];

/// Words that say what kind of thing a name is, not which product: left out when names are
/// compared (`prometheus-node-exporter`, `node-exporter`, `node_exporter` and a job `node`
/// are one product).
const GENERIC_WORDS: [&str; 2] = ["prometheus", "exporter"];

/// The part of a name that says which product it is: lower case, split on `-`, `_`, `.`,
/// the generic words left out unless nothing else remains.
pub(crate) fn product_key(name: &str) -> String {
    let name = name.rsplit('/').next().unwrap_or(name).to_lowercase();
    let words: Vec<&str> = name
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let specific: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !GENERIC_WORDS.contains(w))
        .collect();
    if specific.is_empty() {
        words.join("-")
    } else {
        specific.join("-")
    }
}

/// How a service is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Declaration {
    /// A container image in a compose file or template.
    Image {
        /// As written, e.g. `prom/node-exporter:v1.10.2@sha256:...`.
        image: String,
        /// The compose service it runs as.
        compose_service: Option<String>,
    },
    /// A cloud-init package.
    Package {
        /// The Debian release the configuration names, if any.
        release: Option<String>,
    },
    /// A version default in an install script.
    InstallScript { variable: String },
}

/// One thing the homelab deploys, with its version when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The product's name: the image's last path segment, the package, the script variable's
    /// stem (`node-exporter`).
    pub name: String,
    /// The upstream version (`1.10.2`), `None` when it cannot be known.
    pub version: Option<String>,
    /// Why the version is unknown.
    pub(crate) unknown_because: Option<String>,
    /// Where it is declared, relative to the root, and the line.
    pub file: String,
    pub line: usize,
    pub(crate) declaration: Declaration,
}

impl Service {
    /// Every name the service may be known by (image name and compose service name).
    pub fn names(&self) -> Vec<&str> {
        let mut names = vec![self.name.as_str()];
        if let Declaration::Image {
            compose_service: Some(service),
            ..
        } = &self.declaration
        {
            names.push(service);
        }
        names
    }

    /// Whether the service runs as a container (its names then say what it exposes).
    pub(crate) fn is_container(&self) -> bool {
        matches!(self.declaration, Declaration::Image { .. })
    }

    /// Whether `name` (an exporter, a job) names this service.
    pub(crate) fn is_named(&self, name: &str) -> bool {
        let key = product_key(name);
        self.names().iter().any(|n| product_key(n) == key)
    }

    /// `file:line`.
    pub(crate) fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let how = match &self.declaration {
            Declaration::Image {
                image,
                compose_service,
            } => match compose_service {
                Some(s) => format!("image {image} (compose service {s})"),
                None => format!("image {image}"),
            },
            Declaration::Package { release } => match release {
                Some(r) => format!("cloud-init package, Debian {r}"),
                None => "cloud-init package".to_string(),
            },
            Declaration::InstallScript { variable } => format!("install script default {variable}"),
        };
        let version = match (&self.version, &self.unknown_because) {
            (Some(v), _) => v.clone(),
            (None, Some(why)) => format!("version unknown: {why}"),
            (None, None) => "version unknown".to_string(),
        };
        format!("{} {version}, {how}, {}", self.name, self.location())
    }
}

/// A scrape job of a Prometheus configuration the homelab deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeJob {
    pub name: String,
    /// Its static targets (`host:port`), as far as they evaluate.
    pub(crate) targets: Vec<String>,
    pub(crate) metrics_path: Option<String>,
    pub file: String,
    pub line: usize,
}

/// Everything the homelab deploys to be scraped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deployment {
    /// Sorted by name, then file and line.
    pub(crate) services: Vec<Service>,
    /// Sorted by name, then file and line.
    pub(crate) scrape_jobs: Vec<ScrapeJob>,
    /// What could not be known (notes: `deployed/*` ids).
    pub problems: Vec<Finding>,
}

impl Deployment {
    /// The services that `name` (a catalog's exporter, a job) names.
    pub(crate) fn services_named(&self, name: &str) -> Vec<&Service> {
        self.services.iter().filter(|s| s.is_named(name)).collect()
    }

    /// The scrape job called `name`.
    pub fn job(&self, name: &str) -> Option<&ScrapeJob> {
        self.scrape_jobs.iter().find(|j| j.name == name)
    }

    /// Whether a scrape job has the product name of `name`.
    pub(crate) fn has_job_named(&self, name: &str) -> bool {
        let key = product_key(name);
        self.scrape_jobs.iter().any(|j| product_key(&j.name) == key)
    }

    /// The services Prometheus scrapes or that say they are exporters or Prometheus.
    pub fn exporters(&self) -> impl Iterator<Item = &Service> {
        self.services.iter().filter(|s| {
            let key = product_key(&s.name);
            s.names().iter().any(|n| self.has_job_named(n))
                || s.name.contains("exporter")
                || key == "prometheus"
        })
    }

    /// The list for people: exporters and Prometheus with version and where declared, then
    /// the scrape jobs.
    pub fn listing(&self) -> String {
        let mut lines: Vec<String> = self
            .exporters()
            .map(|s| format!("  {}", s.describe()))
            .collect();
        let others = self.services.len() - lines.len();
        if others > 0 {
            lines.push(format!("  ({others} other deployed services)"));
        }
        for job in &self.scrape_jobs {
            let targets = if job.targets.is_empty() {
                "no targets".to_string()
            } else {
                job.targets.join(", ")
            };
            lines.push(format!(
                "  scrape job {} ({targets}), {}:{}",
                job.name, job.file, job.line
            ));
        }
        for problem in &self.problems {
            lines.push(format!("  {problem}"));
        }
        lines.join("\n")
    }
}

/// Debian's package versions per release (`debian-packages.yml`).
#[derive(Debug, Deserialize)]
struct DebianReleases {
    releases: BTreeMap<String, DebianRelease>,
}

#[derive(Debug, Deserialize)]
struct DebianRelease {
    number: u32,
    packages: BTreeMap<String, String>,
}

fn debian() -> &'static DebianReleases {
    static DATA: OnceLock<DebianReleases> = OnceLock::new();
    DATA.get_or_init(|| {
        serde_yaml::from_str(include_str!("debian-packages.yml"))
            .expect("debian-packages.yml is checked by a unit test")
    })
}

/// The leading version of a tag or default: `v1.10.2` -> `1.10.2`, `3.1-alpine` -> `3.1`.
pub(crate) fn version_of(text: &str) -> Option<String> {
    static VERSION: OnceLock<Regex> = OnceLock::new();
    let re = VERSION.get_or_init(|| {
        Regex::new(r"^v?(\d+(?:\.\d+){1,3})(?:[-+_.~][A-Za-z0-9.+_~-]*)?$")
            .expect("the version pattern is valid")
    });
    re.captures(text.trim()).map(|c| c[1].to_string())
}

/// Everything deployed by `configs` (the modules' and environments' parsed `.tf` files), the
/// files they deploy (`deployed`, rendered where read through `templatefile()`), the compose
/// files under their directories and the install scripts under `scripts/` and theirs.
pub(crate) fn deployment(
    fs: &RepoFs,
    configs: &[&ParsedConfig],
    deployed: &[DeployedFile],
) -> Deployment {
    let mut out = Deployment::default();
    for config in configs {
        hcl_declarations(config, &mut out);
    }
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for config in configs {
        walk(&config.dir, 0, &mut files);
    }
    walk(&fs.root().join(super::SCRIPTS_DIR), 0, &mut files);
    files.sort();
    files.dedup();
    let mut seen_compose = Vec::new();
    for path in &files {
        let rel = fs.relative(path);
        let name = rel.rsplit('/').next().unwrap_or(&rel).to_lowercase();
        if name.contains("compose") && !name.ends_with(".tf") {
            let deployed_file = deployed.iter().find(|f| f.path == rel);
            compose_file(fs, &rel, deployed_file, &mut out);
            seen_compose.push(rel.clone());
        } else if name.ends_with(".sh") {
            if let Ok(text) = std::fs::read_to_string(path) {
                install_defaults(&rel, &text, &mut out);
            }
        } else if (name.ends_with(".yml") || name.ends_with(".yaml"))
            && name.contains("prometheus")
            && !deployed.iter().any(|f| f.path == rel)
            && let Ok(text) = std::fs::read_to_string(path)
        {
            yaml_scrape_jobs(&rel, &text, &mut out);
        }
    }
    for file in deployed {
        let Some(text) = &file.text else { continue };
        if seen_compose.contains(&file.path) {
            continue;
        }
        if text.lines().any(|l| l.trim_end() == "services:") && text.contains("image:") {
            compose_file(fs, &file.path, Some(file), &mut out);
        }
        yaml_scrape_jobs(&file.path, text, &mut out);
    }
    out.services
        .sort_by(|a, b| (&a.name, &a.file, a.line).cmp(&(&b.name, &b.file, b.line)));
    out.services.dedup();
    out.scrape_jobs
        .sort_by(|a, b| (&a.name, &a.file, a.line).cmp(&(&b.name, &b.file, b.line)));
    out.scrape_jobs.dedup();
    // Only what Prometheus may scrape: a guest agent's version is no one's concern here.
    let scraped: Vec<Service> = out
        .exporters()
        .chain(out.services.iter().filter(|s| s.is_container()))
        .cloned()
        .collect();
    for service in &out.services {
        if service.version.is_none() && scraped.contains(service) {
            out.problems.push(
                Finding::new(
                    ids::VERSION_UNKNOWN,
                    service.file.clone(),
                    format!(
                        "the version of {} cannot be known: {}",
                        service.name,
                        service.unknown_because.as_deref().unwrap_or("not declared")
                    ),
                )
                .at_line(service.line)
                .about(service.name.clone())
                .note(),
            );
        }
    }
    for job in &out.scrape_jobs {
        if job.targets.is_empty() {
            out.problems.push(
                Finding::new(
                    ids::NO_TARGETS,
                    job.file.clone(),
                    format!("the scrape job {} has no targets as configured", job.name),
                )
                .at_line(job.line)
                .about(job.name.clone())
                .note(),
            );
        }
    }
    out
}

/// Files under `dir` (hidden directories and `.terraform` left out), a few levels deep.
fn walk(dir: &Path, depth: usize, out: &mut Vec<std::path::PathBuf>) {
    if depth > 6 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, depth + 1, out),
            Ok(t) if (t.is_file() || t.is_symlink()) && path.is_file() => out.push(path),
            _ => {}
        }
    }
}

// ---- HCL: scrape jobs and cloud-init packages --------------------------------------------

/// Keys that only a cloud-init document has beside `packages`.
const CLOUD_INIT_KEYS: [&str; 7] = [
    "package_update",
    "package_upgrade",
    "runcmd",
    "write_files",
    "users",
    "bootcmd",
    "apt",
];

fn hcl_declarations(config: &ParsedConfig, out: &mut Deployment) {
    with_base(&config.dir, || {
        let ctx = config_context(config);
        let release = named_release(config);
        for (file, text, body) in &config.files {
            let mut finder = ObjectFinder {
                ctx: &ctx,
                file,
                text,
                release: release.as_deref(),
                out,
            };
            finder.visit_body(body);
        }
    });
}

/// The Debian release a configuration names (`bookworm`, `debian-12`), outside comments.
fn named_release(config: &ParsedConfig) -> Option<String> {
    static NUMBER: OnceLock<Regex> = OnceLock::new();
    let number = NUMBER.get_or_init(|| {
        Regex::new(r"(?i)\bdebian[-_ ]?(\d+)\b").expect("the release pattern is valid")
    });
    let releases = &debian().releases;
    for (_, text, _) in &config.files {
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with('#') || code.starts_with("//") {
                continue;
            }
            let lower = code.to_lowercase();
            if let Some(name) = releases.keys().find(|name| {
                lower
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|w| w == name.as_str())
            }) {
                return Some(name.clone());
            }
            if let Some(caps) = number.captures(code)
                && let Ok(n) = caps[1].parse::<u32>()
                && let Some((name, _)) = releases.iter().find(|(_, r)| r.number == n)
            {
                return Some(name.clone());
            }
        }
    }
    None
}

struct ObjectFinder<'a> {
    ctx: &'a Context<'static>,
    file: &'a str,
    text: &'a str,
    release: Option<&'a str>,
    out: &'a mut Deployment,
}

fn key_text(key: &ObjectKey) -> Option<&str> {
    match key {
        ObjectKey::Ident(ident) => Some(ident.as_str()),
        ObjectKey::Expression(expr) => expr.as_str(),
    }
}

impl ObjectFinder<'_> {
    fn line(&self, expr: &Expression) -> usize {
        ParsedConfig::line_of(self.text, expr.span())
    }

    fn scrape_job(&mut self, items: &BTreeMap<&str, &Expression>, name_expr: &Expression) {
        let Ok(Value::String(name)) = evaluate(name_expr, self.ctx) else {
            return;
        };
        let line = self.line(name_expr);
        let metrics_path = items
            .get("metrics_path")
            .and_then(|e| evaluate(e, self.ctx).ok())
            .and_then(|v| v.as_str().map(str::to_string));
        let mut targets = Vec::new();
        if let Some(expr) = items.get("static_configs")
            && let Ok(Value::Array(configs)) = evaluate(expr, self.ctx)
        {
            targets = static_targets(&configs);
        }
        // Service discovery finds targets at run time: the job has them.
        if let Some(sd) = items.keys().find(|k| k.ends_with("_sd_configs")) {
            targets.push(format!("({sd})"));
        }
        self.out.scrape_jobs.push(ScrapeJob {
            name,
            targets,
            metrics_path,
            file: self.file.to_string(),
            line,
        });
    }

    fn packages(&mut self, expr: &Expression) {
        let Ok(Value::Array(items)) = evaluate(expr, self.ctx) else {
            return;
        };
        let line = self.line(expr);
        for item in items {
            // cloud-init also takes [name, version].
            let (name, pinned) = match &item {
                Value::String(s) => (s.clone(), None),
                Value::Array(pair) => match (pair.first(), pair.get(1)) {
                    (Some(Value::String(n)), Some(Value::String(v))) => {
                        (n.clone(), Some(v.clone()))
                    }
                    _ => continue,
                },
                _ => continue,
            };
            let from_release = self.release.and_then(|r| {
                debian()
                    .releases
                    .get(r)
                    .and_then(|rel| rel.packages.get(&name).cloned())
            });
            let version = pinned.as_deref().and_then(version_of).or(from_release);
            let unknown_because = version.is_none().then(|| match self.release {
                Some(r) => format!("Debian {r}'s version of {name} is not recorded"),
                None => "a cloud-init package on an image whose Debian release the configuration does not name".to_string(),
            });
            self.out.services.push(Service {
                name,
                version,
                unknown_because,
                file: self.file.to_string(),
                line,
                declaration: Declaration::Package {
                    release: self.release.map(str::to_string),
                },
            });
        }
    }
}

fn static_targets(configs: &[Value]) -> Vec<String> {
    configs
        .iter()
        .filter_map(|c| c.as_object()?.get("targets")?.as_array().cloned())
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect()
}

impl Visit for ObjectFinder<'_> {
    fn visit_object(&mut self, node: &Object) {
        let items: BTreeMap<&str, &Expression> = node
            .iter()
            .filter_map(|(k, v)| key_text(k).map(|k| (k, v.expr())))
            .collect();
        if let Some(name) = items.get("job_name") {
            self.scrape_job(&items, name);
        }
        if let Some(packages) = items.get("packages")
            && CLOUD_INIT_KEYS.iter().any(|k| items.contains_key(k))
        {
            self.packages(packages);
        }
        visit_object(self, node);
    }
}

// ---- YAML Prometheus configurations --------------------------------------------------------

fn yaml_scrape_jobs(file: &str, text: &str, out: &mut Deployment) {
    let Ok(yaml) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return;
    };
    let Some(jobs) = yaml.get("scrape_configs").and_then(|v| v.as_sequence()) else {
        return;
    };
    for job in jobs {
        let Some(name) = job.get("job_name").and_then(|v| v.as_str()) else {
            continue;
        };
        let line = text
            .lines()
            .position(|l| l.contains("job_name") && l.contains(name))
            .map_or(1, |i| i + 1);
        let mut targets: Vec<String> = job
            .get("static_configs")
            .and_then(|v| v.as_sequence())
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("targets").and_then(|t| t.as_sequence()))
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        if let Some(map) = job.as_mapping()
            && let Some(sd) = map
                .keys()
                .filter_map(|k| k.as_str())
                .find(|k| k.ends_with("_sd_configs"))
        {
            targets.push(format!("({sd})"));
        }
        out.scrape_jobs.push(ScrapeJob {
            name: name.to_string(),
            targets,
            metrics_path: job
                .get("metrics_path")
                .and_then(|v| v.as_str())
                .map(str::to_string),
            file: file.to_string(),
            line,
        });
    }
}

// ---- docker compose ---------------------------------------------------------------------

/// The images of a compose file, with their compose service names. A template that does not
/// render is listed, and its images are read from the text as written.
fn compose_file(fs: &RepoFs, rel: &str, deployed: Option<&DeployedFile>, out: &mut Deployment) {
    let text = match deployed {
        Some(DeployedFile {
            text: Some(text),
            rendered: true,
            ..
        }) => text.clone(),
        _ => {
            if let Some(DeployedFile {
                render_error: Some(why),
                reads,
                ..
            }) = deployed
            {
                let read = reads.first();
                out.problems.push(
                    Finding::new(
                        ids::NOT_RENDERED,
                        rel.to_string(),
                        format!(
                            "the compose template does not render{}: {why}; its images are read as written",
                            read.map(|r| format!(" as {}:{} reads it", r.tf_file, r.line))
                                .unwrap_or_default()
                        ),
                    )
                    .about(rel.to_string())
                    .note(),
                );
            }
            match std::fs::read_to_string(fs.root().join(rel)) {
                Ok(text) => text,
                Err(_) => return,
            }
        }
    };
    for (line, image, service) in compose_images(&text) {
        out.services.push(image_service(rel, line, &image, service));
    }
}

/// `(line, image, compose service)` for every `image:` of a compose text.
fn compose_images(text: &str) -> Vec<(usize, String, Option<String>)> {
    static KEY: OnceLock<Regex> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        Regex::new(r#"^(\s*)["']?([A-Za-z0-9_.${}-]+)["']?\s*:\s*(.*)$"#)
            .expect("the key pattern is valid")
    });
    let mut parents: Vec<(usize, String)> = Vec::new();
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some(caps) = key.captures(line) else {
            continue;
        };
        let indent = caps[1].len();
        let name = caps[2].to_string();
        let value = caps[3].trim();
        parents.retain(|(level, _)| *level < indent);
        if name == "image" && !value.is_empty() {
            let image = value
                .split(" #")
                .next()
                .unwrap_or(value)
                .trim()
                .trim_matches(['"', '\''])
                .to_string();
            let service = parents
                .last()
                .filter(|(_, parent)| parent != "services")
                .map(|(_, s)| s.clone());
            found.push((i + 1, image, service));
        }
        if value.is_empty() {
            parents.push((indent, name));
        }
    }
    found
}

/// A service from an image reference: name, tag, digest.
fn image_service(file: &str, line: usize, image: &str, compose_service: Option<String>) -> Service {
    let (reference, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let last = reference.rsplit('/').next().unwrap_or(reference);
    let (name, tag) = match last.split_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (last, None),
    };
    let (version, unknown_because) = match (tag, digest) {
        (Some(t), _) if t.contains("${") || t.contains("{{") => (
            None,
            Some(format!("the tag {t} comes from a template variable")),
        ),
        (Some(t), _) => match version_of(t) {
            Some(v) => (Some(v), None),
            None => (None, Some(format!("the tag {t} is not a version"))),
        },
        (None, Some(_)) => (None, Some("the image is pinned by digest only".to_string())),
        (None, None) => (None, Some("no tag (Docker pulls latest)".to_string())),
    };
    Service {
        name: name.to_string(),
        version,
        unknown_because,
        file: file.to_string(),
        line,
        declaration: Declaration::Image {
            image: image.to_string(),
            compose_service,
        },
    }
}

// ---- install scripts ----------------------------------------------------------------------

/// `NODE_EXPORTER_VERSION="${1:-1.8.2}"`, `PVE_EXPORTER_VERSION=3.7.0`,
/// `: "${NODE_EXPORTER_VERSION:=1.8.2}"` in a script's code.
fn install_defaults(file: &str, text: &str, out: &mut Deployment) {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    static DEFAULT: OnceLock<Regex> = OnceLock::new();
    let assign = ASSIGN.get_or_init(|| {
        Regex::new(
            r#"^(?:export\s+|readonly\s+|local\s+|declare\s+(?:-\w+\s+)?)?([A-Z][A-Z0-9_]*)_VERSION=["']?(?:\$\{[A-Za-z0-9_]+:?-)?["']?v?(\d+(?:\.\d+)+)"#,
        )
        .expect("the assignment pattern is valid")
    });
    let default = DEFAULT.get_or_init(|| {
        Regex::new(r#"^:\s+["']?\$\{([A-Z][A-Z0-9_]*)_VERSION:?=v?(\d+(?:\.\d+)+)\}"#)
            .expect("the default pattern is valid")
    });
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with('#') {
            continue;
        }
        let Some(caps) = assign.captures(code).or_else(|| default.captures(code)) else {
            continue;
        };
        let stem = &caps[1];
        out.services.push(Service {
            name: stem.to_lowercase().replace('_', "-"),
            version: Some(caps[2].to_string()),
            unknown_because: None,
            file: file.to_string(),
            line: i + 1,
            declaration: Declaration::InstallScript {
                variable: format!("{stem}_VERSION"),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debian_table_reads() {
        assert_eq!(
            debian().releases["bookworm"].packages["prometheus-node-exporter"],
            "1.5.0"
        );
    }

    #[test]
    fn names_of_one_product_have_one_key() {
        for name in [
            "prometheus-node-exporter",
            "node-exporter",
            "node_exporter",
            "node",
            "prom/node-exporter",
        ] {
            assert_eq!(product_key(name), "node", "{name}");
        }
        assert_eq!(product_key("prometheus"), "prometheus");
        assert_eq!(product_key("prometheus-pve-exporter"), "pve");
        assert_eq!(product_key("traefik"), "traefik");
        assert_ne!(product_key("prometheus-alertmanager"), "prometheus");
    }

    #[test]
    fn image_tags_give_versions_or_say_why_not() {
        let cases = [
            ("prom/node-exporter:v1.10.2@sha256:abc", Some("1.10.2")),
            ("traefik:v3.1", Some("3.1")),
            ("ghcr.io/x/step-ca:0.27.4-alpine", Some("0.27.4")),
            ("traefik:latest", None),
            ("traefik@sha256:abc", None),
            ("traefik", None),
            ("traefik:${tag}", None),
        ];
        for (image, version) in cases {
            let s = image_service("c.yml", 1, image, None);
            assert_eq!(s.version.as_deref(), version, "{image}");
            assert_eq!(s.version.is_none(), s.unknown_because.is_some(), "{image}");
        }
        assert_eq!(image_service("c", 1, "ghcr.io/x/y:1.2", None).name, "y");
    }

    #[test]
    fn compose_images_know_their_service() {
        let text = "services:\n  proxy:\n    image: \"traefik:v3.1\"\n    ports:\n      - 80:80\n  ca:\n    # the CA\n    image: ghcr.io/x/step-ca:0.27.4 # pinned\n";
        assert_eq!(
            compose_images(text),
            [
                (3, "traefik:v3.1".to_string(), Some("proxy".to_string())),
                (
                    8,
                    "ghcr.io/x/step-ca:0.27.4".to_string(),
                    Some("ca".to_string())
                ),
            ]
        );
    }

    #[test]
    fn install_script_defaults_are_versions() {
        let mut out = Deployment::default();
        install_defaults(
            "scripts/install.sh",
            "# NODE_EXPORTER_VERSION=0.1.0 in a comment\nNODE_EXPORTER_VERSION=\"${1:-1.8.2}\"\nexport PVE_EXPORTER_VERSION=3.7.0\n: \"${BLACKBOX_EXPORTER_VERSION:=v0.25.0}\"\n",
            &mut out,
        );
        let got: Vec<(&str, Option<&str>, usize)> = out
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.version.as_deref(), s.line))
            .collect();
        assert_eq!(
            got,
            [
                ("node-exporter", Some("1.8.2"), 2),
                ("pve-exporter", Some("3.7.0"), 3),
                ("blackbox-exporter", Some("0.25.0"), 4),
            ]
        );
    }

    #[test]
    fn yaml_jobs_with_and_without_targets() {
        let mut out = Deployment::default();
        yaml_scrape_jobs(
            "p.yml",
            "scrape_configs:\n  - job_name: traefik\n    static_configs:\n      - targets: ['proxy:8080']\n  - job_name: empty\n  - job_name: consul\n    consul_sd_configs: [{}]\n",
            &mut out,
        );
        let got: Vec<(&str, usize, usize)> = out
            .scrape_jobs
            .iter()
            .map(|j| (j.name.as_str(), j.targets.len(), j.line))
            .collect();
        assert_eq!(got, [("traefik", 1, 2), ("empty", 0, 5), ("consul", 1, 6)]);
    }

    /// Bad input is listed, never a panic or a claim: a compose template that does not
    /// render, a `latest` tag, a digest only.
    #[test]
    fn a_template_that_does_not_render_and_tags_that_are_no_versions_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("infrastructure/proxmox/modules/edge");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(
            module.join("main.tf"),
            "output \"compose\" {\n  value = templatefile(\"${path.module}/compose.yml.tftpl\", {})\n}\n",
        )
        .unwrap();
        std::fs::write(
            module.join("compose.yml.tftpl"),
            "services:\n  proxy:\n    image: traefik:${tag}\n  web:\n    image: nginx:latest\n  ca:\n    image: step-ca@sha256:abc\n",
        )
        .unwrap();
        let homelab = super::super::Homelab::discover(dir.path()).unwrap();
        let d = &homelab.deployment;
        assert_eq!(d.services.len(), 3, "{d:#?}");
        assert!(d.services.iter().all(|s| s.version.is_none()));
        let mut ids: Vec<(&str, &str)> = d
            .problems
            .iter()
            .map(|p| (p.id.as_str(), p.subject()))
            .collect();
        ids.sort();
        assert_eq!(
            ids,
            [
                (
                    "deployed/not-rendered",
                    "infrastructure/proxmox/modules/edge/compose.yml.tftpl"
                ),
                ("deployed/version-unknown", "nginx"),
                ("deployed/version-unknown", "step-ca"),
                ("deployed/version-unknown", "traefik"),
            ]
        );
        assert!(d.problems.iter().all(Finding::is_note));
    }

    /// This repository: node-exporter and Prometheus as cloud-init packages on a template
    /// whose release is not named (version unknown), and the jobs node, prometheus, pve.
    #[test]
    fn this_repository_deploys_its_exporters_with_unknown_versions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = super::super::Homelab::discover(root).unwrap();
        let d = &homelab.deployment;
        let node = d.services_named("node-exporter");
        assert_eq!(node.len(), 1, "{d:#?}");
        assert_eq!(node[0].version, None);
        assert!(node[0].file.ends_with("monitoring-stack/main.tf"));
        assert_eq!(d.services_named("prometheus").len(), 1);
        let jobs: Vec<&str> = d.scrape_jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(jobs, ["node", "prometheus", "pve"]);
        assert_eq!(d.job("node").unwrap().targets, ["localhost:9100"]);
        // pve's targets default to none: listed, not a failure.
        assert!(
            d.problems
                .iter()
                .any(|p| p.is(ids::NO_TARGETS.as_str(), Some("pve"))),
            "{:#?}",
            d.problems
        );
        assert!(d.problems.iter().any(|p| p.is(
            ids::VERSION_UNKNOWN.as_str(),
            Some("prometheus-node-exporter")
        )));
    }
}
