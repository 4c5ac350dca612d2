//! The "did you mean" search over catalog metric names, bounded so that a file full of
//! unknown metrics (or one absurdly long name) cannot stall the run.
//!
//! An unknown name is compared with a catalog name only when three cheap filters allow the
//! edit distance to be within the threshold: the lengths (the distance is at least their
//! difference), the character counts (at least the larger of the surplus either side, a
//! "bag distance"), and then a Levenshtein computed in a band of width 2 x threshold that
//! stops as soon as a whole row is over the threshold. Each query is thus one pass over
//! the names of nearby length with 39 additions each, plus a banded distance for the few
//! that pass.

/// Characters folded into 39 counters: letters (case folded), digits, `_`, `:`, anything else.
const BUCKETS: usize = 39;

type Histogram = [u8; BUCKETS];

fn bucket(c: u8) -> usize {
    match c {
        b'a'..=b'z' => usize::from(c - b'a'),
        b'A'..=b'Z' => usize::from(c - b'A'),
        b'0'..=b'9' => 26 + usize::from(c - b'0'),
        b'_' => 36,
        b':' => 37,
        _ => 38,
    }
}

/// Which of the 39 character classes occur at all: one bit each.
fn signature(h: &Histogram) -> u64 {
    h.iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .fold(0, |sig, (i, _)| sig | (1u64 << i))
}

/// A cheaper, weaker lower bound: each class present on one side only needs an edit.
fn signature_distance(a: u64, b: u64) -> usize {
    (a & !b).count_ones().max((b & !a).count_ones()) as usize
}

fn histogram(name: &[u8]) -> Histogram {
    let mut h = [0u8; BUCKETS];
    for &c in name {
        let slot = &mut h[bucket(c)];
        *slot = slot.saturating_add(1);
    }
    h
}

/// The largest edit distance still worth suggesting for a name of this length.
pub(crate) fn threshold(len: usize) -> usize {
    3.max(len / 6)
}

/// Catalog names grouped by length, each with its character counts.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    /// `by_len[n]`: the names of byte length n.
    by_len: Vec<Vec<Entry>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    name: String,
    histogram: Histogram,
    signature: u64,
}

impl NameIndex {
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_len: Vec<Vec<Entry>> = Vec::new();
        for name in names {
            if by_len.len() <= name.len() {
                by_len.resize_with(name.len() + 1, Vec::new);
            }
            let histogram = histogram(name.as_bytes());
            by_len[name.len()].push(Entry {
                name: name.to_string(),
                signature: signature(&histogram),
                histogram,
            });
        }
        for bucket in &mut by_len {
            bucket.sort();
        }
        Self { by_len }
    }

    /// The name closest to `query` within [`threshold`], the alphabetically first on a tie.
    pub(crate) fn closest(&self, query: &str) -> Option<&str> {
        let q = query.as_bytes();
        let limit = threshold(q.len());
        let lo = q.len().saturating_sub(limit);
        let hi = (q.len() + limit).min(self.by_len.len().saturating_sub(1));
        if lo > hi {
            return None;
        }
        let qh = histogram(q);
        let qs = signature(&qh);
        let mut best: Option<(usize, &str)> = None;
        // Rings of names k bytes longer or shorter, nearest first: the distance is at least
        // k, so once a match at distance d is found the rings beyond d are never read.
        for k in 0..=limit {
            let bound = best.map_or(limit, |(d, _)| d);
            if k > bound {
                break;
            }
            let ring = [q.len().checked_sub(k), (k > 0).then_some(q.len() + k)];
            // Best first within the ring: the smallest lower bounds are computed first, so
            // that a close match rules out everything whose bound is larger.
            let mut candidates: Vec<(usize, &str)> = ring
                .into_iter()
                .flatten()
                .filter(|len| (lo..=hi).contains(len))
                .flat_map(|len| &self.by_len[len])
                .filter(|e| signature_distance(qs, e.signature) <= bound)
                .filter_map(|e| {
                    let lb = bag_distance(&qh, &e.histogram);
                    (lb <= bound).then_some((lb, e.name.as_str()))
                })
                .collect();
            candidates.sort_unstable();
            for (lb, name) in candidates {
                let bound = best.map_or(limit, |(d, _)| d);
                if lb > bound {
                    break;
                }
                if let Some(d) = bounded_distance(q, name.as_bytes(), bound) {
                    let better = match best {
                        None => true,
                        Some((bd, bn)) => d < bd || (d == bd && name < bn),
                    };
                    if better {
                        best = Some((d, name));
                    }
                }
            }
        }
        best.map(|(_, name)| name)
    }
}

/// A lower bound of the edit distance from the character counts alone.
fn bag_distance(a: &Histogram, b: &Histogram) -> usize {
    let (mut more, mut fewer) = (0usize, 0usize);
    for (x, y) in a.iter().zip(b) {
        if x > y {
            more += usize::from(x - y);
        } else {
            fewer += usize::from(y - x);
        }
    }
    more.max(fewer)
}

/// The Levenshtein distance of `a` and `b` if it is at most `limit`, else `None`; only the
/// cells within `limit` of the diagonal are computed.
fn bounded_distance(a: &[u8], b: &[u8], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // A common prefix and suffix never change the distance; names of one exporter share
    // long ones (`node_`, `_seconds_total`), so the table shrinks to the differing middle.
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    let over = limit + 1;
    let mut previous: Vec<usize> = (0..=b.len()).map(|j| j.min(over)).collect();
    let mut row = vec![over; b.len() + 1];
    for i in 1..=a.len() {
        let from = i.saturating_sub(limit).max(1);
        let to = (i + limit).min(b.len());
        row.fill(over);
        row[0] = i.min(over);
        let mut row_min = row[0];
        for j in from..=to {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let value = (previous[j - 1] + cost)
                .min(previous[j] + 1)
                .min(row[j - 1] + 1)
                .min(over);
            row[j] = value;
            row_min = row_min.min(value);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut previous, &mut row);
    }
    let d = previous[b.len()];
    (d <= limit).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain quadratic distance, as the reference.
    fn levenshtein(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut previous = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let here = row[j + 1];
                row[j + 1] = (previous + usize::from(ca != *cb))
                    .min(row[j] + 1)
                    .min(here + 1);
                previous = here;
            }
        }
        row[b.len()]
    }

    #[test]
    fn the_bounded_distance_agrees_with_levenshtein_within_the_limit() {
        let words = [
            "node_load15",
            "node_load_15",
            "node_loda15",
            "node_load1",
            "nodeload15",
            "up",
            "",
            "node_systemd_unit_state",
            "node_systemd_units_state",
            "xnode_load15x",
        ];
        for a in words {
            for b in words {
                for limit in 0..6 {
                    let exact = levenshtein(a, b);
                    let bounded = bounded_distance(a.as_bytes(), b.as_bytes(), limit);
                    assert_eq!(
                        bounded,
                        (exact <= limit).then_some(exact),
                        "{a:?} {b:?} limit {limit}"
                    );
                    let (ha, hb) = (histogram(a.as_bytes()), histogram(b.as_bytes()));
                    assert!(bag_distance(&ha, &hb) <= exact);
                    assert!(signature_distance(signature(&ha), signature(&hb)) <= exact);
                }
            }
        }
    }

    #[test]
    fn closest_finds_the_nearest_name_and_nothing_far() {
        let index = NameIndex::new(["node_load15", "node_load1", "node_load5", "up"]);
        assert_eq!(index.closest("node_load_15"), Some("node_load15"));
        assert_eq!(index.closest("node_lod1"), Some("node_load1"));
        assert_eq!(index.closest("completely_different_metric"), None);
        assert_eq!(index.closest(""), Some("up"));
    }

    #[test]
    fn a_huge_name_is_answered_at_once() {
        let names: Vec<String> = (0..3000)
            .map(|i| format!("node_metric_{i}_total"))
            .collect();
        let index = NameIndex::new(names.iter().map(String::as_str));
        let huge = "x".repeat(10_000);
        let (closest, took) = crate::timing::cpu_time_of(|| index.closest(&huge));
        assert_eq!(closest, None);
        assert!(took < std::time::Duration::from_millis(100), "{took:?}");
    }

    #[test]
    fn a_thousand_unknown_names_take_well_under_a_second() {
        // The bundled catalogs' names, and a thousand typos of them.
        let set = crate::alerts::catalog::CatalogSet::bundled().unwrap();
        let names: Vec<String> = set
            .catalogs
            .iter()
            .flat_map(|c| c.metrics.keys().cloned())
            .collect();
        let index = NameIndex::new(names.iter().map(String::as_str));
        let queries: Vec<String> = (0..1000)
            .map(|i| {
                let mut q = names[(i * 7919) % names.len()].clone().into_bytes();
                let at = (i * 31) % q.len();
                q[at] = b'a' + (i % 26) as u8;
                q.insert(0, b'x');
                String::from_utf8(q).unwrap()
            })
            .collect();
        // CPU time: the budget is the search's, not that of whatever shares the cores.
        let (found, elapsed) = crate::timing::cpu_time_of(|| {
            queries
                .iter()
                .filter(|q| index.closest(q).is_some())
                .count()
        });
        assert!(found > 900, "{found}");
        eprintln!("1000 queries: {elapsed:?}");
        assert!(elapsed < std::time::Duration::from_secs(1), "{elapsed:?}");
    }

    #[test]
    fn among_many_similar_names_the_nearest_wins() {
        let names: Vec<String> = (0..3000)
            .map(|i| format!("node_collector_{}_metric_{i}_seconds_total", i % 37))
            .collect();
        let index = NameIndex::new(names.iter().map(String::as_str));
        assert_eq!(
            index.closest("node_colector_5_metric_42_seconds_total"),
            Some("node_collector_5_metric_42_seconds_total")
        );
    }
}
