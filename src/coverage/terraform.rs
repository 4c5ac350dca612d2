//! Terraform coverage: which `terraform test` runs touch each element of every module and
//! environment.
//!
//! The elements are the `resource`, `data`, `output` blocks and each `validation` of a
//! `variable` of a directory's `.tf` files. A run touches an element when one of its
//! `assert` conditions refers to it (`proxmox_virtual_environment_vm.this.cpu[0].cores`,
//! `data.x.y.id`, `output.vm_id`; `module.m.out` is output `out` of the local module `m`
//! calls), or when its `expect_failures` lists it (`var.cores` exercises every validation
//! of `cores`). Read statically from the `.tftest.hcl` files with the suite's own HCL reader
//! ([`crate::terraform::tftest::parse_hcl`]): a reference is what the test author wrote,
//! whether or not the run passes (its verdict is the `terraform test` scenarios').
//!
//! A run with a `module { source = ... }` block tests that module instead of its directory;
//! one whose source is not a module or environment of the homelab (a setup helper) touches
//! nothing listed here.

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::visit::{Visit, visit_expr};

use crate::coverage::model::{CaseKind, CaseRef, ElementKind, TerraformElement};
use crate::homelab::repo_fs::RepoFs;
use crate::homelab::{ParsedConfig, TerraformDir, environments, modules};
use crate::terraform::tftest::{LineIndex, parse_hcl};

/// Every element of every module and environment of the homelab at `root`, in the
/// homelab's order (modules, then environments; each directory's elements by file and
/// line), with the runs that touch each. A root discovery refuses has nothing to list; a
/// test file that cannot be read or parsed touches nothing (the `terraform test` scenarios
/// report it).
pub(crate) fn collect(root: &Path) -> Vec<TerraformElement> {
    let Ok(fs) = RepoFs::new(root) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    let mut dirs = modules(&fs, &mut errors).unwrap_or_default();
    dirs.extend(environments(&fs, &mut errors));
    let mut elements: Vec<TerraformElement> = dirs
        .iter()
        .flat_map(|(dir, config)| elements_of(dir, config))
        .collect();
    let by_dir: BTreeMap<&str, &TerraformDir> =
        dirs.iter().map(|(d, _)| (d.dir.as_str(), d)).collect();
    for (dir, _) in &dirs {
        for test_file in &dir.test_files {
            let file = format!("{}/{test_file}", dir.dir);
            let Ok(source) = std::fs::read_to_string(fs.root().join(&file)) else {
                continue;
            };
            let Ok(body) = parse_hcl(&source, Path::new(&file)) else {
                continue;
            };
            for touch in touches(dir, &by_dir, &file, &source, &body) {
                for element in elements.iter_mut().filter(|e| touch.matches(e)) {
                    if !element.covered_by.contains(&touch.case) {
                        element.covered_by.push(touch.case.clone());
                    }
                }
            }
        }
    }
    for element in &mut elements {
        element.covered_by.sort();
    }
    elements
}

/// The elements a directory's `.tf` files declare.
fn elements_of(dir: &TerraformDir, config: &ParsedConfig) -> Vec<TerraformElement> {
    let mut found = Vec::new();
    for (file, text, body) in &config.files {
        let element = |kind, address: String, block: &Block| TerraformElement {
            directory: dir.dir.clone(),
            kind,
            address,
            file: file.clone(),
            line: u32::try_from(ParsedConfig::line_of(text, block.span())).ok(),
            covered_by: Vec::new(),
        };
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.ident.as_str(), labels.as_slice()) {
                ("resource", [kind, name]) => {
                    found.push(element(
                        ElementKind::Resource,
                        format!("{kind}.{name}"),
                        block,
                    ));
                }
                ("data", [kind, name]) => found.push(element(
                    ElementKind::DataSource,
                    format!("data.{kind}.{name}"),
                    block,
                )),
                ("output", [name]) => {
                    found.push(element(
                        ElementKind::Output,
                        format!("output.{name}"),
                        block,
                    ));
                }
                ("variable", [name]) => {
                    for validation in block.body.get_blocks("validation") {
                        found.push(element(
                            ElementKind::Validation,
                            format!("var.{name}"),
                            validation,
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// A run's reference to an element of a directory.
#[derive(Debug)]
struct Touch {
    directory: String,
    /// `output.x`, `data.t.n`, `t.n`, `var.x`.
    address: String,
    case: CaseRef,
}

impl Touch {
    fn matches(&self, element: &TerraformElement) -> bool {
        element.directory == self.directory && element.address == self.address
    }
}

/// The references of every run of one test file of `dir`.
fn touches(
    dir: &TerraformDir,
    dirs: &BTreeMap<&str, &TerraformDir>,
    file: &str,
    source: &str,
    body: &Body,
) -> Vec<Touch> {
    let index = LineIndex::new(crate::terraform::tftest::without_bom(source));
    let mut found = Vec::new();
    for run in body.get_blocks("run") {
        let Some(target) = run_target(dir, dirs, &run.body) else {
            continue;
        };
        let case = CaseRef {
            kind: CaseKind::TerraformTest,
            name: run
                .labels
                .first()
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            file: file.to_string(),
            line: u32::try_from(index.line_of(run.span().map_or(0, |s| s.start))).ok(),
        };
        let mut references = References::default();
        for assert in run.body.get_blocks("assert") {
            if let Some(condition) = assert.body.get_attribute("condition") {
                references.visit_expr(&condition.value);
            }
        }
        if let Some(expected) = run.body.get_attribute("expect_failures") {
            references.visit_expr(&expected.value);
        }
        for reference in references.found {
            let (directory, address) = match reference {
                Reference::Own(address) => (target.dir.clone(), address),
                Reference::ModuleOutput { call, output } => {
                    let Some(called) = target
                        .module_calls
                        .iter()
                        .find(|c| c.name == call)
                        .and_then(|c| c.local_dir.clone())
                    else {
                        continue;
                    };
                    (called, format!("output.{output}"))
                }
            };
            found.push(Touch {
                directory,
                address,
                case: case.clone(),
            });
        }
    }
    found
}

/// The directory a run tests: its own, or the one its `module { source = ... }` names
/// (relative to the directory under test); `None` when that is not a module or
/// environment of the homelab.
fn run_target<'d>(
    dir: &'d TerraformDir,
    dirs: &BTreeMap<&str, &'d TerraformDir>,
    run: &Body,
) -> Option<&'d TerraformDir> {
    let Some(module) = run.get_blocks("module").next() else {
        return Some(dir);
    };
    let source = module.body.get_attribute("source")?.value.as_str()?;
    let target = crate::paths::normalize(&Path::new(&dir.dir).join(source));
    dirs.get(target.to_string_lossy().as_ref()).copied()
}

/// What an expression refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reference {
    /// An element of the directory under test: `type.name`, `data.type.name`, `output.x`,
    /// `var.x`.
    Own(String),
    /// `module.call.output`.
    ModuleOutput { call: String, output: String },
}

/// Every reference in an expression, each once.
#[derive(Default)]
struct References {
    found: Vec<Reference>,
}

/// Names that are not resources: Terraform's own namespaces in a test's expressions.
const NOT_RESOURCES: &[&str] = &[
    "local",
    "run",
    "each",
    "count",
    "path",
    "terraform",
    "self",
    "provider",
];

impl Visit for References {
    fn visit_traversal(&mut self, traversal: &Traversal) {
        if let Some(reference) = reference_of(traversal)
            && !self.found.contains(&reference)
        {
            self.found.push(reference);
        }
        hcl_edit::visit::visit_traversal(self, traversal);
    }

    fn visit_expr(&mut self, expr: &Expression) {
        visit_expr(self, expr);
    }
}

/// The element a traversal starts with, when it names one: the root name and the
/// attribute names after it (indexes skipped: `x.this[0].cpu` is `x.this`).
fn reference_of(traversal: &Traversal) -> Option<Reference> {
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let root = root.as_str();
    let mut attributes = traversal
        .operators
        .iter()
        .take_while(|op| {
            !matches!(
                op.value(),
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_)
            )
        })
        .filter_map(|op| match op.value() {
            TraversalOperator::GetAttr(name) => Some(name.as_str().to_string()),
            _ => None,
        });
    match root {
        "output" | "var" => Some(Reference::Own(format!("{root}.{}", attributes.next()?))),
        "data" => {
            let kind = attributes.next()?;
            Some(Reference::Own(format!(
                "data.{kind}.{}",
                attributes.next()?
            )))
        }
        "module" => {
            let call = attributes.next()?;
            Some(Reference::ModuleOutput {
                call,
                output: attributes.next()?,
            })
        }
        _ if NOT_RESOURCES.contains(&root) => None,
        kind => Some(Reference::Own(format!("{kind}.{}", attributes.next()?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::write;

    const MODULE: &str = "infrastructure/proxmox/modules/vm";

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            &format!("{MODULE}/main.tf"),
            r#"resource "proxmox_virtual_environment_vm" "this" {
  cpu {
    cores = var.cores
  }
}

data "proxmox_virtual_environment_nodes" "all" {}

resource "proxmox_virtual_environment_firewall_rules" "this" {}
"#,
        );
        write(
            root,
            &format!("{MODULE}/variables.tf"),
            r#"variable "cores" {
  type = number
  validation {
    condition     = var.cores > 0
    error_message = "At least one core."
  }
}

variable "name" {
  type = string
}
"#,
        );
        write(
            root,
            &format!("{MODULE}/outputs.tf"),
            "output \"vm_id\" {\n  value = 1\n}\n\noutput \"ip\" {\n  value = \"x\"\n}\n",
        );
        write(
            root,
            &format!("{MODULE}/tests/plan.tftest.hcl"),
            r#"mock_provider "proxmox" {}

run "cores_are_set" {
  command = plan
  assert {
    condition     = proxmox_virtual_environment_vm.this.cpu[0].cores == 2
    error_message = "cores ${output.ip}"
  }
}

run "the_id_is_an_output" {
  command = plan
  assert {
    condition     = output.vm_id == 1 && length(data.proxmox_virtual_environment_nodes.all.names) > 0
    error_message = "id"
  }
}

run "zero_cores_are_refused" {
  command = plan
  variables {
    cores = 0
  }
  expect_failures = [var.cores]
}
"#,
        );
        dir
    }

    fn element<'e>(elements: &'e [TerraformElement], address: &str) -> &'e TerraformElement {
        elements
            .iter()
            .find(|e| e.address == address)
            .unwrap_or_else(|| panic!("no element {address} in {elements:#?}"))
    }

    fn runs(element: &TerraformElement) -> Vec<&str> {
        element.covered_by.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn every_element_is_listed_with_the_runs_that_touch_it() {
        let dir = repo();
        let elements = collect(dir.path());
        assert_eq!(elements.len(), 6, "{elements:#?}");
        let vm = element(&elements, "proxmox_virtual_environment_vm.this");
        assert_eq!(vm.kind, ElementKind::Resource);
        assert_eq!(runs(vm), ["cores_are_set"]);
        assert_eq!(vm.covered_by[0].kind, CaseKind::TerraformTest);
        assert_eq!(
            vm.covered_by[0].file,
            format!("{MODULE}/tests/plan.tftest.hcl")
        );
        assert_eq!(vm.covered_by[0].line, Some(3));
        assert_eq!(vm.file, format!("{MODULE}/main.tf"));
        assert_eq!(vm.line, Some(1));
        let nodes = element(&elements, "data.proxmox_virtual_environment_nodes.all");
        assert_eq!(nodes.kind, ElementKind::DataSource);
        assert_eq!(runs(nodes), ["the_id_is_an_output"]);
    }

    #[test]
    fn an_assert_on_an_output_covers_the_output_and_an_error_message_does_not() {
        let dir = repo();
        let elements = collect(dir.path());
        assert_eq!(
            runs(element(&elements, "output.vm_id")),
            ["the_id_is_an_output"]
        );
        assert!(element(&elements, "output.ip").covered_by.is_empty());
    }

    #[test]
    fn expect_failures_covers_the_validation() {
        let dir = repo();
        let elements = collect(dir.path());
        let validation = element(&elements, "var.cores");
        assert_eq!(validation.kind, ElementKind::Validation);
        assert_eq!(validation.line, Some(3));
        assert_eq!(runs(validation), ["zero_cores_are_refused"]);
        assert!(!elements.iter().any(|e| e.address == "var.name"));
    }

    #[test]
    fn an_element_no_run_references_is_uncovered() {
        let dir = repo();
        let elements = collect(dir.path());
        let rules = element(&elements, "proxmox_virtual_environment_firewall_rules.this");
        assert!(rules.covered_by.is_empty());
    }

    #[test]
    fn a_module_output_asserted_by_an_environment_covers_the_module_output() {
        let dir = repo();
        let root = dir.path();
        write(
            root,
            "infrastructure/proxmox/environments/prod/main.tf",
            "module \"web\" {\n  source = \"../../modules/vm\"\n}\n",
        );
        write(
            root,
            "infrastructure/proxmox/environments/prod/tests/env.tftest.hcl",
            "run \"web_has_an_ip\" {\n  command = plan\n  assert {\n    condition     = module.web.ip != \"\"\n    error_message = \"ip\"\n  }\n}\n",
        );
        let elements = collect(root);
        assert_eq!(runs(element(&elements, "output.ip")), ["web_has_an_ip"]);
    }

    #[test]
    fn a_run_of_a_setup_module_touches_nothing_listed() {
        let dir = repo();
        let root = dir.path();
        write(
            root,
            &format!("{MODULE}/tests/setup.tftest.hcl"),
            "run \"setup\" {\n  module {\n    source = \"./tests/setup\"\n  }\n  assert {\n    condition     = output.ip != \"\"\n    error_message = \"x\"\n  }\n}\n",
        );
        let elements = collect(root);
        assert!(element(&elements, "output.ip").covered_by.is_empty());
    }

    #[test]
    fn this_repository_lists_every_module_and_its_regression_runs_cover_outputs() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = crate::homelab::Homelab::discover(root).unwrap();
        let (elements, cpu) = crate::timing::cpu_time_of(|| collect(root));
        eprintln!(
            "terraform coverage of this repository: {} elements in {cpu:?} CPU",
            elements.len()
        );
        for module in &homelab.modules {
            assert!(
                elements.iter().any(|e| e.directory == module.dir),
                "{} has no element",
                module.dir
            );
        }
        let endpoint = elements
            .iter()
            .find(|e| e.directory.ends_with("/minio") && e.address == "output.endpoint_url")
            .unwrap();
        assert!(
            endpoint
                .covered_by
                .iter()
                .any(|c| c.name == "endpoint_url_output_exists"),
            "{endpoint:#?}"
        );
    }
}
