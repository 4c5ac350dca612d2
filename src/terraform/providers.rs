//! Where `terraform test` gets its providers. By default, the schema-only offline providers
//! of `providers/offline` (`tf-offline-provider install DIR` writes a CLI config with
//! `dev_overrides`), so no registry and no `terraform init` are needed; with
//! `SPEC_TF_PROVIDERS=registry`, the real providers through a normal `terraform init`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::ProviderError;
use crate::tools::{self, Command};

const BINARY: &str = "tf-offline-provider";

/// How Terraform gets its providers (`SPEC_TF_PROVIDERS`): declared with the settings, which
/// sit below every area.
pub use crate::settings::ProviderSource;

/// The `tf-offline-provider` binary: `SPEC_OFFLINE_PROVIDER`, or the newest release or debug
/// build in the cargo target directory this suite was built in. `explicit` is the setting
/// (`Settings::offline_provider`).
pub(crate) fn offline_provider_binary(explicit: Option<&Path>) -> Result<PathBuf, ProviderError> {
    locate_offline_provider(
        explicit.map(|p| p.as_os_str().to_os_string()),
        &target_dirs(),
    )
}

/// The binary named by `explicit` (the value of `SPEC_OFFLINE_PROVIDER`), else the most
/// recently built release or debug binary in `target_dirs`: a stale build of another profile
/// would serve an old schema.
pub(crate) fn locate_offline_provider(
    explicit: Option<std::ffi::OsString>,
    target_dirs: &[PathBuf],
) -> Result<PathBuf, ProviderError> {
    if let Some(path) = explicit.filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(ProviderError::NamedBinaryMissing(path))
        };
    }
    let candidates: Vec<PathBuf> = target_dirs
        .iter()
        .flat_map(|dir| {
            [
                dir.join("release").join(BINARY),
                dir.join("debug").join(BINARY),
            ]
        })
        .collect();
    candidates
        .iter()
        .filter_map(|path| Some((path.metadata().ok()?.modified().ok()?, path)))
        .max_by_key(|(built, _)| *built)
        .map(|(_, path)| path.clone())
        .ok_or_else(|| ProviderError::NoBuild {
            searched: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Cargo target directories to look in: `CARGO_TARGET_DIR` at run time and at build time,
/// the one holding the running executable (`<target>/<profile>/deps/<exe>`), and the crate's
/// own `target/`.
fn target_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(dir) = option_env!("CARGO_TARGET_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Ok(exe) = std::env::current_exe() {
        // deps/ -> <profile>/ -> <target>/
        if let Some(target) = exe.ancestors().nth(3) {
            dirs.push(target.to_path_buf());
        }
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    dirs.dedup();
    dirs
}

/// Offline providers installed in a temporary directory, removed when the last user drops
/// its handle.
#[derive(Debug)]
pub struct OfflineProviders {
    dir: tempfile::TempDir,
}

impl OfflineProviders {
    /// The CLI config with the `dev_overrides`; each Terraform run gets its own copy.
    pub fn cli_config(&self) -> PathBuf {
        self.dir.path().join("terraform.rc")
    }

    /// Installs the providers at their default releases with `tf-offline-provider install
    /// DIR`; `binary` is `SPEC_OFFLINE_PROVIDER` (`None`: the newest build).
    pub fn install(binary: Option<&Path>) -> Result<OfflineProviders, ProviderError> {
        OfflineProviders::install_selected(binary, &[])
    }

    /// Installs the providers, `selection` naming releases other than the defaults by the
    /// provider's local name (`proxmox` → `0.95.0`): `install DIR --version proxmox=0.95.0`.
    pub(crate) fn install_selected(
        binary: Option<&Path>,
        selection: &[(String, String)],
    ) -> Result<OfflineProviders, ProviderError> {
        let binary = offline_provider_binary(binary)?;
        let dir = tempfile::Builder::new()
            .prefix("homelab-spec-providers-")
            .tempdir()
            .map_err(|e| {
                ProviderError::Install(format!("cannot create a directory for them: {e}"))
            })?;
        let mut args: Vec<std::ffi::OsString> = vec!["install".into(), dir.path().into()];
        for (name, version) in selection {
            args.push("--version".into());
            args.push(format!("{name}={version}").into());
        }
        let command = Command::new(binary.clone().into_os_string(), args.iter())
            .timeout(Duration::from_secs(60));
        tools::run(&command)
            .and_then(|out| out.checked())
            .map_err(|e| ProviderError::Install(e.to_string()))?;
        let providers = OfflineProviders { dir };
        if !providers.cli_config().is_file() {
            return Err(ProviderError::Install(format!(
                "`{} install` did not write {}",
                binary.display(),
                providers.cli_config().display()
            )));
        }
        Ok(providers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_build_is_used_and_a_missing_one_says_how_to_build_it() {
        let target = tempfile::tempdir().unwrap();
        let dirs = vec![target.path().to_path_buf()];
        let err = locate_offline_provider(None, &dirs).unwrap_err();
        assert!(
            matches!(&err, ProviderError::NoBuild { searched } if searched.contains(&target.path().display().to_string())),
            "{err}"
        );
        for profile in ["release", "debug"] {
            std::fs::create_dir_all(target.path().join(profile)).unwrap();
            std::fs::write(target.path().join(profile).join(BINARY), "").unwrap();
            // Distinct modification times even on coarse-grained file systems.
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(
            locate_offline_provider(None, &dirs).unwrap(),
            target.path().join("debug").join(BINARY)
        );
        let err = locate_offline_provider(Some("/no/such/binary".into()), &dirs).unwrap_err();
        assert_eq!(
            err,
            ProviderError::NamedBinaryMissing("/no/such/binary".into())
        );
    }
}
