//! What a real Prometheus makes of every rules file the homelab deploys: a server started
//! on them all, its rules once every due group has been evaluated, and how they compare
//! with what discovery counted in the files.

use std::path::PathBuf;
use std::time::Duration;

use super::rendered_rules::{RenderError, RenderedRules};
use super::server::{LoadedRule, PrometheusServer, ServerError, relative_files};
use crate::homelab::Homelab;
use crate::tools::Tools;

/// How long the server may take to answer, and to evaluate every due group.
const READY_WITHIN: Duration = Duration::from_secs(30);
const EVALUATED_WITHIN: Duration = Duration::from_secs(20);

/// Why the server could not be started on the deployed files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// A server loading every deployed rules file, ready to answer, and the rendered files it
/// reads (kept as long as the server runs).
#[derive(Debug)]
pub struct ServedRules {
    pub server: PrometheusServer,
    pub rendered: RenderedRules,
}

/// Starts a server on every rules file `homelab` deploys and waits until it answers.
/// Blocking.
pub fn serve_deployed(tools: &Tools, homelab: &Homelab) -> Result<ServedRules, LoadError> {
    let rendered = RenderedRules::of(homelab)?;
    let mut server = PrometheusServer::start(tools, &rendered.files)?;
    server.wait_until_ready(READY_WITHIN)?;
    Ok(ServedRules { server, rendered })
}

/// The server's rules once every group due within the wait has been evaluated, each naming
/// its file relative to the first of `bases` (the repository, then the rendered files'
/// directory) that holds it. Blocking.
pub fn evaluated(
    server: &mut PrometheusServer,
    bases: &[PathBuf],
) -> Result<Vec<LoadedRule>, ServerError> {
    let mut rules = server.evaluated_rules(EVALUATED_WITHIN)?;
    let bases: Vec<&std::path::Path> = bases.iter().map(PathBuf::as_path).collect();
    relative_files(&mut rules, &bases);
    Ok(rules)
}

/// Each rule the server says something is wrong with, as a line of a failure message: its
/// name, group, health and last error.
pub fn unhealthy(rules: &[LoadedRule]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.unhealthy())
        .map(|r| {
            let error = r
                .last_error
                .as_deref()
                .map(|e| format!(", last error: {e}"));
            let error = error.unwrap_or_default();
            format!(
                "  {} (group {}): health {}{error}",
                r.name, r.group, r.health
            )
        })
        .collect()
}

/// What the server loaded against what the deployed files hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadedCounts {
    /// Alerting rules and groups the server reports.
    pub alerting: usize,
    pub groups: usize,
    /// Alerting rules and groups in the deployed files, and how many files.
    pub(crate) held_alerting: usize,
    pub(crate) held_groups: usize,
    pub files: usize,
}

impl LoadedCounts {
    pub fn of(rules: &[LoadedRule], homelab: &Homelab) -> LoadedCounts {
        let mut groups: Vec<&str> = rules.iter().map(|r| r.group.as_str()).collect();
        groups.dedup();
        LoadedCounts {
            alerting: rules.iter().filter(|r| r.kind == "alerting").count(),
            groups: groups.len(),
            held_alerting: homelab.alerting_rules(),
            held_groups: homelab.rules_files.iter().map(|f| f.groups).sum(),
            files: homelab.rules_files.len(),
        }
    }

    /// Where the server and the files disagree, said for a failure; `None` when the server
    /// has at least `floor` alerting rules, and exactly the rules and groups the files hold.
    pub fn disagreement(&self, floor: usize) -> Option<String> {
        let agree = self.alerting >= floor
            && self.alerting == self.held_alerting
            && self.groups == self.held_groups;
        (!agree).then(|| {
            format!(
                "Prometheus reports {} alerting rules in {} groups; the deployed files hold {} in {}, at least {floor} expected",
                self.alerting, self.groups, self.held_alerting, self.held_groups
            )
        })
    }
}

/// `N alerting rules in N groups from N files`.
impl std::fmt::Display for LoadedCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (alerting, groups, files) = (self.alerting, self.groups, self.files);
        write!(
            f,
            "{alerting} alerting rules in {groups} groups from {files} files"
        )
    }
}

/// The key a shard assigns the one run that loads every deployed file by: the files'
/// paths joined by ` + `.
pub fn load_key(homelab: &Homelab) -> String {
    let paths: Vec<&str> = homelab
        .rules_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    paths.join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_agree_only_at_the_floor_and_with_the_files() {
        let counts = LoadedCounts {
            alerting: 27,
            groups: 9,
            held_alerting: 27,
            held_groups: 9,
            files: 2,
        };
        assert_eq!(counts.disagreement(26), None);
        assert!(counts.disagreement(28).is_some());
        let fewer_groups = LoadedCounts {
            groups: 8,
            ..counts
        };
        assert!(
            fewer_groups
                .disagreement(26)
                .unwrap()
                .contains("in 8 groups")
        );
    }
}
