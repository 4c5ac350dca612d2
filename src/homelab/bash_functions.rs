//! The homelab's Bash code, read from its syntax ([`super::shell_syntax`]), never run: every
//! shell script under `scripts/` at any depth (the shared libraries in `scripts/lib/` among
//! them), the functions each defines, and the lines that hold a command bash can execute.
//! What the BATS tests really executed is traced during their runs (`crate::shell::bash_trace`);
//! this is the other side of the comparison.

use std::collections::BTreeSet;
use std::path::Path;

pub use super::scripts::SCRIPTS_DIR;
use super::scripts::is_script;
use super::shell_syntax::{Node, parse};

/// One Bash file of the homelab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BashFile {
    /// Relative to the root, with `/`.
    pub path: String,
    /// Every function it defines, nested ones included: (name, 1-based line of its name).
    pub functions: Vec<(String, u32)>,
    /// The first line of every simple command (`echo`, `[[ ]]`, an assignment, `local`):
    /// what xtrace reports when bash runs it. A function's `name() {` line, comments, blank
    /// lines and closing words are not commands.
    pub(crate) command_lines: BTreeSet<u32>,
    /// The lines that open a `for`, `select` or `case` (bash traces their headers).
    pub(crate) header_lines: BTreeSet<u32>,
}

/// Every shell script under `scripts/` of the homelab at `root`, sorted by path. Links are
/// not followed (a linked file is found where it really is); dot files are skipped.
pub fn bash_files(root: &Path) -> Vec<BashFile> {
    let mut paths = Vec::new();
    walk(root, &root.join(SCRIPTS_DIR), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .filter_map(|rel| {
            let text = std::fs::read_to_string(root.join(&rel)).ok()?;
            is_script(&rel, &text).then(|| read(&rel, &text))
        })
        .collect()
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if name.starts_with('.') || kind.is_symlink() {
            continue;
        }
        if kind.is_dir() {
            walk(root, &entry.path(), out);
        } else if let Ok(rel) = entry.path().strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The functions and command lines of one script's text.
pub fn read(path: &str, text: &str) -> BashFile {
    let mut file = BashFile {
        path: path.to_string(),
        functions: Vec::new(),
        command_lines: BTreeSet::new(),
        header_lines: BTreeSet::new(),
    };
    visit(&parse(text), &mut file);
    for (i, line) in text.lines().enumerate() {
        let first = line.split_whitespace().next().unwrap_or_default();
        if ["for", "select", "case"].contains(&first) {
            file.header_lines.insert((i + 1) as u32);
        }
    }
    file
}

fn visit(nodes: &[Node], file: &mut BashFile) {
    for node in nodes {
        match node {
            Node::Simple { line, .. } => {
                if *line > 0 {
                    file.command_lines.insert(*line as u32);
                }
            }
            Node::Pipeline(stages) => visit(stages, file),
            Node::Group { body, .. } => visit(body, file),
            Node::Function { name, body, line } => {
                file.functions.push((name.clone(), *line as u32));
                visit(std::slice::from_ref(body), file);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_and_command_lines_are_read_from_the_syntax() {
        let text = "#!/usr/bin/env bash\n# a comment\nset -euo pipefail\n\ngreet() {\n    local who=\"$1\"\n    if [[ -n \"$who\" ]]; then\n        echo \"hello $who\"\n    fi\n}\n\nfunction outer {\n    inner() { :; }\n    for x in a b; do\n        inner\n    done\n}\ngreet world\n";
        let file = read("scripts/a.sh", text);
        assert_eq!(
            file.functions,
            [
                ("greet".to_string(), 5),
                ("outer".to_string(), 12),
                ("inner".to_string(), 13)
            ]
        );
        assert_eq!(
            file.command_lines.iter().copied().collect::<Vec<_>>(),
            [3, 6, 7, 8, 13, 15, 18]
        );
        assert_eq!(file.header_lines.iter().copied().collect::<Vec<_>>(), [14]);
    }

    #[test]
    fn every_script_under_scripts_is_found_with_the_libraries() {
        let dir = tempfile::tempdir().unwrap();
        crate::test_support::write(dir.path(), "scripts/lib/common.sh", "f() { :; }\n");
        crate::test_support::write(dir.path(), "scripts/ops/run.sh", "echo x\n");
        crate::test_support::write(dir.path(), "scripts/README.md", "# not a script\n");
        crate::test_support::write(dir.path(), "tests/t.bats", "@test \"x\" { :; }\n");
        let files = bash_files(dir.path());
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["scripts/lib/common.sh", "scripts/ops/run.sh"]);
    }
}
