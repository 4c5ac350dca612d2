//! The living documentation in a real browser: a report built from a small real run (the
//! real rule engine's timeline of an alert, the real static checks on a broken copy of the
//! rules file) is opened in headless Chromium, and the DOM it renders must hold each user
//! story's section, a passed and a failed criterion, a timeline with its firing segment, and
//! a finding with its id. A screenshot is saved as `reports/living-doc.png` for people.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use homelab_spec::alerts::timeline::{TimelineRequest, alert_timeline};
use homelab_spec::alerts::{self, Depth, lint_text, promtool::InputSeries, rule_edit, rule_file};
use homelab_spec::finding::Finding;
use homelab_spec::outcome::{
    CaseStatus, CheckedFindings, Outcome, RetryWaits, TerraformKind, TerraformRun, TerraformRuns,
};
use homelab_spec::report::living_doc::{
    Criterion, FailedStep, FeatureReport, RuleReport, RunReport, ScenarioReport, Status, write_html,
};
use homelab_spec::tools::{self, Command, Tools};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn reports_dir() -> PathBuf {
    std::env::var_os("SPEC_REPORTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("reports"))
}

/// Debian's headless Chromium, installed by `make setup`.
fn chromium() -> PathBuf {
    ["chromium-headless-shell", "chromium"]
        .iter()
        .find_map(|p| tools::which(p))
        .expect("headless Chromium is needed for this test: run `make setup` (apt-get install chromium-headless-shell)")
}

fn scenario(name: &str, line: usize, status: Status, outcomes: Vec<Outcome>) -> ScenarioReport {
    let mut s = ScenarioReport::new(name, line);
    s.status = status;
    s.outcomes = outcomes;
    s
}

fn feature(tag: &str, name: &str, criteria: Vec<Criterion>) -> FeatureReport {
    FeatureReport {
        name: name.into(),
        path: format!("features/{}.feature", tag.to_lowercase()),
        description: format!("As a homelab admin I want {name}."),
        tags: vec![format!("@{tag}")],
        criteria,
    }
}

/// US1 from real runs: the engine's timeline of an alert that fires, and the static checks'
/// findings on a copy of the rules file whose severity was broken.
fn us1(rules: &Path) -> FeatureReport {
    let series = [
        InputSeries::new(
            r#"node_systemd_unit_state{job="node",instance="pve1",name="backup.service",state="failed",type="oneshot"}"#,
            "1x10",
        )
        .unwrap(),
    ];
    let text = std::fs::read_to_string(rules).expect("the rules file");
    let (parsed, _) = rule_file::parse(&rules.display().to_string(), &text);
    let timeline = alert_timeline(
        &Tools::new(),
        &TimelineRequest {
            rules: &parsed,
            alert: "SystemdServiceFailed",
            series: &series,
            interval: Duration::from_secs(60),
            at: Duration::from_secs(6 * 60),
        },
    )
    .expect("the engine's timeline");
    let fires = scenario(
        "A unit failed for 6 minutes",
        10,
        Status::Passed,
        vec![Outcome::AlertTimeline(timeline)],
    );

    let text = std::fs::read_to_string(rules).unwrap();
    let broken = rule_edit::set_value(&text, "SystemdServiceFailed", "severity", "warn")
        .expect("the broken copy");
    let findings: Vec<Finding> = lint_text("default.yml", &broken.text, Depth::Static).findings;
    assert!(!findings.is_empty(), "the broken copy must give findings");
    let mut complete = scenario(
        "The rules file passes every static check",
        12,
        Status::Failed,
        vec![Outcome::Findings(CheckedFindings {
            check: "static checks: default.yml".into(),
            broken_copy: None,
            findings,
        })],
    );
    complete.failed_step = Some(FailedStep {
        keyword: "Then ".into(),
        text: "it passes every static check".into(),
        line: 14,
    });
    complete.error = Some("the static checks found problems".into());

    feature(
        "US1",
        "Alerts fire when their condition holds long enough",
        vec![
            Criterion::Rule(RuleReport {
                name: "A systemd unit failed for 5 minutes raises SystemdServiceFailed".into(),
                line: 8,
                description: String::new(),
                tags: Vec::new(),
                scenarios: vec![fires],
            }),
            Criterion::Scenario(complete),
        ],
    )
}

fn us2() -> FeatureReport {
    let runs = TerraformRuns {
        dir: "infrastructure/proxmox/modules/lxc".into(),
        kind: TerraformKind::Module,
        runs: vec![TerraformRun {
            file: "tests/regression.tftest.hcl".into(),
            run: "unprivileged_by_default".into(),
            status: CaseStatus::Passed,
            release_comment: Some("v1.0.2: containers were created privileged".into()),
        }],
    };
    feature(
        "US2",
        "Every Terraform module has regression tests",
        vec![Criterion::Scenario(scenario(
            "The lxc module's tests pass",
            20,
            Status::Passed,
            vec![Outcome::TerraformRuns(runs)],
        ))],
    )
}

fn us3() -> FeatureReport {
    let waits = |implementation: &str| RetryWaits {
        implementation: implementation.into(),
        case: "retry 3 ssh pve1 true".into(),
        attempts: 3,
        waits: vec![Duration::from_secs(1), Duration::from_secs(2)],
        status: 0,
    };
    feature(
        "US3",
        "Operations scripts survive network blips",
        ["bash", "rust"]
            .iter()
            .enumerate()
            .map(|(i, imp)| {
                Criterion::Scenario(scenario(
                    &format!("Fails twice, then succeeds ({imp})"),
                    30 + i,
                    Status::Passed,
                    vec![Outcome::RetryWaits(waits(imp))],
                ))
            })
            .collect(),
    )
}

fn run_chromium(args: Vec<OsString>) -> tools::Output {
    let profile = tempfile::tempdir().unwrap();
    let mut all: Vec<OsString> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    let mut dir = OsString::from("--user-data-dir=");
    dir.push(profile.path());
    all.push(dir);
    all.extend(args);
    let out = tools::run(&Command::new(chromium(), all).timeout(Duration::from_secs(90)))
        .expect("chromium ran");
    assert!(out.success(), "chromium failed:\n{out}");
    out
}

/// The part of the DOM from `start` to the next `end` (or the end).
fn between<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let from = dom
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` is not in the rendered page"));
    let rest = &dom[from..];
    let to = rest[start.len()..]
        .find(end)
        .map_or(rest.len(), |i| i + start.len());
    &rest[..to]
}

#[test]
fn the_report_of_a_small_run_renders_in_headless_chromium() {
    let rules = repo().join(alerts::RULES_FILE);
    let mut report = RunReport::new(repo());
    report.features = vec![us1(&rules), us2(), us3()];
    assert_eq!(report.verdict(), Status::Failed);

    let scratch = tempfile::tempdir().unwrap();
    let page = scratch.path().join("index.html");
    write_html(&report, &page).unwrap();
    let url = format!("file://{}", page.display());

    let dom = run_chromium(vec!["--dump-dom".into(), url.clone().into()]).stdout;
    for story in ["US1", "US2", "US3"] {
        let at = dom
            .find(&format!(" id=\"{story}\""))
            .unwrap_or_else(|| panic!("no element with id {story} in the rendered page"));
        let element = &dom[dom[..at].rfind('<').unwrap()..at];
        assert!(
            element.starts_with("<section class=\"story"),
            "{story} is not a story section: {element}"
        );
    }
    let us1 = between(&dom, "id=\"US1\"", "<section");
    assert!(
        us1.contains("<details class=\"criterion passed\""),
        "no passed criterion in US1"
    );
    assert!(
        us1.contains("<details class=\"criterion failed\""),
        "no failed criterion in US1"
    );
    let timeline = between(us1, "<svg class=\"timeline", "</svg>");
    assert!(
        timeline.contains("<rect class=\"state firing\""),
        "the timeline has no firing segment:\n{timeline}"
    );
    let failed = between(us1, "<details class=\"criterion failed\"", "</details>");
    assert!(
        failed.contains("<span class=\"finding-id\">[alerts/severity]</span>"),
        "the failed criterion does not show its finding's id:\n{failed}"
    );
    let us2 = between(&dom, "id=\"US2\"", "<section");
    assert!(
        us2.contains("<table class=\"terraform\""),
        "no table of runs in US2"
    );
    let us3 = between(&dom, "id=\"US3\"", "</section>");
    assert_eq!(
        us3.matches("<figure class=\"waits\"").count(),
        2,
        "bash and rust waits"
    );

    let shots = reports_dir();
    std::fs::create_dir_all(&shots).unwrap();
    let mut shot = OsString::from("--screenshot=");
    shot.push(shots.join("living-doc.png"));
    run_chromium(vec![shot, "--window-size=1200,2000".into(), url.into()]);
    assert!(shots.join("living-doc.png").is_file());
}
