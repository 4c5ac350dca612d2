//! homelab-spec: the acceptance criteria of a Proxmox homelab's v1.1 release, as a library.
//!
//! This crate knows nothing of cucumber: the step definitions in `steps/` parse a Gherkin
//! sentence, call a function here, and assert on the typed result it returns.

pub mod alerts;
pub mod cargo_args;
pub mod finding;
pub mod homelab;
pub mod outcome;
pub mod report;
pub mod retry;
pub mod settings;
pub mod shell;
pub mod spec_root;
pub mod terraform;
pub mod tools;
