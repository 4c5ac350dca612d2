//! US2: the homelab's Terraform modules. Reading their test files (with comments and line
//! numbers), checking them statically, and running `terraform validate` and `terraform test`
//! on temporary copies, offline, several modules at once.

pub mod environment;
pub mod junit;
pub mod module;
pub mod providers;
pub mod runner;
pub mod static_checks;
pub mod tftest;

pub use module::{Module, ModuleCopy, RequiredProvider};
pub use runner::{ModuleOutcome, RunOutcome, RunStatus, TestRunner};
pub use static_checks::{Finding, check_module};
pub use tftest::{HclError, RunBlock, TestFile};
