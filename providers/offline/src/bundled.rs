//! The provider schemas built into the binary, so `install` works from any
//! directory and the repository may be read-only.

/// One bundled provider: what Terraform calls it and the schema document it serves.
pub struct BundledProvider {
    /// The source address as written in `required_providers` (`bpg/proxmox`).
    pub source: &'static str,
    /// The local name: the executable is `terraform-provider-<name>`.
    pub name: &'static str,
    /// The file in `providers/offline/schemas/` the document was built from.
    pub file: &'static str,
    pub document: &'static str,
}

pub const PROVIDERS: &[BundledProvider] = &[
    BundledProvider {
        source: "bpg/proxmox",
        name: "proxmox",
        file: "schemas/bpg-proxmox.json",
        document: include_str!("../schemas/bpg-proxmox.json"),
    },
    BundledProvider {
        source: "hashicorp/tls",
        name: "tls",
        file: "schemas/hashicorp-tls.json",
        document: include_str!("../schemas/hashicorp-tls.json"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema_doc::SchemaDocument;
    use std::path::Path;

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
}
