//! Steps of `features/us1_textfile.feature`: the operations scripts, run against a
//! stand-in node, publish exactly the textfile metrics of the contract the alerts use.

use cucumber::{given, then, when};
use homelab_spec::alerts::roles::{self, Sample};
use homelab_spec::alerts::script_edit::ScriptChange;
use homelab_spec::alerts::textfile::{PublishedMetric, ids};
use homelab_spec::alerts::textfile_run::run_contract;
use homelab_spec::finding::{Finding, FindingId, listing};
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::workspace::ScriptEdit;

use super::super::{OrFail, World, blocking};

/// This feature's part of a scenario's state.
#[derive(Debug, Default)]
pub struct TextfileState {
    published: Option<Vec<PublishedMetric>>,
    findings: Option<Vec<Finding>>,
    /// What the broken copy changed: the script, the metric, and the label or new name.
    changed: Option<Changed>,
}

/// The target a change to a script was made at, chosen by the role it plays.
#[derive(Debug, Clone)]
struct Changed {
    script: String,
    metric: String,
    /// The label dropped or added, or the metric's new name.
    word: String,
}

impl TextfileState {
    fn changed(&self) -> Result<&Changed, String> {
        self.changed
            .as_ref()
            .ok_or_else(|| "no earlier step changed a script".to_string())
    }
}

impl TextfileState {
    fn findings(&self) -> Result<&[Finding], String> {
        self.findings
            .as_deref()
            .ok_or_else(|| "the operations scripts were not run by an earlier step".to_string())
    }
}

/// The samples the homelab's publishing scripts write through the textfile library.
fn samples(world: &mut World) -> Result<Vec<Sample>, String> {
    let root = world.root().to_path_buf();
    let mut texts = Vec::new();
    for script in &world.layout.homelab()?.publishing_scripts {
        let path = root.join(&script.path);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        texts.push((script.path.clone(), text));
    }
    Ok(roles::samples(
        texts.iter().map(|(p, t)| (p.as_str(), t.as_str())),
    ))
}

/// Makes `change` in a copy at the role's target; nothing to play it ends the scenario as
/// not applicable.
fn change_by_role(
    world: &mut World,
    find: impl FnOnce(&[Sample]) -> Result<(Sample, String), NotApplicable>,
    change: impl FnOnce(&Sample, &str) -> ScriptChange,
) -> Result<(), String> {
    let samples = samples(world)?;
    let (sample, word) = find(&samples).map_err(|why| world.skip(why))?;
    let change = change(&sample, &word);
    let script = sample.script.clone();
    world.change(ScriptEdit { script, change })?;
    world.textfile.changed = Some(Changed {
        script: sample.script,
        metric: sample.metric,
        word,
    });
    Ok(())
}

#[given(
    "a copy of the operations scripts where the first script that alone publishes a metric renames it"
)]
fn a_copy_renaming(world: &mut World) -> Result<(), String> {
    change_by_role(
        world,
        |samples| {
            let s = roles::sample_of_one_script(samples)?;
            Ok((s.clone(), format!("{}_renamed", s.metric)))
        },
        |s, to| ScriptChange::RenameMetric {
            from: s.metric.clone(),
            to: to.to_string(),
        },
    )
}

#[given(
    "a copy of the operations scripts where the first script that publishes a metric with a label drops that label"
)]
fn a_copy_without_label(world: &mut World) -> Result<(), String> {
    change_by_role(
        world,
        |samples| roles::labelled_sample(samples).map(|(s, l)| (s.clone(), l)),
        |s, label| ScriptChange::DropLabel {
            metric: s.metric.clone(),
            label: label.to_string(),
        },
    )
}

#[given(
    "a copy of the operations scripts where the first script that publishes a metric adds a label to it"
)]
fn a_copy_with_label(world: &mut World) -> Result<(), String> {
    change_by_role(
        world,
        |samples| roles::sample_and_new_label(samples).map(|(s, l)| (s.clone(), l)),
        |s, label| ScriptChange::AddLabel {
            metric: s.metric.clone(),
            label: label.to_string(),
        },
    )
}

#[when("the operations scripts run against a stand-in Proxmox node, Terraform and certificates")]
async fn the_scripts_run(world: &mut World) -> Result<(), String> {
    let (root, homelab) = (world.root().to_path_buf(), world.layout.homelab()?.clone());
    let run = blocking("the script runs", move || run_contract(&root, &homelab)).await?;
    let run = run.or_fail()?;
    world.textfile.findings = Some(run.findings);
    world.textfile.published = Some(run.published);
    Ok(())
}

fn none_of(findings: &[Finding], keep: impl Fn(&Finding) -> bool) -> Result<(), String> {
    let wrong: Vec<Finding> = findings.iter().filter(|f| keep(f)).cloned().collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(listing(&wrong))
    }
}

#[then("every metric of the textfile contract is published by an operations script")]
fn every_contract_metric_published(world: &mut World) -> Result<(), String> {
    none_of(world.textfile.findings()?, |f| f.id == ids::UNPUBLISHED)
}

#[then("every metric the scripts publish is in the contract, with the same type and labels")]
fn nothing_undeclared(world: &mut World) -> Result<(), String> {
    let published = world.textfile.published.as_deref().unwrap_or_default();
    if published.is_empty() {
        return Err("the operations scripts published no metric at all".into());
    }
    none_of(world.textfile.findings()?, |f| f.id != ids::UNPUBLISHED)
}

#[then(
    "the check reports that the script publishes the new name, which the contract does not declare"
)]
fn reports_undeclared(world: &mut World) -> Result<(), String> {
    let changed = world.textfile.changed()?.clone();
    expect(
        world,
        ids::UNDECLARED,
        Some(&changed.script),
        &changed.word,
        |_| true,
    )
}

#[then("the check reports that no operations script publishes the old name")]
fn reports_unpublished(world: &mut World) -> Result<(), String> {
    let changed = world.textfile.changed()?.clone();
    expect(world, ids::UNPUBLISHED, None, &changed.metric, |_| true)
}

#[then("the check reports that the script publishes the metric without that label")]
fn reports_missing_label(world: &mut World) -> Result<(), String> {
    let changed = world.textfile.changed()?.clone();
    expect(
        world,
        ids::MISSING_LABEL,
        Some(&changed.script),
        &changed.metric,
        |f| f.expected.as_deref() == Some(changed.word.as_str()),
    )
}

#[then(
    "the check reports that the script sets that label on the metric, which the contract does not declare"
)]
fn reports_extra_label(world: &mut World) -> Result<(), String> {
    let changed = world.textfile.changed()?.clone();
    expect(
        world,
        ids::EXTRA_LABEL,
        Some(&changed.script),
        &changed.metric,
        |f| f.found.as_deref() == Some(changed.word.as_str()),
    )
}

/// A finding with this id about `metric`, in `script` when given, that `also` accepts.
fn expect(
    world: &World,
    id: FindingId,
    script: Option<&str>,
    metric: &str,
    also: impl Fn(&Finding) -> bool,
) -> Result<(), String> {
    let findings = world.textfile.findings()?;
    let wanted = |f: &&Finding| {
        f.is(id.as_str(), Some(metric)) && script.is_none_or(|s| f.file == s) && also(f)
    };
    if findings.iter().any(|f| wanted(&f)) {
        return Ok(());
    }
    Err(format!(
        "expected a {id} finding about {metric}, but the {} reported are:\n{}",
        findings.len(),
        listing(findings)
    ))
}
