//! Package URLs (<https://github.com/package-url/purl-spec>, ECMA-427).
//!
//! `pkg:type/namespace/name@version?qualifiers#subpath`. [`Purl`] is parsed with the spec's "how to
//! parse" procedure (right-to-left splits, percent-decoding per component, empty qualifier values
//! dropped, `.`/`..` subpath segments dropped, a `pkg://` form tolerated), normalised with the
//! per-type rules of the purl type definitions, and printed in canonical form (qualifiers sorted,
//! components percent-encoded). [`Purl::package_key`] gives the identity used to index advisories:
//! ecosystem plus the package name spelled as the ecosystem (and OSV) spells it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::version::Ecosystem;

/// Why a string is not a valid package URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurlError {
    /// The string does not start with the `pkg:` scheme.
    #[error("package URL must start with \"pkg:\"")]
    MissingScheme,
    /// No `type` component after the scheme.
    #[error("package URL has no type")]
    MissingType,
    /// The type has characters outside `[a-z0-9.+-]` or starts with a digit.
    #[error("invalid package URL type {0:?}: only letters, digits, '.', '+' and '-' are allowed, not starting with a digit")]
    InvalidType(String),
    /// No `name` component.
    #[error("package URL has no name")]
    MissingName,
    /// A `%` escape is malformed or decodes to invalid UTF-8.
    #[error("invalid percent-encoding in the {component} at byte {at}")]
    InvalidEncoding {
        /// Which component (`namespace`, `name`, `version`, `qualifier value`, `subpath`).
        component: &'static str,
        /// Byte offset of the problem inside that component.
        at: usize,
    },
    /// A qualifier key is empty, has characters outside `[a-z0-9.-_]`, or starts with a digit.
    #[error("invalid qualifier key {0:?}")]
    InvalidQualifierKey(String),
    /// A qualifier has no `=`.
    #[error("qualifier {0:?} has no '=' separating key and value")]
    QualifierWithoutValue(String),
    /// The same qualifier key appears twice.
    #[error("duplicate qualifier key {0:?}")]
    DuplicateQualifier(String),
    /// A type-specific rule is broken (e.g. a Maven purl without a group id).
    #[error("invalid {purl_type} package URL: {reason}")]
    TypeRule {
        /// The purl type whose rule applies.
        purl_type: String,
        /// The rule that was broken.
        reason: &'static str,
    },
}

/// A validated, normalised package URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
    subpath: Option<String>,
}

/// The identity of a package for indexing: purl type plus the name as the ecosystem spells it
/// (Maven `group:artifact`, npm `@scope/name`, Go module path, PEP 503-normalised PyPI name...).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct PackageKey {
    /// The purl type (`npm`, `maven`, `deb`, ...).
    pub purl_type: String,
    /// Normalised full package name, namespace included.
    pub name: String,
}

impl PackageKey {
    /// Builds the key from purl components (already decoded; normalised here).
    pub fn new(purl_type: &str, namespace: Option<&str>, name: &str) -> Self {
        let ty = purl_type.to_ascii_lowercase();
        let ns = namespace
            .filter(|n| !n.is_empty())
            .map(|n| normalise_namespace(&ty, n));
        let name = normalise_name(&ty, name);
        let full = match (ty.as_str(), ns) {
            ("maven", Some(ns)) => format!("{ns}:{name}"),
            ("pypi", _) => pep503(&name),
            ("nuget", _) => name.to_lowercase(),
            // The namespace of distribution packages is the distribution, not part of the name.
            ("deb" | "rpm" | "apk" | "alpm", _) => name,
            (_, Some(ns)) => format!("{ns}/{name}"),
            (_, None) => name,
        };
        Self {
            purl_type: ty,
            name: full,
        }
    }

    /// The key of an OSV `affected[].package`, or `None` for an OSV ecosystem without a purl type
    /// (e.g. `Linux`, `OSS-Fuzz`).
    pub fn from_osv(ecosystem: &str, name: &str) -> Option<Self> {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        let ty = match base {
            "Go" | "Kubernetes" => "golang",
            "npm" => "npm",
            "PyPI" => "pypi",
            "crates.io" => "cargo",
            "Maven" => "maven",
            "NuGet" => "nuget",
            "RubyGems" => "gem",
            "Packagist" => "composer",
            "Hex" => "hex",
            "Pub" => "pub",
            "Hackage" => "hackage",
            "CRAN" => "cran",
            "SwiftURL" => "swift",
            "GitHub Actions" => "github",
            "Debian" | "Ubuntu" => "deb",
            "Alpine" | "Wolfi" | "Chainguard" | "Alpaquita" => "apk",
            "Red Hat" | "AlmaLinux" | "Rocky Linux" | "openSUSE" | "SUSE" | "Photon OS"
            | "openEuler" | "Mageia" => "rpm",
            _ => return None,
        };
        let name = match ty {
            "maven" => name.to_owned(),
            "pypi" => pep503(name),
            "nuget" => name.to_lowercase(),
            _ => normalise_name(ty, name),
        };
        Some(Self {
            purl_type: ty.to_owned(),
            name,
        })
    }

    /// The version ordering for this package, if known.
    pub fn ecosystem(&self) -> Option<Ecosystem> {
        Ecosystem::from_purl_type(&self.purl_type)
    }
}

impl fmt::Display for PackageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.purl_type, self.name)
    }
}

/// PEP 503 name normalisation: lowercase, runs of `-`, `_`, `.` become one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

fn normalise_namespace(ty: &str, ns: &str) -> String {
    match ty {
        "alpm" | "apk" | "bitbucket" | "composer" | "deb" | "github" | "gitlab" | "hex" | "npm"
        | "qpkg" | "rpm" | "luarocks" => ns.to_lowercase(),
        _ => ns.to_owned(),
    }
}

fn normalise_name(ty: &str, name: &str) -> String {
    match ty {
        "pypi" => name.to_lowercase().replace('_', "-"),
        "alpm" | "apk" | "bitbucket" | "composer" | "deb" | "github" | "gitlab" | "hex" | "npm"
        | "luarocks" | "oci" | "pub" | "bitnami" => name.to_lowercase(),
        _ => name.to_owned(),
    }
}

fn percent_decode(s: &str, component: &'static str) -> Result<String, PurlError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .ok_or(PurlError::InvalidEncoding { component, at: i })?;
            let hi = (hex[0] as char).to_digit(16);
            let lo = (hex[1] as char).to_digit(16);
            match (hi, lo) {
                // Both digits are < 16, so the value fits a byte.
                (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).unwrap_or(0)),
                _ => return Err(PurlError::InvalidEncoding { component, at: i }),
            }
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| PurlError::InvalidEncoding {
        component,
        at: e.utf8_error().valid_up_to(),
    })
}

fn percent_encode(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn check_type(ty: &str) -> Result<(), PurlError> {
    let ok = !ty.is_empty()
        && !ty.as_bytes()[0].is_ascii_digit()
        && ty
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(PurlError::InvalidType(ty.to_owned()))
    }
}

fn check_qualifier_key(k: &str) -> Result<(), PurlError> {
    let ok = !k.is_empty()
        && !k.as_bytes()[0].is_ascii_digit()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(PurlError::InvalidQualifierKey(k.to_owned()))
    }
}

fn clean_subpath(s: &str) -> Option<String> {
    let segs: Vec<&str> = s
        .split('/')
        .filter(|seg| !seg.is_empty() && *seg != "." && *seg != "..")
        .collect();
    (!segs.is_empty()).then(|| segs.join("/"))
}

impl Purl {
    /// Builds a purl from decoded components, applying the type's normalisation and rules.
    pub fn new(
        purl_type: &str,
        namespace: Option<&str>,
        name: &str,
        version: Option<&str>,
    ) -> Result<Self, PurlError> {
        let ty = purl_type.to_ascii_lowercase();
        check_type(&ty)?;
        let namespace = namespace
            .map(|ns| {
                let segs: Vec<&str> = ns.split('/').filter(|s| !s.is_empty()).collect();
                segs.join("/")
            })
            .filter(|ns| !ns.is_empty())
            .map(|ns| normalise_namespace(&ty, &ns));
        let name = name.trim_matches('/');
        if name.is_empty() {
            return Err(PurlError::MissingName);
        }
        let name = normalise_name(&ty, name);
        let rule = |reason| PurlError::TypeRule {
            purl_type: ty.clone(),
            reason,
        };
        match ty.as_str() {
            "maven" if namespace.is_none() => {
                return Err(rule("a group id (namespace) is required"))
            }
            "swift" if namespace.is_none() => {
                return Err(rule("a source host (namespace) is required"))
            }
            _ => {}
        }
        Ok(Self {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
            qualifiers: BTreeMap::new(),
            subpath: None,
        })
    }

    /// Adds a qualifier (key lowercased; an empty value removes the qualifier, as the spec says).
    pub fn with_qualifier(mut self, key: &str, value: &str) -> Result<Self, PurlError> {
        let key = key.to_ascii_lowercase();
        check_qualifier_key(&key)?;
        if value.is_empty() {
            self.qualifiers.remove(&key);
        } else {
            self.qualifiers.insert(key, value.to_owned());
        }
        Ok(self)
    }

    /// Sets the subpath (`.`/`..`/empty segments dropped).
    pub fn with_subpath(mut self, subpath: &str) -> Self {
        self.subpath = clean_subpath(subpath);
        self
    }

    /// Replaces the version (`None` removes it).
    pub fn with_version(mut self, version: Option<&str>) -> Self {
        self.version = version.filter(|v| !v.is_empty()).map(str::to_owned);
        self
    }

    /// The purl type, lowercase.
    pub fn purl_type(&self) -> &str {
        &self.ty
    }

    /// The namespace (decoded, segments joined by `/`).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The name (decoded).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version (decoded).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// All qualifiers, sorted by key.
    pub fn qualifiers(&self) -> &BTreeMap<String, String> {
        &self.qualifiers
    }

    /// One qualifier's value.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }

    /// The subpath.
    pub fn subpath(&self) -> Option<&str> {
        self.subpath.as_deref()
    }

    /// The version ordering of this purl's type, if known.
    pub fn ecosystem(&self) -> Option<Ecosystem> {
        Ecosystem::from_purl_type(&self.ty)
    }

    /// The identity used to index advisories (see [`PackageKey`]).
    pub fn package_key(&self) -> PackageKey {
        PackageKey::new(&self.ty, self.namespace.as_deref(), &self.name)
    }
}

impl FromStr for Purl {
    type Err = PurlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Right-to-left splits, as in the spec's "How to parse a purl string".
        let (rest, subpath) = match s.rsplit_once('#') {
            Some((r, sp)) => (r, Some(sp)),
            None => (s, None),
        };
        let (scheme, rest) = rest.split_once(':').ok_or(PurlError::MissingScheme)?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return Err(PurlError::MissingScheme);
        }
        let rest = rest.trim_start_matches('/');
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let rest = rest.trim_end_matches('/');
        let (ty, rest) = rest.split_once('/').ok_or(if rest.is_empty() {
            PurlError::MissingType
        } else {
            PurlError::MissingName
        })?;
        if ty.is_empty() {
            return Err(PurlError::MissingType);
        }
        let (rest, version) = match rest.rsplit_once('@') {
            Some((r, v)) => (r, Some(percent_decode(v, "version")?)),
            None => (rest, None),
        };
        let rest = rest.trim_end_matches('/');
        let (ns, name) = match rest.rsplit_once('/') {
            Some((ns, n)) => (Some(ns), n),
            None => (None, rest),
        };
        let name = percent_decode(name, "name")?;
        let namespace = match ns {
            Some(ns) => {
                let mut segs = Vec::new();
                for seg in ns.split('/').filter(|s| !s.is_empty()) {
                    segs.push(percent_decode(seg, "namespace")?);
                }
                Some(segs.join("/"))
            }
            None => None,
        };
        let mut purl = Purl::new(ty, namespace.as_deref(), &name, version.as_deref())?;
        if let Some(q) = qualifiers {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| PurlError::QualifierWithoutValue(pair.to_owned()))?;
                let key = k.to_ascii_lowercase();
                if purl.qualifiers.contains_key(&key) {
                    return Err(PurlError::DuplicateQualifier(key));
                }
                let v = percent_decode(v, "qualifier value")?;
                purl = purl.with_qualifier(&key, &v)?;
            }
        }
        if let Some(sp) = subpath {
            let mut segs = Vec::new();
            for seg in sp.split('/') {
                segs.push(percent_decode(seg, "subpath")?);
            }
            purl.subpath = clean_subpath(&segs.join("/"));
        }
        Ok(purl)
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(64);
        out.push_str("pkg:");
        out.push_str(&self.ty);
        out.push('/');
        if let Some(ns) = &self.namespace {
            for seg in ns.split('/') {
                percent_encode(seg, &mut out);
                out.push('/');
            }
        }
        percent_encode(&self.name, &mut out);
        if let Some(v) = &self.version {
            out.push('@');
            percent_encode(v, &mut out);
        }
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(k);
            out.push('=');
            percent_encode(v, &mut out);
        }
        if let Some(sp) = &self.subpath {
            out.push('#');
            for (i, seg) in sp.split('/').enumerate() {
                if i > 0 {
                    out.push('/');
                }
                percent_encode(seg, &mut out);
            }
        }
        f.write_str(&out)
    }
}

impl serde::Serialize for Purl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Purl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Purl {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn spec_examples_round_trip() {
        for s in [
            "pkg:bitbucket/birkenfeld/pygments-main@244fd47e07d1014f0aed9c",
            "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
            "pkg:gem/ruby-advisory-db-check@0.12.4",
            "pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c",
            "pkg:golang/google.golang.org/genproto#googleapis/api/annotations",
            "pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources",
            "pkg:npm/foobar@12.3.1",
            "pkg:npm/%40angular/animation@12.3.1",
            "pkg:nuget/EnterpriseLibrary.Common@6.0.1304",
            "pkg:pypi/django@1.11.1",
            "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25",
            "pkg:deb/debian/attr@1:2.4.47-2",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
    }

    #[test]
    fn components_and_normalisation() {
        let q = p("pkg://Maven/org.Apache/Commons-Lang3@3.12.0?Classifier=sources&type=&b=x%2Fy#/src/./../main//");
        assert_eq!(q.purl_type(), "maven");
        assert_eq!(q.namespace(), Some("org.Apache"));
        assert_eq!(q.name(), "Commons-Lang3");
        assert_eq!(q.qualifier("classifier"), Some("sources"));
        assert_eq!(q.qualifier("type"), None);
        assert_eq!(q.qualifier("b"), Some("x/y"));
        assert_eq!(q.subpath(), Some("src/main"));
        assert_eq!(
            q.to_string(),
            "pkg:maven/org.Apache/Commons-Lang3@3.12.0?b=x%2Fy&classifier=sources#src/main"
        );
        assert_eq!(
            p("pkg:PyPI/Django_Rest@1.0").to_string(),
            "pkg:pypi/django-rest@1.0"
        );
        assert_eq!(p("pkg:npm/%40Angular/Core").name(), "core");
        assert_eq!(
            p("pkg:GitHub/Package-URL/Purl-Spec").to_string(),
            "pkg:github/package-url/purl-spec"
        );
        assert_eq!(
            p("pkg:golang/github.com/Azure/go-autorest").to_string(),
            "pkg:golang/github.com/Azure/go-autorest"
        );
        assert_eq!(
            p("pkg:rpm/RedHat/OpenSSL").to_string(),
            "pkg:rpm/redhat/OpenSSL"
        );
        assert_eq!(
            p("pkg:generic/openssl@1.1.1w+fips").version(),
            Some("1.1.1w+fips")
        );
        assert_eq!(p("pkg:generic/a@1.0%2Bx").version(), Some("1.0+x"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!("npm/foo".parse::<Purl>(), Err(PurlError::MissingScheme));
        assert_eq!("pkg:".parse::<Purl>(), Err(PurlError::MissingType));
        assert_eq!("pkg:npm".parse::<Purl>(), Err(PurlError::MissingName));
        assert_eq!("pkg:npm/".parse::<Purl>(), Err(PurlError::MissingName));
        assert!(matches!(
            "pkg:1npm/x".parse::<Purl>(),
            Err(PurlError::InvalidType(_))
        ));
        assert!(matches!(
            "pkg:maven/junit".parse::<Purl>(),
            Err(PurlError::TypeRule { .. })
        ));
        assert_eq!(
            "pkg:npm/a%zz".parse::<Purl>(),
            Err(PurlError::InvalidEncoding {
                component: "name",
                at: 1
            })
        );
        assert!(matches!(
            "pkg:npm/a?x".parse::<Purl>(),
            Err(PurlError::QualifierWithoutValue(_))
        ));
        assert!(matches!(
            "pkg:npm/a?x=1&X=2".parse::<Purl>(),
            Err(PurlError::DuplicateQualifier(_))
        ));
        assert!(matches!(
            "pkg:npm/a?1x=1".parse::<Purl>(),
            Err(PurlError::InvalidQualifierKey(_))
        ));
    }

    #[test]
    fn package_keys_match_osv_names() {
        let cases = [
            (
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "Maven",
                "org.apache.logging.log4j:log4j-core",
            ),
            ("pkg:npm/%40babel/traverse@7.0.0", "npm", "@babel/traverse"),
            (
                "pkg:golang/github.com/Azure/go-autorest@v1.0.0",
                "Go",
                "github.com/Azure/go-autorest",
            ),
            ("pkg:pypi/Jinja2@2.10", "PyPI", "jinja2"),
            ("pkg:pypi/zope.interface", "PyPI", "zope-interface"),
            ("pkg:cargo/tokio@1.0.0", "crates.io", "tokio"),
            (
                "pkg:deb/debian/openssl@1.1.1n-0+deb11u4",
                "Debian:11",
                "openssl",
            ),
            (
                "pkg:apk/alpine/busybox@1.36.1-r0",
                "Alpine:v3.18",
                "busybox",
            ),
            (
                "pkg:rpm/redhat/openssl@1.1.1k-7.el8",
                "Red Hat:enterprise_linux:8",
                "openssl",
            ),
            (
                "pkg:composer/symfony/http-kernel@5.0.0",
                "Packagist",
                "symfony/http-kernel",
            ),
            (
                "pkg:nuget/Newtonsoft.Json@12.0.1",
                "NuGet",
                "Newtonsoft.Json",
            ),
            ("pkg:gem/rails@6.0.0", "RubyGems", "rails"),
        ];
        for (purl, eco, name) in cases {
            let from_purl = p(purl).package_key();
            let from_osv = PackageKey::from_osv(eco, name).unwrap();
            assert_eq!(from_purl, from_osv, "{purl}");
        }
        assert_eq!(PackageKey::from_osv("Linux", "Kernel"), None);
        assert_eq!(
            p("pkg:npm/left-pad").package_key().to_string(),
            "npm:left-pad"
        );
    }

    #[test]
    fn serde_as_string() {
        let purl = p("pkg:npm/%40angular/core@1.0.0");
        let json = serde_json::to_string(&purl).unwrap();
        assert_eq!(json, "\"pkg:npm/%40angular/core@1.0.0\"");
        assert_eq!(serde_json::from_str::<Purl>(&json).unwrap(), purl);
        assert!(serde_json::from_str::<Purl>("\"npm/x\"").is_err());
    }
}
