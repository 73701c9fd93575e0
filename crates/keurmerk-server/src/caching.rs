//! HTTP caching of the label status (issue 15 item 5): validators, freshness and conditional
//! requests, so that a shop's cache or a CDN can absorb scan peaks without serving a status
//! longer than the freshness rule allows.
//!
//! The rule (`docs/FORMATS.md` §7, `docs/OPERATIONS.md`):
//! - Every status answer (plain or signed) is `Cache-Control: public, max-age=60` (for a signed
//!   answer never beyond its `next_update`), with `Vary: Accept, Accept-Language`, so a change
//!   recorded in the registry reaches a scanning phone behind any standards-following cache
//!   within 60 s plus the server's own per-process reuse of at most one second.
//! - `ETag` is weak and covers everything the answer says except the moment it was produced:
//!   the representation (plain in a language, or signed), the whole status report, and for the
//!   signed answer the [`SIGNED_WINDOW_SECS`] window its `produced_at` falls in, so a cache that
//!   keeps revalidating never holds a signed answer older than that window (far from its
//!   `next_update`).
//! - `Last-Modified` is the later of the certificate's newest event and the start of the current
//!   UTC day (every time rule is a date), and for a signed answer also the start of its window.
//!   It is informational: a status can also change without a certificate event (a software list
//!   published ends "not monitored"; a key found compromised makes it `unknown`), so a date can
//!   never prove that an answer is unchanged. `If-Modified-Since` is therefore ignored (RFC 9110
//!   lets a server do so) and only `If-None-Match` is answered with a 304 (validators, no body).
//!   An `unknown` status has no `Last-Modified`.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use keurmerk_domain::status::{LabelStatus, StatusReport};
use sha2::{Digest, Sha256};

/// How long any cache may serve a status answer without asking again.
pub const STATUS_MAX_AGE_SECS: i64 = 60;

/// The signed answer's validator changes at least this often, so a revalidating cache refreshes
/// its copy (and its `produced_at`) within this long.
pub const SIGNED_WINDOW_SECS: i64 = 600;

/// Which answer of the status endpoint.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Representation<'a> {
    /// The plain JSON in a language tag.
    Plain(&'a str),
    /// The signed status response, with its `next_update`.
    Signed { next_update: DateTime<Utc> },
}

/// The validators and freshness of one status answer.
#[derive(Debug, Clone)]
pub(crate) struct Validators {
    etag: String,
    last_modified: Option<DateTime<Utc>>,
    max_age: i64,
}

fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(TimeDelta::seconds(SIGNED_WINDOW_SECS))
        .unwrap_or(now)
}

impl Validators {
    /// The validators of `report` as `repr`, at `now`.
    pub(crate) fn new(report: &StatusReport, repr: Representation<'_>, now: DateTime<Utc>) -> Self {
        let mut h = Sha256::new();
        let (kind, window, max_age) = match repr {
            Representation::Plain(lang) => (format!("plain:{lang}"), None, STATUS_MAX_AGE_SECS),
            Representation::Signed { next_update } => (
                "signed".to_owned(),
                Some(window_start(now)),
                STATUS_MAX_AGE_SECS.min((next_update - now).num_seconds().max(0)),
            ),
        };
        h.update(kind.as_bytes());
        h.update([0]);
        if let Some(w) = window {
            h.update(w.timestamp().to_be_bytes());
        }
        // Everything the report says except when it was evaluated, serialised straight into
        // the hash (no buffer: this runs for every status lookup).
        let mut semantic = report.clone();
        semantic.evaluated_at = DateTime::<Utc>::UNIX_EPOCH;
        let mut into_hash = HashWriter(&mut h);
        if serde_json::to_writer(&mut into_hash, &semantic).is_err() {
            // Cannot happen for this plain data type; if it ever did, never share a validator.
            h.update(now.timestamp_nanos_opt().unwrap_or(0).to_be_bytes());
        }
        let digest = h.finalize();
        let etag = format!("W/\"{}\"", hex::encode(&digest[..16]));
        let last_modified = (report.status != LabelStatus::Unknown).then(|| {
            let day = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now);
            let mut lm = report.last_event_at.max(day);
            if let Some(w) = window {
                lm = lm.max(w);
            }
            // HTTP dates have whole seconds and must not lie in the future.
            lm.min(now)
                .duration_trunc(TimeDelta::seconds(1))
                .unwrap_or(lm)
        });
        Self {
            etag,
            last_modified,
            max_age,
        }
    }

    /// The weak entity tag.
    #[cfg(test)]
    pub(crate) fn etag(&self) -> &str {
        &self.etag
    }

    /// Whether the request's `If-None-Match` names this answer (weak comparison). A date
    /// (`If-Modified-Since`) never does: see the module documentation.
    pub(crate) fn not_modified(&self, headers: &HeaderMap) -> bool {
        let ours = opaque(&self.etag);
        headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|t| t == "*" || opaque(t) == ours)
    }

    /// Adds `ETag`, `Last-Modified`, `Cache-Control` and `Vary` to a response.
    pub(crate) fn apply(&self, mut response: Response) -> Response {
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            h.insert(header::ETAG, v);
        }
        if let Some(lm) = self.last_modified {
            let text = httpdate::fmt_http_date(lm.into());
            if let Ok(v) = HeaderValue::from_str(&text) {
                h.insert(header::LAST_MODIFIED, v);
            }
        }
        let cc = format!("public, max-age={}", self.max_age);
        if let Ok(v) = HeaderValue::from_str(&cc) {
            h.insert(header::CACHE_CONTROL, v);
        }
        h.insert(
            header::VARY,
            HeaderValue::from_static("Accept, Accept-Language"),
        );
        response
    }

    /// The 304 answer.
    pub(crate) fn not_modified_response(&self) -> Response {
        self.apply(StatusCode::NOT_MODIFIED.into_response())
    }
}

/// Bytes written to it are hashed.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;
    use keurmerk_domain::ids::CertificateId;
    use keurmerk_domain::lifecycle::State;
    use keurmerk_domain::model::IssuerKind;
    use std::collections::BTreeMap;

    fn report(status: LabelStatus, last_event_at: DateTime<Utc>) -> StatusReport {
        StatusReport {
            certificate: CertificateId::new("KM-2026-000001".to_owned()).unwrap(),
            status,
            reasons: Vec::new(),
            evaluated_at: last_event_at,
            state: State::Active,
            issuer_kind: IssuerKind::ThirdParty,
            valid_until: chrono::NaiveDate::from_ymd_opt(2029, 1, 1).unwrap(),
            support_until: None,
            latest_security_update: None,
            open_vulnerabilities: BTreeMap::new(),
            dependencies: Vec::new(),
            last_event_at,
            setup: None,
            covered_versions: Vec::new(),
            version: None,
        }
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, m, s).unwrap()
    }

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_status_same_tag_whenever_evaluated() {
        let mut a = report(LabelStatus::Valid, at(8, 0, 0));
        let v1 = Validators::new(&a, Representation::Plain("en"), at(9, 0, 0));
        a.evaluated_at = at(9, 30, 0);
        let v2 = Validators::new(&a, Representation::Plain("en"), at(9, 30, 0));
        assert_eq!(v1.etag(), v2.etag());
        assert!(v1.etag().starts_with("W/\""));
    }

    #[test]
    fn tag_differs_by_status_language_and_representation() {
        let now = at(9, 0, 0);
        let valid = report(LabelStatus::Valid, at(8, 0, 0));
        let suspended = report(LabelStatus::Suspended, at(8, 0, 0));
        let next_update = now + TimeDelta::hours(1);
        let tags = [
            Validators::new(&valid, Representation::Plain("en"), now),
            Validators::new(&valid, Representation::Plain("nl"), now),
            Validators::new(&suspended, Representation::Plain("en"), now),
            Validators::new(&valid, Representation::Signed { next_update }, now),
        ];
        for (i, a) in tags.iter().enumerate() {
            for b in &tags[i + 1..] {
                assert_ne!(a.etag(), b.etag());
            }
        }
    }

    #[test]
    fn signed_tag_changes_with_the_window() {
        let r = report(LabelStatus::Valid, at(8, 0, 0));
        let nu = |now: DateTime<Utc>| Representation::Signed {
            next_update: now + TimeDelta::hours(1),
        };
        let a = Validators::new(&r, nu(at(9, 0, 1)), at(9, 0, 1));
        let b = Validators::new(&r, nu(at(9, 9, 59)), at(9, 9, 59));
        let c = Validators::new(&r, nu(at(9, 10, 0)), at(9, 10, 0));
        assert_eq!(a.etag(), b.etag());
        assert_ne!(b.etag(), c.etag());
        assert_eq!(c.last_modified, Some(at(9, 10, 0)));
    }

    #[test]
    fn conditional_requests() {
        let now = at(9, 0, 0);
        let v = Validators::new(
            &report(LabelStatus::Valid, at(8, 0, 0)),
            Representation::Plain("en"),
            now,
        );
        let tag = v.etag().to_owned();
        let strong = tag.trim_start_matches("W/").to_owned();
        assert!(v.not_modified(&headers(&[(header::IF_NONE_MATCH, &tag)])));
        assert!(v.not_modified(&headers(&[(header::IF_NONE_MATCH, &strong)])));
        assert!(v.not_modified(&headers(&[(
            header::IF_NONE_MATCH,
            &format!("\"other\", {tag}")
        )])));
        assert!(v.not_modified(&headers(&[(header::IF_NONE_MATCH, "*")])));
        assert!(!v.not_modified(&headers(&[(header::IF_NONE_MATCH, "\"other\"")])));
        // A non-matching tag is not helped by a date that would match.
        assert!(!v.not_modified(&headers(&[
            (header::IF_NONE_MATCH, "\"other\""),
            (header::IF_MODIFIED_SINCE, "Tue, 01 Dec 2026 09:00:00 GMT"),
        ])));
        // Last-Modified is 08:00 (the event, after the day's start), but a date alone never
        // proves the answer unchanged.
        assert_eq!(v.last_modified, Some(at(8, 0, 0)));
        assert!(!v.not_modified(&headers(&[(
            header::IF_MODIFIED_SINCE,
            "Tue, 01 Dec 2026 09:00:00 GMT"
        )])));
        assert!(!v.not_modified(&HeaderMap::new()));
    }

    #[test]
    fn a_new_day_is_a_modification() {
        // Nothing happened since yesterday, but date rules may have changed the status at 00:00.
        let v = Validators::new(
            &report(LabelStatus::Valid, at(8, 0, 0) - TimeDelta::days(3)),
            Representation::Plain("en"),
            at(9, 0, 0),
        );
        assert_eq!(v.last_modified, Some(at(0, 0, 0)));
    }

    #[test]
    fn an_unreliable_status_has_no_date() {
        let v = Validators::new(
            &report(LabelStatus::Unknown, at(8, 0, 0)),
            Representation::Plain("en"),
            at(9, 0, 0),
        );
        assert_eq!(v.last_modified, None);
    }

    #[test]
    fn signed_freshness_never_beyond_next_update() {
        let now = at(9, 0, 0);
        let r = report(LabelStatus::Valid, at(8, 0, 0));
        let v = Validators::new(
            &r,
            Representation::Signed {
                next_update: now + TimeDelta::seconds(20),
            },
            now,
        );
        assert_eq!(v.max_age, 20);
        let resp = v.apply(StatusCode::OK.into_response());
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "public, max-age=20");
        assert_eq!(resp.headers()[header::VARY], "Accept, Accept-Language");
        // The window (09:00) is later than the event (08:00).
        assert_eq!(
            resp.headers()[header::LAST_MODIFIED],
            "Tue, 01 Dec 2026 09:00:00 GMT"
        );
    }
}
