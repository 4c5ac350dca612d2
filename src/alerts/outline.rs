//! Line numbers for a rules file: where each group and rule starts, and on which line a key
//! of a rule is written.
//!
//! serde_yaml 0.9 keeps no positions, so this reads the text itself: in block-style YAML
//! (the style every Prometheus rules file uses) a list item starts with `- ` at the list's
//! indentation. One pass over the lines, no second parse. When the text is not in that
//! style (flow style, anchors), the counts do not match the parsed model and callers fall
//! back to the group's or the file's first line.

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

/// The file's lines, for finding keys inside a range.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    lines: Vec<&'a str>,
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

/// Whether `text` starts with `key:` (plain or quoted key) followed by a space or the end.
fn starts_with_key(text: &str, key: &str) -> bool {
    for quote in ["", "\"", "'"] {
        if let Some(rest) = text
            .strip_prefix(quote)
            .and_then(|t| t.strip_prefix(key))
            .and_then(|t| t.strip_prefix(quote))
            .and_then(|t| t.trim_start_matches(' ').strip_prefix(':'))
            && (rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t'))
        {
            return true;
        }
    }
    false
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            lines: text.lines().collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The first line in `range` whose key (after an optional `- `) is `key`.
    pub fn key_line(&self, range: Range<usize>, key: &str) -> Option<usize> {
        let end = range.end.min(self.lines.len());
        (range.start.min(end)..end).find(|&i| starts_with_key(key_text(self.lines[i]), key))
    }

    /// The first line in `range` with `key` at indentation 0 (a top-level key).
    pub fn top_level_key_line(&self, key: &str) -> Option<usize> {
        (0..self.lines.len())
            .find(|&i| indent(self.lines[i]) == 0 && starts_with_key(self.lines[i], key))
    }

    /// Start lines of the items of the block list under the key on line `key_line`.
    fn list_items(&self, key_line: usize, limit: usize) -> (Vec<usize>, usize) {
        let key_indent = indent(self.lines[key_line]);
        let mut items = Vec::new();
        let mut item_indent = None;
        let mut end = key_line + 1;
        for i in key_line + 1..limit.min(self.lines.len()) {
            let line = self.lines[i];
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
    fn a_flow_style_file_has_no_outline_rather_than_a_wrong_one() {
        let lines = Lines::new("groups: [{name: a, rules: []}]\n");
        assert!(lines.outline().groups.is_empty());
    }
}
