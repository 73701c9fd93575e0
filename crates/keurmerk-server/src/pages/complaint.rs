//! The complaint form (Cybersecurity Act Art 63). CSRF protection by a signed form token:
//! HMAC-SHA256 over the certificate id and the time the form was served, checked on submit
//! (valid for two hours). Complaints are rate-limited per client address.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use hmac::{Hmac, Mac};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use maud::{html, Markup};
use serde::Deserialize;
use sha2::Sha256;

use super::{error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::ops::Runtime;
use crate::AppState;

const FORM_TTL_SECS: i64 = 2 * 3600;

fn mac(key: &[u8; 32], cert: &CertificateId, issued: i64) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    m.update(format!("complaint\n{cert}\n{issued}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A form token for a certificate, issued at `now` (unix seconds).
pub(crate) fn form_token(key: &[u8; 32], cert: &CertificateId, now: i64) -> String {
    format!("{now}.{}", mac(key, cert, now))
}

/// Whether a presented form token is genuine and fresh.
pub(crate) fn check_form_token(
    key: &[u8; 32],
    cert: &CertificateId,
    token: &str,
    now: i64,
) -> bool {
    let Some((ts, sig)) = token.split_once('.') else {
        return false;
    };
    let Ok(issued) = ts.parse::<i64>() else {
        return false;
    };
    if !(0..=FORM_TTL_SECS).contains(&(now - issued)) {
        return false;
    }
    let expected = mac(key, cert, issued);
    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sig.as_bytes()).into()
}

fn form(
    l: Lang,
    id: &CertificateId,
    token: &str,
    error: Option<&str>,
    contact: &str,
    body: &str,
) -> Markup {
    html! {
        h1 { (t(l, "Complaint about label", "Klacht over label", "Beschwerde über Kennzeichen", "Plainte concernant le label")) " " (id) }
        p { (t(l, "Tell the national authority what is wrong with this product or its label. The authority that supervises this label reads every complaint.",
               "Vertel de nationale toezichthouder wat er mis is met dit product of het label. De toezichthouder van dit label leest elke klacht.",
               "Teilen Sie der nationalen Behörde mit, was mit diesem Produkt oder seinem Kennzeichen nicht stimmt. Die zuständige Behörde liest jede Beschwerde.",
               "Dites à l'autorité nationale ce qui ne va pas avec ce produit ou son label. L'autorité qui contrôle ce label lit chaque plainte.")) }
        @if let Some(e) = error { p role="alert" { strong { (e) } } }
        form method="post" action=(format!("/c/{id}/complaint")) {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="lang" value=(l.tag());
            label for="body" { (t(l, "Your complaint (required)", "Uw klacht (verplicht)", "Ihre Beschwerde (Pflichtfeld)", "Votre plainte (obligatoire)")) }
            textarea id="body" name="body" rows="8" required maxlength="5000" { (body) }
            label for="contact" { (t(l, "Your e-mail address, if you want an answer (optional)", "Uw e-mailadres, als u antwoord wilt (niet verplicht)", "Ihre E-Mail-Adresse, wenn Sie eine Antwort möchten (freiwillig)", "Votre adresse e-mail, si vous souhaitez une réponse (facultatif)")) }
            input type="email" id="contact" name="contact" value=(contact) maxlength="300" autocomplete="email";
            button type="submit" { (t(l, "Send complaint", "Klacht versturen", "Beschwerde senden", "Envoyer la plainte")) }
        }
    }
}

pub(crate) async fn get_complaint_form(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Path(id): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/c/{id}/complaint");
    let Ok(id) = id.parse::<CertificateId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    if let Err(e) = state.registry.status(&id).await {
        return service_error_page(l, e, &here);
    }
    let token = form_token(&rt.form_key, &id, state.registry.now().timestamp());
    let title = t(l, "Complaint", "Klacht", "Beschwerde", "Plainte");
    page(
        StatusCode::OK,
        l,
        layout(l, title, &here, form(l, &id, &token, None, "", "")),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ComplaintForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    contact: String,
}

pub(crate) async fn post_complaint(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let client = crate::ops::client_key(&req);
    let parsed =
        <Form<ComplaintForm> as axum::extract::FromRequest<()>>::from_request(req, &()).await;
    let f = match parsed {
        Ok(Form(f)) => f,
        Err(_) => {
            return error_page(
                lang_of(&PageLang::default(), &headers),
                StatusCode::BAD_REQUEST,
                "/",
            )
        }
    };
    let l = lang_of(
        &PageLang {
            lang: f.lang.clone(),
        },
        &headers,
    );
    let here = format!("/c/{id}/complaint");
    let Ok(id) = id.parse::<CertificateId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let now = state.registry.now().timestamp();
    let title = t(l, "Complaint", "Klacht", "Beschwerde", "Plainte");
    if !check_form_token(&rt.form_key, &id, &f.csrf, now) {
        let token = form_token(&rt.form_key, &id, now);
        let msg = t(
            l,
            "The form has expired. Please send it again.",
            "Het formulier is verlopen. Verstuur het opnieuw.",
            "Das Formular ist abgelaufen. Bitte senden Sie es erneut.",
            "Le formulaire a expiré. Veuillez le renvoyer.",
        );
        return page(
            StatusCode::FORBIDDEN,
            l,
            layout(
                l,
                title,
                &here,
                form(l, &id, &token, Some(msg), &f.contact, &f.body),
            ),
        );
    }
    if !rt.complaints.check(&client) {
        let token = form_token(&rt.form_key, &id, now);
        let msg = t(
            l,
            "Too many complaints from your connection. Please try again later.",
            "Te veel klachten vanaf uw verbinding. Probeer het later opnieuw.",
            "Zu viele Beschwerden von Ihrer Verbindung. Bitte später erneut versuchen.",
            "Trop de plaintes depuis votre connexion. Réessayez plus tard.",
        );
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            l,
            layout(
                l,
                title,
                &here,
                form(l, &id, &token, Some(msg), &f.contact, &f.body),
            ),
        );
    }
    match state
        .registry
        .file_complaint(&id, Some(f.contact.clone()), &f.body)
        .await
    {
        Ok(c) => {
            let authority = match &c.authority {
                Some(a) => state.registry.organisation(a).await.ok().map(|o| o.name),
                None => None,
            };
            let body = html! {
                h1 { (t(l, "Thank you", "Dank u", "Vielen Dank", "Merci")) }
                p {
                    (t(l, "Your complaint was received with number", "Uw klacht is ontvangen met nummer", "Ihre Beschwerde ist eingegangen unter der Nummer", "Votre plainte a été reçue sous le numéro"))
                    " " strong { (c.id) } ". "
                    @if let Some(a) = authority {
                        (t(l, "It was sent to", "Ze is doorgestuurd naar", "Sie wurde weitergeleitet an", "Elle a été transmise à")) " " strong { (a) } "."
                    }
                }
                p { a href=(href(&format!("/c/{id}"), l)) { (t(l, "Back to the label", "Terug naar het label", "Zurück zum Kennzeichen", "Retour au label")) } }
            };
            page(StatusCode::CREATED, l, layout(l, title, &here, body))
        }
        Err(keurmerk_service::ServiceError::Invalid { problem, field }) => {
            let token = form_token(&rt.form_key, &id, now);
            let msg = format!("{field}: {problem}");
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                l,
                layout(
                    l,
                    title,
                    &here,
                    form(l, &id, &token, Some(&msg), &f.contact, &f.body),
                ),
            )
        }
        Err(e) => service_error_page(l, e, &here),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn form_tokens_are_bound_to_certificate_and_time() {
        let key = [7u8; 32];
        let a = CertificateId::new("KM-2026-000001").unwrap();
        let b = CertificateId::new("KM-2026-000002").unwrap();
        let tok = form_token(&key, &a, 1000);
        assert!(check_form_token(&key, &a, &tok, 1000 + 60));
        assert!(!check_form_token(&key, &b, &tok, 1000 + 60));
        assert!(!check_form_token(&key, &a, &tok, 1000 + FORM_TTL_SECS + 1));
        assert!(!check_form_token(&[8u8; 32], &a, &tok, 1000));
        assert!(!check_form_token(&key, &a, "garbage", 1000));
    }
}
