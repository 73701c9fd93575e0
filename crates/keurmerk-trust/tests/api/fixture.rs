//! Deterministic keys and a trust list shared by the tests.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use keurmerk_trust::*;

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}
pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub struct Fx {
    pub root: SigningKey,
    pub registry: SigningKey,
    /// Assessment body: authorised for eu-iot-baseline basic/substantial and sg-cls 3/4 since
    /// 2025-01-01, for eu-iot-baseline high from 2025-01-01 until its revocation on 2026-01-15,
    /// and for eucc substantial only from 2026-03-01.
    pub cab: SigningKey,
    /// Manufacturer: self-assesses eu-iot-baseline basic and sg-cls 1/2; maintains any level.
    pub maker: SigningKey,
    /// National authority (NL): supervises every level, never issues.
    pub authority: SigningKey,
    /// Assessment body key compromised at 2026-03-01T00:00Z.
    pub revoked: SigningKey,
    /// Assessment body key valid only during 2024 (rotated out).
    pub old: SigningKey,
    /// Not in the trust list.
    pub stranger: SigningKey,
    pub list: TrustList,
    pub signed_list: Vec<u8>,
}

pub fn grant(
    act: Act,
    scheme: &str,
    levels: &[&str],
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Grant {
    Grant {
        act,
        scheme: scheme.into(),
        levels: levels.iter().map(|s| s.to_string()).collect(),
        valid_from: from,
        valid_until: until,
    }
}

/// Every level of the fixture's catalogue, for `act`.
pub fn all_levels(act: Act) -> Vec<Grant> {
    vec![
        grant(
            act,
            "eu-iot-baseline",
            &["basic", "substantial", "high"],
            at(2025, 1, 1),
            None,
        ),
        grant(act, "eucc", &["substantial", "high"], at(2025, 1, 1), None),
        grant(act, "sg-cls", &["1", "2", "3", "4"], at(2025, 1, 1), None),
    ]
}

pub fn info(k: &SigningKey, role: Role, scope: Vec<Grant>) -> KeyInfo {
    KeyInfo {
        key_id: k.key_id(),
        public_key: k.public_key(),
        organisation_id: format!("org-{:?}", role).to_lowercase(),
        organisation_name: format!("{role:?} Org"),
        role,
        member_state: None,
        scope,
        valid_from: at(2025, 1, 1),
        valid_until: at(2030, 1, 1),
        revoked_at: None,
    }
}

pub fn fx() -> Fx {
    let k = |b: u8| SigningKey::from_seed(&[b; 32]);
    let (root, registry, cab, maker, revoked, old, stranger, authority) =
        (k(1), k(2), k(3), k(4), k(5), k(6), k(7), k(8));
    let body_scope = |from| {
        vec![grant(
            Act::Issue,
            "eu-iot-baseline",
            &["basic", "substantial", "high"],
            from,
            None,
        )]
    };
    let mut revoked_info = info(&revoked, Role::AssessmentBody, body_scope(at(2025, 1, 1)));
    revoked_info.revoked_at = Some(Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
    let mut old_info = info(&old, Role::AssessmentBody, body_scope(at(2024, 1, 1)));
    old_info.valid_from = at(2024, 1, 1);
    old_info.valid_until = at(2025, 1, 1);
    let mut maker_scope = vec![
        grant(
            Act::Issue,
            "eu-iot-baseline",
            &["basic"],
            at(2025, 1, 1),
            None,
        ),
        grant(Act::Issue, "sg-cls", &["1", "2"], at(2025, 1, 1), None),
    ];
    maker_scope.extend(all_levels(Act::Maintain));
    let mut authority_info = info(
        &authority,
        Role::NationalAuthority,
        all_levels(Act::Supervise),
    );
    authority_info.member_state = Some("NL".into());
    let list = TrustList {
        version: TRUST_LIST_VERSION,
        sequence: 7,
        issued_at: at(2026, 1, 1),
        next_update: at(2026, 1, 8),
        log_verifier_key: "keurmerk.example.eu/log+0a1b2c3d+AQID".into(),
        keys: vec![
            info(&registry, Role::Registry, all_levels(Act::Registry)),
            info(
                &cab,
                Role::AssessmentBody,
                vec![
                    grant(
                        Act::Issue,
                        "eu-iot-baseline",
                        &["basic", "substantial"],
                        at(2025, 1, 1),
                        None,
                    ),
                    grant(
                        Act::Issue,
                        "eu-iot-baseline",
                        &["high"],
                        at(2025, 1, 1),
                        Some(at(2026, 1, 15)),
                    ),
                    grant(Act::Issue, "eucc", &["substantial"], at(2026, 3, 1), None),
                    grant(Act::Issue, "sg-cls", &["3", "4"], at(2025, 1, 1), None),
                ],
            ),
            info(&maker, Role::Manufacturer, maker_scope),
            authority_info,
            revoked_info,
            old_info,
        ],
    };
    let signed_list = list.sign(&root).unwrap();
    Fx {
        root,
        registry,
        cab,
        maker,
        authority,
        revoked,
        old,
        stranger,
        list,
        signed_list,
    }
}

pub fn claims() -> TokenClaims {
    TokenClaims {
        certificate_id: "KM-2026-000123".into(),
        product_name: "Acme SmartCam Pro 4K Outdoor Security Cam".into(),
        model_designation: "SC-4000-EU/B rev.2".into(),
        scheme_id: "eu-iot-baseline".into(),
        level: "substantial".into(),
        issuer_kind: IssuerKind::ThirdParty,
        issued_on: day(2026, 2, 1),
        valid_until: day(2028, 1, 31),
        support_until: day(2031, 6, 30),
        status_index: None,
    }
}

pub const BASE: &str = "https://keurmerk.example.eu";
