//! The provider schemas built into the binary, so `install` works from any
//! directory and the repository may be read-only.
//!
//! Each provider has a default release with its own schema file; bpg/proxmox also has every
//! other release from 0.66.0 to 0.111.1 in a deduplicated bundle
//! (`schemas/bpg-proxmox.bundle.json`, written by `tools/schemas/bundle.py`): each distinct
//! resource, data source and provider schema is stored once, and each version lists the ones
//! it is made of. A version's document is rebuilt only when an install selects it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One bundled provider: what Terraform calls it and the schema documents it serves.
pub struct BundledProvider {
    /// The source address as written in `required_providers` (`bpg/proxmox`).
    pub source: &'static str,
    /// The local name: the executable is `terraform-provider-<name>`.
    pub name: &'static str,
    /// The release served when an install names none (`tools/schemas/regenerate.sh`).
    pub version: &'static str,
    /// The file in `providers/offline/schemas/` the default document was built from.
    pub file: &'static str,
    pub document: &'static str,
    /// How the real provider plans a create (`<file>.plan.json`): only for providers that
    /// need no network, which are then planned without a mock. `None`: refused at configure.
    pub plan_facts: Option<(&'static str, &'static str)>,
    /// Its other releases: the bundle's file and text.
    pub others: Option<(&'static str, &'static str)>,
}

pub const PROVIDERS: &[BundledProvider] = &[
    BundledProvider {
        source: "bpg/proxmox",
        name: "proxmox",
        version: "0.94.0",
        file: "schemas/bpg-proxmox-0.94.0.json",
        document: include_str!("../schemas/bpg-proxmox-0.94.0.json"),
        plan_facts: None,
        others: Some((
            "schemas/bpg-proxmox.bundle.json",
            include_str!("../schemas/bpg-proxmox.bundle.json"),
        )),
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
        others: None,
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
        others: None,
    },
];

/// A bundle as `tools/schemas/bundle.py` writes it.
#[derive(serde::Deserialize)]
struct Bundle {
    bundle_format: u32,
    provider: String,
    /// version -> (key -> part hash, or name -> part hash for the `*_schemas` maps)
    versions: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    parts: BTreeMap<String, serde_json::Value>,
}

impl BundledProvider {
    /// Every release it can serve, the default first.
    pub fn versions(&self) -> Result<Vec<String>, String> {
        let mut versions = vec![self.version.to_string()];
        if let Some(bundle) = self.bundle()? {
            let mut others: Vec<&String> = bundle
                .versions
                .keys()
                .filter(|v| *v != self.version)
                .collect();
            // By release order: 0.66.0 before 0.100.0.
            others.sort_by_key(|v| {
                v.split(['.', '-'])
                    .map(|part| part.parse::<u64>().unwrap_or(u64::MAX))
                    .collect::<Vec<_>>()
            });
            versions.extend(others.into_iter().cloned());
        }
        Ok(versions)
    }

    /// The schema document of `version` (the default when `None`) and the file it comes
    /// from, for messages.
    pub fn schema(&self, version: Option<&str>) -> Result<(String, String), String> {
        let version = version.unwrap_or(self.version);
        if version == self.version {
            return Ok((self.file.to_string(), self.document.to_string()));
        }
        let unknown = || {
            format!(
                "{} {version} is not bundled (bundled: {})",
                self.source,
                self.versions().unwrap_or_default().join(", ")
            )
        };
        let bundle = self.bundle()?.ok_or_else(unknown)?;
        let entry = bundle.versions.get(version).ok_or_else(unknown)?;
        let (file, _) = self.others.unwrap_or_default();
        let part = |hash: &serde_json::Value| {
            hash.as_str()
                .and_then(|h| bundle.parts.get(h))
                .cloned()
                .ok_or_else(|| format!("{file}: {version}: no part {hash}"))
        };
        let mut schemas = serde_json::Map::new();
        let mut format_version = serde_json::Value::Null;
        for (key, value) in entry {
            match (key.as_str(), value) {
                ("format_version", v) => format_version = v.clone(),
                (_, serde_json::Value::Object(names)) => {
                    let mut map = serde_json::Map::new();
                    for (name, hash) in names {
                        map.insert(name.clone(), part(hash)?);
                    }
                    schemas.insert(key.clone(), serde_json::Value::Object(map));
                }
                (_, hash) => {
                    schemas.insert(key.clone(), part(hash)?);
                }
            }
        }
        let document = serde_json::json!({
            "format_version": format_version,
            "provider_schemas": { bundle.provider.clone(): schemas },
        });
        Ok((
            format!("{file} ({version})"),
            serde_json::to_string(&document).map_err(|e| e.to_string())?,
        ))
    }

    /// The bundle, parsed once per process.
    fn bundle(&self) -> Result<Option<&'static Bundle>, String> {
        static BUNDLES: OnceLock<BTreeMap<&'static str, Result<Bundle, String>>> = OnceLock::new();
        let Some((file, _)) = self.others else {
            return Ok(None);
        };
        let bundles = BUNDLES.get_or_init(|| {
            PROVIDERS
                .iter()
                .filter_map(|p| p.others)
                .map(|(file, text)| {
                    let parsed = serde_json::from_str::<Bundle>(text)
                        .map_err(|e| format!("{file}: {e}"))
                        .and_then(|b| match b.bundle_format {
                            1 => Ok(b),
                            other => Err(format!("{file}: unknown bundle_format {other}")),
                        });
                    (file, parsed)
                })
                .collect()
        });
        match bundles.get(file) {
            Some(Ok(bundle)) => Ok(Some(bundle)),
            Some(Err(e)) => Err(e.clone()),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_doc::SchemaDocument;
    use std::path::Path;

    #[test]
    fn every_bundled_version_rebuilds_loads_and_names_its_provider() {
        let proxmox = &PROVIDERS[0];
        let versions = proxmox.versions().unwrap();
        assert_eq!(versions.len(), 71, "{versions:?}");
        for version in &versions {
            let (file, document) = proxmox.schema(Some(version)).unwrap();
            let document = SchemaDocument::parse(Path::new(&file), &document)
                .unwrap_or_else(|e| panic!("{e}"));
            let (address, schema) = document.provider_named("proxmox").unwrap();
            assert_eq!(address, "registry.terraform.io/bpg/proxmox");
            assert!(
                schema
                    .resource_schemas
                    .contains_key("proxmox_virtual_environment_vm"),
                "{version}"
            );
        }
        assert!(
            proxmox
                .schema(Some("0.65.0"))
                .unwrap_err()
                .contains("not bundled")
        );
        assert!(PROVIDERS[1].schema(Some("4.0.6")).is_err());
    }

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
