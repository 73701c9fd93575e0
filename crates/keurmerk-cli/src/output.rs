//! Human-readable output. `--json` output goes through [`json`].

use anyhow::Result;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::model::{IssuerKind, Organisation};
use keurmerk_service::demo::DemoSummary;
use keurmerk_service::{CertificateDetails, ProductDetails};
use serde::Serialize;

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn demo_summary(s: &DemoSummary) {
    println!("Demo registry seeded:");
    println!("  {} organisations", s.organisations.len());
    for (id, role) in &s.organisations {
        println!("    {id:<16} {role}");
    }
    println!("  {} products", s.products.len());
    for (id, name) in &s.products {
        println!("    {id:<11} {name}");
    }
    println!("  {} certificates", s.certificates.len());
    for (id, what) in &s.certificates {
        println!("    {id:<15} {what}");
    }
}

pub fn product(d: &ProductDetails) {
    let p = &d.product;
    println!("{} — {} ({}), by {}", p.id, p.name, p.model, p.manufacturer);
    match &d.support {
        Some(s) => println!(
            "Security updates until {} ({}), report problems to {}",
            s.support_until, s.update_policy, s.vulnerability_contact
        ),
        None => println!("No support period published"),
    }
    println!("Versions:");
    for v in &d.versions {
        println!(
            "  {:<11} {:<12} {}{}",
            v.id,
            v.version,
            v.released_on,
            if v.security_update {
                "  security update"
            } else {
                ""
            }
        );
    }
    println!("Dependencies:");
    for dep in &d.dependencies {
        let cert = dep
            .certificate
            .as_ref()
            .map_or("no certificate".to_owned(), ToString::to_string);
        println!(
            "  {:<11} {:<13} {} ({}) — {cert}",
            dep.id, dep.kind, dep.service, dep.provider
        );
    }
    println!("Certificates:");
    for c in &d.certificates {
        println!(
            "  {:<15} {} {} {} {}",
            c.id,
            c.scheme,
            c.level,
            keurmerk_server::wire::issuer_kind_name(c.issuer_kind),
            c.state
        );
    }
}

pub fn status(
    d: &CertificateDetails,
    issuer: &Organisation,
    scheme: Option<&keurmerk_domain::Scheme>,
    lang: Lang,
) {
    let st = &d.status;
    println!(
        "{}  {} ({})",
        d.certificate.id, d.product.name, d.product.model
    );
    println!(
        "{}: {}",
        st.status.title(lang).to_uppercase(),
        st.explanation(lang)
    );
    let who = match d.certificate.issuer_kind {
        IssuerKind::SelfDeclared => lang.pick(
            format!("Self-declared by the manufacturer ({}). No independent body tested it.", issuer.name),
            format!("Zelf verklaard door de fabrikant ({}). Geen onafhankelijke instantie heeft het getest.", issuer.name),
            format!("Vom Hersteller selbst erklärt ({}). Keine unabhängige Stelle hat es geprüft.", issuer.name),
            format!("Autodéclaré par le fabricant ({}). Aucun organisme indépendant ne l'a testé.", issuer.name),
        ),
        IssuerKind::ThirdParty => lang.pick(
            format!("Tested by an independent body ({}).", issuer.name),
            format!("Getest door een onafhankelijke instantie ({}).", issuer.name),
            format!("Von einer unabhängigen Stelle geprüft ({}).", issuer.name),
            format!("Testé par un organisme indépendant ({}).", issuer.name),
        ),
    };
    println!("{who}");
    // The scheme's and level's names in the reader's language (the scheme file's texts).
    let (scheme_name, level_name) = match scheme {
        Some(s) => (
            format!("{} – {}", s.short_name, s.title_in(lang)),
            s.level_name_in(&d.certificate.level, lang).to_owned(),
        ),
        None => (
            d.certificate.scheme.to_string(),
            d.certificate.level.to_string(),
        ),
    };
    println!(
        "{} {scheme_name}; {} {level_name}",
        lang.pick("Scheme:", "Schema:", "Schema:", "Schéma :"),
        lang.pick("level", "niveau", "Stufe", "niveau"),
    );
    // The one date line the status allows (never "valid until" under a withdrawal).
    let facts = keurmerk_domain::status::StatusFacts::of(st);
    if let Some(day) = facts.validity.date() {
        println!("{} {day}", facts.validity.label(lang));
    }
    if let Some(s) = st.support_until {
        println!(
            "{} {s}",
            lang.pick(
                "Security updates until",
                "Beveiligingsupdates tot",
                "Sicherheitsupdates bis",
                "Mises à jour de sécurité jusqu'au"
            )
        );
    }
    if !st.covered_versions.is_empty() {
        println!(
            "{} {}",
            lang.pick(
                "Covered versions:",
                "Gedekte versies:",
                "Abgedeckte Versionen:",
                "Versions couvertes :"
            ),
            st.covered_versions.join(", ")
        );
    }
    if let Some(v) = &st.version {
        println!(
            "{} {}",
            lang.pick(
                "Answer for version",
                "Antwoord voor versie",
                "Antwort für Version",
                "Réponse pour la version"
            ),
            v.version
        );
    }
    for r in &st.reasons {
        println!("  - {}", r.text(lang));
    }
}
