//! Reading `.tftest.hcl` files with hcl-edit, which keeps comments and byte spans: the release
//! comment just above a `run` and the line of every finding come from them (hcl-rs drops both).

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use hcl_edit::Span as _;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body};

mod lexer;
pub(crate) mod schema;

pub use schema::check_file;

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
    pub(crate) expects_failures: bool,
    /// The comment lines directly above the block (no blank line in between), without their
    /// `#` or `//` marker.
    pub(crate) comment_above: Vec<String>,
}

impl RunBlock {
    pub(crate) fn is_plan_only(&self) -> bool {
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
    pub(crate) mock_providers: Vec<String>,
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

impl HclError {
    /// The 1-based line, `None` when the file could not be read at all.
    pub fn line(&self) -> Option<usize> {
        (self.line > 0).then_some(self.line)
    }
}

/// Parses HCL source into an hcl-edit body, naming `file` in the error. Reads what Terraform
/// reads: a leading UTF-8 byte order mark is skipped, and a number too large for an f64
/// (`1e309`, which Terraform keeps as a big float) parses; a quoted string that runs over a
/// line end is an error, as in Terraform. Offsets in the body are relative to
/// [`without_bom`]`(source)`.
pub(crate) fn parse_hcl(source: &str, file: &Path) -> Result<Body, HclError> {
    let source = without_bom(source);
    let lexed = lexer::scan(source);
    if let Some(offset) = lexed.multi_line_string {
        let index = LineIndex::new(source);
        return Err(HclError {
            file: file.to_path_buf(),
            line: index.line_of(offset),
            column: index.column_of(source, offset),
            message: "a quoted string runs over the end of its line (Terraform: \
                      \"Invalid multi-line string\"); use a heredoc or \\n"
                .into(),
        });
    }
    let patched;
    let text = if lexed.huge_numbers.is_empty() {
        source
    } else {
        patched = lexer::zero_numbers(source, &lexed.huge_numbers);
        patched.as_str()
    };
    hcl_edit::parser::parse_body(text).map_err(|e| HclError {
        file: file.to_path_buf(),
        line: e.location().line(),
        column: e.location().column(),
        message: e.message().to_string(),
    })
}

/// The source without a leading UTF-8 byte order mark (Terraform ignores it).
pub(crate) fn without_bom(source: &str) -> &str {
    source.strip_prefix('\u{feff}').unwrap_or(source)
}

/// The bytes of a file as text. Bytes that are not UTF-8 are an error at the line and
/// column of the first one (Terraform refuses them in code and strings) unless every one is
/// inside a comment, where Terraform lets them through (they become U+FFFD here; line
/// numbers do not change).
pub(crate) fn decode<'a>(bytes: &'a [u8], file: &Path) -> Result<Cow<'a, str>, HclError> {
    let first_bad = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Cow::Borrowed(text)),
        Err(e) => e.valid_up_to(),
    };
    let lossy = String::from_utf8_lossy(bytes);
    let comments = lexer::scan(without_bom(&lossy)).comments;
    let offset = lossy.len() - without_bom(&lossy).len();
    let all_in_comments = lossy.match_indices('\u{fffd}').all(|(at, _)| {
        comments
            .iter()
            .any(|c| c.contains(&(at.wrapping_sub(offset))))
    });
    if all_in_comments {
        return Ok(lossy);
    }
    let good = &bytes[..first_bad];
    let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    Err(HclError {
        file: file.to_path_buf(),
        line: good.iter().filter(|&&b| b == b'\n').count() + 1,
        column: good.len() - line_start + 1,
        message: "the file is not valid UTF-8 outside comments (this is its first bad byte)".into(),
    })
}

impl TestFile {
    /// Parses the text of a test file; `path` is only used in messages and findings.
    pub fn parse(source: &str, path: &Path) -> Result<TestFile, HclError> {
        let body = parse_hcl(source, path)?;
        let source = without_bom(source);
        let index = LineIndex::new(source);
        let mut runs = Vec::new();
        let mut mock_providers = Vec::new();
        for block in body.blocks() {
            match block.ident.as_str() {
                "run" => runs.push(run_block(block, source, &index)),
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
        let bytes = std::fs::read(&full).map_err(|e| HclError {
            file: relative.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read {}: {e}", full.display()),
        })?;
        TestFile::parse(&decode(&bytes, relative)?, relative)
    }
}

fn run_block(block: &Block, source: &str, index: &LineIndex) -> RunBlock {
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
        line: index.line_of(start),
        command,
        asserts: block
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == "assert")
            .count(),
        expects_failures: block.body.get_attribute("expect_failures").is_some(),
        comment_above: comment_above(source, index, start),
    }
}

fn expression_text(expr: &Expression) -> String {
    match expr {
        Expression::Variable(ident) => ident.as_str().to_string(),
        Expression::String(s) => s.as_str().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// Where each line starts, found once, so that the line of any offset is a binary search
/// (a file with thousands of runs must not be rescanned per run).
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line of a byte offset (past the end: the last line).
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }

    /// 1-based column (in bytes) of a byte offset.
    pub(crate) fn column_of(&self, source: &str, offset: usize) -> usize {
        let offset = offset.min(source.len());
        offset - self.starts[self.line_of(offset) - 1] + 1
    }

    /// The text of a 1-based line, without its line end.
    pub(crate) fn line_text<'a>(&self, source: &'a str, line: usize) -> &'a str {
        let start = self.starts[line - 1].min(source.len());
        let end = self
            .starts
            .get(line)
            .map_or(source.len(), |&next| next - 1)
            .max(start);
        let text = &source[start..end];
        text.strip_suffix('\r').unwrap_or(text)
    }
}

/// 1-based line of a byte offset. For one lookup; build a [`LineIndex`] for many.
pub fn line_of(source: &str, offset: usize) -> usize {
    LineIndex::new(source).line_of(offset)
}

/// The comment lines directly above the line holding `offset`, top to bottom.
fn comment_above(source: &str, index: &LineIndex, offset: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in (1..index.line_of(offset)).rev() {
        let trimmed = index.line_text(source, line).trim();
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

    #[test]
    fn three_thousand_runs_read_fast() {
        let mut source = String::from("mock_provider \"proxmox\" {}\n");
        for i in 0..3000 {
            source.push_str(&format!(
                "\n# Regression v0.{i}.0: run {i}.\nrun \"r{i}\" {{\n  command = plan\n  assert {{\n    condition     = var.x == {i}\n    error_message = \"x\"\n  }}\n}}\n"
            ));
        }
        let ((file, findings), elapsed) = crate::timing::cpu_time_of(|| {
            (
                TestFile::parse(&source, Path::new("t.tftest.hcl")).unwrap(),
                check_file(source.as_bytes(), "t.tftest.hcl"),
            )
        });
        assert_eq!(file.runs.len(), 3000);
        assert_eq!(file.runs[2999].line, 1 + 9 * 2999 + 3);
        assert_eq!(
            file.runs[2999].comment_above,
            ["Regression v0.2999.0: run 2999."]
        );
        assert!(findings.is_empty(), "{findings:?}");
        assert!(elapsed < std::time::Duration::from_secs(3), "{elapsed:?}");
    }

    #[test]
    fn line_index_lines_and_columns() {
        let source = "ab\n\ncd\r\ne";
        let index = LineIndex::new(source);
        assert_eq!(
            [0, 2, 3, 4, 7, 8, 99].map(|o| index.line_of(o)),
            [1, 1, 2, 3, 3, 4, 4]
        );
        assert_eq!(index.column_of(source, 5), 2);
        assert_eq!(index.line_text(source, 3), "cd");
        assert_eq!(index.line_text(source, 2), "");
        assert_eq!(line_of(source, 8), 4);
    }

    #[test]
    fn the_homelab_test_files_load_as_terraform_loads_them() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("infrastructure/proxmox/modules");
        let mut checked = 0;
        for module in std::fs::read_dir(&root).unwrap() {
            let tests = module.unwrap().path().join("tests");
            for file in std::fs::read_dir(&tests).into_iter().flatten() {
                let path = file.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let findings = check_file(&bytes, &path.display().to_string());
                assert!(findings.is_empty(), "{findings:#?}");
                checked += 1;
            }
        }
        assert!(checked >= 15, "{checked}");
    }
}
