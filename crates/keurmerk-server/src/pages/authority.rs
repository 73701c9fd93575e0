//! The national authority's complaint pages (issue 13 item 6): sign in with the authority's API
//! token, then see, assign, answer and close the complaints routed to it, in four languages.
//!
//! - Sign-in: a form post of the API token, checked exactly as the API checks it
//!   ([`crate::auth::authenticate`]); the service opens a session only for a national authority
//!   (`Registry::start_authority_session`). The browser gets a random session id in the cookie
//!   [`COOKIE`]: `HttpOnly`, `SameSite=Strict`, `Path=/authority`, `Secure` when the registry's
//!   base URL is https, and `Max-Age` up to the session's end (8 hours). The token itself is
//!   never stored in the browser.
//! - Every post (sign-in, each step, sign-out) must come from this registry (`Origin` /
//!   `Sec-Fetch-Site`, [`super::complaint::same_origin`]); every post of a session must also
//!   carry the session's form token (compared in constant time).
//! - Authorisation stays in the service: the pages call the same use cases as the API
//!   (`complaints`, `complaint`, `handle_complaint`), which let an authority see and handle only
//!   the complaints routed to it.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use keurmerk_domain::complaint::{self, ComplaintState, Outcome, Step};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::RecordId;
use keurmerk_service::sessions::AuthoritySession;
use keurmerk_service::{ComplaintAction, ServiceError};
use keurmerk_store::Complaint;
use maud::{html, Markup};
use serde::Deserialize;

use super::complaint::same_origin;
use super::complaint_status::state_words;
use super::{date, error_page, href, lang_of, layout, page, t, PageLang};
use crate::AppState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "km_authority";
/// The path the cookie is limited to.
const COOKIE_PATH: &str = "/authority";
/// Longest API token looked at.
const MAX_TOKEN_CHARS: usize = 200;

fn base_url(state: &AppState) -> Option<String> {
    state
        .registry
        .signer()
        .ok()
        .map(|s| s.base_url().to_owned())
}

/// The session cookie's value, if the request has one.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_owned())
}

/// The `Set-Cookie` value: the session id for `max_age` seconds (0 clears it).
fn set_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; SameSite=Strict{}",
        max_age.max(0),
        if secure { "; Secure" } else { "" }
    )
}

fn secure(state: &AppState) -> bool {
    base_url(state).is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
}

/// A redirect after a post (or to the sign-in page), not cached.
fn see_other(location: &str, cookie: Option<String>) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r
}

/// Pages of a session are private: never cached, never sent as a referrer.
fn private(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// The session of the request, or why not.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<AuthoritySession, ServiceError> {
    let cookie = cookie_value(headers).unwrap_or_default();
    state.registry.authority_session(&cookie).await
}

/// A page's answer when there is no session: the sign-in page (a redirect for a page load).
fn signed_out(l: Lang) -> Response {
    see_other(&href("/authority/login", l), None)
}

/// The error page of a refusal, with the status the API would give.
fn refusal(l: Lang, e: ServiceError, here: &str) -> Response {
    match e {
        ServiceError::Unauthenticated(_) => private(login_page(
            l,
            StatusCode::UNAUTHORIZED,
            Some(t(
                l,
                "Your session has ended. Please sign in again.",
                "Uw sessie is beëindigd. Meld u opnieuw aan.",
                "Ihre Sitzung ist beendet. Bitte melden Sie sich erneut an.",
                "Votre session a pris fin. Veuillez vous reconnecter.",
            )),
        )),
        other => private(super::service_error_page(l, other, here)),
    }
}

fn login_page(l: Lang, status: StatusCode, notice: Option<&str>) -> Response {
    let title = t(
        l,
        "Sign in: complaints",
        "Aanmelden: klachten",
        "Anmelden: Beschwerden",
        "Connexion : plaintes",
    );
    let body = html! {
        h1 { (title) }
        p { (t(l, "For national authorities: sign in with your organisation's API token to handle the complaints sent to you.",
               "Voor nationale toezichthouders: meld u aan met het API-token van uw organisatie om de klachten te behandelen die naar u zijn gestuurd.",
               "Für nationale Behörden: Melden Sie sich mit dem API-Token Ihrer Organisation an, um die an Sie gerichteten Beschwerden zu bearbeiten.",
               "Pour les autorités nationales : connectez-vous avec le jeton d'API de votre organisation pour traiter les plaintes qui vous sont adressées.")) }
        @if let Some(n) = notice {
            p.notice role="alert" { (n) }
        }
        form method="post" action="/authority/login" {
            input type="hidden" name="lang" value=(l.tag());
            label for="token" { (t(l, "API token", "API-token", "API-Token", "Jeton d'API")) }
            input type="password" id="token" name="token" autocomplete="off" required maxlength=(MAX_TOKEN_CHARS);
            p.muted { (t(l, "The token stays on the server; your browser only keeps a session that ends after 8 hours or when you sign out.",
                         "Het token blijft op de server; uw browser bewaart alleen een sessie die na 8 uur eindigt of wanneer u zich afmeldt.",
                         "Das Token bleibt auf dem Server; Ihr Browser speichert nur eine Sitzung, die nach 8 Stunden oder beim Abmelden endet.",
                         "Le jeton reste sur le serveur ; votre navigateur ne garde qu'une session qui prend fin après 8 heures ou à la déconnexion.")) }
            button type="submit" { (t(l, "Sign in", "Aanmelden", "Anmelden", "Se connecter")) }
        }
    };
    page(status, l, layout(l, title, "/authority/login", body))
}

pub(crate) async fn get_authority_login(Query(q): Query<PageLang>, headers: HeaderMap) -> Response {
    let l = lang_of(&q, &headers);
    private(login_page(l, StatusCode::OK, None))
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    token: String,
}

pub(crate) async fn post_authority_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let l = lang_of(&PageLang { lang: f.lang }, &headers);
    if let Err(why) = same_origin(&headers, base_url(&state).as_deref()) {
        tracing::info!(%why, "refused a cross-site sign-in");
        return private(error_page(l, StatusCode::FORBIDDEN, "/authority/login"));
    }
    let bad = || {
        private(login_page(
            l,
            StatusCode::UNAUTHORIZED,
            Some(t(
                l,
                "This token is not valid.",
                "Dit token is niet geldig.",
                "Dieses Token ist nicht gültig.",
                "Ce jeton n'est pas valide.",
            )),
        ))
    };
    let token = f.token.trim();
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        return bad();
    }
    let actor = match crate::auth::authenticate(&state, token).await {
        Ok(Some(a)) => a,
        Ok(None) => return bad(),
        Err(e) => return private(super::api_error_page(l, e, "/authority/login")),
    };
    match state.registry.start_authority_session(&actor).await {
        Ok(s) => {
            let max_age = (s.expires_at - state.registry.now()).num_seconds();
            see_other(
                &href("/authority/complaints", l),
                Some(set_cookie(&s.cookie, max_age, secure(&state))),
            )
        }
        Err(ServiceError::Forbidden(_)) => private(login_page(
            l,
            StatusCode::FORBIDDEN,
            Some(t(
                l,
                "Only a national authority's token opens these pages.",
                "Alleen het token van een nationale toezichthouder opent deze pagina's.",
                "Nur das Token einer nationalen Behörde öffnet diese Seiten.",
                "Seul le jeton d'une autorité nationale ouvre ces pages.",
            )),
        )),
        Err(e) => refusal(l, e, "/authority/login"),
    }
}

fn nav(l: Lang, s: &AuthoritySession) -> Markup {
    html! {
        p.muted {
            (t(l, "Signed in as", "Aangemeld als", "Angemeldet als", "Connecté en tant que")) " " strong { (s.org.name) } " · "
            a href=(href("/authority/complaints", l)) { (t(l, "All complaints", "Alle klachten", "Alle Beschwerden", "Toutes les plaintes")) }
        }
        form method="post" action="/authority/logout" {
            input type="hidden" name="csrf" value=(s.csrf);
            input type="hidden" name="lang" value=(l.tag());
            button type="submit" { (t(l, "Sign out", "Afmelden", "Abmelden", "Se déconnecter")) }
        }
    }
}

fn day(l: Lang, at: chrono::DateTime<chrono::Utc>) -> String {
    date(l, at.date_naive())
}

pub(crate) async fn get_authority_complaints(
    State(state): State<AppState>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let s = match session(&state, &headers).await {
        Ok(s) => s,
        Err(ServiceError::Unauthenticated(_)) => return signed_out(l),
        Err(e) => return refusal(l, e, "/authority/complaints"),
    };
    let list = match state.registry.complaints(&s.actor, 200, 0).await {
        Ok(list) => list,
        Err(e) => return refusal(l, e, "/authority/complaints"),
    };
    let title = t(l, "Complaints", "Klachten", "Beschwerden", "Plaintes");
    let body = html! {
        h1 { (title) }
        (nav(l, &s))
        @if list.is_empty() {
            p { (t(l, "No complaints have been sent to you.", "Er zijn geen klachten naar u gestuurd.", "Es wurden keine Beschwerden an Sie gerichtet.", "Aucune plainte ne vous a été adressée.")) }
        } @else {
            ul.complaints {
                @for c in &list {
                    li {
                        a href=(href(&format!("/authority/complaints/{}", c.id), l)) { (c.id) }
                        " · " (state_words(l, c.state))
                        br;
                        span.muted {
                            (t(l, "Label", "Label", "Kennzeichen", "Label")) " " (c.certificate)
                            " · " (t(l, "received on", "ontvangen op", "eingegangen am", "reçue le")) " " (day(l, c.filed_at))
                        }
                    }
                }
            }
        }
    };
    private(page(
        StatusCode::OK,
        l,
        layout(l, title, "/authority/complaints", body),
    ))
}

fn outcome_name(l: Lang, o: Outcome) -> &'static str {
    match o {
        Outcome::Upheld => t(l, "Upheld", "Gegrond", "Begründet", "Fondée"),
        Outcome::Rejected => t(l, "Rejected", "Ongegrond", "Unbegründet", "Non fondée"),
        Outcome::Forwarded => t(
            l,
            "Forwarded",
            "Doorgestuurd",
            "Weitergeleitet",
            "Transmise",
        ),
        Outcome::Withdrawn => t(l, "Withdrawn", "Ingetrokken", "Zurückgenommen", "Retirée"),
    }
}

fn lang_name(l: Lang) -> &'static str {
    match l {
        Lang::En => "English",
        Lang::Nl => "Nederlands",
        Lang::De => "Deutsch",
        Lang::Fr => "Français",
    }
}

fn detail(l: Lang, s: &AuthoritySession, c: &Complaint, notice: Option<&str>) -> Markup {
    let action = format!("/authority/complaints/{}", c.id);
    let can = |step: Step| complaint::step(c.state, step).is_ok();
    let closable: Vec<Outcome> = Outcome::ALL
        .iter()
        .copied()
        .filter(|o| can(Step::Close(*o)))
        .collect();
    let hidden = html! {
        input type="hidden" name="csrf" value=(s.csrf);
        input type="hidden" name="lang" value=(l.tag());
    };
    html! {
        h1 { (t(l, "Complaint", "Klacht", "Beschwerde", "Plainte")) " " (c.id) }
        (nav(l, s))
        @if let Some(n) = notice {
            p.notice role="alert" { (n) }
        }
        p.status role="status" { strong { (state_words(l, c.state)) } }
        dl {
            dt { (t(l, "Label", "Label", "Kennzeichen", "Label")) }
            dd { a href=(href(&format!("/c/{}", c.certificate), l)) { (c.certificate) } }
            dt { (t(l, "Received on", "Ontvangen op", "Eingegangen am", "Reçue le")) }
            dd { (day(l, c.filed_at)) }
            dt { (t(l, "Complainant's e-mail address", "E-mailadres van de indiener", "E-Mail-Adresse der beschwerdeführenden Person", "Adresse e-mail du plaignant")) }
            dd {
                @if let Some(a) = &c.contact { (a) }
                @else { (t(l, "none given (or erased when closed)", "niet opgegeven (of gewist bij afsluiten)", "keine angegeben (oder beim Abschluss gelöscht)", "aucune (ou effacée à la clôture)")) }
            }
            @if let Some(a) = &c.assignee {
                dt { (t(l, "Handled by", "Behandeld door", "Bearbeitet von", "Traitée par")) }
                dd { (a) }
            }
            @if let Some(o) = c.outcome {
                dt { (t(l, "Outcome", "Uitkomst", "Ergebnis", "Résultat")) }
                dd { (outcome_name(l, o)) }
            }
        }
        h2 { (t(l, "The complaint", "De klacht", "Die Beschwerde", "La plainte")) }
        // The complainant's own words, in a language nobody stated: shown as written.
        blockquote.answer { @for line in c.body.lines() { (line) br; } }
        @if let Some(a) = &c.answer {
            h2 { (t(l, "Your answer", "Uw antwoord", "Ihre Antwort", "Votre réponse")) }
            blockquote.answer lang=(c.answer_lang.unwrap_or_default().tag()) { @for line in a.lines() { (line) br; } }
        }
        @if can(Step::Assign) {
            h2 { (t(l, "Assign", "Toewijzen", "Zuweisen", "Attribuer")) }
            form method="post" action=(action) {
                (hidden)
                input type="hidden" name="step" value="assign";
                label for="assignee" { (t(l, "Person who handles it", "Persoon die hem behandelt", "Person, die sie bearbeitet", "Personne qui la traite")) }
                input type="text" id="assignee" name="assignee" required maxlength="100" value=(c.assignee.as_deref().unwrap_or(""));
                button type="submit" { (t(l, "Assign", "Toewijzen", "Zuweisen", "Attribuer")) }
            }
        }
        @if can(Step::Answer) {
            h2 { (t(l, "Answer the complainant", "Antwoord de indiener", "Der beschwerdeführenden Person antworten", "Répondre au plaignant")) }
            form method="post" action=(action) {
                (hidden)
                input type="hidden" name="step" value="answer";
                label for="answer" { (t(l, "Answer (shown on the complainant's page)", "Antwoord (getoond op de pagina van de indiener)", "Antwort (auf der Seite der beschwerdeführenden Person gezeigt)", "Réponse (affichée sur la page du plaignant)")) }
                textarea id="answer" name="answer" required maxlength="5000" rows="6" {}
                label for="answer_lang" { (t(l, "Language of the answer", "Taal van het antwoord", "Sprache der Antwort", "Langue de la réponse")) }
                select id="answer_lang" name="answer_lang" {
                    @for other in Lang::ALL {
                        option value=(other.tag()) lang=(other.tag()) selected[other == l] { (lang_name(other)) }
                    }
                }
                button type="submit" { (t(l, "Send the answer", "Antwoord versturen", "Antwort senden", "Envoyer la réponse")) }
            }
        }
        @if !closable.is_empty() {
            h2 { (t(l, "Close", "Afsluiten", "Abschließen", "Clôturer")) }
            form method="post" action=(action) {
                (hidden)
                input type="hidden" name="step" value="close";
                label for="outcome" { (t(l, "Outcome", "Uitkomst", "Ergebnis", "Résultat")) }
                select id="outcome" name="outcome" {
                    @for o in &closable { option value=(o.as_str()) { (outcome_name(l, *o)) } }
                }
                p.muted { (t(l, "Closing erases the complainant's e-mail address.", "Afsluiten wist het e-mailadres van de indiener.", "Das Abschließen löscht die E-Mail-Adresse der beschwerdeführenden Person.", "La clôture efface l'adresse e-mail du plaignant.")) }
                button type="submit" { (t(l, "Close", "Afsluiten", "Abschließen", "Clôturer")) }
            }
        }
        @if c.state == ComplaintState::Closed {
            p { (t(l, "This complaint is closed; it cannot be changed.", "Deze klacht is afgesloten; hij kan niet meer worden gewijzigd.", "Diese Beschwerde ist abgeschlossen; sie kann nicht mehr geändert werden.", "Cette plainte est clôturée ; elle ne peut plus être modifiée.")) }
        }
    }
}

fn complaint_id(raw: &str) -> Option<RecordId> {
    raw.parse::<RecordId>()
        .ok()
        .filter(|id| id.as_str().starts_with("CMP-"))
}

pub(crate) async fn get_authority_complaint(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/authority/complaints/{id}");
    // A path that names no complaint is 404 whoever asks (it reveals nothing).
    let Some(id) = complaint_id(&id) else {
        return private(error_page(
            l,
            StatusCode::NOT_FOUND,
            "/authority/complaints",
        ));
    };
    let s = match session(&state, &headers).await {
        Ok(s) => s,
        Err(ServiceError::Unauthenticated(_)) => return signed_out(l),
        Err(e) => return refusal(l, e, &here),
    };
    match state.registry.complaint(&s.actor, &id).await {
        Ok(c) => {
            let title = format!(
                "{} {}",
                t(l, "Complaint", "Klacht", "Beschwerde", "Plainte"),
                c.id
            );
            private(page(
                StatusCode::OK,
                l,
                layout(l, &title, &here, detail(l, &s, &c, None)),
            ))
        }
        Err(e) => refusal(l, e, &here),
    }
}

/// A step posted from a complaint's page.
#[derive(Debug, Deserialize)]
pub(crate) struct StepForm {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    assignee: Option<String>,
    #[serde(default)]
    answer: Option<String>,
    #[serde(default)]
    answer_lang: Option<String>,
    #[serde(default)]
    outcome: Option<String>,
}

/// Whether a posted form token is the session's (constant time).
fn csrf_ok(s: &AuthoritySession, presented: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(s.csrf.as_bytes(), presented.as_bytes()).into()
}

/// The session of a post: from this registry, signed in, with the session's form token.
async fn post_session(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    l: Lang,
    here: &str,
) -> Result<AuthoritySession, Response> {
    if let Err(why) = same_origin(headers, base_url(state).as_deref()) {
        tracing::info!(%why, "refused a cross-site post to the authority pages");
        return Err(private(error_page(l, StatusCode::FORBIDDEN, here)));
    }
    let s = session(state, headers)
        .await
        .map_err(|e| refusal(l, e, here))?;
    if !csrf_ok(&s, csrf) {
        tracing::info!("refused an authority page post without the session's form token");
        return Err(private(error_page(l, StatusCode::FORBIDDEN, here)));
    }
    Ok(s)
}

pub(crate) async fn post_authority_complaint(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    Form(f): Form<StepForm>,
) -> Response {
    let l = lang_of(
        &PageLang {
            lang: f.lang.clone(),
        },
        &headers,
    );
    let here = format!("/authority/complaints/{raw}");
    let s = match post_session(&state, &headers, &f.csrf, l, &here).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(id) = complaint_id(&raw) else {
        return private(error_page(
            l,
            StatusCode::NOT_FOUND,
            "/authority/complaints",
        ));
    };
    let unreadable = |what: &str| -> Response {
        private(error_page(
            l,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{here}#{what}"),
        ))
    };
    let action = match f.step.as_str() {
        "assign" => ComplaintAction::Assign {
            assignee: f.assignee.unwrap_or_default(),
        },
        "answer" => {
            let lang = match f.answer_lang.as_deref().map(str::parse::<Lang>) {
                None => None,
                Some(Ok(x)) => Some(x),
                Some(Err(_)) => return unreadable("answer_lang"),
            };
            ComplaintAction::Answer {
                answer: f.answer.unwrap_or_default(),
                lang,
            }
        }
        "close" => match f.outcome.as_deref().map(str::parse::<Outcome>) {
            Some(Ok(outcome)) => ComplaintAction::Close { outcome },
            _ => return unreadable("outcome"),
        },
        _ => return unreadable("step"),
    };
    match state.registry.handle_complaint(&s.actor, &id, action).await {
        Ok(_) => see_other(&href(&here, l), None),
        Err(e @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let status = crate::error::ApiError::from(e).status();
            // Show the complaint again with what was wrong, in the visitor's words.
            let notice = if status == StatusCode::CONFLICT {
                t(l, "This step is no longer possible: someone else changed the complaint first. Here is where it stands now.",
                  "Deze stap is niet meer mogelijk: iemand anders heeft de klacht eerder gewijzigd. Zo staat hij er nu voor.",
                  "Dieser Schritt ist nicht mehr möglich: Jemand anderes hat die Beschwerde zuerst geändert. So ist der aktuelle Stand.",
                  "Cette étape n'est plus possible : quelqu'un d'autre a modifié la plainte entre-temps. Voici où elle en est.")
            } else {
                t(
                    l,
                    "A field is empty, too long or contains characters that are not allowed.",
                    "Een veld is leeg, te lang of bevat tekens die niet zijn toegestaan.",
                    "Ein Feld ist leer, zu lang oder enthält unzulässige Zeichen.",
                    "Un champ est vide, trop long ou contient des caractères non autorisés.",
                )
            };
            match state.registry.complaint(&s.actor, &id).await {
                Ok(c) => {
                    let title = format!(
                        "{} {}",
                        t(l, "Complaint", "Klacht", "Beschwerde", "Plainte"),
                        c.id
                    );
                    private(page(
                        status,
                        l,
                        layout(l, &title, &here, detail(l, &s, &c, Some(notice))),
                    ))
                }
                Err(e) => refusal(l, e, &here),
            }
        }
        Err(e) => refusal(l, e, &here),
    }
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub(crate) struct LogoutForm {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn post_authority_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    let l = lang_of(&PageLang { lang: f.lang }, &headers);
    if let Err(r) = post_session(&state, &headers, &f.csrf, l, "/authority/complaints").await {
        return r;
    }
    let cookie = cookie_value(&headers).unwrap_or_default();
    if let Err(e) = state.registry.end_authority_session(&cookie).await {
        return refusal(l, e, "/authority/complaints");
    }
    see_other(
        &href("/authority/login", l),
        Some(set_cookie("", 0, secure(&state))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_limited_to_the_authority_pages() {
        let c = set_cookie("abc", 28800, true);
        for want in [
            "km_authority=abc",
            "Path=/authority",
            "Max-Age=28800",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
        ] {
            assert!(c.contains(want), "{want} in {c}");
        }
        assert!(!set_cookie("abc", 10, false).contains("Secure"));
        assert!(set_cookie("", -5, false).contains("Max-Age=0"));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; km_authority=xyz ; b=2"),
        );
        assert_eq!(cookie_value(&h).as_deref(), Some("xyz"));
        assert_eq!(cookie_value(&HeaderMap::new()), None);
    }
}
