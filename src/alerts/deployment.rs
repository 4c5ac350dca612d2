//! The monitoring-stack module ships the rules file: one of its Terraform files reads
//! `files/prometheus/alerts/default.yml` (through `file()`, `templatefile()`, ...) into what
//! it deploys, so the rules checked by this suite are the rules Prometheus runs.
//!
//! The module's `*.tf` files are parsed with hcl-edit (which keeps spans, for the line) and
//! every function call is visited; comments and strings outside a call do not count.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::FuncCall;
use hcl_edit::visit::{Visit, visit_func_call};

/// Functions that read a file's content into the configuration.
const READERS: [&str; 4] = ["file", "templatefile", "filebase64", "fileset"];

/// Where the module reads the rules file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReference {
    pub tf_file: PathBuf,
    pub line: usize,
    pub function: String,
    /// The path argument as written, with a `local.x` replaced by the local's value, e.g.
    /// `"${path.module}/files/prometheus/alerts/default.yml"`.
    pub argument: String,
}

/// The module's `locals` values as HCL text, to follow `file(local.rules)`.
fn locals(bodies: &[(PathBuf, String, hcl_edit::structure::Body)]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (_, _, body) in bodies {
        for block in body.get_blocks("locals") {
            for attribute in block.body.attributes() {
                out.insert(
                    attribute.key.as_str().to_string(),
                    attribute.value.to_string().trim().to_string(),
                );
            }
        }
    }
    out
}

struct Calls<'a> {
    wanted: &'a str,
    locals: &'a HashMap<String, String>,
    found: Vec<(usize, String, String)>,
}

impl Calls<'_> {
    /// The argument's text, through one `local.x` if it is one.
    fn argument_text(&self, argument: &str) -> String {
        let argument = argument.trim();
        argument
            .strip_prefix("local.")
            .and_then(|name| self.locals.get(name))
            .cloned()
            .unwrap_or_else(|| argument.to_string())
    }
}

impl Visit for Calls<'_> {
    fn visit_func_call(&mut self, node: &FuncCall) {
        let name = node.name.name.as_str();
        if READERS.contains(&name)
            && let Some(first) = node.args.iter().next()
        {
            let argument = self.argument_text(&first.to_string());
            if argument.contains(self.wanted) {
                let offset = node.span().map_or(0, |s| s.start);
                self.found.push((offset, name.to_string(), argument));
            }
        }
        visit_func_call(self, node);
    }
}

/// Why the module does not (provably) ship the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeploymentError {
    #[error("the module {module} is not there ({reason}); it must ship {file} to Prometheus")]
    NoModule {
        module: String,
        file: String,
        reason: String,
    },
    #[error("the module {module} has no .tf files yet; it must ship {file} to Prometheus")]
    NoTfFiles { module: String, file: String },
    #[error("cannot read {file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error(
        "no file(), templatefile() or filebase64() call in {module} ({tf_files}) reads {file}; the module does not ship the rules file this suite checks"
    )]
    NotShipped {
        module: String,
        tf_files: String,
        file: String,
    },
}

/// Finds the call in `module_dir/*.tf` that reads `relative` (a path inside the module),
/// directly or through a local value.
pub fn find_reference(module_dir: &Path, relative: &str) -> Result<FileReference, DeploymentError> {
    let entries = std::fs::read_dir(module_dir).map_err(|e| DeploymentError::NoModule {
        module: module_dir.display().to_string(),
        file: relative.to_string(),
        reason: e.to_string(),
    })?;
    let mut tf_files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    tf_files.sort();
    if tf_files.is_empty() {
        return Err(DeploymentError::NoTfFiles {
            module: module_dir.display().to_string(),
            file: relative.to_string(),
        });
    }
    let mut bodies = Vec::new();
    for tf in &tf_files {
        let text = std::fs::read_to_string(tf).map_err(|e| DeploymentError::Unreadable {
            file: tf.display().to_string(),
            reason: e.to_string(),
        })?;
        let body =
            hcl_edit::parser::parse_body(&text).map_err(|e| DeploymentError::Unreadable {
                file: tf.display().to_string(),
                reason: format!("not valid HCL: {e}"),
            })?;
        bodies.push((tf.clone(), text, body));
    }
    let locals = locals(&bodies);
    for (tf, text, body) in &bodies {
        let mut calls = Calls {
            wanted: relative,
            locals: &locals,
            found: Vec::new(),
        };
        calls.visit_body(body);
        if let Some((offset, function, argument)) = calls.found.into_iter().next() {
            let line = text[..offset.min(text.len())].matches('\n').count() + 1;
            return Ok(FileReference {
                tf_file: tf.clone(),
                line,
                function,
                argument,
            });
        }
    }
    let names: Vec<String> = tf_files
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    Err(DeploymentError::NotShipped {
        module: module_dir.display().to_string(),
        tf_files: names.join(", "),
        file: relative.to_string(),
    })
}

/// The file a reference points at, when its path is `${path.module}/...` or relative.
pub fn resolve(reference: &FileReference, module_dir: &Path) -> Option<PathBuf> {
    let inner = reference.argument.trim().trim_matches('"');
    let relative = inner
        .strip_prefix("${path.module}/")
        .or_else(|| (!inner.contains("${")).then_some(inner))?;
    Some(module_dir.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = "files/prometheus/alerts/default.yml";

    fn module(tf: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), tf).unwrap();
        dir
    }

    #[test]
    fn a_templatefile_argument_that_reads_the_rules_is_found() {
        let dir = module(
            "# file(\"files/prometheus/alerts/default.yml\") in a comment does not count\n\
             locals {\n  cloud_init = templatefile(\"${path.module}/templates/cloud-init.tftpl\", {\n    alert_rules = file(\"${path.module}/files/prometheus/alerts/default.yml\")\n  })\n}\n",
        );
        let found = find_reference(dir.path(), RULES).unwrap();
        assert_eq!(found.function, "file");
        assert_eq!(found.line, 4);
        assert_eq!(resolve(&found, dir.path()).unwrap(), dir.path().join(RULES));
    }

    #[test]
    fn a_call_through_a_local_value_is_followed() {
        let dir = module(
            "locals {\n  alert_rules_file = \"${path.module}/files/prometheus/alerts/default.yml\"\n}\n\
             locals {\n  cloud_init = yamlencode({\n    write_files = [\n      { content = file(local.alert_rules_file) },\n    ]\n  })\n}\n",
        );
        let found = find_reference(dir.path(), RULES).unwrap();
        assert_eq!(found.function, "file");
        assert_eq!(found.line, 7);
        assert_eq!(
            found.argument,
            "\"${path.module}/files/prometheus/alerts/default.yml\""
        );
        assert_eq!(resolve(&found, dir.path()).unwrap(), dir.path().join(RULES));
    }

    #[test]
    fn a_local_that_is_never_read_is_not_a_reference() {
        let dir = module(
            "locals {\n  alert_rules_file = \"${path.module}/files/prometheus/alerts/default.yml\"\n}\n",
        );
        assert!(find_reference(dir.path(), RULES).is_err());
    }

    #[test]
    fn a_comment_or_another_file_is_not_a_reference() {
        let dir = module(
            "# file(\"${path.module}/files/prometheus/alerts/default.yml\")\nlocals {\n  x = file(\"${path.module}/files/other.yml\")\n}\n",
        );
        let err = find_reference(dir.path(), RULES).unwrap_err();
        assert!(matches!(err, DeploymentError::NotShipped { .. }), "{err}");
    }

    #[test]
    fn a_missing_module_is_named() {
        let err = find_reference(Path::new("/no/such/module"), RULES).unwrap_err();
        assert!(
            matches!(&err, DeploymentError::NoModule { module, .. } if module == "/no/such/module"),
            "{err}"
        );
    }
}
