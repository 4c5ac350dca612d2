//! The provider service itself: answers schema and validation calls from a schema
//! document, and refuses every call that would need a real Proxmox or a real key
//! (apply, read, import; plan and configure unless the provider needs no network) with
//! a diagnostic saying to mock it. A provider with plan facts (tls, random) is
//! configured and plans a create the way the real one does (`planner`).

use tonic::{Request, Response, Status};

use crate::msgpack::{self, Value};
use crate::planner::{self, PlanFacts};
use crate::prepared_schema::PreparedSchema;
use crate::protocol::{self, tfplugin6 as pb};
use crate::schema_doc::SchemaError;

/// What one provider process serves: the schema messages, or why there are none.
pub struct ServedProvider {
    address: String,
    schema: Result<PreparedSchema, SchemaError>,
    /// How the provider plans without a mock; `None` for one that must be mocked.
    plan: Option<Result<PlanFacts, SchemaError>>,
}

impl ServedProvider {
    pub fn new(
        address: &str,
        schema: Result<PreparedSchema, SchemaError>,
        plan: Option<Result<PlanFacts, SchemaError>>,
    ) -> Self {
        Self {
            address: address.to_string(),
            schema,
            plan,
        }
    }

    /// The plan facts, when this provider plans without a mock.
    fn plannable(&self) -> Option<&PlanFacts> {
        match &self.plan {
            Some(Ok(facts)) if facts.plannable => Some(facts),
            _ => None,
        }
    }

    fn plan(
        &self,
        request: pb::plan_resource_change::Request,
        facts: &PlanFacts,
    ) -> Result<Option<Value>, Vec<pb::Diagnostic>> {
        let decode = |value: Option<pb::DynamicValue>, what: &str| {
            let bytes = value.map(|v| v.msgpack).unwrap_or_default();
            if bytes.is_empty() {
                return Ok(Value::Nil);
            }
            msgpack::decode(&bytes).map_err(|e| {
                vec![protocol::error(
                    format!(
                        "{}: cannot read the {what} of {}",
                        self.address, request.type_name
                    ),
                    e.to_string(),
                )]
            })
        };
        let prior = decode(request.prior_state.clone(), "prior state")?;
        let proposed = decode(request.proposed_new_state.clone(), "proposed new state")?;
        let config = decode(request.config.clone(), "configuration")?;
        if proposed.is_null() {
            return Ok(Some(Value::Nil)); // destroy
        }
        if !prior.is_null() {
            // An update: Terraform's proposal already keeps the prior computed values.
            return Ok(Some(proposed));
        }
        let Ok(schemas) = &self.schema else {
            return Err(self.schema_diagnostics());
        };
        let Some(block) = schemas.resource(&request.type_name).and_then(|s| s.block) else {
            return Err(vec![protocol::error(
                format!(
                    "{} has no resource type {}",
                    self.address, request.type_name
                ),
                String::new(),
            )]);
        };
        planner::plan_create(&request.type_name, &block, &config, facts)
            .map(Some)
            .map_err(|e| vec![protocol::error(e.summary, e.detail)])
    }

    /// The diagnostic for a call that needs the real provider.
    fn schema_only(&self, call: &str, type_name: &str) -> Vec<pb::Diagnostic> {
        let what = if type_name.is_empty() {
            String::new()
        } else {
            format!(" for {type_name}")
        };
        vec![protocol::error(
            format!(
                "{} is a schema-only offline provider: {call}{what} must be mocked",
                self.address
            ),
            "This provider (tf-offline-provider) only knows the schema of the real provider. \
             Use it in `terraform test` with `mock_provider` (or override_resource), or switch to \
             the real provider (SPEC_TF_PROVIDERS=registry and terraform init) for plan and apply \
             against real infrastructure.",
        )]
    }

    fn schema_diagnostics(&self) -> Vec<pb::Diagnostic> {
        match &self.schema {
            Ok(_) => Vec::new(),
            Err(e) => vec![protocol::error(
                format!("tf-offline-provider refused the schema of {}", self.address),
                e.to_string(),
            )],
        }
    }
}

/// As the plugin framework and the SDK announce it: Terraform may reuse the schema it got
/// from the first process of this provider for the next ones, instead of asking each (a
/// `terraform test` starts dozens). Destroy plans stay Terraform's own (`plan_destroy`
/// unset), so a provider that must be mocked is not asked to plan them.
fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        get_provider_schema_optional: true,
        ..Default::default()
    }
}

type Answer<T> = Result<Response<T>, Status>;

// The error type is tonic's, fixed by the generated service trait.
#[allow(clippy::result_large_err)]
fn answer<T>(message: T) -> Answer<T> {
    Ok(Response::new(message))
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ServedProvider {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> Answer<pb::get_metadata::Response> {
        let (resources, data_sources) = match &self.schema {
            Ok(s) => (
                s.resource_types
                    .iter()
                    .map(|t| pb::get_metadata::ResourceMetadata {
                        type_name: t.clone(),
                    })
                    .collect(),
                s.data_source_types
                    .iter()
                    .map(|t| pb::get_metadata::DataSourceMetadata {
                        type_name: t.clone(),
                    })
                    .collect(),
            ),
            Err(_) => Default::default(),
        };
        answer(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            diagnostics: self.schema_diagnostics(),
            data_sources,
            resources,
        })
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Answer<pb::get_provider_schema::Prepared> {
        let mut response = match &self.schema {
            Ok(s) => s.response.clone(),
            Err(_) => Default::default(),
        };
        response.server_capabilities = Some(capabilities());
        response.diagnostics = self.schema_diagnostics();
        answer(response)
    }

    // Terraform itself checks a configuration against the schema (unknown argument,
    // wrong type, missing required argument, block counts); what a real provider adds
    // here are value validators, which the schema format does not carry.
    async fn validate_provider_config(
        &self,
        _: Request<pb::validate_provider_config::Request>,
    ) -> Answer<pb::validate_provider_config::Response> {
        answer(pb::validate_provider_config::Response {
            diagnostics: self.schema_diagnostics(),
        })
    }

    async fn validate_resource_config(
        &self,
        _: Request<pb::validate_resource_config::Request>,
    ) -> Answer<pb::validate_resource_config::Response> {
        answer(pb::validate_resource_config::Response {
            diagnostics: self.schema_diagnostics(),
        })
    }

    async fn validate_data_resource_config(
        &self,
        _: Request<pb::validate_data_resource_config::Request>,
    ) -> Answer<pb::validate_data_resource_config::Response> {
        answer(pb::validate_data_resource_config::Response {
            diagnostics: self.schema_diagnostics(),
        })
    }

    // State saved with this schema's version needs no upgrade: hand the JSON back,
    // which Terraform decodes against the same schema.
    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Answer<pb::upgrade_resource_state::Response> {
        let request = request.into_inner();
        let json = request.raw_state.map(|s| s.json).unwrap_or_default();
        if json.is_empty() {
            return answer(pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: self.schema_only("upgrading legacy state", &request.type_name),
            });
        }
        answer(pb::upgrade_resource_state::Response {
            upgraded_state: Some(pb::DynamicValue {
                msgpack: Vec::new(),
                json,
            }),
            diagnostics: Vec::new(),
        })
    }

    // Terraform has checked the configuration against the schema; a provider that
    // needs no network has nothing else to set up.
    async fn configure_provider(
        &self,
        _: Request<pb::configure_provider::Request>,
    ) -> Answer<pb::configure_provider::Response> {
        let diagnostics = match &self.plan {
            Some(Err(e)) => vec![protocol::error(
                format!(
                    "tf-offline-provider refused the plan facts of {}",
                    self.address
                ),
                e.to_string(),
            )],
            _ if self.plannable().is_some() => self.schema_diagnostics(),
            _ => self.schema_only("configuring the provider", ""),
        };
        answer(pb::configure_provider::Response { diagnostics })
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Answer<pb::read_resource::Response> {
        answer(pb::read_resource::Response {
            diagnostics: self.schema_only("reading", &request.into_inner().type_name),
        })
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Answer<pb::plan_resource_change::Response> {
        let request = request.into_inner();
        let Some(facts) = self.plannable() else {
            return answer(pb::plan_resource_change::Response {
                planned_state: None,
                diagnostics: self.schema_only("planning", &request.type_name),
            });
        };
        answer(match self.plan(request, facts) {
            Ok(planned) => pb::plan_resource_change::Response {
                planned_state: planned.map(|value| pb::DynamicValue {
                    msgpack: msgpack::encode(&value),
                    json: Vec::new(),
                }),
                diagnostics: Vec::new(),
            },
            Err(diagnostics) => pb::plan_resource_change::Response {
                planned_state: None,
                diagnostics,
            },
        })
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Answer<pb::apply_resource_change::Response> {
        answer(pb::apply_resource_change::Response {
            diagnostics: self.schema_only("applying", &request.into_inner().type_name),
        })
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Answer<pb::import_resource_state::Response> {
        answer(pb::import_resource_state::Response {
            diagnostics: self.schema_only("importing", &request.into_inner().type_name),
        })
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Answer<pb::move_resource_state::Response> {
        answer(pb::move_resource_state::Response {
            diagnostics: self.schema_only("moving state", &request.into_inner().target_type_name),
        })
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Answer<pb::read_data_source::Response> {
        answer(pb::read_data_source::Response {
            diagnostics: self.schema_only("reading data source", &request.into_inner().type_name),
        })
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> Answer<pb::get_functions::Response> {
        answer(pb::get_functions::Response {
            diagnostics: Vec::new(),
        })
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Answer<pb::call_function::Response> {
        answer(pb::call_function::Response {
            error: Some(pb::FunctionError {
                text: format!(
                    "{} is a schema-only offline provider and has no function {}",
                    self.address,
                    request.into_inner().name
                ),
            }),
        })
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> Answer<pb::stop_provider::Response> {
        answer(pb::stop_provider::Response {
            error: String::new(),
        })
    }
}
