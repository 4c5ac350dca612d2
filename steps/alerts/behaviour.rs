//! Behaviour steps: input series from a table, a point in time, and what an alert does
//! then, as decided by the real rule engine (`promtool test rules`).

use std::time::Duration;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use homelab_spec::alerts::deployed_rules::DeployedRules;
use homelab_spec::alerts::promtool;
use homelab_spec::alerts::timeline::{self, TimelineError, TimelineRequest};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{AlertCase, AlertShows, AlertTimeline, Outcome};
use promtool::{BehaviourTest, Expectation, InputSeries};

use super::super::{OrFail, World};

/// One series per table row: `| series | values |`, values in promtool's notation.
#[given(regex = r"^Prometheus has scraped (.+):$")]
fn prometheus_has_scraped(
    world: &mut World,
    #[step] step: &Step,
    _what: String,
) -> Result<(), String> {
    let table = step
        .table
        .as_ref()
        .ok_or("this step needs a table of series and values")?;
    let mut rows = table.rows.iter();
    match rows.next() {
        Some(header) if header.len() == 2 && header[0] == "series" && header[1] == "values" => {}
        other => {
            return Err(format!(
                "the table's header must be | series | values |, found {other:?}"
            ));
        }
    }
    for row in rows {
        world
            .alerts
            .series
            .push(InputSeries::new(&row[0], &row[1]).or_fail()?);
    }
    Ok(())
}

#[when(regex = r"^(\d+) (minute|minutes|hour|hours) ha(?:s|ve) passed$")]
fn time_has_passed(world: &mut World, amount: u64, unit: String) {
    let minutes = if unit.starts_with("hour") {
        amount * 60
    } else {
        amount
    };
    world.alerts.at = Some(Duration::from_secs(minutes * 60));
}

async fn engine_decides(world: &mut World, expectations: Vec<Expectation>) -> Result<(), String> {
    if world.alerts.series.is_empty() {
        return Err("no input series were given by an earlier step".into());
    }
    let alert = expectations
        .first()
        .map(|e| e.alert().to_string())
        .ok_or("no expectation")?;
    let scratch = tempfile::tempdir().or_fail()?;
    let (rules_file, rules_path) = rules_file_defining(world, &alert, scratch.path())?;
    // What the case shows, for the coverage report: "fires" shows it firing; "does not
    // fire" and "is pending but does not fire yet" show it staying quiet.
    let shows = if expectations
        .iter()
        .any(|e| matches!(e, Expectation::Fires { .. }))
    {
        AlertShows::Firing
    } else {
        AlertShows::Quiet
    };
    let test = BehaviourTest {
        rules_file,
        interval: Duration::from_secs(60),
        series: world.alerts.series.clone(),
        at: world
            .alerts
            .at
            .ok_or("no earlier step said how much time has passed")?,
        expectations,
    };
    let (outcome, timelines) = tokio::task::spawn_blocking(move || {
        let outcome = promtool::run_behaviour_test(&test).map_err(|e| e.to_string())?;
        let timelines = alert_timelines(&test);
        drop(scratch); // the rendered rules file lives until the engine has read it
        Ok::<_, String>((outcome, timelines))
    })
    .await
    .map_err(|e| format!("the promtool run did not finish: {e}"))??;
    world
        .outcomes
        .push(Outcome::ToolRun(outcome.tool_run.clone()));
    // The report draws what the engine did minute by minute, whatever the verdict.
    for timeline in timelines {
        let timeline =
            timeline.map_err(|e| format!("the alert's timeline for the report failed: {e}"))?;
        world.outcomes.push(Outcome::AlertTimeline(timeline));
    }
    world.outcomes.push(Outcome::AlertCase(AlertCase {
        alert,
        rules_file: rules_path,
        shows,
        unit_test: None,
        passed: outcome.passed,
    }));
    if outcome.passed {
        Ok(())
    } else {
        Err(outcome.report)
    }
}

/// The deployed rules file that defines `alert`, as a file promtool can read (a rendered
/// template is written under `scratch`), and its path relative to the repository root. A homelab without the alert fails the scenario when
/// the plan requires the alert (`@plan`), and otherwise makes it not applicable: another
/// homelab's alerts are not this repository's.
fn rules_file_defining(
    world: &mut World,
    alert: &str,
    scratch: &std::path::Path,
) -> Result<(std::path::PathBuf, String), String> {
    let homelab = world.layout.homelab()?;
    match DeployedRules::read(homelab).file_defining(alert) {
        Some(file) => Ok((
            file.file_on_disk(&homelab.root, scratch).or_fail()?,
            file.path.clone(),
        )),
        None if world.plan => Err(format!(
            "no deployed rules file defines the alert {alert}, which the v1.1 plan requires"
        )),
        None => Err(world.skip(NotApplicable::new(format!(
            "no deployed rules file defines the alert {alert}"
        )))),
    }
}

/// The state of each alert the test talks about at every minute up to its "when", by the
/// real engine, for the living documentation's timeline.
fn alert_timelines(test: &BehaviourTest) -> Vec<Result<AlertTimeline, TimelineError>> {
    let mut alerts: Vec<&str> = test.expectations.iter().map(Expectation::alert).collect();
    alerts.dedup();
    alerts
        .into_iter()
        .map(|alert| {
            timeline::alert_timeline(&TimelineRequest {
                rules_file: &test.rules_file,
                alert,
                series: &test.series,
                interval: test.interval,
                at: test.at,
            })
        })
        .collect()
}

#[then(regex = r"^(\w+) fires with severity (\w+)$")]
async fn fires_with_severity(
    world: &mut World,
    alert: String,
    severity: String,
) -> Result<(), String> {
    engine_decides(world, vec![Expectation::Fires { alert, severity }]).await
}

#[then(regex = r"^(\w+) does not fire$")]
async fn does_not_fire(world: &mut World, alert: String) -> Result<(), String> {
    engine_decides(world, vec![Expectation::Silent { alert }]).await
}

#[then(regex = r"^(\w+) is pending but does not fire yet$")]
async fn is_pending(world: &mut World, alert: String) -> Result<(), String> {
    let expectations = vec![
        Expectation::Pending {
            alert: alert.clone(),
        },
        Expectation::Silent { alert },
    ];
    engine_decides(world, expectations).await
}
