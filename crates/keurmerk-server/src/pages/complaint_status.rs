//! `/complaints/{reference}`: the complainant follows their complaint with the reference they
//! were given once. It shows the state, the dates and the authority's answer; never the
//! complainant's address, their text or who at the authority handles it. Any text that is not a
//! known reference gets the same 404 page. The page is not cached and sends no referrer, so the
//! reference does not travel further than the complainant's own browser.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use keurmerk_domain::complaint::{ComplaintState, Outcome};
use keurmerk_domain::i18n::Lang;
use keurmerk_service::{ComplaintStatus, ServiceError};
use maud::{html, Markup};

use super::{date, error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::AppState;

/// The state in words a complainant understands.
pub(crate) fn state_words(l: Lang, s: ComplaintState) -> &'static str {
    match s {
        ComplaintState::Received => t(
            l,
            "Received: waiting for someone at the authority to take it on",
            "Ontvangen: wacht tot iemand bij de toezichthouder hem oppakt",
            "Eingegangen: wartet darauf, dass jemand bei der Behörde sie übernimmt",
            "Reçue : en attente d'une prise en charge par l'autorité",
        ),
        ComplaintState::Assigned => t(
            l,
            "Being looked into by the authority",
            "Wordt onderzocht door de toezichthouder",
            "Wird von der Behörde geprüft",
            "En cours d'examen par l'autorité",
        ),
        ComplaintState::Answered => t(
            l,
            "Answered: the answer is below",
            "Beantwoord: het antwoord staat hieronder",
            "Beantwortet: die Antwort steht unten",
            "Répondue : la réponse figure ci-dessous",
        ),
        ComplaintState::Closed => t(l, "Closed", "Afgesloten", "Abgeschlossen", "Clôturée"),
    }
}

/// How a closed complaint ended, in plain words.
pub(crate) fn outcome_words(l: Lang, o: Outcome) -> &'static str {
    match o {
        Outcome::Upheld => t(
            l,
            "Your complaint was found to be right. The authority acts on it.",
            "Uw klacht is terecht bevonden. De toezichthouder onderneemt actie.",
            "Ihre Beschwerde ist berechtigt. Die Behörde wird tätig.",
            "Votre plainte a été jugée fondée. L'autorité agit en conséquence.",
        ),
        Outcome::Rejected => t(
            l,
            "Your complaint was not found to be right. The answer says why.",
            "Uw klacht is niet terecht bevonden. In het antwoord staat waarom.",
            "Ihre Beschwerde ist nicht berechtigt. Die Antwort nennt den Grund.",
            "Votre plainte n'a pas été jugée fondée. La réponse explique pourquoi.",
        ),
        Outcome::Forwarded => t(
            l,
            "Your complaint was sent on to the body that can deal with it.",
            "Uw klacht is doorgestuurd naar de instantie die hem kan behandelen.",
            "Ihre Beschwerde wurde an die zuständige Stelle weitergeleitet.",
            "Votre plainte a été transmise à l'organisme compétent.",
        ),
        Outcome::Withdrawn => t(
            l,
            "The complaint was withdrawn.",
            "De klacht is ingetrokken.",
            "Die Beschwerde wurde zurückgenommen.",
            "La plainte a été retirée.",
        ),
    }
}

fn view(l: Lang, s: &ComplaintStatus) -> Markup {
    let day = |at: chrono::DateTime<chrono::Utc>| date(l, at.date_naive());
    html! {
        h1 { (t(l, "Your complaint", "Uw klacht", "Ihre Beschwerde", "Votre plainte")) " " (s.id) }
        p.status role="status" { strong { (state_words(l, s.state)) } }
        dl {
            dt { (t(l, "Label", "Label", "Kennzeichen", "Label")) }
            dd {
                a href=(href(&format!("/c/{}", s.certificate), l)) { (s.certificate) }
                @if !s.product_name.is_empty() { " – " span lang="en" { (s.product_name) } }
            }
            @if let Some(a) = &s.authority_name {
                dt { (t(l, "Handled by", "Behandeld door", "Bearbeitet von", "Traitée par")) }
                dd { (a) }
            }
            dt { (t(l, "Received on", "Ontvangen op", "Eingegangen am", "Reçue le")) }
            dd { (day(s.filed_at)) }
            @if let Some(at) = s.assigned_at {
                dt { (t(l, "Taken on", "In behandeling genomen op", "Übernommen am", "Prise en charge le")) }
                dd { (day(at)) }
            }
            @if let Some(at) = s.answered_at {
                dt { (t(l, "Answered on", "Beantwoord op", "Beantwortet am", "Répondue le")) }
                dd { (day(at)) }
            }
            @if let Some(at) = s.closed_at {
                dt { (t(l, "Closed on", "Afgesloten op", "Abgeschlossen am", "Clôturée le")) }
                dd { (day(at)) }
            }
        }
        @if let Some(o) = s.outcome {
            h2 { (t(l, "Outcome", "Uitkomst", "Ergebnis", "Résultat")) }
            p { (outcome_words(l, o)) }
        }
        @if let Some(a) = &s.answer {
            h2 { (t(l, "The authority's answer", "Het antwoord van de toezichthouder", "Die Antwort der Behörde", "La réponse de l'autorité")) }
            // Written by the authority in its own words and the language it stated (English
            // for answers given before the language was recorded).
            blockquote.answer lang=(s.answer_lang.unwrap_or_default().tag()) { @for line in a.lines() { (line) br; } }
        }
        @if s.state != ComplaintState::Closed {
            p { (t(l,
                "Come back to this page later: it shows each step as soon as it is taken.",
                "Kom later terug op deze pagina: elke stap verschijnt hier zodra hij is gezet.",
                "Schauen Sie später wieder vorbei: Jeder Schritt erscheint hier, sobald er erfolgt ist.",
                "Revenez plus tard : chaque étape apparaît ici dès qu'elle est franchie.")) }
        }
    }
}

pub(crate) async fn get_complaint_status_page(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    // The language links keep the path; the reference is the visitor's own.
    let here = format!("/complaints/{}", reference.trim());
    let mut resp = match state.registry.complaint_status(&reference).await {
        Ok(s) => {
            let title = t(
                l,
                "Your complaint",
                "Uw klacht",
                "Ihre Beschwerde",
                "Votre plainte",
            );
            page(StatusCode::OK, l, layout(l, title, &here, view(l, &s)))
        }
        // Unknown and malformed references alike: nothing about why.
        Err(ServiceError::NotFound { .. }) => error_page(l, StatusCode::NOT_FOUND, "/"),
        Err(e) => service_error_page(l, e, "/"),
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}
