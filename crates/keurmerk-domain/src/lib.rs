//! The Keurmerk domain: what a cybersecurity label *is*, independent of how it is stored or served.
//!
//! This crate is **pure**: it does no I/O of any kind (no files, no network, no database, no clock).
//! Callers pass in text to parse and the current time to evaluate against, so every rule here is
//! deterministic and replayable. Storage lives in `keurmerk-store`, use cases and authorisation in
//! `keurmerk-service`.
//!
//! - [`ids`]: checked identifiers (`CertificateId`, `SchemeId`, …).
//! - [`scheme`]: the scheme catalogue (schemes are data, parsed from TOML and validated).
//! - [`model`]: organisations, products, versions, dependencies, assessments, certificates.
//! - [`lifecycle`]: the certificate state machine as an explicit transition table.
//! - [`event`]: the append-only event model and the fold that derives certificate state.
//! - [`schedule`]: what the scheme's policy makes happen to a certificate, and when.
//! - [`cra`]: Cyber Resilience Act reporting obligations, their clocks and the report format.
//! - [`recognition`]: recognition reports and market access from the arrangements and mappings.
//! - [`status`]: `evaluate(certificate, events, policy, now)` → the label status a consumer sees.
//! - [`update_record`]: the maker's update record (fix times, deadlines, support honoured).
//! - [`watch`]: watch-lists and signed webhooks (URL rules, HMAC signatures, backoff).
//! - [`i18n`]: the supported languages and the plain-language texts for status reasons.

pub mod complaint;
pub mod cra;
pub mod event;
pub mod i18n;
pub mod ids;
pub mod jurisdiction;
pub mod lifecycle;
pub mod model;
pub mod reason;
pub mod recognition;
pub mod schedule;
pub mod scheme;
pub mod status;
pub mod update_record;
pub mod watch;

pub use event::{CertificateView, Event, EventKind};
pub use i18n::Lang;
pub use ids::{CertificateId, IdError, LevelId, OrgId, SchemeId};
pub use lifecycle::{ActorRole, Command, Denial, State};
pub use model::{IssuerKind, OrgRole};
pub use reason::{ReasonCode, TextLang};
pub use scheme::{Catalogue, Scheme, SchemeError};
pub use status::{evaluate, LabelStatus, Reason, StatusReport};
