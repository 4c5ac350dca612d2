//! What the US2 scenarios expect of `terraform test`'s outcomes. Each is a [`Verdict`]: `Ok`
//! when the expectation holds, else what differs, worded as the scenario's failure. The
//! steps parse their sentence, call one of these, and assert.

use std::path::Path;
use std::time::Duration;

use crate::finding::{Finding, expected_finding, listing};
use crate::terraform::broken_copy::UNGUARDED_RUN;
use crate::terraform::environment::EnvironmentError;
use crate::terraform::init_check::{self, InitCheck};
use crate::terraform::module::{MODULE_NAMES, REGRESSION_FILE};
use crate::terraform::runner::{SharedOutcome, ids};
use crate::terraform::static_checks::ids as static_ids;
use crate::terraform::{Module, ModuleOutcome, RunStatus, TerraformError, TestFile};
use crate::tools::{Tool, ToolError, Version};

/// `Ok` when an expectation holds; else the scenario's failure message.
pub type Verdict = Result<(), String>;

/// Passes when `holds`, else fails with `failure`.
fn verdict(holds: bool, failure: impl FnOnce() -> String) -> Verdict {
    if holds { Ok(()) } else { Err(failure()) }
}

/// Every problem of the outcome, one finding a line.
fn findings_of(outcome: &ModuleOutcome) -> String {
    listing(&outcome.findings())
}

/// `terraform validate` accepted the module.
pub fn validates(outcome: &ModuleOutcome) -> Verdict {
    match &outcome.validate_error {
        None => Ok(()),
        Some(error) => Err(format!(
            "module {}: terraform validate failed:\n{error}",
            outcome.module
        )),
    }
}

/// The regression file has runs; `Ok` with what fails them (their runs' findings and the
/// test's own errors, named from `path`: the module's directory in the scenario's
/// repository), for the scenario to judge through its suppressions: empty when they passed.
pub fn regression_findings(outcome: &ModuleOutcome, path: &str) -> Result<Vec<Finding>, String> {
    if outcome.runs_in(REGRESSION_FILE).next().is_none() {
        return Err(format!(
            "module {}: no run of {REGRESSION_FILE} was reported by terraform test\n{}",
            outcome.module,
            findings_of(outcome)
        ));
    }
    let regression = format!("/{REGRESSION_FILE}");
    Ok(outcome
        .findings_at(path)
        .into_iter()
        .filter(|f| f.id == ids::TEST || f.file.ends_with(&regression))
        .collect())
}

/// The module has runs besides its regression file's; `Ok` with what fails any of its runs
/// (named from `path`, as [`regression_findings`] does), for the scenario to judge through
/// its suppressions: empty when everything passed.
pub fn other_runs_findings(outcome: &ModuleOutcome, path: &str) -> Result<Vec<Finding>, String> {
    if !outcome.runs.iter().any(|r| r.file != REGRESSION_FILE) {
        return Err(format!(
            "module {}: terraform test reported no runs besides {REGRESSION_FILE}",
            outcome.module
        ));
    }
    Ok(outcome.findings_at(path))
}

/// The regression file has at least `at_least` runs.
pub fn regression_runs_at_least(outcome: &ModuleOutcome, at_least: usize) -> Verdict {
    let ran = outcome.runs_in(REGRESSION_FILE).count();
    verdict(ran >= at_least, || {
        format!(
            "module {}: {REGRESSION_FILE} has {ran} runs, at least {at_least} expected",
            outcome.module
        )
    })
}

/// The run `run` of `file` was reported, and passed.
pub fn run_passes(outcome: &ModuleOutcome, run: &str, file: &str) -> Verdict {
    let found = outcome
        .runs_in(file)
        .find(|r| r.run == run)
        .ok_or_else(|| {
            format!(
                "module {}: no run \"{run}\" in {file} was reported",
                outcome.module
            )
        })?;
    verdict(found.status == RunStatus::Passed, || findings_of(outcome))
}

/// The run `run` failed, and no other run did anything but pass.
pub fn only_run_fails(outcome: &ModuleOutcome, run: &str) -> Verdict {
    let found = outcome.runs.iter().find(|r| r.run == run).ok_or_else(|| {
        format!(
            "module {}: no run \"{run}\" was reported:\n{outcome}",
            outcome.module
        )
    })?;
    if found.status != RunStatus::Failed {
        return Err(format!(
            "module {}: run \"{run}\" was expected to fail, but it {:?}",
            outcome.module, found.status
        ));
    }
    let others: Vec<&str> = outcome
        .runs
        .iter()
        .filter(|r| r.run != run && r.status != RunStatus::Passed)
        .map(|r| r.run.as_str())
        .collect();
    verdict(others.is_empty(), || {
        format!("only \"{run}\" should fail, but these did too: {others:?}")
    })
}

/// The first failed run is reported as a `terraform/run-failed` finding naming the module's
/// test file and the run, and carrying Terraform's own assertion message.
pub fn failure_is_named(outcome: &ModuleOutcome) -> Verdict {
    let failed = outcome.runs.iter().find(|r| r.status == RunStatus::Failed);
    let failed = failed.ok_or("no run failed")?;
    let findings = outcome.findings();
    let expected_file = format!("{}/{}", outcome.path, failed.file);
    let named = findings
        .iter()
        .any(|f| f.id == ids::RUN_FAILED && f.subject() == failed.run && f.file == expected_file);
    // Terraform's own words for a failed assertion, as it reported the run.
    let terraform_said = failed
        .message
        .as_deref()
        .is_some_and(|m| m.contains("Test assertion failed"));
    let in_module = outcome.path.ends_with(&outcome.module);
    verdict(named && terraform_said && in_module, || {
        format!(
            "expected a {} finding for run \"{}\" in {expected_file} carrying Terraform's \
             assertion message, got:\n{}",
            ids::RUN_FAILED,
            failed.run,
            listing(&findings)
        )
    })
}

/// `terraform test` or `validate` failed with a message that names `file`.
pub fn fails_naming(outcome: &ModuleOutcome, file: &str) -> Verdict {
    let findings = outcome.findings();
    let named = findings.iter().any(|f| {
        (f.id == ids::TEST || f.id == ids::VALIDATE)
            && f.found.as_deref().is_some_and(|said| said.contains(file))
    });
    verdict(named, || {
        format!(
            "expected terraform test to fail with a message naming {file}, got:\n{}",
            listing(&findings)
        )
    })
}

/// The outcome, or why there is none, in words.
fn describe(outcome: &Result<ModuleOutcome, TerraformError>) -> String {
    match outcome {
        Ok(outcome) => outcome.to_string(),
        Err(e) => e.to_string(),
    }
}

/// The run was stopped at `timeout`.
pub fn stopped_at(outcome: &Result<ModuleOutcome, TerraformError>, timeout: Duration) -> Verdict {
    let stopped =
        matches!(outcome, Err(TerraformError::TimedOut { timeout: t, .. }) if *t == timeout);
    verdict(stopped, || {
        format!(
            "expected the run to be stopped after {}s, got: {}",
            timeout.as_secs(),
            describe(outcome)
        )
    })
}

/// The tests could not run because there is no terraform.
pub fn terraform_missing(outcome: &Result<ModuleOutcome, TerraformError>) -> Verdict {
    let missing = matches!(
        outcome,
        Err(TerraformError::Tool(ToolError::Missing {
            tool: Tool::Terraform
        }))
    );
    verdict(missing, || {
        format!(
            "expected \"terraform is missing\", got: {}",
            describe(outcome)
        )
    })
}

/// The tests could not run because terraform `found` is older than `minimum` (the oldest
/// release the suite accepts).
pub fn terraform_too_old(
    outcome: &Result<ModuleOutcome, TerraformError>,
    found: &str,
    minimum: &str,
) -> Verdict {
    let is = |v: &Version, text: &str| v.to_string() == text;
    let refused = matches!(
        outcome,
        Err(TerraformError::Tool(ToolError::TooOld { tool: Tool::Terraform, found: version, .. }))
            if is(version, found) && is(&Tool::Terraform.minimum(), minimum)
    );
    verdict(refused, || {
        format!(
            "expected terraform {found} to be refused as older than {minimum}, got: {}",
            describe(outcome)
        )
    })
}

/// Nothing is left in the scratch directory a run put its copies in.
pub fn nothing_left_in(scratch: &Path) -> Verdict {
    let left: Vec<String> = std::fs::read_dir(scratch)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .collect();
    verdict(left.is_empty(), || {
        format!(
            "temporary directories were left behind: {}",
            left.join(", ")
        )
    })
}

/// The tests of every module and environment that has tests, together: what failed their
/// runs, which could not run, and what `terraform init` would refuse before any of them ran.
#[derive(Debug, Clone, Default)]
pub struct TestsEverywhere {
    /// What failed the runs of the modules and environments whose tests ran, as findings
    /// named from the repository's root: the scenario judges them through its suppressions.
    pub findings: Vec<Finding>,
    /// One entry per module or environment whose tests could not run at all.
    pub(crate) not_run: Vec<String>,
    /// How many modules and environments did not pass, suppressed or not.
    not_passed: usize,
    pub modules: usize,
    pub environments: usize,
    /// What `terraform init` would refuse (it fails the homelab's CI before any test runs).
    pub(crate) init_refused: Vec<Finding>,
}

impl TestsEverywhere {
    /// The outcomes of `modules` (in the same order) and of the environments, by directory.
    pub fn of(
        modules: &[Module],
        outcomes: &[SharedOutcome],
        environments: &[(String, Result<ModuleOutcome, EnvironmentError>)],
        init: Option<&[InitCheck]>,
    ) -> TestsEverywhere {
        let mut everywhere = TestsEverywhere {
            modules: outcomes.len(),
            environments: environments.len(),
            init_refused: init.map(init_check::failures).unwrap_or_default(),
            ..TestsEverywhere::default()
        };
        let modules = outcomes.iter().zip(modules).map(|(outcome, module)| {
            let outcome: &Result<ModuleOutcome, _> = outcome.as_ref();
            outcome
                .as_ref()
                .map_err(|e| format!("module {}: {e}", module.name))
        });
        let environments = environments
            .iter()
            .map(|(dir, outcome)| outcome.as_ref().map_err(|e| format!("{dir}: {e}")));
        for outcome in modules.chain(environments) {
            match outcome {
                Ok(o) if o.passed() => continue,
                Ok(o) => everywhere.findings.extend(o.findings()),
                Err(not_run) => everywhere.not_run.push(not_run),
            }
            everywhere.not_passed += 1;
        }
        everywhere
    }

    /// How many passed, of how many.
    pub fn summary(&self) -> String {
        let of = self.modules + self.environments;
        format!(
            "terraform test passes in {} of {of} ({} modules, {} environments with tests)",
            of - self.not_passed,
            self.modules,
            self.environments
        )
    }

    /// Passes when no run failed but those a suppression accepted (`failures` are
    /// [`TestsEverywhere::findings`] less those), every module and environment ran, and
    /// `terraform init` would refuse nothing.
    pub fn verdict(&self, failures: &[Finding]) -> Verdict {
        let mut problems = Vec::new();
        if !self.init_refused.is_empty() {
            let refused = listing(&self.init_refused);
            problems.push(format!("terraform init would refuse:\n{refused}"));
        }
        if !failures.is_empty() {
            problems.push(listing(failures));
        }
        problems.extend(self.not_run.iter().cloned());
        verdict(problems.is_empty(), || problems.join("\n"))
    }
}

/// The regression runs of the modules the plan does not name (beyond its five).
#[derive(Debug, Clone, Default)]
pub struct RegressionRunsBeyondPlan {
    /// The modules checked, by name.
    pub checked: Vec<String>,
    /// One entry per module whose regression file has too few runs.
    pub short: Vec<String>,
}

impl RegressionRunsBeyondPlan {
    /// Each of `modules` (with its outcome, in the same order) beyond the plan's five must
    /// have at least `at_least` runs in its regression file; one that could not run has none.
    pub fn of(modules: &[Module], outcomes: &[SharedOutcome], at_least: usize) -> Self {
        let mut found = RegressionRunsBeyondPlan::default();
        let beyond = outcomes.iter().zip(modules);
        for (outcome, module) in beyond.filter(|(_, m)| !MODULE_NAMES.contains(&m.name.as_str())) {
            found.checked.push(module.name.clone());
            let runs = match outcome.as_ref() {
                Ok(o) => o.runs_in(REGRESSION_FILE).count(),
                Err(_) => 0,
            };
            if runs < at_least {
                found.short.push(format!(
                    "module {}: {REGRESSION_FILE} has {runs} runs, at least {at_least} expected",
                    module.name
                ));
            }
        }
        found
    }

    pub fn verdict(&self) -> Verdict {
        verdict(self.short.is_empty(), || self.short.join("\n"))
    }
}

/// The run of `module`'s regression file that applies, asserts nothing and names no release
/// ([`UNGUARDED_RUN`]) is reported by each of those three checks, at its line.
pub fn unguarded_run_is_named(findings: &[Finding], module: &Module, root: &Path) -> Verdict {
    let file =
        TestFile::read(&module.dir, Path::new(REGRESSION_FILE)).map_err(|e| e.to_string())?;
    let run = file.runs.iter().find(|r| r.name == UNGUARDED_RUN);
    let line = run
        .map(|r| r.line)
        .ok_or_else(|| format!("the copy has no run {UNGUARDED_RUN}"))?;
    let expected_file = format!("{}/{REGRESSION_FILE}", module.path_in_repo(root));
    for check in [
        static_ids::PLAN_ONLY,
        static_ids::ASSERT,
        static_ids::RELEASE_COMMENT,
    ] {
        let finding = expected_finding(findings, check.as_str(), Some(UNGUARDED_RUN), None)?;
        if finding.file != expected_file || finding.line != Some(line) {
            return Err(format!(
                "expected the {check} finding for run \"{UNGUARDED_RUN}\" at {expected_file}:{line}, got: {finding}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::RunOutcome;

    fn outcome(runs: &[(&str, RunStatus)]) -> ModuleOutcome {
        let run = |(name, status): &(&str, RunStatus)| RunOutcome {
            file: REGRESSION_FILE.into(),
            run: name.to_string(),
            line: None,
            status: *status,
            message: None,
            time: Duration::ZERO,
        };
        ModuleOutcome {
            module: "lxc".into(),
            path: "infrastructure/proxmox/modules/lxc".into(),
            validate_error: None,
            runs: runs.iter().map(run).collect(),
            errors: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn only_the_named_run_may_fail() {
        let one = outcome(&[("a", RunStatus::Failed), ("b", RunStatus::Passed)]);
        assert_eq!(only_run_fails(&one, "a"), Ok(()));
        let err = only_run_fails(&one, "b").unwrap_err();
        assert!(err.contains("was expected to fail"), "{err}");
        let two = outcome(&[("a", RunStatus::Failed), ("b", RunStatus::Skipped)]);
        let err = only_run_fails(&two, "a").unwrap_err();
        assert!(err.contains("[\"b\"]"), "{err}");
        assert!(
            only_run_fails(&one, "c")
                .unwrap_err()
                .contains("no run \"c\"")
        );
    }

    #[test]
    fn regression_runs_must_exist_and_pass() {
        let findings = |runs: &[(&str, RunStatus)]| regression_findings(&outcome(runs), "m");
        assert_eq!(findings(&[("a", RunStatus::Passed)]), Ok(Vec::new()));
        assert!(findings(&[]).is_err());
        assert_eq!(findings(&[("a", RunStatus::Failed)]).unwrap().len(), 1);
        assert!(regression_runs_at_least(&outcome(&[("a", RunStatus::Passed)]), 2).is_err());
    }

    #[test]
    fn other_runs_must_exist_and_every_run_pass() {
        let with_other = |regression: RunStatus, other: RunStatus| {
            let mut outcome = outcome(&[("a", regression), ("b", other)]);
            outcome.runs[1].file = "tests/unit.tftest.hcl".into();
            other_runs_findings(&outcome, "m")
        };
        let ok = with_other(RunStatus::Passed, RunStatus::Passed);
        assert_eq!(ok, Ok(Vec::new()));
        let other_failed = with_other(RunStatus::Passed, RunStatus::Failed).unwrap();
        let failed = crate::finding::ids_and_subjects(&other_failed);
        assert_eq!(failed, [(ids::RUN_FAILED.to_string(), "b".to_string())]);
        // A failing regression run fails this criterion too: every run must pass.
        assert_eq!(
            with_other(RunStatus::Failed, RunStatus::Passed)
                .unwrap()
                .len(),
            1
        );
        let only_regression = outcome(&[("a", RunStatus::Passed)]);
        assert!(other_runs_findings(&only_regression, "m").is_err());
    }

    #[test]
    fn the_tests_everywhere_pass_when_every_failure_is_accepted_and_everything_ran() {
        let modules = [Module {
            name: "lxc".into(),
            dir: "infrastructure/proxmox/modules/lxc".into(),
        }];
        let failing = outcome(&[("a", RunStatus::Failed), ("b", RunStatus::Passed)]);
        let outcomes = [std::sync::Arc::new(Ok(failing))];
        let everywhere = TestsEverywhere::of(&modules, &outcomes, &[], None);
        let found = crate::finding::ids_and_subjects(&everywhere.findings);
        assert_eq!(found, [(ids::RUN_FAILED.to_string(), "a".to_string())]);
        assert!(everywhere.verdict(&everywhere.findings).is_err());
        // A suppression accepted the one failure: nothing is left to fail the criterion.
        assert_eq!(everywhere.verdict(&[]), Ok(()));
        assert!(everywhere.summary().contains("passes in 0 of 1"));
        let dir = "infrastructure/proxmox/environments/homelab";
        let source = TerraformError::NoModule {
            module: "homelab".into(),
            dir: dir.into(),
        };
        let environment = "homelab".to_string();
        let not_run = (
            dir.to_string(),
            Err(EnvironmentError {
                environment,
                source,
            }),
        );
        let with_env = TestsEverywhere::of(&modules, &outcomes, &[not_run], None);
        assert!(
            with_env.verdict(&[]).is_err(),
            "an environment that could not run fails"
        );
    }
}
