//! What every Terraform run of one suite run shares: the settings it runs with, its job
//! slots, the terraform it found, the offline providers installed for it, one copy of the
//! repository under test and each module's outcome. Built once by the test runner (in
//! [`crate::suite::Suite`]) and handed to every [`super::TestRunner`]; nothing here is
//! process-wide.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::error::ProviderError;
use super::error::TerraformError;
use super::providers::OfflineProviders;
use super::runner::ModuleOutcome;
use crate::homelab::copy::SharedCopy;
use crate::parallel::{JobSlots, RunOnce};
use crate::settings::{ProviderSource, Settings};
use crate::tools::Tools;

/// The installations of the offline providers still in use, one per selection of releases.
type Installed = BTreeMap<Vec<(String, String)>, Weak<OfflineProviders>>;

/// See the module documentation.
#[derive(Debug)]
pub struct RunnerContext {
    /// The repository under test (`SPEC_ROOT`).
    pub root: PathBuf,
    pub providers: ProviderSource,
    /// `SPEC_OFFLINE_PROVIDER`, when set.
    pub offline_provider: Option<PathBuf>,
    pub timeout: Duration,
    /// `SPEC_TF_JOBS` slots: the most modules tested at once.
    pub(crate) slots: JobSlots,
    installed: Mutex<Installed>,
    pub(crate) outcomes: RunOnce<Result<ModuleOutcome, TerraformError>>,
    pub(crate) copy: SharedCopy,
    /// The suite run's tools (terraform is looked up there).
    pub(crate) tools: Tools,
}

impl RunnerContext {
    pub fn new(settings: &Settings, tools: Tools) -> Arc<RunnerContext> {
        Arc::new(RunnerContext {
            root: settings.root.path().to_path_buf(),
            providers: settings.tf_providers,
            offline_provider: settings.offline_provider.clone(),
            timeout: settings.tf_timeout,
            slots: JobSlots::new("terraform test", settings.tf_jobs),
            installed: Mutex::new(BTreeMap::new()),
            outcomes: RunOnce::new(),
            copy: SharedCopy::default(),
            tools,
        })
    }

    /// The most modules this suite run tests at once: `SPEC_TF_JOBS`, else two per CPU.
    /// Two, because `terraform test` with mocked providers spends about two thirds of its
    /// wall time waiting (a provider plugin is started and handshaken for every run: 1.6 s
    /// of CPU in 5 s for the vm module), so one per CPU leaves the CPUs idle.
    pub fn parallel_limit(&self) -> usize {
        self.slots.limit()
    }

    /// The repository under test.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The offline providers at the releases `selection` names, shared by every run of this
    /// suite run that is still going; installed on first use, and again after the previous
    /// installation was removed.
    pub fn offline_providers(
        &self,
        selection: &[(String, String)],
    ) -> Result<Arc<OfflineProviders>, ProviderError> {
        let mut key = selection.to_vec();
        key.sort();
        let mut installed = self.installed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(providers) = installed.get(&key).and_then(Weak::upgrade) {
            return Ok(providers);
        }
        let providers = Arc::new(OfflineProviders::install_selected(
            self.offline_provider.as_deref(),
            &key,
        )?);
        installed.retain(|_, weak| weak.strong_count() > 0);
        installed.insert(key, Arc::downgrade(&providers));
        Ok(providers)
    }
}
