//! Plans without a mock for the providers that need no network (tls, random), the way
//! the real ones plan a create: the configuration, with the declared defaults applied,
//! the recorded plan-modifier facts (random's `number` mirrors `numeric`), and every
//! computed attribute the configuration leaves unset unknown. Facts come from the
//! generated `<provider>-<version>.plan.json` beside the schema; nothing is invented:
//! apply, read and import still need a mock.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::msgpack::Value;
use crate::protocol::tfplugin6::schema as pb;
use crate::schema_doc::SchemaError;

/// How a provider plans, beyond its schema (the `.plan.json` file).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFacts {
    /// Where the facts come from (prose; not used).
    #[allow(dead_code)]
    #[serde(default)]
    pub about: String,
    /// Whether the provider may be configured and planned without a mock.
    pub plannable: bool,
    /// Resource type → top-level attribute → static default.
    #[serde(default)]
    pub defaults: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    /// Resource type → groups of attributes planned equal to each other.
    #[serde(default)]
    pub mirrors: BTreeMap<String, Vec<Mirror>>,
}

/// Attributes the provider plans to one value: the configured one, or `when_all_unset`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mirror {
    pub attributes: Vec<String>,
    pub when_all_unset: bool,
}

impl PlanFacts {
    pub fn parse(file: &Path, text: &str) -> Result<Self, SchemaError> {
        serde_json::from_str(text).map_err(|e| SchemaError {
            file: file.to_path_buf(),
            reason: format!("not a plan-facts document: {e}"),
        })
    }
}

/// Why a configuration cannot be planned (reported as an error diagnostic).
#[derive(Debug, PartialEq, Eq)]
pub struct PlanError {
    pub summary: String,
    pub detail: String,
}

/// The planned new state of a resource that does not exist yet.
pub fn plan_create(
    type_name: &str,
    block: &pb::Block,
    config: &Value,
    facts: &PlanFacts,
) -> Result<Value, PlanError> {
    let empty = BTreeMap::new();
    let defaults = facts.defaults.get(type_name).unwrap_or(&empty);
    let mut planned = plan_block(block, config, defaults);
    for mirror in facts.mirrors.get(type_name).into_iter().flatten() {
        apply_mirror(type_name, mirror, config, &mut planned)?;
    }
    Ok(planned)
}

fn plan_block(
    block: &pb::Block,
    config: &Value,
    defaults: &BTreeMap<String, serde_json::Value>,
) -> Value {
    let mut entries = Vec::new();
    for attribute in &block.attributes {
        let configured = config.get(&attribute.name).cloned().unwrap_or(Value::Nil);
        let value = if !configured.is_null() {
            configured
        } else if let Some(default) = defaults.get(&attribute.name).and_then(Value::from_json) {
            default
        } else if attribute.computed {
            Value::unknown()
        } else {
            Value::Nil
        };
        entries.push((Value::Str(attribute.name.clone()), value));
    }
    // Nested blocks plan element by element; defaults are recorded for top-level
    // attributes only (the bundled tls and random schemas have none deeper).
    let none = BTreeMap::new();
    for nested in &block.block_types {
        let configured = config.get(&nested.type_name).cloned().unwrap_or(Value::Nil);
        let inner = nested.block.clone().unwrap_or_default();
        let value = match configured {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| plan_block(&inner, item, &none))
                    .collect(),
            ),
            Value::Map(entries) if nested.nesting == pb::nested_block::NestingMode::Map as i32 => {
                Value::Map(
                    entries
                        .iter()
                        .map(|(k, v)| (k.clone(), plan_block(&inner, v, &none)))
                        .collect(),
                )
            }
            Value::Map(_) => plan_block(&inner, &configured, &none),
            other => other,
        };
        entries.push((Value::Str(nested.type_name.clone()), value));
    }
    Value::Map(entries)
}

fn apply_mirror(
    type_name: &str,
    mirror: &Mirror,
    config: &Value,
    planned: &mut Value,
) -> Result<(), PlanError> {
    let configured: Vec<(&str, &Value)> = mirror
        .attributes
        .iter()
        .filter_map(|name| {
            config
                .get(name)
                .filter(|v| !v.is_null())
                .map(|v| (name.as_str(), v))
        })
        .collect();
    let value = match configured.as_slice() {
        [] => Value::Bool(mirror.when_all_unset),
        [(_, first), rest @ ..] => {
            if let Some((name, _)) = rest.iter().find(|(_, v)| v != first) {
                return Err(PlanError {
                    summary: format!(
                        "{type_name}: {} and {name} are both configured with different values",
                        configured[0].0
                    ),
                    detail: format!(
                        "The provider plans {} to one value.",
                        mirror.attributes.join(", ")
                    ),
                });
            }
            (*first).clone()
        }
    };
    if let Value::Map(entries) = planned {
        for (key, slot) in entries.iter_mut() {
            if matches!(key, Value::Str(k) if mirror.attributes.contains(k)) {
                *slot = value.clone();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(name: &str, required: bool, computed: bool) -> pb::Attribute {
        pb::Attribute {
            name: name.to_string(),
            r#type: b"\"string\"".to_vec(),
            required,
            optional: !required,
            computed,
            ..Default::default()
        }
    }

    fn config(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (Value::Str(k.to_string()), v.clone()))
                .collect(),
        )
    }

    fn password_block() -> pb::Block {
        pb::Block {
            attributes: vec![
                attribute("length", true, false),
                attribute("lower", false, true),
                attribute("number", false, true),
                attribute("numeric", false, true),
                attribute("override_special", false, false),
                attribute("result", false, true),
            ],
            ..Default::default()
        }
    }

    fn facts() -> PlanFacts {
        PlanFacts::parse(
            Path::new("x.plan.json"),
            r#"{"plannable": true,
                "defaults": {"random_password": {"lower": true}},
                "mirrors": {"random_password": [{"attributes": ["number", "numeric"], "when_all_unset": true}]}}"#,
        )
        .unwrap()
    }

    #[test]
    fn create_keeps_config_applies_defaults_and_leaves_computed_unknown() {
        let config = config(&[
            ("length", Value::Int(24)),
            ("lower", Value::Nil),
            ("number", Value::Nil),
            ("numeric", Value::Nil),
            ("override_special", Value::Nil),
            ("result", Value::Nil),
        ]);
        let planned = plan_create("random_password", &password_block(), &config, &facts()).unwrap();
        assert_eq!(planned.get("length"), Some(&Value::Int(24)));
        assert_eq!(planned.get("lower"), Some(&Value::Bool(true)));
        assert_eq!(planned.get("override_special"), Some(&Value::Nil));
        assert!(planned.get("result").unwrap().is_unknown());
        assert_eq!(planned.get("number"), Some(&Value::Bool(true)));
        assert_eq!(planned.get("numeric"), Some(&Value::Bool(true)));
    }

    #[test]
    fn a_mirrored_attribute_follows_the_configured_one() {
        let config = config(&[("length", Value::Int(8)), ("numeric", Value::Bool(false))]);
        let planned = plan_create("random_password", &password_block(), &config, &facts()).unwrap();
        assert_eq!(planned.get("number"), Some(&Value::Bool(false)));
        let conflicting = config_with_both(true, false);
        assert!(plan_create("random_password", &password_block(), &conflicting, &facts()).is_err());
    }

    fn config_with_both(number: bool, numeric: bool) -> Value {
        config(&[
            ("length", Value::Int(8)),
            ("number", Value::Bool(number)),
            ("numeric", Value::Bool(numeric)),
        ])
    }

    #[test]
    fn nested_blocks_are_planned_element_by_element() {
        let block = pb::Block {
            attributes: vec![attribute("cert_pem", false, true)],
            block_types: vec![pb::NestedBlock {
                type_name: "subject".to_string(),
                block: Some(pb::Block {
                    attributes: vec![attribute("common_name", false, false)],
                    ..Default::default()
                }),
                nesting: pb::nested_block::NestingMode::List as i32,
                ..Default::default()
            }],
            ..Default::default()
        };
        let subject = config(&[("common_name", Value::Str("ca".to_string()))]);
        let config = config(&[("subject", Value::Array(vec![subject.clone()]))]);
        let planned = plan_create(
            "tls_self_signed_cert",
            &block,
            &config,
            &PlanFacts::default(),
        )
        .unwrap();
        assert_eq!(planned.get("subject"), Some(&Value::Array(vec![subject])));
        assert!(planned.get("cert_pem").unwrap().is_unknown());
    }
}
