//! What the suite knows of the offline providers' releases (`providers/offline/releases.tsv`,
//! written by `tools/schemas/releases.sh` from each provider's release tags): every release,
//! which `terraform init` would choose from, and the ones whose schema is bundled, which the
//! offline provider can serve.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::constraints::{self, Constraint, Version};
use super::requirements::ProviderAddress;

const RELEASES: &str = include_str!("../../providers/offline/releases.tsv");

/// One provider's releases, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProviderReleases {
    pub all: Vec<Version>,
    /// The versions whose schema is bundled.
    pub bundled: Vec<Version>,
    /// The bundled version an install serves when nothing selects another.
    pub default: Option<Version>,
}

impl ProviderReleases {
    /// The newest release `constraints` allow (pre-releases only when named exactly).
    pub(crate) fn newest_allowed(&self, constraints: &[Constraint]) -> Option<&Version> {
        self.all
            .iter()
            .rev()
            .find(|v| constraints::allows(constraints, v))
    }

    /// Whether the constraints may allow a release newer than every one the suite knows:
    /// tried on the versions just above each bound they name and just above the newest
    /// known release. Then "no release matches" would only be true of the releases known.
    pub(crate) fn may_allow_newer(&self, constraints: &[Constraint]) -> bool {
        let Some(newest) = self.all.iter().filter(|v| !v.is_prerelease()).max() else {
            return true;
        };
        let next = |v: &Version| {
            [
                Version::new(v.major, v.minor, v.patch),
                Version::new(v.major, v.minor, v.patch + 1),
                Version::new(v.major, v.minor + 1, 0),
                Version::new(v.major + 1, 0, 0),
            ]
        };
        constraints
            .iter()
            .flat_map(|c| next(&c.version))
            .chain(next(newest))
            .filter(|v| v > newest)
            .any(|v| constraints::allows(constraints, &v))
    }

    /// The bundled version that stands for `wanted`: itself when bundled, else the newest
    /// bundled one below it, else the oldest above it.
    pub(crate) fn nearest_bundled(&self, wanted: &Version) -> Option<&Version> {
        if let Some(same) = self.bundled.iter().find(|v| *v == wanted) {
            return Some(same);
        }
        self.bundled
            .iter()
            .rev()
            .find(|v| *v < wanted)
            .or_else(|| self.bundled.first())
    }
}

/// Every provider's releases, by address.
pub(crate) fn known() -> &'static BTreeMap<ProviderAddress, ProviderReleases> {
    static KNOWN: OnceLock<BTreeMap<ProviderAddress, ProviderReleases>> = OnceLock::new();
    KNOWN.get_or_init(|| parse(RELEASES))
}

/// The releases of one provider, when the suite knows it.
pub(crate) fn of(address: &ProviderAddress) -> Option<&'static ProviderReleases> {
    known().get(address)
}

fn parse(text: &str) -> BTreeMap<ProviderAddress, ProviderReleases> {
    let mut known: BTreeMap<ProviderAddress, ProviderReleases> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut columns = line.split('\t');
        let (Some(address), Some(version)) = (columns.next(), columns.next()) else {
            continue;
        };
        let (Some(address), Ok(version)) =
            (ProviderAddress::parse(address), Version::parse(version))
        else {
            continue;
        };
        let entry = known.entry(address).or_default();
        match columns.next() {
            Some("bundled") => entry.bundled.push(version.clone()),
            Some("default") => {
                entry.bundled.push(version.clone());
                entry.default = Some(version.clone());
            }
            _ => {}
        }
        entry.all.push(version);
    }
    for releases in known.values_mut() {
        releases.all.sort();
        releases.bundled.sort();
    }
    known
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxmox() -> &'static ProviderReleases {
        of(&ProviderAddress::parse("bpg/proxmox").unwrap()).unwrap()
    }

    #[test]
    fn every_line_of_the_list_is_read() {
        let lines = RELEASES
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .count();
        let read: usize = known().values().map(|r| r.all.len()).sum();
        assert_eq!(read, lines);
        for provider in ["bpg/proxmox", "hashicorp/tls", "hashicorp/random"] {
            let releases = of(&ProviderAddress::parse(provider).unwrap()).unwrap();
            assert!(
                !releases.bundled.is_empty(),
                "{provider} has no bundled schema"
            );
            assert!(
                releases.default.is_some(),
                "{provider} has no default schema"
            );
        }
    }

    #[test]
    fn the_bundled_versions_are_the_schemas_providers_offline_ships() {
        let schemas =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("providers/offline/schemas");
        for (address, releases) in known() {
            let name = format!("{}-{}", address.namespace, address.name);
            let bundle: Option<serde_json::Value> =
                std::fs::read_to_string(schemas.join(format!("{name}.bundle.json")))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
            for version in &releases.bundled {
                let single = schemas.join(format!("{name}-{version}.json")).is_file();
                let in_bundle = bundle
                    .as_ref()
                    .is_some_and(|b| b["versions"].get(version.to_string()).is_some());
                assert!(single || in_bundle, "{address} {version} is not bundled");
            }
        }
    }

    #[test]
    fn no_release_is_newer_than_the_newest_known_unless_the_constraints_allow_it() {
        let releases = proxmox();
        let c = |text: &str| constraints::parse(text).unwrap();
        assert!(releases.may_allow_newer(&c(">= 0.66")));
        assert!(releases.may_allow_newer(&c("~> 5.1.0")));
        assert!(!releases.may_allow_newer(&c("~> 0.94.0, ~> 0.95.0")));
        assert!(!releases.may_allow_newer(&c("< 0.60")));
        assert_eq!(
            releases
                .newest_allowed(&c("~> 0.94.0"))
                .map(Version::to_string),
            Some("0.94.0".to_string())
        );
        assert_eq!(releases.newest_allowed(&c("~> 0.94.0, ~> 0.95.0")), None);
    }

    #[test]
    fn the_nearest_bundled_version_is_below_when_there_is_one() {
        let releases = ProviderReleases {
            all: Vec::new(),
            bundled: vec![Version::new(0, 66, 0), Version::new(0, 94, 0)],
            default: None,
        };
        let near = |v: Version| releases.nearest_bundled(&v).unwrap().to_string();
        assert_eq!(near(Version::new(0, 94, 0)), "0.94.0");
        assert_eq!(near(Version::new(0, 95, 0)), "0.94.0");
        assert_eq!(near(Version::new(0, 70, 0)), "0.66.0");
        assert_eq!(near(Version::new(0, 60, 0)), "0.66.0");
    }
}
