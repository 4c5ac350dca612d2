//! Every `SPEC_*` variable, read and validated once at start.
//!
//! A bad value is a [`SettingsError`] naming the variable, the value and what is accepted;
//! the test runner (`tests/acceptance.rs`, the only place that exits) reports it and stops
//! with status 2 before any scenario starts, instead of it showing up mid-run as many
//! failing scenarios or being silently ignored. The settings are then passed down (in
//! [`crate::suite::Suite`]), never read again from the environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::shard::Shard;
use crate::spec_root::{SpecRoot, SpecRootError};

/// One setting: its variable, its default and what it is for (the README's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub accepted: &'static str,
}

pub const SPEC_ROOT: Variable = Variable {
    name: "SPEC_ROOT",
    default: "the crate root",
    accepted: "an existing directory: a checkout of the homelab repository",
};
pub const SPEC_REPORTS: Variable = Variable {
    name: "SPEC_REPORTS",
    default: "reports/ in the crate root",
    accepted: "a directory the reports can be written to",
};
pub(crate) const SPEC_TF_PROVIDERS: Variable = Variable {
    name: "SPEC_TF_PROVIDERS",
    default: "offline",
    accepted: "\"offline\" (bundled schema-only providers, no network) or \"registry\" (real providers through terraform init)",
};
pub(crate) const SPEC_OFFLINE_PROVIDER: Variable = Variable {
    name: "SPEC_OFFLINE_PROVIDER",
    default: "the newest target/{release,debug}/tf-offline-provider",
    accepted: "the path of an existing tf-offline-provider binary",
};
pub(crate) const SPEC_TF_TIMEOUT: Variable = Variable {
    name: "SPEC_TF_TIMEOUT",
    default: "300",
    accepted: "a whole number of seconds above 0",
};
pub(crate) const SPEC_TF_JOBS: Variable = Variable {
    name: "SPEC_TF_JOBS",
    default: "2 x CPUs",
    accepted: "a whole number above 0",
};
pub const SPEC_VERBOSE: Variable = Variable {
    name: "SPEC_VERBOSE",
    default: "0",
    accepted: "0 (the console shows scenarios, verdicts and the summary) or 1 (each step's diagnostics too, on stderr)",
};

pub const SPEC_SHARD: Variable = Variable {
    name: "SPEC_SHARD",
    default: "1/1 (everything)",
    accepted: "K/N with whole numbers 1 <= K <= N: run shard K of N (docs/shards.md)",
};

/// Every variable the suite reads, in the README's order.
pub const ALL: [Variable; 8] = [
    SPEC_ROOT,
    SPEC_REPORTS,
    SPEC_TF_PROVIDERS,
    SPEC_OFFLINE_PROVIDER,
    SPEC_TF_TIMEOUT,
    SPEC_TF_JOBS,
    SPEC_SHARD,
    SPEC_VERBOSE,
];

/// How Terraform gets its providers (`SPEC_TF_PROVIDERS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderSource {
    /// The bundled schema-only providers, through `dev_overrides` (no network).
    Offline,
    /// The real providers from the Terraform registry, through `terraform init` (network).
    Registry,
}

/// A variable whose value the suite cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Root(#[from] SpecRootError),
    #[error("{name}={value:?} is not accepted: expected {accepted}")]
    Invalid {
        name: &'static str,
        value: String,
        accepted: &'static str,
    },
}

/// The validated settings of this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub root: SpecRoot,
    pub reports: PathBuf,
    pub tf_providers: ProviderSource,
    /// `SPEC_OFFLINE_PROVIDER` when set; else the newest build is looked up.
    pub offline_provider: Option<PathBuf>,
    pub(crate) tf_timeout: Duration,
    pub(crate) tf_jobs: usize,
    /// `SPEC_SHARD`: which share of the external runs this run makes.
    pub shard: Shard,
    /// `SPEC_VERBOSE=1`: each step's diagnostics go to stderr as well as to the reports.
    pub verbose: bool,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_lookup(
            |name| std::env::var_os(name),
            Path::new(env!("CARGO_MANIFEST_DIR")),
        )
    }

    /// Reads the variables through `lookup` (tests pass a map); `crate_root` is the default
    /// repository under test and holds the default reports directory.
    pub(crate) fn from_lookup(
        lookup: impl Fn(&str) -> Option<OsString>,
        crate_root: &Path,
    ) -> Result<Settings, SettingsError> {
        let text = |var: Variable| -> Result<Option<String>, SettingsError> {
            match lookup(var.name) {
                None => Ok(None),
                Some(raw) => match raw.into_string() {
                    Ok(s) if s.trim().is_empty() => Ok(None),
                    Ok(s) => Ok(Some(s)),
                    Err(raw) => Err(invalid(var, &raw.to_string_lossy())),
                },
            }
        };
        let root = SpecRoot::resolve(text(SPEC_ROOT)?.as_deref(), crate_root)?;
        let reports = text(SPEC_REPORTS)?
            .map(PathBuf::from)
            .unwrap_or_else(|| crate_root.join("reports"));
        if reports.exists() && !reports.is_dir() {
            return Err(invalid(SPEC_REPORTS, &reports.display().to_string()));
        }
        let tf_providers = match text(SPEC_TF_PROVIDERS)?.as_deref().map(str::trim) {
            None | Some("offline") => ProviderSource::Offline,
            Some("registry") => ProviderSource::Registry,
            Some(other) => return Err(invalid(SPEC_TF_PROVIDERS, other)),
        };
        let offline_provider = match text(SPEC_OFFLINE_PROVIDER)? {
            None => None,
            Some(path) if Path::new(&path).is_file() => Some(PathBuf::from(path)),
            Some(path) => return Err(invalid(SPEC_OFFLINE_PROVIDER, &path)),
        };
        let tf_timeout = match text(SPEC_TF_TIMEOUT)? {
            None => Duration::from_secs(300),
            Some(v) => Duration::from_secs(positive(SPEC_TF_TIMEOUT, &v)? as u64),
        };
        let tf_jobs = match text(SPEC_TF_JOBS)? {
            None => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
            Some(v) => positive(SPEC_TF_JOBS, &v)?,
        };
        let shard = match text(SPEC_SHARD)? {
            None => Shard::ALL,
            Some(v) => Shard::parse(&v).ok_or_else(|| invalid(SPEC_SHARD, &v))?,
        };
        let verbose = match text(SPEC_VERBOSE)?.as_deref().map(str::trim) {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => return Err(invalid(SPEC_VERBOSE, other)),
        };
        Ok(Settings {
            shard,
            verbose,
            root,
            reports,
            tf_providers,
            offline_provider,
            tf_timeout,
            tf_jobs,
        })
    }
}

fn invalid(var: Variable, value: &str) -> SettingsError {
    SettingsError::Invalid {
        name: var.name,
        value: value.to_string(),
        accepted: var.accepted,
    }
}

fn positive(var: Variable, value: &str) -> Result<usize, SettingsError> {
    value
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid(var, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let root = tempfile::tempdir().unwrap();
        let root = root.keep();
        Settings::from_lookup(|name| map.get(name).cloned(), &root)
    }

    #[test]
    fn nothing_set_means_the_defaults() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings.tf_providers, ProviderSource::Offline);
        assert_eq!(settings.tf_timeout, Duration::from_secs(300));
        assert!(settings.tf_jobs >= 2);
        assert_eq!(settings.offline_provider, None);
        assert_eq!(settings.shard, Shard::ALL);
    }

    #[test]
    fn every_bad_value_names_its_variable() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let file = file.path().to_str().unwrap().to_string();
        let cases = [
            ("SPEC_TF_JOBS", "abc"),
            ("SPEC_TF_JOBS", "0"),
            ("SPEC_TF_TIMEOUT", "-5"),
            ("SPEC_TF_TIMEOUT", "10s"),
            ("SPEC_TF_PROVIDERS", "mirror"),
            ("SPEC_OFFLINE_PROVIDER", "/no/such/binary"),
            ("SPEC_REPORTS", file.as_str()),
            ("SPEC_SHARD", "0/3"),
            ("SPEC_SHARD", "4/3"),
            ("SPEC_SHARD", "2"),
            ("SPEC_SHARD", "one/three"),
            ("SPEC_VERBOSE", "yes"),
        ];
        for (name, value) in cases {
            match read(&[(name, value)]) {
                Err(SettingsError::Invalid {
                    name: got,
                    value: v,
                    ..
                }) => {
                    assert_eq!((got, v.as_str()), (name, value));
                }
                other => panic!("{name}={value}: expected an error, got {other:?}"),
            }
        }
        assert!(matches!(
            read(&[("SPEC_ROOT", "/no/such/checkout")]),
            Err(SettingsError::Root(_))
        ));
    }

    #[test]
    fn good_values_are_taken() {
        let settings = read(&[
            ("SPEC_TF_JOBS", " 3 "),
            ("SPEC_TF_TIMEOUT", "20"),
            ("SPEC_TF_PROVIDERS", "registry"),
            ("SPEC_SHARD", "2/3"),
        ])
        .unwrap();
        assert_eq!(settings.shard, Shard { index: 2, count: 3 });
        assert_eq!(settings.tf_jobs, 3);
        assert_eq!(settings.tf_timeout, Duration::from_secs(20));
        assert_eq!(settings.tf_providers, ProviderSource::Registry);
    }
}
