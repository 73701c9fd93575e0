use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use keurmerk_domain::ids::RecordId;
use maud::html;

use super::{date, error_page, href, lang_of, layout, page, service_error_page, t, PageLang};
use crate::AppState;

pub(crate) async fn get_product_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageLang>,
    headers: HeaderMap,
) -> Response {
    let l = lang_of(&q, &headers);
    let here = format!("/products/{id}");
    let Ok(id) = id.parse::<RecordId>() else {
        return error_page(l, StatusCode::NOT_FOUND, &here);
    };
    let d = match state.registry.product_details(&id).await {
        Ok(d) => d,
        Err(e) => return service_error_page(l, e, &here),
    };
    let maker = state
        .registry
        .organisation(&d.product.manufacturer)
        .await
        .ok();
    let mut statuses = Vec::new();
    for c in &d.certificates {
        statuses.push(state.registry.status(&c.id).await.ok());
    }
    // Fails closed: an error is shown as "could not be computed", never as a clean record.
    let record = state.registry.product_update_record(&id).await.ok();
    let title = format!("{} {}", d.product.name, d.product.model);
    let body = html! {
        h1 { (d.product.name) " " span.muted { (d.product.model) } }
        dl {
            dt { (t(l, "Maker", "Fabrikant", "Hersteller", "Fabricant")) }
            dd { (maker.as_ref().map_or(d.product.manufacturer.as_str(), |m| m.name.as_str())) }
            @if let Some(g) = &d.product.identifiers.gtin {
                dt { (t(l, "Barcode (GTIN)", "Streepjescode (GTIN)", "Strichcode (GTIN)", "Code-barres (GTIN)")) }
                dd { (g) }
            }
            dt { (t(l, "Security updates until", "Beveiligingsupdates tot", "Sicherheitsupdates bis", "Mises à jour de sécurité jusqu'au")) }
            dd {
                @match &d.support {
                    Some(s) => (date(l, s.support_until)),
                    None => (t(l, "The maker has not said.", "De fabrikant heeft dit niet bekendgemaakt.", "Der Hersteller hat das nicht angegeben.", "Le fabricant ne l'a pas indiqué.")),
                }
            }
        }
        h2 { (t(l, "Labels", "Labels", "Kennzeichen", "Labels")) }
        @if d.certificates.is_empty() {
            p { (t(l, "This product has no label.", "Dit product heeft geen label.", "Dieses Produkt hat kein Kennzeichen.", "Ce produit n'a pas de label.")) }
        } @else {
            ul {
                @for (c, s) in d.certificates.iter().zip(&statuses) {
                    li {
                        a href=(href(&format!("/c/{}", c.id), l)) { (c.id) } " – " (c.scheme) " " (c.level)
                        @if let Some(s) = s { ": " strong { (s.status.title(l)) } }
                    }
                }
            }
        }
        (super::update_record::product_section(l, &d.product.id, record.as_ref()))
        h2 { (t(l, "Versions", "Versies", "Versionen", "Versions")) }
        @if d.versions.is_empty() {
            p { (t(l, "No versions published.", "Geen versies gepubliceerd.", "Keine Versionen veröffentlicht.", "Aucune version publiée.")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (t(l, "Version", "Versie", "Version", "Version")) }
                    th scope="col" { (t(l, "Released", "Uitgebracht", "Veröffentlicht", "Publiée le")) }
                    th scope="col" { (t(l, "Security update", "Beveiligingsupdate", "Sicherheitsupdate", "Mise à jour de sécurité")) }
                } }
                tbody {
                    @for v in d.versions.iter().rev() {
                        tr {
                            td { (v.version) }
                            td { (date(l, v.released_on)) }
                            td { @if v.security_update { (t(l, "yes", "ja", "ja", "oui")) } @else { (t(l, "no", "nee", "nein", "non")) } }
                        }
                    }
                }
            }
        }
        h2 { (t(l, "Services this product needs", "Diensten die dit product nodig heeft", "Dienste, die dieses Produkt braucht", "Services dont ce produit a besoin")) }
        @if d.dependencies.is_empty() {
            p { (t(l, "None listed.", "Geen opgegeven.", "Keine angegeben.", "Aucun indiqué.")) }
        } @else {
            ul {
                @for dep in &d.dependencies {
                    li {
                        (dep.service) " (" (dep.provider) ")"
                        @if let Some(c) = &dep.certificate { " – " a href=(href(&format!("/c/{c}"), l)) { (c) } }
                    }
                }
            }
        }
        p {
            a href=(href(&format!("/products/{}/feed", d.product.id), l)) { (t(l, "Status changes of this product", "Statuswijzigingen van dit product", "Statusänderungen dieses Produkts", "Changements de statut de ce produit")) }
            " · "
            a href=(format!("/products/{}/feed.atom?lang={}", d.product.id, l.tag())) type="application/atom+xml" { (t(l, "Follow this product (Atom)", "Volg dit product (Atom)", "Diesem Produkt folgen (Atom)", "Suivre ce produit (Atom)")) }
        }
    };
    page(StatusCode::OK, l, layout(l, &title, &here, body))
}
