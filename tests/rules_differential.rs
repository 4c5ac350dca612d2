//! Differential test of the static rules checks against the real `promtool check rules`
//! (Prometheus 2.42): seeded mutations of the homelab's own rules file, each checked by both.
//! Every copy promtool refuses must get at least one finding from ours (the converse is not
//! required: our checks are stricter by design, e.g. a `severity` label is mandatory).
//!
//! `cargo test --test rules_differential` runs 300 cases (seed 13). More, or another seed:
//! `RULES_DIFFERENTIAL_CASES=5000 RULES_DIFFERENTIAL_SEED=7 cargo test --test rules_differential`.
//! promtool checks 100 copies per run (runs side by side), so the default costs seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

use homelab_spec::alerts::{self, Depth};

const DEFAULT_CASES: usize = 300;
const DEFAULT_SEED: u64 = 13;
const FILES_PER_PROMTOOL_RUN: usize = 100;

/// SplitMix64: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Fragments that the mistakes found so far were made of: template, PromQL, YAML and
/// encoding pieces.
const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    " -}}",
    "$",
    "$labe",
    "$labels.",
    ".",
    "|",
    "(",
    ")",
    "\"",
    "'",
    "`",
    ":=",
    "=",
    ",",
    "if ",
    "else",
    "end",
    "range ",
    "with ",
    "define ",
    "break",
    "nil",
    "true",
    "1e99999",
    "08",
    "0x",
    "_",
    "é",
    "\t",
    "/*",
    "*/",
    "humanize",
    "humanizeDurat",
    "huma ",
    "~",
    "#",
    "\\",
    "-",
    "+",
    "1.5",
    "{",
    "}",
    "[",
    "]",
    "[5m]",
    "[1.5m]",
    "[1000y]",
    "offset ",
    "offset 99999999999d",
    " or ",
    " and ",
    " unless ",
    "sum(",
    "abs(",
    "by (",
    "on (",
    "group_left",
    "{\"métrique.été\"}",
    "sort_by_label(",
    "limitk(",
    "5m",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "  ",
    "!",
    "!=",
    "=~",
    "@",
    "%",
    "*",
    "/",
    "^",
    ">",
    "==",
    "bool ",
    "0",
    "++",
    "**",
    "{1001}",
    "(?<n>",
    " @ 1e99",
    "holt_winters(",
    "01e-3",
    "ABS(",
];

const DURATIONS: &[&str] = &[
    "5m",
    "0",
    "",
    "1000y",
    "99999999999d",
    "292y",
    "293y",
    "1h30m",
    "30m1h",
    "1.5h",
    "5",
    "-5m",
    "5M",
    "1ms",
    "1m500ms",
    "banana",
    "5 m",
    "106751d",
    "106752d",
];

const NAMES: &[&str] = &[
    "my-label", "a b", "__name__", "\"\"", "1abc", "é", "ok_name", "_x", "a:b", "severity",
    "summary", "x.y",
];

const RECORD_NAMES: &[&str] = &[
    "job:up:sum",
    "not a metric name!",
    "1abc",
    ":ok",
    "a-b",
    "\"\"",
    "é",
    "ok_name",
];

/// One mutated copy of `text`, and what was done (for the failure message).
fn mutate(text: &str, rng: &mut Rng) -> (Vec<u8>, String) {
    let mut text = text.to_string();
    let mut done = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let value_lines: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            ["summary:", "description:", "expr:", "severity:", "for:"]
                .iter()
                .any(|k| t.starts_with(k))
                || (l.starts_with("          ") && !t.starts_with('#'))
        })
        .map(|(i, _)| i)
        .collect();
    for _ in 0..1 + rng.below(3) {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        match rng.below(10) {
            // Edit inside a value (templates, expressions, durations).
            0..=4 => {
                let i = *rng.pick(&value_lines);
                let line = &lines[i];
                let chars: Vec<char> = line.chars().collect();
                let start = line.find(": ").map_or(0, |p| line[..p + 2].chars().count());
                let pos = start + rng.below(chars.len().saturating_sub(start) + 1);
                let end = (pos + 1 + rng.below(4)).min(chars.len());
                let piece = rng.pick(PIECES);
                let head: String = chars[..pos].iter().collect();
                let tail_from = if rng.below(2) == 0 { pos } else { end };
                let tail: String = chars[tail_from..].iter().collect();
                let edited = match rng.below(3) {
                    0 => format!(
                        "{head}{tail}",
                        tail = chars[end..].iter().collect::<String>()
                    ),
                    _ => format!("{head}{piece}{tail}"),
                };
                done.push(format!("line {}: {edited:?}", i + 1));
                lines[i] = edited;
            }
            // A duration.
            5 => {
                let key = *rng.pick(&["for", "keep_firing_for", "interval"]);
                let value = rng.pick(DURATIONS);
                let at = rng.below(lines.len());
                let indent = if key == "interval" {
                    "    "
                } else {
                    "        "
                };
                let target = lines
                    .iter()
                    .enumerate()
                    .skip(at)
                    .find(|(_, l)| {
                        if key == "interval" {
                            l.starts_with("  - name:")
                        } else {
                            l.trim_start().starts_with("for:")
                        }
                    })
                    .map(|(i, _)| i);
                if let Some(i) = target {
                    let line = format!("{indent}{key}: {value}");
                    done.push(format!("after line {}: {line:?}", i + 1));
                    if key == "for" {
                        lines[i] = line;
                    } else {
                        lines.insert(i + 1, line);
                    }
                }
            }
            // A group limit.
            6 => {
                let value = rng.pick(&[
                    "abc",
                    "10",
                    "-1",
                    "1.5",
                    "\"5\"",
                    "99999999999999999999",
                    "[]",
                ]);
                if let Some(i) = lines.iter().position(|l| l.starts_with("  - name:")) {
                    let line = format!("    limit: {value}");
                    done.push(format!("after line {}: {line:?}", i + 1));
                    lines.insert(i + 1, line);
                }
            }
            // A label or annotation name.
            7 => {
                let name = rng.pick(NAMES);
                let key = *rng.pick(&["labels:", "annotations:"]);
                let starts: Vec<usize> = lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.trim() == key)
                    .map(|(i, _)| i)
                    .collect();
                if !starts.is_empty() {
                    let i = *rng.pick(&starts);
                    let line = format!("          {name}: value");
                    done.push(format!("after line {}: {line:?}", i + 1));
                    lines.insert(i + 1, line);
                }
            }
            // A rule name: an empty alert, or a recording rule.
            8 => {
                let alerts: Vec<usize> = lines
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.trim_start().starts_with("- alert:"))
                    .map(|(i, _)| i)
                    .collect();
                let i = *rng.pick(&alerts);
                if rng.below(2) == 0 {
                    done.push(format!("line {}: empty alert name", i + 1));
                    lines[i] = "      - alert: \"\"".into();
                } else {
                    let name = rng.pick(RECORD_NAMES);
                    let rule = format!("      - record: {name}\n        expr: up");
                    done.push(format!("before line {}: {rule:?}", i + 1));
                    lines.insert(i, rule);
                }
            }
            // Bytes that are not UTF-8 (rarely: they end the checks at once).
            _ => {
                if rng.below(4) == 0 {
                    let mut bytes = (lines.join("\n") + "\n").into_bytes();
                    let at = rng.below(bytes.len());
                    done.push(format!("a 0xff byte at offset {at}"));
                    bytes.insert(at, 0xff);
                    return (bytes, done.join("; "));
                }
                let i = rng.below(lines.len());
                done.push(format!("line {} repeated", i + 1));
                let line = lines[i].clone();
                lines.insert(i, line);
            }
        }
        text = lines.join("\n") + "\n";
    }
    (text.into_bytes(), done.join("; "))
}

/// promtool's verdict per file: (accepted, its output about the file). Batches of
/// [`FILES_PER_PROMTOOL_RUN`] run side by side.
fn promtool_verdicts(files: &[PathBuf]) -> Vec<(bool, String)> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = files
            .chunks(FILES_PER_PROMTOOL_RUN)
            .map(|batch| scope.spawn(move || promtool_batch(batch)))
            .collect();
        runs.into_iter()
            .flat_map(|run| run.join().expect("a promtool run"))
            .collect()
    })
}

fn promtool_batch(batch: &[PathBuf]) -> Vec<(bool, String)> {
    let output = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .args(batch)
        .output()
        .expect("promtool is not installed; `make setup` installs it");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    batch
        .iter()
        .map(|file| {
            let name = file.display().to_string();
            let checking = format!("Checking {name}\n");
            let Some(at) = stdout.find(&checking) else {
                panic!("promtool did not report on {name}:\n{stdout}\n{stderr}");
            };
            let accepted = stdout[at + checking.len()..].starts_with("  SUCCESS");
            let said: Vec<&str> = stderr.lines().filter(|l| l.contains(&name)).collect();
            (accepted, said.join("\n"))
        })
        .collect()
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

#[test]
fn every_rules_file_promtool_refuses_is_refused_by_the_static_checks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let real =
        std::fs::read_to_string(root.join(alerts::RULES_FILE)).expect("the homelab rules file");
    let cases = env_number("RULES_DIFFERENTIAL_CASES", DEFAULT_CASES as u64) as usize;
    let mut rng = Rng(env_number("RULES_DIFFERENTIAL_SEED", DEFAULT_SEED));

    let scratch = tempfile::tempdir().expect("scratch dir");
    let mut files = Vec::new();
    let mut mutations = Vec::new();
    for i in 0..cases {
        let (bytes, done) = mutate(&real, &mut rng);
        let path = scratch.path().join(format!("case-{i}.yml"));
        std::fs::write(&path, bytes).expect("write a case");
        files.push(path);
        mutations.push(done);
    }

    let verdicts = promtool_verdicts(&files);
    let mut refused_by_promtool = 0;
    let mut missed = Vec::new();
    for ((path, done), (accepted, said)) in files.iter().zip(&mutations).zip(&verdicts) {
        let report =
            alerts::lint_file(path, "default.yml", Depth::Static).unwrap_or_else(|e| panic!("{e}"));
        if *accepted {
            continue;
        }
        refused_by_promtool += 1;
        if report.findings.is_empty() {
            missed.push(format!("{}: {done}\n    promtool: {said}", path.display()));
        }
    }
    println!(
        "{cases} mutated copies: promtool refused {refused_by_promtool}, our checks missed {}",
        missed.len()
    );
    assert!(
        refused_by_promtool > cases / 10,
        "only {refused_by_promtool} of {cases} copies were refused by promtool; the mutations no longer probe anything"
    );
    assert!(
        missed.is_empty(),
        "promtool refused {} copies that the static checks pass:\n{}",
        missed.len(),
        missed.join("\n")
    );
}
