//! Searching and browsing labels as a retailer or a consumer does (issue 13 item 5): by words of
//! the product's name, model, manufacturer, category or GTIN or the certificate id, narrowed by
//! scheme, level, lifecycle state, category, manufacturer and member state; each result with its
//! live label status.
//!
//! A page is one statement: the matches with their product, maker, image and the status word of
//! each certificate's read-model row, taken only where a lookup would serve that row
//! (`ServedRule`, as the status list takes it); every other certificate on the page is evaluated
//! as a lookup evaluates it (serve or fold and store).

use keurmerk_domain::ids::{LevelId, OrgId, SchemeId};
use keurmerk_domain::lifecycle::State;
use keurmerk_domain::model::Category;
use keurmerk_domain::status::LabelStatus;
use keurmerk_store::search::{query_terms, LabelHit, LabelSearch, SearchStore};
use keurmerk_store::RegistryStore;

use crate::error::invalid;
use crate::{Registry, ServiceResult};

/// Most results in one page.
pub const MAX_SEARCH_LIMIT: i64 = 50;

/// What a person searches for. Every `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct LabelQuery {
    /// Free text (at most `keurmerk_store::search::MAX_QUERY_CHARS` characters).
    pub text: Option<String>,
    /// Only this scheme.
    pub scheme: Option<SchemeId>,
    /// Only this level (of any scheme that has it).
    pub level: Option<LevelId>,
    /// Only certificates in this lifecycle state.
    pub state: Option<State>,
    /// Only this product category.
    pub category: Option<Category>,
    /// Only this manufacturer's products.
    pub manufacturer: Option<OrgId>,
    /// Only labels of schemes that apply in this member state (ISO 3166-1 alpha-2).
    pub member_state: Option<String>,
    /// At most this many (1 to [`MAX_SEARCH_LIMIT`]).
    pub limit: i64,
    /// Skip this many.
    pub offset: i64,
}

/// A page of labels found.
#[derive(Debug, Clone)]
pub struct LabelPage {
    /// The labels, at most the query's `limit`.
    pub items: Vec<LabelResult>,
    /// Whether there are more after them.
    pub more: bool,
}

/// One label found, with its live status.
#[derive(Debug, Clone)]
pub struct LabelResult {
    /// The certificate and what the list shows of its product (its image included).
    pub hit: LabelHit,
    /// Its label status now: the word a lookup of the certificate would answer with (the
    /// hit's stored word where it is served, else what a lookup evaluates).
    pub status: LabelStatus,
}

impl<S: RegistryStore + SearchStore + keurmerk_store::ImageStore> Registry<S> {
    /// Labels matching `q`, newest first, each with its live status (computed for the page's
    /// labels only). A query text that is too
    /// long, an unknown scheme, a level the chosen scheme does not have, or a member state no
    /// scheme knows is refused with an error naming it (never silently widened).
    pub async fn search_labels(&self, q: &LabelQuery) -> ServiceResult<LabelPage> {
        if !(1..=MAX_SEARCH_LIMIT).contains(&q.limit) || q.offset < 0 {
            return Err(invalid(
                "limit",
                format!("must be 1 to {MAX_SEARCH_LIMIT} with an offset of 0 or more"),
            ));
        }
        let terms = match &q.text {
            Some(t) => query_terms(t).map_err(|e| invalid("q", e.to_string()))?,
            None => Vec::new(),
        };
        let catalogue = self.catalogue();
        if let Some(scheme) = &q.scheme {
            let s = catalogue
                .get(scheme)
                .ok_or_else(|| invalid("scheme", format!("no scheme `{scheme}`")))?;
            if let Some(level) = &q.level {
                if s.level(level).is_none() {
                    return Err(invalid(
                        "level",
                        format!("scheme `{scheme}` has no level `{level}`"),
                    ));
                }
            }
        } else if let Some(level) = &q.level {
            if !catalogue.iter().any(|s| s.level(level).is_some()) {
                return Err(invalid("level", format!("no scheme has a level `{level}`")));
            }
        }
        let schemes = match &q.member_state {
            None => q.scheme.clone().map(|s| vec![s]),
            Some(raw) => {
                let ms = keurmerk_domain::jurisdiction::check_member_state(catalogue, raw)
                    .map_err(|e| invalid("member_state", e.to_string()))?;
                Some(
                    catalogue
                        .iter()
                        .filter(|s| s.applies_in(&ms))
                        .filter(|s| q.scheme.as_ref().is_none_or(|want| &s.id == want))
                        .map(|s| s.id.clone())
                        .collect(),
                )
            }
        };
        let rule = self.served_rule().await?;
        let hits = self
            .store()
            .search_labels(&LabelSearch {
                terms,
                schemes,
                level: q.level.clone(),
                states: q.state.map(|s| vec![s]),
                category: q.category,
                manufacturer: q.manufacturer.clone(),
                limit: q.limit + 1,
                offset: q.offset,
                rule: Some(rule),
            })
            .await?;
        let more = hits.len() as i64 > q.limit;
        let shown = usize::try_from(q.limit).unwrap_or(0);
        let mut items = Vec::with_capacity(hits.len().min(shown));
        // The extra hit only says there is more.
        for hit in hits.into_iter().take(shown) {
            let status = match hit.status {
                Some(word) => word,
                None => {
                    self.status_from_read_model(&hit.certificate.id)
                        .await?
                        .status
                }
            };
            items.push(LabelResult { hit, status });
        }
        Ok(LabelPage { items, more })
    }
}
