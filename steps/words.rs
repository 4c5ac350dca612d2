//! The words a step chooses from, as typed parameters: a misspelt one is an undefined step
//! that fails the run before anything runs. The parameters that name changes are checked
//! against the changes' own sentences when the run starts ([`check_against_changes`]), so
//! that a change without a step, or a step alternative without a change, stops the run.

use cucumber::Parameter;
use homelab_spec::alerts::roles::AlertRole;
use homelab_spec::finding::FindingId;
use homelab_spec::homelab::growth::{RepositoryChange, SENTENCES};
use homelab_spec::shell::twin::Implementation;
use homelab_spec::suppression::Placement;
use homelab_spec::terraform::broken_copy::{self, ModuleChange};
use homelab_spec::workspace::ModuleEdit;
use homelab_spec::workspace::step_words::check_parameter;

/// A named change to a copy of the repository, as a feature writes it (see
/// `RepositoryChange`).
#[derive(Debug, Clone, Copy, Parameter)]
#[param(
    name = "repository_change",
    regex = r"a valid alert NodeClockSkew is added|a module without a regression file is added|a module with complete tests is added|the monitoring stack deploys a second rules file with a metric no exporter has|the monitoring stack deploys a second rules file rendered through templatefile\(\)|an environment with tests that composes a new module is added|scripts publish metrics through printf and tee, and a second rules file alerts on them with their labels|scripts publish metrics through printf and tee, and a second rules file alerts on a label they never write|a BATS file with a failing test is added|a BATS file that does not parse is added|the modules directory is removed|a module directory without \.tf files is added|the deployed rules file is removed|a module links to a file that does not exist|a module links to a file outside the repository|an environment's provider constraint and lock file are bumped past its modules'|a module's provider constraint does not parse|a module's lock file does not parse|a module pinned to bpg/proxmox 0\.111\.1 with a resource only that release has is added|a module reads a shared template through \.\./\.\./shared|a module reads a template through a linked shared directory|an environment reads a file through path\.root|a BATS file names its script relative to the root and loads a helper from the root|two BATS files write the same relative file|a module deploys two exporter containers without catalogs and alerts on their metrics|a recording group evaluated every 5 minutes is added"
)]
pub struct RepositoryChangeWords(pub RepositoryChange);

impl std::str::FromStr for RepositoryChangeWords {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        text.parse().map(Self).map_err(|e| format!("{e}"))
    }
}

/// A named change to one module of a copy, as a feature writes it (see `ModuleChange`).
#[derive(Debug, Clone, Parameter)]
#[param(
    name = "module_change",
    regex = r#"the [\w-]+ defaults to "[^"]*"|the data size loses its unit suffix|the SCSI controller is [\w-]+|the health-check key algorithm is [\w-]+|the tests directory is removed|the regression file is cut off in the middle of a run|a regression run applies without a release comment or an assertion|the regression file does not mock the [\w-]+ provider|a test run never finishes"#
)]
pub struct ModuleChangeWords {
    pub sentence: String,
    pub change: ModuleChange,
}

impl std::str::FromStr for ModuleChangeWords {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let change = text.parse::<ModuleChange>().map_err(|e| e.to_string())?;
        Ok(ModuleChangeWords {
            sentence: text.to_string(),
            change,
        })
    }
}

impl ModuleChangeWords {
    /// The change, made to `module`.
    pub fn on(self, module: String) -> ModuleEdit {
        let (sentence, change) = (self.sentence, self.change);
        ModuleEdit {
            module,
            change,
            sentence,
        }
    }
}

/// A module, by its directory's name (`vm`, `monitoring-stack`).
#[derive(Debug, Clone, Parameter)]
#[param(name = "module", regex = r"[\w-]+")]
pub struct ModuleName(pub String);

impl std::str::FromStr for ModuleName {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Ok(ModuleName(text.to_string()))
    }
}

/// An implementation of the retry rules: `bash` (the library) or `rust` (the suite's module).
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "implementation", regex = "bash|rust")]
pub struct ImplementationName(pub Implementation);

impl std::str::FromStr for ImplementationName {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        text.parse().map(Self).map_err(|e| format!("{e}"))
    }
}

/// An attempt count as a script passes it: a number, or a quoted word that may be invalid on
/// purpose (`"0"`, `"abc"`); kept as text, because refusing it is what a scenario checks.
#[derive(Debug, Clone, Parameter)]
#[param(name = "attempt_count", regex = r#"\d+|"[^"]*""#)]
pub struct AttemptCount(pub String);

impl std::str::FromStr for AttemptCount {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Ok(AttemptCount(text.trim_matches('"').to_string()))
    }
}

/// Whole numbers as a sentence lists them: `1, 2 and 4`, `255`, or `no` (none). Keeps the
/// sentence's words for the failure messages.
#[derive(Debug, Clone, Parameter)]
#[param(name = "numbers", regex = r"no|\d+(?:, \d+)*(?: and \d+)?")]
pub struct Numbers {
    pub values: Vec<i32>,
    pub words: String,
}

impl std::str::FromStr for Numbers {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let values = match text {
            "no" => Ok(Vec::new()),
            list => list
                .replace(" and ", ",")
                .split(',')
                .map(|part| part.trim().parse())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{text:?} is not a list of numbers: {e}")),
        }?;
        let words = text.to_string();
        Ok(Numbers { values, words })
    }
}

impl Numbers {
    /// The numbers as waits of that many seconds.
    pub fn seconds(&self) -> Vec<std::time::Duration> {
        let secs = |n: &i32| std::time::Duration::from_secs(u64::from(n.unsigned_abs()));
        self.values.iter().map(secs).collect()
    }
}

/// A mode a sentence switches `on` or `off`.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "on_off", regex = "on|off")]
pub struct OnOff(pub bool);

impl std::str::FromStr for OnOff {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "on" => Ok(OnOff(true)),
            "off" => Ok(OnOff(false)),
            other => Err(format!("{other:?} is neither on nor off")),
        }
    }
}

/// Every parameter that names changes, against the sentences of those changes.
pub fn check_against_changes() -> Result<(), String> {
    let repository: Vec<String> = SENTENCES.iter().map(|(s, _)| s.to_string()).collect();
    check_parameter(
        RepositoryChangeWords::NAME,
        <RepositoryChangeWords as cucumber::Parameter>::REGEX,
        &repository,
    )?;
    let module: Vec<String> = broken_copy::EXAMPLES
        .iter()
        .map(|s| s.to_string())
        .collect();
    check_parameter(
        ModuleChangeWords::NAME,
        <ModuleChangeWords as cucumber::Parameter>::REGEX,
        &module,
    )
}

/// A finding id a step names, in quotes (`"promql/series"`): one the registry of checks has.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "finding_id", regex = r#""[\w/-]+""#)]
pub struct FindingIdWords(pub FindingId);

impl std::str::FromStr for FindingIdWords {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let id = text.trim_matches('"');
        let known = homelab_spec::workspace::step_words::finding_id(id);
        known
            .map(FindingIdWords)
            .ok_or_else(|| format!("\"{id}\" is not the id of a check"))
    }
}

/// Names listed as a sentence writes them: `a, b and c` (groups, exporters).
#[derive(Debug, Clone, Parameter)]
#[param(name = "names", regex = r"[\w-]+(?:, [\w-]+)*(?: and [\w-]+)?")]
pub struct NameList(pub Vec<String>);

impl std::str::FromStr for NameList {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let names = text.replace(" and ", ", ");
        Ok(NameList(names.split(", ").map(str::to_string).collect()))
    }
}

impl NameList {
    /// The names not among `have`, in the list's order.
    pub fn missing_from(&self, have: &[&str]) -> Vec<String> {
        let missing = self.0.iter().filter(|name| !have.contains(&name.as_str()));
        missing.cloned().collect()
    }
}

/// A span of time as a feature writes it (`7 minutes`, `1 hour`): the unit, in minutes.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "time_unit", regex = "minutes?|hours?")]
pub struct TimeUnit(pub u64);

impl std::str::FromStr for TimeUnit {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim_end_matches('s') {
            "minute" => Ok(TimeUnit(1)),
            "hour" => Ok(TimeUnit(60)),
            other => Err(format!("no unit of time {other:?}")),
        }
    }
}

/// "the first alert ...": an alert chosen by the role it plays in the rules file.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(
    name = "first_alert",
    regex = "the first alert(?: that waits before firing| with a severity| with a description)?"
)]
pub struct FirstAlert(pub AlertRole);

impl std::str::FromStr for FirstAlert {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(FirstAlert(match text {
            "the first alert" => AlertRole::Any,
            "the first alert that waits before firing" => AlertRole::Waiting,
            "the first alert with a severity" => AlertRole::WithSeverity,
            "the first alert with a description" => AlertRole::WithDescription,
            other => return Err(format!("no alert is chosen as {other:?}")),
        }))
    }
}

/// A key of a rule, as a feature names it.
#[derive(Debug, Clone, Parameter)]
#[param(
    name = "rule_key",
    regex = r#"expression|"for"|description|summary|severity"#
)]
pub struct RuleKey(pub String);

impl std::str::FromStr for RuleKey {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        Ok(RuleKey(match text {
            "expression" => "expr".into(),
            other => other.trim_matches('"').into(),
        }))
    }
}

/// Where a scenario writes its suppression comment.
#[derive(Debug, Clone, Copy, Parameter)]
#[param(name = "placement", regex = "on its line|on the line above it")]
pub struct Where(pub Placement);

impl std::str::FromStr for Where {
    type Err = String;
    fn from_str(text: &str) -> Result<Where, String> {
        match text {
            "on its line" => Ok(Where(Placement::OnTheLine)),
            "on the line above it" => Ok(Where(Placement::Above)),
            other => Err(format!("no placement {other:?}")),
        }
    }
}
