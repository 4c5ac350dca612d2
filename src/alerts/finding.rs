//! The alert checks' stable ids (pint style); their findings are the crate's one
//! [`Finding`], with the rule (or group) as subject.

use std::fmt;

pub use crate::finding::{Finding, FindingId, listing};

/// The kind of problem, as a stable id (`alerts/severity`, `promql/series`, ...).
///
/// Ids never change meaning: reports, scenarios and people refer to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckId {
    /// The file is not valid YAML.
    YamlSyntax,
    /// A key Prometheus does not know (top level, group or rule).
    YamlUnknownKey,
    /// Valid YAML, but not shaped like a rules file (`groups` not a list, a rule that is
    /// neither `alert` nor `record`, labels that are not a map, ...).
    YamlShape,
    /// A rule without an `expr`.
    RuleExprMissing,
    /// Two rules (or two groups) with the same name.
    RuleDuplicate,
    /// The expression is not valid PromQL.
    PromqlSyntax,
    /// The expression selects a metric no deployed exporter exposes.
    PromqlSeries,
    /// The expression uses a label the metric does not have.
    PromqlLabel,
    /// An alert's `for` (or `keep_firing_for`) is missing or not a duration.
    AlertsFor,
    /// An alert's `severity` label is missing or not one of info, warning, critical.
    AlertsSeverity,
    /// An alert's `summary` or `description` annotation is missing or empty.
    AlertsAnnotations,
    /// A template uses a label the expression's result does not carry.
    AlertsTemplate,
    /// The expression selects a metric that exists only under configuration the
    /// monitoring stack does not use (`remote_write`, another service discovery).
    PromqlNeedsConfig,
    /// A textfile metric a publishing script writes but the textfile contract does not
    /// declare (shared with the `@textfile` contract check).
    TextfileUndeclared,
    /// The file is not UTF-8 (the line of the first bad byte).
    YamlEncoding,
    /// A group's `interval` is not a duration, or its `limit` not an integer.
    GroupField,
    /// An empty alert name, or a recorded name that is not a metric name.
    RuleName,
    /// A label or annotation name Prometheus refuses (`my-label`, `__name__` as a label).
    RuleLabelName,
    /// A label or annotation template Prometheus cannot parse (Go text/template).
    AlertsTemplateSyntax,
    /// An expression too long or too deeply nested for the checks to parse.
    PromqlTooComplex,
    /// A metric that a deployed exporter without a catalog may expose: not checked (a note).
    CatalogUnchecked,
    /// A metric an older release of a deployed exporter had and the deployed one lacks.
    CatalogRemovedMetric,
    /// No catalog of the deployed version: the nearest one was used (a note).
    CatalogNearestVersion,
    /// The deployed version cannot be known: the default catalog was used (a note).
    CatalogVersionUnknown,
}

impl CheckId {
    pub(crate) const ALL: [CheckId; 24] = [
        CheckId::YamlSyntax,
        CheckId::YamlUnknownKey,
        CheckId::YamlShape,
        CheckId::RuleExprMissing,
        CheckId::RuleDuplicate,
        CheckId::PromqlSyntax,
        CheckId::PromqlSeries,
        CheckId::PromqlLabel,
        CheckId::AlertsFor,
        CheckId::AlertsSeverity,
        CheckId::AlertsAnnotations,
        CheckId::AlertsTemplate,
        CheckId::PromqlNeedsConfig,
        CheckId::TextfileUndeclared,
        CheckId::YamlEncoding,
        CheckId::GroupField,
        CheckId::RuleName,
        CheckId::RuleLabelName,
        CheckId::AlertsTemplateSyntax,
        CheckId::PromqlTooComplex,
        CheckId::CatalogUnchecked,
        CheckId::CatalogRemovedMetric,
        CheckId::CatalogNearestVersion,
        CheckId::CatalogVersionUnknown,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            CheckId::YamlSyntax => "yaml/syntax",
            CheckId::YamlUnknownKey => "yaml/unknown-key",
            CheckId::YamlShape => "yaml/shape",
            CheckId::RuleExprMissing => "rule/expr-missing",
            CheckId::RuleDuplicate => "rule/duplicate",
            CheckId::PromqlSyntax => "promql/syntax",
            CheckId::PromqlSeries => "promql/series",
            CheckId::PromqlLabel => "promql/label",
            CheckId::AlertsFor => "alerts/for",
            CheckId::AlertsSeverity => "alerts/severity",
            CheckId::AlertsAnnotations => "alerts/annotations",
            CheckId::AlertsTemplate => "alerts/template",
            CheckId::PromqlNeedsConfig => "promql/needs-config",
            // Declared once, by the textfile contract that shares it.
            CheckId::TextfileUndeclared => crate::alerts::textfile::ids::UNDECLARED.as_str(),
            CheckId::YamlEncoding => "yaml/encoding",
            CheckId::GroupField => "group/field",
            CheckId::RuleName => "rule/name",
            CheckId::RuleLabelName => "rule/label-name",
            CheckId::AlertsTemplateSyntax => "alerts/template-syntax",
            CheckId::PromqlTooComplex => "promql/too-complex",
            CheckId::CatalogUnchecked => "catalog/unchecked",
            CheckId::CatalogRemovedMetric => "catalog/removed-metric",
            CheckId::CatalogNearestVersion => "catalog/nearest-version",
            CheckId::CatalogVersionUnknown => "catalog/version-unknown",
        }
    }

    /// The id for its text form, e.g. from a Gherkin step.
    pub fn parse(text: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|id| id.as_str() == text)
    }

    /// Whether the check needs the exporter catalogs (the second depth).
    pub fn is_catalog(self) -> bool {
        matches!(
            self,
            CheckId::PromqlSeries
                | CheckId::PromqlLabel
                | CheckId::PromqlNeedsConfig
                | CheckId::TextfileUndeclared
                | CheckId::CatalogUnchecked
                | CheckId::CatalogRemovedMetric
                | CheckId::CatalogNearestVersion
                | CheckId::CatalogVersionUnknown
        )
    }
}

/// The alert checks, for the one registry (`crate::checks`); `textfile/undeclared` is the
/// textfile contract's and registered there.
pub(crate) const CHECKS: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "yaml",
        FindingId::new(CheckId::YamlSyntax.as_str()),
        crate::finding::Depth::Offline,
        "a rules file that is not valid YAML",
    ),
    crate::finding::Check::new(
        "yaml",
        FindingId::new(CheckId::YamlUnknownKey.as_str()),
        crate::finding::Depth::Offline,
        "a key Prometheus does not know, at the top, in a group or a rule",
    ),
    crate::finding::Check::new(
        "yaml",
        FindingId::new(CheckId::YamlShape.as_str()),
        crate::finding::Depth::Offline,
        "valid YAML not shaped like a rules file",
    ),
    crate::finding::Check::new(
        "rule",
        FindingId::new(CheckId::RuleExprMissing.as_str()),
        crate::finding::Depth::Offline,
        "a rule without an expr",
    ),
    crate::finding::Check::new(
        "rule",
        FindingId::new(CheckId::RuleDuplicate.as_str()),
        crate::finding::Depth::Offline,
        "two rules or two groups with the same name",
    ),
    crate::finding::Check::new(
        "promql",
        FindingId::new(CheckId::PromqlSyntax.as_str()),
        crate::finding::Depth::Offline,
        "an expression that is not valid PromQL",
    ),
    crate::finding::Check::new(
        "promql",
        FindingId::new(CheckId::PromqlSeries.as_str()),
        crate::finding::Depth::Offline,
        "an expression selecting a metric no deployed exporter exposes",
    ),
    crate::finding::Check::new(
        "promql",
        FindingId::new(CheckId::PromqlLabel.as_str()),
        crate::finding::Depth::Offline,
        "an expression using a label its metric does not have",
    ),
    crate::finding::Check::new(
        "alerts",
        FindingId::new(CheckId::AlertsFor.as_str()),
        crate::finding::Depth::Offline,
        "an alert whose for (or keep_firing_for) is missing or not a duration",
    ),
    crate::finding::Check::new(
        "alerts",
        FindingId::new(CheckId::AlertsSeverity.as_str()),
        crate::finding::Depth::Offline,
        "an alert whose severity label is missing or not info, warning, critical",
    ),
    crate::finding::Check::new(
        "alerts",
        FindingId::new(CheckId::AlertsAnnotations.as_str()),
        crate::finding::Depth::Offline,
        "an alert whose summary or description annotation is missing or empty",
    ),
    crate::finding::Check::new(
        "alerts",
        FindingId::new(CheckId::AlertsTemplate.as_str()),
        crate::finding::Depth::Offline,
        "a template using a label the expression result does not carry",
    ),
    crate::finding::Check::new(
        "promql",
        FindingId::new(CheckId::PromqlNeedsConfig.as_str()),
        crate::finding::Depth::Offline,
        "a metric that exists only under configuration the stack does not use",
    ),
    crate::finding::Check::new(
        "yaml",
        FindingId::new(CheckId::YamlEncoding.as_str()),
        crate::finding::Depth::Offline,
        "a rules file that is not UTF-8",
    ),
    crate::finding::Check::new(
        "group",
        FindingId::new(CheckId::GroupField.as_str()),
        crate::finding::Depth::Offline,
        "a group interval that is not a duration, or a limit not an integer",
    ),
    crate::finding::Check::new(
        "rule",
        FindingId::new(CheckId::RuleName.as_str()),
        crate::finding::Depth::Offline,
        "an empty alert name, or a recorded name that is not a metric name",
    ),
    crate::finding::Check::new(
        "rule",
        FindingId::new(CheckId::RuleLabelName.as_str()),
        crate::finding::Depth::Offline,
        "a label or annotation name Prometheus refuses",
    ),
    crate::finding::Check::new(
        "alerts",
        FindingId::new(CheckId::AlertsTemplateSyntax.as_str()),
        crate::finding::Depth::Offline,
        "a label or annotation template Prometheus cannot parse",
    ),
    crate::finding::Check::new(
        "promql",
        FindingId::new(CheckId::PromqlTooComplex.as_str()),
        crate::finding::Depth::Offline,
        "an expression too long or too deeply nested for the checks to parse",
    ),
    crate::finding::Check::new(
        "catalog",
        FindingId::new(CheckId::CatalogUnchecked.as_str()),
        crate::finding::Depth::Offline,
        "a note: a metric a deployed exporter without a catalog may expose, not checked",
    ),
    crate::finding::Check::new(
        "catalog",
        FindingId::new(CheckId::CatalogRemovedMetric.as_str()),
        crate::finding::Depth::Offline,
        "a metric an older release of a deployed exporter had and the deployed release lacks",
    ),
    crate::finding::Check::new(
        "catalog",
        FindingId::new(CheckId::CatalogNearestVersion.as_str()),
        crate::finding::Depth::Offline,
        "a note: no catalog of the deployed version; the nearest one was used",
    ),
    crate::finding::Check::new(
        "catalog",
        FindingId::new(CheckId::CatalogVersionUnknown.as_str()),
        crate::finding::Depth::Offline,
        "a note: the deployed version cannot be known; the default catalog was used",
    ),
];

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<CheckId> for FindingId {
    fn from(id: CheckId) -> FindingId {
        FindingId::new(id.as_str())
    }
}

impl PartialEq<CheckId> for FindingId {
    fn eq(&self, other: &CheckId) -> bool {
        self.as_str() == CheckId::as_str(*other)
    }
}

impl Finding {
    /// The alert check this finding comes from, if it is one.
    pub fn check(&self) -> Option<CheckId> {
        CheckId::parse(self.id.as_str())
    }

    /// The line, for alert findings, which always know theirs.
    pub(crate) fn line_or_zero(&self) -> usize {
        self.line.unwrap_or(0)
    }
}

/// An alert-rule finding: the crate's one [`Finding`], built with the rule as its subject.
pub(crate) fn rule_finding(
    check: CheckId,
    file: &str,
    line: usize,
    rule: Option<String>,
    message: String,
) -> Finding {
    Finding {
        id: check.into(),
        severity: Default::default(),
        file: file.to_string(),
        line: Some(line),
        subject: rule,
        message,
        expected: None,
        found: None,
        suppressed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_names_file_line_rule_and_id() {
        let finding = rule_finding(
            CheckId::AlertsSeverity,
            "default.yml",
            42,
            Some("SystemdServiceFailed".into()),
            "severity \"warn\" is not one of info, warning, critical".into(),
        );
        assert_eq!(
            finding.to_string(),
            "default.yml:42 SystemdServiceFailed [alerts/severity] severity \"warn\" is not one of info, warning, critical"
        );
    }

    #[test]
    fn every_id_reads_back() {
        for id in CheckId::ALL {
            assert_eq!(CheckId::parse(id.as_str()), Some(id));
        }
        assert_eq!(CheckId::parse("alerts/unknown"), None);
    }
}
