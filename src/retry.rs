//! Native retry with exponential backoff, the twin of `retry_with_backoff` in
//! `scripts/lib/common.sh` (SPEC.md, US3), and the suite's own way of waiting for
//! something to become ready (a Prometheus server, ...).
//!
//! The delay sequence comes from the `backon` crate's exponential backoff (factor 2, jitter
//! off unless asked for); the retry loop is ours so that attempts, the retry-on filter and
//! dry-run follow the Bash function exactly. Sleeping goes through a [`Sleeper`], so tests
//! run in virtual time.

use std::fmt;
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

/// The exit status of a usage error (bad attempt count), as in the Bash library.
pub(crate) const USAGE_STATUS: i32 = 2;

/// The exit status ssh gives when it could not connect or authenticate.
pub(crate) const SSH_CONNECTION_FAILED: i32 = 255;

/// How to retry a failing operation. Semantics, identical to `retry_with_backoff MAX CMD`:
///
/// - the operation runs up to `max_attempts` times; the first success (status 0) ends it;
/// - after failed attempt k (k < max) it waits `base_delay * 2^(k-1)`, capped by
///   `max_delay`; there is no wait after the last attempt, so a run that fails every time
///   waits `max_attempts - 1` times;
/// - when `retry_on` lists exit statuses, a failure with any other status is returned at
///   once, unretried (like `RETRY_ON`);
/// - `dry_run` (like `DRY_RUN=true`): nothing runs, nothing is retried, the status is 0;
/// - the final status is the last attempt's;
/// - an attempt count that is not a positive whole number is a usage error
///   ([`USAGE_STATUS`]), and nothing runs.
///
/// Defaults match the Bash library: base delay 1 s, cap 60 s, every failure retried, no
/// dry-run, no jitter. Delays are whole milliseconds (backon computes them in `f32`; the
/// rounding removes its representation error, exact for delays up to about an hour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    retry_on: Option<Vec<i32>>,
    dry_run: bool,
    jitter: bool,
}

/// An attempt count that is not a positive whole number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the number of attempts must be a positive whole number (at most 999999999), got {given:?}"
)]
pub(crate) struct UsageError {
    pub given: String,
}

impl UsageError {
    /// The exit status the Bash library gives for the same mistake.
    pub(crate) fn status(&self) -> i32 {
        USAGE_STATUS
    }
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts with the default delays (1 s doubling, 60 s cap).
    pub(crate) fn new(max_attempts: u32) -> Result<Self, UsageError> {
        if max_attempts == 0 {
            return Err(UsageError {
                given: "0".to_string(),
            });
        }
        Ok(Self {
            max_attempts,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            retry_on: None,
            dry_run: false,
            jitter: false,
        })
    }

    /// Reads an attempt count the way `retry_with_backoff` reads MAX: 1 to 9 digits, no
    /// leading zero.
    pub(crate) fn parse_attempts(text: &str) -> Result<Self, UsageError> {
        let refuse = || UsageError {
            given: text.to_string(),
        };
        let valid = text.chars().all(|c| c.is_ascii_digit())
            && (1..=9).contains(&text.len())
            && !text.starts_with('0');
        if !valid {
            return Err(refuse());
        }
        Self::new(text.parse().map_err(|_| refuse())?)
    }

    /// What `ssh_exec_retry` does: 3 attempts, retrying only ssh's own connection failure
    /// (255); a remote command that ran and failed is not run again.
    pub(crate) fn ssh_connection() -> Self {
        Self::new(3)
            .expect("3 is a positive attempt count")
            .retrying_only([SSH_CONNECTION_FAILED])
    }

    pub(crate) fn with_base_delay(mut self, base: Duration) -> Self {
        self.base_delay = base;
        self
    }

    pub(crate) fn with_max_delay(mut self, cap: Duration) -> Self {
        self.max_delay = cap;
        self
    }

    /// Retries only failures with one of these exit statuses (like `RETRY_ON`).
    pub(crate) fn retrying_only(mut self, statuses: impl IntoIterator<Item = i32>) -> Self {
        self.retry_on = Some(statuses.into_iter().collect());
        self
    }

    pub(crate) fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    // Read by the unit tests only.
    #[cfg(test)]
    /// Adds backon's random jitter (up to one more delay) to every wait. The Bash library
    /// has no jitter: a policy with it is no longer its twin.
    pub(crate) fn with_jitter(mut self) -> Self {
        self.jitter = true;
        self
    }

    pub(crate) fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Whether a failure with this status may be retried.
    pub(crate) fn retries_status(&self, status: i32) -> bool {
        self.retry_on
            .as_ref()
            .is_none_or(|statuses| statuses.contains(&status))
    }

    /// backon's exponential backoff for this policy: one delay per retry.
    fn backoff(&self) -> impl Iterator<Item = Duration> {
        // backon yields min_delay first without capping it; the Bash function caps the
        // first delay too, so a base above the cap starts at the cap.
        let mut builder = ExponentialBuilder::default()
            .with_factor(2.0)
            .with_min_delay(self.base_delay.min(self.max_delay))
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts as usize - 1);
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build().map(whole_millis)
    }

    // Read by the unit tests only.
    #[cfg(test)]
    /// The waits of a run in which every attempt fails: `max_attempts - 1` delays,
    /// `min(base * 2^(k-1), cap)` for k = 1, 2, ...
    pub(crate) fn delays(&self) -> Vec<Duration> {
        self.backoff().collect()
    }

    /// Runs an operation that reports an exit status (0 = success) under this policy.
    /// `operation` gets the attempt number (1-based).
    pub(crate) fn run(
        &self,
        sleeper: &mut dyn Sleeper,
        mut operation: impl FnMut(u32) -> i32,
    ) -> Run {
        let (outcome, run) = self.drive(sleeper, |attempt| match operation(attempt) {
            0 => Ok(()),
            status => Err(status),
        });
        Run {
            status: match outcome {
                Some(Err(status)) => status,
                Some(Ok(())) | None => 0,
            },
            ..run
        }
    }

    /// Polls `probe` until it succeeds, sleeping in real time between attempts. `what`
    /// names the thing awaited, for the error: "Prometheus on 127.0.0.1:9090 to be ready".
    ///
    /// For a server the suite starts itself, e.g. 40 attempts from 25 ms capped at 250 ms
    /// (about 9 s in all):
    /// `RetryPolicy::new(40)?.with_base_delay(ms(25)).with_max_delay(ms(250)).wait_until(..)`.
    /// `dry_run` is ignored: waiting is not an action.
    pub(crate) fn wait_until<T, E: std::fmt::Display>(
        &self,
        what: &str,
        probe: impl FnMut() -> Result<T, E>,
    ) -> Result<T, NotReady> {
        self.wait_until_with(&mut ThreadSleeper, what, probe)
    }

    /// [`RetryPolicy::wait_until`] with the sleeper given (virtual time in tests).
    pub(crate) fn wait_until_with<T, E: std::fmt::Display>(
        &self,
        sleeper: &mut dyn Sleeper,
        what: &str,
        mut probe: impl FnMut() -> Result<T, E>,
    ) -> Result<T, NotReady> {
        let policy = Self {
            dry_run: false,
            retry_on: None,
            ..self.clone()
        };
        let (outcome, run) = policy.drive(sleeper, |_| probe().map_err(|e| e.to_string()));
        match outcome {
            Some(Ok(value)) => Ok(value),
            Some(Err(last_error)) => Err(NotReady {
                what: what.to_string(),
                attempts: run.attempts,
                waited: run.delays.iter().sum(),
                last_error,
            }),
            None => unreachable!("dry-run was turned off above"),
        }
    }

    /// The loop shared by [`RetryPolicy::run`] and [`RetryPolicy::wait_until`]: `None` for
    /// a dry run, else the last attempt's result.
    fn drive<T, E: FailureStatus>(
        &self,
        sleeper: &mut dyn Sleeper,
        mut operation: impl FnMut(u32) -> Result<T, E>,
    ) -> (Option<Result<T, E>>, Run) {
        let mut run = Run {
            status: 0,
            attempts: 0,
            delays: Vec::new(),
            dry_run: self.dry_run,
        };
        if self.dry_run {
            return (None, run);
        }
        let mut backoff = self.backoff();
        loop {
            run.attempts += 1;
            let error = match operation(run.attempts) {
                Ok(value) => return (Some(Ok(value)), run),
                Err(error) => error,
            };
            if !error.status().is_none_or(|s| self.retries_status(s)) {
                return (Some(Err(error)), run);
            }
            // backon stops after max_attempts - 1 delays: no wait after the last attempt.
            match backoff.next() {
                Some(delay) => {
                    sleeper.sleep(delay);
                    run.delays.push(delay);
                }
                None => return (Some(Err(error)), run),
            }
        }
    }
}

/// Rounds to whole milliseconds (see [`RetryPolicy`]).
fn whole_millis(delay: Duration) -> Duration {
    let millis = (delay.as_nanos() + 500_000) / 1_000_000;
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// What a failure's exit status is, for the retry-on filter; `None`: not a status, always
/// retryable.
trait FailureStatus {
    fn status(&self) -> Option<i32>;
}

impl FailureStatus for i32 {
    fn status(&self) -> Option<i32> {
        Some(*self)
    }
}

impl FailureStatus for String {
    fn status(&self) -> Option<i32> {
        None
    }
}

/// What a retried run did: the same three facts the BATS tests and the Gherkin scenarios
/// read from the Bash function (attempts, waits, final status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    /// 0 on success (or dry-run), else the last attempt's status.
    pub status: i32,
    /// How many times the operation ran (0 in a dry run).
    pub attempts: u32,
    /// The waits between attempts, in order.
    pub delays: Vec<Duration>,
    pub dry_run: bool,
}

impl Run {
    /// What a check built on this run returns, like `check_ssh_access`: 0 when the last
    /// attempt succeeded, 1 otherwise (the details are in the run, not the status).
    pub(crate) fn check_status(&self) -> i32 {
        if self.status == 0 { 0 } else { 1 }
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let delays: Vec<String> = self.delays.iter().map(|d| format!("{d:?}")).collect();
        write!(
            f,
            "{} attempt(s), waits [{}], final status {}{}",
            self.attempts,
            delays.join(", "),
            self.status,
            if self.dry_run { " (dry run)" } else { "" }
        )
    }
}

/// Something awaited with [`RetryPolicy::wait_until`] did not become ready.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("gave up waiting for {what} after {attempts} attempts over {waited:?}: {last_error}")]
pub(crate) struct NotReady {
    pub what: String,
    pub attempts: u32,
    pub waited: Duration,
    pub(crate) last_error: String,
}

/// Waits between attempts. Injected so that tests run in virtual time.
pub(crate) trait Sleeper {
    fn sleep(&mut self, delay: Duration);
}

/// Real time: `std::thread::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ThreadSleeper;

impl Sleeper for ThreadSleeper {
    fn sleep(&mut self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

/// Virtual time: records each requested wait and returns at once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct VirtualClock {
    pub(crate) slept: Vec<Duration>,
}

impl Sleeper for VirtualClock {
    fn sleep(&mut self, delay: Duration) {
        self.slept.push(delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().copied().map(Duration::from_secs).collect()
    }

    /// An operation that gives these statuses, one per attempt (the last repeats).
    fn scripted(statuses: &[i32]) -> impl FnMut(u32) -> i32 + '_ {
        move |attempt| statuses[(attempt as usize - 1).min(statuses.len() - 1)]
    }

    #[test]
    fn four_attempts_wait_one_two_four_seconds() {
        assert_eq!(RetryPolicy::new(4).unwrap().delays(), secs(&[1, 2, 4]));
    }

    #[test]
    fn succeeding_on_the_second_attempt_waits_once() {
        let mut clock = VirtualClock::default();
        let run = RetryPolicy::new(3)
            .unwrap()
            .run(&mut clock, scripted(&[1, 0]));
        assert_eq!((run.status, run.attempts), (0, 2));
        assert_eq!(run.delays, secs(&[1]));
        assert_eq!(clock.slept, secs(&[1]));
    }

    #[test]
    fn failing_every_attempt_returns_the_last_status_and_never_sleeps_after_it() {
        let mut clock = VirtualClock::default();
        let run = RetryPolicy::new(4)
            .unwrap()
            .run(&mut clock, scripted(&[3, 3, 3, 7]));
        assert_eq!((run.status, run.attempts), (7, 4));
        assert_eq!(clock.slept, secs(&[1, 2, 4]));
    }

    #[test]
    fn one_attempt_never_waits() {
        let mut clock = VirtualClock::default();
        let run = RetryPolicy::new(1).unwrap().run(&mut clock, scripted(&[5]));
        assert_eq!((run.status, run.attempts), (5, 1));
        assert!(clock.slept.is_empty());
    }

    #[test]
    fn delays_double_from_the_base_and_stop_at_the_cap() {
        let policy = RetryPolicy::new(5)
            .unwrap()
            .with_base_delay(Duration::from_secs(2))
            .with_max_delay(Duration::from_secs(5));
        assert_eq!(policy.delays(), secs(&[2, 4, 5, 5]));
    }

    #[test]
    fn a_base_above_the_cap_starts_at_the_cap() {
        let policy = RetryPolicy::new(3)
            .unwrap()
            .with_base_delay(Duration::from_secs(10))
            .with_max_delay(Duration::from_secs(3));
        assert_eq!(policy.delays(), secs(&[3, 3]));
    }

    #[test]
    fn a_status_outside_retry_on_is_returned_at_once() {
        let mut clock = VirtualClock::default();
        let run = RetryPolicy::new(3)
            .unwrap()
            .retrying_only([255])
            .run(&mut clock, scripted(&[1, 0]));
        assert_eq!((run.status, run.attempts), (1, 1));
        assert!(clock.slept.is_empty());
    }

    #[test]
    fn statuses_in_retry_on_are_retried() {
        let mut clock = VirtualClock::default();
        let run = RetryPolicy::new(3)
            .unwrap()
            .retrying_only([1, 255])
            .run(&mut clock, scripted(&[1, 255, 0]));
        assert_eq!((run.status, run.attempts), (0, 3));
        assert_eq!(clock.slept, secs(&[1, 2]));
    }

    #[test]
    fn ssh_connection_retries_only_status_255_three_times() {
        let mut clock = VirtualClock::default();
        let policy = RetryPolicy::ssh_connection();
        let run = policy.run(&mut clock, scripted(&[255]));
        assert_eq!((run.status, run.attempts), (255, 3));
        assert_eq!(clock.slept, secs(&[1, 2]));
        let remote_failure = policy.run(&mut VirtualClock::default(), scripted(&[1, 0]));
        assert_eq!((remote_failure.status, remote_failure.attempts), (1, 1));
    }

    #[test]
    fn dry_run_runs_nothing_and_succeeds() {
        let mut clock = VirtualClock::default();
        let mut ran = false;
        let run = RetryPolicy::new(3)
            .unwrap()
            .with_dry_run(true)
            .run(&mut clock, |_| {
                ran = true;
                1
            });
        assert!(!ran, "the operation ran in a dry run");
        assert_eq!((run.status, run.attempts), (0, 0));
        assert!(run.dry_run && clock.slept.is_empty());
    }

    #[test]
    fn attempt_counts_are_read_like_the_bash_max() {
        assert_eq!(RetryPolicy::parse_attempts("4").unwrap().max_attempts(), 4);
        assert!(RetryPolicy::parse_attempts("999999999").is_ok());
        for bad in ["0", "-1", "abc", "2.5", "", "07", "1000000000", " 3"] {
            let err = RetryPolicy::parse_attempts(bad).unwrap_err();
            assert_eq!(err.status(), USAGE_STATUS, "{bad:?}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!(RetryPolicy::new(0).is_err());
    }

    #[test]
    fn jitter_adds_at_most_one_more_delay() {
        let policy = RetryPolicy::new(6).unwrap().with_jitter();
        for (got, plain) in policy
            .delays()
            .iter()
            .zip(RetryPolicy::new(6).unwrap().delays())
        {
            assert!(*got >= plain && *got <= plain * 2, "{got:?} vs {plain:?}");
        }
    }

    #[test]
    fn wait_until_returns_the_first_ready_value() {
        let mut clock = VirtualClock::default();
        let mut polls = 0;
        let policy = RetryPolicy::new(10)
            .unwrap()
            .with_base_delay(Duration::from_millis(25))
            .with_max_delay(Duration::from_millis(100));
        let value = policy
            .wait_until_with(&mut clock, "the server", || {
                polls += 1;
                if polls < 4 {
                    Err(format!("connection refused ({polls})"))
                } else {
                    Ok("ready")
                }
            })
            .unwrap();
        assert_eq!(value, "ready");
        assert_eq!(
            clock.slept,
            [25, 50, 100].map(Duration::from_millis).to_vec()
        );
    }

    #[test]
    fn wait_until_names_what_never_became_ready() {
        let mut clock = VirtualClock::default();
        let err = RetryPolicy::new(3)
            .unwrap()
            .wait_until_with(&mut clock, "Prometheus on 127.0.0.1:9090", || {
                Err::<(), _>("connection refused".to_string())
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "gave up waiting for Prometheus on 127.0.0.1:9090 after 3 attempts over 3s: \
             connection refused"
        );
    }

    #[test]
    fn wait_until_really_sleeps_with_the_thread_sleeper() {
        let started = std::time::Instant::now();
        let mut polls = 0;
        RetryPolicy::new(3)
            .unwrap()
            .with_base_delay(Duration::from_millis(20))
            .wait_until("a flag", || {
                polls += 1;
                if polls < 2 { Err("not yet") } else { Ok(()) }
            })
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    proptest! {
        /// For any attempt count, base and cap: attempts-1 delays, min(base*2^(k-1), cap).
        #[test]
        fn delays_are_the_capped_doubling_of_the_base(
            attempts in 1u32..=40,
            base_ms in 0u64..=60_000,
            cap_ms in 0u64..=3_600_000,
        ) {
            let policy = RetryPolicy::new(attempts).unwrap()
                .with_base_delay(Duration::from_millis(base_ms))
                .with_max_delay(Duration::from_millis(cap_ms));
            let expected: Vec<Duration> = (1..attempts)
                .map(|k| {
                    let doubled = base_ms.saturating_mul(1u64 << (k - 1).min(62));
                    Duration::from_millis(doubled.min(cap_ms))
                })
                .collect();
            prop_assert_eq!(policy.delays(), expected);
        }

        /// A run that fails every attempt sleeps exactly those delays, and a run that
        /// succeeds on attempt s sleeps the first s-1 of them.
        #[test]
        fn runs_sleep_the_policy_delays_and_stop_at_success(
            attempts in 1u32..=12,
            success_at in 1u32..=14,
            status in 1i32..=255,
        ) {
            let policy = RetryPolicy::new(attempts).unwrap();
            let mut clock = VirtualClock::default();
            let run = policy.run(&mut clock, |k| if k == success_at { 0 } else { status });
            let ran = success_at.min(attempts);
            prop_assert_eq!(run.attempts, ran);
            prop_assert_eq!(run.status, if success_at <= attempts { 0 } else { status });
            prop_assert_eq!(clock.slept, policy.delays()[..(ran as usize - 1)].to_vec());
        }
    }
}
