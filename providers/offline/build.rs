//! Generates the gRPC server (and, for the protocol tests, the client) from the
//! protocol subset in `proto/`. Needs `protoc` (Debian: protobuf-compiler; `make setup`).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    tonic_build::configure().build_client(true).compile_protos(
        &["proto/tfplugin6.proto", "proto/go_plugin.proto"],
        &["proto"],
    )?;
    Ok(())
}
