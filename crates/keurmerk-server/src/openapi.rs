//! The OpenAPI 3.1 document, generated from the route table ([`crate::all_routes`]): every route
//! the application serves from that table is in it.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::api::{Access, Produces, Route};

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

fn operation(r: &Route) -> Value {
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect();
    for q in r.query {
        let schema = if matches!(*q, "limit" | "offset" | "before") {
            json!({"type": "integer", "minimum": 0})
        } else {
            json!({"type": "string"})
        };
        params.push(json!({"name": q, "in": "query", "required": false, "schema": schema}));
    }
    let mut responses = Map::new();
    let ok = if r.method == axum::http::Method::POST
        && r.body.is_some()
        && !r.path.ends_with("suspend")
        && !r.path.ends_with("reinstate")
        && !r.path.ends_with("withdraw")
        && !r.path.ends_with("extend-suspension")
    {
        "201"
    } else {
        "200"
    };
    let content = match r.produces {
        Produces::Json => json!({"application/json": {"schema": {"type": "object"}}}),
        p => json!({ media(p): {"schema": {"type": "string"}} }),
    };
    responses.insert(
        ok.into(),
        json!({"description": "Success", "content": content}),
    );
    if !r.query.is_empty() || r.path.contains('{') || r.body.is_some() {
        responses.insert(
            "400".into(),
            error_response("Malformed id, parameter or body"),
        );
    }
    if r.path.contains('{') {
        responses.insert("404".into(), error_response("Not found"));
    }
    let mut op = Map::new();
    op.insert("operationId".into(), json!(r.op));
    op.insert("summary".into(), json!(r.summary));
    op.insert("tags".into(), json!([r.tag]));
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = r.body {
        let example: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}, "example": example}}}),
        );
        responses.insert("413".into(), error_response("Body larger than 1 MiB"));
        responses.insert(
            "422".into(),
            error_response("Invalid field (named in the message)"),
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
        if r.method != axum::http::Method::GET {
            responses.insert(
                "409".into(),
                error_response("Conflict or lifecycle transition refused"),
            );
            responses.insert("429".into(), error_response("Too many writes"));
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
        if r.method != axum::http::Method::GET {
            responses.insert("429".into(), error_response("Too many writes"));
        }
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// Routes registered by hand in `router_with` (the trust endpoints): method, path, operationId,
/// tag, summary, media type.
pub const EXTERNAL: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("get", "/api/v1/certificates/{id}/status", "get_certificate_status", "certificates",
     "The live label status in plain language (`?lang=`); signed with `?signed=1` or `Accept: application/keurmerk-status+json`", "application/json"),
    ("get", "/api/v1/trust-list", "get_trust_list", "trust", "The trust list signed by the registry root key", "application/json"),
    ("get", "/c/{id}/label.svg", "get_label_svg", "trust", "The label as SVG (`?lang=`)", "image/svg+xml"),
    ("get", "/c/{id}/label.png", "get_label_png", "trust", "The label as PNG (`?lang=`)", "image/png"),
];

/// The document.
pub fn document(routes: &[Route]) -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for (method, path, op, tag, summary, media) in EXTERNAL {
        let mut params = vec![
            json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}),
        ];
        if !path.ends_with("trust-list") {
            params.push(json!({"name": "lang", "in": "query", "required": false, "schema": {"type": "string", "enum": ["en", "nl", "de", "fr"]}}));
        } else {
            params.clear();
        }
        let mut op = json!({
            "operationId": op, "summary": summary, "tags": [tag],
            "responses": {
                "200": {"description": "Success", "content": { *media: {"schema": {"type": if *media == "application/json" { "object" } else { "string" }}}}},
                "404": error_response("Not found")
            }
        });
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        paths
            .entry(path)
            .or_default()
            .insert((*method).to_owned(), op);
    }
    for r in routes {
        paths
            .entry(r.path)
            .or_default()
            .insert(r.method.as_str().to_ascii_lowercase(), operation(r));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Keurmerk registry API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The EU cybersecurity label registry. Writes need `Authorization: Bearer <token>`; a token acts as its organisation, whose role decides what it may do. Errors are `{\"error\":{\"code\",\"message\"}}`. Lists take `limit` (1-200, default 50) and `offset` and answer `{items, limit, offset, next_offset}`.",
            "license": {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "kmt_<TOKEN-ID>_<secret>"},
                "watchKey": {"type": "http", "scheme": "bearer", "description": "A watch-list's management key: kmw_<WL-ID>_<secret>"}
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}
                    }}
                }
            }
        }
    })
}
