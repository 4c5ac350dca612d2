//! The provider schemas built into the binary, so `install` works from any
//! directory and the repository may be read-only.

/// One bundled provider: what Terraform calls it and the schema document it serves.
pub struct BundledProvider {
    /// The source address as written in `required_providers` (`bpg/proxmox`).
    pub source: &'static str,
    /// The local name: the executable is `terraform-provider-<name>`.
    pub name: &'static str,
    /// The release the schema was generated from (`tools/schemas/regenerate.sh`).
    pub version: &'static str,
    /// The file in `providers/offline/schemas/` the document was built from.
    pub file: &'static str,
    pub document: &'static str,
    /// How the real provider plans a create (`<file>.plan.json`): only for providers that
    /// need no network, which are then planned without a mock. `None`: refused at configure.
    pub plan_facts: Option<(&'static str, &'static str)>,
}

pub const PROVIDERS: &[BundledProvider] = &[
    BundledProvider {
        source: "bpg/proxmox",
        name: "proxmox",
        version: "0.94.0",
        file: "schemas/bpg-proxmox-0.94.0.json",
        document: include_str!("../schemas/bpg-proxmox-0.94.0.json"),
        plan_facts: None,
    },
    BundledProvider {
        source: "hashicorp/tls",
        name: "tls",
        version: "4.2.1",
        file: "schemas/hashicorp-tls-4.2.1.json",
        document: include_str!("../schemas/hashicorp-tls-4.2.1.json"),
        plan_facts: Some((
            "schemas/hashicorp-tls-4.2.1.plan.json",
            include_str!("../schemas/hashicorp-tls-4.2.1.plan.json"),
        )),
    },
    BundledProvider {
        source: "hashicorp/random",
        name: "random",
        version: "3.8.1",
        file: "schemas/hashicorp-random-3.8.1.json",
        document: include_str!("../schemas/hashicorp-random-3.8.1.json"),
        plan_facts: Some((
            "schemas/hashicorp-random-3.8.1.plan.json",
            include_str!("../schemas/hashicorp-random-3.8.1.plan.json"),
        )),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_doc::SchemaDocument;
    use std::path::Path;

    #[test]
    fn every_bundled_schema_loads_and_names_its_provider() {
        for bundled in PROVIDERS {
            let document = SchemaDocument::parse(Path::new(bundled.file), bundled.document)
                .unwrap_or_else(|e| panic!("{e}"));
            let (address, _) = document
                .provider_named(bundled.name)
                .unwrap_or_else(|| panic!("{} has no provider */{}", bundled.file, bundled.name));
            assert_eq!(address, format!("registry.terraform.io/{}", bundled.source));
        }
    }

    /// What a typical homelab module sets or reads; a schema refresh that loses one of
    /// these (a wrong trim, another version) should not go unnoticed.
    const TYPICAL: &[(&str, &str, &str)] = &[
        (
            "proxmox",
            "proxmox_virtual_environment_vm",
            "node_name vm_id name description tags on_boot started bios machine boot_order scsi_hardware ipv4_addresses id agent.enabled cpu.cores cpu.type memory.dedicated disk.size disk.interface disk.datastore_id network_device.bridge network_device.vlan_id initialization.datastore_id initialization.user_data_file_id initialization.ip_config.ipv4.address initialization.ip_config.ipv4.gateway initialization.user_account.keys initialization.user_account.username initialization.dns.servers operating_system.type serial_device.device clone.vm_id vga.type efi_disk.datastore_id startup.order",
        ),
        (
            "proxmox",
            "proxmox_virtual_environment_container",
            "node_name vm_id description tags unprivileged start_on_boot started id initialization.hostname initialization.ip_config.ipv4.address initialization.user_account.keys initialization.dns.servers cpu.cores memory.dedicated disk.size mount_point.volume mount_point.path network_interface.name network_interface.bridge operating_system.template_file_id operating_system.type features.nesting console.type startup.order",
        ),
        (
            "proxmox",
            "proxmox_virtual_environment_file",
            "content_type datastore_id node_name overwrite timeout_upload id source_raw.data source_raw.file_name source_file.path",
        ),
        (
            "tls",
            "tls_private_key",
            "algorithm rsa_bits ecdsa_curve private_key_pem private_key_openssh public_key_openssh public_key_pem id",
        ),
    ];

    #[test]
    fn bundled_schemas_have_what_typical_modules_use() {
        for (name, resource, paths) in TYPICAL {
            let bundled = PROVIDERS.iter().find(|p| p.name == *name).unwrap();
            let document =
                SchemaDocument::parse(Path::new(bundled.file), bundled.document).unwrap();
            let (_, provider) = document.provider_named(name).unwrap();
            let schema = provider
                .resource_schemas
                .get(*resource)
                .unwrap_or_else(|| panic!("{} has no {resource}", bundled.file));
            for path in paths.split_whitespace() {
                let mut block = &schema.block;
                let mut steps: Vec<&str> = path.split('.').collect();
                let last = steps.pop().unwrap();
                for step in steps {
                    block = &block
                        .block_types
                        .get(step)
                        .unwrap_or_else(|| {
                            panic!("{}: {resource} has no block {path}", bundled.file)
                        })
                        .block;
                }
                assert!(
                    block.attributes.contains_key(last) || block.block_types.contains_key(last),
                    "{}: {resource} has no {path}",
                    bundled.file
                );
            }
        }
    }
}
