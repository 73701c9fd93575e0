use super::*;
use crate::model::Category;

fn catalogue() -> Catalogue {
    Catalogue::from_files(super::SHIPPED).unwrap()
}

fn id(s: &str) -> SchemeId {
    SchemeId::new(s).unwrap()
}

fn lvl(s: &str) -> LevelId {
    LevelId::new(s).unwrap()
}

#[test]
fn shipped_catalogue_loads() {
    let c = catalogue();
    assert_eq!(c.iter().count(), 10);
    assert_eq!(c.baseline().unwrap().id.as_str(), "eu-iot");
}

#[test]
fn baseline_has_all_78_provisions_36_mandatory() {
    let c = catalogue();
    let b = c.baseline().unwrap();
    assert_eq!(b.requirements.len(), 78);
    let m = b
        .requirements
        .iter()
        .filter(|r| r.obligation == Obligation::Mandatory)
        .count();
    assert_eq!(m, 36);
    let r = b.requirement("5.1-1").unwrap();
    assert!(r.conditional);
    assert_eq!(r.obligation, Obligation::Mandatory);
    assert!(!b.requirement("5.2-1").unwrap().conditional);
    assert_eq!(
        b.requirement("5.3-4A").unwrap().obligation,
        Obligation::Recommended
    );
    let levels: Vec<_> = b
        .levels
        .iter()
        .map(|l| (l.id.as_str(), l.self_assessment))
        .collect();
    assert_eq!(
        levels,
        [("basic", true), ("substantial", false), ("high", false)]
    );
    assert!(b.level(&lvl("high")).unwrap().authority_approval);
}

#[test]
fn eucc_rules() {
    let c = catalogue();
    let e = c.get(&id("eucc")).unwrap();
    assert!(e.third_party_only);
    assert!(e.levels.iter().all(|l| !l.self_assessment));
    assert_eq!(e.level(&lvl("substantial")).unwrap().ava_van, [1, 2]);
    assert_eq!(e.level(&lvl("high")).unwrap().ava_van, [3, 4, 5]);
    assert_eq!(e.policy.max_validity_months, 60);
    assert!(e.policy.remediation_days.critical <= 30);
    assert_eq!(e.policy.max_suspension_days, 42);
}

#[test]
fn national_schemes() {
    let c = catalogue();
    let sg = c.get(&id("sg-cls")).unwrap();
    let stars: Vec<_> = sg
        .levels
        .iter()
        .map(|l| (l.stars, l.self_assessment))
        .collect();
    assert_eq!(
        stars,
        [
            (Some(1), true),
            (Some(2), true),
            (Some(3), false),
            (Some(4), false)
        ]
    );
    assert!(sg.policy.valid_only_while_supported);
    assert_eq!(
        c.get(&id("fi-traficom")).unwrap().status,
        SchemeStatus::Legacy
    );
    assert_eq!(
        c.get(&id("de-bsi-itsik"))
            .unwrap()
            .policy
            .max_validity_months,
        24
    );
    let uk = c.get(&id("uk-psti")).unwrap();
    let ids: Vec<_> = uk.requirements.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["5.1-1", "5.1-2", "5.2-1", "5.3-13"]);
}

#[test]
fn required_at_defaults_to_mandatory() {
    let c = catalogue();
    let b = c.baseline().unwrap();
    let basic = b.level(&lvl("basic")).unwrap();
    assert_eq!(b.required_at(basic).len(), 36);
    let sg = c.get(&id("sg-cls")).unwrap();
    assert_eq!(sg.required_at(sg.level(&lvl("l1")).unwrap()).len(), 5);
}

fn minimal(extra: &str) -> String {
    format!(
        r#"id = "x-test"
version = "1"
title = "Test"
short_name = "T"
owner = "Us"
description = "d"
status = "active"
baseline = true
texts.nl = {{ title = "Toets", description = "b", levels = {{ basic = {{ name = "Basis", description = "b" }} }} }}
texts.de = {{ title = "Prüfung", description = "b", levels = {{ basic = {{ name = "Niedrig", description = "b" }} }} }}
texts.fr = {{ title = "Essai", description = "b", levels = {{ basic = {{ name = "Élémentaire", description = "b" }} }} }}
{extra}
[[levels]]
id = "basic"
name = "Basic"
rank = 1
description = "d"

[policy]
max_validity_months = 12
remediation_days = {{ critical = 30, high = 60, medium = 90, low = 180 }}
max_suspension_days = 42

[[requirements]]
id = "r1"
title = "R one"
obligation = "mandatory"
"#
    )
}

#[test]
fn minimal_scheme_parses() {
    Scheme::from_toml("t.toml", &minimal("")).unwrap();
}

#[test]
fn unknown_key_is_named_with_file_and_line() {
    let e = Scheme::from_toml("t.toml", &minimal("colour = \"red\"")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("t.toml:"), "{msg}");
    assert!(msg.contains("colour"), "{msg}");
    assert!(msg.contains("line"), "{msg}");
}

#[test]
fn bad_toml_is_a_syntax_error() {
    let e = Scheme::from_toml("broken.toml", "id = ").unwrap_err();
    assert!(matches!(e, SchemeError::Syntax { .. }), "{e}");
    assert!(e.to_string().starts_with("broken.toml:"));
}

#[test]
fn bad_level_id_is_named() {
    let text = minimal("").replace("id = \"basic\"", "id = \"Basic Level\"");
    let e = Scheme::from_toml("t.toml", &text).unwrap_err();
    assert!(e.to_string().contains("level id"), "{e}");
}

#[test]
fn invalid_values_name_the_key() {
    let cases = [
        (
            minimal("").replace("max_validity_months = 12", "max_validity_months = 0"),
            "policy.max_validity_months",
        ),
        (
            minimal("").replace("critical = 30, high = 60", "critical = 90, high = 60"),
            "policy.remediation_days",
        ),
        (
            minimal("third_party_only = true").replace("rank = 1", "rank = 1\nself_assessment = true"),
            "levels[0].self_assessment",
        ),
        (
            minimal("").replace("rank = 1", "rank = 1\nrequired = [\"nope\"]"),
            "levels[0].required[0]",
        ),
        (
            minimal("").replace("rank = 1", "rank = 1\nstars = 9"),
            "levels[0].stars",
        ),
        (
            format!("{}\n[[requirements]]\nid = \"r1\"\ntitle = \"again\"\nobligation = \"recommended\"\n", minimal("")),
            "requirements[1].id",
        ),
    ];
    for (text, key) in cases {
        match Scheme::from_toml("t.toml", &text) {
            Err(SchemeError::Invalid { key: k, file, .. }) => {
                assert_eq!(k, key);
                assert_eq!(file, "t.toml");
            }
            other => panic!("expected invalid {key}, got {other:?}"),
        }
    }
}

#[test]
fn catalogue_checks_cross_references() {
    let base = minimal("");
    let other = other_scheme("", "").replace(
        "obligation = \"mandatory\"",
        "obligation = \"mandatory\"\nmaps_to = [\"zz\"]",
    );
    let e =
        Catalogue::from_files([("a.toml", base.as_str()), ("b.toml", other.as_str())]).unwrap_err();
    assert!(
        e.to_string().contains("b.toml") && e.to_string().contains("zz"),
        "{e}"
    );

    let dup =
        Catalogue::from_files([("a.toml", base.as_str()), ("c.toml", base.as_str())]).unwrap_err();
    assert!(matches!(dup, SchemeError::Duplicate { .. }), "{dup}");

    let none = other_scheme("", "");
    let e = Catalogue::from_files([("a.toml", none.as_str())]).unwrap_err();
    assert_eq!(e, SchemeError::Baseline { found: 0 });

    let rec = minimal("") + &arrangement("a1", "nope", "x", "2025-01-01", "");
    let e = Catalogue::from_files([("r.toml", rec.as_str())]).unwrap_err();
    assert!(e.to_string().contains("r.toml"), "{e}");
    assert!(e.to_string().contains("recognitions[0]"), "{e}");
}

/// A recognition arrangement from `x-test/basic` to `scheme/level`, appended to a file.
fn arrangement(id: &str, scheme: &str, level: &str, from: &str, extra: &str) -> String {
    format!(
        "\n[[recognitions]]\nid = \"{id}\"\nkind = \"mutual_recognition\"\ndirection = \"mutual\"\n\
         level = \"basic\"\nscheme = \"{scheme}\"\nas_level = \"{level}\"\nfrom = \"{from}\"\n\
         source = \"test\"\n{extra}"
    )
}

/// A second, non-baseline scheme `y-test` with one level `basic`.
fn other_scheme(extra_top: &str, tail: &str) -> String {
    minimal(&format!(
        "{extra_top}\n[mapping]\ncoverage = \"partial\"\nsource = \"test\"\n"
    ))
    .replace("id = \"x-test\"", "id = \"y-test\"")
    .replace("baseline = true", "")
        + tail
}

fn invalid_at(files: &[(&str, &str)]) -> (String, String, String) {
    match Catalogue::from_files(files.iter().copied()) {
        Err(SchemeError::Invalid { file, key, problem }) => (file, key, problem),
        other => panic!("expected an invalid key, got {other:?}"),
    }
}

#[test]
fn arrangements_are_validated_naming_file_and_key() {
    let y = other_scheme("", "");
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            minimal("")
                + &arrangement(
                    "a1",
                    "y-test",
                    "basic",
                    "2025-01-01",
                    "until = \"2025-01-01\"\n",
                ),
            "a.toml",
            "recognitions[0].until",
            "on or before",
        ),
        (
            minimal("") + &arrangement("a1", "x-test", "basic", "2025-01-01", ""),
            "a.toml",
            "recognitions[0].scheme",
            "two different schemes",
        ),
        (
            minimal("") + &arrangement("a1", "y-test", "gold", "2025-01-01", ""),
            "a.toml",
            "recognitions[0]",
            "unknown scheme level `y-test/gold`",
        ),
        (
            minimal("")
                + &arrangement(
                    "a1",
                    "y-test",
                    "basic",
                    "2025-01-01",
                    "excluded_categories = [\"smart_lock\", \"smart_lock\"]\n",
                ),
            "a.toml",
            "recognitions[0].excluded_categories[1]",
            "twice",
        ),
        (
            minimal("")
                + &arrangement(
                    "a1",
                    "y-test",
                    "basic",
                    "2025-01-01",
                    "until = \"2026-01-01\"\n",
                )
                + &arrangement("a2", "y-test", "basic", "2025-06-01", ""),
            "a.toml",
            "recognitions[1]",
            "overlaps",
        ),
        (
            minimal("")
                + &arrangement("a1", "y-test", "basic", "2025-01-01", "")
                + &arrangement("a1", "y-test", "basic", "2030-01-01", ""),
            "a.toml",
            "recognitions[1].id",
            "also defined",
        ),
    ];
    for (x, file, key, problem) in &cases {
        let (f, k, p) = invalid_at(&[("a.toml", x.as_str()), ("b.toml", y.as_str())]);
        assert_eq!((f.as_str(), k.as_str()), (*file, *key), "{p}");
        assert!(p.contains(problem), "{key}: {p}");
    }
    // Consecutive arrangements for the same pair are fine; so is the other direction in the
    // other file when the first is one-way.
    let ok = minimal("")
        + &arrangement(
            "a1",
            "y-test",
            "basic",
            "2025-01-01",
            "until = \"2026-01-01\"\n",
        )
        + &arrangement("a2", "y-test", "basic", "2026-01-01", "");
    Catalogue::from_files([("a.toml", ok.as_str()), ("b.toml", y.as_str())]).unwrap();
    // A mutual arrangement and the same direction written in the other file overlap.
    let x = minimal("") + &arrangement("a1", "y-test", "basic", "2025-01-01", "");
    let y2 = other_scheme("", "") + &arrangement("b1", "x-test", "basic", "2025-01-01", "");
    let (f, k, p) = invalid_at(&[("a.toml", x.as_str()), ("b.toml", y2.as_str())]);
    assert!(
        k.starts_with("recognitions[0]") && p.contains("overlaps"),
        "{f} {k} {p}"
    );
    // An unknown kind or category is a syntax error naming the key.
    let bad = minimal("")
        + &arrangement("a1", "y-test", "basic", "2025-01-01", "")
            .replace("mutual_recognition", "handshake");
    let e = Scheme::from_toml("a.toml", &bad).unwrap_err();
    assert!(
        e.to_string().starts_with("a.toml:") && e.to_string().contains("handshake"),
        "{e}"
    );
    let bad = minimal("")
        + &arrangement(
            "a1",
            "y-test",
            "basic",
            "2025-01-01",
            "excluded_categories = [\"toaster\"]\n",
        );
    let e = Scheme::from_toml("a.toml", &bad).unwrap_err();
    assert!(e.to_string().contains("toaster"), "{e}");
    let bad = minimal("") + &arrangement("a1", "y-test", "basic", "2025-13-01", "");
    let e = Scheme::from_toml("a.toml", &bad).unwrap_err();
    assert!(e.to_string().starts_with("a.toml:"), "{e}");
}

#[test]
fn jurisdictions_need_supervision_and_legal_status() {
    let sup = "\n[[supervision]]\njurisdiction = \"GB\"\nbody = \"OPSS\"\nsource = \"s\"\n";
    let legal = "\n[[legal_status]]\njurisdiction = \"GB\"\nstatus = \"mandatory\"\nfrom = \"2024-04-29\"\nsource = \"s\"\n";
    let j = "jurisdictions = [\"GB\"]";
    let ok = other_scheme(j, &format!("{sup}{legal}"));
    Scheme::from_toml("y.toml", &ok).unwrap();
    let cases = [
        (
            other_scheme(j, legal),
            "supervision",
            "no supervising body for jurisdiction `GB`",
        ),
        (
            other_scheme(j, sup),
            "legal_status",
            "no legal status for jurisdiction `GB`",
        ),
        (
            other_scheme(j, &format!("{sup}{sup}{legal}")),
            "supervision[1].jurisdiction",
            "two supervising bodies",
        ),
        (
            other_scheme(j, &format!("{}{legal}", sup.replace("GB", "SG"))),
            "supervision[0].jurisdiction",
            "not one of the scheme's jurisdictions",
        ),
        (
            other_scheme(
                j,
                &format!("{sup}{legal}{}", legal.replace("mandatory", "voluntary")),
            ),
            "legal_status[1]",
            "contradicts legal_status[0]",
        ),
        (
            other_scheme(
                j,
                &format!(
                    "{sup}{}",
                    legal.replace("source", "categories = []\nsource")
                ),
            ),
            "legal_status[0].categories",
            "covers nothing",
        ),
        (
            minimal("").replace("baseline = true", ""),
            "mapping",
            "map onto the baseline",
        ),
    ];
    for (text, key, problem) in cases {
        match Scheme::from_toml("y.toml", &text) {
            Err(SchemeError::Invalid {
                key: k,
                file,
                problem: p,
            }) => {
                assert_eq!((file.as_str(), k.as_str()), ("y.toml", key), "{p}");
                assert!(p.contains(problem), "{key}: {p}");
            }
            other => panic!("expected invalid {key}, got {other:?}"),
        }
    }
    // Legal status by category and date.
    let s = Scheme::from_toml("y.toml", &ok).unwrap();
    let day = |d: &str| d.parse::<NaiveDate>().unwrap();
    assert!(s
        .legal_status_at("GB", Category::Camera, day("2024-04-28"))
        .is_none());
    assert_eq!(
        s.legal_status_at("GB", Category::Camera, day("2024-04-29"))
            .map(|l| l.status),
        Some(LegalKind::Mandatory)
    );
    assert_eq!(
        s.next_legal_change("GB", Category::Camera, day("2024-04-28"))
            .and_then(|l| l.from),
        Some(day("2024-04-29"))
    );
    assert_eq!(s.supervisor("GB").map(|s| s.body.as_str()), Some("OPSS"));
    assert!(s.applies_in("GB") && !s.applies_in("NL"));
}

#[test]
fn shipped_schemes_state_supervision_legal_status_and_mapping() {
    let c = catalogue();
    for s in c.iter() {
        for j in &s.jurisdictions {
            assert!(s.supervisor(j).is_some(), "{} {j}", s.id);
            assert!(
                s.legal_status.iter().any(|l| &l.jurisdiction == j),
                "{} {j}",
                s.id
            );
        }
        assert!(s.baseline || s.mapping.is_some(), "{}", s.id);
    }
    let day = |d: &str| d.parse::<NaiveDate>().unwrap();
    // Supervision follows the scheme's jurisdiction: PSTI is supervised in the UK.
    let uk = c.get(&id("uk-psti")).unwrap();
    assert_eq!(uk.jurisdictions, ["GB"]);
    assert!(uk.supervisor("GB").unwrap().body.contains("OPSS"));
    assert!(c
        .get(&id("sg-cls"))
        .unwrap()
        .supervisor("SG")
        .unwrap()
        .body
        .contains("Singapore"));
    // The CRA dates.
    let cra = c.get(&id("eu-cra")).unwrap();
    let at = |d: &str| {
        cra.legal_status_at("EU", Category::Router, day(d))
            .map(|l| l.status)
    };
    assert_eq!(at("2026-09-10"), Some(LegalKind::Voluntary));
    assert_eq!(at("2026-09-11"), Some(LegalKind::Reporting));
    assert_eq!(at("2027-12-10"), Some(LegalKind::Reporting));
    assert_eq!(at("2027-12-11"), Some(LegalKind::Mandatory));
    let kr = c.get(&id("kr-kisa-iot")).unwrap();
    let levels: Vec<_> = kr.levels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(levels, ["Lite", "Basic", "Standard"]);
    let jp = c.get(&id("jp-jc-star")).unwrap();
    let stars: Vec<_> = jp
        .levels
        .iter()
        .map(|l| (l.stars, l.self_assessment))
        .collect();
    assert_eq!(
        stars,
        [
            (Some(1), true),
            (Some(2), false),
            (Some(3), false),
            (Some(4), false)
        ]
    );
}

#[test]
fn every_shipped_scheme_speaks_four_languages() {
    for s in catalogue().iter() {
        for lang in Lang::ALL {
            assert!(!s.title_in(lang).trim().is_empty(), "{} {lang}", s.id);
            assert!(!s.description_in(lang).trim().is_empty(), "{} {lang}", s.id);
            for l in &s.levels {
                assert!(!s.level_name_in(&l.id, lang).trim().is_empty());
                assert!(!s.level_description_in(&l.id, lang).trim().is_empty());
            }
            // Every requirement title the scheme page shows is translated (in the file, or
            // shared with the baseline).
            for r in &s.requirements {
                let (title, in_lang) = s.requirement_title(r, lang);
                assert_eq!(in_lang, lang, "{} {} {lang}", s.id, r.id);
                assert!(!title.trim().is_empty());
            }
        }
        // Translated, not copied: the title and description differ from the English.
        for lang in [Lang::Nl, Lang::De, Lang::Fr] {
            assert_ne!(s.description_in(lang), s.description, "{} {lang}", s.id);
            for l in &s.levels {
                assert_ne!(
                    s.level_description_in(&l.id, lang),
                    l.description,
                    "{} {} {lang}",
                    s.id,
                    l.id
                );
            }
        }
    }
    let c = catalogue();
    let eucc = c.get(&id("eucc")).unwrap();
    assert_eq!(eucc.level_name_in(&lvl("high"), Lang::De), "Hoch");
    assert_eq!(eucc.level_name_in(&lvl("high"), Lang::En), "High");
    assert_eq!(
        c.get(&id("de-bsi-itsik")).unwrap().title_in(Lang::De),
        "IT-Sicherheitskennzeichen des BSI"
    );
}

#[test]
fn a_missing_language_or_level_text_is_named_with_file_and_key() {
    let cases = [
        (
            minimal("")
                .lines()
                .filter(|l| !l.starts_with("texts.de"))
                .collect::<Vec<_>>()
                .join("\n"),
            "texts.de",
        ),
        (
            minimal("").replace("title = \"Essai\", ", "title = \"  \", "),
            "texts.fr.title",
        ),
        (
            minimal("").replace(
                "levels = { basic = { name = \"Basis\", description = \"b\" } }",
                "levels = {}",
            ),
            "texts.nl.levels.basic",
        ),
        (
            minimal("").replace("{ name = \"Niedrig\", description = \"b\" }", "{ name = \"\", description = \"b\" }"),
            "texts.de.levels.basic.name",
        ),
        (
            minimal("").replace(
                "levels = { basic = { name = \"Basis\", description = \"b\" } }",
                "levels = { basic = { name = \"Basis\", description = \"b\" }, top = { name = \"Top\", description = \"t\" } }",
            ),
            "texts.nl.levels.top",
        ),
        (
            minimal("").replace(
                "texts.nl = {",
                "texts.nl = { requirements = { \"r9\" = \"Negen\" }, ",
            ),
            "texts.nl.requirements.\"r9\"",
        ),
        (
            minimal("texts.en = { title = \"T\", description = \"d\" }"),
            "texts.en",
        ),
    ];
    for (text, key) in cases {
        match Scheme::from_toml("t.toml", &text) {
            Err(SchemeError::Invalid { key: k, file, .. }) => {
                assert_eq!(k, key);
                assert_eq!(file, "t.toml");
            }
            other => panic!("expected invalid {key}, got {other:?}"),
        }
    }
    // A language that is not one of ours is a syntax error naming file and line.
    let e = Scheme::from_toml("t.toml", &minimal("").replace("texts.de = ", "texts.es = "))
        .unwrap_err();
    assert!(e.to_string().starts_with("t.toml:"), "{e}");
}

#[test]
fn requirement_titles_fall_back_to_english_and_say_so() {
    let text = minimal("").replace(
        "texts.nl = {",
        "texts.nl = { requirements = { \"r1\" = \"R een\" }, ",
    );
    let s = Scheme::from_toml("t.toml", &text).unwrap();
    let r = s.requirement("r1").unwrap();
    assert_eq!(s.requirement_title(r, Lang::Nl), ("R een", Lang::Nl));
    assert_eq!(s.requirement_title(r, Lang::De), ("R one", Lang::En));
    assert_eq!(s.requirement_title(r, Lang::En), ("R one", Lang::En));
}

#[test]
fn schemes_built_on_the_baseline_share_its_translated_titles() {
    let c = catalogue();
    let base = c.baseline().unwrap();
    for r in &base.requirements {
        for lang in [Lang::Nl, Lang::De, Lang::Fr] {
            assert_eq!(base.requirement_title(r, lang).1, lang, "{} {lang}", r.id);
        }
    }
    let sg = c.get(&id("sg-cls")).unwrap();
    let r = sg.requirement("5.1-1").unwrap();
    assert_eq!(
        sg.requirement_title(r, Lang::De),
        (
            "Passwörter je Gerät eindeutig oder vom Nutzer festgelegt",
            Lang::De
        )
    );
    // A requirement of the scheme's own is translated in its file.
    let own = sg.requirement("sg-binary-analysis").unwrap();
    assert_eq!(
        sg.requirement_title(own, Lang::Nl),
        (
            "Analyse van de software door een erkend laboratorium",
            Lang::Nl
        )
    );
}
