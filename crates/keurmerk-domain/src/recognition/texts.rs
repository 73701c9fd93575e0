//! Plain words for recognition reasons, kinds, legal status and categories, in every language.

use super::{TargetReport, Why};
use crate::i18n::Lang;
use crate::model::Category;
use crate::scheme::{LegalKind, RecognitionKind};

fn day(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Why<'_> {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Why::Agreement { .. } => "agreement",
            Why::NotYetInForce { .. } => "not_yet_in_force",
            Why::Ended { .. } => "ended",
            Why::ExcludedCategory { .. } => "excluded_category",
            Why::WrongDirection { .. } => "direction",
            Why::OtherLevels { .. } => "other_levels",
            Why::Coverage => "coverage",
            Why::MissingProvisions { .. } => "missing_provisions",
            Why::NotMappable { .. } => "not_mappable",
        }
    }

    /// The reason in plain words; `t` is the target it belongs to.
    pub fn text(&self, l: Lang, t: &TargetReport<'_>) -> String {
        let target = format!("{} {}", t.scheme.short_name, t.level.name);
        match self {
            Why::Agreement { id, kind, source } => match kind {
                RecognitionKind::SimplifiedApplication => format!(
                    "{} {target} ({}: {source}, {id}).",
                    l.pick(
                        "The maker can apply for a simplified check for",
                        "De fabrikant kan een vereenvoudigde aanvraag doen voor",
                        "Der Hersteller kann ein vereinfachtes Verfahren beantragen für",
                        "Le fabricant peut demander une procédure simplifiée pour",
                    ),
                    l.pick("agreement", "afspraak", "Vereinbarung", "accord"),
                ),
                RecognitionKind::DeemedCompliance => format!(
                    "{} {target} ({}: {source}, {id}).",
                    l.pick(
                        "This label counts as meeting the rules of",
                        "Dit label geldt als voldoen aan de regels van",
                        "Dieses Kennzeichen gilt als Erfüllung der Regeln von",
                        "Ce label vaut respect des règles de",
                    ),
                    l.pick("agreement", "afspraak", "Vereinbarung", "accord"),
                ),
                RecognitionKind::MutualRecognition => format!(
                    "{} {target} ({}: {source}, {id}).",
                    l.pick(
                        "This label is accepted as",
                        "Dit label wordt geaccepteerd als",
                        "Dieses Kennzeichen wird anerkannt als",
                        "Ce label est reconnu comme",
                    ),
                    l.pick("agreement", "afspraak", "Vereinbarung", "accord"),
                ),
            },
            Why::NotYetInForce { id, from } => format!(
                "{} {} ({id}).",
                l.pick(
                    "An agreement covers this, but only from",
                    "Een afspraak regelt dit, maar pas vanaf",
                    "Eine Vereinbarung deckt das ab, aber erst ab",
                    "Un accord le prévoit, mais seulement à partir du",
                ),
                day(*from)
            ),
            Why::Ended { id, until } => format!(
                "{} {} ({id}).",
                l.pick(
                    "The agreement that covered this ended on",
                    "De afspraak die dit regelde is geëindigd op",
                    "Die Vereinbarung dafür endete am",
                    "L'accord qui le prévoyait a pris fin le",
                ),
                day(*until)
            ),
            Why::ExcludedCategory { id, category } => format!(
                "{} ({}; {id}).",
                l.pick(
                    "The agreement does not cover this kind of product",
                    "De afspraak geldt niet voor dit soort product",
                    "Die Vereinbarung gilt nicht für diese Art von Produkt",
                    "L'accord ne couvre pas ce type de produit",
                ),
                category_words(l, *category)
            ),
            Why::WrongDirection { id } => format!(
                "{} ({id}).",
                l.pick(
                    "The agreement works only the other way round: that label is accepted here, not this one there",
                    "De afspraak werkt alleen andersom: dat label wordt hier geaccepteerd, niet dit label daar",
                    "Die Vereinbarung gilt nur umgekehrt: jenes Kennzeichen wird hier anerkannt, nicht dieses dort",
                    "L'accord ne fonctionne que dans l'autre sens : ce label-là est reconnu ici, pas celui-ci là-bas",
                ),
            ),
            Why::OtherLevels { id } => format!(
                "{} ({id}).",
                l.pick(
                    "An agreement between these labels exists, but for other levels",
                    "Er is een afspraak tussen deze labels, maar voor andere niveaus",
                    "Es gibt eine Vereinbarung zwischen diesen Kennzeichen, aber für andere Stufen",
                    "Un accord existe entre ces labels, mais pour d'autres niveaux",
                ),
            ),
            Why::Coverage => l
                .pick(
                    "The checks already done cover everything this level asks for. Its own application is still needed.",
                    "De uitgevoerde controles dekken alles wat dit niveau vraagt. Een eigen aanvraag blijft nodig.",
                    "Die durchgeführten Prüfungen decken alles ab, was diese Stufe verlangt. Ein eigener Antrag bleibt nötig.",
                    "Les contrôles déjà faits couvrent tout ce que ce niveau demande. Une demande propre reste nécessaire.",
                )
                .to_owned(),
            Why::MissingProvisions { count } => format!(
                "{count} {}",
                l.pick(
                    "requirement(s) of this level were not checked for this label.",
                    "eis(en) van dit niveau zijn voor dit label niet gecontroleerd.",
                    "Anforderung(en) dieser Stufe wurden für dieses Kennzeichen nicht geprüft.",
                    "exigence(s) de ce niveau n'ont pas été contrôlées pour ce label.",
                )
            ),
            Why::NotMappable { requirements } => format!(
                "{} {}.",
                l.pick(
                    "This level also asks for checks that this label's checks cannot stand in for:",
                    "Dit niveau vraagt ook controles waar de controles van dit label niet voor in de plaats kunnen komen:",
                    "Diese Stufe verlangt auch Prüfungen, die die Prüfungen dieses Kennzeichens nicht ersetzen können:",
                    "Ce niveau demande aussi des contrôles que ceux de ce label ne peuvent pas remplacer :",
                ),
                requirements.join(", ")
            ),
        }
    }
}

/// A recognition kind in plain words.
pub fn kind_words(l: Lang, k: RecognitionKind) -> &'static str {
    match k {
        RecognitionKind::MutualRecognition => l.pick(
            "accepted as equal",
            "als gelijkwaardig geaccepteerd",
            "als gleichwertig anerkannt",
            "reconnu comme équivalent",
        ),
        RecognitionKind::DeemedCompliance => l.pick(
            "counts as meeting the legal rules",
            "geldt als voldoen aan de wettelijke regels",
            "gilt als Erfüllung der gesetzlichen Regeln",
            "vaut respect des règles légales",
        ),
        RecognitionKind::SimplifiedApplication => l.pick(
            "simpler application",
            "eenvoudigere aanvraag",
            "vereinfachter Antrag",
            "demande simplifiée",
        ),
    }
}

/// A legal status in plain words.
pub fn legal_words(l: Lang, k: LegalKind) -> &'static str {
    match k {
        LegalKind::Voluntary => l.pick(
            "voluntary: the maker chose to get this label",
            "vrijwillig: de fabrikant heeft zelf voor dit label gekozen",
            "freiwillig: der Hersteller hat sich für dieses Kennzeichen entschieden",
            "volontaire : le fabricant a choisi d'obtenir ce label",
        ),
        LegalKind::Reporting => l.pick(
            "partly a legal requirement: makers must already report security problems that are being exploited; the product rules follow later",
            "deels wettelijk verplicht: fabrikanten moeten misbruikte beveiligingsproblemen al melden; de productregels volgen later",
            "teilweise gesetzlich vorgeschrieben: Hersteller müssen ausgenutzte Sicherheitsprobleme schon melden; die Produktregeln folgen später",
            "en partie obligatoire : les fabricants doivent déjà signaler les failles exploitées ; les règles sur le produit suivent plus tard",
        ),
        LegalKind::Mandatory => l.pick(
            "a legal requirement: products like this may only be sold there if they meet it",
            "wettelijk verplicht: zulke producten mogen daar alleen verkocht worden als ze hieraan voldoen",
            "gesetzlich vorgeschrieben: solche Produkte dürfen dort nur verkauft werden, wenn sie es erfüllen",
            "obligatoire : ces produits ne peuvent y être vendus que s'ils le respectent",
        ),
    }
}

/// A product category in plain words.
pub fn category_words(l: Lang, c: Category) -> &'static str {
    match c {
        Category::Camera => l.pick("camera", "camera", "Kamera", "caméra"),
        Category::Router => l.pick("router", "router", "Router", "routeur"),
        Category::SmartPlug => l.pick(
            "smart plug",
            "slimme stekker",
            "smarte Steckdose",
            "prise connectée",
        ),
        Category::BabyMonitor => l.pick("baby monitor", "babyfoon", "Babyphone", "babyphone"),
        Category::SmartLock => l.pick(
            "smart lock",
            "slim slot",
            "smartes Türschloss",
            "serrure connectée",
        ),
        Category::SmartSpeaker => l.pick(
            "smart speaker",
            "slimme speaker",
            "smarter Lautsprecher",
            "enceinte connectée",
        ),
        Category::Thermostat => l.pick("thermostat", "thermostaat", "Thermostat", "thermostat"),
        Category::Alarm => l.pick(
            "fire, gas or water alarm",
            "brand-, gas- of watermelder",
            "Rauch-, Gas- oder Wassermelder",
            "détecteur d'incendie, de gaz ou d'eau",
        ),
        Category::Computer => l.pick("computer", "computer", "Computer", "ordinateur"),
        Category::CloudService => l.pick(
            "online service",
            "onlinedienst",
            "Online-Dienst",
            "service en ligne",
        ),
        Category::ConnectivityService => l.pick(
            "network connection service",
            "netwerkverbinding",
            "Netzverbindung",
            "service de connexion",
        ),
        Category::MobileApp => l.pick(
            "phone app",
            "telefoon-app",
            "Handy-App",
            "application mobile",
        ),
        Category::Other => l.pick(
            "other product",
            "ander product",
            "anderes Produkt",
            "autre produit",
        ),
    }
}
