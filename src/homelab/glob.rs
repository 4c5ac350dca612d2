//! Glob patterns as Terraform's `fileset()` and Prometheus's `rule_files` read them: `*` and
//! `?` within one path segment, `**` across segments, `{a,b}` alternatives and `[...]`
//! classes. Compiled by `globset` (ripgrep's), with `/` as a literal separator.

use std::path::Path;

/// A compiled glob pattern, matched against `/`-separated paths.
#[derive(Debug, Clone)]
pub(crate) struct Glob(globset::GlobMatcher);

impl Glob {
    /// `None` when the pattern cannot be compiled (an unclosed `[`): it then matches nothing.
    pub(crate) fn new(pattern: &str) -> Option<Glob> {
        globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()
            .map(|glob| Glob(glob.compile_matcher()))
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        self.0.is_match(path)
    }
}

/// Terraform's `fileset(dir, pattern)`: the files under `dir` whose path relative to `dir`
/// matches, sorted, `/`-separated. Links are listed like files (and checked by the caller),
/// not descended into.
pub(crate) fn fileset(dir: &Path, pattern: &str) -> Vec<String> {
    let Some(glob) = Glob::new(pattern.trim_start_matches("./")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk(dir, "", &glob, &mut found);
    found.sort();
    found
}

fn walk(dir: &Path, prefix: &str, glob: &Glob, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != ".terraform" {
                walk(&entry.path(), &relative, glob, found);
            }
        } else if glob.matches(&relative) {
            found.push(relative);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_stay_in_a_segment_and_double_stars_cross() {
        let one = Glob::new("*.yml").unwrap();
        assert!(one.matches("a.yml"));
        assert!(!one.matches("x/a.yml"));
        let deep = Glob::new("**/*.yml").unwrap();
        assert!(deep.matches("a.yml") && deep.matches("x/y/a.yml"));
        let alt = Glob::new("/etc/prometheus/{alerts,rules}/*.y?ml").unwrap();
        assert!(alt.matches("/etc/prometheus/rules/r.yaml"));
        assert!(!alt.matches("/etc/prometheus/other/r.yaml"));
        assert!(Glob::new("[ab].yml").unwrap().matches("b.yml"));
        assert!(!Glob::new("[!ab].yml").unwrap().matches("b.yml"));
        assert!(
            Glob::new("[ab.yml").is_none(),
            "an unclosed class matches nothing"
        );
    }

    #[test]
    fn fileset_lists_matching_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("rules/sub")).unwrap();
        for f in [
            "rules/b.yml",
            "rules/a.yml",
            "rules/c.txt",
            "rules/sub/d.yml",
        ] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        assert_eq!(
            fileset(dir.path(), "rules/*.yml"),
            ["rules/a.yml", "rules/b.yml"]
        );
        assert_eq!(fileset(&dir.path().join("rules"), "**/*.yml").len(), 3);
    }
}
