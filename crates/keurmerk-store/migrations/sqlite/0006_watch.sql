-- Watch-lists and their webhooks. Forward-only: never edit a migration that has shipped.

-- A watch-list: followed certificates, products and organisations. Managed with a key of which
-- only the SHA-256 is stored; the webhook secret signs deliveries (HMAC), so it is kept as is.
CREATE TABLE watchlists (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_sha256 TEXT NOT NULL,
    webhook_url TEXT,
    webhook_secret TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE watch_items (
    watchlist_id TEXT NOT NULL REFERENCES watchlists(id),
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (watchlist_id, kind, target)
);
CREATE INDEX watch_items_target ON watch_items(kind, target);

-- One delivery per watch-list and certificate event, queued in the transaction that appends the
-- event (so no status change is ever missed). `payload` is fixed at the first attempt so every
-- retry sends the same bytes. `round_start` is `attempts` when the current round of retries began
-- (a redelivery starts a new round).
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    watchlist_id TEXT NOT NULL REFERENCES watchlists(id),
    event_seq INTEGER NOT NULL,
    certificate_id TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    round_start INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    payload TEXT,
    UNIQUE (watchlist_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries(watchlist_id, id);

-- Every attempt: the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id),
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
