//! Provider versions and version constraints as `terraform init` reads them
//! (`required_providers { x = { version = "~> 0.94.0" } }`, the lock file's `version`).
//!
//! Restated from apparentlymart/go-versions v1.0 (`constraints/ruby_style.go`,
//! `versions/parse.go` `MeetingConstraints`), which Terraform's
//! `getproviders.ParseVersionConstraints` and its version selection use. Our own small parser
//! because no maintained crate has these semantics: the `semver` crate's `~1.2` means
//! `>= 1.2.0, < 1.3.0` where Terraform's `~> 1.2` means `>= 1.2.0, < 2.0.0`, it has no `~>`
//! or `!=`, and its pre-release rule is per comparator (`>= 1.2.3-alpha.1` matches
//! `1.2.3-alpha.2`), where Terraform's is over the whole merged set: a pre-release is
//! selected only when some `=` constraint names it exactly.
//!
//! - `a, b, c`: every constraint must hold (modules' constraints merge the same way);
//! - `= 1.2.3` or `1.2.3`, `!=`, `>`, `>=`, `<`, `<=`; omitted parts are zero (`>= 1.2` is
//!   `>= 1.2.0`, `= 1.2` is exactly `1.2.0`);
//! - `~> 1.2.3`: `>= 1.2.3, < 1.3.0`; `~> 1.2` and `~> 1`: `>= 1.2.0, < 2.0.0`,
//!   `>= 1.0.0, < 2.0.0`;
//! - refused as Terraform refuses them: a `v` prefix, wildcards, more than three numbers,
//!   `=<`/`=>`, spaces before a bare version, two spaces after an operator, a missing comma.

use std::cmp::Ordering;
use std::fmt;

/// A version: three numbers, an optional pre-release (`-rc1`) and build metadata (`+x`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    /// Without its `-`; empty for a release.
    pub(crate) pre: String,
    /// Without its `+`; never part of the order.
    pub meta: String,
}

impl Version {
    pub fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: String::new(),
            meta: String::new(),
        }
    }

    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// A version as a lock file or a release list writes it (`0.95.0`, `0.95.1-rc1`).
    pub fn parse(text: &str) -> Result<Version, ConstraintError> {
        let error = |reason: &str| ConstraintError {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let raw = scan(text);
        if !raw.op.is_empty() || !raw.sep.is_empty() {
            return Err(error("a version has no operator, prefix or leading space"));
        }
        if !raw.rest.is_empty() {
            return Err(error(&format!("invalid characters {:?}", raw.rest)));
        }
        raw.version().map_err(|reason| error(&reason))
    }

    /// Semver precedence: numbers, then a release above its pre-releases, pre-release
    /// identifiers compared numerically when both are numbers; metadata ignored.
    fn precedence(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.precedence(other)
            .then_with(|| self.meta.cmp(&other.meta))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.meta.is_empty() {
            write!(f, "+{}", self.meta)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Version {
    type Err = ConstraintError;
    fn from_str(text: &str) -> Result<Version, ConstraintError> {
        Version::parse(text)
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// A constraint's operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    /// `~>` with one or two numbers: up to the next major.
    PessimisticMinor,
    /// `~>` with three numbers: up to the next minor.
    PessimisticPatch,
}

/// One constraint of a comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraint {
    pub(crate) operator: Operator,
    /// The version named, omitted parts as zero.
    pub version: Version,
}

impl Constraint {
    /// Whether `version` is in this constraint's range (pre-releases by precedence only: the
    /// rule that excludes them is over the whole set, see [`allows`]).
    fn contains(&self, version: &Version) -> bool {
        let bound = &self.version;
        let order = version.precedence(bound);
        match self.operator {
            Operator::Equal => version == bound,
            Operator::NotEqual => version != bound,
            Operator::Greater => order == Ordering::Greater,
            Operator::GreaterOrEqual => order != Ordering::Less,
            Operator::Less => order == Ordering::Less,
            Operator::LessOrEqual => order != Ordering::Greater,
            Operator::PessimisticMinor => {
                order != Ordering::Less && *version < Version::new(bound.major + 1, 0, 0)
            }
            Operator::PessimisticPatch => {
                order != Ordering::Less && *version < Version::new(bound.major, bound.minor + 1, 0)
            }
        }
    }
}

/// Whether `version` meets every constraint of `constraints` (the merged constraints of a
/// configuration and the modules it calls): as Terraform, a pre-release only when one of
/// them is `= <that pre-release>`. No constraint at all allows every release.
pub(crate) fn allows(constraints: &[Constraint], version: &Version) -> bool {
    constraints.iter().all(|c| c.contains(version))
        && (!version.is_prerelease()
            || constraints
                .iter()
                .any(|c| c.operator == Operator::Equal && c.version == *version))
}

/// A constraint string Terraform would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid version constraint {text:?}: {reason}")]
pub struct ConstraintError {
    pub text: String,
    pub reason: String,
}

/// Parses a `version` argument of `required_providers`: one or more comma-separated
/// constraints (an empty string: none, any version).
pub(crate) fn parse(text: &str) -> Result<Vec<Constraint>, ConstraintError> {
    let error = |reason: String| ConstraintError {
        text: text.to_string(),
        reason,
    };
    let mut constraints = Vec::new();
    let mut remain = text.trim();
    while !remain.is_empty() {
        let raw = scan(remain);
        let consumed = &remain[..remain.len() - raw.rest.len()];
        let constraint = raw
            .constraint()
            .map_err(|reason| error(format!("{consumed:?}: {reason}")))?;
        constraints.push(constraint);
        remain = raw.rest.trim();
        if !remain.is_empty() {
            if remain.starts_with('v') {
                return Err(error(
                    "a \"v\" prefix should not be used when specifying versions".into(),
                ));
            }
            let Some(after) = remain.strip_prefix(',') else {
                return Err(error(format!("missing comma after {:?}", consumed.trim())));
            };
            // As go-versions: a trailing comma is accepted.
            remain = after.trim();
        }
    }
    Ok(constraints)
}

/// One constraint split into its parts, as go-versions' scanner does: an operator (any run
/// of characters that are not digits, spaces, letters, `.` or `*`), a separator (spaces
/// and `v`), up to three dot-separated numbers, `-pre`, `+meta`, and what follows.
struct Raw<'a> {
    op: &'a str,
    sep: &'a str,
    nums: Vec<&'a str>,
    pre: &'a str,
    meta: &'a str,
    rest: &'a str,
}

fn scan(text: &str) -> Raw<'_> {
    let op_end = text
        .find(|c: char| {
            c.is_ascii_digit() || c.is_whitespace() || c.is_alphabetic() || c == '.' || c == '*'
        })
        .unwrap_or(text.len());
    let (op, rest) = text.split_at(op_end);
    let sep_end = rest
        .find(|c: char| !(c.is_whitespace() || c == 'v'))
        .unwrap_or(rest.len());
    let (sep, mut rest) = rest.split_at(sep_end);
    let mut nums = Vec::new();
    loop {
        let end = if rest.starts_with(['*', 'x', 'X']) {
            1
        } else {
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len())
        };
        if end == 0 {
            break;
        }
        nums.push(&rest[..end]);
        rest = &rest[end..];
        match rest.strip_prefix('.') {
            Some(after) if after.starts_with(|c: char| c.is_ascii_digit() || "*xX".contains(c)) => {
                rest = after
            }
            _ => break,
        }
    }
    let (mut pre, mut meta) = ("", "");
    if !nums.is_empty() {
        (pre, rest) = suffix('-', rest);
        (meta, rest) = suffix('+', rest);
    }
    Raw {
        op,
        sep,
        nums,
        pre,
        meta,
        rest,
    }
}

/// `-rc1` or `+build` at the start of `rest`: the part without its marker, and what follows.
fn suffix(marker: char, rest: &str) -> (&str, &str) {
    let Some(after) = rest.strip_prefix(marker) else {
        return ("", rest);
    };
    let end = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(after.len());
    if end == 0 {
        return ("", rest);
    }
    (&after[..end], &after[end..])
}

impl Raw<'_> {
    /// The numbers as a version, omitted parts as zero.
    fn version(&self) -> Result<Version, String> {
        if self.nums.is_empty() {
            return Err("no version number".into());
        }
        if self.nums.len() > 3 {
            return Err(
                "too many numbered portions; only three are allowed (major, minor, patch)".into(),
            );
        }
        let names = ["major", "minor", "patch"];
        let mut parts = [0u64; 3];
        for (i, num) in self.nums.iter().enumerate() {
            if num.starts_with(['*', 'x', 'X']) {
                return Err(format!(
                    "can't use wildcard for {} number; omit segments that should be unconstrained",
                    names[i]
                ));
            }
            parts[i] = num
                .parse()
                .map_err(|_| format!("the {} number {num} is too large", names[i]))?;
        }
        Ok(Version {
            major: parts[0],
            minor: parts[1],
            patch: parts[2],
            pre: self.pre.to_string(),
            meta: self.meta.to_string(),
        })
    }

    fn constraint(&self) -> Result<Constraint, String> {
        let operator = match self.op {
            "" | "=" => Operator::Equal,
            "!=" => Operator::NotEqual,
            ">" => Operator::Greater,
            ">=" => Operator::GreaterOrEqual,
            "<" => Operator::Less,
            "<=" => Operator::LessOrEqual,
            "~>" if self.nums.len() == 3 => Operator::PessimisticPatch,
            "~>" => Operator::PessimisticMinor,
            "=<" => return Err("invalid constraint operator \"=<\"; did you mean \"<=\"?".into()),
            "=>" => return Err("invalid constraint operator \"=>\"; did you mean \">=\"?".into()),
            other => return Err(format!("invalid constraint operator {other:?}")),
        };
        match self.sep {
            "" => {}
            " " if !self.op.is_empty() => {}
            sep if sep.contains('v') => {
                return Err("a \"v\" prefix should not be used when specifying versions".into());
            }
            _ if self.op.is_empty() => {
                return Err("extraneous spaces at start of specification".into());
            }
            _ => {
                return Err(format!(
                    "only one space is expected after the operator {:?}",
                    self.op
                ));
            }
        }
        Ok(Constraint {
            operator,
            version: self.version()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::parse(text).unwrap()
    }

    fn allowed(constraints: &str, version: &str) -> bool {
        allows(&parse(constraints).unwrap(), &v(version))
    }

    #[test]
    fn pessimistic_with_two_numbers_runs_to_the_next_major() {
        assert!(allowed("~> 0.94", "0.94.0"));
        assert!(allowed("~> 0.94", "0.95.0"));
        assert!(allowed("~> 0.94", "0.111.1"));
        assert!(!allowed("~> 0.94", "1.0.0"));
        assert!(!allowed("~> 0.94", "0.93.1"));
        assert!(allowed("~> 1", "1.9.0"));
        assert!(!allowed("~> 1", "2.0.0"));
    }

    #[test]
    fn pessimistic_with_three_numbers_runs_to_the_next_minor() {
        assert!(allowed("~> 0.94.0", "0.94.0"));
        assert!(allowed("~> 0.94.0", "0.94.7"));
        assert!(!allowed("~> 0.94.0", "0.95.0"));
        assert!(allowed("~> 4.2.1", "4.2.5"));
        assert!(!allowed("~> 4.2.1", "4.2.0"));
        assert!(!allowed("~> 4.2.1", "4.3.0"));
    }

    #[test]
    fn comma_separated_constraints_must_all_hold() {
        assert!(allowed(">= 0.66, < 1.0", "0.66.0"));
        assert!(allowed(">= 0.66, < 1.0", "0.111.1"));
        assert!(!allowed(">= 0.66, < 1.0", "0.65.9"));
        assert!(!allowed(">= 0.66, < 1.0", "1.0.0"));
        assert!(!allowed(">= 0.66, != 0.70.0", "0.70.0"));
        assert!(allowed(">= 0.66, != 0.70.0", "0.70.1"));
        assert!(allowed(">0.66,<=0.70", "0.70.0"));
        assert!(!allowed(">0.66,<=0.70", "0.66.0"));
    }

    #[test]
    fn a_prerelease_is_selected_only_by_an_exact_constraint() {
        assert!(allowed("= 0.95.0-rc1", "0.95.0-rc1"));
        assert!(allowed("0.95.0-rc1", "0.95.0-rc1"));
        assert!(!allowed(">= 0.94.0", "0.95.0-rc1"));
        assert!(!allowed("~> 0.95.0-rc1", "0.95.0-rc1"));
        assert!(!allowed("~> 0.95", "0.95.1-rc1"));
        assert!(!allowed("", "0.95.1-rc1"));
        assert!(allowed(">= 0.95.0-rc1, = 0.95.0-rc1", "0.95.0-rc1"));
        assert!(!allowed("= 0.95.0-rc1, < 0.95.0-rc1", "0.95.0-rc1"));
        // The release is above its pre-releases.
        assert!(allowed("> 0.95.0-rc1", "0.95.0"));
        assert!(allowed("~> 0.95.0-rc1", "0.95.3"));
        assert!(v("0.95.0-rc1") < v("0.95.0"));
        assert!(v("0.95.0-rc.2") < v("0.95.0-rc.10"));
        assert!(v("0.95.0-1") < v("0.95.0-alpha"));
    }

    #[test]
    fn omitted_parts_are_zero() {
        assert!(allowed("= 0.94", "0.94.0"));
        assert!(!allowed("= 0.94", "0.94.1"));
        assert!(allowed(">= 1", "1.0.0"));
        assert!(allowed("0.94.0", "0.94.0"));
        assert!(allowed("0.94.0,", "0.94.0"));
    }

    #[test]
    fn no_constraint_allows_every_release() {
        assert_eq!(parse("").unwrap(), Vec::new());
        assert_eq!(parse("  ").unwrap(), Vec::new());
        assert!(allowed("", "0.1.0"));
    }

    #[test]
    fn what_terraform_refuses_is_refused() {
        for bad in [
            "~> v0.94",
            "v0.94.0",
            ">= 0.94.*",
            "0.94.x",
            "1.2.3.4",
            "=> 0.94",
            "=< 0.94",
            "~= 0.94",
            "^0.94",
            ">=  0.94",
            " > 0.9 < 1.0",
            "> 0.9 < 1.0",
            ">=",
            "latest",
            "~> 0.94.0 || ~> 0.95.0",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
        let error = parse("~> 0.94.0, ~> v0.95").unwrap_err();
        assert_eq!(error.text, "~> 0.94.0, ~> v0.95");
    }

    #[test]
    fn a_version_reads_like_a_lock_file_writes_it() {
        assert_eq!(v("0.95.1-rc1").to_string(), "0.95.1-rc1");
        assert_eq!(v("1.2.3+build.5").meta, "build.5");
        assert!(Version::parse(">= 1.0.0").is_err());
        assert!(Version::parse("1.0.0 ").is_err());
        assert!(Version::parse("one").is_err());
    }
}
