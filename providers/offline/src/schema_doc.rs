//! The schema document: the JSON that `terraform providers schema -json` prints,
//! read strictly so that a typo in a hand-written schema is an error naming the file
//! and the place, not a silently missing attribute.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The only `format_version` this loader understands (Terraform 1.x prints "1.0").
pub const FORMAT_VERSION: &str = "1.0";

/// Why a schema document was refused: which file, and what is wrong in it.
#[derive(Debug, Clone)]
pub struct SchemaError {
    pub file: PathBuf,
    pub reason: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.reason)
    }
}

impl std::error::Error for SchemaError {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaDocument {
    #[allow(dead_code)] // checked in `parse` before the typed read
    pub format_version: String,
    #[serde(default)]
    pub provider_schemas: BTreeMap<String, ProviderSchema>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSchema {
    pub provider: Option<Schema>,
    #[serde(default)]
    pub resource_schemas: BTreeMap<String, Schema>,
    #[serde(default)]
    pub data_source_schemas: BTreeMap<String, Schema>,
    // Newer Terraform versions print these too; they are accepted so a freshly
    // exported schema loads, and not served (see README, known gaps).
    #[allow(dead_code)]
    #[serde(default)]
    pub ephemeral_resource_schemas: Option<serde_json::Value>,
    #[allow(dead_code)]
    #[serde(default)]
    pub functions: Option<serde_json::Value>,
    #[allow(dead_code)]
    #[serde(default)]
    pub resource_identity_schemas: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    #[serde(default)]
    pub version: i64,
    pub block: Block,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    #[serde(default)]
    pub block_types: BTreeMap<String, NestedBlock>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub description_kind: DescriptionKind,
    #[serde(default)]
    pub deprecated: bool,
}

#[derive(Debug, Default, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DescriptionKind {
    #[default]
    Plain,
    Markdown,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    /// A cty type in its JSON form, e.g. `"string"` or `["list", "number"]`.
    #[serde(rename = "type")]
    pub cty_type: Option<serde_json::Value>,
    pub nested_type: Option<NestedAttributeType>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub description_kind: DescriptionKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub computed: bool,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub deprecated: bool,
    /// Accepted, not served: protocol 6.5 has no write-only flag (README, known gaps).
    #[allow(dead_code)]
    #[serde(default)]
    pub write_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedAttributeType {
    pub attributes: BTreeMap<String, Attribute>,
    pub nesting_mode: NestingMode,
    // Printed by some Terraform versions for nested attributes; the protocol marks
    // them deprecated and without effect, so they are accepted and not served.
    #[allow(dead_code)]
    #[serde(default)]
    pub min_items: i64,
    #[allow(dead_code)]
    #[serde(default)]
    pub max_items: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NestedBlock {
    pub nesting_mode: NestingMode,
    #[serde(default)]
    pub block: Block,
    #[serde(default)]
    pub min_items: i64,
    #[serde(default)]
    pub max_items: i64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NestingMode {
    Single,
    Group,
    List,
    Set,
    Map,
}

impl SchemaDocument {
    /// Parses and checks a schema document; `file` only names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Self, SchemaError> {
        let error = |reason: String| SchemaError {
            file: file.to_path_buf(),
            reason,
        };
        // Check the version first, so a document of another format says so rather
        // than failing on its first unfamiliar field.
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| error(format!("not valid JSON: {e}")))?;
        match raw.get("format_version") {
            Some(serde_json::Value::String(v)) if v == FORMAT_VERSION => {}
            Some(other) => {
                return Err(error(format!(
                    "unknown format_version {other}; this provider reads format_version \"{FORMAT_VERSION}\" (terraform providers schema -json of Terraform 1.x)"
                )));
            }
            None => {
                return Err(error(
                    "no format_version; expected the output of `terraform providers schema -json`"
                        .to_string(),
                ));
            }
        }
        let document: SchemaDocument = serde_json::from_value(raw)
            .map_err(|e| error(format!("not a provider schema document: {e}")))?;
        if document.provider_schemas.is_empty() {
            return Err(error("provider_schemas is empty".to_string()));
        }
        for (address, provider) in &document.provider_schemas {
            provider
                .check()
                .map_err(|reason| error(format!("provider {address}: {reason}")))?;
        }
        Ok(document)
    }

    /// Reads and checks a schema document from disk.
    pub fn load(file: &Path) -> Result<Self, SchemaError> {
        let text = std::fs::read_to_string(file).map_err(|e| SchemaError {
            file: file.to_path_buf(),
            reason: format!("cannot read: {e}"),
        })?;
        Self::parse(file, &text)
    }

    /// The provider whose address ends in `/<name>` (its local name, e.g. `proxmox`).
    pub fn provider_named(&self, name: &str) -> Option<(&str, &ProviderSchema)> {
        let suffix = format!("/{name}");
        self.provider_schemas
            .iter()
            .find(|(address, _)| address.ends_with(&suffix))
            .map(|(address, schema)| (address.as_str(), schema))
    }
}

impl ProviderSchema {
    fn check(&self) -> Result<(), String> {
        if let Some(provider) = &self.provider {
            provider.block.check("provider block")?;
        }
        for (name, schema) in &self.resource_schemas {
            schema.block.check(&format!("resource {name}"))?;
        }
        for (name, schema) in &self.data_source_schemas {
            schema.block.check(&format!("data source {name}"))?;
        }
        Ok(())
    }
}

impl Block {
    fn check(&self, at: &str) -> Result<(), String> {
        for (name, attribute) in &self.attributes {
            attribute.check(&format!("{at}, attribute {name}"))?;
            if self.block_types.contains_key(name) {
                return Err(format!("{at}: {name} is both an attribute and a block"));
            }
        }
        for (name, nested) in &self.block_types {
            let here = format!("{at}, block {name}");
            if nested.max_items != 0 && nested.min_items > nested.max_items {
                return Err(format!(
                    "{here}: min_items {} is more than max_items {}",
                    nested.min_items, nested.max_items
                ));
            }
            if nested.min_items < 0 || nested.max_items < 0 {
                return Err(format!(
                    "{here}: min_items and max_items cannot be negative"
                ));
            }
            nested.block.check(&here)?;
        }
        Ok(())
    }
}

impl Attribute {
    fn check(&self, at: &str) -> Result<(), String> {
        match (&self.cty_type, &self.nested_type) {
            (Some(cty), None) => check_cty_type(cty).map_err(|e| format!("{at}: {e}"))?,
            (None, Some(nested)) => {
                if nested.nesting_mode == NestingMode::Group {
                    return Err(format!("{at}: nesting_mode \"group\" is only for blocks"));
                }
                for (name, attribute) in &nested.attributes {
                    attribute.check(&format!("{at}, nested attribute {name}"))?;
                }
            }
            (Some(_), Some(_)) => return Err(format!("{at}: has both type and nested_type")),
            (None, None) => return Err(format!("{at}: has neither type nor nested_type")),
        }
        if self.required && (self.optional || self.computed) {
            return Err(format!(
                "{at}: required cannot be combined with optional or computed"
            ));
        }
        if !(self.required || self.optional || self.computed) {
            return Err(format!(
                "{at}: must be required, optional or computed (or optional and computed)"
            ));
        }
        Ok(())
    }
}

/// Checks a cty type in its JSON form, as Terraform prints it.
fn check_cty_type(cty: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    match cty {
        Value::String(s) if matches!(s.as_str(), "string" | "number" | "bool" | "dynamic") => {
            Ok(())
        }
        Value::Array(parts) => match parts.as_slice() {
            [Value::String(kind), element] if matches!(kind.as_str(), "list" | "set" | "map") => {
                check_cty_type(element)
            }
            [Value::String(kind), Value::Object(attrs), rest @ ..] if kind == "object" => {
                if rest.len() > 1 {
                    return Err(format!("invalid cty type {cty}"));
                }
                attrs.values().try_for_each(check_cty_type)
            }
            [Value::String(kind), Value::Array(elements)] if kind == "tuple" => {
                elements.iter().try_for_each(check_cty_type)
            }
            _ => Err(format!("invalid cty type {cty}")),
        },
        _ => Err(format!("invalid cty type {cty}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SchemaDocument, SchemaError> {
        SchemaDocument::parse(Path::new("x.json"), text)
    }

    const MINIMAL: &str = r#"{"format_version":"1.0","provider_schemas":{"registry.terraform.io/a/b":{
        "provider":{"version":0,"block":{}},
        "resource_schemas":{"b_thing":{"version":0,"block":{
            "attributes":{"size":{"type":"number","optional":true}},
            "block_types":{"disk":{"nesting_mode":"list","block":{"attributes":{"size":{"type":"number","required":true}}}}}}}}}}}"#;

    #[test]
    fn minimal_document_loads_and_is_found_by_local_name() {
        let document = parse(MINIMAL).unwrap();
        let (address, provider) = document.provider_named("b").unwrap();
        assert_eq!(address, "registry.terraform.io/a/b");
        assert!(provider.resource_schemas.contains_key("b_thing"));
    }

    #[test]
    fn unknown_format_version_is_refused_with_file_and_reason() {
        let error = parse(&MINIMAL.replace("\"1.0\"", "\"2.0\"")).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("x.json: "), "{message}");
        assert!(
            message.contains("unknown format_version \"2.0\""),
            "{message}"
        );
    }

    #[test]
    fn malformed_json_is_refused_with_file_and_reason() {
        let message = parse(&MINIMAL[..40]).unwrap_err().to_string();
        assert!(message.starts_with("x.json: not valid JSON"), "{message}");
    }

    #[test]
    fn misspelled_field_is_refused() {
        let message = parse(&MINIMAL.replace("\"optional\"", "\"optinal\""))
            .unwrap_err()
            .to_string();
        assert!(message.contains("unknown field `optinal`"), "{message}");
    }

    #[test]
    fn bad_cty_type_and_flag_combination_are_refused() {
        let message = parse(&MINIMAL.replace("\"number\",\"optional\"", "\"numbr\",\"optional\""))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("resource b_thing, attribute size: invalid cty type \"numbr\""),
            "{message}"
        );
        let message =
            parse(&MINIMAL.replace("\"required\":true", "\"required\":true,\"computed\":true"))
                .unwrap_err()
                .to_string();
        assert!(
            message.contains("block disk, attribute size: required cannot"),
            "{message}"
        );
    }
}
