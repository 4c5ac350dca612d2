//! Which textfile metrics the repository's publishing scripts write, read from the scripts'
//! text (nothing is run), so that the catalog check can tell "a script publishes this but the
//! textfile contract does not declare it" from "nothing publishes this, the rule never fires".
//!
//! A metric counts as written when it is
//! - the first argument of `textfile_declare` or `textfile_sample` (`scripts/lib/textfile.sh`,
//!   which writes the `.prom` file), or
//! - the name on a sample line that `echo`, `printf` or a here-document writes into a file
//!   whose name contains `.prom`.
//!
//! A name inside a comment, a HELP or TYPE line, a help text argument, or output that goes
//! anywhere but a `.prom` file does not count. The shell words are read with quotes and
//! comments as bash reads them; names built from variables are not followed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::catalog_schema::is_metric_name;

/// Why the scripts could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PublishedError {
    #[error("cannot read the publishing script {}: {reason}", file.display())]
    Read { file: PathBuf, reason: String },
}

impl From<PublishedError> for String {
    fn from(e: PublishedError) -> String {
        e.to_string()
    }
}

/// The textfile library's functions whose first argument is the metric written.
const WRITING_FUNCTIONS: [&str; 2] = ["textfile_declare", "textfile_sample"];

/// Metric name to the first script (relative to the repository) that writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishedMetrics {
    by_metric: BTreeMap<String, String>,
}

impl PublishedMetrics {
    /// From `(script, text)` pairs.
    pub fn from_scripts<'a>(scripts: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut by_metric = BTreeMap::new();
        for (script, text) in scripts {
            for metric in written_metrics(text) {
                by_metric
                    .entry(metric)
                    .or_insert_with(|| script.to_string());
            }
        }
        Self { by_metric }
    }

    /// The script that writes `metric`, if one does.
    pub fn script_of(&self, metric: &str) -> Option<&str> {
        self.by_metric.get(metric).map(String::as_str)
    }

    pub fn metrics(&self) -> impl Iterator<Item = &str> {
        self.by_metric.keys().map(String::as_str)
    }
}

/// A shell token: a word (quotes removed; `literal` when no `$` or backquote was in it) or
/// an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word { text: String, literal: bool },
    Redirect,
    HereDoc,
    Separator,
}

/// The metric names one script writes, in order of appearance.
pub(crate) fn written_metrics(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(first) = lines.next() {
        // Join backslash continuations into one logical line.
        let mut line = first.to_string();
        while line.ends_with('\\') {
            line.pop();
            match lines.next() {
                Some(next) => line.push_str(next),
                None => break,
            }
        }
        let tokens = tokenize(&line);
        for command in tokens.split(|t| *t == Token::Separator) {
            let Some(heredoc) = command_metrics(command, &mut out) else {
                continue;
            };
            // The here-document's body: up to the delimiter line.
            let mut body = String::new();
            for next in lines.by_ref() {
                if next.trim() == heredoc.delimiter {
                    break;
                }
                body.push_str(next);
                body.push('\n');
            }
            if heredoc.into_prom_file {
                out.extend(exposition_names(&body));
            }
        }
    }
    out
}

struct PendingHereDoc {
    delimiter: String,
    into_prom_file: bool,
}

/// Adds what one simple command writes; returns the here-document it opens, if any.
fn command_metrics(command: &[Token], out: &mut Vec<String>) -> Option<PendingHereDoc> {
    let mut words = Vec::new();
    let mut into_prom_file = false;
    let mut heredoc = None;
    let mut iter = command.iter();
    while let Some(token) = iter.next() {
        match token {
            Token::Redirect => {
                if let Some(Token::Word { text, .. }) = iter.next() {
                    into_prom_file |= text.contains(".prom");
                }
            }
            Token::HereDoc => {
                if let Some(Token::Word { text, .. }) = iter.next() {
                    heredoc = Some(text.trim_start_matches('-').to_string());
                }
            }
            Token::Word { text, literal } => words.push((text.as_str(), *literal)),
            Token::Separator => {}
        }
    }
    match words.as_slice() {
        [(function, _), (metric, true), ..]
            if WRITING_FUNCTIONS.contains(function) && is_metric_name(metric) =>
        {
            out.push(metric.to_string());
        }
        [(writer, _), arguments @ ..] if into_prom_file && matches!(*writer, "echo" | "printf") => {
            for (argument, _) in arguments.iter().filter(|(a, _)| !a.starts_with('-')) {
                out.extend(exposition_names(&argument.replace("\\n", "\n")));
            }
        }
        _ => {}
    }
    heredoc.map(|delimiter| PendingHereDoc {
        delimiter,
        into_prom_file,
    })
}

/// The metric names on the sample lines of exposition text (HELP/TYPE and comments skipped).
fn exposition_names(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let end = line.find([' ', '{', '\t']).unwrap_or(line.len());
            let name = &line[..end];
            (end < line.len() && is_metric_name(name)).then(|| name.to_string())
        })
        .collect()
}

/// Splits one logical line into words and operators, as bash would: quotes group, a `#` at
/// the start of a word begins a comment, `;` `|` `&` separate commands.
fn tokenize(line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut literal = true;
    let mut chars = line.chars().peekable();
    let finish =
        |tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool, literal: &mut bool| {
            if *in_word {
                tokens.push(Token::Word {
                    text: std::mem::take(word),
                    literal: *literal,
                });
            }
            *in_word = false;
            *literal = true;
        };
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            ' ' | '\t' => finish(&mut tokens, &mut word, &mut in_word, &mut literal),
            ';' | '|' | '&' | '(' | ')' => {
                finish(&mut tokens, &mut word, &mut in_word, &mut literal);
                tokens.push(Token::Separator);
            }
            '>' => {
                finish(&mut tokens, &mut word, &mut in_word, &mut literal);
                if chars.peek() == Some(&'>') {
                    chars.next();
                }
                tokens.push(Token::Redirect);
            }
            '<' => {
                finish(&mut tokens, &mut word, &mut in_word, &mut literal);
                if chars.peek() == Some(&'<') {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        // A here-string (<<<): its word is the input, no body follows.
                        chars.next();
                    } else {
                        tokens.push(Token::HereDoc);
                    }
                }
            }
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                if !matches!(escaped, '"' | '\\' | '$' | '`') {
                                    word.push('\\');
                                }
                                word.push(escaped);
                            }
                        }
                        '$' | '`' => {
                            literal = false;
                            word.push(q);
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(escaped) = chars.next() {
                    word.push(escaped);
                }
            }
            '$' | '`' => {
                in_word = true;
                literal = false;
                word.push(c);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    finish(&mut tokens, &mut word, &mut in_word, &mut literal);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> Vec<String> {
        written_metrics(text)
    }

    #[test]
    fn the_textfile_library_calls_count() {
        let script = "\
textfile_declare homelab_backup_last_run_success gauge \\
    \"1 if the last vzdump run succeeded\"
textfile_sample homelab_backup_last_run_success \"$ok\" vmid=\"$vmid\"
textfile_sample 'homelab_quoted_total' 1
";
        assert_eq!(
            written(script),
            [
                "homelab_backup_last_run_success",
                "homelab_backup_last_run_success",
                "homelab_quoted_total"
            ]
        );
    }

    #[test]
    fn comments_help_texts_and_variables_do_not_count() {
        let script = "\
# homelab_in_a_comment_total is written elsewhere
textfile_declare homelab_real gauge \"unlike homelab_in_help_text, which is prose\" # homelab_trailing
textfile_sample \"$metric\" 1
echo \"homelab_to_stdout 1\"
log_info \"wrote homelab_in_a_log_line\"
";
        assert_eq!(written(script), ["homelab_real"]);
    }

    #[test]
    fn echo_printf_and_heredocs_into_a_prom_file_count() {
        let script = "\
echo \"homelab_echoed{vmid=\\\"100\\\"} 1\" > \"$TEXTFILE_DIR/x.prom.$$\"
printf '# HELP homelab_in_help Help\\n# TYPE homelab_printed gauge\\nhomelab_printed 1\\n' >> out.prom
cat > \"$dir/heredoc.prom\" <<EOF
# HELP homelab_heredoc_help Not a sample
homelab_from_heredoc 3
EOF
cat <<EOF
homelab_heredoc_to_stdout 1
EOF
read -r x <<< \"$value\"
textfile_sample homelab_after_a_here_string 1
textfile_write after.prom
";
        assert_eq!(
            written(script),
            [
                "homelab_echoed",
                "homelab_printed",
                "homelab_from_heredoc",
                "homelab_after_a_here_string"
            ]
        );
    }

    #[test]
    fn the_repositorys_own_scripts_publish_the_contract() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let homelab = crate::homelab::Homelab::discover(root).unwrap();
        let published = crate::homelab::rules::published_metrics(&homelab).unwrap();
        assert_eq!(
            published.script_of("homelab_backup_last_run_success"),
            Some("scripts/backup-status.sh")
        );
        assert_eq!(
            published.script_of("homelab_terraform_drift_detected"),
            Some("scripts/drift-check.sh")
        );
        assert!(published.metrics().all(|m| m.starts_with("homelab_")));
        assert_eq!(published.metrics().count(), 8);
    }

    #[test]
    fn no_scripts_publish_nothing() {
        let published = PublishedMetrics::from_scripts(std::iter::empty());
        assert_eq!(published.metrics().count(), 0);
    }
}
