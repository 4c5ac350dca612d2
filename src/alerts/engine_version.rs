//! Which rule engine checked the rules, next to the Prometheus the homelab deploys: the
//! promtool/Prometheus on this machine runs the behaviour and loading checks, and the static
//! checks follow Prometheus 2.42's dialect; when the homelab deploys another major version,
//! the reports say so.

use crate::homelab::Homelab;
use crate::tools::{Tool, Tools};

/// The dialect the static checks follow (`src/alerts/promql_dialect.rs`, the template and
/// name lists of `src/alerts/prometheus/`).
pub(crate) const STATIC_DIALECT: &str = "2.42";

/// The engine's version and the deployed ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersions {
    /// promtool's version on this machine (`None`: not found).
    pub engine: Option<String>,
    /// Each deployed Prometheus: its version (`None`: unknown) and where it is declared.
    pub deployed: Vec<(Option<String>, String)>,
}

impl EngineVersions {
    /// The engine `tools` found on PATH and the Prometheus `homelab` deploys.
    pub fn of(tools: &Tools, homelab: &Homelab) -> EngineVersions {
        EngineVersions {
            engine: tools
                .find(Tool::Promtool)
                .ok()
                .map(|t| t.version.to_string()),
            deployed: homelab
                .deployment
                .services_named("prometheus")
                .into_iter()
                .map(|s| (s.version.clone(), s.location()))
                .collect(),
        }
    }

    fn major(version: &str) -> Option<&str> {
        version.split('.').next()
    }

    /// The deployed versions whose major differs from the engine's.
    pub(crate) fn other_majors(&self) -> Vec<&str> {
        let Some(engine) = self.engine.as_deref().and_then(Self::major) else {
            return Vec::new();
        };
        self.deployed
            .iter()
            .filter_map(|(v, _)| v.as_deref())
            .filter(|v| Self::major(v) != Some(engine))
            .collect()
    }

    /// `promtool 2.42.0; the homelab deploys Prometheus 3.5.1 (file:line)`.
    pub fn short(&self) -> String {
        let engine = self.engine.as_deref().unwrap_or("not found");
        let deployed = if self.deployed.is_empty() {
            "no Prometheus found in the homelab".to_string()
        } else {
            self.deployed
                .iter()
                .map(|(v, at)| match v {
                    Some(v) => format!("Prometheus {v} ({at})"),
                    None => format!("Prometheus of unknown version ({at})"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("checked by promtool {engine}; the homelab deploys {deployed}")
    }

    /// For the living documentation's header: [`Self::short`], the static checks' dialect,
    /// and a different major version said in words.
    pub fn header(&self) -> String {
        let mut text = format!(
            "{}; the static checks follow Prometheus {STATIC_DIALECT}'s dialect",
            self.short()
        );
        let others = self.other_majors();
        if !others.is_empty() {
            text.push_str(&format!(
                ". The homelab deploys Prometheus {}, another major version than the engine that checked the rules: what that version accepts or refuses differently is not checked",
                others.join(", ")
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_major_is_said() {
        let v = EngineVersions {
            engine: Some("2.42.0".into()),
            deployed: vec![
                (Some("3.5.1".into()), "compose.yml:3".into()),
                (None, "main.tf:56".into()),
            ],
        };
        assert_eq!(v.other_majors(), ["3.5.1"]);
        assert!(v.header().contains("another major version"));
        let same = EngineVersions {
            engine: Some("2.42.0".into()),
            deployed: vec![(Some("2.53.3".into()), "main.tf:56".into())],
        };
        assert!(same.other_majors().is_empty());
        assert!(!same.header().contains("another major version"));
        assert!(same.header().contains("2.42's dialect"));
    }
}
