//! Steps of `features/layout.feature`: the repository has the parts the plan names, and
//! the suite finds the homelab's parts by its conventions (`homelab_spec::homelab`). This
//! module also holds the scenario's view of the homelab under test, shared by the steps of
//! every story: the repository itself, or a changed copy of it (growth and bad-input
//! scenarios), and what discovery found there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use cucumber::{Parameter, given, then, when};
use homelab_spec::finding::{Finding, listing};
use homelab_spec::homelab::copy::{RepositoryCopy, copy_repository};
use homelab_spec::homelab::growth::RepositoryChange;
use homelab_spec::homelab::{DiscoveryError, Homelab};
use homelab_spec::outcome::BrokenCopy;
use homelab_spec::shell::bats::{BatsError, BatsRun};

use super::{OrFail, World};

/// A named change to a copy of the repository, as a feature writes it (see
/// `RepositoryChange`); a misspelt one is an undefined step.
#[derive(Debug, Clone, Parameter)]
#[param(
    name = "repository_change",
    regex = r"a valid alert NodeClockSkew is added|a module without a regression file is added|a module with complete tests is added|the monitoring stack deploys a second rules file with a metric no exporter has|the monitoring stack deploys a second rules file rendered through templatefile\(\)|an environment with tests that composes a new module is added|scripts publish metrics through printf and tee, and a second rules file alerts on them with their labels|scripts publish metrics through printf and tee, and a second rules file alerts on a label they never write|a BATS file with a failing test is added|a BATS file that does not parse is added|the modules directory is removed|a module directory without \.tf files is added|the deployed rules file is removed|a module links to a file that does not exist|a module links to a file outside the repository|an environment's provider constraint and lock file are bumped past its modules'|a module's provider constraint does not parse|a module's lock file does not parse|a module pinned to bpg/proxmox 0\.111\.1 with a resource only that release has is added|a module reads a shared template through \.\./\.\./shared|a module reads a template through a linked shared directory|an environment reads a file through path\.root|a BATS file names its script relative to the root and loads a helper from the root|two BATS files write the same relative file|a module deploys two exporter containers without catalogs and alerts on their metrics|a recording group evaluated every 5 minutes is added"
)]
pub struct Change(RepositoryChange);

impl std::str::FromStr for Change {
    type Err = String;
    fn from_str(text: &str) -> Result<Change, String> {
        text.parse().map(Change).map_err(|e| format!("{e}"))
    }
}

/// What was changed in the scenario's copy.
#[derive(Debug, Clone)]
pub(crate) enum CopyChange {
    /// A named change of `RepositoryChange`.
    Named(RepositoryChange),
    /// A change a step computed (e.g. the BATS tests that execute a function removed): it
    /// breaks the copy, and the finding id the scenario expects.
    Computed {
        sentence: String,
        expected: Option<String>,
    },
}

#[derive(Debug, Default)]
pub struct LayoutState {
    /// The directory the current step's paths are relative to.
    base: Option<PathBuf>,
    /// A changed copy of the repository, when the scenario made one, and the change.
    copy: Option<(RepositoryCopy, CopyChange)>,
    /// The copy's scratch directory right after the change.
    snapshot: Option<Vec<(String, u64)>>,
    /// What discovery found (or why it failed) in the scenario's repository.
    discovered: Option<Result<Homelab, DiscoveryError>>,
    discovery_time: Option<Duration>,
    /// The runs of every BATS file (steps/bats.rs), in the homelab's order.
    pub(super) bats: Vec<Result<BatsRun, BatsError>>,
}

impl LayoutState {
    /// The repository the scenario checks: the changed copy, or `SPEC_ROOT`.
    pub fn root(&self) -> PathBuf {
        match &self.copy {
            Some((copy, _)) => copy.root.clone(),
            None => homelab_spec::spec_root::SpecRoot::current()
                .path()
                .to_path_buf(),
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

    fn discover(&mut self) {
        let root = self.root();
        // CPU time, not wall time: a busy machine must not fail a speed criterion that
        // discovery itself meets (discovery runs on this one thread).
        let (found, took) = homelab_spec::timing::cpu_time_of(|| Homelab::discover(&root));
        self.discovery_time = Some(took);
        self.discovered = Some(found);
    }

    /// Whether `file` (relative to the root) is the same in the scenario's repository as in
    /// `SPEC_ROOT`, so that its results there hold here too.
    pub fn unchanged(&self, file: &str) -> bool {
        match &self.copy {
            None => true,
            Some((_, CopyChange::Named(change))) => change
                .only_adds()
                .is_some_and(|added| !added.contains(&file)),
            Some((_, CopyChange::Computed { .. })) => false,
        }
    }

    /// How a tool run on the copy is marked in the reports: `None` on the repository and on
    /// a copy that grew validly (its runs must pass), else the breaking change.
    pub fn broken_copy(&self) -> Option<BrokenCopy> {
        match &self.copy.as_ref()?.1 {
            CopyChange::Named(change) => {
                let expected = change.breaks()?;
                Some(BrokenCopy {
                    change: change.sentence().to_string(),
                    expected: expected.map(str::to_string),
                })
            }
            CopyChange::Computed { sentence, expected } => Some(BrokenCopy {
                change: sentence.clone(),
                expected: expected.clone(),
            }),
        }
    }
}

#[given("the repository under test")]
fn the_repository_under_test(world: &mut World) {
    world.layout.base = Some(world.root().path().to_path_buf());
}

#[given(expr = "the module directory {string}")]
fn the_module_directory(world: &mut World, dir: String) {
    world.layout.base = Some(world.root().join(dir));
}

#[given(expr = "a copy of the repository in which {repository_change}")]
fn a_changed_copy(world: &mut World, change: Change) -> Result<(), String> {
    let copy = copy_repository(world.root().path(), None).or_fail()?;
    change.0.apply(&copy.root).or_fail()?;
    world.layout.snapshot = Some(copy.snapshot().or_fail()?);
    world.layout.copy = Some((copy, CopyChange::Named(change.0)));
    world.layout.discovered = None;
    Ok(())
}

/// Makes the scenario check `copy`, changed by `change` (for changes a step makes itself).
pub(crate) fn use_changed_copy(
    world: &mut World,
    copy: RepositoryCopy,
    change: CopyChange,
) -> Result<(), String> {
    world.layout.snapshot = Some(copy.snapshot().or_fail()?);
    world.layout.copy = Some((copy, change));
    world.layout.discovered = None;
    Ok(())
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
    let mut best = Duration::MAX;
    for _ in 0..3 {
        world.layout.discover();
        best = best.min(world.layout.discovery_time.unwrap_or(Duration::MAX));
    }
    world.layout.discovery_time = Some(best);
    if let Some(Ok(homelab)) = &world.layout.discovered {
        println!(
            "discovered in {best:?} under {}:\n{}",
            homelab.root.display(),
            homelab.summary()
        );
    }
}

#[then(
    "it finds at least one module, rules file, publishing script and BATS file, and reports them"
)]
fn it_finds_every_kind_of_part(world: &mut World) -> Result<(), String> {
    let homelab = world.layout.homelab()?;
    let counts = [
        ("modules", homelab.modules.len()),
        ("deployed rules files", homelab.rules_files.len()),
        ("publishing scripts", homelab.publishing_scripts.len()),
        ("BATS files", homelab.bats_files.len()),
    ];
    let none: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(what, _)| *what)
        .collect();
    if none.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "discovery found no {}:\n{}",
            none.join(", no "),
            homelab.summary()
        ))
    }
}

#[then(regex = r"^discovery took less than (\d+) milliseconds$")]
fn discovery_took_less_than(world: &mut World, limit: u64) -> Result<(), String> {
    let took = world
        .layout
        .discovery_time
        .ok_or("discovery did not run in an earlier step")?;
    if took < Duration::from_millis(limit) {
        Ok(())
    } else {
        Err(format!(
            "discovery took {took:?}, expected less than {limit} ms"
        ))
    }
}

#[then("discovery finds no broken convention")]
fn no_broken_convention(world: &mut World) -> Result<(), String> {
    match world.layout.discovered.as_ref() {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(listing(&e.findings())),
        None => Err("discovery did not run in an earlier step".into()),
    }
}

#[then(expr = "discovery fails with {string} about {string}")]
fn discovery_fails_with(world: &mut World, id: String, subject: String) -> Result<(), String> {
    let findings: Vec<Finding> = match world.layout.discovered.as_ref() {
        Some(Err(e)) => e.findings(),
        Some(Ok(homelab)) => {
            return Err(format!(
                "expected discovery to fail with {id} about {subject}, but it found:\n{}",
                homelab.summary()
            ));
        }
        None => return Err("discovery did not run in an earlier step".into()),
    };
    println!("discovery refused the copy:\n{}", listing(&findings));
    if findings.iter().any(|f| f.is(&id, Some(&subject))) {
        Ok(())
    } else {
        Err(format!(
            "expected a {id} finding about {subject}, got:\n{}",
            listing(&findings)
        ))
    }
}

#[then("nothing was written into the copy or left beside it")]
fn nothing_left_behind(world: &mut World) -> Result<(), String> {
    let (Some((copy, _)), Some(before)) = (&world.layout.copy, &world.layout.snapshot) else {
        return Err("no copy was made by an earlier step".into());
    };
    let after = copy.snapshot().or_fail()?;
    let added: Vec<&str> = after
        .iter()
        .filter(|e| !before.contains(e))
        .map(|(p, _)| p.as_str())
        .collect();
    let gone: Vec<&str> = before
        .iter()
        .filter(|e| !after.contains(e))
        .map(|(p, _)| p.as_str())
        .collect();
    if added.is_empty() && gone.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the steps changed the scratch copy: new or changed {added:?}, gone {gone:?}"
        ))
    }
}
