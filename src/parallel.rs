//! Independent external runs, side by side and at most once.
//!
//! [`map`] runs one thread per item: each run mostly waits on a process (terraform, bats,
//! a script), and a [`JobSlots`] pool (Terraform's is `SPEC_TF_JOBS` big; BATS has its
//! own) bounds the processes, not these threads. [`RunOnce`] keeps a run of the repository
//! under test for every scenario that asks for it, so a module's `terraform test` or a BATS
//! file runs once per suite run (each run's stores live in [`crate::suite::Suite`]).

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// A bound on the external processes of one kind running at once across the suite run
/// (cucumber runs scenarios concurrently). Each kind of run has a pool of its own, so a
/// BATS file never waits for a Terraform slot.
///
/// It also says what the run is waiting for: on a terminal, each job that starts or ends
/// rewrites one progress line on stderr (`running: terraform test 3/5`: 3 of the 5
/// started have finished), as cargo does for crates; elsewhere (CI logs) it stays quiet.
#[derive(Debug)]
pub(crate) struct JobSlots {
    /// What a job of this pool is, for the progress line.
    name: &'static str,
    limit: usize,
    free: Mutex<usize>,
    freed: Condvar,
    started: AtomicUsize,
    finished: AtomicUsize,
    show_progress: bool,
}

/// One slot of a [`JobSlots`] pool, given back when dropped.
#[derive(Debug)]
pub(crate) struct JobSlot<'a>(&'a JobSlots);

impl JobSlots {
    /// A pool of `limit` slots (at least one) for jobs called `name`.
    pub(crate) fn new(name: &'static str, limit: usize) -> JobSlots {
        let limit = limit.max(1);
        JobSlots {
            name,
            limit,
            free: Mutex::new(limit),
            freed: Condvar::new(),
            started: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            show_progress: std::io::stderr().is_terminal(),
        }
    }

    /// Rewrites the progress line (a terminal only). It ends with a carriage return, so the
    /// console's next line writes over it.
    fn progress(&self) {
        if self.show_progress {
            let finished = self.finished.load(Ordering::SeqCst);
            let started = self.started.load(Ordering::SeqCst);
            eprint!("\x1b[Krunning: {} {finished}/{started}\r", self.name);
        }
    }

    /// The most jobs this pool runs at once.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Waits for a free slot and holds it until the returned value is dropped.
    pub(crate) fn acquire(&self) -> JobSlot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        drop(free);
        self.started.fetch_add(1, Ordering::SeqCst);
        self.progress();
        JobSlot(self)
    }
}

impl Drop for JobSlot<'_> {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::SeqCst);
        self.0.progress();
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// `run` on every item, each on its own thread; results in the items' order. A run that
/// panicked gives `panicked(item)`, so no item goes missing from the results.
pub(crate) fn map<I: Sync, T: Send>(
    items: &[I],
    run: impl Fn(&I) -> T + Sync,
    panicked: impl Fn(&I) -> T,
) -> Vec<T> {
    std::thread::scope(|scope| {
        let run = &run;
        let handles: Vec<_> = items
            .iter()
            .map(|item| scope.spawn(move || run(item)))
            .collect();
        handles
            .into_iter()
            .zip(items)
            .map(|(handle, item)| handle.join().unwrap_or_else(|_| panicked(item)))
            .collect()
    })
}

/// One key's result, filled in by the first caller.
type Cell<T> = Arc<OnceLock<Arc<T>>>;

/// Results computed once per store and key (a directory or file of the repository under
/// test); callers asking at the same time wait for the one run.
pub(crate) struct RunOnce<T> {
    cells: OnceLock<Mutex<HashMap<PathBuf, Cell<T>>>>,
}

impl<T> RunOnce<T> {
    pub(crate) const fn new() -> Self {
        RunOnce {
            cells: OnceLock::new(),
        }
    }

    /// The result for `key`, from `run` the first time it is asked for.
    pub(crate) fn get_or_run(&self, key: PathBuf, run: impl FnOnce() -> T) -> Arc<T> {
        let cell = self
            .cells
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_default()
            .clone();
        cell.get_or_init(|| Arc::new(run())).clone()
    }
}

impl<T> std::fmt::Debug for RunOnce<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = self
            .cells
            .get()
            .map_or(0, |cells| cells.lock().map_or(0, |c| c.len()));
        write!(f, "RunOnce({keys} keys)")
    }
}

impl<T> Default for RunOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order_and_a_panic_is_one_result() {
        let items = [3u64, 1, 2, 0];
        let results = map(
            &items,
            |&n| {
                assert!(n != 0, "a run that panics");
                std::thread::sleep(std::time::Duration::from_millis(n * 10));
                Ok::<u64, String>(n * 10)
            },
            |&n| Err(format!("{n} panicked")),
        );
        assert_eq!(
            results,
            [Ok(30), Ok(10), Ok(20), Err("0 panicked".to_string())]
        );
    }

    #[test]
    fn slots_are_given_back() {
        let slots = JobSlots::new("test", 1);
        {
            let _a = slots.acquire();
            assert_eq!(*slots.free.lock().unwrap(), 0);
        }
        let _b = slots.acquire();
        assert_eq!(slots.limit(), 1);
    }

    #[test]
    fn a_key_runs_once_however_many_ask() {
        let cache = RunOnce::new();
        let runs = AtomicUsize::new(0);
        let keys = ["a", "a", "b", "a", "b"];
        let results = map(
            &keys,
            |k| {
                *cache.get_or_run(PathBuf::from(k), || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    k.len()
                })
            },
            |_| 0,
        );
        assert_eq!(results, [1, 1, 1, 1, 1]);
        assert_eq!(runs.load(Ordering::SeqCst), 2);
    }
}
