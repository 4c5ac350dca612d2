//! The geometry of the pictures: numbers and labels the template places into inline SVG.
//! Nothing here writes markup, so every label goes through the template's escaping.

use std::time::Duration;

use serde::Serialize;

use super::series;
use crate::outcome::{AlertState, AlertTimeline, RetryWaits};
use crate::report::history::RunRecord;

const LEFT: f64 = 230.0;
const PLOT: f64 = 520.0;
/// Longer series names and labels are cut (the full selector is the row's tooltip).
const LABEL_CHARS: usize = 36;
const WIDTH: f64 = LEFT + PLOT + 20.0;
const BAND_TOP: f64 = 24.0;
const BAND_HEIGHT: f64 = 22.0;
const ROW_HEIGHT: f64 = 34.0;

/// A stretch of minutes in one state.
#[derive(Debug, Serialize)]
pub(crate) struct Segment {
    pub state: &'static str,
    pub x: f64,
    pub(crate) width: f64,
    /// e.g. `minutes 6 to 10: firing`.
    pub title: String,
}

/// One input series drawn as a line on its own scale.
#[derive(Debug, Serialize)]
pub(crate) struct SeriesRow {
    /// The metric name.
    pub label: String,
    /// The labels that tell it apart from the other series of its metric, e.g.
    /// `name="backup.service"` (empty when it is the only one).
    pub distinct: String,
    pub(crate) selector: String,
    pub values: String,
    pub y: f64,
    /// SVG polyline points; empty when the values could not be read back.
    pub(crate) points: String,
    pub min: String,
    pub max: String,
}

/// An alert behaviour scenario's timeline.
#[derive(Debug, Serialize)]
pub(crate) struct TimelineSvg {
    pub alert: String,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub left: f64,
    pub(crate) plot: f64,
    pub(crate) band_top: f64,
    pub(crate) band_height: f64,
    pub(crate) segments: Vec<Segment>,
    pub(crate) threshold: Option<String>,
    pub(crate) for_text: Option<String>,
    /// The `for` window, drawn from where the alert became pending.
    pub(crate) for_window: Option<(f64, f64)>,
    pub(crate) when_x: f64,
    pub(crate) when_text: String,
    pub rows: Vec<SeriesRow>,
    pub(crate) ticks: Vec<(f64, String)>,
    pub(crate) axis_y: f64,
    pub firing: bool,
}

pub(crate) fn minutes(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn state_name(state: AlertState) -> &'static str {
    match state {
        AlertState::Inactive => "inactive",
        AlertState::Pending => "pending",
        AlertState::Firing => "firing",
    }
}

/// A number as short as it can be written.
fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Text cut to fit beside its row (the full selector is the row's tooltip).
fn cut(text: &str) -> String {
    if text.chars().count() > LABEL_CHARS {
        text.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
    } else {
        text.to_string()
    }
}

/// A metric name and its labels, in the order written.
type Selector = (String, Vec<(String, String)>);

/// A series selector's metric name and label matchers (`name="x"`), in the order written;
/// `None` when it does not parse as one selector.
fn parts(selector: &str) -> Option<Selector> {
    match promql_parser::parser::parse(selector).ok()? {
        promql_parser::parser::Expr::VectorSelector(vs) => Some((
            vs.name.clone().unwrap_or_default(),
            vs.matchers
                .matchers
                .iter()
                .filter(|m| m.name != "__name__")
                .map(|m| (m.name.clone(), m.value.clone()))
                .collect(),
        )),
        _ => None,
    }
}

/// For each selector, its metric name and the labels that tell it apart from the other
/// series of the same metric in the picture (`name="b.service"`): two series of one metric
/// must not carry the same label. A label counts when its value differs between those series
/// or one of them lacks it.
fn row_labels(selectors: &[&str]) -> Vec<(String, String)> {
    let parsed: Vec<Option<Selector>> = selectors.iter().map(|s| parts(s)).collect();
    parsed
        .iter()
        .zip(selectors)
        .map(|(p, selector)| {
            let Some((name, labels)) = p else {
                return (cut(selector), String::new());
            };
            let same_metric: Vec<&Vec<(String, String)>> = parsed
                .iter()
                .flatten()
                .filter(|(n, _)| n == name)
                .map(|(_, l)| l)
                .collect();
            let value = |labels: &Vec<(String, String)>, key: &str| {
                labels
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            let distinct: Vec<String> = labels
                .iter()
                .filter(|(key, v)| {
                    same_metric
                        .iter()
                        .any(|other| value(other, key).as_deref() != Some(v.as_str()))
                })
                .map(|(key, v)| format!("{key}={v:?}"))
                .collect();
            let name = if name.is_empty() {
                selector.to_string()
            } else {
                name.clone()
            };
            (cut(&name), cut(&distinct.join(",")))
        })
        .collect()
}

pub(crate) fn timeline(t: &AlertTimeline) -> TimelineSvg {
    // Time runs left to right: an evaluation's state holds from its minute until the next
    // evaluation (the last one for one more step), so a state drawn from x starts at the
    // minute under x. Ticks, series samples and the "when" line sit on their minute.
    let step = match t.states.as_slice() {
        [a, b, ..] if b.0 > a.0 => b.0 - a.0,
        _ => Duration::from_secs(60),
    };
    let start = t.states.first().map_or(Duration::ZERO, |s| s.0);
    let end = t.states.last().map_or(start + step, |s| s.0 + step);
    let span = (end.saturating_sub(start)).as_secs_f64().max(1.0);
    let x_at = |d: Duration| LEFT + (d.as_secs_f64() - start.as_secs_f64()) / span * PLOT;
    let next = |i: usize| t.states.get(i).map_or(end, |s| s.0);

    let mut segments = Vec::new();
    let mut from = 0;
    for i in 1..=t.states.len() {
        if i == t.states.len() || t.states[i].1 != t.states[from].1 {
            let state = state_name(t.states[from].1);
            let (x0, x1) = (x_at(t.states[from].0), x_at(next(i)));
            segments.push(Segment {
                state,
                x: x0,
                width: x1 - x0,
                title: format!(
                    "{} to {}: {state}",
                    minutes(t.states[from].0),
                    minutes(next(i))
                ),
            });
            from = i;
        }
    }

    let when_x = x_at(t.at.clamp(start, end));
    let for_window = t.for_duration.map(|for_d| {
        // The window starts where the alert first became pending (or at once).
        let first = t
            .states
            .iter()
            .find(|(_, s)| *s != AlertState::Inactive)
            .map_or(start, |s| s.0);
        let x = x_at(first);
        let width = (for_d.as_secs_f64() / span * PLOT).min(LEFT + PLOT - x);
        (x, width.max(0.0))
    });
    let labels = row_labels(&t.series.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>());

    let rows_top = BAND_TOP + BAND_HEIGHT + 26.0;
    let rows: Vec<SeriesRow> = t
        .series
        .iter()
        .enumerate()
        .map(|(i, (selector, values))| {
            let y = rows_top + i as f64 * ROW_HEIGHT;
            let expanded = series::expand(values).unwrap_or_default();
            let shown: Vec<(usize, f64)> = expanded
                .iter()
                .take(t.states.len().max(1))
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .collect();
            let min = shown.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let max = shown.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            let span = if max > min { max - min } else { 1.0 };
            let h = ROW_HEIGHT - 10.0;
            let points = shown
                .iter()
                .map(|(i, v)| {
                    let px = x_at(step * *i as u32);
                    let py = if max > min {
                        y + h - (v - min) / span * h
                    } else {
                        y + h / 2.0
                    };
                    format!("{px:.1},{py:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ");
            let (label, distinct) = labels[i].clone();
            SeriesRow {
                label,
                distinct,
                selector: selector.clone(),
                values: values.clone(),
                y,
                points,
                min: if shown.is_empty() || min == max {
                    String::new()
                } else {
                    short(min)
                },
                max: if shown.is_empty() {
                    String::new()
                } else {
                    short(max)
                },
            }
        })
        .collect();

    let axis_y = rows_top + rows.len() as f64 * ROW_HEIGHT + 4.0;
    let last = t.states.len().saturating_sub(1);
    let every = (last / 10).max(1);
    let ticks = t
        .states
        .iter()
        .enumerate()
        // The last minute gets its tick unless it would print over the one before it.
        .filter(|(i, _)| i % every == 0 || (*i == last && last % every > every / 2))
        .map(|(_, (at, _))| (x_at(*at), minutes(*at)))
        .collect();

    TimelineSvg {
        alert: t.alert.clone(),
        width: WIDTH,
        height: axis_y + 20.0,
        left: LEFT,
        plot: PLOT,
        band_top: BAND_TOP,
        band_height: BAND_HEIGHT,
        firing: segments.iter().any(|s| s.state == "firing"),
        segments,
        threshold: t.threshold.map(short),
        for_text: t.for_duration.map(minutes),
        for_window,
        when_x,
        when_text: format!("when: {}", minutes(t.at)),
        rows,
        ticks,
        axis_y,
    }
}

/// One figure across the kept runs, in percent.
#[derive(Debug, Serialize)]
pub(crate) struct TrendLine {
    pub name: &'static str,
    /// The CSS class that colours it.
    pub class: &'static str,
    pub(crate) points: String,
    /// The latest value, e.g. `78 %`.
    pub last: String,
}

/// The history's trend: a line per figure, oldest run left, on one 0-100 % scale.
#[derive(Debug, Serialize)]
pub(crate) struct TrendSvg {
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub runs: usize,
    pub lines: Vec<TrendLine>,
}

/// The trend of `runs` (oldest first), `None` with fewer than two runs: one point is no
/// trend.
pub(crate) fn trend(runs: &[RunRecord]) -> Option<TrendSvg> {
    const W: f64 = 320.0;
    const H: f64 = 80.0;
    const TOP: f64 = 6.0;
    if runs.len() < 2 {
        return None;
    }
    let x = |i: usize| i as f64 / (runs.len() - 1) as f64 * W;
    let y = |percent: f64| TOP + H - percent.clamp(0.0, 100.0) / 100.0 * H;
    type Pick = fn(&RunRecord) -> crate::coverage::Ratio;
    let figures: [(&'static str, &'static str, Pick); 5] = [
        ("scenarios passed", "t-passed", |r| crate::coverage::Ratio {
            covered: r.counts.passed as u32,
            total: (r.counts.passed + r.counts.failed) as u32,
        }),
        ("alerts with a firing case", "t-alerts", |r| {
            r.coverage.alerts_firing
        }),
        ("terraform elements tested", "t-terraform", |r| {
            r.coverage.terraform
        }),
        ("bash functions executed", "t-bash", |r| {
            r.coverage.bash_functions
        }),
        ("bash lines executed", "t-lines", |r| r.coverage.bash_lines),
    ];
    let lines = figures
        .iter()
        .map(|(name, class, pick)| TrendLine {
            name,
            class,
            points: runs
                .iter()
                .enumerate()
                .map(|(i, r)| format!("{:.1},{:.1}", x(i), y(pick(r).percent())))
                .collect::<Vec<_>>()
                .join(" "),
            last: format!("{:.0} %", runs.last().map_or(0.0, |r| pick(r).percent())),
        })
        .collect();
    Some(TrendSvg {
        width: W,
        height: H + 2.0 * TOP,
        runs: runs.len(),
        lines,
    })
}

/// One retry case by one implementation: a bar per wait.
#[derive(Debug, Serialize)]
pub(crate) struct WaitBars {
    pub implementation: String,
    pub attempts: usize,
    pub status: i32,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(crate) bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Bar {
    pub x: f64,
    pub y: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub label: String,
}

/// Bars for each implementation of one case, on one scale so that they compare.
pub(crate) fn wait_bars(runs: &[&RetryWaits]) -> Vec<WaitBars> {
    const BAR: f64 = 26.0;
    const GAP: f64 = 8.0;
    const TALL: f64 = 70.0;
    let longest = runs
        .iter()
        .flat_map(|r| r.waits.iter())
        .map(Duration::as_secs_f64)
        .fold(0.0, f64::max);
    let slots = runs.iter().map(|r| r.waits.len()).max().unwrap_or(0).max(1);
    runs.iter()
        .map(|r| WaitBars {
            implementation: r.implementation.clone(),
            attempts: r.attempts,
            status: r.status,
            width: GAP + slots as f64 * (BAR + GAP),
            height: TALL + 34.0,
            bars: r
                .waits
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let h = if longest > 0.0 {
                        (w.as_secs_f64() / longest * TALL).max(1.0)
                    } else {
                        1.0
                    };
                    WaitBars::bar(i, h, TALL, BAR, GAP, short(w.as_secs_f64()) + "s")
                })
                .collect(),
        })
        .collect()
}

impl WaitBars {
    fn bar(i: usize, h: f64, tall: f64, bar: f64, gap: f64, label: String) -> Bar {
        Bar {
            x: gap + i as f64 * (bar + gap),
            y: 14.0 + tall - h,
            width: bar,
            height: h,
            label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: u64) -> Duration {
        Duration::from_secs(m * 60)
    }

    #[test]
    fn a_timeline_joins_minutes_of_one_state_into_segments() {
        let t = AlertTimeline {
            alert: "A".into(),
            series: vec![("up{job=\"x\"}".into(), "0x6".into())],
            threshold: Some(0.0),
            for_duration: Some(at(2)),
            at: at(4),
            states: vec![
                (at(0), AlertState::Pending),
                (at(1), AlertState::Pending),
                (at(2), AlertState::Firing),
                (at(3), AlertState::Firing),
                (at(4), AlertState::Firing),
            ],
        };
        let svg = timeline(&t);
        let states: Vec<_> = svg.segments.iter().map(|s| s.state).collect();
        assert_eq!(states, ["pending", "firing"]);
        assert!(svg.firing);
        assert_eq!(svg.segments[1].title, "2m to 5m: firing");
        assert_eq!(svg.rows[0].label, "up");
        assert_eq!(svg.rows[0].points.split(' ').count(), 5);
        assert_eq!(svg.threshold.as_deref(), Some("0"));
    }

    /// Minute m is at x = LEFT + m * (PLOT / 5) on a 5-minute picture (minutes 0..4, the
    /// last held for one more minute).
    #[test]
    fn a_state_is_drawn_from_its_minute_to_the_next_evaluation() {
        let t = AlertTimeline {
            alert: "A".into(),
            series: vec![("up".into(), "0 0 1 1 1".into())],
            threshold: None,
            for_duration: Some(at(1)),
            at: at(3),
            states: vec![
                (at(0), AlertState::Inactive),
                (at(1), AlertState::Inactive),
                (at(2), AlertState::Pending),
                (at(3), AlertState::Firing),
                (at(4), AlertState::Firing),
            ],
        };
        let svg = timeline(&t);
        let minute = PLOT / 5.0;
        let x = |m: f64| LEFT + m * minute;
        let drawn: Vec<(&str, f64, f64)> = svg
            .segments
            .iter()
            .map(|s| (s.state, s.x, s.x + s.width))
            .collect();
        assert_eq!(
            drawn,
            [
                ("inactive", x(0.0), x(2.0)),
                ("pending", x(2.0), x(3.0)),
                ("firing", x(3.0), x(5.0))
            ]
        );
        // The tick "3m", the "when" line and the series' sample at 3m are where firing starts.
        assert!(svg.ticks.contains(&(x(3.0), "3m".to_string())));
        assert_eq!(svg.when_x, x(3.0));
        let third = svg.rows[0].points.split(' ').nth(3).unwrap();
        assert_eq!(third.split(',').next().unwrap(), format!("{:.1}", x(3.0)));
        assert_eq!(svg.for_window, Some((x(2.0), minute)));
    }

    #[test]
    fn each_series_is_named_with_the_labels_that_tell_it_apart() {
        let t = AlertTimeline {
            alert: "A".into(),
            series: vec![
                (r#"node_systemd_unit_state{name="a.service",state="failed",job="node"}"#.into(), "1".into()),
                (r#"node_systemd_unit_state{name="b.service",state="failed",job="node"}"#.into(), "0".into()),
                (r#"node_systemd_unit_state{name="c.service",state="active",job="node",type="oneshot"}"#.into(), "0".into()),
                (r#"up{job="node"}"#.into(), "1".into()),
                ("not a selector{".into(), "1".into()),
            ],
            threshold: None,
            for_duration: None,
            at: at(0),
            states: vec![(at(0), AlertState::Inactive)],
        };
        let svg = timeline(&t);
        let rows: Vec<(&str, &str)> = svg
            .rows
            .iter()
            .map(|r| (r.label.as_str(), r.distinct.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "node_systemd_unit_state",
                    r#"name="a.service",state="failed""#
                ),
                (
                    "node_systemd_unit_state",
                    r#"name="b.service",state="failed""#
                ),
                // Cut to fit; the tooltip has the whole selector.
                (
                    "node_systemd_unit_state",
                    r#"name="c.service",state="active",typ…"#
                ),
                ("up", ""),
                ("not a selector{", ""),
            ]
        );
    }

    #[test]
    fn the_trend_appears_with_two_runs_not_with_one() {
        let run = |passed: usize, failed: usize| RunRecord {
            started: String::new(),
            commit: None,
            counts: crate::report::history::Counts {
                passed,
                failed,
                ..Default::default()
            },
            coverage: Default::default(),
            scenarios: Default::default(),
        };
        assert!(trend(&[]).is_none());
        assert!(trend(&[run(1, 1)]).is_none());
        let t = trend(&[run(1, 1), run(2, 0)]).expect("a trend after two runs");
        assert_eq!(t.runs, 2);
        let passed = &t.lines[0];
        assert_eq!(passed.name, "scenarios passed");
        // 50 % then 100 %: from the middle of the 80-high plot to its top (6 px margin).
        assert_eq!(passed.points, "0.0,46.0 320.0,6.0");
        assert_eq!(passed.last, "100 %");
    }

    #[test]
    fn an_empty_timeline_still_draws() {
        let t = AlertTimeline {
            alert: "A".into(),
            series: vec![("x".into(), "not notation".into())],
            threshold: None,
            for_duration: None,
            at: at(0),
            states: vec![],
        };
        let svg = timeline(&t);
        assert!(svg.segments.is_empty());
        assert!(svg.rows[0].points.is_empty());
    }
}
