//! Plain-language label texts in the four supported languages.

use std::str::FromStr;

use crate::LabelError;

/// Label language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
    /// German.
    De,
    /// French.
    Fr,
}

impl Lang {
    /// All supported languages.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Nl, Lang::De, Lang::Fr];

    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::De => "de",
            Lang::Fr => "fr",
        }
    }
}

impl FromStr for Lang {
    type Err = LabelError;
    /// Parses `en`, `nl`, `de` or `fr` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" => Ok(Lang::En),
            "nl" => Ok(Lang::Nl),
            "de" => Ok(Lang::De),
            "fr" => Ok(Lang::Fr),
            _ => Err(LabelError::UnknownLang(s.to_owned())),
        }
    }
}

/// The fixed texts of a label.
pub(crate) struct Texts {
    pub title: &'static str,
    pub level: &'static str,
    pub self_declared: &'static str,
    pub self_declared_note: &'static str,
    pub tested_by: &'static str,
    pub tested_note: &'static str,
    pub updates_until: &'static str,
    pub certificate: &'static str,
    pub scan: &'static str,
    pub stars_of: &'static str,
    pub statement_title: &'static str,
    pub declaration_title: &'static str,
    pub not_valid: &'static str,
    pub product: &'static str,
    pub months: [&'static str; 12],
}

/// The name of a month (`1..=12`) in a language, as written in a date ("12 maart 2027").
pub fn month_name(lang: Lang, month: u32) -> &'static str {
    let i = usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0);
    texts(lang).months[i]
}

pub(crate) fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::En => &EN,
        Lang::Nl => &NL,
        Lang::De => &DE,
        Lang::Fr => &FR,
    }
}

static EN: Texts = Texts {
    title: "Cybersecurity label",
    level: "Security level",
    self_declared: "Self-declared by the manufacturer",
    self_declared_note: "Not tested by an independent lab",
    tested_by: "Tested by {}",
    tested_note: "Checked by an independent lab",
    updates_until: "Security updates until",
    certificate: "Certificate",
    scan: "Scan to see if this label is still valid",
    stars_of: "{} of {} stars",
    statement_title: "Statement of compliance",
    declaration_title: "IT security label",
    not_valid: "NOT VALID",
    product: "Product",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

static NL: Texts = Texts {
    title: "Cyberveiligheidslabel",
    level: "Beveiligingsniveau",
    self_declared: "Zelf verklaard door de fabrikant",
    self_declared_note: "Niet getest door een onafhankelijk lab",
    tested_by: "Getest door {}",
    tested_note: "Gecontroleerd door een onafhankelijk lab",
    updates_until: "Beveiligingsupdates tot",
    certificate: "Certificaat",
    scan: "Scan om te zien of dit label nog geldig is",
    stars_of: "{} van {} sterren",
    statement_title: "Verklaring van overeenstemming",
    declaration_title: "IT-beveiligingslabel",
    not_valid: "NIET GELDIG",
    product: "Product",
    months: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
};

static DE: Texts = Texts {
    title: "Cybersicherheits-Label",
    level: "Sicherheitsstufe",
    self_declared: "Vom Hersteller selbst erklärt",
    self_declared_note: "Nicht von einem unabhängigen Labor geprüft",
    tested_by: "Geprüft von {}",
    tested_note: "Von einem unabhängigen Labor geprüft",
    updates_until: "Sicherheitsupdates bis",
    certificate: "Zertifikat",
    scan: "Scannen Sie, um zu sehen, ob dieses Label noch gilt",
    stars_of: "{} von {} Sternen",
    statement_title: "Konformitätserklärung",
    declaration_title: "IT-Sicherheitskennzeichen",
    not_valid: "NICHT GÜLTIG",
    product: "Produkt",
    months: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
};

static FR: Texts = Texts {
    title: "Label de cybersécurité",
    level: "Niveau de sécurité",
    self_declared: "Déclaré par le fabricant lui-même",
    self_declared_note: "Non testé par un laboratoire indépendant",
    tested_by: "Testé par {}",
    tested_note: "Vérifié par un laboratoire indépendant",
    updates_until: "Mises à jour de sécurité jusqu’en",
    certificate: "Certificat",
    scan: "Scannez pour savoir si ce label est toujours valable",
    stars_of: "{} étoiles sur {}",
    statement_title: "Déclaration de conformité",
    declaration_title: "Label de sécurité informatique",
    not_valid: "NON VALIDE",
    product: "Produit",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
};

/// Replace `{}` placeholders in order.
pub(crate) fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    for a in args {
        match rest.split_once("{}") {
            Some((before, after)) => {
                out.push_str(before);
                out.push_str(a);
                rest = after;
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_lang() {
        for l in Lang::ALL {
            assert_eq!(l.code().parse::<Lang>().unwrap(), l);
        }
        assert_eq!("NL".parse::<Lang>().unwrap(), Lang::Nl);
        assert!("es".parse::<Lang>().is_err());
    }

    #[test]
    fn fill_placeholders() {
        assert_eq!(fill("{} of {} stars", &["3", "4"]), "3 of 4 stars");
        assert_eq!(fill("Tested by {}", &["{} Lab"]), "Tested by {} Lab");
    }
}
