//! Steps that run the real Prometheus tools on the whole file: a server loading it,
//! `promtool check rules`, and the module that deploys it.

use cucumber::{given, then, when};
use homelab_spec::alerts::server::rules_run;
use homelab_spec::alerts::{self, deploying_module, loaded_rules, promtool};
use homelab_spec::outcome::Outcome;
use homelab_spec::shard::RunKind;

use super::super::expect::pass_if;
use super::super::{OrFail, World, blocking};

#[when("it has evaluated every rule whose group is due within the wait")]
async fn evaluated_every_rule(world: &mut World) -> Result<(), String> {
    let mut server = world.alerts.take_server()?;
    let mut bases = vec![world.root().to_path_buf()];
    bases.extend(world.alerts.rendered_dir());
    let work = move || (loaded_rules::evaluated(&mut server, &bases), server);
    let (rules, server) = blocking("reading the rules API", work).await?;
    // Kept until the scenario ends, then stopped by Drop even if a later step fails.
    world.alerts.server = Some(server);
    let rules = rules.or_fail()?;
    world.outcomes.push(Outcome::ToolRun(rules_run(&rules)));
    world.alerts.loaded = Some(rules);
    Ok(())
}

#[then("every rule is healthy")]
fn every_rule_is_healthy(world: &mut World) -> Result<(), String> {
    let rules = world.alerts.loaded()?;
    let not_due = rules.iter().filter(|r| r.not_due);
    not_due.for_each(|rule| say!("{}: {}", rule.name, rule.not_due_reason()));
    let unhealthy = loaded_rules::unhealthy(rules).join("\n");
    let message = || format!("rules not healthy in Prometheus:\n{unhealthy}");
    pass_if(unhealthy.is_empty(), message)
}

#[when("promtool checks the rules file")]
async fn promtool_checks(world: &mut World) -> Result<(), String> {
    let path = world.alerts.rules()?.clone();
    // One shard's run (`SPEC_SHARD`): a broken copy's by the file it copies.
    let key = world
        .alerts
        .shard_key(world.workspace().broken_copy().is_some());
    world.shard_share(RunKind::PromtoolCheck, vec![key], String::clone)?;
    let outcome = world.with_tools("promtool", move |tools| promtool::check_rules(tools, &path));
    let outcome = outcome.await?;
    // On a broken copy, promtool refusing it is what the scenario expects.
    let outcome = outcome.or_fail()?;
    let run = outcome.tool_run(&world.alerts.display_name);
    world.record(Outcome::ToolRun(run));
    world.alerts.promtool_check = Some(outcome);
    Ok(())
}

#[then(expr = "promtool refuses it, naming {string}")]
fn promtool_refuses(world: &mut World, word: String) -> Result<(), String> {
    let outcome = world.alerts.promtool_check()?;
    let (refused, said) = (!outcome.passed, &outcome.output);
    let message =
        || format!("expected promtool check rules to fail naming \"{word}\"; it said:\n{said}");
    pass_if(refused && said.contains(&word), message)
}

#[given("the homelab's monitoring-stack module")]
fn the_monitoring_stack_module(world: &mut World) {
    world.alerts.module = Some(alerts::MONITORING_MODULE.to_string());
}

/// The module's `.tf` files read the file (as discovery follows them: `file()`,
/// `templatefile()`, locals, `fileset()`), and that file is one of the deployed rules files
/// every US1 check runs over.
#[then(expr = "its Terraform reads the rules file {string} into what it deploys")]
fn terraform_reads_the_rules(world: &mut World, relative: String) -> Result<(), String> {
    let module = world.alerts.module.clone();
    let module = module.ok_or("no module was chosen by an earlier step")?;
    let homelab = world.layout.homelab()?;
    let read = deploying_module::read_by(homelab, &module, &relative).or_fail()?;
    let (file, line, function) = (&read.tf_file, read.line, &read.function);
    say!(
        "{file}:{line}: {function}({}) deploys {module}/{relative}",
        read.argument
    );
    Ok(())
}
