//! The template parser (Go 1.19: `text/template/parse/parse.go`) over the lexer's items:
//! pipelines, declarations and variable scopes, control structures, `define`/`block`/
//! `template`, and the checks Go makes while parsing (functions and variables exist, no
//! literal after a pipe, `break` only in `range`, no second non-empty `define`).

use std::collections::HashMap;

use super::lex::{Item, Token};
use super::literal::{char_constant_ok, complex_ok, number_ok, unquote_ok};
use super::{MAX_NESTING, TemplateError, is_function};

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

pub(super) struct Parser<'t, 'a> {
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

impl<'t, 'a> Parser<'t, 'a> {
    /// A parser over `tokens` of a template of alert `alert`, with `declared` in scope.
    pub(super) fn new(tokens: &'t [Token<'a>], alert: &'a str, declared: Vec<&'a str>) -> Self {
        Parser {
            tokens,
            pos: 0,
            vars: declared,
            range_depth: 0,
            nesting: 0,
            trees: HashMap::new(),
            alert,
        }
    }

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
    pub(super) fn parse(&mut self) -> Parsed<()> {
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
