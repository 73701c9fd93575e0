//! Full-text search over labels (certificates with their product and manufacturer), with filters,
//! as a retailer or a consumer searches: by words of the product's name, model, manufacturer,
//! category (in en/nl/de/fr), GTIN or certificate id, narrowed by scheme, level, lifecycle state,
//! category and manufacturer.
//!
//! The index is SQLite FTS5 or PostgreSQL full text (migration 0016); its documents are written
//! by a trigger in each certificate's insert transaction from columns that never change (and
//! rewritten by another in the transaction that changes its state), so no write of the registry
//! makes the index drift from the rows it describes. An edit made to the database by other means
//! can: [`SearchStore::verify_search`] compares every document with what the triggers would
//! write, and stores a document again where they differ.

use async_trait::async_trait;
use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::{Category, Certificate};
use keurmerk_domain::status::LabelStatus;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::label_status::ServedRule;
use crate::{ImageRef, Result};

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words a query may have.
pub const MAX_QUERY_TERMS: usize = 8;

/// Why a query text cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// Longer than [`MAX_QUERY_CHARS`].
    #[error("the search text is too long ({chars} characters; at most {MAX_QUERY_CHARS})")]
    TooLong {
        /// Its length.
        chars: usize,
    },
    /// More than [`MAX_QUERY_TERMS`] words.
    #[error("the search text has too many words ({terms}; at most {MAX_QUERY_TERMS})")]
    TooManyTerms {
        /// How many.
        terms: usize,
    },
}

/// The words of a query: split at every character that is not a letter or digit, lower-cased,
/// and each letter with a diacritic that SQLite's tokenizer folds made its base letter
/// (`WITHOUT_ACCENTS`: `Café` asks for `cafe`), as both backends' documents hold it.
/// Words match whole words when some label has all of them as whole words, else each as a prefix
/// ("cam" finds "camera"; "camera" does not find "cameras" once a label says "camera"). No words (only punctuation, or
/// nothing): `Ok(vec![])`, which searches nothing by text. A word that is not [`searchable`]
/// (`½`, `x²`) is kept, and the search finds nothing.
pub fn query_terms(text: &str) -> std::result::Result<Vec<String>, QueryError> {
    let chars = text.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong { chars });
    }
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().map(|c| without_accent(lower(c))).collect())
        .collect();
    if terms.len() > MAX_QUERY_TERMS {
        return Err(QueryError::TooManyTerms { terms: terms.len() });
    }
    Ok(terms)
}

/// `c` lower-cased one character for one, as PostgreSQL's `lower()` lower-cases the documents'
/// words (its C library's mapping of each character), and a final sigma made a sigma, as the
/// PostgreSQL documents have it (migration 0043). Rust's `str::to_lowercase` differs from
/// `lower()` twice, and PostgreSQL missed words by it: it writes Σ at the end of a word as ς
/// (`ΟΔΟΣ` asked for `οδος`, where the document made from the same text holds `οδοσ`), and İ as
/// `i` and a combining dot above (`İstanbul` asked for a word with the dot, where the document
/// holds `istanbul`). SQLite's tokenizer folds both so itself, in query and document alike.
fn lower(c: char) -> char {
    match c {
        '\u{130}' => 'i',
        'ς' => 'σ',
        c => {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(one), None) => one,
                // No other character lower-cases to more than one (unit test
                // `every_character_is_lowered_to_one_letter_or_digit`); were one to, it is
                // kept as it is rather than split.
                _ => c,
            }
        }
    }
}

/// The letters with diacritics that SQLite's tokenizer (`unicode61 remove_diacritics 2`,
/// migration 0016) folds to a base letter, by base letter: Latin-1 Supplement, Latin Extended-A
/// and -B, and Latin Extended Additional, in capitals and lower case. It folds no others: not
/// `ß`, `æ`, `ø`, `đ`, `ł`, `þ`, `ŀ`, `ĳ`, nor Greek's letters with tonos (`ά` stays `ά`). This
/// is the one table of the fold: the query side folds each lower-cased letter by it
/// ([`query_terms`]), and PostgreSQL's documents by a `translate()` of the same letters
/// (migration 0045; unit test `postgres_folds_the_letters_of_the_table`). Unit test
/// `sqlite_folds_exactly_the_letters_of_the_table` reads every one in the SQLite we build, and
/// every letter it folds.
pub(crate) const WITHOUT_ACCENTS: [(char, &str); 25] = [
    (
        'a',
        "ÀÁÂÃÄÅàáâãäåĀāĂăĄąǍǎǞǟǺǻȀȁȂȃȦȧḀḁẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặ",
    ),
    ('b', "ḂḃḄḅḆḇ"),
    ('c', "ÇçĆćĈĉĊċČčḈḉ"),
    ('d', "ĎďḊḋḌḍḎḏḐḑḒḓ"),
    ('e', "ÈÉÊËèéêëĒēĔĕĖėĘęĚěȄȅȆȇȨȩḔḕḖḗḘḙḚḛḜḝẸẹẺẻẼẽẾếỀềỂểỄễỆệ"),
    ('f', "Ḟḟ"),
    ('g', "ĜĝĞğĠġĢģǦǧǴǵḠḡ"),
    ('h', "ĤĥȞȟḢḣḤḥḦḧḨḩḪḫẖ"),
    ('i', "ÌÍÎÏìíîïĨĩĪīĬĭĮįİǏǐȈȉȊȋḬḭḮḯỈỉỊị"),
    ('j', "Ĵĵǰ"),
    ('k', "ĶķǨǩḰḱḲḳḴḵ"),
    ('l', "ĹĺĻļĽľḶḷḸḹḺḻḼḽ"),
    ('m', "ḾḿṀṁṂṃ"),
    ('n', "ÑñŃńŅņŇňǸǹṄṅṆṇṈṉṊṋ"),
    (
        'o',
        "ÒÓÔÕÖòóôõöŌōŎŏŐőƠơǑǒǪǫǬǭȌȍȎȏȪȫȬȭȮȯȰȱṌṍṎṏṐṑṒṓỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợ",
    ),
    ('p', "ṔṕṖṗ"),
    ('r', "ŔŕŖŗŘřȐȑȒȓṘṙṚṛṜṝṞṟ"),
    ('s', "ŚśŜŝŞşŠšȘșṠṡṢṣṤṥṦṧṨṩẛ"),
    ('t', "ŢţŤťȚțṪṫṬṭṮṯṰṱẗ"),
    (
        'u',
        "ÙÚÛÜùúûüŨũŪūŬŭŮůŰűŲųƯưǓǔǕǖǗǘǙǚǛǜȔȕȖȗṲṳṴṵṶṷṸṹṺṻỤụỦủỨứỪừỬửỮữỰự",
    ),
    ('v', "ṼṽṾṿ"),
    ('w', "ŴŵẀẁẂẃẄẅẆẇẈẉẘ"),
    ('x', "ẊẋẌẍ"),
    ('y', "ÝýÿŶŷŸȲȳẎẏẙỲỳỴỵỶỷỸỹ"),
    ('z', "ŹźŻżŽžẐẑẒẓẔẕ"),
];

/// `c` without its diacritics as [`WITHOUT_ACCENTS`] folds it (after lower-casing, so only its
/// lower-case letters are ever asked for); any other character as it is.
fn without_accent(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    WITHOUT_ACCENTS
        .iter()
        .find(|(_, with)| with.contains(c))
        .map_or(c, |(base, _)| *base)
}

/// Whether the query word `term` is searched: a search with a word that is not finds nothing
/// (`SearchStore::search_labels`), on either backend.
///
/// A word is searched when it is made of letters and digits (as [`query_terms`] makes them), at
/// least one of which both full-text indexes read as a character of a word (a letter or a
/// decimal digit, [`word_character`]), and none of which is a number of another kind (Unicode's
/// "other number": `½`, `²`, `¼`, `①`). Rust calls those numeric, and SQLite's tokenizer keeps
/// them in a word, but PostgreSQL's parser drops them: `to_tsquery('simple', '½')` is empty, and
/// PostgreSQL drops an empty operand of `&` and `&&`, so the word vanished from the query and
/// the other words, or the filters alone, matched (`½` with a state filter found every label in
/// that state; `camera ½` every camera, where SQLite found none). A word of marks or symbols
/// alone (`ⓐ`, a combining mark) is no word to SQLite's tokenizer, which drops it alike.
pub fn searchable(term: &str) -> bool {
    term.chars().all(char::is_alphanumeric)
        && term.chars().any(word_character)
        && !term
            .chars()
            .any(|c| !c.is_ascii() && c.general_category() == GeneralCategory::OtherNumber)
}

/// Letters that the tables of SQLite's tokenizer (from an older Unicode) hold as marks, which
/// it does not read as a word on their own: New Tai Lue's vowel signs and two Vedic signs.
const NOT_WORDS_TO_SQLITE: [std::ops::RangeInclusive<char>; 3] = [
    '\u{19B0}'..='\u{19C0}',
    '\u{19C8}'..='\u{19C9}',
    '\u{1CF2}'..='\u{1CF3}',
];

/// Whether both full-text indexes read `c` on its own as a word: a letter or a decimal digit
/// (Unicode's letters, decimal numbers and letter numbers such as `Ⅻ`), except
/// [`NOT_WORDS_TO_SQLITE`]. The unit test `every_word_character_is_a_word_to_sqlite` reads
/// each in the SQLite we build. PostgreSQL's parser reads what its C library's tables call
/// letters, which may be older than these: the store asks PostgreSQL about such words
/// (`sql::search`'s probe).
fn word_character(c: char) -> bool {
    use GeneralCategory as G;
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(
        c.general_category(),
        G::UppercaseLetter
            | G::LowercaseLetter
            | G::TitlecaseLetter
            | G::ModifierLetter
            | G::OtherLetter
            | G::DecimalNumber
            | G::LetterNumber
    ) && !NOT_WORDS_TO_SQLITE.iter().any(|r| r.contains(&c))
}

/// What to search for. Every `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct LabelSearch {
    /// Words (from [`query_terms`]); all must match, as whole words when some label has them all
    /// as whole words, else each as a prefix. Empty: no text condition. One that is not
    /// [`searchable`]: nothing matches.
    pub terms: Vec<String>,
    /// Only these schemes (`Some(vec![])` finds nothing).
    pub schemes: Option<Vec<SchemeId>>,
    /// Only this level.
    pub level: Option<LevelId>,
    /// Only these lifecycle states (`Some(vec![])` finds nothing).
    pub states: Option<Vec<State>>,
    /// Only this category.
    pub category: Option<Category>,
    /// Only this manufacturer's products.
    pub manufacturer: Option<OrgId>,
    /// At most this many (1 or more).
    pub limit: i64,
    /// Skip this many.
    pub offset: i64,
    /// The conditions under which a hit carries the status word of its certificate's stored
    /// row ([`LabelHit::status`]); `None`: no hit carries one.
    pub rule: Option<ServedRule>,
}

/// One label found: the certificate with what a result list shows of its product, read in the
/// same statement as the match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelHit {
    /// The certificate.
    pub certificate: Certificate,
    /// The product's name.
    pub product_name: String,
    /// Its model designation.
    pub model: String,
    /// Its category.
    pub category: Category,
    /// Its manufacturer.
    pub manufacturer: OrgId,
    /// The manufacturer's name.
    pub manufacturer_name: String,
    /// The status word stored with the certificate's read-model row (`label_status.status`)
    /// when that row meets every condition of the search's [`LabelSearch::rule`] and the word
    /// is a status; `None`: the caller evaluates the certificate as a lookup does.
    pub status: Option<LabelStatus>,
    /// The product's image, if its maker set one.
    pub image: Option<ImageRef>,
}

/// Label search.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Labels matching `search`, newest first.
    async fn search_labels(&self, search: &LabelSearch) -> Result<Vec<LabelHit>>;

    /// The search's words in memory, where a store keeps them (SQLite on a file, PostgreSQL):
    /// the highest document they cover and the bytes their lists hold; `None` while not read
    /// (or never).
    fn search_words(&self) -> Option<(i64, u64)> {
        None
    }

    /// Compares every search document with what the triggers would write from the rows of its
    /// certificate, product and manufacturer now, and (SQLite) the full-text index with the
    /// documents. With `repair`, in one write transaction that holds off other writers, the
    /// index is rebuilt if it is not sound and each differing certificate's documents are
    /// replaced by one new document (taken as the newest: a search's words in memory never
    /// describe a replaced one, whose number is gone).
    async fn verify_search(&self, repair: bool) -> Result<SearchCheck>;
}

/// How a search document differs from what its certificate's rows make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchProblem {
    /// The certificate has no document: no search finds it.
    Missing,
    /// Its words or facets are not the ones its rows make: a search by its words may miss it,
    /// or find it by words it does not have (filters still decide on its rows).
    Differs,
    /// PostgreSQL: the state kept beside the document for a rare state's page
    /// (`certificate_search_states`) is not the certificate's.
    State,
    /// PostgreSQL: what its search results show of its product, manufacturer and image, kept
    /// beside the document (`certificate_search_hits`), is not what its rows make.
    Hit,
    /// SQLite: the certificate has more than one document.
    Duplicate,
    /// SQLite: a document names no certificate of the registry.
    Orphan,
}

impl std::fmt::Display for SearchProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Missing => "no search document",
            Self::Differs => "its search document is not what its rows make",
            Self::State => "the state kept with its search document is not its state",
            Self::Hit => "what its search results show is not what its rows make",
            Self::Duplicate => "more than one search document",
            Self::Orphan => "a search document names it, but there is no such certificate",
        })
    }
}

/// One certificate whose search documents differ from its rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SearchDifference {
    /// The certificate's id as the document or the row names it.
    pub certificate: String,
    /// What differs.
    pub problem: SearchProblem,
}

impl std::fmt::Display for SearchDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.certificate, self.problem)
    }
}

/// Most differences a [`SearchCheck`] lists (it counts them all).
pub const SEARCH_DIFFERENCES_LISTED: usize = 100;

/// What [`SearchStore::verify_search`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SearchCheck {
    /// Search documents read.
    pub documents: u64,
    /// Whether the full-text index holds exactly the documents' words (SQLite FTS5's
    /// `integrity-check`; on PostgreSQL the GIN index is PostgreSQL's own, so `true`).
    pub index_sound: bool,
    /// Certificates or documents that differ, all counted.
    pub different: u64,
    /// The first [`SEARCH_DIFFERENCES_LISTED`] of them, by certificate id.
    pub differences: Vec<SearchDifference>,
    /// With `repair`: certificates whose documents were stored again (the index rebuilt aside).
    pub repaired: u64,
    /// With `repair`: whether the full-text index was rebuilt.
    pub rebuilt: bool,
}

impl SearchCheck {
    /// Whether the documents and the index are what the rows make.
    pub fn is_clean(&self) -> bool {
        self.index_sound && self.different == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn words_are_split_lowered_and_bounded() {
        assert_eq!(
            query_terms("  Acme SmartCam-4K, KM-2026-000123 ").unwrap(),
            ["acme", "smartcam", "4k", "km", "2026", "000123"]
        );
        assert_eq!(
            query_terms("Überwachungs—Kamera").unwrap(),
            ["uberwachungs", "kamera"]
        );
        assert!(query_terms("%_*\"'").unwrap().is_empty());
        assert!(query_terms("").unwrap().is_empty());
        let long = "a".repeat(MAX_QUERY_CHARS + 1);
        assert_eq!(
            query_terms(&long),
            Err(QueryError::TooLong {
                chars: MAX_QUERY_CHARS + 1
            })
        );
        assert!(query_terms(&"é".repeat(MAX_QUERY_CHARS)).is_ok());
        assert_eq!(
            query_terms("a b c d e f g h i"),
            Err(QueryError::TooManyTerms { terms: 9 })
        );
    }

    #[test]
    fn words_the_indexes_read_differently_are_not_searched() {
        for word in [
            "½", "²", "³", "¼", "①", "x²", "5½", "camera½", "ⓐ", "\u{363}", "\u{19B0}", "", "a\"b",
            "a b", "a'", "a*",
        ] {
            assert!(!searchable(word), "{word:?}");
        }
        for word in [
            "camera",
            "2",
            "km",
            "überwachungskamera",
            "οδοσ",
            "istanbul",
            "ⅻ",
            "١٢٣",
            "ǆ",
            "カメラ",
            "ⓐbc",
            "a\u{363}",
        ] {
            assert!(searchable(word), "{word:?}");
        }
    }

    /// Every character [`word_character`] accepts is, on its own, one word to the full-text
    /// index of the SQLite we build (the tokenizer of SQLite's migration 0016), so a searched
    /// word always holds a word of FTS5's and is never dropped from its query; a SQLite whose
    /// tables differ fails here.
    #[test]
    fn every_word_character_is_a_word_to_sqlite() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        let mut accepted = 0;
        {
            let mut insert = tx
                .prepare("INSERT INTO t (rowid, body) VALUES (?1, ?2)")
                .unwrap();
            for c in (0..=0x10_FFFF_u32).filter_map(char::from_u32) {
                if word_character(c) {
                    insert
                        .execute(rusqlite::params![c as u32, c.to_string()])
                        .unwrap();
                    accepted += 1;
                }
            }
        }
        tx.commit().unwrap();
        // How many words FTS5 read in each document (one a character).
        let mut words = std::collections::HashMap::<u32, usize>::new();
        let mut read = conn.prepare("SELECT doc FROM v").unwrap();
        for doc in read.query_map([], |r| r.get::<_, u32>(0)).unwrap() {
            *words.entry(doc.unwrap()).or_default() += 1;
        }
        let not_one: Vec<String> = (0..=0x10_FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|&c| word_character(c) && words.get(&(c as u32)) != Some(&1))
            .map(|c| format!("U+{:04X}", c as u32))
            .collect();
        assert!(accepted > 140_000, "{accepted}");
        assert!(not_one.is_empty(), "not one word to FTS5: {not_one:?}");
    }

    /// The words each character is to the full-text index of the SQLite we build, by rowid
    /// (its code point), with diacritics folded (`remove_diacritics 2`, as migration 0016 makes
    /// the index) and without.
    fn sqlite_words(chars: &[char]) -> [std::collections::HashMap<u32, String>; 2] {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE folded USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE kept USING fts5(body, tokenize = 'unicode61 remove_diacritics 0');
             CREATE VIRTUAL TABLE folded_words USING fts5vocab(folded, 'instance');
             CREATE VIRTUAL TABLE kept_words USING fts5vocab(kept, 'instance');",
        )
        .unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        for table in ["folded", "kept"] {
            let mut insert = tx
                .prepare(&format!(
                    "INSERT INTO {table} (rowid, body) VALUES (?1, ?2)"
                ))
                .unwrap();
            for &c in chars {
                insert
                    .execute(rusqlite::params![c as u32, c.to_string()])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
        ["folded_words", "kept_words"].map(|view| {
            let mut read = conn
                .prepare(&format!("SELECT doc, term FROM {view}"))
                .unwrap();
            let rows = read
                .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))
                .unwrap();
            let mut words = std::collections::HashMap::new();
            for row in rows {
                let (doc, term) = row.unwrap();
                assert!(words.insert(doc, term).is_none(), "U+{doc:04X}: two words");
            }
            words
        })
    }

    /// `WITHOUT_ACCENTS` is SQLite's fold, letter for letter: the SQLite we build folds each of
    /// its letters to its base letter, every character it folds (a word to it that it reads
    /// otherwise without `remove_diacritics`; `İ`, which it lower-cases only then, among them)
    /// the query side makes the same word, and every character the query side folds SQLite
    /// folds alike. So the query side and PostgreSQL's documents (migration 0045, the same
    /// table) fold as SQLite does.
    #[test]
    fn sqlite_folds_exactly_the_letters_of_the_table() {
        let mut seen = std::collections::HashSet::new();
        for (base, letters) in WITHOUT_ACCENTS {
            assert!(base.is_ascii_lowercase(), "{base}");
            for l in letters.chars() {
                assert!(seen.insert(l), "{l} twice");
                assert!(!l.is_ascii() && l.is_alphabetic(), "{l}");
                assert_eq!(without_accent(lower(l)), base, "{l}");
            }
        }
        assert!(seen.len() > 450, "{}", seen.len());
        let chars: Vec<char> = (0..=0x10_FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|&c| word_character(c) || seen.contains(&c))
            .collect();
        let [folded, kept] = sqlite_words(&chars);
        for (base, letters) in WITHOUT_ACCENTS {
            for l in letters.chars() {
                let word = folded.get(&(l as u32)).map(String::as_str);
                assert_eq!(word, Some(base.to_string().as_str()), "{l}");
            }
        }
        let mut differ = Vec::new();
        for &c in &chars {
            let ours = without_accent(lower(c));
            let sqlite_folds = folded.get(&(c as u32)) != kept.get(&(c as u32));
            let we_fold = ours != lower(c);
            if (sqlite_folds || we_fold) && folded.get(&(c as u32)) != Some(&ours.to_string()) {
                differ.push(format!("U+{:04X} {c}", c as u32));
            }
        }
        assert!(
            differ.is_empty(),
            "folded otherwise than SQLite: {differ:?}"
        );
        // Letters SQLite keeps as they are (lower-cased), and so does the query side.
        for (c, word) in [
            ('ß', "ß"),
            ('Æ', "æ"),
            ('Ø', "ø"),
            ('Đ', "đ"),
            ('Ł', "ł"),
            ('Þ', "þ"),
            ('Ά', "ά"),
            ('ί', "ί"),
        ] {
            assert_eq!(
                folded.get(&(c as u32)).map(String::as_str),
                Some(word),
                "{c}"
            );
            assert_eq!(query_terms(&c.to_string()).unwrap(), [word], "{c}");
        }
    }

    /// Migration 0045's `translate()` folds the letters of `WITHOUT_ACCENTS` and no others:
    /// its two strings, after the final sigma's, are the table's letters and their base letters.
    #[test]
    fn postgres_folds_the_letters_of_the_table() {
        let migration = include_str!("../migrations/postgres/0045_search_without_accents.sql");
        // The SQL without its comments (which hold apostrophes), then its string literals.
        let sql: String = migration
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let literals: Vec<&str> = sql.split('\'').skip(1).step_by(2).collect();
        let sigma = literals
            .windows(2)
            .position(|w| w == ["ς", "σ"])
            .expect("the final sigma's translate()");
        let (from, to) = (literals[sigma + 2], literals[sigma + 3]);
        let want_from: String = WITHOUT_ACCENTS.iter().map(|(_, l)| *l).collect();
        let want_to: String = WITHOUT_ACCENTS
            .iter()
            .flat_map(|(b, l)| std::iter::repeat_n(*b, l.chars().count()))
            .collect();
        assert_eq!(from, want_from);
        assert_eq!(to, want_to);
        assert_eq!(from.chars().count(), to.chars().count());
        // Each of them once: `translate()` heeds a letter's first place only.
        let once: std::collections::HashSet<char> = from.chars().collect();
        assert_eq!(once.len(), from.chars().count());
        assert_eq!(sql.matches("translate(").count(), 2, "{sql}");
    }

    #[test]
    fn words_are_lowered_as_the_documents_are() {
        assert_eq!(query_terms("ΟΔΟΣ Router").unwrap(), ["οδοσ", "router"]);
        assert_eq!(query_terms("οδος Οδος").unwrap(), ["οδοσ", "οδοσ"]);
        assert_eq!(
            query_terms("İstanbul ISTANBUL").unwrap(),
            ["istanbul", "istanbul"]
        );
        assert_eq!(query_terms("ẞ Ǆ ǅ").unwrap(), ["ß", "ǆ", "ǆ"]);
        assert_eq!(
            query_terms("Café CAFÉ Crème München İSTANBUL Łódź Ελλάδα").unwrap(),
            [
                "cafe",
                "cafe",
                "creme",
                "munchen",
                "istanbul",
                "łodz",
                "ελλάδα"
            ]
        );
    }

    /// Each character alone makes words of letters and digits only, lower-cased one character
    /// for one (what `terms_are_safe_in_both_query_languages` samples, for every character).
    #[test]
    fn every_character_is_lowered_to_one_letter_or_digit() {
        for c in (0..=0x10_FFFF_u32).filter_map(char::from_u32) {
            let terms = query_terms(&c.to_string()).unwrap();
            if c.is_alphanumeric() {
                assert_eq!(terms.len(), 1, "U+{:04X}", c as u32);
                assert_eq!(terms[0].chars().count(), 1, "U+{:04X}", c as u32);
                assert!(
                    terms[0].chars().all(char::is_alphanumeric),
                    "U+{:04X}",
                    c as u32
                );
                if c != '\u{130}' {
                    assert_eq!(c.to_lowercase().count(), 1, "U+{:04X}", c as u32);
                }
            } else {
                assert!(terms.is_empty(), "U+{:04X}", c as u32);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn terms_are_safe_in_both_query_languages(text in "\\PC{0,200}") {
            if let Ok(terms) = query_terms(&text) {
                for t in terms {
                    proptest::prop_assert!(!t.is_empty());
                    proptest::prop_assert!(t.chars().all(char::is_alphanumeric));
                }
            }
        }
    }
}
