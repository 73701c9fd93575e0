//! The bytes recorded in the transparency log for an event.

use keurmerk_domain::event::Event;
use serde::Serialize;

#[derive(Serialize)]
struct Statement<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    certificate: &'a str,
    at: String,
    actor: &'a str,
    role: &'static str,
    event: &'a keurmerk_domain::event::EventKind,
}

/// The statement recording `event`: compact JSON with a fixed field order (the event's sequence
/// number is not part of it; the log index orders statements).
pub fn statement_bytes(event: &Event) -> Vec<u8> {
    let s = Statement {
        kind: "keurmerk.statement.v1",
        certificate: event.certificate.as_str(),
        at: event
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor: event.actor.as_str(),
        role: event.role.as_str(),
        event: &event.kind,
    };
    // Serialising plain data with string keys cannot fail.
    serde_json::to_vec(&s).unwrap_or_default()
}
