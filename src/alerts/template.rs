//! Alert label and annotation templates, parsed as Prometheus 2.42 parses them when it loads
//! a rules file (`promtool check rules` and the server both refuse the file otherwise).
//!
//! Prometheus prepends `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
//! {{$externalURL := .ExternalURL}}{{$value := .Value}}` to each template and parses the
//! result with Go's `text/template` (Go 1.19, the toolchain of the Debian 2.42 build) and
//! Prometheus's function map. Parsing alone already refuses: lexical errors (an unclosed
//! action, a stray character, a bad number or string), malformed pipelines and control
//! structures (`if`/`range`/`with`/`else`/`end`/`define`/`block`/`template`/`break`/
//! `continue`), undefined variables (`$labe`) and unknown functions (`humanizeDurat`).
//! Nothing is executed, so a field such as `.Labels.x` is never checked, as in Prometheus.
//!
//! This module follows the structure of Go's `text/template/parse` (lexer items, then a
//! recursive-descent parser over them) so that each refusal maps to a Go one.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use super::go_number::{parse_float_ok, parse_int_ok, parse_uint_ok};

/// Variables Prometheus declares before every alert template.
const PROMETHEUS_VARIABLES: [&str; 4] = ["$labels", "$externalLabels", "$externalURL", "$value"];

/// Go 1.19 `text/template` built-in functions.
const GO_BUILTINS: [&str; 19] = [
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Prometheus 2.42's template functions, generated from its source.
const PROMETHEUS_FUNCTIONS: &str = include_str!("prometheus/template-functions.txt");

/// Nesting (control structures and parentheses) beyond which this checker gives up with an
/// error rather than recurse further. Go accepts deeper templates; no alert template nests
/// anywhere near this.
const MAX_NESTING: usize = 500;

/// Why a template does not parse, with the byte offset in the template where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn is_function(name: &str) -> bool {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        PROMETHEUS_FUNCTIONS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .chain(GO_BUILTINS)
            .collect()
    });
    names.contains(name)
}

/// Parses `text` as one alert template of the rule named `alert`, as Prometheus 2.42 does.
pub fn check(alert: &str, text: &str) -> Result<(), TemplateError> {
    // Most labels and many annotations are plain text: nothing to parse.
    if !text.contains("{{") {
        return Ok(());
    }
    let tokens = lex(text);
    let mut vars = Vec::with_capacity(8);
    vars.push("$");
    vars.extend(PROMETHEUS_VARIABLES);
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        vars,
        range_depth: 0,
        nesting: 0,
        trees: HashMap::new(),
        alert,
    };
    parser.parse()
}

// ----------------------------------------------------------------------------------------
// Lexer (Go: text/template/parse/lex.go)

#[derive(Debug, Clone, PartialEq)]
enum Item<'a> {
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
struct Token<'a> {
    item: Item<'a>,
    offset: usize,
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
fn lex(input: &str) -> Vec<Token<'_>> {
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

    fn lex_identifier(&mut self) -> bool {
        while self.peek().is_some_and(is_alphanumeric) {
            self.next();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            self.error(format!("bad character {c:?}"));
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
        while self.peek().is_some_and(is_alphanumeric) {
            self.next();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            self.error(format!("bad character {c:?}"));
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

// ----------------------------------------------------------------------------------------
// Literals as Go's strconv reads them

/// Go's `strconv.Unquote` for a double-quoted string (quotes included).
fn unquote_ok(quoted: &str) -> bool {
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
fn char_constant_ok(text: &str) -> bool {
    let inner = &text[1..text.len() - 1];
    let mut chars = inner.chars();
    match chars.next() {
        None | Some('\'') => false,
        Some('\\') => escape_ok(&mut chars, '\'') && chars.next().is_none(),
        Some(_) => chars.next().is_none(),
    }
}

/// Go's `parse.newNumber`: the literal is a valid number constant.
fn number_ok(text: &str) -> Result<(), String> {
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
fn complex_ok(text: &str) -> bool {
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

// ----------------------------------------------------------------------------------------
// Parser (Go: text/template/parse/parse.go)

/// What a node is, as far as the checks need: `end` and `else` close lists, and a tree with
/// only blank text is empty (a `define` may then be repeated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Blank,
    Content,
    End,
    Else,
}

type Parsed<T> = Result<T, TemplateError>;

struct Parser<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
    /// Variables in scope, innermost last.
    vars: Vec<&'a str>,
    range_depth: usize,
    nesting: usize,
    /// Template names defined so far, with whether their body is non-empty.
    trees: HashMap<String, bool>,
    /// The alert, whose template is named `__alert_<name>`.
    alert: &'a str,
}

/// Where a pipeline stands in Go's grammar (its error messages name it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Command,
    If,
    Range,
    With,
    Template,
    Block,
    Paren,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Command => "command",
            Context::If => "if",
            Context::Range => "range",
            Context::With => "with",
            Context::Template => "template clause",
            Context::Block => "block clause",
            Context::Paren => "parenthesized pipeline",
        }
    }
}

/// The first argument of a command, for "non executable command in pipeline stage".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    Literal,
    Executable,
}

impl<'a> Parser<'_, 'a> {
    fn error<T>(&self, offset: usize, message: impl Into<String>) -> Parsed<T> {
        Err(TemplateError {
            message: message.into(),
            offset,
        })
    }

    fn next(&mut self) -> &Token<'a> {
        let token = &self.tokens[self.pos.min(self.tokens.len() - 1)];
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    fn backup(&mut self) {
        self.pos -= 1;
    }

    fn peek(&self) -> &Token<'a> {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next_non_space(&mut self) -> Token<'a> {
        loop {
            let token = self.next().clone();
            if token.item != Item::Space {
                return token;
            }
        }
    }

    /// Like Go's `peekNonSpace`: the spaces before the token are consumed.
    fn peek_non_space(&mut self) -> Token<'a> {
        let token = self.next_non_space();
        self.backup();
        token
    }

    fn unexpected<T>(&self, token: &Token<'a>, context: &str) -> Parsed<T> {
        match &token.item {
            Item::Error(message) => self.error(token.offset, message.clone()),
            item => self.error(
                token.offset,
                format!("unexpected {} in {context}", describe(item)),
            ),
        }
    }

    fn expect(&mut self, expected: &Item<'a>, context: &str) -> Parsed<Token<'a>> {
        let token = self.next_non_space();
        if &token.item != expected {
            return self.unexpected(&token, context);
        }
        Ok(token)
    }

    fn enter(&mut self, offset: usize) -> Parsed<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return self.error(
                offset,
                format!("the template nests deeper than {MAX_NESTING} levels"),
            );
        }
        Ok(())
    }

    fn add_tree(&mut self, name: String, non_empty: bool, offset: usize) -> Parsed<()> {
        match self.trees.get(&name) {
            Some(true) if non_empty => self.error(
                offset,
                format!("template: multiple definition of template {name:?}"),
            ),
            Some(true) => Ok(()),
            _ => {
                self.trees.insert(name, non_empty);
                Ok(())
            }
        }
    }

    /// The whole template (Go: `Tree.parse` then `add`).
    fn parse(&mut self) -> Parsed<()> {
        loop {
            let token = self.peek().clone();
            if token.item == Item::Eof {
                break;
            }
            if token.item == Item::LeftDelim {
                let delim = self.pos;
                self.next();
                if self.next_non_space().item == Item::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.pos = delim;
            }
            let (node, offset) = self.text_or_action()?;
            match node {
                Node::End => return self.error(offset, "unexpected {{end}}"),
                Node::Else => return self.error(offset, "unexpected {{else}}"),
                Node::Blank | Node::Content => {}
            }
        }
        // Prometheus's own declarations make the main template non-empty.
        if self.trees.is_empty() {
            return Ok(()); // no `define` or `block` to collide with
        }
        self.add_tree(format!("__alert_{}", self.alert), true, 0)
    }

    /// `{{define "name"}} ... {{end}}`, after `define`.
    fn parse_definition(&mut self) -> Parsed<()> {
        let context = "define clause";
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        self.expect(&Item::RightDelim, context)?;
        let outer = std::mem::replace(&mut self.vars, vec!["$"]);
        let (non_empty, end, offset) = self.item_list()?;
        self.vars = outer;
        if end != Node::End {
            return self.error(offset, format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add_tree(name, non_empty, token.offset)
    }

    fn template_name(&self, token: &Token<'a>, context: &str) -> Parsed<String> {
        match &token.item {
            Item::String(quoted) => {
                if !unquote_ok(quoted) {
                    return self.error(token.offset, "invalid syntax in template name");
                }
                // Names with escapes keep them: only `define` collisions depend on names.
                Ok(quoted[1..quoted.len() - 1].to_string())
            }
            Item::RawString(raw) => Ok(raw[1..raw.len() - 1].replace('\r', "")),
            _ => self.unexpected(token, context),
        }
    }

    /// Nodes up to `{{end}}` or `{{else}}`: (non-empty, the closing node, its offset).
    fn item_list(&mut self) -> Parsed<(bool, Node, usize)> {
        let mut non_empty = false;
        loop {
            let token = self.peek_non_space();
            if token.item == Item::Eof {
                return self.error(token.offset, "unexpected EOF");
            }
            let (node, offset) = self.text_or_action()?;
            match node {
                Node::End | Node::Else => return Ok((non_empty, node, offset)),
                Node::Content => non_empty = true,
                Node::Blank => {}
            }
        }
    }

    fn text_or_action(&mut self) -> Parsed<(Node, usize)> {
        let token = self.next_non_space();
        match token.item {
            Item::Text { blank } => Ok((
                if blank { Node::Blank } else { Node::Content },
                token.offset,
            )),
            Item::LeftDelim => Ok((self.action()?, token.offset)),
            _ => self.unexpected(&token, "input"),
        }
    }

    fn action(&mut self) -> Parsed<Node> {
        let token = self.next_non_space();
        match token.item {
            Item::Block => self.block_control(&token),
            Item::Break | Item::Continue => {
                let what = if token.item == Item::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let next = self.next_non_space();
                if next.item != Item::RightDelim {
                    return self.unexpected(&next, what);
                }
                if self.range_depth == 0 {
                    return self.error(token.offset, format!("{what} outside {{{{range}}}}"));
                }
                Ok(Node::Content)
            }
            Item::Else => {
                // `{{else if ...`: the `if` stays for the enclosing `if` to parse.
                if self.peek_non_space().item == Item::If {
                    return Ok(Node::Else);
                }
                self.expect(&Item::RightDelim, "else")?;
                Ok(Node::Else)
            }
            Item::End => {
                self.expect(&Item::RightDelim, "end")?;
                Ok(Node::End)
            }
            Item::If => self.control(Context::If, token.offset),
            Item::Range => self.control(Context::Range, token.offset),
            Item::With => self.control(Context::With, token.offset),
            Item::Template => {
                let context = "template clause";
                let name = self.next_non_space();
                self.template_name(&name, context)?;
                if self.next_non_space().item != Item::RightDelim {
                    self.backup();
                    self.pipeline(Context::Template)?;
                }
                Ok(Node::Content)
            }
            _ => {
                self.backup();
                self.pipeline(Context::Command)?;
                Ok(Node::Content)
            }
        }
    }

    /// `if`, `range`, `with` after their keyword, up to the matching `{{end}}`.
    fn control(&mut self, context: Context, offset: usize) -> Parsed<Node> {
        self.enter(offset)?;
        let scope = self.vars.len();
        self.pipeline(context)?;
        if context == Context::Range {
            self.range_depth += 1;
        }
        let (_, next, _) = self.item_list()?;
        if context == Context::Range {
            self.range_depth -= 1;
        }
        if next == Node::Else {
            if context == Context::If && self.peek().item == Item::If {
                // `{{else if b}}` is `{{else}}{{if b}}...{{end}}{{end}}` with one `{{end}}`.
                let token = self.next().clone();
                self.control(Context::If, token.offset)?;
            } else {
                let (_, end, end_offset) = self.item_list()?;
                if end != Node::End {
                    return self.error(end_offset, "expected end; found {{else}}");
                }
            }
        }
        self.vars.truncate(scope);
        self.nesting -= 1;
        Ok(Node::Content)
    }

    /// `{{block "name" pipeline}} ... {{end}}`, after `block`.
    fn block_control(&mut self, keyword: &Token<'a>) -> Parsed<Node> {
        let context = "block clause";
        self.enter(keyword.offset)?;
        let token = self.next_non_space();
        let name = self.template_name(&token, context)?;
        self.pipeline(Context::Block)?;
        let outer = std::mem::replace(&mut self.vars, vec!["$"]);
        let outer_range = std::mem::take(&mut self.range_depth);
        let (non_empty, end, offset) = self.item_list()?;
        self.vars = outer;
        self.range_depth = outer_range;
        if end != Node::End {
            return self.error(offset, format!("unexpected {{{{else}}}} in {context}"));
        }
        self.add_tree(name, non_empty, token.offset)?;
        self.nesting -= 1;
        Ok(Node::Content)
    }

    /// A pipeline up to `}}` (or `)` in parentheses), with its declarations.
    fn pipeline(&mut self, context: Context) -> Parsed<()> {
        let end = if context == Context::Paren {
            Item::RightParen
        } else {
            Item::RightDelim
        };
        let mut declarations = 0;
        loop {
            let v = self.peek_non_space();
            let Item::Variable(name) = v.item else { break };
            let before = self.pos;
            self.next_non_space();
            let next = self.peek_non_space();
            match &next.item {
                Item::Assign | Item::Declare => {
                    self.next_non_space();
                    self.vars.push(name);
                }
                Item::Char(',') => {
                    self.next_non_space();
                    self.vars.push(name);
                    declarations += 1;
                    if context == Context::Range && declarations < 2 {
                        match self.peek_non_space().item {
                            Item::Variable(_) | Item::RightDelim | Item::RightParen => continue,
                            _ => {
                                return self.error(v.offset, "range can only initialize variables");
                            }
                        }
                    }
                    return self.error(
                        v.offset,
                        format!("too many declarations in {}", context.name()),
                    );
                }
                // `$x` is an operand, not a declaration.
                _ => self.pos = before,
            }
            break;
        }
        let mut commands = 0;
        loop {
            let token = self.next_non_space();
            if token.item == end {
                if commands == 0 {
                    return self.error(
                        token.offset,
                        format!("missing value for {}", context.name()),
                    );
                }
                return Ok(());
            }
            match token.item {
                Item::Bool
                | Item::CharConstant(_)
                | Item::Complex(_)
                | Item::Dot
                | Item::Field
                | Item::Identifier(_)
                | Item::Number(_)
                | Item::Nil
                | Item::RawString(_)
                | Item::String(_)
                | Item::Variable(_)
                | Item::LeftParen => {
                    self.backup();
                    let first = self.command()?;
                    commands += 1;
                    if commands > 1 && first == Operand::Literal {
                        return self.error(
                            token.offset,
                            format!("non executable command in pipeline stage {commands}"),
                        );
                    }
                }
                _ => return self.unexpected(&token, context.name()),
            }
        }
    }

    /// One command of a pipeline; what its first operand is.
    fn command(&mut self) -> Parsed<Operand> {
        let start = self.peek_non_space().offset;
        let mut first = None;
        loop {
            self.peek_non_space();
            if let Some(operand) = self.operand()? {
                first.get_or_insert(operand);
            }
            let token = self.next().clone();
            match token.item {
                Item::Space => continue,
                Item::RightDelim | Item::RightParen => self.backup(),
                Item::Pipe => {}
                _ => return self.unexpected(&token, "operand"),
            }
            break;
        }
        match first {
            Some(operand) => Ok(operand),
            None => self.error(start, "empty command"),
        }
    }

    fn operand(&mut self) -> Parsed<Option<Operand>> {
        let Some((operand, chainable)) = self.term()? else {
            return Ok(None);
        };
        if self.peek().item == Item::Field {
            if !chainable {
                let offset = self.peek().offset;
                return self.error(offset, "unexpected . after term");
            }
            while self.peek().item == Item::Field {
                self.next();
            }
            // A field chain on anything executes.
            return Ok(Some(Operand::Executable));
        }
        Ok(Some(operand))
    }

    /// A term, and whether fields may follow it (`$x.a`, `.A.b`, `(pipeline).a`, `f.a`).
    fn term(&mut self) -> Parsed<Option<(Operand, bool)>> {
        let token = self.next_non_space();
        Ok(Some(match &token.item {
            Item::Identifier(name) => {
                if !is_function(name) {
                    return self.error(token.offset, format!("function {name:?} not defined"));
                }
                (Operand::Executable, true)
            }
            Item::Dot | Item::Nil | Item::Bool => (Operand::Literal, false),
            Item::Variable(name) => {
                if !self.vars.iter().any(|v| v == name) {
                    return self.error(token.offset, format!("undefined variable {name:?}"));
                }
                (Operand::Executable, true)
            }
            Item::Field => (Operand::Executable, true),
            Item::CharConstant(text) => {
                if !char_constant_ok(text) {
                    return self.error(
                        token.offset,
                        format!("malformed character constant: {text}"),
                    );
                }
                (Operand::Literal, false)
            }
            Item::Complex(text) => {
                if !complex_ok(text) {
                    return self.error(token.offset, format!("illegal number syntax: {text:?}"));
                }
                (Operand::Literal, false)
            }
            Item::Number(text) => {
                if let Err(message) = number_ok(text) {
                    return self.error(token.offset, message);
                }
                (Operand::Literal, false)
            }
            Item::LeftParen => {
                self.enter(token.offset)?;
                self.pipeline(Context::Paren)?;
                self.nesting -= 1;
                (Operand::Executable, true)
            }
            Item::String(quoted) => {
                if !unquote_ok(quoted) {
                    return self.error(token.offset, "invalid syntax in quoted string");
                }
                (Operand::Literal, false)
            }
            Item::RawString(_) => (Operand::Literal, false),
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

fn describe(item: &Item<'_>) -> String {
    match item {
        Item::Error(m) => m.clone(),
        Item::Eof => "EOF".into(),
        Item::Char(c) => format!("{c:?}"),
        Item::Identifier(s)
        | Item::Number(s)
        | Item::Complex(s)
        | Item::CharConstant(s)
        | Item::String(s)
        | Item::Variable(s) => format!("{s:?}"),
        Item::Block => "<block>".into(),
        Item::Break => "<break>".into(),
        Item::Continue => "<continue>".into(),
        Item::Define => "<define>".into(),
        Item::Else => "<else>".into(),
        Item::End => "<end>".into(),
        Item::If => "<if>".into(),
        Item::Nil => "<nil>".into(),
        Item::Range => "<range>".into(),
        Item::Template => "<template>".into(),
        Item::With => "<with>".into(),
        Item::Dot => "<.>".into(),
        Item::LeftDelim => "\"{{\"".into(),
        Item::RightDelim => "\"}}\"".into(),
        Item::LeftParen => "\"(\"".into(),
        Item::RightParen => "\")\"".into(),
        Item::Pipe => "\"|\"".into(),
        Item::Space => "space".into(),
        Item::Assign => "\"=\"".into(),
        Item::Declare => "\":=\"".into(),
        Item::Bool => "boolean".into(),
        Item::Field => "field".into(),
        Item::RawString(s) => format!("{s:?}"),
        Item::Text { .. } => "text".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> bool {
        check("TestAlert", text).is_ok()
    }

    #[test]
    fn the_homelab_spellings_parse() {
        for text in [
            "Host {{ $labels.instance }} is down.",
            "(up = {{ $value }})",
            "currently {{ $value | printf \"%.1f\" }}%",
            "{{ $value | humanizePercentage }} {{ $value | humanizeDuration }}",
            "{{ .Labels.job }} {{ index $labels \"device\" }} {{ $externalLabels.site }}",
            "{{ if gt $value 1.0 }}high{{ else if eq $value 0.0 }}zero{{ else }}low{{ end }}",
            "{{ range $i, $l := $labels }}{{ $i }}={{ $l }}{{ end }}",
            "{{ with $labels.instance }}{{ . }}{{ end }}",
            "{{- /* a comment */ -}} {{/* another */}}",
            "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
            "{{ range $labels }}{{ if . }}{{ break }}{{ end }}{{ continue }}{{ end }}",
            "{{ define \"t\" }}{{ . }}{{ end }}{{ template \"t\" $value }}",
            "{{ block \"b\" . }}x{{ end }}",
            "{{ $value | humanize1024 | toUpper }} {{ reReplaceAll \"a\" \"b\" $labels.x }}",
            "{{ (query \"up\") | first | value }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }} {{ `raw` }}",
            "{{ -1 }} {{ 1_000 }} {{ 1.5 }} {{ nil | print }} {{ true }}",
            "{{\n  $labels.instance\n}}",
            "{{ 1 | }}",
            "{{ $undefined = 1 }}",
            "{{ nil }} {{ (1).x }} {{ humanize.x }} {{ template \"nonexistent\" }}",
            "no template at all, not even { braces }",
        ] {
            assert!(ok(text), "{text}: {:?}", check("TestAlert", text));
        }
    }

    #[test]
    fn what_go_refuses_is_refused() {
        for text in [
            "{{ $labe.instance }}",
            "{{ $labels.instance ",
            "{{ $value | humanizeDurat }}",
            "{{ huma $value }}",
            "{{ $labels.instance ~ }}",
            "{{ $labels.instance # }}",
            "{{ }}",
            "{{ end }}",
            "{{ if $value }}x",
            "{{ if }}x{{ end }}",
            "{{ else }}",
            "{{ range $labels }}{{ else if 1 }}{{ end }}",
            "{{ break }}",
            "{{ if 1 }}{{ continue }}{{ end }}",
            "{{ if $x := 1 }}{{ end }}{{ $x }}",
            "{{ define \"t\" }}{{ $labels }}{{ end }}",
            "{{ \"a\" | \"b\" }}",
            "{{ (1 }}",
            "{{ no template at all, not even braces",
            "{{ 1) }}",
            "{{ 1e99999 }}",
            "{{ 99999999999999999999 }}",
            "{{ 08 }}",
            "{{ 1__0 }}",
            "{{ 'ab' }}",
            "{{ \"\\q\" }}",
            "{{ \"open }}",
            "{{ /* comment */ }}",
            "{{/* unclosed }}",
            "{{/* x */ y }}",
            "{{ $labels.a-b }}",
            "{{ .A.B.c1 | 3 }}",
            "{{ 1.a }}",
            "{{ \"x\".y }}",
            "{{ template x }}",
            "{{ define \"__alert_TestAlert\" }}x{{ end }}",
            "{{ define \"d\" }}x{{ end }}{{ define \"d\" }}y{{ end }}",
            "{{ if 1 }}{{ define \"d\" }}x{{ end }}{{ end }}",
            "{{ range $a, $b, $c := . }}{{ end }}",
            "{{ with $x, $y := . }}{{ end }}",
            "{{ x := 1 }}",
            "{{ $labels : 1 }}",
            "{{ é }}",
        ] {
            assert!(!ok(text), "{text} should be refused");
        }
    }

    #[test]
    fn a_blank_define_may_be_repeated() {
        assert!(ok(
            "{{ define \"d\" }} {{ end }}{{ define \"d\" }}y{{ end }}"
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // The lint runs on a thread with a large stack; so does this test.
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(deep_nesting)
            .unwrap()
            .join()
            .unwrap();
    }

    fn deep_nesting() {
        let deep = format!(
            "{}x{}",
            "{{ if 1 }}".repeat(5_000),
            "{{ end }}".repeat(5_000)
        );
        assert!(!ok(&deep));
        let shallow = format!("{}x{}", "{{ if 1 }}".repeat(50), "{{ end }}".repeat(50));
        assert!(ok(&shallow));
        let parens = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(!ok(&parens));
    }

    #[test]
    fn numbers_follow_go() {
        for good in [
            "1", "-1", "0x1F", "0o17", "0b101", "017", "1.5", "1e3", "1_000", "2i", "0x1p-2",
        ] {
            assert!(number_ok(good).is_ok(), "{good}");
        }
        for bad in [
            "08",
            "1e99999",
            "99999999999999999999",
            "1__0",
            "_1",
            "0x1.8",
        ] {
            assert!(number_ok(bad).is_err(), "{bad}");
        }
        assert!(complex_ok("1+2i"));
        assert!(!complex_ok("1e999999+2i"));
    }
}
