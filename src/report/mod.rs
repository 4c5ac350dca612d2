//! The reports of a run, written from one place: cucumber's scenarios and every tool-level
//! run the scenarios returned go into `reports/junit.xml`, well-formed whatever the tools
//! printed ([`text::sanitize`]); every finding into `reports/findings.sarif` ([`sarif`]) and,
//! on GitHub Actions, into workflow commands ([`annotations`]).

pub mod annotations;
pub mod collected;
pub mod coverage_json;
pub mod history;
pub mod junit;
pub mod living_doc;
pub mod merge;
pub mod sarif;
pub mod text;

pub use collected::{NotApplicableScenario, RunOutcomes, ScenarioOutcomes};
pub use junit::{JunitError, distinct, finish, summarize, tool_suites_xml};
pub use text::sanitize;
