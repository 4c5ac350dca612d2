//! Steps that make a copy of the repository with one mistake in its rules file, at the
//! alert that plays the part (the first alert that waits before firing, ...): each names a
//! `RulesEdit`, a `Change` of the copy.

use cucumber::given;
use homelab_spec::alerts::catalog::CatalogSet;
use homelab_spec::alerts::roles;
use homelab_spec::alerts::{self};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::workspace::{RulesEdit, RulesEditKind};

use super::super::World;
use super::super::words::{FirstAlert, RuleKey};

/// Checks a copy of the repository whose rules file has `kind` made to `alert`.
fn use_copy(world: &mut World, alert: &str, kind: RulesEditKind) -> Result<(), String> {
    let alert = alert.to_string();
    world.change(RulesEdit { alert, kind })?;
    let copy = world.root().join(alerts::RULES_FILE);
    world.alerts.display_name = copy.display().to_string();
    world.alerts.rules = Some(copy);
    world.alerts.changed_line = world
        .workspace()
        .applied()
        .and_then(|applied| applied.line.as_ref())
        .map(|(_, line)| *line);
    Ok(())
}

/// The text of the homelab's rules file, which broken copies start from.
fn original_rules(world: &World) -> Result<String, String> {
    let original = world.root().join(alerts::RULES_FILE);
    std::fs::read_to_string(&original)
        .map_err(|e| format!("cannot read {}: {e}", original.display()))
}

/// The role's target in the rules file, remembered as "that alert"; a homelab with nothing
/// to play the role ends the scenario as not applicable.
fn target<T>(
    world: &mut World,
    find: impl FnOnce(&str) -> Result<T, NotApplicable>,
    alert_of: impl Fn(&T) -> &str,
) -> Result<T, String> {
    let text = original_rules(world)?;
    match find(&text) {
        Ok(found) => {
            world.alerts.target = Some(alert_of(&found).to_string());
            Ok(found)
        }
        Err(why) => Err(world.skip(why)),
    }
}

fn first_alert(world: &mut World, choice: FirstAlert) -> Result<String, String> {
    target(world, |text| roles::alert(text, choice.0), |name| name)
}

#[given(expr = "a copy of the rules file where {first_alert} has the severity {string}")]
fn copy_with_severity(world: &mut World, choice: FirstAlert, value: String) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    let key = "severity".to_string();
    use_copy(world, &alert, RulesEditKind::Set { key, value })
}

#[given(expr = "a copy of the rules file where {first_alert} waits {string} before firing")]
fn copy_with_for(world: &mut World, choice: FirstAlert, value: String) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    let key = "for".to_string();
    use_copy(world, &alert, RulesEditKind::Set { key, value })
}

#[given(expr = "a copy of the rules file where {first_alert} has no {rule_key}")]
fn copy_without(world: &mut World, choice: FirstAlert, key: RuleKey) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, &alert, RulesEditKind::Remove(key.0))
}

#[given(expr = "a copy of the rules file where the expression of {first_alert} is cut short")]
fn copy_with_broken_expr(world: &mut World, choice: FirstAlert) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, &alert, RulesEditKind::CutExpressionShort)
}

#[given("a copy of the rules file where the second alert is renamed as the first")]
fn copy_with_rename(world: &mut World) -> Result<(), String> {
    let (first, second) = target(world, roles::two_alerts, |(first, _)| first)?;
    let (key, value) = ("alert".to_string(), first);
    use_copy(world, &second, RulesEditKind::Set { key, value })
}

#[given(
    expr = "a copy of the rules file where the {string} of {first_alert} is indented with a tab"
)]
fn copy_with_tab(world: &mut World, key: String, choice: FirstAlert) -> Result<(), String> {
    let alert = first_alert(world, choice)?;
    use_copy(world, &alert, RulesEditKind::IndentWithTab(key))
}

#[given("a copy of the rules file where the first alert on a catalogued metric misspells it")]
fn copy_with_misspelt_metric(world: &mut World) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let find = |text: &str| roles::alert_on_a_catalogued_metric(text, catalogs);
    let (alert, from, to) = target(world, find, |(alert, _, _)| alert)?;
    use_copy(
        world,
        &alert,
        RulesEditKind::ReplaceInExpression { from, to },
    )
}

#[given(
    regex = r"^a copy of the rules file where the first alert that matches on a label of (?:its|an? (\S+)) metric uses a label only other metrics of (?:its|that) exporter have$"
)]
fn copy_with_label_of_another_metric(world: &mut World, exporter: String) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let exporter = Some(exporter.as_str()).filter(|e| !e.is_empty());
    let find = |text: &str| roles::alert_matching_a_metric_label(text, catalogs, exporter);
    let (alert, from, to) = target(world, find, |(alert, _, _)| alert)?;
    use_copy(
        world,
        &alert,
        RulesEditKind::ReplaceInExpression { from, to },
    )
}

/// Adds ` ({{ $labels.<label> }})` to the alert's summary.
fn copy_naming_label(world: &mut World, alert: &str, label: &str) -> Result<(), String> {
    use_copy(
        world,
        alert,
        RulesEditKind::SummaryNamesLabel(label.to_string()),
    )
}

#[given(
    "a copy of the rules file where the summary of the first alert that aggregates away a label it selects on also names that label"
)]
fn copy_naming_a_dropped_label(world: &mut World) -> Result<(), String> {
    let (alert, label) = target(world, roles::alert_dropping_a_selected_label, |(a, _)| a)?;
    copy_naming_label(world, &alert, &label)
}

#[given(
    "a copy of the rules file where the summary of the first alert whose labels the catalogs know also names a label its metric does not have"
)]
fn copy_naming_a_label_the_metric_lacks(world: &mut World) -> Result<(), String> {
    let catalogs = CatalogSet::bundled()?;
    let (alert, label) = target(
        world,
        |text| roles::alert_whose_metric_lacks_a_label(text, catalogs),
        |(a, _)| a,
    )?;
    copy_naming_label(world, &alert, &label)
}

#[given(expr = "a copy of the rules file with an extra top-level key {string}")]
fn copy_with_top_level_key(world: &mut World, key: String) -> Result<(), String> {
    use_copy(world, "", RulesEditKind::TopLevelKey(key))
}
