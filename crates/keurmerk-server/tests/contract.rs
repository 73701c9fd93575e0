//! The API contract (issue 14 item 7): every rejection answers the JSON error envelope with a
//! status the OpenAPI document lists for the operation; ids, enums and bounds in the document
//! are the ones the server enforces; one spelling of each value; support dates as months.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use support::{app, Answer, App};

/// A request of the table: method, URI, who sends it, `Content-Type` and body.
struct Case {
    what: &'static str,
    method: &'static str,
    uri: String,
    token: Option<String>,
    content_type: Option<&'static str>,
    body: String,
    /// The operation in the document (path template, method), if the request matches one.
    op: Option<(&'static str, &'static str)>,
    status: StatusCode,
}

fn case(
    what: &'static str,
    method: &'static str,
    uri: impl Into<String>,
    op: Option<(&'static str, &'static str)>,
    status: StatusCode,
) -> Case {
    Case {
        what,
        method,
        uri: uri.into(),
        token: None,
        content_type: None,
        body: String::new(),
        op,
        status,
    }
}

impl Case {
    fn token(mut self, t: &str) -> Self {
        self.token = Some(t.to_owned());
        self
    }

    fn body(mut self, content_type: &'static str, body: impl Into<String>) -> Self {
        self.content_type = Some(content_type);
        self.body = body.into();
        self
    }
}

async fn send(a: &App, c: &Case) -> Answer {
    let mut r = Request::builder().method(c.method).uri(&c.uri);
    if let Some(t) = &c.token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = c.content_type {
        r = r.header("content-type", ct);
    }
    a.send(r.body(Body::from(c.body.clone())).unwrap()).await
}

async fn first_id(a: &App, list: &str) -> String {
    a.get(list).await.json()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn every_malformed_request_gets_the_envelope_with_a_documented_status() {
    let a = app().await;
    let doc = a.get("/api/openapi.json").await.json();
    let maker = a.token("holland-home").await;
    let authority = a.token("nl-rdi").await;
    let operator = a.token("enisa").await;
    let cert = first_id(&a, "/api/v1/certificates?limit=1").await;
    let product = first_id(&a, "/api/v1/products?manufacturer=holland-home&limit=1").await;
    let status = "/api/v1/certificates/{id}/status";
    let products = "/api/v1/products";
    let exploited = "/api/v1/vulnerabilities/{id}/exploited";
    use StatusCode as S;
    let cases = vec![
        case("duplicate query parameter", "GET", format!("/api/v1/certificates/{cert}/status?lang=a&lang=b"), Some((status, "get")), S::BAD_REQUEST),
        case("duplicate lang", "GET", format!("/api/v1/certificates/{cert}/status?lang=en&lang=nl"), Some((status, "get")), S::BAD_REQUEST),
        case("unknown language", "GET", format!("/api/v1/certificates/{cert}?lang=xx"), Some(("/api/v1/certificates/{id}", "get")), S::BAD_REQUEST),
        case("signed=yes", "GET", format!("/api/v1/certificates/{cert}/status?signed=yes"), Some((status, "get")), S::BAD_REQUEST),
        case("signed=", "GET", format!("/api/v1/certificates/{cert}/status?signed="), Some((status, "get")), S::BAD_REQUEST),
        case("label language", "GET", format!("/c/{cert}/label.svg?lang=xx"), Some(("/c/{id}/label.svg", "get")), S::BAD_REQUEST),
        case("negative limit", "GET", "/api/v1/products?limit=-1", Some((products, "get")), S::BAD_REQUEST),
        case("zero limit", "GET", "/api/v1/certificates?limit=0", Some(("/api/v1/certificates", "get")), S::BAD_REQUEST),
        case("huge limit", "GET", "/api/v1/organisations?limit=100000", Some(("/api/v1/organisations", "get")), S::BAD_REQUEST),
        case("limit beyond i64", "GET", "/api/v1/products?limit=99999999999999999999", Some((products, "get")), S::BAD_REQUEST),
        case("limit not a number", "GET", "/api/v1/products?limit=ten", Some((products, "get")), S::BAD_REQUEST),
        case("negative offset", "GET", "/api/v1/products?offset=-1", Some((products, "get")), S::BAD_REQUEST),
        case("limit twice", "GET", "/api/v1/products?limit=1&limit=2", Some((products, "get")), S::BAD_REQUEST),
        case("audit limit", "GET", "/api/v1/audit?limit=1001", Some(("/api/v1/audit", "get")), S::BAD_REQUEST).token(&operator),
        case("audit before", "GET", "/api/v1/audit?before=0", Some(("/api/v1/audit", "get")), S::BAD_REQUEST).token(&operator),
        case("bad product filter", "GET", "/api/v1/certificates?product=prd-1", Some(("/api/v1/certificates", "get")), S::BAD_REQUEST),
        case("bad manufacturer filter", "GET", "/api/v1/products?manufacturer=Holland%20Home", Some((products, "get")), S::BAD_REQUEST),
        case("bad record id", "GET", "/api/v1/products/prd%20000001", Some(("/api/v1/products/{id}", "get")), S::BAD_REQUEST),
        case("bad scheme id", "GET", "/api/v1/schemes/EU_IOT", Some(("/api/v1/schemes/{id}", "get")), S::BAD_REQUEST),
        case("undecodable path", "GET", "/api/v1/products/%FF%FE", Some(("/api/v1/products/{id}", "get")), S::BAD_REQUEST),
        case("unknown product", "GET", "/api/v1/products/PRD-999999", Some(("/api/v1/products/{id}", "get")), S::NOT_FOUND),
        case("bad delivery number", "GET", "/api/v1/watchlists/WL-000001/deliveries/x", Some(("/api/v1/watchlists/{id}/deliveries/{delivery}", "get")), S::UNAUTHORIZED),
        case("form instead of JSON", "POST", products, Some((products, "post")), S::UNSUPPORTED_MEDIA_TYPE)
            .token(&maker)
            .body("application/x-www-form-urlencoded", "name=x&model=y"),
        case("no content type", "POST", products, Some((products, "post")), S::UNSUPPORTED_MEDIA_TYPE)
            .token(&maker),
        case("malformed JSON", "POST", products, Some((products, "post")), S::BAD_REQUEST)
            .token(&maker)
            .body("application/json", "{\"name\": "),
        case("array for an object", "POST", products, Some((products, "post")), S::UNPROCESSABLE_ENTITY)
            .token(&maker)
            .body("application/json", r#"["Plug", "P-1", "smart_plug"]"#),
        case("bad enum value", "POST", products, Some((products, "post")), S::UNPROCESSABLE_ENTITY)
            .token(&maker)
            .body("application/json", r#"{"name":"Plug","model":"P-1","category":"toaster"}"#),
        case("body too large", "POST", products, Some((products, "post")), S::PAYLOAD_TOO_LARGE)
            .token(&maker)
            .body("application/json", format!("{{\"name\":\"{}\"}}", "x".repeat(2 << 20))),
        case("no token", "POST", products, Some((products, "post")), S::UNAUTHORIZED)
            .body("application/json", r#"{"name":"Plug","model":"P-1","category":"smart_plug"}"#),
        case("not a bearer token", "GET", "/api/v1/whoami", Some(("/api/v1/whoami", "get")), S::UNAUTHORIZED)
            .token("kmt_nope"),
        case("wrong role", "POST", exploited.replace("{id}", "CVE-2024-3094"), Some((exploited, "post")), S::FORBIDDEN)
            .token(&maker),
        case("exploited: malformed JSON", "POST", exploited.replace("{id}", "CVE-2024-3094"), Some((exploited, "post")), S::BAD_REQUEST)
            .token(&authority)
            .body("application/json", "{not json"),
        case("exploited: a body it does not take", "POST", exploited.replace("{id}", "CVE-2024-3094"), Some((exploited, "post")), S::UNPROCESSABLE_ENTITY)
            .token(&authority)
            .body("application/json", r#"{"exploited": false}"#),
        case("exploited: bad id", "POST", "/api/v1/vulnerabilities/CVE%202024/exploited", Some((exploited, "post")), S::BAD_REQUEST)
            .token(&authority),
        case("approve: malformed JSON", "POST", "/api/v1/assessments/ASM-000001/approve", Some(("/api/v1/assessments/{id}/approve", "post")), S::BAD_REQUEST)
            .token(&authority)
            .body("application/json", "]"),
        case("support: a month that is not", "PUT", format!("/api/v1/products/{product}/support"), Some(("/api/v1/products/{id}/support", "put")), S::UNPROCESSABLE_ENTITY)
            .token(&maker)
            .body("application/json", r#"{"support_until":"2031-13","update_policy":"automatic","vulnerability_contact":"security@maker.example"}"#),
        case("sbom as text", "POST", "/api/v1/versions/VER-000001/sbom", Some(("/api/v1/versions/{id}/sbom", "post")), S::UNSUPPORTED_MEDIA_TYPE)
            .token(&maker)
            .body("text/plain", "openssl 3.0.7"),
        case("unknown API path", "GET", "/api/v1/nothing", None, S::NOT_FOUND),
        case("unknown API version", "GET", "/api/v2/products", None, S::NOT_FOUND),
        case("wrong method", "DELETE", "/api/v1/schemes", None, S::METHOD_NOT_ALLOWED),
        case("wrong method on a write", "PATCH", "/api/v1/products", None, S::METHOD_NOT_ALLOWED)
            .token(&maker),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        let res = send(&a, c).await;
        let ct = res
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = res.json();
        let code = body["error"]["code"].as_str().unwrap_or("");
        let message = body["error"]["message"].as_str().unwrap_or("");
        let mut problems = Vec::new();
        if res.status != c.status {
            problems.push(format!("status {} (want {})", res.status, c.status));
        }
        if ct != "application/json" {
            problems.push(format!("content-type {ct:?}"));
        }
        if code.is_empty() || message.is_empty() || body.as_object().map(|o| o.len()) != Some(1) {
            problems.push(format!(
                "not the envelope: {}",
                res.text.chars().take(200).collect::<String>()
            ));
        }
        if let Some((path, method)) = c.op {
            let responses = &doc["paths"][path][method]["responses"];
            assert!(
                responses.is_object(),
                "{}: {method} {path} is not in the document",
                c.what
            );
            if !responses[res.status.as_str()].is_object() {
                problems.push(format!(
                    "{} is not documented for {method} {path}",
                    res.status
                ));
            } else if !responses[res.status.as_str()]["content"]["application/json"].is_object() {
                problems.push(format!(
                    "{} of {method} {path} is not documented as JSON",
                    res.status
                ));
            }
        }
        if c.status == S::METHOD_NOT_ALLOWED && res.headers.get("allow").is_none() {
            problems.push("405 without Allow".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{} ({} {}): {}",
                c.what,
                c.method,
                c.uri.chars().take(90).collect::<String>(),
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn the_document_states_id_patterns_bounds_and_media_types() {
    let a = app().await;
    let doc = a.get("/api/openapi.json").await.json();
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let s = &p["schema"];
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" {
                    seen += 1;
                    assert!(
                        s.get("pattern").is_some()
                            || s.get("enum").is_some()
                            || s.get("$ref").is_some()
                            || s["type"] == "integer",
                        "{method} {path}: path parameter {name} has no pattern: {s}"
                    );
                }
                if name == "limit" {
                    assert_eq!(s["minimum"], 1, "{method} {path}");
                    assert!(s["maximum"].is_i64(), "{method} {path}");
                }
            }
            let responses = op["responses"].as_object().unwrap();
            if op.get("parameters").is_some() || op.get("requestBody").is_some() {
                assert!(responses.contains_key("400"), "{method} {path}: no 400");
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("413"), "{method} {path}: no 413");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for code in ["415", "422"] {
                    assert!(responses.contains_key(code), "{method} {path}: no {code}");
                }
            }
            if op.get("security").is_some() {
                for code in ["401", "403"] {
                    assert!(responses.contains_key(code), "{method} {path}: no {code}");
                }
            }
        }
    }
    assert!(seen > 30, "{seen}");
    let id =
        |path: &str, method: &str| doc["paths"][path][method]["parameters"][0]["schema"].clone();
    assert_eq!(
        id("/api/v1/certificates/{id}", "get")["pattern"],
        "^[A-Z0-9-]+$"
    );
    assert_eq!(id("/api/v1/certificates/{id}", "get")["maxLength"], 40);
    assert_eq!(id("/api/v1/schemes/{id}", "get")["pattern"], "^[a-z0-9-]+$");
    assert_eq!(id("/api/v1/organisations/{id}", "get")["maxLength"], 64);
    assert_eq!(
        id("/api/v1/products/{id}", "get")["pattern"],
        "^[A-Z0-9-]+$"
    );
    // The SBOM upload takes the media types the server takes.
    let sbom = &doc["paths"]["/api/v1/versions/{id}/sbom"]["post"]["requestBody"]["content"];
    assert!(
        sbom["application/json"].is_object() && sbom["application/xml"].is_object(),
        "{sbom}"
    );
    // Writes that take no body say so: at most `{}`.
    let none = &doc["paths"]["/api/v1/vulnerabilities/{id}/exploited"]["post"]["requestBody"];
    assert_eq!(none["required"], false, "{none}");
    // Creating answers 201, acting on something 200, as the handlers do.
    assert!(doc["paths"]["/api/v1/products"]["post"]["responses"]["201"].is_object());
    assert!(
        doc["paths"]["/api/v1/assessments/{id}/approve"]["post"]["responses"]["200"].is_object()
    );
    assert!(
        doc["paths"]["/api/v1/certificates/{id}/suspend"]["post"]["responses"]["200"].is_object()
    );
}

/// `issuer_kind` is spelled `self_declared` / `third_party` everywhere the API and the CLI show
/// it (the CLI prints `keurmerk_server::wire::issuer_kind_name`).
#[tokio::test]
async fn one_spelling_of_issuer_kind() {
    let a = app().await;
    let doc = a.get("/api/openapi.json").await.json();
    let certs = a.get("/api/v1/certificates?limit=200").await.json();
    let mut kinds = std::collections::BTreeSet::new();
    for c in certs["items"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let status = a
            .get(&format!("/api/v1/certificates/{id}/status"))
            .await
            .json();
        let details = a.get(&format!("/api/v1/certificates/{id}")).await.json();
        assert_eq!(status["issuer_kind"], c["issuer_kind"], "{id}");
        assert_eq!(details["status"]["issuer_kind"], c["issuer_kind"], "{id}");
        kinds.insert(c["issuer_kind"].as_str().unwrap().to_owned());
    }
    let expected: std::collections::BTreeSet<String> = keurmerk_domain::model::IssuerKind::ALL
        .iter()
        .map(|k| keurmerk_server::wire::issuer_kind_name(*k).to_owned())
        .collect();
    assert_eq!(kinds, expected);
    assert!(expected.contains("self_declared"), "{expected:?}");
    let documented: std::collections::BTreeSet<String> = doc["components"]["schemas"]["IssuerKind"]
        .to_string()
        .split('"')
        .filter(|s| expected.contains(*s) || *s == "self")
        .map(str::to_owned)
        .collect();
    assert_eq!(
        documented, expected,
        "{}",
        doc["components"]["schemas"]["IssuerKind"]
    );
}

/// `support_until` takes `YYYY-MM` (the month's last day) as the CLI's `--until` does.
#[tokio::test]
async fn support_until_takes_a_month_as_the_cli_does() {
    let a = app().await;
    let maker = a.token("holland-home").await;
    let product = a
        .call(
            "POST",
            "/api/v1/products",
            Some(&maker),
            Some(json!({"name": "Smart Plug", "model": "SP-9", "category": "smart_plug"})),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A support period can be extended, never shortened: later dates each time.
    for (given, day) in [
        ("2040-06-15", "2040-06-15"),
        ("2040-12", "2040-12-31"),
        ("2044-02", "2044-02-29"),
    ] {
        let res = a
            .call(
                "PUT",
                &format!("/api/v1/products/{product}/support"),
                Some(&maker),
                Some(json!({"support_until": given, "update_policy": "automatic", "vulnerability_contact": "security@hollandhome.example.nl"})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{given}: {}", res.text);
        assert_eq!(res.json()["support_until"], day, "{given}");
        assert_eq!(
            keurmerk_server::wire::parse_support_until(given)
                .unwrap()
                .to_string(),
            day
        );
        let shown = a.get(&format!("/api/v1/products/{product}")).await.json();
        assert_eq!(shown["support"]["support_until"], day, "{shown}");
    }
}

/// `?signed=` takes the documented booleans only; `false` overrides the `Accept` header.
#[tokio::test]
async fn signed_takes_strict_booleans() {
    let a = app().await;
    let cert = first_id(&a, "/api/v1/certificates?limit=1").await;
    let uri = |v: &str| format!("/api/v1/certificates/{cert}/status?signed={v}");
    for v in ["true", "1"] {
        let res = a.get(&uri(v)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(
            res.headers["content-type"],
            "application/keurmerk-status+json"
        );
    }
    for v in ["false", "0"] {
        let res = a.get(&uri(v)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.headers["content-type"], "application/json");
    }
    for v in ["yes", "TRUE", "2", "on"] {
        let res = a.get(&uri(v)).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{v}");
        assert!(
            res.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("signed"),
            "{}",
            res.text
        );
    }
    let res = a
        .send(
            Request::get(uri("false"))
                .header("accept", "application/keurmerk-status+json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.headers["content-type"], "application/json");
}

/// A list takes `limit` from 1 to its maximum and says so; nothing is clamped any more.
#[tokio::test]
async fn limits_are_bounded_not_clamped() {
    let a = app().await;
    let one = a.get("/api/v1/products?limit=1").await.json();
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let max = a.get("/api/v1/products?limit=200").await;
    assert_eq!(max.status, StatusCode::OK);
    let over = a.get("/api/v1/products?limit=201").await;
    assert_eq!(over.status, StatusCode::BAD_REQUEST);
    assert!(
        over.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("`limit`"),
        "{}",
        over.text
    );
    let minus = a.get("/api/v1/products?limit=-1").await;
    assert_eq!(minus.status, StatusCode::BAD_REQUEST, "{}", minus.text);
    let doc: Value = a.get("/api/openapi.json").await.json();
    let limit = doc["paths"]["/api/v1/products"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    assert_eq!(limit["maximum"], keurmerk_server::api::MAX_LIMIT);
}

/// A method the route does not have is `405` with `Allow`, even with an Idempotency-Key that
/// the same credential used for another request (the key is never looked up).
#[tokio::test]
async fn an_undeclared_method_is_405_before_any_idempotency_key() {
    let a = app().await;
    let maker = a.token("holland-home").await;
    let body = json!({"name": "Plug", "model": "P-1", "category": "smart_plug"});
    let send = |method: &str, key: &str| {
        Request::builder()
            .method(method)
            .uri("/api/v1/products")
            .header("authorization", format!("Bearer {maker}"))
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let created = a.send(send("POST", "k-1")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    for method in ["PUT", "PATCH", "DELETE"] {
        let res = a.send(send(method, "k-1")).await;
        assert_eq!(
            res.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}: {}",
            res.text
        );
        assert!(res.headers.get("allow").is_some(), "{method}");
        assert_eq!(
            res.json()["error"]["code"],
            "method_not_allowed",
            "{method}"
        );
    }
    // The key still answers its own request.
    let again = a.send(send("POST", "k-1")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
}
