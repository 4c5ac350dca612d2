//! Steps of `features/us2_modules.feature`: the homelab's Terraform modules, their static
//! test rules (checks.rs), their `terraform test` runs (on temporary copies, offline: runs.rs,
//! verdicts.rs) and `terraform init`'s checks (init.rs). This file holds the story's state
//! and the steps that choose what to run.

mod checks;
mod init;
mod runs;
mod verdicts;

use std::path::Path;

use cucumber::given;
use homelab_spec::finding::Finding;
use homelab_spec::outcome::BrokenCopy;
use homelab_spec::shell::fake_commands::FakeCommands;
use homelab_spec::terraform::environment::EnvironmentError;
use homelab_spec::terraform::init_check::InitCheck;
use homelab_spec::terraform::runner::SharedOutcome;
use homelab_spec::terraform::verdicts::TestsEverywhere;
use homelab_spec::terraform::{Module, ModuleOutcome, TerraformError};
use homelab_spec::workspace::ModuleEdit;

use super::words::{ModuleChangeWords, ModuleName};
use super::{OrFail, World};

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct TerraformState {
    pub(super) modules: Vec<Module>,
    /// Whether the scenario's copy has one module broken (its runs get their own scratch).
    module_edited: bool,
    /// Where the runner puts its own temporary copies in bad-input scenarios; must be empty
    /// once the run is over.
    pub(super) scratch: Option<tempfile::TempDir>,
    /// Fake commands standing for the machine's PATH, when a scenario replaces it, and what
    /// the replacement stands for.
    pub(super) path: Option<(FakeCommands, String)>,
    pub(super) outcomes: Vec<SharedOutcome>,
    /// The outcomes of the environments that have tests, by directory.
    pub(super) environments: Vec<(String, Result<ModuleOutcome, EnvironmentError>)>,
    pub(super) findings: Vec<Finding>,
    /// The regression run that guards the default a role-chosen change broke.
    pub(super) guarding_run: Option<String>,
    /// What `terraform init` would check, per module and environment that has tests.
    pub(super) init: Option<Vec<InitCheck>>,
}

impl TerraformState {
    /// How runs with a PATH a scenario broke are marked in the reports.
    pub(crate) fn broken_path(&self) -> Option<BrokenCopy> {
        self.path.as_ref().map(|(_, what)| BrokenCopy {
            change: what.clone(),
            expected: None,
        })
    }

    pub(super) fn module(&self) -> Result<&Module, String> {
        self.modules
            .first()
            .ok_or_else(|| "no module was chosen by an earlier step".to_string())
    }

    pub(super) fn outcome(&self) -> Result<&Result<ModuleOutcome, TerraformError>, String> {
        self.outcomes
            .first()
            .map(|o| o.as_ref())
            .ok_or_else(|| "no module's tests ran in an earlier step".to_string())
    }

    /// The tests of every module and environment, run by an earlier step.
    pub(super) fn tests_everywhere(&self) -> Result<TestsEverywhere, String> {
        if self.outcomes.is_empty() && self.environments.is_empty() {
            return Err("no module's or environment's tests ran in an earlier step".into());
        }
        let (modules, outcomes, init) = (&self.modules, &self.outcomes, self.init.as_deref());
        let everywhere = TestsEverywhere::of(modules, outcomes, &self.environments, init);
        Ok(everywhere)
    }

    /// The outcome of a run that must have happened.
    pub(super) fn ran(&self) -> Result<&ModuleOutcome, String> {
        self.outcome()?.as_ref().map_err(|e| e.to_string())
    }

    /// The module's directory relative to the scenario's repository `root` (a copy's own
    /// path): its findings named so are where its suppression comments are.
    pub(super) fn module_path(&self, root: &Path) -> Result<String, String> {
        Ok(self.module()?.path_in_repo(root))
    }
}

// ---- Given ----

#[given("every homelab module")]
fn every_homelab_module(world: &mut World) -> Result<(), String> {
    // The scenario's repository by the path the other scenarios use, so that each module's
    // shared outcome is computed once per process.
    let root = world.root().to_path_buf();
    let homelab = world.layout.homelab()?;
    world.terraform.modules = homelab
        .modules
        .iter()
        .map(|m| Module::from_dir(m, &root))
        .collect();
    Ok(())
}

#[given(expr = "the {module} module")]
fn the_module(world: &mut World, name: ModuleName) -> Result<(), String> {
    world.terraform.modules = vec![Module::in_root(world.root(), &name.0).or_fail()?];
    Ok(())
}

/// A copy of module `name` with `change` made; a module without what the change needs ends
/// the scenario as not applicable (the module itself missing still fails).
fn broken_copy(world: &mut World, edit: ModuleEdit) -> Result<(), String> {
    let name = edit.module.clone();
    world.change(edit)?;
    world.terraform.modules = vec![Module::in_root(world.root(), &name).or_fail()?];
    world.terraform.module_edited = true;
    Ok(())
}

#[given(expr = "a copy of the {module} module in which {module_change}")]
fn a_broken_copy(
    world: &mut World,
    module: ModuleName,
    words: ModuleChangeWords,
) -> Result<(), String> {
    broken_copy(world, words.on(module.0))
}

#[given("a copy of the first module with a guarded default, in which that default is changed")]
fn a_copy_with_a_guarded_default_changed(world: &mut World) -> Result<(), String> {
    let root = world.root().to_path_buf();
    let homelab = world.layout.homelab()?;
    let modules: Vec<Module> = homelab
        .modules
        .iter()
        .map(|m| Module::from_dir(m, &root))
        .collect();
    let (edit, run) =
        ModuleEdit::of_first_guarded_default(&modules).map_err(|why| world.skip(why))?;
    broken_copy(world, edit)?;
    world.terraform.guarding_run = Some(run);
    Ok(())
}

#[given("a PATH without terraform")]
fn a_path_without_terraform(world: &mut World) -> Result<(), String> {
    world.terraform.path = Some((
        FakeCommands::new().or_fail()?,
        "a PATH without terraform".into(),
    ));
    Ok(())
}

#[given(expr = "a PATH whose terraform reports version {word}")]
fn a_path_with_an_old_terraform(world: &mut World, version: String) -> Result<(), String> {
    let fakes = FakeCommands::new().or_fail()?;
    let script = format!("echo 'Terraform v{version}'\necho 'on linux_amd64'");
    fakes.script("terraform", &script).or_fail()?;
    let what = format!("a PATH whose terraform reports version {version}");
    world.terraform.path = Some((fakes, what));
    Ok(())
}
