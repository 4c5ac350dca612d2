//! Step definitions: each parses its sentence, calls the `homelab_spec` library, and asserts.
//! The `World` holds one scenario's state, one field per concern.

use std::path::Path;

use homelab_spec::finding::Finding;
use homelab_spec::not_applicable::NotApplicable;
use homelab_spec::outcome::{BrokenCopy, Outcome, Outcomes};
use homelab_spec::shard::RunKind;
use homelab_spec::spec_root::SpecRoot;
use homelab_spec::suite::Suite;
use homelab_spec::suppression::{Suppressions, failures_in};
use homelab_spec::tools::Tools;
use homelab_spec::workspace::{Change, ChangeError, Workspace};
use std::sync::{Arc, OnceLock};

/// A step's diagnostic (what it discovered, counted or ran), as `println!` takes it: kept off
/// the console, which shows what cucumber shows, and written to stderr under
/// `SPEC_VERBOSE=1`. The reports keep what the scenarios ran.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::steps::diagnostic(format_args!($($arg)*))
    };
}

pub mod alerts;
pub mod bash_coverage;
pub mod bats;
pub mod expect;
pub mod layout;
pub mod retry;
pub mod suppressions;
pub mod terraform;
pub mod words;

/// The suite run, built by `main` before cucumber starts: the one hand-over point, because
/// cucumber builds each scenario's `World` with `Default`.
static SUITE: OnceLock<Arc<Suite>> = OnceLock::new();

/// Hands the suite run to every scenario; `main` calls it once, before cucumber starts.
pub fn start(suite: Suite) -> Arc<Suite> {
    let suite = Arc::new(suite);
    if SUITE.set(suite.clone()).is_err() {
        panic!("the suite run is started once");
    }
    suite
}

/// Writes a step's diagnostic to stderr under `SPEC_VERBOSE=1` (see `say!`).
pub fn diagnostic(text: std::fmt::Arguments<'_>) {
    if SUITE.get().is_some_and(|suite| suite.settings.verbose) {
        eprintln!("{text}");
    }
}

/// A scenario's handle on the suite run.
#[derive(Debug, Clone)]
pub struct SuiteHandle(Arc<Suite>);

impl Default for SuiteHandle {
    fn default() -> Self {
        SuiteHandle(
            SUITE
                .get()
                .expect("main starts the suite run before any scenario")
                .clone(),
        )
    }
}

impl std::ops::Deref for SuiteHandle {
    type Target = Suite;
    fn deref(&self) -> &Suite {
        &self.0
    }
}

/// One scenario's state.
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct World {
    /// The suite run this scenario belongs to (settings, shared runs).
    pub suite: SuiteHandle,
    /// The repository the scenario checks: the checkout under test, or a changed copy.
    workspace: Workspace,
    pub layout: layout::LayoutState,
    pub alerts: alerts::AlertsState,
    pub terraform: terraform::TerraformState,
    pub retry: retry::RetryState,
    pub textfile: alerts::textfile::TextfileState,
    /// What this scenario ran (tool runs, alert timelines, retry waits, module runs),
    /// handed to the report writers when the scenario ends.
    pub outcomes: Outcomes,
    /// Set when the homelab has nothing to play the role a scenario needs: the step that
    /// found out fails, and the runner reports the scenario as skipped with this reason.
    pub not_applicable: Option<NotApplicable>,
    /// Whether the scenario states one of the v1.1 plan's own criteria (tagged `@plan` on
    /// its feature, rule or itself): what it names, the homelab must have.
    pub plan: bool,
}

impl World {
    fn new() -> World {
        let suite = SuiteHandle::default();
        let checkout = suite.settings.root.clone();
        World {
            suite,
            workspace: Workspace::checkout(checkout.path()),
            layout: layout::LayoutState::at(checkout.path()),
            alerts: Default::default(),
            terraform: Default::default(),
            retry: Default::default(),
            textfile: Default::default(),
            outcomes: Default::default(),
            not_applicable: None,
            plan: false,
        }
    }

    /// The scenario's repository: the checkout under test, or the copy a change was made in.
    pub fn root(&self) -> &Path {
        self.workspace.root()
    }

    /// The checkout under test, whatever the scenario changed: for the results shared by
    /// every scenario of the run (a BATS file's run, the retry twins), never a changed copy.
    pub fn checkout(&self) -> SpecRoot {
        self.suite.settings.root.clone()
    }

    /// The findings that fail this scenario: the failures among `findings` that no
    /// suppression comment of the scenario's repository accepts (none is accepted in a
    /// `@plan` scenario, which gets a `suppression/plan-criterion` finding instead).
    pub fn failures(&mut self, findings: &[Finding]) -> Result<Vec<Finding>, String> {
        failures_in(self.root(), self.plan, findings).or_fail()
    }

    /// What the scenario collected so far, as the reports show it: with the suppressions of
    /// its repository applied.
    pub fn reported_outcomes(&self) -> Result<Vec<Outcome>, String> {
        let mut outcomes = self.outcomes.0.clone();
        Suppressions::read(self.root())
            .or_fail()?
            .apply_to_outcomes(&mut outcomes, self.plan, self.broken_copy());
        Ok(outcomes)
    }

    /// Takes what the scenario collected, as the reports show it (see
    /// [`World::reported_outcomes`]; unmarked, saying why, when the suppressions cannot be read).
    pub fn take_reported_outcomes(&mut self) -> Vec<Outcome> {
        let reported = self.reported_outcomes();
        let taken = self.outcomes.take();
        reported.unwrap_or_else(|e| {
            eprintln!("error: {e}");
            taken
        })
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Makes the scenario check a copy of the checkout with `change` made; a homelab with
    /// nothing the change could change ends the scenario as not applicable.
    pub fn change(&mut self, change: impl Change + 'static) -> Result<(), String> {
        match self.workspace.changed(Box::new(change)) {
            Ok(changed) => {
                self.layout = layout::LayoutState::at(changed.root());
                self.workspace = changed;
                Ok(())
            }
            Err(ChangeError::NotApplicable(why)) => Err(self.skip(why)),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Hands what a step ran to the reports, marked when it ran on a broken copy (or with
    /// a PATH a scenario broke): its failures are then what the scenario expects.
    pub fn record(&mut self, mut outcome: Outcome) {
        let broken = self.broken_copy();
        match &mut outcome {
            Outcome::ToolRun(run) => run.broken_copy = broken,
            Outcome::Findings(checked) => checked.broken_copy = broken,
            Outcome::BashExecution(execution) => execution.broken_copy = broken,
            // The report's table of a directory's runs shows the homelab as it is; a broken
            // copy's runs are in its scenario and in junit.xml.
            Outcome::TerraformRuns(_) if broken.is_some() => return,
            _ => {}
        }
        self.outcomes.push(outcome);
    }

    fn broken_copy(&self) -> Option<BrokenCopy> {
        self.workspace
            .broken_copy()
            .or_else(|| self.terraform.broken_path())
    }

    /// Ends the scenario as not applicable: records why and returns the step's message.
    pub fn skip(&mut self, why: NotApplicable) -> String {
        let message = why.to_string();
        self.not_applicable = Some(why);
        message
    }

    /// Runs `work` with the suite's tool lookups off the async runtime's threads (see
    /// [`blocking`]): how a step runs promtool, Prometheus or terraform; `what` names the run.
    pub async fn with_tools<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce(&Tools) -> T + Send + 'static,
    ) -> Result<T, String> {
        let tools = self.suite.tools.clone();
        blocking(what, move || work(&tools)).await
    }

    /// This shard's share (`SPEC_SHARD`) of the external runs `items` of `kind`, each named
    /// by its path relative to its repository's root. When every one of them belongs to
    /// another shard, the scenario is skipped as not applicable, saying so.
    pub fn shard_share<T>(
        &mut self,
        kind: RunKind,
        items: Vec<T>,
        path: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, String> {
        self.suite
            .shard_runs
            .share(kind, items, path)
            .map_err(|why| self.skip(why))
    }
}

/// Runs blocking library work (external tools) off the async runtime's threads; a panic
/// in it is the step's failure, naming `what` did not finish.
pub async fn blocking<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("{what} did not finish: {e}"))
}

/// A step's failure message from any error of the library: the error's own sentence.
pub trait OrFail<T> {
    fn or_fail(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> OrFail<T> for Result<T, E> {
    fn or_fail(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}
