//! Merging the reports of the shards of one run (`SPEC_SHARD=K/N`, see [`crate::shard`])
//! into the reports of the whole run: `junit.xml`, `cucumber.json`, `findings.sarif`,
//! `coverage.json` when the shards wrote one, and `index.html` rebuilt from the merged
//! `run.json` (the page's model, which each shard writes next to its reports).
//!
//! A scenario every shard ran (a static one, or one about "every module" that each shard
//! judged on its share) is counted once, with the worst verdict any shard gave it: failed,
//! else passed, else skipped (a shard that had none of the scenario's runs skips it, and
//! the shard that had them passes or fails it). The merge refuses a set of shards with one
//! missing or given twice, shards of different counts, and two shards that made the same
//! external run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;

use crate::coverage::model::{CaseRef, Coverage, RuleStatus};
use crate::report::living_doc::{Criterion, FeatureReport, RunReport, ScenarioReport, Status};
use crate::shard::{RECORD_FILE, Shard, ShardRecord};

/// The model of the page (`index.html`), written by each run for the merge.
pub(crate) const RUN_FILE: &str = "run.json";

/// Why the shards' reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a shard's report: {why}")]
    Bad { path: PathBuf, why: String },
    #[error("no reports directory to merge")]
    Nothing,
    #[error("the shards are of different counts: {0}")]
    Counts(String),
    #[error("shard {shard} is given twice: {first} and {second}")]
    Twice {
        shard: Shard,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("shard {missing} is missing: only {given} were given")]
    Missing { missing: Shard, given: String },
    #[error("two shards made the same external run {run:?}: shard {first} and shard {second}")]
    RunTwice {
        run: String,
        first: Shard,
        second: Shard,
    },
}

/// One shard's reports directory and what it says about itself.
#[derive(Debug, Clone)]
pub(crate) struct ShardDir {
    pub dir: PathBuf,
    pub record: ShardRecord,
}

/// What was merged, for the closing line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub shards: usize,
    pub test_cases: usize,
    pub failed: usize,
    pub external_runs: usize,
}

/// Writes `record` and the page's model `run` into a run's reports directory.
pub fn write_shard_files(
    dir: &Path,
    record: &ShardRecord,
    run: &RunReport,
) -> Result<(), MergeError> {
    write_json(&dir.join(RECORD_FILE), record)?;
    write_json(&dir.join(RUN_FILE), run)
}

/// Reads each directory's `shard.json` and checks that together they are every shard of
/// one run, each once, and that no external run was made twice.
pub(crate) fn check_shards(dirs: &[PathBuf]) -> Result<Vec<ShardDir>, MergeError> {
    let shards: Vec<ShardDir> = dirs
        .iter()
        .map(|dir| {
            Ok(ShardDir {
                record: read_json(&dir.join(RECORD_FILE))?,
                dir: dir.clone(),
            })
        })
        .collect::<Result<_, MergeError>>()?;
    let count = shards
        .first()
        .ok_or(MergeError::Nothing)?
        .record
        .shard
        .count;
    if shards.iter().any(|s| s.record.shard.count != count) {
        let all: Vec<String> = shards
            .iter()
            .map(|s| format!("{} ({})", s.record.shard, s.dir.display()))
            .collect();
        return Err(MergeError::Counts(all.join(", ")));
    }
    let mut by_index: BTreeMap<usize, &ShardDir> = BTreeMap::new();
    for shard in &shards {
        if let Some(first) = by_index.insert(shard.record.shard.index, shard) {
            return Err(MergeError::Twice {
                shard: shard.record.shard,
                first: first.dir.clone(),
                second: shard.dir.clone(),
            });
        }
    }
    if let Some(index) = (1..=count).find(|i| !by_index.contains_key(i)) {
        let given: Vec<String> = by_index
            .values()
            .map(|s| s.record.shard.to_string())
            .collect();
        return Err(MergeError::Missing {
            missing: Shard { index, count },
            given: given.join(", "),
        });
    }
    let mut made_by: BTreeMap<&str, Shard> = BTreeMap::new();
    for shard in &shards {
        for run in &shard.record.external_runs {
            if let Some(first) = made_by.insert(run, shard.record.shard) {
                return Err(MergeError::RunTwice {
                    run: run.clone(),
                    first,
                    second: shard.record.shard,
                });
            }
        }
    }
    Ok(shards)
}

/// Merges the shards' reports in `dirs` into `out` (created if needed).
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<Merged, MergeError> {
    let shards = check_shards(dirs)?;
    std::fs::create_dir_all(out).map_err(|source| MergeError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let read = |dir: &Path, name: &str| read_text(&dir.join(name));

    let junits: Vec<String> = shards
        .iter()
        .map(|s| read(&s.dir, "junit.xml"))
        .collect::<Result<_, _>>()?;
    let suites = junit_merge(&junits, &shards)?;
    let test_cases = suites.iter().map(|s| s.cases.len()).sum();
    let failed = suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.verdict == Verdict::Failed)
        .count();
    write_text(&out.join("junit.xml"), &junit_xml(&suites))?;

    let cucumber: Vec<Value> = shards
        .iter()
        .map(|s| read_json(&s.dir.join("cucumber.json")))
        .collect::<Result<_, _>>()?;
    write_json(&out.join("cucumber.json"), &cucumber_merge(cucumber))?;

    let sarif: Vec<Value> = shards
        .iter()
        .map(|s| read_json(&s.dir.join("findings.sarif")))
        .collect::<Result<_, _>>()?;
    write_json(&out.join("findings.sarif"), &sarif_merge(sarif))?;

    let coverages: Vec<Coverage> = shards
        .iter()
        .map(|s| s.dir.join("coverage.json"))
        .filter(|p| p.is_file())
        .map(|p| read_json(&p))
        .collect::<Result<_, _>>()?;
    if !coverages.is_empty() {
        write_json(&out.join("coverage.json"), &coverage_merge(coverages))?;
    }

    let runs: Vec<RunReport> = shards
        .iter()
        .map(|s| read_json(&s.dir.join(RUN_FILE)))
        .collect::<Result<_, _>>()?;
    let run = run_merge(runs);
    let index = out.join("index.html");
    super::living_doc::write_html(&run, &index).map_err(|e| MergeError::Write {
        path: index.clone(),
        source: std::io::Error::other(e.to_string()),
    })?;
    write_json(&out.join(RUN_FILE), &run)?;
    let external_runs: Vec<String> = shards
        .iter()
        .flat_map(|s| s.record.external_runs.iter().cloned())
        .collect();
    let count = external_runs.len();
    let mut sorted = external_runs;
    sorted.sort();
    write_json(
        &out.join(RECORD_FILE),
        &ShardRecord {
            shard: Shard::ALL,
            external_runs: sorted,
        },
    )?;
    Ok(Merged {
        shards: shards.len(),
        test_cases,
        failed,
        external_runs: count,
    })
}

// ---- verdicts ----

/// A case's verdict, in the order a merge prefers them: a failure anywhere fails it, a pass
/// beats a skip (the shard that had the scenario's runs judged it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Skipped,
    Passed,
    Failed,
}

// ---- junit.xml ----

#[derive(Debug, Clone)]
pub(crate) struct Suite {
    name: String,
    cases: Vec<Case>,
}

#[derive(Debug, Clone)]
struct Case {
    classname: String,
    name: String,
    time: f64,
    verdict: Verdict,
    /// The `<testcase>` element as the shard wrote it.
    xml: String,
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// The suites and cases of one `junit.xml`, each case kept as written.
pub(crate) fn junit_parse(text: &str, path: &Path) -> Result<Vec<Suite>, MergeError> {
    let bad = |why: String| MergeError::Bad {
        path: path.to_path_buf(),
        why,
    };
    let mut reader = Reader::from_str(text);
    let mut suites: Vec<Suite> = Vec::new();
    let mut case: Option<(usize, Case)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("not well-formed XML: {e}")))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuite" => {
                suites.push(Suite {
                    name: attr(&e, "name").unwrap_or_default(),
                    cases: Vec::new(),
                });
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                case = Some((before, new_case(&e)));
            }
            Event::Empty(e) if e.name().as_ref() == b"testcase" => {
                let mut c = new_case(&e);
                c.xml = text[before..after].to_string();
                push_case(&mut suites, c).map_err(bad)?;
            }
            Event::Start(e) | Event::Empty(e) => {
                if let Some((_, c)) = case.as_mut() {
                    match e.name().as_ref() {
                        b"failure" | b"error" => c.verdict = Verdict::Failed,
                        b"skipped" if c.verdict == Verdict::Passed => c.verdict = Verdict::Skipped,
                        _ => {}
                    }
                }
            }
            Event::End(e) if e.name().as_ref() == b"testcase" => {
                if let Some((start, mut c)) = case.take() {
                    c.xml = text[start..after].to_string();
                    push_case(&mut suites, c).map_err(bad)?;
                }
            }
            _ => {}
        }
    }
    Ok(suites)
}

fn new_case(e: &BytesStart) -> Case {
    Case {
        classname: attr(e, "classname").unwrap_or_default(),
        name: attr(e, "name").unwrap_or_default(),
        time: attr(e, "time").and_then(|t| t.parse().ok()).unwrap_or(0.0),
        verdict: Verdict::Passed,
        xml: String::new(),
    }
}

fn push_case(suites: &mut [Suite], case: Case) -> Result<(), String> {
    suites
        .last_mut()
        .ok_or_else(|| format!("a testcase outside any testsuite: {}", case.name))?
        .cases
        .push(case);
    Ok(())
}

/// The suites of every shard, in the order they first appear. A suite is one run: its name
/// and its cases' names. The same run in several shards (a static scenario's feature, a
/// scenario skipped where it had no share) is merged once, each case with the worst verdict
/// (and that shard's element); a run one shard made several times (the same tool run on the
/// repository and on a copy) is kept as often as that shard made it.
fn junit_merge(texts: &[String], shards: &[ShardDir]) -> Result<Vec<Suite>, MergeError> {
    type Key = (String, Vec<(String, String)>);
    let key = |suite: &Suite| -> Key {
        let mut cases: Vec<(String, String)> = suite
            .cases
            .iter()
            .map(|c| (c.classname.clone(), c.name.clone()))
            .collect();
        cases.sort();
        (suite.name.clone(), cases)
    };
    let mut merged: Vec<(Key, Suite)> = Vec::new();
    for (text, shard) in texts.iter().zip(shards) {
        // How often this shard has made each run so far.
        let mut seen: BTreeMap<Key, usize> = BTreeMap::new();
        for suite in junit_parse(text, &shard.dir.join("junit.xml"))? {
            let k = key(&suite);
            let nth = seen.entry(k.clone()).or_default();
            let existing = merged
                .iter_mut()
                .filter(|(mk, _)| *mk == k)
                .nth(*nth)
                .map(|(_, s)| s);
            *nth += 1;
            match existing {
                Some(into) => merge_cases(into, suite),
                None => merged.push((k, suite)),
            }
        }
    }
    Ok(merged.into_iter().map(|(_, s)| s).collect())
}

/// The cases of the same run from another shard: each (by name, and by its place among the
/// cases of that name) takes the worse verdict.
fn merge_cases(into: &mut Suite, other: Suite) {
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for case in other.cases {
        let nth = seen
            .entry((case.classname.clone(), case.name.clone()))
            .or_default();
        if let Some(c) = into
            .cases
            .iter_mut()
            .filter(|c| c.classname == case.classname && c.name == case.name)
            .nth(*nth)
            && case.verdict > c.verdict
        {
            *c = case;
        }
        *nth += 1;
    }
}

fn junit_xml(suites: &[Suite]) -> String {
    let escape = |s: &str| quick_xml::escape::escape(s).into_owned();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n");
    for suite in suites {
        let count = |v: Verdict| suite.cases.iter().filter(|c| c.verdict == v).count();
        let time: f64 = suite.cases.iter().map(|c| c.time).sum();
        out.push_str(&format!(
            "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{time:.3}\">\n",
            escape(&suite.name),
            suite.cases.len(),
            count(Verdict::Failed),
            count(Verdict::Skipped),
        ));
        for case in &suite.cases {
            out.push_str("  ");
            out.push_str(case.xml.trim());
            out.push('\n');
        }
        out.push_str("</testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

// ---- cucumber.json ----

fn json_verdict(element: &Value) -> Verdict {
    let statuses: Vec<&str> = ["before", "steps", "after"]
        .iter()
        .filter_map(|k| element.get(k).and_then(Value::as_array))
        .flatten()
        .filter_map(|s| s.pointer("/result/status").and_then(Value::as_str))
        .collect();
    if statuses.contains(&"failed") {
        Verdict::Failed
    } else if statuses.iter().all(|s| *s == "passed") {
        Verdict::Passed
    } else {
        Verdict::Skipped
    }
}

/// Features by `uri`; a scenario (with the background elements written before it) by its
/// line and name, once, with the worst verdict.
fn cucumber_merge(shards: Vec<Value>) -> Value {
    /// A scenario's elements (its backgrounds and itself) with their verdict, by line and name.
    type Unit = ((i64, String), (Verdict, Vec<Value>));
    let mut features: Vec<(Value, Vec<Unit>)> = Vec::new();
    for shard in shards {
        for mut feature in shard.as_array().cloned().unwrap_or_default() {
            let elements = feature
                .get_mut("elements")
                .map(Value::take)
                .and_then(|e| e.as_array().cloned())
                .unwrap_or_default();
            let uri = feature.get("uri").cloned();
            let at = match features
                .iter()
                .position(|(f, _)| f.get("uri").cloned() == uri)
            {
                Some(at) => at,
                None => {
                    features.push((feature, Vec::new()));
                    features.len() - 1
                }
            };
            let units = &mut features[at].1;
            let mut pending: Vec<Value> = Vec::new();
            for element in elements {
                let is_background =
                    element.get("type").and_then(Value::as_str) == Some("background");
                pending.push(element.clone());
                if is_background {
                    continue;
                }
                let key = (
                    element.get("line").and_then(Value::as_i64).unwrap_or(0),
                    element
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                );
                let verdict = pending
                    .iter()
                    .map(json_verdict)
                    .max()
                    .unwrap_or(Verdict::Passed);
                let unit = (verdict, std::mem::take(&mut pending));
                match units.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, existing)) if unit.0 > existing.0 => *existing = unit,
                    Some(_) => {}
                    None => units.push((key, unit)),
                }
            }
        }
    }
    Value::Array(
        features
            .into_iter()
            .map(|(mut feature, units)| {
                let elements: Vec<Value> = units.into_iter().flat_map(|(_, (_, e))| e).collect();
                if let Some(map) = feature.as_object_mut() {
                    map.insert("elements".into(), Value::Array(elements));
                }
                feature
            })
            .collect(),
    )
}

// ---- findings.sarif ----

/// The first shard's log with every shard's rules (by id) and results (each once).
fn sarif_merge(shards: Vec<Value>) -> Value {
    let mut shards = shards.into_iter();
    let Some(mut merged) = shards.next() else {
        return Value::Null;
    };
    for shard in shards {
        let rules = shard
            .pointer("/runs/0/tool/driver/rules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let results = shard
            .pointer("/runs/0/results")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Array(into)) = merged.pointer_mut("/runs/0/tool/driver/rules") {
            for rule in rules {
                if !into.iter().any(|r| r.get("id") == rule.get("id")) {
                    into.push(rule);
                }
            }
        }
        if let Some(Value::Array(into)) = merged.pointer_mut("/runs/0/results") {
            for result in results {
                if !into.contains(&result) {
                    into.push(result);
                }
            }
        }
    }
    // Rule indexes point into the merged rules list.
    let ids: Vec<Value> = merged
        .pointer("/runs/0/tool/driver/rules")
        .and_then(Value::as_array)
        .map(|rules| {
            rules
                .iter()
                .map(|r| r.get("id").cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Array(results)) = merged.pointer_mut("/runs/0/results") {
        for result in results {
            let index = result
                .get("ruleId")
                .and_then(|id| ids.iter().position(|x| x == id));
            if let (Some(index), Some(map)) = (index, result.as_object_mut())
                && map.contains_key("ruleIndex")
            {
                map.insert("ruleIndex".into(), Value::from(index));
            }
        }
    }
    merged
}

// ---- coverage.json ----

fn union(into: &mut Vec<CaseRef>, more: Vec<CaseRef>) {
    into.extend(more);
    into.sort();
    into.dedup();
}

/// Each item once (by what it is about), covered by the union of the shards' cases.
fn coverage_merge(shards: Vec<Coverage>) -> Coverage {
    let mut shards = shards.into_iter();
    let mut merged = shards.next().unwrap_or_default();
    for shard in shards {
        for rule in shard.alerts {
            match merged
                .alerts
                .iter_mut()
                .find(|r| (&r.alert, &r.file, r.line) == (&rule.alert, &rule.file, rule.line))
            {
                Some(r) => {
                    union(&mut r.firing, rule.firing);
                    union(&mut r.quiet, rule.quiet);
                    r.status = RuleStatus::of(&r.firing, &r.quiet);
                }
                None => merged.alerts.push(rule),
            }
        }
        for element in shard.terraform {
            match merged.terraform.iter_mut().find(|e| {
                (&e.directory, &e.address, &e.file)
                    == (&element.directory, &element.address, &element.file)
            }) {
                Some(e) => union(&mut e.covered_by, element.covered_by),
                None => merged.terraform.push(element),
            }
        }
        for function in shard.bash {
            match merged.bash.iter_mut().find(|f| {
                (&f.function, &f.file, f.line)
                    == (&function.function, &function.file, function.line)
            }) {
                Some(f) => union(&mut f.executed_by, function.executed_by),
                None => merged.bash.push(function),
            }
        }
        for file in shard.bash_files {
            match merged.bash_files.iter_mut().find(|f| f.file == file.file) {
                Some(f) => {
                    // A line is missed only when no shard executed it.
                    f.missed.retain(|line| file.missed.contains(line));
                    f.executed = f.executable.saturating_sub(f.missed.len() as u32);
                }
                None => merged.bash_files.push(file),
            }
        }
        for metric in shard.textfile {
            match merged
                .textfile
                .iter_mut()
                .find(|m| m.metric == metric.metric)
            {
                Some(m) => union(&mut m.executed_by, metric.executed_by),
                None => merged.textfile.push(metric),
            }
        }
    }
    merged
}

// ---- run.json (the page) ----

fn status_verdict(status: Status) -> Verdict {
    match status {
        Status::Failed => Verdict::Failed,
        Status::Passed => Verdict::Passed,
        Status::Skipped => Verdict::Skipped,
    }
}

/// One scenario out of every shard's: the worst verdict's, with the outcomes of every shard
/// that ran it (each once).
fn merge_scenario(into: &mut ScenarioReport, other: ScenarioReport) {
    let ran = |s: &ScenarioReport| s.status != Status::Skipped;
    let mut outcomes = std::mem::take(&mut into.outcomes);
    if ran(&other) {
        if !ran(into) {
            outcomes.clear();
        }
        for outcome in &other.outcomes {
            if !outcomes.contains(outcome) {
                outcomes.push(outcome.clone());
            }
        }
    }
    if status_verdict(other.status) > status_verdict(into.status) {
        *into = other;
    }
    into.outcomes = outcomes;
}

fn merge_scenarios(into: &mut Vec<ScenarioReport>, more: Vec<ScenarioReport>) {
    for scenario in more {
        match into.iter_mut().find(|s| s.line == scenario.line) {
            Some(s) => merge_scenario(s, scenario),
            None => into.push(scenario),
        }
    }
}

fn merge_feature(into: &mut FeatureReport, other: FeatureReport) {
    for criterion in other.criteria {
        match criterion {
            Criterion::Rule(rule) => {
                match into.criteria.iter_mut().find_map(|c| match c {
                    Criterion::Rule(r) if r.line == rule.line => Some(r),
                    _ => None,
                }) {
                    Some(r) => merge_scenarios(&mut r.scenarios, rule.scenarios),
                    None => into.criteria.push(Criterion::Rule(rule)),
                }
            }
            Criterion::Scenario(scenario) => {
                match into.criteria.iter_mut().find_map(|c| match c {
                    Criterion::Scenario(s) if s.line == scenario.line => Some(s),
                    _ => None,
                }) {
                    Some(s) => merge_scenario(s, scenario),
                    None => into.criteria.push(Criterion::Scenario(scenario)),
                }
            }
        }
    }
}

/// The page's model of the whole run: started with the first shard, as long as the
/// longest (the shards ran side by side).
fn run_merge(shards: Vec<RunReport>) -> RunReport {
    let mut shards = shards.into_iter();
    let Some(mut merged) = shards.next() else {
        return RunReport::new(".");
    };
    for shard in shards {
        merged.started = merged.started.min(shard.started);
        merged.duration = merged.duration.max(shard.duration);
        for error in shard.errors {
            if !merged.errors.contains(&error) {
                merged.errors.push(error);
            }
        }
        for feature in shard.features {
            match merged.features.iter_mut().find(|f| f.path == feature.path) {
                Some(f) => merge_feature(f, feature),
                None => merged.features.push(feature),
            }
        }
    }
    merged
}

// ---- files ----

fn read_text(path: &Path) -> Result<String, MergeError> {
    std::fs::read_to_string(path).map_err(|source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, MergeError> {
    serde_json::from_str(&read_text(path)?).map_err(|e| MergeError::Bad {
        path: path.to_path_buf(),
        why: e.to_string(),
    })
}

fn write_text(path: &Path, text: &str) -> Result<(), MergeError> {
    std::fs::write(path, text).map_err(|source| MergeError::Write {
        path: path.to_path_buf(),
        source,
    })
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), MergeError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| MergeError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    write_text(path, &text)
}

#[cfg(test)]
mod tests;
