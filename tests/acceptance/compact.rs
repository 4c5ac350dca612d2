//! Console output of the acceptance run: one line per scenario, and a failure in full (the
//! step, where it is, the message), so a long run stays readable and a red one explains itself.

use std::fmt::Debug;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use cucumber::{Event, World, cli, event, parser, writer};

/// Scenario counts for the closing line, shared with the runner (the writer itself ends up
/// deep inside cucumber's writer wrappers).
#[derive(Debug, Default)]
pub struct Tally {
    pub passed: AtomicUsize,
    pub failed: AtomicUsize,
    /// Skipped because the homelab has nothing to play the scenario's role.
    pub not_applicable: AtomicUsize,
}

impl Tally {
    pub fn passed(&self) -> usize {
        self.passed.load(Ordering::Relaxed)
    }

    pub fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed)
    }

    pub fn not_applicable(&self) -> usize {
        self.not_applicable.load(Ordering::Relaxed)
    }
}

/// A [`writer`] printing one line per finished scenario. Wrap it in `.normalized()`: it
/// relies on each scenario's events arriving together.
#[derive(Debug, Default)]
pub struct Compact {
    /// When the running scenario started, from cucumber's event timestamps (the writer sees
    /// a scenario's events only once it is over, so its own clock would say nothing).
    started: Option<SystemTime>,
    /// The failure of the running scenario, already formatted.
    failure: Option<String>,
    /// Why the running scenario does not apply to the homelab, when it does not.
    not_applicable: Option<String>,
    logs: Vec<String>,
    tally: Arc<Tally>,
}

impl Compact {
    pub fn new(tally: Arc<Tally>) -> Self {
        Self {
            tally,
            ..Self::default()
        }
    }
}

impl Compact {
    fn print(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    fn scenario(
        &mut self,
        at: SystemTime,
        feature: &cucumber::gherkin::Feature,
        sc: &cucumber::gherkin::Scenario,
        ev: &event::Scenario<impl World>,
    ) {
        match ev {
            event::Scenario::Started => {
                self.started = Some(at);
                self.failure = None;
                self.not_applicable = None;
                self.logs.clear();
            }
            event::Scenario::Step(step, event::Step::Failed(_, _, _, err))
            | event::Scenario::Background(step, event::Step::Failed(_, _, _, err))
                if self.failure.is_none() =>
            {
                self.failure = Some(format!(
                    "      step: {} {}  ({}:{})\n{}",
                    step.keyword.trim(),
                    step.value,
                    path_of(feature),
                    step.position.line,
                    indent(&step_error(err))
                ));
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) if self.failure.is_none() => {
                self.failure = Some(format!(
                    "      {kind:?} hook failed:\n{}",
                    indent(&panic_text(info))
                ));
            }
            // The not-applicable writer puts the reason in a log line just before the skip.
            event::Scenario::Step(_, event::Step::Skipped)
            | event::Scenario::Background(_, event::Step::Skipped) => {
                self.not_applicable = self
                    .logs
                    .last()
                    .filter(|l| l.starts_with("not applicable: "))
                    .cloned();
            }
            event::Scenario::Log(msg) => self.logs.push(msg.clone()),
            event::Scenario::Finished => {
                let secs = self
                    .started
                    .take()
                    .and_then(|t| at.duration_since(t).ok())
                    .map_or(0.0, |d| d.as_secs_f64());
                let place = format!("{}:{}", path_of(feature), sc.position.line);
                if let Some(reason) = self.not_applicable.take() {
                    self.tally.not_applicable.fetch_add(1, Ordering::Relaxed);
                    self.print(&format!("  skip  {} ({place}): {reason}", sc.name));
                    return;
                }
                match self.failure.take() {
                    None => {
                        self.tally.passed.fetch_add(1, Ordering::Relaxed);
                        self.print(&format!("  ok    {} ({place}, {secs:.2}s)", sc.name));
                    }
                    Some(failure) => {
                        self.tally.failed.fetch_add(1, Ordering::Relaxed);
                        self.print(&format!(
                            "  FAIL  {} ({place}, {secs:.2}s)\n{failure}",
                            sc.name
                        ));
                        for log in std::mem::take(&mut self.logs) {
                            self.print(&indent(&log));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn path_of(feature: &cucumber::gherkin::Feature) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    feature
        .path
        .as_ref()
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .unwrap_or_else(|| feature.name.clone())
}

/// An error with its causes: gherkin puts the line and column of a parse error in the source.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let said = c.to_string();
        // Some wrappers already repeat their cause's message in their own.
        if !text.contains(&said) {
            text.push_str(&format!(": {said}"));
        }
        cause = c.source();
    }
    text
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("        {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn panic_text(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(a panic without a message)".into())
}

fn step_error(err: &event::StepError) -> String {
    match err {
        event::StepError::Panic(info) => panic_text(info),
        other => other.to_string(),
    }
}

impl<W: World + Debug> cucumber::Writer<W> for Compact {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, ev: parser::Result<Event<event::Cucumber<W>>>, _: &Self::Cli) {
        let at = ev.as_ref().map_or_else(|_| SystemTime::now(), |e| e.at);
        match ev.map(Event::into_inner) {
            Err(e) => {
                self.tally.failed.fetch_add(1, Ordering::Relaxed);
                self.print(&format!("  FAIL  {}", error_chain(&e)));
            }
            Ok(event::Cucumber::Feature(feature, event::Feature::Started)) => {
                self.print(&format!("{} ({})", feature.name, path_of(&feature)));
            }
            Ok(event::Cucumber::Feature(feature, event::Feature::Scenario(sc, ev))) => {
                self.scenario(at, &feature, &sc, &ev.event);
            }
            Ok(event::Cucumber::Feature(
                feature,
                event::Feature::Rule(_, event::Rule::Scenario(sc, ev)),
            )) => {
                self.scenario(at, &feature, &sc, &ev.event);
            }
            Ok(_) => {}
        }
    }
}

impl<W: World + Debug> writer::Arbitrary<W, String> for Compact {
    async fn write(&mut self, val: String) {
        self.print(&val);
    }
}

impl writer::NonTransforming for Compact {}
