//! Collects the run for the living documentation (`reports/index.html`): a cucumber writer
//! that builds a [`RunReport`] from the events (features, rules, scenarios, the failed step
//! and its message), and a handle the runner's `after` hook gives each scenario's outcomes
//! to. At the end of the run, [`LivingDoc::write`] renders the page.

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use cucumber::{Event, World, cli, event, gherkin, parser, writer};
use homelab_spec::outcome::Outcome;
use homelab_spec::report::living_doc::{
    Criterion, FailedStep, FeatureReport, RuleReport, RunReport, ScenarioReport, Status,
};
use homelab_spec::tools::Tools;

/// A scenario's place: its feature file and line (an outline's example has its own line).
type Key = (String, usize);

#[derive(Debug, Default)]
struct Collected {
    features: Vec<FeatureReport>,
    errors: Vec<String>,
    /// Scenarios started and not yet finished.
    running: HashMap<Key, ScenarioReport>,
    /// What each scenario's world collected, handed over by the `after` hook.
    outcomes: HashMap<Key, Vec<Outcome>>,
}

/// The shared collection: one handle for the writer, one for the `after` hook, one for the
/// runner to write the page with.
#[derive(Debug, Clone)]
pub struct LivingDoc {
    collected: Arc<Mutex<Collected>>,
    started: SystemTime,
    clock: Instant,
}

impl LivingDoc {
    pub fn new() -> Self {
        LivingDoc {
            collected: Arc::default(),
            started: SystemTime::now(),
            clock: Instant::now(),
        }
    }

    /// The cucumber writer feeding this collection.
    pub fn writer(&self) -> LivingDocWriter {
        LivingDocWriter { doc: self.clone() }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Collected) -> T) -> T {
        // A panic elsewhere must not cost the report.
        let mut collected = self
            .collected
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        f(&mut collected)
    }

    /// Gives the outcomes a scenario's world collected to its entry in the page.
    pub fn attach(
        &self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        outcomes: Vec<Outcome>,
    ) {
        if outcomes.is_empty() {
            return;
        }
        let key = (path_of(feature), scenario.position.line);
        self.with(|c| c.outcomes.entry(key).or_default().extend(outcomes));
    }

    /// The run as collected so far.
    pub fn report(&self, repository: &Path, tools: &Tools) -> RunReport {
        let mut report = RunReport::new(repository);
        // The engine that checked the rules, next to the Prometheus the homelab deploys.
        report.engine = homelab_spec::homelab::Homelab::discover(repository)
            .ok()
            .map(|h| homelab_spec::alerts::engine_version::EngineVersions::of(tools, &h).header());
        report.started = self.started;
        report.duration = self.clock.elapsed();
        self.with(|c| {
            let mut outcomes = std::mem::take(&mut c.outcomes);
            report.features = c.features.clone();
            report.errors = c.errors.clone();
            for feature in &mut report.features {
                let path = feature.path.clone();
                for criterion in &mut feature.criteria {
                    let scenarios = match criterion {
                        Criterion::Rule(rule) => rule.scenarios.iter_mut().collect::<Vec<_>>(),
                        Criterion::Scenario(s) => vec![s],
                    };
                    for s in scenarios {
                        if let Some(o) = outcomes.remove(&(path.clone(), s.line)) {
                            s.outcomes.extend(o);
                        }
                    }
                }
            }
            c.outcomes = outcomes;
        });
        report
    }
}

/// Feature path relative to the suite's checkout, as the rest of the reports name it.
fn path_of(feature: &gherkin::Feature) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    feature
        .path
        .as_ref()
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .unwrap_or_else(|| feature.name.clone())
}

fn tags(tags: &[String]) -> Vec<String> {
    tags.iter()
        .map(|t| format!("@{}", t.trim_start_matches('@')))
        .collect()
}

fn error_text(err: &event::StepError) -> String {
    match err {
        event::StepError::Panic(info) => panic_text(info),
        other => other.to_string(),
    }
}

fn panic_text(info: &event::Info) -> String {
    info.downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(a panic without a message)".into())
}

/// The [`cucumber::Writer`] half: turns events into features, rules and scenarios.
#[derive(Debug)]
pub struct LivingDocWriter {
    doc: LivingDoc,
}

impl Collected {
    fn feature(&mut self, feature: &gherkin::Feature) -> &mut FeatureReport {
        let path = path_of(feature);
        let at = match self.features.iter().position(|f| f.path == path) {
            Some(at) => at,
            None => {
                self.features.push(FeatureReport {
                    name: feature.name.clone(),
                    path,
                    description: feature.description.clone().unwrap_or_default(),
                    tags: tags(&feature.tags),
                    criteria: Vec::new(),
                });
                self.features.len() - 1
            }
        };
        &mut self.features[at]
    }

    fn rule_started(&mut self, feature: &gherkin::Feature, rule: &gherkin::Rule) {
        let report = RuleReport {
            name: rule.name.clone(),
            line: rule.position.line,
            description: rule.description.clone().unwrap_or_default(),
            tags: tags(&rule.tags),
            scenarios: Vec::new(),
        };
        let f = self.feature(feature);
        if !f
            .criteria
            .iter()
            .any(|c| matches!(c, Criterion::Rule(r) if r.line == report.line))
        {
            f.criteria.push(Criterion::Rule(report));
        }
    }

    fn scenario<W>(
        &mut self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        sc: &gherkin::Scenario,
        ev: &event::Scenario<W>,
    ) {
        let key = (path_of(feature), sc.position.line);
        match ev {
            event::Scenario::Started => {
                let mut s = ScenarioReport::new(sc.name.clone(), sc.position.line);
                s.tags = tags(&sc.tags);
                s.status = Status::Passed;
                self.running.insert(key, s);
            }
            event::Scenario::Step(step, event::Step::Failed(_, _, _, err))
            | event::Scenario::Background(step, event::Step::Failed(_, _, _, err)) => {
                if let Some(s) = self
                    .running
                    .get_mut(&key)
                    .filter(|s| s.failed_step.is_none())
                {
                    s.status = Status::Failed;
                    s.failed_step = Some(FailedStep {
                        keyword: step.keyword.clone(),
                        text: step.value.clone(),
                        line: step.position.line,
                    });
                    s.error = Some(error_text(err));
                }
            }
            // The not-applicable writer puts the reason in a log line just before the skip.
            event::Scenario::Log(line) if line.starts_with("not applicable: ") => {
                if let Some(s) = self.running.get_mut(&key) {
                    s.not_applicable = Some(line.clone());
                }
            }
            event::Scenario::Step(_, event::Step::Skipped)
            | event::Scenario::Background(_, event::Step::Skipped) => {
                if let Some(s) = self
                    .running
                    .get_mut(&key)
                    .filter(|s| s.status == Status::Passed)
                {
                    s.status = Status::Skipped;
                }
            }
            event::Scenario::Hook(kind, event::Hook::Failed(_, info)) => {
                if let Some(s) = self.running.get_mut(&key).filter(|s| s.error.is_none()) {
                    s.status = Status::Failed;
                    s.error = Some(format!("{kind:?} hook failed: {}", panic_text(info)));
                }
            }
            event::Scenario::Finished => {
                let Some(s) = self.running.remove(&key) else {
                    return;
                };
                let f = self.feature(feature);
                let criteria = &mut f.criteria;
                match rule {
                    Some(rule) => {
                        let found = criteria.iter_mut().find_map(|c| match c {
                            Criterion::Rule(r) if r.line == rule.position.line => Some(r),
                            _ => None,
                        });
                        match found {
                            Some(r) => upsert(&mut r.scenarios, s),
                            None => criteria.push(Criterion::Rule(RuleReport {
                                name: rule.name.clone(),
                                line: rule.position.line,
                                description: rule.description.clone().unwrap_or_default(),
                                tags: tags(&rule.tags),
                                scenarios: vec![s],
                            })),
                        }
                    }
                    None => {
                        // A retried scenario replaces its earlier attempt.
                        match criteria
                            .iter_mut()
                            .find(|c| matches!(c, Criterion::Scenario(x) if x.line == s.line))
                        {
                            Some(c) => *c = Criterion::Scenario(s),
                            None => criteria.push(Criterion::Scenario(s)),
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn upsert(scenarios: &mut Vec<ScenarioReport>, s: ScenarioReport) {
    match scenarios.iter_mut().find(|x| x.line == s.line) {
        Some(x) => *x = s,
        None => scenarios.push(s),
    }
}

impl<W: World + Debug> cucumber::Writer<W> for LivingDocWriter {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, ev: parser::Result<Event<event::Cucumber<W>>>, _: &Self::Cli) {
        self.doc.with(|c| match ev.map(Event::into_inner) {
            Err(e) => c.errors.push(e.to_string()),
            Ok(event::Cucumber::Feature(feature, event::Feature::Started)) => {
                c.feature(&feature);
            }
            Ok(event::Cucumber::Feature(
                feature,
                event::Feature::Rule(rule, event::Rule::Started),
            )) => {
                c.rule_started(&feature, &rule);
            }
            Ok(event::Cucumber::Feature(feature, event::Feature::Scenario(sc, ev))) => {
                c.scenario(&feature, None, &sc, &ev.event);
            }
            Ok(event::Cucumber::Feature(
                feature,
                event::Feature::Rule(rule, event::Rule::Scenario(sc, ev)),
            )) => {
                c.scenario(&feature, Some(&rule), &sc, &ev.event);
            }
            Ok(_) => {}
        });
    }
}

impl writer::NonTransforming for LivingDocWriter {}
