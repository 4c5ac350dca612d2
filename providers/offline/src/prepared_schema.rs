//! The schema as a provider process serves it: every resource and data source schema
//! already encoded as protobuf. `install` writes it beside `schema.json` as `schema.pb`,
//! so a process started by Terraform (dozens per `terraform test`) answers
//! `GetProviderSchema` without parsing the JSON (the full bpg/proxmox schema is 150 kB).
//! It is used only while its hash matches the JSON beside it; otherwise the JSON is read.

use std::hash::Hasher;
use std::path::Path;

use prost::Message;

use crate::protocol::{self, tfplugin6 as pb};
use crate::schema_doc::{ProviderSchema, SchemaError};

/// The file beside an installed `schema.json`.
pub const PREPARED_FILE_NAME: &str = "schema.pb";

/// What a provider process serves.
#[derive(Clone)]
pub struct PreparedSchema {
    pub address: String,
    /// The answer to `GetProviderSchema`, without diagnostics and capabilities.
    pub response: pb::get_provider_schema::Prepared,
    /// Type names, in the order of `response.resource_schemas`.
    pub resource_types: Vec<String>,
    pub data_source_types: Vec<String>,
}

impl PreparedSchema {
    /// Encodes every schema of a loaded document.
    pub fn from_document(address: &str, provider: &ProviderSchema) -> Self {
        let entries = |schemas: &std::collections::BTreeMap<String, crate::schema_doc::Schema>| {
            schemas
                .iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        pb::SchemaEntry {
                            key: name.clone(),
                            value: Some(protocol::schema(schema)),
                        }
                        .encode_to_vec(),
                    )
                })
                .unzip::<_, _, Vec<_>, Vec<_>>()
        };
        let (resource_types, resource_schemas) = entries(&provider.resource_schemas);
        let (data_source_types, data_source_schemas) = entries(&provider.data_source_schemas);
        let provider_schema = provider
            .provider
            .as_ref()
            .map(protocol::schema)
            .unwrap_or_else(|| pb::Schema {
                version: 0,
                block: Some(Default::default()),
            });
        PreparedSchema {
            address: address.to_string(),
            response: pb::get_provider_schema::Prepared {
                provider: provider_schema.encode_to_vec(),
                resource_schemas,
                data_source_schemas,
                diagnostics: Vec::new(),
                server_capabilities: None,
            },
            resource_types,
            data_source_types,
        }
    }

    /// The schema of one resource type, decoded (for planning).
    pub fn resource(&self, type_name: &str) -> Option<pb::Schema> {
        let index = self.resource_types.iter().position(|t| t == type_name)?;
        pb::SchemaEntry::decode(self.response.resource_schemas[index].as_slice())
            .ok()
            .and_then(|entry| entry.value)
    }

    /// The `schema.pb` content for the JSON text `source`.
    pub fn to_file(&self, source: &[u8]) -> Vec<u8> {
        pb::PreparedSchemaFile {
            source_hash: source_hash(source),
            address: self.address.clone(),
            response: Some(self.response.clone()),
            resource_types: self.resource_types.clone(),
            data_source_types: self.data_source_types.clone(),
        }
        .encode_to_vec()
    }

    /// Reads `schema.pb`; `None` when it is missing, unreadable, or was written for
    /// another `schema.json` than `source` (then the caller reads the JSON).
    pub fn from_file(file: &Path, source: &[u8]) -> Option<Self> {
        let bytes = std::fs::read(file).ok()?;
        let prepared = pb::PreparedSchemaFile::decode(bytes.as_slice()).ok()?;
        if prepared.source_hash != source_hash(source) {
            return None;
        }
        let response = prepared.response?;
        if response.resource_schemas.len() != prepared.resource_types.len()
            || response.data_source_schemas.len() != prepared.data_source_types.len()
        {
            return None;
        }
        Some(PreparedSchema {
            address: prepared.address,
            response,
            resource_types: prepared.resource_types,
            data_source_types: prepared.data_source_types,
        })
    }
}

/// A hash of the JSON text: std's SipHash with fixed keys, the same in `install` and in
/// the process it installs (one binary), and fast even in a debug build.
fn source_hash(source: &[u8]) -> u64 {
    #[allow(deprecated)]
    // SipHasher's replacement, DefaultHasher, is documented as unstable across releases too
    let mut hasher = std::hash::SipHasher::new();
    hasher.write(source);
    hasher.finish()
}

/// Loads and checks `schema.json` text, naming `file` in errors, for `install`.
pub fn prepare(file: &Path, text: &str, name: &str) -> Result<PreparedSchema, SchemaError> {
    let document = crate::schema_doc::SchemaDocument::parse(file, text)?;
    let (address, provider) = document.provider_named(name).ok_or_else(|| SchemaError {
        file: file.to_path_buf(),
        reason: format!("has no provider whose address ends in /{name}"),
    })?;
    Ok(PreparedSchema::from_document(address, provider))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundled::PROVIDERS;

    fn bpg() -> (PreparedSchema, &'static str) {
        let bundled = &PROVIDERS[0];
        (
            prepare(Path::new(bundled.file), bundled.document, bundled.name).unwrap(),
            bundled.document,
        )
    }

    #[test]
    fn prepared_answer_decodes_as_the_typed_response() {
        let (prepared, _) = bpg();
        let typed =
            pb::get_provider_schema::Response::decode(prepared.response.encode_to_vec().as_slice())
                .unwrap();
        assert_eq!(typed.resource_schemas.len(), 60);
        assert_eq!(typed.data_source_schemas.len(), 49);
        assert!(
            typed
                .resource_schemas
                .contains_key("proxmox_virtual_environment_firewall_rules")
        );
        assert!(typed.provider.and_then(|p| p.block).is_some());
        let vm = prepared.resource("proxmox_virtual_environment_vm").unwrap();
        assert!(
            vm.block
                .unwrap()
                .block_types
                .iter()
                .any(|b| b.type_name == "disk")
        );
    }

    #[test]
    fn the_file_is_used_only_for_the_json_it_was_written_for() {
        let (prepared, source) = bpg();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(PREPARED_FILE_NAME);
        std::fs::write(&file, prepared.to_file(source.as_bytes())).unwrap();
        let read = PreparedSchema::from_file(&file, source.as_bytes()).unwrap();
        assert_eq!(read.resource_types, prepared.resource_types);
        assert_eq!(read.response, prepared.response);
        let edited = source.replacen("\"optional\": true", "\"required\": true", 1);
        assert!(PreparedSchema::from_file(&file, edited.as_bytes()).is_none());
        std::fs::write(&file, b"not protobuf at all").unwrap();
        assert!(PreparedSchema::from_file(&file, source.as_bytes()).is_none());
    }
}
