//! Steps of `features/us1_coverage.feature`: the homelab's own promtool unit tests, run for
//! real, and the plan's coverage floor for alerts (each named alert has a firing and a
//! quiet case).

use std::path::Path;

use cucumber::gherkin::{self, StepType};
use cucumber::{given, then, when};
use homelab_spec::alerts::unit_tests::{self, UnitTestRun};
use homelab_spec::coverage::RuleStatus;
use homelab_spec::coverage::alerts::{self as coverage, CoveringCase, DefinedScenario};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::Outcome;

use super::super::expect::no_problems;
use super::super::{World, blocking};

#[given("the promtool unit-test files the homelab has")]
fn unit_test_files(world: &mut World) -> Result<(), String> {
    if world.layout.homelab()?.promtool_test_files.is_empty() {
        return Err(world.skip(NotApplicable::new(
            "the homelab has no promtool unit-test files (YAML with rule_files: and tests:)",
        )));
    }
    Ok(())
}

/// Every unit-test file's run (shared with the floor below: each file runs once).
async fn unit_test_runs(world: &mut World) -> Result<Vec<UnitTestRun>, String> {
    let (homelab, deployed) = world.layout.homelab_with_rules()?;
    let (homelab, deployed) = (homelab.clone(), deployed.clone());
    let root = world.root().to_path_buf();
    let suite = world.suite.clone();
    let run = move || unit_tests::shared_runs(&suite.unit_tests, &root, &homelab, &deployed);
    let runs = blocking("the promtool runs", run).await?;
    runs.iter().map(|run| (**run).clone()).collect()
}

#[when("promtool runs each of them from its directory")]
async fn promtool_runs_them(world: &mut World) -> Result<(), String> {
    let runs = unit_test_runs(world).await?;
    for run in &runs {
        world.outcomes.push(Outcome::ToolRun(run.tool_run.clone()));
        for case in &run.cases {
            world.outcomes.push(Outcome::AlertCase(case.clone()));
        }
    }
    world.alerts.unit_test_runs = Some(runs);
    Ok(())
}

#[then("every test case passes")]
fn every_case_passes(world: &mut World) -> Result<(), String> {
    let runs = world.alerts.unit_test_runs.as_ref();
    let runs = runs.ok_or("no earlier step ran the unit tests")?;
    let failed = runs.iter().flat_map(|run| run.tool_run.failed());
    let failed: Vec<String> = failed.map(ToString::to_string).collect();
    no_problems(failed)
}

/// The floor is computed from what the suite defines, not from what the run has returned so
/// far: the behaviour scenarios run in the same cucumber run, in an order the floor must not
/// depend on. So the behaviour cases are read from the feature files (each `Then` sentence
/// the behaviour steps accept: "X fires with severity Y" shows X firing, "X does not fire"
/// and "X is pending but does not fire yet" show it quiet), and the homelab's own promtool
/// unit-test files are run (once per process, shared with their scenario); only their
/// passing cases count. Whether each behaviour scenario passes is its own scenario's verdict.
#[given("the behaviour cases the suite defines and the homelab's promtool unit tests")]
async fn defined_cases(world: &mut World) -> Result<(), String> {
    let scenarios = defined_scenarios(&Path::new(env!("CARGO_MANIFEST_DIR")).join("features"))?;
    let unit: Vec<CoveringCase> = unit_test_runs(world)
        .await?
        .iter()
        .flat_map(|run| run.cases.iter())
        .filter(|case| case.passed)
        .filter_map(|case| Some(coverage::unit_test_case(case, case.unit_test.as_ref()?)))
        .collect();
    world.alerts.defined_scenarios = scenarios;
    world.alerts.unit_test_cases = unit;
    Ok(())
}

/// Leaves out, as if they had been deleted from the feature files, every behaviour case that
/// shows `alert` firing (to show that the floor fails, naming it).
#[when(expr = "the behaviour cases that show {word} firing are left out")]
fn without_firing_cases(world: &mut World, alert: String) {
    for scenario in &mut world.alerts.defined_scenarios {
        scenario.outcomes.retain(|sentence| {
            coverage::behaviour_sentence(sentence).is_none_or(|(a, shows)| {
                a != alert || shows != homelab_spec::outcome::AlertShows::Firing
            })
        });
    }
}

fn coverage_of(world: &mut World) -> Result<Vec<homelab_spec::coverage::RuleCoverage>, String> {
    let scenarios = world.alerts.defined_scenarios.clone();
    let unit = world.alerts.unit_test_cases.clone();
    let (_, deployed) = world.layout.homelab_with_rules()?;
    Ok(coverage::defined(deployed, &scenarios, &unit))
}

#[then("each of these alerts has a firing case and a quiet case:")]
fn each_has_both(world: &mut World, #[step] step: &gherkin::Step) -> Result<(), String> {
    let rows = super::table_rows(step, "alerts", &["alert"])?;
    let required: Vec<String> = rows.into_iter().map(|row| row[0].clone()).collect();
    let gaps = coverage::floor_gaps(&coverage_of(world)?, &required);
    let gaps: Vec<String> = gaps.iter().map(ToString::to_string).collect();
    no_problems(gaps)
}

#[then(expr = "the floor names {word} as having no firing case")]
fn floor_names(world: &mut World, alert: String) -> Result<(), String> {
    let rules = coverage_of(world)?;
    let gaps = coverage::floor_gaps(&rules, std::slice::from_ref(&alert));
    match gaps.first() {
        Some(gap) if gap.alert == alert && gap.missing_firing && !gap.missing_rule => Ok(()),
        other => Err(format!(
            "expected the floor to name {alert} without a firing case, got {other:?}"
        )),
    }
}

#[then(expr = "the alert coverage lists {word} as untested")]
fn listed_untested(world: &mut World, alert: String) -> Result<(), String> {
    let rules = coverage_of(world)?;
    match rules.iter().find(|r| r.alert == alert) {
        Some(rule) if rule.status == RuleStatus::Untested => Ok(()),
        Some(rule) => Err(format!("{alert} is {:?} in {}", rule.status, rule.file)),
        None => Err(format!("no deployed rules file defines {alert}")),
    }
}

/// Every scenario of the feature files under `features`, with its `Then` sentences.
fn defined_scenarios(features: &Path) -> Result<Vec<DefinedScenario>, String> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(features)
        .map_err(|e| format!("cannot read {}: {e}", features.display()))?;
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_none_or(|e| e != "feature") {
            continue;
        }
        let feature = gherkin::Feature::parse_path(&path, gherkin::GherkinEnv::default())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display()
            .to_string();
        let scenarios = feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
            found.push(DefinedScenario {
                name: scenario.name.clone(),
                file: file.clone(),
                line: u32::try_from(scenario.position.line).unwrap_or(0),
                outcomes: scenario
                    .steps
                    .iter()
                    .filter(|s| s.ty == StepType::Then)
                    .map(|s| s.value.clone())
                    .collect(),
            });
        }
    }
    Ok(found)
}
