//! Plain-language texts for label statuses and reasons, in every supported language.
//! Written for someone standing in a shop with a phone: short, concrete, no jargon.

use chrono::NaiveDate;

use super::{LabelStatus, Reason, StatusReport};
use crate::i18n::Lang;
use crate::lifecycle::State;
use crate::model::{DependencyKind, Severity};
use crate::reason::{ReasonCode, TextLang};

impl LabelStatus {
    /// Short status name.
    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            LabelStatus::Valid => lang.pick("Valid", "Geldig", "Gültig", "Valide"),
            LabelStatus::Attention => lang.pick(
                "Valid, attention needed",
                "Geldig, let op",
                "Gültig, Achtung",
                "Valide, attention",
            ),
            LabelStatus::Suspended => lang.pick("Suspended", "Geschorst", "Ausgesetzt", "Suspendu"),
            LabelStatus::SupportEnded => lang.pick(
                "No more security updates",
                "Geen beveiligingsupdates meer",
                "Keine Sicherheitsupdates mehr",
                "Plus de mises à jour de sécurité",
            ),
            LabelStatus::Expired => lang.pick("Expired", "Verlopen", "Abgelaufen", "Expiré"),
            LabelStatus::Withdrawn => lang.pick("Withdrawn", "Ingetrokken", "Entzogen", "Retiré"),
            LabelStatus::Unknown => lang.pick(
                "Integrity problem: do not rely on this label",
                "Integriteitsprobleem: vertrouw niet op dit label",
                "Integritätsproblem: verlassen Sie sich nicht auf dieses Kennzeichen",
                "Problème d'intégrité : ne vous fiez pas à ce label",
            ),
        }
    }

    /// One sentence saying what the status means for the buyer or user.
    pub fn explanation(self, lang: Lang) -> &'static str {
        match self {
            LabelStatus::Valid => lang.pick(
                "This product meets the security requirements of its label, gets security updates and has no known unfixed problems.",
                "Dit product voldoet aan de beveiligingseisen van zijn label, krijgt beveiligingsupdates en heeft geen bekende openstaande problemen.",
                "Dieses Produkt erfüllt die Sicherheitsanforderungen seines Kennzeichens, erhält Sicherheitsupdates und hat keine bekannten offenen Probleme.",
                "Ce produit respecte les exigences de sécurité de son label, reçoit des mises à jour de sécurité et n'a aucun problème connu non corrigé.",
            ),
            LabelStatus::Attention => lang.pick(
                "The label is still valid, but something needs action. Read the points below.",
                "Het label is nog geldig, maar er moet iets gebeuren. Lees de punten hieronder.",
                "Das Kennzeichen ist noch gültig, aber etwas muss getan werden. Lesen Sie die Punkte unten.",
                "Le label est toujours valide, mais une action est nécessaire. Lisez les points ci-dessous.",
            ),
            LabelStatus::Suspended => lang.pick(
                "The label is temporarily not valid. Until the problem is solved, do not rely on it.",
                "Het label is tijdelijk niet geldig. Vertrouw er niet op totdat het probleem is opgelost.",
                "Das Kennzeichen ist vorübergehend nicht gültig. Verlassen Sie sich nicht darauf, bis das Problem gelöst ist.",
                "Le label n'est temporairement pas valide. Ne vous y fiez pas tant que le problème n'est pas résolu.",
            ),
            LabelStatus::SupportEnded => lang.pick(
                "The maker no longer fixes security problems in this product. New problems will stay open.",
                "De fabrikant lost geen beveiligingsproblemen in dit product meer op. Nieuwe problemen blijven open.",
                "Der Hersteller behebt keine Sicherheitsprobleme in diesem Produkt mehr. Neue Probleme bleiben offen.",
                "Le fabricant ne corrige plus les problèmes de sécurité de ce produit. Les nouveaux problèmes resteront ouverts.",
            ),
            LabelStatus::Expired => lang.pick(
                "The label is no longer valid: its period has ended.",
                "Het label is niet meer geldig: de looptijd is voorbij.",
                "Das Kennzeichen ist nicht mehr gültig: seine Laufzeit ist abgelaufen.",
                "Le label n'est plus valide : sa durée est écoulée.",
            ),
            LabelStatus::Withdrawn => lang.pick(
                "The label has been withdrawn and is no longer valid.",
                "Het label is ingetrokken en niet meer geldig.",
                "Das Kennzeichen wurde entzogen und ist nicht mehr gültig.",
                "Le label a été retiré et n'est plus valide.",
            ),
            LabelStatus::Unknown => lang.pick(
                "The registry cannot confirm this label's record, so nobody can say whether it is valid. Do not rely on it until the problem is solved.",
                "Het register kan de gegevens van dit label niet bevestigen, dus niemand kan zeggen of het geldig is. Vertrouw er niet op totdat het probleem is opgelost.",
                "Das Register kann die Angaben zu diesem Kennzeichen nicht bestätigen, daher kann niemand sagen, ob es gültig ist. Verlassen Sie sich nicht darauf, bis das Problem gelöst ist.",
                "Le registre ne peut pas confirmer les données de ce label : personne ne peut dire s'il est valide. Ne vous y fiez pas tant que le problème n'est pas résolu.",
            ),
        }
    }
}

impl StatusReport {
    /// One sentence saying what this status means, as [`LabelStatus::explanation`] — except that
    /// a valid label whose software is not monitored never claims "no known unfixed problems".
    pub fn explanation(&self, lang: Lang) -> &'static str {
        let not_monitored = self
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::NotMonitored { .. }));
        if self.status == LabelStatus::Valid && not_monitored {
            return lang.pick(
                "This product meets the security requirements of its label and gets security updates. Whether it has known security problems cannot be checked: read the point below.",
                "Dit product voldoet aan de beveiligingseisen van zijn label en krijgt beveiligingsupdates. Of het bekende beveiligingsproblemen heeft, kan niet worden gecontroleerd: lees het punt hieronder.",
                "Dieses Produkt erfüllt die Sicherheitsanforderungen seines Kennzeichens und erhält Sicherheitsupdates. Ob es bekannte Sicherheitsprobleme hat, lässt sich nicht prüfen: Lesen Sie den Punkt unten.",
                "Ce produit respecte les exigences de sécurité de son label et reçoit des mises à jour de sécurité. On ne peut pas vérifier s'il a des problèmes de sécurité connus : lisez le point ci-dessous.",
            );
        }
        self.status.explanation(lang)
    }
}

fn severity_word(s: Severity, lang: Lang) -> &'static str {
    match s {
        Severity::Critical => lang.pick("critical", "kritiek", "kritisches", "critique"),
        Severity::High => lang.pick("serious", "ernstig", "schwerwiegendes", "grave"),
        Severity::Medium => lang.pick("moderate", "matig", "mittleres", "modéré"),
        Severity::Low | Severity::None => lang.pick("minor", "klein", "geringes", "mineur"),
        // Not shown as a word: `problem` and `unknown_note` say it in a sentence.
        Severity::Unknown => lang.pick("unknown", "onbekend", "unbekanntes", "inconnu"),
    }
}

/// A security problem's description: "A serious security problem (X)"; for an unknown severity
/// "A security problem (X)", and [`unknown_note`] follows the sentence.
fn problem(severity: Severity, vulnerability: &str, lang: Lang) -> String {
    if severity == Severity::Unknown {
        return lang.pick(
            format!("A security problem ({vulnerability})"),
            format!("Een beveiligingsprobleem ({vulnerability})"),
            format!("Ein Sicherheitsproblem ({vulnerability})"),
            format!("Un problème de sécurité ({vulnerability})"),
        );
    }
    let sev = severity_word(severity, lang);
    lang.pick(
        format!("A {sev} security problem ({vulnerability})"),
        format!("Een {sev} beveiligingsprobleem ({vulnerability})"),
        format!("Ein {sev} Sicherheitsproblem ({vulnerability})"),
        format!("Un problème de sécurité {sev} ({vulnerability})"),
    )
}

/// Appended when the covered versions that carry a problem are known: the reason names them.
fn in_versions(versions: &[String], text: String, lang: Lang) -> String {
    if versions.is_empty() {
        return text;
    }
    let list = versions.join(", ");
    let note = lang.pick(
        format!("It is in version {list}."),
        format!("Het zit in versie {list}."),
        format!("Es steckt in Version {list}."),
        format!("Il se trouve dans la version {list}."),
    );
    format!("{text} {note}")
}

/// Appended when the severity is not known yet: never leave the reader thinking it is minor.
fn unknown_note(severity: Severity, text: String, lang: Lang) -> String {
    if severity != Severity::Unknown {
        return text;
    }
    let note = lang.pick(
        "How serious it is, is not known yet; until then it is not treated as minor.",
        "Hoe ernstig het is, is nog niet bekend; tot dan wordt het niet als klein behandeld.",
        "Wie schwer es ist, ist noch nicht bekannt; bis dahin gilt es nicht als gering.",
        "Sa gravité n'est pas encore connue ; d'ici là, il n'est pas traité comme mineur.",
    );
    format!("{text} {note}")
}

fn kind_word(k: DependencyKind, lang: Lang) -> &'static str {
    match k {
        DependencyKind::Cloud => lang.pick(
            "online service",
            "online dienst",
            "Online-Dienst",
            "service en ligne",
        ),
        DependencyKind::Connectivity => lang.pick(
            "network connection service",
            "verbindingsdienst",
            "Verbindungsdienst",
            "service de connexion",
        ),
        DependencyKind::MobileApp => lang.pick("app", "app", "App", "application"),
        DependencyKind::Antivirus => lang.pick(
            "security service",
            "beveiligingsdienst",
            "Sicherheitsdienst",
            "service de sécurité",
        ),
        DependencyKind::Other => lang.pick("service", "dienst", "Dienst", "service"),
    }
}

fn state_word(s: State, lang: Lang) -> &'static str {
    match s {
        State::Active => lang.pick("valid", "geldig", "gültig", "valide"),
        State::Suspended => lang.pick("suspended", "geschorst", "ausgesetzt", "suspendu"),
        State::Withdrawn => lang.pick("withdrawn", "ingetrokken", "entzogen", "retiré"),
        State::Expired => lang.pick("expired", "verlopen", "abgelaufen", "expiré"),
        State::Superseded => lang.pick("replaced", "vervangen", "ersetzt", "remplacé"),
        State::Legacy => lang.pick(
            "valid (old scheme)",
            "geldig (oude regeling)",
            "gültig (altes Programm)",
            "valide (ancien programme)",
        ),
    }
}

impl Reason {
    /// The free text an organisation wrote (the reason of a suspension or withdrawal), which is
    /// not translated: pages show it apart, marked with its language.
    pub fn free_text(&self) -> Option<&str> {
        self.free_text_lang().map(|(t, _)| t)
    }

    /// [`Reason::free_text`] with the language it was written in (for a `lang` attribute).
    pub fn free_text_lang(&self) -> Option<(&str, &TextLang)> {
        match self {
            Reason::Withdrawn {
                reason,
                reason_lang,
                ..
            }
            | Reason::Suspended {
                reason,
                reason_lang,
                ..
            } if !reason.trim().is_empty() => Some((reason, reason_lang)),
            _ => None,
        }
    }

    /// The catalogue's reason code of a suspension or withdrawal.
    pub fn reason_code(&self) -> Option<ReasonCode> {
        match self {
            Reason::Withdrawn { reason_code, .. } | Reason::Suspended { reason_code, .. } => {
                Some(*reason_code)
            }
            _ => None,
        }
    }

    /// "Reason: <the code's text>" in `lang`, for a suspension or withdrawal (`None` for others,
    /// and for `other`, whose meaning is in the free text).
    pub fn code_sentence(&self, lang: Lang) -> Option<String> {
        match self.reason_code()? {
            ReasonCode::Other => None,
            code => Some(format!("{} {}", reason_word(lang), code.text(lang))),
        }
    }

    /// The reason in plain words without the organisation's free text ([`Reason::free_text`]),
    /// which goes after "Reason:" ([`reason_word`]).
    pub fn headline(&self, lang: Lang) -> String {
        self.headline_dated(lang, &iso)
    }

    /// [`Reason::headline`] with dates written by `day` (pages write them out in words).
    pub fn headline_dated(&self, lang: Lang, day: &dyn Fn(NaiveDate) -> String) -> String {
        match self {
            Reason::Withdrawn { on, .. } => {
                let on = day(*on);
                let base = lang.pick(
                    format!("The label was withdrawn on {on}."),
                    format!("Het label is op {on} ingetrokken."),
                    format!("Das Kennzeichen wurde am {on} entzogen."),
                    format!("Le label a été retiré le {on}."),
                );
                self.with_code(base, lang)
            }
            Reason::Suspended { since, until, .. } => {
                let since = day(*since);
                let base = lang.pick(
                    format!("The label has been suspended since {since}."),
                    format!("Het label is geschorst sinds {since}."),
                    format!("Das Kennzeichen ist seit {since} ausgesetzt."),
                    format!("Le label est suspendu depuis le {since}."),
                );
                let base = self.with_code(base, lang);
                match until.map(day) {
                    Some(u) => format!(
                        "{base} {}",
                        lang.pick(
                            format!("The suspension lasts until {u} at the latest."),
                            format!("De schorsing duurt uiterlijk tot {u}."),
                            format!("Die Aussetzung dauert höchstens bis {u}."),
                            format!("La suspension dure au plus tard jusqu'au {u}."),
                        )
                    ),
                    None => base,
                }
            }
            other => other.text_dated(lang, day),
        }
    }
}

impl Reason {
    /// `base` followed by the reason code's sentence, without the free text.
    fn with_code(&self, base: String, lang: Lang) -> String {
        match self.code_sentence(lang) {
            Some(code) => format!("{base} {code}"),
            None => base,
        }
    }

    /// `base` followed by the reason code's sentence and the organisation's free text (quoted,
    /// untranslated), for plain-text uses (CLI, feeds); pages mark the free text's language.
    fn with_why(&self, base: String, lang: Lang) -> String {
        let mut out = base;
        match (self.code_sentence(lang), self.free_text()) {
            (Some(code), Some(free)) => out.push_str(&format!(" {code} \u{201c}{free}\u{201d}")),
            (Some(code), None) => out.push_str(&format!(" {code}")),
            (None, Some(free)) => {
                out.push_str(&format!(" {} \u{201c}{free}\u{201d}", reason_word(lang)));
            }
            (None, None) => {}
        }
        out
    }
}

fn iso(d: NaiveDate) -> String {
    d.to_string()
}

/// "Reason:" before an organisation's free text.
pub fn reason_word(lang: Lang) -> &'static str {
    lang.pick("Reason:", "Reden:", "Grund:", "Motif :")
}

impl Reason {
    /// The reason in plain words.
    pub fn text(&self, lang: Lang) -> String {
        self.text_dated(lang, &iso)
    }

    /// [`Reason::text`] with dates written by `day`.
    pub fn text_dated(&self, lang: Lang, day: &dyn Fn(NaiveDate) -> String) -> String {
        match self {
            Reason::Withdrawn { on, .. } => {
                let on = day(*on);
                let base = lang.pick(
                    format!("The label was withdrawn on {on}."),
                    format!("Het label is op {on} ingetrokken."),
                    format!("Das Kennzeichen wurde am {on} entzogen."),
                    format!("Le label a été retiré le {on}."),
                );
                self.with_why(base, lang)
            }
            Reason::Expired { on } => {
                let on = day(*on);
                lang.pick(
                format!("The label was valid until {on}."),
                format!("Het label was geldig tot {on}."),
                format!("Das Kennzeichen war bis {on} gültig."),
                format!("Le label était valide jusqu'au {on}."),
            )
            }
            Reason::Superseded { by } => lang.pick(
                format!("This label has been replaced by label {by}."),
                format!("Dit label is vervangen door label {by}."),
                format!("Dieses Kennzeichen wurde durch Kennzeichen {by} ersetzt."),
                format!("Ce label a été remplacé par le label {by}."),
            ),
            Reason::Suspended { since, until, .. } => {
                let since = day(*since);
                let base = lang.pick(
                    format!("The label has been suspended since {since}."),
                    format!("Het label is geschorst sinds {since}."),
                    format!("Das Kennzeichen ist seit {since} ausgesetzt."),
                    format!("Le label est suspendu depuis le {since}."),
                );
                let base = self.with_why(base, lang);
                match until.map(day) {
                    Some(u) => format!(
                        "{base} {}",
                        lang.pick(
                            format!("The suspension lasts until {u} at the latest."),
                            format!("De schorsing duurt uiterlijk tot {u}."),
                            format!("Die Aussetzung dauert höchstens bis {u}."),
                            format!("La suspension dure au plus tard jusqu'au {u}."),
                        )
                    ),
                    None => base,
                }
            }
            Reason::VulnerabilityOverdue {
                vulnerability,
                severity,
                deadline,
                versions,
                ..
            } => {
                let deadline = day(*deadline);
                let p = problem(*severity, vulnerability, lang);
                let text = lang.pick(
                    format!("{p} should have been fixed by {deadline}, but the maker has not fixed it."),
                    format!("{p} had uiterlijk {deadline} opgelost moeten zijn, maar de fabrikant heeft het niet opgelost."),
                    format!("{p} hätte bis {deadline} behoben sein müssen, aber der Hersteller hat es nicht behoben."),
                    format!("{p} aurait dû être corrigé avant le {deadline}, mais le fabricant ne l'a pas corrigé."),
                );
                in_versions(versions, unknown_note(*severity, text, lang), lang)
            }
            Reason::SupportEnded { on } => {
                let on = day(*on);
                lang.pick(
                format!("Security updates ended on {on}. The maker no longer fixes security problems."),
                format!("Beveiligingsupdates zijn gestopt op {on}. De fabrikant lost geen beveiligingsproblemen meer op."),
                format!("Sicherheitsupdates endeten am {on}. Der Hersteller behebt keine Sicherheitsprobleme mehr."),
                format!("Les mises à jour de sécurité ont pris fin le {on}. Le fabricant ne corrige plus les problèmes de sécurité."),
            )
            }
            Reason::SupportEnding { on, days_left } => {
                let on = day(*on);
                lang.pick(
                format!("Security updates stop on {on}, in {days_left} days. After that, new security problems will not be fixed."),
                format!("Beveiligingsupdates stoppen op {on}, over {days_left} dagen. Daarna worden nieuwe beveiligingsproblemen niet meer opgelost."),
                format!("Sicherheitsupdates enden am {on}, in {days_left} Tagen. Danach werden neue Sicherheitsprobleme nicht mehr behoben."),
                format!("Les mises à jour de sécurité s'arrêtent le {on}, dans {days_left} jours. Ensuite, les nouveaux problèmes de sécurité ne seront plus corrigés."),
            )
            }
            Reason::NoSupportPeriod => lang.pick(
                "The maker has not said how long this product will get security updates.".to_owned(),
                "De fabrikant heeft niet gezegd hoe lang dit product beveiligingsupdates krijgt.".to_owned(),
                "Der Hersteller hat nicht angegeben, wie lange dieses Produkt Sicherheitsupdates erhält.".to_owned(),
                "Le fabricant n'a pas indiqué pendant combien de temps ce produit recevra des mises à jour de sécurité.".to_owned(),
            ),
            Reason::DependencyUncertified { service, provider, kind } => {
                let k = kind_word(*kind, lang);
                lang.pick(
                    format!("The product needs the {k} \"{service}\" from {provider}, which has no security label."),
                    format!("Het product gebruikt de {k} \"{service}\" van {provider}, die geen beveiligingslabel heeft."),
                    format!("Das Produkt ist angewiesen auf: {k} „{service}“ von {provider}. Dieser Dienst hat kein Sicherheitssiegel."),
                    format!("Le produit dépend de : {k} « {service} » de {provider}. Ce service n'a pas de label de sécurité."),
                )
            }
            Reason::DependencyNotValid { service, provider, kind, state } => {
                let k = kind_word(*kind, lang);
                let s = state_word(*state, lang);
                lang.pick(
                    format!("The product needs the {k} \"{service}\" from {provider}, whose security label is {s}."),
                    format!("Het product gebruikt de {k} \"{service}\" van {provider}, waarvan het beveiligingslabel {s} is."),
                    format!("Das Produkt ist angewiesen auf: {k} „{service}“ von {provider}. Das Sicherheitssiegel dieses Dienstes ist {s}."),
                    format!("Le produit dépend de : {k} « {service} » de {provider}. Le label de sécurité de ce service est {s}."),
                )
            }
            Reason::VulnerabilityOpen { vulnerability, severity, deadline, exploited, versions } => {
                let p = problem(*severity, vulnerability, lang);
                let deadline = day(*deadline);
                let base = lang.pick(
                    format!("{p} is known. The maker must fix it by {deadline}."),
                    format!("{p} is bekend. De fabrikant moet het uiterlijk {deadline} oplossen."),
                    format!("{p} ist bekannt. Der Hersteller muss es bis {deadline} beheben."),
                    format!("{p} est connu. Le fabricant doit le corriger avant le {deadline}."),
                );
                let base = in_versions(versions, unknown_note(*severity, base, lang), lang);
                if *exploited {
                    format!(
                        "{base} {}",
                        lang.pick(
                            "Attackers are already using it.",
                            "Aanvallers maken er al misbruik van.",
                            "Angreifer nutzen es bereits aus.",
                            "Des attaquants l'exploitent déjà.",
                        )
                    )
                } else {
                    base
                }
            }
            Reason::NotMonitored { versions } => {
                let base = lang.pick(
                    "Not monitored: the maker has published no software list".to_owned(),
                    "Niet bewaakt: de fabrikant heeft geen softwarelijst gepubliceerd".to_owned(),
                    "Nicht überwacht: Der Hersteller hat keine Softwareliste veröffentlicht".to_owned(),
                    "Non surveillé : le fabricant n'a publié aucune liste des logiciels".to_owned(),
                );
                let which = if versions.is_empty() {
                    String::new()
                } else {
                    let list = versions.join(", ");
                    lang.pick(
                        format!(" for version {list}"),
                        format!(" voor versie {list}"),
                        format!(" für Version {list}"),
                        format!(" pour la version {list}"),
                    )
                };
                let after = lang.pick(
                    ". Nobody can check it for known security problems, so no news is not good news.",
                    ". Niemand kan die controleren op bekende beveiligingsproblemen, dus geen nieuws is geen goed nieuws.",
                    ". Niemand kann sie auf bekannte Sicherheitsprobleme prüfen; keine Meldung heißt also nicht, dass alles in Ordnung ist.",
                    ". Personne ne peut y rechercher les problèmes de sécurité connus : l'absence de nouvelles n'est donc pas une bonne nouvelle.",
                );
                format!("{base}{which}{after}")
            }
            Reason::InstallUpdate { version, vulnerabilities } => {
                let list = vulnerabilities.join(", ");
                lang.pick(
                    format!("Install update {version}: it fixes the known security problems of your version ({list})."),
                    format!("Installeer update {version}: die lost de bekende beveiligingsproblemen van uw versie op ({list})."),
                    format!("Installieren Sie das Update {version}: Es behebt die bekannten Sicherheitsprobleme Ihrer Version ({list})."),
                    format!("Installez la mise à jour {version} : elle corrige les problèmes de sécurité connus de votre version ({list})."),
                )
            }
            Reason::VersionNotCovered { version, pending } => {
                let base = lang.pick(
                    format!("This label does not cover version {version}."),
                    format!("Dit label geldt niet voor versie {version}."),
                    format!("Dieses Kennzeichen gilt nicht für Version {version}."),
                    format!("Ce label ne couvre pas la version {version}."),
                );
                if *pending {
                    format!(
                        "{base} {}",
                        lang.pick(
                            "The maker has asked for it; the organisation that tested the product has not decided yet.",
                            "De fabrikant heeft erom gevraagd; de organisatie die het product testte, heeft nog niet beslist.",
                            "Der Hersteller hat es beantragt; die Stelle, die das Produkt geprüft hat, hat noch nicht entschieden.",
                            "Le fabricant l'a demandé ; l'organisme qui a testé le produit n'a pas encore décidé.",
                        )
                    )
                } else {
                    base
                }
            }
            Reason::SchemeLegacy => lang.pick(
                "This label comes from a scheme that no longer issues new labels. It stays valid until it ends.".to_owned(),
                "Dit label komt uit een regeling die geen nieuwe labels meer uitgeeft. Het blijft geldig tot het afloopt.".to_owned(),
                "Dieses Kennzeichen stammt aus einem Programm, das keine neuen Kennzeichen mehr vergibt. Es bleibt bis zu seinem Ablauf gültig.".to_owned(),
                "Ce label provient d'un programme qui n'en délivre plus. Il reste valide jusqu'à son échéance.".to_owned(),
            ),
            Reason::IssuerAuthorisationRevoked { on } => lang.pick(
                format!("The organisation that tested this product lost its permission to test for this label on {on}, after it tested this product. The label stays valid."),
                format!("De organisatie die dit product testte, mag sinds {on} niet meer testen voor dit label. Dat was na de test van dit product; het label blijft geldig."),
                format!("Die Stelle, die dieses Produkt geprüft hat, darf seit dem {on} nicht mehr für dieses Kennzeichen prüfen. Das war nach der Prüfung dieses Produkts; das Kennzeichen bleibt gültig."),
                format!("L'organisme qui a testé ce produit n'a plus le droit de tester pour ce label depuis le {on}, après avoir testé ce produit. Le label reste valide."),
            ),
            Reason::IntegrityProblem { .. } => lang.pick(
                "What the registry has stored for this label does not match what was signed. The registry has been told; until it is solved, this label proves nothing.".to_owned(),
                "Wat het register over dit label heeft opgeslagen, klopt niet met wat is ondertekend. Het register weet het; tot het is opgelost, bewijst dit label niets.".to_owned(),
                "Was das Register zu diesem Kennzeichen gespeichert hat, stimmt nicht mit dem Unterschriebenen überein. Das Register weiß davon; bis es gelöst ist, beweist dieses Kennzeichen nichts.".to_owned(),
                "Ce que le registre a enregistré pour ce label ne correspond pas à ce qui a été signé. Le registre est prévenu ; tant que ce n'est pas résolu, ce label ne prouve rien.".to_owned(),
            ),
            Reason::CompromisedKey { .. } => lang.pick(
                "A change to this label was signed with a key that had been stolen or leaked. The issuer must confirm it again before the label can be trusted.".to_owned(),
                "Een wijziging van dit label is ondertekend met een sleutel die gestolen of uitgelekt was. De uitgever moet die opnieuw bevestigen voordat het label te vertrouwen is.".to_owned(),
                "Eine Änderung an diesem Kennzeichen wurde mit einem gestohlenen oder offengelegten Schlüssel unterschrieben. Der Aussteller muss sie erneut bestätigen, bevor man dem Kennzeichen trauen kann.".to_owned(),
                "Une modification de ce label a été signée avec une clé volée ou divulguée. L'émetteur doit la confirmer à nouveau avant qu'on puisse se fier au label.".to_owned(),
            ),
        }
    }
}
