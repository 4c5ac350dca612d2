//! `install DIR`: lays out one directory per bundled provider (a copy of this binary
//! named `terraform-provider-<name>` next to the `schema.json` it serves) and a
//! Terraform CLI config whose `dev_overrides` point Terraform at them.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::bundled::PROVIDERS;
use crate::prepared_schema::{PREPARED_FILE_NAME, prepare};

/// The file next to each installed executable that it serves.
pub const SCHEMA_FILE_NAME: &str = "schema.json";
/// Next to it, for a provider planned without a mock: how the real one plans.
pub const PLAN_FACTS_FILE_NAME: &str = "plan.json";

/// The plan facts that go with a schema file: `plan.json` beside an installed
/// `schema.json`, else `X.plan.json` beside `X.json` (the layout of `schemas/`).
pub fn plan_facts_file(schema_file: &Path) -> PathBuf {
    let name = schema_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sibling = if name == SCHEMA_FILE_NAME {
        PLAN_FACTS_FILE_NAME.to_string()
    } else {
        format!("{}.plan.json", name.strip_suffix(".json").unwrap_or(&name))
    };
    schema_file.with_file_name(sibling)
}
pub const CLI_CONFIG_FILE_NAME: &str = "terraform.rc";

/// What `install` did to one file.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Wrote,
    Unchanged,
}

/// Installs every bundled provider under `dir`; `schema_overrides` replaces the
/// bundled schema of a provider (by local name) with a document from disk, `versions`
/// selects another bundled release of a provider (by local name) than its default.
pub fn install(
    dir: &Path,
    schema_overrides: &[(String, PathBuf)],
    versions: &[(String, String)],
) -> Result<Vec<(PathBuf, Outcome)>, String> {
    let named = schema_overrides
        .iter()
        .map(|(n, _)| ("--schema", n))
        .chain(versions.iter().map(|(n, _)| ("--version", n)));
    for (option, name) in named {
        if !PROVIDERS.iter().any(|p| p.name == name) {
            return Err(format!(
                "{option} {name}=...: no bundled provider is called {name} (known: {})",
                PROVIDERS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
    let executable = std::env::current_exe()
        .map_err(|e| format!("cannot find this program's own executable: {e}"))?;

    let mut written = Vec::new();
    let mut overrides = Vec::new();
    for provider in PROVIDERS {
        let (file, document) = match schema_overrides.iter().find(|(n, _)| n == provider.name) {
            Some((_, file)) => {
                let text = fs::read_to_string(file)
                    .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
                (file.clone(), text)
            }
            None => {
                let version = versions
                    .iter()
                    .find(|(n, _)| n == provider.name)
                    .map(|(_, v)| v.as_str());
                let (file, document) = provider.schema(version)?;
                (PathBuf::from(file), document)
            }
        };
        // Checked, and encoded once here rather than in each of the dozens of processes
        // a `terraform test` starts.
        let prepared = prepare(&file, &document, provider.name).map_err(|e| e.to_string())?;
        let provider_dir = dir.join(provider.name);
        fs::create_dir_all(&provider_dir)
            .map_err(|e| format!("cannot create {}: {e}", provider_dir.display()))?;
        let program = provider_dir.join(format!("terraform-provider-{}", provider.name));
        written.push(install_executable(&executable, &program)?);
        written.push(write_file(
            &provider_dir.join(SCHEMA_FILE_NAME),
            document.as_bytes(),
            0o644,
        )?);
        written.push(write_file(
            &provider_dir.join(PREPARED_FILE_NAME),
            &prepared.to_file(document.as_bytes()),
            0o644,
        )?);
        let plan_file = provider_dir.join(PLAN_FACTS_FILE_NAME);
        match provider.plan_facts {
            Some((file, text)) => {
                crate::planner::PlanFacts::parse(Path::new(file), text)
                    .map_err(|e| e.to_string())?;
                written.push(write_file(&plan_file, text.as_bytes(), 0o644)?);
            }
            None => {
                // a provider that lost its plan facts must not keep planning from old ones
                let _ = fs::remove_file(&plan_file);
            }
        }
        overrides.push((provider.source, provider_dir));
    }
    let config = dir.join(CLI_CONFIG_FILE_NAME);
    written.push(write_file(
        &config,
        cli_config(&overrides).as_bytes(),
        0o644,
    )?);
    Ok(written)
}

/// The CLI config: overrides for our providers, the registry for every other one,
/// and no version check call home (there is no network to call).
pub fn cli_config(overrides: &[(&str, PathBuf)]) -> String {
    let mut text = String::from(
        "# Written by `tf-offline-provider install`: schema-only providers for offline\n\
         # `terraform test` with mock_provider. Use with TF_CLI_CONFIG_FILE=<this file>.\n\
         disable_checkpoint = true\n\n\
         provider_installation {\n  dev_overrides {\n",
    );
    for (source, dir) in overrides {
        text.push_str(&format!(
            "    \"{source}\" = \"{}\"\n",
            hcl_escape(&dir.display().to_string())
        ));
    }
    text.push_str("  }\n  direct {}\n}\n");
    text
}

fn hcl_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// Puts a copy of this binary at `program`: a hard link when the file system
/// allows (a debug build is tens of megabytes), else a copy. Like `write_file`, it
/// goes through a temporary name and leaves an identical file alone.
fn install_executable(executable: &Path, program: &Path) -> Result<(PathBuf, Outcome), String> {
    use std::os::unix::fs::MetadataExt;
    let source = fs::metadata(executable)
        .map_err(|e| format!("cannot read {}: {e}", executable.display()))?;
    if let Ok(existing) = fs::metadata(program) {
        let same_file = existing.dev() == source.dev() && existing.ino() == source.ino();
        if same_file
            || (existing.len() == source.len()
                && existing.permissions().mode() & 0o777 == 0o755
                && fs::read(program).ok() == fs::read(executable).ok())
        {
            return Ok((program.to_path_buf(), Outcome::Unchanged));
        }
    }
    let parent = program.parent().unwrap_or(Path::new("."));
    let temporary = parent.join(format!(".terraform-provider.{}.tmp", std::process::id()));
    let _ = fs::remove_file(&temporary);
    if fs::hard_link(executable, &temporary).is_err() {
        fs::copy(executable, &temporary).map_err(|e| {
            format!(
                "cannot copy {} to {}: {e}",
                executable.display(),
                temporary.display()
            )
        })?;
        fs::set_permissions(&temporary, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot set permissions on {}: {e}", temporary.display()))?;
    }
    fs::rename(&temporary, program).map_err(|e| {
        let _ = fs::remove_file(&temporary);
        format!("cannot move {} into place: {e}", program.display())
    })?;
    Ok((program.to_path_buf(), Outcome::Wrote))
}

/// Writes `content` unless the file already holds it. Writes go to a temporary name
/// and are renamed into place, so a Terraform still running the old executable
/// never sees a half-written one (and Linux's "text file busy" cannot happen).
fn write_file(path: &Path, content: &[u8], mode: u32) -> Result<(PathBuf, Outcome), String> {
    if let Ok(existing) = fs::read(path)
        && existing == content
        && fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o777 == mode)
    {
        return Ok((path.to_path_buf(), Outcome::Unchanged));
    }
    let parent = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile_in(parent, path)?;
    temporary
        .1
        .write_all(content)
        .and_then(|_| temporary.1.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", temporary.0.display()))?;
    fs::set_permissions(&temporary.0, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set permissions on {}: {e}", temporary.0.display()))?;
    fs::rename(&temporary.0, path).map_err(|e| {
        let _ = fs::remove_file(&temporary.0);
        format!("cannot move {} into place: {e}", path.display())
    })?;
    Ok((path.to_path_buf(), Outcome::Wrote))
}

fn tempfile_in(parent: &Path, target: &Path) -> Result<(PathBuf, fs::File), String> {
    let stem = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = parent.join(format!(".{stem}.{}.tmp", std::process::id()));
    let file =
        fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_overrides_each_provider_and_keeps_the_registry_for_the_rest() {
        let config = cli_config(&[
            ("bpg/proxmox", PathBuf::from("/t/p/proxmox")),
            ("hashicorp/tls", PathBuf::from("/t/p/tls")),
        ]);
        assert!(
            config.contains("    \"bpg/proxmox\" = \"/t/p/proxmox\"\n"),
            "{config}"
        );
        assert!(
            config.contains("    \"hashicorp/tls\" = \"/t/p/tls\"\n"),
            "{config}"
        );
        assert!(config.contains("  direct {}\n"), "{config}");
    }

    #[test]
    fn paths_are_escaped_for_hcl() {
        assert_eq!(hcl_escape(r#"/a"b\c${x}"#), r#"/a\"b\\c$${x}"#);
    }
}
