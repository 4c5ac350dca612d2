//! What a scenario does with the runs of its BATS files ([`crate::shell::bats`]): which files
//! it runs, what it hands to the report, everything wrong with them, and whether the JUnit
//! report has a result for each test.

use crate::finding::Finding;
use crate::outcome::{Outcome, ToolRun};
use crate::shell::bats::{BatsError, BatsRun};

/// The runs of a scenario's BATS files, each a run or why the file gave no results.
pub(crate) type BatsResults = [Result<BatsRun, BatsError>];

/// The files a scenario runs: on a copy that changed or added some of `files` (those
/// `unchanged` says are not the checkout's), just those, since the others' results are the
/// repository's own scenario's; otherwise all of them.
pub fn files_to_run(files: Vec<String>, unchanged: impl Fn(&str) -> bool) -> Vec<String> {
    let changed: Vec<String> = files.iter().filter(|f| !unchanged(f)).cloned().collect();
    if changed.is_empty() { files } else { changed }
}

/// What the runs hand to the report: each file's JUnit suite (a file without results as a
/// failed one) and, for each run, what its tests executed.
pub fn outcomes(runs: &BatsResults) -> Vec<Outcome> {
    runs.iter()
        .flat_map(|run| match run {
            Ok(run) => outcomes_of(run).to_vec(),
            Err(e) => vec![Outcome::ToolRun(e.tool_run())],
        })
        .collect()
}

/// What one run hands to the report: its JUnit suite and what its tests executed.
pub fn outcomes_of(run: &BatsRun) -> [Outcome; 2] {
    [
        Outcome::ToolRun(run.tool_run()),
        Outcome::BashExecution(run.bash_execution()),
    ]
}

/// One line per file run: its tests and how many failed.
pub fn summary(runs: &BatsResults) -> String {
    let line = |run: &BatsRun| {
        let (tests, failed) = (run.tests.len(), run.failed().len());
        format!("{}: {tests} tests, {failed} failed", run.file)
    };
    let lines: Vec<String> = runs.iter().flatten().map(line).collect();
    lines.join("\n")
}

/// Everything wrong with the runs: failed tests, broken plans, files that do not parse.
pub fn findings(runs: &BatsResults) -> Vec<Finding> {
    runs.iter()
        .flat_map(|run| match run {
            Ok(run) => run.findings(),
            Err(e) => vec![e.finding()],
        })
        .collect()
}

/// Where `suites` (the JUnit suites a scenario returned) lack a result of `run`: no suite
/// for its file, a test without its own case under the file, fewer cases than bats planned.
/// Empty when each test has its own result.
pub fn junit_gaps<'a>(run: &BatsRun, suites: impl IntoIterator<Item = &'a ToolRun>) -> Vec<String> {
    let suite_name = format!("bats: {}", run.file);
    let Some(suite) = suites.into_iter().find(|s| s.suite == suite_name) else {
        return vec![format!("no JUnit suite {suite_name:?}")];
    };
    let has_case = |name: &str| {
        let mut cases = suite.cases.iter();
        cases.any(|c| c.name == name && c.classname == run.file)
    };
    let mut gaps: Vec<String> = run
        .tests
        .iter()
        .filter(|t| !has_case(&t.name))
        .map(|t| format!("{}: no JUnit case for {:?}", run.file, t.name))
        .collect();
    if suite.cases.len() < run.planned {
        gaps.push(format!(
            "{suite_name}: {} tests planned, {} cases recorded",
            run.planned,
            suite.cases.len()
        ));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::bats::parse_tap;

    #[test]
    fn a_copy_runs_only_the_files_it_changed() {
        let files = vec!["a.bats".to_string(), "b.bats".to_string()];
        assert_eq!(files_to_run(files.clone(), |_| true), files);
        assert_eq!(files_to_run(files, |f| f == "a.bats"), vec!["b.bats"]);
    }

    #[test]
    fn every_test_needs_its_own_case_under_its_file() {
        let mut run = parse_tap("t.bats", "1..2\nok 1 first in 5ms\nok 2 second in 5ms\n");
        run.status = Some(0);
        assert!(junit_gaps(&run, [&run.tool_run()]).is_empty());
        let mut suite = run.tool_run();
        suite.cases.pop();
        let gaps = junit_gaps(&run, [&suite]);
        assert_eq!(gaps.len(), 2, "{gaps:?}");
        assert!(gaps[0].contains("\"second\""), "{gaps:?}");
        assert_eq!(
            junit_gaps(&run, []),
            vec!["no JUnit suite \"bats: t.bats\""]
        );
    }
}
