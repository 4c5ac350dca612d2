//! Steps of `features/us1_textfile.feature`: the operations scripts, run against a
//! stand-in node, publish exactly the textfile metrics of the contract the alerts use.

use cucumber::{given, then, when};
use homelab_spec::alerts::catalog::CatalogSet;
use homelab_spec::alerts::script_edit::{self, ScriptChange};
use homelab_spec::alerts::textfile::{self, PublishedMetric, ids};
use homelab_spec::finding::{Finding, FindingId, listing};

use super::super::{OrFail, World};

/// This feature's part of a scenario's state.
#[derive(Debug, Default)]
pub struct TextfileState {
    /// A broken copy of the repository's scripts; the real ones when `None`.
    copy: Option<tempfile::TempDir>,
    published: Option<Vec<PublishedMetric>>,
    findings: Option<Vec<Finding>>,
}

impl TextfileState {
    fn findings(&self) -> Result<&[Finding], String> {
        self.findings
            .as_deref()
            .ok_or_else(|| "the operations scripts were not run by an earlier step".to_string())
    }
}

/// A publishing script the homelab has, by its name (`backup-status`): its path.
fn script_path(world: &mut World, name: &str) -> Result<String, String> {
    let homelab = world.layout.homelab()?;
    homelab
        .publishing_script(name)
        .map(|s| s.path.clone())
        .ok_or_else(|| {
            let known: Vec<&str> = homelab
                .publishing_scripts
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            format!(
                "the homelab has no publishing script {name:?}; it has {}",
                known.join(", ")
            )
        })
}

/// A copy of the repository's scripts with one named change in one script.
fn copy_with(world: &mut World, script: &str, change: ScriptChange) -> Result<(), String> {
    let path = script_path(world, script)?;
    let copy = script_edit::copy_with_change(world.root().path(), &path, &change).or_fail()?;
    world.textfile.copy = Some(copy);
    Ok(())
}

#[given(
    regex = r#"^a copy of the operations scripts where the (\S+) script renames "([^"]*)" to "([^"]*)"$"#
)]
fn a_copy_renaming(
    world: &mut World,
    script: String,
    from: String,
    to: String,
) -> Result<(), String> {
    copy_with(world, &script, ScriptChange::RenameMetric { from, to })
}

#[given(
    regex = r#"^a copy of the operations scripts where the (\S+) script publishes "([^"]*)" without the label "([^"]*)"$"#
)]
fn a_copy_without_label(
    world: &mut World,
    script: String,
    metric: String,
    label: String,
) -> Result<(), String> {
    copy_with(world, &script, ScriptChange::DropLabel { metric, label })
}

#[given(
    regex = r#"^a copy of the operations scripts where the (\S+) script publishes "([^"]*)" with the extra label "([^"]*)"$"#
)]
fn a_copy_with_label(
    world: &mut World,
    script: String,
    metric: String,
    label: String,
) -> Result<(), String> {
    copy_with(world, &script, ScriptChange::AddLabel { metric, label })
}

#[when("the operations scripts run against a stand-in Proxmox node, Terraform and certificates")]
async fn the_scripts_run(world: &mut World) -> Result<(), String> {
    let root = match &world.textfile.copy {
        Some(copy) => copy.path().to_path_buf(),
        None => world.root().path().to_path_buf(),
    };
    // The scripts held to the contract (they use the textfile library), run where the
    // scenario put them; the others are judged by what they write (the catalog check).
    let scripts: Vec<String> = world
        .layout
        .homelab()?
        .publishing_scripts
        .iter()
        .filter(|s| s.under_contract())
        .map(|s| s.path.clone())
        .collect();
    let published = tokio::task::spawn_blocking(move || {
        let scripts: Vec<&str> = scripts.iter().map(String::as_str).collect();
        textfile::publish_scripts(&root, &scripts)
    })
    .await
    .map_err(|e| format!("the script runs did not finish: {e}"))?
    .or_fail()?;
    let catalogs = CatalogSet::bundled()?;
    let contract = textfile::contract(&catalogs.catalogs).or_fail()?;
    world.textfile.findings = Some(textfile::compare(&published, contract));
    world.textfile.published = Some(published);
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
    regex = r#"^the check reports that the (\S+) script publishes "([^"]*)", which the contract does not declare$"#
)]
fn reports_undeclared(world: &mut World, script: String, metric: String) -> Result<(), String> {
    let path = script_path(world, &script)?;
    expect(world, ids::UNDECLARED, Some(&path), &metric, |_| true)
}

#[then(regex = r#"^the check reports that no operations script publishes "([^"]*)"$"#)]
fn reports_unpublished(world: &mut World, metric: String) -> Result<(), String> {
    expect(world, ids::UNPUBLISHED, None, &metric, |_| true)
}

#[then(
    regex = r#"^the check reports that the (\S+) script publishes "([^"]*)" without the label "([^"]*)"$"#
)]
fn reports_missing_label(
    world: &mut World,
    script: String,
    metric: String,
    label: String,
) -> Result<(), String> {
    let path = script_path(world, &script)?;
    expect(world, ids::MISSING_LABEL, Some(&path), &metric, |f| {
        f.expected.as_deref() == Some(label.as_str())
    })
}

#[then(
    regex = r#"^the check reports that the (\S+) script sets the label "([^"]*)" on "([^"]*)", which the contract does not declare$"#
)]
fn reports_extra_label(
    world: &mut World,
    script: String,
    label: String,
    metric: String,
) -> Result<(), String> {
    let path = script_path(world, &script)?;
    expect(world, ids::EXTRA_LABEL, Some(&path), &metric, |f| {
        f.found.as_deref() == Some(label.as_str())
    })
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
