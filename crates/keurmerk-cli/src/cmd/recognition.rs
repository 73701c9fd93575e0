//! `keurmerk recognition` and `keurmerk market-access`: what a certificate is worth outside
//! its own scheme, and what a product still needs to be sold in chosen markets.

use std::process::ExitCode;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Args;
use keurmerk_domain::i18n::Lang;
use keurmerk_domain::ids::{CertificateId, RecordId};
use keurmerk_domain::recognition::{Outcome, Satisfaction};

use super::{parse_date, Ctx};

#[derive(Debug, Args)]
pub struct RecognitionArgs {
    /// Certificate id.
    id: CertificateId,
    /// The day to answer for (default: today), YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    at: Option<NaiveDate>,
    /// Machine-readable output (the JSON shape of docs/FORMATS.md).
    #[arg(long)]
    json: bool,
    /// en, nl, de or fr.
    #[arg(long, default_value = "en")]
    lang: Lang,
}

#[derive(Debug, Args)]
pub struct MarketAccessArgs {
    /// Product id (PRD-…).
    product: RecordId,
    /// Comma-separated markets: EU, UK or country codes, e.g. EU,DE,NL,FR,UK,SG,FI,KR,JP.
    #[arg(long)]
    markets: String,
    /// The day to answer for (default: today), YYYY-MM-DD.
    #[arg(long, value_parser = parse_date)]
    at: Option<NaiveDate>,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
}

pub async fn recognition(ctx: &Ctx, a: &RecognitionArgs) -> Result<ExitCode> {
    let r = ctx.registry.recognition(&a.id, a.at, a.lang).await?;
    if a.json {
        crate::output::json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    let l = a.lang;
    println!(
        "{} {} ({})",
        l.pick(
            "Recognition of",
            "Erkenning van",
            "Anerkennung von",
            "Reconnaissance de"
        ),
        r.certificate,
        r.at
    );
    println!(
        "{}: {}",
        l.pick(
            "Baseline provisions covered",
            "Gedekte basiseisen",
            "Abgedeckte Basisanforderungen",
            "Exigences de base couvertes"
        ),
        r.baseline.covered.len()
    );
    if !r.baseline.missing_mandatory.is_empty() {
        println!(
            "{}: {}",
            l.pick(
                "Mandatory baseline provisions not covered",
                "Verplichte basiseisen niet gedekt",
                "Nicht abgedeckte Pflichtanforderungen",
                "Exigences obligatoires non couvertes"
            ),
            r.baseline.missing_mandatory.join(", ")
        );
    }
    for t in &r.targets {
        let outcome = match t.outcome {
            Outcome::Accepted => l.pick("accepted", "geaccepteerd", "anerkannt", "reconnu"),
            Outcome::MeetsRequirements => l.pick(
                "meets the requirements",
                "voldoet aan de eisen",
                "erfüllt die Anforderungen",
                "répond aux exigences",
            ),
            Outcome::NotAccepted => l.pick(
                "not accepted",
                "niet geaccepteerd",
                "nicht anerkannt",
                "non reconnu",
            ),
        };
        println!(
            "{}/{} [{}]: {outcome}",
            t.scheme,
            t.level,
            t.jurisdictions.join(",")
        );
        for w in &t.reasons {
            println!("    {}", w.text);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn market_access(ctx: &Ctx, a: &MarketAccessArgs) -> Result<ExitCode> {
    let m = ctx
        .registry
        .market_access(&a.product, &a.markets, a.at)
        .await?;
    if a.json {
        crate::output::json(&m)?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Market access of {} ({}) on {}; certificates considered: {}",
        m.product,
        m.category,
        m.at,
        if m.certificates.is_empty() {
            "none".to_owned()
        } else {
            m.certificates.join(", ")
        }
    );
    for market in &m.markets {
        println!("{}:", market.market);
        if market.mandatory.is_empty() {
            println!("  no legal requirement for this kind of product");
        }
        for r in &market.mandatory {
            let how = match r.satisfied {
                Satisfaction::Directly => format!("met by {}", r.certificates.join(", ")),
                Satisfaction::Deemed => {
                    format!("deemed met through {}", r.certificates.join(", "))
                }
                Satisfaction::ByAgreement => {
                    format!("met by agreement through {}", r.certificates.join(", "))
                }
                Satisfaction::MeetsRequirements => {
                    "requirements covered; its own declaration is still needed".to_owned()
                }
                Satisfaction::NotSatisfied => {
                    let mut s = format!("missing {} provision(s)", r.missing.len());
                    if !r.missing.is_empty() {
                        s.push_str(&format!(": {}", r.missing.join(", ")));
                    }
                    if !r.also_required.is_empty() {
                        s.push_str(&format!("; also {}", r.also_required.join(", ")));
                    }
                    s
                }
            };
            println!(
                "  {} {} ({}, since {}): {how}",
                r.status.as_str(),
                r.name,
                r.jurisdiction,
                r.since.map_or("always".to_owned(), |d| d.to_string())
            );
        }
        for u in &market.upcoming {
            println!(
                "  from {}: {} becomes {} ({})",
                u.from,
                u.scheme,
                u.status.as_str(),
                u.jurisdiction
            );
        }
        let earned: Vec<String> = market
            .voluntary
            .iter()
            .filter(|v| v.outcome == Outcome::Accepted)
            .map(|v| format!("{}/{}", v.scheme, v.level))
            .collect();
        if !earned.is_empty() {
            println!("  voluntary labels already earned: {}", earned.join(", "));
        }
    }
    if m.plan.regimes.is_empty() {
        println!("Plan: nothing more is legally required in these markets.");
    } else {
        println!(
            "Plan: assess {} more baseline provision(s): {}",
            m.plan.provisions.len(),
            m.plan.provisions.join(", ")
        );
        if !m.plan.also_required.is_empty() {
            println!(
                "  and outside the baseline: {}",
                m.plan.also_required.join(", ")
            );
        }
        println!("  then obtain: {}", m.plan.regimes.join(", "));
        if !m.plan.unlocks.is_empty() {
            println!(
                "  this also meets the requirements of: {}",
                m.plan.unlocks.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
