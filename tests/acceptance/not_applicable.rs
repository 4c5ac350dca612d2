//! Scenarios that do not apply to the homelab under test are reported as skipped.
//!
//! cucumber 0.23 skips a step only when no step definition matches it; a step cannot skip
//! itself. So a step that finds the homelab has nothing to play a scenario's role records
//! why in the world (`World::skip`) and fails, and this writer, placed between cucumber's
//! `fail_on_skipped` and the report writers, turns that failure into a log line saying
//! "not applicable: <reason>" followed by a skipped step. `fail_on_skipped` sees the
//! failure before this writer does, so it never turns these skips back into failures, while
//! an undefined step is still skipped by cucumber itself and failed by `fail_on_skipped`.

use cucumber::{Event, event, parser, writer};

use super::steps::World;

/// Wraps the report writers; see the module's documentation.
#[derive(Debug)]
pub struct NotApplicableAsSkipped<Wr> {
    inner: Wr,
}

impl<Wr> NotApplicableAsSkipped<Wr> {
    pub fn new(inner: Wr) -> Self {
        NotApplicableAsSkipped { inner }
    }
}

/// The reason, when this step event is a not-applicable failure.
fn not_applicable(ev: &event::Scenario<World>) -> Option<String> {
    match ev {
        event::Scenario::Step(_, event::Step::Failed(_, _, Some(world), _))
        | event::Scenario::Background(_, event::Step::Failed(_, _, Some(world), _)) => {
            world.not_applicable.as_ref().map(ToString::to_string)
        }
        _ => None,
    }
}

/// The same event, its failed step now skipped.
fn skipped(ev: event::Scenario<World>) -> event::Scenario<World> {
    match ev {
        event::Scenario::Step(step, event::Step::Failed(..)) => {
            event::Scenario::Step(step, event::Step::Skipped)
        }
        event::Scenario::Background(step, event::Step::Failed(..)) => {
            event::Scenario::Background(step, event::Step::Skipped)
        }
        other => other,
    }
}

type Cucumber = event::Cucumber<World>;

/// Splits a not-applicable failure into its log line and the skipped step; other events
/// pass unchanged.
fn rewrite(ev: Event<Cucumber>) -> Vec<Event<Cucumber>> {
    let (value, meta) = ev.split();
    let (feature, rule, scenario, retryable) = match value {
        event::Cucumber::Feature(f, event::Feature::Scenario(sc, ev)) => (f, None, sc, ev),
        event::Cucumber::Feature(f, event::Feature::Rule(r, event::Rule::Scenario(sc, ev))) => {
            (f, Some(r), sc, ev)
        }
        other => return vec![meta.insert(other)],
    };
    let event::RetryableScenario { event, retries } = retryable;
    let Some(reason) = not_applicable(&event) else {
        let ev = event.with_retries(retries);
        return vec![meta.insert(Cucumber::scenario(feature, rule, scenario, ev))];
    };
    let log = event::Scenario::Log(reason).with_retries(retries);
    let step = skipped(event).with_retries(retries);
    vec![
        meta.insert(Cucumber::scenario(
            feature.clone(),
            rule.clone(),
            scenario.clone(),
            log,
        )),
        meta.insert(Cucumber::scenario(feature, rule, scenario, step)),
    ]
}

impl<Wr: cucumber::Writer<World>> cucumber::Writer<World> for NotApplicableAsSkipped<Wr> {
    type Cli = Wr::Cli;

    async fn handle_event(&mut self, ev: parser::Result<Event<Cucumber>>, cli: &Self::Cli) {
        match ev {
            Ok(ev) => {
                for ev in rewrite(ev) {
                    self.inner.handle_event(Ok(ev), cli).await;
                }
            }
            Err(e) => self.inner.handle_event(Err(e), cli).await,
        }
    }
}

impl<Val, Wr> writer::Arbitrary<World, Val> for NotApplicableAsSkipped<Wr>
where
    Wr: writer::Arbitrary<World, Val>,
{
    async fn write(&mut self, val: Val) {
        self.inner.write(val).await;
    }
}

impl<Wr: writer::Stats<World>> writer::Stats<World> for NotApplicableAsSkipped<Wr> {
    fn passed_steps(&self) -> usize {
        self.inner.passed_steps()
    }

    fn skipped_steps(&self) -> usize {
        self.inner.skipped_steps()
    }

    fn failed_steps(&self) -> usize {
        self.inner.failed_steps()
    }

    fn retried_steps(&self) -> usize {
        self.inner.retried_steps()
    }

    fn parsing_errors(&self) -> usize {
        self.inner.parsing_errors()
    }

    fn hook_errors(&self) -> usize {
        self.inner.hook_errors()
    }

    fn execution_has_failed(&self) -> bool {
        self.inner.execution_has_failed()
    }
}

impl<Wr: writer::Normalized> writer::Normalized for NotApplicableAsSkipped<Wr> {}
