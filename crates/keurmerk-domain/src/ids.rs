//! Identifiers as newtypes with checked constructors ("parse, don't validate").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The identifier is empty.
    #[error("{kind} must not be empty")]
    Empty {
        /// Which kind of identifier was being parsed.
        kind: &'static str,
    },
    /// The identifier is longer than allowed.
    #[error("{kind} {value:?} is longer than {max} characters")]
    TooLong {
        /// Which kind of identifier was being parsed.
        kind: &'static str,
        /// The offending value.
        value: String,
        /// The maximum length.
        max: usize,
    },
    /// The identifier contains a character outside its alphabet.
    #[error("{kind} {value:?} may only contain {allowed}")]
    BadCharacter {
        /// Which kind of identifier was being parsed.
        kind: &'static str,
        /// The offending value.
        value: String,
        /// A description of the allowed characters.
        allowed: &'static str,
    },
}

fn check(
    kind: &'static str,
    value: &str,
    max: usize,
    allowed: &'static str,
    ok: impl Fn(char) -> bool,
) -> Result<(), IdError> {
    if value.is_empty() {
        return Err(IdError::Empty { kind });
    }
    if value.chars().count() > max {
        return Err(IdError::TooLong {
            kind,
            value: value.to_owned(),
            max,
        });
    }
    if !value.chars().all(ok) {
        return Err(IdError::BadCharacter {
            kind,
            value: value.to_owned(),
            allowed,
        });
    }
    Ok(())
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr, $allowed:literal, $ok:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses and checks an identifier.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                check($kind, &value, $max, $allowed, $ok)?;
                Ok(Self(value))
            }

            /// The identifier as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        // On the wire an id is a checked string; inlined, so API schemas stay readable.
        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let pattern = if $allowed.starts_with("uppercase") {
                    "^[A-Z0-9-]+$"
                } else {
                    "^[a-z0-9-]+$"
                };
                schemars::json_schema!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": $max,
                    "pattern": pattern,
                    "description": concat!("A ", $kind, ": ", $allowed, "."),
                })
            }
        }
    };
}

fn slug_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

fn upper_id_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'
}

string_id!(
    /// A scheme identifier such as `eu-iot` or `sg-cls`.
    SchemeId, "scheme id", 40, "lowercase letters, digits and '-'", slug_char
);
string_id!(
    /// An assurance level identifier within a scheme, such as `basic` or `l3`.
    LevelId, "level id", 40, "lowercase letters, digits and '-'", slug_char
);
string_id!(
    /// An organisation identifier such as `acme-devices` or `nl-rdi`.
    OrgId, "organisation id", 64, "lowercase letters, digits and '-'", slug_char
);
string_id!(
    /// A certificate or statement-of-conformity identifier such as `KM-2026-000123`. Printed on
    /// products inside the label URL, so it never changes.
    CertificateId, "certificate id", 40, "uppercase letters, digits and '-'", upper_id_char
);
string_id!(
    /// A product, version, dependency or assessment identifier such as `PRD-000012`.
    RecordId, "record id", 40, "uppercase letters, digits and '-'", upper_id_char
);

impl CertificateId {
    /// The certificate id for a yearly sequence number: `KM-<year>-<six digits>`.
    pub fn from_sequence(year: i32, n: u64) -> Self {
        Self(format!("KM-{year}-{n:06}"))
    }
}

impl RecordId {
    /// A record id from a prefix (`PRD`, `VER`, `DEP`, `ASM`) and a sequence number.
    pub fn from_sequence(prefix: &str, n: u64) -> Self {
        Self(format!("{prefix}-{n:06}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_ids() {
        assert!(SchemeId::new("eu-iot").is_ok());
        assert!(CertificateId::new("KM-2026-000001").is_ok());
        assert_eq!(
            CertificateId::from_sequence(2026, 12).as_str(),
            "KM-2026-000012"
        );
    }

    #[test]
    fn rejects_bad_ids_with_named_problem() {
        let e = SchemeId::new("EU IoT").unwrap_err();
        assert!(e.to_string().contains("scheme id"), "{e}");
        assert_eq!(
            OrgId::new("").unwrap_err(),
            IdError::Empty {
                kind: "organisation id"
            }
        );
        assert!(matches!(
            CertificateId::new("x".repeat(41)),
            Err(IdError::TooLong { .. })
        ));
    }

    #[test]
    fn serde_checks_ids() {
        let bad: Result<SchemeId, _> = serde_json::from_str("\"Not Ok\"");
        assert!(bad.is_err());
        let good: SchemeId = serde_json::from_str("\"eucc\"").unwrap();
        assert_eq!(good.as_str(), "eucc");
    }
}
