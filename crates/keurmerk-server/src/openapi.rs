//! The OpenAPI 3.1 document, generated from the route table ([`crate::all_routes`]) plus the
//! routes mounted by hand ([`EXTERNAL`]).
//!
//! Request and response bodies are JSON Schemas (2020-12, the dialect of OpenAPI 3.1) generated
//! by `schemars` from the very types the handlers (de)serialise, read off each handler's
//! signature (`api::schema`). Named types go to `components/schemas` and are referenced with
//! `$ref`. Responses are described as they are serialised and requests as they are deserialised
//! (a field with a default may be left out of a request); where the two differ for one type, the
//! request variant is named `<Type>Input`.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::api::schema::SchemaFn;
use crate::api::{Access, Produces, Route};

/// Where named schemas live in the document.
const COMPONENTS: &str = "#/components/schemas/";

/// Marks a request schema whose body may be empty (`OptionalJson`); removed from the document.
pub(crate) const OPTIONAL_BODY: &str = "x-keurmerk-optional-body";

fn media(p: Produces) -> &'static str {
    match p {
        Produces::Json => "application/json",
        Produces::Html => "text/html",
        Produces::Atom => "application/atom+xml",
        Produces::Text => "text/plain",
        Produces::Css => "text/css",
    }
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn text_error(description: &str) -> Value {
    json!({"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}})
}

fn generator(serialize: bool) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    });
    if serialize {
        settings.for_serialize().into_generator()
    } else {
        settings.for_deserialize().into_generator()
    }
}

/// Two generators: responses as serialised, requests as deserialised.
struct Schemas {
    response: SchemaGenerator,
    request: SchemaGenerator,
}

impl Schemas {
    fn response(&mut self, f: SchemaFn) -> Option<Value> {
        f(&mut self.response).map(Schema::to_value)
    }

    fn request(&mut self, f: SchemaFn) -> Option<Value> {
        f(&mut self.request).map(Schema::to_value)
    }

    /// The merged `components/schemas`, and the request names that had to be renamed.
    fn finish(mut self) -> (Map<String, Value>, BTreeMap<String, String>) {
        let mut all = self.response.take_definitions(true);
        let requests = self.request.take_definitions(true);
        // A request type differs from its response namesake, or refers to one that does: to a
        // fixpoint, since renaming one type changes the types that refer to it.
        let mut renamed: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let differing: Vec<String> = requests
                .iter()
                .filter(|(name, _)| !renamed.contains_key(*name))
                .filter(|(name, def)| {
                    let mut def = (*def).clone();
                    rename_refs(&mut def, &renamed);
                    all.get(*name).is_some_and(|d| *d != def)
                })
                .map(|(name, _)| name.clone())
                .collect();
            if differing.is_empty() {
                break;
            }
            for name in differing {
                let input = format!("{name}Input");
                renamed.insert(name, input);
            }
        }
        for (name, mut def) in requests {
            rename_refs(&mut def, &renamed);
            let name = renamed.get(&name).cloned().unwrap_or(name);
            all.insert(name, def);
        }
        (all, renamed)
    }
}

/// Points `$ref`s at renamed request schemas.
fn rename_refs(v: &mut Value, renamed: &BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref") {
                if let Some(new) = r
                    .strip_prefix(COMPONENTS)
                    .and_then(|name| renamed.get(name))
                {
                    *r = format!("{COMPONENTS}{new}");
                }
            }
            m.values_mut().for_each(|x| rename_refs(x, renamed));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rename_refs(x, renamed)),
        _ => {}
    }
}

/// The schema of a path parameter, from the parser that reads it (`keurmerk_domain::ids` and the
/// handlers); `None` for a parameter this table does not know (a test fails on it).
pub(crate) fn path_param(path: &str, name: &str, g: &mut SchemaGenerator) -> Option<Value> {
    use keurmerk_domain::ids::{CertificateId, LevelId, OrgId, RecordId, SchemeId};
    let before = path
        .split('/')
        .take_while(|seg| *seg != format!("{{{name}}}"))
        .last()
        .unwrap_or("");
    let schema = match (name, before) {
        ("id", "certificates" | "c") => g.subschema_for::<CertificateId>(),
        (
            "id",
            "products" | "versions" | "assessments" | "tokens" | "watchlists" | "complaints",
        ) => g.subschema_for::<RecordId>(),
        ("id", "organisations" | "org") | ("body", _) => g.subschema_for::<OrgId>(),
        ("id", "schemes") | ("scheme", _) => g.subschema_for::<SchemeId>(),
        ("level", _) => g.subschema_for::<LevelId>(),
        ("version", _) => g.subschema_for::<RecordId>(),
        ("sha256", "status-list") => {
            return Some(json!({
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "The SHA-256 of the status list's token as served, lowercase hex",
            }))
        }
        ("sha256", _) => {
            return Some(json!({
                "type": "string",
                "pattern": "^[0-9a-f]{64}$",
                "description": "The image's SHA-256, lowercase hex",
            }))
        }
        // Anything that is not a known reference, well-formed or not, is the same 404.
        ("reference", _) => {
            return Some(json!({
                "type": "string",
                "pattern": "^[0-9A-Fa-f]{32}$",
                "description": "The complaint's reference, as given when it was filed (32 hex digits, any case)",
            }))
        }
        ("id", "vulnerabilities") => {
            return Some(json!({
                "type": "string",
                "pattern": crate::api::monitoring::VULNERABILITY_ID_PATTERN,
                "description": "An OSV id or CVE, e.g. CVE-2024-3094 or GHSA-xxxx-xxxx-xxxx",
            }))
        }
        ("kind", _) => g.subschema_for::<keurmerk_domain::watch::WatchKind>(),
        ("report", _) => g.subschema_for::<keurmerk_domain::cra::CraKind>(),
        ("vulnerability", _) => {
            return Some(json!({
                "type": "string",
                "pattern": crate::api::monitoring::VULNERABILITY_ID_PATTERN,
                "description": "The vulnerability as the certificate shows it, e.g. CVE-2024-3094",
            }))
        }
        ("target", _) => {
            return Some(json!({
                "type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9-]+$",
                "description": "The certificate, product or organisation id followed",
            }))
        }
        ("delivery", _) => {
            return Some(json!({"type": "integer", "minimum": 1, "maximum": i64::MAX}))
        }
        ("path", "tile") => {
            // The canonical encoding `keurmerk_tlog::tile::parse_tile_path` accepts: level
            // 0-63 without leading zeros, groups of three digits with `x` on all but the last
            // and no leading zero group (indexes below 10^18), a partial width of 1-255.
            return Some(json!({
                "type": "string",
                "pattern": "^(entries|[0-9]|[1-5][0-9]|6[0-3])/(x(00[1-9]|0[1-9][0-9]|[1-9][0-9]{2})/(x[0-9]{3}/){0,4})?[0-9]{3}(\\.p/([1-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5]))?$",
                "description": "`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` (C2SP tlog-tiles)",
            }));
        }
        _ => return None,
    };
    Some(schema.to_value())
}

/// The schema of a query parameter of the API (pages read `lang` leniently: see below).
pub(crate) fn query_param(op: &str, name: &str, g: &mut SchemaGenerator) -> Value {
    use crate::api::{MAX_LIMIT, MAX_OFFSET};
    use keurmerk_domain::ids::{OrgId, RecordId, SchemeId};
    match name {
        "limit" if op == "list_audit" => json!({
            "type": "integer", "minimum": 1, "maximum": crate::api::orgs::MAX_AUDIT_LIMIT, "default": 100
        }),
        "limit" if op == "search_labels" => json!({
            "type": "integer", "minimum": 1, "maximum": keurmerk_service::MAX_SEARCH_LIMIT,
            "default": crate::api::labels::DEFAULT_SEARCH_LIMIT
        }),
        "limit" => json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}),
        "q" if op == "search_labels" => json!({
            "type": "string", "maxLength": keurmerk_store::search::MAX_QUERY_CHARS,
            "description": "Words; all must match (at most 8 words): as whole words when some label has them all, else each of three or more characters as a prefix"
        }),
        "state" => g
            .subschema_for::<keurmerk_domain::lifecycle::State>()
            .to_value(),
        "category" => g
            .subschema_for::<keurmerk_domain::model::Category>()
            .to_value(),
        "level" => g
            .subschema_for::<keurmerk_domain::ids::LevelId>()
            .to_value(),
        "member_state" => json!({"type": "string", "pattern": "^[A-Z]{2}$",
                                 "description": "ISO 3166-1 alpha-2 code, e.g. NL; only labels of schemes that apply there"}),
        "offset" => json!({"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}),
        "before" => json!({"type": "integer", "minimum": 1, "maximum": i64::MAX,
                           "description": "`next_before` of the previous page"}),
        "lang" => json!({"type": "string", "enum": LANGS}),
        "until" => json!({"type": "string", "format": "date"}),
        "at" => json!({"type": "string", "format": "date",
                       "description": "The day to answer for, YYYY-MM-DD (default: today)"}),
        "markets" => {
            let codes = keurmerk_domain::scheme::Catalogue::shipped()
                .map(|c| crate::api::products::market_codes(&c))
                .unwrap_or_default()
                .join("|");
            json!({"type": "string",
                   "pattern": format!("^({codes})(,({codes})){{0,{}}}$", keurmerk_domain::recognition::MAX_MARKETS - 1),
                   "description": "Comma-separated markets: EU, UK (read as GB), an EU or EEA state or a scheme's jurisdiction, e.g. EU,DE,UK,SG (default: every market the schemes name)"})
        }
        "version" if op == "get_certificate_status" => json!({"type": "string",
            "description": "The version on the device (as the maker names it): the answer is for that version — covered or not, its open security problems, the covered update that fixes them. 1 to 100 characters without control characters, else 422; not with the signed status (422)"}),
        "signed" => json!({"type": "string", "enum": ["true", "false", "1", "0"],
                           "description": "`true` or `1`: the signed status (docs/FORMATS.md §7)"}),
        "product" => g.subschema_for::<RecordId>().to_value(),
        "certificate" => g
            .subschema_for::<keurmerk_domain::ids::CertificateId>()
            .to_value(),
        "holder" | "manufacturer" => g.subschema_for::<OrgId>().to_value(),
        "scheme" => g.subschema_for::<SchemeId>().to_value(),
        _ => json!({"type": "string"}),
    }
}

const LANGS: [&str; 4] = ["en", "nl", "de", "fr"];

/// Read operations that refuse a well-formed query with `422` (`keurmerk_service::search`).
const SEARCHES: &[&str] = &["search_labels"];

/// Operations whose success answer has a second status besides the one of their return type.
const ALSO_SUCCEEDS: &[(&str, &str, &str)] = &[
    (
        "create_watch_item",
        "200",
        "Already followed: nothing changed",
    ),
    ("post_complaint", "201", "Complaint filed"),
];

fn operation(r: &Route, schemas: &mut Schemas) -> Value {
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = path_param(r.path, name, &mut schemas.response)
                .unwrap_or_else(|| json!({"type": "string"}));
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    // Pages answer errors as HTML pages; everything else in the JSON envelope.
    let api = r.produces != Produces::Html;
    for q in r.query {
        // Feeds, like pages, read `lang` leniently (an unknown one gives English).
        let lenient = !api || r.produces == Produces::Atom;
        let schema = if !lenient {
            query_param(r.op, q, &mut schemas.response)
        } else if *q == "lang" {
            json!({"type": "string", "description": "en, nl, de or fr; another value is ignored"})
        } else {
            json!({"type": "string"})
        };
        params.push(json!({"name": q, "in": "query", "required": false, "schema": schema}));
    }
    let credentialed = matches!(r.access, Access::Token(_) | Access::WatchKey);
    let write = r.method != axum::http::Method::GET;
    if credentialed && write {
        params.push(json!({
            "name": "Idempotency-Key", "in": "header", "required": false,
            "description": "Retry with the same key to get the first answer instead of writing again \
                            (per credential; 1-255 visible ASCII characters)",
            "schema": {"type": "string", "minLength": 1, "maxLength": crate::idempotency::MAX_KEY_LEN,
                       "pattern": "^[!-~]+$"},
        }));
    }
    let request = schemas.request(r.request);
    let has_body = request.is_some();
    let mut responses = Map::new();
    let content = match (r.produces, schemas.response(r.response)) {
        (Produces::Json, Some(schema)) => json!({"application/json": {"schema": schema}}),
        (Produces::Json, None) => json!({"application/json": {}}),
        (p, _) => json!({ media(p): {"schema": {"type": "string"}} }),
    };
    responses.insert(
        r.success.to_string(),
        json!({"description": "Success", "content": content.clone()}),
    );
    for (op, code, description) in ALSO_SUCCEEDS {
        if *op == r.op {
            responses.insert(
                (*code).into(),
                json!({"description": description, "content": content}),
            );
        }
    }
    let error = |description: &str| {
        if api {
            error_response(description)
        } else {
            json!({"description": description, "content": {"text/html": {"schema": {"type": "string"}}}})
        }
    };
    // Every request can be malformed: a Content-Length that is not a number, a parameter, an id.
    responses.insert(
        "400".into(),
        error("Malformed request: id, parameter, header or body (named in the message)"),
    );
    if !api {
        // A query string the page cannot read at all (a parameter given twice) is refused by
        // the framework's extractor in plain text, before the page is rendered.
        responses.insert(
            "400".into(),
            json!({"description": "Malformed request", "content": {
                "text/html": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}}
            }}),
        );
    }
    // The database cannot be used for the moment (`ApiError::unavailable`).
    let mut busy = error(
        "The register's database is busy or cannot be reached for the moment (`unavailable`); \
         retry after `Retry-After` seconds",
    );
    let retry_after = json!({"Retry-After": {"schema": {"type": "integer"}}});
    busy["headers"] = retry_after.clone();
    responses.insert("503".into(), busy);
    // Not found: the path's resource, one a write refers to (a product, version, scheme), or
    // the certificate a listing is filtered by.
    if r.path.contains('{')
        || has_body
        || (credentialed && write)
        || r.query.contains(&"certificate")
    {
        responses.insert("404".into(), error("Not found"));
    }
    let mut op = Map::new();
    op.insert("operationId".into(), json!(r.op));
    op.insert("summary".into(), json!(r.summary));
    op.insert("tags".into(), json!([r.tag]));
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(mut schema) = request {
        let optional = schema
            .as_object_mut()
            .and_then(|m| m.remove(OPTIONAL_BODY))
            .is_some();
        let mut content = Map::new();
        if r.op == "attach_sbom" || r.op == "publish_vex" {
            // `Document`: the JSON alternative as JSON, the XML one (CycloneDX) as XML.
            let alternatives = schema["anyOf"].as_array().cloned().unwrap_or_default();
            let pick = |t: &str| {
                alternatives
                    .iter()
                    .find(|a| a["type"] == t)
                    .cloned()
                    .unwrap_or_else(|| json!({"type": t}))
            };
            let mut media = Map::new();
            media.insert("schema".into(), pick("object"));
            if let Some(example) = r.body.and_then(|b| serde_json::from_str::<Value>(b).ok()) {
                media.insert("example".into(), example);
            }
            content.insert("application/json".into(), Value::Object(media));
            content.insert("application/xml".into(), json!({"schema": pick("string")}));
        } else if r.op == "put_product_image" {
            // `ImageUpload`: the file as is; its bytes decide what it is.
            for media in ["image/png", "image/jpeg", "application/octet-stream"] {
                content.insert(media.into(), json!({ "schema": schema.clone() }));
            }
        } else {
            let mut media = Map::new();
            media.insert("schema".into(), schema);
            if let Some(example) = r.body.and_then(|b| serde_json::from_str::<Value>(b).ok()) {
                media.insert("example".into(), example);
            }
            content.insert("application/json".into(), Value::Object(media));
        }
        op.insert(
            "requestBody".into(),
            json!({"required": !optional, "content": content}),
        );
        responses.insert(
            "413".into(),
            error_response(&format!(
                "Body larger than {} MiB",
                r.max_body / (1024 * 1024)
            )),
        );
        responses.insert(
            "415".into(),
            error_response("The body's Content-Type is not one of the request's media types"),
        );
    }
    if SEARCHES.contains(&r.op) {
        responses.insert(
            "422".into(),
            error_response(
                "Well-formed but refused (named in the message): a search text of more than 8 \
                 words, a scheme, level or member state the registry does not know",
            ),
        );
    }
    if has_body || (credentialed && write) {
        responses.insert(
            "422".into(),
            error_response(
                "Well-formed but refused: a field (named in the message) breaks a rule the \
                 schema cannot state, such as a requirement id of another scheme level",
            ),
        );
    }
    if let Access::Token(roles) = r.access {
        op.insert("security".into(), json!([{"bearer": []}]));
        op.insert("x-roles".into(), json!(roles));
        responses.insert(
            "401".into(),
            error_response("Missing, unknown or revoked API token"),
        );
        responses.insert(
            "403".into(),
            error_response("The token's organisation may not do this"),
        );
        if write {
            responses.insert(
                "409".into(),
                error_response("Conflict or lifecycle transition refused; nothing was written"),
            );
            let mut busy = error_response(
                "The transparency log did not confirm the write in time (`log_unavailable`), or \
                 the database is busy or cannot be reached (`unavailable`, with `Retry-After`)",
            );
            busy["headers"] = retry_after.clone();
            responses.insert("503".into(), busy);
        }
    }
    if r.access == Access::WatchKey {
        op.insert("security".into(), json!([{"watchKey": []}]));
        responses.insert(
            "401".into(),
            error_response("Missing, unknown or wrong watch-list key"),
        );
        responses.insert(
            "403".into(),
            error_response("The key is for another watch-list"),
        );
    }
    if write {
        responses.insert(
            "429".into(),
            error("Too many writes; retry after `Retry-After` seconds"),
        );
    }
    if r.op == "post_complaint" {
        // The page's form (`pages::complaint::ComplaintForm`), posted by browsers.
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object",
                "required": ["csrf", "body"],
                "properties": {
                    "csrf": {"type": "string", "description": "The token of the form page"},
                    "lang": {"type": "string"},
                    "body": {"type": "string", "description": "The complaint"},
                    "contact": {"type": "string", "description": "How to reach the complainant (optional)"}
                }
            }}}}),
        );
        responses.insert(
            "403".into(),
            error("The form is stale or was sent from another site"),
        );
        responses.insert(
            "413".into(),
            error_response(&format!(
                "Form larger than {} MiB",
                r.max_body / (1024 * 1024)
            )),
        );
        responses.insert(
            "409".into(),
            error("This form was sent already (each form token is accepted once); a new form is in the page"),
        );
        responses.insert(
            "422".into(),
            error("A field of the form is missing, too long or not an e-mail address, or no authority in the register receives complaints about this label (the page says where to go instead)"),
        );
    }
    if r.path.starts_with("/authority/") {
        authority_page(r, &mut op, &mut responses);
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// The authority's complaint pages (`pages::authority`): a session cookie, form posts with the
/// session's form token, redirects after each post.
fn authority_page(r: &Route, op: &mut Map<String, Value>, responses: &mut Map<String, Value>) {
    let html = |description: &str| json!({"description": description, "content": {"text/html": {"schema": {"type": "string"}}}});
    let redirect = |description: &str| json!({"description": description, "headers": {"Location": {"schema": {"type": "string"}}}});
    let form = |required: &[&str], properties: Value| {
        json!({"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": required, "properties": properties
        }}}})
    };
    if r.method == axum::http::Method::POST {
        responses.insert(
            "413".into(),
            html(&format!(
                "Form larger than {} MiB",
                r.max_body / (1024 * 1024)
            )),
        );
        responses.insert(
            "415".into(),
            json!({"description": "Not a form post (`Content-Type: application/x-www-form-urlencoded`)",
                   "content": {"text/plain": {"schema": {"type": "string"}}}}),
        );
    }
    match (r.method.as_str(), r.op) {
        ("GET", "get_authority_login") => {}
        ("GET", _) => {
            responses.insert("303".into(), redirect("Not signed in: to the sign-in page"));
            responses.insert(
                "403".into(),
                html("The signed-in authority may not read this complaint"),
            );
            responses.insert("404".into(), html("No such complaint"));
        }
        ("POST", "post_authority_login") => {
            op.insert("requestBody".into(), form(&["token"], json!({
                "token": {"type": "string", "description": "The authority's API token (`kmt_…`)"},
                "lang": {"type": "string"}
            })));
            responses.insert("303".into(), redirect("Signed in: sets the session cookie (`km_authority`, HttpOnly, SameSite=Strict, Path=/authority) and goes to the complaints"));
            responses.insert("401".into(), html("The token is not valid"));
            responses.insert(
                "403".into(),
                html("Not a national authority's token, or a post from another site"),
            );
        }
        ("POST", _) => {
            let mut props = json!({
                "csrf": {"type": "string", "description": "The session's form token"},
                "lang": {"type": "string"}
            });
            if r.op == "post_authority_complaint" {
                props["step"] = json!({"type": "string", "enum": ["assign", "answer", "close"]});
                props["assignee"] = json!({"type": "string"});
                props["answer"] = json!({"type": "string"});
                props["answer_lang"] = json!({"type": "string", "enum": ["en", "nl", "de", "fr"]});
                props["outcome"] = json!({"type": "string", "enum": ["upheld", "rejected", "forwarded", "withdrawn"]});
            }
            op.insert("requestBody".into(), form(&["csrf"], props));
            responses.insert(
                "303".into(),
                redirect("Done: back to the complaint (or, signed out, to the sign-in page)"),
            );
            responses.insert(
                "401".into(),
                html("Not signed in, or the session has ended"),
            );
            responses.insert("403".into(), html("Without the session's form token, from another site, or not this authority's complaint"));
            if r.op == "post_authority_complaint" {
                responses.insert("404".into(), html("No such complaint"));
                responses.insert(
                    "409".into(),
                    html("The step is not possible in the complaint's state"),
                );
                responses.insert(
                    "422".into(),
                    html("A field is missing, too long or not one of the allowed values"),
                );
            }
        }
        _ => {}
    }
}

/// A route mounted outside the route table (in `router_with`, or by `keurmerk serve` for the
/// transparency log), documented by hand.
#[derive(Debug, Clone, Copy)]
pub struct External {
    /// `get`.
    pub method: &'static str,
    /// OpenAPI path.
    pub path: &'static str,
    /// operationId.
    pub op: &'static str,
    /// Tag.
    pub tag: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Query parameters (`lang`, `signed`).
    pub query: &'static [&'static str],
    /// Media types of the success answer, with their schema.
    pub content: fn(&mut SchemaGenerator) -> Vec<(&'static str, Value)>,
    /// Whether errors are plain text (the log's routes) rather than the JSON envelope.
    pub text_errors: bool,
}

fn status_content(g: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![
        (
            "application/json",
            g.subschema_for::<crate::wire::StatusOut>().to_value(),
        ),
        (
            crate::trust::SIGNED_STATUS_MEDIA_TYPE,
            json!({"$ref": "#/components/schemas/SignedStatus"}),
        ),
    ]
}

fn trust_list_content(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![(
        "application/json",
        json!({"$ref": "#/components/schemas/SignedTrustList"}),
    )]
}

fn status_list_content(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![(
        keurmerk_trust::STATUS_LIST_MEDIA_TYPE,
        json!({"type": "string", "pattern": "^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$"}),
    )]
}

fn svg(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![("image/svg+xml", json!({"type": "string"}))]
}

fn png(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![(
        "image/png",
        json!({"type": "string", "contentMediaType": "image/png"}),
    )]
}

fn product_image(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![
        (
            "image/png",
            json!({"type": "string", "contentMediaType": "image/png"}),
        ),
        (
            "image/jpeg",
            json!({"type": "string", "contentMediaType": "image/jpeg"}),
        ),
    ]
}

fn text(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![("text/plain", json!({"type": "string"}))]
}

fn tile(_: &mut SchemaGenerator) -> Vec<(&'static str, Value)> {
    vec![(
        "application/octet-stream",
        json!({"type": "string", "contentMediaType": "application/octet-stream"}),
    )]
}

/// Operations answering conditional requests (`crate::caching`).
const CONDITIONAL: &[&str] = &["get_certificate_status"];

/// Routes registered outside the route table.
pub const EXTERNAL: &[External] = &[
    External {
        method: "get",
        path: "/api/v1/certificates/{id}/status",
        op: "get_certificate_status",
        tag: "certificates",
        summary: "The live label status in plain language (`?lang=`), or for one version on a device (`?version=`); signed (docs/FORMATS.md §7) with `?signed=true` (or `1`) or `Accept: application/keurmerk-status+json`",
        query: &["lang", "signed", "version"],
        content: status_content,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/api/v1/trust-list",
        op: "get_trust_list",
        tag: "trust",
        summary: "The trust list signed by the registry root key (docs/FORMATS.md §5)",
        query: &[],
        content: trust_list_content,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/api/v1/status-list",
        op: "get_status_list",
        tag: "trust",
        summary: "The status of every label as a Token Status List (draft-ietf-oauth-status-list): a JWS (`EdDSA`, `typ` `statuslist+jwt`) signed by a registry key, 2 bits per label at the index its QR code carries (0 valid, 1 not valid, 2 suspended, 3 attention), with `exp` and `ttl`; every published list's SHA-256 is in the transparency log; sent gzip-compressed (`Content-Encoding: gzip`, its own `ETag`) to a client that accepts gzip",
        query: &[],
        content: status_list_content,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/c/{id}/label.svg",
        op: "get_label_svg",
        tag: "trust",
        summary: "The label as SVG (`?lang=`)",
        query: &["lang"],
        content: svg,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/c/{id}/label.png",
        op: "get_label_png",
        tag: "trust",
        summary: "The label as PNG (`?lang=`)",
        query: &["lang"],
        content: png,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/images/{sha256}",
        op: "get_image",
        tag: "products",
        summary: "A product image by its content address (PNG or JPEG as checked on upload; `X-Content-Type-Options: nosniff`; cached as immutable for a year)",
        query: &[],
        content: product_image,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/api/v1/certificates/{id}/receipt",
        op: "receipt",
        tag: "log",
        summary: "A C2SP tlog-proof receipt proving the certificate's newest logged statement is in the transparency log (served by `keurmerk serve`)",
        query: &[],
        content: text,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/api/v1/status-list/{sha256}/receipt",
        op: "status_list_receipt",
        tag: "log",
        summary: "A C2SP tlog-proof receipt proving the status list whose token has this SHA-256 is in the transparency log; its `extra` is the log's entry, the registry's signed record of the list (docs/FORMATS.md §11), so `keurmerk verify --status-list FILE --status-list-receipt FILE` checks it offline (served by `keurmerk serve`)",
        query: &[],
        content: text,
        text_errors: false,
    },
    External {
        method: "get",
        path: "/log/checkpoint",
        op: "get_checkpoint",
        tag: "log",
        summary: "The log's latest C2SP signed-note checkpoint, with any witness cosignatures (C2SP tlog-tiles; served by `keurmerk serve`)",
        query: &[],
        content: text,
        text_errors: true,
    },
    External {
        method: "get",
        path: "/log/tile/{path}",
        op: "get_tile",
        tag: "log",
        summary: "A C2SP tlog-tiles hash tile (`<L>/<N>[.p/<W>]`) or entry bundle (`entries/<N>[.p/<W>]`); `path` contains slashes (served by `keurmerk serve`)",
        query: &[],
        content: tile,
        text_errors: true,
    },
];

fn external_operation(e: &External, g: &mut SchemaGenerator) -> Value {
    let mut params: Vec<Value> = e
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let schema = path_param(e.path, name, g).unwrap_or_else(|| json!({"type": "string"}));
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect();
    for q in e.query {
        let schema = query_param(e.op, q, g);
        params.push(json!({"name": q, "in": "query", "required": false, "schema": schema}));
    }
    let mut content = Map::new();
    for (media, schema) in (e.content)(g) {
        content.insert(media.to_owned(), json!({ "schema": schema }));
    }
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "Success", "content": content}),
    );
    if CONDITIONAL.contains(&e.op) {
        // HTTP caching (crate::caching): validators on every answer, 304 for a held one.
        let headers = json!({
            "ETag": {"description": "Weak; changes whenever the answer would say something else",
                     "schema": {"type": "string"}},
            "Last-Modified": {"description": "When the record last changed (informational); absent when the status cannot be relied on",
                              "schema": {"type": "string"}},
            "Cache-Control": {"description": "`public, max-age=60` (a signed answer: never beyond its `next_update`)",
                              "schema": {"type": "string"}},
        });
        responses["200"]["headers"] = headers.clone();
        responses.insert(
            "304".into(),
            json!({"description": "Not modified: the `If-None-Match` tag still describes the answer \
                                   (`If-Modified-Since` is ignored: a status can change without an event)",
                   "headers": headers}),
        );
        params.push(
            json!({"name": "If-None-Match", "in": "header", "required": false,
                           "schema": {"type": "string"}}),
        );
    }
    if e.op == "get_status_list" {
        let headers = json!({
            "ETag": {"description": "Strong: the SHA-256 of the token", "schema": {"type": "string"}},
            "Last-Modified": {"description": "The list's `iat` (informational)", "schema": {"type": "string"}},
            "Cache-Control": {"description": "`public, max-age=N`: the list's `ttl`, never beyond its `exp`",
                              "schema": {"type": "string"}},
        });
        responses["200"]["headers"] = headers.clone();
        // The request takes no parameter that can be wrong (so no 400): `If-None-Match` is
        // described here rather than as a parameter.
        responses.insert(
            "304".into(),
            json!({"description": "Not modified: the request's `If-None-Match` header names the current list's `ETag` (or is `*`)",
                   "headers": headers}),
        );
        responses.insert(
            "403".into(),
            error_response("This registry has no root key to sign a status list"),
        );
    }
    let error = |description: &str| {
        if e.text_errors {
            text_error(description)
        } else {
            error_response(description)
        }
    };
    if !e.query.is_empty() || e.path.contains('{') {
        responses.insert("400".into(), error("Malformed id or parameter"));
    }
    if e.path.contains('{') {
        responses.insert("404".into(), error("Not found (or not in the log yet)"));
    }
    if e.tag == "log" {
        responses.insert("503".into(), error("The log has no checkpoint yet"));
    }
    if e.query.contains(&"version") {
        responses.insert(
            "422".into(),
            error("Well-formed but refused: an empty, too long or control-character `version`, or `version` with the signed status"),
        );
    }
    let mut op = json!({
        "operationId": e.op, "summary": e.summary, "tags": [e.tag],
        "responses": responses,
    });
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    op
}

/// Hand-written schemas of the signed envelopes of `keurmerk-trust` (docs/FORMATS.md §3, §5,
/// §7), which has no schema support of its own.
fn trust_schemas() -> Map<String, Value> {
    let time = json!({"type": "string", "format": "date-time"});
    let b64 = json!({"type": "string", "contentEncoding": "base64"});
    let key_id = json!({"type": "string", "pattern": "^[0-9a-f]{16}$", "description": "First 8 bytes of SHA-256 of the public key, in hex"});
    let mut m = Map::new();
    m.insert("KeyInfo".into(), json!({
        "type": "object",
        "description": "A signing key's public metadata (docs/FORMATS.md §3)",
        "additionalProperties": false,
        "required": ["key_id", "public_key", "organisation_id", "organisation_name", "role", "scope", "valid_from", "valid_until"],
        "properties": {
            "key_id": key_id, "public_key": b64,
            "organisation_id": {"type": "string"}, "organisation_name": {"type": "string"},
            "role": {"type": "string", "enum": ["national_authority", "assessment_body", "manufacturer", "registry", "log"]},
            "member_state": {"type": "string", "pattern": "^[A-Z]{2}$"},
            "scope": {"type": "array", "items": {"$ref": "#/components/schemas/Grant"}},
            "valid_from": time, "valid_until": time, "revoked_at": time
        }
    }));
    m.insert("Grant".into(), json!({
        "type": "object",
        "description": "What a key may sign: `act` for `levels` of `scheme` on signatures dated in [valid_from, valid_until); no wildcards (docs/FORMATS.md §3)",
        "additionalProperties": false,
        "required": ["act", "scheme", "levels", "valid_from"],
        "properties": {
            "act": {"type": "string", "enum": ["issue", "maintain", "supervise", "registry"]},
            "scheme": {"type": "string"},
            "levels": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "valid_from": time, "valid_until": time
        }
    }));
    m.insert("SignedTrustList".into(), json!({
        "type": "object",
        "description": "The trust list signed by the registry root key over `keurmerk-trust-list-v1\\n || JCS(trust_list)` (docs/FORMATS.md §5)",
        "additionalProperties": false,
        "required": ["keyid", "sig", "trust_list"],
        "properties": {
            "keyid": key_id, "sig": b64,
            "trust_list": {
                "type": "object",
                "additionalProperties": false,
                "required": ["version", "sequence", "issued_at", "next_update", "log_verifier_key", "keys"],
                "properties": {
                    "version": {"const": 2},
                    "sequence": {"type": "integer", "minimum": 0},
                    "issued_at": time, "next_update": time,
                    "log_verifier_key": {"type": "string"},
                    "keys": {"type": "array", "items": {"$ref": "#/components/schemas/KeyInfo"}}
                }
            }
        }
    }));
    m.insert("SignedStatus".into(), json!({
        "type": "object",
        "description": "A status response signed by the registry root key over `keurmerk-status-v1\\n || JCS(status)` (docs/FORMATS.md §7)",
        "additionalProperties": false,
        "required": ["keyid", "sig", "status"],
        "properties": {
            "keyid": key_id, "sig": b64,
            "status": {
                "type": "object",
                "additionalProperties": false,
                "required": ["certificate_id", "product_id", "product_name", "model_designation", "scheme_id", "level", "issuer_org_id", "issuer_kind", "issued_on", "valid_until", "support_until", "status", "reasons", "produced_at", "next_update"],
                "properties": {
                    "certificate_id": {"type": "string"},
                    "product_id": {"type": "string"},
                    "product_name": {"type": "string"}, "model_designation": {"type": "string"},
                    "scheme_id": {"type": "string"}, "level": {"type": "string"},
                    "issuer_org_id": {"type": "string"},
                    "issuer_kind": {"type": "string", "enum": ["third_party", "self"],
                                    "description": "The signed format's compact spelling (docs/FORMATS.md §7): `self` is the API's `self_declared`"},
                    "issued_on": {"type": "string", "format": "date"},
                    "valid_until": {"type": "string", "format": "date"},
                    "support_until": {"type": "string", "format": "date"},
                    "status": {"type": "string", "enum": ["valid", "attention", "suspended", "withdrawn", "expired", "support_ended", "unknown"]},
                    "reasons": {"type": "array", "items": {"type": "string"}},
                    "produced_at": time, "next_update": time,
                    "status_list": {
                        "type": "object",
                        "description": "Where the certificate's status is also published in the registry's Token Status List (docs/FORMATS.md §11)",
                        "additionalProperties": false,
                        "required": ["idx", "uri"],
                        "properties": {
                            "idx": {"type": "integer", "minimum": 0, "maximum": 4294967295u64},
                            "uri": {"type": "string"}
                        }
                    }
                }
            }
        }
    }));
    m.insert(
        "Error".into(),
        json!({
            "type": "object",
            "description": "Every error of the API (and of feeds, labels and receipts)",
            "additionalProperties": false,
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "additionalProperties": false,
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z_]+$",
                             "description": "Stable: bad_request, unauthorized, forbidden, not_found, method_not_allowed, conflict, transition_denied, payload_too_large, unsupported_media_type, invalid, idempotency_key_reused, rate_limited, log_unavailable, internal, …"},
                    "message": {"type": "string", "description": "What was wrong and where, in English"}
                }
            }}
        }),
    );
    m
}

/// The schema of this document itself, for the route that serves it.
pub(crate) fn document_schema(_: &mut SchemaGenerator) -> Option<Schema> {
    Schema::try_from(json!({
        "type": "object",
        "description": "An OpenAPI 3.1 document",
        "required": ["openapi", "info", "paths", "components"],
        "properties": {
            "openapi": {"type": "string", "pattern": "^3\\.1\\."},
            "info": {"type": "object", "required": ["title", "version"]},
            "paths": {"type": "object"},
            "components": {"type": "object"}
        }
    }))
    .ok()
}

/// The document.
pub fn document(routes: &[Route]) -> Value {
    let mut schemas = Schemas {
        response: generator(true),
        request: generator(false),
    };
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for e in EXTERNAL {
        let op = external_operation(e, &mut schemas.response);
        paths.entry(e.path).or_default().insert(e.method.into(), op);
    }
    for r in routes {
        let op = operation(r, &mut schemas);
        paths
            .entry(r.path)
            .or_default()
            .insert(r.method.as_str().to_ascii_lowercase(), op);
    }
    let (mut components, renamed) = schemas.finish();
    // Request bodies were generated with the request generator: point them at renamed types.
    let mut doc_paths = json!(paths);
    if !renamed.is_empty() {
        if let Some(paths) = doc_paths.as_object_mut() {
            for item in paths.values_mut().filter_map(Value::as_object_mut) {
                for op in item.values_mut() {
                    if let Some(body) = op.get_mut("requestBody") {
                        rename_refs(body, &renamed);
                    }
                }
            }
        }
    }
    components.extend(trust_schemas());
    let components: BTreeMap<String, Value> = components.into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Keurmerk registry API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The EU cybersecurity label registry. Writes need `Authorization: Bearer <token>`; a token acts as its organisation, whose role decides what it may do. Every error, including a rejected query string, path, media type, method or unknown `/api` route, is `{\"error\":{\"code\",\"message\"}}` with the status listed for the operation. Lists take `limit` (1-200, default 50; out of range is `400`, not clamped) and `offset` and answer `{items, limit, offset, next_offset}`. `422` means well-formed but refused by a rule the schema cannot state; the message names the field. The transparency log (`/log/…`, receipts) is served by `keurmerk serve`.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}
        },
        "paths": doc_paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "kmt_<TOKEN-ID>_<secret>"},
                "watchKey": {"type": "http", "scheme": "bearer", "description": "A watch-list's management key: kmw_<WL-ID>_<secret>"}
            },
            "schemas": components
        }
    })
}
