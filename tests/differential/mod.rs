//! What the differential tests share: a small seeded random generator (so a failing case can
//! be replayed from its seed), byte-level mutations, and how many cases to run.
//!
//! `SPEC_DIFFERENTIAL_CASES=N` runs N mutated files per reader instead of the default;
//! `SPEC_DIFFERENTIAL_SEED=S` starts from another seed (the default is fixed, so `cargo test`
//! is repeatable).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Mutated files per reader in a plain `cargo test`.
pub const DEFAULT_CASES: usize = 300;
const DEFAULT_SEED: u64 = 0x00C0_FFEE_2026_1126;

/// The number of cases and the seed for this run, from the environment.
pub fn settings() -> (usize, u64) {
    let cases = std::env::var("SPEC_DIFFERENTIAL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let seed = std::env::var("SPEC_DIFFERENTIAL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    (cases, seed)
}

/// splitmix64: small, fast, and the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The lines of a text, each with its `\n`.
pub fn lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// Mutations any text file can take: bytes and whole lines deleted, inserted, duplicated,
/// swapped; the file cut short.
pub fn mutate_bytes(rng: &mut Rng, text: &[u8], alphabet: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    if out.is_empty() {
        out.push(*rng.pick(alphabet));
        return out;
    }
    match rng.below(7) {
        0 => {
            out.remove(rng.below(out.len()));
        }
        1 => out.insert(rng.below(out.len() + 1), *rng.pick(alphabet)),
        2 => {
            let at = rng.below(out.len());
            out[at] = *rng.pick(alphabet);
        }
        3 => {
            let mut lines = lines(&out);
            let at = rng.below(lines.len());
            let line = lines[at].clone();
            lines.insert(at, line);
            out = lines.concat();
        }
        4 => {
            let mut lines = lines(&out);
            lines.remove(rng.below(lines.len()));
            out = lines.concat();
        }
        5 => {
            let mut lines = lines(&out);
            if lines.len() > 1 {
                let at = rng.below(lines.len() - 1);
                lines.swap(at, at + 1);
            }
            out = lines.concat();
        }
        _ => out.truncate(rng.below(out.len())),
    }
    out
}

/// Replaces one occurrence (chosen at random) of `from` by `to`; unchanged if none.
pub fn replace_one(rng: &mut Rng, text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let hits: Vec<usize> = text
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    if hits.is_empty() {
        return text.to_vec();
    }
    let at = *rng.pick(&hits);
    [&text[..at], to, &text[at + from.len()..]].concat()
}

/// The repository's root (this crate's manifest directory).
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A case shown in a failure message: its number, seed and text.
pub fn show(number: usize, seed: u64, text: &[u8]) -> String {
    format!(
        "case {number} (SPEC_DIFFERENTIAL_SEED={seed}):\n{}",
        String::from_utf8_lossy(text)
    )
}
