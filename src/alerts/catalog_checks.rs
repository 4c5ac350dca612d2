//! The second depth: every metric a rule selects is exposed by a deployed exporter, and
//! every label it matches or groups on exists on that metric (`promql/series`,
//! `promql/label`).
//!
//! Semantics of the guards that alert rules use on purpose:
//! - `absent(x)` fires when `x` is missing; over a metric no exporter has it fires forever,
//!   so its metric is checked like any other. A known metric inside `absent()` is fine, and
//!   the labels `absent()` returns (its equality matchers) are not checked again.
//! - `x or vector(0)`: `vector(0)` selects nothing and needs no catalog entry. A known `x` is
//!   fine; an unknown `x` is still reported, since the expression is then constant 0 and the
//!   rule can never fire.
//! - A label introduced by `label_replace`/`label_join` may be matched or grouped on later.

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::ast::Expr;

use super::attribution::{Verdict, note};
use super::catalog::{KnownSeries, always_allowed};
use super::finding::{CheckId, Finding};
use super::label_flow::{self, MissingLabel};
use super::rule_file::{Rule, RuleFile};

/// Where the homelab declares its textfile metrics (turned into the homelab-textfile catalog).
pub(crate) const TEXTFILE_CONTRACT: &str = "tools/catalogs/homelab-textfile.prom";

/// Selector checks for one rule's parsed expression.
pub(crate) fn check_selectors(
    file: &RuleFile,
    rule: &Rule,
    expr: &Expr,
    known: &KnownSeries,
    out: &mut Vec<Finding>,
) {
    let mut reported: Vec<String> = Vec::new();
    for vs in label_flow::selectors(expr) {
        // A regex on the name selects a family; nothing exact to look up.
        let Some(metric) = label_flow::metric_name(vs) else {
            continue;
        };
        // The scrape jobs the selector names (`job="x"`): where attribution looks next.
        let jobs: Vec<&str> = label_flow::matchers(vs)
            .filter(|m| m.name == "job" && matches!(m.op, MatchOp::Equal))
            .map(|m| m.value.as_str())
            .collect();
        if !known.is_known(metric) {
            if reported.iter().any(|m| m == metric) {
                continue;
            }
            reported.push(metric.to_string());
            out.push(unknown_metric(file, rule, metric, &jobs, known));
            continue;
        }
        // Known to one deployed version of an exporter, gone from another one deployed.
        if let Some(attribution) = known.attribution
            && !known.recorded.contains_key(metric)
            && let Some(verdict) = attribution.removed_from_a_deployment(metric)
            && !reported.iter().any(|m| m == metric)
        {
            reported.push(metric.to_string());
            if let Some(finding) = attributed(file, rule, metric, verdict) {
                out.push(finding);
            }
        }
        // Recorded series carry what their expression carries; only catalog metrics have
        // a fixed label list.
        let written = known.written_by_script(metric);
        let Some(labels) = known
            .catalogs
            .labels(metric)
            .or(written.map(|(_, labels)| labels))
            .filter(|_| !known.recorded.contains_key(metric))
        else {
            continue;
        };
        for matcher in label_flow::matchers(vs) {
            if unknown_label(matcher, labels) {
                let key = format!("{metric}/{}", matcher.name);
                if reported.contains(&key) {
                    continue;
                }
                reported.push(key);
                let mut exporters: Vec<String> = known
                    .catalogs
                    .exporters_of(metric)
                    .iter()
                    .map(|c| c.title())
                    .collect();
                if exporters.is_empty() {
                    exporters.extend(written.map(|(script, _)| script.to_string()));
                }
                out.push(
                    file.finding(
                        CheckId::PromqlLabel,
                        rule,
                        "expr",
                        format!(
                            "label {} is not on metric {metric} ({}); expected one of: {}",
                            matcher.name,
                            exporters.join(", "),
                            allowed_list(labels)
                        ),
                    )
                    .found(matcher.name.clone()),
                );
            }
        }
    }
}

/// The finding for a metric no catalog lists for the stack: a textfile metric a script
/// writes but the contract lacks, a metric that needs configuration the stack does not
/// use, or one that nothing publishes (the rule can never fire).
fn unknown_metric(
    file: &RuleFile,
    rule: &Rule,
    metric: &str,
    jobs: &[&str],
    known: &KnownSeries,
) -> Finding {
    if let Some(script) = known.published.and_then(|p| p.script_of(metric)) {
        return file
            .finding(
                CheckId::TextfileUndeclared,
                rule,
                "expr",
                format!(
                    "metric {metric} is written by {script} but the textfile contract does not declare it; declare it in {TEXTFILE_CONTRACT} and regenerate the homelab-textfile catalog"
                ),
            )
            .expected(format!("{metric} declared in {TEXTFILE_CONTRACT}"))
            .found(script.to_string());
    }
    if let Some(conditional) = known.catalogs.conditional(metric) {
        let requires = conditional.requires;
        return file
            .finding(
                CheckId::PromqlNeedsConfig,
                rule,
                "expr",
                format!(
                    "metric {metric} exists only with {requires} ({}); the monitoring stack configures none, so the rule can never fire",
                    conditional.catalog.title()
                ),
            )
            .expected(requires.to_string())
            .found("none configured".to_string());
    }
    if let Some(attribution) = known.attribution
        && let Some(finding) = attributed(file, rule, metric, attribution.verdict(metric, jobs))
    {
        return finding;
    }
    let hint = known
        .catalogs
        .closest(metric)
        .map(|c| format!(" (did you mean {c}?)"))
        .unwrap_or_default();
    let titles = match known.attribution {
        Some(attribution) => attribution.titles(),
        None => known.catalogs.titles(),
    };
    file.finding(
        CheckId::PromqlSeries,
        rule,
        "expr",
        format!(
            "metric {metric} is not exposed by any deployed exporter (catalogs: {titles}){hint}; the rule can never fire"
        ),
    )
}

/// The finding attribution gives a metric, if it gives one (`None`: nothing deployed could
/// expose it, judged as `promql/series`).
fn attributed(file: &RuleFile, rule: &Rule, metric: &str, verdict: Verdict) -> Option<Finding> {
    match verdict {
        Verdict::Removed {
            selection,
            last_seen,
            gone_in,
        } => {
            let exporter = &selection.exporter;
            let deployed = selection
                .deployed_version
                .as_deref()
                .unwrap_or(&selection.version);
            Some(
                file.finding(
                    CheckId::CatalogRemovedMetric,
                    rule,
                    "expr",
                    format!(
                        "metric {metric} disappeared from {exporter} in release {gone_in} (last in {last_seen}); the deployed {exporter} {deployed} ({}) no longer exposes it, so the rule can never fire there",
                        selection.deployed_by
                    ),
                )
                .expected(format!("{metric} in {exporter} {}", selection.version))
                .found(format!("{exporter} {gone_in}")),
            )
        }
        Verdict::Unchecked(exporter) => {
            let file_only = exporter
                .deployed_by
                .rsplit_once(':')
                .map_or(exporter.deployed_by.as_str(), |(f, _)| f);
            Some(note(
                file.finding(
                    CheckId::CatalogUnchecked,
                    rule,
                    "expr",
                    format!(
                        "not checked: no catalog for {}, deployed by {file_only}",
                        exporter.title()
                    ),
                )
                .found(format!("{metric} attributed to {}", exporter.name)),
            ))
        }
        Verdict::Unknown => None,
    }
}

fn unknown_label(matcher: &Matcher, labels: &std::collections::BTreeSet<String>) -> bool {
    !always_allowed(&matcher.name) && !labels.contains(&matcher.name)
}

fn allowed_list(labels: &std::collections::BTreeSet<String>) -> String {
    labels
        .iter()
        .map(String::as_str)
        .chain(["job", "instance"])
        .collect::<Vec<_>>()
        .join(", ")
}

/// `promql/label` for clauses (`by`, `on`, `group_left`, `label_replace` sources) that rely on
/// a label their input cannot carry.
pub(crate) fn check_clauses(
    file: &RuleFile,
    rule: &Rule,
    missing: &[MissingLabel],
    out: &mut Vec<Finding>,
) {
    for m in missing {
        out.push(file.finding(
            CheckId::PromqlLabel,
            rule,
            "expr",
            format!(
                "{} uses label {}, which its input never has (it has {})",
                m.clause, m.label, m.available
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::alerts::catalog::CatalogSet;
    use crate::alerts::lint::{Depth, lint_text};
    use crate::alerts::published_metrics::PublishedMetrics;
    use crate::finding::ids_and_subjects;

    /// A rules file with one alert per `(name, expr)`.
    fn rules(alerts: &[(&str, &str)]) -> String {
        let mut text = String::from("groups:\n  - name: hardware\n    rules:\n");
        for (name, expr) in alerts {
            text.push_str(&format!(
                "      - alert: {name}\n        expr: '{expr}'\n        for: 5m\n        labels:\n          severity: warning\n        annotations:\n          summary: \"{name} on {{{{ $labels.instance }}}}\"\n          description: \"value {{{{ $value }}}}\"\n"
            ));
        }
        text
    }

    fn findings(alerts: &[(&str, &str)]) -> Vec<(String, String)> {
        let catalogs = CatalogSet::bundled().unwrap();
        let report = lint_text("hw.yml", &rules(alerts), Depth::Catalog(catalogs));
        ids_and_subjects(&report.findings)
    }

    /// The alerts a Proxmox admin writes for ZFS, md RAID, hwmon, bonding, EDAC and NVMe, in
    /// the style of the widely used public collections: all on node-exporter 1.5.0 metrics.
    const HARDWARE: [(&str, &str); 13] = [
        (
            "ZfsPoolUnhealthy",
            "node_zfs_zpool_state{state!=\"online\"} > 0",
        ),
        (
            "MdRaidDegraded",
            "node_md_disks_required - ignoring (state) (node_md_disks{state=\"active\"}) > 0",
        ),
        ("MdRaidDiskFailed", "node_md_disks{state=\"failed\"} > 0"),
        (
            "HostHighTemperature",
            "node_hwmon_temp_celsius > node_hwmon_temp_max_celsius",
        ),
        ("HostTemperatureAlarm", "node_hwmon_temp_alarm == 1"),
        (
            "HostTemperatureCritAlarm",
            "node_hwmon_temp_crit_alarm_celsius == 1",
        ),
        (
            "HostTemperatureCritical",
            "node_hwmon_temp_celsius >= on (chip, sensor, instance) node_hwmon_temp_crit_celsius",
        ),
        (
            "BondDegraded",
            "node_bonding_active - node_bonding_slaves != 0",
        ),
        (
            "EdacCorrectable",
            "increase(node_edac_correctable_errors_total[5m]) > 0",
        ),
        (
            "EdacUncorrectable",
            "node_edac_uncorrectable_errors_total > 0",
        ),
        ("ThermalZoneHot", "node_thermal_zone_temp > 90"),
        ("NvmeDown", "node_nvme_info{state!=\"live\"} == 1"),
        (
            "FanStopped",
            "node_hwmon_fan_rpm == 0 and node_hwmon_fan_min_rpm > 0",
        ),
    ];

    #[test]
    fn the_hardware_alerts_of_a_proxmox_host_pass() {
        assert_eq!(findings(&HARDWARE), []);
    }

    #[test]
    fn a_misspelled_or_pattern_breaking_metric_is_still_reported() {
        let cases = [
            ("Misspelled", "node_zfs_zpool_stat > 0"),
            ("Banana", "node_hwmon_temp_banana_celsius > 0"),
            ("AlarmWithUnit", "node_hwmon_temp_alarm_celsius > 0"),
            ("NoVersionHasIt", "node_quantum_flux_capacitor_ratio > 0"),
            // Nothing in the stack scrapes Alertmanager.
            ("AlertmanagerDown", "alertmanager_cluster_members < 3"),
        ];
        let expected: Vec<(String, String)> = cases
            .iter()
            .map(|(name, _)| ("promql/series".to_string(), name.to_string()))
            .collect();
        let mut found = findings(&cases);
        found.sort_by(|a, b| a.1.cmp(&b.1));
        let mut expected = expected;
        expected.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(found, expected);
    }

    #[test]
    fn the_stacks_alertmanager_metrics_pass_and_remote_write_ones_name_their_configuration() {
        assert_eq!(
            findings(&[
                (
                    "NotificationsFailing",
                    "rate(prometheus_notifications_errors_total[5m]) > 0"
                ),
                (
                    "NotificationsSent",
                    "rate(prometheus_notifications_sent_total[5m]) == 0"
                ),
            ]),
            []
        );
        let catalogs = CatalogSet::bundled().unwrap();
        let text = rules(&[(
            "RemoteWriteFailing",
            "rate(prometheus_remote_storage_samples_failed_total[5m]) > 0",
        )]);
        let report = lint_text("hw.yml", &text, Depth::Catalog(catalogs));
        assert_eq!(
            ids_and_subjects(&report.findings),
            [(
                "promql/needs-config".to_string(),
                "RemoteWriteFailing".to_string()
            )]
        );
        assert_eq!(report.findings[0].expected.as_deref(), Some("remote_write"));
    }

    #[test]
    fn a_metric_a_script_writes_but_the_contract_lacks_names_the_script() {
        let catalogs = CatalogSet::bundled().unwrap();
        let published = PublishedMetrics::from_scripts([(
            "scripts/zfs-scrub.sh",
            "# homelab_zfs_mentioned_only is not written\ntextfile_declare homelab_zfs_scrub_errors gauge \"errors\"\n",
        )]);
        let text = rules(&[
            ("ScrubErrors", "homelab_zfs_scrub_errors > 0"),
            ("OnlyMentioned", "homelab_zfs_mentioned_only > 0"),
        ]);
        let report = lint_text(
            "hw.yml",
            &text,
            Depth::CatalogAndScripts(catalogs, &published),
        );
        assert_eq!(
            ids_and_subjects(&report.findings),
            [
                ("promql/series".to_string(), "OnlyMentioned".to_string()),
                ("textfile/undeclared".to_string(), "ScrubErrors".to_string()),
            ]
        );
        let undeclared = report
            .findings
            .iter()
            .find(|f| f.id == super::CheckId::TextfileUndeclared)
            .unwrap();
        assert_eq!(undeclared.found.as_deref(), Some("scripts/zfs-scrub.sh"));
    }

    #[test]
    fn a_thousand_unknown_metrics_lint_in_under_a_second() {
        let catalogs = CatalogSet::bundled().unwrap();
        let names: Vec<String> = (0..1000)
            .map(|i| format!("node_unknown_thing_{i}_bytes_total"))
            .collect();
        let alerts: Vec<(String, String)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("Unknown{i}"), format!("{n} > 0")))
            .collect();
        let borrowed: Vec<(&str, &str)> = alerts
            .iter()
            .map(|(a, e)| (a.as_str(), e.as_str()))
            .collect();
        let text = rules(&borrowed);
        let started = std::time::Instant::now();
        let report = lint_text("many.yml", &text, Depth::Catalog(catalogs));
        let elapsed = started.elapsed();
        assert_eq!(report.findings.len(), 1000);
        assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
    }
}
