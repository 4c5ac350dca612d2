//! Regular expressions in label matchers (`=~`, `!~`) as Go 1.19's `regexp` (RE2 syntax)
//! compiles them when Prometheus 2.42 parses the expression; one that does not compile makes
//! it refuse the file.
//!
//! promql-parser compiles them with Rust's `regex` and, when that fails, retries with the
//! repetition operators escaped, so it accepts `.++` and `*a`. Rust's `regex` also accepts
//! what Go's refuses: stacked repetitions (`a**`), counts above 1,000 (`a{1001}`) and
//! `(?<name>...)` groups (Go 1.22 and later). This module refuses those from the pattern's
//! text. (Rust's second try cannot be the test: Go reads `{+` as a literal `{` repeated,
//! which Rust refuses.)

use promql_parser::label::MatchOp;
use promql_parser::parser::ast::Expr;

use super::label_flow::{matchers, selectors};

/// Go's limit on `{n,m}` counts.
const MAX_REPEAT: u32 = 1_000;

/// The first label-matcher regex in `expr` that Go's `regexp` would refuse, and why.
pub(crate) fn refused_regex(expr: &Expr) -> Option<String> {
    selectors(expr)
        .into_iter()
        .flat_map(matchers)
        .find_map(|m| match &m.op {
            MatchOp::Re(_) | MatchOp::NotRe(_) => {
                go_refusal(&m.value).map(|why| format!("{:?}: {why}", m.value))
            }
            _ => None,
        })
}

/// Why Go's RE2 parser refuses `pattern`, for what Rust's `regex` accepts.
fn go_refusal(pattern: &str) -> Option<&'static str> {
    let b = pattern.as_bytes();
    let mut i = 0;
    // Whether the previous item was a repetition (`a*`, `a+?`, `a{2}`).
    let mut repeated = false;
    // Whether there is something to repeat (not at the start, after `(` or `|`).
    let mut operand = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if b.get(i + 1) == Some(&b'Q') {
                    // \Q...\E is literal text.
                    i = pattern[i + 2..]
                        .find("\\E")
                        .map_or(b.len(), |e| i + 2 + e + 2);
                } else {
                    i += 2;
                }
                repeated = false;
            }
            b'[' => {
                i = class_end(b, i);
                repeated = false;
            }
            b'(' => {
                let rest = &pattern[i..];
                if rest.starts_with("(?<") && !rest.starts_with("(?<=") && !rest.starts_with("(?<!")
                {
                    return Some("named groups are written (?P<name>...) in Go 1.19");
                }
                i += 1;
                if rest.starts_with("(?P<") {
                    i = pattern[i..].find('>').map_or(b.len(), |e| i + e + 1);
                } else if rest.starts_with("(?") {
                    // Flags: `(?i)` or `(?i:`.
                    let end = pattern[i..].find([':', ')']).map_or(b.len(), |e| i + e);
                    if b.get(end) == Some(&b')') {
                        i = end + 1;
                        repeated = false;
                        continue;
                    }
                    i = end + 1;
                }
                repeated = false;
                operand = false;
                continue;
            }
            b'|' => {
                i += 1;
                repeated = false;
                operand = false;
                continue;
            }
            b'*' | b'+' | b'?' => {
                if repeated {
                    return Some("invalid nested repetition operator");
                }
                if !operand {
                    return Some("missing argument to repetition operator");
                }
                i += 1;
                if b.get(i) == Some(&b'?') {
                    i += 1; // non-greedy
                }
                repeated = true;
            }
            b'{' => match counted(b, i) {
                Some((end, counts)) => {
                    if repeated {
                        return Some("invalid nested repetition operator");
                    }
                    if !operand {
                        return Some("missing argument to repetition operator");
                    }
                    if counts.iter().any(|&n| n > MAX_REPEAT) {
                        return Some("invalid repeat count (more than 1000)");
                    }
                    i = end;
                    if b.get(i) == Some(&b'?') {
                        i += 1;
                    }
                    repeated = true;
                }
                None => {
                    // A literal `{`.
                    i += 1;
                    repeated = false;
                }
            },
            _ => {
                i += pattern[i..].chars().next().map_or(1, char::len_utf8);
                repeated = false;
            }
        }
        operand = true;
    }
    None
}

/// The index after the character class starting at `start` (`[`).
fn class_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    if b.get(i) == Some(&b'^') {
        i += 1;
    }
    // A `]` first in the class is literal.
    if b.get(i) == Some(&b']') {
        i += 1;
    }
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'[' if b.get(i + 1) == Some(&b':') => {
                // [:alpha:]
                i = b[i + 2..]
                    .windows(2)
                    .position(|w| w == b":]")
                    .map_or(i + 1, |p| i + 2 + p + 2);
            }
            b']' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A counted repetition `{n}`, `{n,}` or `{n,m}` at `start`: the index after it and its
/// counts; None when the `{` is a literal.
fn counted(b: &[u8], start: usize) -> Option<(usize, Vec<u32>)> {
    let close = start + b[start..].iter().position(|&c| c == b'}')?;
    let inner = std::str::from_utf8(&b[start + 1..close]).ok()?;
    let (min, max) = match inner.split_once(',') {
        Some((min, max)) => (min, Some(max)),
        None => (inner, None),
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u32>().unwrap_or(u32::MAX))
    };
    let mut counts = vec![number(min)?];
    if let Some(max) = max
        && !max.is_empty()
    {
        counts.push(number(max)?);
    }
    Some((close + 1, counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_refusals() {
        for bad in [
            "a**",
            "a+*",
            "a*??",
            "a{2}*",
            "a{1001}",
            "a{1,1001}",
            "(?<n>a)",
            "a?+",
            "*a",
            "(+a)",
            "a|*b",
            "{2}",
        ] {
            assert!(go_refusal(bad).is_some(), "{bad}");
        }
        for good in [
            "a*?",
            "a+",
            "a{2}",
            "a{2,}",
            "a{1,1000}",
            "(?P<n>a)",
            "[*+]+",
            "\\*+",
            "a{",
            "{x}*",
            "[[:alpha:]]+",
            "[]a]*",
            "\\Qa**\\E",
            "(?i)a",
            "node/.+",
            "tmpfs|overlay",
            "stora{+",
            "({mu|lxc)/.+",
            "a|b*",
            "()*",
            "(?i:a)*",
            "(?P<n>a)+",
            "(?s).*",
        ] {
            assert_eq!(go_refusal(good), None, "{good}");
        }
    }

    #[test]
    fn matchers_in_an_expression() {
        let parse = |e: &str| promql_parser::parser::parse(e).unwrap();
        assert!(refused_regex(&parse("x{a=~\"node/.++\"}")).is_some());
        assert!(refused_regex(&parse("rate(x{a!~\"a**\"}[5m])")).is_some());
        assert_eq!(
            refused_regex(&parse("x{a=~\"tmpfs|overlay\", b=\"c**\"}")),
            None
        );
    }
}
