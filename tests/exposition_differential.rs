//! The exposition reader (`homelab_spec::alerts::exposition`) against the real thing:
//! node-exporter 1.5.0's textfile collector. Every file the collector refuses (a parse error
//! in its log, a panic, or a series it drops at scrape time) must get a finding from our
//! reader; our reader may refuse more (it is stricter by design, e.g. on CRLF line ends).
//!
//! Cases: the regression lists of `exposition::regression_cases`, and seeded mutations of the
//! homelab's textfile contract (`tools/catalogs/homelab-textfile.prom`) and of what the
//! scripts' writer (`scripts/lib/textfile.sh`) renders. All files of a run go
//! into one textfile directory served by one node-exporter on 127.0.0.1, so a few hundred cases
//! take one scrape; the collector names each file it refuses in its log. A panic (which
//! takes the exporter down) is narrowed to its file by halving the batch; a series dropped at
//! scrape time is confirmed by serving the suspected file alone. See `differential/mod.rs`
//! for `SPEC_DIFFERENTIAL_CASES` and `SPEC_DIFFERENTIAL_SEED`.

mod differential;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use differential::{Rng, mutate_bytes, replace_one, settings, show};
use homelab_spec::alerts::exposition::{
    self,
    regression_cases::{ACCEPTED, REFUSED},
};

const NODE_EXPORTER: &str = "prometheus-node-exporter";

/// What the collector did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Refused(String),
}

/// One node-exporter run over some of the files.
struct Served {
    crashed: bool,
    /// Files the collector logged as failed.
    refused: BTreeSet<usize>,
    /// Metrics client_golang dropped at scrape time (duplicates, conflicts).
    dropped: BTreeSet<String>,
}

fn node_exporter() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(NODE_EXPORTER))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("{NODE_EXPORTER} is not on PATH: `make setup` installs it (apt: prometheus-node-exporter)")
    })
}

fn file_name(index: usize) -> String {
    format!("case{index:05}.prom")
}

/// Serves the given files through one node-exporter with only the textfile collector. An
/// exporter that did not answer but neither panicked nor exited (a slow start on a busy
/// machine) or could not bind its port is asked again, with a fresh exporter: only a panic or
/// another exit is the exporter's verdict on the files.
fn serve(files: &[Vec<u8>], indices: &[usize]) -> Served {
    let mut attempt = 1;
    loop {
        match serve_once(files, indices) {
            Some(served) => return served,
            None if attempt < 3 => attempt += 1,
            None => panic!("node-exporter never answered a scrape, in three attempts"),
        }
    }
}

/// One exporter over the files; `None` when it stayed alive without answering or could not
/// listen.
fn serve_once(files: &[Vec<u8>], indices: &[usize]) -> Option<Served> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).expect("the textfile dir");
    for &i in indices {
        std::fs::write(textfiles.join(file_name(i)), &files[i]).expect("a case file");
    }
    let log_path = dir.path().join("node-exporter.log");
    let log = std::fs::File::create(&log_path).expect("the log file");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(node_exporter())
        .args([
            "--collector.disable-defaults".to_string(),
            "--collector.textfile".to_string(),
            format!("--collector.textfile.directory={}", textfiles.display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--web.disable-exporter-metrics".to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("node-exporter starts");
    let body = scrape(&mut child, port);
    let exited = child.try_wait().ok().flatten().is_some();
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let panicked = log.contains("panic:");
    // A port another process bound between our probe and the exporter's own bind.
    let port_taken = log.contains("address already in use");
    if body.is_none() && !panicked && (!exited || port_taken) {
        return None;
    }
    let crashed = body.is_none() || panicked;
    let mut refused = BTreeSet::new();
    let mut dropped = BTreeSet::new();
    for line in log.lines() {
        if line.contains("failed to collect textfile data") {
            // `file=case00042.prom`: the case's number.
            let index = line
                .split(" file=case")
                .nth(1)
                .and_then(|rest| rest.split(".prom").next())
                .and_then(|digits| digits.parse::<usize>().ok());
            if let Some(i) = index.filter(|i| indices.contains(i)) {
                refused.insert(i);
            }
        }
        if line.contains("error gathering metrics") {
            for part in line.split("collected metric \\\"").skip(1) {
                if let Some(name) = part.split("\\\"").next() {
                    dropped.insert(name.to_string());
                }
            }
        }
    }
    Some(Served {
        crashed,
        refused,
        dropped,
    })
}

/// The body of `/metrics`, once the exporter listens; `None` if it died or never answered.
fn scrape(child: &mut Child, port: u16) -> Option<String> {
    let started = Instant::now();
    let mut stream = loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            break stream;
        }
        if child.try_wait().ok().flatten().is_some() || started.elapsed() > Duration::from_secs(20)
        {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    // Bytes: a HELP text may legitimately hold bytes that are not UTF-8.
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).ok()?;
    let response = String::from_utf8_lossy(&bytes).into_owned();
    (response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"))
        .then_some(response)
        .filter(|r| r.contains("node_textfile_scrape_error"))
}

/// Whether a file has a sample line of the metric (or of one of its series).
fn has_samples_of(text: &[u8], metric: &str) -> bool {
    String::from_utf8_lossy(text)
        .lines()
        .any(|line| line.trim_start_matches([' ', '\t']).starts_with(metric))
}

/// The collector's verdict on every file.
fn verdicts(files: &[Vec<u8>]) -> Vec<Verdict> {
    let mut out = vec![Verdict::Accepted; files.len()];
    let all: Vec<usize> = (0..files.len()).collect();
    judge(files, &all, &mut out);
    out
}

fn judge(files: &[Vec<u8>], indices: &[usize], out: &mut [Verdict]) {
    if indices.is_empty() {
        return;
    }
    let served = serve(files, indices);
    if served.crashed {
        if let [only] = indices {
            out[*only] = Verdict::Refused("node-exporter panicked on it".into());
        } else {
            let (a, b) = indices.split_at(indices.len() / 2);
            judge(files, a, out);
            judge(files, b, out);
        }
        return;
    }
    for &i in &served.refused {
        out[i] = Verdict::Refused("the collector could not parse it".into());
    }
    if served.dropped.is_empty() {
        return;
    }
    let suspects: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|i| !served.refused.contains(i))
        .filter(|&i| served.dropped.iter().any(|m| has_samples_of(&files[i], m)))
        .collect();
    if let [only] = indices {
        if suspects.contains(only) {
            out[*only] = Verdict::Refused(format!(
                "a series of {:?} was dropped at scrape time",
                served.dropped
            ));
        }
        return;
    }
    // Files of one batch can clash with each other; a file alone cannot.
    for suspect in suspects {
        judge(files, &[suspect], out);
    }
}

fn ours_refuses(text: &[u8]) -> bool {
    !exposition::check(text, "case.prom").is_empty()
}

#[test]
fn the_regression_cases_are_what_node_exporter_says_they_are() {
    let files: Vec<Vec<u8>> = REFUSED
        .iter()
        .map(|(text, _)| text.to_vec())
        .chain(ACCEPTED.iter().map(|text| text.to_vec()))
        .collect();
    let verdicts = verdicts(&files);
    for (i, (text, id)) in REFUSED.iter().enumerate() {
        assert!(
            matches!(verdicts[i], Verdict::Refused(_)),
            "node-exporter accepts {:?}, listed as refused ({id})",
            String::from_utf8_lossy(text)
        );
        assert!(ours_refuses(text));
    }
    for (j, text) in ACCEPTED.iter().enumerate() {
        assert_eq!(
            verdicts[REFUSED.len() + j],
            Verdict::Accepted,
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }
}

/// Values, types, labels and comment keywords worth trying in place of the contract's own.
const VALUES: [&str; 16] = [
    "abc",
    "1e309",
    "NaN",
    "+Inf",
    "-inf",
    "1_0",
    "0x1",
    "1 2",
    "",
    ".",
    "1e-400",
    "1 123",
    "1 ",
    "+nan",
    "Infinity",
    "1.7e+09 1.7e+09",
];
const TYPES: [&str; 10] = [
    "bogus",
    "Gauge",
    "counter",
    "gauge_histogram",
    "histogram",
    "summary",
    "untyped",
    "gauge ",
    "gau\\ge",
    "",
];
const LABEL_STARTS: [&str; 8] = [
    "{a=\"1\",",
    "{__x=\"1\",",
    "{a-b=\"1\",",
    "{=\"1\",",
    "{vmid=\"1\",",
    "{ ",
    "{,",
    "{le=\"x\",",
];
const LABEL_ENDS: [&str; 6] = ["\" ", "\",,", "\\q\",", "\\\",", "\\n\",", "\"\u{0}"];
const KEYWORDS: [&str; 6] = ["#TYPE", "# TYPE", "# HELP", "#  TYPE", "# type", "# TYPE x"];
const ALPHABET: &[u8] = b"{}=\",\\ \t\r\n#_:-.0aeE+x\xff";

/// One mutated copy of the contract, its metric names made unique to the case so that files
/// served together do not clash.
fn mutant(rng: &mut Rng, contract: &str, case: usize) -> Vec<u8> {
    let mut text = contract
        .replace("homelab_", &format!("c{case}_homelab_"))
        .into_bytes();
    for _ in 0..1 + rng.below(3) {
        text = match rng.below(10) {
            0 => {
                let to = pick(rng, &VALUES);
                replace_one(rng, &text, b"1.7e+09", to)
            }
            1 => {
                let to = [pick(rng, &TYPES), b"\n"].concat();
                replace_one(rng, &text, b"gauge\n", &to)
            }
            2 => {
                let to = pick(rng, &LABEL_STARTS);
                replace_one(rng, &text, b"{", to)
            }
            3 => {
                let to = pick(rng, &LABEL_ENDS);
                replace_one(rng, &text, b"\",", to)
            }
            4 => {
                let to = pick(rng, &KEYWORDS);
                replace_one(rng, &text, b"# TYPE", to)
            }
            5 => match rng.below(3) {
                0 => text
                    .iter()
                    .flat_map(|&b| {
                        if b == b'\n' {
                            vec![b'\r', b'\n']
                        } else {
                            vec![b]
                        }
                    })
                    .collect(),
                1 => text.strip_suffix(b"\n").unwrap_or(&text).to_vec(),
                _ => replace_one(rng, &text, b"\"", b"\"\xff"),
            },
            _ => mutate_bytes(rng, &text, ALPHABET),
        };
    }
    text
}

fn pick(rng: &mut Rng, items: &[&'static str]) -> &'static [u8] {
    rng.pick(items).as_bytes()
}

/// What the scripts' writer (`scripts/lib/textfile.sh`, run for real in bash) renders for
/// the contract's metrics, with label values that need escaping.
fn writer_output() -> String {
    let lib = differential::repository().join("scripts/lib");
    let script = format!(
        r#"set -euo pipefail
source "{lib}/common.sh"
source "{lib}/textfile.sh"
textfile_declare homelab_backup_last_run_success gauge 'Last run \ of a "guest"'
textfile_declare homelab_health_check_success gauge 'Health'
textfile_sample homelab_backup_last_run_success 1 vmid=100 storage='p"b\s'
textfile_sample homelab_backup_last_run_success 0 vmid=101 storage=$'two\nlines'
textfile_sample homelab_health_check_success -1.5e+3 check=dns-resolution
textfile_sample homelab_health_check_success NaN check=ssh-access
textfile_render
"#,
        lib = lib.display()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "the writer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 from the writer")
}

#[test]
fn every_mutant_of_the_contract_node_exporter_refuses_we_refuse() {
    let (cases, seed) = settings();
    let contract_path = differential::repository().join("tools/catalogs/homelab-textfile.prom");
    let contract = std::fs::read_to_string(&contract_path).expect("the textfile contract");
    let written = writer_output();
    let mut rng = Rng::new(seed);
    let mut files = vec![contract.clone().into_bytes(), written.clone().into_bytes()];
    assert!(!ours_refuses(&files[0]), "we refuse the contract");
    assert!(
        !ours_refuses(&files[1]),
        "we refuse the writer's output:\n{written}"
    );
    let seeds = [contract, written];
    files.extend((2..cases + 2).map(|case| {
        let base = rng.pick(&seeds).clone();
        mutant(&mut rng, &base, case)
    }));
    let started = Instant::now();
    let verdicts = verdicts(&files);
    let elapsed = started.elapsed();
    assert_eq!(verdicts[0], Verdict::Accepted, "the contract itself");
    assert_eq!(verdicts[1], Verdict::Accepted, "the writer's output");
    let mut missed = Vec::new();
    let (mut they_refuse, mut we_refuse, mut only_we) = (0, 0, 0);
    for (i, (text, verdict)) in files.iter().zip(&verdicts).enumerate() {
        let ours = ours_refuses(text);
        we_refuse += usize::from(ours);
        match verdict {
            Verdict::Refused(why) => {
                they_refuse += 1;
                if !ours {
                    missed.push(format!("{why}; {}", show(i, seed, text)));
                }
            }
            Verdict::Accepted => only_we += usize::from(ours),
        }
    }
    eprintln!(
        "exposition differential: {} files (seed {seed}), node-exporter refused {they_refuse}, \
         we refused {we_refuse} ({only_we} that node-exporter accepts), missed {}; {:.1} s",
        files.len(),
        missed.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        missed.is_empty(),
        "node-exporter refuses what our reader accepts:\n{}",
        missed.join("\n---\n")
    );
    assert!(
        they_refuse > cases / 4,
        "too few refused mutants: {they_refuse}"
    );
}

#[test]
fn a_file_alone_is_judged_by_its_own_contents() {
    // The harness itself: a clean file is accepted, a broken one refused, a crash narrowed.
    let files = vec![
        b"a 1\n".to_vec(),
        b"b abc\n".to_vec(),
        b"c{__x=\"1\"} 1\n".to_vec(),
        b"d 1\nd 2\n".to_vec(),
    ];
    let verdicts = verdicts(&files);
    assert_eq!(verdicts[0], Verdict::Accepted);
    assert!(
        verdicts[1..]
            .iter()
            .all(|v| matches!(v, Verdict::Refused(_))),
        "{verdicts:?}"
    );
}
