//! The template lexer (Go 1.19: `text/template/parse/lex.go`): text, actions with their
//! trim markers and comments, and the items inside an action. It stops at the first error,
//! which the parser reports when it reaches it.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item<'a> {
    Error(String),
    Bool,
    /// A printable ASCII character, such as `,`.
    Char(char),
    CharConstant(&'a str),
    Complex(&'a str),
    Assign,
    Declare,
    Eof,
    Field,
    Identifier(&'a str),
    LeftDelim,
    LeftParen,
    Number(&'a str),
    Pipe,
    RawString(&'a str),
    RightDelim,
    RightParen,
    Space,
    String(&'a str),
    /// Text outside actions; whether it is all white space (for empty `define`s).
    Text {
        blank: bool,
    },
    Variable(&'a str),
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

#[derive(Debug, Clone)]
pub(super) struct Token<'a> {
    pub(super) item: Item<'a>,
    pub(super) offset: usize,
}

fn keyword(word: &str) -> Option<Item<'static>> {
    Some(match word {
        "block" => Item::Block,
        "break" => Item::Break,
        "continue" => Item::Continue,
        "define" => Item::Define,
        "else" => Item::Else,
        "end" => Item::End,
        "if" => Item::If,
        "nil" => Item::Nil,
        "range" => Item::Range,
        "template" => Item::Template,
        "with" => Item::With,
        _ => return None,
    })
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// `- ` right after `{{`.
fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

/// ` -` right before `}}`.
fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    paren_depth: i64,
    out: Vec<Token<'a>>,
}

/// The whole template as items, ending with `Eof` or the first `Error` (Go's lexer stops
/// there, and the parser reports it when it reaches it).
pub(super) fn lex(input: &str) -> Vec<Token<'_>> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        paren_depth: 0,
        out: Vec::new(),
    };
    l.run();
    l.out
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn emit(&mut self, item: Item<'a>) {
        self.out.push(Token {
            item,
            offset: self.start,
        });
        self.start = self.pos;
    }

    fn text(&self) -> &'a str {
        &self.input[self.start..self.pos]
    }

    fn error(&mut self, message: String) {
        self.out.push(Token {
            item: Item::Error(message),
            offset: self.start,
        });
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    /// Runs the state machine; returns when `Eof` or an `Error` has been emitted.
    fn run(&mut self) {
        loop {
            if !self.lex_text() {
                return;
            }
            // At `{{`.
            match self.lex_left_delim() {
                Some(true) => {
                    if !self.lex_inside_action() {
                        return;
                    }
                }
                Some(false) => {} // a comment, already skipped
                None => return,
            }
        }
    }

    /// Text up to the next `{{`; false at the end of input (after emitting `Eof`).
    fn lex_text(&mut self) -> bool {
        match self.rest().find("{{") {
            Some(x) => {
                let delim = self.pos + x;
                let mut end = delim;
                if has_left_trim_marker(&self.input[delim + 2..]) {
                    end = self.input[self.start..delim]
                        .trim_end_matches(is_space)
                        .len()
                        + self.start;
                }
                if end > self.start {
                    let blank = self.input[self.start..end].trim().is_empty();
                    self.pos = end;
                    self.emit(Item::Text { blank });
                }
                self.pos = delim;
                self.start = delim;
                true
            }
            None => {
                self.pos = self.input.len();
                if self.pos > self.start {
                    let blank = self.text().trim().is_empty();
                    self.emit(Item::Text { blank });
                }
                self.emit(Item::Eof);
                false
            }
        }
    }

    /// At `{{`: Some(true) for an action, Some(false) for a comment that was skipped,
    /// None after a lexical error.
    fn lex_left_delim(&mut self) -> Option<bool> {
        self.pos += 2;
        let after_marker = if has_left_trim_marker(self.rest()) {
            2
        } else {
            0
        };
        if self.input[self.pos + after_marker..].starts_with("/*") {
            self.pos += after_marker;
            self.start = self.pos;
            return self.lex_comment().then_some(false);
        }
        self.emit(Item::LeftDelim);
        self.pos += after_marker;
        self.start = self.pos;
        self.paren_depth = 0;
        Some(true)
    }

    fn lex_comment(&mut self) -> bool {
        self.pos += 2;
        let Some(x) = self.rest().find("*/") else {
            self.error("unclosed comment".into());
            return false;
        };
        self.pos += x + 2;
        let Some(trim) = self.at_right_delim() else {
            self.error("comment ends before closing delimiter".into());
            return false;
        };
        if trim {
            self.pos += 2;
        }
        self.pos += 2;
        if trim {
            self.pos += self.rest().len() - self.rest().trim_start_matches(is_space).len();
        }
        self.start = self.pos;
        true
    }

    /// Some(with trim marker) when at `}}` or ` -}}`.
    fn at_right_delim(&self) -> Option<bool> {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[2..].starts_with("}}") {
            Some(true)
        } else if rest.starts_with("}}") {
            Some(false)
        } else {
            None
        }
    }

    fn lex_right_delim(&mut self) {
        let trim = has_right_trim_marker(self.rest());
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += 2;
        self.emit(Item::RightDelim);
        if trim {
            self.pos += self.rest().len() - self.rest().trim_start_matches(is_space).len();
            self.start = self.pos;
        }
    }

    /// Items inside one action; true once its `}}` was emitted, false after an error.
    fn lex_inside_action(&mut self) -> bool {
        loop {
            if self.at_right_delim().is_some() {
                if self.paren_depth == 0 {
                    self.lex_right_delim();
                    return true;
                }
                self.error("unclosed left paren".into());
                return false;
            }
            let Some(c) = self.next() else {
                self.error("unclosed action".into());
                return false;
            };
            let ok = match c {
                c if is_space(c) => {
                    self.pos -= c.len_utf8();
                    self.lex_space()
                }
                '=' => {
                    self.emit(Item::Assign);
                    true
                }
                ':' => {
                    if self.next() != Some('=') {
                        self.error("expected :=".into());
                        return false;
                    }
                    self.emit(Item::Declare);
                    true
                }
                '|' => {
                    self.emit(Item::Pipe);
                    true
                }
                '"' => self.lex_quote(),
                '`' => self.lex_raw_quote(),
                '$' => self.lex_variable(),
                '\'' => self.lex_char(),
                '.' if self.peek().is_some_and(|n| !n.is_ascii_digit()) => self.lex_field(),
                '.' | '+' | '-' | '0'..='9' => {
                    self.pos -= 1;
                    self.lex_number()
                }
                c if is_alphanumeric(c) => {
                    self.pos -= c.len_utf8();
                    self.lex_identifier()
                }
                '(' => {
                    self.emit(Item::LeftParen);
                    self.paren_depth += 1;
                    true
                }
                ')' => {
                    self.emit(Item::RightParen);
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        self.error("unexpected right paren".into());
                        return false;
                    }
                    true
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.emit(Item::Char(c));
                    true
                }
                c => {
                    self.error(format!("unrecognized character in action: {c:?}"));
                    false
                }
            };
            if !ok {
                return false;
            }
        }
    }

    fn lex_space(&mut self) -> bool {
        let mut spaces = 0;
        while self.peek().is_some_and(is_space) {
            self.next();
            spaces += 1;
        }
        // A space followed by `-}}` is a trim-marked closing delimiter.
        let before = &self.input[self.pos - 1..];
        if has_right_trim_marker(before) && before[2..].starts_with("}}") {
            self.pos -= 1;
            if spaces == 1 {
                return true; // the delimiter comes next
            }
        }
        self.emit(Item::Space);
        true
    }

    /// Letters, digits and `_` up to a character that may end a word; false (with the error
    /// emitted) when another character follows, as Go's lexer has it.
    fn scan_word(&mut self) -> bool {
        while self.peek().is_some_and(is_alphanumeric) {
            self.next();
        }
        if self.at_terminator() {
            return true;
        }
        let c = self.peek().unwrap_or(' ');
        self.error(format!("bad character {c:?}"));
        false
    }

    fn lex_identifier(&mut self) -> bool {
        if !self.scan_word() {
            return false;
        }
        let word = self.text();
        let item = match keyword(word) {
            Some(k) => k,
            None if word == "true" || word == "false" => Item::Bool,
            None => Item::Identifier(word),
        };
        self.emit(item);
        true
    }

    fn lex_field(&mut self) -> bool {
        self.lex_field_or_variable(false)
    }

    fn lex_variable(&mut self) -> bool {
        self.lex_field_or_variable(true)
    }

    /// After `.` or `$`.
    fn lex_field_or_variable(&mut self, variable: bool) -> bool {
        if self.at_terminator() {
            if variable {
                self.emit(Item::Variable("$"));
            } else {
                self.emit(Item::Dot);
            }
            return true;
        }
        if !self.scan_word() {
            return false;
        }
        if variable {
            let name = self.text();
            self.emit(Item::Variable(name));
        } else {
            self.emit(Item::Field);
        }
        true
    }

    /// Whether what follows may end an identifier (Go splits `.X.Y` and refuses `$x+2`).
    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => is_space(c) || matches!(c, '.' | ',' | '|' | ':' | ')' | '(' | '}'),
        }
    }

    fn lex_char(&mut self) -> bool {
        self.lex_escaped('\'', "character constant", Item::CharConstant)
    }

    /// A constant up to `close`, with backslash escapes, on one line: Go's char and
    /// interpreted string literals.
    fn lex_escaped(&mut self, close: char, what: &str, item: fn(&'a str) -> Item<'a>) -> bool {
        loop {
            match self.next() {
                Some('\\') => {
                    if matches!(self.next(), None | Some('\n')) {
                        self.error(format!("unterminated {what}"));
                        return false;
                    }
                }
                None | Some('\n') => {
                    self.error(format!("unterminated {what}"));
                    return false;
                }
                Some(c) if c == close => break,
                Some(_) => {}
            }
        }
        let text = self.text();
        self.emit(item(text));
        true
    }

    fn lex_number(&mut self) -> bool {
        if !self.scan_number() {
            self.error(format!("bad number syntax: {:?}", self.text()));
            return false;
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Complex: 1+2i.
            if !self.scan_number() || !self.text().ends_with('i') {
                self.error(format!("bad number syntax: {:?}", self.text()));
                return false;
            }
            let text = self.text();
            self.emit(Item::Complex(text));
        } else {
            let text = self.text();
            self.emit(Item::Number(text));
        }
        true
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alphanumeric) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> bool {
        self.lex_escaped('"', "quoted string", Item::String)
    }

    fn lex_raw_quote(&mut self) -> bool {
        loop {
            match self.next() {
                None => {
                    self.error("unterminated raw quoted string".into());
                    return false;
                }
                Some('`') => break,
                Some(_) => {}
            }
        }
        let text = self.text();
        self.emit(Item::RawString(text));
        true
    }
}
