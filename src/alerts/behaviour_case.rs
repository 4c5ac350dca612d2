//! A behaviour scenario's case decided by the real rule engine (`promtool test rules`): the
//! deployed rules file that defines the alert, input series, a point in time and what the
//! alert does then; with the alert's timeline for the report, whatever the verdict.

use std::path::Path;
use std::time::Duration;

use super::deployed_rules::DeployedRulesFile;
use super::promtool::{
    self, BehaviourOutcome, BehaviourTest, Expectation, InputSeries, PromtoolError,
};
use super::rule_file::RuleFile;
use super::timeline::{self, TimelineError, TimelineRequest};
use crate::outcome::{AlertCase, AlertShows, AlertTimeline};
use crate::tools::Tools;

/// The scrape and evaluation interval of a case's input series.
const INTERVAL: Duration = Duration::from_secs(60);

/// Why the engine could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Promtool(#[from] PromtoolError),
}

/// What a scenario gives the engine.
#[derive(Debug, Clone)]
pub struct BehaviourCase {
    pub series: Vec<InputSeries>,
    /// When the expectations are checked, from the first sample.
    pub at: Duration,
    /// About one alert (the first names it).
    pub expectations: Vec<Expectation>,
}

/// The engine's verdict, the timelines the report draws, and the case for the coverage.
#[derive(Debug)]
pub struct DecidedCase {
    pub outcome: BehaviourOutcome,
    /// The state of each alert the case talks about at every minute up to its "when".
    pub timelines: Vec<Result<AlertTimeline, TimelineError>>,
    pub case: AlertCase,
}

/// Decides `case` against `deployed`, a deployed rules file of the homelab at `root`, as
/// read (a rendered template is written to a scratch directory first), with the promtool
/// `tools` find. Blocking.
pub fn decide(
    tools: &Tools,
    root: &Path,
    deployed: &DeployedRulesFile,
    case: BehaviourCase,
) -> Result<DecidedCase, CaseError> {
    let file = &deployed.file;
    let alert = case
        .expectations
        .first()
        .map(|e| e.alert().to_string())
        .unwrap_or_default();
    // "fires" shows the alert firing; "does not fire" and "is pending but does not fire
    // yet" show it staying quiet.
    let fires = |e: &Expectation| matches!(e, Expectation::Fires { .. });
    let shows = match case.expectations.iter().any(fires) {
        true => AlertShows::Firing,
        false => AlertShows::Quiet,
    };
    let scratch = tempfile::tempdir()?;
    let test = BehaviourTest {
        rules_file: file.file_on_disk(root, scratch.path())?,
        interval: INTERVAL,
        series: case.series,
        at: case.at,
        expectations: case.expectations,
    };
    let outcome = promtool::run_behaviour_test(tools, &test, &deployed.rules)?;
    let timelines = alert_timelines(tools, &test, &deployed.rules);
    let passed = outcome.passed;
    let rules_file = file.path.clone();
    let case = AlertCase {
        alert,
        rules_file,
        shows,
        unit_test: None,
        passed,
    };
    Ok(DecidedCase {
        outcome,
        timelines,
        case,
    })
}

/// The state of each alert the test talks about at every minute up to its "when", by the
/// real engine, for the living documentation's timeline.
fn alert_timelines(
    tools: &Tools,
    test: &BehaviourTest,
    rules: &RuleFile,
) -> Vec<Result<AlertTimeline, TimelineError>> {
    let mut alerts: Vec<&str> = test.expectations.iter().map(Expectation::alert).collect();
    alerts.dedup();
    alerts
        .into_iter()
        .map(|alert| {
            timeline::alert_timeline(
                tools,
                &TimelineRequest {
                    rules,
                    alert,
                    series: &test.series,
                    interval: test.interval,
                    at: test.at,
                },
            )
        })
        .collect()
}
