//! The acceptance suite: every `.feature` under `features/`, run by cucumber with the step
//! definitions in `steps/`, writing `reports/junit.xml`, `reports/cucumber.json`,
//! `reports/findings.sarif`, `reports/coverage.json`, `reports/history.json` (appended) and
//! `reports/index.html`.
//!
//! `cargo test --test acceptance -- --tags @US1` passes cucumber's own flags through; a bare
//! libtest filter (`cargo test retry`) becomes `--name retry`.

use std::fs::File;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use cucumber::cli::Parser as _;
use cucumber::{World as _, WriterExt as _, cli, writer};
use homelab_spec::report::living_doc::HistoryReport;
use homelab_spec::report::{self, RunOutcomes, ScenarioOutcomes, history};
use homelab_spec::settings::Settings;
use homelab_spec::suite::Suite;

#[path = "acceptance/compact.rs"]
mod compact;
#[path = "acceptance/filters.rs"]
mod filters;
#[path = "acceptance/living_doc.rs"]
mod living_doc;
#[path = "acceptance/not_applicable.rs"]
mod not_applicable;
#[path = "../steps/mod.rs"]
mod steps;

use steps::World;

fn main() -> ExitCode {
    // Scratch work on a memory-backed file system when the machine has a usable one and the
    // user did not choose TMPDIR (src/scratch.rs says why).
    if let Some(dir) = homelab_spec::scratch::tmpfs_scratch(std::env::var_os("TMPDIR").as_deref()) {
        // SAFETY: no other thread runs yet, and every temporary directory is made after this.
        unsafe { std::env::set_var("TMPDIR", dir) };
    }
    // Every SPEC_* variable is read and checked here, before any scenario: a bad value ends
    // the run with one line and exit status 2. This is the only place the suite exits.
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let suite = steps::start(Suite::new(settings));
    let settings = &suite.settings;
    let root = &settings.root;
    // A root without the homelab's layout (a SPEC_ROOT one typo away: `/`, a home
    // directory, `/tmp`) stops here, before anything is copied.
    if let Err(finding) = homelab_spec::homelab::Homelab::require_layout(root.path()) {
        eprintln!("error: SPEC_ROOT={}: {finding}", root.path().display());
        return ExitCode::from(2);
    }
    // A change without a step, or a step naming a change that does not exist, stops here.
    if let Err(drift) = steps::words::check_against_changes() {
        eprintln!("error: {drift}");
        return ExitCode::from(2);
    }
    let reports = settings.reports.clone();
    let create = |name: &str| -> Result<File, String> {
        std::fs::create_dir_all(&reports)
            .and_then(|_| File::create(reports.join(name)))
            .map_err(|e| format!("cannot write {}: {e}", reports.join(name).display()))
    };
    let (junit, json) = match (create("junit.xml"), create("cucumber.json")) {
        (Ok(j), Ok(c)) => (j, c),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // A failed assertion is reported by cucumber with its message; the default hook would
    // print it a second time with a backtrace hint.
    std::panic::set_hook(Box::new(|_| {}));

    let args = homelab_spec::cargo_args::cucumber_args(std::env::args());
    let filters = homelab_spec::cargo_args::explicit_filters(&args);
    let opts = match cli::Opts::<_, _, _>::try_parse_from(args) {
        Ok(opts) => opts,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    println!("homelab-spec: checking {}", root.path().display());
    // One discovery summary, here; the scenarios' own discoveries stay off the console. The
    // checkout's deployed rules files are read here once, for the coverage at the end.
    let checkout = homelab_spec::homelab::Homelab::discover(root.path()).map(|homelab| {
        let deployed = homelab_spec::alerts::deployed_rules::DeployedRules::read(&homelab);
        (homelab, deployed)
    });
    match &checkout {
        Ok((homelab, _)) => println!(
            "{}\n{}",
            homelab.summary(),
            homelab_spec::alerts::textfile::contract_summary()
        ),
        Err(e) => println!("discovery: {e}"),
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let tally = Arc::new(compact::Tally::default());
    let collected = Arc::new(RunOutcomes::default());
    let collector = collected.clone();
    let living = living_doc::LivingDoc::new();
    let outcomes_to = living.clone();
    let result = runtime.block_on(
        World::cucumber()
            // A scenario knows whether it states one of the plan's own criteria (`@plan` on
            // its feature, rule or itself).
            .before(|feature, rule, scenario, world| {
                world.plan = feature
                    .tags
                    .iter()
                    .chain(rule.iter().flat_map(|r| r.tags.iter()))
                    .chain(&scenario.tags)
                    .any(|tag| tag == "plan");
                Box::pin(async {})
            })
            // Each scenario hands over what it ran; the reports are written from that alone.
            .after(move |feature, _rule, scenario, _finished, world| {
                if let Some(world) = world {
                    // Findings a suppression comment accepted are reported as suppressed.
                    let outcomes = world.take_reported_outcomes();
                    // Read, not taken: the not-applicable writer reads it from the failed step's world,
                    // which cucumber hands over after this hook.
                    let not_applicable = world.not_applicable.as_ref().map(ToString::to_string);
                    collector.add(ScenarioOutcomes {
                        feature: feature
                            .path
                            .as_ref()
                            .map_or_else(|| feature.name.clone(), |p| p.display().to_string()),
                        scenario: scenario.name.clone(),
                        line: scenario.position.line,
                        outcomes: outcomes.clone(),
                        not_applicable,
                        copy_change: world.workspace().change().map(|c| c.sentence()),
                    });
                    outcomes_to.attach(feature, scenario, outcomes);
                }
                Box::pin(async {})
            })
            // Inside `fail_on_skipped`: a scenario that does not apply to this homelab is
            // skipped with its reason, while an undefined step still fails the run.
            .with_writer(not_applicable::NotApplicableAsSkipped::new(
                compact::Compact::new(tally.clone())
                    .summarized()
                    .tee::<World, _>(writer::JUnit::for_tee(junit, 0))
                    .tee::<World, _>(writer::Json::for_tee(json))
                    .tee::<World, _>(
                        living
                            .writer()
                            .discard_arbitrary_writes()
                            .discard_stats_writes(),
                    )
                    .normalized(),
            ))
            .fail_on_skipped()
            .with_cli(opts)
            .run(features.clone()),
    );
    use cucumber::writer::Stats as _;
    let failed = result.execution_has_failed();
    // Every scenario has steps: no step ran means no scenario was selected.
    let selected = result.passed_steps() + result.skipped_steps() + result.failed_steps();
    if let Some(error) =
        homelab_spec::cargo_args::nothing_selected(&filters, selected, &filters::tags_in(&features))
    {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }

    // Every finding about the homelab (broken copies' expected failures left out), for code
    // scanning and, on GitHub Actions, as annotations on the pull request's lines.
    let mut findings = collected.findings();
    // A suppression comment that accepted nothing in a run that saw every finding is stale.
    // SPEC_SHARD: one shard of a sharded run sees part of the suite.
    let shard_text = (!settings.shard.is_all()).then(|| settings.shard.to_string());
    let unused =
        if homelab_spec::suppression::judges_unused(&filters, shard_text.as_deref(), failed) {
            match homelab_spec::suppression::Suppressions::read(root.path()) {
                Ok(suppressions) => suppressions.unused(&findings),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            Vec::new()
        };
    findings.extend(unused.iter().cloned());
    let mut tool_runs = collected.tool_runs();
    tool_runs.extend(homelab_spec::suppression::unused_run(&unused));
    let junit_path = reports.join("junit.xml");
    if let Err(e) = report::finish(&junit_path, &tool_runs, &collected.not_applicable()) {
        eprintln!(
            "error: cannot add tool results to {}: {e}",
            junit_path.display()
        );
        return ExitCode::FAILURE;
    }
    // Notes never fail the run; each is said once, at the end, and kept in the reports.
    let notes = collected.notes();
    // What the run's cases exercise, and this run next to the ones before it.
    let mut report = living.report(root.path(), &suite.tools);
    let covering = std::time::Instant::now();
    let discovered = checkout
        .as_ref()
        .ok()
        .map(|(homelab, deployed)| (homelab, deployed));
    let coverage = homelab_spec::coverage::collect(root.path(), discovered, &collected.all());
    let coverage_ms = covering.elapsed().as_millis();
    let coverage_path = reports.join("coverage.json");
    if let Err(e) = report::coverage_json::write(&coverage_path, &coverage) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let figures = homelab_spec::coverage::Figures::of(&coverage);
    let current = history::RunRecord {
        started: humantime::format_rfc3339_seconds(report.started).to_string(),
        commit: report.commit.clone(),
        counts: history::Counts {
            passed: tally.passed(),
            failed: tally.failed(),
            not_applicable: tally.not_applicable(),
            notes: notes.len(),
        },
        coverage: figures,
        scenarios: report.verdicts(),
    };
    let skip = history::not_recorded(&filters, shard_text.as_deref());
    let history_path = reports.join("history.json");
    report.history = Some(
        match history::record(&history_path, current.clone(), skip) {
            Ok(recorded) => HistoryReport {
                current,
                previous: recorded.previous,
                runs: recorded.history.runs,
                note: recorded.not_recorded.map(|why| why.to_string()),
            },
            Err(e) => {
                eprintln!("warning: {e}");
                HistoryReport {
                    current,
                    previous: None,
                    runs: Vec::new(),
                    note: Some(e.to_string()),
                }
            }
        },
    );
    report.coverage = Some(coverage);
    let index = reports.join("index.html");
    let writing = std::time::Instant::now();
    if let Err(e) = report::living_doc::write_html(&report, &index) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    // Which shard this was and which external runs it made, and the page's model: what
    // `merge-reports` needs to merge the shards of a run into one report.
    let shard = settings.shard;
    let record = homelab_spec::shard::ShardRecord {
        shard,
        external_runs: suite.shard_runs.claimed(),
    };
    if let Err(e) = report::merge::write_shard_files(&reports, &record, &report) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    if !shard.is_all() {
        if record.external_runs.is_empty() {
            println!("{}", homelab_spec::shard::empty_shard_message(shard));
        } else {
            println!(
                "shard {shard}: {} external runs (merge the shards' reports with `make merge-reports`)",
                record.external_runs.len()
            );
        }
    }
    let sarif_path = reports.join("findings.sarif");
    let docs_base = report::sarif::docs_base_from_env();
    if let Err(e) = report::sarif::write(&sarif_path, &findings, root.path(), docs_base.as_deref())
    {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "reports: {} (JUnit, {} tool runs), {}, {}, {} (written in {} ms), {} (collected in {} ms), {}",
        junit_path.display(),
        tool_runs.len(),
        reports.join("cucumber.json").display(),
        sarif_path.display(),
        index.display(),
        writing.elapsed().as_millis(),
        coverage_path.display(),
        coverage_ms,
        history_path.display(),
    );
    if report::annotations::on_github_actions() {
        for line in report::annotations::lines(&findings, root.path(), &sarif_path) {
            println!("{line}");
        }
    }
    if !unused.is_empty() {
        println!("suppressions that accepted no finding in the whole run (remove them):");
        for finding in &unused {
            println!("  {finding}");
        }
    }
    if !notes.is_empty() {
        println!("notes (not judged, with the reason):");
    }
    for note in &notes {
        println!("  {note}");
    }
    // One line per layer: what the run's cases exercise.
    for line in figures.lines() {
        println!("{line}");
    }
    // The plain closing line CI reads.
    println!(
        "scenarios: {} passed, {} failed, {} not applicable; {} notes",
        tally.passed(),
        tally.failed(),
        tally.not_applicable(),
        notes.len()
    );
    // The verdict is the scenarios': a tool run that failed on a broken copy is what its
    // scenario expected, and a failed run the scenario needed has failed that scenario.
    if failed || !unused.is_empty() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
