//! CPU time of the calling thread, for the speed criteria of unit tests: unlike wall time
//! it does not grow when other processes share the cores (a loaded CI machine, a parallel
//! build), so a check that meets its budget is not reported as too slow.

use std::time::Duration;

/// The CPU time this thread has used so far.
pub(crate) fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Runs `f` and returns its result with the CPU time it took on this thread.
pub fn cpu_time_of<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let before = thread_cpu_time();
    let value = f();
    (value, thread_cpu_time().saturating_sub(before))
}

/// Runs `work` three times: the last run's result, with the least CPU time a run took (a
/// speed criterion judges the work's own cost, not a busy neighbour's).
pub fn best_of_three<T>(mut work: impl FnMut() -> T) -> (T, Duration) {
    let (mut value, mut best) = cpu_time_of(&mut work);
    for _ in 1..3 {
        let (next, took) = cpu_time_of(&mut work);
        (value, best) = (next, best.min(took));
    }
    (value, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeping_costs_no_cpu_and_work_does() {
        let ((), slept) = cpu_time_of(|| std::thread::sleep(Duration::from_millis(50)));
        assert!(slept < Duration::from_millis(20), "{slept:?}");
        let (sum, worked) =
            cpu_time_of(|| (0..20_000_000u64).fold(0u64, |a, b| a ^ b.wrapping_mul(31)));
        assert!(sum > 0 && worked > Duration::ZERO, "{worked:?}");
    }

    #[test]
    fn best_of_three_runs_three_times_and_keeps_the_last_value() {
        let mut runs = 0;
        let (value, _) = best_of_three(|| {
            runs += 1;
            runs
        });
        assert_eq!((runs, value), (3, 3));
    }
}
