//! Watch-lists and their webhooks: the pure rules (SPEC §9 "signed webhooks per watch-list").
//!
//! - [`WatchKind`]: what a watch-list item follows (a certificate, a product, an organisation).
//! - [`check_webhook_url`]: which webhook targets are acceptable at all.
//! - [`is_public_address`]: whether a resolved address may be called (no requests into the
//!   registry's own network unless the operator allows it).
//! - [`sign`] / [`verify`]: the `Keurmerk-Signature` header, an HMAC-SHA256 over the timestamp and
//!   the exact body, so receivers can check a delivery came from the registry and is fresh.
//! - [`backoff`]: the wait before the next attempt after a failed delivery.
//!
//! The wire format is documented in `docs/FORMATS.md` ("Webhooks").

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::model::UnknownValue;

crate::model::text_enum!(
    /// What a watch-list item follows.
    WatchKind, "watch item kind" {
        /// One certificate.
        Certificate = "certificate",
        /// Every certificate of a product.
        Product = "product",
        /// Every certificate an organisation holds, issued or supervises.
        Organisation = "organisation",
    }
);

crate::model::text_enum!(
    /// Where a webhook delivery stands.
    DeliveryState, "delivery state" {
        /// Waiting for its (next) attempt.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Every attempt of the round failed; a redelivery starts a new round.
        Failed = "failed",
    }
);

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Keurmerk-Signature";
/// The signature scheme's version tag in the header.
pub const SIGNATURE_VERSION: &str = "v1";
/// Longest webhook URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Why a webhook URL or signature is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The URL is not acceptable.
    #[error("webhook URL {0}")]
    Url(String),
    /// The signature header is malformed.
    #[error("Keurmerk-Signature header {0}")]
    Header(String),
    /// The signature does not match the body.
    #[error("the signature does not match the body (wrong secret or altered body)")]
    Mismatch,
    /// The timestamp is outside the tolerance (a replay or a skewed clock).
    #[error("the signature's timestamp is {0} s away from now, more than the tolerance")]
    Stale(i64),
}

/// A webhook target that passed [`check_webhook_url`]: scheme, host and port split out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The URL as given (normalised).
    pub url: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or address literal (without brackets).
    pub host: String,
    /// Port (the scheme's default when not given).
    pub port: u16,
}

/// Checks a webhook URL: `http` or `https`, a host, no user name or password, no fragment, at
/// most [`MAX_URL_LEN`] characters. Whether the host may be called is decided when it is
/// resolved ([`is_public_address`]).
pub fn check_webhook_url(raw: &str) -> Result<WebhookTarget, WebhookError> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(WebhookError::Url(format!(
            "is longer than {MAX_URL_LEN} characters"
        )));
    }
    let u = url::Url::parse(raw).map_err(|e| WebhookError::Url(format!("`{raw}`: {e}")))?;
    let scheme = u.scheme().to_owned();
    if scheme != "http" && scheme != "https" {
        return Err(WebhookError::Url(format!(
            "must use http or https, not `{scheme}`"
        )));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(WebhookError::Url(
            "must not contain a user name or password (the signature authenticates us)".into(),
        ));
    }
    if u.fragment().is_some() {
        return Err(WebhookError::Url(
            "must not contain a fragment (`#…`)".into(),
        ));
    }
    let host = match u.host() {
        Some(url::Host::Domain(d)) => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        None => return Err(WebhookError::Url(format!("`{raw}` has no host"))),
    };
    let port = u
        .port_or_known_default()
        .ok_or_else(|| WebhookError::Url(format!("`{raw}` has no port")))?;
    Ok(WebhookTarget {
        url: u.to_string(),
        scheme,
        host,
        port,
    })
}

/// Whether an address is on the public internet: not loopback, private (RFC 1918, unique local
/// `fc00::/7`), link-local, shared (CGNAT `100.64.0.0/10`), unspecified, multicast, broadcast,
/// documentation or benchmarking ranges. Webhooks go only to public addresses unless the operator
/// allows private targets, so a watch-list cannot make the registry call into its own network.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b))
        }
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The `Keurmerk-Signature` header value for a body sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<timestamp>." || body)>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},{SIGNATURE_VERSION}={}", hex::encode(tag))
}

/// Checks a `Keurmerk-Signature` header against the body, in constant time, and that its
/// timestamp is within `tolerance_secs` of `now` (Unix seconds). Several `v1=` values are
/// accepted (one matching is enough), so the registry can sign with an old and a new secret
/// while a secret is rotated.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        let (k, v) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| WebhookError::Header(format!("part `{part}` is not key=value")))?;
        match k {
            "t" => {
                timestamp = Some(v.parse::<i64>().map_err(|_| {
                    WebhookError::Header(format!("timestamp `{v}` is not a number"))
                })?)
            }
            SIGNATURE_VERSION => tags.push(
                hex::decode(v)
                    .map_err(|_| WebhookError::Header(format!("signature `{v}` is not hex")))?,
            ),
            _ => {} // other versions: ignored, so the format can grow
        }
    }
    let t = timestamp.ok_or_else(|| WebhookError::Header("has no `t=` timestamp".into()))?;
    if tags.is_empty() {
        return Err(WebhookError::Header(format!(
            "has no `{SIGNATURE_VERSION}=` signature"
        )));
    }
    let skew = now.saturating_sub(t);
    if skew.abs() > tolerance_secs {
        return Err(WebhookError::Stale(skew));
    }
    for tag in tags {
        if mac(secret, t, body).verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookError::Mismatch)
}

/// The wait before attempt `attempt + 1` after `attempt` failed attempts (1-based): `base`
/// doubled per failure, at most `max`, then spread by `jitter` (a number in `0.0..1.0` the caller
/// draws) over its upper quarter so that receivers coming back do not get every retry at once.
pub fn backoff(attempt: u32, base: Duration, max: Duration, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = base.saturating_mul(1u32 << exp).min(max);
    let jitter = jitter.clamp(0.0, 1.0);
    raw.mul_f64(0.75 + 0.25 * jitter)
}

/// How often and how patiently a delivery is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per round (a redelivery starts a new round).
    pub max_attempts: u32,
    /// Wait after the first failure.
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts over about two hours: 30 s, 1, 2, 4, 8, 16, 32 min (less jitter).
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(30),
            max: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// After `failures` failed attempts in this round, the wait before the next one, or `None`
    /// when the round is used up and the delivery has failed.
    pub fn next_wait(&self, failures: u32, jitter: f64) -> Option<Duration> {
        (failures < self.max_attempts.max(1))
            .then(|| backoff(failures, self.base, self.max, jitter))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn signatures_round_trip_and_detect_tampering() {
        let body = br#"{"event":"suspended"}"#;
        let h = sign("whsec_abc", 1_700_000_000, body);
        assert!(h.starts_with("t=1700000000,v1="));
        verify("whsec_abc", &h, body, 1_700_000_010, 300).unwrap();
        assert_eq!(
            verify("whsec_abd", &h, body, 1_700_000_010, 300),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify("whsec_abc", &h, br#"{"event":"valid"}"#, 1_700_000_010, 300),
            Err(WebhookError::Mismatch)
        );
        assert_eq!(
            verify("whsec_abc", &h, body, 1_700_001_000, 300),
            Err(WebhookError::Stale(1000))
        );
        // A changed timestamp invalidates the signature.
        let moved = h.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            verify("whsec_abc", &moved, body, 1_700_000_010, 300),
            Err(WebhookError::Mismatch)
        );
        // Rotation: an old and a new signature, either secret verifies.
        let new = sign("whsec_new", 1_700_000_000, body);
        let both = format!("{h},{}", new.split(',').nth(1).unwrap());
        verify("whsec_new", &both, body, 1_700_000_000, 0).unwrap();
        verify("whsec_abc", &both, body, 1_700_000_000, 0).unwrap();
    }

    #[test]
    fn malformed_headers_are_named() {
        for (h, want) in [
            ("", "not key=value"),
            ("t=x,v1=00", "not a number"),
            ("t=1,v1=zz", "not hex"),
            ("v1=00", "no `t=`"),
            ("t=1", "no `v1=`"),
        ] {
            let e = verify("s", h, b"", 1, 10).unwrap_err().to_string();
            assert!(e.contains(want), "{h:?}: {e}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = Duration::from_secs(30);
        let m = Duration::from_secs(3600);
        assert_eq!(backoff(1, b, m, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(2, b, m, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(5, b, m, 1.0), Duration::from_secs(480));
        assert_eq!(backoff(12, b, m, 1.0), m);
        assert_eq!(backoff(u32::MAX, b, m, 1.0), m);
        assert_eq!(backoff(1, b, m, 0.0), Duration::from_millis(22_500));
        let mut last = Duration::ZERO;
        for a in 1..20 {
            let d = backoff(a, b, m, 1.0);
            assert!(d >= last);
            last = d;
        }
    }

    #[test]
    fn a_round_ends_after_max_attempts() {
        let p = RetryPolicy::default();
        assert_eq!(p.next_wait(1, 1.0), Some(Duration::from_secs(30)));
        assert_eq!(p.next_wait(7, 1.0), Some(Duration::from_secs(1920)));
        assert_eq!(p.next_wait(8, 1.0), None);
        let one = RetryPolicy {
            max_attempts: 0,
            ..p
        };
        assert_eq!(one.next_wait(1, 1.0), None);
    }

    #[test]
    fn webhook_urls_are_checked() {
        let t = check_webhook_url("https://hooks.example.com/keurmerk?x=1").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("hooks.example.com", 443));
        let t = check_webhook_url("http://[::1]:8080/h").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8080));
        for (u, want) in [
            ("ftp://example.com/", "http or https"),
            ("https://user:pw@example.com/", "user name"),
            ("https://example.com/#x", "fragment"),
            ("not a url", "relative URL"),
            ("file:///etc/passwd", "http or https"),
        ] {
            let e = check_webhook_url(u).unwrap_err().to_string();
            assert!(e.contains(want), "{u}: {e}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(check_webhook_url(&long).is_err());
    }

    #[test]
    fn only_public_addresses_are_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public_address(a.parse().unwrap()), "{a}");
        }
        for a in [
            "93.184.216.34",
            "8.8.8.8",
            "2a00:1450:4001::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public_address(a.parse().unwrap()), "{a}");
        }
    }

    proptest::proptest! {
        /// Untrusted headers and URLs: an answer, never a panic.
        #[test]
        fn parsers_never_panic(header in ".{0,200}", url in ".{0,300}", body in proptest::collection::vec(0u8.., 0..64)) {
            let _ = verify("whsec_x", &header, &body, 0, 300);
            let _ = check_webhook_url(&url);
        }

        /// Whatever the secret and body, a fresh signature verifies and a changed body does not.
        #[test]
        fn signatures_round_trip(secret in ".{1,80}", body in proptest::collection::vec(0u8.., 0..256), t in 0i64..4_000_000_000) {
            let h = sign(&secret, t, &body);
            proptest::prop_assert!(verify(&secret, &h, &body, t, 0).is_ok());
            let mut other = body.clone();
            other.push(b'x');
            proptest::prop_assert_eq!(verify(&secret, &h, &other, t, 0), Err(WebhookError::Mismatch));
        }
    }
}
