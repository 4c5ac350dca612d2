//! Steps for this user story (filled in by its issue).

/// This story's part of a scenario's state.
#[derive(Debug, Default)]
pub struct AlertsState {}
