//! String, character and number literals inside actions, as Go's `strconv` reads them for
//! `text/template` (`Unquote`, `UnquoteChar`, `parse.newNumber`).

use crate::alerts::go_number::{parse_float_ok, parse_int_ok, parse_uint_ok};

/// Go's `strconv.Unquote` for a double-quoted string (quotes included).
pub(super) fn unquote_ok(quoted: &str) -> bool {
    let inner = &quoted[1..quoted.len() - 1];
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return false,
            '\\' if !escape_ok(&mut chars, '"') => return false,
            _ => {}
        }
    }
    true
}

/// One escape after `\` (Go's `strconv.UnquoteChar`), inside quotes `quote`.
fn escape_ok(chars: &mut std::str::Chars, quote: char) -> bool {
    let hex = |chars: &mut std::str::Chars, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = v * 16 + chars.next()?.to_digit(16)?;
        }
        Some(v)
    };
    match chars.next() {
        Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\') => true,
        Some(c @ ('\'' | '"')) => c == quote,
        Some('x') => hex(chars, 2).is_some(),
        Some('u') => hex(chars, 4).is_some_and(|v| char::from_u32(v).is_some()),
        Some('U') => hex(chars, 8).is_some_and(|v| char::from_u32(v).is_some()),
        Some(c @ '0'..='7') => {
            let mut v = c.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                match chars.next().and_then(|d| d.to_digit(8)) {
                    Some(d) => v = v * 8 + d,
                    None => return false,
                }
            }
            v <= 255
        }
        _ => false,
    }
}

/// A character constant such as `'a'` or `'\n'`: exactly one character.
pub(super) fn char_constant_ok(text: &str) -> bool {
    let inner = &text[1..text.len() - 1];
    let mut chars = inner.chars();
    match chars.next() {
        None | Some('\'') => false,
        Some('\\') => escape_ok(&mut chars, '\'') && chars.next().is_none(),
        Some(_) => chars.next().is_none(),
    }
}

/// Go's `parse.newNumber`: the literal is a valid number constant.
pub(super) fn number_ok(text: &str) -> Result<(), String> {
    if let Some(imaginary) = text.strip_suffix('i')
        && parse_float_ok(imaginary)
    {
        return Ok(());
    }
    if parse_uint_ok(text) || parse_int_ok(text) {
        return Ok(());
    }
    if parse_float_ok(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {text:?}"));
        }
        return Ok(());
    }
    Err(format!("illegal number syntax: {text:?}"))
}

/// A complex literal such as `1+2i`.
pub(super) fn complex_ok(text: &str) -> bool {
    let body = &text[..text.len() - 1];
    let split = body
        .char_indices()
        .skip(1)
        .filter(|&(i, c)| {
            matches!(c, '+' | '-') && !matches!(body.as_bytes()[i - 1], b'e' | b'E' | b'p' | b'P')
        })
        .map(|(i, _)| i)
        .last();
    match split {
        Some(i) => parse_float_ok(&body[..i]) && parse_float_ok(&body[i..]),
        None => false,
    }
}
