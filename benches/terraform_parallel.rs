//! `make bench`: how much running the five modules' `terraform test` in parallel saves.
//! Prints the sum of the five modules' sequential times and the wall time of all five run
//! at once the way the US2 scenarios run them (one `TestRunner::run` per module, bounded by
//! the CPU count). The target (issue US2, "Speed") is parallel < 0.7 x sequential; the bench
//! exits non-zero when it is missed.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use homelab_spec::homelab::Homelab;
use homelab_spec::suite::Suite;
use homelab_spec::terraform::providers::ProviderSource;
use homelab_spec::terraform::{Module, TestRunner};

const TARGET_RATIO: f64 = 0.7;

fn main() -> ExitCode {
    match bench() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("terraform_parallel: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Any error of the library, as the bench's one-line message.
fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn bench() -> Result<bool, String> {
    let suite = Suite::from_env().map_err(text)?;
    let settings = &suite.settings;
    // Every module the homelab has, as the suite finds them.
    let homelab = Homelab::discover(settings.root.path()).map_err(text)?;
    let modules: Vec<_> = homelab
        .modules
        .iter()
        .map(|m| Module::from_dir(m, &homelab.root))
        .collect();
    let runner = TestRunner::new(&suite.terraform).map_err(text)?;
    // One installation of the offline providers for the whole bench, as in a suite run.
    let _providers = match settings.tf_providers {
        ProviderSource::Offline => Some(suite.terraform.offline_providers(&[]).map_err(text)?),
        ProviderSource::Registry => None,
    };
    // Warm-up (terraform and provider binaries into the page cache), not counted.
    runner.run(&modules[0]).map_err(text)?;

    let mut sequential = Duration::ZERO;
    for module in &modules {
        let started = Instant::now();
        let outcome = runner.run(module).map_err(text)?;
        let took = started.elapsed();
        if !outcome.passed() {
            return Err(format!(
                "the tests failed, timings would mean nothing:\n{outcome}"
            ));
        }
        println!(
            "terraform test {:<18} {:>6.2} s",
            module.name,
            took.as_secs_f64()
        );
        sequential += took;
    }

    let started = Instant::now();
    let outcomes = runner.run_all(&modules);
    let parallel = started.elapsed();
    for outcome in outcomes {
        let outcome = outcome.map_err(text)?;
        if !outcome.passed() {
            return Err(format!("the tests failed in the parallel run:\n{outcome}"));
        }
    }

    let ratio = parallel.as_secs_f64() / sequential.as_secs_f64();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "sequential (sum of {} modules): {:.2} s",
        modules.len(),
        sequential.as_secs_f64()
    );
    println!(
        "parallel ({} modules, {} at a time): {:.2} s",
        modules.len(),
        suite.terraform.parallel_limit(),
        parallel.as_secs_f64()
    );
    let met = ratio < TARGET_RATIO;
    println!(
        "ratio {ratio:.2} on {cpus} CPUs (target < {TARGET_RATIO}): {}",
        if met { "met" } else { "MISSED" }
    );
    Ok(met)
}
