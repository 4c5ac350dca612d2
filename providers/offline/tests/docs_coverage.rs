//! Every attribute path the providers' own documentation names is in the bundled schema.
//! The paths were read from the docs at the release tag by `tools/schemas/generate.py` and
//! are committed as data (`tools/schemas/docs-paths/<schema file>.tsv`), so this runs
//! without the fetched sources. A path the docs still describe but the source no longer has
//! is listed, with the reason, in `tools/schemas/docs-stale.tsv`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every path of a block: attributes, nested attributes, members of object-typed
/// attributes and nested blocks, as `a.b.c`.
fn paths(block: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let Some(attributes) = block["attributes"].as_object() {
        for (name, attribute) in attributes {
            let path = format!("{prefix}{name}");
            out.insert(path.clone());
            if attribute["nested_type"].is_object() {
                paths(&attribute["nested_type"], &format!("{path}."), out);
            }
            object_members(&attribute["type"], &path, out);
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, nested) in blocks {
            let path = format!("{prefix}{name}");
            out.insert(path.clone());
            paths(&nested["block"], &format!("{path}."), out);
        }
    }
}

fn object_members(cty: &Value, path: &str, out: &mut BTreeSet<String>) {
    match cty.as_array().map(Vec::as_slice) {
        Some([kind, members, ..]) if kind == "object" => {
            for (name, member) in members.as_object().into_iter().flatten() {
                let inner = format!("{path}.{name}");
                out.insert(inner.clone());
                object_members(member, &inner, out);
            }
        }
        Some([_, element]) => object_members(element, path, out),
        _ => {}
    }
}

/// The tab-separated fields of each line of a data file (`#` starts a comment line).
fn rows(file: &Path, columns: usize) -> Vec<Vec<String>> {
    let text =
        fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<String> = l.split('\t').map(str::to_string).collect();
            assert!(
                fields.len() >= columns,
                "{}: expected {columns} tab-separated fields in {l:?}",
                file.display()
            );
            fields
        })
        .collect()
}

/// `docs-stale.tsv`: schema file stem, kind, type, path, why.
fn stale() -> Vec<Vec<String>> {
    rows(&repo().join("tools/schemas/docs-stale.tsv"), 5)
}

struct Bundled {
    stem: &'static str,
    address: &'static str,
}

const BUNDLED: &[Bundled] = &[
    Bundled {
        stem: "bpg-proxmox-0.94.0",
        address: "registry.terraform.io/bpg/proxmox",
    },
    Bundled {
        stem: "hashicorp-tls-4.2.1",
        address: "registry.terraform.io/hashicorp/tls",
    },
    Bundled {
        stem: "hashicorp-random-3.8.1",
        address: "registry.terraform.io/hashicorp/random",
    },
];

fn block_of<'a>(provider: &'a Value, kind: &str, name: &str) -> Option<&'a Value> {
    match kind {
        "provider" => Some(&provider["provider"]["block"]),
        "resource" => provider["resource_schemas"].get(name).map(|s| &s["block"]),
        "data" => provider["data_source_schemas"]
            .get(name)
            .map(|s| &s["block"]),
        _ => None,
    }
}

#[test]
fn every_attribute_path_in_the_providers_docs_is_in_the_bundled_schema() {
    let stale = stale();
    for bundled in BUNDLED {
        let schema_file = repo().join(format!("providers/offline/schemas/{}.json", bundled.stem));
        let document: Value =
            serde_json::from_str(&fs::read_to_string(&schema_file).unwrap()).unwrap();
        let provider = &document["provider_schemas"][bundled.address];
        let documented = rows(
            &repo().join(format!("tools/schemas/docs-paths/{}.tsv", bundled.stem)),
            3,
        );
        assert!(
            documented.len() > 50,
            "{}: too few documented paths",
            bundled.stem
        );
        let mut missing = Vec::new();
        for row in &documented {
            let (kind, name, path) = (&row[0], &row[1], &row[2]);
            let Some(block) = block_of(provider, kind, name) else {
                missing.push(format!("{kind} {name} (the whole type)"));
                continue;
            };
            let mut known = BTreeSet::new();
            paths(block, "", &mut known);
            let excused = stale
                .iter()
                .any(|e| e[0] == bundled.stem && &e[1] == kind && &e[2] == name && &e[3] == path);
            if !known.contains(path) && !excused {
                missing.push(format!("{kind} {name} {path}"));
            }
        }
        assert!(
            missing.is_empty(),
            "{}: documented but not in the schema:\n{}",
            schema_file.display(),
            missing.join("\n")
        );
    }
}

/// An entry of `docs-stale.tsv` that the schema has after all is a mistake in the list.
#[test]
fn stale_docs_entries_are_really_absent_from_the_schema() {
    let entries = stale();
    assert!(!entries.is_empty(), "docs-stale.tsv has no entries");
    for entry in entries {
        let (stem, kind, name, path) = (&entry[0], &entry[1], &entry[2], &entry[3]);
        let bundled = BUNDLED
            .iter()
            .find(|b| b.stem == stem)
            .unwrap_or_else(|| panic!("docs-stale.tsv: unknown schema {stem}"));
        let schema_file = repo().join(format!("providers/offline/schemas/{stem}.json"));
        let document: Value =
            serde_json::from_str(&fs::read_to_string(&schema_file).unwrap()).unwrap();
        let block = block_of(&document["provider_schemas"][bundled.address], kind, name)
            .unwrap_or_else(|| panic!("docs-stale.tsv: {stem} has no {kind} {name}"));
        let mut known = BTreeSet::new();
        paths(block, "", &mut known);
        assert!(
            !known.contains(path),
            "docs-stale.tsv lists {kind} {name} {path}, but {stem} has it"
        );
    }
}
