//! The test-file checks (`homelab_spec::terraform::tftest::check_file`) against the real
//! Terraform: every mutated `.tftest.hcl` file that Terraform refuses when it loads the test
//! files must get a finding from our checks (ours may refuse more).
//!
//! Cases: seeded mutations of the homelab modules' own `tests/*.tftest.hcl` files, all put
//! into the `tests/` directory of one scratch copy of a module, with the offline providers
//! (see README, "Offline Terraform providers"). One `terraform validate -json` then loads
//! every file and reports each file's load errors with its file name. A sentinel file with a
//! run block that has no name makes every run stop right after loading, so what is compared is
//! exactly what Terraform refuses in the test files themselves, never what a run would do
//! (references to resources that do not exist are Terraform's to find when it runs).

mod differential;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use differential::{Rng, mutate_bytes, replace_one, repository, settings, show};
use homelab_spec::terraform::providers::OfflineProviders;
use homelab_spec::terraform::tftest::check_file;
use homelab_spec::tools::{self, Command};

const MODULES: &str = "infrastructure/proxmox/modules";
/// The module whose configuration the cases are loaded with (any module will do: loading a
/// test file does not look at the configuration).
const HOST_MODULE: &str = "lxc";
const SENTINEL: &str = "tests/zz_sentinel.tftest.hcl";

/// The homelab's own test files: (path relative to the repository, bytes).
fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = repository().join(MODULES);
    let mut seeds = Vec::new();
    let mut modules: Vec<_> = std::fs::read_dir(&root)
        .expect("the modules directory")
        .map(|e| e.expect("a module").path())
        .collect();
    modules.sort();
    for module in modules {
        let mut files: Vec<_> = std::fs::read_dir(module.join("tests"))
            .into_iter()
            .flatten()
            .map(|e| e.expect("a test file").path())
            .filter(|p| p.to_string_lossy().ends_with(".tftest.hcl"))
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).expect("a test file");
            let name = file
                .strip_prefix(repository())
                .unwrap_or(&file)
                .display()
                .to_string();
            seeds.push((name, bytes));
        }
    }
    assert!(seeds.len() >= 15, "expected the homelab's test files");
    seeds
}

fn case_file(index: usize) -> String {
    format!("tests/case{index:05}.tftest.hcl")
}

/// Terraform's load errors per case file (by index), from one `terraform validate -json`.
fn terraform_refusals(files: &[Vec<u8>]) -> BTreeMap<usize, Vec<String>> {
    let scratch = tempfile::tempdir().expect("a temp dir");
    let module = scratch.path().join("module");
    std::fs::create_dir_all(module.join("tests")).expect("the tests dir");
    let host = repository().join(MODULES).join(HOST_MODULE);
    for entry in std::fs::read_dir(&host).expect("the host module") {
        let path = entry.expect("a file").path();
        if path.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&path, module.join(path.file_name().expect("a name"))).expect("copy");
        }
    }
    for (i, text) in files.iter().enumerate() {
        std::fs::write(module.join(case_file(i)), text).expect("a case file");
    }
    std::fs::write(module.join(SENTINEL), "run {\n  command = plan\n}\n").expect("the sentinel");
    let settings = homelab_spec::settings::Settings::from_env().expect("valid SPEC_* settings");
    let providers = OfflineProviders::install(settings.offline_provider.as_deref())
        .expect("the offline providers");
    let command = Command::new("terraform", ["validate", "-json", "-no-color"])
        .dir(&module)
        .env("TF_CLI_CONFIG_FILE", providers.cli_config())
        .env("TF_DATA_DIR", scratch.path().join("tf-data"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .timeout(Duration::from_secs(300));
    let out = tools::run(&command).expect("terraform runs");
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("terraform validate -json printed no JSON ({e}):\n{out}"));
    let mut refusals: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut sentinel_seen = false;
    let mut unplaced = Vec::new();
    for diagnostic in report["diagnostics"].as_array().into_iter().flatten() {
        if diagnostic["severity"] != "error" {
            continue;
        }
        let summary = diagnostic["summary"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let file = diagnostic["range"]["filename"].as_str().unwrap_or_default();
        if file == SENTINEL {
            sentinel_seen = true;
            continue;
        }
        let index = file
            .strip_prefix("tests/case")
            .and_then(|rest| rest.strip_suffix(".tftest.hcl"))
            .and_then(|digits| digits.parse::<usize>().ok());
        match index {
            Some(i) => refusals.entry(i).or_default().push(summary),
            None => unplaced.push(format!("{file}: {summary}")),
        }
    }
    assert!(
        sentinel_seen,
        "terraform did not report the sentinel's load error, so it may have gone past loading:\n{out}"
    );
    assert!(
        unplaced.is_empty(),
        "errors outside the cases: {unplaced:?}"
    );
    refusals
}

/// Edits aimed at what Terraform checks in run and assert blocks, plus the accepted oddities.
fn targeted(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    const COMMANDS: [&str; 7] = [
        "command = \"plan\"",
        "command = apply",
        "command = destroy",
        "command = plan_x",
        "command = [plan]",
        "comand = plan",
        "command = plan\n  command = apply",
    ];
    const RUN_HEADS: [&str; 6] = [
        "run {\n#",
        "run \"a\" \"",
        "run \"1",
        "run \"a b",
        "run \"\"",
        "run  \"",
    ];
    const ASSERTS: [&str; 5] = [
        "assert \"x\" {",
        "assert {}\n  assert {",
        "asert {",
        "assert {\n    message = 1",
        "assert {\n    inner {}",
    ];
    match rng.below(14) {
        0 => {
            let to = rng.pick(&COMMANDS).as_bytes();
            replace_one(rng, text, b"command = plan", to)
        }
        1 => {
            let to = rng.pick(&RUN_HEADS).as_bytes();
            replace_one(rng, text, b"run \"", to)
        }
        2 => {
            let to = rng.pick(&ASSERTS).as_bytes();
            replace_one(rng, text, b"assert {", to)
        }
        3 => replace_one(rng, text, b"condition", b"# condition"),
        4 => replace_one(rng, text, b"error_message", b"# error_message"),
        5 => {
            // A condition that refers to nothing.
            let lines = differential::lines(text);
            let hits: Vec<usize> = (0..lines.len())
                .filter(|&i| {
                    String::from_utf8_lossy(&lines[i])
                        .trim_start()
                        .starts_with("condition")
                })
                .collect();
            if hits.is_empty() {
                return text.to_vec();
            }
            let at = *rng.pick(&hits);
            let mut lines = lines;
            lines[at] = b"    condition = true\n".to_vec();
            lines.concat()
        }
        6 => [b"\xef\xbb\xbf".as_slice(), text].concat(),
        7 => replace_one(
            rng,
            text,
            b"variables {\n",
            b"variables {\n    huge = 1e309\n",
        ),
        8 => replace_one(rng, text, b"= \"", b"= \"a\nb"),
        9 => replace_one(rng, text, b"# ", b"# \xff"),
        10 => replace_one(rng, text, b"variables {", b"variables \"x\" {"),
        11 => replace_one(rng, text, b"mock_provider \"", b"mock_provider \"a\" \""),
        12 => {
            // Two runs with one name.
            let names = run_names(text);
            if names.len() < 2 {
                return text.to_vec();
            }
            let from = format!("run \"{}\"", rng.pick(&names));
            let to = format!("run \"{}\"", rng.pick(&names));
            replace_one(rng, text, from.as_bytes(), to.as_bytes())
        }
        _ => replace_one(
            rng,
            text,
            b"plan_options {",
            b"plan_options {\n    mode = \"normal\"",
        ),
    }
}

fn run_names(text: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| l.strip_prefix("run \""))
        .filter_map(|l| l.split('"').next())
        .map(str::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

const ALPHABET: &[u8] = b"{}[]()=\",.#/*\\ \n\t$%<-_019eEabz:?!\xff";

fn mutant(rng: &mut Rng, seeds: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut text = rng.pick(seeds).1.clone();
    for _ in 0..1 + rng.below(3) {
        text = if rng.below(2) == 0 {
            targeted(rng, &text)
        } else {
            mutate_bytes(rng, &text, ALPHABET)
        };
    }
    text
}

#[test]
fn every_mutant_terraform_refuses_we_refuse() {
    let (cases, seed) = settings();
    let seeds = seeds();
    let mut rng = Rng::new(seed);
    // The seeds themselves first: Terraform and we must both accept them.
    let mut files: Vec<Vec<u8>> = seeds.iter().map(|(_, bytes)| bytes.clone()).collect();
    files.extend((0..cases).map(|_| mutant(&mut rng, &seeds)));
    let started = Instant::now();
    let refusals = terraform_refusals(&files);
    let elapsed = started.elapsed();
    let mut missed = Vec::new();
    let (mut we_refuse, mut only_we) = (0, 0);
    for (i, text) in files.iter().enumerate() {
        let ours = check_file(text, &case_file(i));
        we_refuse += usize::from(!ours.is_empty());
        match refusals.get(&i) {
            Some(why) if ours.is_empty() => {
                missed.push(format!("terraform: {why:?}; {}", show(i, seed, text)));
            }
            None if !ours.is_empty() => {
                only_we += 1;
                if std::env::var_os("SPEC_DIFFERENTIAL_SHOW_STRICTER").is_some() {
                    eprintln!("only we refuse: {ours:?}\n{}", show(i, seed, text));
                }
                assert!(
                    i >= seeds.len(),
                    "we refuse the homelab's own {}: {ours:?}",
                    seeds[i].0
                );
            }
            _ => {}
        }
        if i < seeds.len() {
            assert!(
                !refusals.contains_key(&i),
                "terraform refuses {}",
                seeds[i].0
            );
        }
    }
    eprintln!(
        "tftest differential: {} files (seed {seed}), terraform refused {}, we refused \
         {we_refuse} ({only_we} that terraform accepts), missed {}; {:.1} s",
        files.len(),
        refusals.len(),
        missed.len(),
        elapsed.as_secs_f64()
    );
    assert!(
        missed.is_empty(),
        "terraform refuses what our checks accept:\n{}",
        missed.join("\n---\n")
    );
    assert!(
        refusals.len() > cases / 4,
        "too few refused mutants: {}",
        refusals.len()
    );
}

/// Issue 13, item 5, through the real Terraform: refused ones are refused by both, the BOM and
/// the huge number are accepted by both, and invalid UTF-8 has a line.
#[test]
fn the_listed_cases_are_what_terraform_says_they_are() {
    let assert =
        "  assert {\n    condition     = var.hostname != \"\"\n    error_message = \"x\"\n  }\n";
    let refused: Vec<String> = vec![
        format!("run \"a\" {{\n  command = \"plan\"\n{assert}}}\n"),
        "run \"a\" {\n  command = plan\n  assert {}\n}\n".into(),
        format!("run \"a\" {{\n  command = plan\n  assert \"x\" {{\n    condition = var.hostname != \"\"\n    error_message = \"x\"\n  }}\n}}\n"),
        format!("run {{\n  command = plan\n{assert}}}\n"),
        format!("run \"a\" \"b\" {{\n  command = plan\n{assert}}}\n"),
        format!("run \"a\" {{\n  command = plan\n{assert}}}\nrun \"a\" {{\n  command = plan\n{assert}}}\n"),
        "run \"a\" {\n  command = plan\n  assert {\n    condition     = var.hostname != \"\"\n    error_message = \"one\ntwo\"\n  }\n}\n".into(),
        "run \"a\" {\n  command = plan\n  assert {\n    condition     = true\n    error_message = \"x\"\n  }\n}\n".into(),
    ];
    let mut accepted: Vec<Vec<u8>> = vec![
        format!("\u{feff}run \"a\" {{\n  command = plan\n{assert}}}\n").into_bytes(),
        format!("variables {{\n  x = 1e309\n}}\nrun \"a\" {{\n  command = plan\n{assert}}}\n")
            .into_bytes(),
    ];
    let mut files: Vec<Vec<u8>> = refused.iter().map(|s| s.clone().into_bytes()).collect();
    files.append(&mut accepted);
    // Not UTF-8 in a string: refused, at its line. (In a comment Terraform accepts it.)
    let bad_utf8 = b"run \"a\" {\n  command = plan\n  state_key = \"\xff\"\n}\n".to_vec();
    files.push(bad_utf8.clone());
    let refusals = terraform_refusals(&files);
    for (i, text) in refused.iter().enumerate() {
        assert!(refusals.contains_key(&i), "terraform accepts:\n{text}");
        assert!(
            !check_file(text.as_bytes(), "t.tftest.hcl").is_empty(),
            "we accept:\n{text}"
        );
    }
    for (i, file) in files.iter().enumerate().skip(refused.len()).take(2) {
        assert!(
            !refusals.contains_key(&i),
            "terraform refuses: {:?}",
            refusals.get(&i)
        );
        let ours = check_file(file, "t.tftest.hcl");
        assert!(ours.is_empty(), "{ours:?}");
    }
    assert!(
        refusals.contains_key(&(files.len() - 1)),
        "terraform accepts bytes that are not UTF-8"
    );
    let ours = check_file(&bad_utf8, "t.tftest.hcl");
    assert_eq!(ours.first().and_then(|f| f.line), Some(3), "{ours:?}");
}
