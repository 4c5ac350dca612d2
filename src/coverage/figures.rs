//! The coverage of a run in a few numbers: one line per layer in the run's closing summary,
//! the page's "What is tested" header and one entry of `reports/history.json`.

use serde::{Deserialize, Serialize};

use super::model::Coverage;

/// How many of a layer's items a case covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    pub(crate) covered: u32,
    pub(crate) total: u32,
}

impl Ratio {
    fn of<T>(items: &[T], covered: impl Fn(&T) -> bool) -> Ratio {
        Ratio {
            covered: items.iter().filter(|i| covered(i)).count() as u32,
            total: items.len() as u32,
        }
    }

    /// The covered share in percent (0 when there is nothing to cover).
    pub(crate) fn percent(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            f64::from(self.covered) * 100.0 / f64::from(self.total)
        }
    }
}

impl std::fmt::Display for Ratio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.covered, self.total)
    }
}

/// The figures of one run's coverage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Alerting rules with a firing case.
    pub(crate) alerts_firing: Ratio,
    /// Alerting rules with a firing and a quiet case.
    pub(crate) alerts_tested: Ratio,
    /// Terraform elements a test run touches.
    pub terraform: Ratio,
    /// Bash functions a BATS test executed.
    pub bash_functions: Ratio,
    /// Executable Bash lines a BATS test executed.
    pub(crate) bash_lines: Ratio,
    /// Textfile metrics whose publishing code a BATS test runs.
    pub textfile: Ratio,
}

impl Figures {
    pub fn of(coverage: &Coverage) -> Figures {
        Figures {
            alerts_firing: Ratio::of(&coverage.alerts, |r| !r.firing.is_empty()),
            alerts_tested: Ratio::of(&coverage.alerts, |r| {
                !r.firing.is_empty() && !r.quiet.is_empty()
            }),
            terraform: Ratio::of(&coverage.terraform, |e| !e.covered_by.is_empty()),
            bash_functions: Ratio::of(&coverage.bash, |f| !f.executed_by.is_empty()),
            bash_lines: Ratio {
                covered: coverage.bash_files.iter().map(|f| f.executed).sum(),
                total: coverage.bash_files.iter().map(|f| f.executable).sum(),
            },
            textfile: Ratio::of(&coverage.textfile, |m| !m.executed_by.is_empty()),
        }
    }

    /// One line per layer, e.g. `alerts: 23/28 with a firing case, 19 with a quiet case too`.
    pub fn lines(&self) -> Vec<String> {
        let alerts = if self.alerts_firing.total == 0 {
            "alerts: no alerting rule found".to_string()
        } else {
            format!(
                "alerts: {} with a firing case, {} with a quiet case too",
                self.alerts_firing, self.alerts_tested.covered
            )
        };
        let terraform = if self.terraform.total == 0 {
            "terraform: no module element found".to_string()
        } else {
            format!(
                "terraform: {} elements touched by a test run",
                self.terraform
            )
        };
        let bash = if self.bash_functions.total == 0 {
            "bash: no function found".to_string()
        } else {
            format!(
                "bash: {} functions executed by a BATS test, {} lines ({:.1} %)",
                self.bash_functions,
                self.bash_lines,
                self.bash_lines.percent()
            )
        };
        let textfile = if self.textfile.total == 0 {
            "textfile: no alert reads a textfile metric".to_string()
        } else {
            format!(
                "textfile: {} metrics published by code a BATS test runs",
                self.textfile
            )
        };
        vec![alerts, terraform, bash, textfile]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::model::{
        CaseKind, CaseRef, FileLines, FunctionCoverage, RuleCoverage, RuleStatus,
    };

    fn case() -> CaseRef {
        CaseRef {
            kind: CaseKind::Scenario,
            name: "s".into(),
            file: "features/a.feature".into(),
            line: Some(3),
        }
    }

    fn rule(firing: bool, quiet: bool) -> RuleCoverage {
        let firing: Vec<CaseRef> = if firing { vec![case()] } else { vec![] };
        let quiet: Vec<CaseRef> = if quiet { vec![case()] } else { vec![] };
        RuleCoverage {
            alert: "A".into(),
            file: "r.yml".into(),
            line: None,
            status: RuleStatus::of(&firing, &quiet),
            firing,
            quiet,
        }
    }

    #[test]
    fn each_layer_counts_what_a_case_covers() {
        let coverage = Coverage {
            alerts: vec![rule(true, true), rule(true, false), rule(false, true)],
            bash: vec![FunctionCoverage {
                function: "f".into(),
                file: "lib.sh".into(),
                line: 1,
                executed_by: vec![],
            }],
            bash_files: vec![FileLines {
                file: "lib.sh".into(),
                executable: 8,
                executed: 2,
                missed: vec![],
            }],
            ..Coverage::default()
        };
        let figures = Figures::of(&coverage);
        assert_eq!(
            figures.alerts_firing,
            Ratio {
                covered: 2,
                total: 3
            }
        );
        assert_eq!(
            figures.alerts_tested,
            Ratio {
                covered: 1,
                total: 3
            }
        );
        let lines = figures.lines();
        assert_eq!(
            lines[0],
            "alerts: 2/3 with a firing case, 1 with a quiet case too"
        );
        assert_eq!(lines[1], "terraform: no module element found");
        assert_eq!(
            lines[2],
            "bash: 0/1 functions executed by a BATS test, 2/8 lines (25.0 %)"
        );
    }
}
