//! `cargo test` hands every test binary the same arguments (a name filter, libtest flags).
//! The acceptance runner is cucumber, whose CLI would reject them: this turns them into
//! cucumber's own arguments.

/// libtest flags `cargo test` may hand to every test binary; they mean nothing here.
const LIBTEST_FLAGS: &[&str] = &[
    "--nocapture",
    "--show-output",
    "--quiet",
    "-q",
    "--exact",
    "--include-ignored",
    "--ignored",
    "--test",
    "--bench",
];
const LIBTEST_FLAGS_WITH_VALUE: &[&str] = &["--test-threads", "--format", "--skip", "-Z"];

/// Turns `cargo test` arguments into cucumber's: drops libtest flags, and maps a bare
/// filter word (one not following a flag) to `--name <filter>`.
pub fn cucumber_args(raw: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut raw = raw.into_iter();
    let mut out = vec![raw.next().unwrap_or_else(|| "acceptance".into())];
    let mut names = Vec::new();
    let mut previous_was_flag = false;
    while let Some(arg) = raw.next() {
        if LIBTEST_FLAGS.contains(&arg.as_str()) {
            previous_was_flag = false;
            continue;
        }
        if LIBTEST_FLAGS_WITH_VALUE.contains(&arg.as_str()) {
            raw.next();
            previous_was_flag = false;
            continue;
        }
        if LIBTEST_FLAGS_WITH_VALUE
            .iter()
            .any(|f| arg.starts_with(&format!("{f}=")))
        {
            continue;
        }
        if !arg.starts_with('-') && !previous_was_flag {
            names.push(regex::escape(&arg));
            continue;
        }
        previous_was_flag = arg.starts_with('-') && !arg.contains('=');
        out.push(arg);
    }
    if !names.is_empty() {
        out.push("--name".into());
        out.push(names.join("|"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        cucumber_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn cucumber_flags_pass_through() {
        assert_eq!(
            args(&["acc", "--tags", "@US1", "--fail-fast"]),
            ["acc", "--tags", "@US1", "--fail-fast"]
        );
    }

    #[test]
    fn a_bare_filter_becomes_a_name_filter() {
        assert_eq!(args(&["acc", "retry"]), ["acc", "--name", "retry"]);
        assert_eq!(args(&["acc", "a.b"]), ["acc", "--name", "a\\.b"]);
    }

    #[test]
    fn libtest_flags_are_dropped() {
        assert_eq!(
            args(&[
                "acc",
                "--nocapture",
                "--test-threads",
                "2",
                "--format=pretty",
                "retry"
            ]),
            ["acc", "--name", "retry"]
        );
    }
}
