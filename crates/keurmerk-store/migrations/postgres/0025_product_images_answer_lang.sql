-- Issue 13 items 5 and 6. Forward-only.
--
-- Product images for the search results' image slot. The registry keeps and serves the image
-- itself (no third-party request from a visitor's phone). Images are stored by content: the
-- key is the SHA-256 of the bytes, so a URL names exactly one image for ever and can be cached
-- as immutable; the same picture uploaded twice is stored once. Only PNG and JPEG whose header
-- decoded to the recorded size within the limits (keurmerk_label::product_image) ever get here.
CREATE TABLE images (
    sha256 TEXT PRIMARY KEY,
    media_type TEXT NOT NULL CHECK (media_type IN ('image/png', 'image/jpeg')),
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    data BYTEA NOT NULL,
    created_at TEXT NOT NULL
);
-- A product's current image (one at most); replacing it keeps the old bytes, whose URL was
-- published with an immutable cache lifetime.
CREATE TABLE product_images (
    product_id TEXT PRIMARY KEY REFERENCES products(id),
    sha256 TEXT NOT NULL REFERENCES images(sha256),
    set_at TEXT NOT NULL
);

-- The language of a complaint's answer (en, nl, de, fr), stated by the authority; the
-- complainant's page marks the answer with it. NULL for answers given before: English.
ALTER TABLE complaints ADD COLUMN answer_lang TEXT
    CHECK (answer_lang IS NULL OR answer_lang IN ('en', 'nl', 'de', 'fr'));

-- Sessions of the authority's complaint pages (issue 13 item 6). A national authority signs in
-- with its API token; the browser then holds only a random session id (256 bits) in a cookie,
-- of which the database keeps the SHA-256, so neither the cookie nor a copy of this table gives
-- the API token away. A session ends at `expires_at` (8 hours after sign-in), at sign-out, or as
-- soon as its token is revoked. `csrf` is the session's form token.
CREATE TABLE page_sessions (
    id_sha256 TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    token_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX page_sessions_expiry ON page_sessions(expires_at);
