//! Named changes to a copy of the operations scripts, for the scenarios that show the
//! textfile contract check catching a script that strays: a metric renamed, a label dropped
//! or added. Each works on the calls of the textfile library (`textfile_sample METRIC
//! VALUE label="value"...`), word by word, and fails when it changes nothing.

use std::path::Path;

use crate::copy_tree::{Links, copy_tree};

/// One change to one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptChange {
    /// Every use of the metric's name (as a whole word) becomes `to`.
    RenameMetric { from: String, to: String },
    /// The label is dropped from every sample of the metric.
    DropLabel { metric: String, label: String },
    /// Every sample of the metric gets one more label.
    AddLabel { metric: String, label: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptEditError {
    #[error("{script}: the change {change:?} changed nothing")]
    Unchanged {
        script: String,
        change: ScriptChange,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> ScriptEditError {
    move |source| ScriptEditError::Io { context, source }
}

impl ScriptChange {
    /// The script's text with the change made.
    pub(crate) fn apply_to(&self, text: &str) -> String {
        let mut out: Vec<String> = Vec::new();
        for line in text.lines() {
            out.push(match self {
                ScriptChange::RenameMetric { from, to } => replace_word(line, from, to),
                ScriptChange::DropLabel { metric, label } if is_sample_of(line, metric) => line
                    .split(' ')
                    .filter(|word| !word.starts_with(&format!("{label}=")))
                    .collect::<Vec<_>>()
                    .join(" "),
                ScriptChange::AddLabel { metric, label } if is_sample_of(line, metric) => {
                    format!("{line} {label}=stand-in")
                }
                _ => line.to_string(),
            });
        }
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}

/// A `textfile_sample METRIC ...` call.
fn is_sample_of(line: &str, metric: &str) -> bool {
    let mut words = line.split_whitespace();
    words.next() == Some("textfile_sample") && words.next() == Some(metric)
}

/// `from` replaced by `to` where it stands as a whole metric name (not inside a longer one).
fn replace_word(line: &str, from: &str, to: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name) || after.is_some_and(is_name) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Copies `root/scripts` into a new scratch directory (keeping permissions) and makes the
/// change in `script` (relative to the root).
pub fn copy_with_change(
    root: &Path,
    script: &str,
    change: &ScriptChange,
) -> Result<tempfile::TempDir, ScriptEditError> {
    let scratch = tempfile::tempdir().map_err(io("cannot create a scratch directory".into()))?;
    copy_tree(
        &root.join("scripts"),
        &scratch.path().join("scripts"),
        Links::Follow,
        &|_| false,
    )
    .map_err(|e| ScriptEditError::Io {
        context: "cannot copy the scripts".into(),
        source: std::io::Error::other(e),
    })?;
    change_in_place(scratch.path(), script, change)?;
    Ok(scratch)
}

/// Makes the change in `script` (relative to `root`), in place: `root` is a copy.
pub(crate) fn change_in_place(
    root: &Path,
    script: &str,
    change: &ScriptChange,
) -> Result<(), ScriptEditError> {
    let path = root.join(script);
    let text =
        std::fs::read_to_string(&path).map_err(io(format!("cannot read {}", path.display())))?;
    let edited = change.apply_to(&text);
    if edited == text {
        return Err(ScriptEditError::Unchanged {
            script: script.to_string(),
            change: change.clone(),
        });
    }
    std::fs::write(&path, edited).map_err(io(format!("cannot write {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "# homelab_backup_ok is not homelab_backup_ok_total\n\
        textfile_sample homelab_backup_ok 1 vmid=\"$id\" storage=\"$s\"\n\
        textfile_sample homelab_backup_ok_total 3 vmid=\"$id\"\n\
        textfile_help homelab_backup_ok \"Whether it worked\"\n";

    #[test]
    fn a_rename_touches_whole_names_only() {
        let out = ScriptChange::RenameMetric {
            from: "homelab_backup_ok".into(),
            to: "homelab_backup_good".into(),
        }
        .apply_to(SCRIPT);
        assert!(out.contains("textfile_sample homelab_backup_good 1 vmid"));
        assert!(out.contains("textfile_sample homelab_backup_ok_total 3 vmid"));
        assert!(out.contains("textfile_help homelab_backup_good"));
    }

    #[test]
    fn labels_are_dropped_and_added_on_the_metrics_samples_only() {
        let dropped = ScriptChange::DropLabel {
            metric: "homelab_backup_ok".into(),
            label: "storage".into(),
        }
        .apply_to(SCRIPT);
        assert!(dropped.contains("textfile_sample homelab_backup_ok 1 vmid=\"$id\"\n"));
        let added = ScriptChange::AddLabel {
            metric: "homelab_backup_ok_total".into(),
            label: "node".into(),
        }
        .apply_to(SCRIPT);
        assert!(added.contains("3 vmid=\"$id\" node=stand-in\n"), "{added}");
        assert!(!added.contains("storage=\"$s\" node="));
    }

    #[test]
    fn a_change_that_changes_nothing_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("scripts")).unwrap();
        std::fs::write(dir.path().join("scripts/x.sh"), SCRIPT).unwrap();
        let err = copy_with_change(
            dir.path(),
            "scripts/x.sh",
            &ScriptChange::DropLabel {
                metric: "homelab_backup_ok".into(),
                label: "nope".into(),
            },
        )
        .unwrap_err();
        assert!(matches!(err, ScriptEditError::Unchanged { .. }), "{err}");
    }
}
