//! Speed of the static and catalog checks against `promtool check rules`, on one generated
//! file of 10,000 alerting rules (the homelab's 28 rules, repeated under new names).
//!
//! `cargo bench --bench alerts_lint` prints rules per second for the checks, promtool's wall
//! time on the same file, and their ratio (target: at most 0.3).

use std::path::Path;
use std::time::{Duration, Instant};

use homelab_spec::alerts::catalog::CatalogSet;
use homelab_spec::alerts::promtool;
use homelab_spec::alerts::{self, Depth, rule_file};
use homelab_spec::tools::Tools;
use serde_yaml::{Mapping, Value};

const RULES: usize = 10_000;
const PER_GROUP: usize = 100;

/// The real file's alerts as YAML values, renamed `<name>_<n>`, in groups of 100.
fn generate(real: &str) -> String {
    let (file, findings) = rule_file::parse("default.yml", real);
    assert!(
        findings.is_empty(),
        "the real rules file has findings: {findings:?}"
    );
    let templates: Vec<_> = file.alerting_rules().cloned().collect();
    let mut groups = Vec::new();
    for g in 0..RULES / PER_GROUP {
        let mut rules = Vec::new();
        for i in 0..PER_GROUP {
            let n = g * PER_GROUP + i;
            let t = &templates[n % templates.len()];
            let mut rule = Mapping::new();
            rule.insert("alert".into(), format!("{}_{n}", t.name).into());
            rule.insert("expr".into(), t.expr.clone().unwrap_or_default().into());
            if let Some(f) = &t.for_duration {
                rule.insert("for".into(), f.clone().into());
            }
            let map = |pairs: &[(String, String)]| {
                Value::Mapping(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.clone().into(), v.clone().into()))
                        .collect(),
                )
            };
            rule.insert("labels".into(), map(&t.labels));
            rule.insert("annotations".into(), map(&t.annotations));
            rules.push(Value::Mapping(rule));
        }
        let mut group = Mapping::new();
        group.insert("name".into(), format!("generated-{g}").into());
        group.insert("rules".into(), Value::Sequence(rules));
        groups.push(Value::Mapping(group));
    }
    let mut top = Mapping::new();
    top.insert("groups".into(), Value::Sequence(groups));
    serde_yaml::to_string(&Value::Mapping(top)).expect("generated YAML")
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let real =
        std::fs::read_to_string(root.join(alerts::RULES_FILE)).expect("the homelab rules file");
    let scratch = tempfile::tempdir().expect("scratch dir");
    let path = scratch.path().join("generated.yml");
    std::fs::write(&path, generate(&real)).expect("write generated file");

    // The 28-rule file, as the suite checks it (catalogs read once, outside the timing).
    let catalogs_started = Instant::now();
    let catalogs = CatalogSet::bundled().expect("catalogs");
    let catalogs_time = catalogs_started.elapsed();
    let started = Instant::now();
    let small = alerts::lint_text("default.yml", &real, Depth::Catalog(catalogs));
    let small_time = started.elapsed();
    assert!(small.findings.is_empty(), "{:#?}", small.findings);

    // Best of three for the checks; promtool once (it takes seconds).
    let mut lint_time = Duration::MAX;
    let mut findings = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let report =
            alerts::lint_file(&path, "generated.yml", Depth::Catalog(catalogs)).expect("lint");
        lint_time = lint_time.min(started.elapsed());
        assert_eq!(report.alerting_rules, RULES);
        findings = report.findings.len();
    }
    let check = promtool::check_rules(&Tools::new(), &path).expect("promtool check rules");
    assert!(
        check.passed,
        "promtool refused the generated file:\n{}",
        check.output
    );

    let ratio = lint_time.as_secs_f64() / check.duration.as_secs_f64();
    println!(
        "catalogs: {} loaded in {catalogs_time:.2?} (once per process)",
        catalogs.titles()
    );
    println!("28-rule homelab file: static + catalog checks in {small_time:.2?}");
    println!(
        "{RULES} rules: static + catalog checks in {lint_time:.2?} ({:.0} rules/s, {findings} findings)",
        RULES as f64 / lint_time.as_secs_f64()
    );
    println!(
        "{RULES} rules: promtool check rules in {:.2?} ({} rules found)",
        check.duration,
        check.rules.unwrap_or(0)
    );
    println!("ratio checks / promtool: {ratio:.3} (target <= 0.3)");
}
