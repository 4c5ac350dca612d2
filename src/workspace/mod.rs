//! The scenario's repository: the checkout under test, or a copy of it with one deliberate
//! [`Change`] made. Every way a scenario changes a copy (a module edited, a rules file or a
//! script changed, whole files added or removed) is a value of the one `Change` trait: its
//! sentence (the words a feature names it with), how to apply it, and what a run on the
//! changed copy is expected to find. The reports mark the runs made on a copy that a change
//! broke from [`Workspace::broken_copy`] alone.
//!
//! This module sits above discovery and the checks (it names their changes) and below the
//! reports; nothing in the areas it names depends on it.

mod changes;
pub mod step_words;

use std::path::{Path, PathBuf};

use crate::homelab::copy::{RepositoryCopy, copy_repository};
use crate::not_applicable::NotApplicable;
use crate::outcome::BrokenCopy;

pub use changes::{BatsTestsRemoved, ModuleEdit, RulesEdit, RulesEditKind, ScriptEdit};

/// What a run on a changed copy is expected to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The copy grew validly: its runs must pass as the repository's do.
    Nothing,
    /// The copy is broken: its runs are expected to fail, by any finding.
    Failure,
    /// The copy is broken: its runs are expected to fail with this finding id.
    Finding(String),
}

/// One deliberate change to a copy of the repository.
pub trait Change: std::fmt::Debug + Send + Sync {
    /// The words the change is named with, in features and in the reports.
    fn sentence(&self) -> String;
    /// Makes the change in `workspace` (always a copy). Fails when what it changes is not
    /// there, so that a variant never silently equals the original.
    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError>;
    /// What a run on the changed copy is expected to find.
    fn expected_finding(&self) -> Expected;
    /// The files the change adds, when it only adds files (the rest of the copy is then the
    /// repository byte for byte, so the repository's results hold for it); `None` when it
    /// changes or removes anything.
    fn only_adds(&self) -> Option<Vec<String>> {
        None
    }
}

/// What applying a change did, when a scenario needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The file the change edited (relative to the root) and the 1-based line it changed.
    pub line: Option<(String, usize)>,
}

/// Why a change could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The homelab has nothing the change could change: the scenario does not apply.
    #[error(transparent)]
    NotApplicable(#[from] NotApplicable),
    #[error("{change}: {message}")]
    Failed { change: String, message: String },
}

impl ChangeError {
    pub fn failed(change: &dyn Change, error: impl std::fmt::Display) -> ChangeError {
        ChangeError::Failed {
            change: change.sentence(),
            message: error.to_string(),
        }
    }
}

/// The repository a scenario checks.
#[derive(Debug)]
pub struct Workspace {
    /// The checkout under test (`SPEC_ROOT`), which the suite never writes into.
    checkout: PathBuf,
    copy: Option<ChangedCopy>,
}

#[derive(Debug)]
struct ChangedCopy {
    copy: RepositoryCopy,
    change: Box<dyn Change>,
    applied: Applied,
    /// The copy's scratch directory right after the change.
    snapshot: Vec<(String, u64)>,
}

impl Workspace {
    /// The checkout itself.
    pub fn checkout(root: &Path) -> Workspace {
        Workspace {
            checkout: root.to_path_buf(),
            copy: None,
        }
    }

    /// A copy of this workspace's checkout with `change` made.
    pub fn changed(&self, change: Box<dyn Change>) -> Result<Workspace, ChangeError> {
        let fail = |e: &dyn std::fmt::Display| ChangeError::Failed {
            change: change.sentence(),
            message: e.to_string(),
        };
        let copy = copy_repository(&self.checkout, None).map_err(|e| fail(&e))?;
        let mut changed = Workspace {
            checkout: self.checkout.clone(),
            copy: Some(ChangedCopy {
                copy,
                change: Box::new(Unchanged),
                applied: Applied::default(),
                snapshot: Vec::new(),
            }),
        };
        let applied = change.apply(&changed)?;
        if let Some(copy) = changed.copy.as_mut() {
            copy.snapshot = copy.copy.snapshot().map_err(|e| fail(&e))?;
            copy.change = change;
            copy.applied = applied;
        }
        Ok(changed)
    }

    /// The repository's root: the copy's, or the checkout's.
    pub fn root(&self) -> &Path {
        match &self.copy {
            Some(changed) => &changed.copy.root,
            None => &self.checkout,
        }
    }

    /// The change made, on a copy.
    pub fn change(&self) -> Option<&dyn Change> {
        self.copy.as_ref().map(|c| c.change.as_ref())
    }

    /// What applying the change did.
    pub fn applied(&self) -> Option<&Applied> {
        self.copy.as_ref().map(|c| &c.applied)
    }

    /// The copy, when the workspace is one.
    pub fn copy(&self) -> Option<&RepositoryCopy> {
        self.copy.as_ref().map(|c| &c.copy)
    }

    /// Whether `file` (relative to the root) is the same here as in the checkout, so that
    /// its results there hold here too.
    pub fn unchanged(&self, file: &str) -> bool {
        match self.change() {
            None => true,
            Some(change) => change
                .only_adds()
                .is_some_and(|added| !added.iter().any(|a| a == file)),
        }
    }

    /// How a run on this workspace is marked in the reports: `None` on the checkout and on
    /// a copy that grew validly (its runs must pass), else the breaking change.
    pub fn broken_copy(&self) -> Option<BrokenCopy> {
        let change = self.change()?;
        let expected = match change.expected_finding() {
            Expected::Nothing => return None,
            Expected::Failure => None,
            Expected::Finding(id) => Some(id),
        };
        Some(BrokenCopy {
            change: change.sentence(),
            expected,
        })
    }

    /// What the steps wrote into the copy's scratch directory since the change, or left
    /// beside it: new or changed paths, and gone ones.
    pub fn written_since_change(&self) -> Result<(Vec<String>, Vec<String>), String> {
        let changed = self.copy.as_ref().ok_or("the workspace is not a copy")?;
        let after = changed.copy.snapshot().map_err(|e| e.to_string())?;
        let before = &changed.snapshot;
        let added = after
            .iter()
            .filter(|e| !before.contains(e))
            .map(|(p, _)| p.clone())
            .collect();
        let gone = before
            .iter()
            .filter(|e| !after.contains(e))
            .map(|(p, _)| p.clone())
            .collect();
        Ok((added, gone))
    }
}

/// The change of a copy while its own change is being applied.
#[derive(Debug)]
struct Unchanged;

impl Change for Unchanged {
    fn sentence(&self) -> String {
        "nothing is changed".into()
    }
    fn apply(&self, _: &Workspace) -> Result<Applied, ChangeError> {
        Ok(Applied::default())
    }
    fn expected_finding(&self) -> Expected {
        Expected::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct AddsAFile;

    impl Change for AddsAFile {
        fn sentence(&self) -> String {
            "a note is added".into()
        }
        fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
            std::fs::write(workspace.root().join("note.txt"), "x")
                .map_err(|e| ChangeError::failed(self, e))?;
            Ok(Applied::default())
        }
        fn expected_finding(&self) -> Expected {
            Expected::Finding("area/what".into())
        }
        fn only_adds(&self) -> Option<Vec<String>> {
            Some(vec!["note.txt".into()])
        }
    }

    #[test]
    fn a_changed_copy_is_marked_and_leaves_the_checkout_alone() {
        let checkout = tempfile::tempdir().unwrap();
        crate::test_support::write(checkout.path(), "main.tf", "");
        let workspace = Workspace::checkout(checkout.path());
        assert_eq!(workspace.root(), checkout.path());
        assert_eq!(workspace.broken_copy(), None);
        let changed = workspace.changed(Box::new(AddsAFile)).unwrap();
        assert_ne!(changed.root(), checkout.path());
        assert!(changed.root().join("note.txt").is_file());
        assert!(!checkout.path().join("note.txt").exists());
        assert_eq!(
            changed.broken_copy(),
            Some(BrokenCopy {
                change: "a note is added".into(),
                expected: Some("area/what".into())
            })
        );
        assert!(changed.unchanged("main.tf"));
        assert!(!changed.unchanged("note.txt"));
        assert_eq!(changed.written_since_change().unwrap(), (vec![], vec![]));
        std::fs::write(changed.root().join("left.txt"), "x").unwrap();
        assert_eq!(
            changed.written_since_change().unwrap().0,
            ["repo/left.txt".to_string()]
        );
    }
}
