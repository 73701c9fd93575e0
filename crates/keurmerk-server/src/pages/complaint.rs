//! The complaint form (Cybersecurity Act Art 63), protected against cross-site posts three ways:
//!
//! - A signed form token: HMAC-SHA256 over the certificate id, the time the form was served and
//!   a random nonce (`<issued>.<nonce>.<mac>`), valid for two hours. The key is shared by every
//!   instance through the database ([`crate::ops::FormKey`]), so a form served by one instance is
//!   accepted by another and after a restart.
//! - Single use: the nonce is stored in the transaction that stores the complaint, so a token is
//!   accepted once; a replay gets a refusal page.
//! - `Sec-Fetch-Site` / `Origin`: a post another site makes the browser send is refused (403).
//!   "Same origin" is the origin of the registry's public base URL (`base_url`, which is what
//!   clients behind a proxy see) or of the request's own `Host`. Without either header (old
//!   browsers, scripts) the token alone decides.
//!
//! Complaints are also rate-limited per client address.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use hmac::{Hmac, Mac};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use keurmerk_service::ComplaintRouting;
use keurmerk_store::FormNonce;
use maud::{html, Markup};
use serde::Deserialize;
use sha2::Sha256;

use super::{error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::ops::Runtime;
use crate::AppState;

const FORM_TTL_SECS: i64 = 2 * 3600;
/// Random bytes of a token's nonce (hex-encoded in the token).
const NONCE_BYTES: usize = 16;
/// Longest token looked at (a genuine one is about 110 characters).
const MAX_TOKEN_LEN: usize = 256;

fn mac(key: &[u8], cert: &CertificateId, issued: i64, nonce: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    m.update(format!("complaint\n{cert}\n{issued}\n{nonce}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A form token for a certificate, issued at `now` (unix seconds) with `nonce`.
pub(crate) fn form_token(key: &[u8], cert: &CertificateId, now: i64, nonce: &str) -> String {
    format!("{now}.{nonce}.{}", mac(key, cert, now, nonce))
}

/// A form token with a fresh random nonce.
fn new_form_token(key: &[u8], cert: &CertificateId, now: i64) -> String {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    form_token(key, cert, now, &hex::encode(nonce))
}

/// Whether a presented form token is genuine, for this certificate and fresh: its nonce (to be
/// consumed with the complaint) if so.
pub(crate) fn check_form_token(
    key: &[u8],
    cert: &CertificateId,
    token: &str,
    now: i64,
) -> Option<FormNonce> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut parts = token.split('.');
    let (Some(ts), Some(nonce), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let issued = ts.parse::<i64>().ok()?;
    let nonce_ok = nonce.len() == 2 * NONCE_BYTES
        && nonce
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !nonce_ok || !(0..=FORM_TTL_SECS).contains(&(now.saturating_sub(issued))) {
        return None;
    }
    let expected = mac(key, cert, issued, nonce);
    let genuine: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sig.as_bytes()).into();
    let expires_at = chrono::DateTime::from_timestamp(issued.checked_add(FORM_TTL_SECS)?, 0)?;
    genuine.then(|| FormNonce {
        nonce: nonce.to_owned(),
        expires_at,
    })
}

/// `scheme://host[:port]` of a URL, lowercase, without the scheme's default port.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (scheme, mut authority) = (scheme.to_ascii_lowercase(), authority.to_ascii_lowercase());
    for (s, port) in [("http", ":80"), ("https", ":443")] {
        if scheme == s && authority.ends_with(port) {
            authority.truncate(authority.len() - port.len());
        }
    }
    Some(format!("{scheme}://{authority}"))
}

/// Whether a post came from a page of this registry, as far as the browser says:
/// `Sec-Fetch-Site` must be `same-origin` (or `none`: typed or bookmarked by the user), and
/// `Origin` must be the registry's public origin (`base_url`) or the request's own `Host`.
/// Absent headers are not a refusal: the form token still has to be valid.
pub(crate) fn same_origin(headers: &HeaderMap, base_url: Option<&str>) -> Result<(), String> {
    let header = |name: &str| {
        headers.get(name).map(|v| {
            v.to_str()
                .unwrap_or("<not text>")
                .trim()
                .to_ascii_lowercase()
        })
    };
    if let Some(site) = header("sec-fetch-site") {
        if site != "same-origin" && site != "none" {
            return Err(format!("Sec-Fetch-Site is `{site}`"));
        }
    }
    let Some(origin) = header("origin") else {
        return Ok(());
    };
    let Some(got) = origin_of(&origin) else {
        return Err(format!("Origin `{origin}` is not this registry"));
    };
    let ours = base_url.and_then(origin_of);
    let host = header("host");
    let host_matches = host.is_some_and(|h| {
        ["http", "https"]
            .iter()
            .any(|s| origin_of(&format!("{s}://{h}")).as_deref() == Some(got.as_str()))
    });
    if ours.as_deref() == Some(got.as_str()) || host_matches {
        Ok(())
    } else {
        Err(format!("Origin `{origin}` is not this registry"))
    }
}

/// What the complaint is about and who receives it: product, label and authority, named before
/// anyone writes.
fn about(l: Lang, r: &ComplaintRouting) -> Markup {
    let c = &r.certificate;
    html! {
        dl {
            dt { (t(l, "Product", "Product", "Produkt", "Produit")) }
            dd { span lang="en" { (r.product.name) " " (r.product.model) } " (" (r.holder.name) ")" }
            dt { (t(l, "Label", "Label", "Kennzeichen", "Label")) }
            dd {
                a href=(href(&format!("/c/{}", c.id), l)) { (c.id) } " – "
                span lang="en" { (r.scheme_title) ", " (r.level_name) }
            }
            dt { (t(l, "Your complaint goes to", "Uw klacht gaat naar", "Ihre Beschwerde geht an", "Votre plainte est transmise à")) }
            dd {
                @match &r.authority {
                    Some(a) => { strong { (a.name) } " (" (a.member_state) ")" }
                    None => { (t(l, "No authority in this register", "Geen toezichthouder in dit register", "Keine Behörde in diesem Register", "Aucune autorité dans ce registre")) }
                }
            }
        }
    }
}

/// Where to go when no authority in the register receives complaints about this label.
fn nowhere(l: Lang, r: &ComplaintRouting) -> Markup {
    html! {
        h1 { (t(l, "Complaint about label", "Klacht over label", "Beschwerde über Kennzeichen", "Plainte concernant le label")) " " (r.certificate.id) }
        (about(l, r))
        p role="status" { strong { (t(l,
            "No authority in this register handles complaints about this label, so this register cannot send on a complaint about it.",
            "Geen toezichthouder in dit register behandelt klachten over dit label. Daarom kan dit register een klacht erover niet doorsturen.",
            "Keine Behörde in diesem Register bearbeitet Beschwerden über dieses Kennzeichen. Deshalb kann dieses Register keine Beschwerde dazu weiterleiten.",
            "Aucune autorité de ce registre ne traite les plaintes sur ce label : ce registre ne peut donc pas transmettre de plainte à son sujet.")) } }
        h2 { (t(l, "Where you can go instead", "Waar u wel terechtkunt", "Wohin Sie sich stattdessen wenden können", "Où vous adresser à la place")) }
        ul {
            @if let Some(s) = &r.supervisor {
                li {
                    (t(l, "The body that supervises this kind of label:", "De instantie die toezicht houdt op dit soort label:", "Die Stelle, die diese Art von Kennzeichen beaufsichtigt:", "L'organisme qui contrôle ce type de label :"))
                    " " span lang="en" { (s) }
                }
            }
            li {
                (t(l, "The maker of the product:", "De maker van het product:", "Der Hersteller des Produkts:", "Le fabricant du produit :"))
                " " (r.holder.name)
                @if let Some(c) = &r.holder.contact { " (" (c) ")" }
            }
            li { (t(l,
                "A consumer organisation, or the consumer authority of your country.",
                "Een consumentenorganisatie, of de consumentenautoriteit in uw land (in Nederland: ACM ConsuWijzer).",
                "Eine Verbraucherzentrale oder die Verbraucherschutzbehörde Ihres Landes.",
                "Une association de consommateurs, ou l'autorité de protection des consommateurs de votre pays.")) }
        }
        p { a href=(href(&format!("/c/{}", r.certificate.id), l)) { (t(l, "Back to the label", "Terug naar het label", "Zurück zum Kennzeichen", "Retour au label")) } }
    }
}

/// How the e-mail address is used, in plain words.
fn email_use(l: Lang, authority: &str) -> Markup {
    html! {
        p id="contact-use" {
            (t(l,
                "We use your e-mail address only to reply to you about this complaint. Only",
                "We gebruiken uw e-mailadres alleen om u over deze klacht te antwoorden. Alleen",
                "Wir verwenden Ihre E-Mail-Adresse nur, um Ihnen zu dieser Beschwerde zu antworten. Nur",
                "Nous utilisons votre adresse e-mail uniquement pour vous répondre au sujet de cette plainte. Seul(e)"))
            " " (authority) " "
            (t(l,
                "sees it; it is not published and not given to the maker. It is deleted when the complaint is closed.",
                "ziet het; het wordt niet gepubliceerd en niet aan de maker gegeven. Het wordt gewist als de klacht is afgesloten.",
                "sieht sie; sie wird nicht veröffentlicht und nicht an den Hersteller weitergegeben. Sie wird gelöscht, wenn die Beschwerde abgeschlossen ist.",
                "la voit ; elle n'est ni publiée ni transmise au fabricant. Elle est effacée à la clôture de la plainte."))
        }
    }
}

fn form(
    l: Lang,
    r: &ComplaintRouting,
    token: &str,
    error: Option<&str>,
    contact: &str,
    body: &str,
) -> Markup {
    let id = &r.certificate.id;
    let authority = r.authority.as_ref().map_or("", |a| a.name.as_str());
    html! {
        h1 { (t(l, "Complaint about label", "Klacht over label", "Beschwerde über Kennzeichen", "Plainte concernant le label")) " " (id) }
        (about(l, r))
        p { (t(l, "Tell the authority what is wrong with this product or its label. The authority reads every complaint, may ask the maker or the test lab about it, and answers you on a page only you can open.",
               "Vertel de toezichthouder wat er mis is met dit product of het label. De toezichthouder leest elke klacht, kan de maker of het testlab ernaar vragen, en antwoordt u op een pagina die alleen u kunt openen.",
               "Teilen Sie der Behörde mit, was mit diesem Produkt oder seinem Kennzeichen nicht stimmt. Die Behörde liest jede Beschwerde, kann beim Hersteller oder Prüflabor nachfragen und antwortet Ihnen auf einer Seite, die nur Sie öffnen können.",
               "Dites à l'autorité ce qui ne va pas avec ce produit ou son label. L'autorité lit chaque plainte, peut interroger le fabricant ou le laboratoire, et vous répond sur une page que vous seul pouvez ouvrir.")) }
        @if let Some(e) = error { p role="alert" { strong { (e) } } }
        form method="post" action=(format!("/c/{id}/complaint")) {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="lang" value=(l.tag());
            label for="body" { (t(l, "Your complaint (required)", "Uw klacht (verplicht)", "Ihre Beschwerde (Pflichtfeld)", "Votre plainte (obligatoire)")) }
            textarea id="body" name="body" rows="8" required maxlength="5000" { (body) }
            label for="contact" { (t(l, "Your e-mail address, if you want an answer by e-mail too (optional)", "Uw e-mailadres, als u ook per e-mail antwoord wilt (niet verplicht)", "Ihre E-Mail-Adresse, wenn Sie auch per E-Mail eine Antwort möchten (freiwillig)", "Votre adresse e-mail, si vous souhaitez aussi une réponse par e-mail (facultatif)")) }
            input type="email" id="contact" name="contact" value=(contact) maxlength="254" autocomplete="email" aria-describedby="contact-use";
            (email_use(l, authority))
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
    let here = format!("/c/{}/complaint", id.to_ascii_uppercase());
    // Ids are upper case; a hand-typed lower-case id finds the same certificate.
    let Ok(id) = id.to_ascii_uppercase().parse::<CertificateId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let routing = match state.registry.complaint_routing(&id).await {
        Ok(r) => r,
        Err(e) => return service_error_page(l, e, &here),
    };
    let title = t(l, "Complaint", "Klacht", "Beschwerde", "Plainte");
    if routing.authority.is_none() {
        return page(
            StatusCode::OK,
            l,
            layout(l, title, &here, nowhere(l, &routing)),
        );
    }
    let key = match rt.form_key.get(&state.registry).await {
        Ok(k) => k,
        Err(e) => return service_error_page(l, e, &here),
    };
    let token = new_form_token(key, &id, state.registry.now().timestamp());
    page(
        StatusCode::OK,
        l,
        layout(l, title, &here, form(l, &routing, &token, None, "", "")),
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
    let here = format!("/c/{}/complaint", id.to_ascii_uppercase());
    // Ids are upper case; a hand-typed lower-case id finds the same certificate.
    let Ok(id) = id.to_ascii_uppercase().parse::<CertificateId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let now = state.registry.now().timestamp();
    let title = t(l, "Complaint", "Klacht", "Beschwerde", "Plainte");
    let base_url = state.registry.signer().ok().map(|s| s.base_url());
    if let Err(why) = same_origin(&headers, base_url) {
        tracing::info!(certificate = %id, reason = %why, "cross-site complaint post refused");
        let body = html! {
            h1 { (title) }
            p role="alert" { strong { (t(l,
                "This form was sent from another website, so it was not accepted.",
                "Dit formulier is vanaf een andere website verstuurd en daarom niet aangenomen.",
                "Dieses Formular wurde von einer anderen Website gesendet und daher nicht angenommen.",
                "Ce formulaire a été envoyé depuis un autre site et n'a donc pas été accepté.")) } }
            p { a href=(href(&here, l)) { (t(l,
                "Open the complaint form on this site",
                "Open het klachtformulier op deze site",
                "Beschwerdeformular auf dieser Website öffnen",
                "Ouvrir le formulaire de plainte sur ce site")) } }
        };
        return page(StatusCode::FORBIDDEN, l, layout(l, title, &here, body));
    }
    let routing = match state.registry.complaint_routing(&id).await {
        Ok(r) => r,
        Err(e) => return service_error_page(l, e, &here),
    };
    if routing.authority.is_none() {
        // Nothing to route it to: refused, and the page says where to go instead.
        return page(
            StatusCode::UNPROCESSABLE_ENTITY,
            l,
            layout(l, title, &here, nowhere(l, &routing)),
        );
    }
    let key = match rt.form_key.get(&state.registry).await {
        Ok(k) => k,
        Err(e) => return service_error_page(l, e, &here),
    };
    let Some(nonce) = check_form_token(key, &id, &f.csrf, now) else {
        let token = new_form_token(key, &id, now);
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
                form(l, &routing, &token, Some(msg), &f.contact, &f.body),
            ),
        );
    };
    if !rt.complaints.check(&client) {
        let token = new_form_token(key, &id, now);
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
                form(l, &routing, &token, Some(msg), &f.contact, &f.body),
            ),
        );
    }
    match state
        .registry
        .file_complaint(&id, Some(f.contact.clone()), &f.body, Some(&nonce))
        .await
    {
        Ok(filed) => {
            let authority = routing.authority.as_ref().map_or("", |a| a.name.as_str());
            let follow = format!("/complaints/{}", filed.reference);
            let body = html! {
                h1 { (t(l, "Thank you", "Dank u", "Vielen Dank", "Merci")) }
                p {
                    (t(l, "Your complaint was received with number", "Uw klacht is ontvangen met nummer", "Ihre Beschwerde ist eingegangen unter der Nummer", "Votre plainte a été reçue sous le numéro"))
                    " " strong { (filed.complaint.id) } ". "
                    (t(l, "It was sent to", "Ze is doorgestuurd naar", "Sie wurde weitergeleitet an", "Elle a été transmise à")) " " strong { (authority) } "."
                }
                h2 { (t(l, "Your reference", "Uw kenmerk", "Ihr Aktenzeichen", "Votre référence")) }
                p { (t(l,
                    "Keep this reference. With it you can see what happens to your complaint and read the answer. It is shown only now: we do not store it and cannot send it again.",
                    "Bewaar dit kenmerk. Daarmee ziet u wat er met uw klacht gebeurt en leest u het antwoord. Het wordt alleen nu getoond: we bewaren het niet en kunnen het niet opnieuw sturen.",
                    "Bewahren Sie dieses Aktenzeichen auf. Damit sehen Sie, was mit Ihrer Beschwerde geschieht, und lesen die Antwort. Es wird nur jetzt angezeigt: Wir speichern es nicht und können es nicht erneut senden.",
                    "Gardez cette référence. Elle vous permet de suivre votre plainte et de lire la réponse. Elle n'est affichée que maintenant : nous ne la conservons pas et ne pouvons pas la renvoyer.")) }
                p.reference { code { (filed.reference) } }
                p { a href=(href(&follow, l)) { (t(l, "Follow your complaint", "Volg uw klacht", "Ihre Beschwerde verfolgen", "Suivre votre plainte")) } }
                p { a href=(href(&format!("/c/{id}"), l)) { (t(l, "Back to the label", "Terug naar het label", "Zurück zum Kennzeichen", "Retour au label")) } }
            };
            // The reference is in this page: no cache keeps it.
            let mut resp = page(StatusCode::CREATED, l, layout(l, title, &here, body));
            resp.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            resp
        }
        Err(keurmerk_service::ServiceError::Conflict(_)) => {
            // The token was used before (a resubmission or a replay): nothing was stored now.
            let token = new_form_token(key, &id, now);
            let msg = t(
                l,
                "This form was sent already, and each form is accepted once. To send another complaint, use this new form.",
                "Dit formulier is al verstuurd; elk formulier wordt één keer aangenomen. Gebruik dit nieuwe formulier voor een andere klacht.",
                "Dieses Formular wurde bereits gesendet; jedes Formular wird nur einmal angenommen. Für eine weitere Beschwerde nutzen Sie dieses neue Formular.",
                "Ce formulaire a déjà été envoyé ; chaque formulaire n'est accepté qu'une fois. Pour une autre plainte, utilisez ce nouveau formulaire.",
            );
            page(
                StatusCode::CONFLICT,
                l,
                layout(
                    l,
                    title,
                    &here,
                    form(l, &routing, &token, Some(msg), &f.contact, &f.body),
                ),
            )
        }
        Err(keurmerk_service::ServiceError::Invalid { problem, field }) => {
            let token = new_form_token(key, &id, now);
            let msg = format!("{field}: {problem}");
            page(
                StatusCode::UNPROCESSABLE_ENTITY,
                l,
                layout(
                    l,
                    title,
                    &here,
                    form(l, &routing, &token, Some(&msg), &f.contact, &f.body),
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
    fn form_tokens_are_bound_to_certificate_time_and_key() {
        let key = [7u8; 32];
        let a = CertificateId::new("KM-2026-000001").unwrap();
        let b = CertificateId::new("KM-2026-000002").unwrap();
        let nonce = "0123456789abcdef0123456789abcdef";
        let tok = form_token(&key, &a, 1000, nonce);
        let got = check_form_token(&key, &a, &tok, 1000 + 60).unwrap();
        assert_eq!(got.nonce, nonce);
        assert_eq!(got.expires_at.timestamp(), 1000 + FORM_TTL_SECS);
        assert!(check_form_token(&key, &b, &tok, 1000 + 60).is_none());
        assert!(check_form_token(&key, &a, &tok, 1000 + FORM_TTL_SECS + 1).is_none());
        assert!(
            check_form_token(&key, &a, &tok, 999).is_none(),
            "from the future"
        );
        assert!(check_form_token(&[8u8; 32], &a, &tok, 1000).is_none());
        // Another nonce under the same signature is a forgery.
        let swapped = tok.replace(nonce, "fedcba9876543210fedcba9876543210");
        assert!(check_form_token(&key, &a, &swapped, 1000).is_none());
        for bad in [
            "garbage",
            "1000.deadbeef",
            "1000..x",
            "x.y.z",
            &format!("{tok}.more"),
            &format!("1000.{}.{}", "0".repeat(32), "a".repeat(300)),
            &format!("{}.{nonce}.00", i64::MAX),
            &format!("{}.{nonce}.00", i64::MIN),
        ] {
            assert!(check_form_token(&key, &a, bad, 1000).is_none(), "{bad}");
        }
        // Two fresh tokens differ (each has its own nonce).
        assert_ne!(
            new_form_token(&key, &a, 1000),
            new_form_token(&key, &a, 1000)
        );
    }

    #[test]
    fn cross_site_posts_are_told_apart_from_same_origin_ones() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, v.parse().unwrap());
            }
            m
        };
        let base = Some("https://registry.example/");
        for ok in [
            h(&[]),
            h(&[("host", "registry.internal:8080")]),
            h(&[("origin", "https://registry.example")]),
            h(&[("origin", "https://REGISTRY.example:443")]),
            h(&[
                ("origin", "http://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080"),
            ]),
            h(&[("sec-fetch-site", "same-origin")]),
            h(&[("sec-fetch-site", "none")]),
            h(&[
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://registry.example"),
            ]),
        ] {
            assert_eq!(same_origin(&ok, base), Ok(()), "{ok:?}");
        }
        for bad in [
            h(&[("origin", "https://evil.example")]),
            h(&[
                ("origin", "https://evil.example"),
                ("host", "registry.example"),
            ]),
            h(&[("origin", "null")]),
            h(&[("origin", "https://registry.example.evil.example")]),
            h(&[("origin", "http://registry.example:8443")]),
            h(&[("sec-fetch-site", "cross-site")]),
            h(&[("sec-fetch-site", "same-site")]),
            h(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://registry.example"),
            ]),
        ] {
            assert!(same_origin(&bad, base).is_err(), "{bad:?}");
        }
        // Without a base URL the request's own host still counts.
        assert!(same_origin(
            &h(&[("origin", "http://a.example"), ("host", "a.example")]),
            None
        )
        .is_ok());
        assert!(same_origin(
            &h(&[("origin", "http://b.example"), ("host", "a.example")]),
            None
        )
        .is_err());
    }
}
