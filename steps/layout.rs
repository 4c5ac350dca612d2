//! Steps of `features/layout.feature`: the repository has the parts the plan names, and
//! the suite finds the homelab's parts by its conventions (`homelab_spec::homelab`). This
//! module also holds the scenario's view of the homelab under test, shared by the steps of
//! every story: the repository itself, or a changed copy of it (growth and bad-input
//! scenarios), and what discovery found there.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cucumber::{given, then, when};
use homelab_spec::alerts::deployed_rules::DeployedRules;
use homelab_spec::finding::{Finding, expected_finding, listing};
use homelab_spec::homelab::{DiscoveryError, Homelab};
use homelab_spec::shell::bats::{BatsError, BatsRun};
use homelab_spec::timing::best_of_three;

use super::World;
use super::expect::pass_if;
use super::words::{FindingIdWords, RepositoryChangeWords};

#[derive(Debug)]
pub struct LayoutState {
    /// The root discovery runs in: the scenario's repository (`World::root`).
    discovered_at: PathBuf,
    /// The directory the current step's paths are relative to.
    base: Option<PathBuf>,
    /// What discovery found (or why it failed) in the scenario's repository.
    discovered: Option<Result<Homelab, DiscoveryError>>,
    /// The homelab's deployed rules files, read once for this repository (on first use) and
    /// shared by every step that checks or looks up its rules.
    deployed: Option<Arc<DeployedRules>>,
    discovery_time: Option<Duration>,
    /// The runs of every BATS file (steps/bats.rs), in the homelab's order.
    pub(crate) bats: Vec<Result<BatsRun, BatsError>>,
}

impl LayoutState {
    /// Nothing discovered yet in the repository at `root`.
    pub(super) fn at(root: &Path) -> LayoutState {
        LayoutState {
            discovered_at: root.to_path_buf(),
            base: None,
            discovered: None,
            deployed: None,
            discovery_time: None,
            bats: Vec::new(),
        }
    }

    /// The homelab of the scenario's repository, discovered once per scenario.
    pub fn homelab(&mut self) -> Result<&Homelab, String> {
        if self.discovered.is_none() {
            self.discover();
        }
        match self.discovered.as_ref() {
            Some(Ok(homelab)) => Ok(homelab),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("discovery did not run".into()),
        }
    }

    /// The homelab of the scenario's repository and its deployed rules files as read, each
    /// made once per scenario's repository.
    pub fn homelab_with_rules(&mut self) -> Result<(&Homelab, &Arc<DeployedRules>), String> {
        self.homelab()?;
        let Some(Ok(homelab)) = self.discovered.as_ref() else {
            return Err("discovery did not run".into());
        };
        let deployed = self
            .deployed
            .get_or_insert_with(|| Arc::new(DeployedRules::read(homelab)));
        Ok((homelab, deployed))
    }

    /// Forgets what discovery found, after a step changed the scenario's copy.
    pub(crate) fn rediscover(&mut self) {
        self.discovered = None;
        self.deployed = None;
    }

    /// Keeps what discovery found and the CPU time it took; the rules files read from what
    /// it found before are forgotten with it.
    fn found(&mut self, found: Result<Homelab, DiscoveryError>, took: Duration) {
        self.discovered = Some(found);
        self.deployed = None;
        self.discovery_time = Some(took);
    }

    /// The findings discovery refused the repository with; `expected` says what a step
    /// expected when discovery found the homelab instead.
    fn refusal(&self, expected: impl FnOnce() -> String) -> Result<Vec<Finding>, String> {
        match self.discovered.as_ref() {
            Some(Err(e)) => Ok(e.findings()),
            Some(Ok(homelab)) => Err(format!(
                "expected discovery to fail with {}, but it found:\n{}",
                expected(),
                homelab.summary()
            )),
            None => Err("discovery did not run in an earlier step".into()),
        }
    }

    fn discover(&mut self) {
        // CPU time, not wall time: a busy machine must not fail a speed criterion that
        // discovery itself meets (discovery runs on this one thread).
        let (found, took) =
            homelab_spec::timing::cpu_time_of(|| Homelab::discover(&self.discovered_at));
        self.found(found, took);
    }
}

#[given("the repository under test")]
fn the_repository_under_test(world: &mut World) {
    world.layout.base = Some(world.root().to_path_buf());
}

#[given(expr = "the module directory {string}")]
fn the_module_directory(world: &mut World, dir: String) {
    world.layout.base = Some(world.root().join(dir));
}

#[given(expr = "a copy of the repository in which {repository_change}")]
fn a_changed_copy(world: &mut World, change: RepositoryChangeWords) -> Result<(), String> {
    world.change(change.0)
}

#[then(expr = "it has the file {string}")]
fn it_has_the_file(world: &mut World, relative: String) -> Result<(), String> {
    expect_path(world, &relative, "file", Path::is_file)
}

#[then(expr = "it has the directory {string}")]
fn it_has_the_directory(world: &mut World, relative: String) -> Result<(), String> {
    expect_path(world, &relative, "directory", Path::is_dir)
}

fn expect_path(
    world: &World,
    relative: &str,
    kind: &str,
    exists: fn(&Path) -> bool,
) -> Result<(), String> {
    let base = world
        .layout
        .base
        .as_ref()
        .ok_or("no directory was chosen by an earlier step")?;
    let path = base.join(relative);
    if exists(&path) {
        Ok(())
    } else {
        Err(format!("expected the {kind} {} to exist", path.display()))
    }
}

#[when("the homelab is discovered")]
fn the_homelab_is_discovered(world: &mut World) {
    // The best of three CPU times.
    let root = world.layout.discovered_at.clone();
    let (found, best) = best_of_three(|| Homelab::discover(&root));
    if let Ok(homelab) = &found {
        let (at, summary) = (homelab.root.display(), homelab.summary());
        say!("discovered in {best:?} under {at}:\n{summary}");
    }
    world.layout.found(found, best);
}

#[then(
    "it finds at least one module, rules file, publishing script and BATS file, and reports them"
)]
fn it_finds_every_kind_of_part(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    let none = homelab.kinds_of_part_missing().join(", no ");
    let message = || format!("discovery found no {none}:\n{}", homelab.summary());
    pass_if(none.is_empty(), message)
}

#[then(expr = "discovery took less than {int} milliseconds")]
fn discovery_took_less_than(world: &mut World, limit: u64) -> Result<(), String> {
    let took = world.layout.discovery_time;
    let took = took.ok_or("discovery did not run in an earlier step")?;
    let message = || format!("discovery took {took:?}, expected less than {limit} ms");
    pass_if(took < Duration::from_millis(limit), message)
}

#[then("discovery finds no broken convention")]
fn no_broken_convention(world: &mut World) -> Result<(), String> {
    match world.layout.discovered.as_ref() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(listing(&e.findings())),
        None => Err("discovery did not run in an earlier step".into()),
    }
}

#[then(expr = "discovery fails with {finding_id} about {string}")]
fn discovery_fails_with(
    world: &mut World,
    id: FindingIdWords,
    subject: String,
) -> Result<(), String> {
    let id = id.0;
    let findings = world.layout.refusal(|| format!("{id} about {subject}"))?;
    say!("discovery refused the copy:\n{}", listing(&findings));
    expected_finding(&findings, id.as_str(), Some(&subject), None).map(|_| ())
}

#[then("nothing was written into the copy or left beside it")]
fn nothing_left_behind(world: &mut World) -> Result<(), String> {
    let (added, gone) = world.workspace().written_since_change()?;
    if added.is_empty() && gone.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the steps changed the scratch copy: new or changed {added:?}, gone {gone:?}"
        ))
    }
}
