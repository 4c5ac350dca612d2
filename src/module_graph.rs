//! The crate's layers point one way: a unit test reads every `crate::` path in `src/`
//! (library code, not its `#[cfg(test)]` modules), builds the graph of the top-level modules
//! (and of the submodule pairs named in [`WATCHED_SUBMODULES`]) and fails on any cycle
//! ([`KNOWN_CYCLES`] is empty). Comments are not code: a doc link to a module above is no
//! edge. Text, not `syn`: a `use crate::x` or a `crate::x::y` path is all it needs, and it
//! stays a few lines.

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Submodules whose mutual use is a cycle too (each `area::file`).
    const WATCHED_SUBMODULES: &[&str] = &["alerts::rule_file", "alerts::static_checks"];

    /// Cycles that remain, each as its sorted modules; the test fails when one is gone (so
    /// the list only shrinks) and when a new one appears. None is left: the layers are
    /// finding, settings -> repository access (`paths`, `copy_tree`) -> `homelab` (discovery
    /// only) -> `alerts`, `terraform`, `shell` (the checks) -> `coverage`, `report`
    /// (docs/architecture.md, "Layers").
    const KNOWN_CYCLES: &[&[&str]] = &[];

    /// The module a file of `src/` belongs to: `alerts` for `src/alerts/lint.rs`, `finding`
    /// for `src/finding.rs`; with its second component for a watched submodule.
    fn modules_of(relative: &Path) -> Vec<String> {
        let parts: Vec<String> = relative
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let mut out = vec![parts[0].clone()];
        if parts.len() > 1 {
            let sub = format!("{}::{}", parts[0], parts[1]);
            if WATCHED_SUBMODULES.contains(&sub.as_str()) {
                out.push(sub);
            }
        }
        out
    }

    /// Library code only: a file's `#[cfg(test)]` tail and test-only files are left out.
    fn library_text(text: &str) -> String {
        let mut out = String::new();
        for line in text.lines() {
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            let code = line.split("//").next().unwrap_or("");
            out.push_str(code);
            out.push('\n');
        }
        out
    }

    /// Every module a piece of code names through `crate::` (also `use crate::{a, b::c}`),
    /// and `super::x` paths of a watched submodule's siblings.
    fn used_by(code: &str, own: &[String]) -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        let path = regex::Regex::new(r"crate::(\{[^}]*\}|[a-z_]+(?:::[a-z_]+)?)").unwrap();
        let sibling = regex::Regex::new(r"super::([a-z_]+)").unwrap();
        let mut add = |first: &str, second: Option<&str>| {
            used.insert(first.to_string());
            if let Some(second) = second {
                let sub = format!("{first}::{second}");
                if WATCHED_SUBMODULES.contains(&sub.as_str()) {
                    used.insert(sub);
                }
            }
        };
        for m in path.captures_iter(code) {
            let p = &m[1];
            if let Some(list) = p.strip_prefix('{') {
                for item in list.trim_end_matches('}').split(',') {
                    let mut parts = item.trim().split("::");
                    if let Some(first) = parts.next().filter(|f| !f.is_empty()) {
                        add(first, parts.next());
                    }
                }
            } else {
                let mut parts = p.split("::");
                let first = parts.next().unwrap_or("");
                add(first, parts.next());
            }
        }
        if let Some(area) = own.first() {
            for m in sibling.captures_iter(code) {
                add(area, Some(&m[1]));
            }
        }
        used
    }

    fn graph() -> BTreeMap<String, BTreeSet<String>> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut files = Vec::new();
        let mut dirs = vec![src.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        for path in &files {
            let relative = path.strip_prefix(&src).unwrap();
            let name = relative.file_name().unwrap().to_string_lossy();
            if path.extension().is_none_or(|e| e != "rs")
                || name == "tests.rs"
                || relative.starts_with("test_support.rs")
                || relative.iter().any(|p| p == "tests")
            {
                continue;
            }
            let own = modules_of(relative);
            let code = library_text(&std::fs::read_to_string(path).unwrap());
            for to in used_by(&code, &own) {
                for from in &own {
                    let same_area = to.split("::").next() == from.split("::").next();
                    // A module's use of itself, and an area's use of its own parts, are no
                    // edges; a watched submodule's use of its watched sibling is.
                    if to != *from && (!same_area || (from.contains("::") && to.contains("::"))) {
                        edges.entry(from.clone()).or_default().insert(to.clone());
                    }
                }
            }
        }
        edges
    }

    /// The strongly connected components with more than one module (Tarjan's algorithm
    /// would do; the graph has ~25 nodes, so reachability both ways is plenty).
    fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
        let reach = |from: &str| -> BTreeSet<String> {
            let mut seen = BTreeSet::new();
            let mut todo = vec![from.to_string()];
            while let Some(n) = todo.pop() {
                for next in edges.get(&n).into_iter().flatten() {
                    if seen.insert(next.clone()) {
                        todo.push(next.clone());
                    }
                }
            }
            seen
        };
        let reachable: BTreeMap<&String, BTreeSet<String>> =
            edges.keys().map(|n| (n, reach(n))).collect();
        let mut out = BTreeSet::new();
        for (n, from_n) in &reachable {
            let mut component: Vec<String> = from_n
                .iter()
                .filter(|m| reachable.get(m).is_some_and(|r| r.contains(*n)))
                .cloned()
                .collect();
            if !component.is_empty() {
                component.sort();
                out.insert(component);
            }
        }
        out
    }

    #[test]
    fn the_modules_point_one_way() {
        let found = cycles(&graph());
        let known: BTreeSet<Vec<String>> = KNOWN_CYCLES
            .iter()
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .collect();
        let new: Vec<_> = found.difference(&known).collect();
        let gone: Vec<_> = known.difference(&found).collect();
        assert!(new.is_empty(), "module cycles: {new:?}");
        assert!(
            gone.is_empty(),
            "cycles broken, take them off KNOWN_CYCLES: {gone:?}"
        );
    }

    #[test]
    fn a_cycle_is_found() {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        edges.entry("a".into()).or_default().insert("b".into());
        edges.entry("b".into()).or_default().insert("a".into());
        edges.entry("b".into()).or_default().insert("c".into());
        let code =
            "use crate::{finding::Finding, settings};\nlet x = crate::alerts::rule_file::parse();";
        let used = used_by(code, &["homelab".to_string()]);
        assert!(
            used.contains("finding") && used.contains("settings"),
            "{used:?}"
        );
        assert!(used.contains("alerts::rule_file"), "{used:?}");
        assert_eq!(
            cycles(&edges),
            BTreeSet::from([vec!["a".to_string(), "b".to_string()]])
        );
    }
}
