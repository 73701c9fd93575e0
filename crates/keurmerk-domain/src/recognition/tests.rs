use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::scheme::SHIPPED;

fn cat() -> Catalogue {
    Catalogue::from_files(SHIPPED).unwrap()
}

fn sid(s: &str) -> SchemeId {
    SchemeId::new(s).unwrap()
}

fn lid(s: &str) -> LevelId {
    LevelId::new(s).unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every required requirement of the level passes.
fn all_pass(c: &Catalogue, scheme: &SchemeId, level: &LevelId) -> BTreeMap<String, Verdict> {
    let s = c.get(scheme).unwrap();
    s.required_at(s.level(level).unwrap())
        .into_iter()
        .map(|r| (r.id.clone(), Verdict::Pass))
        .collect()
}

fn target<'a>(r: &'a RecognitionReport<'_>, scheme: &str, level: &str) -> &'a TargetReport<'a> {
    r.targets
        .iter()
        .find(|t| t.scheme.id.as_str() == scheme && t.level.id.as_str() == level)
        .unwrap_or_else(|| panic!("no target {scheme}/{level}"))
}

/// The shipped arrangements, as published (FACTS-schemes.md): source, level, target, level,
/// kind, first day, excluded categories.
type Published = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    RecognitionKind,
    &'static str,
    &'static [Category],
);

const PUBLISHED: &[Published] = &[
    (
        "fi-traficom",
        "labelled",
        "sg-cls",
        "l3",
        RecognitionKind::MutualRecognition,
        "2021-10-01",
        &[],
    ),
    (
        "sg-cls",
        "l3",
        "fi-traficom",
        "labelled",
        RecognitionKind::MutualRecognition,
        "2021-10-01",
        &[],
    ),
    (
        "de-bsi-itsik",
        "declared",
        "sg-cls",
        "l2",
        RecognitionKind::MutualRecognition,
        "2022-10-20",
        &[Category::SmartLock, Category::Alarm, Category::Computer],
    ),
    (
        "sg-cls",
        "l2",
        "de-bsi-itsik",
        "declared",
        RecognitionKind::MutualRecognition,
        "2022-10-20",
        &[Category::SmartLock, Category::Alarm, Category::Computer],
    ),
    (
        "sg-cls",
        "l3",
        "de-bsi-itsik",
        "declared",
        RecognitionKind::MutualRecognition,
        "2022-10-20",
        &[Category::SmartLock, Category::Alarm, Category::Computer],
    ),
    (
        "sg-cls",
        "l4",
        "de-bsi-itsik",
        "declared",
        RecognitionKind::MutualRecognition,
        "2022-10-20",
        &[Category::SmartLock, Category::Alarm, Category::Computer],
    ),
    (
        "kr-kisa-iot",
        "basic",
        "sg-cls",
        "l3",
        RecognitionKind::MutualRecognition,
        "2025-01-01",
        &[],
    ),
    (
        "kr-kisa-iot",
        "standard",
        "sg-cls",
        "l3",
        RecognitionKind::MutualRecognition,
        "2025-01-01",
        &[],
    ),
    (
        "sg-cls",
        "l3",
        "kr-kisa-iot",
        "basic",
        RecognitionKind::MutualRecognition,
        "2025-01-01",
        &[],
    ),
    (
        "sg-cls",
        "l4",
        "kr-kisa-iot",
        "basic",
        RecognitionKind::MutualRecognition,
        "2025-01-01",
        &[],
    ),
    (
        "sg-cls",
        "l1",
        "uk-psti",
        "compliant",
        RecognitionKind::DeemedCompliance,
        "2026-01-01",
        &[],
    ),
    (
        "sg-cls",
        "l2",
        "uk-psti",
        "compliant",
        RecognitionKind::DeemedCompliance,
        "2026-01-01",
        &[],
    ),
    (
        "sg-cls",
        "l3",
        "uk-psti",
        "compliant",
        RecognitionKind::DeemedCompliance,
        "2026-01-01",
        &[],
    ),
    (
        "sg-cls",
        "l4",
        "uk-psti",
        "compliant",
        RecognitionKind::DeemedCompliance,
        "2026-01-01",
        &[],
    ),
    (
        "uk-psti",
        "compliant",
        "sg-cls",
        "l1",
        RecognitionKind::SimplifiedApplication,
        "2026-01-01",
        &[],
    ),
    (
        "jp-jc-star",
        "star1",
        "sg-cls",
        "l1",
        RecognitionKind::SimplifiedApplication,
        "2026-06-01",
        &[],
    ),
    (
        "sg-cls",
        "l1",
        "jp-jc-star",
        "star1",
        RecognitionKind::SimplifiedApplication,
        "2026-06-01",
        &[],
    ),
];

#[test]
fn the_grants_are_exactly_the_published_arrangements() {
    let c = cat();
    let mut got: Vec<_> = c
        .grants()
        .iter()
        .map(|g| {
            (
                g.source.to_string(),
                g.source_level.to_string(),
                g.target.to_string(),
                g.target_level.to_string(),
                g.arrangement.kind,
                g.arrangement.from,
                g.arrangement.excluded_categories.clone(),
            )
        })
        .collect();
    let mut want: Vec<_> = PUBLISHED
        .iter()
        .map(|(s, l, t, tl, k, f, x)| {
            (
                (*s).to_owned(),
                (*l).to_owned(),
                (*t).to_owned(),
                (*tl).to_owned(),
                *k,
                d(f),
                x.to_vec(),
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn every_arrangement_starts_on_its_day_and_not_the_day_before() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    for (s, l, t, tl, kind, from, _) in PUBLISHED {
        let (scheme, level) = (sid(s), lid(l));
        let verdicts = all_pass(&c, &scheme, &level);
        let cert = CertificateFacts {
            id: "KM-TEST",
            scheme: &scheme,
            level: &level,
            category: Category::Camera,
            verdicts: &verdicts,
        };
        let from = d(from);
        let before = idx.report(&cert, from.pred_opt().unwrap());
        let tb = target(&before, t, tl);
        assert_ne!(
            tb.outcome,
            Outcome::Accepted,
            "{s}/{l} -> {t}/{tl} the day before"
        );
        assert!(
            tb.reasons
                .iter()
                .any(|w| matches!(w, Why::NotYetInForce { from: f, .. } if *f == from)),
            "{s}/{l} -> {t}/{tl}: {:?}",
            tb.reasons
        );
        let on = idx.report(&cert, from);
        let to = target(&on, t, tl);
        assert_eq!(
            to.outcome,
            Outcome::Accepted,
            "{s}/{l} -> {t}/{tl} on the day"
        );
        assert_eq!(to.basis, Some(Basis::Agreement));
        assert_eq!(to.kind, Some(*kind));
        assert!(to.missing.is_empty());
        assert!(matches!(to.reasons[..], [Why::Agreement { .. }]));
    }
}

#[test]
fn every_exclusion_refuses_its_category_and_only_it() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    let mut checked = 0;
    for (s, l, t, tl, _, from, excluded) in PUBLISHED {
        let (scheme, level) = (sid(s), lid(l));
        let verdicts = all_pass(&c, &scheme, &level);
        for category in Category::ALL {
            let cert = CertificateFacts {
                id: "KM-TEST",
                scheme: &scheme,
                level: &level,
                category: *category,
                verdicts: &verdicts,
            };
            let r = idx.report(&cert, d(from));
            let tr = target(&r, t, tl);
            if excluded.contains(category) {
                checked += 1;
                assert_ne!(
                    tr.outcome,
                    Outcome::Accepted,
                    "{s}/{l} -> {t}/{tl} {category}"
                );
                assert!(tr.reasons.iter().any(
                    |w| matches!(w, Why::ExcludedCategory { category: c, .. } if c == category)
                ));
            } else {
                assert_eq!(
                    tr.outcome,
                    Outcome::Accepted,
                    "{s}/{l} -> {t}/{tl} {category}"
                );
            }
        }
    }
    assert_eq!(checked, 4 * 3, "four grants with three exclusions each");
}

#[test]
fn direction_and_levels_are_explained() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    // CLS level 1 is not accepted as a UK... the other way: PSTI is not accepted as CLS level 2.
    let (scheme, level) = (sid("uk-psti"), lid("compliant"));
    let v = all_pass(&c, &scheme, &level);
    let cert = CertificateFacts {
        id: "KM-UK",
        scheme: &scheme,
        level: &level,
        category: Category::Thermostat,
        verdicts: &v,
    };
    let r = idx.report(&cert, d("2026-12-01"));
    let l2 = target(&r, "sg-cls", "l2");
    assert_eq!(l2.outcome, Outcome::NotAccepted);
    assert!(l2
        .reasons
        .iter()
        .any(|w| matches!(w, Why::OtherLevels { .. })));
    assert!(!l2.missing.is_empty());
    // A Finnish label has no arrangement with Germany in either direction; IT-SiK accepts CLS
    // but CLS level 1 is below the arrangement's level 2.
    let (scheme, level) = (sid("sg-cls"), lid("l1"));
    let v = all_pass(&c, &scheme, &level);
    let cert = CertificateFacts {
        id: "KM-SG",
        scheme: &scheme,
        level: &level,
        category: Category::SmartSpeaker,
        verdicts: &v,
    };
    let r = idx.report(&cert, d("2026-12-01"));
    let de = target(&r, "de-bsi-itsik", "declared");
    assert_eq!(de.outcome, Outcome::NotAccepted);
    assert!(de
        .reasons
        .iter()
        .any(|w| matches!(w, Why::OtherLevels { .. })));
    // A Korean certificate at Lite is below the arrangement (Basic and above).
    let (scheme, level) = (sid("kr-kisa-iot"), lid("lite"));
    let v = all_pass(&c, &scheme, &level);
    let cert = CertificateFacts {
        id: "KM-KR",
        scheme: &scheme,
        level: &level,
        category: Category::Camera,
        verdicts: &v,
    };
    let r = idx.report(&cert, d("2026-12-01"));
    assert_eq!(target(&r, "sg-cls", "l3").outcome, Outcome::NotAccepted);
    // EU IoT certificates: no arrangement; EUCC's classes cannot be reached by coverage.
    let (scheme, level) = (sid("eu-iot"), lid("substantial"));
    let v = all_pass(&c, &scheme, &level);
    let cert = CertificateFacts {
        id: "KM-EU",
        scheme: &scheme,
        level: &level,
        category: Category::Camera,
        verdicts: &v,
    };
    let r = idx.report(&cert, d("2026-12-01"));
    let eucc = target(&r, "eucc", "substantial");
    assert_eq!(eucc.outcome, Outcome::NotAccepted);
    assert!(eucc
        .reasons
        .iter()
        .any(|w| matches!(w, Why::NotMappable { .. })));
    // Every mandatory provision passed: PSTI, CLS level 2 and IT-SiK are met by coverage.
    for (s, l) in [
        ("uk-psti", "compliant"),
        ("sg-cls", "l2"),
        ("de-bsi-itsik", "declared"),
    ] {
        let t = target(&r, s, l);
        assert_eq!(
            t.outcome,
            Outcome::MeetsRequirements,
            "{s}/{l}: {:?}",
            t.reasons
        );
        assert_eq!(t.basis, Some(Basis::Coverage));
        assert!(t.kind.is_none());
    }
    assert!(r.missing_mandatory.is_empty());
    assert!(r.targets.iter().all(|t| t.scheme.id != scheme));
}

#[test]
fn only_pass_and_not_applicable_cover() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    let (scheme, level) = (sid("uk-psti"), lid("compliant"));
    let mut v = all_pass(&c, &scheme, &level);
    v.insert("5.1-1".into(), Verdict::Fail { note: None });
    v.insert("5.1-2".into(), Verdict::Inconclusive { note: None });
    v.insert(
        "5.2-1".into(),
        Verdict::NotApplicable {
            justification: "x".into(),
        },
    );
    let cert = CertificateFacts {
        id: "KM-UK",
        scheme: &scheme,
        level: &level,
        category: Category::Other,
        verdicts: &v,
    };
    let r = idx.report(&cert, d("2026-12-01"));
    assert_eq!(r.covered, ["5.2-1", "5.3-13"]);
    assert!(r.missing_mandatory.contains(&"5.1-1"));
    let l1 = target(&r, "sg-cls", "l1");
    // Accepted for a simplified application by agreement, whatever the verdicts.
    assert_eq!(l1.kind, Some(RecognitionKind::SimplifiedApplication));
}

#[test]
fn json_shape_is_the_documented_one() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    let (scheme, level) = (sid("fi-traficom"), lid("labelled"));
    let v = all_pass(&c, &scheme, &level);
    let cert = CertificateFacts {
        id: "KM-FI",
        scheme: &scheme,
        level: &level,
        category: Category::SmartLock,
        verdicts: &v,
    };
    let r = idx.report(&cert, d("2026-12-01"));
    let j = serde_json::to_value(r.to_json(Lang::Nl)).unwrap();
    let keys: Vec<_> = j.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["at", "baseline", "certificate", "targets"]);
    assert_eq!(j["at"], "2026-12-01");
    let sg = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["scheme"] == "sg-cls" && t["level"] == "l3")
        .unwrap();
    let mut keys: Vec<_> = sg.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "basis",
            "jurisdictions",
            "kind",
            "level",
            "missing",
            "outcome",
            "reasons",
            "scheme"
        ]
    );
    assert_eq!(sg["outcome"], "accepted");
    assert_eq!(sg["basis"], "agreement");
    assert_eq!(sg["kind"], "mutual_recognition");
    assert_eq!(sg["jurisdictions"], serde_json::json!(["SG"]));
    assert_eq!(sg["reasons"][0]["code"], "agreement");
    assert!(sg["reasons"][0]["text"]
        .as_str()
        .unwrap()
        .contains("geaccepteerd"));
    let other = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["outcome"] == "not_accepted")
        .unwrap();
    assert!(other["basis"].is_null() && other["kind"].is_null());
}

#[test]
fn every_reason_has_text_in_every_language() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    for s in c.iter() {
        for l in &s.levels {
            let v = all_pass(&c, &s.id, &l.id);
            for category in [Category::SmartLock, Category::Camera] {
                let cert = CertificateFacts {
                    id: "KM-T",
                    scheme: &s.id,
                    level: &l.id,
                    category,
                    verdicts: &v,
                };
                let r = idx.report(&cert, d("2026-12-01"));
                for lang in Lang::ALL {
                    for t in r.to_json(lang).targets {
                        assert!(!t.reasons.is_empty(), "{}/{} -> {}", s.id, l.id, t.scheme);
                        assert!(t.reasons.iter().all(|w| !w.text.trim().is_empty()));
                    }
                }
            }
        }
    }
}

#[test]
fn markets_parse_strictly() {
    let c = cat();
    assert_eq!(
        parse_markets(&c, "eu, DE,uk,SG,de").unwrap(),
        ["EU", "DE", "GB", "SG"]
    );
    assert!(matches!(
        parse_markets(&c, "ZZ"),
        Err(MarketError::Unknown(_))
    ));
    assert!(matches!(
        parse_markets(&c, "DEU"),
        Err(MarketError::Malformed(_))
    ));
    assert!(matches!(
        parse_markets(&c, " , "),
        Err(MarketError::Count { .. })
    ));
    assert_eq!(market_jurisdictions("NL"), ["EU", "NL"]);
    assert_eq!(market_jurisdictions("GB"), ["GB"]);
}

#[test]
fn market_access_and_the_smallest_plan() {
    let c = cat();
    let idx = RecognitionIndex::new(&c).unwrap();
    // A thermostat with only a CLS level 1 label, for the EU, the UK and Singapore.
    let (scheme, level) = (sid("sg-cls"), lid("l1"));
    let v = all_pass(&c, &scheme, &level);
    let cert = CertificateFacts {
        id: "KM-SG1",
        scheme: &scheme,
        level: &level,
        category: Category::Thermostat,
        verdicts: &v,
    };
    let markets = parse_markets(&c, "EU,UK,SG").unwrap();
    let m = idx.market_access(
        "PRD-1",
        Category::Thermostat,
        &[cert],
        &markets,
        d("2026-12-01"),
    );
    let uk = &m.markets[1];
    assert_eq!(uk.market, "GB");
    assert_eq!(uk.mandatory.len(), 1);
    assert_eq!(uk.mandatory[0].scheme, "uk-psti");
    assert_eq!(uk.mandatory[0].satisfied, Satisfaction::Deemed);
    assert_eq!(uk.mandatory[0].certificates, ["KM-SG1"]);
    // Before the UK-Singapore arrangement, PSTI is met only on paper (its four provisions are
    // all CLS level 1 provisions).
    let m0 = idx.market_access(
        "PRD-1",
        Category::Thermostat,
        &[cert],
        &markets,
        d("2025-12-31"),
    );
    assert_eq!(
        m0.markets[1].mandatory[0].satisfied,
        Satisfaction::MeetsRequirements
    );
    let eu = &m.markets[0];
    let regimes: Vec<_> = eu
        .mandatory
        .iter()
        .map(|r| (r.scheme.as_str(), r.status))
        .collect();
    assert_eq!(
        regimes,
        [
            ("eu-cra", LegalKind::Reporting),
            ("eu-red-en18031", LegalKind::Mandatory)
        ]
    );
    let red = &eu.mandatory[1];
    assert_eq!(red.satisfied, Satisfaction::NotSatisfied);
    assert!(red.missing.iter().any(|p| p == "5.5-1"));
    assert!(red.also_required.iter().any(|p| p == "nmm"));
    assert!(eu.upcoming.iter().any(|u| u.scheme == "eu-cra"
        && u.from == d("2027-12-11")
        && u.status == LegalKind::Mandatory));
    // The plan is exactly RED's missing provisions (the only open mandatory regime), and it
    // covers every one of them.
    assert_eq!(m.plan.regimes, ["eu-red-en18031/conformity"]);
    assert_eq!(m.plan.provisions, red.missing);
    assert!(m
        .plan
        .also_required
        .contains(&"eu-red-en18031/nmm".to_owned()));
    // In 2028 the CRA is mandatory too: the plan grows to the union, without duplicates.
    let m2 = idx.market_access(
        "PRD-1",
        Category::Thermostat,
        &[cert],
        &markets,
        d("2028-01-01"),
    );
    assert_eq!(
        m2.plan.regimes,
        ["eu-cra/conformity", "eu-red-en18031/conformity"]
    );
    let set: BTreeSet<_> = m2.plan.provisions.iter().collect();
    assert_eq!(set.len(), m2.plan.provisions.len());
    for r in &m2.markets[0].mandatory {
        assert!(r.missing.iter().all(|p| set.contains(p)));
    }
    // A Singapore market has only voluntary labels; the CLS level 1 is held.
    let sg = &m.markets[2];
    assert!(sg.mandatory.is_empty());
    assert!(sg
        .voluntary
        .iter()
        .any(|v| v.scheme == "sg-cls" && v.level == "l1" && v.outcome == Outcome::Accepted));
}

#[test]
fn legal_positions_follow_the_dates() {
    let c = cat();
    let cra = c.get(&sid("eu-cra")).unwrap();
    let p = legal_position(cra, Category::Camera, d("2026-09-10"));
    assert_eq!(p[0].now, Some(LegalKind::Voluntary));
    assert_eq!(p[0].next, Some((LegalKind::Reporting, d("2026-09-11"))));
    let p = legal_position(cra, Category::Camera, d("2026-09-11"));
    assert_eq!(p[0].now, Some(LegalKind::Reporting));
    assert_eq!(p[0].next, Some((LegalKind::Mandatory, d("2027-12-11"))));
    let p = legal_position(cra, Category::Camera, d("2027-12-11"));
    assert_eq!(p[0].now, Some(LegalKind::Mandatory));
    assert_eq!(p[0].next, None);
    let red = c.get(&sid("eu-red-en18031")).unwrap();
    assert_eq!(
        legal_position(red, Category::Router, d("2025-07-31"))[0].now,
        Some(LegalKind::Voluntary)
    );
    assert_eq!(
        legal_position(red, Category::Router, d("2025-08-01"))[0].now,
        Some(LegalKind::Mandatory)
    );
    let psti = c.get(&sid("uk-psti")).unwrap();
    assert_eq!(
        legal_position(psti, Category::Camera, d("2024-04-28"))[0].now,
        None
    );
    let p = legal_position(psti, Category::Camera, d("2024-04-29"));
    assert_eq!(p[0].now, Some(LegalKind::Mandatory));
    assert_eq!(
        p[0].supervisor,
        Some("Office for Product Safety and Standards (OPSS)")
    );
    // Computers are excepted from PSTI.
    assert_eq!(
        legal_position(psti, Category::Computer, d("2026-01-01"))[0].now,
        None
    );
}

fn arb_case() -> impl Strategy<Value = (usize, usize, Vec<u8>, usize, i64)> {
    (
        0usize..64,
        0usize..8,
        proptest::collection::vec(0u8..4, 0..80),
        0usize..Category::ALL.len(),
        0i64..4000,
    )
}

proptest! {
    #[test]
    fn reports_never_list_a_provision_both_covered_and_missing(case in arb_case()) {
        let c = cat();
        let idx = RecognitionIndex::new(&c).unwrap();
        let (si, li, verdicts, ci, day) = case;
        let schemes: Vec<&Scheme> = c.iter().collect();
        let s = schemes[si % schemes.len()];
        let l = &s.levels[li % s.levels.len()];
        let v: BTreeMap<String, Verdict> = s
            .requirements
            .iter()
            .zip(verdicts.iter().chain(std::iter::repeat(&0)))
            .map(|(r, k)| {
                let v = match k {
                    0 => Verdict::Pass,
                    1 => Verdict::Fail { note: None },
                    2 => Verdict::NotApplicable { justification: "n/a".into() },
                    _ => Verdict::Inconclusive { note: None },
                };
                (r.id.clone(), v)
            })
            .collect();
        let cert = CertificateFacts {
            id: "KM-P",
            scheme: &s.id,
            level: &l.id,
            category: Category::ALL[ci],
            verdicts: &v,
        };
        let at = d("2020-01-01") + chrono::Duration::days(day);
        let r = idx.report(&cert, at);
        let covered: BTreeSet<_> = r.covered.iter().collect();
        prop_assert!(r.missing_mandatory.iter().all(|m| !covered.contains(m)));
        for t in &r.targets {
            prop_assert!(t.missing.iter().all(|m| !covered.contains(m)));
            match t.outcome {
                Outcome::Accepted => prop_assert!(t.basis == Some(Basis::Agreement) && t.kind.is_some() && t.missing.is_empty()),
                Outcome::MeetsRequirements => prop_assert!(t.basis == Some(Basis::Coverage) && t.missing.is_empty()),
                Outcome::NotAccepted => prop_assert!(t.basis.is_none() && t.kind.is_none()),
            }
            // Accepted exactly when a grant is in force and does not exclude the category.
            let grant = c.grants().into_iter().any(|g| {
                g.source == &s.id && g.source_level == l.id && g.target == &t.scheme.id
                    && g.target_level == t.level.id && g.arrangement.in_force(at)
                    && !g.arrangement.excluded_categories.contains(&Category::ALL[ci])
            });
            prop_assert_eq!(grant, t.outcome == Outcome::Accepted);
        }
        // Deterministic: the same inputs give the same report, also through a new index.
        let fresh = RecognitionIndex::new(&c).unwrap();
        let again = fresh.report(&cert, at);
        prop_assert_eq!(&r, &again);
        prop_assert_eq!(r.to_json(Lang::De), again.to_json(Lang::De));
    }
}
