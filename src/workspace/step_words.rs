//! Keeps a step's parameter regex and the sentences of the changes it names from drifting
//! apart. A cucumber `Parameter`'s regex must be a literal, so it cannot be generated from
//! the changes; instead the test runner checks at start that every sentence is matched by
//! the regex and every alternative of the regex matches a sentence, and refuses to run,
//! naming the one that has no counterpart. The finding ids a step may name are the
//! registry's ([`finding_id`]).

/// Checks the parameter `name`'s `regex` against `sentences` (concrete examples of every
/// change it stands for).
pub fn check_parameter(name: &str, regex: &str, sentences: &[String]) -> Result<(), String> {
    let whole = |pattern: &str| {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("the step parameter {{{name}}} has a bad regex: {e}"))
    };
    let all = whole(regex)?;
    if let Some(sentence) = sentences.iter().find(|s| !all.is_match(s)) {
        return Err(format!(
            "the change {sentence:?} has no step: the parameter {{{name}}} does not match it"
        ));
    }
    for alternative in alternatives(regex) {
        let one = whole(alternative)?;
        if !sentences.iter().any(|s| one.is_match(s)) {
            return Err(format!(
                "the step parameter {{{name}}} names a change that does not exist: {alternative:?}"
            ));
        }
    }
    Ok(())
}

/// The finding id a step names (`promql/series`), when the registry of checks has it: a
/// step naming an id no check emits could never pass, so its sentence is refused instead.
pub fn finding_id(text: &str) -> Option<crate::finding::FindingId> {
    crate::checks::find(text).map(|check| crate::finding::FindingId::new(check.id))
}

/// The top-level alternatives of `regex` (split at `|` outside groups, classes and escapes).
fn alternatives(regex: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut in_class, mut escaped, mut start) = (0usize, false, false, 0);
    for (at, c) in regex.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth = depth.saturating_sub(1),
            '|' if !in_class && depth == 0 => {
                out.push(&regex[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    out.push(&regex[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_id_is_known_when_the_registry_has_it() {
        assert_eq!(
            finding_id("promql/series").map(|id| id.as_str()),
            Some("promql/series")
        );
        assert_eq!(finding_id("promql/no-such-check"), None);
    }

    fn sentences(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn alternatives_are_split_at_the_top_level_only() {
        assert_eq!(
            alternatives(r"a (b|c)|d[|]e|f\|g"),
            ["a (b|c)", "d[|]e", r"f\|g"]
        );
    }

    #[test]
    fn a_sentence_without_a_step_and_a_step_without_a_change_are_named() {
        let regex = r"the [\w-]+ is removed|a file is added";
        assert_eq!(
            check_parameter(
                "c",
                regex,
                &sentences(&["the vm is removed", "a file is added"])
            ),
            Ok(())
        );
        let missing = check_parameter(
            "c",
            regex,
            &sentences(&["the vm is removed", "a file is added", "a file is cut"]),
        )
        .unwrap_err();
        assert!(
            missing.contains("\"a file is cut\" has no step"),
            "{missing}"
        );
        let stale = check_parameter("c", regex, &sentences(&["the vm is removed"])).unwrap_err();
        assert!(stale.contains("\"a file is added\""), "{stale}");
    }
}
