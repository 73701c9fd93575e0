use std::fmt;
use std::str::FromStr;

use super::VersionError;

/// A family of versioning rules.
///
/// Names follow purl types; [`Ecosystem::from_osv`] maps OSV ecosystem names (including
/// distribution-scoped ones such as `Debian:12` or `Red Hat:rhel_aus:8.4::appstream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Ecosystem {
    /// npm (node-semver: SemVer 2.0, optional leading `v` or `=`).
    Npm,
    /// crates.io (strict SemVer 2.0).
    Cargo,
    /// Strict SemVer 2.0, as in OSV `SEMVER` ranges (also used for Hex, Pub, SwiftURL).
    SemVer,
    /// Go modules.
    Go,
    /// PyPI (PEP 440).
    PyPI,
    /// Maven.
    Maven,
    /// Debian and derivatives (dpkg).
    Debian,
    /// RPM-based distributions (Red Hat, SUSE, AlmaLinux, Rocky, ...).
    Rpm,
    /// Alpine and other apk-based distributions (Wolfi, Chainguard).
    Alpine,
    /// NuGet.
    NuGet,
    /// RubyGems.
    RubyGems,
    /// Packagist / Composer.
    Packagist,
    /// Anything else: numeric-aware segment comparison.
    Generic,
}

impl Ecosystem {
    /// All ecosystems, for tests and benchmarks.
    pub const ALL: [Ecosystem; 13] = [
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::SemVer,
        Ecosystem::Go,
        Ecosystem::PyPI,
        Ecosystem::Maven,
        Ecosystem::Debian,
        Ecosystem::Rpm,
        Ecosystem::Alpine,
        Ecosystem::NuGet,
        Ecosystem::RubyGems,
        Ecosystem::Packagist,
        Ecosystem::Generic,
    ];

    /// The ecosystem whose rules order versions of a purl `type`, if this crate knows one.
    pub fn from_purl_type(purl_type: &str) -> Option<Self> {
        Some(match purl_type.to_ascii_lowercase().as_str() {
            "npm" => Self::Npm,
            "cargo" => Self::Cargo,
            "semver" | "hex" | "pub" | "swift" => Self::SemVer,
            "golang" => Self::Go,
            "pypi" => Self::PyPI,
            "maven" => Self::Maven,
            "deb" | "debian" => Self::Debian,
            "rpm" => Self::Rpm,
            "apk" | "alpine" => Self::Alpine,
            "nuget" => Self::NuGet,
            "gem" => Self::RubyGems,
            "composer" => Self::Packagist,
            "generic" => Self::Generic,
            _ => return None,
        })
    }

    /// The ecosystem of an OSV `affected[].package.ecosystem` string, if it is one with known
    /// version rules. A `:<release>` suffix is ignored.
    pub fn from_osv(name: &str) -> Option<Self> {
        let base = name.split(':').next().unwrap_or(name);
        Some(match base {
            "npm" => Self::Npm,
            "crates.io" => Self::Cargo,
            "Go" | "Kubernetes" => Self::Go,
            "PyPI" => Self::PyPI,
            "Maven" => Self::Maven,
            "Debian" | "Ubuntu" => Self::Debian,
            "Red Hat" | "AlmaLinux" | "Rocky Linux" | "openSUSE" | "SUSE" | "Photon OS"
            | "openEuler" | "Mageia" => Self::Rpm,
            "Alpine" | "Wolfi" | "Chainguard" | "Alpaquita" => Self::Alpine,
            "NuGet" => Self::NuGet,
            "RubyGems" => Self::RubyGems,
            "Packagist" => Self::Packagist,
            "Hex" | "Pub" | "SwiftURL" => Self::SemVer,
            _ => return None,
        })
    }

    /// The canonical purl type for this ecosystem (`semver` for [`Ecosystem::SemVer`]).
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Cargo => "cargo",
            Self::SemVer => "semver",
            Self::Go => "golang",
            Self::PyPI => "pypi",
            Self::Maven => "maven",
            Self::Debian => "deb",
            Self::Rpm => "rpm",
            Self::Alpine => "apk",
            Self::NuGet => "nuget",
            Self::RubyGems => "gem",
            Self::Packagist => "composer",
            Self::Generic => "generic",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

impl FromStr for Ecosystem {
    type Err = VersionError;

    /// Accepts purl types (case-insensitive) and OSV ecosystem names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_purl_type(s)
            .or_else(|| Self::from_osv(s))
            .or_else(|| match s.to_ascii_lowercase().as_str() {
                "crates.io" | "crates" | "rust" => Some(Self::Cargo),
                "go" => Some(Self::Go),
                "python" => Some(Self::PyPI),
                "packagist" | "php" => Some(Self::Packagist),
                "rubygems" => Some(Self::RubyGems),
                _ => None,
            })
            .ok_or_else(|| VersionError::UnknownEcosystem(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_types_round_trip() {
        for eco in Ecosystem::ALL {
            assert_eq!(Ecosystem::from_purl_type(eco.purl_type()), Some(eco));
            assert_eq!(eco.to_string().parse::<Ecosystem>(), Ok(eco));
        }
    }

    #[test]
    fn osv_names_map() {
        assert_eq!(Ecosystem::from_osv("Debian:11"), Some(Ecosystem::Debian));
        assert_eq!(Ecosystem::from_osv("Alpine:v3.16"), Some(Ecosystem::Alpine));
        assert_eq!(
            Ecosystem::from_osv("Red Hat:rhel_aus:8.4::appstream"),
            Some(Ecosystem::Rpm)
        );
        assert_eq!(Ecosystem::from_osv("crates.io"), Some(Ecosystem::Cargo));
        assert_eq!(Ecosystem::from_osv("Linux"), None);
        assert_eq!("PyPI".parse::<Ecosystem>(), Ok(Ecosystem::PyPI));
    }
}
