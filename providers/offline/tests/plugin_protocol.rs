//! Talks plugin protocol 6 to the provider directly, as Terraform does: the
//! handshake, the schema it serves (nesting and item limits intact), the refusal
//! of calls that need the real provider, and the start-up-plus-schema time.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use prost::Message;

#[allow(dead_code, clippy::all)]
mod pb {
    tonic::include_proto!("tfplugin6");
}

#[allow(dead_code, clippy::all)]
mod go_plugin {
    tonic::include_proto!("plugin");
}

use pb::provider_client::ProviderClient;
use pb::schema::nested_block::NestingMode;

const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

/// The start-up budget of the issue, with the full bpg/proxmox schema, in the build the
/// suite uses (the dev profile) as much as in a release build.
const BUDGET: Duration = Duration::from_millis(50);

struct Plugin {
    child: Child,
    address: String,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts an installed `terraform-provider-<name>` without TLS and reads its handshake.
fn start(program: &std::path::Path) -> Plugin {
    let mut child = Command::new(program)
        .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(&fields[..3], &["1", "6", "tcp"], "handshake line: {line:?}");
    assert_eq!(fields[4], "grpc", "handshake line: {line:?}");
    Plugin {
        address: fields[3].to_string(),
        child,
    }
}

async fn schema_of(plugin: &Plugin) -> pb::get_provider_schema::Response {
    let mut client = ProviderClient::connect(format!("http://{}", plugin.address))
        .await
        .unwrap();
    let prepared = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    // The server sends the schemas pre-encoded; on the wire that is the typed response.
    pb::get_provider_schema::Response::decode(prepared.encode_to_vec().as_slice())
        .expect("GetProviderSchema answer decodes as the protocol's Response")
}

#[tokio::test]
async fn serves_the_schema_with_nesting_and_item_limits_within_budget() {
    let providers = support::installed();
    let program = providers
        .dir
        .path()
        .join("proxmox/terraform-provider-proxmox");

    // The best of a few tries: other work on a busy machine only ever adds to the
    // figure, so the minimum is the provider's own cost (the first try also warms
    // the page cache).
    let mut best = Duration::MAX;
    let mut response = None;
    for _ in 0..5 {
        let started = Instant::now();
        let plugin = start(&program);
        let answer = schema_of(&plugin).await;
        best = best.min(started.elapsed());
        drop(plugin);
        response = Some(answer);
    }
    let response = response.expect("five tries");
    eprintln!("start-up + GetProviderSchema, best of 5: {best:?} (budget {BUDGET:?})");
    assert!(
        best < BUDGET,
        "start-up + schema took {best:?} at best, budget {BUDGET:?}"
    );

    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let vm = response.resource_schemas["proxmox_virtual_environment_vm"]
        .block
        .as_ref()
        .unwrap();
    let block = |name: &str| {
        vm.block_types
            .iter()
            .find(|b| b.type_name == name)
            .unwrap_or_else(|| panic!("vm has no {name} block"))
    };
    let disk = block("disk");
    assert_eq!(disk.nesting(), NestingMode::List);
    assert_eq!((disk.min_items, disk.max_items), (0, 31));
    let agent = block("agent");
    assert_eq!((agent.nesting(), agent.max_items), (NestingMode::List, 1));
    let node_name = vm
        .attributes
        .iter()
        .find(|a| a.name == "node_name")
        .unwrap();
    assert!(node_name.required && node_name.r#type == b"\"string\"");
    assert!(
        response
            .resource_schemas
            .contains_key("proxmox_virtual_environment_container")
    );
    assert!(
        response
            .resource_schemas
            .contains_key("proxmox_virtual_environment_file")
    );
}

#[tokio::test]
async fn calls_that_need_the_real_provider_are_refused_as_schema_only() {
    let providers = support::installed();
    let plugin = start(
        &providers
            .dir
            .path()
            .join("proxmox/terraform-provider-proxmox"),
    );
    let mut client = ProviderClient::connect(format!("http://{}", plugin.address))
        .await
        .unwrap();
    let planned = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: "proxmox_virtual_environment_vm".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let summary = &planned.diagnostics.first().expect("a diagnostic").summary;
    assert!(
        summary.contains("schema-only")
            && summary.contains("planning for proxmox_virtual_environment_vm"),
        "{summary}"
    );
    assert!(planned.planned_state.is_none());

    // tls plans, but never applies: no key is invented.
    let tls = start(&providers.dir.path().join("tls/terraform-provider-tls"));
    let mut client = ProviderClient::connect(format!("http://{}", tls.address))
        .await
        .unwrap();
    let applied = client
        .apply_resource_change(pb::apply_resource_change::Request {
            type_name: "tls_private_key".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let summary = &applied.diagnostics.first().expect("a diagnostic").summary;
    assert!(
        summary.contains("schema-only") && summary.contains("applying for tls_private_key"),
        "{summary}"
    );
}

/// Without a served Shutdown, Terraform waits two seconds for every provider process.
#[tokio::test]
async fn shutdown_ends_the_process_at_once() {
    let providers = support::installed();
    let mut plugin = start(&providers.dir.path().join("tls/terraform-provider-tls"));
    let mut controller = go_plugin::grpc_controller_client::GrpcControllerClient::connect(format!(
        "http://{}",
        plugin.address
    ))
    .await
    .unwrap();
    controller.shutdown(go_plugin::Empty {}).await.unwrap();
    let deadline = Instant::now() + Duration::from_millis(1000);
    loop {
        if let Some(status) = plugin.child.try_wait().unwrap() {
            assert!(status.success(), "exit status after Shutdown: {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running 1 s after Shutdown"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn started_by_hand_it_says_it_is_a_plugin() {
    let providers = support::installed();
    let mut command = Command::new(providers.dir.path().join("tls/terraform-provider-tls"));
    command.env_remove(MAGIC_COOKIE.0);
    let ran = support::run(command, Duration::from_secs(10));
    assert!(!ran.success);
    assert!(
        ran.stderr.contains("this is a Terraform provider plugin"),
        "{}",
        ran.output()
    );
}
