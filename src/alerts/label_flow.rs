//! Which labels an expression's result can carry, and which label names its clauses
//! (`by`, `on`, `group_left`, `label_replace`'s source) rely on.
//!
//! This follows Prometheus's own rules for result labels: aggregations keep their `by`
//! labels (or drop their `without` labels), one-to-one matching `on(...)` keeps only those
//! labels, `group_left(...)` copies labels from the one side, `label_replace` and
//! `label_join` add their target label, `absent()` returns the labels of its equality
//! matchers, `vector()` and scalars carry none, `or` can return either side's labels.
//!
//! A selector's labels are open (any label) unless a [`MetricLabels`] source (the exporter
//! catalogs) says which labels the metric has. Only a closed set produces problems: the
//! analysis flags a label only when it is sure the label cannot be there.
//!
//! The walk recurses once per level of the tree. That is safe because the lint only hands it
//! trees within [`super::promql_dialect`]'s limits, on a thread with a large stack.

use std::collections::BTreeSet;

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::ast::{
    AggregateExpr, BinaryExpr, Call, Expr, LabelModifier, VectorMatchCardinality, VectorSelector,
};
use promql_parser::parser::value::ValueType;

/// Labels every scraped series gets from its target, whatever the exporter exposes.
pub(crate) const TARGET_LABELS: [&str; 2] = ["job", "instance"];

/// The label names a result can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LabelSet {
    /// At most these labels.
    Closed(BTreeSet<String>),
    /// Any label except these (removed by `without`, `ignoring`, ...).
    Open { except: BTreeSet<String> },
}

impl LabelSet {
    pub(crate) fn open() -> Self {
        LabelSet::Open {
            except: BTreeSet::new(),
        }
    }

    pub(crate) fn none() -> Self {
        LabelSet::Closed(BTreeSet::new())
    }

    pub(crate) fn of<I: IntoIterator<Item = S>, S: Into<String>>(names: I) -> Self {
        LabelSet::Closed(names.into_iter().map(Into::into).collect())
    }

    /// Whether a series of this result can have `label`.
    pub(crate) fn may_have(&self, label: &str) -> bool {
        match self {
            LabelSet::Closed(set) => set.contains(label),
            LabelSet::Open { except } => !except.contains(label),
        }
    }

    /// Sure not to have it (the only case that is worth a finding).
    fn lacks(&self, label: &str) -> bool {
        !self.may_have(label)
    }

    fn with(mut self, label: &str) -> Self {
        match &mut self {
            LabelSet::Closed(set) => {
                set.insert(label.to_string());
            }
            LabelSet::Open { except } => {
                except.remove(label);
            }
        }
        self
    }

    fn without<'a>(mut self, labels: impl IntoIterator<Item = &'a String>) -> Self {
        for label in labels {
            match &mut self {
                LabelSet::Closed(set) => {
                    set.remove(label);
                }
                LabelSet::Open { except } => {
                    except.insert(label.clone());
                }
            }
        }
        self
    }

    /// Only `labels`, and only those this set may have.
    fn keep_only(self, labels: &[String]) -> Self {
        LabelSet::Closed(
            labels
                .iter()
                .filter(|l| self.may_have(l))
                .cloned()
                .collect(),
        )
    }

    /// Labels a series of either result can have.
    pub(crate) fn union(self, other: LabelSet) -> Self {
        match (self, other) {
            (LabelSet::Closed(mut a), LabelSet::Closed(b)) => {
                a.extend(b);
                LabelSet::Closed(a)
            }
            (LabelSet::Open { except }, LabelSet::Closed(c))
            | (LabelSet::Closed(c), LabelSet::Open { except }) => LabelSet::Open {
                except: except.difference(&c).cloned().collect(),
            },
            (LabelSet::Open { except: a }, LabelSet::Open { except: b }) => LabelSet::Open {
                except: a.intersection(&b).cloned().collect(),
            },
        }
    }

    /// The names, for messages (`any label` when open).
    pub(crate) fn describe(&self) -> String {
        match self {
            LabelSet::Closed(set) if set.is_empty() => "no labels".into(),
            LabelSet::Closed(set) => set.iter().cloned().collect::<Vec<_>>().join(", "),
            LabelSet::Open { except } if except.is_empty() => "any label".into(),
            LabelSet::Open { except } => format!(
                "any label except {}",
                except.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// Where selectors' label names come from: the exporter catalogs, or nothing.
pub(crate) trait MetricLabels {
    /// The labels the exporter puts on `metric`, without the target labels; `None` when the
    /// metric is not known (its labels are then open).
    fn labels_of(&self, metric: &str) -> Option<LabelSet>;
}

/// No knowledge of metrics: every selector's labels are open.
pub(crate) struct NoCatalog;

impl MetricLabels for NoCatalog {
    fn labels_of(&self, _metric: &str) -> Option<LabelSet> {
        None
    }
}

/// A label name a clause relies on that the expression it applies to cannot carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MissingLabel {
    pub label: String,
    /// The clause, e.g. `sum by (...)`, `on (...)`, `group_left (...)`, `label_replace`.
    pub(crate) clause: String,
    /// What the expression can carry.
    pub(crate) available: String,
}

/// The metric name a selector selects, when it names one exactly.
pub(crate) fn metric_name(vs: &VectorSelector) -> Option<&str> {
    vs.name.as_deref().or_else(|| {
        vs.matchers
            .matchers
            .iter()
            .find(|m| m.name == "__name__" && matches!(m.op, MatchOp::Equal))
            .map(|m| m.value.as_str())
    })
}

/// Every matcher of a selector, including those in `or` alternatives.
pub(crate) fn matchers(vs: &VectorSelector) -> impl Iterator<Item = &Matcher> {
    vs.matchers
        .matchers
        .iter()
        .chain(vs.matchers.or_matchers.iter().flatten())
}

/// Every vector selector in an expression (matrix selectors included), in order.
pub(crate) fn selectors(expr: &Expr) -> Vec<&VectorSelector> {
    let mut out = Vec::new();
    collect_selectors(expr, &mut out);
    out
}

fn collect_selectors<'a>(expr: &'a Expr, out: &mut Vec<&'a VectorSelector>) {
    match expr {
        Expr::VectorSelector(vs) => out.push(vs),
        Expr::MatrixSelector(ms) => out.push(&ms.vs),
        Expr::Aggregate(a) => {
            if let Some(p) = &a.param {
                collect_selectors(p, out);
            }
            collect_selectors(&a.expr, out);
        }
        Expr::Unary(u) => collect_selectors(&u.expr, out),
        Expr::Binary(b) => {
            collect_selectors(&b.lhs, out);
            collect_selectors(&b.rhs, out);
        }
        Expr::Paren(p) => collect_selectors(&p.expr, out),
        Expr::Subquery(s) => collect_selectors(&s.expr, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| collect_selectors(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// The labels `expr`'s result can carry, and the clauses that rely on labels it lacks.
pub(crate) fn analyse(expr: &Expr, metrics: &dyn MetricLabels) -> (LabelSet, Vec<MissingLabel>) {
    let mut flow = Flow {
        metrics,
        missing: Vec::new(),
    };
    let labels = flow.labels(expr);
    (labels, flow.missing)
}

struct Flow<'m> {
    metrics: &'m dyn MetricLabels,
    missing: Vec<MissingLabel>,
}

fn string_arg(call: &Call, index: usize) -> Option<&str> {
    match call.args.args.get(index).map(|a| a.as_ref()) {
        Some(Expr::StringLiteral(s)) => Some(s.val.as_str()),
        _ => None,
    }
}

fn is_scalar(expr: &Expr) -> bool {
    matches!(expr.value_type(), ValueType::Scalar | ValueType::String)
}

impl Flow<'_> {
    fn require(&mut self, set: &LabelSet, label: &str, clause: &str) {
        if set.lacks(label) {
            self.missing.push(MissingLabel {
                label: label.to_string(),
                clause: clause.to_string(),
                available: set.describe(),
            });
        }
    }

    fn labels(&mut self, expr: &Expr) -> LabelSet {
        match expr {
            Expr::VectorSelector(vs) => self.selector(vs),
            Expr::MatrixSelector(ms) => self.selector(&ms.vs),
            Expr::Aggregate(a) => self.aggregate(a),
            Expr::Unary(u) => self.labels(&u.expr),
            Expr::Paren(p) => self.labels(&p.expr),
            Expr::Subquery(s) => self.labels(&s.expr),
            Expr::Binary(b) => self.binary(b),
            Expr::Call(c) => self.call(c),
            Expr::NumberLiteral(_) | Expr::StringLiteral(_) => LabelSet::none(),
            Expr::Extension(_) => LabelSet::open(),
        }
    }

    fn selector(&mut self, vs: &VectorSelector) -> LabelSet {
        match metric_name(vs).and_then(|m| self.metrics.labels_of(m)) {
            Some(set) => TARGET_LABELS.iter().fold(set, |s, l| s.with(l)),
            None => LabelSet::open(),
        }
    }

    fn aggregate(&mut self, a: &AggregateExpr) -> LabelSet {
        if let Some(p) = &a.param {
            self.labels(p);
        }
        let inner = self.labels(&a.expr);
        let op = a.op.to_string();
        let clause = |kind: &str| format!("{op} {kind} (...)");
        let grouped = match &a.modifier {
            Some(LabelModifier::Include(by)) => {
                for label in &by.labels {
                    self.require(&inner, label, &clause("by"));
                }
                LabelSet::of(by.labels.iter().cloned())
            }
            Some(LabelModifier::Exclude(without)) => inner.clone().without(&without.labels),
            None => LabelSet::none(),
        };
        match op.as_str() {
            // These select series; they do not aggregate their labels away.
            "topk" | "bottomk" | "limitk" | "limit_ratio" => inner,
            "count_values" => match a.param.as_deref() {
                Some(Expr::StringLiteral(s)) => grouped.with(&s.val),
                _ => grouped,
            },
            _ => grouped,
        }
    }

    fn binary(&mut self, b: &BinaryExpr) -> LabelSet {
        let lhs = self.labels(&b.lhs);
        let rhs = self.labels(&b.rhs);
        match (is_scalar(&b.lhs), is_scalar(&b.rhs)) {
            (true, true) => return LabelSet::none(),
            (false, true) => return lhs,
            (true, false) => return rhs,
            (false, false) => {}
        }
        let modifier = b.modifier.as_ref();
        let matching = modifier.and_then(|m| m.matching.as_ref());
        if let Some(LabelModifier::Include(on)) = matching {
            for label in &on.labels {
                self.require(&lhs, label, "on (...), left side");
                self.require(&rhs, label, "on (...), right side");
            }
        }
        let card = modifier.map_or(&VectorMatchCardinality::OneToOne, |m| &m.card);
        if b.op.is_set_operator() {
            return match b.op.to_string().as_str() {
                "or" => lhs.union(rhs),
                _ => lhs,
            };
        }
        match card {
            VectorMatchCardinality::ManyToOne(include) => {
                for label in &include.labels {
                    self.require(&rhs, label, "group_left (...)");
                }
                include.labels.iter().fold(lhs, |s, l| s.with(l))
            }
            VectorMatchCardinality::OneToMany(include) => {
                for label in &include.labels {
                    self.require(&lhs, label, "group_right (...)");
                }
                include.labels.iter().fold(rhs, |s, l| s.with(l))
            }
            VectorMatchCardinality::OneToOne | VectorMatchCardinality::ManyToMany => match matching
            {
                Some(LabelModifier::Include(on)) => lhs.keep_only(&on.labels),
                Some(LabelModifier::Exclude(ignoring)) => lhs.without(&ignoring.labels),
                None => lhs,
            },
        }
    }

    fn call(&mut self, call: &Call) -> LabelSet {
        let args: Vec<LabelSet> = call.args.args.iter().map(|a| self.labels(a)).collect();
        let first_vector = call
            .args
            .args
            .iter()
            .position(|a| !is_scalar(a))
            .map(|i| args[i].clone());
        match call.func.name {
            "label_replace" => {
                let inner = first_vector.unwrap_or_else(LabelSet::open);
                if let Some(src) = string_arg(call, 3) {
                    self.require(&inner, src, "label_replace source");
                }
                match string_arg(call, 1) {
                    Some(dst) => inner.with(dst),
                    None => LabelSet::open(),
                }
            }
            "label_join" => {
                let inner = first_vector.unwrap_or_else(LabelSet::open);
                for i in 3..call.args.args.len() {
                    if let Some(src) = string_arg(call, i) {
                        self.require(&inner, src, "label_join source");
                    }
                }
                match string_arg(call, 1) {
                    Some(dst) => inner.with(dst),
                    None => LabelSet::open(),
                }
            }
            "absent" | "absent_over_time" => {
                let selector = match call.args.args.first().map(|a| a.as_ref()) {
                    Some(Expr::VectorSelector(vs)) => Some(vs),
                    Some(Expr::MatrixSelector(ms)) => Some(&ms.vs),
                    _ => None,
                };
                match selector {
                    Some(vs) => LabelSet::of(
                        matchers(vs)
                            .filter(|m| matches!(m.op, MatchOp::Equal) && m.name != "__name__")
                            .map(|m| m.name.clone()),
                    ),
                    None => LabelSet::none(),
                }
            }
            "histogram_quantile" => first_vector
                .map(|s| s.without(&["le".to_string()]))
                .unwrap_or_else(LabelSet::none),
            _ => first_vector.unwrap_or_else(LabelSet::none),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Fixed(HashMap<&'static str, Vec<&'static str>>);

    impl MetricLabels for Fixed {
        fn labels_of(&self, metric: &str) -> Option<LabelSet> {
            self.0.get(metric).map(|l| LabelSet::of(l.iter().copied()))
        }
    }

    fn node() -> Fixed {
        Fixed(HashMap::from([
            ("node_load15", vec![]),
            ("node_cpu_seconds_total", vec!["cpu", "mode"]),
            ("node_uname_info", vec!["nodename", "release"]),
            (
                "node_filesystem_files",
                vec!["device", "fstype", "mountpoint"],
            ),
        ]))
    }

    fn labels(text: &str, metrics: &dyn MetricLabels) -> (LabelSet, Vec<MissingLabel>) {
        analyse(&promql_parser::parser::parse(text).unwrap(), metrics)
    }

    #[test]
    fn a_selector_is_open_without_a_catalog_and_closed_with_one() {
        assert_eq!(labels("node_load15", &NoCatalog).0, LabelSet::open());
        assert_eq!(
            labels("node_load15", &node()).0,
            LabelSet::of(["instance", "job"])
        );
    }

    #[test]
    fn aggregations_keep_by_and_drop_without() {
        let (set, _) = labels("sum by (instance) (rate(x[5m]))", &NoCatalog);
        assert_eq!(set, LabelSet::of(["instance"]));
        let (set, _) = labels("sum without (cpu, mode) (x)", &NoCatalog);
        assert!(set.may_have("instance") && !set.may_have("cpu"));
        let (set, _) = labels("count(x)", &NoCatalog);
        assert_eq!(set, LabelSet::none());
        let (set, _) = labels("topk(3, x)", &NoCatalog);
        assert_eq!(set, LabelSet::open());
    }

    #[test]
    fn one_to_one_on_keeps_only_the_on_labels_and_group_left_adds() {
        let (set, missing) = labels(
            "node_load15 > on (instance) 2 * count by (instance) (node_cpu_seconds_total{mode=\"idle\"})",
            &node(),
        );
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(set, LabelSet::of(["instance"]));
        let (set, missing) = labels(
            "node_load15 * on (instance) group_left (nodename) node_uname_info",
            &node(),
        );
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(set, LabelSet::of(["instance", "job", "nodename"]));
    }

    #[test]
    fn label_replace_adds_its_target_label() {
        let (set, missing) = labels(
            "label_replace(node_load15, \"host\", \"$1\", \"instance\", \"(.*):.*\")",
            &node(),
        );
        assert!(missing.is_empty(), "{missing:?}");
        assert!(set.may_have("host"));
        // A label introduced by label_replace can be grouped on later.
        let (_, missing) = labels(
            "sum by (host) (label_replace(node_load15, \"host\", \"$1\", \"instance\", \"(.*)\"))",
            &node(),
        );
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn or_vector_zero_keeps_the_left_labels_and_needs_none() {
        let (set, missing) = labels("sum by (job) (x) or vector(0)", &NoCatalog);
        assert!(missing.is_empty());
        assert_eq!(set, LabelSet::of(["job"]));
        let (set, _) = labels("node_load15 or on () vector(0)", &node());
        assert_eq!(set, LabelSet::of(["instance", "job"]));
    }

    #[test]
    fn absent_carries_its_equality_matchers_only() {
        let (set, _) = labels("absent(up{job=\"node\", instance=~\"pve.*\"})", &NoCatalog);
        assert_eq!(set, LabelSet::of(["job"]));
    }

    #[test]
    fn a_clause_on_a_label_the_metrics_lack_is_reported() {
        let (_, missing) = labels("sum by (mountpoint) (node_load15)", &node());
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].label, "mountpoint");
        assert_eq!(missing[0].clause, "sum by (...)");
        assert_eq!(missing[0].available, "instance, job");
        let (_, missing) = labels(
            "node_load15 * on (instance) group_left (kernel) node_uname_info",
            &node(),
        );
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].clause, "group_left (...)");
        // Without a catalog nothing is known, so nothing is reported.
        let (_, missing) = labels("sum by (mountpoint) (node_load15)", &NoCatalog);
        assert!(missing.is_empty());
    }

    #[test]
    fn histogram_quantile_drops_le() {
        let (set, _) = labels(
            "histogram_quantile(0.9, sum by (le, job) (rate(x_bucket[5m])))",
            &NoCatalog,
        );
        assert_eq!(set, LabelSet::of(["job"]));
    }

    #[test]
    fn selectors_are_found_everywhere() {
        let expr = promql_parser::parser::parse(
            "absent(a) or sum(rate(b[5m])) > on () c unless label_replace(d, \"x\", \"\", \"y\", \"\")",
        )
        .unwrap();
        let names: Vec<_> = selectors(&expr)
            .into_iter()
            .filter_map(metric_name)
            .collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
    }
}
