use super::*;

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
    assert_eq!(c.iter().count(), 6);
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
    let other = minimal("")
        .replace("id = \"x-test\"", "id = \"y-test\"")
        .replace("baseline = true", "")
        .replace(
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

    let none = minimal("").replace("baseline = true", "");
    let e = Catalogue::from_files([("a.toml", none.as_str())]).unwrap_err();
    assert_eq!(e, SchemeError::Baseline { found: 0 });

    let rec = minimal("[[recognitions]]\nlevel = \"basic\"\nscheme = \"nope\"\nas_level = \"x\"\nsource = \"s\"\n");
    // recognitions must come after top-level keys; put it at the end instead
    let rec = rec.replace(
        "[[recognitions]]\nlevel = \"basic\"\nscheme = \"nope\"\nas_level = \"x\"\nsource = \"s\"\n",
        "",
    ) + "\n[[recognitions]]\nlevel = \"basic\"\nscheme = \"nope\"\nas_level = \"x\"\nsource = \"s\"\n";
    let e = Catalogue::from_files([("r.toml", rec.as_str())]).unwrap_err();
    assert!(e.to_string().contains("recognitions[0]"), "{e}");
}
