//! CycloneDX JSON and SPDX JSON, read in one streaming pass into a struct that accepts the top-level keys
//! of both formats (their key sets do not clash), so that detection needs no buffering.

use std::io::Read;

use serde::Deserialize;

use super::{normalise_alg, Component, Hash, Sbom, SbomFormat};
use crate::source::{error::json_from_reader, ParseError, ParseErrorKind};

#[derive(Deserialize)]
struct AnyJson {
    #[serde(rename = "bomFormat")]
    bom_format: Option<String>,
    #[serde(rename = "specVersion")]
    spec_version: Option<String>,
    #[serde(rename = "serialNumber")]
    serial_number: Option<String>,
    version: Option<u64>,
    metadata: Option<CdxMetadata>,
    #[serde(default)]
    components: Vec<CdxComponent>,

    #[serde(rename = "spdxVersion")]
    spdx_version: Option<String>,
    #[serde(rename = "documentNamespace")]
    document_namespace: Option<String>,
    #[serde(default)]
    packages: Vec<SpdxPackage>,
    #[serde(rename = "documentDescribes", default)]
    document_describes: Vec<String>,
    #[serde(default)]
    relationships: Vec<SpdxRelationship>,
}

#[derive(Deserialize)]
struct CdxMetadata {
    component: Option<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxComponent {
    #[serde(rename = "bom-ref")]
    bom_ref: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    group: Option<String>,
    name: String,
    version: Option<String>,
    purl: Option<String>,
    cpe: Option<String>,
    #[serde(default)]
    hashes: Vec<CdxHash>,
    #[serde(default)]
    licenses: Vec<CdxLicenseChoice>,
    scope: Option<String>,
    supplier: Option<CdxOrg>,
    #[serde(default)]
    components: Vec<CdxComponent>,
}

#[derive(Deserialize)]
struct CdxHash {
    alg: String,
    content: String,
}

#[derive(Deserialize)]
struct CdxLicenseChoice {
    license: Option<CdxLicense>,
    expression: Option<String>,
}

#[derive(Deserialize)]
struct CdxLicense {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct CdxOrg {
    name: Option<String>,
}

#[derive(Deserialize)]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(rename = "versionInfo")]
    version_info: Option<String>,
    supplier: Option<String>,
    #[serde(rename = "licenseConcluded")]
    license_concluded: Option<String>,
    #[serde(rename = "licenseDeclared")]
    license_declared: Option<String>,
    #[serde(default)]
    checksums: Vec<SpdxChecksum>,
    #[serde(rename = "externalRefs", default)]
    external_refs: Vec<SpdxExternalRef>,
}

#[derive(Deserialize)]
struct SpdxChecksum {
    algorithm: String,
    #[serde(rename = "checksumValue")]
    checksum_value: String,
}

#[derive(Deserialize)]
struct SpdxExternalRef {
    #[serde(rename = "referenceCategory")]
    reference_category: String,
    #[serde(rename = "referenceType")]
    reference_type: String,
    #[serde(rename = "referenceLocator")]
    reference_locator: String,
}

#[derive(Deserialize)]
struct SpdxRelationship {
    #[serde(rename = "spdxElementId")]
    spdx_element_id: String,
    #[serde(rename = "relationshipType")]
    relationship_type: String,
    #[serde(rename = "relatedSpdxElement")]
    related_spdx_element: String,
}

pub(super) fn parse<R: Read>(
    name: &str,
    reader: R,
    expected: Option<SbomFormat>,
) -> Result<Sbom, ParseError> {
    let doc: AnyJson = json_from_reader(name, reader)?;
    let is_cdx = doc.bom_format.is_some() || doc.spec_version.is_some();
    let is_spdx = doc.spdx_version.is_some();
    let format = match (is_cdx, is_spdx) {
        (true, false) => SbomFormat::CycloneDxJson,
        (false, true) => SbomFormat::SpdxJson,
        (true, true) => {
            return Err(ParseError::new(
                name,
                ParseErrorKind::UnknownFormat,
                "document has both CycloneDX (`bomFormat`) and SPDX (`spdxVersion`) keys",
            ))
        }
        (false, false) => {
            return Err(ParseError::new(
                name,
                ParseErrorKind::UnknownFormat,
                "not an SBOM: neither `bomFormat`/`specVersion` (CycloneDX) nor `spdxVersion` (SPDX) present",
            ))
        }
    };
    if let Some(exp) = expected {
        if exp != format {
            return Err(ParseError::new(
                name,
                ParseErrorKind::UnknownFormat,
                format!("expected {exp:?}, found {format:?}"),
            ));
        }
    }
    match format {
        SbomFormat::SpdxJson => spdx(name, doc),
        _ => cyclonedx(name, doc),
    }
}

fn cyclonedx(name: &str, doc: AnyJson) -> Result<Sbom, ParseError> {
    match doc.bom_format.as_deref() {
        Some("CycloneDX") => {}
        Some(other) => {
            return Err(ParseError::new(
                name,
                ParseErrorKind::Schema,
                format!("unsupported bomFormat {other:?} (expected \"CycloneDX\")"),
            )
            .with_field("bomFormat"))
        }
        None => {
            return Err(
                ParseError::new(name, ParseErrorKind::Schema, "missing field `bomFormat`")
                    .with_field("bomFormat"),
            )
        }
    }
    let Some(spec_version) = doc.spec_version else {
        return Err(
            ParseError::new(name, ParseErrorKind::Schema, "missing field `specVersion`")
                .with_field("specVersion"),
        );
    };
    if !spec_version.starts_with("1.") {
        return Err(ParseError::new(
            name,
            ParseErrorKind::Schema,
            format!("unsupported CycloneDX specVersion {spec_version:?}"),
        )
        .with_field("specVersion"));
    }
    let metadata_component = doc.metadata.and_then(|m| m.component).map(|c| {
        // The metadata component's own sub-components belong to the inventory too.
        let mut flat = Vec::new();
        let root = flatten(c, None, &mut flat);
        (root, flat)
    });
    let mut components = Vec::with_capacity(doc.components.len());
    let metadata_component = metadata_component.map(|(root, flat)| {
        components.extend(flat);
        root
    });
    for c in doc.components {
        flatten_into(c, None, &mut components);
    }
    Ok(Sbom {
        format: SbomFormat::CycloneDxJson,
        spec_version,
        serial: doc.serial_number,
        version: doc.version,
        metadata_component,
        components,
    })
}

/// Convert `c` and return it, pushing its descendants (flattened) into `out`.
fn flatten(c: CdxComponent, parent: Option<&str>, out: &mut Vec<Component>) -> Component {
    let (comp, children) = convert(c, parent);
    for child in children {
        flatten_into(child, comp.bom_ref.as_deref(), out);
    }
    comp
}

/// Push `c` then its descendants into `out`, in document order.
fn flatten_into(c: CdxComponent, parent: Option<&str>, out: &mut Vec<Component>) {
    let (comp, children) = convert(c, parent);
    let own_ref = comp.bom_ref.clone();
    out.push(comp);
    for child in children {
        flatten_into(child, own_ref.as_deref(), out);
    }
}

fn convert(c: CdxComponent, parent: Option<&str>) -> (Component, Vec<CdxComponent>) {
    let licenses = c
        .licenses
        .into_iter()
        .filter_map(|l| {
            l.expression
                .or_else(|| l.license.and_then(|lic| lic.id.or(lic.name)))
        })
        .collect();
    (
        Component {
            bom_ref: c.bom_ref,
            kind: c.kind,
            group: c.group.filter(|g| !g.is_empty()),
            name: c.name,
            version: c.version,
            purl: None,
            purl_raw: c.purl.filter(|p| !p.is_empty()),
            purl_error: None,
            cpe: c.cpe.filter(|p| !p.is_empty()),
            hashes: c
                .hashes
                .into_iter()
                .map(|h| Hash {
                    alg: h.alg,
                    content: h.content,
                })
                .collect(),
            licenses,
            scope: c.scope,
            supplier: c.supplier.and_then(|s| s.name),
            parent: parent.map(str::to_owned),
        },
        c.components,
    )
}

fn spdx(name: &str, doc: AnyJson) -> Result<Sbom, ParseError> {
    let spec_version = doc.spdx_version.unwrap_or_default();
    if !spec_version.starts_with("SPDX-2.") {
        return Err(ParseError::new(
            name,
            ParseErrorKind::Schema,
            format!("unsupported spdxVersion {spec_version:?} (expected SPDX-2.x)"),
        )
        .with_field("spdxVersion"));
    }
    let mut described: Vec<String> = doc.document_describes;
    for r in &doc.relationships {
        if r.relationship_type == "DESCRIBES" && r.spdx_element_id == "SPDXRef-DOCUMENT" {
            described.push(r.related_spdx_element.clone());
        } else if r.relationship_type == "DESCRIBED_BY"
            && r.related_spdx_element == "SPDXRef-DOCUMENT"
        {
            described.push(r.spdx_element_id.clone());
        }
    }
    described.sort();
    described.dedup();
    let mut components: Vec<Component> = doc.packages.into_iter().map(spdx_package).collect();
    let mut metadata_component = None;
    if let [only] = described.as_slice() {
        if let Some(i) = components
            .iter()
            .position(|c| c.bom_ref.as_deref() == Some(only.as_str()))
        {
            metadata_component = Some(components.remove(i));
        }
    }
    Ok(Sbom {
        format: SbomFormat::SpdxJson,
        spec_version,
        serial: doc.document_namespace,
        version: None,
        metadata_component,
        components,
    })
}

fn spdx_package(p: SpdxPackage) -> Component {
    let mut purl = None;
    let mut cpe = None;
    for r in p.external_refs {
        let cat = r.reference_category.to_ascii_uppercase().replace('_', "-");
        match (cat.as_str(), r.reference_type.as_str()) {
            ("PACKAGE-MANAGER", "purl") if purl.is_none() => purl = Some(r.reference_locator),
            ("SECURITY", "cpe23Type") => cpe = Some(r.reference_locator),
            ("SECURITY", "cpe22Type") if cpe.is_none() => cpe = Some(r.reference_locator),
            _ => {}
        }
    }
    let licenses = [p.license_concluded, p.license_declared]
        .into_iter()
        .flatten()
        .filter(|l| l != "NOASSERTION" && l != "NONE" && !l.is_empty())
        .fold(Vec::new(), |mut acc: Vec<String>, l| {
            if !acc.contains(&l) {
                acc.push(l);
            }
            acc
        });
    let supplier = p.supplier.filter(|s| s != "NOASSERTION").map(|s| {
        s.split_once(": ")
            .map_or(s.clone(), |(_, rest)| rest.to_owned())
    });
    Component {
        bom_ref: Some(p.spdx_id),
        kind: None,
        group: None,
        name: p.name,
        version: p.version_info.filter(|v| v != "NOASSERTION"),
        purl: None,
        purl_raw: purl,
        purl_error: None,
        cpe,
        hashes: p
            .checksums
            .into_iter()
            .map(|c| Hash {
                alg: normalise_alg(&c.algorithm),
                content: c.checksum_value,
            })
            .collect(),
        licenses,
        scope: None,
        supplier,
        parent: None,
    }
}
