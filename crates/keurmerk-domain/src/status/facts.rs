//! The facts shown under a status, derived in one place so that no page, label or API answer
//! can contradict the status: which date to show (valid until / withdrawn on / expired on /
//! suspended since), whether open findings are shown, whether the positive marks ("tested
//! independently", "signature valid") are muted, and what the owner of the product should do.
//!
//! [`StatusFacts::of`] is a pure function of a [`StatusReport`]; the certificate page, the
//! label renderer and the API's status answer all use it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{LabelStatus, Reason, StatusReport};
use crate::i18n::Lang;
use crate::ids::CertificateId;
use crate::model::{text_enum, PasswordSetup, Setup, Severity, UnknownValue, UpdatePolicy};

/// The one date line that fits the status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Validity {
    /// The label stands (or stands without security updates) until this day.
    ValidUntil {
        /// Last day of validity.
        on: NaiveDate,
    },
    /// The label is suspended; `since` is unknown when a scheme rule (an overdue finding)
    /// suspends it rather than a recorded decision.
    SuspendedSince {
        /// First day of the suspension, when recorded.
        since: Option<NaiveDate>,
    },
    /// The label was withdrawn on this day; it will never be valid again.
    WithdrawnOn {
        /// Day of the withdrawal.
        on: NaiveDate,
    },
    /// The label's period ended on this day.
    ExpiredOn {
        /// Last day of validity.
        on: NaiveDate,
    },
    /// A newer label replaced this one.
    ReplacedBy {
        /// The replacement.
        by: CertificateId,
    },
    /// The registry cannot confirm the record, so it states no date at all.
    Unconfirmed,
}

impl Validity {
    /// The label of the date line, in plain words.
    pub fn label(&self, lang: Lang) -> &'static str {
        match self {
            Validity::ValidUntil { .. } => lang.pick(
                "Valid until",
                "Geldig tot",
                "Gültig bis",
                "Valable jusqu'au",
            ),
            Validity::SuspendedSince { .. } => lang.pick(
                "Suspended since",
                "Geschorst sinds",
                "Ausgesetzt seit",
                "Suspendu depuis le",
            ),
            Validity::WithdrawnOn { .. } => {
                lang.pick("Withdrawn on", "Ingetrokken op", "Entzogen am", "Retiré le")
            }
            Validity::ExpiredOn { .. } => lang.pick(
                "Expired after",
                "Verlopen na",
                "Abgelaufen nach dem",
                "Expiré après le",
            ),
            Validity::ReplacedBy { .. } => lang.pick(
                "Replaced by",
                "Vervangen door",
                "Ersetzt durch",
                "Remplacé par",
            ),
            Validity::Unconfirmed => lang.pick("Validity", "Geldigheid", "Gültigkeit", "Validité"),
        }
    }

    /// The date this line shows, if any.
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Validity::ValidUntil { on }
            | Validity::WithdrawnOn { on }
            | Validity::ExpiredOn { on } => Some(*on),
            Validity::SuspendedSince { since } => *since,
            Validity::ReplacedBy { .. } | Validity::Unconfirmed => None,
        }
    }

    /// A sentence that goes after the date (or stands alone when there is no date).
    pub fn note(&self, lang: Lang) -> Option<&'static str> {
        match self {
            Validity::ValidUntil { .. } | Validity::ReplacedBy { .. } => None,
            Validity::SuspendedSince { .. } => Some(lang.pick(
                "Not valid while suspended.",
                "Niet geldig zolang het geschorst is.",
                "Nicht gültig, solange es ausgesetzt ist.",
                "Pas valide pendant la suspension.",
            )),
            Validity::WithdrawnOn { .. } => Some(lang.pick(
                "It will not become valid again.",
                "Het wordt niet meer geldig.",
                "Es wird nicht wieder gültig.",
                "Il ne redeviendra pas valide.",
            )),
            Validity::ExpiredOn { .. } => Some(lang.pick(
                "The label is no longer valid.",
                "Het label is niet meer geldig.",
                "Das Kennzeichen ist nicht mehr gültig.",
                "Le label n'est plus valide.",
            )),
            Validity::Unconfirmed => Some(lang.pick(
                "The registry cannot confirm any date for this label.",
                "Het register kan geen enkele datum van dit label bevestigen.",
                "Das Register kann kein Datum dieses Kennzeichens bestätigen.",
                "Le registre ne peut confirmer aucune date de ce label.",
            )),
        }
    }
}

text_enum!(
    /// Advice for the owner (or buyer) of the product, per status and reason.
    Advice, "owner advice" {
        /// Do not buy it while the label is not valid.
        DoNotBuy = "do_not_buy",
        /// Stop using the product.
        StopUsing = "stop_using",
        /// Take it back to the shop or ask the maker about a return.
        Return = "return",
        /// Install the maker's latest update now.
        Update = "update",
        /// Disconnect it from the internet until there is a fix.
        Disconnect = "disconnect",
        /// Change the default password.
        ChangeDefaultPassword = "change_default_password",
        /// Turn on automatic updates.
        TurnOnAutomaticUpdates = "turn_on_automatic_updates",
        /// The product updates itself: leave it connected so fixes arrive (the maker said updates
        /// are automatic, so "turn them on" would be wrong).
        KeepUpdatesOn = "keep_updates_on",
        /// The product does not update itself: look for updates and install them (the maker said
        /// the owner starts updates).
        InstallUpdatesYourself = "install_updates_yourself",
        /// Plan to replace it: no more security fixes.
        Replace = "replace",
        /// Look at this page again later.
        CheckAgain = "check_again",
        /// Do not rely on what the label says.
        DoNotRely = "do_not_rely",
    }
);

impl Advice {
    /// The advice in plain words.
    pub fn text(self, lang: Lang) -> &'static str {
        match self {
            Advice::DoNotBuy => lang.pick(
                "If you have not bought it yet: choose a product with a valid label.",
                "Hebt u het nog niet gekocht? Kies dan een product met een geldig label.",
                "Wenn Sie es noch nicht gekauft haben: Wählen Sie ein Produkt mit gültigem Kennzeichen.",
                "Si vous ne l'avez pas encore acheté : choisissez un produit dont le label est valide.",
            ),
            Advice::StopUsing => lang.pick(
                "Stop using the product.",
                "Gebruik het product niet meer.",
                "Benutzen Sie das Produkt nicht mehr.",
                "Cessez d'utiliser le produit.",
            ),
            Advice::Return => lang.pick(
                "Ask the shop or the maker whether you can return it or get it repaired or replaced.",
                "Vraag de winkel of de fabrikant of u het kunt terugbrengen of laten herstellen of vervangen.",
                "Fragen Sie den Händler oder den Hersteller, ob Sie es zurückgeben oder reparieren oder ersetzen lassen können.",
                "Demandez au magasin ou au fabricant si vous pouvez le rapporter, le faire réparer ou le faire remplacer.",
            ),
            Advice::Update => lang.pick(
                "Install the maker's latest update now.",
                "Installeer nu de nieuwste update van de fabrikant.",
                "Installieren Sie jetzt das neueste Update des Herstellers.",
                "Installez dès maintenant la dernière mise à jour du fabricant.",
            ),
            Advice::Disconnect => lang.pick(
                "Until the problem is fixed, disconnect the product from the internet if you can.",
                "Koppel het product los van internet als dat kan, totdat het probleem is opgelost.",
                "Trennen Sie das Produkt vom Internet, wenn möglich, bis das Problem behoben ist.",
                "Tant que le problème n'est pas corrigé, déconnectez le produit d'internet si possible.",
            ),
            Advice::ChangeDefaultPassword => lang.pick(
                "Change the password the product came with to one of your own.",
                "Vervang het wachtwoord waarmee het product geleverd is door een eigen wachtwoord.",
                "Ersetzen Sie das mitgelieferte Passwort durch ein eigenes.",
                "Remplacez le mot de passe fourni avec le produit par le vôtre.",
            ),
            Advice::TurnOnAutomaticUpdates => lang.pick(
                "Turn on automatic updates in the product's settings or app.",
                "Zet automatische updates aan in de instellingen of de app van het product.",
                "Schalten Sie automatische Updates in den Einstellungen oder der App des Produkts ein.",
                "Activez les mises à jour automatiques dans les réglages ou l'application du produit.",
            ),
            Advice::KeepUpdatesOn => lang.pick(
                "This product installs security updates by itself: keep it connected so they arrive.",
                "Dit product installeert beveiligingsupdates zelf: houd het verbonden zodat ze aankomen.",
                "Dieses Produkt installiert Sicherheitsupdates selbst: Lassen Sie es verbunden, damit sie ankommen.",
                "Ce produit installe lui-même les mises à jour de sécurité : laissez-le connecté pour qu'elles arrivent.",
            ),
            Advice::InstallUpdatesYourself => lang.pick(
                "This product does not update itself: look for updates regularly and install them.",
                "Dit product werkt zichzelf niet bij: zoek regelmatig naar updates en installeer ze.",
                "Dieses Produkt aktualisiert sich nicht selbst: Suchen Sie regelmäßig nach Updates und installieren Sie sie.",
                "Ce produit ne se met pas à jour tout seul : cherchez régulièrement les mises à jour et installez-les.",
            ),
            Advice::Replace => lang.pick(
                "New security problems will not be fixed: plan to replace the product.",
                "Nieuwe beveiligingsproblemen worden niet meer opgelost: denk aan vervanging van het product.",
                "Neue Sicherheitsprobleme werden nicht mehr behoben: Planen Sie, das Produkt zu ersetzen.",
                "Les nouveaux problèmes de sécurité ne seront plus corrigés : prévoyez de remplacer le produit.",
            ),
            Advice::CheckAgain => lang.pick(
                "Look at this page again later to see whether the label is valid again.",
                "Kijk later nog eens op deze pagina of het label weer geldig is.",
                "Sehen Sie später wieder auf dieser Seite nach, ob das Kennzeichen wieder gültig ist.",
                "Revenez plus tard sur cette page pour voir si le label est de nouveau valide.",
            ),
            Advice::DoNotRely => lang.pick(
                "Do not rely on this label until the registry has solved the problem.",
                "Vertrouw niet op dit label totdat het register het probleem heeft opgelost.",
                "Verlassen Sie sich nicht auf dieses Kennzeichen, bis das Register das Problem gelöst hat.",
                "Ne vous fiez pas à ce label tant que le registre n'a pas résolu le problème.",
            ),
        }
    }
}

/// What the list of known security problems says under this status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Findings {
    /// Open findings: their number (the reasons name each one).
    Open {
        /// How many are open.
        count: usize,
    },
    /// None open, and the status is in force: "no known security problems" is true.
    NoneOpen,
    /// None recorded, but the label is not valid: the page must not read as reassurance.
    NoneRecordedButNotValid,
    /// None recorded, but a covered version has no software list (SBOM), so nobody can know:
    /// never "no known security problems".
    NotMonitored,
}

impl Findings {
    /// The sentence for the findings line.
    pub fn text(self, lang: Lang) -> String {
        match self {
            Findings::Open { count } => lang.pick(
                format!("{count} known security problem(s) not fixed yet. Each is listed under the status above."),
                format!("{count} bekend(e) beveiligingsproblem(en) nog niet opgelost. Ze staan bij de status hierboven."),
                format!("{count} bekannte(s) Sicherheitsproblem(e) noch nicht behoben. Sie stehen oben beim Status."),
                format!("{count} problème(s) de sécurité connu(s) pas encore corrigé(s). Ils sont indiqués sous le statut ci-dessus."),
            ),
            Findings::NoneOpen => lang
                .pick(
                    "No known security problems are waiting for a fix.",
                    "Er wachten geen bekende beveiligingsproblemen op een oplossing.",
                    "Es warten keine bekannten Sicherheitsprobleme auf eine Behebung.",
                    "Aucun problème de sécurité connu n'attend de correctif.",
                )
                .to_owned(),
            Findings::NoneRecordedButNotValid => lang
                .pick(
                    "None recorded here, but the label is not valid: read the reason under the status above.",
                    "Hier is niets vastgelegd, maar het label is niet geldig: lees de reden bij de status hierboven.",
                    "Hier ist nichts erfasst, aber das Kennzeichen ist nicht gültig: Lesen Sie den Grund oben beim Status.",
                    "Rien n'est enregistré ici, mais le label n'est pas valide : lisez le motif sous le statut ci-dessus.",
                )
                .to_owned(),
            Findings::NotMonitored => lang
                .pick(
                    "Unknown: the maker has published no software list, so nobody can check this product for known security problems.",
                    "Onbekend: de fabrikant heeft geen softwarelijst gepubliceerd, dus niemand kan dit product controleren op bekende beveiligingsproblemen.",
                    "Unbekannt: Der Hersteller hat keine Softwareliste veröffentlicht, daher kann niemand dieses Produkt auf bekannte Sicherheitsprobleme prüfen.",
                    "Inconnu : le fabricant n'a publié aucune liste de logiciels, donc personne ne peut vérifier si ce produit a des problèmes de sécurité connus.",
                )
                .to_owned(),
        }
    }
}

/// Everything shown under a status, consistent with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusFacts {
    /// The status these facts belong to.
    pub status: LabelStatus,
    /// The one date line.
    pub validity: Validity,
    /// The known-problems line.
    pub findings: Findings,
    /// Whether positive marks (tested independently, signature valid) are shown muted, not as
    /// green ticks: true under every status that is not in force.
    pub positive_marks_muted: bool,
    /// What the owner should do, most important first (never empty).
    pub advice: Vec<Advice>,
}

fn push(v: &mut Vec<Advice>, a: Advice) {
    if !v.contains(&a) {
        v.push(a);
    }
}

/// Fits the general advice to what the maker declared: no "change the default password" for a
/// product without one, and the update advice that matches how updates reach it. Advice the
/// maker has not spoken to stays general; the list never becomes empty (a valid product's
/// advice always keeps an update line).
fn tailor(advice: &mut Vec<Advice>, setup: &Setup) {
    if matches!(
        setup.password,
        Some(PasswordSetup::NoPassword | PasswordSetup::SetOnFirstUse)
    ) {
        advice.retain(|a| *a != Advice::ChangeDefaultPassword);
    }
    let instead = match setup.update_policy {
        UpdatePolicy::Automatic => Advice::KeepUpdatesOn,
        UpdatePolicy::UserInitiated => Advice::InstallUpdatesYourself,
    };
    for a in advice.iter_mut() {
        if *a == Advice::TurnOnAutomaticUpdates {
            *a = instead;
        }
    }
}

impl StatusFacts {
    /// Derives the facts from a status report, with the advice fitted to the maker's setup facts
    /// when the report carries them. Pure.
    pub fn of(r: &StatusReport) -> Self {
        let withdrawn_on = r.reasons.iter().find_map(|x| match x {
            Reason::Withdrawn { on, .. } => Some(*on),
            _ => None,
        });
        let expired_on = r.reasons.iter().find_map(|x| match x {
            Reason::Expired { on } => Some(*on),
            _ => None,
        });
        let replaced_by = r.reasons.iter().find_map(|x| match x {
            Reason::Superseded { by } => Some(by.clone()),
            _ => None,
        });
        let suspended_since = r.reasons.iter().find_map(|x| match x {
            Reason::Suspended { since, .. } => Some(*since),
            _ => None,
        });
        let validity = match r.status {
            LabelStatus::Valid | LabelStatus::Attention | LabelStatus::SupportEnded => {
                Validity::ValidUntil { on: r.valid_until }
            }
            LabelStatus::Suspended => Validity::SuspendedSince {
                since: suspended_since,
            },
            LabelStatus::Withdrawn => Validity::WithdrawnOn {
                on: withdrawn_on.unwrap_or(r.valid_until),
            },
            LabelStatus::Expired => match (replaced_by, expired_on) {
                (Some(by), _) => Validity::ReplacedBy { by },
                (None, on) => Validity::ExpiredOn {
                    on: on.unwrap_or(r.valid_until),
                },
            },
            LabelStatus::Unknown => Validity::Unconfirmed,
        };

        let open: usize = r.open_vulnerabilities.values().sum();
        let not_monitored = r
            .reasons
            .iter()
            .any(|x| matches!(x, Reason::NotMonitored { .. }));
        let findings = if open > 0 {
            Findings::Open { count: open }
        } else if not_monitored {
            Findings::NotMonitored
        } else if r.status.is_in_force() {
            Findings::NoneOpen
        } else {
            Findings::NoneRecordedButNotValid
        };

        let exploited_or_serious = r.reasons.iter().any(|x| match x {
            Reason::VulnerabilityOpen {
                severity,
                exploited,
                ..
            } => *exploited || matches!(severity, Severity::Critical),
            Reason::VulnerabilityOverdue { .. } => true,
            _ => false,
        });
        let has_findings = open > 0;
        let mut advice = Vec::new();
        match r.status {
            LabelStatus::Valid => {
                push(&mut advice, Advice::ChangeDefaultPassword);
                push(&mut advice, Advice::TurnOnAutomaticUpdates);
            }
            LabelStatus::Attention => {
                if has_findings {
                    push(&mut advice, Advice::Update);
                    if exploited_or_serious {
                        push(&mut advice, Advice::Disconnect);
                    }
                }
                for x in &r.reasons {
                    if matches!(x, Reason::SupportEnding { .. }) {
                        push(&mut advice, Advice::Replace);
                    }
                }
                push(&mut advice, Advice::TurnOnAutomaticUpdates);
                push(&mut advice, Advice::ChangeDefaultPassword);
            }
            LabelStatus::Suspended => {
                push(&mut advice, Advice::DoNotBuy);
                push(&mut advice, Advice::Update);
                if has_findings || exploited_or_serious {
                    push(&mut advice, Advice::Disconnect);
                }
                push(&mut advice, Advice::ChangeDefaultPassword);
                push(&mut advice, Advice::CheckAgain);
            }
            LabelStatus::Withdrawn => {
                push(&mut advice, Advice::DoNotBuy);
                push(&mut advice, Advice::StopUsing);
                push(&mut advice, Advice::Return);
            }
            LabelStatus::Expired => {
                push(&mut advice, Advice::DoNotBuy);
                if has_findings {
                    push(&mut advice, Advice::Update);
                }
                push(&mut advice, Advice::TurnOnAutomaticUpdates);
                push(&mut advice, Advice::ChangeDefaultPassword);
            }
            LabelStatus::SupportEnded => {
                push(&mut advice, Advice::DoNotBuy);
                push(&mut advice, Advice::Replace);
                if has_findings {
                    push(&mut advice, Advice::Disconnect);
                }
                push(&mut advice, Advice::ChangeDefaultPassword);
            }
            LabelStatus::Unknown => {
                push(&mut advice, Advice::DoNotRely);
                push(&mut advice, Advice::DoNotBuy);
                push(&mut advice, Advice::CheckAgain);
            }
        }
        if let Some(setup) = &r.setup {
            tailor(&mut advice, setup);
        }
        StatusFacts {
            status: r.status,
            validity,
            findings,
            positive_marks_muted: !r.status.is_in_force(),
            advice,
        }
    }

    /// A short reason for a "NOT VALID" band (on the label): the status in words.
    pub fn not_valid_reason(&self, lang: Lang) -> Option<&'static str> {
        if self.status.is_in_force() {
            return None;
        }
        Some(match self.status {
            LabelStatus::Suspended => lang.pick("suspended", "geschorst", "ausgesetzt", "suspendu"),
            LabelStatus::Withdrawn => lang.pick("withdrawn", "ingetrokken", "entzogen", "retiré"),
            LabelStatus::Expired => match self.validity {
                Validity::ReplacedBy { .. } => {
                    lang.pick("replaced", "vervangen", "ersetzt", "remplacé")
                }
                _ => lang.pick("expired", "verlopen", "abgelaufen", "expiré"),
            },
            LabelStatus::SupportEnded => lang.pick(
                "no more security updates",
                "geen beveiligingsupdates meer",
                "keine Sicherheitsupdates mehr",
                "plus de mises à jour de sécurité",
            ),
            _ => lang.pick(
                "cannot be confirmed",
                "niet te bevestigen",
                "nicht bestätigt",
                "non confirmé",
            ),
        })
    }

    /// "NOT VALID" in the language, for the label band.
    pub fn not_valid_word(lang: Lang) -> &'static str {
        lang.pick("NOT VALID", "NIET GELDIG", "NICHT GÜLTIG", "NON VALIDE")
    }
}

/// The heading of the owner advice.
pub fn advice_heading(lang: Lang) -> &'static str {
    lang.pick(
        "What to do if you own this product",
        "Wat u moet doen als u dit product hebt",
        "Was Sie tun sollten, wenn Sie dieses Produkt besitzen",
        "Que faire si vous possédez ce produit",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::lifecycle::State;
    use crate::model::IssuerKind;
    use crate::reason::{ReasonCode, TextLang};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn report(status: LabelStatus, reasons: Vec<Reason>, open: usize) -> StatusReport {
        let mut open_vulnerabilities = BTreeMap::new();
        if open > 0 {
            open_vulnerabilities.insert(Severity::Critical, open);
        }
        StatusReport {
            certificate: CertificateId::new("KM-2026-000001").unwrap(),
            status,
            reasons,
            evaluated_at: Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap(),
            state: State::Active,
            issuer_kind: IssuerKind::ThirdParty,
            valid_until: d(2029, 6, 30),
            support_until: Some(d(2030, 12, 31)),
            latest_security_update: None,
            open_vulnerabilities,
            dependencies: vec![],
            last_event_at: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap(),
            setup: None,
            covered_versions: Vec::new(),
            version: None,
        }
    }

    fn overdue() -> Reason {
        Reason::VulnerabilityOverdue {
            vulnerability: "CVE-2026-0001".into(),
            severity: Severity::Critical,
            deadline: d(2026, 11, 1),
            suspends: true,
            versions: vec!["1.0".into()],
        }
    }

    /// One row per status (and the reasons that change the facts): the date line, the findings
    /// line, whether marks are muted, and the first piece of advice.
    #[test]
    fn facts_per_status() {
        let withdrawn = Reason::Withdrawn {
            on: d(2026, 11, 20),
            reason: "recall".into(),
            reason_code: ReasonCode::Other,
            reason_lang: TextLang::en(),
        };
        let suspended = Reason::Suspended {
            since: d(2026, 11, 10),
            reason: "no password on the video stream".into(),
            until: None,
            reason_code: ReasonCode::Other,
            reason_lang: TextLang::en(),
        };
        let rows: Vec<(StatusReport, Validity, Findings, bool, Advice)> = vec![
            (
                report(LabelStatus::Valid, vec![], 0),
                Validity::ValidUntil { on: d(2029, 6, 30) },
                Findings::NoneOpen,
                false,
                Advice::ChangeDefaultPassword,
            ),
            (
                report(
                    LabelStatus::Attention,
                    vec![Reason::VulnerabilityOpen {
                        vulnerability: "CVE-2026-0002".into(),
                        severity: Severity::High,
                        deadline: d(2027, 1, 1),
                        exploited: true,
                        versions: vec![],
                    }],
                    1,
                ),
                Validity::ValidUntil { on: d(2029, 6, 30) },
                Findings::Open { count: 1 },
                false,
                Advice::Update,
            ),
            (
                report(LabelStatus::Suspended, vec![suspended], 0),
                Validity::SuspendedSince {
                    since: Some(d(2026, 11, 10)),
                },
                Findings::NoneRecordedButNotValid,
                true,
                Advice::DoNotBuy,
            ),
            (
                report(LabelStatus::Suspended, vec![overdue()], 1),
                Validity::SuspendedSince { since: None },
                Findings::Open { count: 1 },
                true,
                Advice::DoNotBuy,
            ),
            (
                report(LabelStatus::Withdrawn, vec![withdrawn], 0),
                Validity::WithdrawnOn {
                    on: d(2026, 11, 20),
                },
                Findings::NoneRecordedButNotValid,
                true,
                Advice::DoNotBuy,
            ),
            (
                report(
                    LabelStatus::Expired,
                    vec![Reason::Expired {
                        on: d(2026, 10, 31),
                    }],
                    0,
                ),
                Validity::ExpiredOn {
                    on: d(2026, 10, 31),
                },
                Findings::NoneRecordedButNotValid,
                true,
                Advice::DoNotBuy,
            ),
            (
                report(
                    LabelStatus::Expired,
                    vec![Reason::Superseded {
                        by: CertificateId::new("KM-2026-000009").unwrap(),
                    }],
                    0,
                ),
                Validity::ReplacedBy {
                    by: CertificateId::new("KM-2026-000009").unwrap(),
                },
                Findings::NoneRecordedButNotValid,
                true,
                Advice::DoNotBuy,
            ),
            (
                report(
                    LabelStatus::SupportEnded,
                    vec![Reason::SupportEnded { on: d(2026, 6, 30) }],
                    0,
                ),
                Validity::ValidUntil { on: d(2029, 6, 30) },
                Findings::NoneRecordedButNotValid,
                true,
                Advice::DoNotBuy,
            ),
            (
                report(LabelStatus::Unknown, vec![], 0),
                Validity::Unconfirmed,
                Findings::NoneRecordedButNotValid,
                true,
                Advice::DoNotRely,
            ),
        ];
        for (r, validity, findings, muted, first) in rows {
            let f = StatusFacts::of(&r);
            assert_eq!(f.validity, validity, "{:?}", r.status);
            assert_eq!(f.findings, findings, "{:?}", r.status);
            assert_eq!(f.positive_marks_muted, muted, "{:?}", r.status);
            assert_eq!(f.advice.first(), Some(&first), "{:?}", r.status);
            assert_eq!(f.not_valid_reason(Lang::En).is_some(), muted);
        }
    }

    #[test]
    fn withdrawn_never_says_valid_until_and_tells_to_stop_and_return() {
        let r = report(
            LabelStatus::Withdrawn,
            vec![Reason::Withdrawn {
                on: d(2026, 11, 20),
                reason: "recall".into(),
                reason_code: ReasonCode::Other,
                reason_lang: TextLang::en(),
            }],
            0,
        );
        let f = StatusFacts::of(&r);
        for lang in Lang::ALL {
            assert_ne!(
                f.validity.label(lang),
                Validity::ValidUntil { on: r.valid_until }.label(lang)
            );
        }
        assert!(f.advice.contains(&Advice::StopUsing));
        assert!(f.advice.contains(&Advice::Return));
        let expired = StatusFacts::of(&report(
            LabelStatus::Expired,
            vec![Reason::Expired {
                on: d(2026, 10, 31),
            }],
            0,
        ));
        for lang in Lang::ALL {
            assert_ne!(
                expired.validity.label(lang),
                Validity::ValidUntil { on: r.valid_until }.label(lang)
            );
        }
    }

    #[test]
    fn a_suspension_never_reads_as_no_known_problems() {
        for open in [0, 2] {
            let r = report(
                LabelStatus::Suspended,
                vec![Reason::Suspended {
                    since: d(2026, 11, 10),
                    reason: "x".into(),
                    until: None,
                    reason_code: ReasonCode::Other,
                    reason_lang: TextLang::en(),
                }],
                open,
            );
            let f = StatusFacts::of(&r);
            for lang in Lang::ALL {
                assert_ne!(f.findings.text(lang), Findings::NoneOpen.text(lang));
            }
        }
    }

    #[test]
    fn every_advice_and_line_has_four_distinct_languages() {
        for &a in Advice::ALL {
            let texts: std::collections::BTreeSet<_> =
                Lang::ALL.iter().map(|l| a.text(*l)).collect();
            assert_eq!(texts.len(), 4, "{a:?}");
            assert_eq!(a.as_str().parse::<Advice>().unwrap(), a);
        }
        let texts: std::collections::BTreeSet<_> =
            Lang::ALL.iter().map(|l| advice_heading(*l)).collect();
        assert_eq!(texts.len(), 4);
    }

    #[test]
    fn no_software_list_is_never_no_known_problems() {
        for status in [LabelStatus::Valid, LabelStatus::Attention] {
            let r = report(
                status,
                vec![Reason::NotMonitored {
                    versions: vec!["1.0".into()],
                }],
                0,
            );
            let f = StatusFacts::of(&r);
            assert_eq!(f.findings, Findings::NotMonitored);
            for lang in [Lang::En, Lang::Nl, Lang::De, Lang::Fr] {
                assert_ne!(f.findings.text(lang), Findings::NoneOpen.text(lang));
            }
        }
        // Open findings are still counted first.
        let r = report(
            LabelStatus::Attention,
            vec![Reason::NotMonitored { versions: vec![] }],
            2,
        );
        assert_eq!(StatusFacts::of(&r).findings, Findings::Open { count: 2 });
    }

    fn setup(update_policy: UpdatePolicy, password: Option<PasswordSetup>) -> Setup {
        Setup {
            update_policy,
            password,
            updates_url: None,
        }
    }

    /// The maker's setup facts change exactly the password and update lines, under every
    /// status, and never empty the advice.
    #[test]
    fn setup_facts_fit_the_advice_to_the_product() {
        let all = [
            LabelStatus::Valid,
            LabelStatus::Attention,
            LabelStatus::Suspended,
            LabelStatus::Withdrawn,
            LabelStatus::Expired,
            LabelStatus::SupportEnded,
            LabelStatus::Unknown,
        ];
        let passwords = [
            None,
            Some(PasswordSetup::NoPassword),
            Some(PasswordSetup::UniquePerDevice),
            Some(PasswordSetup::SetOnFirstUse),
        ];
        for status in all {
            let general = StatusFacts::of(&report(status, vec![], 1)).advice;
            for policy in [UpdatePolicy::Automatic, UpdatePolicy::UserInitiated] {
                for password in passwords {
                    let mut r = report(status, vec![], 1);
                    r.setup = Some(setup(policy, password));
                    let fitted = StatusFacts::of(&r).advice;
                    assert!(!fitted.is_empty(), "{status:?}");
                    assert!(!fitted.contains(&Advice::TurnOnAutomaticUpdates));
                    let no_default = matches!(
                        password,
                        Some(PasswordSetup::NoPassword | PasswordSetup::SetOnFirstUse)
                    );
                    assert_eq!(
                        fitted.contains(&Advice::ChangeDefaultPassword),
                        general.contains(&Advice::ChangeDefaultPassword) && !no_default,
                        "{status:?} {password:?}"
                    );
                    let update_line = match policy {
                        UpdatePolicy::Automatic => Advice::KeepUpdatesOn,
                        UpdatePolicy::UserInitiated => Advice::InstallUpdatesYourself,
                    };
                    assert_eq!(
                        fitted.contains(&update_line),
                        general.contains(&Advice::TurnOnAutomaticUpdates),
                        "{status:?} {policy:?}"
                    );
                    // Everything else is the general advice, in the same order.
                    let rest = |v: &[Advice]| -> Vec<Advice> {
                        v.iter()
                            .copied()
                            .filter(|a| {
                                !matches!(
                                    a,
                                    Advice::ChangeDefaultPassword
                                        | Advice::TurnOnAutomaticUpdates
                                        | Advice::KeepUpdatesOn
                                        | Advice::InstallUpdatesYourself
                                )
                            })
                            .collect()
                    };
                    assert_eq!(rest(&fitted), rest(&general));
                }
            }
        }
        // Without setup facts the advice stays general.
        let r = report(LabelStatus::Valid, vec![], 0);
        assert_eq!(
            StatusFacts::of(&r).advice,
            vec![
                Advice::ChangeDefaultPassword,
                Advice::TurnOnAutomaticUpdates
            ]
        );
    }
}
