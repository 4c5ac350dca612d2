//! What a shell script writes into node-exporter's textfile directory, read from its syntax
//! ([`super::shell_syntax`]), never run: the metrics of the exposition sample lines that end
//! up there, with their label names.
//!
//! A line is written by `echo`, `printf` (its format, `%s`-like conversions filled with the
//! arguments or left unknown), `cat` or `tee` with a here-document, or a function whose output
//! is redirected; it goes to a file through `>`/`>>` on the command or on an enclosing group
//! (`{ }`, `( )`, a loop, `if`, `case`), through a pipe into `tee [-a]` or `sponge`, and on
//! from file to file through `mv`, `cp`, `install` and `cat SRC > DEST`. A file ends up in the
//! textfile directory when its name ends in `.prom` (the only files the collector reads; a
//! `.prom.` temporary name counts as its target) or when it lands in a textfile directory:
//! one the homelab configures (a `--collector.textfile.directory` flag, the default of a
//! Terraform variable or a shell variable named for the textfile directory), or a variable
//! whose name says it is one (`$TEXTFILE_DIR`). Variables are followed through the script's
//! own assignments and `${VAR:-default}`; the order of the commands does not matter, since a
//! script's functions may be defined in any order.
//!
//! Sample lines publish their metric and label names (values may be anything, names must be
//! literal); `# TYPE` lines only give the type. The textfile library's `textfile_declare` and
//! `textfile_sample` are read apart: those scripts are held to the textfile contract.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use super::shell_syntax::{Node, Piece, Redirect, Word, parse};

/// Stands for a value the script computes at run time.
const UNKNOWN: &str = "\u{1}";

/// The textfile library's functions: the first argument is the metric.
const LIBRARY_FUNCTIONS: [&str; 2] = ["textfile_declare", "textfile_sample"];

/// One metric a script writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenMetric {
    pub name: String,
    /// Every label name on any of its sample lines.
    pub labels: BTreeSet<String>,
    /// The `# TYPE` line's type, when one is written.
    pub kind: Option<String>,
    /// The 1-based line of the first command that writes it.
    pub line: usize,
}

/// Everything one script writes for the textfile collector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScriptWrites {
    /// It sources the textfile library (`lib/textfile.sh`).
    pub(crate) uses_library: bool,
    /// Metrics passed to the library's functions.
    pub(crate) library_metrics: Vec<WrittenMetric>,
    /// Metrics of the sample lines that end up in the textfile directory.
    pub(crate) samples: Vec<WrittenMetric>,
    /// The names of the `.prom` files those lines end up in, when known.
    pub(crate) prom_files: BTreeSet<String>,
}

impl ScriptWrites {
    /// Whether the script publishes anything.
    pub(crate) fn publishes(&self) -> bool {
        self.uses_library || !self.library_metrics.is_empty() || !self.samples.is_empty()
    }
}

/// The directories the homelab configures for the textfile collector, from the text of its
/// files: `--collector.textfile.directory` flags and the defaults of variables named for it.
pub(crate) fn configured_dirs<'a>(texts: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    static FLAG: OnceLock<regex::Regex> = OnceLock::new();
    static TF_VARIABLE: OnceLock<regex::Regex> = OnceLock::new();
    let flag = FLAG.get_or_init(|| {
        regex::Regex::new(r#"collector\.textfile\.directory[= ]+["']?(/[^"'\s]+)"#)
            .expect("the flag pattern is valid")
    });
    let tf_variable = TF_VARIABLE.get_or_init(|| {
        regex::Regex::new(
            r#"(?is)variable\s+"[^"]*textfile[^"]*"\s*\{[^}]*?default\s*=\s*"(/[^"]+)""#,
        )
        .expect("the variable pattern is valid")
    });
    let mut dirs = BTreeSet::new();
    for text in texts {
        for caps in flag
            .captures_iter(text)
            .chain(tf_variable.captures_iter(text))
        {
            dirs.insert(caps[1].trim_end_matches('/').to_string());
        }
    }
    dirs
}

/// What `text` (a script) writes, with `dirs` the textfile directories the homelab configures.
pub(crate) fn read(text: &str, dirs: &BTreeSet<String>) -> ScriptWrites {
    let nodes = parse(text);
    let mut reader = Reader::default();
    collect_assignments(&nodes, &mut reader.vars);
    reader.dirs = dirs.clone();
    // Values given to variables named for the textfile directory are textfile directories.
    let named: Vec<Word> = reader
        .vars
        .iter()
        .filter(|(name, _)| names_textfile_dir(name))
        .flat_map(|(_, values)| values.clone())
        .collect();
    for value in named {
        let dir = reader.resolve(&value);
        if !dir.contains(UNKNOWN) {
            reader.dirs.insert(dir.trim_end_matches('/').to_string());
        }
    }
    // Functions first, twice, so that a function calling another sees its output (what
    // their bodies write into files is kept; twice the same line changes nothing).
    for _ in 0..2 {
        reader.define_functions(&nodes);
    }
    for node in &nodes {
        reader.eval(node, &[]);
    }
    reader.finish()
}

#[derive(Debug, Clone)]
struct Written {
    text: String,
    line: usize,
}

#[derive(Default)]
struct Reader {
    vars: HashMap<String, Vec<Word>>,
    dirs: BTreeSet<String>,
    functions: HashMap<String, Vec<Written>>,
    /// File (resolved path) to the lines written into it.
    writes: BTreeMap<String, Vec<Written>>,
    /// Contents carried from one file to another (`mv`, `cp`, `install`, `cat SRC > DEST`).
    edges: Vec<(String, String)>,
    uses_library: bool,
    library: Vec<WrittenMetric>,
}

fn collect_assignments(nodes: &[Node], vars: &mut HashMap<String, Vec<Word>>) {
    for node in nodes {
        match node {
            Node::Simple { assignments, .. } => {
                for (name, value) in assignments {
                    vars.entry(name.clone()).or_default().push(value.clone());
                }
            }
            Node::Pipeline(stages) => collect_assignments(stages, vars),
            Node::Group { body, .. } => collect_assignments(body, vars),
            Node::Function { body, .. } => collect_assignments(std::slice::from_ref(body), vars),
        }
    }
}

fn names_textfile_dir(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("textfile") && !lower.ends_with("file_path")
}

impl Reader {
    fn define_functions(&mut self, nodes: &[Node]) {
        for node in nodes {
            match node {
                Node::Function { name, body, .. } => {
                    let out = self.eval(body, &[]);
                    self.functions.insert(name.clone(), out);
                    self.define_functions(std::slice::from_ref(body));
                }
                Node::Group { body, .. } => self.define_functions(body),
                _ => {}
            }
        }
    }

    /// A word as a path: variables replaced by their value (the first assignment, else the
    /// default), a variable named for the textfile directory kept as `${NAME}`, anything
    /// computed at run time kept as its text tagged with the variable that holds it, so two
    /// temporary files (`a=$(mktemp)`, `b=$(mktemp)`) stay apart.
    fn resolve(&self, word: &Word) -> String {
        self.resolve_depth(word, 0, None)
    }

    fn resolve_depth(&self, word: &Word, depth: usize, holder: Option<&str>) -> String {
        let mut out = String::new();
        for piece in &word.0 {
            match piece {
                Piece::Lit(text) => out.push_str(text),
                Piece::Param { name, default } => {
                    let value = self.vars.get(name).and_then(|v| v.first());
                    match (value, default) {
                        _ if depth > 8 => out.push_str(&format!("${{{name}}}")),
                        (Some(value), _) => {
                            out.push_str(&self.resolve_depth(value, depth + 1, Some(name)))
                        }
                        (None, Some(default)) if !names_textfile_dir(name) => {
                            out.push_str(&self.resolve_depth(default, depth + 1, Some(name)))
                        }
                        _ => out.push_str(&format!("${{{name}}}")),
                    }
                }
                Piece::Opaque(raw) => {
                    out.push_str(raw);
                    if let Some(holder) = holder {
                        out.push('#');
                        out.push_str(holder);
                    }
                }
            }
        }
        out
    }

    /// Whether a file at `path` ends up read by the textfile collector.
    fn in_textfile_dir(&self, path: &str) -> bool {
        let path = path.trim_end_matches('/');
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        file.ends_with(".prom")
            || file.contains(".prom.")
            || self.is_textfile_dir(dir)
            || self.is_textfile_dir(path)
    }

    fn is_textfile_dir(&self, dir: &str) -> bool {
        let dir = dir.trim_end_matches('/');
        self.dirs.contains(dir)
            || (dir.starts_with("${")
                && dir.ends_with('}')
                && !dir[2..].contains('/')
                && names_textfile_dir(&dir[2..dir.len() - 1]))
    }

    /// Evaluates a command with `stdin` (the lines piped into it); returns what it prints.
    fn eval(&mut self, node: &Node, stdin: &[Written]) -> Vec<Written> {
        match node {
            Node::Simple {
                words,
                redirects,
                line,
                ..
            } => {
                let printed = self.simple(words, redirects, *line, stdin);
                self.redirect(printed, redirects)
            }
            Node::Pipeline(stages) => {
                let mut flowing = stdin.to_vec();
                for stage in stages {
                    flowing = self.eval(stage, &flowing);
                }
                flowing
            }
            Node::Group { body, redirects } => {
                let mut printed = Vec::new();
                for (i, child) in body.iter().enumerate() {
                    let input = if i == 0 { stdin } else { &[] };
                    printed.extend(self.eval(child, input));
                }
                self.redirect(printed, redirects)
            }
            // Defined in the first pass; a definition prints nothing.
            Node::Function { .. } => Vec::new(),
        }
    }

    /// Sends `printed` to the command's standard-output redirections; returns what is left
    /// on standard output.
    fn redirect(&mut self, printed: Vec<Written>, redirects: &[Redirect]) -> Vec<Written> {
        let files: Vec<String> = redirects
            .iter()
            .filter_map(|r| match r {
                Redirect::Out {
                    fd: None | Some(1),
                    file,
                } => Some(self.resolve(file)),
                _ => None,
            })
            .collect();
        if files.is_empty() {
            return printed;
        }
        for file in files {
            self.writes
                .entry(file)
                .or_default()
                .extend(printed.iter().cloned());
        }
        Vec::new()
    }

    /// What a simple command prints (before its own redirections).
    fn simple(
        &mut self,
        words: &[Word],
        redirects: &[Redirect],
        line: usize,
        stdin: &[Written],
    ) -> Vec<Written> {
        let Some(command) = words.first().and_then(Word::literal) else {
            return Vec::new();
        };
        let args = &words[1..];
        let heredoc: Option<String> = redirects.iter().find_map(|r| match r {
            Redirect::HereDoc(body) => Some(body.text_with(UNKNOWN)),
            _ => None,
        });
        let text = |t: String| vec![Written { text: t, line }];
        match command.as_str() {
            "echo" => {
                let mut rest = args;
                while let Some(flag) = rest.first().and_then(Word::literal) {
                    if flag.len() > 1
                        && flag.starts_with('-')
                        && flag[1..].chars().all(|c| "neE".contains(c))
                    {
                        rest = &rest[1..];
                    } else {
                        break;
                    }
                }
                let joined: Vec<String> = rest.iter().map(|w| w.text_with(UNKNOWN)).collect();
                text(unescape(&joined.join(" ")))
            }
            "printf" => text(printf(args)),
            "cat" => {
                if let Some(body) = heredoc {
                    return text(body);
                }
                let sources: Vec<&Word> = args
                    .iter()
                    .filter(|w| !w.literal().is_some_and(|l| l.starts_with('-')))
                    .collect();
                if sources.is_empty() {
                    return stdin.to_vec();
                }
                // `cat SRC > DEST`: the contents carried over.
                for redirect in redirects {
                    if let Redirect::Out {
                        fd: None | Some(1),
                        file,
                    } = redirect
                    {
                        let dest = self.resolve(file);
                        for source in &sources {
                            let source = self.resolve(source);
                            self.edges.push((source, dest.clone()));
                        }
                    }
                }
                Vec::new()
            }
            "tee" | "sponge" => {
                let input: Vec<Written> = match heredoc {
                    Some(body) => text(body),
                    None => stdin.to_vec(),
                };
                for file in args
                    .iter()
                    .filter(|w| !w.literal().is_some_and(|l| l.starts_with('-')))
                {
                    let file = self.resolve(file);
                    self.writes
                        .entry(file)
                        .or_default()
                        .extend(input.iter().cloned());
                }
                if command == "tee" { input } else { Vec::new() }
            }
            "sort" | "uniq" => stdin.to_vec(),
            "mv" | "cp" | "install" => {
                self.carry(&command, args);
                Vec::new()
            }
            "source" | "." => {
                if args
                    .first()
                    .map(|w| w.text_with(UNKNOWN))
                    .is_some_and(|p| p.ends_with("/textfile.sh") || p == "textfile.sh")
                {
                    self.uses_library = true;
                }
                Vec::new()
            }
            name if LIBRARY_FUNCTIONS.contains(&name) => {
                self.library_call(name, args, line);
                Vec::new()
            }
            name => self.functions.get(name).cloned().unwrap_or_default(),
        }
    }

    /// `mv`/`cp`/`install` [options] SRC... DEST (or `-t DEST SRC...`): each source's
    /// contents carried to the destination.
    fn carry(&mut self, command: &str, args: &[Word]) {
        let mut operands = Vec::new();
        let mut target = None;
        let mut iter = args.iter();
        let mut options_done = false;
        while let Some(word) = iter.next() {
            let literal = word.literal();
            match literal.as_deref() {
                Some("--") if !options_done => options_done = true,
                Some("-t") | Some("--target-directory") if !options_done => {
                    target = iter.next().map(|w| self.resolve(w));
                }
                Some("-m" | "-o" | "-g" | "--mode" | "--owner" | "--group" | "-S")
                    if !options_done && command == "install" =>
                {
                    iter.next();
                }
                Some(flag) if !options_done && flag.starts_with('-') => {
                    if let Some(dir) = flag.strip_prefix("--target-directory=") {
                        target = Some(dir.to_string());
                    }
                }
                _ => operands.push(self.resolve(word)),
            }
        }
        let (sources, dest) = match target {
            Some(dir) => (operands, format!("{dir}/")),
            None => match operands.pop() {
                Some(dest) if !operands.is_empty() => (operands, dest),
                _ => return,
            },
        };
        let into_dir = sources.len() > 1 || dest.ends_with('/');
        for source in sources {
            let to = if into_dir {
                let name = source.rsplit('/').next().unwrap_or(&source);
                format!("{}/{name}", dest.trim_end_matches('/'))
            } else {
                dest.clone()
            };
            self.edges.push((source, to));
        }
    }

    fn library_call(&mut self, function: &str, args: &[Word], line: usize) {
        let Some(name) = args.first().and_then(Word::literal) else {
            return;
        };
        if !is_metric_name(&name) {
            return;
        }
        let (kind, labels) = if function == "textfile_declare" {
            (args.get(1).and_then(Word::literal), BTreeSet::new())
        } else {
            let labels = args
                .iter()
                .skip(2)
                .filter_map(|w| {
                    let text = w.text_with(UNKNOWN);
                    let (label, _) = text.split_once('=')?;
                    is_label_name(label).then(|| label.to_string())
                })
                .collect();
            (None, labels)
        };
        self.library.push(WrittenMetric {
            name,
            labels,
            kind,
            line,
        });
    }

    fn finish(self) -> ScriptWrites {
        // A file publishes when it, or a file its contents are carried to, is read by the
        // collector.
        let mut publishing: BTreeSet<String> = self
            .writes
            .keys()
            .chain(self.edges.iter().map(|(_, to)| to))
            .filter(|path| self.in_textfile_dir(path))
            .cloned()
            .collect();
        let prom_files: BTreeSet<String> = publishing
            .iter()
            .filter_map(|p| p.rsplit('/').next())
            .filter(|name| name.ends_with(".prom") && !name.contains(UNKNOWN))
            .map(str::to_string)
            .collect();
        loop {
            let before = publishing.len();
            for (from, to) in &self.edges {
                if publishing.contains(to) {
                    publishing.insert(from.clone());
                }
            }
            if publishing.len() == before {
                break;
            }
        }
        let mut by_name: BTreeMap<String, WrittenMetric> = BTreeMap::new();
        let mut order = Vec::new();
        for (file, lines) in &self.writes {
            if !publishing.contains(file) {
                continue;
            }
            let mut kinds: HashMap<String, String> = HashMap::new();
            for written in lines {
                for text in written.text.lines() {
                    if let Some((name, kind)) = type_line(text) {
                        kinds.insert(name, kind);
                    }
                }
            }
            for written in lines {
                for text in written.text.lines() {
                    let Some((name, labels)) = sample_line(text) else {
                        continue;
                    };
                    let entry = by_name.entry(name.clone()).or_insert_with(|| {
                        order.push(name.clone());
                        WrittenMetric {
                            name: name.clone(),
                            labels: BTreeSet::new(),
                            kind: None,
                            line: written.line,
                        }
                    });
                    entry.labels.extend(labels);
                    entry.line = entry.line.min(written.line);
                    if entry.kind.is_none() {
                        entry.kind = kinds.get(&name).cloned();
                    }
                }
            }
        }
        let mut samples: Vec<WrittenMetric> = order
            .into_iter()
            .filter_map(|name| by_name.remove(&name))
            .collect();
        samples.sort_by_key(|m| m.line);
        ScriptWrites {
            uses_library: self.uses_library,
            library_metrics: self.library,
            samples,
            prom_files,
        }
    }
}

/// `printf FORMAT [ARGS]`: the format with its conversions filled (`%s` and `%b` with the
/// argument's text, others unknown), reused while arguments remain, as bash does.
fn printf(args: &[Word]) -> String {
    let args = match args.first().and_then(Word::literal).as_deref() {
        Some("--") => &args[1..],
        // `printf -v var`: into a variable, not output.
        Some("-v") => return String::new(),
        _ => args,
    };
    let Some(format) = args.first() else {
        return String::new();
    };
    let format = format.text_with(UNKNOWN);
    let mut values = args[1..].iter().map(|w| w.text_with(UNKNOWN));
    let mut out = String::new();
    for round in 0..16 {
        let mut used = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                out.push('%');
                continue;
            }
            // Flags, width, precision, then the conversion letter.
            let mut conversion = None;
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    conversion = Some(next);
                    break;
                }
            }
            let value = values.next();
            used |= value.is_some();
            match conversion {
                Some('s' | 'b' | 'q') => out.push_str(&value.unwrap_or_default()),
                _ => out.push_str(UNKNOWN),
            }
        }
        if !used || values.len() == 0 || round == 15 {
            break;
        }
    }
    unescape(&out)
}

/// `\n`, `\t`, `\\` and `\"` as `printf` and `echo -e` print them.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `# TYPE name kind`: the name and the kind.
fn type_line(line: &str) -> Option<(String, String)> {
    let mut parts = line.trim().strip_prefix('#')?.split_whitespace();
    if parts.next()? != "TYPE" {
        return None;
    }
    let name = parts.next()?;
    let kind = parts.next()?;
    is_metric_name(name).then(|| (name.to_string(), kind.to_string()))
}

/// A sample line: `name value` or `name{label="value",...} value`; its name and label names.
/// The name and the label names must be literal; values may be unknown.
fn sample_line(line: &str) -> Option<(String, Vec<String>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..end];
    if !is_metric_name(name) {
        return None;
    }
    let mut rest = &line[end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices().peekable();
        let close;
        loop {
            while chars
                .next_if(|(_, c)| c.is_whitespace() || *c == ',')
                .is_some()
            {}
            let (start, c) = chars.next()?;
            if c == '}' {
                close = start;
                break;
            }
            let mut label_end = start + c.len_utf8();
            while let Some((i, c)) = chars.next_if(|(_, c)| *c != '=' && *c != '}') {
                label_end = i + c.len_utf8();
            }
            let label = inner[start..label_end].trim();
            chars.next_if(|(_, c)| *c == '=')?;
            while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
            chars.next_if(|(_, c)| *c == '"')?;
            // The value, up to its unescaped closing quote.
            loop {
                let (_, c) = chars.next()?;
                match c {
                    '\\' => {
                        chars.next()?;
                    }
                    '"' => break,
                    _ => {}
                }
            }
            if is_label_name(label) {
                labels.push(label.to_string());
            }
        }
        rest = &inner[close + 1..];
    }
    // A value must follow, after white space: a number, or one computed at run time.
    let value = rest.strip_prefix([' ', '\t'])?.split_whitespace().next()?;
    let number = value.contains(UNKNOWN)
        || value.parse::<f64>().is_ok()
        || matches!(value.to_ascii_lowercase().as_str(), "nan" | "+inf" | "-inf");
    number.then(|| (name.to_string(), labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs() -> BTreeSet<String> {
        BTreeSet::new()
    }

    /// `(metric, labels)` of the samples a script publishes.
    fn published(script: &str) -> Vec<(String, Vec<String>)> {
        read(script, &dirs())
            .samples
            .into_iter()
            .map(|m| (m.name, m.labels.into_iter().collect()))
            .collect()
    }

    fn one(name: &str, labels: &[&str]) -> (String, Vec<String>) {
        (
            name.to_string(),
            labels.iter().map(|l| l.to_string()).collect(),
        )
    }

    #[test]
    fn echo_into_a_temp_file_moved_into_place() {
        let script = r##"#!/bin/bash
set -euo pipefail
env="${1:-prod}"
tmp_file="$(mktemp)"
echo "# TYPE pve_drift_status gauge" >> "$tmp_file"
echo "pve_drift_status{env=\"${env}\",stack=\"$2\"} ${status}" >> "$tmp_file"
echo "not_published{env=\"x\"} 1" >> "$(mktemp)"
mv "$tmp_file" "${TEXTFILE_DIR}/pve_drift.prom"
"##;
        let writes = read(script, &dirs());
        assert_eq!(
            published(script),
            [one("pve_drift_status", &["env", "stack"])]
        );
        assert_eq!(writes.samples[0].kind.as_deref(), Some("gauge"));
        assert_eq!(writes.samples[0].line, 6);
        assert!(!writes.uses_library);
        assert_eq!(
            writes.prom_files.iter().collect::<Vec<_>>(),
            ["pve_drift.prom"]
        );
    }

    #[test]
    fn printf_formats_fill_their_conversions() {
        let script = r##"
out="$TEXTFILE_DIR/zfs.prom"
tmp=$(mktemp "${out}.XXXX")
printf 'zfs_scrub_errors{pool="%s",vdev="%s"} %d\n' "$pool" "$vdev" "$errors" > "$tmp"
printf '%s\n' "zfs_scrub_age_seconds{pool=\"$pool\"} $age" >> "$tmp"
printf '%s{pool="%s"} 1\n' "$dynamic_name" "$pool" >> "$tmp"
printf -v line 'in_a_variable 1'
install -m 0644 "$tmp" "$out"
"##;
        assert_eq!(
            published(script),
            [
                one("zfs_scrub_errors", &["pool", "vdev"]),
                one("zfs_scrub_age_seconds", &["pool"])
            ]
        );
    }

    #[test]
    fn tee_and_sponge_write_what_is_piped_into_them() {
        let script = r##"
f=/var/lib/node_exporter/textfile_collector/certs.prom
echo "cert_expiry_seconds{cn=\"$cn\"} $left" | tee -a "$f" > /dev/null
printf 'cert_checked 1\n' | sponge "$f"
echo "to_a_log_only 1" | tee /var/log/x.log
"##;
        assert_eq!(
            published(script),
            [
                one("cert_expiry_seconds", &["cn"]),
                one("cert_checked", &[])
            ]
        );
    }

    #[test]
    fn heredocs_and_grouped_redirections() {
        let script = r##"
dir="${NODE_TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}"
cat <<EOF > "$dir/.ups.tmp"
# HELP ups_on_battery 1 on battery
# TYPE ups_on_battery gauge
ups_on_battery{ups="${name}"} ${on_battery}
EOF
{
  echo "ups_load_ratio{ups=\"$name\"} $load"
  for b in $batteries; do
    echo "ups_battery_charge_ratio{ups=\"$name\",battery=\"$b\"} 1"
  done
} > "$dir/.ups.tmp2"
cat "$dir/.ups.tmp2" >> "$dir/.ups.tmp"
mv "$dir/.ups.tmp" "$dir/ups.prom"
cat <<'EOF'
stdout_only 1
EOF
"##;
        let writes = read(script, &dirs());
        assert_eq!(
            published(script),
            [
                one("ups_on_battery", &["ups"]),
                one("ups_load_ratio", &["ups"]),
                one("ups_battery_charge_ratio", &["battery", "ups"]),
            ]
        );
        assert_eq!(writes.samples[0].kind.as_deref(), Some("gauge"));
    }

    #[test]
    fn a_function_whose_output_is_redirected_writes_its_lines() {
        let script = r##"
main() {
  collect > "$tmp"
  mv "$tmp" "$TEXTFILE_COLLECTOR_DIR/"
}
collect() {
  printf 'apt_upgrades_pending{origin="%s"} %s\n' "$o" "$n"
}
tmp=$(mktemp)
main
"##;
        assert_eq!(
            published(script),
            [one("apt_upgrades_pending", &["origin"])]
        );
    }

    #[test]
    fn a_configured_directory_counts_and_other_files_do_not() {
        let script = r##"
echo "smart_ok{disk=\"$d\"} 1" > /srv/metrics/smart
echo "smart_elsewhere 1" > /srv/other/smart
echo "for_the_log 1"
echo "help text" > /dev/stderr
"##;
        assert_eq!(published(script), []);
        let configured = configured_dirs([
            "ExecStart=/usr/bin/node_exporter --collector.textfile.directory=/srv/metrics",
        ]);
        let writes = read(script, &configured);
        assert_eq!(writes.samples.len(), 1);
        assert_eq!(writes.samples[0].name, "smart_ok");
    }

    #[test]
    fn terraform_variables_named_for_the_directory_configure_it() {
        let configured = configured_dirs([r##"
variable "textfile_directory" {
  description = "node-exporter textfile collector directory on the node."
  type        = string
  default     = "/var/lib/prometheus/node-exporter"
}
"##]);
        assert_eq!(
            configured.into_iter().collect::<Vec<_>>(),
            ["/var/lib/prometheus/node-exporter"]
        );
    }

    #[test]
    fn the_library_is_read_apart() {
        let script = r##"
source "$(dirname "${BASH_SOURCE[0]}")/lib/textfile.sh"
textfile_declare homelab_x gauge "help"
textfile_sample homelab_x "$v" vmid="$vmid" storage="$s"
textfile_write homelab_x.prom
"##;
        let writes = read(script, &dirs());
        assert!(writes.uses_library);
        assert!(writes.samples.is_empty());
        assert_eq!(writes.library_metrics.len(), 2);
        assert_eq!(writes.library_metrics[0].kind.as_deref(), Some("gauge"));
        assert_eq!(
            writes.library_metrics[1].labels.iter().collect::<Vec<_>>(),
            ["storage", "vmid"]
        );
    }

    #[test]
    fn sample_lines_are_read_as_exposition() {
        assert_eq!(sample_line("a 1"), Some(("a".into(), vec![])));
        assert_eq!(
            sample_line(&format!("a{{b=\"{UNKNOWN}\", c=\"x\\\"}}\"}} {UNKNOWN}")),
            Some(("a".into(), vec!["b".into(), "c".into()]))
        );
        assert_eq!(sample_line("# TYPE a gauge"), None);
        assert_eq!(sample_line("a"), None);
        assert_eq!(sample_line("not a sample"), None);
        assert_eq!(sample_line(&format!("{UNKNOWN}{{a=\"1\"}} 1")), None);
        assert_eq!(sample_line("a{b=1} 1"), None);
    }
}
