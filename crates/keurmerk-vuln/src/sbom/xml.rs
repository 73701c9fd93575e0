//! CycloneDX XML through `quick-xml`'s namespace-aware event reader.
//!
//! Only elements in the CycloneDX BOM namespace of the document (`http://cyclonedx.org/schema/bom/1.N`)
//! are interpreted; extension elements in other namespaces are skipped with their whole subtree, as are
//! components under `pedigree` (ancestors are not part of the inventory).

use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::{Component, Hash, Sbom, SbomFormat};
use crate::source::{ParseError, ParseErrorKind, Position};

const NS_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Metadata,
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Group,
    Version,
    Purl,
    Cpe,
    Scope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Frame {
    Bom,
    Metadata,
    Components,
    Component(Target),
    Field(Field),
    Hashes,
    Hash(String),
    Licenses,
    License,
    LicenseText,
    Expression,
    Supplier,
    SupplierName,
    Skip,
}

impl Frame {
    fn captures_text(&self) -> bool {
        matches!(
            self,
            Frame::Field(_)
                | Frame::Hash(_)
                | Frame::LicenseText
                | Frame::Expression
                | Frame::SupplierName
        )
    }
}

struct Parser<'a> {
    name: &'a str,
    ns: Option<Vec<u8>>,
    spec_version: String,
    serial: Option<String>,
    version: Option<u64>,
    metadata: Option<Component>,
    components: Vec<Component>,
    stack: Vec<Frame>,
    text: String,
}

pub(super) fn parse<R: BufRead>(name: &str, reader: R) -> Result<Sbom, ParseError> {
    let mut reader = NsReader::from_reader(reader);
    let mut p = Parser {
        name,
        ns: None,
        spec_version: String::new(),
        serial: None,
        version: None,
        metadata: None,
        components: Vec::new(),
        stack: Vec::new(),
        text: String::new(),
    };
    let mut buf = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let (res, ev) = match reader.read_resolved_event_into(&mut buf) {
            Ok(x) => x,
            Err(e) => {
                let kind = if matches!(e, quick_xml::Error::Syntax(_)) {
                    ParseErrorKind::Truncated
                } else {
                    ParseErrorKind::Syntax
                };
                return Err(ParseError::new(name, kind, format!("malformed XML: {e}"))
                    .at(Position::ByteOffset(reader.error_position())));
            }
        };
        let at = Position::ByteOffset(pos);
        match ev {
            Event::Start(e) => {
                p.start(&res, &e, at)?;
                let max = crate::source::Limits::DEFAULT.max_depth;
                if p.stack.len() > max {
                    return Err(ParseError::new(
                        name,
                        ParseErrorKind::LimitExceeded,
                        format!("nesting deeper than the limit of {max} levels"),
                    )
                    .at(at));
                }
            }
            Event::Empty(e) => {
                p.start(&res, &e, at)?;
                p.end(at)?;
            }
            Event::End(_) => p.end(at)?,
            Event::Text(t) if p.stack.last().is_some_and(Frame::captures_text) => {
                let s = t.unescape().map_err(|e| {
                    ParseError::new(name, ParseErrorKind::Syntax, format!("bad text: {e}")).at(at)
                })?;
                p.text.push_str(&s);
            }
            Event::CData(t) if p.stack.last().is_some_and(Frame::captures_text) => {
                p.text.push_str(&String::from_utf8_lossy(&t.into_inner()));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if p.ns.is_none() {
        return Err(ParseError::new(
            name,
            ParseErrorKind::Truncated,
            "no root element: empty XML document",
        ));
    }
    if !p.stack.is_empty() {
        return Err(ParseError::new(
            name,
            ParseErrorKind::Truncated,
            format!(
                "document ended inside an open element ({} still open)",
                p.stack.len()
            ),
        )
        .at(Position::ByteOffset(reader.buffer_position())));
    }
    Ok(Sbom {
        format: SbomFormat::CycloneDxXml,
        spec_version: p.spec_version,
        serial: p.serial,
        version: p.version,
        metadata_component: p.metadata,
        components: p.components,
    })
}

fn attr(e: &BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

impl Parser<'_> {
    fn err(&self, kind: ParseErrorKind, msg: impl Into<String>, at: Position) -> ParseError {
        ParseError::new(self.name, kind, msg).at(at)
    }

    fn start(
        &mut self,
        res: &ResolveResult<'_>,
        e: &BytesStart<'_>,
        at: Position,
    ) -> Result<(), ParseError> {
        let local = e.local_name();
        let local = local.as_ref();
        let Some(top) = self.stack.last() else {
            // Root element.
            let ns = match res {
                ResolveResult::Bound(ns) => ns.as_ref().to_vec(),
                _ => {
                    return Err(self.err(
                        ParseErrorKind::UnknownFormat,
                        "root element is not in a CycloneDX namespace (expected xmlns=\"http://cyclonedx.org/schema/bom/1.N\")",
                        at,
                    ))
                }
            };
            let ns_str = String::from_utf8_lossy(&ns).into_owned();
            let Some(ver) = ns_str.strip_prefix(NS_PREFIX) else {
                return Err(self.err(
                    ParseErrorKind::UnknownFormat,
                    format!("root element namespace {ns_str:?} is not CycloneDX"),
                    at,
                ));
            };
            if local != b"bom" {
                return Err(self.err(
                    ParseErrorKind::UnknownFormat,
                    format!(
                        "root element is <{}>, expected <bom>",
                        String::from_utf8_lossy(local)
                    ),
                    at,
                ));
            }
            self.spec_version = ver.to_owned();
            self.serial = attr(e, b"serialNumber");
            self.version = match attr(e, b"version") {
                None => None,
                Some(v) => Some(v.trim().parse().map_err(|_| {
                    self.err(
                        ParseErrorKind::Schema,
                        format!("bom version {v:?} is not an integer"),
                        at,
                    )
                    .with_field("bom/@version")
                })?),
            };
            self.ns = Some(ns);
            self.stack.push(Frame::Bom);
            return Ok(());
        };
        let in_ns =
            matches!(res, ResolveResult::Bound(ns) if Some(ns.as_ref()) == self.ns.as_deref());
        let frame = if !in_ns {
            Frame::Skip
        } else {
            match (top, local) {
                (Frame::Bom, b"metadata") => Frame::Metadata,
                (Frame::Bom, b"components") => Frame::Components,
                (Frame::Metadata, b"component") => {
                    self.metadata = Some(new_component(e, None));
                    Frame::Component(Target::Metadata)
                }
                (Frame::Components, b"component") => {
                    let parent = self.current_component().and_then(|c| c.bom_ref.clone());
                    self.components.push(new_component(e, parent));
                    Frame::Component(Target::Index(self.components.len() - 1))
                }
                (Frame::Component(_), b"components") => Frame::Components,
                (Frame::Component(_), b"name") => Frame::Field(Field::Name),
                (Frame::Component(_), b"group") => Frame::Field(Field::Group),
                (Frame::Component(_), b"version") => Frame::Field(Field::Version),
                (Frame::Component(_), b"purl") => Frame::Field(Field::Purl),
                (Frame::Component(_), b"cpe") => Frame::Field(Field::Cpe),
                (Frame::Component(_), b"scope") => Frame::Field(Field::Scope),
                (Frame::Component(_), b"hashes") => Frame::Hashes,
                (Frame::Component(_), b"licenses") => Frame::Licenses,
                (Frame::Component(_), b"supplier") => Frame::Supplier,
                (Frame::Hashes, b"hash") => Frame::Hash(attr(e, b"alg").unwrap_or_default()),
                (Frame::Licenses, b"license") => Frame::License,
                (Frame::Licenses, b"expression") => Frame::Expression,
                (Frame::License, b"id" | b"name") => Frame::LicenseText,
                (Frame::Supplier, b"name") => Frame::SupplierName,
                _ => Frame::Skip,
            }
        };
        if frame.captures_text() {
            self.text.clear();
        }
        self.stack.push(frame);
        Ok(())
    }

    /// The innermost component being built.
    fn current_component(&mut self) -> Option<&mut Component> {
        let target = self.stack.iter().rev().find_map(|f| match f {
            Frame::Component(t) => Some(*t),
            _ => None,
        })?;
        match target {
            Target::Metadata => self.metadata.as_mut(),
            Target::Index(i) => self.components.get_mut(i),
        }
    }

    fn end(&mut self, at: Position) -> Result<(), ParseError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let text = std::mem::take(&mut self.text);
        let value = text.trim().to_owned();
        match frame {
            Frame::Field(f) => {
                if let Some(c) = self.current_component() {
                    let v = (!value.is_empty()).then_some(value);
                    match f {
                        Field::Name => c.name = v.unwrap_or_default(),
                        Field::Group => c.group = v,
                        Field::Version => c.version = v,
                        Field::Purl => c.purl_raw = v,
                        Field::Cpe => c.cpe = v,
                        Field::Scope => c.scope = v,
                    }
                }
            }
            Frame::Hash(alg) => {
                if let Some(c) = self.current_component() {
                    c.hashes.push(Hash {
                        alg,
                        content: value,
                    });
                }
            }
            Frame::LicenseText | Frame::Expression => {
                if let Some(c) = self.current_component() {
                    if !value.is_empty() {
                        c.licenses.push(value);
                    }
                }
            }
            Frame::SupplierName => {
                if let Some(c) = self.current_component() {
                    c.supplier = Some(value);
                }
            }
            Frame::Component(t) => {
                let (c, path) = match t {
                    Target::Metadata => {
                        (self.metadata.as_ref(), "bom/metadata/component".to_owned())
                    }
                    Target::Index(i) => (
                        self.components.get(i),
                        format!("bom/components/component[{i}]"),
                    ),
                };
                if c.is_some_and(|c| c.name.is_empty()) {
                    return Err(self
                        .err(ParseErrorKind::Schema, "component has no <name>", at)
                        .with_field(format!("{path}/name")));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn new_component(e: &BytesStart<'_>, parent: Option<String>) -> Component {
    Component {
        bom_ref: attr(e, b"bom-ref"),
        kind: attr(e, b"type"),
        parent,
        ..Component::default()
    }
}
