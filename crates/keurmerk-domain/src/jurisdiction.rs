//! Where organisations may be established: the member states of the EU and the EEA, plus the
//! non-EU jurisdictions the loaded schemes name (e.g. `GB` for UK PSTI, `SG` for Singapore's
//! CLS). Codes are ISO 3166-1 alpha-2, upper case (Greece is `GR`, not the EU's `EL`).

use std::collections::BTreeSet;

use crate::scheme::Catalogue;

/// The 27 member states of the European Union.
pub const EU_MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// The EEA states outside the EU (the Cybersecurity Act applies in the EEA).
pub const EEA_NON_EU: [&str; 3] = ["IS", "LI", "NO"];

/// The `jurisdictions` value of a scheme that applies in the whole EU.
pub const EU: &str = "EU";

/// Why a member-state code is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JurisdictionError {
    /// Not two upper-case letters.
    #[error("`{0}` is not a two-letter country code (ISO 3166-1 alpha-2, e.g. NL)")]
    Malformed(String),
    /// A code, but not one the registry serves.
    #[error(
        "`{code}` is not an EU or EEA member state nor a jurisdiction of a loaded scheme \
         (accepted: {accepted})"
    )]
    Unknown {
        /// The code given.
        code: String,
        /// The codes accepted, comma-separated.
        accepted: String,
    },
}

/// Whether `code` is an EU or EEA member state.
pub fn is_eu_or_eea(code: &str) -> bool {
    EU_MEMBER_STATES.contains(&code) || EEA_NON_EU.contains(&code)
}

/// The codes an organisation's member state may take with this catalogue: EU and EEA states
/// and every jurisdiction a scheme names (other than `EU` itself).
pub fn accepted(catalogue: &Catalogue) -> BTreeSet<String> {
    EU_MEMBER_STATES
        .iter()
        .chain(EEA_NON_EU.iter())
        .map(|c| (*c).to_owned())
        .chain(
            catalogue
                .iter()
                .flat_map(|s| s.jurisdictions.iter())
                .filter(|j| j.as_str() != EU)
                .cloned(),
        )
        .collect()
}

/// Checks a member-state code (trimmed, case-insensitive) and returns it upper-cased.
pub fn check_member_state(catalogue: &Catalogue, raw: &str) -> Result<String, JurisdictionError> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(JurisdictionError::Malformed(raw.chars().take(20).collect()));
    }
    let ok = accepted(catalogue);
    if ok.contains(&code) {
        Ok(code)
    } else {
        Err(JurisdictionError::Unknown {
            code,
            accepted: ok.into_iter().collect::<Vec<_>>().join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_eea_and_scheme_jurisdictions() {
        let cat = Catalogue::shipped().unwrap();
        assert_eq!(check_member_state(&cat, " nl ").unwrap(), "NL");
        assert_eq!(check_member_state(&cat, "NO").unwrap(), "NO");
        // Named by the shipped UK and Singapore schemes.
        assert_eq!(check_member_state(&cat, "GB").unwrap(), "GB");
        assert_eq!(check_member_state(&cat, "SG").unwrap(), "SG");
        assert!(matches!(
            check_member_state(&cat, "ZZ"),
            Err(JurisdictionError::Unknown { .. })
        ));
        // The EU is a jurisdiction of schemes, not a member state.
        assert!(check_member_state(&cat, "EU").is_err());
        assert!(matches!(
            check_member_state(&cat, "NLD"),
            Err(JurisdictionError::Malformed(_))
        ));
        assert!(check_member_state(&cat, "").is_err());
        assert!(check_member_state(&cat, "n1").is_err());
    }

    #[test]
    fn lists_are_distinct_and_sorted() {
        let all: BTreeSet<_> = EU_MEMBER_STATES.iter().chain(EEA_NON_EU.iter()).collect();
        assert_eq!(all.len(), 30);
        assert!(EU_MEMBER_STATES.windows(2).all(|w| w[0] < w[1]));
    }
}
