//! Reason codes for suspensions, extensions and withdrawals (issue 13): a closed catalogue, so a
//! visitor reads the reason in their own language, plus the organisation's optional free text,
//! which is never translated and is shown marked with the language it was written in
//! ([`TextLang`]).
//!
//! Events written before reason codes existed carry only free text; they fold with the code the
//! scheduler rule implies ([`ReasonCode::for_rule`]) or [`ReasonCode::Other`]. Their serialized
//! form is unchanged (the code and language fields are optional and skipped when absent), so
//! their signatures still verify.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::lifecycle::Command;
use crate::model::{text_enum, UnknownValue};
use crate::schedule::Rule;

text_enum!(
    /// Why a certificate was suspended, its suspension extended, or withdrawn.
    ReasonCode, "reason code" {
        /// A known vulnerability was not fixed within the scheme's deadline.
        VulnerabilityNotFixed = "vulnerability_not_fixed",
        /// The product was recalled.
        Recall = "recall",
        /// (Suspensions and extensions only.) A complaint or report is being investigated.
        UnderInvestigation = "under_investigation",
        /// A complaint about the product or label was upheld.
        ComplaintUpheld = "complaint_upheld",
        /// An assessment or check found the product does not conform.
        NonConformity = "non_conformity",
        /// The label was given on wrong or incomplete information.
        FalseInformation = "false_information",
        /// The issuing assessment body's authorisation was revoked.
        IssuerAuthorisationRevoked = "issuer_authorisation_revoked",
        /// The holder asked for it.
        HolderRequest = "holder_request",
        /// Security support for the product ended.
        SupportEnded = "support_ended",
        /// The problem was not remedied within the suspension period.
        NotRemedied = "not_remedied",
        /// (Extensions only.) The holder is remedying the problem and was given more time.
        RemedyInProgress = "remedy_in_progress",
        /// Any other reason; the free text must say which.
        Other = "other",
    }
);

/// Longest free text accepted with a reason code, in characters.
pub const MAX_FREE_TEXT_CHARS: usize = 1000;

/// A reason given with a lifecycle command is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReasonError {
    /// The code is not one of the catalogue's.
    #[error(transparent)]
    UnknownCode(#[from] UnknownValue),
    /// The code does not fit the command.
    #[error("reason code `{code}` cannot be used to {command}; allowed: {allowed}")]
    NotForCommand {
        /// The code given.
        code: ReasonCode,
        /// The command.
        command: &'static str,
        /// The codes that are allowed, space separated.
        allowed: String,
    },
    /// `other` without saying what.
    #[error("reason code `other` needs a free text saying what the reason is")]
    OtherNeedsText,
    /// The free text is too long.
    #[error("the reason text has {0} characters; at most {MAX_FREE_TEXT_CHARS} are allowed")]
    TextTooLong(usize),
    /// The free text holds control characters.
    #[error("the reason text contains a control character")]
    TextControl,
}

impl ReasonCode {
    /// The codes that may be given with `command` (suspend, extend a suspension, withdraw).
    pub fn allowed_for(command: Command) -> Vec<ReasonCode> {
        ReasonCode::ALL
            .iter()
            .copied()
            .filter(|c| c.fits(command))
            .collect()
    }

    /// Whether the code may be given with `command`.
    pub fn fits(self, command: Command) -> bool {
        use ReasonCode as R;
        match command {
            Command::Suspend => {
                !matches!(self, R::NotRemedied | R::RemedyInProgress | R::SupportEnded)
            }
            Command::ExtendSuspension => !matches!(self, R::NotRemedied | R::SupportEnded),
            Command::Withdraw => !matches!(self, R::RemedyInProgress | R::UnderInvestigation),
            _ => false,
        }
    }

    /// The space-separated codes allowed with `command`, for error messages.
    pub fn allowed_text(command: Command) -> String {
        Self::allowed_for(command)
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Checks a code (as text) and free text given with `command`; `None` text means none given.
    pub fn check(
        code: &str,
        command: Command,
        text: Option<&str>,
    ) -> Result<ReasonCode, ReasonError> {
        let parsed: ReasonCode = code.trim().parse()?;
        if !parsed.fits(command) {
            return Err(ReasonError::NotForCommand {
                code: parsed,
                command: command_words(command),
                allowed: Self::allowed_text(command),
            });
        }
        let text = text.unwrap_or("");
        let chars = text.chars().count();
        if chars > MAX_FREE_TEXT_CHARS {
            return Err(ReasonError::TextTooLong(chars));
        }
        if text.chars().any(char::is_control) {
            return Err(ReasonError::TextControl);
        }
        if parsed == ReasonCode::Other && text.trim().is_empty() {
            return Err(ReasonError::OtherNeedsText);
        }
        Ok(parsed)
    }

    /// The code a scheduler rule records (and implies for older scheduled events without one).
    pub fn for_rule(rule: Rule) -> ReasonCode {
        match rule {
            Rule::VulnerabilityOverdue => ReasonCode::VulnerabilityNotFixed,
            Rule::SuspensionEnded => ReasonCode::NotRemedied,
            Rule::IssuerAuthorisationRevoked => ReasonCode::IssuerAuthorisationRevoked,
            Rule::SupportEnded => ReasonCode::SupportEnded,
            // Expiry records no reason; a code is still needed should it ever carry one.
            Rule::Expiry => ReasonCode::Other,
            // A CRA deadline notice changes no state and records no reason.
            Rule::CraReportOverdue => ReasonCode::Other,
        }
    }

    /// The reason in plain words, one sentence, in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        use ReasonCode as R;
        match self {
            R::VulnerabilityNotFixed => lang.pick(
                "A known security problem was not fixed in time.",
                "Een bekend beveiligingsprobleem is niet op tijd opgelost.",
                "Ein bekanntes Sicherheitsproblem wurde nicht rechtzeitig behoben.",
                "Un problème de sécurité connu n'a pas été corrigé à temps.",
            ),
            R::Recall => lang.pick(
                "The product has been recalled.",
                "Het product is teruggeroepen.",
                "Das Produkt wurde zurückgerufen.",
                "Le produit a été rappelé.",
            ),
            R::UnderInvestigation => lang.pick(
                "A report about the product is being investigated.",
                "Een melding over het product wordt onderzocht.",
                "Eine Meldung zu dem Produkt wird untersucht.",
                "Un signalement concernant le produit fait l'objet d'une enquête.",
            ),
            R::ComplaintUpheld => lang.pick(
                "A complaint about the product was found to be justified.",
                "Een klacht over het product is gegrond verklaard.",
                "Eine Beschwerde über das Produkt wurde als berechtigt anerkannt.",
                "Une réclamation concernant le produit a été jugée fondée.",
            ),
            R::NonConformity => lang.pick(
                "A check found that the product does not meet the requirements of its label.",
                "Bij een controle bleek dat het product niet voldoet aan de eisen van zijn label.",
                "Eine Prüfung hat ergeben, dass das Produkt die Anforderungen seines Kennzeichens nicht erfüllt.",
                "Un contrôle a montré que le produit ne respecte pas les exigences de son label.",
            ),
            R::FalseInformation => lang.pick(
                "The label was given on the basis of wrong or incomplete information.",
                "Het label is gegeven op basis van onjuiste of onvolledige informatie.",
                "Das Kennzeichen wurde auf Grund falscher oder unvollständiger Angaben vergeben.",
                "Le label a été délivré sur la base d'informations fausses ou incomplètes.",
            ),
            R::IssuerAuthorisationRevoked => lang.pick(
                "The assessment body that gave the label is no longer allowed to give it.",
                "De keuringsinstantie die het label gaf, mag dat niet meer doen.",
                "Die Prüfstelle, die das Kennzeichen vergeben hat, darf es nicht mehr vergeben.",
                "L'organisme d'évaluation qui a délivré le label n'est plus autorisé à le faire.",
            ),
            R::HolderRequest => lang.pick(
                "The maker asked for it.",
                "De fabrikant heeft erom gevraagd.",
                "Der Hersteller hat darum gebeten.",
                "Le fabricant l'a demandé.",
            ),
            R::SupportEnded => lang.pick(
                "The maker no longer provides security updates for this product.",
                "De fabrikant levert geen beveiligingsupdates meer voor dit product.",
                "Der Hersteller liefert keine Sicherheitsupdates mehr für dieses Produkt.",
                "Le fabricant ne fournit plus de mises à jour de sécurité pour ce produit.",
            ),
            R::NotRemedied => lang.pick(
                "The problem was not solved within the suspension period.",
                "Het probleem is niet binnen de schorsingstermijn opgelost.",
                "Das Problem wurde nicht innerhalb der Aussetzungsfrist gelöst.",
                "Le problème n'a pas été résolu pendant la période de suspension.",
            ),
            R::RemedyInProgress => lang.pick(
                "The maker is solving the problem and has been given more time.",
                "De fabrikant werkt aan een oplossing en heeft meer tijd gekregen.",
                "Der Hersteller arbeitet an einer Lösung und hat mehr Zeit bekommen.",
                "Le fabricant résout le problème et a obtenu plus de temps.",
            ),
            R::Other => lang.pick(
                "Another reason.",
                "Een andere reden.",
                "Ein anderer Grund.",
                "Une autre raison.",
            ),
        }
    }
}

fn command_words(command: Command) -> &'static str {
    match command {
        Command::Suspend => "suspend",
        Command::ExtendSuspension => "extend a suspension",
        Command::Withdraw => "withdraw",
        _ => "do this",
    }
}

/// The language a free text was written in: a BCP 47 tag (`en`, `nl`, `pt-BR`, `sr-Latn`…),
/// checked for shape only (a primary language subtag of 2–3 letters, then subtags of 1–8 letters
/// or digits; at most 35 characters) and kept lower-case in the primary subtag. Any language is
/// allowed, as organisations write in their own; pages put it in a `lang` attribute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct TextLang(String);

/// A language tag does not have the shape of a BCP 47 tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a language tag such as `en`, `nl` or `pt-BR`")]
pub struct BadLangTag(pub String);

impl TextLang {
    /// Longest accepted tag.
    pub const MAX_LEN: usize = 35;

    /// The tag, for a `lang` attribute.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// English, the register's language for free text written before languages were recorded.
    pub fn en() -> Self {
        TextLang("en".to_owned())
    }

    /// Whether the text is in `lang` (its primary subtag), so no marking is needed on its page.
    pub fn is(&self, lang: Lang) -> bool {
        self.0.split('-').next() == Some(lang.tag())
    }
}

impl From<Lang> for TextLang {
    fn from(l: Lang) -> Self {
        TextLang(l.tag().to_owned())
    }
}

impl fmt::Display for TextLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TextLang {
    type Err = BadLangTag;
    fn from_str(s: &str) -> Result<Self, BadLangTag> {
        let bad = || BadLangTag(s.chars().take(Self::MAX_LEN + 1).collect());
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(bad());
        }
        let mut parts = s.split('-');
        let primary = parts.next().unwrap_or("");
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(bad());
        }
        let mut out = primary.to_ascii_lowercase();
        for p in parts {
            if p.is_empty() || p.len() > 8 || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(bad());
            }
            out.push('-');
            out.push_str(p);
        }
        Ok(TextLang(out))
    }
}

impl<'de> Deserialize<'de> for TextLang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_four_distinct_non_empty_texts() {
        for code in ReasonCode::ALL {
            let texts: Vec<&str> = Lang::ALL.iter().map(|l| code.text(*l)).collect();
            for (l, t) in Lang::ALL.iter().zip(&texts) {
                assert!(!t.trim().is_empty(), "{code} has no {l} text");
            }
            for (i, a) in texts.iter().enumerate() {
                for b in &texts[i + 1..] {
                    assert_ne!(a, b, "{code}: two languages share a text");
                }
            }
        }
    }

    #[test]
    fn every_command_allows_other_and_every_code_fits_some_command() {
        for c in [
            Command::Suspend,
            Command::ExtendSuspension,
            Command::Withdraw,
        ] {
            assert!(ReasonCode::Other.fits(c));
        }
        for code in ReasonCode::ALL {
            assert!(
                [
                    Command::Suspend,
                    Command::ExtendSuspension,
                    Command::Withdraw
                ]
                .iter()
                .any(|c| code.fits(*c)),
                "{code} fits no command"
            );
        }
        assert!(!ReasonCode::Recall.fits(Command::Reinstate));
    }

    #[test]
    fn check_accepts_a_fitting_code() {
        assert_eq!(
            ReasonCode::check("recall", Command::Withdraw, None),
            Ok(ReasonCode::Recall)
        );
        assert_eq!(
            ReasonCode::check(" other ", Command::Suspend, Some("water damage")),
            Ok(ReasonCode::Other)
        );
    }

    #[test]
    fn unknown_code_names_the_allowed_ones() {
        let e = ReasonCode::check("lost", Command::Suspend, None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("`lost`"), "{msg}");
        assert!(msg.contains("vulnerability_not_fixed"), "{msg}");
        assert!(msg.contains("other"), "{msg}");
    }

    #[test]
    fn code_that_does_not_fit_is_refused_naming_the_allowed() {
        let e = ReasonCode::check("not_remedied", Command::Suspend, None).unwrap_err();
        assert!(matches!(e, ReasonError::NotForCommand { .. }));
        assert!(e.to_string().contains("recall"));
        assert!(!e.to_string().contains("allowed: not_remedied"));
        assert!(ReasonCode::check("remedy_in_progress", Command::Withdraw, None).is_err());
        assert!(ReasonCode::check("remedy_in_progress", Command::ExtendSuspension, None).is_ok());
        assert!(ReasonCode::check("under_investigation", Command::Withdraw, None).is_err());
        assert!(ReasonCode::check("under_investigation", Command::Suspend, None).is_ok());
    }

    #[test]
    fn other_needs_text_and_text_is_bounded() {
        assert_eq!(
            ReasonCode::check("other", Command::Withdraw, Some("  ")),
            Err(ReasonError::OtherNeedsText)
        );
        let long = "x".repeat(MAX_FREE_TEXT_CHARS + 1);
        assert_eq!(
            ReasonCode::check("recall", Command::Withdraw, Some(&long)),
            Err(ReasonError::TextTooLong(MAX_FREE_TEXT_CHARS + 1))
        );
        assert_eq!(
            ReasonCode::check("recall", Command::Withdraw, Some("a\u{0}b")),
            Err(ReasonError::TextControl)
        );
        assert_eq!(
            ReasonCode::check("recall", Command::Withdraw, Some("line\nline")),
            Err(ReasonError::TextControl)
        );
    }

    #[test]
    fn every_rule_that_writes_a_reason_has_its_code() {
        assert_eq!(
            ReasonCode::for_rule(Rule::VulnerabilityOverdue),
            ReasonCode::VulnerabilityNotFixed
        );
        assert_eq!(
            ReasonCode::for_rule(Rule::SuspensionEnded),
            ReasonCode::NotRemedied
        );
        assert_eq!(
            ReasonCode::for_rule(Rule::IssuerAuthorisationRevoked),
            ReasonCode::IssuerAuthorisationRevoked
        );
    }

    #[test]
    fn language_tags_are_checked_for_shape() {
        for ok in ["en", "NL", "pt-BR", "sr-Latn-RS", "gsw"] {
            assert!(ok.parse::<TextLang>().is_ok(), "{ok}");
        }
        assert_eq!(
            "NL".parse::<TextLang>().map(|t| t.to_string()),
            Ok("nl".into())
        );
        for bad in [
            "",
            "e",
            "english",
            "en-",
            "en_GB",
            "en-abcdefghi",
            "<b>",
            "e1",
            "en gb",
        ] {
            assert!(bad.parse::<TextLang>().is_err(), "{bad}");
        }
        let long = format!("en{}", "-abc".repeat(20));
        assert!(long.parse::<TextLang>().is_err());
        assert!("de-AT".parse::<TextLang>().is_ok_and(|t| t.is(Lang::De)));
        assert!(serde_json::from_str::<TextLang>("\"x<y\"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,60}") {
            let _ = s.parse::<TextLang>();
            let _ = ReasonCode::check(&s, Command::Suspend, Some(&s));
        }
    }
}
