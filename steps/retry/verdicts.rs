//! The steps that judge what a retry case did: its attempts, waits, final status and how it
//! ended, and whether the two implementations agree.

use cucumber::then;
use homelab_spec::shell::twin::{self, Ending, Observed};

use super::super::expect::pass_if;
use super::super::words::Numbers;
use super::super::{OrFail, World};

/// Passes when `holds` of what the case did; else fails naming the case, what was
/// `expected`, what it did and what it reported.
fn expect(
    world: &World,
    expected: impl std::fmt::Display,
    holds: impl FnOnce(&Observed) -> bool,
) -> Result<(), String> {
    let seen = world.retry.observed()?;
    let case = world.retry.describe();
    pass_if(holds(seen), || {
        format!(
            "{case}: expected {expected}, but it {seen}\n{}",
            seen.report
        )
    })
}

/// Passes when the case ended as `expected`; else fails naming how it ended instead.
fn expect_ending(world: &World, expected: Ending) -> Result<(), String> {
    let seen = world.retry.observed()?;
    let (case, ending, report) = (world.retry.describe(), &seen.ending, &seen.report);
    let message = || {
        format!(
            "{case}: expected it to report {expected:?}, but it ended {ending:?} and reported:\n{report}"
        )
    };
    pass_if(*ending == expected, message)
}

#[then(expr = "the command ran {int} time(s)")]
fn ran_times(world: &mut World, times: usize) -> Result<(), String> {
    expect(world, format!("{times} run(s)"), |seen| {
        seen.attempts == times
    })
}

#[then(expr = "ssh was tried {int} time(s)")]
fn ssh_tried_times(world: &mut World, times: usize) -> Result<(), String> {
    ran_times(world, times)
}

#[then(expr = "the waits between attempts were {numbers} seconds")]
fn waits_were(world: &mut World, waits: Numbers) -> Result<(), String> {
    let expected = format!("waits of {} seconds", waits.words);
    expect(world, expected, |seen| seen.delays == waits.seconds())
}

#[then(expr = "the final status is {int}")]
fn final_status(world: &mut World, status: i32) -> Result<(), String> {
    let expected = format!("final status {status}");
    expect(world, expected, |seen| seen.status == status)
}

#[then(expr = "the failure report says it gave up after {int} attempts")]
fn gave_up_after(world: &mut World, attempts: usize) -> Result<(), String> {
    expect_ending(world, Ending::GaveUp { attempts })
}

#[then(expr = "the retry is refused as a usage error with status {int}")]
fn refused_as_usage_error(world: &mut World, status: i32) -> Result<(), String> {
    let expected =
        format!("a usage error with status {status} saying MAX must be a positive whole number");
    expect(world, expected, |seen| {
        seen.status == status && seen.ending == Ending::UsageError
    })
}

#[then("the access check reports failure")]
fn access_check_fails(world: &mut World) -> Result<(), String> {
    let expected = "the access check to fail with status 1";
    expect(world, expected, |seen| seen.status == 1)
}

#[then(expr = "the failure message names node {string} and says it tried {int} times")]
fn failure_message(world: &mut World, node: String, tried: usize) -> Result<(), String> {
    expect_ending(world, Ending::AccessRefused { node, tried })
}

#[then("every ssh call ran in batch mode, with a connect timeout, accepting only new host keys")]
fn ssh_options(world: &mut World) -> Result<(), String> {
    let seen = world.retry.observed()?;
    let bad = seen.ssh_calls_without_options().or_fail()?;
    let (required, listed) = (twin::SSH_OPTIONS, bad.join("\n"));
    let message =
        || format!("expected every ssh call to carry {required:?}, but these did not:\n{listed}");
    pass_if(bad.is_empty(), message)
}

#[then("they ran it the same number of times, waited the same and ended with the same status")]
fn both_agree(world: &mut World) -> Result<(), String> {
    let both = world.retry.both.as_ref();
    let (bash, rust) = both.ok_or("both implementations were not run by an earlier step")?;
    let differences = twin::differences(bash, rust);
    let (case, listed) = (&world.retry.case, differences.join("\n  "));
    let message = || {
        format!(
            "the implementations disagree on {case}:\n  {listed}\nbash {bash}; rust {rust}\nbash said:\n{}",
            bash.report
        )
    };
    pass_if(differences.is_empty(), message)
}
