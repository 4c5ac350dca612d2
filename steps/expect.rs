//! How a step turns what it found into its verdict: the one set of assertions the steps
//! share, each failing with a message that says what was expected and lists what was found.

use homelab_spec::finding::{Finding, listing};

/// Passes when `ok`; else fails with the `message`.
pub(crate) fn pass_if(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(message()) }
}

/// Whether `findings` hold one with `id` about `subject` that `also` accepts.
pub(crate) fn has(
    findings: &[Finding],
    id: &str,
    subject: &str,
    also: impl Fn(&Finding) -> bool,
) -> bool {
    findings.iter().any(|f| f.is(id, Some(subject)) && also(f))
}

/// Passes when `found`; else fails saying what was `expected`, with the `findings` listed.
pub(crate) fn found_or(found: bool, expected: String, findings: &[Finding]) -> Result<(), String> {
    match found {
        true => Ok(()),
        false => Err(format!("{expected}, found:\n{}", listing(findings))),
    }
}

/// Passes when there is no finding (the failures a step expects none of); else fails
/// listing them.
pub(crate) fn none_of(findings: &[Finding]) -> Result<(), String> {
    pass_if(findings.is_empty(), || listing(findings))
}

/// Passes when no problem was found; else fails listing them, one a line.
pub(crate) fn no_problems(problems: impl IntoIterator<Item = String>) -> Result<(), String> {
    let problems: Vec<String> = problems.into_iter().collect();
    pass_if(problems.is_empty(), || problems.join("\n"))
}

/// Passes when what was `found` is what was `expected`; else fails naming `what` with both.
pub(crate) fn same<T: PartialEq + std::fmt::Debug>(
    what: impl std::fmt::Display,
    expected: T,
    found: T,
) -> Result<(), String> {
    let message = || format!("{what}: expected {expected:?}, found {found:?}");
    pass_if(expected == found, message)
}

/// Passes when what the finding says it found names each of `words`; else fails naming
/// those it does not.
pub(crate) fn names_each(finding: &Finding, words: &[&str]) -> Result<(), String> {
    let named = finding.found.as_deref().unwrap_or_default();
    let unnamed: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !named.contains(w))
        .collect();
    pass_if(unnamed.is_empty(), || {
        format!("{finding}\ndoes not name {unnamed:?}")
    })
}
