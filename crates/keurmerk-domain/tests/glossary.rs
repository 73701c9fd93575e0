//! Every text catalogue has English, Dutch, German and French for every key, and the Dutch,
//! German and French texts use the glossary's words (`docs/GLOSSARY.md`), not its rejected
//! variants. The catalogues are: every four-language `t(l, en, nl, de, fr)` and `pick(en, nl, de,
//! fr)` call in the workspace's sources, every shipped scheme's texts, every reason code's text.
//! The rejected variants are read from the glossary itself, so document and check cannot drift.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use keurmerk_domain::i18n::Lang;
use keurmerk_domain::reason::ReasonCode;
use keurmerk_domain::scheme::Catalogue;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The rejected variants per language, from the glossary's "Rejected variants" table.
fn rejected() -> Vec<(Lang, Vec<String>)> {
    let text = std::fs::read_to_string(repo().join("docs/GLOSSARY.md")).unwrap();
    let table = text
        .split("## Rejected variants")
        .nth(1)
        .expect("docs/GLOSSARY.md has a `## Rejected variants` section");
    let mut out = Vec::new();
    for line in table.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let Ok(lang) = cells[0].parse::<Lang>() else {
            continue;
        };
        let words = cells[1].split(',').map(|w| w.trim().to_owned()).collect();
        out.push((lang, words));
    }
    let langs: Vec<Lang> = out.iter().map(|(l, _)| *l).collect();
    assert_eq!(langs, [Lang::Nl, Lang::De, Lang::Fr], "{out:?}");
    out
}

/// Whether `word` occurs in `text` as a whole word (neighbours are not letters, digits or `-`).
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-');
    text.match_indices(word).any(|(i, _)| {
        !part(text[..i].chars().next_back()) && !part(text[i + word.len()..].chars().next())
    })
}

/// The first four string literals of each `t(l, …)` and `pick(…)` call, with its line.
fn four_language_calls(src: &str) -> Vec<(usize, [String; 4])> {
    let b = src.as_bytes();
    let mut calls = Vec::new();
    let mut i = 0;
    while i + 2 < b.len() {
        let mut k = i + 2;
        while k < b.len() && b[k].is_ascii_whitespace() {
            k += 1;
        }
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        let is_t = boundary
            && b[i] == b't'
            && b[i + 1] == b'('
            && (b[k..].starts_with(b"l,") || b[k..].starts_with(b"lang,"));
        let is_pick = boundary && b[i..].starts_with(b"pick(");
        if !(is_t || is_pick) {
            i += 1;
            continue;
        }
        let line = src[..i].lines().count();
        let mut j = i + if is_t { 2 } else { 5 };
        let mut depth = 1;
        let mut lits = Vec::new();
        while j < b.len() && depth > 0 {
            match b[j] {
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'"' => {
                    let mut s = String::new();
                    j += 1;
                    while j < b.len() && b[j] != b'"' {
                        if b[j] == b'\\' {
                            j += 1;
                        }
                        let c = src[j..].chars().next().unwrap();
                        s.push(c);
                        j += c.len_utf8();
                    }
                    lits.push(s);
                }
                _ => {}
            }
            j += 1;
        }
        if lits.len() >= 4 {
            calls.push((
                line,
                [
                    lits[0].clone(),
                    lits[1].clone(),
                    lits[2].clone(),
                    lits[3].clone(),
                ],
            ));
        }
        i += 1;
    }
    calls
}

/// Problems in one source text: a language left empty while English is not, or a rejected word.
fn problems(file: &str, src: &str, rejected: &[(Lang, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (line, texts) in four_language_calls(src) {
        if !texts[0].trim().is_empty() {
            for (lang, text) in Lang::ALL.iter().zip(&texts) {
                if text.trim().is_empty() {
                    out.push(format!("{file}:{line}: no {lang} text"));
                }
            }
        }
        out.extend(rejected_in(&format!("{file}:{line}"), &texts, rejected));
    }
    out
}

fn rejected_in(at: &str, texts: &[String; 4], rejected: &[(Lang, Vec<String>)]) -> Vec<String> {
    let mut out = Vec::new();
    for (lang, words) in rejected {
        let i = Lang::ALL.iter().position(|l| l == lang).unwrap();
        for w in words {
            if has_word(&texts[i], w) {
                out.push(format!("{at}: {lang} uses rejected `{w}`: {}", texts[i]));
            }
        }
    }
    out
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_four_language_text_is_complete_and_uses_the_glossary() {
    let rejected = rejected();
    let mut files = Vec::new();
    for e in std::fs::read_dir(repo().join("crates")).unwrap() {
        let src = e.unwrap().path().join("src");
        if src.is_dir() {
            sources(&src, &mut files);
        }
    }
    let mut calls = 0;
    let mut found = Vec::new();
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        calls += four_language_calls(&src).len();
        let name = f.strip_prefix(repo()).unwrap_or(f).display().to_string();
        found.extend(problems(&name, &src, &rejected));
    }
    // The scan really read the catalogues (status texts, pages, labels, reasons).
    assert!(calls > 300, "only {calls} four-language texts found");
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn scheme_texts_and_reason_codes_use_the_glossary() {
    let rejected = rejected();
    let mut found = Vec::new();
    let catalogue = Catalogue::shipped().unwrap();
    for s in catalogue.iter() {
        let at = format!("schemes/{}.toml", s.id);
        let quad = |f: &dyn Fn(Lang) -> String| Lang::ALL.map(f);
        found.extend(rejected_in(
            &format!("{at} title"),
            &quad(&|l| s.title_in(l).to_owned()),
            &rejected,
        ));
        found.extend(rejected_in(
            &format!("{at} description"),
            &quad(&|l| s.description_in(l).to_owned()),
            &rejected,
        ));
        for lv in &s.levels {
            found.extend(rejected_in(
                &format!("{at} level {}", lv.id),
                &quad(&|l| {
                    format!(
                        "{} {}",
                        s.level_name_in(&lv.id, l),
                        s.level_description_in(&lv.id, l)
                    )
                }),
                &rejected,
            ));
        }
        for r in &s.requirements {
            found.extend(rejected_in(
                &format!("{at} requirement {}", r.id),
                &quad(&|l| s.requirement_title(r, l).0.to_owned()),
                &rejected,
            ));
        }
    }
    for code in ReasonCode::ALL {
        let texts = Lang::ALL.map(|l| code.text(l).to_owned());
        for (lang, t) in Lang::ALL.iter().zip(&texts) {
            if t.trim().is_empty() {
                found.push(format!("reason code {code}: no {lang} text"));
            }
        }
        found.extend(rejected_in(
            &format!("reason code {code}"),
            &texts,
            &rejected,
        ));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checks_can_fail() {
    let rejected = rejected();
    let src = r#"
        let a = t(l, "Label valid", "Het keurmerk is geldig", "Das Siegel gilt", "L'étiquette est valide");
        let b = lang.pick("Withdrawn", "", "Entzogen", "Retiré");
        let ok = t(l, "Keurmerk register", "Keurmerk-register", "Keurmerk-Register", "Registre Keurmerk");
        let compound = t(l, "x label", "keurmerkschema", "Kennzeichen", "label");
    "#;
    let found = problems("x.rs", src, &rejected);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found[0].contains("`keurmerk`"), "{found:#?}");
    assert!(found[1].contains("`Siegel`"), "{found:#?}");
    assert!(found[2].contains("`étiquette`") || found[2].contains("`Étiquette`"));
    assert!(found[3].contains("no nl text"), "{found:#?}");
    assert!(has_word("ein Siegel.", "Siegel"));
    assert!(!has_word("Gütesiegel", "Siegel"));
    assert!(!has_word("IT-Sicherheitskennzeichen", "Kennzeichen"));
}
