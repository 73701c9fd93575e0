//! OpenVEX (v0.0.1 and v0.2.0 shapes: vulnerability and products as strings or objects).

use serde::Deserialize;

use super::{Justification, VexFormat, VexProduct, VexSource, VexStatement, VexStatus};
use crate::source::{error::json_from_slice, ParseError, ParseErrorKind};

#[derive(Deserialize)]
struct Doc {
    #[serde(rename = "@context")]
    context: String,
    #[serde(rename = "@id")]
    id: Option<String>,
    author: Option<String>,
    timestamp: Option<String>,
    statements: Vec<Statement>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Vuln {
    Id(String),
    Object {
        name: Option<String>,
        #[serde(rename = "@id")]
        id: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Product {
    Id(String),
    Object {
        #[serde(rename = "@id")]
        id: Option<String>,
        identifiers: Option<Identifiers>,
        #[serde(default)]
        subcomponents: Vec<Product>,
    },
}

#[derive(Deserialize)]
struct Identifiers {
    purl: Option<String>,
    cpe23: Option<String>,
    cpe22: Option<String>,
}

#[derive(Deserialize)]
struct Statement {
    vulnerability: Vuln,
    #[serde(default)]
    products: Vec<Product>,
    #[serde(default)]
    subcomponents: Vec<Product>,
    status: String,
    justification: Option<String>,
    impact_statement: Option<String>,
    action_statement: Option<String>,
    timestamp: Option<String>,
    last_updated: Option<String>,
}

fn product(p: &Product) -> VexProduct {
    let (id, ident) = match p {
        Product::Id(s) => (Some(s.as_str()), None),
        Product::Object {
            id, identifiers, ..
        } => (id.as_deref(), identifiers.as_ref()),
    };
    let purl = ident
        .and_then(|i| i.purl.as_deref())
        .or(id.filter(|s| s.starts_with("pkg:")));
    let mut out = match purl {
        Some(p) => VexProduct::from_purl(p),
        None => VexProduct::empty(),
    };
    out.cpe = ident
        .and_then(|i| i.cpe23.clone().or_else(|| i.cpe22.clone()))
        .or_else(|| id.filter(|s| s.starts_with("cpe:")).map(str::to_owned));
    if out.purl.is_none() && out.cpe.is_none() {
        out.name = id.map(str::to_owned);
    }
    out
}

pub(super) fn parse(name: &str, bytes: &[u8]) -> Result<Vec<VexStatement>, ParseError> {
    let doc: Doc = json_from_slice(name, bytes)?;
    if !doc.context.contains("openvex") {
        return Err(ParseError::new(
            name,
            ParseErrorKind::UnknownFormat,
            format!("@context {:?} is not an OpenVEX context", doc.context),
        )
        .with_field("@context"));
    }
    let source = VexSource {
        format: VexFormat::OpenVex,
        document: name.to_owned(),
        document_id: doc.id.clone(),
        author: doc.author.clone(),
    };
    let mut out = Vec::new();
    for (i, st) in doc.statements.iter().enumerate() {
        let Some(status) = VexStatus::from_openvex(&st.status) else {
            return Err(ParseError::new(
                name,
                ParseErrorKind::Schema,
                format!(
                    "unknown status {:?} (expected not_affected, affected, fixed or under_investigation)",
                    st.status
                ),
            )
            .with_field(format!("statements[{i}].status")));
        };
        let (vulnerability, aliases) = match &st.vulnerability {
            Vuln::Id(s) => (s.clone(), Vec::new()),
            Vuln::Object {
                name: n,
                id,
                aliases,
            } => match n.clone().or_else(|| id.clone()) {
                Some(v) => (v, aliases.clone()),
                None => {
                    return Err(ParseError::new(
                        name,
                        ParseErrorKind::Schema,
                        "vulnerability has neither `name` nor `@id`",
                    )
                    .with_field(format!("statements[{i}].vulnerability.name")))
                }
            },
        };
        if st.products.is_empty() {
            return Err(
                ParseError::new(name, ParseErrorKind::Schema, "statement has no products")
                    .with_field(format!("statements[{i}].products")),
            );
        }
        let timestamp = st
            .last_updated
            .clone()
            .or_else(|| st.timestamp.clone())
            .or_else(|| doc.timestamp.clone());
        for p in &st.products {
            let nested = match p {
                Product::Object { subcomponents, .. } => subcomponents.as_slice(),
                Product::Id(_) => &[],
            };
            let subs: Vec<Option<VexProduct>> = if nested.is_empty() && st.subcomponents.is_empty()
            {
                vec![None]
            } else {
                nested
                    .iter()
                    .chain(st.subcomponents.iter())
                    .map(|s| Some(product(s)))
                    .collect()
            };
            for sub in subs {
                out.push(VexStatement {
                    vulnerability: vulnerability.clone(),
                    aliases: aliases.clone(),
                    product: product(p),
                    subcomponent: sub,
                    status,
                    justification: st.justification.as_deref().map(Justification::parse),
                    impact_statement: st.impact_statement.clone(),
                    action_statement: st.action_statement.clone(),
                    timestamp: timestamp.clone(),
                    source: source.clone(),
                });
            }
        }
    }
    Ok(out)
}
