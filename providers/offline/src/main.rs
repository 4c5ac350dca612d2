//! Placeholder until the offline provider lands (issue 3).
fn main() {
    eprintln!("tf-offline-provider: not implemented yet");
    std::process::exit(2);
}
