//! Shards: `SPEC_SHARD=K/N` runs shard K of N, so that a CI matrix of N jobs shares the
//! external runs (each Terraform module and environment, each BATS file, each promtool and
//! Prometheus run) instead of every job running all of them.
//!
//! A run belongs to exactly one shard, chosen by a stable hash of its key (its kind and its
//! path relative to the repository root): 64-bit FNV-1a of the key's UTF-8 bytes, modulo N.
//! FNV-1a is fixed by its definition (offset basis and prime below), so every shard, every
//! machine and every Rust release assigns the same run to the same shard; Rust's
//! `DefaultHasher` is not stable across releases and is not used. The cheap static
//! scenarios run in every shard; the merge (`merge-reports`) counts them once.
//!
//! The steps that start external runs filter their list through [`ShardRuns::share`], the
//! one place that applies the shard and records which runs this suite run made
//! ([`ShardRuns::claimed`]; the [`crate::suite::Suite`] holds it); each
//! shard writes those to its reports (`shard.json`) so that the merge can tell a missing
//! shard and a run made twice.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::not_applicable::NotApplicable;

/// Shard `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole run: one shard of one.
    pub(crate) const ALL: Shard = Shard { index: 1, count: 1 };

    /// `K/N` with 1 <= K <= N, as `SPEC_SHARD` writes it (spaces around the numbers are
    /// allowed); `None` otherwise.
    pub fn parse(text: &str) -> Option<Shard> {
        let (k, n) = text.trim().split_once('/')?;
        let index: usize = k.trim().parse().ok()?;
        let count: usize = n.trim().parse().ok()?;
        (index >= 1 && count >= 1 && index <= count).then_some(Shard { index, count })
    }

    /// The shard (1-based) a run with this key belongs to, out of `count`.
    pub fn of(key: &str, count: usize) -> usize {
        (fnv1a_64(key.as_bytes()) % count.max(1) as u64) as usize + 1
    }

    /// Whether the run with this key is this shard's.
    pub fn owns(self, key: &str) -> bool {
        Shard::of(key, self.count) == self.index
    }

    /// Whether this is the whole run (no sharding).
    pub fn is_all(self) -> bool {
        self.count == 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a (Fowler, Noll, Vo): offset basis 0xcbf29ce484222325, prime 0x100000001b3.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The kinds of external runs that are spread over shards; a run's key is
/// `<kind>: <path relative to the repository root>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    TerraformModule,
    TerraformEnvironment,
    Bats,
    PromtoolCheck,
    PrometheusLoad,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::TerraformModule => "terraform module",
            RunKind::TerraformEnvironment => "terraform environment",
            RunKind::Bats => "bats",
            RunKind::PromtoolCheck => "promtool check rules",
            RunKind::PrometheusLoad => "prometheus",
        }
    }

    /// What the not-applicable reason calls a list of them.
    fn plural(self) -> &'static str {
        match self {
            RunKind::TerraformModule => "the modules",
            RunKind::TerraformEnvironment => "the environments",
            RunKind::Bats => "the BATS files",
            RunKind::PromtoolCheck => "the rules files",
            RunKind::PrometheusLoad => "the Prometheus runs",
        }
    }

    /// The key a run of this kind on `path` is assigned and recorded by.
    pub fn key(self, path: &str) -> String {
        format!("{}: {path}", self.as_str())
    }
}

/// This shard of a suite run and the external runs it made, by key.
#[derive(Debug)]
pub struct ShardRuns {
    shard: Shard,
    claimed: Mutex<BTreeSet<String>>,
}

impl ShardRuns {
    /// Shard `shard`, no run made yet.
    pub fn new(shard: Shard) -> ShardRuns {
        ShardRuns {
            shard,
            claimed: Mutex::new(BTreeSet::new()),
        }
    }

    /// Every external run made so far (through [`ShardRuns::share`]), sorted.
    pub fn claimed(&self) -> Vec<String> {
        self.claimed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// This shard's share of `items` (runs of `kind`, each named by its path relative to the
    /// repository root), recorded as claimed. An empty share of a non-empty list is not
    /// applicable in this shard: the scenario is skipped, saying so; another shard judges it.
    pub fn share<T>(
        &self,
        kind: RunKind,
        items: Vec<T>,
        path: impl Fn(&T) -> String,
    ) -> Result<Vec<T>, NotApplicable> {
        let had = items.len();
        let mine: Vec<T> = items
            .into_iter()
            .filter(|item| self.shard.owns(&kind.key(&path(item))))
            .collect();
        let mut claimed = self.claimed.lock().unwrap_or_else(|e| e.into_inner());
        for item in &mine {
            claimed.insert(kind.key(&path(item)));
        }
        if mine.is_empty() && had > 0 {
            return Err(not_in_shard(self.shard, kind));
        }
        Ok(mine)
    }
}

/// The reason a scenario whose runs all belong to other shards is skipped.
pub fn not_in_shard(shard: Shard, kind: RunKind) -> NotApplicable {
    NotApplicable::new(format!("shard {shard} has none of {}", kind.plural()))
}

/// What a shard writes next to its reports (`shard.json`): which shard it was and which
/// external runs it made, for the merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    pub shard: Shard,
    pub external_runs: Vec<String>,
}

/// The file name of [`ShardRecord`] in a reports directory.
pub(crate) const RECORD_FILE: &str = "shard.json";

/// The line an empty shard prints instead of failing as a filter that selects nothing.
pub fn empty_shard_message(shard: Shard) -> String {
    format!(
        "shard {shard} has no external run (more shards than work): only the static scenarios ran, which is not an error"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("infrastructure/modules/m{i}"))
            .collect()
    }

    #[test]
    fn fnv1a_matches_its_published_test_vectors() {
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn only_k_of_n_with_k_from_1_to_n_is_a_shard() {
        assert_eq!(Shard::parse("2/3"), Some(Shard { index: 2, count: 3 }));
        assert_eq!(Shard::parse(" 1 / 1 "), Some(Shard::ALL));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "-1/3", "1/3/5", ""] {
            assert_eq!(Shard::parse(bad), None, "{bad}");
        }
    }

    /// Shard `shard`'s share of `items`, in a suite run of its own.
    fn share(
        shard: Shard,
        kind: RunKind,
        items: Vec<String>,
        path: impl Fn(&String) -> String,
    ) -> Result<Vec<String>, NotApplicable> {
        ShardRuns::new(shard).share(kind, items, path)
    }

    #[test]
    fn the_runs_shared_are_recorded_once_each() {
        let runs = ShardRuns::new(Shard::ALL);
        for _ in 0..2 {
            runs.share(RunKind::Bats, paths(2), |p| p.clone()).unwrap();
        }
        assert_eq!(
            runs.claimed(),
            paths(2)
                .iter()
                .map(|p| RunKind::Bats.key(p))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_run_is_in_exactly_one_shard_and_always_the_same() {
        let items = paths(40);
        for count in 1..=7 {
            let mut seen: Vec<String> = Vec::new();
            for index in 1..=count {
                let shard = Shard { index, count };
                let mine =
                    share(shard, RunKind::Bats, items.clone(), |p| p.clone()).unwrap_or_default();
                let again =
                    share(shard, RunKind::Bats, items.clone(), |p| p.clone()).unwrap_or_default();
                assert_eq!(mine, again, "shard {shard} is deterministic");
                seen.extend(mine);
            }
            seen.sort();
            let mut all = items.clone();
            all.sort();
            assert_eq!(seen, all, "{count} shards cover every run once");
        }
    }

    #[test]
    fn one_shard_is_everything() {
        let items = paths(9);
        assert_eq!(
            share(Shard::ALL, RunKind::TerraformModule, items.clone(), |p| p
                .clone())
            .unwrap(),
            items
        );
    }

    #[test]
    fn the_assignment_does_not_depend_on_the_list() {
        // A run keeps its shard when other runs are added or removed.
        let key = RunKind::Bats.key("tests/restore/test_common.bats");
        let before = Shard::of(&key, 3);
        let shard = Shard {
            index: before,
            count: 3,
        };
        let with_more = share(shard, RunKind::Bats, paths(20), |p| p.clone()).unwrap_or_default();
        assert!(
            !with_more
                .iter()
                .any(|p| p == "tests/restore/test_common.bats")
        );
        assert!(shard.owns(&key));
    }

    #[test]
    fn an_empty_share_is_not_applicable_and_says_which_shard() {
        // More shards than runs: some shard has none of them.
        let items = vec!["tests/a.bats".to_string()];
        let owner = Shard::of(&RunKind::Bats.key("tests/a.bats"), 5);
        let other = Shard {
            index: if owner == 1 { 2 } else { 1 },
            count: 5,
        };
        let why = share(other, RunKind::Bats, items, |p| p.clone()).unwrap_err();
        assert_eq!(
            why.reason,
            format!("shard {other} has none of the BATS files")
        );
        // Nothing to share is not a shard's business: the scenario says so itself.
        assert_eq!(
            share(other, RunKind::Bats, Vec::<String>::new(), |p| p.clone()).unwrap(),
            Vec::<String>::new()
        );
    }
}
