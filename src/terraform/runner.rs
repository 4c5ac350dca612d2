//! Running a module's tests for real: in place in a copy of the whole repository
//! ([`super::in_place`]), Terraform pointed at the providers (its own `TF_CLI_CONFIG_FILE`,
//! `TF_DATA_DIR` and plugin cache in a scratch directory of the run's own), run
//! `terraform validate` and `terraform test -junit-xml=...`, and read the result per run.
//! Modules run in parallel, bounded by the CPU count across the whole process, each command
//! with a timeout.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::context::RunnerContext;
use super::error::TerraformError;
use super::junit;
use super::module::Module;
use super::providers::{OfflineProviders, ProviderSource};
use super::static_checks::release_comment_of;
use super::tftest::TestFile;
use crate::finding::{Finding, FindingId};
use crate::outcome::{CaseStatus, TerraformKind, TerraformRun, TerraformRuns, ToolCase, ToolRun};
use crate::tools::{self, Command, RunError, Tool};

/// Finding ids of a module whose tests ran and did not pass.
pub mod ids {
    use crate::finding::FindingId;
    /// `terraform validate` refused the module.
    pub(crate) const VALIDATE: FindingId = FindingId::new("terraform/validate");
    /// `terraform test` failed outside any one run (a test file it could not load, ...).
    pub const TEST: FindingId = FindingId::new("terraform/test");
    /// A `run` block failed.
    pub const RUN_FAILED: FindingId = FindingId::new("terraform/run-failed");
    /// A `run` block was skipped (an earlier one failed).
    pub(crate) const RUN_SKIPPED: FindingId = FindingId::new("terraform/run-skipped");
    /// The module could not be tested at all (no copy, no providers, a timeout).
    pub(crate) const NOT_TESTED: FindingId = FindingId::new("terraform/not-tested");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "terraform",
        ids::VALIDATE,
        crate::finding::Depth::Tool,
        "terraform validate refused the module",
    ),
    crate::finding::Check::new(
        "terraform",
        ids::TEST,
        crate::finding::Depth::Tool,
        "terraform test failed outside any one run",
    ),
    crate::finding::Check::new(
        "terraform",
        ids::RUN_FAILED,
        crate::finding::Depth::Tool,
        "a run block of terraform test failed",
    ),
    crate::finding::Check::new(
        "terraform",
        ids::RUN_SKIPPED,
        crate::finding::Depth::Tool,
        "a run block was skipped because an earlier one failed",
    ),
    crate::finding::Check::new(
        "terraform",
        ids::NOT_TESTED,
        crate::finding::Depth::Tool,
        "the module could not be tested at all (no copy, no providers, a timeout)",
    ),
];

/// How one `run` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Passed,
    Failed,
    Skipped,
}

/// One `run` block's result.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The test file, relative to the module (`tests/regression.tftest.hcl`).
    pub file: String,
    pub run: String,
    /// The line of its `run` block in the test file, when the file could be read: where a
    /// suppression comment for its finding goes.
    pub line: Option<usize>,
    pub status: RunStatus,
    /// Terraform's message when the run did not pass.
    pub message: Option<String>,
    pub time: Duration,
}

/// Everything `terraform validate` and `terraform test` said about one module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleOutcome {
    pub module: String,
    /// The module's directory relative to the repository under test (its name for a copy
    /// outside it): findings name their files from here.
    pub path: String,
    /// Terraform's output when `terraform validate` failed.
    pub(crate) validate_error: Option<String>,
    pub runs: Vec<RunOutcome>,
    /// Failures not tied to one run (a test file Terraform could not load, ...).
    pub errors: Vec<String>,
    /// Wall time of validate and test.
    pub duration: Duration,
}

impl ModuleOutcome {
    pub fn passed(&self) -> bool {
        self.validate_error.is_none()
            && self.errors.is_empty()
            && !self.runs.is_empty()
            && self.runs.iter().all(|r| r.status == RunStatus::Passed)
    }

    /// The runs of one test file.
    pub(crate) fn runs_in<'a>(
        &'a self,
        file: &'a str,
    ) -> impl Iterator<Item = &'a RunOutcome> + 'a {
        self.runs.iter().filter(move |r| r.file == file)
    }

    /// One finding per problem: validate, test, and every run that did not pass.
    pub fn findings(&self) -> Vec<Finding> {
        self.findings_at(&self.path)
    }

    /// [`ModuleOutcome::findings`], their files named from `path`, the module's directory
    /// relative to another root: a scenario's copy of the repository, where its suppression
    /// comments are.
    pub fn findings_at(&self, path: &str) -> Vec<Finding> {
        let mut findings = Vec::new();
        if let Some(error) = &self.validate_error {
            findings.push(
                Finding::new(ids::VALIDATE, path, "terraform validate failed")
                    .about(&self.module)
                    .found(error.trim()),
            );
        }
        findings.extend(self.errors.iter().map(|e| {
            Finding::new(ids::TEST, path, "terraform test failed")
                .about(&self.module)
                .found(e.trim())
        }));
        for run in self.runs.iter().filter(|r| r.status != RunStatus::Passed) {
            findings.push(run_finding(path, run));
        }
        findings
    }

    /// The runs of `module` (the directory these runs were made from) for the report, with
    /// the release comment above each regression run that has one.
    pub fn terraform_runs(&self, module: &Module, kind: TerraformKind) -> TerraformRuns {
        let files: Vec<TestFile> = module
            .test_files()
            .unwrap_or_default()
            .iter()
            .filter_map(|f| TestFile::read(&module.dir, f).ok())
            .collect();
        let comment = |file: &str, run: &str| {
            files
                .iter()
                .filter(|f| f.path.to_string_lossy() == file)
                .flat_map(|f| &f.runs)
                .find(|r| r.name == run)
                .and_then(|r| release_comment_of(&r.comment_above).map(str::to_string))
        };
        TerraformRuns {
            dir: self.path.clone(),
            kind,
            runs: self
                .runs
                .iter()
                .map(|run| TerraformRun {
                    file: run.file.clone(),
                    run: run.run.clone(),
                    status: match run.status {
                        RunStatus::Passed => CaseStatus::Passed,
                        RunStatus::Skipped => CaseStatus::Skipped,
                        RunStatus::Failed => CaseStatus::Failed(run_finding(&self.path, run)),
                    },
                    release_comment: comment(&run.file, &run.run),
                })
                .collect(),
        }
    }

    /// The JUnit suite of this module for `reports/junit.xml`.
    pub fn tool_run(&self) -> ToolRun {
        let mut cases: Vec<ToolCase> = self
            .runs
            .iter()
            .map(|run| ToolCase {
                name: run.run.clone(),
                classname: format!("{}/{}", self.module, run.file),
                time: run.time,
                status: match run.status {
                    RunStatus::Passed => CaseStatus::Passed,
                    RunStatus::Skipped => CaseStatus::Skipped,
                    RunStatus::Failed => CaseStatus::Failed(run_finding(&self.path, run)),
                },
            })
            .collect();
        let module_problem = self
            .findings()
            .into_iter()
            .find(|f| f.id == ids::VALIDATE || f.id == ids::TEST);
        if let Some(problem) = module_problem {
            cases.push(ToolCase {
                name: "terraform validate and test".into(),
                classname: self.module.clone(),
                time: self.duration,
                status: CaseStatus::Failed(problem),
            });
        }
        ToolRun {
            suite: format!("terraform test: {}", self.module),
            cases,
            broken_copy: None,
        }
    }
}

/// The report of a module that could not be tested at all.
pub fn not_tested(module: &str, path: &str, error: &TerraformError) -> ToolRun {
    ToolRun {
        suite: format!("terraform test: {module}"),
        cases: vec![ToolCase {
            name: "terraform validate and test".into(),
            classname: module.to_string(),
            time: Duration::ZERO,
            // A refused link or a copy that failed names its own culprit.
            status: CaseStatus::Failed(error.findings().into_iter().next().unwrap_or_else(|| {
                Finding::new(ids::NOT_TESTED, path, error.to_string()).about(module)
            })),
        }],
        broken_copy: None,
    }
}

fn run_finding(module_path: &str, run: &RunOutcome) -> Finding {
    let (id, what): (FindingId, &str) = match run.status {
        RunStatus::Skipped => (ids::RUN_SKIPPED, "was skipped"),
        _ => (ids::RUN_FAILED, "failed"),
    };
    let message = run
        .message
        .as_deref()
        .unwrap_or("(Terraform gave no message)");
    Finding::new(
        id,
        format!("{module_path}/{}", run.file),
        format!("run \"{}\" {what}:\n{}", run.run, indent(message)),
    )
    .at(run.line)
    .about(&run.run)
}

/// The line of the `run` block `run` in the test file `file` of the module at `dir`.
fn run_line(dir: &Path, file: &str, run: &str) -> Option<usize> {
    TestFile::read(dir, Path::new(file))
        .ok()?
        .runs
        .into_iter()
        .find(|r| r.name == run)
        .map(|r| r.line)
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl fmt::Display for ModuleOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let passed = self
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Passed)
            .count();
        write!(
            f,
            "module {}: {passed} of {} runs passed in {:.1?}",
            self.module,
            self.runs.len(),
            self.duration
        )?;
        for finding in self.findings() {
            write!(f, "\n{finding}")?;
        }
        Ok(())
    }
}

/// Environment variables of one module's Terraform commands.
type RunEnvironment = Vec<(String, PathBuf)>;

/// Runs Terraform in copies of the repository.
#[derive(Debug, Clone)]
pub struct TestRunner {
    context: Arc<RunnerContext>,
    terraform: PathBuf,
    providers: ProviderSource,
    timeout: Duration,
    scratch: Option<PathBuf>,
    filter: Option<String>,
}

impl TestRunner {
    /// terraform from PATH (found through the suite run's tools), providers and timeout from
    /// the suite run's settings in `context`.
    pub fn new(context: &Arc<RunnerContext>) -> Result<TestRunner, TerraformError> {
        let terraform = context.tools.find(Tool::Terraform)?;
        Ok(TestRunner::with_terraform(context, terraform.path))
    }

    /// Like [`TestRunner::new`], but looks for terraform in the given PATH-style list.
    pub(crate) fn with_terraform_on_path(
        context: &Arc<RunnerContext>,
        path: &OsStr,
    ) -> Result<TestRunner, TerraformError> {
        let terraform = tools::find_on_path(Tool::Terraform, path)?;
        Ok(TestRunner::with_terraform(context, terraform.path))
    }

    fn with_terraform(context: &Arc<RunnerContext>, terraform: PathBuf) -> TestRunner {
        TestRunner {
            context: context.clone(),
            terraform,
            providers: context.providers,
            timeout: context.timeout,
            scratch: None,
            filter: None,
        }
    }

    /// The longest any one Terraform command may take before it is killed.
    pub fn timeout(mut self, timeout: Duration) -> TestRunner {
        self.timeout = timeout;
        self
    }

    /// Where the temporary copies and scratch directories go (the system temp dir by
    /// default; then the runs of the repository under test share one copy).
    pub(crate) fn scratch_in(mut self, dir: &Path) -> TestRunner {
        self.scratch = Some(dir.to_path_buf());
        self
    }

    /// Runs only one test file (`terraform test -filter=...`).
    pub fn only(mut self, test_file: &str) -> TestRunner {
        self.filter = Some(test_file.to_string());
        self
    }

    /// Validates and tests one module. `Err` when it could not be tested at all (no copy,
    /// no providers, a command that did not finish in time).
    pub fn run(&self, module: &Module) -> Result<ModuleOutcome, TerraformError> {
        let path = module.path_in_repo(self.context.root());
        self.run_in_place(&module.name, &path, &module.dir, false)
    }

    /// Validates and tests `dir` (absolute) in place in a copy of the whole repository
    /// ([`super::in_place`]), named `name` in the outcome and `path` (relative to the
    /// repository under test) in its findings. Terraform's data dir, plugin cache, CLI
    /// config and reports go to a scratch directory of the run's own. With
    /// `install_modules`, `terraform get` first installs the modules it calls (local
    /// sources only: no network).
    pub(crate) fn run_in_place(
        &self,
        name: &str,
        path: &str,
        dir: &Path,
        install_modules: bool,
    ) -> Result<ModuleOutcome, TerraformError> {
        let share = self.scratch.is_none() && self.providers == ProviderSource::Offline;
        let workdir = super::in_place::workdir(
            self.context.root(),
            &self.context.copy,
            name,
            dir,
            share,
            self.scratch.as_deref(),
        )?;
        let mut builder = tempfile::Builder::new();
        let prefix = format!("homelab-spec-tf-{}-", name.replace('/', "-"));
        builder.prefix(&prefix);
        let scratch = match &self.scratch {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        }
        .map_err(|e| {
            TerraformError::io(
                format!("{name}: cannot create a scratch directory for Terraform"),
                e,
            )
        })?;
        self.run_at(name, path, &workdir.dir, scratch.path(), install_modules)
    }

    fn run_at(
        &self,
        name: &str,
        path: &str,
        dir: &Path,
        scratch: &Path,
        install_modules: bool,
    ) -> Result<ModuleOutcome, TerraformError> {
        // Held until the module is done: the shared providers are removed with the last user.
        let (env, _providers) = self.environment(scratch, dir)?;
        let _slot = self.context.slots.acquire();
        let started = Instant::now();

        if install_modules {
            self.terraform(&env, dir, &["get", "-no-color"])
                .and_then(|out| out.checked())
                .map_err(|e| self.not_finished(name, "get", e))?;
        }

        if self.providers == ProviderSource::Registry {
            self.terraform(
                &env,
                dir,
                &["init", "-input=false", "-backend=false", "-no-color"],
            )
            .and_then(|out| out.checked())
            .map_err(|e| self.not_finished(name, "init", e))?;
        }

        let validate = self
            .terraform(&env, dir, &["validate", "-no-color"])
            .map_err(|e| self.not_finished(name, "validate", e))?;
        let validate_error =
            (!validate.success()).then(|| terraform_text(&validate.stdout, &validate.stderr));

        let junit_path = scratch.join("junit.xml");
        let junit_arg = format!("-junit-xml={}", junit_path.display());
        let filter_arg = self.filter.as_ref().map(|f| format!("-filter={f}"));
        let mut args = vec!["test", "-no-color", junit_arg.as_str()];
        if let Some(filter) = &filter_arg {
            args.push(filter);
        }
        let test = self
            .terraform(&env, dir, &args)
            .map_err(|e| self.not_finished(name, "test", e))?;

        let mut runs = Vec::new();
        let mut errors = Vec::new();
        match std::fs::read_to_string(&junit_path) {
            Ok(xml) => match junit::parse(&xml) {
                Ok(cases) => runs.extend(cases.into_iter().map(|case| RunOutcome {
                    line: run_line(dir, &case.file, &case.run),
                    status: if case.failure.is_some() {
                        RunStatus::Failed
                    } else if case.skipped {
                        RunStatus::Skipped
                    } else {
                        RunStatus::Passed
                    },
                    file: case.file,
                    run: case.run,
                    message: case.failure,
                    time: case.time,
                })),
                Err(e) => errors.push(format!("its JUnit report {}: {e}", junit_path.display())),
            },
            Err(_) if test.success() => {
                errors.push("terraform test passed but wrote no JUnit report".into())
            }
            Err(_) => {}
        }
        let explained = runs.iter().any(|r| r.status != RunStatus::Passed);
        if !test.success() && !explained {
            errors.push(terraform_text(&test.stdout, &test.stderr));
        }
        Ok(ModuleOutcome {
            module: name.to_string(),
            path: path.to_string(),
            validate_error,
            runs,
            errors,
            duration: started.elapsed(),
        })
    }

    /// Tests several modules at once (bounded by [`RunnerContext::parallel_limit`]), results in
    /// the given order.
    pub fn run_all(&self, modules: &[Module]) -> Vec<Result<ModuleOutcome, TerraformError>> {
        crate::parallel::map(modules, |module| self.run(module), panicked)
    }

    /// Terraform's data dir and, offline, a CLI config serving each provider at the release
    /// `dir`'s lock file or constraints select (`init_check::selection_for`).
    fn environment(
        &self,
        scratch: &Path,
        dir: &Path,
    ) -> Result<(RunEnvironment, Option<Arc<OfflineProviders>>), TerraformError> {
        let plugin_cache = scratch.join("plugin-cache");
        std::fs::create_dir_all(&plugin_cache).map_err(|e| {
            TerraformError::io(format!("cannot create {}", plugin_cache.display()), e)
        })?;
        let mut env = vec![
            ("TF_DATA_DIR".to_string(), scratch.join("tf-data")),
            ("TF_PLUGIN_CACHE_DIR".to_string(), plugin_cache),
        ];
        let providers = match self.providers {
            ProviderSource::Offline => {
                let selection = super::init_check::selection_for(dir);
                let providers = self.context.offline_providers(&selection)?;
                let config = scratch.join("terraform.rc");
                std::fs::copy(providers.cli_config(), &config).map_err(|e| {
                    TerraformError::io(
                        format!(
                            "cannot copy {} to {}",
                            providers.cli_config().display(),
                            config.display()
                        ),
                        e,
                    )
                })?;
                env.push(("TF_CLI_CONFIG_FILE".to_string(), config));
                Some(providers)
            }
            ProviderSource::Registry => None,
        };
        Ok((env, providers))
    }

    fn terraform(
        &self,
        env: &[(String, PathBuf)],
        dir: &Path,
        args: &[&str],
    ) -> Result<tools::Output, RunError> {
        let mut command = Command::new(
            self.terraform.clone().into_os_string(),
            args.iter().copied(),
        )
        .dir(dir)
        .timeout(self.timeout)
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_ARGS")
        .env_remove("TF_CLI_ARGS_test")
        .env_remove("TF_CLI_ARGS_validate");
        for (key, value) in env {
            command = command.env(key, value);
        }
        tools::run(&command)
    }

    fn not_finished(&self, module: &str, what: &str, error: RunError) -> TerraformError {
        match error {
            RunError::TimedOut { stdout, stderr, .. } => TerraformError::TimedOut {
                module: module.to_string(),
                command: what.to_string(),
                timeout: self.timeout,
                output: terraform_text(&stdout, &stderr),
            },
            other => TerraformError::Command {
                module: module.to_string(),
                command: what.to_string(),
                reason: other.to_string(),
            },
        }
    }
}

/// Terraform's own words: stderr (its diagnostics) after stdout (its progress).
fn terraform_text(stdout: &str, stderr: &str) -> String {
    [stdout.trim(), stderr.trim()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

/// A module's outcome, shared between the scenarios that asked for it.
pub type SharedOutcome = Arc<Result<ModuleOutcome, TerraformError>>;

/// What a scenario asks of a module run beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct TestRequest {
    /// Run only this test file (`terraform test -filter`).
    pub only: Option<String>,
    pub timeout: Option<Duration>,
    /// Look for terraform in this PATH-style list instead of the process's PATH.
    pub terraform_path: Option<std::ffi::OsString>,
    /// Where the temporary copies go (the system temp dir when `None`).
    pub scratch: Option<PathBuf>,
}

impl TestRequest {
    /// A request that asks nothing special: the run of a module as it is in the repository
    /// can then be shared.
    fn is_plain(&self) -> bool {
        self.only.is_none() && self.timeout.is_none() && self.terraform_path.is_none()
    }
}

/// Tests `modules` as `request` asks, in parallel, results in the given order. The
/// repository's own modules, tested as they are, run once per suite run and are shared by
/// every scenario that asks for them ([`shared_outcome`]); a copy, a filter, a timeout or
/// another terraform runs afresh.
pub fn test_modules(
    context: &Arc<RunnerContext>,
    modules: &[Module],
    request: &TestRequest,
) -> Vec<SharedOutcome> {
    if request.is_plain() && modules.iter().all(|m| m.dir.starts_with(context.root())) {
        return crate::parallel::map(
            modules,
            |m| shared_outcome(context, m),
            |m| Arc::new(panicked(m)),
        );
    }
    let runner = match &request.terraform_path {
        Some(path) => TestRunner::with_terraform_on_path(context, path),
        None => TestRunner::new(context),
    };
    let runner = match runner {
        Ok(runner) => runner,
        Err(e) => {
            let e = Arc::new(Err(e));
            return modules.iter().map(|_| e.clone()).collect();
        }
    };
    let mut runner = runner;
    if let Some(scratch) = &request.scratch {
        runner = runner.scratch_in(scratch);
    }
    if let Some(timeout) = request.timeout {
        runner = runner.timeout(timeout);
    }
    if let Some(only) = &request.only {
        runner = runner.only(only);
    }
    runner.run_all(modules).into_iter().map(Arc::new).collect()
}

/// Tests `modules` as [`test_modules`] does, with the temporary copies in a scratch
/// directory of their own, so that a scenario on bad input or a broken copy can check that
/// none is left behind: the outcomes and that directory. A scratch directory that cannot be
/// made is every module's outcome.
pub fn test_modules_in_scratch(
    context: &Arc<RunnerContext>,
    modules: &[Module],
    mut request: TestRequest,
) -> (Vec<SharedOutcome>, Option<tempfile::TempDir>) {
    let made = tempfile::Builder::new()
        .prefix("homelab-spec-us2-scratch-")
        .tempdir();
    match made {
        Ok(dir) => {
            request.scratch = Some(dir.path().to_path_buf());
            (test_modules(context, modules, &request), Some(dir))
        }
        Err(source) => {
            let e = Arc::new(Err(TerraformError::Io {
                context: "cannot create a scratch directory".into(),
                source,
            }));
            (modules.iter().map(|_| e.clone()).collect(), None)
        }
    }
}

/// The outcome of a module of the repository under test, computed once per suite run: the
/// per-module scenarios and the all-modules scenario share it. Each scenario that uses it
/// reports its [`ModuleOutcome::tool_run`]; the report writer keeps one copy of each run.
pub(crate) fn shared_outcome(context: &Arc<RunnerContext>, module: &Module) -> SharedOutcome {
    context.outcomes.get_or_run(module.dir.clone(), || {
        TestRunner::new(context).and_then(|runner| runner.run(module))
    })
}

/// What a module's run gives when its thread panicked.
fn panicked(module: &Module) -> Result<ModuleOutcome, TerraformError> {
    Err(TerraformError::Panicked {
        module: module.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(file: &str, name: &str, status: RunStatus, message: Option<&str>) -> RunOutcome {
        RunOutcome {
            file: file.into(),
            run: name.into(),
            line: None,
            status,
            message: message.map(str::to_string),
            time: Duration::from_millis(10),
        }
    }

    #[test]
    fn a_failed_run_names_module_file_run_and_message() {
        let outcome = ModuleOutcome {
            module: "lxc".into(),
            path: "infrastructure/proxmox/modules/lxc".into(),
            validate_error: None,
            runs: vec![
                run(
                    "tests/regression.tftest.hcl",
                    "tags",
                    RunStatus::Passed,
                    None,
                ),
                run(
                    "tests/regression.tftest.hcl",
                    "description",
                    RunStatus::Failed,
                    Some("1 of 1 assertions failed: wrong description"),
                ),
            ],
            errors: vec![],
            duration: Duration::from_secs(1),
        };
        assert!(!outcome.passed());
        let findings = outcome.findings();
        pretty_assertions::assert_eq!(
            crate::finding::ids_and_subjects(&findings),
            vec![(
                "terraform/run-failed".to_string(),
                "description".to_string()
            )]
        );
        assert_eq!(
            findings[0].file,
            "infrastructure/proxmox/modules/lxc/tests/regression.tftest.hcl"
        );
        let run = outcome.tool_run();
        assert_eq!(run.suite, "terraform test: lxc");
        assert_eq!(run.failures(), 1);
        assert_eq!(run.cases[1].classname, "lxc/tests/regression.tftest.hcl");
    }

    #[test]
    fn no_runs_is_not_a_pass() {
        let outcome = ModuleOutcome {
            module: "vm".into(),
            path: "vm".into(),
            validate_error: None,
            runs: vec![],
            errors: vec![],
            duration: Duration::ZERO,
        };
        assert!(!outcome.passed());
    }
}
