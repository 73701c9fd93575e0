//! The certificate page at the permanent URL `/c/{id}`: what a consumer sees after scanning the
//! label's QR code.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keurmerk_domain::event::{Event, EventKind};
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::CertificateId;
use keurmerk_domain::model::{
    DependencyKind, IssuerKind, Organisation, PasswordSetup, Setup, Severity, UpdatePolicy,
};
use keurmerk_domain::status::{
    advice_heading, reason_word, Findings, LabelStatus, Reason, StatusFacts, StatusReport, Validity,
};
use maud::{html, Markup};

use super::{date, error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::AppState;

/// The certificate page's query: `?lang=`, `?at=` and `?version=`.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct CertificatePageQuery {
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    at: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

pub(crate) async fn get_certificate_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<CertificatePageQuery>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(
        &PageLang {
            lang: q.lang.clone(),
        },
        &headers,
    );
    // `?at=YYYY-MM-DD`: where the label is accepted on another day (an arrangement not yet in
    // force, a legal change ahead); anything else is today, like an unreadable `?lang=`.
    let at =
        q.at.as_deref()
            .and_then(|s| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok());
    let here = format!("/c/{}", id.to_ascii_uppercase());
    // Ids are upper case; a hand-typed lower-case id finds the same certificate.
    let Ok(id) = id.to_ascii_uppercase().parse::<CertificateId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let d = match state.registry.certificate_details(&id).await {
        Ok(d) => d,
        Err(e) => return service_error_page(l, e, &here),
    };
    let org = |id: &keurmerk_domain::ids::OrgId| {
        let id = id.clone();
        let reg = state.registry.clone();
        async move { reg.shown_organisation(&id).await.ok() }
    };
    let maker = org(&d.product.manufacturer).await;
    // A self-declared label's issuer is its maker: read once.
    let issuer = if d.certificate.issuer == d.product.manufacturer {
        maker.clone()
    } else {
        org(&d.certificate.issuer).await
    };
    let authority = match &d.certificate.authority {
        Some(a) if *a == d.certificate.issuer => issuer.clone(),
        Some(a) => org(a).await,
        None => None,
    };
    let scheme = state.registry.catalogue().get(&d.certificate.scheme);
    let level = scheme.and_then(|s| s.level(&d.certificate.level));
    let r = &d.status;
    // Every other id of each vulnerability the label names (GO-2022-1059 is CVE-2022-32149), so
    // a reader who knows it by another name finds it.
    let mut aliases = std::collections::BTreeMap::new();
    for reason in &r.reasons {
        if let Reason::VulnerabilityOpen { vulnerability, .. }
        | Reason::VulnerabilityOverdue { vulnerability, .. } = reason
        {
            let others: Vec<String> = state
                .registry
                .vulnerability_ids(vulnerability)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter(|x| !x.eq_ignore_ascii_case(vulnerability))
                .collect();
            aliases.insert(vulnerability.clone(), others);
        }
    }
    let title = format!("{} {}", d.product.name, d.product.model);
    // Every fact under the status comes from one place, so none can contradict it.
    let facts = StatusFacts::of(r);
    // Authentic is not valid: the signature's tick is green only under a valid status.
    let verify =
        super::verification::verification_section(&state, &d, l, !facts.positive_marks_muted).await;
    let accepted = super::recognition::recognition_section(&state, &d, scheme, l, at).await;
    // `?version=`: the answer for the version on the reader's device. An unreadable one (empty,
    // too long) is no question, like an unreadable `?at=`.
    let asked = q
        .version
        .as_deref()
        .filter(|v| keurmerk_service::check_version_query(v).is_ok());
    let for_version = match asked {
        Some(v) => match state.registry.version_status(&id, v).await {
            Ok(report) => Some(report),
            Err(e) => return service_error_page(l, e, &here),
        },
        None => None,
    };
    let versions = version_box(l, &id, r, for_version.as_ref());
    let body = html! {
        p.muted { (t(l, "Label", "Label", "Kennzeichen", "Label")) " " (id) }
        h1 { (d.product.name) " " span.muted { (d.product.model) } }
        p {
            (t(l, "Made by", "Gemaakt door", "Hergestellt von", "Fabriqué par")) " "
            a href=(href(&format!("/products/{}", d.product.id), l)) { (maker.as_ref().map_or(d.product.manufacturer.as_str(), |m| m.name.as_str())) }
        }
        (status_box(l, r, &aliases))
        (versions)
        (advice_box(l, &facts))
        (issuer_box(l, d.certificate.issuer_kind, issuer.as_ref(), authority.as_ref(), facts.positive_marks_muted))
        section aria-labelledby="facts" {
            h2 id="facts" { (t(l, "What you should know", "Wat u moet weten", "Was Sie wissen sollten", "Ce qu'il faut savoir")) }
            dl {
                dt { (t(l, "Scheme", "Keurmerkschema", "Schema", "Schéma")) }
                dd {
                    @if let Some(s) = scheme {
                        a href=(href(&format!("/schemes/{}", s.id), l)) { (s.short_name) } " – " (s.title_in(l))
                    } @else { (d.certificate.scheme) }
                }
                dt { (t(l, "Level", "Niveau", "Stufe", "Niveau")) }
                dd {
                    @if let (Some(s), Some(lv)) = (scheme, level) {
                        strong { (s.level_name_in(&lv.id, l)) } ". " (s.level_description_in(&lv.id, l))
                    } @else { (d.certificate.level) }
                }
                dt { (facts.validity.label(l)) }
                dd {
                    @if let Some(day) = facts.validity.date() { (date(l, day)) }
                    @if let Validity::ReplacedBy { by } = &facts.validity {
                        a href=(href(&format!("/c/{by}"), l)) { (by) }
                    }
                    @if let Some(note) = facts.validity.note(l) {
                        @if facts.validity.date().is_some() { ". " } (note)
                    }
                }
                dt { (t(l, "Security updates until", "Beveiligingsupdates tot", "Sicherheitsupdates bis", "Mises à jour de sécurité jusqu'au")) }
                dd {
                    @match r.support_until {
                        Some(s) => (date(l, s)),
                        None => (t(l, "The maker has not said.", "De fabrikant heeft dit niet bekendgemaakt.", "Der Hersteller hat das nicht angegeben.", "Le fabricant ne l'a pas indiqué.")),
                    }
                }
                @if let Some(setup) = &r.setup { (setup_rows(l, setup)) }
                dt { (t(l, "Latest security update", "Nieuwste beveiligingsupdate", "Neuestes Sicherheitsupdate", "Dernière mise à jour de sécurité")) }
                dd {
                    @match &r.latest_security_update {
                        Some(v) => {
                            (t(l, "Version", "Versie", "Version", "Version")) " " strong { (v.version) } " (" (date(l, v.released_on)) "). "
                            (t(l, "Make sure your device has this version or a newer one.", "Zorg dat uw apparaat deze versie of een nieuwere heeft.", "Sorgen Sie dafür, dass Ihr Gerät diese oder eine neuere Version hat.", "Vérifiez que votre appareil a cette version ou une plus récente."))
                        }
                        None => (t(l, "None published yet.", "Nog geen gepubliceerd.", "Noch keines veröffentlicht.", "Aucune publiée pour l'instant.")),
                    }
                }
                dt { (t(l, "Known security problems", "Bekende beveiligingsproblemen", "Bekannte Sicherheitsprobleme", "Problèmes de sécurité connus")) }
                dd {
                    @if let Findings::Open { .. } = facts.findings { (vulnerabilities(l, r)) }
                    @else { (facts.findings.text(l)) }
                }
            }
        }
        (accepted)
        section aria-labelledby="deps" {
            h2 id="deps" { (t(l, "Services this product needs", "Diensten die dit product nodig heeft", "Dienste, die dieses Produkt braucht", "Services dont ce produit a besoin")) }
            @if r.dependencies.is_empty() {
                p { (t(l, "The maker lists no online services this product depends on.", "De fabrikant noemt geen onlinediensten waar dit product van afhangt.", "Der Hersteller nennt keine Online-Dienste, von denen dieses Produkt abhängt.", "Le fabricant n'indique aucun service en ligne dont ce produit dépend.")) }
            } @else {
                ul {
                    @for dep in &r.dependencies {
                        li {
                            strong { (dep.service) } " (" (dependency_kind(l, dep.kind)) ", " (dep.provider) "): "
                            @match &dep.certificate {
                                Some(c) => {
                                    @if dep.ok { (t(l, "has a valid label", "heeft een geldig label", "hat ein gültiges Kennzeichen", "a un label valide")) }
                                    @else { (t(l, "its label is not valid now", "het label is nu niet geldig", "sein Kennzeichen ist derzeit nicht gültig", "son label n'est pas valide actuellement")) }
                                    " – " a href=(href(&format!("/c/{c}"), l)) { (c) }
                                }
                                None => (t(l, "has no label", "heeft geen label", "hat kein Kennzeichen", "n'a pas de label")),
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="history" {
            h2 id="history" { (t(l, "History", "Geschiedenis", "Verlauf", "Historique")) }
            ol {
                @for e in d.events.iter().rev() {
                    li {
                        // A scheduled event took effect when it became due (its `at` is when
                        // it was recorded, later after downtime).
                        (date(l, e.kind.scheduled().map_or(e.at, |s| s.due_at).date_naive())) ": " (event_words(l, e))
                        @if let Some(s) = e.kind.scheduled() {
                            @if s.due_at.date_naive() != e.at.date_naive() {
                                " (" (t(l, "recorded", "vastgelegd", "erfasst", "enregistré")) " " (date(l, e.at.date_naive())) ")"
                            }
                        }
                        @if let EventKind::Superseded { by } = &e.kind {
                            " – " a href=(href(&format!("/c/{by}"), l)) { (by) }
                        }
                    }
                }
            }
        }
        (verify)
        section aria-labelledby="complain" {
            h2 id="complain" { (t(l, "Something wrong?", "Klopt er iets niet?", "Stimmt etwas nicht?", "Un problème ?")) }
            p {
                a href=(href(&format!("/c/{id}/complaint"), l)) {
                    @if let Some(a) = &authority {
                        (t(l, "File a complaint with ", "Dien een klacht in bij ", "Beschwerde einreichen bei: ", "Déposer une plainte auprès de : ")) (a.name)
                    } @else {
                        // No authority in the register supervises this label: the form page
                        // says where to go instead.
                        (t(l, "Where to complain about this label", "Waar u een klacht over dit label kunt indienen", "Wo Sie sich über dieses Kennzeichen beschweren können", "Où déposer une plainte au sujet de ce label"))
                    }
                }
            }
        }
    };
    page(StatusCode::OK, l, layout(l, &title, &here, body))
}

fn status_box(
    l: Lang,
    r: &StatusReport,
    aliases: &std::collections::BTreeMap<String, Vec<String>>,
) -> Markup {
    let also = |reason: &Reason| -> Option<String> {
        let (Reason::VulnerabilityOpen { vulnerability, .. }
        | Reason::VulnerabilityOverdue { vulnerability, .. }) = reason
        else {
            return None;
        };
        let others = aliases.get(vulnerability).filter(|o| !o.is_empty())?;
        Some(format!(
            "{} {}.",
            t(
                l,
                "Also known as",
                "Ook bekend als",
                "Auch bekannt als",
                "Aussi connu sous"
            ),
            others.join(", ")
        ))
    };
    let s: LabelStatus = r.status;
    html! {
        section class=(format!("status status-{}", s.as_str())) aria-labelledby="status" {
            h2 id="status" { (t(l, "Status: ", "Status: ", "Status: ", "Statut : ")) (s.title(l)) }
            p { (r.explanation(l)) }
            @if !r.reasons.is_empty() {
                ul {
                    @for reason in &r.reasons {
                        li {
                            (reason.headline_dated(l, &|d| date(l, d)))
                            @if let Some((free, free_lang)) = reason.free_text_lang() {
                                // Written by the organisation, not translated: marked with the
                                // language it was written in.
                                @if reason.code_sentence(l).is_some() {
                                    " " q lang=(free_lang.as_str()) { (free) }
                                } @else {
                                    " " (reason_word(l)) " " q lang=(free_lang.as_str()) { (free) }
                                }
                            }
                            @if let Some(a) = also(reason) { " " (a) }
                        }
                    }
                }
            }
            @for reason in &r.reasons {
                @if let Reason::Superseded { by } = reason {
                    p.superseded {
                        (t(l, "Look at the label that replaces it:", "Bekijk het label dat dit vervangt:", "Sehen Sie sich das Kennzeichen an, das es ersetzt:", "Consultez le label qui le remplace :"))
                        " " a href=(href(&format!("/c/{by}"), l)) rel="successor-version" { (by) }
                    }
                }
            }
            p.muted { (t(l, "Checked just now", "Zojuist gecontroleerd", "Gerade eben geprüft", "Vérifié à l'instant")) " (" (r.evaluated_at.format("%Y-%m-%d %H:%M UTC")) ")." }
        }
    }
}

/// "Which version is on your device?": the covered versions as links, and for the one asked
/// about, the answer for that version (covered or not, its open problems, the update to install).
fn version_box(
    l: Lang,
    id: &CertificateId,
    r: &StatusReport,
    asked: Option<&StatusReport>,
) -> Markup {
    let link = |v: &str| {
        let q = serde_urlencoded::to_string([("version", v)]).unwrap_or_default();
        format!("{}#version", href(&format!("/c/{id}?{q}"), l))
    };
    html! {
        section.versions aria-labelledby="version" {
            h2 id="version" { (t(l, "Which version is on your device?", "Welke versie staat op uw apparaat?", "Welche Version ist auf Ihrem Gerät?", "Quelle version est sur votre appareil ?")) }
            @if r.covered_versions.is_empty() {
                p { (t(l, "This label covers no version yet.", "Dit label geldt nog voor geen enkele versie.", "Dieses Kennzeichen gilt noch für keine Version.", "Ce label ne couvre encore aucune version.")) }
            } @else {
                p { (t(l, "This label covers these versions. Choose yours:", "Dit label geldt voor deze versies. Kies de uwe:", "Dieses Kennzeichen gilt für diese Versionen. Wählen Sie Ihre:", "Ce label couvre ces versions. Choisissez la vôtre :")) }
                ul.version-list {
                    @for v in &r.covered_versions {
                        li { a href=(link(v)) { (v) } }
                    }
                }
            }
            @if let Some(a) = asked {
                @if let Some(v) = &a.version {
                    div class=(format!("version-answer status-{}", a.status.as_str())) {
                        h3 { (t(l, "Version", "Versie", "Version", "Version")) " " (v.version) ": " (a.status.title(l)) }
                        @if v.covered && v.open_vulnerabilities.is_empty() && a.status == LabelStatus::Valid {
                            p { (t(l, "This version has no known unfixed security problems.", "Deze versie heeft geen bekende openstaande beveiligingsproblemen.", "Diese Version hat keine bekannten offenen Sicherheitsprobleme.", "Cette version n'a aucun problème de sécurité connu non corrigé.")) }
                        }
                        @if !a.reasons.is_empty() {
                            ul {
                                @for reason in &a.reasons {
                                    li data-reason=(reason.code()) {
                                        (reason.headline_dated(l, &|d| date(l, d)))
                                        @if let Some(free) = reason.free_text() {
                                            " " (reason_word(l)) " " span lang="en" { (free) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// What the owner should do under this status.
/// What the maker said about setting the product up (the Cyber Trust Mark's facts): how updates
/// arrive, the password, where to get updates.
fn setup_rows(l: Lang, setup: &Setup) -> Markup {
    let updates = match setup.update_policy {
        UpdatePolicy::Automatic => t(
            l,
            "Installed automatically.",
            "Worden automatisch geïnstalleerd.",
            "Werden automatisch installiert.",
            "Installées automatiquement.",
        ),
        UpdatePolicy::UserInitiated => t(
            l,
            "You start them yourself.",
            "U start ze zelf.",
            "Sie starten sie selbst.",
            "Vous les lancez vous-même.",
        ),
    };
    let password = match setup.password {
        Some(PasswordSetup::NoPassword) => t(
            l,
            "The product has no password.",
            "Het product heeft geen wachtwoord.",
            "Das Produkt hat kein Passwort.",
            "Le produit n'a pas de mot de passe.",
        ),
        Some(PasswordSetup::UniquePerDevice) => t(
            l,
            "Each unit has its own password, on the device or its box. Change it to one of your own.",
            "Elk exemplaar heeft een eigen wachtwoord, op het apparaat of de doos. Vervang het door een eigen wachtwoord.",
            "Jedes Gerät hat ein eigenes Passwort, auf dem Gerät oder der Verpackung. Ersetzen Sie es durch ein eigenes.",
            "Chaque appareil a son propre mot de passe, sur l'appareil ou sa boîte. Remplacez-le par le vôtre.",
        ),
        Some(PasswordSetup::SetOnFirstUse) => t(
            l,
            "There is no default password: you choose one when you set the product up.",
            "Er is geen standaardwachtwoord: u kiest er een bij het instellen van het product.",
            "Es gibt kein Standardpasswort: Sie wählen eines bei der Einrichtung des Produkts.",
            "Il n'y a pas de mot de passe par défaut : vous en choisissez un lors de l'installation du produit.",
        ),
        None => t(
            l,
            "The maker has not said.",
            "De fabrikant heeft dit niet bekendgemaakt.",
            "Der Hersteller hat das nicht angegeben.",
            "Le fabricant ne l'a pas indiqué.",
        ),
    };
    html! {
        dt { (t(l, "Security updates", "Beveiligingsupdates", "Sicherheitsupdates", "Mises à jour de sécurité")) }
        dd data-setup="updates" {
            (updates)
            @if let Some(u) = &setup.updates_url {
                " " a href=(u) rel="noopener noreferrer external" {
                    (t(l, "Where to get updates", "Waar u updates vindt", "Wo Sie Updates erhalten", "Où trouver les mises à jour"))
                }
            }
        }
        dt { (t(l, "Password", "Wachtwoord", "Passwort", "Mot de passe")) }
        dd data-setup="password" { (password) }
    }
}

fn advice_box(l: Lang, facts: &StatusFacts) -> Markup {
    html! {
        section.advice aria-labelledby="advice" {
            h2 id="advice" { (advice_heading(l)) }
            ul {
                @for a in &facts.advice { li data-advice=(a.as_str()) { (a.text(l)) } }
            }
        }
    }
}

fn issuer_box(
    l: Lang,
    kind: IssuerKind,
    issuer: Option<&Organisation>,
    authority: Option<&Organisation>,
    muted: bool,
) -> Markup {
    let third = kind == IssuerKind::ThirdParty;
    let class = match (third, muted) {
        // Under a red status the positive mark is not a green tick: it says nothing about now.
        (true, true) => "issuer issuer-muted",
        (true, false) => "issuer issuer-third_party",
        (false, _) => "issuer issuer-self",
    };
    html! {
        section class=(class) aria-labelledby="who" {
            h2 id="who" {
                span.badge {
                    @if third && muted { (t(l, "Was tested independently", "Is onafhankelijk getest", "Wurde unabhängig geprüft", "A été testé de manière indépendante")) }
                    @else if third { "✔ " (t(l, "Tested independently", "Onafhankelijk getest", "Unabhängig geprüft", "Testé de manière indépendante")) }
                    @else { "✎ " (t(l, "Declared by the maker", "Verklaard door de fabrikant", "Vom Hersteller erklärt", "Déclaré par le fabricant")) }
                }
            }
            @if third && muted {
                p.muted { (t(l, "That test does not make the label valid now: see the status above.", "Die test maakt het label nu niet geldig: zie de status hierboven.", "Diese Prüfung macht das Kennzeichen jetzt nicht gültig: siehe Status oben.", "Ce test ne rend pas le label valide aujourd'hui : voir le statut ci-dessus.")) }
            }
            @if third {
                p {
                    (t(l, "An independent testing body checked this product:", "Een onafhankelijke keuringsinstantie heeft dit product gecontroleerd:", "Eine unabhängige Prüfstelle hat dieses Produkt geprüft:", "Un organisme indépendant a contrôlé ce produit :"))
                    " " strong { (issuer.map_or("?", |o| o.name.as_str())) }
                    @if let Some(o) = issuer { " (" (o.member_state) ")" } "."
                }
            } @else {
                p {
                    (t(l, "The maker checked this product itself and declares that it meets the requirements. No independent body tested it.",
                       "De fabrikant heeft dit product zelf gecontroleerd en verklaart dat het aan de eisen voldoet. Geen onafhankelijke instantie heeft het getest.",
                       "Der Hersteller hat dieses Produkt selbst geprüft und erklärt, dass es die Anforderungen erfüllt. Keine unabhängige Stelle hat es geprüft.",
                       "Le fabricant a contrôlé ce produit lui-même et déclare qu'il respecte les exigences. Aucun organisme indépendant ne l'a testé."))
                }
            }
            @if let Some(a) = authority {
                p {
                    (t(l, "Supervised by the national authority", "Toezicht door de nationale toezichthouder", "Beaufsichtigt von der nationalen Behörde", "Sous le contrôle de l'autorité nationale"))
                    " " strong { (a.name) } " (" (a.member_state) ")."
                }
            }
        }
    }
}

fn vulnerabilities(l: Lang, r: &StatusReport) -> Markup {
    let total: usize = r.open_vulnerabilities.values().sum();
    // Without a software list nothing is checked: never say "no known problems" then.
    let not_monitored = r
        .reasons
        .iter()
        .find(|x| matches!(x, Reason::NotMonitored { .. }));
    if let (0, Some(reason)) = (total, not_monitored) {
        return html! { (reason.text(l)) };
    }
    if total == 0 {
        return html! { (t(l, "No known security problems are waiting for a fix.", "Er wachten geen bekende beveiligingsproblemen op een oplossing.", "Es warten keine bekannten Sicherheitsprobleme auf eine Behebung.", "Aucun problème de sécurité connu n'attend de correctif.")) };
    }
    html! {
        (total) " " (t(l, "known security problem(s) are not fixed yet:", "bekend(e) beveiligingsproblem(en) nog niet opgelost:", "bekannte(s) Sicherheitsproblem(e) noch nicht behoben:", "problème(s) de sécurité connu(s) pas encore corrigé(s) :"))
        " "
        @for (i, (sev, n)) in r.open_vulnerabilities.iter().filter(|(_, n)| **n > 0).enumerate() {
            @if i > 0 { ", " }
            (n) " " (severity(l, *sev))
        }
        "."
    }
}

fn severity(l: Lang, s: Severity) -> &'static str {
    match s {
        Severity::Critical => t(l, "critical", "kritiek", "kritisch", "critique(s)"),
        Severity::High => t(l, "serious", "ernstig", "schwerwiegend", "grave(s)"),
        Severity::Medium => t(l, "moderate", "middelmatig", "mittel", "moyen(s)"),
        Severity::Low => t(l, "minor", "klein", "gering", "mineur(s)"),
        Severity::Unknown => t(
            l,
            "severity not known yet",
            "ernst nog niet bekend",
            "Schwere noch nicht bekannt",
            "gravité pas encore connue",
        ),
        _ => t(
            l,
            "not rated",
            "niet beoordeeld",
            "nicht bewertet",
            "non évalué(s)",
        ),
    }
}

fn dependency_kind(l: Lang, k: DependencyKind) -> &'static str {
    match k {
        DependencyKind::Cloud => t(
            l,
            "online service",
            "onlinedienst",
            "Online-Dienst",
            "service en ligne",
        ),
        DependencyKind::Connectivity => t(
            l,
            "network connection",
            "netwerkverbinding",
            "Netzverbindung",
            "connexion réseau",
        ),
        DependencyKind::MobileApp => t(
            l,
            "phone app",
            "telefoon-app",
            "Handy-App",
            "application mobile",
        ),
        DependencyKind::Antivirus => t(
            l,
            "security service",
            "beveiligingsdienst",
            "Sicherheitsdienst",
            "service de sécurité",
        ),
        _ => t(
            l,
            "other service",
            "andere dienst",
            "anderer Dienst",
            "autre service",
        ),
    }
}

pub(crate) fn event_words(l: Lang, e: &Event) -> String {
    let s = match &e.kind {
        EventKind::Issued { .. } => t(
            l,
            "label issued",
            "label uitgegeven",
            "Kennzeichen erteilt",
            "label délivré",
        ),
        EventKind::VersionCovered { version } => {
            return format!(
                "{} {}",
                t(
                    l,
                    "security update covered: version",
                    "beveiligingsupdate gedekt: versie",
                    "Sicherheitsupdate abgedeckt: Version",
                    "mise à jour de sécurité couverte : version"
                ),
                version.version
            )
        }
        EventKind::Suspended { .. } => t(
            l,
            "label suspended",
            "label geschorst",
            "Kennzeichen ausgesetzt",
            "label suspendu",
        ),
        EventKind::SuspensionExtended { .. } => t(
            l,
            "suspension extended",
            "schorsing verlengd",
            "Aussetzung verlängert",
            "suspension prolongée",
        ),
        EventKind::Reinstated { .. } => t(
            l,
            "label valid again",
            "label weer geldig",
            "Kennzeichen wieder gültig",
            "label à nouveau valide",
        ),
        EventKind::Withdrawn { .. } => t(
            l,
            "label withdrawn",
            "label ingetrokken",
            "Kennzeichen entzogen",
            "label retiré",
        ),
        EventKind::Expired { .. } => t(
            l,
            "label expired",
            "label verlopen",
            "Kennzeichen abgelaufen",
            "label expiré",
        ),
        EventKind::Superseded { .. } => t(
            l,
            "replaced by a newer label",
            "vervangen door een nieuwer label",
            "durch ein neueres Kennzeichen ersetzt",
            "remplacé par un label plus récent",
        ),
        EventKind::MarkedLegacy => t(
            l,
            "scheme no longer issues labels",
            "schema geeft geen labels meer uit",
            "Schema vergibt keine Kennzeichen mehr",
            "le schéma ne délivre plus de labels",
        ),
        EventKind::SupportChanged { support_until } => {
            return format!(
                "{} {}",
                t(
                    l,
                    "security updates promised until",
                    "beveiligingsupdates beloofd tot",
                    "Sicherheitsupdates zugesagt bis",
                    "mises à jour promises jusqu'au"
                ),
                date(l, *support_until)
            )
        }
        EventKind::DependencyDeclared { .. } => t(
            l,
            "service dependency declared",
            "afhankelijke dienst gemeld",
            "abhängiger Dienst gemeldet",
            "service dont il dépend déclaré",
        ),
        EventKind::DependencyStatusChanged { .. } => t(
            l,
            "status of a needed service changed",
            "status van een benodigde dienst gewijzigd",
            "Status eines benötigten Dienstes geändert",
            "statut d'un service nécessaire modifié",
        ),
        EventKind::DependencyRemoved { .. } => t(
            l,
            "service dependency removed",
            "afhankelijke dienst verwijderd",
            "abhängiger Dienst entfernt",
            "service retiré",
        ),
        EventKind::VulnerabilityMatched { .. } => t(
            l,
            "security problem found",
            "beveiligingsprobleem gevonden",
            "Sicherheitsproblem gefunden",
            "problème de sécurité trouvé",
        ),
        EventKind::VulnerabilityResolved { .. } => t(
            l,
            "security problem fixed",
            "beveiligingsprobleem opgelost",
            "Sicherheitsproblem behoben",
            "problème de sécurité corrigé",
        ),
        EventKind::SupportEnded { on, .. } => {
            return format!(
                "{} {}",
                t(
                    l,
                    "security updates ended after",
                    "beveiligingsupdates gestopt na",
                    "Sicherheitsupdates beendet nach dem",
                    "mises à jour de sécurité arrêtées après le"
                ),
                date(l, *on)
            )
        }
        EventKind::IssuerAuthorisationRevoked { .. } => t(
            l,
            "the testing organisation lost its permission to test for this label",
            "de testende organisatie mag niet meer testen voor dit label",
            "die prüfende Stelle darf nicht mehr für dieses Kennzeichen prüfen",
            "l'organisme de test n'a plus le droit de tester pour ce label",
        ),
        EventKind::VersionChangeDeclared {
            version, covered, ..
        } => {
            let words = if *covered {
                t(
                    l,
                    "the maker added a version under the scheme's update rule: version",
                    "de fabrikant voegde een versie toe volgens de updateregel van het schema: versie",
                    "der Hersteller fügte nach der Update-Regel des Schemas eine Version hinzu: Version",
                    "le fabricant a ajouté une version selon la règle de mise à jour du schéma : version",
                )
            } else {
                t(
                    l,
                    "the maker asked to add version",
                    "de fabrikant vroeg versie toe te voegen:",
                    "der Hersteller beantragte die Aufnahme der Version",
                    "le fabricant a demandé l'ajout de la version",
                )
            };
            return format!("{words} {}", version.version);
        }
        EventKind::VersionConfirmed { .. } => t(
            l,
            "the testing organisation confirmed a new version",
            "de testende organisatie bevestigde een nieuwe versie",
            "die prüfende Stelle bestätigte eine neue Version",
            "l'organisme de test a confirmé une nouvelle version",
        ),
        EventKind::VersionRefused { .. } => t(
            l,
            "the testing organisation refused a new version",
            "de testende organisatie weigerde een nieuwe versie",
            "die prüfende Stelle lehnte eine neue Version ab",
            "l'organisme de test a refusé une nouvelle version",
        ),
        // ---- CRA reporting (issue 12 item 4): that a report was made or is overdue, for
        // which vulnerability; never what it says (the report is confidential).
        EventKind::CraReportSubmitted {
            report,
            vulnerability,
            ..
        } => {
            return format!(
                "{} {vulnerability} ({})",
                t(
                    l,
                    "the maker reported to the authority under the EU Cyber Resilience Act on the actively exploited security problem",
                    "de fabrikant meldde aan de toezichthouder volgens de Cyberweerbaarheidsverordening het actief misbruikte beveiligingsprobleem",
                    "der Hersteller meldete der Aufsichtsbehörde nach der Cyberresilienz-Verordnung das aktiv ausgenutzte Sicherheitsproblem",
                    "le fabricant a signalé à l'autorité selon le règlement sur la cyberrésilience le problème de sécurité activement exploité",
                ),
                cra_kind_words(l, *report)
            )
        }
        EventKind::CraReportOverdue {
            report,
            vulnerability,
            ..
        } => {
            return format!(
                "{} {} {} {vulnerability}",
                t(
                    l,
                    "overdue under the EU Cyber Resilience Act:",
                    "te laat volgens de Cyberweerbaarheidsverordening:",
                    "überfällig nach der Cyberresilienz-Verordnung:",
                    "en retard selon le règlement sur la cyberrésilience :",
                ),
                cra_kind_words(l, *report),
                t(
                    l,
                    "of the maker on the actively exploited security problem",
                    "van de fabrikant over het actief misbruikte beveiligingsprobleem",
                    "des Herstellers zum aktiv ausgenutzten Sicherheitsproblem",
                    "du fabricant sur le problème de sécurité activement exploité",
                ),
            )
        }
        #[allow(unreachable_patterns)]
        _ => e.kind.name(),
    };
    s.to_owned()
}

/// A CRA report's name in plain words.
pub(crate) fn cra_kind_words(l: Lang, k: keurmerk_domain::cra::CraKind) -> &'static str {
    use keurmerk_domain::cra::CraKind as K;
    match k {
        K::EarlyWarning => t(
            l,
            "early warning",
            "vroegtijdige waarschuwing",
            "Frühwarnung",
            "alerte précoce",
        ),
        K::Notification => t(l, "notification", "melding", "Meldung", "notification"),
        K::FinalReport => t(
            l,
            "final report",
            "eindverslag",
            "Abschlussbericht",
            "rapport final",
        ),
    }
}
