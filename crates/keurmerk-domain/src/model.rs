//! The registry's nouns (SPEC §3). Plain data; rules live in [`crate::lifecycle`],
//! [`crate::status`] and the service layer.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
use crate::lifecycle::State;

/// Error for enum values given as text (CLI flags, API bodies, stored rows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct UnknownValue {
    /// What was being parsed.
    pub kind: &'static str,
    /// The value given.
    pub value: String,
    /// The accepted values.
    pub expected: &'static str,
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable text form used in storage, the CLI and the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        kind: $kind,
                        value: s.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// What an organisation is in the registry (SPEC §2).
    OrgRole, "organisation role" {
        /// Runs the registry (ENISA's role).
        RegistryOperator = "registry_operator",
        /// National cybersecurity certification authority.
        NationalAuthority = "national_authority",
        /// Conformity assessment body (accredited lab / certification body).
        AssessmentBody = "assessment_body",
        /// Manufacturer or service provider: the holder of certificates.
        Manufacturer = "manufacturer",
    }
);

text_enum!(
    /// Who vouches for a certificate: the manufacturer itself, or an independent body.
    IssuerKind, "issuer kind" {
        /// A statement of conformity, self-assessed by the manufacturer.
        SelfDeclared = "self",
        /// A certificate issued by an independent assessment body (or the national authority).
        ThirdParty = "third_party",
    }
);

text_enum!(
    /// Severity bucket of a vulnerability.
    Severity, "severity" {
        /// CVSS 9.0–10.0.
        Critical = "critical",
        /// CVSS 7.0–8.9.
        High = "high",
        /// CVSS 4.0–6.9.
        Medium = "medium",
        /// CVSS 0.1–3.9.
        Low = "low",
        /// Scored 0.0: no impact.
        None = "none",
        /// No advisory has given a severity yet. Never read as low: the scheme's policy
        /// (`unknown_severity_as`) says which class it counts as until a severity arrives.
        Unknown = "unknown",
    }
);

text_enum!(
    /// How the holder classifies a new version under a scheme's patch-management rule (as
    /// EUCC's patch management procedure): what the change does to the security functions the
    /// certificate's issuer assessed.
    ChangeClass, "change class" {
        /// A security patch that fixes known vulnerabilities and changes no security function.
        SecurityPatch = "security_patch",
        /// No change to any security function (features, bug fixes elsewhere).
        NoSecurityFunctionChange = "no_security_function_change",
        /// A change to a security function the issuer assessed.
        SecurityFunctionChange = "security_function_change",
    }
);

text_enum!(
    /// What kind of service a product depends on.
    DependencyKind, "dependency kind" {
        /// Cloud backend.
        Cloud = "cloud",
        /// Connectivity (mobile network, LPWAN, …).
        Connectivity = "connectivity",
        /// Companion mobile app.
        MobileApp = "mobile_app",
        /// Antivirus or security service.
        Antivirus = "antivirus",
        /// Anything else.
        Other = "other",
    }
);

text_enum!(
    /// How security updates reach the device.
    UpdatePolicy, "update policy" {
        /// Installed automatically.
        Automatic = "automatic",
        /// The user must start the update.
        UserInitiated = "user_initiated",
    }
);

text_enum!(
    /// How the product's password is set up, as the maker declares it (the US Cyber Trust Mark's
    /// "default password" fact). EN 303 645 5.1-1 forbids one password shared by every unit.
    PasswordSetup, "password setup" {
        /// The product has no password to set (nothing to log in to).
        NoPassword = "none",
        /// Each unit has its own password (printed on it); changing it is still advised.
        UniquePerDevice = "unique_per_device",
        /// The owner chooses the password when setting the product up; there is no default.
        SetOnFirstUse = "set_on_first_use",
    }
);

/// What the maker says about setting the product up safely, shown to owners with the label
/// (the Cyber Trust Mark's setup facts): the password and how updates reach the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Setup {
    /// How updates reach the device.
    pub update_policy: UpdatePolicy,
    /// How the password is set up; `None`: the maker has not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordSetup>,
    /// Where owners get updates and instructions (an https URL); `None`: not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates_url: Option<String>,
}

text_enum!(
    /// The product category, used for search and plain-language pages.
    Category, "product category" {
        /// Security or baby camera.
        Camera = "camera",
        /// Router or gateway.
        Router = "router",
        /// Smart plug or switch.
        SmartPlug = "smart_plug",
        /// Baby monitor.
        BabyMonitor = "baby_monitor",
        /// Smart lock.
        SmartLock = "smart_lock",
        /// Smart speaker or assistant.
        SmartSpeaker = "smart_speaker",
        /// Thermostat or heating control.
        Thermostat = "thermostat",
        /// Fire, smoke, gas or water alarm or detector.
        Alarm = "alarm",
        /// General-purpose computer (desktop, laptop, tablet).
        Computer = "computer",
        /// A hosted (cloud) service.
        CloudService = "cloud_service",
        /// A connectivity service.
        ConnectivityService = "connectivity_service",
        /// A mobile app.
        MobileApp = "mobile_app",
        /// Anything else.
        Other = "other",
    }
);

/// An organisation in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Organisation {
    /// Identifier.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: OrgRole,
    /// ISO 3166-1 alpha-2 member state (upper case), e.g. `NL`.
    pub member_state: String,
    /// Contact address for the public (vulnerability contact for holders).
    pub contact: Option<String>,
    /// When the organisation was registered.
    pub created_at: DateTime<Utc>,
}

/// A national authority's authorisation of an assessment body for a scheme level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Authorisation {
    /// The assessment body.
    pub body: OrgId,
    /// The scheme.
    pub scheme: SchemeId,
    /// The level.
    pub level: LevelId,
    /// The national authority that granted it.
    pub granted_by: OrgId,
    /// When.
    pub granted_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it lapses by itself (the first instant after its last day), if it was granted for a
    /// period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// How an authorisation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthorisationEnd {
    /// The national authority revoked it.
    Revoked,
    /// Its period ran out.
    Lapsed,
}

impl Authorisation {
    /// When it ends (or ended) and how: the earlier of its revocation and its lapse (a
    /// revocation on the very instant it lapses counts as the revocation).
    pub fn end(&self) -> Option<(DateTime<Utc>, AuthorisationEnd)> {
        match (self.revoked_at, self.expires_at) {
            (Some(r), Some(e)) if e < r => Some((e, AuthorisationEnd::Lapsed)),
            (Some(r), _) => Some((r, AuthorisationEnd::Revoked)),
            (None, Some(e)) => Some((e, AuthorisationEnd::Lapsed)),
            (None, None) => None,
        }
    }

    /// Whether it has not ended (been revoked or lapsed) by `at`.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        self.end().is_none_or(|(end, _)| at < end)
    }
}

/// Identifiers that help people and scanners find a product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ProductIdentifiers {
    /// GS1 GTIN (barcode number).
    pub gtin: Option<String>,
    /// Package URL of the firmware or software.
    pub purl: Option<String>,
    /// CPE 2.3 name.
    pub cpe: Option<String>,
}

/// A product or service a manufacturer registers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Product {
    /// Identifier (`PRD-…`).
    pub id: RecordId,
    /// The manufacturer or provider.
    pub manufacturer: OrgId,
    /// Product name.
    pub name: String,
    /// Model designation as printed on the device (EN 303 645 5.3-16).
    pub model: String,
    /// Category.
    pub category: Category,
    /// Identifiers.
    pub identifiers: ProductIdentifiers,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// A firmware or software version of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct ProductVersion {
    /// Identifier (`VER-…`).
    pub id: RecordId,
    /// The product.
    pub product: RecordId,
    /// Version string as the manufacturer names it.
    pub version: String,
    /// Release date.
    pub released_on: NaiveDate,
    /// Whether this version is a security update.
    pub security_update: bool,
    /// Release notes, plain text.
    pub notes: Option<String>,
}

/// The manufacturer's support commitment (CSA Art 55, EN 303 645 5.2-1 / 5.3-13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SupportCommitment {
    /// Last day of security support.
    pub support_until: NaiveDate,
    /// How updates reach the device.
    pub update_policy: UpdatePolicy,
    /// Where to report vulnerabilities.
    pub vulnerability_contact: String,
    /// The published coordinated-disclosure policy.
    pub disclosure_policy_url: Option<String>,
    /// How the password is set up (shown to owners as setup advice); `None`: not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordSetup>,
    /// Where owners get updates and instructions (an https URL); `None`: not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updates_url: Option<String>,
}

impl SupportCommitment {
    /// The setup facts owners are shown.
    pub fn setup(&self) -> Setup {
        Setup {
            update_policy: self.update_policy,
            password: self.password,
            updates_url: self.updates_url.clone(),
        }
    }
}

/// A product's dependency on a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Dependency {
    /// Identifier (`DEP-…`).
    pub id: RecordId,
    /// The dependent product.
    pub product: RecordId,
    /// What kind of service.
    pub kind: DependencyKind,
    /// Who provides it.
    pub provider: String,
    /// The service's name.
    pub service: String,
    /// The service's certificate, if it has one.
    pub certificate: Option<CertificateId>,
}

/// The assessor's finding for one requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Met.
    Pass,
    /// Not met.
    Fail {
        /// What is missing.
        #[serde(default)]
        note: Option<String>,
    },
    /// Does not apply to this product (allowed for conditional and recommended requirements).
    NotApplicable {
        /// Why it does not apply.
        justification: String,
    },
    /// Could not be decided.
    Inconclusive {
        /// Why.
        #[serde(default)]
        note: Option<String>,
    },
}

/// An assessment of a product version against a scheme level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Assessment {
    /// Identifier (`ASM-…`).
    pub id: RecordId,
    /// The product.
    pub product: RecordId,
    /// The assessed version.
    pub version: RecordId,
    /// Scheme.
    pub scheme: SchemeId,
    /// Level.
    pub level: LevelId,
    /// Who assessed: the manufacturer (self) or an assessment body.
    pub assessor: OrgId,
    /// Self or third party.
    pub assessor_kind: IssuerKind,
    /// Verdict per requirement id.
    pub verdicts: BTreeMap<String, Verdict>,
    /// Evidence references (report ids, URLs).
    pub evidence: Vec<String>,
    /// When it was recorded.
    pub assessed_at: DateTime<Utc>,
    /// Whether every requirement of the level is met (computed by the service when recorded).
    pub passed: bool,
    /// The national authority that approved it, for levels that need approval.
    pub approved_by: Option<OrgId>,
}

/// A certificate (third party) or statement of conformity (self-declared): one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Certificate {
    /// Permanent identifier.
    pub id: CertificateId,
    /// The product.
    pub product: RecordId,
    /// The holder (manufacturer).
    pub holder: OrgId,
    /// Scheme.
    pub scheme: SchemeId,
    /// Level.
    pub level: LevelId,
    /// Who issued it.
    pub issuer: OrgId,
    /// Self-declared or third party.
    pub issuer_kind: IssuerKind,
    /// The national authority responsible for supervising it.
    pub authority: Option<OrgId>,
    /// The assessment it rests on.
    pub assessment: RecordId,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Cached lifecycle state (derived from events; see [`crate::event::fold`]).
    pub state: State,
}

impl Certificate {
    /// The first fact of this row that differs from `view`, the fold of the certificate's
    /// events: its id, product, holder, scheme, level, issuer, issuer kind, authority,
    /// assessment, issue time (to the microsecond the database keeps), last day of validity or
    /// state. `None` when the row says what the events say. Every one of them is shown to the
    /// public or signed into a label or status, so a row edited outside the registry must not
    /// pass for its signed record.
    pub fn differs_from(&self, view: &crate::event::CertificateView) -> Option<&'static str> {
        [
            ("id", self.id == view.id),
            ("product", self.product == view.product),
            ("holder", self.holder == view.holder),
            ("scheme", self.scheme == view.scheme),
            ("level", self.level == view.level),
            ("issuer", self.issuer == view.issuer),
            ("issuer_kind", self.issuer_kind == view.issuer_kind),
            ("authority", self.authority == view.authority),
            ("assessment", self.assessment == view.assessment),
            (
                "issued_at",
                self.issued_at.timestamp_micros() == view.issued_at.timestamp_micros(),
            ),
            ("valid_until", self.valid_until == view.valid_until),
            ("state", self.state == view.state),
        ]
        .into_iter()
        .find_map(|(field, same)| (!same).then_some(field))
    }
}
