//! PromQL as Prometheus 2.42 reads it, where promql-parser 0.11 (which follows newer
//! Prometheus releases) is more permissive, and the size under which the checks parse an
//! expression at all.
//!
//! One linear pass over the text, before promql-parser sees it, refuses what 2.42's lexer
//! and grammar refuse: a label matcher that is not `name op "value"` (so no quoted UTF-8
//! names such as `{"métrique.été"}`, which arrived in Prometheus 3.0), a number that does
//! not fit a float64 (`1e99999`), a string escape Go does not know, and a duration that is
//! not a Prometheus duration (`[1.5m]`, `[1000y]`) or stands where 2.42 takes none, an `@`
//! timestamp beyond int64, and functions or aggregations 2.42 does not have (`sort_by_label`,
//! `limitk`, ...; the names are listed from its source in `prometheus/`). 2.42's
//! `holt_winters` is promql-parser's `double_exponential_smoothing` (renamed in Prometheus
//! 3.0), so the text handed to promql-parser says so.
//!
//! The same pass measures the expression: promql-parser is quadratic on long operator
//! chains and recursive (as is [`super::label_flow`]), so an expression beyond
//! [`MAX_TOKENS`] tokens or [`MAX_NESTING`] nested parentheses is reported instead of
//! parsed. Both limits are far above any alert rule (the homelab's longest has 40 tokens).

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use super::duration::parse_duration;
use super::go_number::{parse_float_ok, parse_int_ok};

/// Tokens in one expression beyond which it is not parsed (about 10 KB of PromQL).
pub(crate) const MAX_TOKENS: usize = 2_000;

/// Nested parentheses beyond which an expression is not parsed.
pub(crate) const MAX_NESTING: usize = 200;

/// Why an expression is not handed to promql-parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Beyond [`MAX_TOKENS`] or [`MAX_NESTING`]: not checked further.
    TooComplex(String),
    /// Prometheus 2.42 refuses it.
    Syntax(String),
}

const FUNCTIONS: &str = include_str!("prometheus/promql-functions.txt");
const AGGREGATORS: &str = include_str!("prometheus/promql-aggregators.txt");

fn names(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn is_function(name: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| names(FUNCTIONS).collect())
        .contains(name)
}

/// A keyword of 2.42's lexer, aggregations included (case-insensitive, as it reads them).
fn is_keyword(word: &str) -> bool {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS
        .get_or_init(|| names(AGGREGATORS).chain(KEYWORDS).collect())
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
}

/// 2.42's keywords besides the aggregations (its lexer's key map; case-insensitive).
const KEYWORDS: [&str; 14] = [
    "and",
    "or",
    "unless",
    "atan2",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "start",
    "end",
];

/// Checks `expr` as 2.42's lexer would read it, and measures it; gives the text to hand to
/// promql-parser (`expr` itself unless a 2.42 name had to be translated).
pub(crate) fn scan(expr: &str) -> Result<Cow<'_, str>, Refusal> {
    let mut scan = Scanner {
        s: expr.as_bytes(),
        text: expr,
        i: 0,
        tokens: 0,
        depth: 0,
        after: After::Nothing,
        renames: Vec::new(),
    };
    scan.statements()?;
    if scan.renames.is_empty() {
        return Ok(Cow::Borrowed(expr));
    }
    let mut text = String::with_capacity(expr.len() + 16 * scan.renames.len());
    let mut at = 0;
    for (range, replacement) in scan.renames {
        text.push_str(&expr[at..range.start]);
        text.push_str(&replacement);
        at = range.end;
    }
    text.push_str(&expr[at..]);
    Ok(Cow::Owned(text))
}

/// What the previous token makes of a number or duration: a duration may stand outside
/// brackets only right after `offset` (or `offset -`), and an `@` timestamp must fit int64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Nothing,
    Offset,
    OffsetMinus,
    At,
}

struct Scanner<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    tokens: usize,
    depth: usize,
    after: After,
    /// What promql-parser reads differently: `holt_winters` calls (its
    /// `double_exponential_smoothing`), numbers such as `01e-3` (which it refuses).
    renames: Vec<(Range<usize>, String)>,
}

fn is_alpha(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_alphanumeric(b: u8) -> bool {
    is_alpha(b) || b.is_ascii_digit()
}

fn syntax<T>(message: String) -> Result<T, Refusal> {
    Err(Refusal::Syntax(message))
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn token(&mut self) -> Result<(), Refusal> {
        self.tokens += 1;
        if self.tokens > MAX_TOKENS {
            return Err(Refusal::TooComplex(format!(
                "the expression has more than {MAX_TOKENS} tokens; the checks parse at most that many (split it into recording rules)"
            )));
        }
        Ok(())
    }

    fn skip_spaces(&mut self) {
        while self
            .peek()
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn skip_comment(&mut self) {
        while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
            self.i += 1;
        }
    }

    fn statements(&mut self) -> Result<(), Refusal> {
        while let Some(b) = self.peek() {
            let after = std::mem::replace(&mut self.after, After::Nothing);
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    self.skip_spaces();
                    self.after = after;
                    continue;
                }
                b'#' => {
                    self.skip_comment();
                    self.after = after;
                    continue;
                }
                _ => {}
            }
            self.token()?;
            match b {
                b'"' | b'\'' | b'`' => self.string()?,
                b'0'..=b'9' => self.number_or_duration(after)?,
                b'.' if self.s.get(self.i + 1).is_some_and(u8::is_ascii_digit) => {
                    self.number_or_duration(after)?
                }
                b if is_alpha(b) || b == b':' => self.identifier()?,
                b'-' | b'+' => {
                    self.i += 1;
                    self.after = match after {
                        After::Offset if b == b'-' => After::OffsetMinus,
                        After::At => After::At,
                        _ => After::Nothing,
                    };
                }
                b'@' => {
                    self.i += 1;
                    self.after = After::At;
                }
                b'(' => {
                    self.i += 1;
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Err(Refusal::TooComplex(format!(
                            "the expression nests more than {MAX_NESTING} parentheses deep; the checks parse at most that many"
                        )));
                    }
                }
                b')' => {
                    self.i += 1;
                    self.depth = self.depth.saturating_sub(1);
                }
                b'{' => {
                    self.i += 1;
                    self.braces()?;
                }
                b'[' => {
                    self.i += 1;
                    self.brackets()?;
                }
                b'=' if self.s.get(self.i + 1) == Some(&b'~') => {
                    return syntax("unexpected character after '=': '~'".into());
                }
                b'!' if self.s.get(self.i + 1) != Some(&b'=') => {
                    return syntax("unexpected character after '!'".into());
                }
                b'*' | b'/' | b'%' | b'^' | b'=' | b'!' | b'<' | b'>' | b',' | b']' | b'}' => {
                    self.i += 1
                }
                _ => {
                    let c = self.text[self.i..].chars().next().unwrap_or('?');
                    return syntax(format!("unexpected character: {c:?}"));
                }
            }
        }
        Ok(())
    }

    /// The next byte that is not a space or in a comment, and its index.
    fn next_significant(&self) -> Option<(usize, u8)> {
        let mut j = self.i;
        while let Some(&b) = self.s.get(j) {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => j += 1,
                b'#' => {
                    while self.s.get(j).is_some_and(|&b| b != b'\n' && b != b'\r') {
                        j += 1;
                    }
                }
                _ => return Some((j, b)),
            }
        }
        None
    }

    /// A keyword, function name or metric name, as 2.42's `lexKeywordOrIdentifier` reads
    /// it; a name followed by `(` must be a 2.42 function, one followed by `by`/`without` an
    /// aggregation.
    fn identifier(&mut self) -> Result<(), Refusal> {
        let start = self.i;
        while self.peek().is_some_and(|b| is_alphanumeric(b) || b == b':') {
            self.i += 1;
        }
        let word = &self.text[start..self.i];
        if word.eq_ignore_ascii_case("offset") {
            self.after = After::Offset;
            return Ok(());
        }
        if is_keyword(word) {
            return Ok(());
        }
        let Some((next, b)) = self.next_significant() else {
            return Ok(());
        };
        if b == b'(' {
            if word == "holt_winters" {
                self.renames
                    .push((start..self.i, "double_exponential_smoothing".into()));
            } else if !is_function(word) {
                return syntax(format!(
                    "{word} is not a function of Prometheus 2.42 (unknown function with name {word:?})"
                ));
            }
        } else if is_alpha(b) {
            let after: String = self.text[next..]
                .bytes()
                .take_while(|&b| is_alphanumeric(b))
                .map(|b| b.to_ascii_lowercase() as char)
                .collect();
            if after == "by" || after == "without" {
                return syntax(format!("{word} is not an aggregation of Prometheus 2.42"));
            }
        }
        Ok(())
    }

    /// A quoted string at `self.i`, escapes as 2.42's lexer reads them.
    fn string(&mut self) -> Result<(), Refusal> {
        let quote = self.s[self.i];
        self.i += 1;
        let start = self.i;
        loop {
            let Some(b) = self.peek() else {
                return syntax("unterminated quoted string".into());
            };
            self.i += 1;
            match b {
                b if b == quote => return Ok(()),
                b'\\' if quote != b'`' => self.escape(quote)?,
                b'\n' if quote != b'`' => {
                    return syntax(format!(
                        "unterminated quoted string {:?}",
                        &self.text[start..self.i - 1]
                    ));
                }
                _ => {}
            }
        }
    }

    /// After `\`: Prometheus's `lexEscape` (Go's escapes, the open quote escapable).
    fn escape(&mut self, quote: u8) -> Result<(), Refusal> {
        let Some(b) = self.peek() else {
            return syntax("escape sequence not terminated".into());
        };
        self.i += 1;
        let (count, base, max) = match b {
            b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\' => return Ok(()),
            b if b == quote => return Ok(()),
            b'0'..=b'7' => {
                self.i -= 1;
                (3, 8, 255)
            }
            b'x' => (2, 16, 255),
            b'u' => (4, 16, 0x10FFFF),
            b'U' => (8, 16, 0x10FFFF),
            _ => {
                let c = self.text[self.i - 1..].chars().next().unwrap_or('?');
                return syntax(format!("unknown escape sequence {c:?}"));
            }
        };
        let mut value: u32 = 0;
        for _ in 0..count {
            let digit = self.peek().and_then(|d| (d as char).to_digit(base));
            let Some(d) = digit else {
                return syntax("illegal character in escape sequence".into());
            };
            self.i += 1;
            value = value * base + d;
        }
        if value > max || (0xD800..0xE000).contains(&value) {
            return syntax("escape sequence is an invalid Unicode code point".into());
        }
        Ok(())
    }

    /// Go's `scanNumber` from `self.i`: true when what follows is not alphanumeric.
    fn scan_number(&mut self) -> bool {
        let mut hex = false;
        if self.peek() == Some(b'0') && matches!(self.s.get(self.i + 1), Some(b'x' | b'X')) {
            self.i += 2;
            hex = true;
        }
        let digit = |b: u8| b.is_ascii_digit() || (hex && b.is_ascii_hexdigit());
        while self.peek().is_some_and(digit) {
            self.i += 1;
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            while self.peek().is_some_and(digit) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1;
            }
        }
        !self.peek().is_some_and(is_alphanumeric)
    }

    /// Go's `acceptRemainingDuration`: units after the first number, nothing alphanumeric
    /// after them.
    fn remaining_duration(&mut self) -> bool {
        let accept = |s: &mut Self, set: &[u8]| {
            if s.peek().is_some_and(|b| set.contains(&b)) {
                s.i += 1;
                true
            } else {
                false
            }
        };
        if !accept(self, b"smhdwy") {
            return false;
        }
        accept(self, b"s");
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.i += 1;
            }
            if !accept(self, b"smhdw") {
                return false;
            }
            accept(self, b"s");
        }
        !self.peek().is_some_and(is_alphanumeric)
    }

    /// A duration token's text must be a Prometheus duration within its range.
    fn duration(&self, text: &str) -> Result<(), Refusal> {
        if parse_duration(text).is_none() {
            return syntax(format!(
                "{text:?} is not a Prometheus duration (units y w d h m s ms, largest first, at most about 292 years)"
            ));
        }
        Ok(())
    }

    fn number_or_duration(&mut self, after: After) -> Result<(), Refusal> {
        let start = self.i;
        if self.scan_number() {
            let text = &self.text[start..self.i];
            if !parse_int_ok(text) && !parse_float_ok(text) {
                return syntax(format!(
                    "error parsing number {text:?}: out of range for a float64"
                ));
            }
            if after == After::At && !timestamp_ok(text) {
                return syntax(format!("timestamp {text} out of bounds for the @ modifier"));
            }
            // A leading zero before an exponent: Go reads a float, promql-parser refuses.
            if text.len() > 1
                && text.starts_with('0')
                && !text.starts_with("0x")
                && !text.starts_with("0X")
                && text.contains(['e', 'E'])
                && let Ok(value) = text.parse::<f64>()
            {
                self.renames.push((start..self.i, format!("{value:?}")));
            }
            return Ok(());
        }
        if !self.remaining_duration() {
            return syntax(format!(
                "bad number or duration syntax: {:?}",
                &self.text[start..self.i.min(self.s.len())]
            ));
        }
        let text = &self.text[start..self.i];
        if !matches!(after, After::Offset | After::OffsetMinus) {
            return syntax(format!(
                "duration {text:?} outside a range [...] or offset; Prometheus 2.42 takes no duration as a number"
            ));
        }
        self.duration(text)
    }

    /// Inside `[...]`: `duration`, `duration:`, or `duration:duration`.
    fn brackets(&mut self) -> Result<(), Refusal> {
        let mut durations = 0;
        let mut colon = false;
        loop {
            self.skip_spaces();
            let Some(b) = self.peek() else {
                return syntax("unclosed left bracket".into());
            };
            match b {
                b']' => {
                    self.i += 1;
                    return if durations == 0 {
                        syntax("missing duration in brackets".into())
                    } else {
                        Ok(())
                    };
                }
                b':' if !colon && durations == 1 => {
                    self.token()?;
                    self.i += 1;
                    colon = true;
                }
                b'0'..=b'9' if durations == usize::from(colon) => {
                    self.token()?;
                    let start = self.i;
                    if self.scan_number() || !self.remaining_duration() {
                        return syntax(format!(
                            "bad duration syntax: {:?}",
                            &self.text[start..self.i.min(self.s.len())]
                        ));
                    }
                    let text = &self.text[start..self.i];
                    self.duration(text)?;
                    durations += 1;
                }
                _ => {
                    let c = self.text[self.i..].chars().next().unwrap_or('?');
                    return syntax(format!("unexpected {c:?} in brackets"));
                }
            }
        }
    }

    /// Inside `{...}`: `name op "value"` matchers separated by commas, an optional
    /// trailing comma (2.42's grammar; no quoted names).
    fn braces(&mut self) -> Result<(), Refusal> {
        #[derive(PartialEq)]
        enum Want {
            NameOrEnd,
            Op,
            Value,
            CommaOrEnd,
        }
        let mut want = Want::NameOrEnd;
        loop {
            self.skip_spaces();
            let Some(b) = self.peek() else {
                return syntax("unexpected end of input inside braces".into());
            };
            if b == b'#' {
                self.skip_comment();
                continue;
            }
            if b == b'}' && matches!(want, Want::NameOrEnd | Want::CommaOrEnd) {
                self.i += 1;
                return Ok(());
            }
            self.token()?;
            match (b, &want) {
                (b, Want::NameOrEnd) if is_alpha(b) => {
                    while self.peek().is_some_and(is_alphanumeric) {
                        self.i += 1;
                    }
                    want = Want::Op;
                }
                (b'=' | b'!', Want::Op) => {
                    self.i += 1;
                    let second = self.peek();
                    match (b, second) {
                        (b'=', Some(b'~')) | (b'!', Some(b'~' | b'=')) => self.i += 1,
                        (b'=', _) => {}
                        _ => return syntax("unexpected character after '!' inside braces".into()),
                    }
                    want = Want::Value;
                }
                (b'"' | b'\'' | b'`', Want::Value) => {
                    self.string()?;
                    want = Want::CommaOrEnd;
                }
                (b',', Want::CommaOrEnd) => {
                    self.i += 1;
                    want = Want::NameOrEnd;
                }
                (b'"' | b'\'' | b'`', _) => {
                    return syntax(
                        "a quoted name in braces; Prometheus 2.42 takes only name=\"value\" matchers (quoted UTF-8 names came with 3.0)".into(),
                    );
                }
                _ => {
                    let c = self.text[self.i..].chars().next().unwrap_or('?');
                    return syntax(format!("unexpected {c:?} inside braces"));
                }
            }
        }
    }
}

/// An `@` timestamp in seconds must be within int64 (2.42's `setTimestamp`).
fn timestamp_ok(text: &str) -> bool {
    let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).map_or(f64::INFINITY, |v| v as f64),
        None => text.parse::<f64>().unwrap_or(f64::INFINITY),
    };
    value.is_finite() && value.abs() < 9.223_372_036_854_776e18
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(expr: &str) -> bool {
        matches!(scan(expr), Err(Refusal::Syntax(_)))
    }

    #[test]
    fn what_2_42_accepts_passes() {
        for expr in [
            "up{job=\"node\"} == 0",
            "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[5m]))) > 90",
            "rate(x[5m:1m]) offset -1h30m and x @ 1609746000 or x[1h:] # comment",
            "x{a=~'b.*', b!~`c`, c!=\"\\u00e9\\n\",} > 0x1F and x < 1e308 or x > .5 or x > Inf",
            "sum without (a) (x) / on (b) group_left (c) y unless z OFFSET 5m",
            "{__name__=\"up\"} > bool 1",
            "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m]))) > 1e-99999",
            "x[1y] or x[292y] or x[1ms]",
        ] {
            assert_eq!(scan(expr), Ok(Cow::Borrowed(expr)), "{expr}");
        }
    }

    #[test]
    fn what_2_42_refuses_is_refused() {
        for expr in [
            "{\"métrique.été\"}",
            "{\"a\"=\"b\"}",
            "x{\"a\", b=\"c\"}",
            "up > 1e99999",
            "up > 0xFFFFFFFFFFFFFFFFFF",
            "x{a=\"\\q\"}",
            "x[1.5m]",
            "x[1000y]",
            "x offset 99999999999d",
            "x[5]",
            "x > 5m",
            "x[5m:1m:1m]",
            "x{a=b}",
            "x{a}",
            "é",
            "x @ 1e99",
            "sort_by_label(x, \"a\")",
            "abs(limitk(2, x))",
            "limitk by (a) (2, x)",
            "ABS(x)",
        ] {
            assert!(refused(expr), "{expr}: {:?}", scan(expr));
        }
    }

    #[test]
    fn size_limits_are_findings_not_crashes() {
        let chain = vec!["up"; MAX_TOKENS].join(" + ");
        assert!(matches!(scan(&chain), Err(Refusal::TooComplex(_))));
        let deep = format!("{}up{}", "(".repeat(13_000), ")".repeat(13_000));
        assert!(matches!(scan(&deep), Err(Refusal::TooComplex(_))));
        let negations = format!("{}up", "-".repeat(13_000));
        assert!(matches!(scan(&negations), Err(Refusal::TooComplex(_))));
        let fine = format!("{}up{}", "abs(".repeat(50), ")".repeat(50));
        assert!(scan(&fine).is_ok());
    }

    #[test]
    fn holt_winters_is_named_as_promql_parser_names_it() {
        let text = scan("holt_winters(x[5m], 0.5, 0.5) > holt_winters (y[1h], 0.1, 0.9)").unwrap();
        assert_eq!(
            text,
            "double_exponential_smoothing(x[5m], 0.5, 0.5) > double_exponential_smoothing (y[1h], 0.1, 0.9)"
        );
        assert!(promql_parser::parser::parse(&text).is_ok());
        // Prometheus 2.42 has no double_exponential_smoothing.
        assert!(refused("double_exponential_smoothing(x[5m], 0.5, 0.5)"));
    }

    #[test]
    fn numbers_promql_parser_refuses_are_written_as_it_reads_them() {
        for expr in ["x > 01e-3", "x > 0e1", "x > 00.5E2"] {
            let text = scan(expr).unwrap();
            assert!(
                promql_parser::parser::parse(&text).is_ok(),
                "{expr} as {text}"
            );
        }
    }
}
