//! The homelab's own promtool unit-test files: every `*.yml` / `*.yaml` anywhere in the
//! repository whose top level has both `rule_files:` and `tests:` (what `promtool test
//! rules` reads), vendored code and the suite's own output left out as [`super::walk`] says
//! (hidden directories, `node_modules`, `bats-*`, submodules, and the root's `target` and
//! `reports`). Links are left out unchecked (a linked file counts only where it really is).

use std::path::Path;

use super::error::DiscoveryError;
use super::glob::Glob;
use super::repo_fs::{RepoFs, normalize};
use super::walk::{FileLinks, files_under};

/// Every promtool unit-test file, relative to the root, sorted.
pub(crate) fn promtool_test_files(fs: &RepoFs) -> Result<Vec<String>, DiscoveryError> {
    files_under(fs, fs.root(), FileLinks::Ignored, |name, path| {
        (name.ends_with(".yml") || name.ends_with(".yaml")) && is_promtool_test(path)
    })
}

/// Whether the file is YAML with top-level `rule_files` and `tests`. The text is looked at
/// first, so that other YAML files (catalogs, CI files) are not parsed.
fn is_promtool_test(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    if !(text.contains("rule_files") && text.contains("tests")) {
        return false;
    }
    let Ok(yaml) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
        return false;
    };
    yaml.get("rule_files").is_some() && yaml.get("tests").is_some()
}

/// Whether the `rule_files` entry `entry` of the unit-test file `test_file` (both as
/// written; the entry relative to the file's directory, as promtool reads it, or absolute)
/// names the rules file `rules_file` (relative to the root). Globs match as promtool's do.
pub(crate) fn rule_file_names(test_file: &str, entry: &str, rules_file: &str) -> bool {
    if entry.starts_with('/') {
        return false;
    }
    let dir = Path::new(test_file).parent().unwrap_or(Path::new(""));
    let pattern = normalize(&dir.join(entry)).to_string_lossy().into_owned();
    pattern == rules_file || Glob::new(&pattern).is_some_and(|g| g.matches(rules_file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::write;

    #[test]
    fn unit_test_files_are_found_anywhere_and_other_yaml_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let test = "rule_files:\n  - ../rules/default.yml\ntests:\n  - input_series: []\n";
        write(root, "prometheus/tests/alerts.test.yml", test);
        write(root, "tests/more.yaml", test);
        write(root, "node_modules/x/t.yml", test);
        write(root, "reports/t.yml", test);
        write(root, "prometheus/rules/default.yml", "groups: []\n");
        write(
            root,
            "prometheus/prometheus.yml",
            "rule_files:\n  - rules/*.yml\n",
        );
        let fs = RepoFs::new(root).unwrap();
        assert_eq!(
            promtool_test_files(&fs).unwrap(),
            ["prometheus/tests/alerts.test.yml", "tests/more.yaml"]
        );
    }

    #[test]
    fn finding_them_in_this_repository_is_cheap() {
        let fs = RepoFs::new(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let (found, cpu) = crate::timing::cpu_time_of(|| promtool_test_files(&fs).unwrap());
        eprintln!("promtool unit-test files of this repository: {found:?} in {cpu:?} CPU");
        assert!(cpu < std::time::Duration::from_millis(20), "{cpu:?}");
    }

    #[test]
    fn a_rule_files_entry_is_relative_to_its_test_file() {
        let t = "prometheus/tests/alerts.test.yml";
        assert!(rule_file_names(
            t,
            "../rules/default.yml",
            "prometheus/rules/default.yml"
        ));
        assert!(rule_file_names(
            t,
            "../rules/*.yml",
            "prometheus/rules/default.yml"
        ));
        assert!(!rule_file_names(
            t,
            "default.yml",
            "prometheus/rules/default.yml"
        ));
    }
}
