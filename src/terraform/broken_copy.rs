//! Named changes to a module in a copy of the repository: the broken variants the guarded-default and
//! bad-input scenarios run. Each edits the parsed HCL (hcl-edit, which keeps comments and
//! layout), never text that depends on how a file happens to be aligned or quoted, and
//! fails when what it changes is not there, so a variant can never silently equal the
//! original.

use std::path::Path;
use std::str::FromStr;

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, Body};
use hcl_edit::{Decorate, Decorated, Ident, Span};

use super::error::TerraformError;
use super::module::{Module, REGRESSION_FILE};

/// The test file whose only run never finishes.
pub const HANG_FILE: &str = "tests/hang.tftest.hcl";

/// A run added to the regression file that breaks all three rules of a regression run.
pub(crate) const UNGUARDED_RUN: &str = "unguarded_apply";

/// One change, by the words a feature file names it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModuleChange {
    /// `the <variable> defaults to "<value>"`: the variable's declared default.
    VariableDefault { variable: String, value: String },
    /// `the data size loses its unit suffix`: what the module passes as a mount point's
    /// size drops the `G`/`T` suffix of `var.data_size`.
    DataSizeLosesUnit,
    /// `the SCSI controller is <value>`: every `scsi_hardware` of the module.
    ScsiController(String),
    /// `the health-check key algorithm is <value>`: every `tls_private_key`'s algorithm.
    KeyAlgorithm(String),
    /// `the tests directory is removed`.
    TestsRemoved,
    /// `the regression file is cut off in the middle of a run`: it ends inside the first
    /// assert block, with a condition that has no value.
    RegressionFileCut,
    /// `a regression run applies without a release comment or an assertion`.
    UnguardedRegressionRun,
    /// `the regression file does not mock the <provider> provider`.
    ProviderNotMocked(String),
    /// `a test run never finishes`: a resource whose provisioner sleeps, and a test file
    /// whose only run applies it.
    HangingRun,
}

/// The changes' sentences, for a step's parameter and for error messages.
pub const SENTENCES: [&str; 9] = [
    "the <variable> defaults to \"<value>\"",
    "the data size loses its unit suffix",
    "the SCSI controller is <value>",
    "the health-check key algorithm is <value>",
    "the tests directory is removed",
    "the regression file is cut off in the middle of a run",
    "a regression run applies without a release comment or an assertion",
    "the regression file does not mock the <provider> provider",
    "a test run never finishes",
];

/// One sentence of each change, with its placeholders filled: what a step's parameter must
/// match (`homelab_spec::workspace::step_words`).
pub const EXAMPLES: [&str; 9] = [
    "the backup_schedule defaults to \"02:00\"",
    "the data size loses its unit suffix",
    "the SCSI controller is lsi",
    "the health-check key algorithm is RSA",
    "the tests directory is removed",
    "the regression file is cut off in the middle of a run",
    "a regression run applies without a release comment or an assertion",
    "the regression file does not mock the proxmox provider",
    "a test run never finishes",
];

/// A sentence no change is known by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no change to a module is known as {0:?}; known: {SENTENCES:?}")]
pub struct UnknownChange(pub String);

impl FromStr for ModuleChange {
    type Err = UnknownChange;

    fn from_str(text: &str) -> Result<ModuleChange, UnknownChange> {
        let quoted = |rest: &str| -> Option<String> {
            rest.strip_prefix('"')?
                .strip_suffix('"')
                .map(str::to_string)
        };
        let change = match text {
            "the data size loses its unit suffix" => Some(ModuleChange::DataSizeLosesUnit),
            "the tests directory is removed" => Some(ModuleChange::TestsRemoved),
            "the regression file is cut off in the middle of a run" => {
                Some(ModuleChange::RegressionFileCut)
            }
            "a regression run applies without a release comment or an assertion" => {
                Some(ModuleChange::UnguardedRegressionRun)
            }
            "a test run never finishes" => Some(ModuleChange::HangingRun),
            _ => None,
        };
        let change = change
            .or_else(|| {
                let rest = text.strip_prefix("the SCSI controller is ")?;
                Some(ModuleChange::ScsiController(rest.to_string()))
            })
            .or_else(|| {
                let rest = text.strip_prefix("the health-check key algorithm is ")?;
                Some(ModuleChange::KeyAlgorithm(rest.to_string()))
            })
            .or_else(|| {
                let provider = text
                    .strip_prefix("the regression file does not mock the ")?
                    .strip_suffix(" provider")?;
                Some(ModuleChange::ProviderNotMocked(provider.to_string()))
            })
            .or_else(|| {
                let rest = text.strip_prefix("the ")?;
                let (variable, value) = rest.split_once(" defaults to ")?;
                Some(ModuleChange::VariableDefault {
                    variable: variable.to_string(),
                    value: quoted(value)?,
                })
            });
        change
            .filter(|c| match c {
                ModuleChange::ScsiController(v)
                | ModuleChange::KeyAlgorithm(v)
                | ModuleChange::ProviderNotMocked(v) => is_word(v),
                ModuleChange::VariableDefault { variable, .. } => is_word(variable),
                _ => true,
            })
            .ok_or_else(|| UnknownChange(text.to_string()))
    }
}

fn is_word(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl ModuleChange {
    /// Applies the change to `target`, a module in a scratch copy of the repository.
    pub fn apply(&self, target: &Module) -> Result<(), TerraformError> {
        let dir = &target.dir;
        let module = &target.name;
        match self {
            ModuleChange::VariableDefault { variable, value } => {
                let changed = edit_tf_files(dir, |body| {
                    let mut changed = 0;
                    for block in body.get_blocks_mut("variable") {
                        if block.has_exact_labels(&[variable.as_str()]) {
                            changed += set_attribute(&mut block.body, "default", string(value));
                        }
                    }
                    changed
                })?;
                require(
                    changed,
                    module,
                    &format!("variable \"{variable}\" with a default"),
                )
            }
            ModuleChange::DataSizeLosesUnit => {
                let changed = edit_tf_files(dir, |body| {
                    replace_values(
                        body,
                        &|attr| {
                            attr.key.as_str() == "size"
                                && attr.value.to_string().trim() == "var.data_size"
                        },
                        "trimsuffix(trimsuffix(var.data_size, \"G\"), \"T\")",
                    )
                })?;
                require(changed, module, "a size set from var.data_size")
            }
            ModuleChange::ScsiController(value) => {
                let changed = edit_tf_files(dir, |body| {
                    let mut changed = 0;
                    for block in body.get_blocks_mut("resource") {
                        changed += set_attribute(&mut block.body, "scsi_hardware", string(value));
                    }
                    changed
                })?;
                require(changed, module, "a resource with scsi_hardware")
            }
            ModuleChange::KeyAlgorithm(value) => {
                let changed = edit_tf_files(dir, |body| {
                    let mut changed = 0;
                    for block in body.get_blocks_mut("resource") {
                        if block
                            .labels
                            .first()
                            .is_some_and(|l| l.as_str() == "tls_private_key")
                        {
                            changed += set_attribute(&mut block.body, "algorithm", string(value));
                        }
                    }
                    changed
                })?;
                require(changed, module, "a tls_private_key with an algorithm")
            }
            ModuleChange::TestsRemoved => remove(dir, "tests"),
            ModuleChange::RegressionFileCut => {
                let text = read(dir, REGRESSION_FILE)?;
                let body = parse(&text, REGRESSION_FILE)?;
                let cut = body
                    .get_blocks("run")
                    .flat_map(|run| run.body.get_blocks("assert"))
                    .find_map(|assert| assert.span())
                    .ok_or_else(|| not_found(module, "a run with an assert block"))?;
                write(
                    dir,
                    REGRESSION_FILE,
                    &format!("{}assert {{\n    condition = \n", &text[..cut.start]),
                )
            }
            ModuleChange::UnguardedRegressionRun => {
                let text = read(dir, REGRESSION_FILE)?;
                let mut body = parse(&text, REGRESSION_FILE)?;
                let mut run = Block::builder(Ident::new("run"))
                    .label(hcl_edit::structure::BlockLabel::String(Decorated::new(
                        UNGUARDED_RUN.to_string(),
                    )))
                    .attribute(Attribute::new(
                        Ident::new("command"),
                        Expression::Variable(Decorated::new(Ident::new("apply"))),
                    ))
                    .build();
                // A comment that names no release.
                run.decor_mut().set_prefix("\n# tags again\n");
                body.push(run);
                write(dir, REGRESSION_FILE, &body.to_string())
            }
            ModuleChange::ProviderNotMocked(provider) => {
                let text = read(dir, REGRESSION_FILE)?;
                let mut body = parse(&text, REGRESSION_FILE)?;
                let before = body.len();
                let keep: Vec<_> = body
                    .iter()
                    .filter(|s| {
                        !s.as_block().is_some_and(|b| {
                            b.ident.as_str() == "mock_provider"
                                && b.has_exact_labels(&[provider.as_str()])
                        })
                    })
                    .cloned()
                    .collect();
                if keep.len() == before {
                    return Err(not_found(module, &format!("mock_provider \"{provider}\"")));
                }
                body.clear();
                for structure in keep {
                    body.push(structure);
                }
                write(dir, REGRESSION_FILE, &body.to_string())
            }
            ModuleChange::HangingRun => {
                write(
                    dir,
                    "hang.tf",
                    "resource \"terraform_data\" \"hang\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 600\"\n  }\n}\n",
                )?;
                write(
                    dir,
                    HANG_FILE,
                    "mock_provider \"proxmox\" {}\n\nvariables {\n  node_name = \"pve\"\n}\n\nrun \"hangs\" {\n  command = apply\n\n  plan_options {\n    target = [terraform_data.hang]\n  }\n}\n",
                )
            }
        }
    }
}

fn string(value: &str) -> Expression {
    Expression::String(Decorated::new(value.to_string()))
}

/// Sets `key` in `body` (not in nested blocks) when it is there; 1 if it was, else 0.
fn set_attribute(body: &mut Body, key: &str, value: Expression) -> usize {
    match body.get_attribute_mut(key) {
        Some(mut attr) => {
            let decor = attr.value_mut().decor().clone();
            let target = attr.value_mut();
            *target = value;
            *target.decor_mut() = decor;
            1
        }
        None => 0,
    }
}

/// Replaces, in every block at any depth, the value of each attribute `matches` picks.
fn replace_values(body: &mut Body, matches: &dyn Fn(&Attribute) -> bool, with: &str) -> usize {
    let mut changed = 0;
    for mut attr in body.attributes_mut() {
        if !matches(attr.get()) {
            continue;
        }
        if let Ok(expr) = with.parse::<Expression>() {
            let decor = attr.value_mut().decor().clone();
            let target = attr.value_mut();
            *target = expr;
            *target.decor_mut() = decor;
            changed += 1;
        }
    }
    for block in body.blocks_mut() {
        changed += replace_values(&mut block.body, matches, with);
    }
    changed
}

/// Writes (or overwrites) a file of the module.
fn write(dir: &Path, relative: &str, content: &str) -> Result<(), TerraformError> {
    let path = dir.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| TerraformError::io(format!("cannot create {}", parent.display()), e))?;
    }
    std::fs::write(&path, content)
        .map_err(|e| TerraformError::io(format!("cannot write {}", path.display()), e))
}

/// Removes a directory of the module.
fn remove(dir: &Path, relative: &str) -> Result<(), TerraformError> {
    let path = dir.join(relative);
    std::fs::remove_dir_all(&path)
        .map_err(|e| TerraformError::io(format!("cannot remove {}", path.display()), e))
}

fn read(dir: &Path, relative: &str) -> Result<String, TerraformError> {
    let path = dir.join(relative);
    std::fs::read_to_string(&path)
        .map_err(|e| TerraformError::io(format!("cannot read {}", path.display()), e))
}

fn parse(text: &str, relative: &str) -> Result<Body, TerraformError> {
    Ok(super::tftest::parse_hcl(text, Path::new(relative))?)
}

/// Runs `edit` on every `*.tf` file of `dir`, writing back those it changed; the number of
/// changes made.
fn edit_tf_files(dir: &Path, edit: impl Fn(&mut Body) -> usize) -> Result<usize, TerraformError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| TerraformError::io(format!("cannot list {}", dir.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    let mut total = 0;
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = read(dir, &name)?;
        let mut body = parse(&text, &name)?;
        let changed = edit(&mut body);
        if changed > 0 {
            std::fs::write(&path, body.to_string())
                .map_err(|e| TerraformError::io(format!("cannot write {}", path.display()), e))?;
            total += changed;
        }
    }
    Ok(total)
}

/// A variable default a regression run guards: the run does not set the variable, and one
/// of its assertions compares with the default's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GuardedDefault {
    pub module: String,
    pub variable: String,
    /// The default, a string literal.
    pub value: String,
    /// The regression run that guards it.
    pub run: String,
}

impl GuardedDefault {
    /// The change that breaks it: another value of the same shape for the default (its
    /// first letter or digit moved on by one), so that a validation of the variable's format
    /// still accepts it and the guarding run, not the validation, is what fails.
    pub(crate) fn change(&self) -> ModuleChange {
        ModuleChange::VariableDefault {
            variable: self.variable.clone(),
            value: altered(&self.value),
        }
    }
}

/// `value` with its first ASCII letter or digit replaced by the next one (`01:00` becomes
/// `11:00`, `Managed` becomes `Nanaged`).
fn altered(value: &str) -> String {
    let next = |c: char| match c {
        '9' => '0',
        'z' => 'a',
        'Z' => 'A',
        c => char::from(c as u8 + 1),
    };
    match value
        .char_indices()
        .find(|(_, c)| c.is_ascii_alphanumeric())
    {
        Some((at, c)) => format!("{}{}{}", &value[..at], next(c), &value[at + 1..]),
        None => format!("{value}x"),
    }
}

/// The string-literal defaults of a module's variables, in file order.
fn string_defaults(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(body) = parse(&text, &path.display().to_string()) else {
            continue;
        };
        for block in body.get_blocks("variable") {
            let Some(name) = block.labels.first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            if let Some(Expression::String(value)) =
                block.body.get_attribute("default").map(|a| &a.value)
            {
                out.push((name, value.as_str().to_string()));
            }
        }
    }
    out
}

/// Whether a body's `variables` block sets `variable`.
fn sets_variable(body: &Body, variable: &str) -> bool {
    body.get_blocks("variables")
        .any(|v| v.body.get_attribute(variable).is_some())
}

/// The first module (in `modules`' order) with a guarded default: a string default that
/// one of its regression runs asserts on without setting the variable.
pub(crate) fn first_guarded_default(
    modules: &[super::module::Module],
) -> Result<GuardedDefault, crate::not_applicable::NotApplicable> {
    for module in modules {
        let Ok(text) = read(&module.dir, REGRESSION_FILE) else {
            continue;
        };
        let Ok(tests) = parse(&text, REGRESSION_FILE) else {
            continue;
        };
        for (variable, value) in string_defaults(&module.dir) {
            if value.is_empty() || sets_variable(&tests, &variable) {
                continue;
            }
            let quoted = format!("\"{value}\"");
            let guard = tests.get_blocks("run").find(|run| {
                !sets_variable(&run.body, &variable)
                    && run.body.get_blocks("assert").any(|a| {
                        a.body
                            .get_attribute("condition")
                            .is_some_and(|c| c.value.to_string().contains(&quoted))
                    })
            });
            if let Some(run) = guard.and_then(|r| r.labels.first()) {
                return Ok(GuardedDefault {
                    module: module.name.clone(),
                    variable,
                    value,
                    run: run.as_str().to_string(),
                });
            }
        }
    }
    Err(crate::not_applicable::NotApplicable::new(
        "no module has a string default that a regression run asserts on without setting it",
    ))
}

fn not_found(module: &str, what: &str) -> TerraformError {
    TerraformError::TextNotFound {
        module: module.to_string(),
        file: "its *.tf and test files".into(),
        text: what.to_string(),
    }
}

fn require(changed: usize, module: &str, what: &str) -> Result<(), TerraformError> {
    if changed == 0 {
        Err(not_found(module, what))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_is_a_change() {
        for example in EXAMPLES {
            assert!(example.parse::<ModuleChange>().is_ok(), "{example}");
        }
    }

    #[test]
    fn a_guarded_default_is_changed_keeping_its_shape() {
        assert_eq!(altered("01:00"), "11:00");
        assert_eq!(altered("Managed by Terraform"), "Nanaged by Terraform");
        assert_eq!(altered("9z"), "0z");
        assert_eq!(altered("--"), "--x");
    }

    #[test]
    fn the_first_guarded_default_is_found_and_an_unguarded_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let module = |name: &str, test: &str| {
            let root = dir.path().join(name);
            crate::test_support::write(
                &root,
                "variables.tf",
                "variable \"schedule\" {\n  default = \"01:00\"\n}\n",
            );
            crate::test_support::write(&root, REGRESSION_FILE, test);
            super::super::module::Module {
                name: name.into(),
                dir: root,
            }
        };
        let unguarded = module(
            "a",
            "run \"sets_it\" {\n  variables {\n    schedule = \"02:00\"\n  }\n  assert {\n    condition = x == \"01:00\"\n    error_message = \"e\"\n  }\n}\n",
        );
        let guarded = module(
            "b",
            "run \"keeps_it\" {\n  assert {\n    condition = x.schedule == \"01:00\"\n    error_message = \"e\"\n  }\n}\n",
        );
        assert!(first_guarded_default(std::slice::from_ref(&unguarded)).is_err());
        let found = first_guarded_default(&[unguarded, guarded]).unwrap();
        assert_eq!(
            (
                found.module.as_str(),
                found.variable.as_str(),
                found.run.as_str()
            ),
            ("b", "schedule", "keeps_it")
        );
    }
    use crate::terraform::module::Module;

    const EXAMPLES: [&str; 9] = [
        "the description defaults to \"Managed by hand\"",
        "the data size loses its unit suffix",
        "the SCSI controller is virtio-scsi-pci",
        "the health-check key algorithm is RSA",
        "the tests directory is removed",
        "the regression file is cut off in the middle of a run",
        "a regression run applies without a release comment or an assertion",
        "the regression file does not mock the tls provider",
        "a test run never finishes",
    ];

    #[test]
    fn every_sentence_reads_back_and_a_typo_does_not() {
        for sentence in EXAMPLES {
            assert!(sentence.parse::<ModuleChange>().is_ok(), "{sentence}");
        }
        for typo in [
            "the SCSI controler is virtio-scsi-pci",
            "the description defaults to Managed",
            "the data size loses its suffix",
        ] {
            assert!(typo.parse::<ModuleChange>().is_err(), "{typo}");
        }
    }

    /// A copy of one of this repository's modules, every file realigned: `=` with one
    /// space, as if `terraform fmt` had never aligned them, and indentation doubled.
    fn realigned(name: &str) -> (crate::homelab::copy::RepositoryCopy, Module) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = crate::homelab::copy::copy_repository(root, None).unwrap();
        let copy = Module::in_root(&repo.root, name).unwrap();
        let spaces = regex::Regex::new(r"(?m)^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s+=\s+").unwrap();
        for entry in walk(&copy.dir) {
            if entry.extension().is_some_and(|x| x == "tf" || x == "hcl") {
                let text = std::fs::read_to_string(&entry).unwrap();
                let text = spaces.replace_all(&text, "$1$1$2 = ").into_owned();
                std::fs::write(&entry, text).unwrap();
            }
        }
        (repo, copy)
    }

    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, String)> {
        let mut files: Vec<_> = walk(dir)
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                (p, text)
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn every_change_applies_to_a_realigned_module_and_changes_it() {
        let cases = [
            ("lxc", EXAMPLES[0]),
            ("minio", EXAMPLES[1]),
            ("monitoring-stack", EXAMPLES[2]),
            ("monitoring-stack", EXAMPLES[3]),
            ("backup", "the schedule defaults to \"12:00\""),
            ("lxc", EXAMPLES[4]),
            ("lxc", EXAMPLES[5]),
            ("vm", EXAMPLES[6]),
            ("monitoring-stack", EXAMPLES[7]),
            ("backup", EXAMPLES[8]),
        ];
        for (module, sentence) in cases {
            let (_parent, copy) = realigned(module);
            let before = snapshot(&copy.dir);
            let change: ModuleChange = sentence.parse().unwrap();
            change
                .apply(&copy)
                .unwrap_or_else(|e| panic!("{module}: {sentence}: {e}"));
            assert_ne!(snapshot(&copy.dir), before, "{module}: {sentence}");
        }
    }

    #[test]
    fn structural_edits_set_what_they_name() {
        let (_parent, copy) = realigned("lxc");
        "the description defaults to \"Managed by hand\""
            .parse::<ModuleChange>()
            .unwrap()
            .apply(&copy)
            .unwrap();
        let text = std::fs::read_to_string(copy.dir.join("variables.tf")).unwrap();
        let body = super::super::tftest::parse_hcl(&text, Path::new("variables.tf")).unwrap();
        let default = body
            .get_blocks("variable")
            .find(|b| b.has_exact_labels(&["description"]))
            .and_then(|b| b.body.get_attribute("default"))
            .map(|a| a.value.as_str().map(str::to_string));
        assert_eq!(default, Some(Some("Managed by hand".to_string())));
    }

    #[test]
    fn a_change_whose_target_is_missing_fails() {
        let (_parent, copy) = realigned("vm");
        let err = ModuleChange::KeyAlgorithm("RSA".into())
            .apply(&copy)
            .unwrap_err();
        assert!(matches!(err, TerraformError::TextNotFound { .. }), "{err}");
    }
}
