//! Runs as a Terraform plugin: the go-plugin handshake (magic cookie, the one line
//! on stdout naming protocol, address and our certificate), mutual TLS when
//! Terraform asks for it, and the gRPC services until Terraform shuts us down.

use std::sync::Arc;

use base64::Engine;
use tokio::sync::Notify;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic::{Request, Response, Status};

use crate::protocol::go_plugin::{self, grpc_controller_server};
use crate::protocol::tfplugin6::provider_server::ProviderServer;
use crate::served_provider::ServedProvider;

/// go-plugin's handshake cookie for Terraform providers: a binary started without it
/// was not started by Terraform.
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION: u32 = 1;
const PLUGIN_PROTOCOL_VERSION: u32 = 6;
/// Time for the Shutdown answer to be written before the process ends.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(2);

/// Whether this process was started by Terraform (or by a test that plays Terraform).
pub fn started_by_terraform() -> bool {
    std::env::var(MAGIC_COOKIE_KEY).is_ok_and(|v| v == MAGIC_COOKIE_VALUE)
}

/// Serves `provider` until Terraform calls Shutdown (or kills the process).
pub fn serve(provider: ServedProvider) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(serve_async(provider))
}

async fn serve_async(provider: ServedProvider) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;

    let mut server = Server::builder();
    let mut certificate_der = Vec::new();
    // Terraform sends its client certificate here (go-plugin AutoMTLS) and expects
    // TLS with a server certificate it learns from the handshake line.
    if let Ok(client_pem) = std::env::var("PLUGIN_CLIENT_CERT")
        && !client_pem.is_empty()
    {
        let (identity, der) = server_identity()?;
        certificate_der = der;
        server = server
            .tls_config(
                ServerTlsConfig::new()
                    .identity(identity)
                    .client_ca_root(Certificate::from_pem(client_pem))
                    // With a required client certificate Terraform 1.11's first call
                    // fails (broken pipe in the TLS handshake); optional, as the
                    // tf-provider crate does it, works. The listener is loopback only.
                    .client_auth_optional(true),
            )
            .map_err(|e| format!("cannot set up TLS: {e}"))?;
    }

    let shutdown = Arc::new(Notify::new());
    let controller = Controller {
        shutdown: shutdown.clone(),
    };
    let serving = server
        .add_service(ProviderServer::new(provider))
        .add_service(grpc_controller_server::GrpcControllerServer::new(
            controller,
        ))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));

    // The handshake line; go-plugin reads the certificate as unpadded base64 DER.
    println!(
        "{CORE_PROTOCOL_VERSION}|{PLUGIN_PROTOCOL_VERSION}|tcp|{address}|grpc|{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&certificate_der)
    );
    tokio::select! {
        served = serving => served.map_err(|e| format!("gRPC server failed: {e}")),
        () = shutdown.notified() => {
            // A graceful stop would wait ~45 ms for Terraform to hang up, for each of
            // the dozens of provider processes a `terraform test` starts. Let the
            // Shutdown answer go out, then end.
            tokio::time::sleep(SHUTDOWN_GRACE).await;
            Ok(())
        }
    }
}

/// A fresh self-signed certificate for `localhost`, the name go-plugin verifies.
fn server_identity() -> Result<(Identity, Vec<u8>), String> {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("cannot build the TLS certificate: {e}"))?;
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name = name;
    // go-plugin uses the server certificate as its own root of trust.
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
        rcgen::KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot generate the TLS key: {e}"))?;
    let certificate = params
        .self_signed(&key)
        .map_err(|e| format!("cannot sign the TLS certificate: {e}"))?;
    Ok((
        Identity::from_pem(certificate.pem(), key.serialize_pem()),
        certificate.der().to_vec(),
    ))
}

/// go-plugin's controller: Shutdown lets the process exit at once instead of
/// Terraform waiting for it and then killing it.
struct Controller {
    shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _: Request<go_plugin::Empty>,
    ) -> Result<Response<go_plugin::Empty>, Status> {
        self.shutdown.notify_one();
        Ok(Response::new(go_plugin::Empty {}))
    }
}
