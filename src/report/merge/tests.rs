use super::*;
use std::time::Duration;

use crate::report::living_doc::RunReport;

/// A scenario as the JUnit writer puts it: passed, or skipped/failed with a child element.
fn case(name: &str, verdict: Verdict) -> String {
    let child = match verdict {
        Verdict::Passed => String::new(),
        Verdict::Skipped => "<skipped message=\"not applicable: shard\"/>".into(),
        Verdict::Failed => "<failure message=\"step failed\"/>".into(),
    };
    format!("<testcase name=\"{name}\" time=\"0.5\">{child}</testcase>")
}

/// One shard's reports: the static scenario, the modules scenario with its verdict here,
/// and one tool suite per external run.
fn shard_dir(shard: Shard, modules: Verdict, runs: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let tools: String = runs
        .iter()
        .map(|run| {
            format!(
                "<testsuite name=\"terraform test: {run}\" tests=\"1\">\n  <testcase name=\"plan\" classname=\"{run}\" time=\"1.0\"/>\n</testsuite>"
            )
        })
        .collect();
    let junit = format!(
        "<?xml version=\"1.0\"?><testsuites><testsuite name=\"Feature: modules\">{}{}</testsuite>{tools}</testsuites>",
        case("Scenario: static: f.feature:3:3", Verdict::Passed),
        case("Scenario: every module passes: f.feature:9:3", modules),
    );
    std::fs::write(dir.path().join("junit.xml"), junit).unwrap();
    let status = |v: Verdict| match v {
        Verdict::Passed => "passed",
        Verdict::Skipped => "skipped",
        Verdict::Failed => "failed",
    };
    let cucumber = serde_json::json!([{
        "uri": "features/f.feature", "name": "modules",
        "elements": [
            {"type": "scenario", "line": 3, "name": "static",
             "steps": [{"result": {"status": "passed"}}]},
            {"type": "scenario", "line": 9, "name": "every module passes",
             "steps": [{"result": {"status": status(modules)}}]}
        ]
    }]);
    std::fs::write(dir.path().join("cucumber.json"), cucumber.to_string()).unwrap();
    let sarif = serde_json::json!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "homelab-spec", "rules": [{"id": "bats/test-failed"}]}},
        "results": [{"ruleId": "bats/test-failed", "ruleIndex": 0, "message": {"text": "same"}}]
    }]});
    std::fs::write(dir.path().join("findings.sarif"), sarif.to_string()).unwrap();
    let record = ShardRecord {
        shard,
        external_runs: runs
            .iter()
            .map(|r| format!("terraform module: {r}"))
            .collect(),
    };
    let mut run = RunReport::new(dir.path());
    run.duration = Duration::from_secs(shard.index as u64);
    write_shard_files(dir.path(), &record, &run).unwrap();
    dir
}

fn paths(dirs: &[&tempfile::TempDir]) -> Vec<PathBuf> {
    dirs.iter().map(|d| d.path().to_path_buf()).collect()
}

fn shard(index: usize, count: usize) -> Shard {
    Shard { index, count }
}

#[test]
fn a_missing_shard_fails_naming_it() {
    let one = shard_dir(shard(1, 3), Verdict::Passed, &["modules/a"]);
    let three = shard_dir(shard(3, 3), Verdict::Skipped, &["modules/c"]);
    let out = tempfile::tempdir().unwrap();
    match merge(&paths(&[&one, &three]), out.path()) {
        Err(MergeError::Missing { missing, .. }) => assert_eq!(missing, shard(2, 3)),
        other => panic!("expected shard 2/3 missing, got {other:?}"),
    }
    assert!(!out.path().join("junit.xml").exists());
}

#[test]
fn a_shard_given_twice_or_of_another_count_fails() {
    let one = shard_dir(shard(1, 2), Verdict::Passed, &["modules/a"]);
    let again = shard_dir(shard(1, 2), Verdict::Passed, &["modules/b"]);
    let other = shard_dir(shard(2, 3), Verdict::Passed, &["modules/c"]);
    assert!(matches!(
        check_shards(&paths(&[&one, &again])),
        Err(MergeError::Twice { .. })
    ));
    assert!(matches!(
        check_shards(&paths(&[&one, &other])),
        Err(MergeError::Counts(_))
    ));
    assert!(matches!(check_shards(&[]), Err(MergeError::Nothing)));
}

#[test]
fn two_shards_that_made_the_same_external_run_fail() {
    let one = shard_dir(shard(1, 2), Verdict::Passed, &["modules/a", "modules/b"]);
    let two = shard_dir(shard(2, 2), Verdict::Passed, &["modules/b"]);
    match check_shards(&paths(&[&one, &two])) {
        Err(MergeError::RunTwice { run, first, second }) => {
            assert_eq!(run, "terraform module: modules/b");
            assert_eq!((first, second), (shard(1, 2), shard(2, 2)));
        }
        other => panic!("expected a run made twice, got {other:?}"),
    }
}

#[test]
fn a_scenario_every_shard_ran_is_counted_once_with_the_judging_shards_verdict() {
    let one = shard_dir(shard(1, 3), Verdict::Skipped, &["modules/a"]);
    let two = shard_dir(shard(2, 3), Verdict::Passed, &["modules/b"]);
    let three = shard_dir(shard(3, 3), Verdict::Skipped, &[]);
    let out = tempfile::tempdir().unwrap();
    let merged = merge(&paths(&[&one, &two, &three]), out.path()).unwrap();
    // Two scenarios once each, and one tool case per external run.
    assert_eq!(merged.test_cases, 4);
    assert_eq!(merged.failed, 0);
    assert_eq!(merged.external_runs, 2);
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    let suites = junit_parse(&junit, Path::new("junit.xml")).unwrap();
    let verdicts: Vec<(String, Verdict)> = suites
        .iter()
        .flat_map(|s| &s.cases)
        .map(|c| (c.name.clone(), c.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                "Scenario: static: f.feature:3:3".to_string(),
                Verdict::Passed
            ),
            (
                "Scenario: every module passes: f.feature:9:3".into(),
                Verdict::Passed
            ),
            ("plan".into(), Verdict::Passed),
            ("plan".into(), Verdict::Passed),
        ]
    );
    let cucumber: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("cucumber.json")).unwrap())
            .unwrap();
    let elements = cucumber.pointer("/0/elements").unwrap().as_array().unwrap();
    assert_eq!(elements.len(), 2);
    assert_eq!(json_verdict(&elements[1]), Verdict::Passed);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.sarif")).unwrap())
            .unwrap();
    assert_eq!(
        sarif
            .pointer("/runs/0/results")
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(out.path().join("index.html").is_file());
    // The page's run lasted as long as the longest shard.
    let run: RunReport = read_json(&out.path().join(RUN_FILE)).unwrap();
    assert_eq!(run.duration, Duration::from_secs(3));
}

#[test]
fn a_failure_in_any_shard_fails_the_merged_scenario() {
    let one = shard_dir(shard(1, 2), Verdict::Failed, &["modules/a"]);
    let two = shard_dir(shard(2, 2), Verdict::Passed, &["modules/b"]);
    let out = tempfile::tempdir().unwrap();
    let merged = merge(&paths(&[&two, &one]), out.path()).unwrap();
    assert_eq!(merged.failed, 1);
}

#[test]
fn coverage_is_the_union_of_the_shards_cases() {
    use crate::coverage::model::{CaseKind, FileLines, FunctionCoverage};
    let case = |name: &str| CaseRef {
        kind: CaseKind::Bats,
        name: name.into(),
        file: "tests/a.bats".into(),
        line: None,
    };
    let shard = |by: Vec<CaseRef>, missed: Vec<u32>| Coverage {
        bash: vec![FunctionCoverage {
            function: "retry".into(),
            file: "lib/common.sh".into(),
            line: 3,
            executed_by: by,
        }],
        bash_files: vec![FileLines {
            file: "lib/common.sh".into(),
            executable: 4,
            executed: 4 - missed.len() as u32,
            missed,
        }],
        ..Coverage::default()
    };
    let merged = coverage_merge(vec![
        shard(vec![case("one")], vec![1, 2]),
        shard(vec![case("two"), case("one")], vec![2, 4]),
    ]);
    assert_eq!(merged.bash.len(), 1);
    assert_eq!(merged.bash[0].executed_by, vec![case("one"), case("two")]);
    assert_eq!(merged.bash_files[0].missed, vec![2]);
    assert_eq!(merged.bash_files[0].executed, 3);
}

#[test]
fn a_run_one_shard_made_twice_is_kept_twice_and_a_run_every_shard_made_once() {
    let suite = |verdict: &str| {
        format!(
            "<testsuite name=\"prometheus: rules loaded\"><testcase name=\"A\" classname=\"g\"{verdict}</testsuite>"
        )
    };
    let one = format!(
        "<testsuites>{}{}</testsuites>",
        suite("/>"),
        suite("><failure/></testcase>")
    );
    let two = format!("<testsuites>{}</testsuites>", suite("/>"));
    let dirs = [
        ShardDir {
            dir: "one".into(),
            record: ShardRecord {
                shard: shard(1, 2),
                external_runs: vec![],
            },
        },
        ShardDir {
            dir: "two".into(),
            record: ShardRecord {
                shard: shard(2, 2),
                external_runs: vec![],
            },
        },
    ];
    let merged = junit_merge(&[one, two], &dirs).unwrap();
    let verdicts: Vec<Verdict> = merged.iter().map(|s| s.cases[0].verdict).collect();
    assert_eq!(verdicts, [Verdict::Passed, Verdict::Failed]);
}
