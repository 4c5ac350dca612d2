//! A single pass over HCL source for the two things hcl-edit reads differently from
//! Terraform's HCL: a quoted string may not run over a line end (hcl-edit accepts it), and a
//! number literal beyond f64's range is fine (Terraform keeps numbers as big floats; hcl-edit
//! refuses them). It knows just enough of the syntax to tell code from strings, heredocs,
//! comments and template interpolations.

use std::ops::Range;

/// What the scan found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Lexed {
    /// The offset of the first line end inside a quoted string.
    pub(crate) multi_line_string: Option<usize>,
    /// Number literals in code whose value overflows an f64.
    pub(crate) huge_numbers: Vec<Range<usize>>,
    /// Comments (`#`, `//`, `/* */`), where Terraform lets any bytes through.
    pub comments: Vec<Range<usize>>,
}

/// Where the scanner is: code (at the top level, or inside `${ }` with its open braces
/// counted), or a quoted string.
enum Context {
    Code { braces: usize },
    Quoted,
}

pub(crate) fn scan(source: &str) -> Lexed {
    let bytes = source.as_bytes();
    let mut lexed = Lexed::default();
    // The innermost context is last; the bottom one is top-level code.
    let mut stack = vec![Context::Code { braces: 0 }];
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        let nested = stack.len() > 1;
        match stack.last_mut() {
            Some(Context::Quoted) => match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'\n' => {
                    lexed.multi_line_string.get_or_insert(i);
                    // Terraform stops at the first one; resynchronise at the line end.
                    stack.pop();
                }
                b'$' | b'%' if next == Some(b'{') => {
                    stack.push(Context::Code { braces: 0 });
                    i += 1;
                }
                // `$${` and `%%{` are literal.
                b'$' | b'%' if next == Some(b) && bytes.get(i + 2) == Some(&b'{') => i += 2,
                _ => {}
            },
            Some(Context::Code { braces }) => match b {
                b'"' => stack.push(Context::Quoted),
                b'{' => *braces += 1,
                b'}' if *braces == 0 && nested => {
                    stack.pop();
                }
                b'}' => *braces = braces.saturating_sub(1),
                b'#' => {
                    let end = line_end(bytes, i);
                    lexed.comments.push(i..end);
                    i = end;
                }
                b'/' if next == Some(b'/') => {
                    let end = line_end(bytes, i);
                    lexed.comments.push(i..end);
                    i = end;
                }
                b'/' if next == Some(b'*') => {
                    let end = source[i + 2..]
                        .find("*/")
                        .map_or(bytes.len(), |end| i + 2 + end + 1);
                    lexed.comments.push(i..end + 1);
                    i = end;
                }
                b'<' if next == Some(b'<') => i = heredoc_end(source, i),
                b'0'..=b'9' if !continues_a_name(bytes, i) => {
                    let end = number_end(bytes, i);
                    let literal = &source[i..end];
                    if literal.parse::<f64>().is_ok_and(f64::is_infinite) {
                        lexed.huge_numbers.push(i..end);
                    }
                    i = end - 1;
                }
                _ => {}
            },
            None => break,
        }
        i += 1;
    }
    lexed
}

/// The source with the digits of the given number literals replaced by `0`, so that the
/// offsets stay the same.
pub(crate) fn zero_numbers(source: &str, numbers: &[Range<usize>]) -> String {
    let mut bytes = source.as_bytes().to_vec();
    for range in numbers {
        for b in &mut bytes[range.clone()] {
            if b.is_ascii_digit() {
                *b = b'0';
            }
        }
    }
    // Only ASCII digits were replaced by an ASCII digit.
    String::from_utf8(bytes).unwrap_or_else(|_| source.to_string())
}

/// A digit right after a name character or a `.` is part of a name or an index, not a number.
fn continues_a_name(bytes: &[u8], i: usize) -> bool {
    i > 0 && {
        let before = bytes[i - 1];
        before.is_ascii_alphanumeric() || before == b'_' || before == b'-' || before == b'.'
    }
}

/// The end of `digits [. digits] [e [+-] digits]` starting at `i`.
fn number_end(bytes: &[u8], mut i: usize) -> usize {
    let digits = |bytes: &[u8], mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(bytes, i);
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(bytes, i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(bytes, j);
        }
    }
    i
}

/// The offset of the `\n` ending the line that holds `i` (or the end of the source).
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| i + p)
}

/// The last offset of a heredoc starting with `<<` at `i`: its closing marker's line end.
/// Not a heredoc (`<<` in an expression): `i + 1`.
fn heredoc_end(source: &str, i: usize) -> usize {
    let rest = &source[i + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker: &str = &rest[..rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len())];
    let after_marker = &rest[marker.len()..];
    if marker.is_empty() || !(after_marker.starts_with('\n') || after_marker.starts_with("\r\n")) {
        return i + 1;
    }
    let body_start = source.len() - after_marker.len();
    let mut offset = body_start;
    for line in source[body_start..].split_inclusive('\n').skip(1) {
        offset += line.len();
        if line.trim() == marker {
            return offset - 1;
        }
    }
    source.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_string_over_two_lines_is_found_at_its_line_end() {
        let source = "a = \"one\ntwo\"\n";
        assert_eq!(scan(source).multi_line_string, Some(8));
    }

    #[test]
    fn strings_comments_heredocs_and_interpolations_are_not_multi_line_strings() {
        let source = "a = \"x ${ {b = 1}.b } \\\" y\"\n# \"\nb = <<EOT\n\"\nEOT\n/* \" \n */ c = \"$${x}\"\n";
        let lexed = scan(source);
        assert_eq!(lexed.multi_line_string, None);
        assert!(lexed.huge_numbers.is_empty());
        let comments: Vec<&str> = lexed.comments.iter().map(|r| &source[r.clone()]).collect();
        assert_eq!(comments, ["# \"", "/* \" \n */"]);
    }

    #[test]
    fn only_numbers_beyond_f64_are_huge() {
        let source = "a = 1e309\nb = 1e308\nc = x.1e309\nd = \"1e309\"\ne = 2.5E+999\n";
        let lexed = scan(source);
        let found: Vec<&str> = lexed
            .huge_numbers
            .iter()
            .map(|r| &source[r.clone()])
            .collect();
        assert_eq!(found, ["1e309", "2.5E+999"]);
        assert_eq!(
            zero_numbers(source, &lexed.huge_numbers),
            "a = 0e000\nb = 1e308\nc = x.1e309\nd = \"1e309\"\ne = 0.0E+000\n"
        );
    }
}
