//! US3: the Bash operations library under test. [`bats`] runs a BATS file and turns its
//! per-test results into a JUnit suite, [`bats_results`] says what a scenario's runs hand to the
//! report and what is wrong with them; [`harness`] calls one `common.sh` function in a
//! controlled `bash` (recording fake `ssh`, `sleep` and commands on PATH) and reports what
//! it did: attempts, waits, final status, messages; [`twin`] runs one retry case against
//! the Bash library or the native Rust module and observes both the same way;
//! [`fake_commands`] is the one way any check puts fake commands on PATH; [`bash_trace`]
//! records what each BATS test executed, traced by bash itself.

pub(crate) mod bash_trace;
pub mod bats;
pub mod bats_results;
pub mod fake_commands;
pub(crate) mod harness;
pub mod twin;
