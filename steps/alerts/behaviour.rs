//! Behaviour steps: input series from a table, a point in time, and what an alert does
//! then, as decided by the real rule engine (`promtool test rules`).

use std::time::Duration;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use homelab_spec::alerts::behaviour_case::{BehaviourCase, decide};
use homelab_spec::alerts::deployed_rules::DeployedRulesFile;
use homelab_spec::alerts::promtool::{Expectation, InputSeries};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::Outcome;

use super::super::words::TimeUnit;
use super::super::{OrFail, World};

/// One series per table row: `| series | values |`, values in promtool's notation.
#[given(regex = r"^Prometheus has scraped (.+):$")]
fn prometheus_has_scraped(
    world: &mut World,
    #[step] step: &Step,
    _what: String,
) -> Result<(), String> {
    for row in super::table_rows(step, "series and values", &["series", "values"])? {
        let series = InputSeries::new(&row[0], &row[1]).or_fail()?;
        world.alerts.series.push(series);
    }
    Ok(())
}

#[when(expr = "{int} {time_unit} has/have passed")]
fn time_has_passed(world: &mut World, amount: u64, unit: TimeUnit) {
    world.alerts.at = Some(Duration::from_secs(amount * unit.0 * 60));
}

/// The real engine's verdict on the scenario's series at its point in time; what it did
/// goes to the reports whatever the verdict.
async fn engine_decides(world: &mut World, expectations: Vec<Expectation>) -> Result<(), String> {
    if world.alerts.series.is_empty() {
        return Err("no input series were given by an earlier step".into());
    }
    let alert = expectations.first().map(|e| e.alert().to_string());
    let file = rules_file_defining(world, &alert.ok_or("no expectation")?)?;
    let at = world
        .alerts
        .at
        .ok_or("no earlier step said how much time has passed")?;
    let case = BehaviourCase {
        series: world.alerts.series.clone(),
        at,
        expectations,
    };
    let root = world.layout.homelab()?.root.clone();
    let decided = world.with_tools("the promtool run", move |tools| {
        decide(tools, &root, &file, case)
    });
    let decided = decided.await?;
    let decided = decided.or_fail()?;
    world
        .outcomes
        .push(Outcome::ToolRun(decided.outcome.tool_run.clone()));
    for timeline in decided.timelines {
        let timeline =
            timeline.map_err(|e| format!("the alert's timeline for the report failed: {e}"))?;
        world.outcomes.push(Outcome::AlertTimeline(timeline));
    }
    world.outcomes.push(Outcome::AlertCase(decided.case));
    match decided.outcome.passed {
        true => Ok(()),
        false => Err(decided.outcome.report),
    }
}

/// The deployed rules file that defines `alert`. A homelab without the alert fails the
/// scenario when the plan requires the alert (`@plan`), and otherwise makes it not
/// applicable: another homelab's alerts are not this repository's.
fn rules_file_defining(world: &mut World, alert: &str) -> Result<DeployedRulesFile, String> {
    let (_, deployed) = world.layout.homelab_with_rules()?;
    match deployed.file_defining(alert) {
        Some(file) => Ok(file.clone()),
        None if world.plan => Err(format!(
            "no deployed rules file defines the alert {alert}, which the v1.1 plan requires"
        )),
        None => Err(world.skip(NotApplicable::new(format!(
            "no deployed rules file defines the alert {alert}"
        )))),
    }
}

#[then(expr = "{word} fires with severity {word}")]
async fn fires_with_severity(
    world: &mut World,
    alert: String,
    severity: String,
) -> Result<(), String> {
    engine_decides(world, vec![Expectation::Fires { alert, severity }]).await
}

#[then(expr = "{word} does not fire")]
async fn does_not_fire(world: &mut World, alert: String) -> Result<(), String> {
    engine_decides(world, vec![Expectation::Silent { alert }]).await
}

#[then(expr = "{word} is pending but does not fire yet")]
async fn is_pending(world: &mut World, alert: String) -> Result<(), String> {
    let expectations = vec![
        Expectation::Pending {
            alert: alert.clone(),
        },
        Expectation::Silent { alert },
    ];
    engine_decides(world, expectations).await
}
