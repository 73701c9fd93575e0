//! CycloneDX VEX: `vulnerabilities[]` with `analysis` and `affects[]` (refs resolved against the BOM's own
//! components when the VEX is embedded).

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    Justification, VersionSpec, VexFormat, VexProduct, VexSource, VexStatement, VexStatus,
};
use crate::source::{error::json_from_slice, ParseError, ParseErrorKind};

#[derive(Deserialize)]
struct Bom {
    #[serde(rename = "bomFormat")]
    bom_format: String,
    #[serde(rename = "serialNumber")]
    serial_number: Option<String>,
    metadata: Option<Metadata>,
    #[serde(default)]
    components: Vec<Comp>,
    #[serde(default)]
    vulnerabilities: Vec<Vuln>,
}

#[derive(Deserialize)]
struct Metadata {
    timestamp: Option<String>,
    component: Option<Comp>,
}

#[derive(Deserialize)]
struct Comp {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    name: Option<String>,
    version: Option<String>,
    purl: Option<String>,
    cpe: Option<String>,
    #[serde(default)]
    components: Vec<Comp>,
}

#[derive(Deserialize)]
struct Vuln {
    id: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    analysis: Option<Analysis>,
    #[serde(default)]
    affects: Vec<Affects>,
    published: Option<String>,
    updated: Option<String>,
}

#[derive(Deserialize)]
struct Reference {
    id: String,
}

#[derive(Deserialize)]
struct Analysis {
    state: Option<String>,
    justification: Option<String>,
    #[serde(default)]
    response: Vec<String>,
    detail: Option<String>,
    #[serde(rename = "lastUpdated")]
    last_updated: Option<String>,
    #[serde(rename = "firstIssued")]
    first_issued: Option<String>,
}

#[derive(Deserialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(default)]
    versions: Vec<AffectedVersion>,
}

#[derive(Deserialize)]
struct AffectedVersion {
    version: Option<String>,
    range: Option<String>,
    status: Option<String>,
}

fn index<'a>(c: &'a Comp, map: &mut HashMap<&'a str, &'a Comp>) {
    if let Some(r) = &c.bom_ref {
        map.insert(r.as_str(), c);
    }
    for child in &c.components {
        index(child, map);
    }
}

/// Map an analysis state to a status. Missing analysis on a listed vulnerability means "affected".
fn state_status(state: Option<&str>) -> Option<VexStatus> {
    Some(match state {
        None | Some("exploitable") => VexStatus::Affected,
        Some("not_affected" | "false_positive") => VexStatus::NotAffected,
        Some("resolved" | "resolved_with_pedigree") => VexStatus::Fixed,
        Some("in_triage") => VexStatus::UnderInvestigation,
        Some(_) => return None,
    })
}

pub(super) fn parse(name: &str, bytes: &[u8]) -> Result<Vec<VexStatement>, ParseError> {
    let bom: Bom = json_from_slice(name, bytes)?;
    if bom.bom_format != "CycloneDX" {
        return Err(ParseError::new(
            name,
            ParseErrorKind::UnknownFormat,
            format!("bomFormat {:?} is not CycloneDX", bom.bom_format),
        )
        .with_field("bomFormat"));
    }
    let mut refs = HashMap::new();
    if let Some(c) = bom.metadata.as_ref().and_then(|m| m.component.as_ref()) {
        index(c, &mut refs);
    }
    for c in &bom.components {
        index(c, &mut refs);
    }
    let source = VexSource {
        format: VexFormat::CycloneDx,
        document: name.to_owned(),
        document_id: bom.serial_number.clone(),
        author: None,
    };
    let meta_ref = bom
        .metadata
        .as_ref()
        .and_then(|m| m.component.as_ref())
        .and_then(|c| c.bom_ref.clone());
    let doc_time = bom.metadata.as_ref().and_then(|m| m.timestamp.clone());
    let mut out = Vec::new();
    for (i, v) in bom.vulnerabilities.iter().enumerate() {
        let Some(id) = v.id.clone() else {
            return Err(
                ParseError::new(name, ParseErrorKind::Schema, "vulnerability has no `id`")
                    .with_field(format!("vulnerabilities[{i}].id")),
            );
        };
        let analysis = v.analysis.as_ref();
        let state = analysis.and_then(|a| a.state.as_deref());
        let Some(status) = state_status(state) else {
            return Err(ParseError::new(
                name,
                ParseErrorKind::Schema,
                format!("unknown analysis state {:?}", state.unwrap_or_default()),
            )
            .with_field(format!("vulnerabilities[{i}].analysis.state")));
        };
        let mut aliases: Vec<String> = v.references.iter().map(|r| r.id.clone()).collect();
        aliases.retain(|a| a != &id);
        let justification = analysis
            .and_then(|a| a.justification.as_deref())
            .map(Justification::parse);
        let detail = analysis.and_then(|a| a.detail.clone());
        let action = analysis.and_then(|a| {
            if a.response.is_empty() {
                None
            } else {
                Some(a.response.join(", "))
            }
        });
        let timestamp = analysis
            .and_then(|a| a.last_updated.clone().or_else(|| a.first_issued.clone()))
            .or_else(|| v.updated.clone())
            .or_else(|| v.published.clone())
            .or_else(|| doc_time.clone());
        // No `affects`: the statement is about the BOM's own subject (metadata component), or - when
        // there is none - about whatever product the VEX document is supplied with.
        let whole_doc = [Affects {
            reference: meta_ref.clone().unwrap_or_default(),
            versions: Vec::new(),
        }];
        let affects = if v.affects.is_empty() {
            &whole_doc[..]
        } else {
            &v.affects[..]
        };
        for aff in affects {
            let base = if aff.reference.is_empty() {
                VexProduct::empty()
            } else {
                resolve(&aff.reference, &refs)
            };
            let mut variants: Vec<(VexProduct, VexStatus)> = Vec::new();
            if aff.versions.is_empty() {
                variants.push((base.clone(), status));
            }
            for (j, ver) in aff.versions.iter().enumerate() {
                let mut p = base.clone();
                p.version = match (&ver.version, &ver.range) {
                    (Some(x), _) => VersionSpec::Exact(x.clone()),
                    (None, Some(r)) => VersionSpec::Range(r.clone()),
                    (None, None) => {
                        return Err(ParseError::new(
                            name,
                            ParseErrorKind::Schema,
                            "affected version has neither `version` nor `range`",
                        )
                        .with_field(format!("vulnerabilities[{i}].affects[{j}].versions")))
                    }
                };
                let st = match ver.status.as_deref() {
                    None | Some("affected") => {
                        if status == VexStatus::NotAffected {
                            VexStatus::Affected
                        } else {
                            status
                        }
                    }
                    Some("unaffected") => VexStatus::NotAffected,
                    Some("unknown") => VexStatus::UnderInvestigation,
                    Some(other) => {
                        return Err(ParseError::new(
                            name,
                            ParseErrorKind::Schema,
                            format!("unknown version status {other:?}"),
                        )
                        .with_field(format!("vulnerabilities[{i}].affects[{j}].versions.status")))
                    }
                };
                variants.push((p, st));
            }
            for (product, st) in variants {
                let not_aff = st == VexStatus::NotAffected;
                out.push(VexStatement {
                    vulnerability: id.clone(),
                    aliases: aliases.clone(),
                    product,
                    subcomponent: None,
                    status: st,
                    justification: if not_aff { justification.clone() } else { None },
                    impact_statement: if not_aff { detail.clone() } else { None },
                    action_statement: if not_aff {
                        None
                    } else {
                        action.clone().or_else(|| detail.clone())
                    },
                    timestamp: timestamp.clone(),
                    source: source.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// Resolve an `affects[].ref`: strip a BOM-link prefix, then use the BOM's component of that `bom-ref`
/// if present, and treat a ref that is itself a purl as one.
fn resolve(reference: &str, refs: &HashMap<&str, &Comp>) -> VexProduct {
    let bom_ref = if reference.starts_with("urn:cdx:") {
        reference.split_once('#').map_or(reference, |(_, r)| r)
    } else {
        reference
    };
    let mut p = match refs.get(bom_ref) {
        Some(c) => {
            let mut p = match &c.purl {
                Some(purl) => VexProduct::from_purl(purl),
                None => VexProduct::empty(),
            };
            p.cpe = c.cpe.clone();
            p.name = c.name.clone();
            if p.version == VersionSpec::Any {
                if let Some(v) = &c.version {
                    p.version = VersionSpec::Exact(v.clone());
                }
            }
            p
        }
        None if bom_ref.starts_with("pkg:") => VexProduct::from_purl(bom_ref),
        None => VexProduct::empty(),
    };
    p.bom_ref = Some(bom_ref.to_owned());
    p
}
