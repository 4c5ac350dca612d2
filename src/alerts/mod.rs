//! US1: the Prometheus alert rules, checked at three depths.
//!
//! 1. static ([`lint`] with [`lint::Depth::Static`]): YAML shape, PromQL syntax, required
//!    fields, severity values, durations, unique names, annotation templates, and everything
//!    `promtool check rules` (Prometheus 2.42) refuses: templates as Go parses them
//!    ([`template`]), PromQL as 2.42 reads it ([`promql_dialect`]), names, group fields;
//! 2. catalog ([`lint::Depth::Catalog`]): every selected metric and label exists in the
//!    catalog of an exporter the homelab deploys ([`catalog`]);
//! 3. behaviour: the real rule engine, through `promtool test rules` ([`promtool`]) and a
//!    real Prometheus server loading the file ([`server`]).
//!
//! Which rules files the homelab deploys is found by [`crate::homelab`] (discovery only);
//! they are read as rules and checked here ([`deployed_rules`]).
//! Every finding has a stable id, file, line and rule ([`finding`]).

pub mod attribution;
pub mod behaviour_case;
pub mod catalog;
pub(crate) mod catalog_checks;
pub mod catalog_fixture;
pub mod catalog_schema;
pub mod catalog_versions;
pub mod deployed_rules;
pub mod deploying_module;
pub(crate) mod did_you_mean;
mod duration;
pub mod engine_version;
pub mod exposition;
pub mod finding;
mod go_number;
mod go_regex;
pub(crate) mod label_flow;
pub mod lint;
pub mod lint_runs;
pub mod loaded_rules;
pub(crate) mod outline;
pub(crate) mod promql_dialect;
pub mod promtool;
pub mod promtool_each;
pub(crate) mod published_metrics;
pub mod rendered_rules;
pub mod roles;
pub mod rule_edit;
pub mod rule_file;
pub mod script_edit;
pub mod server;
pub mod static_checks;
pub(crate) mod template;
pub mod textfile;
pub mod textfile_run;
pub mod timeline;
pub mod unit_tests;

pub use finding::{CheckId, Finding};
pub use lint::{Depth, LintReport, lint_file, lint_text};

/// Where the rules file lives in the homelab repository.
pub const RULES_FILE: &str =
    "infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/default.yml";

/// The monitoring-stack module that deploys it.
pub const MONITORING_MODULE: &str = "infrastructure/proxmox/modules/monitoring-stack";
