//! The Terraform plugin protocol 6 messages (generated from `proto/`) and the
//! conversion of a schema document into the schema messages Terraform asks for.

use crate::schema_doc::{self, DescriptionKind, NestingMode};

/// Generated from `proto/tfplugin6.proto`.
#[allow(dead_code, clippy::all)]
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// Generated from `proto/go_plugin.proto`.
#[allow(dead_code, clippy::all)]
pub mod go_plugin {
    tonic::include_proto!("plugin");
}

use tfplugin6::schema::{self as pb, nested_block, object};

pub fn schema(schema: &schema_doc::Schema) -> tfplugin6::Schema {
    tfplugin6::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

fn block(block: &schema_doc::Block) -> pb::Block {
    pb::Block {
        version: 0,
        attributes: block
            .attributes
            .iter()
            .map(|(name, a)| attribute(name, a))
            .collect(),
        block_types: block
            .block_types
            .iter()
            .map(|(name, nested)| pb::NestedBlock {
                type_name: name.clone(),
                block: Some(self::block(&nested.block)),
                nesting: block_nesting(nested.nesting_mode) as i32,
                min_items: nested.min_items,
                max_items: nested.max_items,
            })
            .collect(),
        description: block.description.clone(),
        description_kind: description_kind(block.description_kind) as i32,
        deprecated: block.deprecated,
    }
}

fn attribute(name: &str, attribute: &schema_doc::Attribute) -> pb::Attribute {
    pb::Attribute {
        name: name.to_string(),
        // The protocol carries the cty type in the same JSON form as the document.
        r#type: attribute
            .cty_type
            .as_ref()
            .map(|t| t.to_string().into_bytes())
            .unwrap_or_default(),
        nested_type: attribute.nested_type.as_ref().map(|nested| pb::Object {
            attributes: nested
                .attributes
                .iter()
                .map(|(name, a)| self::attribute(name, a))
                .collect(),
            nesting: object_nesting(nested.nesting_mode) as i32,
        }),
        description: attribute.description.clone(),
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        description_kind: description_kind(attribute.description_kind) as i32,
        deprecated: attribute.deprecated,
    }
}

fn block_nesting(mode: NestingMode) -> nested_block::NestingMode {
    match mode {
        NestingMode::Single => nested_block::NestingMode::Single,
        NestingMode::Group => nested_block::NestingMode::Group,
        NestingMode::List => nested_block::NestingMode::List,
        NestingMode::Set => nested_block::NestingMode::Set,
        NestingMode::Map => nested_block::NestingMode::Map,
    }
}

fn object_nesting(mode: NestingMode) -> object::NestingMode {
    match mode {
        // Group exists only for blocks; the loader's check keeps it out of attributes.
        NestingMode::Single | NestingMode::Group => object::NestingMode::Single,
        NestingMode::List => object::NestingMode::List,
        NestingMode::Set => object::NestingMode::Set,
        NestingMode::Map => object::NestingMode::Map,
    }
}

fn description_kind(kind: DescriptionKind) -> tfplugin6::StringKind {
    match kind {
        DescriptionKind::Plain => tfplugin6::StringKind::Plain,
        DescriptionKind::Markdown => tfplugin6::StringKind::Markdown,
    }
}

/// An error diagnostic, the way a provider reports a problem to Terraform.
pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> tfplugin6::Diagnostic {
    tfplugin6::Diagnostic {
        severity: tfplugin6::diagnostic::Severity::Error as i32,
        summary: summary.into(),
        detail: detail.into(),
    }
}
