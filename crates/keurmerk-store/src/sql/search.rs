use async_trait::async_trait;

use super::certificates::certificate_from_row;
use super::point::Point;
use super::words::{Documents, Found, WordIndex, DOCUMENTS_NOW, DOCUMENTS_READ};
use super::SqlStore;
use crate::codec::{column_names, get_i64, get_parse, get_str, ts, Cols, NamedRow};
use crate::label_status::ServedRule;
use crate::search::{searchable, LabelHit, LabelSearch, SearchCheck, SearchStore};
use crate::sql::Backend;
use crate::{ImageRef, Result, StoreError};
use keurmerk_domain::lifecycle::State;

fn hit_from_row(row: &(impl Cols + ?Sized)) -> Result<LabelHit> {
    // A word that is not a status is not trusted: the caller evaluates that certificate.
    let status = if get_i64(row, "status_ok")? == 1 {
        row.text("status_word")?.and_then(|w| w.parse().ok())
    } else {
        None
    };
    let image = match row.text("image_sha256")? {
        None => None,
        Some(sha256) => {
            let side = |col: &'static str| -> Result<u32> {
                let v = get_i64(row, col)?;
                u32::try_from(v).map_err(|_| StoreError::Corrupt {
                    what: "image",
                    detail: format!("{col} {v}"),
                })
            };
            Some(ImageRef {
                sha256,
                media_type: get_str(row, "image_media_type")?,
                width: side("image_width")?,
                height: side("image_height")?,
            })
        }
    };
    Ok(LabelHit {
        certificate: certificate_from_row(row)?,
        product_name: get_str(row, "product_name")?,
        model: get_str(row, "product_model")?,
        category: get_parse(row, "product_category")?,
        manufacturer: get_parse(row, "manufacturer_id")?,
        manufacturer_name: get_str(row, "manufacturer_name")?,
        status,
        image,
    })
}

/// A query with numbered placeholders and its text arguments, built together so the numbers
/// always match the binds.
#[derive(Clone)]
struct Sql {
    text: String,
    args: Vec<String>,
}

impl Sql {
    fn arg(&mut self, value: String) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    /// `AND column IN ($i, …)`, or a condition nothing meets for an empty list.
    fn any_of(&mut self, column: &str, values: Vec<String>) {
        if values.is_empty() {
            self.text.push_str(" AND 1 = 0");
            return;
        }
        let marks: Vec<String> = values.into_iter().map(|v| self.arg(v)).collect();
        self.text
            .push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
    }
}

/// The shortest term matched as a prefix. A one- or two-character prefix ("2", "sm") starts
/// the words of a large part of a big registry, and merging their lists took 0.17–0.4 s per
/// query at 1,000,000 labels (SQLite); such a term is always matched as a whole word.
const MIN_PREFIX_CHARS: usize = 3;

/// Whether `term` is matched as a prefix when the query matches prefixes.
pub(crate) fn as_prefix(term: &str, prefix: bool) -> bool {
    prefix && term.chars().count() >= MIN_PREFIX_CHARS
}

/// SQLite FTS5 query: all terms, each a whole word or a prefix, in the `body` column (never the
/// facets). Terms are letters and digits only (`search::query_terms` makes them so, and a search
/// with another is answered before any query, `search::searchable`), so quoting them is enough
/// in both query languages.
fn fts_query(terms: &[String], prefix: bool) -> String {
    let expr: Vec<String> = terms
        .iter()
        .map(|t| format!("\"{t}\"{}", if as_prefix(t, prefix) { "*" } else { "" }))
        .collect();
    format!("body : ({})", expr.join(" "))
}

/// PostgreSQL `to_tsquery('simple', …)`: all terms, each a whole word or a prefix.
fn ts_query(terms: &[String], prefix: bool) -> String {
    let expr: Vec<String> = terms
        .iter()
        .map(|t| format!("'{t}'{}", if as_prefix(t, prefix) { ":*" } else { "" }))
        .collect();
    expr.join(" & ")
}

/// A filter value's token in the search index (migration 0034): a letter naming the filter and
/// the value's UTF-8 bytes in hexadecimal, as the migration's triggers write it (`hex()` on
/// SQLite, upper case, which FTS5 folds; `encode(…, 'hex')` on PostgreSQL, behind `~`). Letters
/// and digits only, so it needs no quoting in either query language.
fn facet(kind: char, value: &str) -> String {
    use std::fmt::Write as _;
    let mut token = String::with_capacity(1 + 2 * value.len());
    token.push(kind);
    for b in value.bytes() {
        let _ = write!(token, "{b:02x}");
    }
    token
}

/// The filters as facet tokens: every group must match, any token of a group will do.
fn facet_groups(s: &LabelSearch) -> Vec<Vec<String>> {
    facet_groups_with(s, true)
}

/// The state's facet tokens, one per state asked for.
fn state_facets(states: &[State]) -> Vec<String> {
    states.iter().map(|x| facet('t', x.as_str())).collect()
}

/// The filters as facet tokens, the state's group only `with_state` (a word index holds only the
/// facets that never change).
fn facet_groups_with(s: &LabelSearch, with_state: bool) -> Vec<Vec<String>> {
    let mut groups = Vec::new();
    if let Some(schemes) = &s.schemes {
        groups.push(schemes.iter().map(|x| facet('s', x.as_str())).collect());
    }
    if let Some(level) = &s.level {
        groups.push(vec![facet('l', level.as_str())]);
    }
    if let Some(states) = s.states.as_ref().filter(|_| with_state) {
        groups.push(state_facets(states));
    }
    if let Some(category) = &s.category {
        groups.push(vec![facet('c', category.as_str())]);
    }
    if let Some(manufacturer) = &s.manufacturer {
        groups.push(vec![facet('m', manufacturer.as_str())]);
    }
    groups
}

/// The facet groups as an FTS5 expression on the `facets` column (`AND facets : (a OR b) …`).
fn fts_facets(groups: &[Vec<String>]) -> String {
    groups
        .iter()
        .map(|g| format!(" AND facets : ({})", g.join(" OR ")))
        .collect()
}

/// The facet groups as a PostgreSQL `tsquery` (`'~a' & ( '~b' | '~c' )`), or `None` for none.
fn ts_facets(groups: &[Vec<String>]) -> Option<String> {
    let parts: Vec<String> = groups
        .iter()
        .map(|g| {
            let any: Vec<String> = g.iter().map(|t| format!("'~{t}'")).collect();
            format!("( {} )", any.join(" | "))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

/// How many of the newest documents PostgreSQL tests one by one before it takes the matches
/// from the index instead (migration 0034's functions): a word on at least one label in 200
/// fills a page of 20 from them, in a few milliseconds; a rarer one, or none at all, is read
/// from the index as a bitmap, whose cost is the matches, not the registry.
pub(crate) const RECENT_DOCUMENTS: i64 = 4_096;

/// Where a hit's product, manufacturer and image come from: joined from their rows
/// ([`JOINS`]), or (PostgreSQL) the row kept beside the hit's search document
/// (`certificate_search_hits` as `h`, migration 0039, three index descents a hit instead of
/// seven). The certificate (`c`) and its status row (`ls`) are read as they are either way, and
/// every filter is decided on the certificate's and the product's rows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HitRows {
    Joined,
    Kept,
}

impl HitRows {
    /// The product's, manufacturer's and image's columns of a hit.
    fn columns(self) -> &'static str {
        match self {
            Self::Joined => {
                "p.name AS product_name, p.model AS product_model, \
                 p.category AS product_category, o.id AS manufacturer_id, \
                 o.name AS manufacturer_name, im.sha256 AS image_sha256, \
                 im.media_type AS image_media_type, CAST(im.width AS BIGINT) AS image_width, \
                 CAST(im.height AS BIGINT) AS image_height"
            }
            Self::Kept => {
                "h.product_name, h.product_model, h.product_category, h.manufacturer_id, \
                 h.manufacturer_name, h.image_sha256, h.image_media_type, h.image_width, \
                 h.image_height"
            }
        }
    }

    /// The rows joined to the certificate `c` for a hit of search `s`: with the kept row, the
    /// product's row (`p`) only when a filter is on it (its category or maker), so that the
    /// rows decide every filter.
    fn joins(self, s: &LabelSearch) -> &'static str {
        match self {
            Self::Joined => JOINS,
            Self::Kept if s.category.is_some() || s.manufacturer.is_some() => {
                "JOIN products p ON p.id = c.product_id \
                 LEFT JOIN label_status ls ON ls.certificate_id = c.id"
            }
            Self::Kept => "LEFT JOIN label_status ls ON ls.certificate_id = c.id",
        }
    }
}

/// The columns of a hit: the certificate, its product and maker and its product's image (from
/// `rows`), and its read-model row's status word with whether that row is served under `rule`
/// (the conditions of `LIST_STATUSES` in `sql::label_status`, which are `readmodel::servable`'s:
/// a word present — kept only while the row has a report folded from the last event — same
/// policy and trust, `computed_at <= now < stale_after`). Without a rule no word is taken.
fn columns(q: &mut Sql, rule: Option<&ServedRule>, rows: HitRows) -> String {
    let ok = match rule {
        Some(rule) => {
            let [policy, trust, now] =
                [rule.policy.clone(), rule.trust.clone(), ts(rule.now)].map(|v| q.arg(v));
            format!(
                "CASE WHEN ls.report IS NOT NULL AND ls.status IS NOT NULL \
                 AND ls.policy = {policy} AND ls.trust = {trust} AND ls.computed_at <= {now} \
                 AND (ls.stale_after IS NULL OR ls.stale_after > {now}) THEN 1 ELSE 0 END"
            )
        }
        None => "0".to_owned(),
    };
    format!(
        "c.*, {}, ls.status AS status_word, CAST({ok} AS BIGINT) AS status_ok",
        rows.columns()
    )
}
/// The rows a hit is made from (each joined by primary key).
const JOINS: &str = "JOIN products p ON p.id = c.product_id \
                     JOIN organisations o ON o.id = p.manufacturer_id \
                     LEFT JOIN label_status ls ON ls.certificate_id = c.id \
                     LEFT JOIN product_images pi ON pi.product_id = p.id \
                     LEFT JOIN images im ON im.sha256 = pi.sha256";

/// SQLite: whether some document matches `$1` (an [`fts_query`]): stops at the first.
const SQLITE_PROBE: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM certificate_fts \
                            WHERE certificate_fts MATCH $1 LIMIT 1) x";

/// PostgreSQL: whether one of the newest documents (those above `$2`) matches `$1` (a
/// [`ts_query`]): stops at the first.
const POSTGRES_PROBE: &str =
    "SELECT COUNT(*) FROM certificate_search_recent(to_tsquery('simple', $1), $2, 1, 0)";

/// PostgreSQL: [`POSTGRES_PROBE`], or -1 when one of the terms not in ASCII (`$3`, … each
/// quoted) is no word to PostgreSQL's parser. Its parser reads as letters what the C library's
/// tables call letters, and those may be older than the Unicode that [`searchable`] knows (a
/// letter added since is no word to it); `to_tsquery` drops such a term, and the query would
/// match by the other words or the filters alone. A term of ASCII letters and digits is always
/// a word to it.
fn postgres_probe(terms: &[String]) -> Option<String> {
    let unread: Vec<String> = (0..terms.iter().filter(|t| !t.is_ascii()).count())
        .map(|i| format!("numnode(to_tsquery('simple', ${})) = 0", i + 3))
        .collect();
    (!unread.is_empty()).then(|| {
        format!(
            "SELECT CASE WHEN {} THEN CAST(-1 AS BIGINT) ELSE ({POSTGRES_PROBE}) END",
            unread.join(" OR ")
        )
    })
}

impl SqlStore {
    /// Whether some label has every term, each as a whole word or (`prefix`) as [`fts_query`]
    /// and [`ts_query`] match it: an index probe, filters aside. `newest` is PostgreSQL's newest
    /// search document ([`Self::newest_search_seq`]). `None` when a term is no word to
    /// PostgreSQL's parser ([`postgres_probe`]): nothing matches that search, whatever else it
    /// asks.
    async fn has_match(&self, terms: &[String], prefix: bool, newest: i64) -> Result<Option<bool>> {
        match self.backend() {
            Backend::Sqlite => {
                let found: i64 = sqlx::query_scalar(SQLITE_PROBE)
                    .bind(fts_query(terms, prefix))
                    .fetch_one(&self.pool)
                    .await?;
                Ok(Some(found > 0))
            }
            Backend::Postgres => {
                // The newest documents first (a common word is in one of them), then the index.
                let words = ts_query(terms, prefix);
                let probe = postgres_probe(terms);
                let mut query = sqlx::query_scalar(probe.as_deref().unwrap_or(POSTGRES_PROBE))
                    .bind(&words)
                    .bind(newest - self.search_window);
                for t in terms.iter().filter(|t| !t.is_ascii()) {
                    query = query.bind(format!("'{t}'"));
                }
                let recent: i64 = query.fetch_one(&self.pool).await?;
                if recent < 0 {
                    return Ok(None);
                }
                if recent > 0 {
                    return Ok(Some(true));
                }
                let any: bool =
                    sqlx::query_scalar("SELECT certificate_search_any(to_tsquery('simple', $1))")
                        .bind(&words)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(Some(any))
            }
        }
    }

    /// The highest `seq` of PostgreSQL's search documents (0 for none) and the repairs of the
    /// documents: one index descent and one row.
    async fn newest_search_seq(&self) -> Result<Documents> {
        let (newest, repairs): (i64, i64) = sqlx::query_as(&format!("SELECT {DOCUMENTS_READ}"))
            .fetch_one(&self.pool)
            .await?;
        Ok(Documents { newest, repairs })
    }
}

/// PostgreSQL: a search run on the documents as an earlier search read them (`documents`),
/// without reading them first: each page statement also reads them ([`DOCUMENTS_READ`]), and
/// the search's page stands only when every row read agrees (else it is asked again on what was
/// read). A search none of whose statements returned a row reads them on its own after.
#[derive(Debug)]
struct Assumed {
    documents: Documents,
    /// `None` until a row was read; then the assumed documents while every row agreed, else
    /// the first that did not.
    read: std::sync::Mutex<Option<Documents>>,
}

impl Assumed {
    fn new(documents: Documents) -> Self {
        Self {
            documents,
            read: std::sync::Mutex::new(None),
        }
    }

    fn saw(&self, now: Documents) {
        let mut read = self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if read.is_none_or(|r| r == self.documents) {
            *read = Some(now);
        }
    }

    fn read(&self) -> Option<Documents> {
        *self
            .read
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether some row read other documents than assumed (the page is of no use then).
    fn moved(assumed: Option<&Self>) -> bool {
        assumed.is_some_and(|a| a.read().is_some_and(|r| r != a.documents))
    }
}

/// The filters as conditions on the joined certificate and product rows. These decide: the
/// facets of the index only narrow what reaches them.
fn push_filters(q: &mut Sql, s: &LabelSearch) {
    if let Some(schemes) = &s.schemes {
        q.any_of(
            "c.scheme_id",
            schemes.iter().map(ToString::to_string).collect(),
        );
    }
    if let Some(level) = &s.level {
        let m = q.arg(level.to_string());
        q.text.push_str(&format!(" AND c.level_id = {m}"));
    }
    if let Some(states) = &s.states {
        q.any_of(
            "c.state",
            states.iter().map(|st| st.as_str().to_owned()).collect(),
        );
    }
    if let Some(category) = &s.category {
        let m = q.arg(category.as_str().to_owned());
        q.text.push_str(&format!(" AND p.category = {m}"));
    }
    if let Some(manufacturer) = &s.manufacturer {
        let m = q.arg(manufacturer.to_string());
        q.text.push_str(&format!(" AND p.manufacturer_id = {m}"));
    }
}

impl SqlStore {
    async fn fetch_hits(&self, q: Sql, page: Option<(i64, i64)>) -> Result<Vec<LabelHit>> {
        self.fetch_hits_reading(q, page, None).await
    }

    /// [`Self::fetch_hits`] of a statement that also reads the documents ([`DOCUMENTS_READ`],
    /// when `assumed`): what each row read is given to `assumed`.
    async fn fetch_hits_reading(
        &self,
        q: Sql,
        page: Option<(i64, i64)>,
        assumed: Option<&Assumed>,
    ) -> Result<Vec<LabelHit>> {
        let mut query = sqlx::query(&q.text);
        for a in &q.args {
            query = query.bind(a.clone());
        }
        if let Some((limit, offset)) = page {
            query = query.bind(limit).bind(offset);
        }
        let rows = query.fetch_all(&self.pool).await?;
        if let Some(assumed) = assumed {
            for row in &rows {
                assumed.saw(Documents {
                    newest: get_i64(row, "documents_newest")?,
                    repairs: get_i64(row, "documents_repairs")?,
                });
            }
        }
        rows.iter().map(hit_from_row).collect()
    }

    /// PostgreSQL with words: the newest documents (`search_window`, [`RECENT_DOCUMENTS`] by
    /// default) tested one by one, and
    /// when they do not fill the page, every match from the index (migration 0034's functions;
    /// the page is the same either way, as the window holds the newest matches).
    async fn search_postgres(
        &self,
        s: &LabelSearch,
        prefix: bool,
        groups: &[Vec<String>],
        newest: i64,
        assumed: Option<&Assumed>,
    ) -> Result<Vec<LabelHit>> {
        let (limit, offset) = (s.limit.max(1), s.offset.max(0));
        let windows = [
            (
                "certificate_search_recent",
                Some(newest - self.search_window),
            ),
            ("certificate_search_newest", None),
        ];
        for (function, lo) in windows {
            let q = pg_matches(
                s,
                prefix,
                groups,
                function,
                lo,
                (limit, offset),
                assumed.is_some(),
            );
            let hits = self.fetch_hits_reading(q, None, assumed).await?;
            if hits.len() as i64 >= limit || lo.is_none_or(|lo| lo <= 0) || Assumed::moved(assumed)
            {
                return Ok(hits);
            }
        }
        Ok(Vec::new())
    }

    /// Whether some document above `covered` (those a word index does not cover) has every
    /// term: the documents from the newest down to it tested one by one.
    async fn has_newer(
        &self,
        terms: &[String],
        prefix: bool,
        covered: i64,
        newest: i64,
    ) -> Result<bool> {
        if newest <= covered {
            return Ok(false);
        }
        let found: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM certificate_search_recent(to_tsquery('simple', $1), $2, 1, 0)",
        )
        .bind(ts_query(terms, prefix))
        .bind(covered)
        .fetch_one(&self.pool)
        .await?;
        Ok(found > 0)
    }

    /// PostgreSQL: a whole search, the same statements in the same order with and without
    /// `words` (the search's words in memory, `sql::words`), except where the index answers
    /// exactly what a statement would have (as `search_on` on SQLite): whether some covered
    /// label has the words, and which labels a page shows (the rows deciding the state).
    /// Documents above what it covers are asked of the full-text index; `newest` is the newest
    /// document's `seq`, at least what `words` covers. `walk` bounds the documents of a rare
    /// state walked for a page ([`STATE_WALK`]).
    async fn search_postgres_words(
        &self,
        s: &LabelSearch,
        words: Option<&WordIndex>,
        newest: i64,
        walk: usize,
    ) -> Result<Vec<LabelHit>> {
        self.search_postgres_assuming(s, words, newest, walk, None)
            .await
    }

    /// [`Self::search_postgres_words`], its page statements also reading the documents for
    /// `assumed` (whose `newest` is `newest`) when given.
    async fn search_postgres_assuming(
        &self,
        s: &LabelSearch,
        words: Option<&WordIndex>,
        newest: i64,
        walk: usize,
        assumed: Option<&Assumed>,
    ) -> Result<Vec<LabelHit>> {
        let covered = words.map_or(newest, |w| w.covered);
        let mut prefix_found = None;
        // A label with every word whole has them as prefixes too: when the index knows one, the
        // probe for prefixes is not asked (it is PostgreSQL's slowest statement when a rarer
        // word shares a long prefix's first five characters).
        let whole_found = words.and_then(|w| w.terms(&s.terms, false));
        let some_whole = whole_found.as_ref().is_some_and(Found::any);
        if s.terms.iter().any(|t| as_prefix(t, true)) && !some_whole {
            prefix_found = words.and_then(|w| w.terms(&s.terms, true));
            let any = match &prefix_found {
                Some(f) if !f.any() => self.has_newer(&s.terms, true, covered, newest).await?,
                Some(f) if f.exact => true,
                // A term PostgreSQL does not read as a word: nothing matches.
                _ => self
                    .has_match(&s.terms, true, newest)
                    .await?
                    .unwrap_or(false),
            };
            if !any {
                return Ok(Vec::new());
            }
        }
        // The lists know only terms of ASCII letters and digits, so a search with any other term
        // asks this probe, and learns here when a term is no word to PostgreSQL.
        let whole = match &whole_found {
            Some(f) if f.any() => true,
            Some(_) => self.has_newer(&s.terms, false, covered, newest).await?,
            None => match self.has_match(&s.terms, false, newest).await? {
                Some(whole) => whole,
                None => return Ok(Vec::new()),
            },
        };
        let prefix = !whole;
        // With a state filter, the rows decide. A state most covered labels were not in when the
        // index was read (2,117 suspended among 1,000,000) is walked in its own index and its
        // documents the index holds are the candidates ([`Self::postgres_rare_state_page`]);
        // else the share of the covered labels in those states sets how many candidates are
        // read at once, and a state under [`RARE_STATE`] whose walk was refused is the
        // full-text index's (which walks thousands of documents for it).
        if let Some(w) = words.filter(|_| s.offset.max(0) <= DEEP_OFFSET) {
            let found = if prefix {
                prefix_found.or_else(|| w.terms(&s.terms, true))
            } else {
                whole_found
            };
            if let Some(found) = found.filter(|f| f.exact) {
                if let Some(docs) = w.newest(&found, &facet_groups_with(s, false)) {
                    let tokens = s.states.as_deref().map(state_facets);
                    if let (Some(states), Some(tokens)) = (s.states.as_deref(), &tokens) {
                        if !w.mostly(tokens) {
                            let page = self
                                .postgres_rare_state_page(
                                    s,
                                    prefix,
                                    states,
                                    &docs,
                                    (covered, newest, assumed),
                                    walk,
                                )
                                .await?;
                            if let Some(hits) = page {
                                return Ok(hits);
                            }
                        }
                    }
                    let share = tokens.as_deref().map_or(1.0, |t| w.share(t));
                    if share >= RARE_STATE {
                        let page = self
                            .postgres_page_from(s, prefix, docs, (covered, newest, assumed), share)
                            .await?;
                        if let Some(hits) = page {
                            return Ok(hits);
                        }
                    }
                }
            }
        }
        self.search_postgres(s, prefix, &facet_groups(s), newest, assumed)
            .await
    }

    /// PostgreSQL with the words in memory (`index`, if read): a search and the documents
    /// ([`Documents`]) it stands on.
    ///
    /// With `last`, the documents as a search before read them, and an index that describes
    /// them, the search is run on them at once, each of its page statements reading them again
    /// ([`Assumed`]): while no label is written, a search is its page's statement alone, where
    /// reading the newest document first cost a round trip and a pool checkout of its own (0.77
    /// of 1.77 statements a search at a million labels). Only when every row read shows the
    /// same documents does the page stand (the documents only grow: no `seq` goes down, and a
    /// repair counts itself in the transaction that replaces a document, so every statement
    /// between the earlier search's reading and the last statement saw them as they were); a
    /// page none of whose statements returned a row reads them after. Else the search is run
    /// again on what was read, as without `last`: the newest document read first, once for the
    /// probes and the page.
    async fn search_postgres_on(
        &self,
        s: &LabelSearch,
        index: Option<&WordIndex>,
        last: Option<Documents>,
        walk: usize,
    ) -> Result<(Vec<LabelHit>, Documents)> {
        let now = match last.filter(|&last| index.is_some_and(|w| w.describes(last))) {
            Some(last) => {
                let assumed = Assumed::new(last);
                let hits = self
                    .search_postgres_assuming(s, index, last.newest, walk, Some(&assumed))
                    .await?;
                let now = match assumed.read() {
                    Some(now) => now,
                    None => self.newest_search_seq().await?,
                };
                if now == last {
                    return Ok((hits, now));
                }
                now
            }
            None => self.newest_search_seq().await?,
        };
        // `seq` never goes down: fewer documents than the index covers is another database
        // (restored under a running `serve`), which the index does not describe; nor does one
        // read before a repair of the documents.
        let index = index.filter(|w| w.describes(now));
        let hits = self
            .search_postgres_words(s, index, now.newest, walk)
            .await?;
        Ok((hits, now))
    }

    /// PostgreSQL: a page of matches, newest first, as `page_from` on SQLite: those above
    /// `covered` from the full-text index, then those of `docs` whose rows meet the filters'
    /// conditions, read by `seq` a few more at a time than the page still needs.
    ///
    /// `share` is the part of the candidates expected to meet a state filter (1 without one):
    /// `None` when the candidates read run past several times what it predicts (the states
    /// changed since the index was read), and the full-text index gives the page instead.
    /// With `assumed`, each statement also reads the documents for it, and none is read after
    /// one showed them moved (that page is not used).
    async fn postgres_page_from(
        &self,
        s: &LabelSearch,
        prefix: bool,
        docs: impl Iterator<Item = u32> + Send,
        (covered, newest, assumed): (i64, i64, Option<&Assumed>),
        share: f64,
    ) -> Result<Option<Vec<LabelHit>>> {
        let (limit, offset) = (s.limit.max(1), s.offset.max(0));
        let need = usize::try_from(offset + limit).unwrap_or(usize::MAX);
        let share = share.clamp(RARE_STATE, 1.0);
        let budget = candidate_budget(need, share);
        let mut read = 0_usize;
        let mut hits = if newest > covered {
            let q = pg_matches(
                s,
                prefix,
                &facet_groups(s),
                "certificate_search_recent",
                Some(covered),
                (offset + limit, 0),
                assumed.is_some(),
            );
            self.fetch_hits_reading(q, None, assumed).await?
        } else {
            Vec::new()
        };
        // The candidates' `seq`, set for each chunk below.
        let (mut q, at) = candidates_page(s, HitRows::Kept, assumed.is_some(), |list| {
            format!("h.seq = ANY(CAST({list} AS BIGINT[]))")
        });
        let mut rest = docs;
        // A page on documents that moved is not used: no more of it is read.
        while hits.len() < need && !Assumed::moved(assumed) {
            let want = need - hits.len();
            let take = if share < 1.0 {
                ((want as f64 * 1.25 / share) as usize + 8).min(4_096)
            } else {
                want
            };
            if read > budget {
                return Ok(None);
            }
            let ids: Vec<String> = rest.by_ref().take(take).map(|d| d.to_string()).collect();
            if ids.is_empty() {
                break;
            }
            read += ids.len();
            q.args[at] = format!("{{{}}}", ids.join(","));
            hits.extend(self.fetch_hits_reading(q.clone(), None, assumed).await?);
        }
        hits.truncate(need);
        Ok(Some(hits.into_iter().skip(offset as usize).collect()))
    }
}

impl SqlStore {
    /// PostgreSQL: a page with a state filter whose states (`states`) most covered labels were
    /// not in when the index was read, as `rare_state_page` on SQLite: the states' documents up
    /// to `covered` walked newest first in `certificate_search_states` (migration 0038; the
    /// triggers keep it in each write's transaction), a chunk at a time, and those `docs` holds
    /// (the covered documents with the words and the facets that never change) are the
    /// candidates whose rows [`Self::postgres_page_from`] reads; the rows still decide. `None`
    /// when the walk would pass more than `walk` documents (predicted from the lists' sizes, or
    /// found on the way) before it has the page, or stopped early and the rows left the page
    /// short (a label left the state between the two statements): the full-text index answers
    /// then.
    async fn postgres_rare_state_page(
        &self,
        s: &LabelSearch,
        prefix: bool,
        states: &[State],
        docs: &super::words::Newest<'_>,
        (covered, newest, assumed): (i64, i64, Option<&Assumed>),
        walk: usize,
    ) -> Result<Option<Vec<LabelHit>>> {
        let want = usize::try_from(s.offset.max(0) + s.limit.max(1)).unwrap_or(usize::MAX);
        let share = docs.share(covered);
        if states.is_empty() || (share > 0.0 && want as f64 / share > walk as f64) {
            return Ok(None);
        }
        let mut picked = Vec::new();
        // Whether every document of the states up to `covered` was passed.
        let mut whole = true;
        if share > 0.0 {
            let query = state_walk(states);
            // The first chunk should hold the page's documents twice over, at the share the
            // lists predict, and is at most a quarter of the walk; each next one is twice the
            // last.
            let mut chunk = ((2.0 * want as f64 / share) as usize + 64).min(walk.div_ceil(4));
            let (mut below, mut passed) = (covered, 0_usize);
            'walk: loop {
                let mut q = sqlx::query_scalar::<_, String>(&query)
                    .bind(below)
                    .bind(i64::try_from(chunk).unwrap_or(i64::MAX));
                for state in states {
                    q = q.bind(state.as_str());
                }
                let seqs = walked_documents(&q.fetch_one(&self.pool).await?)?;
                for &seq in &seqs {
                    passed += 1;
                    if passed > walk {
                        return Ok(None);
                    }
                    let doc = u32::try_from(seq).map_err(|_| StoreError::Corrupt {
                        what: "search document",
                        detail: format!("seq {seq} past the word index's range"),
                    })?;
                    if docs.holds(doc) {
                        picked.push(doc);
                        if picked.len() >= want {
                            whole = false;
                            break 'walk;
                        }
                    }
                }
                match seqs.last() {
                    Some(&last) if seqs.len() == chunk => {
                        below = last - 1;
                        chunk = (chunk * 2).min(walk + 1 - passed.min(walk));
                    }
                    _ => break,
                }
            }
        }
        let page = self
            .postgres_page_from(
                s,
                prefix,
                picked.into_iter(),
                (covered, newest, assumed),
                1.0,
            )
            .await?;
        Ok(page.filter(|hits| whole || hits.len() >= s.limit.max(1) as usize))
    }
}

/// PostgreSQL: the documents (`seq`) in one of `states` (`$3`, …) up to `$1`, the newest `$2`:
/// each state's from the index on state and `seq`, merged (PostgreSQL 15 cannot give
/// `state = ANY(…)` from that index in `seq` order, and would sort every entry of the states).
/// One row, the numbers joined by commas in no promised order ([`walked_documents`] sorts them):
/// a row each cost `serve` about as much as the page's rows, and `string_agg(… ORDER BY seq)`
/// sorted the walk again inside PostgreSQL 15 (half of a 1.06 ms walk of 2,141 documents).
fn state_walk(states: &[State]) -> String {
    let each: Vec<String> = (0..states.len())
        .map(|i| {
            format!(
                "(SELECT seq FROM certificate_search_states WHERE state = ${} AND seq <= $1 \
                 ORDER BY seq DESC LIMIT $2)",
                i + 3
            )
        })
        .collect();
    format!(
        "SELECT COALESCE(string_agg(CAST(seq AS TEXT), ','), '') \
         FROM (SELECT seq FROM ({}) w ORDER BY seq DESC LIMIT $2) x",
        each.join(" UNION ALL ")
    )
}

/// The documents of a [`state_walk`], newest first; anything but comma-separated positive
/// integers, each once, is a corrupt answer, never a shorter walk.
fn walked_documents(text: &str) -> Result<Vec<i64>> {
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "state walk",
        detail,
    };
    let mut seqs = Vec::new();
    for part in text.split(',').filter(|_| !text.is_empty()) {
        let seq: i64 = part
            .parse()
            .map_err(|_| corrupt(format!("not a document number: {part:?}")))?;
        if seq <= 0 {
            return Err(corrupt(format!("{seq} is not a positive number")));
        }
        seqs.push(seq);
    }
    seqs.sort_unstable_by(|a, b| b.cmp(a));
    if let Some(twice) = seqs.windows(2).find(|w| w[0] == w[1]) {
        return Err(corrupt(format!("{} is there twice", twice[0])));
    }
    Ok(seqs)
}

/// The hits of some of a word index's candidates, newest first: on SQLite the documents of FTS5's
/// content table as `f`, ordered by its key `id`, the certificate's id in `c0`; on PostgreSQL
/// the rows kept beside the documents (`certificate_search_hits` as `h`, by `seq`). `within`
/// names the candidates (given their list's placeholder); the filters' conditions on the rows
/// decide. Returns the query and which of its arguments is the list (set for each chunk of
/// candidates).
fn candidates_page(
    s: &LabelSearch,
    rows: HitRows,
    documents: bool,
    within: impl FnOnce(&str) -> String,
) -> (Sql, usize) {
    let mut q = Sql {
        text: String::new(),
        args: Vec::new(),
    };
    let mut columns = columns(&mut q, s.rule.as_ref(), rows);
    if documents {
        columns = format!("{columns}, {DOCUMENTS_READ}");
    }
    let at = q.args.len();
    let list = q.arg(String::new());
    let condition = within(&list);
    let (from, key) = match rows {
        HitRows::Joined => (
            format!("{FTS_CONTENT} f JOIN certificates c ON c.id = f.c0"),
            "f.id",
        ),
        HitRows::Kept => (
            "certificate_search_hits h JOIN certificates c ON c.id = h.certificate_id".to_owned(),
            "h.seq",
        ),
    };
    q.text = format!(
        "SELECT {columns} FROM {from} {} WHERE {condition}",
        rows.joins(s)
    );
    push_filters(&mut q, s);
    q.text.push_str(&format!(" ORDER BY {key} DESC"));
    (q, at)
}

/// The most candidates a page of `need` hits reads from a word index, at `share` (the part of
/// them expected to meet a state filter) before the full-text index gives the page instead:
/// eight times what the share predicts, and 256 more. The share is the states' when the index
/// was read, and states change without a new reading: a state that most labels were in when it
/// was read may be on none of the labels with the words now, and a walk without a bound would
/// read every one of them.
fn candidate_budget(need: usize, share: f64) -> usize {
    (8.0 * need as f64 / share.clamp(RARE_STATE, 1.0)) as usize + 256
}

#[cfg(test)]
thread_local! {
    /// The candidates [`page_from`] read on this thread: tests count them.
    static CANDIDATES_READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// PostgreSQL: the least share of the covered labels a state filter's states must have had
/// for a page to be read from the word index's candidates (the rows deciding the state); a
/// rarer state's page is the full-text index's, where the state's facet is kept.
const RARE_STATE: f64 = 1.0 / 32.0;

/// PostgreSQL: the matches of the words (whole or as prefixes) and the facets, from one of
/// migration 0034's functions (with `lo`, the documents above it only), joined to the hit's
/// rows, the filters' conditions deciding, newest first; `page` is the limit and offset.
fn pg_matches(
    s: &LabelSearch,
    prefix: bool,
    groups: &[Vec<String>],
    function: &str,
    lo: Option<i64>,
    page: (i64, i64),
    documents: bool,
) -> Sql {
    let mut q = Sql {
        text: String::new(),
        args: Vec::new(),
    };
    let words = q.arg(ts_query(&s.terms, prefix));
    let mut tsquery = format!("to_tsquery('simple', {words})");
    if let Some(facets) = ts_facets(groups) {
        let m = q.arg(facets);
        tsquery = format!("({tsquery} && CAST({m} AS tsquery))");
    }
    let mut columns = columns(&mut q, s.rule.as_ref(), HitRows::Kept);
    if documents {
        columns = format!("{columns}, {DOCUMENTS_READ}");
    }
    let lo_arg = match lo {
        Some(lo) => format!("CAST({} AS BIGINT), ", q.arg(lo.to_string())),
        None => String::new(),
    };
    let [n_arg, skip_arg] = [page.0, page.1].map(|x| q.arg(x.to_string()));
    q.text = format!(
        "SELECT {columns} FROM {function}({tsquery}, {lo_arg}\
         CAST({n_arg} AS BIGINT), CAST({skip_arg} AS BIGINT)) f \
         JOIN certificate_search_hits h ON h.seq = f.seq \
         JOIN certificates c ON c.id = h.certificate_id {} WHERE 1 = 1",
        HitRows::Kept.joins(s)
    );
    push_filters(&mut q, s);
    q.text.push_str(" ORDER BY f.seq DESC");
    q
}

/// Labels without words, newest issued first: the page's ids are chosen from the filtered rows in
/// the order of the index `certificates_newest` (migration 0037), which stops at the page, and
/// only the page's rows are joined to their status, image and the rest. The limit and offset are
/// the two arguments after `q`'s.
fn browse(q: &mut Sql, columns: &str, s: &LabelSearch) {
    q.text = format!(
        "SELECT {columns} FROM (SELECT c.id AS page_id, c.issued_at AS page_issued_at \
         FROM certificates c JOIN products p ON p.id = c.product_id \
         JOIN organisations o ON o.id = p.manufacturer_id WHERE 1 = 1"
    );
    push_filters(q, s);
    let n = q.args.len();
    q.text.push_str(&format!(
        " ORDER BY c.issued_at DESC, c.id DESC LIMIT ${} OFFSET ${}) pg \
         JOIN certificates c ON c.id = pg.page_id {JOINS} \
         ORDER BY pg.page_issued_at DESC, pg.page_id DESC",
        n + 1,
        n + 2
    ));
}

#[async_trait]
impl SearchStore for SqlStore {
    async fn search_labels(&self, s: &LabelSearch) -> Result<Vec<LabelHit>> {
        // A filter with no value to match (`Some(vec![])`) finds nothing.
        if s.schemes.as_ref().is_some_and(Vec::is_empty)
            || s.states.as_ref().is_some_and(Vec::is_empty)
        {
            return Ok(Vec::new());
        }
        // A word the two full-text indexes read differently, or one of them not at all, finds
        // nothing: dropped from a query, it would leave the other words or the filters alone to
        // match, on one backend and not the other.
        if !s.terms.iter().all(|t| searchable(t)) {
            return Ok(Vec::new());
        }
        if let Some(hits) = self.search_on_point(s).await? {
            return Ok(hits);
        }
        self.search_on_pool(s).await
    }

    fn search_words(&self) -> Option<(i64, u64)> {
        match (&self.point, &self.pg_words) {
            (Some(point), _) => point.words.covered(),
            (None, Some((words, _))) => words.covered(),
            (None, None) => None,
        }
    }

    async fn verify_search(&self, repair: bool) -> Result<SearchCheck> {
        self.verify_search_documents(repair).await
    }
}

impl SqlStore {
    /// [`SearchStore::search_labels`] through the pool: PostgreSQL, an in-memory SQLite, or a
    /// SQLite file the point reader found busy.
    async fn search_on_pool(&self, s: &LabelSearch) -> Result<Vec<LabelHit>> {
        if s.terms.is_empty() {
            return self
                .fetch_hits(browse_page(s), Some((s.limit.max(1), s.offset.max(0))))
                .await;
        }
        if self.backend() == Backend::Postgres {
            let Some((words, schema)) = &self.pg_words else {
                let now = self.newest_search_seq().await?;
                return self
                    .search_postgres_words(s, None, now.newest, STATE_WALK)
                    .await;
            };
            let index = words.current();
            let (hits, now) = self
                .search_postgres_on(s, index.as_deref(), words.last_read(), STATE_WALK)
                .await?;
            words.read_now(now);
            words.refresh_postgres(now, self.pool.connect_options().as_ref(), schema.as_deref());
            return Ok(hits);
        }
        // Whole words when some label has every word of the query as a whole word, else words
        // as prefixes ("cam" finds "camera"). The choice depends on the text alone, so every
        // page of one query matches the same way. Whole words are what make search scale: the
        // full-text index walks their lists newest first and stops at the page, while a prefix
        // first merges the lists of every word it starts (all cameras, at a million labels).
        // Every label with all the words whole also has them as prefixes, so when none has them
        // even as prefixes nothing matches either way, filters or not: known after one walk of
        // the words' lists instead of two (the whole-word probe, which must walk its lists to the
        // end to find nothing, then the prefixes). Two common words never on one label were the
        // slowest searches. Skipped when no word is long enough to be a prefix.
        if s.terms.iter().any(|t| as_prefix(t, true))
            && self.has_match(&s.terms, true, 0).await? != Some(true)
        {
            return Ok(Vec::new());
        }
        let prefix = match self.has_match(&s.terms, false, 0).await? {
            Some(whole) => !whole,
            None => return Ok(Vec::new()),
        };
        self.fetch_hits(
            sqlite_page(s, prefix, None),
            Some((s.limit.max(1), s.offset.max(0))),
        )
        .await
    }
}

/// [`browse`] with the hit's columns: the page without words. The limit and offset are the two
/// arguments after the query's.
fn browse_page(s: &LabelSearch) -> Sql {
    let mut q = Sql {
        text: String::new(),
        args: Vec::new(),
    };
    let columns = columns(&mut q, s.rule.as_ref(), HitRows::Joined);
    browse(&mut q, &columns, s);
    q
}

/// SQLite: the page of matches of the words (whole or as prefixes), newest first. The filters
/// are also facets of the index, so it drops what they exclude before any row is joined; the
/// conditions on the joined rows still decide. The limit and offset are the two arguments after
/// the query's.
/// With `after`, only documents with a higher rowid (those a word index does not cover).
fn sqlite_page(s: &LabelSearch, prefix: bool, after: Option<i64>) -> Sql {
    let mut q = Sql {
        text: String::new(),
        args: Vec::new(),
    };
    let columns = columns(&mut q, s.rule.as_ref(), HitRows::Joined);
    q.text = format!(
        "SELECT {columns} FROM certificate_fts f \
         JOIN certificates c ON c.id = f.certificate_id {JOINS} \
         WHERE certificate_fts MATCH "
    );
    let m = q.arg(fts_query(&s.terms, prefix) + &fts_facets(&facet_groups(s)));
    q.text.push_str(&m);
    if let Some(after) = after {
        let m = q.arg(after.to_string());
        q.text
            .push_str(&format!(" AND f.rowid > CAST({m} AS INTEGER)"));
    }
    push_filters(&mut q, s);
    let n = q.args.len();
    q.text.push_str(&format!(
        " ORDER BY f.rowid DESC LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    ));
    q
}

/// SQLite: whether some document matches (as [`SQLITE_PROBE`]), on a point-reader connection.
fn probe_on(conn: &rusqlite::Connection, terms: &[String], prefix: bool) -> rusqlite::Result<bool> {
    let found: i64 = conn
        .prepare_cached(SQLITE_PROBE)?
        .query_row([fts_query(terms, prefix)], |r| r.get(0))?;
    Ok(found > 0)
}

/// SQLite: whether some document with a rowid above `after` matches (as [`SQLITE_PROBE`]): the
/// documents a word index does not cover.
const SQLITE_PROBE_AFTER: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM certificate_fts \
                                  WHERE certificate_fts MATCH $1 AND rowid > $2 LIMIT 1) x";

fn probe_after(
    conn: &rusqlite::Connection,
    terms: &[String],
    prefix: bool,
    after: i64,
) -> rusqlite::Result<bool> {
    let found: i64 = conn
        .prepare_cached(SQLITE_PROBE_AFTER)?
        .query_row(rusqlite::params![fts_query(terms, prefix), after], |r| {
            r.get(0)
        })?;
    Ok(found > 0)
}

/// The deepest page offset read from a word index: its pages are read row by row from the
/// newest, so a deeper page (rare; `MAX_OFFSET` is a billion) is the full-text index's, which
/// skips rows without reading them into hits.
const DEEP_OFFSET: i64 = 1_000;

/// SQLite: the highest rowid of the full-text index (0 for none): one descent.
fn newest_document(conn: &rusqlite::Connection) -> rusqlite::Result<Documents> {
    conn.prepare_cached(DOCUMENTS_NOW)?.query_row([], |r| {
        Ok(Documents {
            newest: r.get(0)?,
            repairs: r.get(1)?,
        })
    })
}

/// SQLite: a whole search on one connection of the point reader, the same statements as through
/// the pool ([`SearchStore::search_labels`]) in the same order, except where `words` (the
/// search's words in memory, `sql::words`) answers exactly what a statement would have: whether
/// some covered label has the words, and which covered labels a page may show (the rows deciding
/// the state).
/// `words` comes with the newest document's rowid ([`newest_document`]); documents newer than the
/// index covers are asked of the full-text index (`rowid > covered`), and none when there are none.
/// `walk` bounds the documents of a rare state walked for a page ([`STATE_WALK`]).
fn search_on(
    conn: &rusqlite::Connection,
    s: &LabelSearch,
    words: Option<(&WordIndex, i64)>,
    walk: usize,
) -> rusqlite::Result<Result<Vec<LabelHit>>> {
    let (limit, offset) = (s.limit.max(1), s.offset.max(0));
    if s.terms.is_empty() {
        return run(conn, &browse_page(s), &[limit, offset]);
    }
    // Whether a document newer than the index covers has the words.
    let newer = |prefix: bool| match words {
        Some((w, newest)) if newest > w.covered => probe_after(conn, &s.terms, prefix, w.covered),
        _ => Ok(false),
    };
    let (words, newest) = match words {
        Some((w, newest)) => (Some(w), newest),
        None => (None, 0),
    };
    // As `search_on_pool`: none with the words even as prefixes, nothing. The prefixes' matches
    // are kept for a page that matches prefixes.
    let mut prefix_found = None;
    if s.terms.iter().any(|t| as_prefix(t, true)) {
        prefix_found = words.and_then(|w| w.terms(&s.terms, true));
        let any = match &prefix_found {
            // None covered (the superset is empty): only a newer label could have them.
            Some(f) if !f.any() => newer(true)?,
            Some(f) if f.exact => true,
            _ => probe_on(conn, &s.terms, true)?,
        };
        if !any {
            return Ok(Ok(Vec::new()));
        }
    }
    let whole_found = words.and_then(|w| w.terms(&s.terms, false));
    let whole = match &whole_found {
        Some(f) if f.any() => true,
        Some(_) => newer(false)?,
        None => probe_on(conn, &s.terms, false)?,
    };
    let prefix = !whole;
    // The page from the index when it knows exactly which covered labels have the words and
    // the facets that never change. The state changes, so it is never taken from the index: with
    // a state filter, the rows decide. When the states asked for were most labels' when the
    // index was read, few rows are read in vain; else the candidates are the state's documents
    // in the full-text index (whose state facet the state's trigger keeps), those the index has
    // with the words ([`rare_state_page`]). A page deeper than `DEEP_OFFSET` is the full-text
    // index's.
    if let Some(w) = words.filter(|_| offset <= DEEP_OFFSET) {
        let found = if prefix {
            prefix_found.or_else(|| w.terms(&s.terms, true))
        } else {
            whole_found
        };
        if let Some(found) = found.filter(|f| f.exact) {
            if let Some(docs) = w.newest(&found, &facet_groups_with(s, false)) {
                let after = (newest > w.covered).then_some(w.covered);
                let page = match s.states.as_deref().map(state_facets) {
                    Some(tokens) if !w.mostly(&tokens) => {
                        rare_state_page(conn, s, prefix, &tokens, w.covered, &docs, after, walk)?
                    }
                    Some(tokens) => {
                        let share = w.share(&tokens);
                        page_from(conn, s, prefix, docs, after, share)?
                    }
                    None => page_from(conn, s, prefix, docs, after, 1.0)?,
                };
                if let Some(page) = page {
                    return Ok(page);
                }
            }
        }
    }
    run(conn, &sqlite_page(s, prefix, None), &[limit, offset])
}

/// FTS5's table of `certificate_fts`'s stored columns: `id` is the document's rowid, `c0` its
/// first column (`certificate_id`).
const FTS_CONTENT: &str = "certificate_fts_content";

/// Documents of a state's facet list walked for one page at most ([`rare_state_page`]).
const STATE_WALK: usize = 16_384;

/// The covered documents with one of a facet group's tokens (`$1`, an FTS5 expression on the
/// `facets` column) up to rowid `$2`, newest first.
const FACET_DOCUMENTS: &str = "SELECT rowid FROM certificate_fts \
                               WHERE certificate_fts MATCH $1 AND rowid <= $2 ORDER BY rowid DESC";

/// A page with a state filter whose states (their facet tokens, `states`) most labels did not
/// have when the index was read (a suspended label among a million): the state's documents up to `covered`, from the
/// full-text index, walked newest first, and those `docs` holds (the covered documents with the
/// words and the facets that never change) are the candidates whose rows are read, as
/// [`page_from`] reads them. The walk and the rows are read in one snapshot, and the rows still
/// decide. `None` when the walk would pass more than `walk` documents (predicted from the
/// lists' sizes, or found on the way) before it has the page: the full-text index answers then.
#[allow(clippy::too_many_arguments)]
fn rare_state_page(
    conn: &rusqlite::Connection,
    s: &LabelSearch,
    prefix: bool,
    states: &[String],
    covered: i64,
    docs: &super::words::Newest<'_>,
    after: Option<i64>,
    walk: usize,
) -> rusqlite::Result<Option<Result<Vec<LabelHit>>>> {
    // The walk and the rows are of one snapshot, in which the state's facet is the rows' state
    // (its trigger writes both), and `docs` holds exactly the other filters' facets: every
    // document picked is a hit.
    let want = usize::try_from(s.offset.max(0) + s.limit.max(1)).unwrap_or(usize::MAX);
    let share = docs.share(covered);
    if share > 0.0 && want as f64 / share > walk as f64 {
        return Ok(None);
    }
    let tx = conn.unchecked_transaction()?;
    let mut picked = Vec::new();
    // Whether every document of the state up to `covered` was passed.
    let mut whole = true;
    if share > 0.0 {
        let mut stmt = conn.prepare_cached(FACET_DOCUMENTS)?;
        let mut rows = stmt.query(rusqlite::params![
            format!("facets : ({})", states.join(" OR ")),
            covered
        ])?;
        let mut passed = 0;
        while let Some(row) = rows.next()? {
            passed += 1;
            if passed > walk {
                return Ok(None);
            }
            let doc: i64 = row.get(0)?;
            let doc =
                u32::try_from(doc).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, doc))?;
            if docs.holds(doc) {
                picked.push(doc);
                if picked.len() >= want {
                    whole = false;
                    break;
                }
            }
        }
    }
    let page = page_from(conn, s, prefix, picked.into_iter(), after, 1.0)?;
    drop(tx);
    match page {
        // Short of the page with documents of the state left unwalked: the long way.
        Some(Ok(hits)) if !whole && hits.len() < s.limit.max(1) as usize => Ok(None),
        page => Ok(page),
    }
}

/// A page of matches, newest first: those after `after` (documents newer than a word index
/// covers) from the full-text index, then those of `docs` (the covered documents with the words
/// and the facets that never change, newest first, from the index) whose rows meet the filters'
/// conditions, read by rowid a few more at a time than the page still needs (all of them meet
/// every condition but the state's, which the rows decide, and which about `share` of them are
/// expected to meet: 1 when there is no state filter or `docs` are of the state already).
///
/// `None` when the candidates read pass [`candidate_budget`] before the page is full: the share
/// is from when the index was read, and the labels with the words may have left the state since
/// (every one of them, so that the walk would read them all for nothing); the full-text index,
/// which holds each document's state, gives that page instead, as it does on PostgreSQL.
fn page_from(
    conn: &rusqlite::Connection,
    s: &LabelSearch,
    prefix: bool,
    docs: impl Iterator<Item = u32>,
    after: Option<i64>,
    share: f64,
) -> rusqlite::Result<Option<Result<Vec<LabelHit>>>> {
    let (limit, offset) = (s.limit.max(1), s.offset.max(0));
    let need = usize::try_from(offset + limit).unwrap_or(usize::MAX);
    let budget = candidate_budget(need, share);
    let mut read = 0_usize;
    let mut hits = match after {
        Some(after) => match run(
            conn,
            &sqlite_page(s, prefix, Some(after)),
            &[offset + limit, 0],
        )? {
            Ok(hits) => hits,
            Err(e) => return Ok(Some(Err(e))),
        },
        None => Vec::new(),
    };
    // The candidates' rowids, set for each chunk below.
    // The documents' stored columns are read from FTS5's content table (`id` the rowid, `c0`
    // the first column, `certificate_id`): an ordinary table read by its integer key in the
    // list's order, where the virtual table answered each rowid through its own cursor and the
    // page was sorted after (a page's statement cost about a fifth more).
    // `the_full_text_index_keeps_its_documents_in_its_content_table` checks that layout.
    let (mut q, at) = candidates_page(s, HitRows::Joined, false, |list| {
        format!("f.id IN (SELECT CAST(value AS INTEGER) FROM json_each({list}))")
    });
    let mut rest = docs;
    while hits.len() < need {
        let want = need - hits.len();
        // As many as should give the page when `share` of them meet the state, and two more.
        let take = if share < 1.0 {
            ((want as f64 / share.max(1.0 / 64.0)).ceil() as usize).saturating_add(2)
        } else {
            want
        };
        if read > budget {
            return Ok(None);
        }
        let ids: Vec<String> = rest.by_ref().take(take).map(|d| d.to_string()).collect();
        if ids.is_empty() {
            break;
        }
        read += ids.len();
        #[cfg(test)]
        CANDIDATES_READ.with(|n| n.set(n.get() + ids.len()));
        q.args[at] = format!("[{}]", ids.join(","));
        match run(conn, &q, &[])? {
            Ok(found) => hits.extend(found),
            Err(e) => return Ok(Some(Err(e))),
        }
    }
    hits.truncate(need);
    Ok(Some(Ok(hits.into_iter().skip(offset as usize).collect())))
}

/// Runs `page` on `conn`, each of its arguments bound to the placeholder that names it (`$n`),
/// whatever order the text has them in, then `extra` as the placeholders after them.
fn run(
    conn: &rusqlite::Connection,
    page: &Sql,
    extra: &[i64],
) -> rusqlite::Result<Result<Vec<LabelHit>>> {
    let mut stmt = conn.prepare_cached(&page.text)?;
    // A placeholder the text lacks is an error (the pool answers instead), never a value
    // silently left unbound.
    let at = |stmt: &rusqlite::CachedStatement<'_>, i: usize| {
        let name = format!("${i}");
        stmt.parameter_index(&name)?
            .ok_or(rusqlite::Error::InvalidParameterName(name))
    };
    let n = page.args.len();
    for (i, value) in page.args.iter().enumerate() {
        let index = at(&stmt, i + 1)?;
        stmt.raw_bind_parameter(index, value)?;
    }
    for (i, value) in extra.iter().enumerate() {
        let index = at(&stmt, n + 1 + i)?;
        stmt.raw_bind_parameter(index, value)?;
    }
    let names = column_names(&stmt);
    let hits = super::point::decode_all(stmt.raw_query(), &names, &|row: &NamedRow<'_, '_>| {
        hit_from_row(row)
    });
    hits
}

impl SqlStore {
    /// SQLite with a point reader: the whole search on one of its connections, on a blocking
    /// thread (a search may walk long lists: never on a runtime thread), at most
    /// [`point::SEARCHES`](super::point) at once. `None`: the database was busy, so the caller
    /// searches through the pool.
    async fn search_on_point(&self, s: &LabelSearch) -> Result<Option<Vec<LabelHit>>> {
        let Some(point) = &self.point else {
            return Ok(None);
        };
        let Ok(permit) = std::sync::Arc::clone(&point.searches).acquire_owned().await else {
            return Ok(None);
        };
        // Closed, or closing: through the pool.
        let Some(turn) = point.turn() else {
            return Ok(None);
        };
        let (point, s) = (std::sync::Arc::clone(point), s.clone());
        let read = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let words = point.words.current();
            let read = point.read(|conn| {
                let newest = match &words {
                    Some(_) => Some(newest_document(conn)?),
                    None => None,
                };
                // Fewer documents than the index covers is another file (replaced under a
                // running `serve`), which the index does not describe; nor does one read before
                // a repair of the documents, which may have given a replaced document's rowid to
                // another.
                let words = words
                    .as_deref()
                    .zip(newest)
                    .filter(|(w, now)| w.describes(*now))
                    .map(|(w, now)| (w, now.newest));
                let found = search_on(conn, &s, words, STATE_WALK);
                point.words.refresh(newest, &point);
                found
            });
            drop(permit);
            read
        })
        .await
        .map_err(|e| super::point::scan_failed(format!("the searching thread failed: {e}")))??;
        Ok(match read {
            Point::Done(hits) => Some(hits),
            Point::Busy => None,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use sqlx::Executor as _;

    /// A search on the point reader's connection finds exactly what the same search through the
    /// pool finds: words, prefixes, nothing, filters, pages, browsing, with a rule and without.
    #[tokio::test]
    async fn the_point_reader_searches_as_the_pool_does() {
        use crate::label_status::ServedRule;
        use crate::search::LabelSearch;
        use keurmerk_domain::lifecycle::State;

        let dir = tempfile::tempdir().unwrap();
        let store =
            super::SqlStore::connect(&format!("sqlite:{}", dir.path().join("s.db").display()))
                .await
                .unwrap();
        assert!(store.point.is_some());
        // One connection without foreign keys: no assessments, keys or events are needed here.
        let mut conn = store.pool().acquire().await.unwrap();
        conn.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        maker_and_products(
            &mut conn,
            "maker",
            [
                ("PRD-000001", "Kinderzimmer Babymonitor", "baby_monitor"),
                ("PRD-000002", "Heizungsregler Thermostaat", "thermostat"),
                ("PRD-000003", "Gartenkamera Kinderzimmer", "camera"),
            ],
        )
        .await;
        for (n, product) in [
            (1, "PRD-000001"),
            (2, "PRD-000002"),
            (3, "PRD-000003"),
            (4, "PRD-000003"),
        ] {
            sqlx::query(
                "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
                 issuer_id, issuer_kind, assessment_id, issued_at, valid_until, state, last_seq) \
                 VALUES ($1, $2, 'maker', 'eu-iot', 'basic', 'maker', 'self', $3, $4, \
                 '2030-01-01', 'active', 1)",
            )
            .bind(format!("KM-2026-{n:06}"))
            .bind(product)
            .bind(format!("ASM-{n:06}"))
            .bind(format!("2026-01-0{n}T00:00:00.000000Z"))
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        conn.execute("UPDATE certificates SET state = 'suspended' WHERE id = 'KM-2026-000002'")
            .await
            .unwrap();
        conn.execute(
            "INSERT INTO images (sha256, media_type, width, height, data, created_at) \
             VALUES ('ab', 'image/png', 3, 2, x'00', 't')",
        )
        .await
        .unwrap();
        conn.execute("INSERT INTO product_images (product_id, sha256, set_at) VALUES ('PRD-000003', 'ab', 't')")
            .await
            .unwrap();
        // Rows for two certificates: one served under the rule, one under another trust.
        for (id, trust) in [("KM-2026-000001", "t"), ("KM-2026-000003", "other")] {
            sqlx::query(
                "UPDATE label_status SET seq = 1, report = '{}', status = 'attention', \
                 computed_at = '2026-01-01T00:00:00.000000Z', policy = 'p', trust = $2 \
                 WHERE certificate_id = $1",
            )
            .bind(id)
            .bind(trust)
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        drop(conn);
        let rule = ServedRule {
            policy: "p".into(),
            trust: "t".into(),
            now: "2026-06-01T00:00:00Z".parse().unwrap(),
        };
        let words = |text: &str| LabelSearch {
            terms: crate::search::query_terms(text).unwrap(),
            limit: 10,
            rule: Some(rule.clone()),
            ..LabelSearch::default()
        };
        let mut searches = vec![
            words("kinderzimmer"),
            words("kinder"),
            words("rheinwerk"),
            words("gartenkamera kinderzimmer"),
            words("nothing here"),
            words("km 2026 000001"),
            words(""),
            LabelSearch {
                rule: None,
                ..words("kinderzimmer")
            },
            LabelSearch {
                states: Some(vec![State::Suspended]),
                ..words("rheinwerk")
            },
            LabelSearch {
                schemes: Some(vec!["eu-iot".parse().unwrap()]),
                level: Some("basic".parse().unwrap()),
                ..words("rhein")
            },
            LabelSearch {
                offset: 1,
                limit: 2,
                ..words("rheinwerk")
            },
            LabelSearch {
                offset: 1,
                limit: 2,
                ..words("")
            },
            LabelSearch {
                states: Some(vec![State::Active]),
                ..words("")
            },
        ];
        searches.push(LabelSearch {
            rule: None,
            ..words("")
        });
        let mut carried = (0, 0);
        for s in &searches {
            let pooled = store.search_on_pool(s).await.unwrap();
            let pointed = store.search_on_point(s).await.unwrap().expect("not busy");
            assert_eq!(pointed, pooled, "{s:?}");
            carried.0 += pooled.iter().filter(|h| h.status.is_some()).count();
            carried.1 += pooled.iter().filter(|h| h.image.is_some()).count();
        }
        // The comparison saw words and images, not only their absence.
        assert!(carried.0 > 0 && carried.1 > 0, "{carried:?}");
        let all = store.search_on_pool(&words("")).await.unwrap();
        let word = |id: &str| {
            all.iter()
                .find(|h| h.certificate.id.to_string() == id)
                .unwrap()
        };
        assert_eq!(
            word("KM-2026-000001").status,
            Some(keurmerk_domain::status::LabelStatus::Attention)
        );
        assert_eq!(word("KM-2026-000003").status, None, "another trust digest");
        assert_eq!(
            word("KM-2026-000003").image.as_ref().map(|i| i.width),
            Some(3)
        );
    }

    /// A product row written directly (`conn` has foreign keys off).
    fn product(conn: &rusqlite::Connection, id: &str, maker: &str, name: &str, category: &str) {
        conn.execute(
            "INSERT INTO products (id, manufacturer_id, name, model, category, created_at) \
             VALUES (?1, ?2, ?3, 'M-1', ?4, 't')",
            rusqlite::params![id, maker, name, category],
        )
        .unwrap();
    }

    /// An active, self-declared certificate row written directly (`conn` has foreign keys off),
    /// held and issued by its product's maker; the insert trigger writes its search document.
    fn certificate(
        conn: &rusqlite::Connection,
        id: &str,
        product: &str,
        scheme: &str,
        level: &str,
        issued_at: &str,
    ) {
        let written = conn.execute(
            "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, issuer_id, \
             issuer_kind, assessment_id, issued_at, valid_until, state, last_seq) \
             SELECT ?1, p.id, p.manufacturer_id, ?2, ?3, p.manufacturer_id, 'self', ?1, ?4, \
             '2030-01-01', 'active', 1 FROM products p WHERE p.id = ?5",
            rusqlite::params![id, scheme, level, issued_at, product],
        );
        assert_eq!(written.unwrap(), 1, "{id}: no product {product}");
    }

    /// Words of the random registries' product names.
    pub(super) const WORDS: [&str; 12] = [
        "camera", "camper", "cam", "router", "plug", "baby", "babyfoon", "mini", "smart", "lock",
        "x1", "2",
    ];

    /// Words asked that are not (all) in [`WORDS`]: shorter, longer, rare, absent.
    const ASKED: [&str; 19] = [
        "smar",
        "cam",
        "came",
        "camp",
        "rou",
        "babyf",
        "bab",
        "sma",
        "zzz",
        "mi",
        "camer",
        "camera1",
        "rheinwerk",
        "km",
        "000007",
        "camerafo",
        "routerb",
        "babyfo",
        "camerafoon",
    ];

    /// A xorshift generator: the random registries and searches are the same on every run.
    pub(super) struct Pick(std::cell::Cell<u64>);

    impl Pick {
        pub(super) fn new(seed: u64) -> Self {
            Self(std::cell::Cell::new(seed))
        }

        /// A number below `n`.
        pub(super) fn pick(&self, n: usize) -> usize {
            let mut x = self.0.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0.set(x);
            (x % n as u64) as usize
        }
    }

    /// A random search of the random registries: one or two words (of [`WORDS`], [`ASKED`],
    /// `extra`, or a pair of `together`), every filter or none, a page of one to six from an
    /// offset up to eight.
    pub(super) fn random_search(
        rng: &Pick,
        together: &[Vec<String>],
        extra: &[&str],
    ) -> crate::search::LabelSearch {
        use keurmerk_domain::lifecycle::State;
        let pick = |n: usize| rng.pick(n);
        let terms: Vec<String> = if !together.is_empty() && pick(4) == 0 {
            together[pick(together.len())].clone()
        } else {
            (0..1 + pick(2))
                .map(|_| match pick(3 + usize::from(!extra.is_empty())) {
                    0 => ASKED[pick(ASKED.len())],
                    3 => extra[pick(extra.len())],
                    _ => WORDS[pick(WORDS.len())],
                })
                .map(str::to_owned)
                .collect()
        };
        crate::search::LabelSearch {
            terms,
            schemes: [
                None,
                Some(vec!["eu-iot".parse().unwrap()]),
                Some(vec!["eu-iot".parse().unwrap(), "eucc".parse().unwrap()]),
            ][pick(3)]
            .clone(),
            level: [None, Some("basic".parse().unwrap())][pick(2)].clone(),
            states: [
                None,
                None,
                Some(vec![State::Suspended]),
                Some(vec![State::Active]),
            ][pick(4)]
            .clone(),
            category: [None, Some("camera".parse().unwrap())][pick(2)],
            manufacturer: [None, Some("m1".parse().unwrap())][pick(2)].clone(),
            limit: 1 + pick(6) as i64,
            offset: pick(9) as i64,
            rule: None,
        }
    }

    /// A migrated SQLite registry at `path` with two makers (`m1`, `m2`), opened without foreign
    /// keys (its certificates name assessments that do not exist).
    async fn sqlite_registry(path: &std::path::Path) -> rusqlite::Connection {
        drop(
            super::SqlStore::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap(),
        );
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO organisations (id, name, role, member_state, created_at) VALUES
             ('m1', 'Holland Smart', 'manufacturer', 'NL', 't'),
             ('m2', 'Rheinwerk', 'manufacturer', 'DE', 't');",
        )
        .unwrap();
        conn
    }

    /// The search's words in memory (`sql::words`) answer as the full-text index alone does, on
    /// random registries and random searches (whole words, prefixes long and short, rare words,
    /// every filter, pages), with labels written and states changed after the index was read.
    #[tokio::test]
    async fn the_word_index_answers_as_the_full_text_index_does() {
        use super::super::words::WordIndex;
        use super::search_on;

        let rng = Pick::new(0x2545_f491_4f6c_dd1d);
        let pick = |n: usize| rng.pick(n);
        for round in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let conn = sqlite_registry(&dir.path().join("w.db")).await;
            let categories = ["camera", "router", "smart_plug", "baby_monitor"];
            for p in 0..16 {
                let name: Vec<&str> = (0..1 + pick(3)).map(|_| WORDS[pick(WORDS.len())]).collect();
                product(
                    &conn,
                    &format!("PRD-{p:06}"),
                    ["m1", "m2"][pick(2)],
                    &name.join(" "),
                    categories[pick(categories.len())],
                );
            }
            let mut n = 0;
            let mut certify = |conn: &rusqlite::Connection, count: usize| {
                for _ in 0..count {
                    n += 1;
                    certificate(
                        conn,
                        &format!("KM-2026-{n:06}"),
                        &format!("PRD-{:06}", pick(16)),
                        ["eu-iot", "eucc", "cyber-ready"][pick(3)],
                        ["basic", "substantial"][pick(2)],
                        &format!("2026-01-01T00:00:00.{n:06}Z"),
                    );
                }
            };
            let suspend = |conn: &rusqlite::Connection, id: usize| {
                conn.execute(
                    "UPDATE certificates SET state = 'suspended' WHERE id = ?1",
                    [format!("KM-2026-{id:06}")],
                )
                .unwrap();
            };
            certify(&conn, 200);
            // Rare words (on fewer labels than the index keeps whole) that longer prefixes of
            // common words start, and one that starts a common word ("smar": whole, one label;
            // as a prefix, every "smart" one).
            for (i, name) in ["camerafoon babyfoon", "routerbox mini", "smar lock"]
                .iter()
                .enumerate()
            {
                product(&conn, &format!("PRD-2{i:05}"), "m1", name, "router");
                certificate(
                    &conn,
                    &format!("KM-2025-{i:06}"),
                    &format!("PRD-2{i:05}"),
                    "eu-iot",
                    "basic",
                    "2025-01-01T00:00:00.000000Z",
                );
            }
            for _ in 0..10 {
                suspend(&conn, 1 + pick(200));
            }
            // Whole words kept from 3 labels on: some of the words are rare here.
            let index = WordIndex::read(&conn, 3).unwrap();
            assert_eq!(index.covered, 203);
            // Written after the index was read: newer labels and states changed, and labels
            // of new products whose words ("cam" with another) no covered label has together.
            let mut together = Vec::new();
            if round > 0 {
                certify(&conn, 40);
                let names: Vec<String> = conn
                    .prepare("SELECT name FROM products")
                    .unwrap()
                    .query_map([], |r| r.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                for (i, other) in WORDS.iter().enumerate().filter(|(_, w)| **w != "cam") {
                    let has = |name: &String, w: &str| name.split(' ').any(|x| x == w);
                    if names
                        .iter()
                        .any(|name| has(name, "cam") && has(name, other))
                    {
                        continue;
                    }
                    product(
                        &conn,
                        &format!("PRD-1{i:05}"),
                        "m2",
                        &format!("cam {other}"),
                        "camera",
                    );
                    n += 1;
                    certificate(
                        &conn,
                        &format!("KM-2026-{n:06}"),
                        &format!("PRD-1{i:05}"),
                        "eucc",
                        "basic",
                        "2026-02-01T00:00:00.000000Z",
                    );
                    together.push(vec!["cam".to_owned(), (*other).to_owned()]);
                }
            }
            for _ in 0..20 {
                suspend(&conn, 1 + pick(200 + 40 * usize::from(round > 0)));
            }
            let (mut answered, mut found) = (0, 0);
            for _ in 0..1500 {
                let s = random_search(&rng, &together, &[]);
                let newest = super::newest_document(&conn).unwrap().newest;
                let with = search_on(&conn, &s, Some((&index, newest)), super::STATE_WALK)
                    .unwrap()
                    .unwrap();
                let without = search_on(&conn, &s, None, super::STATE_WALK)
                    .unwrap()
                    .unwrap();
                assert_eq!(with, without, "round {round}: {s:?}");
                // A rare state's walk cut short anywhere: the full-text index answers instead.
                let walk = 1 + pick(40);
                let short = search_on(&conn, &s, Some((&index, newest)), walk)
                    .unwrap()
                    .unwrap();
                assert_eq!(short, without, "round {round}, walk {walk}: {s:?}");
                answered += usize::from(index.terms(&s.terms, false).is_some());
                found += usize::from(!with.is_empty());
            }
            // The comparison saw the index answer, and answers with labels in them.
            assert!(answered > 300 && found > 300, "{answered} {found}");
            assert!(round == 0 || !together.is_empty());
        }
    }

    /// A page with a state filter whose states were most labels' when the words were read, but
    /// whose words are on labels that left those states since (2,000 labels with the word, all
    /// active when the words were read, all but the oldest three expired after), reads a bounded
    /// number of candidates before the full-text index gives the page, and the page is the one
    /// the full-text index alone gives.
    #[tokio::test]
    async fn a_state_page_reads_a_bounded_number_of_candidates() {
        use super::super::words::WordIndex;
        use super::search_on;
        use crate::search::LabelSearch;
        use keurmerk_domain::lifecycle::State;

        let dir = tempfile::tempdir().unwrap();
        let conn = sqlite_registry(&dir.path().join("b.db")).await;
        product(&conn, "PRD-000001", "m1", "Tuincamera", "camera");
        product(&conn, "PRD-000002", "m1", "Router", "router");
        conn.execute_batch("BEGIN").unwrap();
        for n in 1..=4_000 {
            let product = if n <= 2_000 {
                "PRD-000001"
            } else {
                "PRD-000002"
            };
            certificate(
                &conn,
                &format!("KM-2026-{n:06}"),
                product,
                "eu-iot",
                "basic",
                &format!("2026-01-01T00:00:00.{n:06}Z"),
            );
        }
        conn.execute_batch("COMMIT").unwrap();
        let index = WordIndex::read(&conn, 3).unwrap();
        conn.execute(
            "UPDATE certificates SET state = 'expired' \
             WHERE product_id = 'PRD-000001' AND id > 'KM-2026-000003'",
            [],
        )
        .unwrap();
        let newest = super::newest_document(&conn).unwrap().newest;
        for limit in [1, 20] {
            let s = LabelSearch {
                terms: vec!["tuincamera".into()],
                states: Some(vec![State::Active]),
                limit,
                ..LabelSearch::default()
            };
            super::CANDIDATES_READ.with(|n| n.set(0));
            let with = search_on(&conn, &s, Some((&index, newest)), super::STATE_WALK)
                .unwrap()
                .unwrap();
            let read = super::CANDIDATES_READ.with(std::cell::Cell::get);
            let without = search_on(&conn, &s, None, super::STATE_WALK)
                .unwrap()
                .unwrap();
            assert_eq!(with, without, "limit {limit}");
            let ids: Vec<String> = with.iter().map(|h| h.certificate.id.to_string()).collect();
            let oldest = ["KM-2026-000003", "KM-2026-000002", "KM-2026-000001"];
            assert_eq!(
                ids,
                oldest[..oldest.len().min(limit as usize)],
                "limit {limit}"
            );
            // The budget, and the one chunk that may pass it.
            let most = super::candidate_budget(limit as usize, 1.0) + limit as usize;
            assert!(
                read <= most,
                "limit {limit}: {read} candidates read, at most {most}"
            );
        }
    }

    /// A page's rows are read through FTS5's content table (`FTS_CONTENT`): its key is the
    /// document's rowid and `c0` the certificate's id. A layout other than that fails here (and
    /// a page's statement on it fails, which the pool answers instead).
    #[tokio::test]
    async fn the_full_text_index_keeps_its_documents_in_its_content_table() {
        let dir = tempfile::tempdir().unwrap();
        let conn = sqlite_registry(&dir.path().join("c.db")).await;
        product(&conn, "PRD-000001", "m1", "camera", "camera");
        for n in 1..=3 {
            certificate(
                &conn,
                &format!("KM-2026-{n:06}"),
                "PRD-000001",
                "eu-iot",
                "basic",
                &format!("2026-01-01T00:00:00.{n:06}Z"),
            );
        }
        let columns: Vec<(String, String)> = conn
            .prepare(&format!(
                "SELECT name, pk FROM pragma_table_info('{}')",
                super::FTS_CONTENT
            ))
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.to_string())))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            columns[..2],
            [
                ("id".to_owned(), "1".to_owned()),
                ("c0".to_owned(), "0".to_owned())
            ]
        );
        let pairs = |sql: &str| -> Vec<(i64, String)> {
            conn.prepare(sql)
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        let content = pairs(&format!(
            "SELECT id, c0 FROM {} ORDER BY id",
            super::FTS_CONTENT
        ));
        assert_eq!(content.len(), 3);
        assert_eq!(
            content,
            pairs("SELECT rowid, certificate_id FROM certificate_fts ORDER BY rowid")
        );
    }

    /// A store in a schema of its own on the PostgreSQL of `KEURMERK_TEST_POSTGRES` (`None`:
    /// not set, skipped), whose certificates may name assessments that do not exist.
    async fn postgres_store() -> Option<(super::SqlStore, String)> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let store = super::SqlStore::connect_in_schema(&url, Some(&schema))
            .await
            .unwrap();
        store
            .pool
            .execute(
                "ALTER TABLE certificates DROP CONSTRAINT certificates_assessment_id_fkey;
                 INSERT INTO organisations (id, name, role, member_state, created_at) VALUES
                 ('m1', 'Holland Smart', 'manufacturer', 'NL', 't'),
                 ('m2', 'Rheinwerk', 'manufacturer', 'DE', 't');",
            )
            .await
            .unwrap();
        Some((store, schema))
    }

    async fn drop_schema(store: super::SqlStore, schema: &str) {
        store
            .pool
            .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
        store.close().await;
    }

    /// [`product`] through sqlx (PostgreSQL, or SQLite with foreign keys off).
    pub(crate) async fn pg_product<'e>(
        on: impl sqlx::Executor<'e, Database = sqlx::Any>,
        id: &str,
        maker: &str,
        name: &str,
        category: &str,
    ) {
        sqlx::query(
            "INSERT INTO products (id, manufacturer_id, name, model, category, created_at) \
             VALUES ($1, $2, $3, 'M-1', $4, 't')",
        )
        .bind(id)
        .bind(maker)
        .bind(name)
        .bind(category)
        .execute(on)
        .await
        .unwrap();
    }

    /// [`certificate`] on PostgreSQL, in a transaction of the caller's or alone.
    pub(crate) async fn pg_certificate<'e>(
        on: impl sqlx::Executor<'e, Database = sqlx::Any>,
        id: &str,
        product: &str,
        scheme: &str,
        level: &str,
    ) {
        let written = sqlx::query(
            "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, issuer_id, \
             issuer_kind, assessment_id, issued_at, valid_until, state, last_seq) \
             SELECT $1, p.id, p.manufacturer_id, $2, $3, p.manufacturer_id, 'self', $1, \
             '2026-01-01T00:00:00.000000Z', '2030-01-01', 'active', 1 FROM products p \
             WHERE p.id = $4",
        )
        .bind(id)
        .bind(scheme)
        .bind(level)
        .bind(product)
        .execute(on)
        .await
        .unwrap();
        assert_eq!(written.rows_affected(), 1, "{id}: no product {product}");
    }

    /// The search's words in memory answer on PostgreSQL as its full-text index alone does, on
    /// random registries and random searches, with labels written and states changed after
    /// they were read, and with words PostgreSQL's parser reads as two (`1e5abc`).
    #[tokio::test]
    async fn the_word_index_answers_as_the_full_text_index_does_on_postgres() {
        use super::super::words::WordIndex;

        /// Words led by digits: some PostgreSQL reads as one lexeme, some as two.
        const PARSED: [&str; 7] = ["1e5abc", "x1e5", "3d", "2e10", "1e5", "abc", "cameraf"];
        let rng = Pick::new(0x9e37_79b9_7f4a_7c15);
        let pick = |n: usize| rng.pick(n);
        for round in 0..2 {
            let Some((store, schema)) = postgres_store().await else {
                return;
            };
            let pool = &store.pool;
            let categories = ["camera", "router", "smart_plug", "baby_monitor"];
            for p in 0..16 {
                let name: Vec<&str> = (0..1 + pick(3))
                    .map(|_| match pick(6) {
                        0 => PARSED[pick(PARSED.len())],
                        _ => WORDS[pick(WORDS.len())],
                    })
                    .collect();
                let (maker, category) = (["m1", "m2"][pick(2)], categories[pick(4)]);
                pg_product(
                    pool,
                    &format!("PRD-{p:06}"),
                    maker,
                    &name.join(" "),
                    category,
                )
                .await;
            }
            let mut n = 0;
            // Rare words, one ("cameraf") also the beginning of another.
            for (i, name) in ["camerafoon babyfoon", "routerbox mini", "cameraf"]
                .iter()
                .enumerate()
            {
                pg_product(pool, &format!("PRD-2{i:05}"), "m1", name, "router").await;
            }
            let mut certified = Vec::new();
            for batch in [200, 40 * round] {
                for _ in 0..batch {
                    n += 1;
                    let product = format!("PRD-{:06}", pick(16));
                    let (scheme, level) = (
                        ["eu-iot", "eucc"][pick(2)],
                        ["basic", "substantial"][pick(2)],
                    );
                    pg_certificate(pool, &format!("KM-2026-{n:06}"), &product, scheme, level).await;
                }
                if certified.is_empty() {
                    for i in 0..3 {
                        let id = format!("KM-2025-{i:06}");
                        pg_certificate(pool, &id, &format!("PRD-2{i:05}"), "eu-iot", "basic").await;
                    }
                    // Suspended labels are 5 % when the words are read (their page read from
                    // the candidates), or 1 % (from the full-text index, the state's facet).
                    for _ in 0..[10, 2][round] {
                        suspend_pg(pool, 1 + pick(200)).await;
                    }
                    let mut conn = pool.acquire().await.unwrap();
                    certified.push(WordIndex::read_postgres(&mut conn, 3).await.unwrap());
                }
            }
            let index = &certified[0];
            assert_eq!(index.covered, 203);
            // Labels of new products whose words ("cam" with another) no covered label has
            // together: only the documents above what the index covers have them.
            let mut together = Vec::new();
            if round > 0 {
                let names: Vec<String> = sqlx::query_scalar("SELECT name FROM products")
                    .fetch_all(pool)
                    .await
                    .unwrap();
                let has = |name: &String, w: &str| name.split(' ').any(|x| x == w);
                for (i, other) in WORDS.iter().enumerate().filter(|(_, w)| **w != "cam") {
                    if names
                        .iter()
                        .any(|name| has(name, "cam") && has(name, other))
                    {
                        continue;
                    }
                    let product = format!("PRD-1{i:05}");
                    pg_product(pool, &product, "m2", &format!("cam {other}"), "camera").await;
                    n += 1;
                    pg_certificate(pool, &format!("KM-2026-{n:06}"), &product, "eucc", "basic")
                        .await;
                    together.push(vec!["cam".to_owned(), (*other).to_owned()]);
                }
                assert!(!together.is_empty());
            }
            for _ in 0..20 {
                suspend_pg(pool, 1 + pick(200 + 40 * round)).await;
            }
            let (mut answered, mut found) = (0, 0);
            for _ in 0..1000 {
                let s = random_search(&rng, &together, &PARSED);
                let newest = store.newest_search_seq().await.unwrap().newest;
                let with = store
                    .search_postgres_words(&s, Some(index), newest, super::STATE_WALK)
                    .await
                    .unwrap();
                let without = store
                    .search_postgres_words(&s, None, newest, super::STATE_WALK)
                    .await
                    .unwrap();
                assert_eq!(with, without, "round {round}: {s:?}");
                // A rare state's walk cut short, or read a few documents at a time.
                let walk = 1 + pick(40);
                let short = store
                    .search_postgres_words(&s, Some(index), newest, walk)
                    .await
                    .unwrap();
                assert_eq!(short, without, "round {round}, walk {walk}: {s:?}");
                // Run on the documents as an earlier search read them: right (round 0), behind
                // the labels written after the index was read (round 1), ahead, or unknown.
                let now = store.newest_search_seq().await.unwrap();
                for last in [
                    index.covered,
                    index.covered + 1,
                    now.newest,
                    now.newest + pick(3) as i64,
                ] {
                    let last = super::Documents {
                        newest: last,
                        repairs: now.repairs,
                    };
                    for last in [Some(last), None] {
                        let (hits, read) = store
                            .search_postgres_on(&s, Some(index), last, walk)
                            .await
                            .unwrap();
                        assert_eq!(hits, without, "round {round}, from {last:?}: {s:?}");
                        assert_eq!(read, now, "round {round}, from {last:?}: {s:?}");
                    }
                }
                answered += usize::from(index.terms(&s.terms, false).is_some());
                found += usize::from(!with.is_empty());
            }
            assert!(answered > 200 && found > 200, "{answered} {found}");
            // PostgreSQL reads `1e5abc` as two lexemes: never looked up as one.
            assert!(index.terms(&["1e5abc".to_owned()], true).is_none());
            assert_eq!(search_states(pool).await, certificate_states(pool).await);
            drop_schema(store, &schema).await;
        }
    }

    /// The same labels on SQLite (a file, searched on the point reader) and, when
    /// `KEURMERK_TEST_POSTGRES` is set, on PostgreSQL: for each name a camera of maker `m1` and
    /// its active certificate of scheme `eu-iot`, level `basic`, `KM-2026-000001` the first.
    struct Alike {
        _dir: tempfile::TempDir,
        sqlite: super::SqlStore,
        postgres: Option<(super::SqlStore, String)>,
    }

    impl Alike {
        async fn new(names: &[&str]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("a.db");
            let sqlite = super::SqlStore::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO organisations (id, name, role, member_state, created_at)
                 VALUES ('m1', 'Holland Smart', 'manufacturer', 'NL', 't');",
            )
            .unwrap();
            let postgres = postgres_store().await;
            for (i, name) in names.iter().enumerate() {
                let (p, id) = (format!("PRD-{:06}", i + 1), format!("KM-2026-{:06}", i + 1));
                let issued = format!("2026-01-01T00:00:00.{:06}Z", i + 1);
                product(&conn, &p, "m1", name, "camera");
                certificate(&conn, &id, &p, "eu-iot", "basic", &issued);
                if let Some((store, _)) = &postgres {
                    pg_product(&store.pool, &p, "m1", name, "camera").await;
                    pg_certificate(&store.pool, &id, &p, "eu-iot", "basic").await;
                }
            }
            Self {
                _dir: dir,
                sqlite,
                postgres,
            }
        }

        /// The certificates `s` finds, after asserting that both backends find the same.
        async fn found(&self, s: &crate::search::LabelSearch) -> Vec<String> {
            use crate::search::SearchStore as _;
            let ids = |hits: Vec<crate::search::LabelHit>| -> Vec<String> {
                hits.iter().map(|h| h.certificate.id.to_string()).collect()
            };
            let on_sqlite = ids(self.sqlite.search_labels(s).await.unwrap());
            if let Some((store, _)) = &self.postgres {
                let on_postgres = ids(store.search_labels(s).await.unwrap());
                assert_eq!(on_postgres, on_sqlite, "PostgreSQL, then SQLite: {s:?}");
            }
            on_sqlite
        }

        async fn drop(self) {
            if let Some((store, schema)) = self.postgres {
                drop_schema(store, &schema).await;
            }
            self.sqlite.close().await;
        }
    }

    /// Words that one full-text index reads as no word at all find nothing, alone, beside
    /// another word and with every filter, on both backends alike: Unicode's "other numbers"
    /// (`½`, `²`, `①`, `¼`, which SQLite's tokenizer keeps in a word and PostgreSQL's parser
    /// drops), a symbol (`ⓐ`, no word to SQLite's), and a letter newer than the C library of
    /// the PostgreSQL tested (U+1C8A, Unicode 16: no word to PostgreSQL 15 on Debian 12, where
    /// the store's probe finds it so).
    #[tokio::test]
    async fn words_an_index_reads_as_nothing_find_nothing_on_both_backends() {
        use crate::search::LabelSearch;
        use keurmerk_domain::lifecycle::State;

        let alike = Alike::new(&["Tuincamera", "Tuincamera ½ x² ① ⓐ"]).await;
        let search = |terms: &[&str], filter: usize| {
            let mut s = LabelSearch {
                terms: terms.iter().map(|t| (*t).to_owned()).collect(),
                limit: 20,
                ..LabelSearch::default()
            };
            match filter {
                0 => {}
                1 => s.schemes = Some(vec!["eu-iot".parse().unwrap()]),
                2 => s.states = Some(vec![State::Active]),
                _ => s.level = Some("basic".parse().unwrap()),
            }
            s
        };
        // The word and every filter find both labels.
        for filter in 0..4 {
            assert_eq!(
                alike.found(&search(&["tuincamera"], filter)).await,
                ["KM-2026-000002", "KM-2026-000001"],
                "filter {filter}"
            );
        }
        let tje = "\u{1C8A}";
        for terms in [
            &["½"][..],
            &["²"],
            &["①"],
            &["¼"],
            &["x²"],
            &["5½"],
            &["tuincamera", "½"],
            &["½", "tuincamera"],
            &["ⓐ"],
            &[tje],
            &["tuincamera", tje],
        ] {
            for filter in 0..4 {
                let s = search(terms, filter);
                assert!(alike.found(&s).await.is_empty(), "filter {filter}: {s:?}");
            }
        }
        // The letter PostgreSQL does not know is no word to it: its probe says so, and the
        // page asked alone would be the filter's.
        if let Some((store, _)) = &alike.postgres {
            let unread: i32 = sqlx::query_scalar("SELECT numnode(to_tsquery('simple', $1))")
                .bind(format!("'{tje}'"))
                .fetch_one(&store.pool)
                .await
                .unwrap();
            let probed = store.has_match(&[tje.to_owned()], false, 2).await.unwrap();
            if unread == 0 {
                assert_eq!(probed, None);
            } else {
                eprintln!("this PostgreSQL reads U+1C8A as a word: its probe is not tried");
                assert_eq!(probed, Some(false));
            }
            let words = ["tuincamera".to_owned()];
            let probed = store.has_match(&words, false, 2).await.unwrap();
            assert_eq!(probed, Some(true));
        }
        alike.drop().await;
    }

    /// Words in capitals and in lower case find the same labels on both backends: Greek's final
    /// sigma (`ΟΔΟΣ` in capitals and `Οδος` in lower case, PostgreSQL's documents holding
    /// `οδοσ` for both since migration 0043) and Turkish's dotted capital I (`İstanbul`).
    #[tokio::test]
    async fn words_in_any_case_find_the_same_labels_on_both_backends() {
        use crate::search::{query_terms, LabelSearch};

        let alike = Alike::new(&["ΟΔΟΣ Router", "Οδος Deurbel", "İstanbul Slot"]).await;
        let words = |text: &str| LabelSearch {
            terms: query_terms(text).unwrap(),
            limit: 20,
            ..LabelSearch::default()
        };
        let both = ["KM-2026-000002", "KM-2026-000001"];
        for (text, want) in [
            ("ΟΔΟΣ", &both[..]),
            ("οδος", &both),
            ("Οδος", &both),
            ("οδοσ", &both),
            ("οδο", &both),
            ("ΟΔΟΣ router", &["KM-2026-000001"]),
            ("ΟΔΟΣ ROUTER", &["KM-2026-000001"]),
            ("οδος deurbel", &["KM-2026-000002"]),
            ("İstanbul", &["KM-2026-000003"]),
            ("istanbul", &["KM-2026-000003"]),
            ("ISTANBUL", &["KM-2026-000003"]),
            ("İSTANBUL SLOT", &["KM-2026-000003"]),
        ] {
            assert_eq!(alike.found(&words(text)).await, want, "{text}");
        }
        alike.drop().await;
    }

    /// Migration 0043 on documents written before it: each with a final sigma (a name in
    /// lower-case Greek) is stored again under a new `seq`, with σ, its kept state and hit with
    /// it, and counted as a repair (so no reading of the words made before describes it); the
    /// others keep theirs. The store's check is clean after it, and both forms of the word find
    /// both Greek labels.
    #[tokio::test]
    async fn migration_0043_stores_documents_with_a_final_sigma_again_on_postgres() {
        let Some((pool, schema)) = pg_registry_before(43, 1).await else {
            return;
        };
        pg_product(&pool, "PRD-1", "m1", "ΟΔΟΣ Router", "router").await;
        // Routers: no letter of their category's words is one migration 0045 folds, so it
        // stores none of these documents again.
        pg_product(&pool, "PRD-2", "m1", "Οδος Deurbel", "router").await;
        pg_product(&pool, "PRD-3", "m1", "Slimme deurbel", "router").await;
        for (n, product) in [(1, "PRD-1"), (2, "PRD-2"), (3, "PRD-3")] {
            let id = format!("KM-2026-{n:06}");
            pg_certificate(&pool, &id, product, "eu-iot", "basic").await;
        }
        suspend_pg(&pool, 2).await;
        let documents = || stored_documents(&pool);
        let before = documents().await;
        assert!(before[1].2.contains("'οδος'"), "{before:?}");

        super::super::POSTGRES_MIGRATIONS.run(&pool).await.unwrap();
        let after = documents().await;
        let seqs: Vec<(&str, i64)> = after.iter().map(|d| (d.0.as_str(), d.1)).collect();
        assert_eq!(
            seqs,
            [
                ("KM-2026-000001", 1),
                ("KM-2026-000002", 4),
                ("KM-2026-000003", 3)
            ]
        );
        assert!(after[1].2.contains("'οδοσ'"), "{after:?}");
        assert!(!after.iter().any(|d| d.2.contains('ς')), "{after:?}");
        assert_eq!(
            (after[0].2.as_str(), after[2].2.as_str()),
            (before[0].2.as_str(), before[2].2.as_str())
        );
        assert_eq!(search_repairs(&pool).await, 1);
        assert_eq!(search_states(&pool).await, certificate_states(&pool).await);
        assert_eq!(hits_not_kept(&pool).await, (vec![], 3));

        let both = &["KM-2026-000002", "KM-2026-000001"][..];
        checked_after_migration(&schema, &[("ΟΔΟΣ", both), ("οδος", both)]).await;
    }

    /// Words with and without diacritics find the same labels on both backends, as SQLite's
    /// tokenizer folds them (`search::WITHOUT_ACCENTS`; PostgreSQL's documents since migration
    /// 0045): `cafe`, `café` and `CAFÉ` find `Café Crème` and `Cafe Noir`. Letters SQLite keeps
    /// are kept (`ł`: `lodz` does not find `Łódź`), and so are Greek's with tonos (`ελλαδα`
    /// does not find `Ελλάδα`). On PostgreSQL the search's words in memory, read with every
    /// word's list kept, answer as its full-text index does.
    #[tokio::test]
    async fn words_with_and_without_accents_find_the_same_labels_on_both_backends() {
        use super::super::words::WordIndex;
        use crate::search::{query_terms, LabelSearch};

        let alike = Alike::new(&[
            "Café Crème",
            "München Slot",
            "Łódź Router",
            "Ελλάδα Deurbel",
            "Cafe Noir",
        ])
        .await;
        let words = |text: &str| LabelSearch {
            terms: query_terms(text).unwrap(),
            limit: 20,
            ..LabelSearch::default()
        };
        let cafes = ["KM-2026-000005", "KM-2026-000001"];
        let cases: [(&str, &[&str]); 20] = [
            ("cafe", &cafes),
            ("café", &cafes),
            ("CAFÉ", &cafes),
            ("Cafe", &cafes),
            ("caf", &cafes),
            ("creme", &["KM-2026-000001"]),
            ("Crème", &["KM-2026-000001"]),
            ("café crème", &["KM-2026-000001"]),
            ("cafe noir", &["KM-2026-000005"]),
            ("munchen", &["KM-2026-000002"]),
            ("München", &["KM-2026-000002"]),
            ("MÜNCHEN slot", &["KM-2026-000002"]),
            ("mün", &["KM-2026-000002"]),
            ("łodz", &["KM-2026-000003"]),
            ("Łódź", &["KM-2026-000003"]),
            ("lodz", &[]),
            ("ελλάδα", &["KM-2026-000004"]),
            ("ΕΛΛΆΔΑ", &["KM-2026-000004"]),
            ("ελλαδα", &[]),
            (
                "kamera",
                &[
                    "KM-2026-000005",
                    "KM-2026-000004",
                    "KM-2026-000003",
                    "KM-2026-000002",
                    "KM-2026-000001",
                ],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(alike.found(&words(text)).await, want, "{text}");
        }
        if let Some((store, _)) = &alike.postgres {
            let mut conn = store.pool.acquire().await.unwrap();
            let index = WordIndex::read_postgres(&mut conn, 1).await.unwrap();
            drop(conn);
            let known = index.terms(&["cafe".to_owned()], false);
            assert!(known.is_some_and(|f| f.any()), "cafe is not in the words");
            for (text, want) in cases {
                let s = words(text);
                let newest = store.newest_search_seq().await.unwrap().newest;
                let with = store
                    .search_postgres_words(&s, Some(&index), newest, super::STATE_WALK)
                    .await
                    .unwrap();
                let without = store
                    .search_postgres_words(&s, None, newest, super::STATE_WALK)
                    .await
                    .unwrap();
                assert_eq!(with, without, "{text}");
                let ids: Vec<String> = with.iter().map(|h| h.certificate.id.to_string()).collect();
                assert_eq!(ids, want, "{text}");
            }
        }
        alike.drop().await;
    }

    /// Migration 0045 on documents written before it: each whose words it folds (a name or
    /// category word with a diacritic SQLite folds) is stored again under a new `seq`, without
    /// it, its kept state and hit with it, and counted as a repair (so no reading of the words
    /// made before describes it); the others (ASCII, or Greek with tonos, which SQLite keeps)
    /// keep theirs. The store's check is clean after it, and words with and without the
    /// diacritics find the labels.
    #[tokio::test]
    async fn migration_0045_stores_documents_with_accents_again_on_postgres() {
        let Some((pool, schema)) = pg_registry_before(45, 1).await else {
            return;
        };
        pg_product(&pool, "PRD-1", "m1", "Café Crème", "router").await;
        pg_product(&pool, "PRD-2", "m1", "Ελλάδα Deurbel", "router").await;
        pg_product(&pool, "PRD-3", "m1", "Slimme deurbel", "router").await;
        pg_product(&pool, "PRD-4", "m1", "München Slot", "router").await;
        // Its category's words hold `überwachungskamera` and `caméra`.
        pg_product(&pool, "PRD-5", "m1", "Tuincamera", "camera").await;
        for n in 1..=5 {
            let id = format!("KM-2026-{n:06}");
            pg_certificate(&pool, &id, &format!("PRD-{n}"), "eu-iot", "basic").await;
        }
        suspend_pg(&pool, 4).await;
        let documents = || stored_documents(&pool);
        let before = documents().await;
        assert!(before[0].2.contains("'café'"), "{before:?}");
        assert!(before[3].2.contains("'münchen'"), "{before:?}");
        assert!(before[4].2.contains("'caméra'"), "{before:?}");

        super::super::POSTGRES_MIGRATIONS.run(&pool).await.unwrap();
        let after = documents().await;
        let seqs: Vec<(&str, i64)> = after.iter().map(|d| (d.0.as_str(), d.1)).collect();
        assert_eq!(
            seqs,
            [
                ("KM-2026-000001", 6),
                ("KM-2026-000002", 2),
                ("KM-2026-000003", 3),
                ("KM-2026-000004", 7),
                ("KM-2026-000005", 8)
            ]
        );
        for word in ["'cafe'", "'creme'"] {
            assert!(after[0].2.contains(word), "{word}: {after:?}");
        }
        assert!(after[3].2.contains("'munchen'"), "{after:?}");
        for word in ["'camera'", "'uberwachungskamera'"] {
            assert!(after[4].2.contains(word), "{word}: {after:?}");
        }
        for accented in ['é', 'è', 'ü'] {
            assert!(!after.iter().any(|d| d.2.contains(accented)), "{after:?}");
        }
        assert_eq!(
            (after[1].2.as_str(), after[2].2.as_str()),
            (before[1].2.as_str(), before[2].2.as_str())
        );
        assert!(after[1].2.contains("'ελλάδα'"), "{after:?}");
        assert_eq!(search_repairs(&pool).await, 1);
        assert_eq!(search_states(&pool).await, certificate_states(&pool).await);
        assert_eq!(hits_not_kept(&pool).await, (vec![], 5));

        checked_after_migration(
            &schema,
            &[
                ("cafe", &["KM-2026-000001"][..]),
                ("CAFÉ CRÈME", &["KM-2026-000001"]),
                ("munchen", &["KM-2026-000004"]),
                ("München", &["KM-2026-000004"]),
                ("ελλάδα", &["KM-2026-000002"]),
                ("camera", &["KM-2026-000005"]),
                ("überwachungskamera", &["KM-2026-000005"]),
            ],
        )
        .await;
    }

    /// Each search document of the schema `pool` is in: certificate, `seq`, words.
    async fn stored_documents(pool: &sqlx::AnyPool) -> Vec<(String, i64, String)> {
        sqlx::query_as::<_, (String, i64, String)>(
            "SELECT certificate_id, seq, CAST(doc AS TEXT) FROM certificate_search \
             ORDER BY certificate_id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    /// How many times the documents were repaired (`search_repairs`).
    async fn search_repairs(pool: &sqlx::AnyPool) -> i64 {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'search_repairs'")
            .fetch_one(pool)
            .await
            .unwrap()
    }

    /// After a migration that stored documents again, on a store in `schema`: the store's check
    /// is clean and each of `cases` (words, the certificates found in order) holds; the schema
    /// is then dropped.
    async fn checked_after_migration(schema: &str, cases: &[(&str, &[&str])]) {
        use crate::search::{query_terms, LabelSearch, SearchStore as _};

        let url = std::env::var("KEURMERK_TEST_POSTGRES").unwrap();
        let store = super::SqlStore::connect_in_schema(&url, Some(schema))
            .await
            .unwrap();
        let check = store.verify_search(false).await.unwrap();
        assert!(check.is_clean(), "{check:?}");
        for (text, want) in cases {
            let s = LabelSearch {
                terms: query_terms(text).unwrap(),
                limit: 20,
                ..LabelSearch::default()
            };
            let ids: Vec<String> = store
                .search_labels(&s)
                .await
                .unwrap()
                .iter()
                .map(|h| h.certificate.id.to_string())
                .collect();
            assert_eq!(ids, *want, "{text}");
        }
        drop_schema(store, schema).await;
    }

    #[test]
    fn a_state_walks_answer_is_read_whole_or_refused() {
        assert_eq!(super::walked_documents("").unwrap(), Vec::<i64>::new());
        assert_eq!(super::walked_documents("9,4,1").unwrap(), [9, 4, 1]);
        assert_eq!(super::walked_documents("4,9,1").unwrap(), [9, 4, 1]);
        for bad in [
            "9,,1",
            "9,4,",
            "9,4,9",
            "9,9",
            "0",
            "-1",
            "9, 4",
            "x",
            "99999999999999999999",
        ] {
            assert!(super::walked_documents(bad).is_err(), "{bad}");
        }
    }

    /// Each search document's state as `certificate_search_states` keeps it (migration 0038),
    /// by certificate.
    async fn search_states(pool: &sqlx::AnyPool) -> Vec<(String, String)> {
        sqlx::query_as(
            "SELECT f.certificate_id, t.state FROM certificate_search_states t \
             JOIN certificate_search f ON f.seq = t.seq ORDER BY f.certificate_id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    /// Each certificate's state.
    async fn certificate_states(pool: &sqlx::AnyPool) -> Vec<(String, String)> {
        sqlx::query_as("SELECT id, state FROM certificates ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    /// A PostgreSQL registry in a schema of its own, migrated up to (not including) `version`,
    /// with a maker `m1` and certificates that need no assessment, on a pool of `max`
    /// connections; `None` without `KEURMERK_TEST_POSTGRES`.
    pub(crate) async fn pg_registry_before(
        version: i64,
        max: u32,
    ) -> Option<(sqlx::AnyPool, String)> {
        let Ok(url) = std::env::var("KEURMERK_TEST_POSTGRES") else {
            eprintln!("skipped: KEURMERK_TEST_POSTGRES is not set");
            return None;
        };
        sqlx::any::install_default_drivers();
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let pool = {
            let schema = schema.clone();
            sqlx::any::AnyPoolOptions::new()
                .max_connections(max)
                .after_connect(move |conn, _| {
                    let schema = schema.clone();
                    Box::pin(async move {
                        conn.execute(format!("CREATE SCHEMA IF NOT EXISTS {schema}").as_str())
                            .await?;
                        conn.execute(format!("SET search_path TO {schema}").as_str())
                            .await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .unwrap()
        };
        super::super::migrations_before(&super::super::POSTGRES_MIGRATIONS, version)
            .run(&pool)
            .await
            .unwrap();
        pool.execute(
            "ALTER TABLE certificates DROP CONSTRAINT certificates_assessment_id_fkey;
             INSERT INTO organisations (id, name, role, member_state, created_at) VALUES
             ('m1', 'Holland Smart', 'manufacturer', 'NL', 't')",
        )
        .await
        .unwrap();
        Some((pool, schema))
    }

    /// Migration 0038 while another instance writes certificates: one whose transaction began
    /// before the migration (waited for, then copied) and one that comes while the migration
    /// waits (after it, under the new triggers). Neither document is left without its state.
    #[tokio::test]
    async fn migration_0038_leaves_no_document_without_its_state_while_others_write() {
        let Some((pool, schema)) = pg_registry_before(38, 4).await else {
            return;
        };
        pg_product(&pool, "p1", "m1", "Slimme deurbel", "camera").await;
        pg_certificate(&pool, "KM-2026-000001", "p1", "eu-iot", "basic").await;
        // The migrator first takes a lock of the whole database, which another test's migration
        // may hold for a few seconds.
        let until = |n: i64| {
            let pool = pool.clone();
            async move { until_waiting_on_certificates(&pool, n, "the migration").await }
        };
        // A writer in the middle of its transaction, its document written by the old trigger.
        let mut early = pool.begin().await.unwrap();
        pg_certificate(&mut *early, "KM-2026-000002", "p1", "eu-iot", "basic").await;
        let migration = {
            let pool = pool.clone();
            tokio::spawn(async move { super::super::POSTGRES_MIGRATIONS.run(&pool).await })
        };
        until(1).await;
        // A writer that comes while the migration waits for the first.
        let late = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pg_certificate(&pool, "KM-2026-000003", "p1", "eucc", "basic").await;
                suspend_pg(&pool, 3).await;
            })
        };
        until(2).await;
        early.commit().await.unwrap();
        migration.await.unwrap().unwrap();
        late.await.unwrap();
        let states = certificate_states(&pool).await;
        assert_eq!(states.len(), 3);
        assert_eq!(states[2], ("KM-2026-000003".into(), "suspended".into()));
        assert_eq!(search_states(&pool).await, states);
        pool.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    /// Waits until `n` lock requests on this schema's `certificates` are not granted yet (at
    /// most 30 s; `who` names the test's step, in the panic).
    async fn until_waiting_on_certificates(pool: &sqlx::AnyPool, n: i64, who: &str) {
        for _ in 0..3_000 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                 WHERE NOT l.granted AND c.relname = 'certificates' \
                 AND c.relnamespace = CAST(current_schema() AS regnamespace)",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            if waiting >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{n} lock request(s) on certificates never waited ({who})");
    }

    /// A repair of the search documents on PostgreSQL waits for a writer in the middle of its
    /// transaction (it locks `certificates` against writes), then finds the differences again
    /// inside its own: the writer's change of state is in the documents and their kept states,
    /// and the forged document is stored again.
    #[tokio::test]
    async fn a_search_repair_waits_for_a_writer_and_keeps_its_change_on_postgres() {
        use crate::search::SearchStore as _;

        let Some((store, schema)) = postgres_store().await else {
            return;
        };
        let store = std::sync::Arc::new(store);
        let pool = store.pool.clone();
        pg_product(&pool, "p1", "m1", "Slimme deurbel", "camera").await;
        for n in 1..=2 {
            pg_certificate(&pool, &format!("KM-2026-{n:06}"), "p1", "eu-iot", "basic").await;
        }
        sqlx::query(
            "UPDATE certificate_search SET doc = to_tsvector('simple', 'forged') \
             WHERE certificate_id = 'KM-2026-000002'",
        )
        .execute(&pool)
        .await
        .unwrap();
        let mut writer = pool.begin().await.unwrap();
        suspend_pg(&mut *writer, 1).await;
        let repair = {
            let store = std::sync::Arc::clone(&store);
            tokio::spawn(async move { store.verify_search(true).await })
        };
        until_waiting_on_certificates(&pool, 1, "the repair").await;
        writer.commit().await.unwrap();
        let fixed = repair.await.unwrap().unwrap();
        assert_eq!(fixed.repaired, 1, "{fixed:?}");
        let after = store.verify_search(false).await.unwrap();
        assert!(after.is_clean(), "{after:?}");
        let states = certificate_states(&pool).await;
        assert_eq!(states[0], ("KM-2026-000001".into(), "suspended".into()));
        assert_eq!(search_states(&pool).await, states);
        let store = std::sync::Arc::into_inner(store).unwrap();
        drop_schema(store, &schema).await;
    }

    /// Migration 0038 copies every search document's state, and its triggers keep it: a new
    /// certificate's, and a changed state, in the write's transaction (a write rolled back
    /// leaves none).
    #[tokio::test]
    async fn migration_0038_keeps_every_documents_state_on_postgres() {
        let Some((pool, schema)) = pg_registry_before(38, 1).await else {
            return;
        };
        // A router: its documents' words are ASCII, which migration 0045 does not store again
        // (the walks below read their first `seq`).
        pg_product(&pool, "p1", "m1", "Slimme deurbel", "router").await;
        for n in 1..=3 {
            pg_certificate(&pool, &format!("KM-2026-{n:06}"), "p1", "eu-iot", "basic").await;
        }
        suspend_pg(&pool, 2).await;

        super::super::POSTGRES_MIGRATIONS.run(&pool).await.unwrap();
        let states = certificate_states(&pool).await;
        assert_eq!(states[1], ("KM-2026-000002".into(), "suspended".into()));
        assert_eq!(search_states(&pool).await, states);

        // The triggers: a new certificate, a state changed, a write rolled back.
        pg_certificate(&pool, "KM-2026-000004", "p1", "eucc", "basic").await;
        suspend_pg(&pool, 4).await;
        sqlx::query("UPDATE certificates SET state = 'active' WHERE id = 'KM-2026-000002'")
            .execute(&pool)
            .await
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        suspend_pg(&mut *tx, 1).await;
        pg_certificate(&mut *tx, "KM-2026-000005", "p1", "eucc", "basic").await;
        tx.rollback().await.unwrap();
        let states = certificate_states(&pool).await;
        assert_eq!(states.len(), 4);
        assert_eq!(states[3], ("KM-2026-000004".into(), "suspended".into()));
        assert_eq!(search_states(&pool).await, states);
        let walked: String = sqlx::query_scalar(&super::state_walk(&[super::State::Suspended]))
            .bind(i64::MAX)
            .bind(10_i64)
            .bind("suspended")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(super::walked_documents(&walked).unwrap(), [4]);
        let walked: String = sqlx::query_scalar(&super::state_walk(&[
            super::State::Suspended,
            super::State::Active,
        ]))
        .bind(3_i64)
        .bind(10_i64)
        .bind("suspended")
        .bind("active")
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(super::walked_documents(&walked).unwrap(), [3, 2, 1]);
        pool.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    /// Each search document's kept hit (migration 0039) that is not what
    /// `certificate_search_hit_rows` makes of its rows, by certificate, and how many documents
    /// there are.
    async fn hits_not_kept(pool: &sqlx::AnyPool) -> (Vec<String>, i64) {
        let mut differ: Vec<String> = sqlx::query_scalar(super::super::search_check::HITS_NOT_KEPT)
            .fetch_all(pool)
            .await
            .unwrap();
        differ.sort();
        let documents = sqlx::query_scalar("SELECT COUNT(*) FROM certificate_search")
            .fetch_one(pool)
            .await
            .unwrap();
        (differ, documents)
    }

    /// The image digest each certificate's kept hit shows, by certificate.
    async fn kept_images(pool: &sqlx::AnyPool) -> Vec<(String, Option<String>)> {
        sqlx::query_as(
            "SELECT certificate_id, image_sha256 FROM certificate_search_hits \
             ORDER BY certificate_id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    /// Makes image `sha256` (stored if new) product `product`'s.
    async fn set_image_pg(on: &mut sqlx::AnyConnection, product: &str, sha256: &str) {
        sqlx::query(
            "INSERT INTO images (sha256, media_type, width, height, data, created_at) \
             VALUES ($1, 'image/png', 40, 30, $2, 't') ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(vec![1_u8, 2, 3])
        .execute(&mut *on)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO product_images (product_id, sha256, set_at) VALUES ($1, $2, 't') \
             ON CONFLICT (product_id) DO UPDATE SET sha256 = excluded.sha256",
        )
        .bind(product)
        .bind(sha256)
        .execute(on)
        .await
        .unwrap();
    }

    /// Migration 0039 keeps every search document's hit, and its triggers keep it: a new
    /// certificate's, and a product's image set, replaced and removed, in the write's
    /// transaction (a write rolled back leaves it as it was).
    #[tokio::test]
    async fn migration_0039_keeps_every_documents_hit_on_postgres() {
        let Some((pool, schema)) = pg_registry_before(39, 1).await else {
            return;
        };
        pg_product(&pool, "p1", "m1", "Slimme deurbel", "camera").await;
        pg_product(&pool, "p2", "m1", "Slimme stekker", "smart_plug").await;
        set_image_pg(&mut pool.acquire().await.unwrap(), "p1", "aa").await;
        for (n, product) in [(1, "p1"), (2, "p1"), (3, "p2")] {
            let id = format!("KM-2026-{n:06}");
            pg_certificate(&pool, &id, product, "eu-iot", "basic").await;
        }

        super::super::POSTGRES_MIGRATIONS.run(&pool).await.unwrap();
        assert_eq!(hits_not_kept(&pool).await, (vec![], 3));
        let image =
            |n: usize, sha: Option<&str>| (format!("KM-2026-{n:06}"), sha.map(str::to_owned));
        let before = vec![image(1, Some("aa")), image(2, Some("aa")), image(3, None)];
        assert_eq!(kept_images(&pool).await, before);

        // The triggers: a new certificate, images set, replaced and removed, a write rolled back.
        pg_certificate(&pool, "KM-2026-000004", "p2", "eucc", "basic").await;
        set_image_pg(&mut pool.acquire().await.unwrap(), "p2", "bb").await;
        set_image_pg(&mut pool.acquire().await.unwrap(), "p1", "bb").await;
        let mut tx = pool.begin().await.unwrap();
        set_image_pg(&mut tx, "p2", "cc").await;
        sqlx::query("DELETE FROM product_images WHERE product_id = 'p1'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        let all_bb = vec![
            image(1, Some("bb")),
            image(2, Some("bb")),
            image(3, Some("bb")),
            image(4, Some("bb")),
        ];
        assert_eq!(kept_images(&pool).await, all_bb);
        sqlx::query("DELETE FROM product_images WHERE product_id = 'p2'")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(hits_not_kept(&pool).await, (vec![], 4));
        let p2_none = vec![
            image(1, Some("bb")),
            image(2, Some("bb")),
            image(3, None),
            image(4, None),
        ];
        assert_eq!(kept_images(&pool).await, p2_none);
        pool.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    /// The server process of `conn`.
    async fn backend_pid(conn: &mut sqlx::AnyConnection) -> i64 {
        sqlx::query_scalar("SELECT CAST(pg_backend_pid() AS BIGINT)")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// Waits until the connection of process `pid` waits for a lock (a test's other writer) or
    /// `task` (that writer) has ended without waiting.
    async fn until_blocked<T>(pool: &sqlx::AnyPool, pid: i64, task: &tokio::task::JoinHandle<T>) {
        for _ in 0..3_000 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE pid = CAST($1 AS INTEGER) AND wait_event_type = 'Lock'",
            )
            .bind(pid)
            .fetch_one(pool)
            .await
            .unwrap();
            if waiting > 0 || task.is_finished() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the writer neither waited for a lock nor ended");
    }

    /// A certificate written while its product's image changes, in two transactions at once,
    /// either order: its kept hit shows the image committed last (without the product's row
    /// locked by both, the image's transaction never saw the certificate's, or the certificate's
    /// read the image before the change).
    #[tokio::test]
    async fn a_hit_written_beside_a_change_of_its_products_image_shows_the_new_image() {
        use sqlx::Connection as _;
        let Some((pool, schema)) = pg_registry_before(i64::MAX, 3).await else {
            return;
        };
        pg_product(&pool, "p1", "m1", "Slimme deurbel", "camera").await;
        set_image_pg(&mut pool.acquire().await.unwrap(), "p1", "aa").await;
        pg_certificate(&pool, "KM-2026-000001", "p1", "eu-iot", "basic").await;
        let (mut first, mut second) =
            (pool.acquire().await.unwrap(), pool.acquire().await.unwrap());
        let second_pid = backend_pid(&mut second).await;

        // The certificate first, the image waiting for it.
        let mut tx = first.begin().await.unwrap();
        pg_certificate(&mut *tx, "KM-2026-000002", "p1", "eu-iot", "basic").await;
        let image = tokio::spawn(async move {
            set_image_pg(&mut second, "p1", "bb").await;
            second
        });
        until_blocked(&pool, second_pid, &image).await;
        tx.commit().await.unwrap();
        let mut second = image.await.unwrap();
        assert_eq!(hits_not_kept(&pool).await, (vec![], 2));

        // The image first, the certificate waiting for it.
        let first_pid = backend_pid(&mut first).await;
        let mut tx = second.begin().await.unwrap();
        set_image_pg(&mut tx, "p1", "cc").await;
        let certificate = tokio::spawn(async move {
            pg_certificate(&mut *first, "KM-2026-000003", "p1", "eu-iot", "basic").await;
            first
        });
        until_blocked(&pool, first_pid, &certificate).await;
        tx.commit().await.unwrap();
        drop(certificate.await.unwrap());
        drop(second);
        assert_eq!(hits_not_kept(&pool).await, (vec![], 3));
        let images: Vec<Option<String>> = kept_images(&pool)
            .await
            .into_iter()
            .map(|(_, sha)| sha)
            .collect();
        assert_eq!(
            images,
            [
                Some("cc".to_owned()),
                Some("cc".to_owned()),
                Some("cc".to_owned())
            ]
        );
        pool.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    async fn suspend_pg<'e>(on: impl sqlx::Executor<'e, Database = sqlx::Any>, id: usize) {
        sqlx::query("UPDATE certificates SET state = 'suspended' WHERE id = $1")
            .bind(format!("KM-2026-{id:06}"))
            .execute(on)
            .await
            .unwrap();
    }

    /// A document whose `seq` is below the highest one read, committed after the reading's
    /// snapshot, is read into the words before they are kept (the reading waits for the
    /// transactions that were in progress); one rolled back leaves a gap that is not waited for.
    #[tokio::test]
    async fn documents_committed_out_of_order_are_read_into_the_words_on_postgres() {
        use super::super::words::WordIndex;

        let Some((store, schema)) = postgres_store().await else {
            return;
        };
        let pool = store.pool.clone();
        pg_product(&pool, "PRD-1", "m1", "Tuincamera", "camera").await;
        // `seq` 1, rolled back; 2, committed only after the reading's snapshot; 3, committed.
        let mut rolled = pool.begin().await.unwrap();
        pg_certificate(&mut *rolled, "KM-1", "PRD-1", "eu-iot", "basic").await;
        rolled.rollback().await.unwrap();
        let mut late = pool.begin().await.unwrap();
        pg_certificate(&mut *late, "KM-2", "PRD-1", "eu-iot", "basic").await;
        pg_certificate(&pool, "KM-3", "PRD-1", "eu-iot", "basic").await;
        let reading = {
            let pool = pool.clone();
            tokio::spawn(async move {
                let mut conn = pool.acquire().await.unwrap();
                WordIndex::read_postgres(&mut conn, 1).await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        assert!(!reading.is_finished(), "the reading did not wait for seq 2");
        late.commit().await.unwrap();
        let index = reading.await.unwrap().unwrap();
        assert_eq!(index.covered, 3);
        let found = index.terms(&["tuincamera".to_owned()], false).unwrap();
        let docs: Vec<u32> = index.newest(&found, &[]).unwrap().collect();
        assert_eq!(docs, [3, 2]);
        // Nothing in progress: a reading with the rolled-back gap alone does not wait.
        let mut conn = pool.acquire().await.unwrap();
        let index = WordIndex::read_postgres(&mut conn, 1).await.unwrap();
        assert_eq!(index.covered, 3);
        drop(conn);
        drop_schema(store, &schema).await;
    }

    /// A search on PostgreSQL that started a reading of the words (on a connection of its own)
    /// which waits until the transaction returned is committed: `seq` 1 is committed only after
    /// the reading's snapshot, 2 before. The search, and the words.
    async fn reading_held_up(
        store: &super::SqlStore,
    ) -> (
        sqlx::Transaction<'static, sqlx::Any>,
        crate::search::LabelSearch,
        std::sync::Arc<crate::sql::words::Words>,
    ) {
        use crate::search::{LabelSearch, SearchStore as _};
        let pool = store.pool.clone();
        pg_product(&pool, "PRD-1", "m1", "Tuincamera", "camera").await;
        let mut late = pool.begin().await.unwrap();
        pg_certificate(&mut *late, "KM-1", "PRD-1", "eu-iot", "basic").await;
        pg_certificate(&pool, "KM-2", "PRD-1", "eu-iot", "basic").await;
        let search = LabelSearch {
            terms: vec!["tuincamera".into()],
            limit: 20,
            ..Default::default()
        };
        store.search_labels(&search).await.unwrap();
        let (words, _) = store.pg_words.clone().unwrap();
        assert!(!words.idle(), "the first search started no reading");
        (late, search, words)
    }

    /// Drops `schema` through a connection of its own (the store's pool may be closed).
    async fn drop_schema_apart(schema: &str) {
        use sqlx::Connection as _;
        let url = std::env::var("KEURMERK_TEST_POSTGRES").unwrap();
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        conn.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .unwrap();
    }

    /// On PostgreSQL, `close` waits for a reading of the words a search started (on a
    /// connection of its own, here waiting for a document committed late) before it returns,
    /// and no reading starts after it: once closed, the store holds no connection.
    #[tokio::test]
    async fn close_waits_for_a_reading_of_the_words_on_postgres() {
        use crate::search::SearchStore as _;

        let Some((store, schema)) = postgres_store().await else {
            return;
        };
        let (late, search, words) = reading_held_up(&store).await;
        let closing = {
            let store = store.clone();
            tokio::spawn(async move { store.close().await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        assert!(
            !closing.is_finished(),
            "close returned while the words were being read"
        );
        late.commit().await.unwrap();
        closing.await.unwrap();
        assert!(words.idle());
        // What it read is kept; nothing reads again after close.
        assert_eq!(words.covered().map(|(c, _)| c), Some(2));
        words.forget_last_attempt();
        assert!(
            store.search_labels(&search).await.is_err(),
            "a search after close"
        );
        assert!(words.idle());
        drop_schema_apart(&schema).await;
    }

    /// A `close` that gave up waiting for a reading (a connection that hangs) still leaves the
    /// words closed: when that reading ends at last, it does not make them idle again, and a
    /// search after it starts no reading.
    #[tokio::test]
    async fn a_reading_close_gave_up_on_leaves_the_words_closed_on_postgres() {
        use crate::search::SearchStore as _;

        let Some((store, schema)) = postgres_store().await else {
            return;
        };
        let (late, search, words) = reading_held_up(&store).await;
        words
            .close_within(std::time::Duration::from_millis(100))
            .await;
        assert!(words.closed());
        late.commit().await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while words.covered().is_none() || !words.idle() {
            assert!(
                std::time::Instant::now() < deadline,
                "the reading did not end"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(words.closed(), "the reading's end opened the words again");
        words.forget_last_attempt();
        store.search_labels(&search).await.unwrap();
        assert!(
            words.closed() && words.idle(),
            "a reading started after close"
        );
        store.close().await;
        drop_schema_apart(&schema).await;
    }

    /// A search reads the words into memory when there are none yet, and again once more than
    /// `words::stale_after` labels are newer than they cover; fewer newer labels are asked of the
    /// full-text index instead.
    #[tokio::test]
    async fn the_words_are_read_again_when_enough_labels_are_newer() {
        use crate::search::{LabelSearch, SearchStore as _};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let store = super::SqlStore::connect(&format!("sqlite:{}", path.display()))
            .await
            .unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO organisations (id, name, role, member_state, created_at)
             VALUES ('m1', 'Holland Smart', 'manufacturer', 'NL', 't');",
        )
        .unwrap();
        product(&conn, "PRD-000001", "m1", "Tuincamera", "camera");
        let certify = |from: usize, to: usize| {
            for n in from..to {
                let id = format!("KM-2026-{n:06}");
                certificate(
                    &conn,
                    &id,
                    "PRD-000001",
                    "eu-iot",
                    "basic",
                    "2026-01-01T00:00:00.000000Z",
                );
            }
        };
        let search = LabelSearch {
            terms: vec!["tuincamera".into()],
            limit: 5,
            ..LabelSearch::default()
        };
        let words = std::sync::Arc::clone(&store.point.as_ref().unwrap().words);
        let covered = || store.search_words().map(|(covered, _)| covered);
        // The reading done: its lists in place and its thread finished.
        let words = &words;
        let until = |want: i64| async move {
            for _ in 0..400 {
                if covered() == Some(want) && words.idle() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the words never covered {want}: {:?}", covered());
        };
        certify(1, 11);
        assert_eq!(covered(), None, "nothing is read before a search");
        assert_eq!(store.search_labels(&search).await.unwrap().len(), 5);
        until(10).await;
        // Fewer newer labels than make it stale: searched in the full-text index, not read again.
        certify(11, 200);
        words.forget_last_attempt();
        let hits = store.search_labels(&search).await.unwrap();
        assert_eq!(hits[0].certificate.id.to_string(), "KM-2026-000199");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(covered(), Some(10));
        // More than 256 newer: read again.
        certify(200, 300);
        words.forget_last_attempt();
        store.search_labels(&search).await.unwrap();
        until(299).await;
    }

    /// Browsing without words reads the page's ids in the order of `certificates_newest`
    /// (migration 0037): no sort of the whole registry, only of the page.
    #[tokio::test]
    async fn browsing_reads_the_newest_index_and_sorts_only_the_page() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::test_sqlite_pool(dir.path()).await;
        super::super::SQLITE_MIGRATIONS.run(&pool).await.unwrap();
        let mut q = super::Sql {
            text: String::new(),
            args: Vec::new(),
        };
        let columns = super::columns(&mut q, None, super::HitRows::Joined);
        super::browse(&mut q, &columns, &super::LabelSearch::default());
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", q.text))
                .bind(21_i64)
                .bind(0_i64)
                .fetch_all(&pool)
                .await
                .unwrap();
        let inner: Vec<&str> = plan
            .iter()
            .filter(|p| p.1 != 0)
            .map(|p| p.3.as_str())
            .collect();
        assert!(
            inner
                .iter()
                .any(|d| d.contains("INDEX certificates_newest")),
            "{plan:?}"
        );
        assert!(!inner.iter().any(|d| d.contains("TEMP B-TREE")), "{plan:?}");
    }

    /// The maker "Rheinwerk Thermostatfabrik" with id `maker` and three products of it (id,
    /// name, category), written on `conn`.
    async fn maker_and_products(
        conn: &mut sqlx::AnyConnection,
        maker: &str,
        products: [(&str, &str, &str); 3],
    ) {
        sqlx::query(
            "INSERT INTO organisations (id, name, role, member_state, created_at) \
             VALUES ($1, 'Rheinwerk Thermostatfabrik', 'manufacturer', 'DE', 't')",
        )
        .bind(maker)
        .execute(&mut *conn)
        .await
        .unwrap();
        for (id, name, category) in products {
            pg_product(&mut *conn, id, maker, name, category).await;
        }
    }

    /// A search document: rowid, certificate, body, facets.
    type Doc = (i64, String, String, String);

    async fn documents(pool: &sqlx::AnyPool) -> Vec<Doc> {
        sqlx::query_as(
            "SELECT rowid, certificate_id, body, facets FROM certificate_fts ORDER BY rowid",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    }

    async fn matching(pool: &sqlx::AnyPool, query: &str) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT certificate_id FROM certificate_fts WHERE certificate_fts MATCH $1 \
             ORDER BY rowid DESC",
        )
        .bind(query)
        .fetch_all(pool)
        .await
        .unwrap()
    }

    async fn insert_certificate(pool: &sqlx::AnyPool, id: &str, product: &str) {
        sqlx::query(
            "INSERT INTO certificates (id, product_id, holder_id, scheme_id, level_id, \
             issuer_id, issuer_kind, assessment_id, issued_at, valid_until, state, last_seq) \
             VALUES ($1, $2, 'o', 'eu-iot', 'basic', 'o', 'k', $1, 't', 'v', 'active', 1)",
        )
        .bind(id)
        .bind(product)
        .execute(pool)
        .await
        .unwrap();
    }

    /// Migration 0036 on documents written before it: every document keeps its rowid, body and
    /// facets; prefixes of six to ten characters find what they found before; the insert and
    /// state triggers still write the index after the rename.
    #[tokio::test]
    async fn migration_0036_keeps_every_document_and_both_triggers() {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::test_sqlite_pool_before(dir.path(), 36).await;
        pool.execute("PRAGMA foreign_keys = OFF").await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        maker_and_products(
            &mut conn,
            "o",
            [
                ("p1", "Kinderzimmer Babymonitor", "baby_monitor"),
                ("p2", "Heizungsregler Thermostaat", "thermostat"),
                ("p3", "Gartenkamera Überwachung", "camera"),
            ],
        )
        .await;
        drop(conn);
        for (id, product) in [("KM-A", "p1"), ("KM-B", "p2"), ("KM-C", "p3")] {
            insert_certificate(&pool, id, product).await;
        }
        pool.execute("UPDATE certificates SET state = 'suspended' WHERE id = 'KM-B'")
            .await
            .unwrap();
        let queries = [
            "body : (\"babymo\"*)",
            "body : (\"thermost\"*)",
            "body : (\"uberwachu\"*)",
            "body : (\"rheinwerk\"*)",
            "body : (\"kinderzimm\"*)",
            "body : (\"thermostatfabrik\"*)",
            "body : (\"gar\"* \"kam\"*)",
            "body : (\"thermostat\"*) AND facets : (t73757370656e646564)",
        ];
        let docs = documents(&pool).await;
        assert_eq!(docs.len(), 3);
        let mut found = Vec::new();
        for q in queries {
            found.push(matching(&pool, q).await);
        }
        assert_eq!(found[0], ["KM-A"]);
        assert_eq!(found[3], ["KM-C", "KM-B", "KM-A"]);
        assert_eq!(found[7], ["KM-B"]);

        super::super::SQLITE_MIGRATIONS.run(&pool).await.unwrap();
        assert_eq!(documents(&pool).await, docs);
        for (q, before) in queries.iter().zip(&found) {
            assert_eq!(&matching(&pool, q).await, before, "{q}");
        }
        let table: String = sqlx::query_scalar(
            "SELECT sql FROM sqlite_master WHERE name = 'certificate_fts' AND type = 'table'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(table.contains("prefix = '3 4 5 6 7 8 9 10'"), "{table}");

        // The triggers: a new certificate is indexed, a change of state rewrites its facet.
        insert_certificate(&pool, "KM-D", "p2").await;
        assert_eq!(
            matching(&pool, "body : (\"heizungsr\"*)").await,
            ["KM-D", "KM-B"]
        );
        pool.execute("UPDATE certificates SET state = 'suspended' WHERE id = 'KM-D'")
            .await
            .unwrap();
        assert_eq!(
            matching(
                &pool,
                "body : (\"heizungs\"*) AND facets : (t73757370656e646564)"
            )
            .await,
            ["KM-D", "KM-B"]
        );
    }
}
