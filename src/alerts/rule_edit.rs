//! Broken copies of a rules file for scenarios that show a check catching a mistake: set a
//! key of one rule, remove it, change its expression, add a top-level key. Edits work on the
//! text (so the rest of the file, comments included, stays as it was) and say which line
//! they changed, so a scenario can check that a finding points at it.

use super::outline::Lines;
use super::rule_file;

/// Why an edit could not be made: what it was to change is not in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleEditError {
    #[error("the rules file has no rule named {0}")]
    NoRule(String),
    #[error("rule {alert} has no \"{key}\" to change")]
    NoKey { alert: String, key: String },
    #[error("the expression of {alert} does not use {word}: {expr}")]
    NotInExpression {
        alert: String,
        word: String,
        expr: String,
    },
}

/// An edited copy and the 1-based line the edit changed (None when the edit removed lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    pub line: Option<usize>,
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// YAML single-quoted scalar.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

struct Located {
    lines: Vec<String>,
    /// 0-based index of the key line.
    key: usize,
    /// 0-based end (exclusive) of the key's value (its continuation lines).
    end: usize,
}

/// Finds `key` inside alert `alert`.
fn locate(text: &str, alert: &str, key: &str) -> Result<Located, RuleEditError> {
    let (file, _) = rule_file::parse("copy", text);
    let rule = file
        .rule(alert)
        .ok_or_else(|| RuleEditError::NoRule(alert.to_string()))?;
    let outline_lines = Lines::new(text);
    let key_index = outline_lines
        .key_line(rule.lines.clone(), key)
        .ok_or_else(|| RuleEditError::NoKey {
            alert: alert.to_string(),
            key: key.to_string(),
        })?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let own = indent(&lines[key_index]);
    // A `- key:` line's key sits after the dash.
    let own = if lines[key_index].trim_start().starts_with("- ") {
        own + 2
    } else {
        own
    };
    let mut end = key_index + 1;
    while end < rule.lines.end.min(lines.len())
        && (lines[end].trim().is_empty() || indent(&lines[end]) > own)
    {
        end += 1;
    }
    // Trailing blank lines belong to the next item.
    while end > key_index + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    Ok(Located {
        lines,
        key: key_index,
        end,
    })
}

fn join(lines: &[String]) -> String {
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Sets `key` of alert `alert` to `value` (a one-line scalar), replacing a multi-line value.
pub fn set_value(text: &str, alert: &str, key: &str, value: &str) -> Result<Edited, RuleEditError> {
    let Located {
        mut lines,
        key: at,
        end,
    } = locate(text, alert, key)?;
    let head = lines[at]
        .split_once(':')
        .map(|(h, _)| h.to_string())
        .unwrap_or_default();
    lines[at] = format!("{head}: {}", quoted(value));
    lines.drain(at + 1..end);
    Ok(Edited {
        text: join(&lines),
        line: Some(at + 1),
    })
}

/// The current one-line value of a key (multi-line values joined with spaces).
pub(crate) fn value_of(text: &str, alert: &str, key: &str) -> Result<String, RuleEditError> {
    let (file, _) = rule_file::parse("copy", text);
    let rule = file
        .rule(alert)
        .ok_or_else(|| RuleEditError::NoRule(alert.to_string()))?;
    let value = match key {
        "expr" => rule.expr.clone(),
        "for" => rule.for_duration.clone(),
        _ => rule
            .annotation(key)
            .or_else(|| rule.label(key))
            .map(str::to_string),
    };
    value
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .ok_or_else(|| RuleEditError::NoKey {
            alert: alert.to_string(),
            key: key.to_string(),
        })
}

/// Removes `key` (and its value's lines) from alert `alert`.
pub(crate) fn remove_key(text: &str, alert: &str, key: &str) -> Result<Edited, RuleEditError> {
    let Located {
        mut lines,
        key: at,
        end,
    } = locate(text, alert, key)?;
    lines.drain(at..end);
    Ok(Edited {
        text: join(&lines),
        line: None,
    })
}

/// Replaces the word `from` with `to` in alert `alert`'s expression.
pub(crate) fn replace_in_expr(
    text: &str,
    alert: &str,
    from: &str,
    to: &str,
) -> Result<Edited, RuleEditError> {
    let expr = value_of(text, alert, "expr")?;
    let not_used = || RuleEditError::NotInExpression {
        alert: alert.to_string(),
        word: from.to_string(),
        expr: expr.clone(),
    };
    let pattern =
        regex::Regex::new(&format!(r"\b{}\b", regex::escape(from))).map_err(|_| not_used())?;
    if !pattern.is_match(&expr) {
        return Err(not_used());
    }
    set_value(
        text,
        alert,
        "expr",
        &pattern.replace_all(&expr, regex::NoExpand(to)),
    )
}

/// Indents `key` of alert `alert` with a tab, which YAML forbids.
pub(crate) fn indent_with_tab(text: &str, alert: &str, key: &str) -> Result<Edited, RuleEditError> {
    let Located {
        mut lines, key: at, ..
    } = locate(text, alert, key)?;
    lines[at] = format!("\t{}", lines[at].trim_start());
    Ok(Edited {
        text: join(&lines),
        line: Some(at + 1),
    })
}

/// Appends a top-level key at the end of the file.
pub(crate) fn add_top_level_key(text: &str, key: &str) -> Edited {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.push(format!("{key}: {{}}"));
    Edited {
        line: Some(lines.len()),
        text: join(&lines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
groups:
  - name: g
    rules:
      - alert: A
        expr: >-
          node_load15
            > 2
        for: 5m
        labels:
          severity: warning

      - alert: B
        expr: up == 0
";

    #[test]
    fn a_multi_line_value_is_replaced_by_one_line() {
        let edited = set_value(FILE, "A", "expr", "node_load15 > 3").unwrap();
        assert_eq!(edited.line, Some(5));
        assert!(
            edited
                .text
                .contains("        expr: 'node_load15 > 3'\n        for: 5m\n"),
            "{}",
            edited.text
        );
        let (file, findings) = rule_file::parse("x", &edited.text);
        assert!(findings.is_empty());
        assert_eq!(
            file.rule("A").unwrap().expr.as_deref(),
            Some("node_load15 > 3")
        );
    }

    #[test]
    fn a_key_and_its_value_are_removed() {
        let edited = remove_key(FILE, "A", "labels").unwrap();
        let (file, _) = rule_file::parse("x", &edited.text);
        assert!(file.rule("A").unwrap().labels.is_empty());
        assert!(file.rule("B").is_some());
    }

    #[test]
    fn a_word_in_the_expression_is_replaced() {
        let edited = replace_in_expr(FILE, "A", "node_load15", "node_load_15").unwrap();
        assert_eq!(
            value_of(&edited.text, "A", "expr").unwrap(),
            "node_load_15 > 2"
        );
        assert!(replace_in_expr(FILE, "A", "node_load1", "x").is_err());
    }

    #[test]
    fn unknown_rules_and_keys_are_named() {
        assert_eq!(
            set_value(FILE, "C", "for", "1m").unwrap_err(),
            RuleEditError::NoRule("C".into())
        );
        assert_eq!(
            remove_key(FILE, "B", "for").unwrap_err(),
            RuleEditError::NoKey {
                alert: "B".into(),
                key: "for".into()
            }
        );
    }
}
