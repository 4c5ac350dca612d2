//! The geometry of the pictures: numbers and labels the template places into inline SVG.
//! Nothing here writes markup, so every label goes through the template's escaping.

use std::time::Duration;

use serde::Serialize;

use super::series;
use crate::outcome::{AlertState, AlertTimeline, RetryWaits};

const LEFT: f64 = 230.0;
const PLOT: f64 = 520.0;
/// Longer series names are cut (the full selector is the row's tooltip).
const LABEL_CHARS: usize = 30;
const WIDTH: f64 = LEFT + PLOT + 20.0;
const BAND_TOP: f64 = 24.0;
const BAND_HEIGHT: f64 = 22.0;
const ROW_HEIGHT: f64 = 34.0;

/// A stretch of minutes in one state.
#[derive(Debug, Serialize)]
pub(crate) struct Segment {
    pub state: &'static str,
    pub x: f64,
    pub width: f64,
    /// e.g. `minutes 6 to 10: firing`.
    pub title: String,
}

/// One input series drawn as a line on its own scale.
#[derive(Debug, Serialize)]
pub(crate) struct SeriesRow {
    pub label: String,
    pub selector: String,
    pub values: String,
    pub y: f64,
    /// SVG polyline points; empty when the values could not be read back.
    pub points: String,
    pub min: String,
    pub max: String,
}

/// An alert behaviour scenario's timeline.
#[derive(Debug, Serialize)]
pub(crate) struct TimelineSvg {
    pub alert: String,
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub plot: f64,
    pub band_top: f64,
    pub band_height: f64,
    pub segments: Vec<Segment>,
    pub threshold: Option<String>,
    pub for_text: Option<String>,
    /// The `for` window, drawn from where the alert became pending.
    pub for_window: Option<(f64, f64)>,
    pub when_x: f64,
    pub when_text: String,
    pub rows: Vec<SeriesRow>,
    pub ticks: Vec<(f64, String)>,
    pub axis_y: f64,
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

/// A series' metric name, cut to fit beside its row.
fn label(selector: &str) -> String {
    let name = selector.split('{').next().unwrap_or(selector);
    if name.chars().count() > LABEL_CHARS {
        name.chars().take(LABEL_CHARS - 1).chain(['…']).collect()
    } else {
        name.to_string()
    }
}

pub(crate) fn timeline(t: &AlertTimeline) -> TimelineSvg {
    // One cell per evaluation; at least one so that an empty timeline still draws.
    let cells = t.states.len().max(1) as f64;
    let cell = PLOT / cells;
    let x_of = |i: usize| LEFT + i as f64 * cell;

    let mut segments = Vec::new();
    let mut start = 0;
    for i in 1..=t.states.len() {
        if i == t.states.len() || t.states[i].1 != t.states[start].1 {
            let state = state_name(t.states[start].1);
            let (from, to) = (t.states[start].0, t.states[i - 1].0);
            segments.push(Segment {
                state,
                x: x_of(start),
                width: (i - start) as f64 * cell,
                title: format!("{} to {}: {state}", minutes(from), minutes(to)),
            });
            start = i;
        }
    }

    let index_of = |d: Duration| {
        t.states
            .iter()
            .position(|(at, _)| *at >= d)
            .unwrap_or(t.states.len().saturating_sub(1))
    };
    let when_x = x_of(index_of(t.at)) + cell / 2.0;
    let for_window = t.for_duration.map(|for_d| {
        // The window starts where the alert first became pending (or at once).
        let first = t
            .states
            .iter()
            .position(|(_, s)| *s != AlertState::Inactive)
            .unwrap_or(0);
        let step = if t.states.len() > 1 {
            (t.states[1].0 - t.states[0].0).as_secs_f64().max(1.0)
        } else {
            60.0
        };
        let width = (for_d.as_secs_f64() / step * cell).min(LEFT + PLOT - x_of(first));
        (x_of(first) + cell / 2.0, width.max(0.0))
    });

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
                    let px = x_of(*i) + cell / 2.0;
                    let py = if max > min {
                        y + h - (v - min) / span * h
                    } else {
                        y + h / 2.0
                    };
                    format!("{px:.1},{py:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ");
            SeriesRow {
                label: label(selector),
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
        .map(|(i, (at, _))| (x_of(i) + cell / 2.0, minutes(*at)))
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

/// One retry case by one implementation: a bar per wait.
#[derive(Debug, Serialize)]
pub(crate) struct WaitBars {
    pub implementation: String,
    pub attempts: usize,
    pub status: i32,
    pub width: f64,
    pub height: f64,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Bar {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
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
        assert_eq!(svg.segments[1].title, "2m to 4m: firing");
        assert_eq!(svg.rows[0].label, "up");
        assert_eq!(svg.rows[0].points.split(' ').count(), 5);
        assert_eq!(svg.threshold.as_deref(), Some("0"));
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
