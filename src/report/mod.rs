//! Reports for CI: tool-level results (terraform runs, BATS tests, promtool cases) kept
//! beside the cucumber scenarios in `reports/junit.xml`, so a red build points at the exact
//! test that failed.

mod junit;
pub mod living_doc;

pub use junit::{ToolCase, ToolSuite, merge_tool_suites, record, recorded, summarize};
