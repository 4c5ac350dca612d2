//! The operations scripts that publish textfile metrics, and the contract they are held to.
//!
//! A script under `scripts/` (the shared libraries in `scripts/lib/` aside) publishes when a
//! line of its code (comments do not count) sources the textfile library
//! `scripts/lib/textfile.sh` or names a `.prom` file: the textfile collector only reads
//! `*.prom` files, so a script that writes one without the library is held to the contract
//! all the same.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::error::DiscoveryError;
use super::repo_fs::{Located, RepoFs};

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
    pub sources_textfile_library: bool,
    /// The `.prom` files its code names (`homelab_backup.prom`), sorted.
    pub prom_files: Vec<String>,
}

/// The textfile contract: the catalog the publishing scripts and the alerts agree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextfileContract {
    /// The catalog file (`src/alerts/catalogs/homelab-textfile-1.1.yml` of this suite).
    pub catalog: PathBuf,
    pub exporter: String,
    pub version: String,
    /// The metric names it declares.
    pub metrics: BTreeSet<String>,
}

/// The contract bundled with the suite: the `homelab-textfile-*.yml` catalog.
pub fn textfile_contract() -> Result<TextfileContract, DiscoveryError> {
    let dir = crate::alerts::catalog::bundled_dir();
    let io = |source| DiscoveryError::Io {
        path: dir.display().to_string(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(io)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().map(|n| n.to_string_lossy()).is_some_and(|n| {
                n.starts_with(&format!("{}-", crate::alerts::textfile::CONTRACT_EXPORTER))
                    && n.ends_with(".yml")
            })
        })
        .collect();
    files.sort();
    let Some(file) = files.pop() else {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no homelab-textfile-*.yml catalog",
        )));
    };
    let text = std::fs::read_to_string(&file).map_err(|source| DiscoveryError::Io {
        path: file.display().to_string(),
        source,
    })?;
    let catalog = crate::alerts::catalog::Catalog::parse(&file, &text).map_err(|message| {
        DiscoveryError::Io {
            path: file.display().to_string(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
        }
    })?;
    Ok(TextfileContract {
        catalog: file,
        exporter: catalog.exporter,
        version: catalog.version,
        metrics: catalog.metrics.into_keys().collect(),
    })
}

/// What a script's code says about textfile metrics; `None` when it publishes none.
pub(crate) fn publishing(path: &str, text: &str) -> Option<PublishingScript> {
    static SOURCE: OnceLock<regex::Regex> = OnceLock::new();
    static PROM: OnceLock<regex::Regex> = OnceLock::new();
    let source = SOURCE.get_or_init(|| {
        regex::Regex::new(r#"(?:^|[;&|]\s*)(?:source|\.)\s+.*lib/textfile\.sh\b"#)
            .expect("the source pattern is valid")
    });
    let prom = PROM.get_or_init(|| {
        regex::Regex::new(r"([A-Za-z0-9_.${}-]*[A-Za-z0-9_}])\.prom\b")
            .expect("the .prom pattern is valid")
    });
    let mut sources = false;
    let mut prom_files = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with('#') {
            continue;
        }
        sources |= source.is_match(code);
        for caps in prom.captures_iter(code) {
            let name = format!("{}.prom", &caps[1]);
            let name = name.rsplit('/').next().unwrap_or(&name).to_string();
            prom_files.insert(name);
        }
    }
    if !sources && prom_files.is_empty() {
        return None;
    }
    let file_name = path.rsplit('/').next().unwrap_or(path);
    Some(PublishingScript {
        path: path.to_string(),
        name: file_name.trim_end_matches(".sh").to_string(),
        sources_textfile_library: sources,
        prom_files: prom_files.into_iter().collect(),
    })
}

/// Every publishing script under `scripts/`, sorted by path.
pub(crate) fn publishing_scripts(fs: &RepoFs) -> Result<Vec<PublishingScript>, DiscoveryError> {
    let mut files = Vec::new();
    collect_scripts(fs, &fs.root().join(SCRIPTS_DIR), &mut files)?;
    let mut found = Vec::new();
    for path in files {
        let rel = fs.relative(&path);
        // Not UTF-8: a binary, not a script.
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let is_script = rel.ends_with(".sh")
            || text.starts_with("#!/usr/bin/env bash")
            || text.starts_with("#!/bin/bash")
            || text.starts_with("#!/bin/sh");
        if is_script && let Some(script) = publishing(&rel, &text) {
            found.push(script);
        }
    }
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
    fn sourcing_the_library_or_naming_a_prom_file_publishes() {
        let by_library = publishing(
            "scripts/a.sh",
            "#!/usr/bin/env bash\n# writes x.prom\nsource \"$(dirname \"$0\")/lib/textfile.sh\"\n",
        )
        .unwrap();
        assert!(by_library.sources_textfile_library);
        assert!(by_library.prom_files.is_empty(), "a comment does not count");
        let by_file = publishing(
            "scripts/b.sh",
            "out=\"${TEXTFILE_DIR}/homelab_b.prom\"\necho 'x 1' > \"$out\"\n",
        )
        .unwrap();
        assert_eq!(by_file.name, "b");
        assert_eq!(by_file.prom_files, ["homelab_b.prom"]);
        assert!(publishing("scripts/c.sh", "source lib/common.sh\n# x.prom\n").is_none());
    }

    #[test]
    fn the_contract_is_the_bundled_textfile_catalog() {
        let contract = textfile_contract().unwrap();
        assert_eq!(contract.exporter, "homelab-textfile");
        assert!(contract.metrics.contains("homelab_backup_last_run_success"));
    }
}
