//! Running a module's tests for real: copy the module to a temporary directory, point
//! Terraform at the providers (its own `TF_CLI_CONFIG_FILE` and `TF_DATA_DIR`), run
//! `terraform validate` and `terraform test -junit-xml=...`, and read the result per run.
//! Modules run in parallel, bounded by the CPU count across the whole process, each command
//! with a timeout.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::junit;
use super::module::{Module, ModuleCopy};
use super::providers::{OfflineProviders, ProviderSource};
use crate::report::{ToolCase, ToolSuite};
use crate::tools::{self, Command, RunError, Tool};

/// Seconds a single Terraform command may take (`SPEC_TF_TIMEOUT`, default 300).
pub const TIMEOUT_VAR: &str = "SPEC_TF_TIMEOUT";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

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
    pub status: RunStatus,
    /// Terraform's message when the run did not pass.
    pub message: Option<String>,
    pub time: Duration,
}

/// Everything `terraform validate` and `terraform test` said about one module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleOutcome {
    pub module: String,
    /// Terraform's output when `terraform validate` failed.
    pub validate_error: Option<String>,
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
    pub fn runs_in<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a RunOutcome> + 'a {
        self.runs.iter().filter(move |r| r.file == file)
    }

    /// One paragraph per problem: module, file, run, and Terraform's message.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(error) = &self.validate_error {
            problems.push(format!(
                "module {}: terraform validate failed:\n{}",
                self.module,
                indent(error)
            ));
        }
        problems.extend(self.errors.iter().map(|e| {
            format!(
                "module {}: terraform test failed:\n{}",
                self.module,
                indent(e)
            )
        }));
        for run in self.runs.iter().filter(|r| r.status != RunStatus::Passed) {
            problems.push(run_problem(&self.module, run));
        }
        problems
    }

    /// The JUnit suite of this module for `reports/junit.xml`.
    pub fn tool_suite(&self) -> ToolSuite {
        let mut cases: Vec<ToolCase> = self
            .runs
            .iter()
            .map(|run| ToolCase {
                name: run.run.clone(),
                classname: format!("{}/{}", self.module, run.file),
                time: run.time,
                failure: match run.status {
                    RunStatus::Failed => Some(run_problem(&self.module, run)),
                    _ => None,
                },
                skipped: run.status == RunStatus::Skipped,
            })
            .collect();
        let module_problem = self.validate_error.iter().chain(&self.errors).next();
        if let Some(problem) = module_problem {
            cases.push(ToolCase {
                name: "terraform validate and test".into(),
                classname: self.module.clone(),
                time: self.duration,
                failure: Some(format!("module {}:\n{problem}", self.module)),
                skipped: false,
            });
        }
        ToolSuite {
            name: format!("terraform test: {}", self.module),
            cases,
        }
    }
}

fn run_problem(module: &str, run: &RunOutcome) -> String {
    let what = match run.status {
        RunStatus::Skipped => "was skipped",
        _ => "failed",
    };
    let message = run
        .message
        .as_deref()
        .unwrap_or("(Terraform gave no message)");
    format!(
        "module {module}, {}, run \"{}\" {what}:\n{}",
        run.file,
        run.run,
        indent(message)
    )
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
        for problem in self.problems() {
            write!(f, "\n{problem}")?;
        }
        Ok(())
    }
}

/// Environment variables of one module's Terraform commands.
type RunEnvironment = Vec<(String, PathBuf)>;

/// Runs Terraform on copies of modules.
#[derive(Debug, Clone)]
pub struct TestRunner {
    terraform: PathBuf,
    providers: ProviderSource,
    timeout: Duration,
    scratch: Option<PathBuf>,
    filter: Option<String>,
}

impl TestRunner {
    /// terraform from PATH (checked by `tools::find`), providers from `SPEC_TF_PROVIDERS`,
    /// timeout from `SPEC_TF_TIMEOUT`.
    pub fn from_env() -> Result<TestRunner, String> {
        let terraform = tools::find(Tool::Terraform).map_err(|e| e.to_string())?;
        TestRunner::with_terraform(terraform.path)
    }

    /// Like [`TestRunner::from_env`], but looks for terraform in the given PATH-style list.
    pub fn with_terraform_on_path(path: &OsStr) -> Result<TestRunner, String> {
        let terraform = tools::find_on_path(Tool::Terraform, path).map_err(|e| e.to_string())?;
        TestRunner::with_terraform(terraform.path)
    }

    fn with_terraform(terraform: PathBuf) -> Result<TestRunner, String> {
        let timeout = match std::env::var(TIMEOUT_VAR) {
            Ok(value) if !value.trim().is_empty() => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    format!("{TIMEOUT_VAR}={value:?} is not a number of seconds above 0")
                })?,
            _ => DEFAULT_TIMEOUT,
        };
        Ok(TestRunner {
            terraform,
            providers: ProviderSource::from_env()?,
            timeout,
            scratch: None,
            filter: None,
        })
    }

    /// The longest any one Terraform command may take before it is killed.
    pub fn timeout(mut self, timeout: Duration) -> TestRunner {
        self.timeout = timeout;
        self
    }

    /// Where the temporary copies go (the system temp dir by default).
    pub fn scratch_in(mut self, dir: &Path) -> TestRunner {
        self.scratch = Some(dir.to_path_buf());
        self
    }

    /// Where the temporary copies go (`None`: the system temp dir).
    pub fn scratch_dir(&self) -> Option<&Path> {
        self.scratch.as_deref()
    }

    /// Runs only one test file (`terraform test -filter=...`).
    pub fn only(mut self, test_file: &str) -> TestRunner {
        self.filter = Some(test_file.to_string());
        self
    }

    /// Validates and tests one module. `Err` when it could not be tested at all (no copy,
    /// no providers, a command that did not finish in time).
    pub fn run(&self, module: &Module) -> Result<ModuleOutcome, String> {
        let copy = ModuleCopy::new(module, self.scratch.as_deref())?;
        self.run_copied(&module.name, &copy.module.dir, copy.scratch(), false)
    }

    /// Validates and tests `dir`, a scratch copy the caller made (an environment copied
    /// with the modules it calls), named `name` in the outcome; Terraform's data dir, CLI
    /// config and reports go to `scratch`. With `install_modules`, `terraform get` first
    /// installs the modules it calls (local sources only: no network).
    pub fn run_copied(
        &self,
        name: &str,
        dir: &Path,
        scratch: &Path,
        install_modules: bool,
    ) -> Result<ModuleOutcome, String> {
        // Held until the module is done: the shared providers are removed with the last user.
        let (env, _providers) = self.environment(scratch)?;
        let _slot = cpu_slots().acquire();
        let started = Instant::now();

        if install_modules {
            self.terraform(&env, dir, &["get", "-no-color"])
                .map_err(|e| format!("module {name}: terraform get failed: {e}"))?
                .checked()
                .map_err(|e| format!("module {name}: terraform get failed: {e}"))?;
        }

        if self.providers == ProviderSource::Registry {
            self.terraform(
                &env,
                dir,
                &["init", "-input=false", "-backend=false", "-no-color"],
            )
            .map_err(|e| format!("module {name}: terraform init failed: {e}"))?
            .checked()
            .map_err(|e| format!("module {name}: terraform init failed: {e}"))?;
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
            validate_error,
            runs,
            errors,
            duration: started.elapsed(),
        })
    }

    /// Tests several modules at once (bounded by [`TestRunner::parallel_limit`]), results in
    /// the given order.
    pub fn run_all(&self, modules: &[Module]) -> Vec<Result<ModuleOutcome, String>> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = modules
                .iter()
                .map(|module| scope.spawn(move || self.run(module)))
                .collect();
            handles
                .into_iter()
                .zip(modules)
                .map(|(handle, module)| {
                    handle.join().unwrap_or_else(|_| {
                        Err(format!("module {}: the test thread panicked", module.name))
                    })
                })
                .collect()
        })
    }

    fn environment(
        &self,
        scratch: &Path,
    ) -> Result<(RunEnvironment, Option<Arc<OfflineProviders>>), String> {
        let mut env = vec![("TF_DATA_DIR".to_string(), scratch.join("tf-data"))];
        let providers = match self.providers {
            ProviderSource::Offline => {
                let providers = OfflineProviders::shared()?;
                let config = scratch.join("terraform.rc");
                std::fs::copy(providers.cli_config(), &config).map_err(|e| {
                    format!(
                        "cannot copy {} to {}: {e}",
                        providers.cli_config().display(),
                        config.display()
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

    fn not_finished(&self, module: &str, what: &str, error: RunError) -> String {
        match error {
            RunError::TimedOut { stdout, stderr, .. } => format!(
                "module {}: `terraform {what}` did not finish within {:?} and was killed{}",
                module,
                self.timeout,
                match terraform_text(&stdout, &stderr) {
                    text if text.is_empty() => String::new(),
                    text => format!("; its output so far:\n{}", indent(&text)),
                }
            ),
            other => format!("module {module}: terraform {what}: {other}"),
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

/// A bound on the Terraform modules running at once across the whole process (cucumber runs
/// scenarios concurrently): see [`TestRunner::parallel_limit`].
struct CpuSlots {
    free: Mutex<usize>,
    freed: Condvar,
}

struct CpuSlot(&'static CpuSlots);

impl CpuSlots {
    fn acquire(&'static self) -> CpuSlot {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        CpuSlot(self)
    }
}

impl Drop for CpuSlot {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// A slot of the process-wide job limit ([`TestRunner::parallel_limit`]), held until
/// dropped: other tools run in parallel (BATS files) share the limit with Terraform.
pub(crate) fn job_slot() -> impl Drop {
    cpu_slots().acquire()
}

fn cpu_slots() -> &'static CpuSlots {
    static SLOTS: OnceLock<CpuSlots> = OnceLock::new();
    SLOTS.get_or_init(|| CpuSlots {
        free: Mutex::new(TestRunner::parallel_limit()),
        freed: Condvar::new(),
    })
}

/// How many modules may run at once (`SPEC_TF_JOBS`, default two per CPU).
pub const JOBS_VAR: &str = "SPEC_TF_JOBS";

impl TestRunner {
    /// The most modules this process tests at once: `SPEC_TF_JOBS` when it is a number above
    /// 0, else two per CPU. Two, because `terraform test` with mocked providers spends about
    /// two thirds of its wall time waiting (a provider plugin is started and handshaken for
    /// every run: 1.6 s of CPU in 5 s for the vm module), so one per CPU leaves the CPUs idle.
    pub fn parallel_limit() -> usize {
        static LIMIT: OnceLock<usize> = OnceLock::new();
        *LIMIT.get_or_init(|| {
            std::env::var(JOBS_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or_else(|| 2 * std::thread::available_parallelism().map_or(1, |n| n.get()))
        })
    }
}

/// The outcome of a module of the repository under test, computed once per process (the
/// per-module scenarios and the all-modules scenario share it) and recorded in the JUnit
/// report.
pub fn shared_outcome(module: &Module) -> Arc<Result<ModuleOutcome, String>> {
    type Cell = Arc<OnceLock<Arc<Result<ModuleOutcome, String>>>>;
    static OUTCOMES: OnceLock<Mutex<HashMap<PathBuf, Cell>>> = OnceLock::new();
    let cell: Cell = OUTCOMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(module.dir.clone())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let outcome = TestRunner::from_env().and_then(|runner| runner.run(module));
        match &outcome {
            Ok(outcome) => crate::report::record(outcome.tool_suite()),
            Err(problem) => crate::report::record(ToolSuite {
                name: format!("terraform test: {}", module.name),
                cases: vec![ToolCase {
                    name: "terraform validate and test".into(),
                    classname: module.name.clone(),
                    time: Duration::ZERO,
                    failure: Some(problem.clone()),
                    skipped: false,
                }],
            }),
        }
        Arc::new(outcome)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(file: &str, name: &str, status: RunStatus, message: Option<&str>) -> RunOutcome {
        RunOutcome {
            file: file.into(),
            run: name.into(),
            status,
            message: message.map(str::to_string),
            time: Duration::from_millis(10),
        }
    }

    #[test]
    fn a_failed_run_names_module_file_run_and_message() {
        let outcome = ModuleOutcome {
            module: "lxc".into(),
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
        assert_eq!(
            outcome.problems(),
            vec![
                "module lxc, tests/regression.tftest.hcl, run \"description\" failed:\n    \
                 1 of 1 assertions failed: wrong description"
            ]
        );
        let suite = outcome.tool_suite();
        assert_eq!(suite.name, "terraform test: lxc");
        assert_eq!(suite.failures(), 1);
        assert_eq!(suite.cases[1].classname, "lxc/tests/regression.tftest.hcl");
    }

    #[test]
    fn no_runs_is_not_a_pass() {
        let outcome = ModuleOutcome {
            module: "vm".into(),
            validate_error: None,
            runs: vec![],
            errors: vec![],
            duration: Duration::ZERO,
        };
        assert!(!outcome.passed());
    }

    #[test]
    fn slots_are_given_back() {
        let slots = cpu_slots();
        let before = *slots.free.lock().unwrap();
        {
            let _a = slots.acquire();
        }
        assert_eq!(*slots.free.lock().unwrap(), before);
    }
}
