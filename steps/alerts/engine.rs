//! Steps that run the real Prometheus tools on the whole file: a server loading it,
//! `promtool check rules`, and the module that deploys it.

use std::time::Duration;

use cucumber::{given, then, when};
use homelab_spec::alerts::{self, promtool};

use super::super::World;

#[when("it has evaluated every rule whose group is due within the wait")]
async fn evaluated_every_rule(world: &mut World) -> Result<(), String> {
    let mut server = world
        .alerts
        .server
        .take()
        .ok_or("no server was started by an earlier step")?;
    let (server, rules) = tokio::task::spawn_blocking(move || {
        let rules = server.evaluated_rules(Duration::from_secs(20));
        (server, rules)
    })
    .await
    .map_err(|e| format!("reading the rules API did not finish: {e}"))?;
    // Kept until the scenario ends, then stopped by Drop even if a later step fails.
    world.alerts.server = Some(server);
    let mut rules = rules.map_err(|e| e.to_string())?;
    let root = world.root().to_path_buf();
    let mut bases = vec![root.as_path()];
    bases.extend(world.alerts.rendered.as_ref().map(|dir| dir.path()));
    homelab_spec::alerts::server::relative_files(&mut rules, &bases);
    world.outcomes.push(homelab_spec::outcome::Outcome::ToolRun(
        homelab_spec::alerts::server::rules_run(&rules),
    ));
    world.alerts.loaded = Some(rules);
    Ok(())
}

#[then("every rule is healthy")]
fn every_rule_is_healthy(world: &mut World) -> Result<(), String> {
    let rules = world
        .alerts
        .loaded
        .as_ref()
        .ok_or("no rules were read by an earlier step")?;
    for rule in rules.iter().filter(|r| r.not_due) {
        say!("{}: {}", rule.name, rule.not_due_reason());
    }
    let unhealthy: Vec<String> = rules
        .iter()
        .filter(|r| r.unhealthy())
        .map(|r| {
            format!(
                "  {} (group {}): health {}{}",
                r.name,
                r.group,
                r.health,
                r.last_error
                    .as_deref()
                    .map(|e| format!(", last error: {e}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    if unhealthy.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "rules not healthy in Prometheus:\n{}",
            unhealthy.join("\n")
        ))
    }
}

#[when("promtool checks the rules file")]
async fn promtool_checks(world: &mut World) -> Result<(), String> {
    let path = world
        .alerts
        .rules
        .clone()
        .ok_or("no rules file was chosen by an earlier step")?;
    // One shard's run (`SPEC_SHARD`): a broken copy's by the file it copies.
    let key = match world.workspace().broken_copy() {
        Some(_) => format!("{} (a broken copy)", homelab_spec::alerts::RULES_FILE),
        None => world.alerts.display_name.clone(),
    };
    world.shard_share(
        homelab_spec::shard::RunKind::PromtoolCheck,
        vec![key],
        String::clone,
    )?;
    let outcome = tokio::task::spawn_blocking(move || promtool::check_rules(&path))
        .await
        .map_err(|e| format!("promtool did not finish: {e}"))?
        .map_err(|e| e.to_string())?;
    // On a broken copy, promtool refusing it is what the scenario expects.
    let run = outcome.tool_run(&world.alerts.display_name);
    world.record(homelab_spec::outcome::Outcome::ToolRun(run));
    world.alerts.promtool_check = Some(outcome);
    Ok(())
}

#[then(regex = r#"^promtool refuses it, naming "([^"]+)"$"#)]
fn promtool_refuses(world: &mut World, word: String) -> Result<(), String> {
    let outcome = world
        .alerts
        .promtool_check
        .as_ref()
        .ok_or("promtool has not run in an earlier step")?;
    if !outcome.passed && outcome.output.contains(&word) {
        Ok(())
    } else {
        Err(format!(
            "expected promtool check rules to fail naming \"{word}\"; it said:\n{}",
            outcome.output
        ))
    }
}

#[given("the homelab's monitoring-stack module")]
fn the_monitoring_stack_module(world: &mut World) {
    world.alerts.module = Some(alerts::MONITORING_MODULE.to_string());
}

/// The module's `.tf` files read the file (as discovery follows them: `file()`,
/// `templatefile()`, locals, `fileset()`), and that file is one of the deployed rules files
/// every US1 check runs over.
#[then(regex = r#"^its Terraform reads the rules file "([^"]+)" into what it deploys$"#)]
fn terraform_reads_the_rules(world: &mut World, relative: String) -> Result<(), String> {
    let module = world
        .alerts
        .module
        .clone()
        .ok_or("no module was chosen by an earlier step")?;
    let expected = format!("{module}/{relative}");
    let homelab = world.layout.homelab()?;
    let deployed: Vec<&str> = homelab
        .rules_files
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    let file = homelab
        .rules_files
        .iter()
        .find(|f| f.path == expected)
        .ok_or_else(|| {
            format!("{expected} is not among the rules files the homelab deploys: {deployed:?}")
        })?;
    match file.reads.iter().find(|read| read.config == module) {
        Some(read) => {
            say!(
                "{}:{}: {}({}) deploys {expected}",
                read.tf_file,
                read.line,
                read.function,
                read.argument
            );
            Ok(())
        }
        None => Err(format!(
            "{expected} is deployed, but not by {module}: read by {:?}",
            file.reads
                .iter()
                .map(|r| r.tf_file.as_str())
                .collect::<Vec<_>>()
        )),
    }
}
