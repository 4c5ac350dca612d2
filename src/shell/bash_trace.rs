//! What the real BATS runs executed, traced by bash itself: for each BATS test, every
//! (file, line, function) of the repository it ran, whether the code was sourced into the
//! test or run as a script.
//!
//! Nothing of the homelab is edited. The BATS run gets `BASH_ENV` pointing at a small script
//! of the suite ([`TRACE_ENV`]); bash sources it at the start of every non-interactive bash
//! process: bats' own, each test's (`bats-exec-test`, where the `.bats` file and the
//! libraries it sources run), and every script a test runs (`run scripts/x.sh`, `bash -c`).
//! Except in bats' own processes, it turns on `set -x` with `BASH_XTRACEFD` on a file of its
//! own per process and a `PS4` that writes the BATS test number (bats exports
//! `BATS_SUITE_TEST_NUMBER` to the test and everything it starts), `BASH_SOURCE`, `LINENO`
//! and `FUNCNAME` before each traced command. Test output is untouched: xtrace writes to
//! that file, never to stdout or stderr.
//!
//! bats runs its own `DEBUG` trap before every command of a test; traced, it would be nine
//! lines in ten of the trace and double the run's time. In the test's process the script
//! therefore wraps the one `DEBUG` trap bats installs (then removes its wrapper of `trap`,
//! before any test code runs) so that xtrace is off while bats' handler runs. The wrapper's
//! own `set +x` is traced at the command's location, which is a true record of it.
//!
//! Limits (docs/coverage-bash.md): code run by `sh`/`dash`, `bash -p`, `env -i`, a process that
//! resets `PS4`, `BASH_XTRACEFD` or `xtrace`, or a bash already started with `-x` (its trace is
//! left where the test expects it), is not traced; the text of `eval` runs at the line of the
//! `eval`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use crate::outcome::{ExecutedLine, TestExecution};

/// The variable that names the directory the traces go to (and turns tracing on).
pub(crate) const TRACE_DIR_VARIABLE: &str = "HOMELAB_SPEC_TRACE_DIR";
/// A `BASH_ENV` the caller had, sourced after ours.
pub(crate) const CALLER_BASH_ENV_VARIABLE: &str = "HOMELAB_SPEC_CALLER_BASH_ENV";

/// The script bash sources first in every non-interactive process (`BASH_ENV`).
pub(crate) const TRACE_ENV: &str = r#"# homelab-spec: traces which lines of the repository BATS tests execute (not a file of the homelab).
if [[ -n "${HOMELAB_SPEC_TRACE_DIR:-}" && $- != *x* ]]; then
    case "${0##*/}" in
        bats-exec-test)
            __homelab_spec_trace=1
            # xtrace off while bats' own DEBUG handler runs; the wrapper goes once it is set.
            trap() {
                if [[ $# -eq 2 && "$2" == DEBUG && -n "$1" && "$1" != - ]]; then
                    unset -f trap
                    builtin trap "set +x; $1; set -x" DEBUG
                else
                    builtin trap "$@"
                fi
            }
            ;;
        bats | bats-*) __homelab_spec_trace= ;;
        *) __homelab_spec_trace=1 ;;
    esac
    if [[ -n "$__homelab_spec_trace" ]] &&
        { exec {__homelab_spec_trace_fd}>>"${HOMELAB_SPEC_TRACE_DIR}/$$.trace"; } 2>/dev/null; then
        BASH_XTRACEFD=$__homelab_spec_trace_fd
        PS4=$'+\t${BATS_SUITE_TEST_NUMBER-}\t${BASH_SOURCE[0]+${BASH_SOURCE[0]/#[!\/]*/$PWD\/${BASH_SOURCE[0]}}}\t${LINENO}\t${FUNCNAME[0]-}\t'
        set -x
    fi
    unset __homelab_spec_trace
fi
if [[ -n "${HOMELAB_SPEC_CALLER_BASH_ENV:-}" ]]; then
    # shellcheck disable=SC1090
    source "$HOMELAB_SPEC_CALLER_BASH_ENV"
fi
"#;

/// Where one BATS run's traces go: the `BASH_ENV` script and a directory of trace files.
#[derive(Debug, Clone)]
pub(crate) struct TraceSetup {
    pub(crate) bash_env: PathBuf,
    pub dir: PathBuf,
}

impl TraceSetup {
    /// Writes the script and creates the trace directory under `scratch`.
    pub(crate) fn create(scratch: &Path) -> std::io::Result<TraceSetup> {
        let dir = scratch.join("bash-trace");
        std::fs::create_dir_all(&dir)?;
        let bash_env = scratch.join("bash-trace-env.bash");
        std::fs::write(&bash_env, TRACE_ENV)?;
        Ok(TraceSetup { bash_env, dir })
    }

    /// The environment the BATS run gets: `(name, value)` pairs.
    pub(crate) fn environment(&self) -> Vec<(String, PathBuf)> {
        let mut env = vec![
            ("BASH_ENV".to_string(), self.bash_env.clone()),
            (TRACE_DIR_VARIABLE.to_string(), self.dir.clone()),
        ];
        if let Some(caller) = std::env::var_os("BASH_ENV").filter(|v| !v.is_empty()) {
            env.push((CALLER_BASH_ENV_VARIABLE.to_string(), PathBuf::from(caller)));
        }
        env
    }
}

/// One traced command: the test number (empty outside a test), the file, line, function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TraceLine<'a> {
    pub test: Option<usize>,
    pub file: &'a str,
    pub line: u32,
    pub function: &'a str,
}

/// Reads one line of a trace file; `None` for the other lines of a multi-line command.
pub(crate) fn parse_line(line: &str) -> Option<TraceLine<'_>> {
    let rest = line.trim_start_matches('+').strip_prefix('\t')?;
    let mut fields = rest.splitn(5, '\t');
    let test = fields.next()?;
    let file = fields.next()?;
    let number = fields.next()?.parse().ok()?;
    let function = fields.next()?;
    fields.next()?;
    Some(TraceLine {
        test: if test.is_empty() {
            None
        } else {
            Some(test.parse().ok()?)
        },
        file,
        line: number,
        function,
    })
}

/// `path` without `.` and `..`, relative to `root` (or `roots`' other spelling), with `/`;
/// `None` outside the root.
pub(crate) fn relative_to(path: &str, roots: &[PathBuf]) -> Option<String> {
    let mut parts: Vec<Component> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(parts.last(), Some(Component::Normal(_))) {
                    parts.pop();
                }
            }
            other => parts.push(other),
        }
    }
    let normal: PathBuf = parts.iter().collect();
    roots.iter().find_map(|root| {
        let rel = normal.strip_prefix(root).ok()?;
        let text = rel.to_string_lossy().replace('\\', "/");
        (!text.is_empty()).then_some(text)
    })
}

/// What each test executed, from the trace files in `dir`, keeping only files under `root`.
/// `tests`: (number, name, line of its `@test`) of every test bats reported.
pub(crate) fn read_traces(
    dir: &Path,
    root: &Path,
    tests: &[(usize, String, Option<u32>)],
) -> Vec<TestExecution> {
    let mut roots = vec![root.to_path_buf()];
    if let Ok(canonical) = root.canonicalize()
        && canonical != root
    {
        roots.push(canonical);
    }
    let mut executed: BTreeMap<usize, BTreeSet<ExecutedLine>> = BTreeMap::new();
    // The same file is named the same way many times: normalise each spelling once.
    let mut files: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for line in text.lines() {
            let Some(traced) = parse_line(line) else {
                continue;
            };
            let Some(test) = traced.test else {
                continue;
            };
            if traced.file.is_empty() {
                continue;
            }
            let file = files
                .entry(traced.file.to_string())
                .or_insert_with(|| relative_to(traced.file, &roots));
            let Some(file) = file else {
                continue;
            };
            executed.entry(test).or_default().insert(ExecutedLine {
                file: file.clone(),
                line: traced.line,
                function: (!traced.function.is_empty()).then(|| traced.function.to_string()),
            });
        }
    }
    tests
        .iter()
        .map(|(number, name, line)| TestExecution {
            number: *number,
            name: name.clone(),
            line: *line,
            executed: executed
                .get(number)
                .map(|set| set.iter().cloned().collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// The `@test` blocks of a BATS file: (name, 1-based line of the `@test`, line of its closing
/// `}`), in order. A block ends at the first later line that is a `}` at the start of a line,
/// the layout bats' own examples and formatters use.
pub(crate) fn test_blocks(text: &str) -> Vec<(String, u32, Option<u32>)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("@test") else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let Some(end) = rest[1..].rfind(quote) else {
            continue;
        };
        let raw = &rest[1..=end];
        let name = if quote == '"' {
            raw.replace("\\\"", "\"").replace("\\\\", "\\")
        } else {
            raw.to_string()
        };
        let close = lines[i + 1..]
            .iter()
            .position(|l| l.trim_end() == "}")
            .map(|offset| (i + 1 + offset + 1) as u32);
        blocks.push((name, (i + 1) as u32, close));
    }
    blocks
}

/// The line of the `@test` named `name` in `blocks`, or of the `number`th (1-based) when no
/// block has that name (a name bats built at run time).
pub(crate) fn test_line(
    blocks: &[(String, u32, Option<u32>)],
    name: &str,
    number: usize,
) -> Option<u32> {
    blocks
        .iter()
        .find(|(n, _, _)| n == name)
        .or_else(|| blocks.get(number.checked_sub(1)?))
        .map(|(_, line, _)| *line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_line_names_test_file_line_and_function() {
        let traced =
            parse_line("+++\t12\t/r/scripts/lib/common.sh\t180\tssh_exec_retry\tlocal x=1")
                .unwrap();
        assert_eq!(
            traced,
            TraceLine {
                test: Some(12),
                file: "/r/scripts/lib/common.sh",
                line: 180,
                function: "ssh_exec_retry",
            }
        );
        assert_eq!(parse_line("+\t\t\t1\t\techo").unwrap().test, None);
        assert!(parse_line("a continuation line of a multi-line string").is_none());
        assert!(parse_line("+\t1\tf\tnot-a-number\t\tx").is_none());
    }

    #[test]
    fn paths_are_made_relative_to_the_root_lexically() {
        let roots = [PathBuf::from("/tmp/x/repo")];
        assert_eq!(
            relative_to(
                "/tmp/x/repo/tests/restore/../../scripts/lib/common.sh",
                &roots
            )
            .as_deref(),
            Some("scripts/lib/common.sh")
        );
        assert_eq!(
            relative_to("/tmp/x/repo/./scripts/a.sh", &roots).as_deref(),
            Some("scripts/a.sh")
        );
        assert_eq!(relative_to("/usr/lib/bats-core/tracing.bash", &roots), None);
        assert_eq!(relative_to("/tmp/x/tmp/bats.1.src", &roots), None);
    }

    #[test]
    fn test_blocks_have_their_lines_and_ends() {
        let text = "setup() {\n  true\n}\n\n@test \"one \\\"quoted\\\"\" {\n  run x\n}\n@test 'two' {\n  if true; then\n    :\n  fi\n}\n";
        let blocks = test_blocks(text);
        assert_eq!(
            blocks,
            [
                ("one \"quoted\"".to_string(), 5, Some(7)),
                ("two".to_string(), 8, Some(12)),
            ]
        );
        assert_eq!(test_line(&blocks, "two", 1), Some(8));
        assert_eq!(test_line(&blocks, "built at run time", 2), Some(8));
    }

    #[test]
    fn sourced_and_executed_code_is_traced_per_test_and_the_output_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        crate::test_support::write(
            &root,
            "lib/greet.sh",
            "greet() {\n    echo \"hello $1\"\n}\nunused() {\n    echo never\n}\n",
        );
        crate::test_support::write(
            &root,
            "bin/run.sh",
            "#!/usr/bin/env bash\nset -euo pipefail\nsource \"$(dirname \"$0\")/../lib/greet.sh\"\ngreet script\n",
        );
        std::fs::set_permissions(
            root.join("bin/run.sh"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let trace = TraceSetup::create(dir.path()).unwrap();
        let script = format!(
            "set -u\nexport BATS_SUITE_TEST_NUMBER=3\nsource {root}/lib/greet.sh\ngreet test\n{root}/bin/run.sh\n",
            root = root.display()
        );
        let mut command = std::process::Command::new("bash");
        command.arg("-c").arg(script).current_dir(&root);
        for (k, v) in trace.environment() {
            command.env(k, v);
        }
        let out = command.output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "hello test\nhello script\n"
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
        let tests = read_traces(&trace.dir, &root, &[(3, "t".into(), Some(1))]);
        let lines: Vec<(String, u32, Option<String>)> = tests[0]
            .executed
            .iter()
            .map(|e| (e.file.clone(), e.line, e.function.clone()))
            .collect();
        assert!(
            lines.contains(&("lib/greet.sh".into(), 2, Some("greet".into()))),
            "{lines:?}"
        );
        assert!(
            lines.contains(&("bin/run.sh".into(), 4, None)),
            "the executed script is traced: {lines:?}"
        );
        assert!(!lines.iter().any(|(_, l, _)| *l == 5), "{lines:?}");
    }
}
