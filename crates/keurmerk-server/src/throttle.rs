//! The trace layer's line for failed responses, at most one a second
//! ([`keurmerk_store::throttle::Throttle`]).

use std::time::Duration;

use axum::http::StatusCode;
use keurmerk_store::throttle::Throttle;
use tower_http::classify::ServerErrorsFailureClass;

/// Failed responses (server errors) of the trace layer: its "response failed" line, at most one
/// a second with how many it stands for. Each `500` keeps its own line with the cause where it
/// is answered; a `503` for a database out of reach keeps its throttled warning.
static FAILED: Throttle = Throttle::new(Duration::from_secs(1));

/// The trace layer's `on_failure` ([`FAILED`]).
pub(crate) fn log_failed_response(
    class: ServerErrorsFailureClass,
    latency: Duration,
    _span: &tracing::Span,
) {
    if let Some(responses) = FAILED.admit_now() {
        let unavailable = matches!(class, ServerErrorsFailureClass::StatusCode(s) if s == StatusCode::SERVICE_UNAVAILABLE);
        if unavailable {
            tracing::warn!(classification = %class, latency_ms = latency.as_millis() as u64,
                responses, "response failed (responses: how many failed since the last such line)");
        } else {
            tracing::error!(classification = %class, latency_ms = latency.as_millis() as u64,
                responses, "response failed (responses: how many failed since the last such line)");
        }
    }
}
