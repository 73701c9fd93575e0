//! SBOM parsing: CycloneDX 1.1–1.6 (JSON and XML) and SPDX 2.3 (JSON) into one normalised [`Sbom`].
//!
//! Inputs are read as streams: JSON through `serde_json`'s reader deserializer into typed structs (no DOM),
//! XML through `quick-xml`'s namespace-aware event reader. Nested CycloneDX components are flattened
//! into [`Sbom::components`] in document order, each remembering its parent's `bom-ref`.

mod json;
mod xml;

use std::io::{BufRead, BufReader, Read};

use crate::purl::Purl;

pub use crate::source::{ParseError, ParseErrorKind, Position};

/// The SBOM formats this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[non_exhaustive]
pub enum SbomFormat {
    /// CycloneDX JSON.
    CycloneDxJson,
    /// CycloneDX XML.
    CycloneDxXml,
    /// SPDX 2.x JSON.
    SpdxJson,
}

/// A hash of a component.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hash {
    /// Algorithm, in CycloneDX spelling (`SHA-256`, `SHA-1`, `MD5`, …).
    pub alg: String,
    /// Hex digest.
    pub content: String,
}

/// One component (CycloneDX) or package (SPDX), normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Component {
    /// CycloneDX `bom-ref` or SPDX `SPDXID`.
    pub bom_ref: Option<String>,
    /// CycloneDX component type (`library`, `application`, …); `None` for SPDX.
    pub kind: Option<String>,
    /// CycloneDX `group` (Maven group id, npm scope, …).
    pub group: Option<String>,
    /// Name.
    pub name: String,
    /// Version as written in the SBOM.
    pub version: Option<String>,
    /// The package URL, parsed and normalised; `None` when absent or invalid (see `purl_error`).
    pub purl: Option<Purl>,
    /// The package URL exactly as written.
    pub purl_raw: Option<String>,
    /// Why `purl_raw` could not be parsed, if it could not.
    pub purl_error: Option<String>,
    /// CPE 2.2 or 2.3 string.
    pub cpe: Option<String>,
    /// Hashes.
    pub hashes: Vec<Hash>,
    /// License ids, names or expressions.
    pub licenses: Vec<String>,
    /// CycloneDX scope (`required`, `optional`, `excluded`).
    pub scope: Option<String>,
    /// Supplier name.
    pub supplier: Option<String>,
    /// `bom-ref` of the enclosing component when this one was nested.
    pub parent: Option<String>,
}

/// A normalised SBOM.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sbom {
    /// Which format it was read from.
    pub format: SbomFormat,
    /// Spec version (`1.4`, `SPDX-2.3`, …).
    pub spec_version: String,
    /// CycloneDX `serialNumber` or SPDX `documentNamespace`.
    pub serial: Option<String>,
    /// CycloneDX BOM `version`.
    pub version: Option<u64>,
    /// The component the SBOM describes (CycloneDX `metadata.component`, SPDX `documentDescribes`).
    pub metadata_component: Option<Component>,
    /// All components, nested ones flattened, in document order.
    pub components: Vec<Component>,
}

impl Sbom {
    /// Find a component by `bom-ref` (linear; SBOMs are small compared with the cost of a map here).
    pub fn component_by_ref(&self, bom_ref: &str) -> Option<&Component> {
        self.metadata_component
            .iter()
            .chain(self.components.iter())
            .find(|c| c.bom_ref.as_deref() == Some(bom_ref))
    }
}

/// Parse every component's `purl_raw` into `purl` (recording the reason when it is invalid).
pub(crate) fn resolve_purls(mut sbom: Sbom) -> Sbom {
    for c in sbom
        .metadata_component
        .iter_mut()
        .chain(sbom.components.iter_mut())
    {
        if let Some(raw) = &c.purl_raw {
            match raw.parse::<Purl>() {
                Ok(p) => c.purl = Some(p),
                Err(e) => c.purl_error = Some(e.to_string()),
            }
        }
    }
    sbom
}

/// Parse an SBOM, detecting the format from the content (`<` → CycloneDX XML; `{` → CycloneDX or SPDX
/// JSON, told apart by `bomFormat`/`specVersion` vs `spdxVersion`). `name` is used in errors only.
pub fn parse<R: Read>(name: &str, reader: R) -> Result<Sbom, ParseError> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    match first_significant_byte(name, &mut reader)? {
        Some(b'<') => xml::parse(name, reader).map(resolve_purls),
        Some(b'{') => json::parse(name, reader, None).map(resolve_purls),
        Some(b) => Err(ParseError::new(
            name,
            ParseErrorKind::UnknownFormat,
            format!(
                "not an SBOM: expected JSON object or XML document, found {:?}",
                char::from(b)
            ),
        )
        .at(Position::ByteOffset(0))),
        None => Err(ParseError::new(
            name,
            ParseErrorKind::Truncated,
            "empty input",
        )),
    }
}

/// Parse an SBOM held in memory (format detected as in [`parse`]). JSON nested deeper than
/// [`Limits::DEFAULT`](crate::source::Limits) allows is rejected before parsing.
pub fn parse_slice(name: &str, bytes: &[u8]) -> Result<Sbom, ParseError> {
    crate::source::check_json_depth(name, bytes, crate::source::Limits::DEFAULT.max_depth)?;
    parse(name, bytes)
}

/// Parse CycloneDX JSON (fails with [`ParseErrorKind::UnknownFormat`] on SPDX).
pub fn parse_cyclonedx_json<R: Read>(name: &str, reader: R) -> Result<Sbom, ParseError> {
    json::parse(
        name,
        BufReader::new(reader),
        Some(SbomFormat::CycloneDxJson),
    )
}

/// Parse CycloneDX XML (any of the 1.0–1.6 namespaces).
pub fn parse_cyclonedx_xml<R: Read>(name: &str, reader: R) -> Result<Sbom, ParseError> {
    xml::parse(name, BufReader::new(reader)).map(resolve_purls)
}

/// Parse SPDX 2.x JSON (fails with [`ParseErrorKind::UnknownFormat`] on CycloneDX).
pub fn parse_spdx_json<R: Read>(name: &str, reader: R) -> Result<Sbom, ParseError> {
    json::parse(name, BufReader::new(reader), Some(SbomFormat::SpdxJson)).map(resolve_purls)
}

/// Skip whitespace and a UTF-8 byte-order mark, returning the next byte without consuming it.
pub(crate) fn first_significant_byte<R: BufRead>(
    name: &str,
    reader: &mut R,
) -> Result<Option<u8>, ParseError> {
    loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| ParseError::new(name, ParseErrorKind::Io, e.to_string()))?;
        if buf.is_empty() {
            return Ok(None);
        }
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            reader.consume(3);
            continue;
        }
        let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if skip == 0 {
            return Ok(Some(buf[0]));
        }
        reader.consume(skip);
    }
}

/// Normalise a hash algorithm name to CycloneDX spelling (`SHA256` → `SHA-256`).
pub(crate) fn normalise_alg(alg: &str) -> String {
    let up = alg.trim().to_ascii_uppercase();
    match up.as_str() {
        "SHA1" => "SHA-1".into(),
        "SHA224" => "SHA-224".into(),
        "SHA256" => "SHA-256".into(),
        "SHA384" => "SHA-384".into(),
        "SHA512" => "SHA-512".into(),
        "SHA3-256" | "SHA3_256" => "SHA3-256".into(),
        "SHA3-384" | "SHA3_384" => "SHA3-384".into(),
        "SHA3-512" | "SHA3_512" => "SHA3-512".into(),
        "BLAKE2B-256" => "BLAKE2b-256".into(),
        "BLAKE2B-384" => "BLAKE2b-384".into(),
        "BLAKE2B-512" => "BLAKE2b-512".into(),
        _ => up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_empty_and_garbage() {
        assert_eq!(
            parse("x", &b"   "[..]).unwrap_err().kind,
            ParseErrorKind::Truncated
        );
        let e = parse("x", &b"hello"[..]).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::UnknownFormat);
        assert!(e.to_string().starts_with("x (byte 0)"), "{e}");
    }

    #[test]
    fn normalises_spdx_algorithms() {
        assert_eq!(normalise_alg("SHA256"), "SHA-256");
        assert_eq!(normalise_alg("md5"), "MD5");
    }
}
