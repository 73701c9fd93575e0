//! Layout and SVG validity tests (need crate-internal access to the layout).

use chrono::NaiveDate;

use crate::fit::measure;
use crate::png::parse_tree;
use crate::svg::{escape, layout, LABEL_HEIGHT, LABEL_WIDTH};
use crate::*;

pub(crate) fn sample(kind: IssuerKind, stars: Option<u8>) -> LabelInput {
    LabelInput {
        scheme_id: "eu-iot-baseline".into(),
        scheme_name: "EU Cybersecurity Label – Consumer IoT".into(),
        level_id: "substantial".into(),
        level_name: "Substantial".into(),
        stars,
        issuer_kind: kind,
        issuer_name: "TÜV Example Prüflabor GmbH".into(),
        support_until: NaiveDate::from_ymd_opt(2031, 6, 30).unwrap(),
        certificate_id: "KM-2026-000123".into(),
        product_name: "Acme SmartCam Pro 4K SC-4000-EU".into(),
        design: Design::Eu,
        not_valid: None,
        qr_url: "https://keurmerk.example.eu/c/KM-2026-000123#AQG2LoZ_ovM6_oWgAd6lAbyvAQ5LTS0yMDI2LTAwMDEyMw9ldS1pb3QtYmFzZWxpbmULc3Vic3RhbnRpYWwpQWNtZSBTbWFydENhbSBQcm8gNEsgT3V0ZG9vciBTZWN1cml0eSBDYW0SU0MtNDAwMC1FVS9CIHJldi4yRjNgtLpuIvV4ITh0pQhCmK0Z1nEPLWRY6me2uoM9gFmWPib_IJlOIVNQVhIKqpFr8mNTmQ9wKwm7uMoTqnm1AQ".into(),
    }
}

fn long(kind: IssuerKind, stars: Option<u8>) -> LabelInput {
    LabelInput {
        scheme_name: "Bundesamt für Sicherheit in der Informationstechnik – IT-Sicherheitskennzeichen für Verbraucherprodukte".into(),
        level_name: "Substantial (Vertrauenswürdigkeitsstufe „substanziell“ nach Artikel 52)".into(),
        issuer_name: "Laboratoire d’évaluation de la sécurité des technologies de l’information WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW".into(),
        certificate_id: "KM-2026-000123-EXTRA-LONG-IDENTIFIER-WITH-MANY-PARTS-0000000000".into(),
        support_until: NaiveDate::from_ymd_opt(2031, 9, 30).unwrap(),
        product_name: "Überwachungskamera für Außenbereiche mit Nachtsicht und Zwei-Wege-Audio WWWWWWWWWWWWWWWWWWWWWW".into(),
        ..sample(kind, stars)
    }
}

const DESIGNS: [Design; 5] = [
    Design::Eu,
    Design::Stars,
    Design::Statement,
    Design::Declaration,
    Design::Plain,
];

fn all_inputs() -> Vec<LabelInput> {
    let mut v = Vec::new();
    for (i, kind) in [IssuerKind::ThirdParty, IssuerKind::SelfDeclared]
        .into_iter()
        .enumerate()
    {
        for (j, stars) in [None, Some(1), Some(4), Some(9)].into_iter().enumerate() {
            let design = DESIGNS[(i + j) % DESIGNS.len()];
            v.push(LabelInput {
                design,
                ..sample(kind, stars)
            });
            v.push(LabelInput {
                design,
                ..long(kind, stars)
            });
            v.push(LabelInput {
                design,
                not_valid: Some("no more security updates, replaced by a newer label with a very long explanation".into()),
                ..long(kind, stars)
            });
        }
    }
    v
}

#[test]
fn no_text_overflows_its_box_in_any_language() {
    for input in all_inputs() {
        for lang in Lang::ALL {
            for l in layout(&input, lang) {
                let w = measure(&l.text, l.size, l.bold);
                assert!(
                    w <= l.box_width + 0.01,
                    "{lang:?} {:?}: {w} > {}",
                    l.text,
                    l.box_width
                );
                let (left, right) = if l.centred {
                    (l.x - l.box_width / 2.0, l.x + l.box_width / 2.0)
                } else {
                    (l.x, l.x + l.box_width)
                };
                assert!(
                    left >= 16.0 && right <= LABEL_WIDTH - 16.0,
                    "{lang:?} {:?}",
                    l.text
                );
                // DejaVu descender is 0.236 em.
                assert!(
                    l.baseline + 0.24 * l.size <= l.slot_bottom + 0.01,
                    "{lang:?} {:?} overflows its slot",
                    l.text
                );
                assert!(l.slot_bottom <= LABEL_HEIGHT - 16.0);
                if (180.0..268.0).contains(&l.baseline) {
                    assert!(
                        l.slot_bottom <= 268.0,
                        "{lang:?} {:?} leaves the issuer band",
                        l.text
                    );
                }
            }
        }
    }
}

fn text_boxes(group: &resvg::usvg::Group, out: &mut Vec<resvg::usvg::Rect>) {
    for node in group.children() {
        match node {
            resvg::usvg::Node::Group(g) => text_boxes(g, out),
            resvg::usvg::Node::Text(t) => out.push(t.abs_bounding_box()),
            _ => {}
        }
    }
}

#[test]
fn svg_is_valid_and_rendered_text_stays_inside_the_label() {
    for input in all_inputs() {
        for lang in Lang::ALL {
            let svg = render_svg(&input, lang).unwrap();
            let tree = parse_tree(&svg).unwrap();
            let mut boxes = Vec::new();
            text_boxes(tree.root(), &mut boxes);
            let least = if input.not_valid.is_some() { 5 } else { 10 };
            assert!(
                boxes.len() >= least,
                "text must be shaped with the embedded font ({lang:?})"
            );
            // The SVG's size is in millimetres: back to viewBox units.
            let k = LABEL_WIDTH / tree.size().width();
            for b in boxes {
                let b = resvg::usvg::Rect::from_ltrb(
                    b.left() * k,
                    b.top() * k,
                    b.right() * k,
                    b.bottom() * k,
                )
                .unwrap();
                assert!(
                    b.left() >= 15.0 && b.right() <= LABEL_WIDTH - 15.0,
                    "{lang:?}: {b:?}"
                );
                assert!(
                    b.top() >= 0.0 && b.bottom() <= LABEL_HEIGHT,
                    "{lang:?}: {b:?}"
                );
            }
        }
    }
}

#[test]
fn all_text_is_escaped() {
    let mut input = sample(IssuerKind::ThirdParty, None);
    input.issuer_name = "<script>alert('x')</script> & \"Co\"\u{0}\u{7}\u{ffff}".into();
    input.scheme_name = "]]><!-- &amp;".into();
    input.scheme_id = "a\"b".into();
    let svg = render_svg(&input, Lang::En).unwrap();
    assert!(!svg.contains("<script>"));
    parse_tree(&svg).unwrap();
    assert_eq!(escape("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;");
}

#[test]
fn self_declared_and_tested_differ_in_words_and_design() {
    let tested = render_svg(&sample(IssuerKind::ThirdParty, None), Lang::En).unwrap();
    let selfd = render_svg(&sample(IssuerKind::SelfDeclared, None), Lang::En).unwrap();
    assert!(tested.contains("Tested by TÜV Example Prüflabor GmbH"));
    assert!(selfd.contains("Self-declared by the manufacturer"));
    assert!(
        selfd.contains(">TÜV Example Prüflabor GmbH<"),
        "self-declared label names the maker"
    );
    assert!(tested.contains("#14532d") && !tested.contains("stroke-dasharray"));
    assert!(selfd.contains("stroke-dasharray") && selfd.contains("#fff3cd"));
    let nl = render_svg(&sample(IssuerKind::SelfDeclared, None), Lang::Nl).unwrap();
    assert!(nl.contains("Zelf verklaard door de fabrikant") && nl.contains("juni 2031"));
}

#[test]
fn stars_are_drawn() {
    let svg = render_svg(&sample(IssuerKind::ThirdParty, Some(3)), Lang::De).unwrap();
    assert_eq!(svg.matches("<polygon").count(), 4);
    assert_eq!(svg.matches("fill=\"#f2a900\"").count(), 3);
    assert!(svg.contains("3 von 4 Sternen"));
}

#[test]
fn deterministic_and_errors() {
    let input = sample(IssuerKind::ThirdParty, Some(2));
    assert_eq!(
        render_svg(&input, Lang::Fr).unwrap(),
        render_svg(&input, Lang::Fr).unwrap()
    );
    assert_eq!(
        render_png(&input, Lang::Fr, 0.5).unwrap(),
        render_png(&input, Lang::Fr, 0.5).unwrap()
    );
    assert!(matches!(
        render_png(&input, Lang::En, f32::NAN),
        Err(LabelError::Scale(_))
    ));
    assert!(matches!(
        render_png(&input, Lang::En, 0.0),
        Err(LabelError::Scale(_))
    ));
    let huge = LabelInput {
        qr_url: "x".repeat(5000),
        ..input
    };
    assert!(matches!(
        render_svg(&huge, Lang::En),
        Err(LabelError::Qr(_))
    ));
}

#[test]
fn a_label_that_is_not_valid_says_so_and_hides_its_claims() {
    for lang in Lang::ALL {
        let input = LabelInput {
            not_valid: Some("withdrawn".into()),
            ..sample(IssuerKind::ThirdParty, Some(3))
        };
        let svg = render_svg(&input, lang).unwrap();
        let word = crate::text::texts(lang).not_valid;
        assert!(svg.contains(&format!(">{word}<")), "{lang:?}");
        assert!(svg.contains(">— withdrawn<"), "{lang:?}");
        assert!(svg.contains(&format!("<title id=\"title\">{word} — withdrawn.")));
        assert!(svg.contains("data-valid=\"false\""));
        // No claim remains: no issuer band, no stars, no "tested by", no support date.
        assert!(!svg.contains("Example Prüflabor"), "{lang:?}");
        assert!(!svg.contains("<polygon") && !svg.contains("#14532d"));
        assert!(!svg.contains("2031"));
        // The product stays named and the QR stays scannable.
        assert!(svg.contains("Acme SmartCam Pro 4K"));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
    }
    let valid = render_svg(&sample(IssuerKind::ThirdParty, None), Lang::En).unwrap();
    assert!(valid.contains("data-valid=\"true\"") && !valid.contains("NOT VALID"));
}

#[test]
fn design_follows_the_scheme() {
    let svgs: Vec<String> = DESIGNS
        .iter()
        .map(|d| {
            render_svg(
                &LabelInput {
                    design: *d,
                    ..sample(IssuerKind::ThirdParty, None)
                },
                Lang::En,
            )
            .unwrap()
        })
        .collect();
    let headers: std::collections::BTreeSet<&str> = svgs
        .iter()
        .map(|s| {
            let i = s.find("v82h-400z\" fill=\"").unwrap() + 17;
            &s[i..i + 7]
        })
        .collect();
    assert_eq!(
        headers.len(),
        DESIGNS.len(),
        "each design has its own header colour"
    );
    assert!(svgs[2].contains(">Statement of compliance<"));
    assert!(svgs[3].contains(">IT security label<"));
    assert!(svgs[0].contains(">Cybersecurity label<"));
    let de = render_svg(
        &LabelInput {
            design: Design::Declaration,
            ..sample(IssuerKind::SelfDeclared, None)
        },
        Lang::De,
    )
    .unwrap();
    assert!(de.contains(">IT-Sicherheitskennzeichen<"));
}

#[test]
fn svg_carries_its_printed_size_in_millimetres() {
    let svg = render_svg(&sample(IssuerKind::ThirdParty, None), Lang::En).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40mm\" height=\"70mm\" viewBox=\"0 0 400 700\""));
    let png = render_png(&sample(IssuerKind::ThirdParty, None), Lang::En, 1.0).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (400, 700));
    let k = scale_for_print(MIN_PRINT_WIDTH_MM, 300.0);
    assert!((k * LABEL_WIDTH - 354.33).abs() < 0.01);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Arbitrary names never panic, always give valid SVG and never overflow.
        #[test]
        fn arbitrary_names(scheme in "\\PC{0,120}", issuer in ".{0,120}", level in "\\PC{0,60}", id in "[ -~]{0,80}", stars in proptest::option::of(0u8..10)) {
            let input = LabelInput {
                scheme_name: scheme,
                issuer_name: issuer,
                level_name: level,
                certificate_id: id,
                stars,
                ..sample(IssuerKind::ThirdParty, None)
            };
            for lang in Lang::ALL {
                for l in layout(&input, lang) {
                    prop_assert!(measure(&l.text, l.size, l.bold) <= l.box_width + 0.01);
                }
                let svg = render_svg(&input, lang).unwrap();
                prop_assert!(parse_tree(&svg).is_ok());
            }
        }
    }
}
