//! The one registry of checks: every finding id the suite can emit, with its area, how deep
//! it has to go to be judged (offline, a real tool, a real server) and a one-line summary.
//!
//! Each area declares its checks next to its code (a `CHECKS` list beside its `ids`) and adds
//! them to [`all`] below. Every id has a page `docs/checks/<area>/<what>.md` ([`page`]). The
//! tests here hold the registry to that: ids unique and shaped `area/what`, every id a source
//! file emits registered, and a page for each.
//!
//! The registry sits above every area it lists, so no listed area calls it: the suppression
//! comments, which may name only a registered id, get [`is_registered`] from their caller.

use std::sync::LazyLock;

/// The type of a registry entry sits with the finding it describes, below every area, so
/// an area declaring its checks does not depend on the registry that lists them.
pub(crate) use crate::finding::Check;

static ALL: LazyLock<Vec<Check>> = LazyLock::new(|| {
    let areas: [&[Check]; 17] = [
        crate::alerts::finding::CHECKS,
        crate::alerts::textfile::CHECKS,
        crate::alerts::exposition::CHECKS,
        crate::alerts::promtool::CHECKS,
        crate::alerts::server::CHECKS,
        crate::homelab::LAYOUT_CHECKS,
        crate::homelab::copy::CHECKS,
        crate::terraform::static_checks::CHECKS_TFTEST,
        crate::terraform::static_checks::CHECKS_MODULE,
        crate::terraform::static_checks::CHECKS_REGRESSION,
        crate::terraform::tftest::schema::CHECKS,
        crate::terraform::init_check::CHECKS,
        crate::terraform::runner::CHECKS,
        crate::shell::bats::CHECKS,
        crate::coverage::bash::CHECKS,
        crate::homelab::services::CHECKS,
        crate::suppression::CHECKS,
    ];
    let mut all: Vec<Check> = areas.into_iter().flatten().copied().collect();
    all.sort_by_key(|check| check.id);
    all
});

/// Every check, sorted by id.
pub(crate) fn all() -> &'static [Check] {
    &ALL
}

/// The check of an id, if there is one.
pub(crate) fn find(id: &str) -> Option<&'static Check> {
    let all = all();
    all.binary_search_by_key(&id, |check| check.id)
        .ok()
        .map(|at| &all[at])
}

/// Whether `id` is a registered check (what a suppression comment may name).
pub fn is_registered(id: &str) -> bool {
    find(id).is_some()
}

/// The page of a check, relative to the crate's root: `docs/checks/<area>/<what>.md`.
pub(crate) fn page(id: &str) -> String {
    format!("docs/checks/{id}.md")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use regex::Regex;

    use super::*;

    fn crate_root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn ids_are_unique_and_shaped_area_slash_what() {
        let shape = Regex::new(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$").unwrap();
        let mut seen = BTreeSet::new();
        for check in all() {
            assert!(shape.is_match(check.id), "{} is not area/what", check.id);
            assert!(seen.insert(check.id), "{} is registered twice", check.id);
            assert_eq!(
                check.id.split_once('/').map(|(area, _)| area),
                Some(check.area),
                "{} is declared in area {}",
                check.id,
                check.area
            );
            assert!(!check.summary.is_empty(), "{} has no summary", check.id);
        }
        assert!(all().windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn find_and_page() {
        assert_eq!(find("promql/series").map(|c| c.area), Some("promql"));
        assert_eq!(
            find("bats/test-failed").map(|c| c.depth),
            Some(crate::finding::Depth::Tool)
        );
        assert_eq!(find("promql/nothing"), None);
        assert_eq!(page("promql/series"), "docs/checks/promql/series.md");
    }

    #[test]
    fn every_check_has_its_page() {
        let missing: Vec<String> = all()
            .iter()
            .map(|check| page(check.id))
            .filter(|page| !crate_root().join(page).is_file())
            .collect();
        assert!(missing.is_empty(), "checks without a page: {missing:?}");
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The ids a source text emits, outside its unit tests: every `FindingId::new("..")`
    /// literal, and every `"area/what"` literal of a registered area (ids picked in a `match`,
    /// the `CheckId` strings).
    fn emitted_ids(text: &str, areas: &BTreeSet<&str>) -> BTreeSet<String> {
        static NEW: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"FindingId::new\(\s*"([^"]*)"\s*\)"#).unwrap());
        static LITERAL: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#""([a-z][a-z0-9-]*)/([a-z0-9][a-z0-9-]*)""#).unwrap());
        let code = text.split("#[cfg(test)]").next().unwrap_or(text);
        let mut ids: BTreeSet<String> = NEW.captures_iter(code).map(|c| c[1].to_string()).collect();
        ids.extend(
            LITERAL
                .captures_iter(code)
                .filter(|c| areas.contains(&c[1]))
                .map(|c| format!("{}/{}", &c[1], &c[2])),
        );
        ids
    }

    #[test]
    fn every_id_emitted_in_src_is_registered() {
        let areas: BTreeSet<&str> = all().iter().map(|c| c.area).collect();
        let mut files = Vec::new();
        rust_files(&crate_root().join("src"), &mut files);
        let mut unregistered = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for id in emitted_ids(&text, &areas) {
                if find(&id).is_none() {
                    unregistered.push(format!("{id} ({})", file.display()));
                }
            }
        }
        assert!(
            unregistered.is_empty(),
            "ids not in src/checks.rs: {unregistered:?}"
        );
    }

    #[test]
    fn the_scan_sees_inline_and_constructed_ids() {
        let areas = BTreeSet::from(["bats"]);
        let text = r#"const X: FindingId = FindingId::new(
            "newarea/thing");
            let id = match e { A => "bats/missing", B => "modules/x" };
            #[cfg(test)] FindingId::new("test/only")"#;
        assert_eq!(
            emitted_ids(text, &areas),
            BTreeSet::from(["bats/missing".to_string(), "newarea/thing".to_string()])
        );
    }

    #[test]
    fn every_alert_check_is_registered() {
        for id in crate::alerts::finding::CheckId::ALL {
            assert!(find(id.as_str()).is_some(), "{id}");
        }
    }

    /// The first fenced block of `lang` on a check's page.
    fn page_example(id: &str, lang: &str) -> String {
        let text = std::fs::read_to_string(crate_root().join(page(id))).unwrap();
        let fence = format!("```{lang}\n");
        let start = text
            .find(&fence)
            .unwrap_or_else(|| panic!("{id}: no {lang} example"))
            + fence.len();
        let end = start + text[start..].find("```").unwrap();
        text[start..end].to_string()
    }

    /// The alert checks whose page example is a whole rules file: linting it (with the
    /// bundled catalogs) reports the page's id.
    #[test]
    fn alert_pages_examples_report_their_id() {
        use crate::alerts::catalog::CatalogSet;
        use crate::alerts::lint::{Depth, lint_text};
        let catalogs = CatalogSet::bundled().unwrap();
        let ids = [
            "yaml/syntax",
            "yaml/unknown-key",
            "yaml/shape",
            "rule/expr-missing",
            "rule/duplicate",
            "rule/name",
            "rule/label-name",
            "group/field",
            "promql/syntax",
            "promql/series",
            "promql/label",
            "promql/needs-config",
            "alerts/for",
            "alerts/severity",
            "alerts/annotations",
            "alerts/template",
            "alerts/template-syntax",
        ];
        for id in ids {
            let example = page_example(id, "yaml");
            let report = lint_text("example.yml", &example, Depth::Catalog(catalogs));
            let found: Vec<&str> = report.findings.iter().map(|f| f.id.as_str()).collect();
            assert!(
                found.contains(&id),
                "{id}: the page's example reports {found:?}"
            );
        }
    }

    /// The textfile format checks whose page example is a textfile as written.
    #[test]
    fn exposition_pages_examples_report_their_id() {
        let ids = all()
            .iter()
            .filter(|c| c.area == "exposition")
            .map(|c| c.id)
            // Their examples describe bytes a fence cannot show.
            .filter(|id| !["exposition/final-newline", "exposition/carriage-return"].contains(id));
        for id in ids {
            let example = page_example(id, "text");
            let found: Vec<&str> = crate::alerts::exposition::check(example.as_bytes(), "x.prom")
                .iter()
                .map(|f| f.id.as_str())
                .collect();
            assert!(
                found.contains(&id),
                "{id}: the page's example reports {found:?}"
            );
        }
    }

    /// The test-file schema checks, whose page example is a `.tftest.hcl` file.
    #[test]
    fn tftest_schema_pages_examples_report_their_id() {
        for check in crate::terraform::tftest::schema::CHECKS {
            let example = page_example(check.id, "hcl");
            let found: Vec<&str> =
                crate::terraform::tftest::schema::check_file(example.as_bytes(), "t.tftest.hcl")
                    .iter()
                    .map(|f| f.id.as_str())
                    .collect();
            assert!(
                found.contains(&check.id),
                "{}: the page's example reports {found:?}",
                check.id
            );
        }
    }
}
