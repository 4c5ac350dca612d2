//! The changes of each area as [`Change`] values: whole files added or removed
//! (`homelab::growth`), a module edited (`terraform::broken_copy`), the rules file edited
//! (`alerts::rule_edit`), a script edited (`alerts::script_edit`).

use super::{Applied, Change, ChangeError, Expected, Workspace};
use crate::alerts::rule_edit::{self, Edited, RuleEditError};
use crate::alerts::script_edit::ScriptChange;
use crate::homelab::growth::{ExporterRelease, RepositoryChange};
use crate::terraform::Module;
use crate::terraform::broken_copy::ModuleChange;

impl Change for RepositoryChange {
    fn sentence(&self) -> String {
        RepositoryChange::sentence(*self).to_string()
    }

    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
        RepositoryChange::apply(*self, workspace.root())
            .map_err(|e| ChangeError::failed(self, e))?;
        Ok(Applied::default())
    }

    fn expected_finding(&self) -> Expected {
        match self.breaks() {
            None => Expected::Nothing,
            Some(None) => Expected::Failure,
            Some(Some(id)) => Expected::Finding(id.to_string()),
        }
    }

    fn only_adds(&self) -> Option<Vec<String>> {
        RepositoryChange::only_adds(*self)
            .map(|files| files.iter().map(|f| f.to_string()).collect())
    }
}

impl Change for ExporterRelease {
    fn sentence(&self) -> String {
        ExporterRelease::SENTENCE.to_string()
    }

    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
        self.deploy(workspace.root())
            .map_err(|e| ChangeError::failed(self, e))?;
        Ok(Applied::default())
    }

    fn expected_finding(&self) -> Expected {
        Expected::Finding(ExporterRelease::EXPECTED.to_string())
    }
}

/// A change to one module of the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEdit {
    pub module: String,
    pub change: ModuleChange,
    /// How the reports name it: the feature's words, or what a role-chosen change did.
    pub sentence: String,
}

impl ModuleEdit {
    /// The change of the first guarded default of `modules` (in their order: a string
    /// default a regression run asserts on without setting it), and the run that guards it.
    pub fn of_first_guarded_default(
        modules: &[Module],
    ) -> Result<(ModuleEdit, String), crate::not_applicable::NotApplicable> {
        let guarded = crate::terraform::broken_copy::first_guarded_default(modules)?;
        let sentence = format!(
            "the {} default of {} changed (guarded by {})",
            guarded.variable, guarded.module, guarded.run
        );
        let edit = ModuleEdit {
            change: guarded.change(),
            module: guarded.module,
            sentence,
        };
        Ok((edit, guarded.run))
    }

    /// The module as it is in `workspace`.
    pub(crate) fn module_in(&self, workspace: &Workspace) -> Result<Module, ChangeError> {
        Module::in_root(workspace.root(), &self.module).map_err(|e| ChangeError::failed(self, e))
    }
}

impl Change for ModuleEdit {
    fn sentence(&self) -> String {
        self.sentence.clone()
    }

    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
        let module = self.module_in(workspace)?;
        self.change
            .apply(&module)
            .map_err(|e| match e.not_applicable() {
                Some(why) => ChangeError::NotApplicable(why),
                None => ChangeError::failed(self, e),
            })?;
        Ok(Applied::default())
    }

    fn expected_finding(&self) -> Expected {
        Expected::Failure
    }
}

/// An edit of one alert (or of the top level) of the homelab's rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesEditKind {
    /// The key is set to a one-line value.
    Set { key: String, value: String },
    /// The key and its value are removed.
    Remove(String),
    /// The expression ends in an unclosed ` and (`.
    CutExpressionShort,
    /// A word of the expression is replaced.
    ReplaceInExpression { from: String, to: String },
    /// The key is indented with a tab.
    IndentWithTab(String),
    /// The summary also names `{{ $labels.<label> }}`.
    SummaryNamesLabel(String),
    /// A top-level key is appended to the file.
    TopLevelKey(String),
}

/// A change to the homelab's rules file ([`crate::alerts::RULES_FILE`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesEdit {
    /// The alert edited (unused by [`RulesEditKind::TopLevelKey`]).
    pub alert: String,
    pub kind: RulesEditKind,
}

impl RulesEdit {
    /// `text` with the edit made.
    pub fn edit(&self, text: &str) -> Result<Edited, RuleEditError> {
        let alert = self.alert.as_str();
        match &self.kind {
            RulesEditKind::Set { key, value } => rule_edit::set_value(text, alert, key, value),
            RulesEditKind::Remove(key) => rule_edit::remove_key(text, alert, key),
            RulesEditKind::CutExpressionShort => {
                let expr = rule_edit::value_of(text, alert, "expr")?;
                rule_edit::set_value(text, alert, "expr", &format!("{expr} and ("))
            }
            RulesEditKind::ReplaceInExpression { from, to } => {
                rule_edit::replace_in_expr(text, alert, from, to)
            }
            RulesEditKind::IndentWithTab(key) => rule_edit::indent_with_tab(text, alert, key),
            RulesEditKind::SummaryNamesLabel(label) => {
                let value = rule_edit::value_of(text, alert, "summary")?;
                let named = format!("{value} ({{{{ $labels.{label} }}}})");
                rule_edit::set_value(text, alert, "summary", &named)
            }
            RulesEditKind::TopLevelKey(key) => Ok(rule_edit::add_top_level_key(text, key)),
        }
    }
}

impl Change for RulesEdit {
    fn sentence(&self) -> String {
        format!("a changed copy of {}", crate::alerts::RULES_FILE)
    }

    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
        let path = workspace.root().join(crate::alerts::RULES_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ChangeError::failed(self, format!("cannot read {}: {e}", path.display()))
        })?;
        let edited = self.edit(&text).map_err(|e| ChangeError::failed(self, e))?;
        std::fs::write(&path, &edited.text).map_err(|e| {
            ChangeError::failed(self, format!("cannot write {}: {e}", path.display()))
        })?;
        Ok(Applied {
            line: edited
                .line
                .map(|line| (crate::alerts::RULES_FILE.to_string(), line)),
        })
    }

    fn expected_finding(&self) -> Expected {
        Expected::Failure
    }
}

/// A change to one operations script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptEdit {
    /// The script, relative to the root.
    pub script: String,
    pub change: ScriptChange,
}

impl Change for ScriptEdit {
    fn sentence(&self) -> String {
        format!("a changed copy of {}", self.script)
    }

    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
        crate::alerts::script_edit::change_in_place(workspace.root(), &self.script, &self.change)
            .map_err(|e| ChangeError::failed(self, e))?;
        Ok(Applied::default())
    }

    fn expected_finding(&self) -> Expected {
        Expected::Failure
    }
}

/// Every BATS test that executes a Bash function, removed from the copy (which tests: from
/// the traced runs of the checkout, `coverage::bash`).
#[derive(Debug, Clone)]
pub struct BatsTestsRemoved {
    pub function: String,
    /// The tests of the checkout and what each executed.
    pub tests: Vec<crate::coverage::bash::TracedTest>,
    /// The Bash files (relative to the root) that define the function.
    pub(crate) defined_in: Vec<String>,
}

impl BatsTestsRemoved {
    /// The change for `function`: those of `tests` (the checkout's) that execute it, in a
    /// file of `files` that defines it; `None` when no file defines it.
    pub fn of(
        function: &str,
        tests: Vec<crate::coverage::bash::TracedTest>,
        files: &[crate::homelab::bash_functions::BashFile],
    ) -> Option<BatsTestsRemoved> {
        let defined_in = crate::coverage::bash::files_defining(files, function);
        let function = function.to_string();
        (!defined_in.is_empty()).then_some(BatsTestsRemoved {
            function,
            tests,
            defined_in,
        })
    }

    /// What the change removes, as a diagnostic lists it.
    pub fn removed_listing(&self) -> String {
        let removed = self.removed();
        let cases = crate::coverage::bash::case_lines(removed.iter().map(|t| &t.case));
        let (count, function) = (removed.len(), &self.function);
        format!("{count} BATS tests that execute {function}:\n  {cases}")
    }

    fn executes(&self, test: &crate::coverage::bash::TracedTest) -> bool {
        self.defined_in
            .iter()
            .any(|file| test.execution.ran_function(file, &self.function))
    }

    /// The tests the change removes.
    pub fn removed(&self) -> Vec<&crate::coverage::bash::TracedTest> {
        self.tests.iter().filter(|t| self.executes(t)).collect()
    }
}

impl Change for BatsTestsRemoved {
    fn sentence(&self) -> String {
        format!(
            "every BATS test that executes {} removed ({} tests)",
            self.function,
            self.removed().len()
        )
    }

    fn apply(&self, workspace: &Workspace) -> Result<Applied, ChangeError> {
        let removed = crate::coverage::bash::remove_tests(workspace.root(), &self.tests, |t| {
            self.executes(t)
        })
        .map_err(|e| ChangeError::failed(self, e))?;
        if removed.is_empty() {
            let why = format!(
                "no BATS test executes {}: the copy would equal the repository",
                self.function
            );
            return Err(ChangeError::failed(self, why));
        }
        Ok(Applied::default())
    }

    fn expected_finding(&self) -> Expected {
        let id = crate::coverage::bash::ids::FUNCTION_NOT_EXECUTED;
        Expected::Finding(id.as_str().to_string())
    }
}
