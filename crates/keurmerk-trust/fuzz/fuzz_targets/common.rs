// Shared fixture: a deterministic trust list with one key of each signing role.
use chrono::{DateTime, TimeZone, Utc};
use keurmerk_trust::*;
use std::sync::OnceLock;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).single().unwrap_or_default()
}

pub fn root() -> SigningKey {
    SigningKey::from_seed(&[1; 32])
}

pub fn list() -> &'static TrustList {
    static LIST: OnceLock<TrustList> = OnceLock::new();
    LIST.get_or_init(|| {
        let at = |y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let keys = [(2u8, Role::Registry), (3, Role::AssessmentBody), (4, Role::Manufacturer)]
            .into_iter()
            .map(|(seed, role)| {
                let k = SigningKey::from_seed(&[seed; 32]);
                KeyInfo {
                    key_id: k.key_id(),
                    public_key: k.public_key(),
                    organisation_id: format!("org-{seed}"),
                    organisation_name: format!("Org {seed}"),
                    role,
                    member_state: None,
                    scope: vec![Grant {
                        act: Act::Issue,
                        scheme: "eu-iot-baseline".into(),
                        levels: vec!["basic".into(), "substantial".into()],
                        valid_from: at(2025),
                        valid_until: None,
                    }],
                    valid_from: at(2025),
                    valid_until: at(2030),
                    revoked_at: None,
                }
            })
            .collect();
        TrustList {
            version: TRUST_LIST_VERSION,
            sequence: 1,
            issued_at: at(2026),
            next_update: at(2027),
            log_verifier_key: String::new(),
            keys,
        }
    })
}
