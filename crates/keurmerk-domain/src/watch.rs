//! Watch-lists and their webhooks: the pure rules (SPEC §9 "signed webhooks per watch-list").
//!
//! - [`WatchKind`]: what a watch-list item follows (a certificate, a product, an organisation).
//! - [`check_webhook_url`]: which webhook targets are acceptable at all.
//! - [`is_public_address`] / [`non_public`]: whether a resolved address may be called (no
//!   requests into the registry's own network unless the operator allows it), and
//!   [`pick_address`]: the one rule applied to a target's resolved addresses, at registration
//!   and at every delivery, so the two cannot diverge.
//! - [`WebhookState`], [`verify_body`] and [`check_echo`]: the confirmation handshake, in which
//!   the target echoes a challenge before any event is sent to it.
//! - [`sign`] / [`verify`]: the `Keurmerk-Signature` header, an HMAC-SHA256 over the timestamp and
//!   the exact body, so receivers can check a delivery came from the registry and is fresh.
//! - [`backoff`]: the wait before the next attempt after a failed delivery.
//!
//! The wire format is documented in `docs/FORMATS.md` ("Webhooks").

use std::net::{IpAddr, SocketAddr};
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

crate::model::text_enum!(
    /// Where a webhook's confirmation handshake stands. Events are sent only to a `confirmed`
    /// webhook; deliveries for a `pending` or `failed` one are held (kept, not sent).
    WebhookState, "webhook state" {
        /// The challenge has not been echoed yet (attempts continue with backoff).
        Pending = "pending",
        /// The target echoed the challenge: events are delivered.
        Confirmed = "confirmed",
        /// Every attempt of the handshake failed; the owner may ask for a re-verification.
        Failed = "failed",
    }
);

/// The `Keurmerk-Event` of the confirmation handshake's request.
pub const VERIFY_EVENT: &str = "webhook.verify";
/// Most bytes of a handshake answer that are read.
pub const MAX_ECHO_LEN: usize = 64 * 1024;

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
    /// The target's host name does not resolve (or not in time).
    #[error("cannot resolve `{host}`: {reason}")]
    Unresolvable {
        /// The host name.
        host: String,
        /// Why (the resolver's answer, or the timeout).
        reason: String,
    },
    /// The target resolves to an address that is not public while private targets are not
    /// allowed.
    #[error("{}", not_public_message(.host, .addr, .class))]
    NotPublic {
        /// The host as given (a name or an address literal).
        host: String,
        /// The offending address.
        addr: IpAddr,
        /// What kind of address it is.
        class: NonPublic,
    },
    /// The handshake answer did not echo the challenge.
    #[error("the answer does not echo the challenge: {0}")]
    NoEcho(String),
}

fn not_public_message(host: &str, addr: &IpAddr, class: &NonPublic) -> String {
    let what = format!(
        "{} {class} address, not a public one (webhook targets must be public addresses unless \
         the operator allows private targets)",
        if class.starts_with_vowel() { "an" } else { "a" }
    );
    if host.parse::<IpAddr>().is_ok() {
        format!("`{addr}` is {what}")
    } else {
        format!("`{host}` resolves to `{addr}`, {what}")
    }
}

/// Why an address is not on the public internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NonPublic {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// RFC 1918 (`10/8`, `172.16/12`, `192.168/16`) or unique local `fc00::/7`.
    Private,
    /// `169.254.0.0/16` (where cloud metadata services answer), `fe80::/10`.
    LinkLocal,
    /// Multicast (`224.0.0.0/4`, `ff00::/8`).
    Multicast,
    /// `0.0.0.0/8`, `::`.
    Unspecified,
    /// `255.255.255.255`.
    Broadcast,
    /// The shared address space of carrier-grade NAT, `100.64.0.0/10`.
    Shared,
    /// Documentation ranges (`192.0.2/24`, `198.51.100/24`, `203.0.113/24`, `2001:db8::/32`).
    Documentation,
    /// Benchmarking, `198.18.0.0/15`.
    Benchmarking,
    /// Reserved for future use, `240.0.0.0/4`.
    Reserved,
    /// NAT64 `64:ff9b::/96`, which reaches IPv4 addresses through a translator.
    Nat64,
}

impl NonPublic {
    fn starts_with_vowel(self) -> bool {
        self == NonPublic::Unspecified
    }
}

impl std::fmt::Display for NonPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NonPublic::Loopback => "loopback",
            NonPublic::Private => "private",
            NonPublic::LinkLocal => "link-local",
            NonPublic::Multicast => "multicast",
            NonPublic::Unspecified => "unspecified",
            NonPublic::Broadcast => "broadcast",
            NonPublic::Shared => "shared (carrier-grade NAT)",
            NonPublic::Documentation => "documentation",
            NonPublic::Benchmarking => "benchmarking",
            NonPublic::Reserved => "reserved",
            NonPublic::Nat64 => "NAT64",
        })
    }
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
/// documentation, benchmarking or reserved ranges. Webhooks go only to public addresses unless
/// the operator allows private targets, so a watch-list cannot make the registry call into its
/// own network.
pub fn is_public_address(ip: IpAddr) -> bool {
    non_public(ip).is_none()
}

/// Why an address is not public, or `None` when it is. IPv4-mapped IPv6 addresses
/// (`::ffff:a.b.c.d`) are judged as the IPv4 address they carry.
pub fn non_public(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            Some(if a.is_loopback() {
                NonPublic::Loopback
            } else if a.is_private() {
                NonPublic::Private
            } else if a.is_link_local() {
                NonPublic::LinkLocal
            } else if a.is_unspecified() || o[0] == 0 {
                NonPublic::Unspecified
            } else if a.is_multicast() {
                NonPublic::Multicast
            } else if a.is_broadcast() {
                NonPublic::Broadcast
            } else if a.is_documentation() {
                NonPublic::Documentation
            } else if o[0] == 100 && (64..128).contains(&o[1]) {
                NonPublic::Shared
            } else if o[0] == 198 && (18..20).contains(&o[1]) {
                NonPublic::Benchmarking
            } else if o[0] >= 240 {
                NonPublic::Reserved
            } else {
                return None;
            })
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return non_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            Some(if a.is_loopback() {
                NonPublic::Loopback
            } else if a.is_unspecified() {
                NonPublic::Unspecified
            } else if a.is_multicast() {
                NonPublic::Multicast
            } else if (s[0] & 0xfe00) == 0xfc00 {
                NonPublic::Private
            } else if (s[0] & 0xffc0) == 0xfe80 {
                NonPublic::LinkLocal
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                NonPublic::Documentation
            } else if s[0] == 0x0064 && s[1] == 0xff9b {
                NonPublic::Nat64
            } else {
                return None;
            })
        }
    }
}

/// The one rule for a webhook target's resolved addresses, applied at registration and before
/// every request (handshake and deliveries): there must be an address, and unless
/// `allow_private`, every address must be public (a name that resolves to one public and one
/// private address is refused, since either may be used). Returns the address to pin the
/// connection to, so a second DNS answer cannot redirect it.
pub fn pick_address(
    host: &str,
    addrs: &[SocketAddr],
    allow_private: bool,
) -> Result<SocketAddr, WebhookError> {
    let first = addrs.first().ok_or_else(|| WebhookError::Unresolvable {
        host: host.to_owned(),
        reason: "the name has no address".into(),
    })?;
    if !allow_private {
        if let Some((a, class)) = addrs
            .iter()
            .find_map(|a| non_public(a.ip()).map(|c| (a.ip(), c)))
        {
            return Err(WebhookError::NotPublic {
                host: host.to_owned(),
                addr: a,
                class,
            });
        }
    }
    Ok(*first)
}

/// The body of the handshake request (`Keurmerk-Event: webhook.verify`), signed like a delivery:
/// `{"type":"webhook.verify","watchlist":"WL-…","challenge":"<64 hex digits>"}`.
pub fn verify_body(watchlist: &str, challenge: &str) -> String {
    serde_json::json!({
        "type": VERIFY_EVENT,
        "watchlist": watchlist,
        "challenge": challenge,
    })
    .to_string()
}

/// Checks a handshake answer's body: a JSON object whose `challenge` member is the challenge
/// sent (other members are ignored). Anything else is refused, naming what was wrong.
pub fn check_echo(challenge: &str, body: &[u8]) -> Result<(), WebhookError> {
    let no = |why: &str| Err(WebhookError::NoEcho(why.to_owned()));
    if body.len() > MAX_ECHO_LEN {
        return no("the answer is too long");
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return no("the answer is not JSON (expected {\"challenge\": \"…\"})");
    };
    match v.get("challenge") {
        Some(serde_json::Value::String(c)) if c == challenge => Ok(()),
        Some(serde_json::Value::String(_)) => no("the `challenge` differs from the one sent"),
        Some(_) => no("`challenge` is not a string"),
        None => no("the answer has no `challenge` member (expected {\"challenge\": \"…\"})"),
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

    #[test]
    fn non_public_addresses_are_named_by_class() {
        for (a, class) in [
            ("127.0.0.1", NonPublic::Loopback),
            ("::1", NonPublic::Loopback),
            ("::ffff:127.0.0.1", NonPublic::Loopback),
            ("10.0.0.1", NonPublic::Private),
            ("fc00::1", NonPublic::Private),
            ("169.254.169.254", NonPublic::LinkLocal),
            ("fe80::1", NonPublic::LinkLocal),
            ("224.0.0.1", NonPublic::Multicast),
            ("ff02::1", NonPublic::Multicast),
            ("0.0.0.0", NonPublic::Unspecified),
            ("::", NonPublic::Unspecified),
            ("255.255.255.255", NonPublic::Broadcast),
            ("100.64.0.1", NonPublic::Shared),
            ("203.0.113.9", NonPublic::Documentation),
            ("198.18.0.1", NonPublic::Benchmarking),
            ("240.0.0.1", NonPublic::Reserved),
            ("64:ff9b::a00:1", NonPublic::Nat64),
        ] {
            assert_eq!(non_public(a.parse().unwrap()), Some(class), "{a}");
        }
        assert_eq!(non_public("93.184.216.34".parse().unwrap()), None);
    }

    #[test]
    fn the_address_rule_refuses_any_non_public_answer_and_names_it() {
        let sa = |s: &str| -> SocketAddr { s.parse().unwrap() };
        let public = sa("93.184.216.34:443");
        assert_eq!(pick_address("example.com", &[public], false), Ok(public));
        // One private answer among public ones is enough to refuse: either may be used.
        let mixed = [public, sa("10.0.0.1:443")];
        let e = pick_address("mixed.example", &mixed, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`mixed.example` resolves to `10.0.0.1`, a private address, not a public one \
             (webhook targets must be public addresses unless the operator allows private targets)"
        );
        let e = pick_address("0.0.0.0", &[sa("0.0.0.0:80")], false).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`0.0.0.0` is an unspecified address"),
            "{e}"
        );
        let e = pick_address("::1", &[sa("[::1]:80")], false).unwrap_err();
        assert!(
            e.to_string().starts_with("`::1` is a loopback address"),
            "{e}"
        );
        // The operator's setting lets private targets through; no address is never enough.
        assert_eq!(pick_address("mixed.example", &mixed, true), Ok(public));
        assert!(matches!(
            pick_address("none.example", &[], true),
            Err(WebhookError::Unresolvable { .. })
        ));
    }

    #[test]
    fn the_handshake_answer_must_echo_the_challenge() {
        let c = "ab".repeat(32);
        let body: serde_json::Value = serde_json::from_str(&verify_body("WL-000001", &c)).unwrap();
        assert_eq!(body["type"], VERIFY_EVENT);
        assert_eq!(body["challenge"], c.as_str());
        assert_eq!(body["watchlist"], "WL-000001");
        check_echo(&c, format!(r#"{{"challenge":"{c}"}}"#).as_bytes()).unwrap();
        // Echoing the whole request also answers it.
        check_echo(&c, verify_body("WL-000001", &c).as_bytes()).unwrap();
        for (answer, want) in [
            (String::new(), "not JSON"),
            ("ok".to_owned(), "not JSON"),
            (c.clone(), "not JSON"),
            ("{}".to_owned(), "no `challenge`"),
            (r#"{"challenge":1}"#.to_owned(), "not a string"),
            (
                format!(r#"{{"challenge":"{}"}}"#, "cd".repeat(32)),
                "differs",
            ),
            (
                format!(
                    r#"{{"challenge":"{c}","pad":"{}"}}"#,
                    "x".repeat(MAX_ECHO_LEN)
                ),
                "too long",
            ),
        ] {
            let e = check_echo(&c, answer.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(want), "{answer:.40}: {e}");
        }
    }

    proptest::proptest! {
        /// Untrusted headers and URLs: an answer, never a panic.
        #[test]
        fn parsers_never_panic(header in ".{0,200}", url in ".{0,300}", body in proptest::collection::vec(0u8.., 0..64)) {
            let _ = verify("whsec_x", &header, &body, 0, 300);
            let _ = check_webhook_url(&url);
            let _ = check_echo("c", &body);
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
