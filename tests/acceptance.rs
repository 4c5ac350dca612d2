//! The acceptance suite: every `.feature` under `features/`, run by cucumber with the step
//! definitions in `steps/`, writing `reports/junit.xml` and `reports/cucumber.json`.
//!
//! `cargo test --test acceptance -- --tags @US1` passes cucumber's own flags through; a bare
//! libtest filter (`cargo test retry`) becomes `--name retry`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cucumber::cli::Parser as _;
use cucumber::{World as _, WriterExt as _, cli, writer};
use homelab_spec::{report, spec_root::SpecRoot};

#[path = "acceptance/compact.rs"]
mod compact;
#[path = "acceptance/living_doc.rs"]
mod living_doc;
#[path = "../steps/mod.rs"]
mod steps;

use steps::World;

fn reports_dir() -> PathBuf {
    std::env::var_os("SPEC_REPORTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("reports"))
}

fn main() -> ExitCode {
    let root = match SpecRoot::from_env() {
        Ok(root) => root,
        Err(msg) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let reports = reports_dir();
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

    let opts = match cli::Opts::<_, _, _>::try_parse_from(homelab_spec::cargo_args::cucumber_args(
        std::env::args(),
    )) {
        Ok(opts) => opts,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    println!("homelab-spec: checking {}", root.path().display());

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("features");
    let tally = std::sync::Arc::new(compact::Tally::default());
    let living = living_doc::LivingDoc::new();
    let outcomes_to = living.clone();
    let result = runtime.block_on(
        World::cucumber()
            // Each scenario's outcomes go to the living documentation when it ends.
            .after(move |feature, _rule, scenario, _finished, world| {
                if let Some(world) = world {
                    outcomes_to.attach(feature, scenario, world.outcomes.take());
                }
                Box::pin(async {})
            })
            .with_writer(
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
            )
            .fail_on_skipped()
            .with_cli(opts)
            .run(features),
    );
    use cucumber::writer::Stats as _;
    let failed = result.execution_has_failed();

    let tool_suites = report::recorded();
    let junit_path = reports.join("junit.xml");
    if let Err(e) = report::merge_tool_suites(&junit_path, &tool_suites) {
        eprintln!(
            "error: cannot add tool results to {}: {e}",
            junit_path.display()
        );
        return ExitCode::FAILURE;
    }
    let index = reports.join("index.html");
    let writing = std::time::Instant::now();
    if let Err(e) = living.write(root.path(), &index) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let tool_failures: usize = tool_suites.iter().map(|s| s.failures()).sum();
    println!(
        "reports: {} (JUnit, {} tool suites merged), {}, {} (written in {} ms)",
        junit_path.display(),
        tool_suites.len(),
        reports.join("cucumber.json").display(),
        index.display(),
        writing.elapsed().as_millis()
    );
    // The plain closing line CI reads.
    println!(
        "scenarios: {} passed, {} failed",
        tally.passed(),
        tally.failed()
    );
    if failed || tool_failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {}
