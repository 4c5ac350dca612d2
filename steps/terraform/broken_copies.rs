//! The broken variants of a module that the bad-input and guarded-default scenarios use, by
//! the words the feature file names them with. Each is an edit of a temporary copy; an edit
//! whose text is not found fails, so a variant can never silently equal the original.

use homelab_spec::terraform::ModuleCopy;

/// The test file whose only run never finishes.
pub const HANG_FILE: &str = "tests/hang.tftest.hcl";

/// A run appended to the vm regression file that breaks all three rules of a regression run.
pub const UNGUARDED_RUN: &str = "unguarded_apply";

/// Applies the change named `change` to `copy`.
pub fn apply(copy: &ModuleCopy, change: &str) -> Result<(), String> {
    match change {
        // Guarded defaults (SPEC US2): each must fail the regression run that protects it.
        "the description defaults to \"Managed by hand\"" => copy.replace_in(
            "variables.tf",
            "default     = \"Managed by Terraform\"",
            "default     = \"Managed by hand\"",
        ),
        "the data size loses its unit suffix" => copy.replace_in(
            "main.tf",
            "size   = var.data_size",
            "size   = trimsuffix(trimsuffix(var.data_size, \"G\"), \"T\")",
        ),
        "the SCSI controller is virtio-scsi-pci" => copy.replace_in(
            "main.tf",
            "scsi_hardware = \"virtio-scsi-single\"",
            "scsi_hardware = \"virtio-scsi-pci\"",
        ),
        "the health-check key algorithm is RSA" => {
            copy.replace_in("main.tf", "algorithm = \"ED25519\"", "algorithm = \"RSA\"")
        }
        "the schedule defaults to \"12:00\"" => copy.replace_in(
            "variables.tf",
            "default     = \"01:00\"",
            "default     = \"12:00\"",
        ),
        // Bad input.
        "the tests directory is removed" => copy.remove("tests"),
        "the regression file is cut off in the middle of a run" => {
            let path = "tests/regression.tftest.hcl";
            let text = std::fs::read_to_string(copy.module.dir.join(path))
                .map_err(|e| format!("cannot read {path}: {e}"))?;
            let cut = text
                .find("  assert {")
                .ok_or_else(|| format!("{path} has no assert block to cut in"))?;
            copy.write(
                path,
                &format!("{}  assert {{\n    condition = \n", &text[..cut]),
            )
        }
        "a regression run applies without a release comment or an assertion" => {
            let path = "tests/regression.tftest.hcl";
            let text = std::fs::read_to_string(copy.module.dir.join(path))
                .map_err(|e| format!("cannot read {path}: {e}"))?;
            copy.write(
                path,
                &format!(
                    "{text}\n# tags again\nrun \"{UNGUARDED_RUN}\" {{\n  command = apply\n}}\n"
                ),
            )
        }
        "the regression file does not mock the tls provider" => copy.replace_in(
            "tests/regression.tftest.hcl",
            "mock_provider \"tls\" {}\n",
            "",
        ),
        "a test run never finishes" => {
            copy.write(
                "hang.tf",
                "resource \"terraform_data\" \"hang\" {\n  provisioner \"local-exec\" {\n    command = \"sleep 600\"\n  }\n}\n",
            )?;
            copy.write(
                HANG_FILE,
                "mock_provider \"proxmox\" {}\n\nvariables {\n  node_name = \"pve\"\n}\n\nrun \"hangs\" {\n  command = apply\n\n  plan_options {\n    target = [terraform_data.hang]\n  }\n}\n",
            )
        }
        other => Err(format!(
            "no broken variant is known as {other:?}; see steps/terraform/broken_copies.rs"
        )),
    }
}
