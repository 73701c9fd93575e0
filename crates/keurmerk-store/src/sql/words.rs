//! The search's words in memory (SQLite with a point reader; ADR 0020 amendment of the
//! eighteenth session).
//!
//! FTS5 answers "which labels have all these words" by walking each word's list, and "none"
//! only after walking the lists to their end: two common words never on one label (`plug baby`)
//! cost 40–50 ms at 1,000,000 labels, twice per search (the whole-word probe, then the
//! prefixes). A [`WordIndex`] holds the same lists as compressed bitmaps, read from the
//! full-text index itself (its `fts5vocab` view, never a tokenizer of ours), so the same
//! question is an intersection of a few bitmaps: microseconds.
//!
//! It is an accelerator, never the record, and it is only ever asked what it knows exactly:
//! - It covers the documents up to the highest rowid of the snapshot it was read from
//!   ([`WordIndex::covered`]). A document's words and its facets of scheme, level, category and
//!   manufacturer never change once written (the insert trigger writes them; the state trigger
//!   rewrites the facets with the same values and the new state), documents are never deleted
//!   and rowids grow, so what it says of a covered document stays true in every later snapshot.
//!   Newer documents are found by the full-text index (`rowid > covered`), so a search through
//!   it misses nothing written since.
//! - The lifecycle state changes, so state is never taken from here: with a state filter the
//!   rows decide (their `state` column), and a state that was rare when the index was read has
//!   its page read from the full-text index, where the state trigger keeps it.
//! - A word's list is kept only when it is on at least [`COMMON`] labels; a term it does not
//!   know (rare, absent, or not plain ASCII letters and digits, whose folding is FTS5's
//!   business) is answered by the full-text index, as before. A prefix is looked up in the
//!   lists of every 3-, 4- and 5-character beginning of every word with a letter in it, so a
//!   prefix it does not find is on no covered label; a longer prefix is the union of the common
//!   words it starts, and a superset when a rarer word shares its first five characters (which
//!   can prove "none" but never "some").
//! - The filters' conditions on the joined rows still decide every hit.
//!
//! Tests: `sql::search::tests` compare searches with the index against the full-text index
//! alone, on random registries, before and after more labels and state changes.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use roaring::RoaringBitmap;
use rusqlite::Connection;

/// A whole word's list is kept when the word is on at least this many labels; a rarer word is
/// found by the full-text index, which is fast for it (its list is short).
pub(crate) const COMMON: u64 = 32;

/// Beginnings kept as lists here (the full-text index keeps 3 to 10, migration 0036); a longer
/// prefix is the union of the whole words it starts.
const PREFIX_CHARS: [usize; 3] = [3, 4, 5];

/// SQLite: the newest document's rowid and the repairs of the documents ([`Documents`]), each
/// from its own subquery (so the first stays one step back from the end of the index).
pub(crate) const DOCUMENTS_NOW: &str =
    "SELECT (SELECT CAST(COALESCE(MAX(rowid), 0) AS INTEGER) FROM certificate_fts), \
     (SELECT CAST(COALESCE(MAX(value), 0) AS INTEGER) FROM counters \
      WHERE name = 'search_repairs')";

/// PostgreSQL: the search documents as they stand ([`Documents`]), as two columns of a
/// statement (`documents_newest`, `documents_repairs`): each an uncorrelated subquery, read once
/// per statement, in the statement's snapshot. What a reading of the words keeps and what a
/// search compares it with ([`WordIndex::describes`]) are both read by it.
pub(crate) const DOCUMENTS_READ: &str =
    "(SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) FROM certificate_search) AS documents_newest, \
     (SELECT CAST(COALESCE(MAX(value), 0) AS BIGINT) FROM counters \
      WHERE name = 'search_repairs') AS documents_repairs";

/// Where the search documents stand when a search starts: the newest document's number and
/// how many repairs (`verify_search`, counter `search_repairs`) have replaced documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Documents {
    pub(crate) newest: i64,
    pub(crate) repairs: i64,
}

/// The lists of the full-text index's documents up to [`WordIndex::covered`].
#[derive(Debug, Default)]
pub(crate) struct WordIndex {
    /// Every document with a rowid up to this one (and none after) is in the lists.
    pub(crate) covered: i64,
    /// The repairs of the documents (`verify_search`) stored when read ([`DOCUMENTS_NOW`]): a
    /// repair may give a replaced document's number to another, so an index read before one
    /// describes no document after it.
    pub(crate) repairs: i64,
    /// Whole words of the `body` column on at least `common` documents, in order (a longer
    /// prefix is the union of the words it starts).
    whole: BTreeMap<Box<str>, List>,
    /// Every 3-, 4- and 5-character beginning of every `body` word with a letter in it.
    prefixes: HashMap<Box<str>, List>,
    /// The documents of the rarer words (fewer than `common`) of more than five characters with
    /// a letter, by their first five: where none is, a longer prefix is exactly the union of
    /// the common words it starts.
    rare: HashMap<Box<str>, List>,
    /// The `facets` column's tokens of scheme (`s`), level (`l`), category (`c`) and
    /// manufacturer (`m`), which never change; never the state (`t`) or the id (`i`).
    facets: HashMap<Box<str>, List>,
    /// How many documents had each state's facet (`t`) when read: only to choose how a page
    /// with a state filter is read, never to decide which labels it shows.
    states: HashMap<Box<str>, u64>,
    /// Bytes the lists hold, each list once (their serialized sizes), counted when read.
    bytes: u64,
    /// Read from PostgreSQL's documents, whose parser splits some query words in two
    /// ([`one_lexeme`]): those are asked of the full-text index.
    parsed: bool,
    /// Every word of the covered documents, so that a whole word on none of them is answered
    /// here (FTS5 looked for it in each of its segments, PostgreSQL's index walked the other
    /// words' documents).
    seen: Option<Seen>,
}

/// A list of documents, kept once however many words have it (the category's words in four
/// languages, their beginnings and its facet are one list): about a sixth of the bytes.
type List = Arc<RoaringBitmap>;

/// Lists being read: those of the beginnings and the rarer words grow with each word.
#[derive(Default)]
struct Reading {
    index: WordIndex,
    prefixes: HashMap<Box<str>, RoaringBitmap>,
    rare: HashMap<Box<str>, RoaringBitmap>,
    /// The lists kept, by length, first and last document.
    kept: HashMap<(u64, Option<u32>, Option<u32>), Vec<List>>,
    /// SQLite: the [`word_hash`] of every word of the documents' text, for [`WordIndex::seen`]
    /// (sized once their number is known).
    words: Vec<u64>,
}

impl Reading {
    /// `set` as a list kept once: an equal one already kept, or this one.
    fn intern(&mut self, set: RoaringBitmap) -> List {
        let same = self
            .kept
            .entry((set.len(), set.min(), set.max()))
            .or_default();
        if let Some(list) = same.iter().find(|l| ***l == set) {
            return Arc::clone(list);
        }
        let list = Arc::new(set);
        same.push(Arc::clone(&list));
        list
    }

    /// Keeps one term's documents (each list sorted, without repeats).
    fn keep(&mut self, term: &str, body: &[u32], facet: &[u32], common: u64) {
        if term.is_empty() {
            return;
        }
        if !body.is_empty() {
            self.words.push(word_hash(term));
            let list = sorted(body);
            if term.bytes().any(|b| !b.is_ascii_digit()) {
                let longest = PREFIX_CHARS[PREFIX_CHARS.len() - 1];
                for n in PREFIX_CHARS {
                    if let Some(start) = beginning(term, n) {
                        *self.prefixes.entry(start.into()).or_default() |= &list;
                    }
                }
                if (body.len() as u64) < common && term.chars().count() > longest {
                    if let Some(start) = beginning(term, longest) {
                        *self.rare.entry(start.into()).or_default() |= &list;
                    }
                }
            }
            if body.len() as u64 >= common {
                let list = self.intern(list);
                self.index.whole.insert(term.into(), list);
            }
        }
        if !facet.is_empty() && term.starts_with('t') {
            self.index.states.insert(term.into(), facet.len() as u64);
        }
        if !facet.is_empty() && matches!(term.as_bytes()[0], b's' | b'l' | b'c' | b'm') {
            let list = self.intern(sorted(facet));
            self.index.facets.insert(term.into(), list);
        }
    }

    fn finish(mut self) -> WordIndex {
        for (start, set) in std::mem::take(&mut self.prefixes) {
            let list = self.intern(set);
            self.index.prefixes.insert(start, list);
        }
        for (start, set) in std::mem::take(&mut self.rare) {
            let list = self.intern(set);
            self.index.rare.insert(start, list);
        }
        let index = &self.index;
        let lists = index
            .whole
            .keys()
            .chain(index.prefixes.keys())
            .chain(index.rare.keys())
            .chain(index.facets.keys());
        let names: u64 = lists.map(|k| k.len() as u64).sum();
        let kept: u64 = self
            .kept
            .values()
            .flatten()
            .map(|l| l.serialized_size() as u64)
            .sum();
        let seen = index.seen.as_ref().map_or(0, |s| s.bits.len() as u64 * 8);
        self.index.bytes = names + kept + seen;
        self.index
    }
}

/// How long a reading of PostgreSQL's documents waits for the transactions that were in
/// progress when it read (and may still write a document below the highest it read).
const GAP_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Every document's lexemes, space-separated (the documents' text is letters and digits split
/// at everything else, and a facet is `~`, a letter and hexadecimal: no lexeme holds a space,
/// which the count checks), by `seq`.
const DOCUMENTS: &str = "SELECT seq, array_to_string(tsvector_to_array(doc), ' '), \
                         CAST(length(doc) AS BIGINT) FROM certificate_search ORDER BY seq";

/// [`DOCUMENTS`]' lexemes alone, in any order (for counting them).
const WORDS_ONLY: &str = "SELECT array_to_string(tsvector_to_array(doc), ' ') \
                          FROM certificate_search";

/// A word's hash, for counting its documents ([`WordIndex::read_postgres`]).
fn word_hash(word: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    word.hash(&mut h);
    h.finish()
}

/// A hasher that keeps a `u64` key as its hash: the keys are [`word_hash`]es already.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Identity = std::hash::BuildHasherDefault<IdentityHasher>;

/// [`DOCUMENTS`] for some `seq` (`$1`, a `bigint[]` as text).
const GAP_DOCUMENTS: &str = "SELECT seq, array_to_string(tsvector_to_array(doc), ' '), \
                             CAST(length(doc) AS BIGINT) FROM certificate_search \
                             WHERE seq = ANY(CAST($1 AS BIGINT[]))";

fn decode(what: String) -> sqlx::Error {
    sqlx::Error::Protocol(format!("search word index: {what}"))
}

/// PostgreSQL's documents being read: each lexeme's documents, as they come.
#[derive(Default)]
struct Lexemes {
    /// The [`word_hash`]es of words on at least `common` documents: their lists are kept whole.
    common: std::collections::HashSet<u64, Identity>,
    whole: HashMap<Box<str>, RoaringBitmap>,
    facets: HashMap<Box<str>, RoaringBitmap>,
    states: HashMap<Box<str>, u64>,
    prefixes: HashMap<Box<str>, RoaringBitmap>,
    rare: HashMap<Box<str>, RoaringBitmap>,
    /// Every document read.
    present: RoaringBitmap,
    /// Every word of every document read.
    seen: Seen,
}

/// A set of [`word_hash`]es as a Bloom filter: a word it does not hold is on no document read
/// (it may hold a word that is not, about once in a hundred, which only sends that search to
/// the full-text index). Proving "no label has this word" is what PostgreSQL's index does
/// slowest: `2 router` walked every `router` document (34 ms at 1,000,000 labels).
#[derive(Debug, Default)]
struct Seen {
    bits: Vec<u64>,
}

/// Bits set per word.
const SEEN_HASHES: u64 = 7;

impl Seen {
    /// Room for `words` words: 10 to 20 bits each, a power of two in all.
    fn new(words: usize) -> Self {
        let bits = (words.max(1) * 10).next_power_of_two().max(64);
        Self {
            bits: vec![0; bits / 64],
        }
    }

    /// The bits of `hash` in a filter of `words` 64-bit words (double hashing: the hash's
    /// halves as start and step); no borrow of the filter, so [`Seen::insert`] sets them as
    /// they come.
    fn positions(words: usize, hash: u64) -> impl Iterator<Item = usize> {
        let mask = (words as u64 * 64).saturating_sub(1);
        let (start, step) = (hash & 0xffff_ffff, (hash >> 32) | 1);
        (0..SEEN_HASHES).map(move |i| (start.wrapping_add(i.wrapping_mul(step)) & mask) as usize)
    }

    fn insert(&mut self, hash: u64) {
        if self.bits.is_empty() {
            return;
        }
        for at in Self::positions(self.bits.len(), hash) {
            self.bits[at / 64] |= 1 << (at % 64);
        }
    }

    /// Whether a word with this hash may be on some document read (`true` when none is known:
    /// an empty filter proves nothing).
    fn may_hold(&self, hash: u64) -> bool {
        self.bits.is_empty()
            || Self::positions(self.bits.len(), hash)
                .all(|at| self.bits[at / 64] & (1 << (at % 64)) != 0)
    }
}

/// Adds `doc` to the list of `key` in `map` (a key allocated only the first time).
fn add_to(map: &mut HashMap<Box<str>, RoaringBitmap>, key: &str, doc: u32) {
    match map.get_mut(key) {
        Some(set) => {
            set.insert(doc);
        }
        None => {
            map.insert(key.into(), std::iter::once(doc).collect());
        }
    }
}

impl Lexemes {
    /// One document: its `seq`, its lexemes separated by spaces, and how many it has.
    fn add(&mut self, seq: i64, words: String, count: i64, top: u32) -> Result<(), sqlx::Error> {
        let doc = u32::try_from(seq)
            .ok()
            .filter(|d| *d <= top)
            .ok_or_else(|| decode(format!("seq {seq} above the snapshot's highest, {top}")))?;
        if !self.present.insert(doc) {
            return Err(decode(format!("seq {seq} read twice")));
        }
        let longest = PREFIX_CHARS[PREFIX_CHARS.len() - 1];
        let mut n = 0_i64;
        for word in words.split(' ').filter(|w| !w.is_empty()) {
            n += 1;
            if let Some(facet) = word.strip_prefix('~') {
                match facet.as_bytes().first() {
                    Some(b't') => *self.states.entry(facet.into()).or_default() += 1,
                    Some(b's' | b'l' | b'c' | b'm') => add_to(&mut self.facets, facet, doc),
                    _ => {}
                }
                continue;
            }
            let hash = word_hash(word);
            self.seen.insert(hash);
            let common = self.common.contains(&hash);
            if common {
                add_to(&mut self.whole, word, doc);
            }
            if word.bytes().any(|b| !b.is_ascii_digit()) {
                for k in PREFIX_CHARS {
                    if let Some(start) = beginning(word, k) {
                        add_to(&mut self.prefixes, start, doc);
                    }
                }
                if !common && word.chars().count() > longest {
                    if let Some(start) = beginning(word, longest) {
                        add_to(&mut self.rare, start, doc);
                    }
                }
            }
        }
        // A lexeme holding a space would have been split: never kept as other words.
        if n != count {
            return Err(decode(format!(
                "document {seq} has {count} lexemes, {n} read"
            )));
        }
        Ok(())
    }

    fn finish(self, covered: i64) -> WordIndex {
        let mut reading = Reading::default();
        reading.index.covered = covered;
        for (word, set) in self.whole {
            let list = reading.intern(set);
            reading.index.whole.insert(word, list);
        }
        for (facet, set) in self.facets {
            let list = reading.intern(set);
            reading.index.facets.insert(facet, list);
        }
        reading.index.states = self.states;
        reading.prefixes = self.prefixes;
        reading.rare = self.rare;
        reading.index.seen = Some(self.seen);
        reading.finish()
    }
}

/// The lists of some terms' documents (each term's, borrowed from the index where it is one
/// list), and whether their intersection is exactly the documents with the terms (`false`: a
/// superset). [`Newest`] walks them from the newest document down (intersecting them whole only
/// when they seldom meet).
pub(crate) struct Found<'a> {
    sets: Vec<Cow<'a, RoaringBitmap>>,
    pub(crate) exact: bool,
}

impl Found<'_> {
    /// Whether some covered document is on every list.
    pub(crate) fn any(&self) -> bool {
        Newest::new(self.sets.iter().map(AsRef::as_ref).collect(), Vec::new())
            .next()
            .is_some()
    }
}

/// Whether `term` is one the index can look up as FTS5 would match it: ASCII lower-case
/// letters and digits only (FTS5's tokenizer leaves such a word as it is).
fn plain(term: &str) -> bool {
    !term.is_empty()
        && term
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether PostgreSQL's parser reads the [`plain`] `term` as one word equal to itself, so that
/// `to_tsquery('simple', term)` asks for that one lexeme: a term led by a letter (a word or a
/// "numword") or of digits only. One led by digits with letters after them is not always one
/// (`1e5abc` is the number `1e5` followed by the word `abc`, a phrase of two lexemes), so it is
/// asked of the full-text index.
fn one_lexeme(term: &str) -> bool {
    term.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        || term.bytes().all(|b| b.is_ascii_digit())
}

impl WordIndex {
    /// Whether this index describes the documents as they stand: none was repaired since it was
    /// read, and the newest is not below what it covers (fewer is another database, restored
    /// under a running `serve`).
    pub(crate) fn describes(&self, now: Documents) -> bool {
        now.repairs == self.repairs && now.newest >= self.covered
    }

    /// Reads the lists of every document of `conn`'s `certificate_fts` in one snapshot. Whole
    /// words are kept from `common` documents on.
    pub(crate) fn read(conn: &Connection, common: u64) -> rusqlite::Result<Self> {
        conn.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.certificate_fts_terms \
             USING fts5vocab(main, certificate_fts, instance)",
        )?;
        // One read transaction: the highest rowid and the lists come from the same snapshot.
        let tx = conn.unchecked_transaction()?;
        let (covered, repairs): (i64, i64) =
            tx.query_row(DOCUMENTS_NOW, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if u32::try_from(covered).is_err() {
            return Err(rusqlite::Error::IntegralValueOutOfRange(0, covered));
        }
        let mut reading = Reading::default();
        reading.index.covered = covered;
        reading.index.repairs = repairs;
        let mut stmt = tx.prepare("SELECT term, doc, col FROM temp.certificate_fts_terms")?;
        let mut rows = stmt.query([])?;
        // Rows come by term, then document: a term's documents are gathered, then kept.
        let mut term = String::new();
        let mut body: Vec<u32> = Vec::new();
        let mut facet: Vec<u32> = Vec::new();
        while let Some(row) = rows.next()? {
            let t = row.get_ref(0)?.as_str()?;
            // A term's documents are kept when the next term starts: a term seen again later
            // would replace them. Never kept from a view out of order (none, searching as before).
            if t < term.as_str() {
                return Err(rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    format!("fts5vocab gave the term {t:?} after {term:?}").into(),
                ));
            }
            if t != term {
                reading.keep(&term, &body, &facet, common);
                term.clear();
                term.push_str(t);
                body.clear();
                facet.clear();
            }
            let doc: i64 = row.get(1)?;
            // A document the snapshot's highest rowid does not cover cannot be in it.
            let doc =
                u32::try_from(doc).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(1, doc))?;
            let list = match row.get_ref(2)?.as_str()? {
                "body" => &mut body,
                _ => &mut facet,
            };
            // One row per occurrence: a word twice in a document is one document.
            if list.last() != Some(&doc) {
                list.push(doc);
            }
        }
        reading.keep(&term, &body, &facet, common);
        let mut seen = Seen::new(reading.words.len());
        for hash in std::mem::take(&mut reading.words) {
            seen.insert(hash);
        }
        reading.index.seen = Some(seen);
        Ok(reading.finish())
    }

    /// Reads the lists of every document of PostgreSQL's `certificate_search` (the lexemes of
    /// each `tsvector`, as PostgreSQL's parser made them) in one snapshot; whole words are kept
    /// from `common` documents on (counted in the same snapshot).
    ///
    /// `seq` comes from a sequence, so a document with a lower `seq` than the snapshot's highest
    /// may commit after it: such a gap is filled here, never left to a later search, which asks
    /// the full-text index only for documents above `covered`. Only the insert trigger on
    /// `certificates` writes documents, after the certificate's row, so a transaction holding a
    /// gap's `seq` already had its transaction id when the highest `seq` was drawn: it had
    /// committed (and is in the snapshot), rolled back (the gap stays empty), or was in progress
    /// when the snapshot was taken. The reading waits for those (the snapshot's `xip`) to end,
    /// at most [`GAP_WAIT`], and then reads the gaps' documents; it fails rather than cover a gap
    /// it could not read.
    pub(crate) async fn read_postgres(
        conn: &mut sqlx::AnyConnection,
        common: u64,
    ) -> Result<Self, sqlx::Error> {
        use futures_util::TryStreamExt as _;
        use sqlx::{Connection as _, Row as _};

        let mut tx = conn.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        // The first statement takes the transaction's snapshot: the highest `seq` and the
        // transactions in progress are of the snapshot every later statement reads.
        let (covered, repairs, xip): (i64, i64, String) = sqlx::query_as(&format!(
            "SELECT {DOCUMENTS_READ}, \
             CAST(ARRAY(SELECT pg_snapshot_xip(pg_current_snapshot())) AS TEXT)"
        ))
        .fetch_one(&mut *tx)
        .await?;
        let top = u32::try_from(covered).map_err(|_| decode(format!("seq {covered}")))?;
        // Which words are common: every word's documents counted by a hash of the word, so
        // that a million words on one label each cost a counter, not a list (`ts_stat` took
        // 100 s at 1,000,000 labels). Two words with one hash add up, which can only make a
        // rare word's list kept whole: complete, as every kept list is.
        let mut counts: HashMap<u64, u32, Identity> = HashMap::default();
        let mut rows = sqlx::query(WORDS_ONLY).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let words: String = row.try_get(0)?;
            for word in words
                .split(' ')
                .filter(|w| !w.is_empty() && !w.starts_with('~'))
            {
                *counts.entry(word_hash(word)).or_default() += 1;
            }
        }
        drop(rows);
        let mut lexemes = Lexemes {
            seen: Seen::new(counts.len()),
            common: counts
                .into_iter()
                .filter(|(_, n)| u64::from(*n) >= common)
                .map(|(h, _)| h)
                .collect(),
            ..Lexemes::default()
        };
        let mut rows = sqlx::query(DOCUMENTS).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            lexemes.add(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, top)?;
        }
        drop(rows);
        tx.commit().await?;
        let mut gaps = RoaringBitmap::new();
        gaps.insert_range(1..=top);
        gaps -= &lexemes.present;
        if !gaps.is_empty() && xip != "{}" {
            let started = std::time::Instant::now();
            loop {
                let running: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM unnest(CAST($1 AS xid8[])) x \
                     WHERE pg_xact_status(x) = 'in progress'",
                )
                .bind(&xip)
                .fetch_one(&mut *conn)
                .await?;
                if running == 0 {
                    break;
                }
                if started.elapsed() > GAP_WAIT {
                    return Err(decode(format!(
                        "{running} transactions that may hold documents below seq {covered} \
                         are still in progress"
                    )));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let gaps: Vec<u32> = gaps.iter().collect();
            for chunk in gaps.chunks(10_000) {
                let list: Vec<String> = chunk.iter().map(u32::to_string).collect();
                let mut rows = sqlx::query(GAP_DOCUMENTS)
                    .bind(format!("{{{}}}", list.join(",")))
                    .fetch(&mut *conn);
                while let Some(row) = rows.try_next().await? {
                    lexemes.add(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, top)?;
                }
            }
        }
        let mut index = lexemes.finish(covered);
        index.parsed = true;
        index.repairs = repairs;
        Ok(index)
    }

    /// The covered documents having every term (as a prefix where `prefix` and the term is long
    /// enough, [`super::search`]'s rule), or `None` when some term is one this index does not
    /// know exactly: the full-text index answers that search.
    pub(crate) fn terms(&self, terms: &[String], prefix: bool) -> Option<Found<'_>> {
        let mut exact = true;
        let mut sets: Vec<Cow<'_, RoaringBitmap>> = Vec::with_capacity(terms.len());
        let longest = PREFIX_CHARS[PREFIX_CHARS.len() - 1];
        for t in terms {
            if !plain(t) || (self.parsed && !one_lexeme(t)) {
                return None;
            }
            if !super::search::as_prefix(t, prefix) {
                sets.push(match self.whole.get(t.as_str()) {
                    Some(set) => Cow::Borrowed(set.as_ref()),
                    // On no covered document at all.
                    None if self.absent(t) => Cow::Owned(RoaringBitmap::new()),
                    None => return None,
                });
            } else if t.bytes().all(|b| b.is_ascii_digit()) {
                // Words of digits only have no beginnings kept.
                return None;
            } else if t.len() <= longest {
                // Every word starting with a term that has a letter has a letter: its beginning
                // is kept, so one not kept is on no covered document.
                sets.push(match self.prefixes.get(t.as_str()) {
                    Some(set) => Cow::Borrowed(set.as_ref()),
                    None => Cow::Owned(RoaringBitmap::new()),
                });
            } else {
                // The common words it starts, and the rarer words sharing its first five
                // characters (a superset, unless there are none).
                let mut set = RoaringBitmap::new();
                let from = (Bound::Included(t.as_str()), Bound::Unbounded);
                for (_, list) in self
                    .whole
                    .range::<str, _>(from)
                    .take_while(|(w, _)| w.starts_with(t.as_str()))
                {
                    set |= list.as_ref();
                }
                if let Some(rare) = self.rare.get(&t[..longest]) {
                    set |= rare.as_ref();
                    exact = false;
                }
                sets.push(Cow::Owned(set));
            }
        }
        if sets.is_empty() {
            return None;
        }
        Some(Found { sets, exact })
    }

    /// The documents of `found` with the facet groups (any token of a group, every group),
    /// newest first, or `None` when a group is one this index does not hold (the state).
    pub(crate) fn newest<'a>(
        &'a self,
        found: &'a Found<'a>,
        groups: &[Vec<String>],
    ) -> Option<Newest<'a>> {
        let mut all: Vec<&RoaringBitmap> = found.sets.iter().map(AsRef::as_ref).collect();
        let (mut any, mut nothing) = (Vec::new(), false);
        for group in groups {
            let mut sets = Vec::with_capacity(group.len());
            for token in group {
                if !matches!(token.as_bytes().first(), Some(b's' | b'l' | b'c' | b'm')) {
                    return None;
                }
                // A token no covered label has contributes nothing to its group.
                if let Some(set) = self.facets.get(token.as_str()) {
                    sets.push(set.as_ref());
                }
            }
            match sets.as_slice() {
                [] => nothing = true,
                [one] => all.push(one),
                _ => any.push(sets),
            }
        }
        if nothing {
            return Some(Newest::new(Vec::new(), Vec::new()));
        }
        Some(Newest::new(all, any))
    }

    /// Whether the whole word `term` is on no covered document.
    fn absent(&self, term: &str) -> bool {
        self.seen
            .as_ref()
            .is_some_and(|seen| !seen.may_hold(word_hash(term)))
    }

    /// Whether documents with one of these state facets were at least half of those covered
    /// when the index was read.
    pub(crate) fn mostly(&self, states: &[String]) -> bool {
        self.share(states) >= 0.5
    }

    /// The share of the covered documents that had one of these state facets when the index
    /// was read (0 when it knows none): to choose how a page is read, never which labels it
    /// shows.
    pub(crate) fn share(&self, states: &[String]) -> f64 {
        let all: u64 = self.states.values().sum();
        let these: u64 = states
            .iter()
            .filter_map(|t| self.states.get(t.as_str()))
            .sum();
        if all == 0 {
            0.0
        } else {
            these as f64 / all as f64
        }
    }

    /// Bytes the lists hold, each list once (for the metrics: their serialized sizes).
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }
}

fn sorted(docs: &[u32]) -> RoaringBitmap {
    // Documents of one term come in ascending order (fts5vocab's order).
    RoaringBitmap::from_sorted_iter(docs.iter().copied())
        .unwrap_or_else(|_| docs.iter().copied().collect())
}

/// The first `n` characters of `term`, if it has that many.
fn beginning(term: &str, n: usize) -> Option<&str> {
    match term.char_indices().nth(n) {
        Some((end, _)) => Some(&term[..end]),
        None => (term.chars().count() == n).then_some(term),
    }
}

/// One list walked from its newest document down: `at` is the newest not yet passed.
struct Cursor<'a> {
    iter: roaring::bitmap::Iter<'a>,
    at: Option<u32>,
}

impl<'a> Cursor<'a> {
    fn new(set: &'a RoaringBitmap) -> Self {
        let mut iter = set.iter();
        let at = iter.next_back();
        Self { iter, at }
    }

    /// The newest document of the list not above `x`, the cursor moved there (never back up).
    fn seek(&mut self, x: u32) -> Option<u32> {
        match self.at {
            Some(at) if at > x => {
                self.iter.advance_back_to(x);
                self.at = self.iter.next_back();
                self.at
            }
            at => at,
        }
    }
}

/// Moves, without a match in between, after which a walk reads its lists whole
/// ([`Newest::materialise`]): two common words seldom on one label would otherwise make it jump
/// between their lists for most of their length, which costs far more than intersecting them
/// whole, container by container.
const JUMPS: u32 = 256;

/// The documents on every list of `all` and on some list of each group of `any`, newest first:
/// a leapfrog walk (every cursor jumps to the newest document not above the others'), so a page
/// reads the lists only as far down as its documents, instead of intersecting them whole (which
/// at a million labels was a tenth of a search's time). A walk that finds little reads the lists
/// whole, below the documents it gave.
pub(crate) struct Newest<'a> {
    all: Vec<Cursor<'a>>,
    any: Vec<Vec<Cursor<'a>>>,
    sets: (Vec<&'a RoaringBitmap>, Vec<Vec<&'a RoaringBitmap>>),
    /// The highest document still to give (`None`: none is left).
    below: Option<u32>,
    jumps: u32,
    /// [`JUMPS`], except in tests.
    patience: u32,
    rest: Option<roaring::bitmap::IntoIter>,
}

impl<'a> Newest<'a> {
    fn new(mut all: Vec<&'a RoaringBitmap>, any: Vec<Vec<&'a RoaringBitmap>>) -> Self {
        // The shortest list first: its jumps are the longest.
        all.sort_by_key(|s| s.len());
        Self {
            all: all.iter().map(|s| Cursor::new(s)).collect(),
            any: any
                .iter()
                .map(|g| g.iter().map(|s| Cursor::new(s)).collect())
                .collect(),
            below: if all.is_empty() && any.is_empty() {
                None
            } else {
                Some(u32::MAX)
            },
            sets: (all, any),
            jumps: 0,
            patience: JUMPS,
            rest: None,
        }
    }

    /// Whether the walk gives `doc` (or gave it): on every list of `all` and on some list of
    /// each group of `any`. A walk without lists gives nothing, so holds nothing.
    pub(crate) fn holds(&self, doc: u32) -> bool {
        let (all, any) = &self.sets;
        (!all.is_empty() || !any.is_empty())
            && all.iter().all(|s| s.contains(doc))
            && any.iter().all(|g| g.iter().any(|s| s.contains(doc)))
    }

    /// The share of `covered` documents the walk would give if its lists were independent:
    /// the product of each list's share (of each group's, at most 1). Only to choose how to
    /// read a page, never to decide what it shows.
    pub(crate) fn share(&self, covered: i64) -> f64 {
        let (all, any) = &self.sets;
        if all.is_empty() && any.is_empty() {
            return 0.0;
        }
        let of = |s: &RoaringBitmap| s.len() as f64 / covered.max(1) as f64;
        all.iter().map(|s| of(s)).product::<f64>()
            * any
                .iter()
                .map(|g| g.iter().map(|s| of(s)).sum::<f64>().min(1.0))
                .product::<f64>()
    }

    /// What is left to give (documents up to `below`), intersected whole.
    fn materialise(&self, below: u32) -> roaring::bitmap::IntoIter {
        let (all, any) = &self.sets;
        // Sorted shortest first: the first two intersected, the others into that.
        let mut docs: Option<RoaringBitmap> = match all.as_slice() {
            [] => None,
            [one] => Some((*one).clone()),
            [a, b, ..] => Some(*a & *b),
        };
        for set in all.iter().skip(2) {
            if let Some(d) = &mut docs {
                *d &= *set;
            }
        }
        for group in any {
            let mut union = RoaringBitmap::new();
            for set in group {
                match &docs {
                    Some(d) => union |= d & *set,
                    None => union |= *set,
                }
            }
            docs = Some(union);
        }
        let mut docs = docs.unwrap_or_default();
        if below < u32::MAX {
            docs.remove_range(below + 1..);
        }
        docs.into_iter()
    }
}

impl Iterator for Newest<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        if let Some(rest) = &mut self.rest {
            return rest.next_back();
        }
        let mut x = self.below?;
        loop {
            if self.jumps >= self.patience {
                let mut rest = self.materialise(x);
                let next = rest.next_back();
                self.rest = Some(rest);
                return next;
            }
            // Every list moved to its newest document not above `x`; a lower one lowers `x`.
            let mut agreed = true;
            for c in &mut self.all {
                match c.seek(x) {
                    None => {
                        self.below = None;
                        return None;
                    }
                    Some(at) if at < x => {
                        x = at;
                        agreed = false;
                    }
                    Some(_) => {}
                }
            }
            for group in &mut self.any {
                let Some(at) = group.iter_mut().filter_map(|c| c.seek(x)).max() else {
                    self.below = None;
                    return None;
                };
                if at < x {
                    x = at;
                    agreed = false;
                }
            }
            if agreed {
                self.jumps = 0;
                self.below = x.checked_sub(1);
                return Some(x);
            }
            self.jumps += 1;
        }
    }
}

/// A store's word index: the current one (if read yet) and whether a reading is under way.
#[derive(Debug, Default)]
pub(crate) struct Words {
    current: RwLock<Option<Arc<WordIndex>>>,
    /// [`IDLE`], [`READING`] (one reading under way, on its own thread) or [`CLOSED`] (never
    /// again: [`Words::close`]).
    reading: AtomicU8,
    /// When a reading was last started or ended (Unix seconds).
    checked: AtomicI64,
    /// PostgreSQL: the documents as the last search read them (`sql::search`'s `Assumed`).
    last_read: Mutex<Option<Documents>>,
}

/// Seconds between two attempts to read the index.
const CHECK_EVERY_SECS: i64 = 10;

/// [`Words::reading`]'s states.
const IDLE: u8 = 0;
const READING: u8 = 1;
const CLOSED: u8 = 2;

/// How long [`Words::close`] waits for a reading under way to end before it gives up on it.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl Words {
    /// The current index, if one has been read.
    pub(crate) fn current(&self) -> Option<Arc<WordIndex>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The documents as the last search read them, if one did.
    pub(crate) fn last_read(&self) -> Option<Documents> {
        *self
            .last_read
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the documents as a search read them (`now`).
    pub(crate) fn read_now(&self, now: Documents) {
        *self
            .last_read
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(now);
    }

    /// Allows the next search to attempt a reading at once (tests).
    #[cfg(test)]
    pub(crate) fn forget_last_attempt(&self) {
        self.checked.store(0, Ordering::Relaxed);
    }

    /// Whether no reading is under way (tests).
    #[cfg(test)]
    pub(crate) fn idle(&self) -> bool {
        self.reading.load(Ordering::Acquire) != READING
    }

    /// Whether it was closed: no reading starts again (tests).
    #[cfg(test)]
    pub(crate) fn closed(&self) -> bool {
        self.reading.load(Ordering::Acquire) == CLOSED
    }

    /// No reading starts after this, and one under way (on PostgreSQL, on a connection of its
    /// own) has ended when it returns, so the store holds no connection to the database once
    /// `SqlStore::close` has closed its pool. A reading that has not ended within
    /// [`CLOSE_WAIT`] (a connection that hangs) is left to end by itself, with a warning.
    pub(crate) async fn close(&self) {
        self.close_within(CLOSE_WAIT).await;
    }

    /// [`Words::close`], waiting at most `wait` for a reading under way. Closed either way: a
    /// reading left to end by itself does not make it idle again when it ends
    /// ([`Words::end_reading`]), so no search starts another after `close`.
    pub(crate) async fn close_within(&self, wait: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self
                .reading
                .compare_exchange(IDLE, CLOSED, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) | Err(CLOSED) => return,
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    self.reading.store(CLOSED, Ordering::Release);
                    tracing::warn!(
                        secs = wait.as_secs(),
                        "a reading of the search's words did not end; closing without it"
                    );
                    return;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    }

    /// A reading [`claim`]ed is over (read, failed, or never started): idle again, unless
    /// [`Words::close`] gave up waiting for it meanwhile, which it then leaves closed.
    fn end_reading(&self) {
        let _ = self
            .reading
            .compare_exchange(READING, IDLE, Ordering::AcqRel, Ordering::Acquire);
    }

    /// Documents the current index covers (its highest rowid), for the metrics.
    pub(crate) fn covered(&self) -> Option<(i64, u64)> {
        self.current().map(|i| (i.covered, i.bytes()))
    }

    /// After a search: reads the index again on a thread of its own when there is none yet, or
    /// when the newest document (`newest`, read by the search) is newer than it covers by
    /// [`stale_after`] or more, or older (the file was replaced), or the documents were repaired
    /// since it was read. At most one reading at once, and one attempt every
    /// [`CHECK_EVERY_SECS`] (a reading that fails is not retried by every search).
    pub(crate) fn refresh(
        self: &Arc<Self>,
        newest: Option<Documents>,
        point: &super::point::PointReader,
    ) {
        if !self.claim(newest, stale_after) {
            return;
        }
        // A turn of the point reader for as long as the file is read (its `close` waits for
        // it); none when it is closed or closing, and then no reading.
        let Some(turn) = point.turn() else {
            self.end_reading();
            return;
        };
        let path = point.path().to_owned();
        self.spawn(move || {
            let _turn = turn;
            super::point::open_for_words(&path)
                .and_then(|c| WordIndex::read(&c, COMMON))
                .map_err(|e| e.to_string())
        });
    }

    /// [`Words::refresh`] on PostgreSQL: the reading opens a connection of its own (`options`,
    /// in `schema` when given) on its thread, and the index is read again once
    /// [`stale_after_postgres`] documents are newer (each search tests the newer ones one by
    /// one).
    pub(crate) fn refresh_postgres(
        self: &Arc<Self>,
        newest: Documents,
        options: &sqlx::any::AnyConnectOptions,
        schema: Option<&str>,
    ) {
        if !self.claim(Some(newest), stale_after_postgres) {
            return;
        }
        let (options, schema) = (options.clone(), schema.map(str::to_owned));
        self.spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(async {
                    use sqlx::{ConnectOptions as _, Connection as _, Executor as _};
                    let mut conn = options.connect().await?;
                    if let Some(schema) = &schema {
                        conn.execute(format!("SET search_path TO {schema}").as_str())
                            .await?;
                    }
                    let read = WordIndex::read_postgres(&mut conn, COMMON).await;
                    conn.close().await?;
                    read
                })
                .map_err(|e| e.to_string())
        });
    }

    /// Whether a search should start a reading now (and, if so, marks one under way): when
    /// there is no index, or `newest` is `stale` or more above what it covers, or below it, or
    /// the documents were repaired since it was read.
    fn claim(&self, newest: Option<Documents>, stale: fn(i64) -> i64) -> bool {
        if let (Some(index), Some(now)) = (self.current(), newest) {
            // Fewer documents than it covers: another database; read it again.
            if index.describes(now)
                && (0..stale(index.covered)).contains(&(now.newest - index.covered))
            {
                return false;
            }
        }
        let now = chrono::Utc::now().timestamp();
        let last = self.checked.load(Ordering::Relaxed);
        // A clock that went back allows an attempt at once.
        !((0..CHECK_EVERY_SECS).contains(&now.saturating_sub(last))
            || self
                .checked
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
            || self
                .reading
                .compare_exchange(IDLE, READING, Ordering::AcqRel, Ordering::Acquire)
                .is_err())
    }

    /// Runs `read` on a thread of its own and keeps what it read (a reading [`claim`]ed).
    fn spawn(self: &Arc<Self>, read: impl FnOnce() -> Result<WordIndex, String> + Send + 'static) {
        let words = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("keurmerk-words".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                match read() {
                    Ok(index) => {
                        tracing::info!(
                            covered = index.covered,
                            bytes = index.bytes(),
                            ms = started.elapsed().as_millis() as u64,
                            "search word index read"
                        );
                        *words
                            .current
                            .write()
                            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(index));
                    }
                    Err(e) => tracing::warn!(
                        error = %e,
                        "search word index not read; searching the full-text index alone"
                    ),
                }
                words
                    .checked
                    .store(chrono::Utc::now().timestamp(), Ordering::Relaxed);
                words.end_reading();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "search word index not read: no thread to read it");
            self.end_reading();
        }
    }
}

/// How many documents newer than the index make it read again: 1 in 64 of those it covers, at
/// least 256 (each search reads the newer ones from the full-text index).
fn stale_after(covered: i64) -> i64 {
    (covered / 64).max(256)
}

/// [`stale_after`] on PostgreSQL, at most [`RECENT_DOCUMENTS`](super::search::RECENT_DOCUMENTS):
/// a search tests the newer documents one by one, walking them from the newest down.
fn stale_after_postgres(covered: i64) -> i64 {
    stale_after(covered).min(super::search::RECENT_DOCUMENTS)
}

#[cfg(test)]
mod tests {
    use super::{Newest, JUMPS};
    use proptest::prelude::*;
    use roaring::RoaringBitmap;

    /// A list of documents below `span`, each with probability `density` in 1,000 (dense lists
    /// are kept as bitmap containers, sparse ones as arrays: both kinds are walked).
    fn list(span: u32, density: u32, seed: u64) -> RoaringBitmap {
        let mut x = seed | 1;
        let mut set = RoaringBitmap::new();
        for d in 0..span {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (x % 1000) < u64::from(density) {
                set.insert(d);
            }
        }
        set
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The walk gives exactly the documents on every list and on some list of each group,
        /// newest first, whatever their density (dense lists meet at once; sparse ones that
        /// seldom meet make it read the rest whole after `JUMPS` moves, here also after fewer,
        /// so the hand-over is tried at every point of a walk), and a walk stopped after a few
        /// gives the newest few.
        #[test]
        fn the_walk_gives_the_intersection_newest_first(
            span in prop_oneof![Just(3_000u32), Just(200_000u32)],
            all in prop::collection::vec((0u32..1000, any::<u64>()), 0..4),
            any_of in prop::collection::vec(prop::collection::vec((0u32..1000, any::<u64>()), 0..4), 0..3),
            take in 0usize..50,
            patience in prop_oneof![Just(super::JUMPS), 0u32..40],
        ) {
            let all: Vec<RoaringBitmap> = all.iter().map(|&(d, s)| list(span, d, s)).collect();
            let groups: Vec<Vec<RoaringBitmap>> = any_of
                .iter()
                .map(|g| g.iter().map(|&(d, s)| list(span, d, s)).collect())
                .collect();
            let mut want: Option<RoaringBitmap> = None;
            for set in &all {
                want = Some(match want { None => set.clone(), Some(w) => w & set });
            }
            for group in &groups {
                let union = group.iter().fold(RoaringBitmap::new(), |u, s| u | s);
                want = Some(match want { None => union, Some(w) => w & union });
            }
            let want: Vec<u32> = want.map(|w| w.iter().rev().collect()).unwrap_or_default();
            let walk = || {
                let mut w = Newest::new(
                    all.iter().collect(),
                    groups.iter().map(|g| g.iter().collect()).collect(),
                );
                w.patience = patience;
                w
            };
            let got: Vec<u32> = walk().collect();
            prop_assert_eq!(&got, &want);
            let few: Vec<u32> = walk().take(take).collect();
            prop_assert_eq!(&few[..], &want[..take.min(want.len())]);
        }
    }

    /// Two long lists that never meet: the walk gives up jumping and reads them whole (finding
    /// nothing), and lists meeting only far down are found there.
    /// The filter of every word read holds every word inserted, and few others.
    #[test]
    fn the_words_seen_hold_every_word_read() {
        use super::{word_hash, Seen};
        let mut seen = Seen::new(10_000);
        for i in 0..10_000 {
            seen.insert(word_hash(&format!("w{i}")));
        }
        assert!((0..10_000).all(|i| seen.may_hold(word_hash(&format!("w{i}")))));
        let others = (0..10_000)
            .filter(|i| seen.may_hold(word_hash(&format!("x{i}"))))
            .count();
        assert!(others < 200, "{others} in 10,000 words never inserted");
        // An empty filter proves nothing; one sized for no word holds none.
        assert!(Seen::default().may_hold(word_hash("any")));
        assert!(!Seen::new(0).may_hold(word_hash("any")));
    }

    #[test]
    fn lists_meeting_seldom_are_read_whole() {
        let evens: RoaringBitmap = (0..100_000u32).map(|d| d * 2).collect();
        let odds: RoaringBitmap = (0..100_000u32).map(|d| d * 2 + 1).collect();
        let mut walk = Newest::new(vec![&evens, &odds], Vec::new());
        assert_eq!(walk.next(), None);
        let mut low = odds.clone();
        low.insert(10);
        let mut walk = Newest::new(vec![&evens, &low], Vec::new());
        assert_eq!(walk.next(), Some(10));
        assert!(walk.jumps >= JUMPS || walk.rest.is_some());
        assert_eq!(walk.next(), None);
    }
}
