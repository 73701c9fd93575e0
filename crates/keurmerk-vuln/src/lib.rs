//! Vulnerability data for Keurmerk: package URLs, per-ecosystem version semantics, `vers:` ranges,
//! SBOM / advisory / VEX parsing and the matching index.
//!
//! This crate is pure: it does no network or database I/O and knows nothing of HTTP or SQL. The only
//! I/O helpers (in [`source`]) read files or archives a caller names.

pub mod csaf;
pub mod euvd;
pub mod identity;
pub mod kev;
pub mod matching;
pub mod osv;
pub mod purl;
pub mod sbom;
pub mod source;
pub mod vers;
pub mod version;
pub mod vex;
