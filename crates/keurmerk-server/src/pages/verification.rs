//! The "verification details" section of the certificate page: who signed the newest statement,
//! whether that signature checks out against the registry's key records right now, and where it
//! stands in the public transparency log.
//!
//! The verdict is the one the verification that proved the page's details reached, against the
//! trust list of the same content digest the registry reads with now: the fold's, or the one the
//! certificate page's read model stored with its row and serves only while that holds; without
//! one, the statement is verified on this rendering ([`Registry::latest_signature_of`]). The
//! page calls it "authentic" only when that check passed, and says plainly why when it did not.
//! Authentic is not valid: the tick is green only when the label's status is valid too, and
//! neutral otherwise, so a green tick never sits under a suspended or withdrawn status.
//!
//! [`Registry::latest_signature_of`]: keurmerk_service::Registry::latest_signature_of

use chrono::{DateTime, Utc};
use keurmerk_domain::i18n::Lang;
use keurmerk_service::{CertificateDetails, SignatureReport};
use keurmerk_transparency::LogState;
use keurmerk_trust::{Role, TrustError};
use maud::{html, Markup};

use super::t;
use crate::AppState;

/// Where the statement stands in the transparency log.
enum LogPosition {
    /// In the log at this index.
    Logged(u64),
    /// Queued; the sequencer of a running server will log it.
    Waiting,
    /// The log could not be read.
    Unknown,
}

async fn log_position(state: &AppState, event_seq: i64) -> LogPosition {
    let log = LogState::new(state.registry.store());
    match log.index_of_event(event_seq).await {
        Ok(i) => LogPosition::Logged(i),
        // Every statement is queued in the same transaction as its event, and the sequencer
        // moves it from the queue into the log atomically: not in the log means still queued.
        Err(keurmerk_transparency::Error::NotInLog(_)) => LogPosition::Waiting,
        Err(e) => {
            tracing::warn!(error = %e, event_seq, "log position lookup failed");
            LogPosition::Unknown
        }
    }
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn role_words(l: Lang, r: Role) -> &'static str {
    match r {
        Role::NationalAuthority => t(
            l,
            "national authority",
            "nationale toezichthouder",
            "nationale Behörde",
            "autorité nationale",
        ),
        Role::AssessmentBody => t(
            l,
            "independent testing body",
            "onafhankelijke keuringsinstantie",
            "unabhängige Prüfstelle",
            "organisme de contrôle indépendant",
        ),
        Role::Manufacturer => t(l, "manufacturer", "fabrikant", "Hersteller", "fabricant"),
        Role::Registry => t(
            l,
            "the register itself",
            "het register zelf",
            "das Register selbst",
            "le registre lui-même",
        ),
        _ => t(l, "other", "overig", "sonstige", "autre"),
    }
}

fn failure_words(l: Lang, e: &TrustError) -> &'static str {
    match e {
        TrustError::BadSignature(_) => t(
            l,
            "the content was changed after it was signed, or the signature is forged.",
            "de inhoud is na ondertekening gewijzigd, of de handtekening is vervalst.",
            "der Inhalt wurde nach der Unterschrift verändert oder die Signatur ist gefälscht.",
            "le contenu a été modifié après la signature, ou la signature est falsifiée.",
        ),
        TrustError::UnknownKey(_) => t(
            l,
            "it was signed with a key the register does not know.",
            "het is ondertekend met een sleutel die het register niet kent.",
            "es wurde mit einem Schlüssel unterschrieben, den das Register nicht kennt.",
            "il a été signé avec une clé que le registre ne connaît pas.",
        ),
        TrustError::RevokedKey { .. } => t(
            l,
            "the signing key was reported stolen or compromised before this was signed.",
            "de sleutel is als gestolen of gecompromitteerd gemeld vóór deze ondertekening.",
            "der Schlüssel wurde vor dieser Unterschrift als gestohlen oder kompromittiert gemeldet.",
            "la clé a été déclarée volée ou compromise avant cette signature.",
        ),
        TrustError::KeyNotValidAt { .. } => t(
            l,
            "the signing key was not valid at the time of signing.",
            "de sleutel was niet geldig op het moment van ondertekenen.",
            "der Schlüssel war zum Zeitpunkt der Unterschrift nicht gültig.",
            "la clé n'était pas valable au moment de la signature.",
        ),
        TrustError::OutOfScope { .. } => t(
            l,
            "the signer's organisation was not authorised to sign this (scheme, level or date).",
            "de organisatie van de ondertekenaar mocht dit niet ondertekenen (schema, niveau of datum).",
            "die Organisation des Unterzeichners durfte dies nicht unterschreiben (Schema, Stufe oder Datum).",
            "l'organisation du signataire n'était pas autorisée à signer ceci (schéma, niveau ou date).",
        ),
        TrustError::NotAuthorised { .. } => t(
            l,
            "the signing key is not allowed to sign this kind of statement.",
            "de sleutel mag dit soort verklaring niet ondertekenen.",
            "der Schlüssel darf diese Art von Erklärung nicht unterschreiben.",
            "la clé n'est pas autorisée à signer ce type de déclaration.",
        ),
        TrustError::FromTheFuture { .. } => t(
            l,
            "it claims to have been signed in the future.",
            "het beweert in de toekomst ondertekend te zijn.",
            "es gibt vor, in der Zukunft unterschrieben worden zu sein.",
            "il prétend avoir été signé dans le futur.",
        ),
        _ => t(
            l,
            "the signed record is damaged.",
            "het ondertekende record is beschadigd.",
            "der unterschriebene Datensatz ist beschädigt.",
            "l'enregistrement signé est endommagé.",
        ),
    }
}

/// The section, with the signature verified now.
///
/// `status_valid`: whether the label's status is valid now (valid or attention); only then is the
/// authenticity tick green.
pub(super) async fn verification_section(
    state: &AppState,
    certificate: &CertificateDetails,
    l: Lang,
    status_valid: bool,
) -> Markup {
    let id = &certificate.certificate.id;
    // `Err`: the check itself could not run; `Ok(None)`: no statement is stored.
    let report = state.registry.latest_signature_of(certificate).await;
    if let Err(e) = &report {
        tracing::warn!(error = %e, certificate = %id, "signature check failed");
    }
    let log = match &report {
        // Read beside the stored page when it was (log entries never change once appended).
        Ok(Some(r)) => Some(match certificate.log_index_of(r.event_seq) {
            Some(i) => LogPosition::Logged(i),
            None => log_position(state, r.event_seq).await,
        }),
        _ => None,
    };
    html! {
        section.verify aria-labelledby="verify" {
            h2 id="verify" { (t(l, "Checking this label", "Dit label controleren", "Dieses Kennzeichen prüfen", "Vérifier ce label")) }
            p {
                (t(l, "Every change to this label is a statement signed by whoever made it, and is recorded in a public, tamper-evident log.",
                   "Elke wijziging van dit label is een verklaring, ondertekend door wie haar deed, en wordt vastgelegd in een openbaar logboek dat niet ongemerkt te veranderen is.",
                   "Jede Änderung dieses Kennzeichens ist eine Erklärung, unterschrieben von dem, der sie vorgenommen hat, und wird in einem öffentlichen, fälschungssicheren Protokoll festgehalten.",
                   "Chaque changement de ce label est une déclaration signée par son auteur, inscrite dans un journal public infalsifiable."))
            }
            h3 { (t(l, "Latest signed statement", "Laatste ondertekende verklaring", "Letzte unterschriebene Erklärung", "Dernière déclaration signée")) }
            @match (&report, &log) {
                (Ok(Some(r)), Some(pos)) => (details(l, r, pos, status_valid)),
                (Ok(None), _) => p.sig-unknown {
                    strong { (t(l, "No signed statement.", "Geen ondertekende verklaring.", "Keine unterschriebene Erklärung.", "Aucune déclaration signée.")) }
                    " "
                    (t(l, "The register holds no signed statement for this label, so its signature cannot be confirmed.",
                       "Het register heeft geen ondertekende verklaring voor dit label, dus de handtekening kan niet worden bevestigd.",
                       "Das Register hat keine unterschriebene Erklärung zu diesem Kennzeichen; die Signatur kann nicht bestätigt werden.",
                       "Le registre ne détient aucune déclaration signée pour ce label ; sa signature ne peut pas être confirmée."))
                },
                _ => p.sig-unknown {
                    strong { (t(l, "Not checked.", "Niet gecontroleerd.", "Nicht geprüft.", "Non vérifiée.")) }
                    " "
                    (t(l, "The signature of this label could not be checked right now. Do not treat it as confirmed.",
                       "De handtekening van dit label kon nu niet worden gecontroleerd. Beschouw het niet als bevestigd.",
                       "Die Signatur dieses Kennzeichens konnte gerade nicht geprüft werden. Betrachten Sie es nicht als bestätigt.",
                       "La signature de ce label n'a pas pu être vérifiée pour l'instant. Ne la considérez pas comme confirmée."))
                },
            }
            h3 { (t(l, "Check it yourself", "Zelf controleren", "Selbst prüfen", "Vérifier vous-même")) }
            ul {
                li {
                    a href=(format!("/api/v1/certificates/{id}/receipt")) { (t(l, "Log receipt (proof that the statement is in the public log)", "Logbewijs (bewijs dat de verklaring in het openbare logboek staat)", "Protokollnachweis (Beweis, dass die Erklärung im öffentlichen Protokoll steht)", "Reçu du journal (preuve que la déclaration figure dans le journal public)")) }
                }
                li {
                    a href=(format!("/api/v1/certificates/{id}/status?lang={}", l.tag())) { (t(l, "Current status for machines (JSON)", "Actuele status voor computers (JSON)", "Aktueller Status für Maschinen (JSON)", "Statut actuel pour les machines (JSON)")) }
                }
                li {
                    a href=(format!("/api/v1/certificates/{id}/status?signed=1")) { (t(l, "Signed current status", "Ondertekende actuele status", "Unterschriebener aktueller Status", "Statut actuel signé")) }
                }
                li {
                    a href="/api/v1/trust-list" { (t(l, "Trust list (the keys the register accepts)", "Vertrouwenslijst (de sleutels die het register accepteert)", "Vertrauensliste (die Schlüssel, die das Register anerkennt)", "Liste de confiance (les clés acceptées par le registre)")) }
                }
            }
            p {
                (t(l, "To check offline, run this with the full link from the QR code (including the part after #):",
                   "Offline controleren: voer dit uit met de volledige link uit de QR-code (inclusief het deel na #):",
                   "Offline prüfen: führen Sie dies mit dem vollständigen Link aus dem QR-Code aus (einschließlich des Teils nach #):",
                   "Pour vérifier hors ligne, lancez ceci avec le lien complet du code QR (y compris la partie après #) :"))
                " " code { "keurmerk verify '" (base_url(state)) "/c/" (id) "#…'" }
            }
        }
    }
}

fn base_url(state: &AppState) -> String {
    state
        .registry
        .signer()
        .map(|s| s.base_url().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

fn details(l: Lang, r: &SignatureReport, pos: &LogPosition, status_valid: bool) -> Markup {
    // Names and times come from the verified statement when it verifies; otherwise only from
    // what the envelope claims, and the page says so.
    let (org, role, key_id, signed_at) = match &r.result {
        Ok(v) => (
            Some(v.organisation().to_owned()),
            Some(v.role()),
            Some(v.key_id().to_owned()),
            Some(v.signed_at()),
        ),
        Err(_) => (
            r.key.as_ref().map(|k| k.org_name.clone()),
            None,
            r.claimed.as_ref().map(|c| c.key_id.clone()),
            r.claimed.as_ref().and_then(|c| c.signed_at),
        ),
    };
    let revoked = r.key.as_ref().and_then(|k| k.revoked_at);
    html! {
        dl {
            dt { (t(l, "Signature", "Handtekening", "Signatur", "Signature")) }
            dd {
                @match &r.result {
                    Ok(_) if !r.integrity.is_empty() => {
                        strong.sig-invalid { "✘ " (t(l, "Integrity problem", "Integriteitsprobleem", "Integritätsproblem", "Problème d'intégrité")) }
                        ": " (t(l, "what the register shows for this label does not match what was signed.", "wat het register voor dit label toont, klopt niet met wat is ondertekend.", "was das Register zu diesem Kennzeichen zeigt, stimmt nicht mit dem Unterschriebenen überein.", "ce que le registre affiche pour ce label ne correspond pas à ce qui a été signé.")) " "
                        (t(l, "Do not rely on this label until the register has resolved this.", "Vertrouw niet op dit label totdat het register dit heeft opgelost.", "Verlassen Sie sich nicht auf dieses Kennzeichen, bis das Register dies geklärt hat.", "Ne vous fiez pas à ce label tant que le registre n'a pas résolu ce problème."))
                    }
                    Ok(_) => {
                        // Under a status that is not in force the mark is muted: no tick, no green.
                        strong class=(if status_valid { "sig-valid" } else { "sig-neutral" }) {
                            @if status_valid { "✔ " }
                            (t(l, "Signature authentic", "Handtekening echt", "Signatur echt", "Signature authentique"))
                        }
                        " – " (t(l, "checked against the keys the register publishes now.", "gecontroleerd met de sleutels die het register nu publiceert.", "mit den Schlüsseln geprüft, die das Register jetzt veröffentlicht.", "vérifiée avec les clés que le registre publie actuellement."))
                        " " (t(l, "It shows who made the latest change and that nothing was altered since; it does not say the label is valid – the status at the top of this page does.",
                               "Dit toont wie de laatste wijziging deed en dat er sindsdien niets is veranderd; het zegt niet dat het label geldig is – dat zegt de status bovenaan deze pagina.",
                               "Das zeigt, wer die letzte Änderung vorgenommen hat und dass seitdem nichts verändert wurde; es sagt nicht, dass das Kennzeichen gültig ist – das sagt der Status oben auf dieser Seite.",
                               "Cela montre qui a fait la dernière modification et que rien n'a été changé depuis ; cela ne dit pas que le label est valide – c'est le statut en haut de cette page qui le dit."))
                    }
                    Err(e) => {
                        strong.sig-invalid { "✘ " (t(l, "Signature NOT authentic", "Handtekening NIET echt", "Signatur NICHT echt", "Signature NON authentique")) }
                        ": " (failure_words(l, e)) " "
                        (t(l, "Do not rely on this label until the register has resolved this.", "Vertrouw niet op dit label totdat het register dit heeft opgelost.", "Verlassen Sie sich nicht auf dieses Kennzeichen, bis das Register dies geklärt hat.", "Ne vous fiez pas à ce label tant que le registre n'a pas résolu ce problème."))
                    }
                }
            }
            dt {
                @if r.is_valid() { (t(l, "Signed by", "Ondertekend door", "Unterschrieben von", "Signé par")) }
                @else { (t(l, "Claims to be signed by", "Zou ondertekend zijn door", "Angeblich unterschrieben von", "Prétend être signé par")) }
            }
            dd {
                strong { (org.as_deref().unwrap_or("?")) }
                @if let Some(role) = role { " (" (role_words(l, role)) ")" }
            }
            dt { (t(l, "Signing key", "Sleutel", "Schlüssel", "Clé de signature")) }
            dd {
                code { (key_id.as_deref().unwrap_or("?")) }
                @if let Some(at) = revoked {
                    " – " strong { (t(l, "this key was reported compromised as of", "deze sleutel is gemeld als gecompromitteerd vanaf", "dieser Schlüssel wurde als kompromittiert gemeldet ab", "cette clé a été déclarée compromise à partir du")) " " (when(at)) }
                    @if r.is_valid() {
                        ". " (t(l, "This statement was signed before that, so it still counts.", "Deze verklaring is daarvóór ondertekend en telt dus nog.", "Diese Erklärung wurde davor unterschrieben und gilt daher weiter.", "Cette déclaration a été signée avant, elle reste donc valable."))
                    }
                }
            }
            dt { (t(l, "Signed on", "Ondertekend op", "Unterschrieben am", "Signé le")) }
            dd { (signed_at.map_or_else(|| "?".to_owned(), when)) }
            dt { (t(l, "In the public log", "In het openbare logboek", "Im öffentlichen Protokoll", "Dans le journal public")) }
            dd {
                @match pos {
                    LogPosition::Logged(i) => { (t(l, "Yes, entry number", "Ja, vermelding nummer", "Ja, Eintrag Nummer", "Oui, entrée numéro")) " " (i) }
                    LogPosition::Waiting => (t(l, "Waiting to be logged.", "Wacht op opname in het logboek.", "Wartet auf Aufnahme ins Protokoll.", "En attente d'inscription au journal.")),
                    LogPosition::Unknown => (t(l, "Could not be looked up right now.", "Kon nu niet worden opgezocht.", "Konnte gerade nicht nachgeschlagen werden.", "N'a pas pu être consulté pour l'instant.")),
                }
            }
        }
    }
}
