//! A scenario whose premise the homelab does not offer.
//!
//! A scenario that proves a check on a changed copy picks its target by role (the first
//! alert that waits before firing, the first publishing script, the first module with a
//! guarded default). When the homelab has nothing to play the role, the check cannot be
//! shown at work there: the scenario is skipped, saying why, and never failed. A role is
//! never used for what the plan requires the homelab to have (its five alerts, five
//! modules, retry functions): those still fail when missing.

/// Why a scenario does not apply to the homelab under test.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not applicable: {reason}")]
pub struct NotApplicable {
    /// What the homelab lacks, e.g. `no alert quotes a label in its summary`.
    pub reason: String,
}

impl NotApplicable {
    pub fn new(reason: impl Into<String>) -> Self {
        NotApplicable {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_says_it_is_not_applicable_and_why() {
        assert_eq!(
            NotApplicable::new("no alert quotes a label").to_string(),
            "not applicable: no alert quotes a label"
        );
    }
}
