//! Reading `.tftest.hcl` files with hcl-edit, which keeps comments and byte spans: the release
//! comment just above a `run` and the line of every finding come from them (hcl-rs drops both).

use std::fmt;
use std::path::{Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

/// One `run` block of a test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBlock {
    pub name: String,
    /// 1-based line of the `run` keyword.
    pub line: usize,
    /// The `command` attribute as written (`plan`, `apply`); `None` when absent (Terraform
    /// then applies).
    pub command: Option<String>,
    pub asserts: usize,
    pub expects_failures: bool,
    /// The comment lines directly above the block (no blank line in between), without their
    /// `#` or `//` marker.
    pub comment_above: Vec<String>,
}

impl RunBlock {
    pub fn is_plan_only(&self) -> bool {
        self.command.as_deref() == Some("plan")
    }
}

/// What the suite needs from one test file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFile {
    /// Path as given to [`TestFile::parse`] (relative to the module in findings).
    pub path: PathBuf,
    pub runs: Vec<RunBlock>,
    /// Local names of the `mock_provider` blocks (`proxmox`, `tls`).
    pub mock_providers: Vec<String>,
}

/// A file that is not valid HCL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HclError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for HclError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: not valid HCL: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Parses HCL source into an hcl-edit body, naming `file` in the error.
pub fn parse_hcl(source: &str, file: &Path) -> Result<Body, HclError> {
    hcl_edit::parser::parse_body(source).map_err(|e| HclError {
        file: file.to_path_buf(),
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })
}

impl TestFile {
    /// Parses the text of a test file; `path` is only used in messages and findings.
    pub fn parse(source: &str, path: &Path) -> Result<TestFile, HclError> {
        let body = parse_hcl(source, path)?;
        let mut runs = Vec::new();
        let mut mock_providers = Vec::new();
        for block in body.blocks() {
            match block.ident.as_str() {
                "run" => runs.push(run_block(block, source)),
                "mock_provider" => {
                    if let Some(label) = block.labels.first() {
                        mock_providers.push(label.as_str().to_string());
                    }
                }
                _ => {}
            }
        }
        Ok(TestFile {
            path: path.to_path_buf(),
            runs,
            mock_providers,
        })
    }

    /// Reads and parses `module_dir/relative`.
    pub fn read(module_dir: &Path, relative: &Path) -> Result<TestFile, HclError> {
        let full = module_dir.join(relative);
        let source = std::fs::read_to_string(&full).map_err(|e| HclError {
            file: relative.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read {}: {e}", full.display()),
        })?;
        TestFile::parse(&source, relative)
    }
}

fn run_block(block: &Block, source: &str) -> RunBlock {
    let start = block.span().map_or(0, |s| s.start);
    let command = block
        .body
        .get_attribute("command")
        .map(|attr| expression_text(&attr.value));
    RunBlock {
        name: block
            .labels
            .first()
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        line: line_of(source, start),
        command,
        asserts: block
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "assert")
            .count(),
        expects_failures: block.body.get_attribute("expect_failures").is_some(),
        comment_above: comment_above(source, start),
    }
}

fn expression_text(expr: &Expression) -> String {
    match expr {
        Expression::Variable(ident) => ident.as_str().to_string(),
        Expression::String(s) => s.as_str().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// 1-based line of a byte offset.
pub fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// The comment lines directly above the line holding `offset`, top to bottom.
fn comment_above(source: &str, offset: usize) -> Vec<String> {
    let before = &source[..offset.min(source.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let mut lines: Vec<String> = Vec::new();
    for line in before[..line_start].lines().rev() {
        let trimmed = line.trim();
        let text = trimmed
            .strip_prefix('#')
            .or_else(|| trimmed.strip_prefix("//"));
        match text {
            Some(text) => lines.push(text.trim().to_string()),
            None => break,
        }
    }
    lines.reverse();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"mock_provider "proxmox" {}
mock_provider "tls" {
  override_during = plan
}

# Regression v0.7.2: tags kept.
run "tags" {
  command = plan
  assert {
    condition     = true
    error_message = "x"
  }
}

# not a release comment

run "apply_without_comment" {
  assert {
    condition     = true
    error_message = "x"
  }
  assert {
    condition     = true
    error_message = "y"
  }
}
// Regression v1.0.0: slashes work too
# second line
run "bad" {
  command = apply
  expect_failures = [var.x]
}
"#;

    #[test]
    fn runs_have_their_line_command_asserts_and_comment() {
        let file = TestFile::parse(SAMPLE, Path::new("tests/x.tftest.hcl")).unwrap();
        assert_eq!(file.mock_providers, vec!["proxmox", "tls"]);
        let names: Vec<_> = file.runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["tags", "apply_without_comment", "bad"]);
        let tags = &file.runs[0];
        assert_eq!(tags.line, 7);
        assert!(tags.is_plan_only());
        assert_eq!(tags.asserts, 1);
        assert_eq!(tags.comment_above, vec!["Regression v0.7.2: tags kept."]);
        let second = &file.runs[1];
        assert_eq!(second.line, 17);
        assert_eq!(second.command, None);
        assert_eq!(second.asserts, 2);
        assert!(
            second.comment_above.is_empty(),
            "{:?}",
            second.comment_above
        );
        let bad = &file.runs[2];
        assert_eq!(bad.command.as_deref(), Some("apply"));
        assert!(bad.expects_failures);
        assert_eq!(
            bad.comment_above,
            vec!["Regression v1.0.0: slashes work too", "second line"]
        );
    }

    #[test]
    fn a_parse_error_names_file_and_line() {
        let err = TestFile::parse(
            "run \"x\" {\n  command = plan\n  assert {\n    condition = \n",
            Path::new("tests/broken.tftest.hcl"),
        )
        .unwrap_err();
        assert_eq!(err.file, Path::new("tests/broken.tftest.hcl"));
        assert!(err.line >= 4, "{err}");
        assert!(
            err.to_string().starts_with("tests/broken.tftest.hcl:"),
            "{err}"
        );
    }
}
