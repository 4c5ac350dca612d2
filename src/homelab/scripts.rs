//! The operations scripts that publish textfile metrics, and the contract they are held to.
//!
//! A script under `scripts/` at any depth (the shared libraries in `scripts/lib/` aside), or
//! a script among a module's files, publishes when it sources the textfile library
//! `scripts/lib/textfile.sh` (or calls its functions), or when exposition sample lines it
//! writes end up in node-exporter's textfile directory, however it writes them
//! ([`super::textfile_writes`]). Scripts that use the library are held to the textfile
//! contract (the suite's catalog, `alerts::textfile`); the others are judged by what they
//! write.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::error::DiscoveryError;
use super::repo_fs::{Located, RepoFs};
use super::textfile_writes::{self, WrittenMetric};

/// Where the operations scripts live, relative to the root.
pub const SCRIPTS_DIR: &str = "scripts";
/// The shared libraries, sourced by scripts rather than run.
pub const LIBRARY_DIR: &str = "scripts/lib";
/// The textfile library.
pub const TEXTFILE_LIBRARY: &str = "scripts/lib/textfile.sh";

/// One script that publishes textfile metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishingScript {
    /// Relative to the root (`scripts/backup-status.sh`), links resolved.
    pub path: String,
    /// The file name without `.sh` (`backup-status`).
    pub name: String,
    /// Whether it sources `scripts/lib/textfile.sh`.
    pub(crate) sources_textfile_library: bool,
    /// The `.prom` files its sample lines end up in (`homelab_backup.prom`), sorted.
    pub(crate) prom_files: Vec<String>,
    /// The metrics it passes to the textfile library's functions.
    pub(crate) library_metrics: Vec<WrittenMetric>,
    /// The metrics of the sample lines it writes into the textfile directory, with their
    /// label names.
    pub samples: Vec<WrittenMetric>,
}

impl PublishingScript {
    /// Whether the textfile contract applies: the script uses the textfile library.
    pub(crate) fn under_contract(&self) -> bool {
        self.sources_textfile_library || !self.library_metrics.is_empty()
    }
}

/// What a script writes for the textfile collector; `None` when it publishes nothing.
/// `dirs`: the textfile directories the homelab configures.
pub(crate) fn publishing(
    path: &str,
    text: &str,
    dirs: &BTreeSet<String>,
) -> Option<PublishingScript> {
    let writes = textfile_writes::read(text, dirs);
    if !writes.publishes() {
        return None;
    }
    let file_name = path.rsplit('/').next().unwrap_or(path);
    let name = [".sh.tftpl", ".sh.tpl", ".bash", ".sh"]
        .iter()
        .find_map(|ext| file_name.strip_suffix(ext))
        .unwrap_or(file_name);
    Some(PublishingScript {
        path: path.to_string(),
        name: name.to_string(),
        sources_textfile_library: writes.uses_library,
        prom_files: writes.prom_files.into_iter().collect(),
        library_metrics: writes.library_metrics,
        samples: writes.samples,
    })
}

/// Whether a file is a shell script: by its extension or its first line.
pub(crate) fn is_script(path: &str, text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    [".sh", ".bash", ".sh.tpl", ".sh.tftpl"]
        .iter()
        .any(|ext| path.ends_with(ext))
        || (first.starts_with("#!") && (first.contains("sh") || first.contains("bash")))
}

/// Every publishing script under `scripts/` and among the files of `module_dirs` (relative
/// to the root), sorted by path.
pub(crate) fn publishing_scripts(
    fs: &RepoFs,
    module_dirs: &[&str],
) -> Result<Vec<PublishingScript>, DiscoveryError> {
    let mut files = Vec::new();
    collect_scripts(fs, &fs.root().join(SCRIPTS_DIR), &mut files)?;
    for dir in module_dirs {
        collect_scripts(fs, &fs.root().join(dir), &mut files)?;
    }
    // Not UTF-8: a binary, not a script or configuration.
    let texts: Vec<(String, String)> = files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            Some((fs.relative(path), text))
        })
        .collect();
    // The textfile directories the homelab configures: in its scripts and modules' files.
    let dirs = textfile_writes::configured_dirs(texts.iter().map(|(_, t)| t.as_str()));
    let mut found: Vec<PublishingScript> = texts
        .iter()
        .filter(|(rel, text)| is_script(rel, text))
        .filter_map(|(rel, text)| publishing(rel, text, &dirs))
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found.dedup_by(|a, b| a.path == b.path);
    Ok(found)
}

fn collect_scripts(fs: &RepoFs, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DiscoveryError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Located::Found(path) = fs.locate(&entry.path())? else {
            continue;
        };
        if fs.relative(&path) == LIBRARY_DIR || fs.relative(&path).starts_with("scripts/lib/") {
            continue;
        }
        if path.is_dir() {
            // A linked directory is listed by its target; real ones are walked in place.
            if !entry.file_type().is_ok_and(|t| t.is_symlink()) {
                collect_scripts(fs, &path, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_or_sample_lines_into_the_textfile_directory_publish() {
        let none = BTreeSet::new();
        let by_library = publishing(
            "scripts/a.sh",
            "#!/usr/bin/env bash\n# writes x.prom\nsource \"$(dirname \"$0\")/lib/textfile.sh\"\n",
            &none,
        )
        .unwrap();
        assert!(by_library.under_contract());
        assert!(by_library.prom_files.is_empty(), "a comment does not count");
        let by_file = publishing(
            "scripts/ops/b.sh",
            "out=\"${TEXTFILE_DIR}/homelab_b.prom\"\necho 'x{env=\"a\"} 1' > \"$out\"\n",
            &none,
        )
        .unwrap();
        assert_eq!(by_file.name, "b");
        assert!(!by_file.under_contract());
        assert_eq!(by_file.prom_files, ["homelab_b.prom"]);
        assert_eq!(by_file.samples[0].name, "x");
        assert!(publishing("scripts/c.sh", "source lib/common.sh\n# x.prom\n", &none).is_none());
        assert!(
            publishing("scripts/d.sh", "echo 'x 1' > \"$out.prom\"\n", &none).is_some(),
            "a .prom file is read by the collector wherever its directory comes from"
        );
    }
}
