//! Label rendering for Keurmerk: the printed/online label as SVG, and as PNG rendered from that
//! SVG with resvg, in English, Dutch, German and French.
//!
//! This crate is pure: it does no network, file or database I/O. The fonts it draws with
//! (DejaVu Sans and DejaVu Sans Bold, Bitstream Vera licence, see `assets/LICENSE-DejaVu.txt`)
//! are embedded in the binary and are the only fonts the PNG renderer sees, so the same input
//! gives the same bytes on every machine.
//!
//! The label states plainly who vouches for the product — *self-declared by the manufacturer* or
//! *tested by an assessment body* — in words and in design (band colour, border style and icon).
//!
//! ```
//! use keurmerk_label::*;
//!
//! let input = LabelInput {
//!     scheme_id: "sg-cls".into(),
//!     scheme_name: "Singapore Cybersecurity Labelling Scheme".into(),
//!     level_id: "3".into(),
//!     level_name: "Level 3".into(),
//!     stars: Some(3),
//!     issuer_kind: IssuerKind::ThirdParty,
//!     issuer_name: "Example Test Lab".into(),
//!     support_until: chrono::NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
//!     certificate_id: "KM-2026-000123".into(),
//!     qr_url: "https://keurmerk.example.eu/c/KM-2026-000123#AQG2".into(),
//!     product_name: "Acme SmartCam Pro".into(),
//!     design: Design::Stars,
//!     not_valid: None,
//! };
//! let lang: Lang = "nl".parse()?;
//! let svg = render_svg(&input, lang)?;
//! assert!(svg.contains("Getest door Example Test Lab"));
//! let png = render_png(&input, lang, 1.0)?;
//! assert_eq!(&png[1..4], b"PNG");
//! # Ok::<(), LabelError>(())
//! ```

mod fit;
mod png;
pub mod product_image;
mod qr;
mod svg;
mod text;

use chrono::NaiveDate;

pub use png::render_png;
pub use svg::{render_svg, LABEL_HEIGHT, LABEL_WIDTH};

/// Width of the label as printed by default, in millimetres (the SVG's `width`; the height
/// follows the 400 × 700 aspect ratio).
pub const PRINT_WIDTH_MM: f32 = 40.0;

/// The smallest width, in millimetres, at which the label may be printed: at this width the QR
/// code (a module of about 0.22 mm for the longest label URL the registry issues) still
/// decodes from a 300 dpi print. Tested by rendering at this size and 300 dpi and decoding the
/// image with zbar (`tests/print_size.rs`). Documented in `docs/FORMATS.md`.
pub const MIN_PRINT_WIDTH_MM: f32 = 30.0;

/// The PNG `scale` (for [`render_png`]) that gives a label `width_mm` wide at `dpi`.
pub fn scale_for_print(width_mm: f32, dpi: f32) -> f32 {
    width_mm / 25.4 * dpi / LABEL_WIDTH
}

/// How the label looks, following its scheme's own mark (set per scheme in the scheme file,
/// `label_design`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Design {
    /// An EU scheme: blue header with the shield, assurance level by name.
    Eu,
    /// A star-rated scheme (Singapore CLS): red header, the level drawn as stars.
    Stars,
    /// A statement of compliance (UK PSTI): green header, document mark, no rating.
    Statement,
    /// A manufacturer declaration published by an authority (German BSI IT security label):
    /// dark header, declaration mark.
    Declaration,
    /// Any other national label: slate header with the shield.
    Plain,
}
pub use text::{month_name, Lang};

/// Highest star count drawn (Singapore CLS has levels 1–4).
pub const MAX_STARS: u8 = 4;

/// Errors of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// A language code other than `en`, `nl`, `de`, `fr`.
    #[error("unknown language {0:?} (expected en, nl, de or fr)")]
    UnknownLang(String),
    /// The QR URL cannot be encoded as a QR code (far too long).
    #[error("cannot encode QR code: {0}")]
    Qr(String),
    /// The PNG scale is not a finite number in 0.1..=16, or the image would be empty.
    #[error("invalid PNG scale {0}")]
    Scale(String),
    /// The SVG could not be rasterised or the PNG encoded (an internal error: the SVG is ours).
    #[error("PNG rendering failed: {0}")]
    Render(String),
}

/// Who vouches for the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IssuerKind {
    /// Self-declared by the manufacturer.
    SelfDeclared,
    /// Tested and certified by an assessment body (named in [`LabelInput::issuer_name`]).
    ThirdParty,
}

/// Everything a label shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelInput {
    /// Scheme id (e.g. `eu-iot-baseline`); goes into the SVG metadata.
    pub scheme_id: String,
    /// Scheme display name shown in the header (e.g. "EU Cybersecurity Label – Consumer IoT").
    pub scheme_name: String,
    /// Assurance level id (e.g. `substantial`, `3`).
    pub level_id: String,
    /// Assurance level display name (e.g. "Substantial", "Level 3").
    pub level_name: String,
    /// When set, the level is also drawn as this many stars out of [`MAX_STARS`] (Singapore CLS).
    pub stars: Option<u8>,
    /// Self-declared or third-party tested.
    pub issuer_kind: IssuerKind,
    /// Assessment body name (third-party) or manufacturer name (self-declared).
    pub issuer_name: String,
    /// End of the support period; shown with month precision.
    pub support_until: NaiveDate,
    /// Certificate id printed on the label.
    pub certificate_id: String,
    /// The URL encoded in the QR code (`{base}/c/{id}#{token}`).
    pub qr_url: String,
    /// Product name and model, printed on the label.
    pub product_name: String,
    /// The scheme's design.
    pub design: Design,
    /// When the certificate is not valid: why, in the label's language (e.g. "withdrawn").
    /// The label then carries a large "NOT VALID — <reason>" band over its claims.
    pub not_valid: Option<String>,
}

#[cfg(test)]
mod tests;
