//! What the provider's tests share: the built binary, an installed provider
//! directory, fixture modules copied into temp dirs, and external runs with a
//! timeout whose output is kept for the failure message.

#![allow(dead_code)] // each test file uses its own part

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(120);

pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tf-offline-provider"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The result of an external run.
pub struct Ran {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
    pub what: String,
}

impl Ran {
    pub fn output(&self) -> String {
        format!(
            "{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what, self.stdout, self.stderr
        )
    }
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `command` to completion or kills it after `timeout`.
pub fn run(mut command: Command, timeout: Duration) -> Ran {
    let what = format!("{command:?}");
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        success: status.success(),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        what,
    }
}

/// `tf-offline-provider install` into a fresh temp dir.
pub struct Installed {
    pub dir: TempDir,
    pub printed: Ran,
}

impl Installed {
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("terraform.rc")
    }
}

pub fn install(extra: &[&str]) -> Ran {
    let dir = tempfile::tempdir().expect("temp dir");
    install_into(dir.path(), extra)
}

pub fn install_into(dir: &Path, extra: &[&str]) -> Ran {
    let mut command = Command::new(provider_binary());
    command.arg("install").arg(dir).args(extra);
    // Run from somewhere that is not the repository, as the suite does.
    command.current_dir(std::env::temp_dir());
    run(command, Duration::from_secs(30))
}

pub fn installed() -> Installed {
    let dir = tempfile::tempdir().expect("temp dir");
    let printed = install_into(dir.path(), &[]);
    assert!(printed.success, "install failed: {}", printed.output());
    Installed { dir, printed }
}

/// A fixture module copied into a temp dir, with the shared `versions.tf`.
pub fn module(fixture: &str) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixtures().join(fixture), dir.path());
    fs::copy(
        fixtures().join("versions.tf"),
        dir.path().join("versions.tf"),
    )
    .expect("versions.tf");
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Runs terraform in `module` with the installed providers and no network.
pub fn terraform(module: &Path, config: &Path, args: &[&str]) -> Ran {
    let mut command = Command::new("terraform");
    command
        .args(args)
        .arg("-no-color")
        .current_dir(module)
        .env("TF_CLI_CONFIG_FILE", config)
        .env("TF_DATA_DIR", module.join(".terraform"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_LOG");
    run(command, TERRAFORM_TIMEOUT)
}
