//! Supported languages. Texts are written for ordinary people: no jargon, short sentences.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language of the public texts.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// Dutch.
    Nl,
    /// German.
    De,
    /// French.
    Fr,
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Nl, Lang::De, Lang::Fr];

    /// The BCP 47 tag, for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::De => "de",
            Lang::Fr => "fr",
        }
    }

    /// Picks one of four texts.
    pub fn pick<T>(self, en: T, nl: T, de: T, fr: T) -> T {
        match self {
            Lang::En => en,
            Lang::Nl => nl,
            Lang::De => de,
            Lang::Fr => fr,
        }
    }

    /// The one supported language a member state works in, for a default where an
    /// organisation has not said (a complaint's answer): `NL` → Dutch, `DE` and `AT` → German,
    /// `FR` → French, `IE` and `MT` → English. States with several of them (`BE`, `LU`) or
    /// none give `None`; the caller then says what it falls back to.
    pub fn of_member_state(code: &str) -> Option<Lang> {
        match code.to_ascii_uppercase().as_str() {
            "NL" => Some(Lang::Nl),
            "DE" | "AT" => Some(Lang::De),
            "FR" => Some(Lang::Fr),
            "IE" | "MT" => Some(Lang::En),
            _ => None,
        }
    }

    /// The best supported language for an HTTP `Accept-Language` header (q-values honoured).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            if let Ok(lang) = primary.parse::<Lang>() {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// The language is not one we support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported language `{0}`; expected one of: en nl de fr")]
pub struct UnsupportedLang(pub String);

impl FromStr for Lang {
    type Err = UnsupportedLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "nl" => Ok(Lang::Nl),
            "de" => Ok(Lang::De),
            "fr" => Ok(Lang::Fr),
            _ => Err(UnsupportedLang(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_honours_quality() {
        assert_eq!(
            Lang::from_accept_language("fr-BE;q=0.5, nl-NL, en;q=0.8"),
            Some(Lang::Nl)
        );
        assert_eq!(Lang::from_accept_language("es, de;q=0.1"), Some(Lang::De));
        assert_eq!(Lang::from_accept_language("es, it"), None);
        assert_eq!(Lang::from_accept_language("de;q=0"), None);
    }

    #[test]
    fn parses_case_insensitively() {
        assert_eq!("NL".parse::<Lang>(), Ok(Lang::Nl));
        assert!("es".parse::<Lang>().is_err());
    }

    #[test]
    fn member_states_with_one_supported_language_name_it() {
        assert_eq!(Lang::of_member_state("NL"), Some(Lang::Nl));
        assert_eq!(Lang::of_member_state("at"), Some(Lang::De));
        assert_eq!(Lang::of_member_state("FR"), Some(Lang::Fr));
        assert_eq!(Lang::of_member_state("IE"), Some(Lang::En));
        for several_or_none in ["BE", "LU", "IT", "", "XX"] {
            assert_eq!(Lang::of_member_state(several_or_none), None);
        }
    }
}
