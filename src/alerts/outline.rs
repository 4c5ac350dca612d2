//! Line numbers for a rules file: where each group and rule starts, and on which line a key
//! of a rule is written.
//!
//! serde_yaml 0.9 keeps no positions, so this reads the text itself: in block-style YAML
//! (the style every Prometheus rules file uses) a list item starts with `- ` at the list's
//! indentation. One pass over the lines, no second parse. When the text is not in that
//! style (flow style, anchors), the counts do not match the parsed model and callers fall
//! back to the group's or the file's first line.
//!
//! Every line's key is indexed once, so finding a key's line is a binary search rather than
//! a scan: a file with thousands of unknown keys is read in linear time.

use std::collections::HashMap;
use std::ops::Range;

/// Line ranges (0-based, end exclusive) of groups and their rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    pub groups: Vec<GroupOutline>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOutline {
    pub lines: Range<usize>,
    pub rules: Vec<Range<usize>>,
}

/// The file's lines, for finding keys inside a range. Owns what it indexes, so a file read
/// once can be kept and looked up by every check that needs it.
#[derive(Debug, Clone)]
pub struct Lines {
    text: String,
    /// Byte range of each line in `text`.
    lines: Vec<Range<usize>>,
    /// Lines (0-based, ascending) by the key they start with, after an optional `- `.
    by_key: HashMap<String, Vec<usize>>,
    /// The first line with each key at indentation 0.
    top_level: HashMap<String, usize>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

fn is_item(trimmed: &str) -> bool {
    trimmed == "-" || trimmed.starts_with("- ")
}

/// The text after an optional list dash: `- alert: X` gives `alert: X`.
fn key_text(line: &str) -> &str {
    let trimmed = line.trim_start();
    if is_item(trimmed) {
        trimmed[1..].trim_start()
    } else {
        trimmed
    }
}

/// The key `text` starts with: `key:` (plain or quoted key, spaces allowed before the
/// colon) followed by a space, a tab or the end.
fn line_key(text: &str) -> Option<&str> {
    let colon_ends = |rest: &str| {
        rest.trim_start_matches(' ')
            .strip_prefix(':')
            .is_some_and(|r| r.is_empty() || r.starts_with(' ') || r.starts_with('\t'))
    };
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote) {
            let end = inner.find(quote)?;
            return colon_ends(&inner[end + 1..]).then_some(&inner[..end]);
        }
    }
    // The first `:` that ends a key; what comes before it (less trailing spaces) is the key.
    let bytes = text.as_bytes();
    let colon = (0..bytes.len()).find(|&i| {
        bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ') | Some(b'\t'))
    })?;
    let key = text[..colon].trim_end_matches(' ');
    (!key.is_empty()).then_some(key)
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let lines: Vec<Range<usize>> = text
            .lines()
            .map(|line| {
                let start = line.as_ptr() as usize - text.as_ptr() as usize;
                start..start + line.len()
            })
            .collect();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        let mut top_level: HashMap<String, usize> = HashMap::new();
        for (i, range) in lines.iter().enumerate() {
            let line = &text[range.clone()];
            let Some(key) = line_key(key_text(line)) else {
                continue;
            };
            match by_key.get_mut(key) {
                Some(found) => found.push(i),
                None => {
                    by_key.insert(key.to_string(), vec![i]);
                }
            }
            // A top-level key is written without a dash.
            if indent(line) == 0
                && let Some(key) = line_key(line)
                && !top_level.contains_key(key)
            {
                top_level.insert(key.to_string(), i);
            }
        }
        Self {
            text: text.to_string(),
            lines,
            by_key,
            top_level,
        }
    }

    /// The 0-based line `i`, without its line ending.
    fn line(&self, i: usize) -> &str {
        &self.text[self.lines[i].clone()]
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The first line in `range` whose key (after an optional `- `) is `key`.
    pub(crate) fn key_line(&self, range: Range<usize>, key: &str) -> Option<usize> {
        let lines = self.by_key.get(key)?;
        let first = lines.partition_point(|&i| i < range.start);
        lines.get(first).copied().filter(|&i| i < range.end)
    }

    /// The first line with `key` at indentation 0 (a top-level key).
    pub(crate) fn top_level_key_line(&self, key: &str) -> Option<usize> {
        self.top_level.get(key).copied()
    }

    /// Start lines of the items of the block list under the key on line `key_line`.
    fn list_items(&self, key_line: usize, limit: usize) -> (Vec<usize>, usize) {
        let key_indent = indent(self.line(key_line));
        let mut items = Vec::new();
        let mut item_indent = None;
        let mut end = key_line + 1;
        for i in key_line + 1..limit.min(self.lines.len()) {
            let line = self.line(i);
            if !is_content(line) {
                continue;
            }
            let here = indent(line);
            let trimmed = line.trim_start();
            match item_indent {
                None if is_item(trimmed) && here >= key_indent => {
                    item_indent = Some(here);
                    items.push(i);
                }
                None => break,
                Some(j) if here < j || (here == j && !is_item(trimmed)) => break,
                Some(j) if here == j => items.push(i),
                Some(_) => {}
            }
            end = i + 1;
        }
        (items, end)
    }

    /// Groups and rules of a block-style rules file.
    pub fn outline(&self) -> Outline {
        let Some(groups_key) = self.top_level_key_line("groups") else {
            return Outline::default();
        };
        let (starts, end) = self.list_items(groups_key, self.lines.len());
        let groups = spans(&starts, end)
            .map(|lines| {
                let rules = self
                    .key_line(lines.clone(), "rules")
                    .map(|key| {
                        let (rule_starts, rules_end) = self.list_items(key, lines.end);
                        spans(&rule_starts, rules_end).collect()
                    })
                    .unwrap_or_default();
                GroupOutline { lines, rules }
            })
            .collect();
        Outline { groups }
    }
}

/// Consecutive ranges from start lines: each item runs until the next one starts.
fn spans(starts: &[usize], end: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    starts.iter().enumerate().map(move |(i, &start)| {
        let stop = starts.get(i + 1).copied().unwrap_or(end);
        start..stop
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# header comment
groups:
  - name: one
    rules:
      - alert: A
        expr: up == 0
        for: 5m
        labels:
          severity: warning

      - alert: B
        expr: |
          up == 0
        annotations:
          summary: \"rules: not a key\"
  - name: two
    interval: 1m
    rules:
    - record: job:up:sum
      expr: sum by (job) (up)
";

    #[test]
    fn groups_and_rules_get_their_lines() {
        let lines = Lines::new(FILE);
        let outline = lines.outline();
        assert_eq!(outline.groups.len(), 2);
        assert_eq!(outline.groups[0].lines, 2..15);
        assert_eq!(outline.groups[0].rules, vec![4..10, 10..15]);
        assert_eq!(outline.groups[1].rules, vec![18..20]);
    }

    #[test]
    fn keys_are_found_inside_a_rule() {
        let lines = Lines::new(FILE);
        let outline = lines.outline();
        let a = outline.groups[0].rules[0].clone();
        assert_eq!(lines.key_line(a.clone(), "severity"), Some(8));
        assert_eq!(lines.key_line(a.clone(), "alert"), Some(4));
        assert_eq!(lines.key_line(a, "annotations"), None);
        assert_eq!(lines.top_level_key_line("groups"), Some(1));
    }

    #[test]
    fn quoted_and_spaced_keys_are_found() {
        let lines = Lines::new("a:\n  \"a b\": 1\n  'c' : 2\n  - d:\n  e:f: 3\n  url: http://x\n");
        assert_eq!(lines.key_line(0..6, "a b"), Some(1));
        assert_eq!(lines.key_line(0..6, "c"), Some(2));
        assert_eq!(lines.key_line(0..6, "d"), Some(3));
        assert_eq!(lines.key_line(0..6, "e:f"), Some(4));
        assert_eq!(lines.key_line(0..6, "url"), Some(5));
        assert_eq!(lines.key_line(2..6, "a b"), None);
        assert_eq!(lines.top_level_key_line("a"), Some(0));
        assert_eq!(lines.top_level_key_line("c"), None);
    }

    #[test]
    fn thousands_of_keys_are_looked_up_in_linear_time() {
        let text: String = (0..20_000).map(|i| format!("unknown_{i}: x\n")).collect();
        let started = std::time::Instant::now();
        let lines = Lines::new(&text);
        for i in 0..20_000 {
            assert_eq!(lines.top_level_key_line(&format!("unknown_{i}")), Some(i));
            assert_eq!(lines.key_line(0..20_000, &format!("unknown_{i}")), Some(i));
        }
        // The scan per key this replaces took seconds here.
        assert!(
            started.elapsed().as_millis() < 1_000,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_flow_style_file_has_no_outline_rather_than_a_wrong_one() {
        let lines = Lines::new("groups: [{name: a, rules: []}]\n");
        assert!(lines.outline().groups.is_empty());
    }
}
