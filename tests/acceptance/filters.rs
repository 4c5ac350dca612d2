//! The tags the feature files use, for the message of a filter that selects nothing
//! (`homelab_spec::cargo_args::nothing_selected`).

use std::collections::BTreeSet;
use std::path::Path;

use cucumber::gherkin;

/// Every tag of the features under `features` (features, rules, scenarios, examples).
pub fn tags_in(features: &Path) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(features) else {
        return tags;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_none_or(|e| e != "feature") {
            continue;
        }
        // A feature that does not parse is reported by cucumber itself.
        let Ok(feature) = gherkin::Feature::parse_path(&path, gherkin::GherkinEnv::default())
        else {
            continue;
        };
        let mut add = |t: &[String]| tags.extend(t.iter().map(|t| format!("@{t}")));
        add(&feature.tags);
        for rule in &feature.rules {
            add(&rule.tags);
        }
        let scenarios = feature
            .scenarios
            .iter()
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
            add(&scenario.tags);
            for examples in &scenario.examples {
                add(&examples.tags);
            }
        }
    }
    tags
}
