//! US2: the homelab's Terraform modules. Reading their test files (with comments and line
//! numbers), checking them statically, and running `terraform validate` and `terraform test`
//! in place in a copy of the whole repository, offline, several modules at once.

pub mod broken_copy;
pub(crate) mod constraints;
pub mod context;
pub mod environment;
pub mod error;
pub(crate) mod in_place;
pub mod init_check;
pub mod junit;
pub(crate) mod lock_file;
pub mod module;
pub mod providers;
pub(crate) mod releases;
pub(crate) mod requirements;
pub mod runner;
pub mod static_checks;
pub mod tftest;
pub mod verdicts;

pub(crate) use context::RunnerContext;
pub use error::TerraformError;
pub use module::{Module, RequiredProvider};
pub use runner::{ModuleOutcome, RunOutcome, RunStatus, TestRunner};
pub use static_checks::{check_module, modules_without_regression_file};
pub use tftest::{HclError, RunBlock, TestFile};
