//! RFC 8785 (JCS) canonical JSON, via the maintained `serde_json_canonicalizer` crate.

use crate::TrustError;

/// Serialise `value` as RFC 8785 canonical JSON (sorted keys, no whitespace, ECMAScript number
/// formatting, minimal string escaping). These are the bytes that get signed.
pub fn canonical_json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, TrustError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| TrustError::Serialisation(e.to_string()))
}

/// `domain || canonical_json(value)`: the message an Ed25519 signature covers.
pub(crate) fn signing_input<T: serde::Serialize>(
    domain: &[u8],
    value: &T,
) -> Result<Vec<u8>, TrustError> {
    let body = canonical_json(value)?;
    let mut msg = Vec::with_capacity(domain.len() + body.len());
    msg.extend_from_slice(domain);
    msg.extend_from_slice(&body);
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8785_known_answer() {
        // Example from RFC 8785 §3.2.2 (numbers and escapes), reduced.
        let v: serde_json::Value = serde_json::from_str(
            r#"{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}"#,
        )
        .unwrap();
        let out = String::from_utf8(canonical_json(&v).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn keys_sorted_by_utf16() {
        let v = serde_json::json!({"b": 1, "a": {"d": 2, "c": 3}});
        assert_eq!(canonical_json(&v).unwrap(), br#"{"a":{"c":3,"d":2},"b":1}"#);
    }
}
