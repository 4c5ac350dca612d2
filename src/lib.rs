//! homelab-spec: the acceptance criteria of a Proxmox homelab's v1.1 release, as a library.
//!
//! This crate knows nothing of cucumber: the step definitions in `steps/` parse a Gherkin
//! sentence, call a function here, and assert on the typed result it returns.

// A reader that stops at the first problem returns it as a `Finding`, by value: a few
// hundred bytes once per file read, never on a hot path.
#![allow(clippy::result_large_err)]
#![warn(unreachable_pub)]

pub mod alerts;
pub mod cargo_args;
pub mod checks;
pub(crate) mod copy_tree;
pub mod coverage;
pub mod finding;
pub mod homelab;
mod module_graph;
pub mod not_applicable;
pub mod outcome;
pub(crate) mod parallel;
mod paths;
pub mod report;
pub(crate) mod retry;
pub mod scratch;
pub mod settings;
pub mod shard;
pub mod shell;
pub mod spec_root;
pub mod suite;
pub mod suppression;
pub mod terraform;
#[cfg(test)]
mod test_support;
pub mod timing;
pub mod tools;
pub mod workspace;
