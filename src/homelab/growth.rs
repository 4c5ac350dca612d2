//! Named changes to a copy of the repository ([`super::copy`]): the ways a homelab grows
//! (one more alert, module, rules file or BATS file) and the ways its layout can break.
//! The growth scenarios apply one and check that the suite, unchanged, checks the new
//! part. Each change fails when what it changes is not there, so that a variant can never
//! silently equal the original.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::terraform_dirs::MODULES_DIR;

/// The module that deploys the alert rules, relative to the root.
pub const MONITORING_MODULE: &str = "infrastructure/proxmox/modules/monitoring-stack";
/// The rules file it deploys today, relative to the root.
pub const RULES_FILE: &str =
    "infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/default.yml";
/// The module the module growth cases add.
pub(crate) const NEW_MODULE: &str = "tooling-stack";
/// The second rules file the monitoring stack is made to deploy, relative to the root.
pub const SECOND_RULES_FILE: &str =
    "infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/tooling.yml";
/// The `.tf` file of the copy that deploys it.
pub(crate) const SECOND_RULES_TF: &str =
    "infrastructure/proxmox/modules/monitoring-stack/tooling.tf";
/// The template of a second rules file, rendered by `templatefile()`, relative to the root.
pub(crate) const TEMPLATED_RULES_FILE: &str =
    "infrastructure/proxmox/modules/monitoring-stack/files/prometheus/alerts/tooling.yml.tftpl";
/// A metric no exporter of the homelab has, used by the second rules file.
pub(crate) const UNKNOWN_METRIC: &str = "tooling_ci_queue_depth";
/// The alert of the second rules file that selects it.
pub const UNKNOWN_METRIC_ALERT: &str = "ToolingQueueStuck";
/// The script that publishes through `printf` into a temporary file moved into place.
pub(crate) const PRINTF_SCRIPT: &str = "scripts/ops/pve-drift.sh";
/// The script that publishes through `tee`.
pub(crate) const TEE_SCRIPT: &str = "scripts/ops/zfs-scrub.sh";
/// The alert on the printf script's metric, matching one of its labels.
pub const PUBLISHED_LABEL_ALERT: &str = "PveConfigurationDrifted";
/// The label the broken variant matches on, which no script writes.
pub(crate) const UNWRITTEN_LABEL: &str = "cluster";
/// The BATS file the BATS cases add, relative to the root.
pub(crate) const NEW_BATS_FILE: &str = "tests/tooling/test_tooling.bats";
/// The environment the environment growth case adds, relative to the root.
pub(crate) const NEW_ENVIRONMENT: &str = "infrastructure/proxmox/environments/prod";
/// The shared file it links in, relative to the root.
pub(crate) const SHARED_VERSIONS: &str = "infrastructure/proxmox/shared/versions.tf";
/// The module directory without `.tf` files the bad-input case adds.
pub(crate) const EMPTY_MODULE: &str = "notes";
/// The link the link cases add, relative to the root.
pub(crate) const BAD_LINK: &str = "infrastructure/proxmox/modules/vm/shared.tf";
/// The template modules read from outside their directory, relative to the root.
pub(crate) const SHARED_TEMPLATE: &str = "infrastructure/proxmox/shared/motd.tpl";
/// The file an environment reads through `path.root`, relative to the root.
pub(crate) const SHARED_BANNER: &str = "infrastructure/proxmox/shared/banner.txt";
/// The BATS file that runs from the root, its script and its helper, relative to the root.
pub(crate) const ROOT_BATS_FILE: &str = "tests/tooling/test_from_root.bats";
pub(crate) const ROOT_BATS_SCRIPT: &str = "scripts/tooling/greet.sh";
pub(crate) const ROOT_BATS_HELPER: &str = "tests/tooling/helpers.bash";
/// The two BATS files that write a relative file each.
pub(crate) const WRITING_BATS_FILES: [&str; 2] = [
    "tests/tooling/test_writes_a.bats",
    "tests/tooling/test_writes_b.bats",
];
/// The module whose provider requirements the `terraform init` cases change or call.
pub(crate) const PINNED_MODULE: &str = "infrastructure/proxmox/modules/vm";
/// The module pinned to a newer provider release the pin case adds.
pub(crate) const PINNED_RELEASE_MODULE: &str = "cluster-options";
/// The environment the provider bump case adds, relative to the root.
pub(crate) const BUMPED_ENVIRONMENT: &str = "infrastructure/proxmox/environments/bumped";

/// One change, by the words a feature file names it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepositoryChange {
    /// `a valid alert NodeClockSkew is added`: a new group with one complete alert on
    /// `node_timex_offset_seconds`, appended to the deployed rules file.
    ValidNewAlert,
    /// `a recording group evaluated every 5 minutes is added`: a group with `interval: 5m`,
    /// longer than a test waits for Prometheus to evaluate it, appended to the rules file.
    SlowRecordingGroup,
    /// `a module without a regression file is added`: `tooling-stack`, with `.tf` files
    /// and a test file, but no `tests/regression.tftest.hcl`.
    ModuleWithoutRegressionFile,
    /// `a module with complete tests is added`: `tooling-stack`, with a regression file
    /// whose run only plans, asserts and names its release.
    ModuleWithCompleteTests,
    /// `the monitoring stack deploys a second rules file with a metric no exporter has`.
    SecondRulesFileWithUnknownMetric,
    /// `the monitoring stack deploys a second rules file rendered through templatefile()`:
    /// its threshold is a template variable with a module variable's default.
    TemplatedRulesFile,
    /// `an environment with tests that composes a new module is added`: `prod` calls
    /// `../../modules/tooling-stack` (added complete) and links `versions.tf` in from
    /// `infrastructure/proxmox/shared/`.
    EnvironmentWithTests,
    /// `scripts publish metrics through printf and tee, and a second rules file alerts on
    /// them with their labels`: two scripts under `scripts/ops/` that do not use the textfile
    /// library, and a deployed rules file on their metrics.
    ScriptsPublishWithoutTheLibrary,
    /// The same, but one alert matches a label the scripts never write.
    AlertOnALabelNoScriptWrites,
    /// `a BATS file with a failing test is added`.
    BatsFileWithFailingTest,
    /// `a BATS file that does not parse is added`.
    BatsFileThatDoesNotParse,
    /// `the modules directory is removed`.
    NoModulesDirectory,
    /// `a module directory without .tf files is added`.
    ModuleWithoutTerraform,
    /// `the deployed rules file is removed`.
    RulesFileRemoved,
    /// `a module links to a file that does not exist`.
    LinkToNowhere,
    /// `a module links to a file outside the repository`.
    LinkOutside,
    /// `a module deploys two exporter containers without catalogs and alerts on their
    /// metrics`: `edge-stack`, a compose template with `traefik` and `step-ca` images,
    /// scrape jobs `traefik` and `ca`, and a rules file on their metrics.
    ExportersWithoutCatalog,
    /// `a module reads a shared template through ../../shared`: `tooling-stack` (complete)
    /// renders `${path.module}/../../shared/motd.tpl`, and a test asserts what it renders.
    ModuleReadsSharedTemplate,
    /// `a module reads a template through a linked shared directory`: `tooling-stack`
    /// (complete) links `shared -> ../../shared` and renders `${path.module}/shared/motd.tpl`.
    ModuleReadsLinkedDirectory,
    /// `an environment reads a file through path.root`: the environment of
    /// [`RepositoryChange::EnvironmentWithTests`] also reads
    /// `${path.root}/../../shared/banner.txt`.
    EnvironmentReadsPathRoot,
    /// `a BATS file names its script relative to the root and loads a helper from the
    /// root`, as the homelab's CI runs it (`bats tests/...` from the root).
    BatsFileFromTheRoot,
    /// `two BATS files write the same relative file`: each writes a file of its own at the
    /// root and expects to find no other's: in a shared tree, whichever runs second fails.
    BatsFilesWritingRelativeFiles,
    /// `an environment's provider constraint and lock file are bumped past its modules'`:
    /// `bumped` calls the vm module (`bpg/proxmox ~> 0.94.0`) but requires `~> 0.95.0` and
    /// locks 0.95.0, as a dependency bot leaves it.
    ProviderBumpedPastModules,
    /// `a module's provider constraint does not parse`: the vm module's first `version`
    /// constraint gets a `v` prefix, which Terraform refuses.
    ConstraintDoesNotParse,
    /// `a module's lock file does not parse`: the vm module gets a cut-off lock file.
    LockFileDoesNotParse,
    /// `a module pinned to bpg/proxmox 0.111.1 with a resource only that release has is
    /// added`: `cluster-options` manages `proxmox_cluster_options`, which 0.94.0 lacks.
    ModulePinnedToNewerRelease,
}

/// The changes' sentences, for a step's parameter and for error messages.
pub const SENTENCES: [(&str, RepositoryChange); 26] = [
    (
        "a valid alert NodeClockSkew is added",
        RepositoryChange::ValidNewAlert,
    ),
    (
        "a recording group evaluated every 5 minutes is added",
        RepositoryChange::SlowRecordingGroup,
    ),
    (
        "a module without a regression file is added",
        RepositoryChange::ModuleWithoutRegressionFile,
    ),
    (
        "a module with complete tests is added",
        RepositoryChange::ModuleWithCompleteTests,
    ),
    (
        "the monitoring stack deploys a second rules file with a metric no exporter has",
        RepositoryChange::SecondRulesFileWithUnknownMetric,
    ),
    (
        "the monitoring stack deploys a second rules file rendered through templatefile()",
        RepositoryChange::TemplatedRulesFile,
    ),
    (
        "an environment with tests that composes a new module is added",
        RepositoryChange::EnvironmentWithTests,
    ),
    (
        "scripts publish metrics through printf and tee, and a second rules file alerts on them with their labels",
        RepositoryChange::ScriptsPublishWithoutTheLibrary,
    ),
    (
        "scripts publish metrics through printf and tee, and a second rules file alerts on a label they never write",
        RepositoryChange::AlertOnALabelNoScriptWrites,
    ),
    (
        "a BATS file with a failing test is added",
        RepositoryChange::BatsFileWithFailingTest,
    ),
    (
        "a BATS file that does not parse is added",
        RepositoryChange::BatsFileThatDoesNotParse,
    ),
    (
        "the modules directory is removed",
        RepositoryChange::NoModulesDirectory,
    ),
    (
        "a module directory without .tf files is added",
        RepositoryChange::ModuleWithoutTerraform,
    ),
    (
        "the deployed rules file is removed",
        RepositoryChange::RulesFileRemoved,
    ),
    (
        "a module links to a file that does not exist",
        RepositoryChange::LinkToNowhere,
    ),
    (
        "a module links to a file outside the repository",
        RepositoryChange::LinkOutside,
    ),
    (
        "a module deploys two exporter containers without catalogs and alerts on their metrics",
        RepositoryChange::ExportersWithoutCatalog,
    ),
    (
        "a module reads a shared template through ../../shared",
        RepositoryChange::ModuleReadsSharedTemplate,
    ),
    (
        "a module reads a template through a linked shared directory",
        RepositoryChange::ModuleReadsLinkedDirectory,
    ),
    (
        "an environment reads a file through path.root",
        RepositoryChange::EnvironmentReadsPathRoot,
    ),
    (
        "a BATS file names its script relative to the root and loads a helper from the root",
        RepositoryChange::BatsFileFromTheRoot,
    ),
    (
        "two BATS files write the same relative file",
        RepositoryChange::BatsFilesWritingRelativeFiles,
    ),
    (
        "an environment's provider constraint and lock file are bumped past its modules'",
        RepositoryChange::ProviderBumpedPastModules,
    ),
    (
        "a module's provider constraint does not parse",
        RepositoryChange::ConstraintDoesNotParse,
    ),
    (
        "a module's lock file does not parse",
        RepositoryChange::LockFileDoesNotParse,
    ),
    (
        "a module pinned to bpg/proxmox 0.111.1 with a resource only that release has is added",
        RepositoryChange::ModulePinnedToNewerRelease,
    ),
];

/// The module the exporter growth cases add.
pub(crate) const EDGE_MODULE: &str = "infrastructure/proxmox/modules/edge-stack";
/// The alert on a metric the deployed node-exporter release no longer has.
pub const REMOVED_METRIC_ALERT: &str = "NodeMetricOfAnOlderRelease";

/// The monitoring stack runs node-exporter at a release that no longer has a metric an
/// alert uses: a compose file of `edge-stack` deploys `release`, and a rules file alerts on
/// `metric` ([`REMOVED_METRIC_ALERT`]). Which release and metric depends on the catalogs, so
/// a step of its own makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExporterRelease {
    pub release: String,
    pub metric: String,
}

impl ExporterRelease {
    pub(crate) const SENTENCE: &str = "the monitoring stack runs a node-exporter release that no longer has a metric an alert uses";
    /// The finding a catalog check of the changed copy reports.
    pub(crate) const EXPECTED: &str = "catalog/removed-metric";

    /// Makes the change in the copy at `root`.
    pub(crate) fn deploy(&self, root: &Path) -> Result<(), ChangeError> {
        existing(&root.join(MONITORING_MODULE))?;
        let dir = root.join(EDGE_MODULE);
        write(
            &dir.join("files/compose.yml"),
            &format!(
                "services:\n  node-exporter:\n    image: prom/node-exporter:v{}\n",
                self.release
            ),
        )?;
        write(
            &dir.join("files/prometheus/alerts/edge.yml"),
            &REMOVED_METRIC_RULES.replace("METRIC", &self.metric),
        )?;
        write(&dir.join("main.tf"), RELEASE_MODULE_MAIN)
    }
}

/// A sentence no change is known by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no change to the repository is known as {0:?}")]
pub struct UnknownRepositoryChange(pub String);

impl FromStr for RepositoryChange {
    type Err = UnknownRepositoryChange;

    fn from_str(text: &str) -> Result<RepositoryChange, UnknownRepositoryChange> {
        SENTENCES
            .iter()
            .find(|(sentence, _)| *sentence == text)
            .map(|(_, change)| *change)
            .ok_or_else(|| UnknownRepositoryChange(text.to_string()))
    }
}

/// Why a change could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("cannot change {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the copy has no {0}: the change has nothing to change")]
    NothingToChange(String),
}

impl RepositoryChange {
    /// The sentence of the change.
    pub fn sentence(self) -> &'static str {
        SENTENCES
            .iter()
            .find(|(_, change)| *change == self)
            .map_or("", |(sentence, _)| sentence)
    }

    /// Applies the change to the copy at `root`.
    pub fn apply(self, root: &Path) -> Result<(), ChangeError> {
        let modules = root.join(MODULES_DIR);
        match self {
            RepositoryChange::ValidNewAlert => {
                let text = read(&root.join(RULES_FILE))?;
                write(&root.join(RULES_FILE), &format!("{text}{NEW_ALERT_GROUP}"))
            }
            RepositoryChange::SlowRecordingGroup => {
                let text = read(&root.join(RULES_FILE))?;
                write(
                    &root.join(RULES_FILE),
                    &format!("{text}{SLOW_RECORDING_GROUP}"),
                )
            }
            RepositoryChange::ModuleWithoutRegressionFile => {
                let dir = modules.join(NEW_MODULE);
                write(&dir.join("main.tf"), NEW_MODULE_MAIN)?;
                write(&dir.join("tests/outputs.tftest.hcl"), NEW_MODULE_OTHER_TEST)
            }
            RepositoryChange::ModuleWithCompleteTests => {
                let dir = modules.join(NEW_MODULE);
                write(&dir.join("main.tf"), NEW_MODULE_MAIN)?;
                write(&dir.join("tests/outputs.tftest.hcl"), NEW_MODULE_OTHER_TEST)?;
                write(
                    &dir.join("tests/regression.tftest.hcl"),
                    NEW_MODULE_REGRESSION,
                )
            }
            RepositoryChange::EnvironmentWithTests => {
                RepositoryChange::ModuleWithCompleteTests.apply(root)?;
                let env = root.join(NEW_ENVIRONMENT);
                write(&root.join(SHARED_VERSIONS), SHARED_VERSIONS_TF)?;
                write(&env.join("main.tf"), ENVIRONMENT_MAIN)?;
                write(&env.join("tests/plan.tftest.hcl"), ENVIRONMENT_TEST)?;
                let link = env.join("versions.tf");
                std::os::unix::fs::symlink("../../shared/versions.tf", &link).map_err(io(&link))
            }
            RepositoryChange::SecondRulesFileWithUnknownMetric => {
                existing(&root.join(MONITORING_MODULE))?;
                write(&root.join(SECOND_RULES_FILE), SECOND_RULES)?;
                write(&root.join(SECOND_RULES_TF), SECOND_RULES_READER)
            }
            RepositoryChange::TemplatedRulesFile => {
                existing(&root.join(MONITORING_MODULE))?;
                write(&root.join(TEMPLATED_RULES_FILE), TEMPLATED_RULES)?;
                write(&root.join(SECOND_RULES_TF), TEMPLATED_RULES_READER)
            }
            RepositoryChange::ScriptsPublishWithoutTheLibrary
            | RepositoryChange::AlertOnALabelNoScriptWrites => {
                existing(&root.join(MONITORING_MODULE))?;
                write(&root.join(PRINTF_SCRIPT), PRINTF_PUBLISHER)?;
                write(&root.join(TEE_SCRIPT), TEE_PUBLISHER)?;
                let rules = if self == RepositoryChange::ScriptsPublishWithoutTheLibrary {
                    PUBLISHED_METRIC_RULES.to_string()
                } else {
                    PUBLISHED_METRIC_RULES.replace(
                        "pve_drift_status{env=\"prod\"}",
                        &format!("pve_drift_status{{{UNWRITTEN_LABEL}=\"prod\"}}"),
                    )
                };
                write(&root.join(SECOND_RULES_FILE), &rules)?;
                write(&root.join(SECOND_RULES_TF), SECOND_RULES_READER)
            }
            RepositoryChange::BatsFileWithFailingTest => {
                write(&root.join(NEW_BATS_FILE), FAILING_BATS)
            }
            RepositoryChange::BatsFileThatDoesNotParse => {
                write(&root.join(NEW_BATS_FILE), UNPARSABLE_BATS)
            }
            RepositoryChange::NoModulesDirectory => {
                existing(&modules)?;
                std::fs::remove_dir_all(&modules).map_err(io(&modules))
            }
            RepositoryChange::ModuleWithoutTerraform => write(
                &modules.join(EMPTY_MODULE).join("README.md"),
                "Notes, not a Terraform module.\n",
            ),
            RepositoryChange::RulesFileRemoved => {
                let file = root.join(RULES_FILE);
                existing(&file)?;
                std::fs::remove_file(&file).map_err(io(&file))
            }
            RepositoryChange::LinkToNowhere => link(root, "../../shared/nowhere.tf"),
            RepositoryChange::LinkOutside => link(root, "/etc/hostname"),
            RepositoryChange::ExportersWithoutCatalog => {
                existing(&modules)?;
                let dir = root.join(EDGE_MODULE);
                write(&dir.join("main.tf"), EDGE_MODULE_MAIN)?;
                write(&dir.join("files/compose.yml.tftpl"), EDGE_COMPOSE)?;
                write(&dir.join("files/prometheus/alerts/edge.yml"), EDGE_RULES)?;
                write(&dir.join("tests/regression.tftest.hcl"), EDGE_REGRESSION)
            }
            RepositoryChange::ModuleReadsSharedTemplate => {
                RepositoryChange::ModuleWithCompleteTests.apply(root)?;
                let dir = modules.join(NEW_MODULE);
                write(&root.join(SHARED_TEMPLATE), SHARED_TEMPLATE_TEXT)?;
                write(&dir.join("motd.tf"), &motd_reader("../../shared"))?;
                write(&dir.join("tests/motd.tftest.hcl"), MOTD_TEST)
            }
            RepositoryChange::ModuleReadsLinkedDirectory => {
                RepositoryChange::ModuleWithCompleteTests.apply(root)?;
                let dir = modules.join(NEW_MODULE);
                write(&root.join(SHARED_TEMPLATE), SHARED_TEMPLATE_TEXT)?;
                let link = dir.join("shared");
                std::os::unix::fs::symlink("../../shared", &link).map_err(io(&link))?;
                write(&dir.join("motd.tf"), &motd_reader("shared"))?;
                write(&dir.join("tests/motd.tftest.hcl"), MOTD_TEST)
            }
            RepositoryChange::EnvironmentReadsPathRoot => {
                RepositoryChange::EnvironmentWithTests.apply(root)?;
                let env = root.join(NEW_ENVIRONMENT);
                write(&root.join(SHARED_BANNER), "Welcome to prod\n")?;
                write(&env.join("banner.tf"), BANNER_READER)?;
                write(&env.join("tests/banner.tftest.hcl"), BANNER_TEST)
            }
            RepositoryChange::BatsFileFromTheRoot => {
                write(&root.join(ROOT_BATS_SCRIPT), ROOT_BATS_SCRIPT_TEXT)?;
                write(&root.join(ROOT_BATS_HELPER), ROOT_BATS_HELPER_TEXT)?;
                write(&root.join(ROOT_BATS_FILE), ROOT_BATS)
            }
            RepositoryChange::BatsFilesWritingRelativeFiles => {
                let [a, b] = WRITING_BATS_FILES;
                write(&root.join(a), &writing_bats("a", "b"))?;
                write(&root.join(b), &writing_bats("b", "a"))?;
                Ok(())
            }
            RepositoryChange::ProviderBumpedPastModules => {
                existing(&root.join(PINNED_MODULE))?;
                let env = root.join(BUMPED_ENVIRONMENT);
                write(&env.join("main.tf"), BUMPED_ENVIRONMENT_MAIN)?;
                write(&env.join("versions.tf"), BUMPED_ENVIRONMENT_VERSIONS)?;
                write(&env.join(".terraform.lock.hcl"), BUMPED_ENVIRONMENT_LOCK)?;
                write(&env.join("tests/plan.tftest.hcl"), BUMPED_ENVIRONMENT_TEST)
            }
            RepositoryChange::ConstraintDoesNotParse => {
                let file = root.join(PINNED_MODULE).join("versions.tf");
                let text = read(&file)?;
                let constraint = regex::Regex::new(r#"(?m)^(\s*version\s*=\s*")([^"]*)""#)
                    .expect("a valid regex");
                if !constraint.is_match(&text) {
                    return Err(ChangeError::NothingToChange(format!(
                        "version constraint in {}",
                        file.display()
                    )));
                }
                let broken = constraint.replace(&text, r#"${1}~> v0.94""#);
                write(&file, &broken)
            }
            RepositoryChange::ModulePinnedToNewerRelease => {
                let dir = modules.join(PINNED_RELEASE_MODULE);
                write(&dir.join("main.tf"), PINNED_RELEASE_MAIN)?;
                write(&dir.join(".terraform.lock.hcl"), PINNED_RELEASE_LOCK)?;
                write(
                    &dir.join("tests/regression.tftest.hcl"),
                    PINNED_RELEASE_REGRESSION,
                )
            }
            RepositoryChange::LockFileDoesNotParse => {
                existing(&root.join(PINNED_MODULE))?;
                write(
                    &root.join(PINNED_MODULE).join(".terraform.lock.hcl"),
                    CUT_OFF_LOCK,
                )
            }
        }
    }

    /// Whether the change breaks a criterion on purpose (a tool run on the copy failing is
    /// then what the scenario expects), and the finding id it expects when there is one.
    /// A valid growth breaks nothing: a failure on its copy is a real failure.
    pub fn breaks(self) -> Option<Option<&'static str>> {
        match self {
            RepositoryChange::ValidNewAlert
            | RepositoryChange::SlowRecordingGroup
            | RepositoryChange::ModulePinnedToNewerRelease
            | RepositoryChange::ModuleWithCompleteTests
            | RepositoryChange::EnvironmentWithTests
            | RepositoryChange::TemplatedRulesFile
            | RepositoryChange::ExportersWithoutCatalog => None,
            RepositoryChange::ScriptsPublishWithoutTheLibrary
            | RepositoryChange::ModuleReadsSharedTemplate
            | RepositoryChange::ModuleReadsLinkedDirectory
            | RepositoryChange::EnvironmentReadsPathRoot
            | RepositoryChange::BatsFileFromTheRoot
            | RepositoryChange::BatsFilesWritingRelativeFiles => None,
            RepositoryChange::AlertOnALabelNoScriptWrites => Some(Some("promql/label")),
            RepositoryChange::ModuleWithoutRegressionFile => Some(Some("regression/file")),
            RepositoryChange::SecondRulesFileWithUnknownMetric => Some(Some("promql/series")),
            RepositoryChange::BatsFileWithFailingTest => Some(Some("bats/test-failed")),
            RepositoryChange::BatsFileThatDoesNotParse => Some(Some("bats/parse")),
            RepositoryChange::ProviderBumpedPastModules => {
                Some(Some("terraform-init/no-matching-release"))
            }
            RepositoryChange::ConstraintDoesNotParse => Some(Some("terraform-init/constraint")),
            RepositoryChange::LockFileDoesNotParse => Some(Some("terraform-init/lock-file")),
            RepositoryChange::NoModulesDirectory
            | RepositoryChange::ModuleWithoutTerraform
            | RepositoryChange::RulesFileRemoved
            | RepositoryChange::LinkToNowhere
            | RepositoryChange::LinkOutside => Some(None),
        }
    }

    /// The files the change adds when it only adds files (the rest of the copy is then
    /// byte for byte the repository); `None` when it changes or removes anything.
    pub(crate) fn only_adds(self) -> Option<&'static [&'static str]> {
        match self {
            RepositoryChange::BatsFileWithFailingTest
            | RepositoryChange::BatsFileThatDoesNotParse => Some(&[NEW_BATS_FILE]),
            RepositoryChange::BatsFileFromTheRoot => {
                Some(&[ROOT_BATS_FILE, ROOT_BATS_SCRIPT, ROOT_BATS_HELPER])
            }
            RepositoryChange::BatsFilesWritingRelativeFiles => Some(&WRITING_BATS_FILES),
            _ => None,
        }
    }

    /// Where the second rules file selects [`UNKNOWN_METRIC`]: its 1-based line.
    pub fn unknown_metric_line() -> usize {
        SECOND_RULES
            .lines()
            .position(|l| l.contains(UNKNOWN_METRIC))
            .map_or(0, |i| i + 1)
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChangeError + '_ {
    move |source| ChangeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn existing(path: &Path) -> Result<(), ChangeError> {
    match path.symlink_metadata() {
        Ok(_) => Ok(()),
        Err(_) => Err(ChangeError::NothingToChange(path.display().to_string())),
    }
}

fn read(path: &Path) -> Result<String, ChangeError> {
    existing(path)?;
    std::fs::read_to_string(path).map_err(io(path))
}

fn write(path: &Path, text: &str) -> Result<(), ChangeError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::write(path, text).map_err(io(path))
}

fn link(root: &Path, target: &str) -> Result<(), ChangeError> {
    let path = root.join(BAD_LINK);
    existing(path.parent().unwrap_or(root))?;
    std::os::unix::fs::symlink(target, &path).map_err(io(&path))
}

/// A complete alert on a series node-exporter really exposes, in a group of its own.
const NEW_ALERT_GROUP: &str = r#"
  - name: clock-alerts
    rules:
      - alert: NodeClockSkew
        expr: abs(node_timex_offset_seconds{job="node"}) > 0.05
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: Clock of {{ $labels.instance }} is off by more than 50 ms.
          description: The clock of {{ $labels.instance }} is {{ $value }} s away from its time source; check chrony or systemd-timesyncd.
"#;

/// A recording group evaluated every five minutes, as capacity rules often are.
const SLOW_RECORDING_GROUP: &str = r#"
  - name: capacity-recording
    interval: 5m
    rules:
      - record: instance:node_filesystem_avail:ratio
        expr: node_filesystem_avail_bytes{job="node"} / node_filesystem_size_bytes{job="node"}
"#;

const NEW_MODULE_MAIN: &str = r#"# A tooling stack: one hostname per service. No provider: the tests plan with Terraform alone.
terraform {
  required_version = ">= 1.9"
}

variable "name" {
  type    = string
  default = "tooling"
}

variable "services" {
  type    = list(string)
  default = ["gitea", "woodpecker", "registry"]
}

output "hostnames" {
  value = [for service in var.services : "${var.name}-${service}"]
}
"#;

const NEW_MODULE_OTHER_TEST: &str = r#"run "every_service_has_a_hostname" {
  command = plan

  assert {
    condition     = length(output.hostnames) == 3
    error_message = "Every service must get a hostname."
  }
}
"#;

const NEW_MODULE_REGRESSION: &str = r#"# Regression tests of the tooling-stack module.

# Regression v1.1.0: hostnames lost the stack's name as prefix.
run "hostnames_carry_the_stack_name" {
  command = plan

  assert {
    condition     = output.hostnames[0] == "tooling-gitea"
    error_message = "Hostnames must start with the stack's name, got ${output.hostnames[0]}."
  }
}
"#;

const SHARED_VERSIONS_TF: &str = r#"# Linked into every environment.
terraform {
  required_version = ">= 1.9"
}
"#;

const ENVIRONMENT_MAIN: &str = r#"module "tooling" {
  source = "../../modules/tooling-stack"
  name   = "prod-tooling"
}

output "hostnames" {
  value = module.tooling.hostnames
}
"#;

const ENVIRONMENT_TEST: &str = r#"run "prod_hostnames_carry_the_environment" {
  command = plan

  assert {
    condition     = output.hostnames[0] == "prod-tooling-gitea"
    error_message = "prod's hostnames must carry its stack name, got ${output.hostnames[0]}."
  }
}
"#;

const SECOND_RULES: &str = r#"# Alerts of the tooling stack.
groups:
  - name: tooling-alerts
    rules:
      - alert: ToolingQueueStuck
        expr: tooling_ci_queue_depth > 50
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: The CI queue on {{ $labels.instance }} is stuck.
          description: "{{ $value }} jobs wait in the CI queue of {{ $labels.instance }}."
"#;

const PRINTF_PUBLISHER: &str = r##"#!/usr/bin/env bash
# Publishes whether each environment's Proxmox configuration drifted, for node-exporter's
# textfile collector: written into a temporary file, then moved into place in one step.
set -euo pipefail
TEXTFILE_DIR="${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}"
tmp_file="$(mktemp)"
trap 'rm -f "$tmp_file"' EXIT
printf '# HELP pve_drift_status 1 when the environment drifted from its configuration.\n# TYPE pve_drift_status gauge\n' > "$tmp_file"
for env in prod staging; do
  status=0
  if ! diff -q "/etc/pve/${env}.conf" "/srv/pve-config/${env}.conf" > /dev/null; then
    status=1
  fi
  printf 'pve_drift_status{env="%s",node="%s"} %d\n' "$env" "$(hostname)" "$status" >> "$tmp_file"
done
chmod 0644 "$tmp_file"
mv "$tmp_file" "${TEXTFILE_DIR}/pve_drift.prom"
"##;

const TEE_PUBLISHER: &str = r##"#!/usr/bin/env bash
# Publishes the errors the last scrub of each ZFS pool found.
set -euo pipefail
out="${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}/zfs_scrub.prom"
: > "$out.tmp"
zpool list -H -o name | while read -r pool; do
  errors="$(zpool status "$pool" | awk '/errors:/ { print $2 == "No" ? 0 : $2 }')"
  echo "zfs_scrub_errors{pool=\"${pool}\"} ${errors:-0}" | tee -a "$out.tmp" > /dev/null
done
mv "$out.tmp" "$out"
"##;

const PUBLISHED_METRIC_RULES: &str = r#"# Alerts on the metrics the operations scripts publish.
groups:
  - name: operations-alerts
    rules:
      - alert: PveConfigurationDrifted
        expr: max by (env) (pve_drift_status{env="prod"}) == 1
        for: 30m
        labels:
          severity: warning
        annotations:
          summary: The Proxmox configuration of {{ $labels.env }} drifted.
          description: "{{ $labels.env }} differs from its configuration (value {{ $value }})."
      - alert: ZfsScrubFoundErrors
        expr: zfs_scrub_errors{pool=~".+"} > 0
        for: 5m
        labels:
          severity: critical
        annotations:
          summary: The last scrub of pool {{ $labels.pool }} found errors.
          description: "{{ $value }} errors on {{ $labels.pool }} of {{ $labels.instance }}."
"#;

const SECOND_RULES_READER: &str = r#"# The tooling stack's alerts, deployed beside the default rules.
locals {
  tooling_alert_rules = file("${path.module}/files/prometheus/alerts/tooling.yml")
}

output "tooling_alert_rules" {
  value = local.tooling_alert_rules
}
"#;

/// Valid PromQL only once rendered: `${threshold}` is Terraform's.
const TEMPLATED_RULES: &str = r#"# Alerts of the tooling stack, rendered by templatefile().
groups:
  - name: tooling-alerts
    rules:
      - alert: ToolingHostOverloaded
        expr: node_load15{job="node"} > ${threshold}
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: The tooling host {{ $labels.instance }} is overloaded.
          description: "Its 15-minute load is {{ $value }}, above ${threshold}."
"#;

const TEMPLATED_RULES_READER: &str = r#"# The tooling stack's alerts, rendered with the module's threshold.
variable "tooling_load_threshold" {
  type    = number
  default = 8
}

locals {
  tooling_alert_rules = templatefile("${path.module}/files/prometheus/alerts/tooling.yml.tftpl", {
    threshold = var.tooling_load_threshold
  })
}

output "tooling_alert_rules" {
  value = local.tooling_alert_rules
}
"#;

/// A module that runs a reverse proxy and a certificate authority as containers, and the
/// Prometheus scrape jobs and alerts for them. No provider: it plans with Terraform alone.
const EDGE_MODULE_MAIN: &str = r#"terraform {
  required_version = ">= 1.9"
}

variable "traefik_tag" {
  type    = string
  default = "v3.1"
}

locals {
  compose     = templatefile("${path.module}/files/compose.yml.tftpl", { traefik_tag = var.traefik_tag })
  alert_rules = file("${path.module}/files/prometheus/alerts/edge.yml")
  prometheus_config = yamlencode({
    scrape_configs = [
      { job_name = "traefik", static_configs = [{ targets = ["proxy:8080"] }] },
      { job_name = "ca", metrics_path = "/metrics", static_configs = [{ targets = ["ca:9000"] }] },
    ]
  })
}

output "compose" {
  value = local.compose
}

output "alert_rules" {
  value = local.alert_rules
}

output "prometheus_config" {
  value = local.prometheus_config
}
"#;

const EDGE_COMPOSE: &str = r#"services:
  proxy:
    image: traefik:${traefik_tag}
    command: ["--metrics.prometheus=true", "--entrypoints.metrics.address=:8080"]
  ca:
    image: ghcr.io/smallstep/step-ca:0.27.4
"#;

const EDGE_RULES: &str = r#"# Alerts of the edge stack: its proxy and its certificate authority.
groups:
  - name: edge-alerts
    rules:
      - alert: EdgeProxyServerErrors
        expr: sum by (instance) (rate(traefik_entrypoint_requests_total{code=~"5.."}[5m])) > 1
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: The proxy on {{ $labels.instance }} answers with server errors.
          description: "{{ $value }} server errors per second on {{ $labels.instance }}."
      - alert: CertificatesExpiring
        expr: smallstep_certificates_expiring{job="ca"} > 0
        for: 1h
        labels:
          severity: warning
        annotations:
          summary: Certificates of {{ $labels.instance }} expire soon.
          description: "{{ $value }} certificates issued by {{ $labels.instance }} expire within a week."
"#;

const EDGE_REGRESSION: &str = r#"# Regression v1.1.0: the proxy's image lost its tag.
run "the_proxy_image_is_tagged" {
  command = plan

  assert {
    condition     = strcontains(output.compose, "traefik:v3.1")
    error_message = "The proxy must run a tagged traefik image."
  }
}
"#;

/// Valid only with bpg/proxmox 0.111.x: `proxmox_cluster_options` is not in 0.94.0.
const PINNED_RELEASE_MAIN: &str = r#"terraform {
  required_version = ">= 1.9"

  required_providers {
    proxmox = {
      source  = "bpg/proxmox"
      version = "~> 0.111.0"
    }
  }
}

variable "keyboard" {
  type        = string
  description = "The cluster's default keyboard layout."
  default     = "fr"
}

resource "proxmox_cluster_options" "this" {
  keyboard = var.keyboard
  language = "en"
}

output "keyboard" {
  value = proxmox_cluster_options.this.keyboard
}
"#;

const PINNED_RELEASE_LOCK: &str = r#"# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/bpg/proxmox" {
  version     = "0.111.1"
  constraints = "~> 0.111.0"
}
"#;

const PINNED_RELEASE_REGRESSION: &str = r#"mock_provider "proxmox" {}

# Regression v1.2.0: the cluster's keyboard layout fell back to the provider's default.
run "keyboard_layout_is_kept" {
  command = plan

  assert {
    condition     = proxmox_cluster_options.this.keyboard == "fr"
    error_message = "The cluster keyboard layout must be the module's, got ${proxmox_cluster_options.this.keyboard}."
  }
}
"#;

const RELEASE_MODULE_MAIN: &str = r#"# node-exporter as a container, for the hosts the packages do not cover.
locals {
  compose     = file("${path.module}/files/compose.yml")
  alert_rules = file("${path.module}/files/prometheus/alerts/edge.yml")
}

output "compose" {
  value = local.compose
}

output "alert_rules" {
  value = local.alert_rules
}
"#;

/// An alert on `METRIC` (replaced by the metric the chosen release dropped).
const REMOVED_METRIC_RULES: &str = r#"groups:
  - name: edge-node-alerts
    rules:
      - alert: NodeMetricOfAnOlderRelease
        expr: METRIC > 0
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: A node metric on {{ $labels.instance }} is set.
          description: "It is {{ $value }} on {{ $labels.instance }}."
"#;

const BUMPED_ENVIRONMENT_MAIN: &str = r#"module "vm" {
  source    = "../../modules/vm"
  name      = "bumped"
  node_name = "pve"
}
"#;

const BUMPED_ENVIRONMENT_VERSIONS: &str = r#"terraform {
  required_version = ">= 1.9"

  required_providers {
    proxmox = {
      source  = "bpg/proxmox"
      version = "~> 0.95.0"
    }
  }
}
"#;

const BUMPED_ENVIRONMENT_LOCK: &str = r#"# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/bpg/proxmox" {
  version     = "0.95.0"
  constraints = "~> 0.95.0"
}
"#;

const BUMPED_ENVIRONMENT_TEST: &str = r#"mock_provider "proxmox" {}

run "plans" {
  command = plan
}
"#;

const CUT_OFF_LOCK: &str = r#"# This file is maintained automatically by "terraform init".
provider "registry.terraform.io/bpg/proxmox" {
  version     = "0.94.0"
  constraints = "~> 0.94.0"
  hashes = [
"#;

const FAILING_BATS: &str = r#"#!/usr/bin/env bats

@test "the queue is empty at start" {
    queue=()
    [ "${#queue[@]}" -eq 0 ]
}

@test "the queue is drained" {
    queue=(job1 job2)
    [ "${#queue[@]}" -eq 0 ]
}
"#;

const UNPARSABLE_BATS: &str = r#"#!/usr/bin/env bats

@test "the queue is empty at start" {
    if [ -z "" ]; then
        true
}
"#;

const SHARED_TEMPLATE_TEXT: &str = "Welcome to ${name}\n";

/// `motd.tf` of the tooling stack: renders the shared template from `dir` (relative to the
/// module: `../../shared`, or a linked `shared`).
fn motd_reader(dir: &str) -> String {
    format!(
        "output \"motd\" {{\n  value = templatefile(\"${{path.module}}/{dir}/motd.tpl\", {{ name = var.name }})\n}}\n"
    )
}

const MOTD_TEST: &str = r#"run "the_motd_names_the_stack" {
  command = plan

  assert {
    condition     = output.motd == "Welcome to tooling\n"
    error_message = "The motd must be the shared template rendered, got ${output.motd}."
  }
}
"#;

const BANNER_READER: &str = r#"output "banner" {
  value = file("${path.root}/../../shared/banner.txt")
}
"#;

const BANNER_TEST: &str = r#"run "the_banner_is_the_shared_one" {
  command = plan

  assert {
    condition     = output.banner == "Welcome to prod\n"
    error_message = "The banner must be the shared file, got ${output.banner}."
  }
}
"#;

const ROOT_BATS_SCRIPT_TEXT: &str = "#!/usr/bin/env bash\necho \"hello from $1\"\n";

const ROOT_BATS_HELPER_TEXT: &str = "# Sourced by the tooling tests, from the root.\nexpected_greeting() {\n  echo \"hello from $1\"\n}\n";

/// Names its script relative to the root and sources a helper from the root, as a homelab
/// whose CI runs `bats tests/...` from the root does.
const ROOT_BATS: &str = r#"setup() {
  SCRIPT="scripts/tooling/greet.sh"
  source "tests/tooling/helpers.bash"
}

@test "the script is where the root says" {
  [ -f "$SCRIPT" ]
}

@test "the script greets" {
  run bash "$SCRIPT" tooling
  [ "$status" -eq 0 ]
  [ "$output" = "$(expected_greeting tooling)" ]
}
"#;

fn writing_bats(name: &str, other: &str) -> String {
    format!(
        "@test \"{name} writes a file at the root and finds none of {other}'s\" {{\n  echo {name} > written-by-{name}.txt\n  [ ! -e written-by-{other}.txt ]\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sentence_names_its_change() {
        for (sentence, change) in SENTENCES {
            assert_eq!(sentence.parse::<RepositoryChange>(), Ok(change));
            assert_eq!(change.sentence(), sentence);
        }
        assert!("a module grows wings".parse::<RepositoryChange>().is_err());
    }

    /// The published-metric growth, checked without a copy: the scripts' metrics and labels
    /// make the rules pass, a label they never write fails, and without the scripts the
    /// rules can never fire.
    #[test]
    fn the_published_metric_rules_pass_only_with_their_scripts() {
        use crate::alerts::catalog::CatalogSet;
        use crate::alerts::lint::{Depth, lint_text};
        use crate::alerts::published_metrics::PublishedMetrics;
        use crate::finding::ids_and_subjects;
        let catalogs = CatalogSet::bundled().unwrap();
        let scripts = PublishedMetrics::from_scripts([
            (PRINTF_SCRIPT, PRINTF_PUBLISHER),
            (TEE_SCRIPT, TEE_PUBLISHER),
        ]);
        let check = |rules: &str, published: &PublishedMetrics| {
            let report = lint_text(
                "ops.yml",
                rules,
                Depth::CatalogAndScripts(catalogs, published),
            );
            ids_and_subjects(&report.findings)
        };
        assert_eq!(check(PUBLISHED_METRIC_RULES, &scripts), []);
        let broken = PUBLISHED_METRIC_RULES.replace("{env=\"prod\"}", "{cluster=\"prod\"}");
        assert_eq!(
            check(&broken, &scripts),
            [(
                "promql/label".to_string(),
                PUBLISHED_LABEL_ALERT.to_string()
            )]
        );
        let nothing = PublishedMetrics::from_scripts(std::iter::empty());
        assert_eq!(
            check(PUBLISHED_METRIC_RULES, &nothing),
            [
                (
                    "promql/series".to_string(),
                    PUBLISHED_LABEL_ALERT.to_string()
                ),
                (
                    "promql/series".to_string(),
                    "ZfsScrubFoundErrors".to_string()
                )
            ]
        );
    }

    #[test]
    fn the_unknown_metric_has_a_line() {
        assert_eq!(RepositoryChange::unknown_metric_line(), 6);
    }
}
