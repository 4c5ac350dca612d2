//! Text from tools made safe for the reports: ANSI colour and cursor sequences removed, and
//! every character XML 1.0 forbids (other control characters, non-characters) replaced, so
//! that an XML parser accepts the report whatever a script printed.

/// `text` without ANSI escape sequences and with XML-forbidden characters replaced by
/// U+FFFD. Tabs and line ends are kept.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // A C1 control sequence introducer (the 8-bit form of ESC [).
            '\u{9b}' => skip_csi(&mut chars),
            '\t' | '\n' | '\r' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    out
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production), less the C1 controls,
/// which it allows but which are never meant as text in tool output.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        // OSC (window titles, hyperlinks): up to BEL or ESC \.
        Some(']') => {
            chars.next();
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        // Two-character sequences (ESC ( B, ESC =, ...).
        Some('(') | Some(')') => {
            chars.next();
            chars.next();
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// Parameters and intermediates up to the final byte (`@` to `~`).
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_and_cursor_sequences_are_removed() {
        assert_eq!(sanitize("\u{1b}[1;31mred\u{1b}[0m plain"), "red plain");
        assert_eq!(sanitize("\u{1b}[2K\u{1b}[1Gline"), "line");
        assert_eq!(sanitize("\u{1b}]0;title\u{7}after"), "after");
        assert_eq!(sanitize("\u{1b}]8;;http://x\u{1b}\\link"), "link");
        assert_eq!(sanitize("\u{1b}(Bok"), "ok");
    }

    #[test]
    fn forbidden_characters_are_replaced_and_line_ends_kept() {
        assert_eq!(
            sanitize("a\u{0}b\u{7}c\u{8}d"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d"
        );
        assert_eq!(sanitize("tab\there\r\nnext"), "tab\there\r\nnext");
        assert_eq!(sanitize("\u{fffe}\u{ffff}"), "\u{fffd}\u{fffd}");
        assert_eq!(sanitize("été ✓ 🦀"), "été ✓ 🦀");
    }
}
