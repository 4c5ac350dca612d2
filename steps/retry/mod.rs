//! Steps of `features/us3_retry.feature`: retry with backoff in the Bash library and in the
//! suite's Rust module, observed the same way (`homelab_spec::shell::twin`): this file
//! chooses and runs the case, `verdicts.rs` judges what it did, and `library_tests.rs` runs
//! the BATS tests of the library (`homelab_spec::shell::bats`).

mod library_tests;
mod verdicts;

use cucumber::{given, when};
use homelab_spec::outcome::Outcome;
use homelab_spec::shell::bats::BatsRun;
use homelab_spec::shell::twin::{Implementation, Observed, RetryCase, Subject};

use super::words::{AttemptCount, ImplementationName, Numbers, OnOff};
use super::{OrFail, World, blocking};

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct RetryState {
    implementation: Option<Implementation>,
    case: RetryCase,
    observed: Option<Observed>,
    /// (bash, rust) for the scenarios that compare both.
    both: Option<(Observed, Observed)>,
    bats_file: Option<String>,
    bats: Option<BatsRun>,
}

impl RetryState {
    fn observed(&self) -> Result<&Observed, String> {
        self.observed
            .as_ref()
            .ok_or_else(|| "nothing was run by an earlier step".to_string())
    }

    fn implementation(&self) -> Result<Implementation, String> {
        self.implementation
            .ok_or_else(|| "no implementation was chosen by an earlier step".to_string())
    }

    /// The case, as run by `implementation` (by both when none was chosen).
    fn describe(&self) -> String {
        let who = self
            .implementation
            .map_or("both".to_string(), |i| i.to_string());
        format!("{who}, {}", self.case)
    }
}

/// Runs the scenario's case against one implementation, off the async runtime's threads,
/// and hands its waits to the report.
async fn observe(world: &mut World, implementation: Implementation) -> Result<Observed, String> {
    let (case, root) = (world.retry.case.clone(), world.checkout());
    let run_case = case.clone();
    let what = format!("the {implementation} run");
    let seen = blocking(&what, move || run_case.run(implementation, &root))
        .await?
        .or_fail()?;
    world
        .outcomes
        .push(Outcome::RetryWaits(seen.waits(implementation, &case)));
    Ok(seen)
}

/// Runs the scenario's case against the chosen implementation.
async fn observe_chosen(world: &mut World) -> Result<(), String> {
    let implementation = world.retry.implementation()?;
    world.retry.observed = Some(observe(world, implementation).await?);
    Ok(())
}

// ----- choosing what runs --------------------------------------------------------------

#[given(expr = "the {implementation} retry with at most {attempt_count} attempts")]
fn retry_with_attempts(world: &mut World, implementation: ImplementationName, max: AttemptCount) {
    world.retry.implementation = Some(implementation.0);
    world.retry.case.subject = Subject::Command;
    world.retry.case.max_attempts = max.0;
}

#[given(expr = "the {implementation} way of running a command on a node over SSH")]
fn ssh_command_runner(world: &mut World, implementation: ImplementationName) {
    world.retry.implementation = Some(implementation.0);
    world.retry.case.subject = Subject::SshCommand {
        node: String::new(),
        command: String::new(),
    };
}

#[given(expr = "the {implementation} SSH access check")]
fn ssh_access_check(world: &mut World, implementation: ImplementationName) {
    world.retry.implementation = Some(implementation.0);
    let node = String::new();
    world.retry.case.subject = Subject::SshAccessCheck { node };
}

#[given(
    expr = "at most {attempt_count} attempts, a first wait of {int} seconds and waits of at most {int} seconds"
)]
fn attempts_and_waits(world: &mut World, max: AttemptCount, base: u64, cap: u64) {
    world.retry.case.max_attempts = max.0;
    first_wait_and_cap(world, base, cap);
}

// ----- how the command behaves and the retry settings --------------------------------

#[given(expr = "a command that fails with status {int} and then succeeds")]
fn fails_then_succeeds(world: &mut World, status: i32) {
    world.retry.case.statuses = vec![status, 0];
}

#[given(expr = "a command that always fails with status {int}")]
fn always_fails(world: &mut World, status: i32) {
    world.retry.case.statuses = vec![status];
}

#[given(expr = "a command that exits with {numbers} on successive attempts")]
fn exits_with(world: &mut World, statuses: Numbers) {
    world.retry.case.statuses = statuses.values;
}

#[given(expr = "ssh exits with {numbers} on successive tries")]
fn ssh_exits_with(world: &mut World, statuses: Numbers) {
    world.retry.case.statuses = statuses.values;
}

#[given(expr = "a first wait of {int} seconds and waits of at most {int} seconds")]
fn first_wait_and_cap(world: &mut World, base: u64, cap: u64) {
    world.retry.case.base_secs = Some(base);
    world.retry.case.cap_secs = Some(cap);
}

#[given(expr = "dry-run mode is {on_off}")]
fn dry_run_mode(world: &mut World, mode: OnOff) {
    world.retry.case.dry_run = mode.0;
}

#[given(expr = "only status {int} is retried")]
fn only_status_retried(world: &mut World, status: i32) {
    world.retry.case.retry_on = Some(vec![status]);
}

#[given(expr = "the retried statuses are {numbers}")]
fn retried_statuses(world: &mut World, statuses: Numbers) {
    world.retry.case.retry_on = Some(statuses.values);
}

#[given("the retried statuses are all")]
fn every_status_retried(world: &mut World) {
    world.retry.case.retry_on = None;
}

// ----- running -------------------------------------------------------------------------

#[when("the command is run with retries")]
async fn run_with_retries(world: &mut World) -> Result<(), String> {
    observe_chosen(world).await
}

#[when(expr = "the command {string} is run on node {string}")]
async fn run_on_node(world: &mut World, command: String, node: String) -> Result<(), String> {
    world.retry.case.subject = Subject::SshCommand { node, command };
    observe_chosen(world).await
}

#[when(expr = "the access to node {string} is checked")]
async fn access_is_checked(world: &mut World, node: String) -> Result<(), String> {
    world.retry.case.subject = Subject::SshAccessCheck { node };
    observe_chosen(world).await
}

#[when("both implementations run the command with retries")]
async fn both_run(world: &mut World) -> Result<(), String> {
    let bash = observe(world, Implementation::Bash).await?;
    let rust = observe(world, Implementation::Rust).await?;
    world.retry.both = Some((bash, rust));
    Ok(())
}
