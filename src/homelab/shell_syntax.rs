//! A reader of shell scripts' syntax, enough to follow what they write where: words (quotes
//! removed, expansions kept apart from literal text), redirections, here-documents, pipelines,
//! command groups (`{ }`, `( )`, loops, `if`, `case`) with the redirections after them, and
//! function definitions. Nothing is run and nothing is expanded.
//!
//! Why not a parser crate: the maintained Rust bash parser (`brush-parser` 0.4) pulls 39
//! crates into the build (insta, pest, bon, darling, cached, stacker...) and still hands
//! words over as raw text, so the quoting and expansions below would be needed anyway;
//! `conch-parser` is unmaintained since 2019, and `tree-sitter-bash` compiles a large
//! generated C parser. This reader is a careful lexer (quotes, `$(...)`, `${...}`,
//! backquotes, comments, continuations, here-documents read at the end of their line,
//! multi-line quoted strings) and a small recursive-descent parser that never fails: what it
//! does not understand becomes a plain command, which writes nothing.

/// One piece of a shell word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Text as the shell passes it (quotes removed).
    Lit(String),
    /// `$name`, `${name}`, `${name:-default}`: a parameter, with its default when given.
    Param { name: String, default: Option<Word> },
    /// `$(...)`, backquotes, `$((...))`, `$$` and other expansions whose value is not known.
    Opaque(String),
}

/// A word: its pieces, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Word(pub Vec<Piece>);

impl Word {
    /// The word when it has no expansion.
    pub(crate) fn literal(&self) -> Option<String> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Lit(text) => out.push_str(text),
                _ => return None,
            }
        }
        Some(out)
    }

    /// The text with every expansion replaced by `placeholder`.
    pub(crate) fn text_with(&self, placeholder: &str) -> String {
        self.0
            .iter()
            .map(|piece| match piece {
                Piece::Lit(text) => text.as_str(),
                _ => placeholder,
            })
            .collect()
    }

    fn push_lit(&mut self, c: char) {
        if let Some(Piece::Lit(text)) = self.0.last_mut() {
            text.push(c);
        } else {
            self.0.push(Piece::Lit(c.to_string()));
        }
    }
}

/// Where a redirection points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Redirect {
    /// `>`, `>|`, `&>` (append false) or `>>`, `&>>` (append true) into a file, for an fd
    /// (`None`: standard output).
    Out { fd: Option<u32>, file: Word },
    /// A here-document: its body (expansions kept as pieces unless the delimiter was quoted).
    HereDoc(Word),
    /// Anything else (`<`, `<<<`, `2>&1`...).
    Other,
}

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// A simple command: its assignments (`NAME=value`), words and redirections.
    Simple {
        assignments: Vec<(String, Word)>,
        words: Vec<Word>,
        redirects: Vec<Redirect>,
        line: usize,
    },
    /// Commands joined by `|`.
    Pipeline(Vec<Node>),
    /// `{ }`, `( )`, a loop, `if` or `case`: everything inside, and the redirections after it.
    Group {
        body: Vec<Node>,
        redirects: Vec<Redirect>,
    },
    /// `name() { ... }` or `function name { ... }`, with the 1-based line of its name.
    Function {
        name: String,
        body: Box<Node>,
        line: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(Word, usize),
    /// `>`/`>>` with its fd; the file is the next word.
    RedirOut(Option<u32>),
    /// A here-document, with its body once read.
    HereDoc(Word),
    /// `<`, `<<<`, `<&`, `>&`: the next word is consumed and ignored.
    RedirOther,
    /// `2>&1`-like duplications, complete.
    Dup,
    /// `;`, newline, `&`, `&&`, `||`, `;;`.
    Sep,
    Pipe,
    Open,
    Close,
}

struct PendingHereDoc {
    index: usize,
    delimiter: String,
    strip_tabs: bool,
    quoted: bool,
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    tokens: Vec<Tok>,
    pending: Vec<PendingHereDoc>,
}

/// Parses a script; never fails.
pub(crate) fn parse(text: &str) -> Vec<Node> {
    let mut lexer = Lexer {
        chars: text.chars().collect(),
        pos: 0,
        line: 1,
        tokens: Vec::new(),
        pending: Vec::new(),
    };
    lexer.run();
    let mut parser = Parser {
        tokens: lexer.tokens,
        pos: 0,
    };
    parser.list(&[])
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => {
                    self.bump();
                }
                '\\' if self.peek(1) == Some('\n') => {
                    self.bump();
                    self.bump();
                }
                '\n' => {
                    self.bump();
                    self.tokens.push(Tok::Sep);
                    self.read_heredoc_bodies();
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                ';' | '&' => {
                    self.bump();
                    if matches!(self.peek(0), Some(';' | '&')) {
                        self.bump();
                    }
                    if c == '&' && self.peek(0) == Some('>') {
                        // `&>file`, `&>>file`: standard output and error.
                        self.bump();
                        if self.peek(0) == Some('>') {
                            self.bump();
                        }
                        self.tokens.push(Tok::RedirOut(None));
                    } else {
                        self.tokens.push(Tok::Sep);
                    }
                }
                '|' => {
                    self.bump();
                    match self.peek(0) {
                        Some('|') => {
                            self.bump();
                            self.tokens.push(Tok::Sep);
                        }
                        Some('&') => {
                            self.bump();
                            self.tokens.push(Tok::Pipe);
                        }
                        _ => self.tokens.push(Tok::Pipe),
                    }
                }
                '(' => {
                    self.bump();
                    self.tokens.push(Tok::Open);
                }
                ')' => {
                    self.bump();
                    self.tokens.push(Tok::Close);
                }
                '<' | '>' => self.redirection(None),
                _ => self.word(),
            }
        }
    }

    fn redirection(&mut self, fd: Option<u32>) {
        let c = self.bump().unwrap_or('>');
        if c == '>' {
            match self.peek(0) {
                Some('>') | Some('|') => {
                    self.bump();
                }
                Some('&') => {
                    self.bump();
                    // `>&2`, `2>&1`: a duplication; `>&file` is rare and ignored.
                    self.skip_blanks();
                    self.word_token();
                    self.tokens.push(Tok::Dup);
                    return;
                }
                _ => {}
            }
            self.tokens.push(Tok::RedirOut(fd));
            return;
        }
        match self.peek(0) {
            Some('<') if self.peek(1) == Some('<') => {
                self.bump();
                self.bump();
                self.tokens.push(Tok::RedirOther);
            }
            Some('<') => {
                self.bump();
                let strip_tabs = self.peek(0) == Some('-');
                if strip_tabs {
                    self.bump();
                }
                self.skip_blanks();
                let start = self.pos;
                let word = self.word_token();
                let raw: String = self.chars[start..self.pos].iter().collect();
                let quoted = raw.contains(['\'', '"', '\\']);
                let delimiter = word.map(|w| w.text_with("")).unwrap_or_default();
                self.pending.push(PendingHereDoc {
                    index: self.tokens.len(),
                    delimiter,
                    strip_tabs,
                    quoted,
                });
                self.tokens.push(Tok::HereDoc(Word::default()));
            }
            Some('&') | Some('>') => {
                self.bump();
                self.tokens.push(Tok::RedirOther);
            }
            _ => self.tokens.push(Tok::RedirOther),
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(0), Some(' ' | '\t')) {
            self.bump();
        }
    }

    /// After a newline: the bodies of the here-documents opened on the line just ended.
    fn read_heredoc_bodies(&mut self) {
        for pending in std::mem::take(&mut self.pending) {
            let mut body = String::new();
            loop {
                if self.peek(0).is_none() {
                    break;
                }
                let mut line = String::new();
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                    line.push(c);
                }
                let line = if pending.strip_tabs {
                    line.trim_start_matches('\t').to_string()
                } else {
                    line
                };
                if line.trim_end_matches('\r') == pending.delimiter {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            let word = if pending.quoted {
                Word(vec![Piece::Lit(body)])
            } else {
                expand_heredoc(&body)
            };
            self.tokens[pending.index] = Tok::HereDoc(word);
        }
    }

    fn word(&mut self) {
        // `2>file`: digits right before a redirection are its fd.
        let digits: String = self.chars[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if !digits.is_empty() && matches!(self.peek(digits.len()), Some('>' | '<')) {
            self.pos += digits.len();
            self.redirection(digits.parse().ok());
            return;
        }
        let line = self.line;
        if let Some(word) = self.word_token() {
            self.tokens.push(Tok::Word(word, line));
        }
    }

    /// One word from here; `None` when no word starts here.
    fn word_token(&mut self) -> Option<Word> {
        let mut word = Word::default();
        let start = self.pos;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' | '\n' | ';' | '&' | '|' | '<' | '>' | ')' => break,
                '(' => {
                    // `name=(a b)`: an array; `@(x|y)`-like globs: kept whole.
                    if self.pos > start
                        && matches!(self.chars[self.pos - 1], '=' | '@' | '?' | '*' | '+' | '!')
                    {
                        let raw = self.balanced('(', ')');
                        word.0.push(Piece::Opaque(raw));
                        continue;
                    }
                    break;
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') | None => {}
                        Some(escaped) => word.push_lit(escaped),
                    }
                }
                '\'' => {
                    self.bump();
                    let mut text = String::new();
                    while let Some(q) = self.bump() {
                        if q == '\'' {
                            break;
                        }
                        text.push(q);
                    }
                    push_text(&mut word, &text);
                }
                '"' => {
                    self.bump();
                    self.double_quoted(&mut word);
                }
                '$' => self.dollar(&mut word, false),
                '`' => {
                    self.bump();
                    let mut raw = String::from("`");
                    while let Some(q) = self.bump() {
                        raw.push(q);
                        match q {
                            '\\' => {
                                if let Some(e) = self.bump() {
                                    raw.push(e);
                                }
                            }
                            '`' => break,
                            _ => {}
                        }
                    }
                    word.0.push(Piece::Opaque(raw));
                }
                _ => {
                    self.bump();
                    word.push_lit(c);
                }
            }
        }
        (self.pos > start).then_some(word)
    }

    fn double_quoted(&mut self, word: &mut Word) {
        // An empty pair of quotes is still a (empty) word.
        if word.0.is_empty() {
            word.0.push(Piece::Lit(String::new()));
        }
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.bump();
                    return;
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some(e @ ('"' | '\\' | '$' | '`')) => word.push_lit(e),
                        Some('\n') => {}
                        Some(e) => {
                            word.push_lit('\\');
                            word.push_lit(e);
                        }
                        None => {}
                    }
                }
                '$' => self.dollar(word, true),
                '`' => {
                    self.bump();
                    let mut raw = String::from("`");
                    while let Some(q) = self.bump() {
                        raw.push(q);
                        if q == '`' {
                            break;
                        }
                    }
                    word.0.push(Piece::Opaque(raw));
                }
                _ => {
                    self.bump();
                    word.push_lit(c);
                }
            }
        }
    }

    fn dollar(&mut self, word: &mut Word, quoted: bool) {
        self.bump();
        match self.peek(0) {
            Some('(') => {
                let raw = self.balanced('(', ')');
                word.0.push(Piece::Opaque(format!("${raw}")));
            }
            Some('{') => {
                let raw = self.balanced('{', '}');
                let inner = raw.strip_prefix('{').unwrap_or(&raw);
                word.0
                    .push(parameter(inner.strip_suffix('}').unwrap_or(inner)));
            }
            Some('\'') if !quoted => {
                // $'...': ANSI-C quoting.
                self.bump();
                let mut text = String::new();
                while let Some(q) = self.bump() {
                    match q {
                        '\'' => break,
                        '\\' => match self.bump() {
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            Some(e) => text.push(e),
                            None => {}
                        },
                        _ => text.push(q),
                    }
                }
                push_text(word, &text);
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek(0)
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.bump();
                    name.push(c);
                }
                word.0.push(Piece::Param {
                    name,
                    default: None,
                });
            }
            Some(c) if c.is_ascii_digit() || "$?#@*!-".contains(c) => {
                self.bump();
                word.0.push(Piece::Opaque(format!("${c}")));
            }
            _ => word.push_lit('$'),
        }
    }

    /// From an `open` character to its matching `close`, quotes and nesting respected; the
    /// raw text including both.
    fn balanced(&mut self, open: char, close: char) -> String {
        let mut raw = String::new();
        let mut depth = 0usize;
        while let Some(c) = self.bump() {
            raw.push(c);
            match c {
                '\\' => {
                    if let Some(e) = self.bump() {
                        raw.push(e);
                    }
                }
                '\'' => {
                    while let Some(q) = self.bump() {
                        raw.push(q);
                        if q == '\'' {
                            break;
                        }
                    }
                }
                '"' => {
                    while let Some(q) = self.bump() {
                        raw.push(q);
                        match q {
                            '\\' => {
                                if let Some(e) = self.bump() {
                                    raw.push(e);
                                }
                            }
                            '"' => break,
                            _ => {}
                        }
                    }
                }
                c if c == open => depth += 1,
                c if c == close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        raw
    }
}

fn push_text(word: &mut Word, text: &str) {
    if let Some(Piece::Lit(last)) = word.0.last_mut() {
        last.push_str(text);
    } else {
        word.0.push(Piece::Lit(text.to_string()));
    }
}

/// The inside of `${...}`: a parameter with its default (`:-`, `-`, `:=`, `=`), or opaque.
fn parameter(inner: &str) -> Piece {
    let name_end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    let rest = &inner[name_end..];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Piece::Opaque(format!("${{{inner}}}"));
    }
    let default = [":-", ":=", "-", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op))
        .map(|value| {
            let mut lexer = Lexer {
                chars: value.chars().collect(),
                pos: 0,
                line: 0,
                tokens: Vec::new(),
                pending: Vec::new(),
            };
            let mut word = Word::default();
            while lexer.peek(0).is_some() {
                match lexer.peek(0) {
                    Some('"') => {
                        lexer.bump();
                        lexer.double_quoted(&mut word);
                    }
                    Some('$') => lexer.dollar(&mut word, false),
                    Some(c) => {
                        lexer.bump();
                        word.push_lit(c);
                    }
                    None => break,
                }
            }
            word
        });
    if rest.is_empty() || default.is_some() {
        Piece::Param {
            name: name.to_string(),
            default,
        }
    } else {
        Piece::Opaque(format!("${{{inner}}}"))
    }
}

/// An unquoted here-document's body: `$name`, `${...}`, `$(...)` and backquotes are
/// expansions, `\$` is a dollar.
fn expand_heredoc(body: &str) -> Word {
    let mut lexer = Lexer {
        chars: body.chars().collect(),
        pos: 0,
        line: 0,
        tokens: Vec::new(),
        pending: Vec::new(),
    };
    let mut word = Word(vec![Piece::Lit(String::new())]);
    while let Some(c) = lexer.peek(0) {
        match c {
            '\\' if matches!(lexer.peek(1), Some('$' | '`' | '\\')) => {
                lexer.bump();
                if let Some(e) = lexer.bump() {
                    word.push_lit(e);
                }
            }
            '$' => lexer.dollar(&mut word, true),
            '`' => {
                lexer.bump();
                let mut raw = String::from("`");
                while let Some(q) = lexer.bump() {
                    raw.push(q);
                    if q == '`' {
                        break;
                    }
                }
                word.0.push(Piece::Opaque(raw));
            }
            _ => {
                lexer.bump();
                word.push_lit(c);
            }
        }
    }
    word
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

/// Words that open a group, with the word that closes it.
const OPENERS: [(&str, &str); 6] = [
    ("{", "}"),
    ("if", "fi"),
    ("case", "esac"),
    ("while", "done"),
    ("until", "done"),
    ("for", "done"),
];

/// Words that only join the parts of a group.
const JOINERS: [&str; 7] = ["then", "else", "elif", "do", "in", "!", "select"];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn word_is(&self, text: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w, _)) if w.literal().as_deref() == Some(text))
    }

    /// Commands up to one of `closers` (not consumed) or the end.
    fn list(&mut self, closers: &[&str]) -> Vec<Node> {
        let mut nodes = Vec::new();
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Sep => self.pos += 1,
                Tok::Close if closers.contains(&")") => break,
                Tok::Close => self.pos += 1,
                Tok::Word(..) if closers.iter().any(|c| self.word_is(c)) => break,
                _ => {
                    let before = self.pos;
                    if let Some(node) = self.pipeline() {
                        nodes.push(node);
                    }
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
        nodes
    }

    fn pipeline(&mut self) -> Option<Node> {
        let mut stages = Vec::new();
        loop {
            if let Some(node) = self.command() {
                stages.push(node);
            }
            if matches!(self.peek(), Some(Tok::Pipe)) {
                self.pos += 1;
                while matches!(self.peek(), Some(Tok::Sep)) {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
        match stages.len() {
            0 => None,
            1 => stages.pop(),
            _ => Some(Node::Pipeline(stages)),
        }
    }

    fn command(&mut self) -> Option<Node> {
        while JOINERS.iter().any(|j| self.word_is(j)) {
            self.pos += 1;
        }
        match self.peek()? {
            Tok::Sep | Tok::Pipe | Tok::Close => None,
            Tok::Open => {
                self.pos += 1;
                let body = self.list(&[")"]);
                if matches!(self.peek(), Some(Tok::Close)) {
                    self.pos += 1;
                }
                Some(self.group(body))
            }
            Tok::Word(word, _) => {
                let text = word.literal().unwrap_or_default();
                if let Some((_, close)) = OPENERS.iter().find(|(o, _)| *o == text) {
                    self.pos += 1;
                    if text == "for" {
                        // The loop's variable and values, up to `do`.
                        while self.peek().is_some() && !self.word_is("do") {
                            self.pos += 1;
                        }
                    }
                    let body = if text == "case" {
                        self.case_body()
                    } else {
                        self.list_until(close)
                    };
                    return Some(self.group(body));
                }
                if text == "function" {
                    self.pos += 1;
                    return self.function_after_name();
                }
                if matches!(self.tokens.get(self.pos + 1), Some(Tok::Open))
                    && matches!(self.tokens.get(self.pos + 2), Some(Tok::Close))
                    && is_name(&text)
                {
                    return self.function_after_name();
                }
                Some(self.simple())
            }
            _ => Some(self.simple()),
        }
    }

    /// Commands up to the word `close`, consumed.
    fn list_until(&mut self, close: &str) -> Vec<Node> {
        let body = self.list(&[close]);
        if self.word_is(close) {
            self.pos += 1;
        }
        body
    }

    /// `case WORD in PATTERN) LIST ;; ... esac`: the lists.
    fn case_body(&mut self) -> Vec<Node> {
        let mut body = Vec::new();
        // The word and `in`.
        while matches!(self.peek(), Some(Tok::Word(..))) && !self.word_is("in") {
            self.pos += 1;
        }
        if self.word_is("in") {
            self.pos += 1;
        }
        loop {
            while matches!(self.peek(), Some(Tok::Sep)) {
                self.pos += 1;
            }
            if self.word_is("esac") {
                self.pos += 1;
                break;
            }
            if self.peek().is_none() {
                break;
            }
            // The pattern, up to its `)`.
            if matches!(self.peek(), Some(Tok::Open)) {
                self.pos += 1;
            }
            while let Some(tok) = self.peek() {
                let close = matches!(tok, Tok::Close);
                self.pos += 1;
                if close {
                    break;
                }
            }
            body.extend(self.case_item());
        }
        body
    }

    /// One case item's commands, up to `;;` (consumed) or `esac` (not consumed).
    fn case_item(&mut self) -> Vec<Node> {
        let mut nodes = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(Tok::Sep) => {
                    // `;;` and `;&` are lexed as one separator; a newline is another. The
                    // item ends at the next pattern: a word followed by `)`.
                    self.pos += 1;
                    if self.at_pattern() {
                        break;
                    }
                }
                Some(Tok::Word(..)) if self.word_is("esac") => break,
                _ => {
                    let before = self.pos;
                    if let Some(node) = self.pipeline() {
                        nodes.push(node);
                    }
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
        nodes
    }

    /// Whether the tokens from here read `PATTERN)` (or `(PATTERN)`).
    fn at_pattern(&self) -> bool {
        let mut i = self.pos;
        while matches!(self.tokens.get(i), Some(Tok::Sep)) {
            i += 1;
        }
        if matches!(self.tokens.get(i), Some(Tok::Open)) {
            i += 1;
        }
        let mut saw_word = false;
        while let Some(tok) = self.tokens.get(i) {
            match tok {
                Tok::Word(..) => saw_word = true,
                Tok::Pipe => {}
                Tok::Close => return saw_word,
                _ => return false,
            }
            i += 1;
        }
        false
    }

    fn function_after_name(&mut self) -> Option<Node> {
        let (name, line) = match self.peek() {
            Some(Tok::Word(w, line)) => (w.literal().unwrap_or_default(), *line),
            _ => return None,
        };
        self.pos += 1;
        if matches!(self.peek(), Some(Tok::Open))
            && matches!(self.tokens.get(self.pos + 1), Some(Tok::Close))
        {
            self.pos += 2;
        }
        while matches!(self.peek(), Some(Tok::Sep)) {
            self.pos += 1;
        }
        let body = self.command()?;
        Some(Node::Function {
            name,
            body: Box::new(body),
            line,
        })
    }

    fn group(&mut self, body: Vec<Node>) -> Node {
        let mut redirects = Vec::new();
        loop {
            match self.peek() {
                Some(Tok::RedirOut(fd)) => {
                    let fd = *fd;
                    self.pos += 1;
                    if let Some(Tok::Word(file, _)) = self.peek() {
                        let file = file.clone();
                        self.pos += 1;
                        redirects.push(Redirect::Out { fd, file });
                    }
                }
                Some(Tok::HereDoc(body)) => {
                    redirects.push(Redirect::HereDoc(body.clone()));
                    self.pos += 1;
                }
                Some(Tok::RedirOther) => {
                    self.pos += 1;
                    if matches!(self.peek(), Some(Tok::Word(..))) {
                        self.pos += 1;
                    }
                    redirects.push(Redirect::Other);
                }
                Some(Tok::Dup) => {
                    self.pos += 1;
                    redirects.push(Redirect::Other);
                }
                _ => break,
            }
        }
        Node::Group { body, redirects }
    }

    /// A simple command; a closing word (`}`, `done`) after its first word is an argument.
    fn simple(&mut self) -> Node {
        let mut assignments = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let mut redirects = Vec::new();
        let mut line = 0;
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Word(word, at) => {
                    if line == 0 {
                        line = *at;
                    }
                    let word = word.clone();
                    self.pos += 1;
                    if words.is_empty()
                        && let Some((name, value)) = assignment(&word)
                    {
                        assignments.push((name, value));
                    } else {
                        words.push(word);
                    }
                }
                Tok::RedirOut(fd) => {
                    let fd = *fd;
                    self.pos += 1;
                    if let Some(Tok::Word(file, _)) = self.peek() {
                        let file = file.clone();
                        self.pos += 1;
                        redirects.push(Redirect::Out { fd, file });
                    }
                }
                Tok::HereDoc(body) => {
                    redirects.push(Redirect::HereDoc(body.clone()));
                    self.pos += 1;
                }
                Tok::RedirOther => {
                    self.pos += 1;
                    if matches!(self.peek(), Some(Tok::Word(..))) {
                        self.pos += 1;
                    }
                    redirects.push(Redirect::Other);
                }
                Tok::Dup => {
                    self.pos += 1;
                    redirects.push(Redirect::Other);
                }
                Tok::Open => {
                    // `name=(...)` was lexed into the word; a stray `(` ends the command.
                    break;
                }
                Tok::Sep | Tok::Pipe | Tok::Close => break,
            }
        }
        // `local x=1`, `export X=...`, `declare -r X=...`: assignments too.
        if let Some(first) = words.first().and_then(Word::literal)
            && matches!(
                first.as_str(),
                "local" | "export" | "declare" | "readonly" | "typeset"
            )
        {
            for word in &words[1..] {
                if let Some(pair) = assignment(word) {
                    assignments.push(pair);
                }
            }
        }
        Node::Simple {
            assignments,
            words,
            redirects,
            line,
        }
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == ':' || c == '.')
}

/// `NAME=value` (or `NAME+=value`): the name and the value.
fn assignment(word: &Word) -> Option<(String, Word)> {
    let Some(Piece::Lit(first)) = word.0.first() else {
        return None;
    };
    let eq = first.find('=')?;
    let name = first[..eq].trim_end_matches('+');
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return None;
    }
    let mut value = Word(vec![Piece::Lit(first[eq + 1..].to_string())]);
    value.0.extend(word.0[1..].iter().cloned());
    if matches!(value.0.first(), Some(Piece::Lit(t)) if t.is_empty()) && value.0.len() > 1 {
        value.0.remove(0);
    }
    Some((name.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple_words(node: &Node) -> Vec<String> {
        match node {
            Node::Simple { words, .. } => words.iter().map(|w| w.text_with("$")).collect(),
            other => panic!("not a simple command: {other:?}"),
        }
    }

    #[test]
    fn quotes_expansions_and_comments() {
        let nodes = parse(
            "echo \"a{b=\\\"${x}\\\"} $(date +%s)\" 'lit $y' # comment\nprintf '%s\\n' \"$1\"\n",
        );
        assert_eq!(nodes.len(), 2);
        assert_eq!(simple_words(&nodes[0]), ["echo", "a{b=\"$\"} $", "lit $y"]);
        assert_eq!(simple_words(&nodes[1]), ["printf", "%s\\n", "$"]);
    }

    #[test]
    fn heredocs_are_read_at_the_end_of_their_line() {
        let nodes = parse("cat > \"$f\" <<EOF; echo after\nm{a=\"$v\"} 1\nEOF\necho next\n");
        let Node::Simple { redirects, .. } = &nodes[0] else {
            panic!()
        };
        assert!(matches!(&redirects[0], Redirect::Out { fd: None, .. }));
        let Redirect::HereDoc(body) = &redirects[1] else {
            panic!()
        };
        assert_eq!(body.text_with("X"), "m{a=\"X\"} 1\n");
        assert_eq!(simple_words(&nodes[1]), ["echo", "after"]);
        assert_eq!(simple_words(&nodes[2]), ["echo", "next"]);
    }

    #[test]
    fn groups_loops_and_functions_keep_their_redirections() {
        let nodes = parse(
            "emit() {\n  echo a 1\n}\n{ echo b 2; emit; } > out\nfor x in a b; do\n  echo \"$x\" 1\ndone >> \"$tmp\"\ncase \"$1\" in\n  a|b) echo c 1 ;;\n  *) exit 1 ;;\nesac\n",
        );
        assert!(matches!(&nodes[0], Node::Function { name, .. } if name == "emit"));
        let Node::Group { body, redirects } = &nodes[1] else {
            panic!("{:?}", nodes[1])
        };
        assert_eq!(body.len(), 2);
        assert_eq!(redirects.len(), 1);
        let Node::Group { body, redirects } = &nodes[2] else {
            panic!("{:?}", nodes[2])
        };
        assert_eq!(simple_words(&body[0]), ["echo", "$", "1"]);
        assert!(matches!(&redirects[0], Redirect::Out { .. }));
        let Node::Group { body, .. } = &nodes[3] else {
            panic!("{:?}", nodes[3])
        };
        assert_eq!(simple_words(&body[0]), ["echo", "c", "1"]);
        assert_eq!(simple_words(&body[1]), ["exit", "1"]);
    }

    #[test]
    fn assignments_pipes_and_multi_line_strings() {
        let nodes = parse(
            "out=\"${DIR:-/var/lib/x}/a.prom\" tmp=$(mktemp)\nlocal y=2\nprintf 'a 1\nb 2\n' | tee -a \"$out\" >/dev/null 2>&1\n",
        );
        let Node::Simple { assignments, .. } = &nodes[0] else {
            panic!()
        };
        assert_eq!(assignments[0].0, "out");
        assert!(
            matches!(&assignments[0].1.0[0], Piece::Param { name, default: Some(_) } if name == "DIR")
        );
        assert!(matches!(&assignments[1].1.0[0], Piece::Opaque(_)));
        let Node::Simple { assignments, .. } = &nodes[1] else {
            panic!()
        };
        assert_eq!(assignments[0].0, "y");
        let Node::Pipeline(stages) = &nodes[2] else {
            panic!()
        };
        assert_eq!(simple_words(&stages[0]), ["printf", "a 1\nb 2\n"]);
        assert_eq!(simple_words(&stages[1]), ["tee", "-a", "$"]);
    }

    #[test]
    fn nonsense_never_panics() {
        for text in [
            "",
            ")",
            "((",
            "}}}",
            "<<",
            "cat <<",
            "echo \"unterminated",
            "$(",
            "${",
            "case",
            "f() ",
            "a=(",
            "2>",
            "| |",
            "esac )",
            "if; then fi done",
        ] {
            let _ = parse(text);
        }
    }
}
