//! HTTP caching of the label status (issue 15 item 5): validators, freshness and conditional
//! requests, so that a shop's cache or a CDN can absorb scan peaks without serving a status
//! longer than the freshness rule allows.
//!
//! The rule (`docs/FORMATS.md` §7, `docs/OPERATIONS.md`):
//! - Every status answer (plain or signed) is `Cache-Control: public, max-age=60` (for a signed
//!   answer never beyond its `next_update`), with `Vary: Accept, Accept-Language`, so a change
//!   recorded in the registry reaches a scanning phone behind any standards-following cache
//!   within 60 s plus the server's own per-process reuse of at most one second.
//! - `ETag` is weak and covers everything the answer says except the moment it was produced.
//!   - Plain answer: the SHA-256 of its body's every byte except the value of `evaluated_at`
//!     ([`PlainAnswer`]). The body is serialised once and hashed from those bytes, so the
//!     validator is exactly what the client receives (language and wording included) and costs
//!     no second serialisation.
//!   - Signed answer: the whole status report, every claim it signs besides its times (read
//!     from the certificate's rows), the signing key's id, and the [`SIGNED_WINDOW_SECS`] window its
//!     `produced_at` falls in, so a cache that keeps revalidating never holds a signed answer
//!     older than that window (far from its `next_update`).
//!   - The two are hashed under different prefixes, so they never share a tag.
//! - `Last-Modified` is the later of the certificate's newest event and the start of the current
//!   UTC day (every time rule is a date), and for a signed answer also the start of its window.
//!   It is informational: a status can also change without a certificate event (a software list
//!   published ends "not monitored"; a key found compromised makes it `unknown`), so a date can
//!   never prove that an answer is unchanged. `If-Modified-Since` is therefore ignored (RFC 9110
//!   lets a server do so) and only `If-None-Match` is answered with a 304 (validators, no body).
//!   An `unknown` status has no `Last-Modified`.

use std::cell::Cell;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use keurmerk_domain::status::{LabelStatus, StatusReport};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// How long any cache may serve a status answer without asking again.
pub const STATUS_MAX_AGE_SECS: i64 = 60;

/// The signed answer's validator changes at least this often, so a revalidating cache refreshes
/// its copy (and its `produced_at`) within this long.
pub const SIGNED_WINDOW_SECS: i64 = 600;

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

thread_local! {
    /// Whether bytes written to a [`PlainAnswer`] now are to be hashed: false only while
    /// [`unvalidated`] writes its value.
    static HASHED: Cell<bool> = const { Cell::new(true) };
}

/// `serialize_with` for the field of a plain status answer that says when it was produced:
/// written as any other, but left out of the answer's validator ([`PlainAnswer`]). Anywhere
/// else it serialises as the value's own `Serialize` does.
pub(crate) fn unvalidated<T: Serialize, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    /// Puts the flag back as it was, also when serialising fails or unwinds.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            HASHED.with(|h| h.set(self.0));
        }
    }
    let _restore = Restore(HASHED.with(|h| h.replace(false)));
    value.serialize(serializer)
}

/// A plain (unsigned) status answer serialised once: the body sent, and the SHA-256 of every
/// byte of it except the values of the fields marked [`unvalidated`] (`evaluated_at`'s value,
/// its quotes included; its name is hashed): `plain`, a zero byte, then each piece between the
/// values left out as its length (8 bytes, big-endian) and its bytes.
#[derive(Debug)]
pub(crate) struct PlainAnswer {
    body: Vec<u8>,
    digest: [u8; 32],
}

impl PlainAnswer {
    /// Serialises `answer` as JSON into the body, noting where the unvalidated values lie, then
    /// hashes the rest in a few large pieces (serde_json writes a few bytes at a time; hashing
    /// each piece as written cost more than serialising the report a second time).
    pub(crate) fn render<T: Serialize>(answer: &T) -> serde_json::Result<Self> {
        let mut out = BodyWriter {
            body: Vec::with_capacity(2048),
            left_out: Vec::new(),
        };
        serde_json::to_writer(&mut out, answer)?;
        let mut hash = Sha256::new();
        hash.update(b"plain\0");
        // Each hashed piece after its length, so no two ways of cutting a body hash the same.
        let mut piece = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_be_bytes());
            hash.update(bytes);
        };
        let mut from = 0;
        for range in &out.left_out {
            piece(&out.body[from..range.start]);
            from = range.end;
        }
        piece(&out.body[from..]);
        Ok(Self {
            body: out.body,
            digest: hash.finalize().into(),
        })
    }

    /// The JSON body.
    pub(crate) fn into_body(self) -> Vec<u8> {
        self.body
    }

    #[cfg(test)]
    pub(crate) fn body(&self) -> &[u8] {
        &self.body
    }
}

/// Keeps the bytes written to it, and the ranges of those [`unvalidated`] wrote (in order,
/// adjacent ones merged).
struct BodyWriter {
    body: Vec<u8>,
    left_out: Vec<std::ops::Range<usize>>,
}

impl std::io::Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let start = self.body.len();
        self.body.extend_from_slice(buf);
        if !HASHED.with(Cell::get) {
            let end = self.body.len();
            match self.left_out.last_mut() {
                Some(last) if last.end == start => last.end = end,
                _ => self.left_out.push(start..end),
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `Last-Modified` of a status answer: the later of the certificate's newest event and the
/// start of the current UTC day (and of the signed window, if any), never in the future; none
/// for an `unknown` status.
fn last_modified(
    report: &StatusReport,
    window: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    (report.status != LabelStatus::Unknown).then(|| {
        let day = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now);
        let mut lm = report.last_event_at.max(day);
        if let Some(w) = window {
            lm = lm.max(w);
        }
        // HTTP dates have whole seconds and must not lie in the future.
        lm.min(now)
            .duration_trunc(TimeDelta::seconds(1))
            .unwrap_or(lm)
    })
}

fn weak_tag(digest: &[u8]) -> String {
    format!("W/\"{}\"", hex::encode(&digest[..16]))
}

impl Validators {
    /// The validators of the plain answer `answer` of `report`, at `now`.
    pub(crate) fn plain(answer: &PlainAnswer, report: &StatusReport, now: DateTime<Utc>) -> Self {
        Self {
            etag: weak_tag(&answer.digest),
            last_modified: last_modified(report, None, now),
            max_age: STATUS_MAX_AGE_SECS,
        }
    }

    /// The validators of the signed answer `answer`, at `now`.
    pub(crate) fn signed(
        answer: &keurmerk_service::SignedStatusAnswer,
        now: DateTime<Utc>,
    ) -> Self {
        let report = &answer.report;
        let next_update = answer.response.next_update;
        let window = window_start(now);
        let mut h = Sha256::new();
        h.update(b"signed\0");
        h.update(window.timestamp().to_be_bytes());
        // Everything the report says except when it was evaluated, everything the answer signs
        // except when (the claims read from the certificate's rows, the list's index) and the
        // key that signs it, serialised straight into the hash (no buffer): a renamed product
        // or a new root key is a new answer, never a 304.
        let mut semantic = report.clone();
        semantic.evaluated_at = DateTime::<Utc>::UNIX_EPOCH;
        let mut signs = answer.response.clone();
        signs.produced_at = DateTime::<Utc>::UNIX_EPOCH;
        signs.next_update = DateTime::<Utc>::UNIX_EPOCH;
        let mut into_hash = HashWriter(&mut h);
        let hashed = serde_json::to_writer(&mut into_hash, &semantic)
            .and_then(|()| serde_json::to_writer(&mut into_hash, &signs))
            .and_then(|()| serde_json::to_writer(&mut into_hash, &answer.key_id));
        if hashed.is_err() {
            // Cannot happen for these plain data types; if it ever did, never share a validator.
            h.update(now.timestamp_nanos_opt().unwrap_or(0).to_be_bytes());
        }
        Self {
            etag: weak_tag(&h.finalize()),
            last_modified: last_modified(report, Some(window), now),
            max_age: STATUS_MAX_AGE_SECS.min((next_update - now).num_seconds().max(0)),
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
    use crate::wire::StatusOut;
    use chrono::TimeZone;
    use keurmerk_domain::i18n::Lang;
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

    /// A signed answer of `r`, current until `next_update`, signed by the key of `seed`.
    fn signed_answer(
        r: &StatusReport,
        next_update: DateTime<Utc>,
        seed: u8,
    ) -> keurmerk_service::SignedStatusAnswer {
        let day = r.valid_until;
        keurmerk_service::SignedStatusAnswer {
            bytes: Vec::new(),
            report: r.clone(),
            response: keurmerk_trust::StatusResponse {
                certificate_id: r.certificate.to_string(),
                product_id: "p-1".into(),
                product_name: "Cosy Cam".into(),
                model_designation: "CC-1".into(),
                scheme_id: "eu-iot".into(),
                level: "substantial".into(),
                issuer_org_id: "nl-lab".into(),
                issuer_kind: keurmerk_trust::IssuerKind::ThirdParty,
                issued_on: day,
                valid_until: day,
                support_until: day,
                status: keurmerk_service::cert_status(r.status),
                reasons: Vec::new(),
                produced_at: r.evaluated_at,
                next_update,
                status_list: None,
            },
            key_id: keurmerk_trust::SigningKey::from_seed(&[seed; 32]).key_id(),
        }
    }

    fn signed(r: &StatusReport, next_update: DateTime<Utc>, now: DateTime<Utc>) -> Validators {
        Validators::signed(&signed_answer(r, next_update, 1), now)
    }

    /// The signed tag covers what the answer signs besides the report: the claims read from
    /// the certificate's rows and the signing key; not when it was produced.
    #[test]
    fn signed_tag_covers_the_claims_and_the_key() {
        let now = at(9, 0, 0);
        let r = report(LabelStatus::Valid, at(8, 0, 0));
        let answer = signed_answer(&r, now + TimeDelta::hours(1), 1);
        let tag =
            |a: &keurmerk_service::SignedStatusAnswer| Validators::signed(a, now).etag().to_owned();
        let mut later = answer.clone();
        later.response.produced_at = now + TimeDelta::seconds(30);
        later.response.next_update = now + TimeDelta::hours(2);
        assert_eq!(tag(&answer), tag(&later));
        let mut renamed = answer.clone();
        renamed.response.product_name = "Cosy Cam 2".into();
        assert_ne!(tag(&answer), tag(&renamed));
        let mut indexed = answer.clone();
        indexed.response.status_list = Some(keurmerk_trust::StatusListRef {
            idx: 4,
            uri: "https://keurmerk.example.eu/api/v1/status-list".into(),
        });
        assert_ne!(tag(&answer), tag(&indexed));
        assert_ne!(
            tag(&answer),
            tag(&signed_answer(&r, now + TimeDelta::hours(1), 2))
        );
    }

    fn plain(r: &StatusReport, lang: Lang, now: DateTime<Utc>) -> (PlainAnswer, Validators) {
        let answer = PlainAnswer::render(&StatusOut::new(r, lang)).unwrap();
        let v = Validators::plain(&answer, r, now);
        (answer, v)
    }

    #[test]
    fn same_status_same_tag_whenever_evaluated() {
        let mut a = report(LabelStatus::Valid, at(8, 0, 0));
        let (b1, v1) = plain(&a, Lang::En, at(9, 0, 0));
        a.evaluated_at = at(9, 30, 0);
        let (b2, v2) = plain(&a, Lang::En, at(9, 30, 0));
        assert_ne!(b1.body(), b2.body(), "the answers say when they were made");
        assert_eq!(v1.etag(), v2.etag());
        assert!(v1.etag().starts_with("W/\""));
    }

    /// The plain tag is the hash of the body sent with only `evaluated_at`'s value cut out,
    /// computed here from the bytes alone, independently of the writer's flag.
    #[test]
    fn plain_tag_hashes_the_body_without_the_moment() {
        let mut r = report(LabelStatus::Suspended, at(8, 0, 0));
        r.evaluated_at = at(9, 12, 34) + TimeDelta::nanoseconds(567_891);
        let (answer, v) = plain(&r, Lang::De, at(9, 12, 34));
        let body = std::str::from_utf8(answer.body()).unwrap();
        let key = "\"evaluated_at\":\"";
        assert_eq!(body.matches(key).count(), 1, "{body}");
        let start = body.find(key).unwrap() + key.len();
        let end = start + body[start..].find('"').unwrap();
        assert_eq!(&body[start..end], "2026-12-01T09:12:34.000567891Z");
        // The value's bytes, its quotes included, are what is left out.
        let pieces = [&body.as_bytes()[..start - 1], &body.as_bytes()[end + 1..]];
        assert_eq!(v.etag(), weak_tag(&framed(&pieces)));
        // And the flag is back on after the answer.
        assert!(HASHED.with(Cell::get));
        // The body is the answer's JSON, as `Json` would have sent it.
        assert_eq!(
            answer.body(),
            serde_json::to_vec(&StatusOut::new(&r, Lang::De))
                .unwrap()
                .as_slice()
        );
    }

    /// The plain digest of these pieces, computed here by the documented rule.
    fn framed(pieces: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"plain\0");
        for piece in pieces {
            h.update((piece.len() as u64).to_be_bytes());
            h.update(piece);
        }
        h.finalize().into()
    }

    #[test]
    fn every_unvalidated_value_and_only_those_is_left_out() {
        #[derive(Serialize)]
        struct Two {
            #[serde(serialize_with = "unvalidated")]
            a: &'static str,
            b: u32,
            #[serde(serialize_with = "unvalidated")]
            c: Vec<u32>,
        }
        let digest = |t: &Two| PlainAnswer::render(t).unwrap().digest;
        let x = digest(&Two {
            a: "x",
            b: 1,
            c: vec![1, 2],
        });
        assert_eq!(
            x,
            digest(&Two {
                a: "yy",
                b: 1,
                c: vec![]
            })
        );
        assert_ne!(
            x,
            digest(&Two {
                a: "x",
                b: 2,
                c: vec![1, 2]
            })
        );
        assert_eq!(x, framed(&[b"{\"a\":", b",\"b\":1,\"c\":", b"}"]));
        // The cut is part of what is hashed: the same bytes cut elsewhere hash differently.
        assert_ne!(x, framed(&[b"{\"a\":,", b"\"b\":1,\"c\":", b"}"]));
    }

    #[test]
    fn unvalidated_restores_the_flag_when_serialising_fails() {
        struct Fails;
        impl Serialize for Fails {
            fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        #[derive(Serialize)]
        struct Holder {
            #[serde(serialize_with = "unvalidated")]
            at: Fails,
        }
        assert!(PlainAnswer::render(&Holder { at: Fails }).is_err());
        assert!(HASHED.with(Cell::get));
    }

    #[test]
    fn tag_differs_by_status_language_and_representation() {
        let now = at(9, 0, 0);
        let valid = report(LabelStatus::Valid, at(8, 0, 0));
        let suspended = report(LabelStatus::Suspended, at(8, 0, 0));
        let next_update = now + TimeDelta::hours(1);
        let tags = [
            plain(&valid, Lang::En, now).1,
            plain(&valid, Lang::Nl, now).1,
            plain(&suspended, Lang::En, now).1,
            signed(&valid, next_update, now),
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
        let tag_at = |now: DateTime<Utc>| signed(&r, now + TimeDelta::hours(1), now);
        let a = tag_at(at(9, 0, 1));
        let b = tag_at(at(9, 9, 59));
        let c = tag_at(at(9, 10, 0));
        assert_eq!(a.etag(), b.etag());
        assert_ne!(b.etag(), c.etag());
        assert_eq!(c.last_modified, Some(at(9, 10, 0)));
    }

    #[test]
    fn conditional_requests() {
        let now = at(9, 0, 0);
        let v = plain(&report(LabelStatus::Valid, at(8, 0, 0)), Lang::En, now).1;
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
        let v = plain(
            &report(LabelStatus::Valid, at(8, 0, 0) - TimeDelta::days(3)),
            Lang::En,
            at(9, 0, 0),
        )
        .1;
        assert_eq!(v.last_modified, Some(at(0, 0, 0)));
    }

    #[test]
    fn an_unreliable_status_has_no_date() {
        let v = plain(
            &report(LabelStatus::Unknown, at(8, 0, 0)),
            Lang::En,
            at(9, 0, 0),
        )
        .1;
        assert_eq!(v.last_modified, None);
    }

    #[test]
    fn signed_freshness_never_beyond_next_update() {
        let now = at(9, 0, 0);
        let r = report(LabelStatus::Valid, at(8, 0, 0));
        let v = signed(&r, now + TimeDelta::seconds(20), now);
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
