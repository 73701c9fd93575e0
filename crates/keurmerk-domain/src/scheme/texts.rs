//! A scheme's public words in every supported language (issue 13). English is the base: the
//! scheme file's own `title`, `description`, `levels[].name`, `levels[].description` and
//! `requirements[].title`. Dutch, German and French live in `[texts.nl]`, `[texts.de]` and
//! `[texts.fr]`:
//!
//! ```toml
//! [texts.nl]
//! title = "…"
//! description = "…"
//! levels.basic = { name = "…", description = "…" }
//! requirements = { "5.1-1" = "…" }   # optional, per requirement
//! ```
//!
//! The loader refuses a scheme that lacks one of these languages, or a title, description or
//! level in one of them, naming the file and the key (`texts.de.levels.l2.name`). Requirement
//! titles may be translated one by one; one without a translation is shown in English and
//! marked so ([`Scheme::requirement_title`] says which language it gives).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Catalogue, Requirement, Scheme, SchemeError};
use crate::i18n::Lang;
use crate::ids::LevelId;

/// Longest translated text accepted, in characters (titles and descriptions are short).
const MAX_TEXT: usize = 600;

/// A scheme's words in one language other than English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SchemeTexts {
    /// Full title.
    pub title: String,
    /// Plain-language description.
    pub description: String,
    /// Every level's name and description, by level id.
    #[serde(default)]
    #[cfg_attr(feature = "schemars", schemars(with = "BTreeMap<String, LevelTexts>"))]
    pub levels: BTreeMap<LevelId, LevelTexts>,
    /// Requirement titles by requirement id (optional, one by one).
    #[serde(default)]
    pub requirements: BTreeMap<String, String>,
}

/// A level's words in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LevelTexts {
    /// Display name.
    pub name: String,
    /// Plain-language description.
    pub description: String,
}

fn check_text(file: &str, key: String, value: &str) -> Result<(), SchemeError> {
    let problem = if value.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if value.chars().count() > MAX_TEXT {
        Some(format!("must be at most {MAX_TEXT} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    };
    match problem {
        Some(problem) => Err(SchemeError::Invalid {
            file: file.to_owned(),
            key,
            problem,
        }),
        None => Ok(()),
    }
}

impl Scheme {
    /// Checks that every language other than English is present and complete.
    pub(super) fn validate_texts(&self, file: &str) -> Result<(), SchemeError> {
        let invalid = |key: String, problem: String| SchemeError::Invalid {
            file: file.to_owned(),
            key,
            problem,
        };
        if self.texts.contains_key(&Lang::En) {
            return Err(invalid(
                "texts.en".into(),
                "English is the scheme's own title, description, level and requirement texts; \
                 `texts` holds the other languages"
                    .into(),
            ));
        }
        check_text(file, "description".into(), &self.description)?;
        for (i, l) in self.levels.iter().enumerate() {
            check_text(file, format!("levels[{i}].name"), &l.name)?;
            check_text(file, format!("levels[{i}].description"), &l.description)?;
        }
        for lang in Lang::ALL.into_iter().filter(|l| *l != Lang::En) {
            let at = format!("texts.{lang}");
            let Some(t) = self.texts.get(&lang) else {
                return Err(invalid(
                    at,
                    format!(
                        "missing: every scheme needs its title, description and level names \
                         and descriptions in {}",
                        "nl, de and fr"
                    ),
                ));
            };
            check_text(file, format!("{at}.title"), &t.title)?;
            check_text(file, format!("{at}.description"), &t.description)?;
            for l in &self.levels {
                let key = format!("{at}.levels.{}", l.id);
                let Some(lt) = t.levels.get(&l.id) else {
                    return Err(invalid(
                        key,
                        format!("missing: level `{}` needs a name and description", l.id),
                    ));
                };
                check_text(file, format!("{key}.name"), &lt.name)?;
                check_text(file, format!("{key}.description"), &lt.description)?;
            }
            if let Some(extra) = t.levels.keys().find(|id| self.level(id).is_none()) {
                return Err(invalid(
                    format!("{at}.levels.{extra}"),
                    format!("the scheme has no level `{extra}`"),
                ));
            }
            for (id, title) in &t.requirements {
                let key = format!("{at}.requirements.\"{id}\"");
                if self.requirement(id).is_none() {
                    return Err(invalid(
                        key,
                        format!("the scheme has no requirement `{id}`"),
                    ));
                }
                check_text(file, key, title)?;
            }
        }
        Ok(())
    }

    fn texts_in(&self, lang: Lang) -> Option<&SchemeTexts> {
        self.texts.get(&lang)
    }

    /// The full title in `lang`.
    pub fn title_in(&self, lang: Lang) -> &str {
        self.texts_in(lang).map_or(&self.title, |t| &t.title)
    }

    /// The plain-language description in `lang`.
    pub fn description_in(&self, lang: Lang) -> &str {
        self.texts_in(lang)
            .map_or(&self.description, |t| &t.description)
    }

    /// A level's display name in `lang` (the id itself for a level the scheme does not have).
    pub fn level_name_in<'a>(&'a self, level: &'a LevelId, lang: Lang) -> &'a str {
        match (
            self.texts_in(lang).and_then(|t| t.levels.get(level)),
            self.level(level),
        ) {
            (Some(t), _) => &t.name,
            (None, Some(l)) => &l.name,
            (None, None) => level.as_str(),
        }
    }

    /// A level's description in `lang` (empty for a level the scheme does not have).
    pub fn level_description_in(&self, level: &LevelId, lang: Lang) -> &str {
        match (
            self.texts_in(lang).and_then(|t| t.levels.get(level)),
            self.level(level),
        ) {
            (Some(t), _) => &t.description,
            (None, Some(l)) => &l.description,
            (None, None) => "",
        }
    }

    /// A requirement's title in `lang` where the scheme file translates it, else in English,
    /// with the language given (so a page marks an English title on a Dutch page).
    pub fn requirement_title<'a>(&'a self, r: &'a Requirement, lang: Lang) -> (&'a str, Lang) {
        match self.texts_in(lang).and_then(|t| t.requirements.get(&r.id)) {
            Some(t) => (t, lang),
            None => (&r.title, Lang::En),
        }
    }
}

impl Catalogue {
    /// A requirement a scheme takes over from the baseline word for word (same id, same English
    /// title) reads in the baseline's translation where the scheme file gives none, so the
    /// schemes built on EN 303 645 need not repeat its titles.
    pub(super) fn share_baseline_titles(&mut self) {
        let Some(base) = self.baseline().cloned() else {
            return;
        };
        for scheme in self.schemes.values_mut().filter(|s| !s.baseline) {
            let shared: Vec<String> = scheme
                .requirements
                .iter()
                .filter(|r| base.requirement(&r.id).is_some_and(|b| b.title == r.title))
                .map(|r| r.id.clone())
                .collect();
            for (lang, texts) in scheme.texts.iter_mut() {
                let Some(from) = base.texts.get(lang) else {
                    continue;
                };
                for id in &shared {
                    if let Some(t) = from.requirements.get(id) {
                        texts
                            .requirements
                            .entry(id.clone())
                            .or_insert_with(|| t.clone());
                    }
                }
            }
        }
    }
}
