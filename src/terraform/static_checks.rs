//! Static checks of a module's tests, without running Terraform: every module has a
//! regression file; every regression run is plan-only, asserts something, and names the
//! release whose fix it protects in a comment just above it; every test file mocks each
//! provider the module requires. Each finding names the file, line and run.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::module::{Module, REGRESSION_FILE};
use super::tftest::TestFile;
use crate::finding::{Finding, FindingId};
use crate::homelab::Homelab;

/// Check ids, stable so that a finding can be looked up and filtered.
pub mod ids {
    use crate::finding::FindingId;
    pub const NO_TESTS: FindingId = FindingId::new("tftest/no-tests");
    pub const PARSE: FindingId = FindingId::new("tftest/parse");
    pub const MOCK_PROVIDER: FindingId = FindingId::new("tftest/mock-provider");
    pub(crate) const VERSIONS: FindingId = FindingId::new("module/required-providers");
    pub const NO_REGRESSION_FILE: FindingId = FindingId::new("regression/file");
    pub(crate) const NO_RUNS: FindingId = FindingId::new("regression/runs");
    pub const PLAN_ONLY: FindingId = FindingId::new("regression/plan-only");
    pub const ASSERT: FindingId = FindingId::new("regression/assert");
    pub const RELEASE_COMMENT: FindingId = FindingId::new("regression/release-comment");
}

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS_TFTEST: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "tftest",
        ids::NO_TESTS,
        crate::finding::Depth::Offline,
        "a module without any .tftest.hcl file",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::PARSE,
        crate::finding::Depth::Offline,
        "a .tftest.hcl file that cannot be read",
    ),
    crate::finding::Check::new(
        "tftest",
        ids::MOCK_PROVIDER,
        crate::finding::Depth::Offline,
        "a module test that does not mock a provider the module uses",
    ),
];

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS_MODULE: &[crate::finding::Check] = &[crate::finding::Check::new(
    "module",
    ids::VERSIONS,
    crate::finding::Depth::Offline,
    "a module without required_providers naming source and version",
)];

/// The checks of this module, for the one registry (`crate::checks`).
pub(crate) const CHECKS_REGRESSION: &[crate::finding::Check] = &[
    crate::finding::Check::new(
        "regression",
        ids::NO_REGRESSION_FILE,
        crate::finding::Depth::Offline,
        "a module without tests/regression.tftest.hcl",
    ),
    crate::finding::Check::new(
        "regression",
        ids::NO_RUNS,
        crate::finding::Depth::Offline,
        "a regression file without run blocks",
    ),
    crate::finding::Check::new(
        "regression",
        ids::PLAN_ONLY,
        crate::finding::Depth::Offline,
        "a regression run that is not command = plan",
    ),
    crate::finding::Check::new(
        "regression",
        ids::ASSERT,
        crate::finding::Depth::Offline,
        "a regression run without an assert",
    ),
    crate::finding::Check::new(
        "regression",
        ids::RELEASE_COMMENT,
        crate::finding::Depth::Offline,
        "a regression run without the comment naming the release it guards",
    ),
];

/// `Regression vX.Y.Z: what was fixed`.
fn release_comment() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^Regression v\d+\.\d+\.\d+: \S").unwrap())
}

/// The release comment of a run (`Regression v0.7.2: ...`), among the comment lines just
/// above it.
pub(crate) fn release_comment_of(comment_above: &[String]) -> Option<&str> {
    comment_above
        .iter()
        .find(|line| release_comment().is_match(line))
        .map(String::as_str)
}

/// One `regression/file` finding per module of the homelab without
/// `tests/regression.tftest.hcl` (subject: the module's name), from what discovery found.
pub fn modules_without_regression_file(homelab: &Homelab) -> Vec<Finding> {
    homelab
        .modules
        .iter()
        .filter(|m| !m.has_regression_file())
        .map(|m| {
            Finding::new(
                ids::NO_REGRESSION_FILE,
                m.dir.clone(),
                format!("module {} has no regression test file", m.name),
            )
            .about(m.name.clone())
            .expected(REGRESSION_FILE)
            .found(match m.test_files.len() {
                0 => "no test files".to_string(),
                _ => m.test_files.join(", "),
            })
        })
        .collect()
}

/// All findings for one module of the repository at `root`; empty when its tests are in
/// order.
pub fn check_module(root: &Path, module: &Module) -> Vec<Finding> {
    let mut findings = Vec::new();
    let base = module.path_in_repo(root);
    let finding = |check: FindingId,
                   file: PathBuf,
                   line: Option<usize>,
                   subject: Option<&str>,
                   message: String| {
        Finding::new(check, join(&base, &file), message)
            .at(line.filter(|l| *l > 0))
            .about(subject.unwrap_or(&module.name))
    };

    let files = match module.test_files() {
        Ok(files) if files.is_empty() => {
            findings.push(finding(
                ids::NO_TESTS,
                "tests".into(),
                None,
                None,
                "has no .tftest.hcl files".into(),
            ));
            return findings;
        }
        Ok(files) => files,
        Err(_) => {
            findings.push(finding(
                ids::NO_TESTS,
                "tests".into(),
                None,
                None,
                "the module has no tests directory".into(),
            ));
            return findings;
        }
    };

    let regression = PathBuf::from(REGRESSION_FILE);
    if !files.contains(&regression) {
        findings.push(finding(
            ids::NO_REGRESSION_FILE,
            regression.clone(),
            None,
            None,
            "is missing: every module needs a regression test file".into(),
        ));
    }

    let required = match module.required_providers() {
        Ok(required) => required,
        Err(e) => {
            findings.push(finding(
                ids::VERSIONS,
                e.file.clone(),
                Some(e.line),
                None,
                format!("cannot read the required providers: {}", e.message),
            ));
            Vec::new()
        }
    };

    for relative in &files {
        // What `terraform test` itself refuses in the file's run and assert blocks; a file
        // that is not HCL at all is the one `tftest/parse` finding below.
        if let Ok(bytes) = std::fs::read(module.dir.join(relative)) {
            findings.extend(
                super::tftest::check_file(&bytes, &join(&base, relative))
                    .into_iter()
                    .filter(|f| f.id != super::tftest::schema::ids::SYNTAX),
            );
        }
        let file = match TestFile::read(&module.dir, relative) {
            Ok(file) => file,
            Err(e) => {
                findings.push(finding(
                    ids::PARSE,
                    relative.clone(),
                    e.line(),
                    None,
                    format!("is not valid HCL (column {}): {}", e.column, e.message),
                ));
                continue;
            }
        };
        for provider in &required {
            if !file.mock_providers.contains(&provider.local_name) {
                findings.push(finding(
                    ids::MOCK_PROVIDER,
                    relative.clone(),
                    None,
                    Some(&provider.local_name),
                    format!(
                        "declares no mock_provider \"{}\", which the module requires ({}): \
                         without it the test would configure the real provider and call its API",
                        provider.local_name,
                        provider.source.as_deref().unwrap_or("no literal source")
                    ),
                ));
            }
        }
        if *relative == regression {
            findings.extend(check_regression_runs(&base, &file));
        }
    }
    findings
}

/// `base/file`, the way a finding names a module's file.
fn join(base: &str, file: &Path) -> String {
    format!("{base}/{}", file.display())
}

fn check_regression_runs(base: &str, file: &TestFile) -> Vec<Finding> {
    let mut findings = Vec::new();
    let path = join(base, &file.path);
    let mut push = |check: FindingId, line: Option<usize>, run: Option<&str>, message: String| {
        let mut finding = Finding::new(check, &path, message).at(line);
        if let Some(run) = run {
            finding = finding.about(run);
        }
        findings.push(finding)
    };
    if file.runs.is_empty() {
        push(ids::NO_RUNS, None, None, "has no run blocks".into());
    }
    for run in &file.runs {
        if !run.is_plan_only() {
            let found = match &run.command {
                Some(command) => format!("command = {command}"),
                None => "no command (Terraform then applies)".into(),
            };
            push(
                ids::PLAN_ONLY,
                Some(run.line),
                Some(&run.name),
                format!("has {found}; regression runs must use command = plan"),
            );
        }
        if run.asserts == 0 {
            push(
                ids::ASSERT,
                Some(run.line),
                Some(&run.name),
                "has no assert block; a regression run must check the behaviour it protects".into(),
            );
        }
        if !run
            .comment_above
            .iter()
            .any(|line| release_comment().is_match(line))
        {
            let found = if run.comment_above.is_empty() {
                "no comment".to_string()
            } else {
                format!("the comment {:?}", run.comment_above.join(" "))
            };
            push(
                ids::RELEASE_COMMENT,
                Some(run.line),
                Some(&run.name),
                format!(
                    "needs a comment just above it naming the release whose fix it protects, \
                     like \"# Regression v0.7.2: ...\"; found {found}"
                ),
            );
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discovered_module_without_a_regression_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let modules = crate::homelab::MODULES_DIR;
        crate::test_support::write(dir.path(), &format!("{modules}/a/main.tf"), "");
        crate::test_support::write(dir.path(), &format!("{modules}/a/{REGRESSION_FILE}"), "");
        crate::test_support::write(dir.path(), &format!("{modules}/b/main.tf"), "");
        crate::test_support::write(dir.path(), &format!("{modules}/b/tests/x.tftest.hcl"), "");
        let homelab = Homelab::discover(dir.path()).unwrap();
        let findings = modules_without_regression_file(&homelab);
        assert_eq!(
            crate::finding::ids_and_subjects(&findings),
            [("regression/file".to_string(), "b".to_string())]
        );
        assert_eq!(findings[0].file, format!("{modules}/b"));
        assert_eq!(findings[0].expected.as_deref(), Some(REGRESSION_FILE));
        assert_eq!(findings[0].found.as_deref(), Some("tests/x.tftest.hcl"));
    }

    fn module_with(regression: Option<&str>, versions: &str) -> (tempfile::TempDir, Module) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("m");
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(root.join("versions.tf"), versions).unwrap();
        std::fs::write(
            root.join("tests/plan_resources.tftest.hcl"),
            "mock_provider \"proxmox\" {}\nrun \"a\" {\n  command = plan\n}\n",
        )
        .unwrap();
        if let Some(text) = regression {
            std::fs::write(root.join("tests/regression.tftest.hcl"), text).unwrap();
        }
        let module = Module::at("m", &root).unwrap();
        (dir, module)
    }

    const VERSIONS: &str =
        "terraform {\n  required_providers {\n    proxmox = { source = \"bpg/proxmox\" }\n  }\n}\n";

    #[test]
    fn a_good_module_has_no_findings() {
        let (_dir, module) = module_with(
            Some(
                "mock_provider \"proxmox\" {}\n\n# Regression v0.7.2: tags kept.\nrun \"tags\" {\n  command = plan\n  assert {\n    condition     = var.x == 1\n    error_message = \"x\"\n  }\n}\n",
            ),
            VERSIONS,
        );
        assert_eq!(check_module(Path::new("/nowhere"), &module), vec![]);
    }

    #[test]
    fn each_broken_rule_is_one_finding_with_line_and_run() {
        let (_dir, module) = module_with(
            Some(
                "mock_provider \"proxmox\" {}\n\n# tags kept\nrun \"tags\" {\n  command = apply\n}\n",
            ),
            VERSIONS,
        );
        let findings = check_module(Path::new("/nowhere"), &module);
        let checks: Vec<_> = findings.iter().map(|f| f.id).collect();
        pretty_assertions::assert_eq!(
            checks,
            [ids::PLAN_ONLY, ids::ASSERT, ids::RELEASE_COMMENT],
            "{findings:#?}"
        );
        assert!(findings.iter().all(|f| f.line == Some(4)
            && f.subject() == "tags"
            && f.file == format!("m/{REGRESSION_FILE}")));
    }

    #[test]
    fn a_missing_regression_file_and_a_missing_mock_are_found() {
        let versions = "terraform {\n  required_providers {\n    proxmox = { source = \"bpg/proxmox\" }\n    tls = { source = \"hashicorp/tls\" }\n  }\n}\n";
        let (_dir, module) = module_with(None, versions);
        let findings = check_module(Path::new("/nowhere"), &module);
        pretty_assertions::assert_eq!(
            crate::finding::ids_and_subjects(&findings),
            [
                ("regression/file".to_string(), "m".to_string()),
                ("tftest/mock-provider".to_string(), "tls".to_string())
            ]
        );
    }

    #[test]
    fn a_module_without_tests_is_one_finding() {
        let dir = tempfile::tempdir().unwrap();
        let module = Module::at("m", dir.path()).unwrap();
        let findings = check_module(Path::new("/nowhere"), &module);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, ids::NO_TESTS);
    }

    #[test]
    fn an_unparsable_file_is_a_finding_with_its_line() {
        let (_dir, module) = module_with(Some("run \"x\" {\n  command = \n"), VERSIONS);
        let findings = check_module(Path::new("/nowhere"), &module);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].id, ids::PARSE);
        assert!(findings[0].line.is_some_and(|l| l >= 2));
    }
}
