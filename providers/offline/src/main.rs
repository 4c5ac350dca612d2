//! tf-offline-provider: a schema-only Terraform provider that replays a real
//! provider's schema (from `terraform providers schema -json`), so `terraform
//! validate` and `terraform test` with `mock_provider` run without a registry.
//!
//! One binary, three ways to run it:
//! - `tf-offline-provider install DIR [--version NAME=VERSION]... [--schema NAME=FILE]...`
//!   lays out the providers;
//! - as `terraform-provider-<name>` (the installed copy), started by Terraform, it
//!   serves the `schema.json` next to it;
//! - `tf-offline-provider check FILE...` checks schema documents;
//!   `tf-offline-provider serve FILE` serves one document (for tests and debugging).

mod bundled;
mod install;
mod msgpack;
mod planner;
mod plugin_server;
mod prepared_schema;
mod protocol;
mod schema_doc;
mod served_provider;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use prepared_schema::PreparedSchema;
use schema_doc::{SchemaDocument, SchemaError};
use served_provider::ServedProvider;

const USAGE: &str = "usage:
  tf-offline-provider install DIR [--version NAME=VERSION]... [--schema NAME=FILE]...
      lay out DIR/<name>/terraform-provider-<name> for every bundled provider (its
      default release, or VERSION) and DIR/terraform.rc; then run terraform with
      TF_CLI_CONFIG_FILE=DIR/terraform.rc
  tf-offline-provider check FILE...
      check schema documents (the JSON of `terraform providers schema -json`)
  tf-offline-provider serve FILE
      serve the one provider in FILE (Terraform starts plugins this way)
  tf-offline-provider list
      the bundled providers: source, executable, schema file, default version, and
      every bundled version (comma-separated), tab-separated";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(name) = invoked_as_provider() {
        return run_as_provider(&name);
    }
    let result = match args.first().map(String::as_str) {
        Some("install") => run_install(&args[1..]),
        Some("check") if args.len() > 1 => run_check(&args[1..]),
        Some("serve") if args.len() == 2 => return run_serve(Path::new(&args[1])),
        Some("list") => bundled::PROVIDERS.iter().try_for_each(|p| {
            println!(
                "{}\tterraform-provider-{}\t{}\t{}\t{}",
                p.source,
                p.name,
                p.file,
                p.version,
                p.versions()?.join(",")
            );
            Ok::<(), String>(())
        }),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tf-offline-provider: {message}");
            ExitCode::from(2)
        }
    }
}

/// The local name when this executable is an installed `terraform-provider-<name>`.
fn invoked_as_provider() -> Option<String> {
    let program = std::env::args_os().next()?;
    let file_name = Path::new(&program).file_name()?.to_str()?.to_string();
    file_name
        .strip_prefix("terraform-provider-")
        .map(|name| name.split('_').next().unwrap_or(name).to_string())
}

fn run_install(args: &[String]) -> Result<(), String> {
    let mut dir = None;
    let mut overrides = Vec::new();
    let mut versions = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--version" {
            let value = rest.next().ok_or("--version needs NAME=VERSION")?;
            let (name, version) = value
                .split_once('=')
                .ok_or_else(|| format!("--version {value}: expected NAME=VERSION"))?;
            versions.push((name.to_string(), version.to_string()));
        } else if arg == "--schema" {
            let value = rest.next().ok_or("--schema needs NAME=FILE")?;
            let (name, file) = value
                .split_once('=')
                .ok_or_else(|| format!("--schema {value}: expected NAME=FILE"))?;
            overrides.push((name.to_string(), PathBuf::from(file)));
        } else if dir.is_none() {
            dir = Some(PathBuf::from(arg));
        } else {
            return Err(format!("unexpected argument {arg}\n{USAGE}"));
        }
    }
    let dir = dir.ok_or_else(|| format!("install needs a directory\n{USAGE}"))?;
    for (path, outcome) in install::install(&dir, &overrides, &versions)? {
        let verb = match outcome {
            install::Outcome::Wrote => "wrote",
            install::Outcome::Unchanged => "unchanged",
        };
        println!("{verb} {}", path.display());
    }
    let config = dir
        .canonicalize()
        .unwrap_or(dir)
        .join(install::CLI_CONFIG_FILE_NAME);
    println!("use: TF_CLI_CONFIG_FILE={}", config.display());
    Ok(())
}

fn run_check(files: &[String]) -> Result<(), String> {
    let mut problems = Vec::new();
    for file in files {
        match SchemaDocument::load(Path::new(file)) {
            Ok(document) => {
                for (address, provider) in &document.provider_schemas {
                    println!(
                        "ok {file}: {address}, {} resources, {} data sources",
                        provider.resource_schemas.len(),
                        provider.data_source_schemas.len()
                    );
                }
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Started by Terraform as `terraform-provider-<name>`: serve `schema.json` next to us.
fn run_as_provider(name: &str) -> ExitCode {
    let schema_file = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(install::SCHEMA_FILE_NAME)))
        .unwrap_or_else(|| PathBuf::from(install::SCHEMA_FILE_NAME));
    serve_file(&schema_file, Some(name))
}

fn run_serve(file: &Path) -> ExitCode {
    serve_file(file, None)
}

/// Loads the document and serves it. A document that does not load is still served,
/// as an error diagnostic naming the file and the reason: Terraform shows provider
/// diagnostics to the user, while a plugin's stderr only reaches its debug log.
fn serve_file(file: &Path, name: Option<&str>) -> ExitCode {
    if !plugin_server::started_by_terraform() {
        eprintln!(
            "tf-offline-provider: this is a Terraform provider plugin; Terraform starts it \
             through dev_overrides (see `tf-offline-provider install`), it is not run by hand"
        );
        return ExitCode::from(1);
    }
    let (address, provider) = load_schema(file, name);
    if let Err(e) = &provider {
        eprintln!("tf-offline-provider: refused schema {e}");
    }
    let plan_file = install::plan_facts_file(file);
    let plan = plan_file.exists().then(|| {
        std::fs::read_to_string(&plan_file)
            .map_err(|e| SchemaError {
                file: plan_file.clone(),
                reason: format!("cannot read: {e}"),
            })
            .and_then(|text| planner::PlanFacts::parse(&plan_file, &text))
    });
    match plugin_server::serve(ServedProvider::new(&address, provider, plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tf-offline-provider: {message}");
            ExitCode::from(1)
        }
    }
}

/// The schema to serve: the prepared `schema.pb` beside `file` when it was written for
/// this very JSON (the fast path: no JSON parsing), else the JSON itself, checked.
fn load_schema(file: &Path, name: Option<&str>) -> (String, Result<PreparedSchema, SchemaError>) {
    let refusal = |reason: String| SchemaError {
        file: file.to_path_buf(),
        reason,
    };
    let unnamed = || {
        name.map(|n| format!("(provider {n})"))
            .unwrap_or_else(|| "(no provider)".to_string())
    };
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) => return (unnamed(), Err(refusal(format!("cannot read: {e}")))),
    };
    let prepared_file = file.with_file_name(prepared_schema::PREPARED_FILE_NAME);
    if let Some(prepared) = PreparedSchema::from_file(&prepared_file, text.as_bytes())
        && name.is_none_or(|n| prepared.address.ends_with(&format!("/{n}")))
    {
        return (prepared.address.clone(), Ok(prepared));
    }
    let document = match SchemaDocument::parse(file, &text) {
        Ok(document) => document,
        Err(e) => return (unnamed(), Err(e)),
    };
    match name {
        Some(name) => match document.provider_named(name) {
            Some((address, provider)) => (
                address.to_string(),
                Ok(PreparedSchema::from_document(address, provider)),
            ),
            None => (
                format!("(provider {name})"),
                Err(refusal(format!(
                    "has no provider whose address ends in /{name}"
                ))),
            ),
        },
        None if document.provider_schemas.len() == 1 => {
            let (address, provider) = document.provider_schemas.iter().next().expect("one");
            (
                address.clone(),
                Ok(PreparedSchema::from_document(address, provider)),
            )
        }
        None => (
            "(no provider)".to_string(),
            Err(refusal(format!(
                "holds {} providers; serve needs a document with exactly one",
                document.provider_schemas.len()
            ))),
        ),
    }
}
