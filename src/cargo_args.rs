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

/// The filters the user gave the acceptance suite itself (`--tags`, `--name`), as written.
///
/// A bare word (`cargo test junit`) is not one of them: cargo hands it to every test binary,
/// and a unit-test filter that selects no scenario is the normal case.
pub fn explicit_filters(raw: &[String]) -> Vec<String> {
    const FILTERS: [&str; 4] = ["--tags", "-t", "--name", "-n"];
    let mut out = Vec::new();
    for (i, arg) in raw.iter().enumerate() {
        if FILTERS.contains(&arg.as_str()) {
            if let Some(value) = raw.get(i + 1) {
                out.push(format!("{arg} {value}"));
            }
        } else if let Some((flag, value)) = arg.split_once('=')
            && FILTERS.contains(&flag)
        {
            out.push(format!("{flag} {value}"));
        }
    }
    out
}

/// A filter that selects nothing is an error (as cargo-nextest's `--no-tests=fail`): a CI
/// job with a mistyped tag (`--tags @US9`) would otherwise run nothing and stay green.
/// Returns the message naming the filters and the tags that exist, or `None`.
pub fn nothing_selected<'t>(
    filters: &[String],
    selected: usize,
    tags: impl IntoIterator<Item = &'t String>,
) -> Option<String> {
    if selected > 0 || filters.is_empty() {
        return None;
    }
    let mut tags: Vec<&String> = tags.into_iter().collect();
    tags.sort();
    tags.dedup();
    let tags: Vec<&str> = tags.iter().map(|t| t.as_str()).collect();
    Some(format!(
        "the filter {} selects no scenario; the tags that exist: {}",
        filters.join(" "),
        tags.join(" ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_the_suites_own_filter_flags_are_explicit() {
        assert_eq!(
            explicit_filters(&strings(&["acc", "--tags", "@US9", "--fail-fast"])),
            ["--tags @US9"]
        );
        assert_eq!(
            explicit_filters(&strings(&["acc", "--name=retry"])),
            ["--name retry"]
        );
        assert!(explicit_filters(&strings(&["acc", "retry", "--nocapture"])).is_empty());
    }

    #[test]
    fn an_empty_selection_names_the_filter_and_the_tags_that_exist() {
        let filters = strings(&["--tags @US9"]);
        let tags = strings(&["@US2", "@US1", "@US1"]);
        let error = nothing_selected(&filters, 0, &tags).expect("an error");
        assert!(error.contains("--tags @US9"), "{error}");
        assert!(error.ends_with("@US1 @US2"), "{error}");
        assert_eq!(nothing_selected(&filters, 3, &tags), None);
        assert_eq!(nothing_selected(&[], 0, &tags), None);
    }

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
