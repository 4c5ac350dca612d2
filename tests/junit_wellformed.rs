//! `reports/junit.xml` stays well-formed whatever the tools print: a real BATS run whose
//! failing test logs in colour, with control characters and invalid UTF-8, goes through the
//! report writer, and a real XML parser (Python's ElementTree, as CI tooling reads it)
//! accepts the file.

use std::path::Path;
use std::process::Command;

use homelab_spec::report;
use homelab_spec::shell::bats;
use homelab_spec::spec_root::SpecRoot;
use homelab_spec::tools::Tools;

const NOISY_TEST: &str = r#"#!/usr/bin/env bats

@test "logs in colour and fails" {
    printf '\033[1;31m[ERROR]\033[0m ssh to pve1 failed\a\b\v\f \033]0;title\007 done\n'
    printf 'bytes: \xff\xfe\x01\n'
    false
}

@test "passes" {
    true
}
"#;

#[test]
fn a_colourful_failing_tool_run_still_gives_a_file_an_xml_parser_accepts() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("tests")).unwrap();
    std::fs::write(repo.path().join("tests/noisy.bats"), NOISY_TEST).unwrap();
    let root = SpecRoot::resolve(None, repo.path()).unwrap();

    let run = bats::run_file(&Tools::new(), &root, "tests/noisy.bats").expect("bats runs");
    assert_eq!(run.failed().len(), 1, "{run:?}");
    let diagnostics = run.failed()[0].diagnostics.join("\n");
    assert!(
        diagnostics.contains('\u{1b}'),
        "the test is meant to print colour codes: {diagnostics:?}"
    );

    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    // What cucumber wrote for a failed scenario whose message quotes the same output.
    std::fs::write(
        &junit,
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"f\" tests=\"1\"><testcase name=\"s\"><failure>{}</failure></testcase></testsuite>\n</testsuites>\n",
            diagnostics.replace('&', "&amp;").replace('<', "&lt;")
        ),
    )
    .unwrap();
    report::finish(&junit, &[run.tool_run()], &[]).unwrap();

    let xml = std::fs::read(&junit).unwrap();
    assert!(!xml.contains(&0x1b), "an ESC byte reached the report");
    parse_with_python(&junit);
}

/// Parses with Python's ElementTree when python3 is there (CI machines have it); the
/// quick-xml check in the report module's unit tests covers machines without it.
fn parse_with_python(path: &Path) {
    let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); print(sum(1 for _ in r.iter('testcase')))",
        ])
        .arg(path)
        .output()
    else {
        eprintln!("python3 is not installed: ElementTree check skipped");
        return;
    };
    assert!(
        out.status.success(),
        "ElementTree refuses the report: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(cases, 3, "one scenario and two BATS tests");
}
