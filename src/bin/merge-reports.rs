//! `merge-reports OUT DIR...`: merges the reports of the shards of one run
//! (`SPEC_SHARD=K/N`, each into its own `SPEC_REPORTS` directory) into `OUT`: `junit.xml`,
//! `cucumber.json`, `findings.sarif`, `coverage.json` when the shards wrote one, and
//! `index.html` rebuilt from the merged data. Fails (exit 1, one line) when a shard is
//! missing or given twice, or two shards made the same external run; exit 2 on usage.
//! `make merge-reports DIRS="..."` calls it. See docs/shards.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let Some((out, dirs)) = args.split_first().filter(|(_, dirs)| !dirs.is_empty()) else {
        eprintln!("usage: merge-reports OUT DIR... (the reports directories of every shard)");
        return ExitCode::from(2);
    };
    let started = Instant::now();
    match homelab_spec::report::merge::merge(dirs, out) {
        Ok(merged) => {
            println!(
                "merge-reports: {} shards, {} external runs, {} test cases ({} failed) into {} (in {} ms)",
                merged.shards,
                merged.external_runs,
                merged.test_cases,
                merged.failed,
                out.display(),
                started.elapsed().as_millis()
            );
            if merged.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: merge-reports: {e}");
            ExitCode::FAILURE
        }
    }
}
