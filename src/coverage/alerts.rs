//! Alert coverage: which cases show each alerting rule firing and staying quiet.
//!
//! A case is an [`AlertCase`] a scenario returned: a behaviour scenario's expectation ("X
//! fires", "X does not fire", "X is pending but does not fire yet"), or one
//! `alert_rule_test` of the homelab's own promtool unit-test files, run for real. Only
//! cases the rule engine agreed with count: a behaviour case only when its whole scenario
//! passed, a unit-test case only when promtool passed it. A case covers the rule of its
//! name in the deployed rules file it was run against.
//!
//! [`collect`] reads what the run's scenarios returned (the run's coverage: a run filtered
//! by `--tags` covers less). [`defined`] reads what the suite defines instead (the
//! behaviour sentences of the feature files), for floors that must not depend on which
//! scenarios ran before them.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use crate::alerts::deployed_rules::DeployedRules;
use crate::coverage::model::{CaseKind, CaseRef, RuleCoverage, RuleStatus};
use crate::outcome::ScenarioOutcomes;
use crate::outcome::{AlertCase, AlertShows, CaseStatus, Outcome};

/// Every alerting rule of every deployed rules file (`deployed`, as the runner read them
/// once), with the cases of the run's scenarios.
pub fn collect(deployed: &DeployedRules, scenarios: &[ScenarioOutcomes]) -> Vec<RuleCoverage> {
    coverage(deployed, &run_cases(scenarios))
}

/// A case and the rule it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveringCase {
    pub alert: String,
    pub(crate) rules_file: String,
    pub shows: AlertShows,
    pub case: CaseRef,
}

/// The cases of the run that count: passing behaviour cases of passing scenarios, and
/// passing unit-test cases.
pub(crate) fn run_cases(scenarios: &[ScenarioOutcomes]) -> Vec<CoveringCase> {
    let mut cases = Vec::new();
    for scenario in scenarios {
        let passed = scenario_passed(scenario);
        for outcome in &scenario.outcomes {
            let Outcome::AlertCase(case) = outcome else {
                continue;
            };
            if !case.passed {
                continue;
            }
            let covering = match &case.unit_test {
                Some(test) => unit_test_case(case, test),
                None if passed => CoveringCase {
                    alert: case.alert.clone(),
                    rules_file: case.rules_file.clone(),
                    shows: case.shows,
                    case: CaseRef {
                        kind: CaseKind::Scenario,
                        name: scenario.scenario.clone(),
                        file: suite_relative(&scenario.feature),
                        line: u32::try_from(scenario.line).ok(),
                    },
                },
                None => continue,
            };
            cases.push(covering);
        }
    }
    cases
}

/// A unit-test case as a covering case.
pub fn unit_test_case(case: &AlertCase, test: &crate::outcome::UnitTestCase) -> CoveringCase {
    CoveringCase {
        alert: case.alert.clone(),
        rules_file: case.rules_file.clone(),
        shows: case.shows,
        case: CaseRef {
            kind: CaseKind::Promtool,
            name: test.name.clone(),
            file: test.file.clone(),
            line: test.line,
        },
    }
}

/// Whether nothing the scenario returned failed (a run on a broken copy fails by design)
/// and it applied to the homelab.
fn scenario_passed(scenario: &ScenarioOutcomes) -> bool {
    let failed = |status: &CaseStatus| matches!(status, CaseStatus::Failed(_));
    scenario.not_applicable.is_none()
        && scenario.outcomes.iter().all(|outcome| match outcome {
            Outcome::ToolRun(run) => run.broken_copy.is_some() || run.failures() == 0,
            Outcome::Findings(checked) => {
                checked.broken_copy.is_some()
                    || crate::finding::failures(&checked.findings).is_empty()
            }
            Outcome::TerraformRuns(runs) => !runs.runs.iter().any(|r| failed(&r.status)),
            Outcome::AlertCase(case) => case.passed,
            Outcome::AlertTimeline(_) | Outcome::RetryWaits(_) | Outcome::BashExecution(_) => true,
        })
}

/// A feature file relative to the suite's own root (cucumber names it by its full path).
fn suite_relative(feature: &str) -> String {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR"));
    Path::new(feature)
        .strip_prefix(suite)
        .map_or_else(|_| feature.to_string(), |p| p.display().to_string())
}

/// One entry per alerting rule of every deployed rules file, in the homelab's order, with
/// the cases about it, sorted and each once.
pub fn coverage(deployed: &DeployedRules, cases: &[CoveringCase]) -> Vec<RuleCoverage> {
    let mut rules = Vec::new();
    for deployed_file in deployed.files() {
        let file = &deployed_file.file;
        for rule in deployed_file.rules.alerting_rules() {
            let of = |shows: AlertShows| -> Vec<CaseRef> {
                let set: BTreeSet<CaseRef> = cases
                    .iter()
                    .filter(|c| c.alert == rule.name && c.rules_file == file.path)
                    .filter(|c| c.shows == shows)
                    .map(|c| c.case.clone())
                    .collect();
                set.into_iter().collect()
            };
            let firing = of(AlertShows::Firing);
            let quiet = of(AlertShows::Quiet);
            rules.push(RuleCoverage {
                alert: rule.name.clone(),
                file: file.path.clone(),
                line: u32::try_from(rule.line).ok(),
                status: RuleStatus::of(&firing, &quiet),
                firing,
                quiet,
            });
        }
    }
    rules
}

/// A behaviour scenario as a feature file defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinedScenario {
    pub name: String,
    /// The feature file, relative to the suite's root.
    pub file: String,
    pub line: u32,
    /// Its `Then` (and following `And`) sentences.
    pub outcomes: Vec<String>,
}

/// What a behaviour sentence shows, with its alert: `X fires with severity Y` shows it
/// firing; `X does not fire` and `X is pending but does not fire yet` show it quiet. The
/// same sentences as the behaviour steps (`steps/alerts/behaviour.rs`): a unit test holds
/// every outcome sentence of `features/us1_behaviour.feature` to this, and a step reworded
/// without it leaves the plan's floor without cases, which fails it.
pub fn behaviour_sentence(sentence: &str) -> Option<(String, AlertShows)> {
    static FIRES: OnceLock<regex::Regex> = OnceLock::new();
    static QUIET: OnceLock<regex::Regex> = OnceLock::new();
    let fires =
        FIRES.get_or_init(|| regex::Regex::new(r"^(\w+) fires with severity \w+$").unwrap());
    let quiet = QUIET.get_or_init(|| {
        regex::Regex::new(r"^(\w+) (?:does not fire|is pending but does not fire yet)$").unwrap()
    });
    if let Some(c) = fires.captures(sentence) {
        return Some((c[1].to_string(), AlertShows::Firing));
    }
    quiet
        .captures(sentence)
        .map(|c| (c[1].to_string(), AlertShows::Quiet))
}

/// The cases the suite defines, without running them: each behaviour scenario's sentences
/// about an alert the homelab deploys (in the file that defines it, as the behaviour steps
/// pick it), plus `unit_tests`, the homelab's promtool unit-test cases that passed.
pub fn defined(
    deployed: &DeployedRules,
    scenarios: &[DefinedScenario],
    unit_tests: &[CoveringCase],
) -> Vec<RuleCoverage> {
    let mut cases: Vec<CoveringCase> = unit_tests.to_vec();
    for scenario in scenarios {
        for (alert, shows) in scenario
            .outcomes
            .iter()
            .filter_map(|s| behaviour_sentence(s))
        {
            let Some(file) = deployed.file_defining(&alert) else {
                continue;
            };
            cases.push(CoveringCase {
                alert,
                rules_file: file.file.path.clone(),
                shows,
                case: CaseRef {
                    kind: CaseKind::Scenario,
                    name: scenario.name.clone(),
                    file: scenario.file.clone(),
                    line: Some(scenario.line),
                },
            });
        }
    }
    coverage(deployed, &cases)
}

/// What a floor misses for one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloorGap {
    pub alert: String,
    /// No deployed rules file defines it.
    pub missing_rule: bool,
    pub missing_firing: bool,
    pub(crate) missing_quiet: bool,
}

/// The alerts of `required` that lack a firing or a quiet case in `coverage` (over every
/// rules file that defines them).
pub fn floor_gaps(coverage: &[RuleCoverage], required: &[String]) -> Vec<FloorGap> {
    required
        .iter()
        .filter_map(|alert| {
            let rules: Vec<&RuleCoverage> = coverage.iter().filter(|r| &r.alert == alert).collect();
            let gap = FloorGap {
                alert: alert.clone(),
                missing_rule: rules.is_empty(),
                missing_firing: rules.iter().all(|r| r.firing.is_empty()),
                missing_quiet: rules.iter().all(|r| r.quiet.is_empty()),
            };
            (gap.missing_firing || gap.missing_quiet).then_some(gap)
        })
        .collect()
}

impl std::fmt::Display for FloorGap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.missing_rule {
            return write!(f, "{}: no deployed rules file defines it", self.alert);
        }
        let missing: Vec<&str> = [
            (self.missing_firing, "firing case"),
            (self.missing_quiet, "quiet case"),
        ]
        .into_iter()
        .filter_map(|(m, what)| m.then_some(what))
        .collect();
        write!(
            f,
            "{}: no {} (in the behaviour scenarios or the homelab's passing promtool unit tests)",
            self.alert,
            missing.join(" and no ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::homelab::Homelab;
    use crate::outcome::{ToolCase, ToolRun, UnitTestCase};
    use crate::test_support::write;
    use std::time::Duration;

    const RULES: &str = "groups:\n  - name: node\n    rules:\n      - alert: HostDown\n        expr: up == 0\n        for: 2m\n      - alert: DiskFull\n        expr: node_filesystem_avail_bytes == 0\n";

    /// A homelab whose one module deploys `rules.yml`.
    fn homelab(rules: &str) -> (tempfile::TempDir, Homelab) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "infrastructure/proxmox/modules/monitoring/main.tf",
            "resource \"local_file\" \"rules\" {\n  content  = file(\"${path.module}/rules.yml\")\n  filename = \"/etc/prometheus/rules.yml\"\n}\n",
        );
        write(
            root,
            "infrastructure/proxmox/modules/monitoring/rules.yml",
            rules,
        );
        let homelab = Homelab::discover(root).unwrap();
        assert_eq!(homelab.rules_files.len(), 1, "{}", homelab.summary());
        (dir, homelab)
    }

    fn case(alert: &str, shows: AlertShows, passed: bool) -> Outcome {
        Outcome::AlertCase(AlertCase {
            alert: alert.into(),
            rules_file: "infrastructure/proxmox/modules/monitoring/rules.yml".into(),
            shows,
            unit_test: None,
            passed,
        })
    }

    fn scenario(name: &str, outcomes: Vec<Outcome>) -> ScenarioOutcomes {
        ScenarioOutcomes {
            feature: format!("{}/features/b.feature", env!("CARGO_MANIFEST_DIR")),
            scenario: name.into(),
            line: 7,
            outcomes,
            not_applicable: None,
            copy_change: None,
        }
    }

    fn status_of(rules: &[RuleCoverage], alert: &str) -> RuleStatus {
        rules.iter().find(|r| r.alert == alert).unwrap().status
    }

    #[test]
    fn firing_and_quiet_cases_make_a_rule_tested_and_firing_alone_half_tested() {
        let (_dir, homelab) = homelab(RULES);
        let scenarios = vec![
            scenario("down", vec![case("HostDown", AlertShows::Firing, true)]),
            scenario("up", vec![case("HostDown", AlertShows::Quiet, true)]),
            scenario("full", vec![case("DiskFull", AlertShows::Firing, true)]),
        ];
        let rules = coverage(&DeployedRules::read(&homelab), &run_cases(&scenarios));
        assert_eq!(rules.len(), 2);
        assert_eq!(status_of(&rules, "HostDown"), RuleStatus::Tested);
        assert_eq!(status_of(&rules, "DiskFull"), RuleStatus::HalfTested);
        let host = &rules[0];
        assert_eq!(host.line, Some(4));
        assert_eq!(host.firing[0].name, "down");
        assert_eq!(host.firing[0].file, "features/b.feature");
        assert_eq!(host.firing[0].kind, CaseKind::Scenario);
    }

    #[test]
    fn a_failing_scenario_or_case_does_not_cover() {
        let (_dir, homelab) = homelab(RULES);
        let failed_run = Outcome::ToolRun(ToolRun {
            suite: "promtool test rules: rules.yml".into(),
            cases: vec![ToolCase {
                name: "x".into(),
                classname: "rules.yml".into(),
                time: Duration::ZERO,
                status: CaseStatus::Failed(crate::finding::Finding::new(
                    crate::alerts::promtool::BEHAVIOUR_FAILED,
                    "rules.yml",
                    "failed",
                )),
            }],
            broken_copy: None,
        });
        let scenarios = vec![
            scenario(
                "down but its run failed",
                vec![failed_run, case("HostDown", AlertShows::Firing, true)],
            ),
            scenario("full", vec![case("DiskFull", AlertShows::Firing, false)]),
        ];
        let rules = coverage(&DeployedRules::read(&homelab), &run_cases(&scenarios));
        assert_eq!(status_of(&rules, "HostDown"), RuleStatus::Untested);
        assert_eq!(status_of(&rules, "DiskFull"), RuleStatus::Untested);
    }

    #[test]
    fn a_passing_unit_test_case_covers_even_when_its_file_has_a_failing_one() {
        let (_dir, homelab) = homelab(RULES);
        let unit = |shows, passed, line| {
            Outcome::AlertCase(AlertCase {
                alert: "HostDown".into(),
                rules_file: "infrastructure/proxmox/modules/monitoring/rules.yml".into(),
                shows,
                unit_test: Some(UnitTestCase {
                    name: format!("HostDown at {line}m"),
                    file: "tests/alerts.test.yml".into(),
                    line: Some(line),
                }),
                passed,
            })
        };
        let scenarios = vec![scenario(
            "the homelab's promtool unit tests",
            vec![
                unit(AlertShows::Firing, true, 5),
                unit(AlertShows::Quiet, false, 9),
            ],
        )];
        let rules = coverage(&DeployedRules::read(&homelab), &run_cases(&scenarios));
        let host = rules.iter().find(|r| r.alert == "HostDown").unwrap();
        assert_eq!(host.status, RuleStatus::HalfTested);
        assert_eq!(host.firing[0].kind, CaseKind::Promtool);
        assert_eq!(host.firing[0].file, "tests/alerts.test.yml");
    }

    #[test]
    fn a_new_alert_without_a_case_is_untested() {
        let grown = format!(
            "{RULES}      - alert: NodeClockSkew\n        expr: abs(node_timex_offset_seconds) > 0.05\n"
        );
        let (_dir, homelab) = homelab(&grown);
        let scenarios = vec![scenario(
            "down",
            vec![case("HostDown", AlertShows::Firing, true)],
        )];
        let rules = collect(&DeployedRules::read(&homelab), &scenarios);
        assert_eq!(rules.len(), 3);
        assert_eq!(status_of(&rules, "NodeClockSkew"), RuleStatus::Untested);
    }

    #[test]
    fn behaviour_sentences_say_what_they_show() {
        assert_eq!(
            behaviour_sentence("HostDown fires with severity critical"),
            Some(("HostDown".into(), AlertShows::Firing))
        );
        assert_eq!(
            behaviour_sentence("HostDown does not fire"),
            Some(("HostDown".into(), AlertShows::Quiet))
        );
        assert_eq!(
            behaviour_sentence("HostDown is pending but does not fire yet"),
            Some(("HostDown".into(), AlertShows::Quiet))
        );
        assert_eq!(behaviour_sentence("no problem is found"), None);
    }

    #[test]
    fn every_outcome_sentence_of_the_behaviour_feature_is_recognised() {
        let feature = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("features/us1_behaviour.feature"),
        )
        .unwrap();
        let sentences: Vec<&str> = feature
            .lines()
            .filter_map(|l| l.trim().strip_prefix("Then "))
            .collect();
        assert!(sentences.len() >= 20, "{sentences:?}");
        for sentence in sentences {
            assert!(behaviour_sentence(sentence).is_some(), "{sentence}");
        }
    }

    #[test]
    fn the_floor_names_an_alert_without_a_firing_case() {
        let (_dir, homelab) = homelab(RULES);
        let defined_scenario = |name: &str, sentence: &str| DefinedScenario {
            name: name.into(),
            file: "features/b.feature".into(),
            line: 3,
            outcomes: vec![sentence.into()],
        };
        let scenarios = vec![
            defined_scenario("down", "HostDown fires with severity critical"),
            defined_scenario("up", "HostDown does not fire"),
            defined_scenario("not full", "DiskFull does not fire"),
        ];
        let rules = defined(&DeployedRules::read(&homelab), &scenarios, &[]);
        let required = vec!["HostDown".to_string(), "DiskFull".to_string()];
        let gaps = floor_gaps(&rules, &required);
        assert_eq!(gaps.len(), 1, "{gaps:?}");
        assert_eq!(gaps[0].alert, "DiskFull");
        assert!(gaps[0].missing_firing && !gaps[0].missing_quiet);
        let gone = floor_gaps(&rules, &["HostGone".to_string()]);
        assert!(gone[0].missing_rule);
    }
}
