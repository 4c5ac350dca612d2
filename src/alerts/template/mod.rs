//! Alert label and annotation templates, parsed as Prometheus 2.42 parses them when it loads
//! a rules file (`promtool check rules` and the server both refuse the file otherwise).
//!
//! Prometheus prepends `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}
//! {{$externalURL := .ExternalURL}}{{$value := .Value}}` to each template and parses the
//! result with Go's `text/template` (Go 1.19, the toolchain of the Debian 2.42 build) and
//! Prometheus's function map. Parsing alone already refuses: lexical errors (an unclosed
//! action, a stray character, a bad number or string), malformed pipelines and control
//! structures (`if`/`range`/`with`/`else`/`end`/`define`/`block`/`template`/`break`/
//! `continue`), undefined variables (`$labe`) and unknown functions (`humanizeDurat`).
//! Nothing is executed, so a field such as `.Labels.x` is never checked, as in Prometheus.
//!
//! This module follows the structure of Go's `text/template/parse` (lexer items, then a
//! recursive-descent parser over them) so that each refusal maps to a Go one.

mod lex;
mod literal;
mod parse;

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use lex::lex;
use parse::Parser;

/// Variables Prometheus declares before every alert template.
const PROMETHEUS_VARIABLES: [&str; 4] = ["$labels", "$externalLabels", "$externalURL", "$value"];

/// Go 1.19 `text/template` built-in functions.
const GO_BUILTINS: [&str; 19] = [
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

/// Prometheus 2.42's template functions, generated from its source.
const PROMETHEUS_FUNCTIONS: &str = include_str!("../prometheus/template-functions.txt");

/// Nesting (control structures and parentheses) beyond which this checker gives up with an
/// error rather than recurse further. Go accepts deeper templates; no alert template nests
/// anywhere near this.
pub(super) const MAX_NESTING: usize = 500;

/// Why a template does not parse, with the byte offset in the template where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TemplateError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub(super) fn is_function(name: &str) -> bool {
    static NAMES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        PROMETHEUS_FUNCTIONS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .chain(GO_BUILTINS)
            .collect()
    });
    names.contains(name)
}

/// Parses `text` as one alert template of the rule named `alert`, as Prometheus 2.42 does.
pub(crate) fn check(alert: &str, text: &str) -> Result<(), TemplateError> {
    // Most labels and many annotations are plain text: nothing to parse.
    if !text.contains("{{") {
        return Ok(());
    }
    let tokens = lex(text);
    let mut declared = Vec::with_capacity(8);
    declared.push("$");
    declared.extend(PROMETHEUS_VARIABLES);
    Parser::new(&tokens, alert, declared).parse()
}

#[cfg(test)]
mod tests {
    use super::literal::{complex_ok, number_ok};
    use super::*;

    fn ok(text: &str) -> bool {
        check("TestAlert", text).is_ok()
    }

    #[test]
    fn the_homelab_spellings_parse() {
        for text in [
            "Host {{ $labels.instance }} is down.",
            "(up = {{ $value }})",
            "currently {{ $value | printf \"%.1f\" }}%",
            "{{ $value | humanizePercentage }} {{ $value | humanizeDuration }}",
            "{{ .Labels.job }} {{ index $labels \"device\" }} {{ $externalLabels.site }}",
            "{{ if gt $value 1.0 }}high{{ else if eq $value 0.0 }}zero{{ else }}low{{ end }}",
            "{{ range $i, $l := $labels }}{{ $i }}={{ $l }}{{ end }}",
            "{{ with $labels.instance }}{{ . }}{{ end }}",
            "{{- /* a comment */ -}} {{/* another */}}",
            "{{ $x := 1 }}{{ $x = 2 }}{{ $x }}",
            "{{ range $labels }}{{ if . }}{{ break }}{{ end }}{{ continue }}{{ end }}",
            "{{ define \"t\" }}{{ . }}{{ end }}{{ template \"t\" $value }}",
            "{{ block \"b\" . }}x{{ end }}",
            "{{ $value | humanize1024 | toUpper }} {{ reReplaceAll \"a\" \"b\" $labels.x }}",
            "{{ (query \"up\") | first | value }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }} {{ `raw` }}",
            "{{ -1 }} {{ 1_000 }} {{ 1.5 }} {{ nil | print }} {{ true }}",
            "{{\n  $labels.instance\n}}",
            "{{ 1 | }}",
            "{{ $undefined = 1 }}",
            "{{ nil }} {{ (1).x }} {{ humanize.x }} {{ template \"nonexistent\" }}",
            "no template at all, not even { braces }",
        ] {
            assert!(ok(text), "{text}: {:?}", check("TestAlert", text));
        }
    }

    #[test]
    fn what_go_refuses_is_refused() {
        for text in [
            "{{ $labe.instance }}",
            "{{ $labels.instance ",
            "{{ $value | humanizeDurat }}",
            "{{ huma $value }}",
            "{{ $labels.instance ~ }}",
            "{{ $labels.instance # }}",
            "{{ }}",
            "{{ end }}",
            "{{ if $value }}x",
            "{{ if }}x{{ end }}",
            "{{ else }}",
            "{{ range $labels }}{{ else if 1 }}{{ end }}",
            "{{ break }}",
            "{{ if 1 }}{{ continue }}{{ end }}",
            "{{ if $x := 1 }}{{ end }}{{ $x }}",
            "{{ define \"t\" }}{{ $labels }}{{ end }}",
            "{{ \"a\" | \"b\" }}",
            "{{ (1 }}",
            "{{ no template at all, not even braces",
            "{{ 1) }}",
            "{{ 1e99999 }}",
            "{{ 99999999999999999999 }}",
            "{{ 08 }}",
            "{{ 1__0 }}",
            "{{ 'ab' }}",
            "{{ \"\\q\" }}",
            "{{ \"open }}",
            "{{ /* comment */ }}",
            "{{/* unclosed }}",
            "{{/* x */ y }}",
            "{{ $labels.a-b }}",
            "{{ .A.B.c1 | 3 }}",
            "{{ 1.a }}",
            "{{ \"x\".y }}",
            "{{ template x }}",
            "{{ define \"__alert_TestAlert\" }}x{{ end }}",
            "{{ define \"d\" }}x{{ end }}{{ define \"d\" }}y{{ end }}",
            "{{ if 1 }}{{ define \"d\" }}x{{ end }}{{ end }}",
            "{{ range $a, $b, $c := . }}{{ end }}",
            "{{ with $x, $y := . }}{{ end }}",
            "{{ x := 1 }}",
            "{{ $labels : 1 }}",
            "{{ é }}",
        ] {
            assert!(!ok(text), "{text} should be refused");
        }
    }

    #[test]
    fn a_blank_define_may_be_repeated() {
        assert!(ok(
            "{{ define \"d\" }} {{ end }}{{ define \"d\" }}y{{ end }}"
        ));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        // The lint runs on a thread with a large stack; so does this test.
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(deep_nesting)
            .unwrap()
            .join()
            .unwrap();
    }

    fn deep_nesting() {
        let deep = format!(
            "{}x{}",
            "{{ if 1 }}".repeat(5_000),
            "{{ end }}".repeat(5_000)
        );
        assert!(!ok(&deep));
        let shallow = format!("{}x{}", "{{ if 1 }}".repeat(50), "{{ end }}".repeat(50));
        assert!(ok(&shallow));
        let parens = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
        assert!(!ok(&parens));
    }

    #[test]
    fn numbers_follow_go() {
        for good in [
            "1", "-1", "0x1F", "0o17", "0b101", "017", "1.5", "1e3", "1_000", "2i", "0x1p-2",
        ] {
            assert!(number_ok(good).is_ok(), "{good}");
        }
        for bad in [
            "08",
            "1e99999",
            "99999999999999999999",
            "1__0",
            "_1",
            "0x1.8",
        ] {
            assert!(number_ok(bad).is_err(), "{bad}");
        }
        assert!(complex_ok("1+2i"));
        assert!(!complex_ok("1e999999+2i"));
    }
}
