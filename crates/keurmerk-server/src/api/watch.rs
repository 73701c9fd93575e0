//! Watch-lists: anyone may create one (rate-limited per address) and gets its management key
//! and webhook secret once; everything else needs `Authorization: Bearer kmw_<WL-ID>_<secret>`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use keurmerk_domain::ids::RecordId;
use keurmerk_domain::watch::WatchKind;
use keurmerk_service::{DeliveryLog, WatchGrant};
use keurmerk_store::{Delivery, WatchItem, Watchlist, WebhookVerification};
use serde::{Deserialize, Serialize};

use super::{parse_id, Page, PageQuery, Route};
use crate::auth::{Secret, WatchKey};
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath, ApiQuery, NoBody};
use crate::ops::{ClientKey, Runtime};
use crate::AppState;

/// The watch-list routes.
pub fn routes() -> Vec<Route> {
    use super::route;
    use super::Access::{Public, WatchKey as Key};
    vec![
        route!(POST "/api/v1/watchlists", create_watchlist, "watchlists", Public, Json, "Create a watch-list (optionally with a webhook); its key and webhook secret are shown once",
            body = r#"{"name":"Suppliers of plant 3","webhook_url":"https://hooks.example.com/keurmerk","items":[{"kind":"organisation","target":"acme-devices"}]}"#),
        route!(GET "/api/v1/watchlists/{id}", get_watchlist, "watchlists", Key, Json, "A watch-list with its items"),
        route!(DELETE "/api/v1/watchlists/{id}", delete_watchlist, "watchlists", Key, Json, "Delete a watch-list with its delivery log"),
        route!(POST "/api/v1/watchlists/{id}/items", create_watch_item, "watchlists", Key, Json, "Follow a certificate, product or organisation",
            body = r#"{"kind":"certificate","target":"EU-IOT-2026-000001"}"#),
        route!(DELETE "/api/v1/watchlists/{id}/items/{kind}/{target}", delete_watch_item, "watchlists", Key, Json, "Stop following something"),
        route!(PUT "/api/v1/watchlists/{id}/webhook", put_webhook, "watchlists", Key, Json, "Set or change the webhook (a new secret is shown once) or remove it with null",
            body = r#"{"url":"https://hooks.example.com/keurmerk"}"#),
        route!(POST "/api/v1/watchlists/{id}/webhook/verify", verify_webhook, "watchlists", Key, Json, "Start the webhook's confirmation handshake again (events are held until the target echoes the challenge)"),
        route!(GET "/api/v1/watchlists/{id}/deliveries", list_deliveries, "watchlists", Key, Json, "The webhook delivery log, newest first", query = &["limit", "offset"]),
        route!(GET "/api/v1/watchlists/{id}/deliveries/{delivery}", get_delivery, "watchlists", Key, Json, "One delivery with every attempt"),
        route!(POST "/api/v1/watchlists/{id}/deliveries/{delivery}/redeliver", redeliver, "watchlists", Key, Json, "Send a delivered or failed delivery again"),
        route!(GET "/api/v1/watchlists/{id}/feed.atom", get_watch_feed, "watchlists", Key, Atom, "Atom feed of the status changes the watch-list follows"),
    ]
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ItemIn {
    kind: WatchKind,
    target: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WatchlistIn {
    name: String,
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default)]
    items: Vec<ItemIn>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct WatchlistOut {
    #[serde(flatten)]
    watchlist: Watchlist,
    /// The webhook's confirmation handshake (absent without a webhook): events are sent only
    /// once it is `confirmed`.
    webhook_verification: Option<WebhookVerification>,
    items: Vec<WatchItem>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct WatchlistCreated {
    #[serde(flatten)]
    watchlist: WatchlistOut,
    /// The management key (`Authorization: Bearer …`). Shown once; only its hash is stored.
    key: String,
    /// The HMAC secret of the webhook signatures. Shown once.
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for WatchlistCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchlistCreated")
            .field("watchlist", &self.watchlist)
            .finish_non_exhaustive()
    }
}

fn grant<'g>(state: &AppState, key: &'g WatchKey, id: &str) -> Result<&'g WatchGrant, ApiError> {
    let id: RecordId = parse_id(id)?;
    Ok(state.registry.grant_for(&key.0, &id)?)
}

async fn view(state: &AppState, g: &WatchGrant) -> Result<WatchlistOut, ApiError> {
    let (watchlist, items) = state.registry.watchlist(g).await?;
    let webhook_verification = state.registry.webhook_status(g).await?;
    Ok(WatchlistOut {
        watchlist,
        webhook_verification,
        items,
    })
}

pub(crate) async fn create_watchlist(
    State(state): State<AppState>,
    Extension(rt): Extension<Arc<Runtime>>,
    Extension(ClientKey(client)): Extension<ClientKey>,
    ApiJson(w): ApiJson<WatchlistIn>,
) -> Result<(StatusCode, Json<WatchlistCreated>), ApiError> {
    if !rt.new_watchlists.check(&client) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many new watch-lists from this address; try again later",
        ));
    }
    if w.items.len() > keurmerk_service::MAX_WATCH_ITEMS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "invalid items: at most {} per watch-list",
                keurmerk_service::MAX_WATCH_ITEMS
            ),
        ));
    }
    let key = Secret::generate();
    let hook_secret = w
        .webhook_url
        .as_ref()
        .map(|_| Secret::generate().webhook_secret());
    let (list, g) = state
        .registry
        .create_watchlist(
            &w.name,
            w.webhook_url.as_deref(),
            key.sha256(),
            hook_secret.clone(),
        )
        .await?;
    for item in &w.items {
        if let Err(e) = state.registry.watch(&g, item.kind, &item.target).await {
            // All or nothing: a watch-list with half its items would surprise its owner.
            state.registry.delete_watchlist(g).await?;
            return Err(e.into());
        }
    }
    Ok((
        StatusCode::CREATED,
        Json(WatchlistCreated {
            key: key.watch_key(&list.id),
            webhook_secret: hook_secret,
            watchlist: view(&state, &g).await?,
        }),
    ))
}

pub(crate) async fn get_watchlist(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<WatchlistOut>, ApiError> {
    let g = grant(&state, &key, &id)?;
    Ok(Json(view(&state, g).await?))
}

/// What a deletion answers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Deleted {
    /// The deleted watch-list.
    deleted: RecordId,
}

pub(crate) async fn delete_watchlist(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Deleted>, ApiError> {
    let g = grant(&state, &key, &id)?.clone();
    let deleted = g.id().clone();
    state.registry.delete_watchlist(g).await?;
    Ok(Json(Deleted { deleted }))
}

pub(crate) async fn create_watch_item(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(item): ApiJson<ItemIn>,
) -> Result<(StatusCode, Json<WatchlistOut>), ApiError> {
    let g = grant(&state, &key, &id)?;
    let added = state.registry.watch(g, item.kind, &item.target).await?;
    let code = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(view(&state, g).await?)))
}

pub(crate) async fn delete_watch_item(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath((id, kind, target)): ApiPath<(String, String, String)>,
) -> Result<Json<WatchlistOut>, ApiError> {
    let g = grant(&state, &key, &id)?;
    let kind: WatchKind = kind
        .parse()
        .map_err(|e: keurmerk_domain::model::UnknownValue| ApiError::bad_request(e.to_string()))?;
    state.registry.unwatch(g, kind, &target).await?;
    Ok(Json(view(&state, g).await?))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookIn {
    url: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct WebhookOut {
    webhook_url: Option<String>,
    /// The new HMAC secret; shown once.
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for WebhookOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookOut")
            .field("webhook_url", &self.webhook_url)
            .finish_non_exhaustive()
    }
}

pub(crate) async fn put_webhook(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
    ApiJson(w): ApiJson<WebhookIn>,
) -> Result<Json<WebhookOut>, ApiError> {
    let g = grant(&state, &key, &id)?;
    let secret = w.url.as_ref().map(|_| Secret::generate().webhook_secret());
    state
        .registry
        .set_webhook(g, w.url.as_deref(), secret.clone())
        .await?;
    let (list, _) = state.registry.watchlist(g).await?;
    Ok(Json(WebhookOut {
        webhook_url: list.webhook_url,
        webhook_secret: secret,
    }))
}

pub(crate) async fn verify_webhook(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
    _: NoBody,
) -> Result<Json<WebhookVerification>, ApiError> {
    let g = grant(&state, &key, &id)?;
    Ok(Json(state.registry.reverify_webhook(g).await?))
}

pub(crate) async fn list_deliveries(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<Delivery>>, ApiError> {
    let g = grant(&state, &key, &id)?;
    let items = state
        .registry
        .deliveries(g, q.limit() + 1, q.offset())
        .await?;
    Ok(Json(Page::new(items, q)))
}

fn delivery_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request(format!("`{s}` is not a delivery number")))
}

pub(crate) async fn get_delivery(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath((id, delivery)): ApiPath<(String, String)>,
) -> Result<Json<DeliveryLog>, ApiError> {
    let g = grant(&state, &key, &id)?;
    Ok(Json(
        state
            .registry
            .delivery_log(g, delivery_id(&delivery)?)
            .await?,
    ))
}

pub(crate) async fn redeliver(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath((id, delivery)): ApiPath<(String, String)>,
    _: NoBody,
) -> Result<Json<Delivery>, ApiError> {
    let g = grant(&state, &key, &id)?;
    Ok(Json(
        state.registry.redeliver(g, delivery_id(&delivery)?).await?,
    ))
}

pub(crate) async fn get_watch_feed(
    State(state): State<AppState>,
    key: WatchKey,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let g = grant(&state, &key, &id)?;
    let (list, _) = state.registry.watchlist(g).await?;
    let events = state
        .registry
        .watch_events(g, usize::try_from(crate::feed::FEED_LEN).unwrap_or(50))
        .await?;
    // The feed's language follows Accept-Language (this API route takes no `?lang=`).
    let l = crate::pages::lang_of(&crate::pages::PageLang::default(), &headers);
    Ok(crate::feed::watch_feed(
        &state,
        l,
        format!("Keurmerk: {}", list.name),
        &format!("/api/v1/watchlists/{}/feed.atom", list.id),
        events,
        &headers,
    )
    .await?)
}
