//! `promtool check rules` over each rules file the homelab deploys, and how the rules it
//! finds compare with what discovery counted in the files.

use super::engine_version::EngineVersions;
use super::promtool::{CheckRulesOutcome, PromtoolError, check_rules};
use super::rendered_rules::{RenderError, RenderedRules};
use crate::homelab::Homelab;
use crate::outcome::ToolRun;
use crate::tools::Tools;

/// Why promtool could not be asked about every file.
#[derive(Debug, thiserror::Error)]
pub enum EachError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Promtool(#[from] PromtoolError),
}

/// promtool's verdict on each deployed file, by its path relative to the root.
#[derive(Debug)]
pub struct PromtoolChecks {
    pub checks: Vec<(String, CheckRulesOutcome)>,
    /// The files promtool read (kept until the scenario ends, like the server's).
    pub rendered: RenderedRules,
}

/// Checks each of `homelab`'s rules files (rendered templates as Prometheus gets them).
/// Blocking.
pub fn check_each(tools: &Tools, homelab: &Homelab) -> Result<PromtoolChecks, EachError> {
    let rendered = RenderedRules::of(homelab)?;
    let names = homelab.rules_files.iter().map(|f| f.path.clone());
    let checks = names
        .zip(&rendered.files)
        .map(|(name, file)| Ok((name, check_rules(tools, file)?)))
        .collect::<Result<Vec<_>, PromtoolError>>()?;
    Ok(PromtoolChecks { checks, rendered })
}

impl PromtoolChecks {
    /// One run per file for the reports, naming the engine that checked it next to the
    /// deployed version (junit.xml's suite name).
    pub fn tool_runs(&self, engine: &EngineVersions) -> Vec<ToolRun> {
        let engine = engine.short();
        let run = |(name, outcome): &(String, CheckRulesOutcome)| {
            let mut run = outcome.tool_run(name);
            run.suite = format!("{} ({engine})", run.suite);
            run
        };
        self.checks.iter().map(run).collect()
    }
}

/// The rules promtool found in the files it checked against the rules discovery counted in
/// the same files, and the files it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromtoolCounts {
    /// How many files promtool checked.
    pub files: usize,
    pub found: usize,
    pub(crate) held: usize,
    /// Each refused file with promtool's output.
    pub refused: Vec<String>,
}

impl PromtoolCounts {
    /// `checks` may be a shard's share of `homelab`'s files: only those are counted.
    pub fn of(checks: &[(String, CheckRulesOutcome)], homelab: &Homelab) -> PromtoolCounts {
        let checked = |path: &String| checks.iter().any(|(name, _)| name == path);
        PromtoolCounts {
            files: checks.len(),
            found: checks.iter().filter_map(|(_, o)| o.rules).sum(),
            held: (homelab.rules_files.iter())
                .filter(|f| checked(&f.path))
                .map(|f| f.alerting_rules + f.recording_rules)
                .sum(),
            refused: (checks.iter().filter(|(_, o)| !o.passed))
                .map(|(name, o)| format!("{name}:\n{}", o.output))
                .collect(),
        }
    }

    /// What promtool refused or counted differently, said for a failure; `None` when it
    /// refused nothing and found as many rules as the files hold.
    pub fn disagreement(&self) -> Option<String> {
        (!self.refused.is_empty() || self.found != self.held).then(|| {
            format!(
                "promtool finds {} rules, the deployed files hold {}; refused:\n{}",
                self.found,
                self.held,
                self.refused.join("\n")
            )
        })
    }
}

/// `N rules in N files`.
impl std::fmt::Display for PromtoolCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} rules in {} files", self.found, self.files)
    }
}
