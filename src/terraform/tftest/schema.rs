//! What `terraform test` (1.11) refuses when it loads a `.tftest.hcl` file, before any run:
//! the file's HCL, its block types and labels, the arguments of `run`, `assert`,
//! `plan_options` and `variables` blocks, the `command` keyword, unique run names. Taken from
//! Terraform v1.11.4's `internal/configs/test_file.go` and `checks.go` (the schemas and
//! decode rules, restated here), and checked against the real `terraform validate` by
//! `tests/tftest_differential.rs`.
//!
//! Not covered (Terraform reports them later, when it evaluates): references to things that
//! do not exist, expression types, provider and override block contents.

use std::collections::HashMap;
use std::path::Path;

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::visit::{Visit, visit_expr};

use super::{LineIndex, decode, parse_hcl, without_bom};
use crate::finding::{Finding, FindingId};

/// Finding ids of the test-file checks.
pub(crate) mod ids {
    use crate::finding::FindingId;

    /// Not HCL as Terraform reads it: a syntax error, a quoted string over two lines, bytes
    /// that are not UTF-8.
    pub(crate) const SYNTAX: FindingId = FindingId::new("tftest/syntax");
    /// A block type or argument that is not allowed where it is, or the wrong labels.
    pub(crate) const BLOCK: FindingId = FindingId::new("tftest/block");
    /// A `run` block without a name, or a name that is not an identifier.
    pub(crate) const RUN_NAME: FindingId = FindingId::new("tftest/run-name");
    /// Two `run` blocks with one name in a file.
    pub(crate) const DUPLICATE_RUN: FindingId = FindingId::new("tftest/duplicate-run");
    /// A second `variables` (or `plan_options`, `module`) block where one is allowed.
    pub(crate) const DUPLICATE_BLOCK: FindingId = FindingId::new("tftest/duplicate-block");
    /// `command` that is not the keyword `plan` or `apply` (a quoted "plan" is not).
    pub(crate) const COMMAND: FindingId = FindingId::new("tftest/command");
    /// An `assert` with a label, without `condition` or `error_message`, with another
    /// argument, or with a condition that refers to nothing.
    pub(crate) const ASSERT: FindingId = FindingId::new("tftest/assert");
    /// `plan_options` with an unknown argument or a `mode` that is not normal/refresh-only.
    pub(crate) const PLAN_OPTIONS: FindingId = FindingId::new("tftest/plan-options");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "tftest",
        ids::SYNTAX,
        crate::finding::Depth::Offline,
        "a test file that is not HCL as Terraform reads it",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::BLOCK,
        crate::finding::Depth::Offline,
        "a block or argument not allowed where it is in a test file",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::RUN_NAME,
        crate::finding::Depth::Offline,
        "a run block without a name, or a name that is not an identifier",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::DUPLICATE_RUN,
        crate::finding::Depth::Offline,
        "two run blocks with one name in a test file",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::DUPLICATE_BLOCK,
        crate::finding::Depth::Offline,
        "a second variables, plan_options or module block where one is allowed",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::COMMAND,
        crate::finding::Depth::Offline,
        "a command that is not the keyword plan or apply",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::ASSERT,
        crate::finding::Depth::Offline,
        "an assert block Terraform refuses (label, missing condition or error_message)",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::PLAN_OPTIONS,
        crate::finding::Depth::Offline,
        "plan_options with an unknown argument or mode",
    ),
];

/// Top-level blocks of a test file and the number of labels each takes.
const FILE_BLOCKS: [(&str, usize); 7] = [
    ("run", 1),
    ("provider", 1),
    ("mock_provider", 1),
    ("variables", 0),
    ("override_resource", 0),
    ("override_data", 0),
    ("override_module", 0),
];

const RUN_ATTRIBUTES: [&str; 4] = ["command", "providers", "expect_failures", "state_key"];

const RUN_BLOCKS: [&str; 7] = [
    "plan_options",
    "assert",
    "variables",
    "module",
    "override_resource",
    "override_data",
    "override_module",
];

const PLAN_OPTIONS_ATTRIBUTES: [&str; 4] = ["mode", "refresh", "replace", "target"];

/// Every finding Terraform's loading of one test file would give; `file` names it.
pub fn check_file(bytes: &[u8], file: &str) -> Vec<Finding> {
    let path = Path::new(file);
    let syntax = |e: super::HclError| {
        vec![
            Finding::new(ids::SYNTAX, file, format!("not valid HCL: {}", e.message))
                .at(e.line())
                .found(format!("column {}", e.column)),
        ]
    };
    let source = match decode(bytes, path) {
        Ok(source) => source,
        Err(e) => return syntax(e),
    };
    let body = match parse_hcl(&source, path) {
        Ok(body) => body,
        Err(e) => return syntax(e),
    };
    let source = without_bom(&source);
    let mut checker = Checker {
        file,
        index: LineIndex::new(source),
        findings: Vec::new(),
    };
    checker.file_body(&body);
    checker.findings.sort_by_key(|f| f.line);
    checker.findings
}

struct Checker<'f> {
    file: &'f str,
    index: LineIndex,
    findings: Vec<Finding>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        id: FindingId,
        offset: Option<usize>,
        subject: Option<&str>,
        message: String,
    ) {
        let mut finding =
            Finding::new(id, self.file, message).at(offset.map(|o| self.index.line_of(o)));
        if let Some(subject) = subject {
            finding = finding.about(subject);
        }
        self.findings.push(finding);
    }

    fn file_body(&mut self, body: &Body) {
        for attr in body.attributes() {
            self.push(
                ids::BLOCK,
                start(attr.span()),
                None,
                format!(
                    "the argument {:?} is not allowed at the top of a test file",
                    attr.key.as_str()
                ),
            );
        }
        let mut runs: HashMap<String, usize> = HashMap::new();
        let mut providers: HashMap<String, usize> = HashMap::new();
        let mut variables_seen = false;
        for block in body.blocks() {
            let kind = block.ident.as_str();
            let at = start(block.span());
            let Some(&(_, labels)) = FILE_BLOCKS.iter().find(|(name, _)| *name == kind) else {
                self.push(
                    ids::BLOCK,
                    at,
                    None,
                    format!("blocks of type {kind:?} are not expected in a test file"),
                );
                continue;
            };
            if kind == "run" {
                self.run(block, &mut runs);
                continue;
            }
            if block.labels.len() != labels {
                self.push(
                    ids::BLOCK,
                    at,
                    None,
                    format!(
                        "a {kind} block takes {labels} label(s), this one has {}",
                        block.labels.len()
                    ),
                );
            }
            if matches!(kind, "provider" | "mock_provider")
                && let Some(label) = block.labels.first()
                && !is_provider_name(label.as_str())
            {
                self.push(
                    ids::BLOCK,
                    at,
                    Some(label.as_str()),
                    format!(
                        "{:?} is not a provider local name (lower-case letters, digits, - and _, \
                         starting with a letter)",
                        label.as_str()
                    ),
                );
            }
            if matches!(kind, "provider" | "mock_provider")
                && let Some(label) = block.labels.first()
            {
                let alias = block
                    .body
                    .get_attribute("alias")
                    .map(|a| literal_text(&a.value));
                let key = match &alias {
                    Some(Some(alias)) => format!("{}.{alias}", label.as_str()),
                    _ => label.as_str().to_string(),
                };
                if let Some(first) = providers.get(&key) {
                    self.push(
                        ids::DUPLICATE_BLOCK,
                        at,
                        Some(label.as_str()),
                        format!("a second provider block for {key} (the first is on line {first})"),
                    );
                } else {
                    providers.insert(key, at.map_or(0, |o| self.index.line_of(o)));
                }
                if let Some(alias) = alias
                    && !alias.as_deref().is_some_and(is_identifier)
                {
                    self.push(
                        ids::BLOCK,
                        at,
                        Some(label.as_str()),
                        "alias must be a quoted name (letters, digits, _ and -)".into(),
                    );
                }
                if kind == "mock_provider" {
                    self.mock_provider(block, label.as_str());
                }
            }
            if kind == "variables" {
                if variables_seen {
                    self.push(
                        ids::DUPLICATE_BLOCK,
                        at,
                        None,
                        "a second variables block in the file".into(),
                    );
                }
                variables_seen = true;
                self.just_attributes(block, None);
            }
        }
    }

    fn run(&mut self, block: &Block, runs: &mut HashMap<String, usize>) {
        let at = start(block.span());
        let name = match block.labels.as_slice() {
            [label] => label_text(label),
            [] => {
                self.push(
                    ids::RUN_NAME,
                    at,
                    None,
                    "a run block needs a name: run \"name\" { ... }".into(),
                );
                return;
            }
            [first, ..] => {
                self.push(
                    ids::BLOCK,
                    at,
                    Some(&label_text(first)),
                    format!(
                        "a run block takes one label (its name), this one has {}",
                        block.labels.len()
                    ),
                );
                return;
            }
        };
        let subject = Some(name.as_str());
        if !is_identifier(&name) {
            self.push(
                ids::RUN_NAME,
                at,
                subject,
                format!(
                    "the run name {name:?} is not a valid name: letters, digits, _ and -, \
                     not starting with a digit"
                ),
            );
        }
        if let Some(&first) = runs.get(&name) {
            self.push(
                ids::DUPLICATE_RUN,
                at,
                subject,
                format!("a second run named {name:?} in this file (the first is on line {first})"),
            );
        } else {
            runs.insert(name.clone(), at.map_or(0, |o| self.index.line_of(o)));
        }
        for attr in block.body.attributes() {
            let key = attr.key.as_str();
            let attr_at = start(attr.span());
            if !RUN_ATTRIBUTES.contains(&key) {
                self.push(
                    ids::BLOCK,
                    attr_at,
                    subject,
                    format!("a run block has no argument {key:?}"),
                );
            } else if key == "expect_failures" && !is_static_traversal_list(&attr.value) {
                self.push(
                    ids::BLOCK,
                    attr_at,
                    subject,
                    "expect_failures must be a list of plain references (var.x, check.y, \
                     resource.name), no calculations"
                        .into(),
                );
            } else if key == "state_key" && literal_text(&attr.value).is_none() {
                self.push(
                    ids::BLOCK,
                    attr_at,
                    subject,
                    "state_key must be a literal string".into(),
                );
            } else if key == "providers" && !matches!(attr.value, Expression::Object(_)) {
                self.push(
                    ids::BLOCK,
                    attr_at,
                    subject,
                    "providers must be an object of provider references".into(),
                );
            } else if key == "command" && !is_keyword(&attr.value, &["plan", "apply"]) {
                self.push(
                    ids::COMMAND,
                    attr_at,
                    subject,
                    format!(
                        "command = {}: Terraform wants the keyword plan or apply, without quotes",
                        attr.value.to_string().trim()
                    ),
                );
            }
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for inner in block.body.blocks() {
            let kind = inner.ident.as_str();
            let inner_at = start(inner.span());
            if !RUN_BLOCKS.contains(&kind) {
                self.push(
                    ids::BLOCK,
                    inner_at,
                    subject,
                    format!("blocks of type {kind:?} are not expected in a run block"),
                );
                continue;
            }
            if !inner.labels.is_empty() {
                let id = if kind == "assert" {
                    ids::ASSERT
                } else {
                    ids::BLOCK
                };
                self.push(
                    id,
                    inner_at,
                    subject,
                    format!("a {kind} block takes no label"),
                );
            }
            let count = seen.entry(kind).or_default();
            *count += 1;
            if *count > 1 && matches!(kind, "variables" | "plan_options" | "module") {
                self.push(
                    ids::DUPLICATE_BLOCK,
                    inner_at,
                    subject,
                    format!("a second {kind} block in this run"),
                );
            }
            match kind {
                "assert" => self.assert(inner, subject),
                "variables" => self.just_attributes(inner, subject),
                "plan_options" => self.plan_options(inner, subject),
                _ => {}
            }
        }
    }

    fn assert(&mut self, block: &Block, run: Option<&str>) {
        let at = start(block.span());
        for inner in block.body.blocks() {
            self.push(
                ids::ASSERT,
                start(inner.span()),
                run,
                format!(
                    "blocks of type {:?} are not expected in an assert block",
                    inner.ident.as_str()
                ),
            );
        }
        for attr in block.body.attributes() {
            let key = attr.key.as_str();
            if key != "condition" && key != "error_message" {
                self.push(
                    ids::ASSERT,
                    start(attr.span()),
                    run,
                    format!("an assert block has no argument {key:?}"),
                );
            }
        }
        for required in ["condition", "error_message"] {
            if block.body.get_attribute(required).is_none() {
                self.push(
                    ids::ASSERT,
                    at,
                    run,
                    format!("an assert block needs {required}"),
                );
            }
        }
        if let Some(condition) = block.body.get_attribute("condition") {
            let mut finder = VariableFinder::default();
            finder.visit_expr(&condition.value);
            if !finder.found {
                self.push(
                    ids::ASSERT,
                    start(condition.span()),
                    run,
                    "the condition refers to nothing (a constant): Terraform refuses it, since it \
                     would check nothing"
                        .into(),
                );
            }
        }
    }

    /// A block that may only hold arguments (`variables`).
    fn just_attributes(&mut self, block: &Block, run: Option<&str>) {
        for inner in block.body.blocks() {
            self.push(
                ids::BLOCK,
                start(inner.span()),
                run,
                format!(
                    "blocks of type {:?} are not expected in a {} block",
                    inner.ident.as_str(),
                    block.ident.as_str()
                ),
            );
        }
    }

    fn plan_options(&mut self, block: &Block, run: Option<&str>) {
        for inner in block.body.blocks() {
            self.push(
                ids::PLAN_OPTIONS,
                start(inner.span()),
                run,
                format!(
                    "blocks of type {:?} are not expected in plan_options",
                    inner.ident.as_str()
                ),
            );
        }
        for attr in block.body.attributes() {
            let key = attr.key.as_str();
            if !PLAN_OPTIONS_ATTRIBUTES.contains(&key) {
                self.push(
                    ids::PLAN_OPTIONS,
                    start(attr.span()),
                    run,
                    format!("plan_options has no argument {key:?}"),
                );
            } else if matches!(key, "replace" | "target") && !is_static_traversal_list(&attr.value)
            {
                self.push(
                    ids::PLAN_OPTIONS,
                    start(attr.span()),
                    run,
                    format!("{key} must be a list of plain resource references"),
                );
            } else if key == "refresh" && literal_text(&attr.value).is_none() {
                self.push(
                    ids::PLAN_OPTIONS,
                    start(attr.span()),
                    run,
                    "refresh must be true or false".into(),
                );
            } else if key == "mode" && !is_keyword(&attr.value, &["normal", "refresh-only"]) {
                self.push(
                    ids::PLAN_OPTIONS,
                    start(attr.span()),
                    run,
                    "mode wants the keyword normal or refresh-only, without quotes".into(),
                );
            }
        }
    }
}

impl Checker<'_> {
    /// A `mock_provider` body: `alias`, `source`, `override_during`, and `mock_resource`,
    /// `mock_data` (one label: the type), `override_resource`, `override_data` blocks.
    fn mock_provider(&mut self, block: &Block, name: &str) {
        for attr in block.body.attributes() {
            let key = attr.key.as_str();
            if !["alias", "source", "override_during"].contains(&key) {
                self.push(
                    ids::BLOCK,
                    start(attr.span()),
                    Some(name),
                    format!("a mock_provider block has no argument {key:?}"),
                );
            }
        }
        for inner in block.body.blocks() {
            let kind = inner.ident.as_str();
            let labels = match kind {
                "mock_resource" | "mock_data" => 1,
                "override_resource" | "override_data" => 0,
                _ => {
                    self.push(
                        ids::BLOCK,
                        start(inner.span()),
                        Some(name),
                        format!("blocks of type {kind:?} are not expected in a mock_provider"),
                    );
                    continue;
                }
            };
            if inner.labels.len() != labels {
                self.push(
                    ids::BLOCK,
                    start(inner.span()),
                    Some(name),
                    format!("a {kind} block takes {labels} label(s)"),
                );
            }
            if labels == 1 {
                for attr in inner.body.attributes() {
                    let key = attr.key.as_str();
                    if key != "defaults" && key != "override_during" {
                        self.push(
                            ids::BLOCK,
                            start(attr.span()),
                            Some(name),
                            format!("a {kind} block has no argument {key:?}"),
                        );
                    }
                }
                for nested in inner.body.blocks() {
                    self.push(
                        ids::BLOCK,
                        start(nested.span()),
                        Some(name),
                        format!(
                            "blocks of type {:?} are not expected in a {kind} block",
                            nested.ident.as_str()
                        ),
                    );
                }
            }
        }
    }
}

/// A literal Terraform can read without evaluating anything: a string (no interpolation), a
/// number or a bool, as text.
fn literal_text(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.as_str().to_string()),
        Expression::Number(n) => Some(n.to_string()),
        Expression::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `[a.b, c.d[0]]`: a list whose items are references with attribute access and constant
/// indexes only (HCL's static traversals), as `expect_failures`, `replace` and `target` need.
fn is_static_traversal_list(expr: &Expression) -> bool {
    let Expression::Array(items) = expr else {
        return false;
    };
    items.iter().all(is_static_traversal)
}

fn is_static_traversal(expr: &Expression) -> bool {
    use hcl_edit::expr::TraversalOperator;
    match expr {
        Expression::Variable(_) => true,
        Expression::Traversal(traversal) => {
            matches!(traversal.expr, Expression::Variable(_))
                && traversal.operators.iter().all(|op| match op.value() {
                    TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_) => true,
                    TraversalOperator::Index(index) => {
                        matches!(index, Expression::Number(_) | Expression::String(_))
                    }
                    _ => false,
                })
        }
        _ => false,
    }
}

/// Whether any variable is referred to (Terraform's `Variables()` of the expression is not
/// empty). A `for` expression's own iteration variables count here, though not in Terraform.
#[derive(Default)]
struct VariableFinder {
    found: bool,
}

impl Visit for VariableFinder {
    fn visit_expr(&mut self, expr: &Expression) {
        if matches!(expr, Expression::Variable(_)) {
            self.found = true;
        } else if !self.found {
            visit_expr(self, expr);
        }
    }
}

/// Whether an expression is one of the bare keywords (`plan`, not `"plan"`). HCL reads a
/// keyword as a single-name traversal; `refresh-only` is `refresh - only` to hcl-edit.
fn is_keyword(expr: &Expression, keywords: &[&str]) -> bool {
    let text = expr.to_string();
    let text: String = text.split_whitespace().collect();
    match expr {
        Expression::Variable(ident) => keywords.contains(&ident.as_str()),
        Expression::BinaryOp(_) => keywords.contains(&text.as_str()),
        _ => false,
    }
}

fn label_text(label: &BlockLabel) -> String {
    label.as_str().to_string()
}

/// HCL's identifier: a letter or `_`, then letters, digits, `_` and `-` (Unicode letters
/// allowed, as in HCL).
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A provider local name as Terraform wants it written: normalised, so lower case.
fn is_provider_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn start(span: Option<std::ops::Range<usize>>) -> Option<usize> {
    span.map(|s| s.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids_of(source: &[u8]) -> Vec<&'static str> {
        check_file(source, "tests/t.tftest.hcl")
            .iter()
            .map(|f| f.id.as_str())
            .collect()
    }

    const ASSERT: &str =
        "  assert {\n    condition     = var.x == 1\n    error_message = \"x\"\n  }\n";

    fn run(name_and_body: &str) -> String {
        format!("run {name_and_body} {{\n  command = plan\n{ASSERT}}}\n")
    }

    #[test]
    fn a_good_file_has_no_finding() {
        let source = format!(
            "mock_provider \"proxmox\" {{}}\nvariables {{\n  x = 1\n}}\n{}{}",
            run("\"a\""),
            run("\"b-c_2\"")
        );
        assert_eq!(ids_of(source.as_bytes()), Vec::<&str>::new());
    }

    /// Issue 13, item 5: what Terraform 1.11 refuses, with the finding each gets here.
    #[test]
    fn every_refused_input_gets_its_finding() {
        let cases: Vec<(String, &str)> = vec![
            (
                format!("run \"a\" {{\n  command = \"plan\"\n{ASSERT}}}\n"),
                "tftest/command",
            ),
            ("run \"a\" {\n  command = plan\n  assert {}\n}\n".into(), "tftest/assert"),
            (
                "run \"a\" {\n  command = plan\n  assert \"x\" {\n    condition = var.x\n    error_message = \"x\"\n  }\n}\n".into(),
                "tftest/assert",
            ),
            (run(""), "tftest/run-name"),
            (run("\"a\" \"b\""), "tftest/block"),
            (format!("{}{}", run("\"a\""), run("\"a\"")), "tftest/duplicate-run"),
            (
                "run \"a\" {\n  command = plan\n  assert {\n    condition = var.x\n    error_message = \"one\ntwo\"\n  }\n}\n".into(),
                "tftest/syntax",
            ),
            (run("\"1a\""), "tftest/run-name"),
            (run("\"a b\""), "tftest/run-name"),
            (format!("{}x = 1\n", run("\"a\"")), "tftest/block"),
            (format!("{}resource \"a\" \"b\" {{}}\n", run("\"a\"")), "tftest/block"),
            ("run \"a\" {\n  comand = plan\n}\n".into(), "tftest/block"),
            ("run \"a\" {\n  asert {}\n}\n".into(), "tftest/block"),
            ("run \"a\" {\n  command = destroy\n}\n".into(), "tftest/command"),
            (
                "run \"a\" {\n  assert {\n    condition = true\n    error_message = \"x\"\n  }\n}\n".into(),
                "tftest/assert",
            ),
            (
                "run \"a\" {\n  assert {\n    condition = var.x\n  }\n}\n".into(),
                "tftest/assert",
            ),
            (
                "run \"a\" {\n  assert {\n    condition = var.x\n    error_message = \"x\"\n    message = \"y\"\n  }\n}\n".into(),
                "tftest/assert",
            ),
            (
                "run \"a\" {\n  variables {\n  }\n  variables {\n  }\n}\n".into(),
                "tftest/duplicate-block",
            ),
            ("variables {\n}\nvariables {\n}\n".into(), "tftest/duplicate-block"),
            ("mock_provider {}\n".into(), "tftest/block"),
            ("mock_provider \"a\" \"b\" {}\n".into(), "tftest/block"),
            ("mock_provider \"prox<mox\" {}\n".into(), "tftest/block"),
            ("mock_provider \"a\" {}\nmock_provider \"a\" {}\n".into(), "tftest/duplicate-block"),
            ("mock_provider \"a\" {\n  ovrride_during = plan\n}\n".into(), "tftest/block"),
            ("mock_provider \"a\" {\n  mock_resource {}\n}\n".into(), "tftest/block"),
            ("run \"a\" {\n  expect_failures = [v/ar.mode]\n}\n".into(), "tftest/block"),
            ("run \"a\" {\n  expect_failures = var.mode\n}\n".into(), "tftest/block"),
            ("run \"a\" {\n  state_key = var.x\n}\n".into(), "tftest/block"),
            ("provider \"Proxmox\" {}\n".into(), "tftest/block"),
            ("variables \"x\" {}\n".into(), "tftest/block"),
            ("variables {\n  inner {}\n}\n".into(), "tftest/block"),
            (
                "run \"a\" {\n  plan_options {\n    mode = \"normal\"\n  }\n}\n".into(),
                "tftest/plan-options",
            ),
            ("run \"a\" {\n".into(), "tftest/syntax"),
        ];
        for (source, id) in cases {
            let found = ids_of(source.as_bytes());
            assert!(
                found.contains(&id),
                "{source}\nexpected {id}, found {found:?}"
            );
        }
    }

    #[test]
    fn a_bom_a_huge_number_and_refresh_only_are_accepted() {
        let mut source = "\u{feff}variables {\n  x = 1e309\n}\n".to_string();
        source.push_str(
            "run \"a\" {\n  command = plan\n  plan_options {\n    mode = refresh-only\n  }\n",
        );
        source.push_str(ASSERT);
        source.push_str("}\n");
        assert_eq!(ids_of(source.as_bytes()), Vec::<&str>::new());
    }

    #[test]
    fn invalid_utf8_is_reported_at_the_line_of_its_first_bad_byte() {
        // In a comment Terraform lets it through.
        let in_comment = b"run \"a\" {\n  command = plan\n  # \xff\n}\n";
        assert!(check_file(in_comment, "t.tftest.hcl").is_empty());
        let findings = check_file(
            b"run \"a\" {\n  command = plan\n  state_key = \"\xff\"\n}\n",
            "t.tftest.hcl",
        );
        assert_eq!(findings.len(), 1);
        assert!(findings[0].is("tftest/syntax", None));
        assert_eq!(findings[0].line, Some(3));
    }

    #[test]
    fn findings_name_the_line_and_run() {
        let source = format!("{}\n{}", run("\"a\""), run("\"a\""));
        let findings = check_file(source.as_bytes(), "t.tftest.hcl");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(findings[0].is("tftest/duplicate-run", Some("a")));
        assert_eq!(findings[0].line, Some(9));
    }

    proptest::proptest! {
        /// Any bytes at all: findings or none, never a panic.
        #[test]
        fn any_bytes_are_checked_without_panicking(bytes in proptest::collection::vec(
            proptest::sample::select(b"{}[]()=\",.#/*\\ \n\t$%<-_019eEabrunz:\xff".to_vec()), 0..300)) {
            let _ = check_file(&bytes, "any.tftest.hcl");
        }
    }
}
