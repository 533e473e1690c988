//! The HTTP surface: health, errors in API.md's shape, metrics, the SPA and its security
//! headers, the demo timeline, compression, and the JSON extractor.

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode, header};
use axum::routing::post;
use http_body_util::BodyExt;
use purse_server::flows::Settings;
use purse_server::http::json::{ApiJson, MAX_BODY_BYTES};
use tower::ServiceExt;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_ok_and_names_the_database() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (response, body) = app.get("/api/v1/healthz").await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json(&body);
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"], db.backend);
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_unavailable_when_the_database_is_gone() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    app.ledger.shutdown().await;
    let (response, body) = app.get("/api/v1/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json(&body);
    assert_eq!(body["error"]["code"], "service_unavailable");
    assert!(!body["error"]["message"].as_str().unwrap_or("").contains("pool"), "no internals: {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_have_the_documented_shape() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let cases = [
        (
            Request::get("/api/v1/no-such-thing").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (Request::get("/api/v2/healthz").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND, "not_found"),
        (
            Request::post("/api/v1/healthz").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (request, status, code) in cases {
        let path = request.uri().to_string();
        let (response, body) = app.send(request).await;
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json", "{path}");
        let body = json(&body);
        assert_eq!(body["error"]["code"], code, "{path}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_show_the_ledger() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    purse_server::flows::demo::seed(&app.state).await.unwrap();
    app.get("/api/v1/healthz").await;
    app.get("/api/v1/healthz").await;
    app.get("/api/v1/nope/123").await;
    let metrics = purse_server::http::metrics_app(app.state.clone());
    let (response, body) = {
        let response = metrics.oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
        let (parts, body) = response.into_parts();
        (axum::http::Response::from_parts(parts, ()), body.collect().await.unwrap().to_bytes().to_vec())
    };
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    let text = String::from_utf8(body).unwrap();
    for expected in [
        r#"purse_http_requests_total{method="GET",route="/api/v1/healthz",status="200"} 2"#,
        r#"purse_http_requests_total{method="GET",route="/api/{*rest}",status="404"} 1"#,
        r#"purse_http_request_duration_seconds_count{route="/api/v1/healthz"} 2"#,
        // The demo funds three people, one transfer (one batch) each.
        "purse_ledger_batch_size_count 3",
        "purse_ledger_commit_seconds_bucket{le=\"+Inf\"} 3",
        "purse_ledger_transfers_created_total 3",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("/nope/123"), "raw paths must not become labels");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spa_is_served_with_its_routes_and_a_policy_that_lets_it_run() {
    let db = TestDb::sqlite();
    let dist = fake_dist();
    let app = TestApp::new(&db, dist.path()).await;
    let index = std::fs::read(dist.path().join("index.html")).unwrap();
    for path in ["/", "/status", "/wallet/activity"] {
        let (response, body) = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(body, index, "{path} answers index.html");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
    }
    let (response, body) = app.get("/app.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body, b"export default function init() {}");
    let (response, _) = app.get("/missing.wasm").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "a missing asset is not the index");

    let (response, _) = app.get("/status").await;
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    let hashes = purse_server::http::static_site::inline_script_hashes(&index);
    assert_eq!(hashes.len(), 1);
    assert!(csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' {}", hashes[0])), "{csp}");
    assert!(!csp.split([' ', ';']).any(|source| source == "'unsafe-eval'"), "{csp}");
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert!(response.headers().contains_key("x-request-id"));

    // API answers carry the same headers.
    let (response, _) = app.get("/api/v1/healthz").await;
    assert!(response.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_demo_mode_the_timeline_is_home_and_the_wallet_keeps_its_routes() {
    let db = TestDb::sqlite();
    let dist = fake_dist();
    let demo = Settings { demo: true, ..Settings::default() };
    let app = TestApp::with_settings(&db, dist.path(), demo).await;
    let index = std::fs::read(dist.path().join("index.html")).unwrap();
    let (response, body) = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let page = String::from_utf8(body).unwrap();
    // Embedded exactly as README tells a host: the loader and mount points, no inline script
    // (the page runs under the same policy as everything else).
    assert!(page.contains(r#"<script type="module" src="/embed.js"></script>"#), "{page}");
    assert!(page.contains(r#"<div data-purse-tip data-creator="lina" data-post="1"></div>"#));
    assert!(page.contains("<div data-purse-wallet></div>"));
    assert!(purse_server::http::static_site::inline_script_hashes(page.as_bytes()).is_empty());
    let (response, body) = app.get("/wallet").await;
    assert_eq!((response.status(), body), (StatusCode::OK, index), "the wallet is the SPA");
    let (response, script) = app.get("/demo/timeline/timeline.js").await;
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert!(String::from_utf8(script).unwrap().contains("purse:tip-sent"));
    let (response, _) = app.get("/demo/timeline/lina.svg").await;
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/svg+xml");
    let (response, _) = app.get("/demo/timeline/nothing.svg").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;

    // Without demo mode there is no timeline.
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, dist.path()).await;
    let (response, _) = app.get("/demo/timeline/timeline.js").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_gzipped_for_browsers_that_ask() {
    let db = TestDb::sqlite();
    let dist = fake_dist();
    std::fs::write(dist.path().join("big.js"), "export const x = 1;\n".repeat(200)).unwrap();
    // The build's own `.gz` (Trunk.toml makes one per script, wasm and stylesheet) goes as it is.
    std::fs::write(dist.path().join("pre.js"), "export const y = 2;").unwrap();
    std::fs::write(dist.path().join("pre.js.gz"), b"built by gzip -9").unwrap();
    let app = TestApp::new(&db, dist.path()).await;
    let gzip =
        |path: &str| Request::get(path).header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).unwrap();
    let (response, body) = app.send(gzip("/big.js")).await;
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    assert!(body.len() < 200, "{} bytes", body.len());
    let (response, body) = app.get("/big.js").await;
    assert!(!response.headers().contains_key(header::CONTENT_ENCODING));
    assert_eq!(body.len(), 4_000);
    let (response, body) = app.send(gzip("/pre.js")).await;
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(body, b"built by gzip -9");
    let (_, body) = app.get("/pre.js").await;
    assert_eq!(body, b"export const y = 2;");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_built_spa_the_api_still_answers() {
    let db = TestDb::sqlite();
    let nowhere = db.dir.path().join("not-built");
    let app = TestApp::new(&db, &nowhere).await;
    let (response, body) = app.get("/").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("make run"), "{text}");
    let (response, _) = app.get("/api/v1/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let (response, body) = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let spec = json(&body);
    assert_eq!(spec["openapi"], "3.1.0");
    // Every route the API serves is documented, with its method.
    for (path, method) in [
        ("/healthz", "get"),
        ("/openapi.json", "get"),
        ("/auth/signup", "post"),
        ("/auth/login", "post"),
        ("/auth/logout", "post"),
        ("/me", "get"),
        ("/me/pin", "put"),
        ("/me/verification", "post"),
        ("/users/{handle}", "get"),
        ("/wallet", "get"),
        ("/me/interest", "get"),
        ("/me/interest/accruals", "get"),
        ("/statements", "get"),
        ("/activity", "get"),
        ("/activity/{id}", "get"),
        ("/events", "get"),
        ("/transfers", "post"),
        ("/transfers/{id}/cancel", "post"),
        ("/requests", "post"),
        ("/requests", "get"),
        ("/requests/{id}/pay", "post"),
        ("/requests/{id}/decline", "post"),
        ("/requests/{id}/cancel", "post"),
        ("/cards", "post"),
        ("/cards", "get"),
        ("/cards/{id}", "delete"),
        ("/bank-accounts", "post"),
        ("/bank-accounts", "get"),
        ("/bank-accounts/{id}", "delete"),
        ("/deposits", "post"),
        ("/quotes/withdrawal", "get"),
        ("/withdrawals", "post"),
        ("/ops/cases", "get"),
        ("/ops/cases/{id}", "get"),
        ("/ops/cases/{id}/approve", "post"),
        ("/ops/cases/{id}/reject", "post"),
        ("/ops/cases/{id}/report", "get"),
        ("/ops/people/{handle}", "get"),
        ("/ops/people/{handle}/freeze", "post"),
        ("/ops/people/{handle}/unfreeze", "post"),
        ("/ops/audit-log", "get"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path} is not in the spec");
    }
    // And every schema it refers to exists.
    let text = spec.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(spec["components"]["schemas"][name].is_object(), "{name} is referred to but not defined");
    }
    app.stop().await;
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Note {
    text: String,
}

async fn echo(ApiJson(note): ApiJson<Note>) -> String {
    note.text
}

#[tokio::test]
async fn the_json_extractor_answers_in_the_api_error_shape() {
    let router = Router::new().route("/echo", post(echo)).layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let send = |content_type: Option<&str>, body: Vec<u8>| {
        let mut request = Request::post("/echo");
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        router.clone().oneshot(request.body(Body::from(body)).unwrap())
    };
    let json_type = Some("application/json");
    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
    type Case<'a> = (Option<&'a str>, Vec<u8>, StatusCode, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (json_type, br#"{"text":"hi"}"#.to_vec(), StatusCode::OK, "", None),
        (Some("application/json; charset=utf-8"), br#"{"text":"hi"}"#.to_vec(), StatusCode::OK, "", None),
        (json_type, b"{".to_vec(), StatusCode::BAD_REQUEST, "invalid_request", None),
        (json_type, br#"{"text":5}"#.to_vec(), StatusCode::BAD_REQUEST, "invalid_request", Some("text")),
        (
            json_type,
            br#"{"text":"a","extra":1}"#.to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("extra"),
        ),
        (json_type, b"{}".to_vec(), StatusCode::BAD_REQUEST, "invalid_request", Some("text")),
        (
            None,
            br#"{"text":"hi"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        ),
        (json_type, big.into_bytes(), StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None),
    ];
    for (content_type, body, status, code, field) in cases {
        let response = send(content_type, body).await.unwrap();
        assert_eq!(response.status(), status, "{code}");
        if status != StatusCode::OK {
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            let body = json(&bytes);
            assert_eq!(body["error"]["code"], code);
            assert_eq!(body["error"]["field"].as_str(), field, "{body}");
        }
    }
}

/// Hardening finding 12: authenticated answers could be kept by a browser's or a proxy's cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authenticated_api_answers_say_no_store() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let cookie = app.sign_up("alice").await;
        let no_store = |answer: &Answer| {
            answer.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()) == Some("no-store")
        };
        for (path, cookie, extra) in [
            ("/api/v1/wallet", Some(cookie.as_str()), vec![]),
            ("/api/v1/me", Some(cookie.as_str()), vec![]),
            ("/api/v1/activity", Some(cookie.as_str()), vec![]),
            // A merchant's key, even one that is refused.
            ("/api/v1/checkout/sessions/cs_nothing", None, vec![("authorization", "Bearer sk_nothing")]),
        ] {
            let answer = app.call_with(axum::http::Method::GET, path, cookie, None, &extra).await;
            assert!(no_store(&answer), "{path}: {:?}", answer.headers);
        }
        let answer = app.call(axum::http::Method::GET, "/api/v1/healthz", None, None).await;
        assert!(!no_store(&answer), "an answer to nobody in particular may be cached");
        app.stop().await;
    }
}

/// Hardening finding 12: no HSTS over HTTPS. Purse listens in plain HTTP, so HTTPS is what a
/// trusted proxy says in `X-Forwarded-Proto`; from anyone else the header means nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_a_trusted_proxy_says_https() {
    let db = TestDb::sqlite();
    let behind_proxy = Settings { trust_proxy: true, ..Settings::default() };
    let app = TestApp::with_settings(&db, db.dir.path(), behind_proxy).await;
    let hsts = |answer: &Answer| answer.headers.get(header::STRICT_TRANSPORT_SECURITY).cloned();
    let https = [("x-forwarded-proto", "https")];
    let answer = app.call_with(axum::http::Method::GET, "/api/v1/healthz", None, None, &https).await;
    assert_eq!(hsts(&answer).unwrap(), "max-age=63072000; includeSubDomains");
    let answer = app.call_with(axum::http::Method::GET, "/wallet", None, None, &https).await;
    assert!(hsts(&answer).is_some(), "pages too");
    let http = [("x-forwarded-proto", "http")];
    let answer = app.call_with(axum::http::Method::GET, "/api/v1/healthz", None, None, &http).await;
    assert!(hsts(&answer).is_none(), "not over plain HTTP");
    app.stop().await;

    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let answer = app.call_with(axum::http::Method::GET, "/api/v1/healthz", None, None, &https).await;
    assert!(hsts(&answer).is_none(), "without --trust-proxy anyone could send the header");
    app.stop().await;
}

/// `sha384-…` of `bytes`, as a build's `integrity` attribute says it.
fn integrity(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!("sha384-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes)))
}

/// The `integrity` the page gives the script at `href`.
fn integrity_in(page: &str, href: &str) -> String {
    let tag = page.split("<link").find(|tag| tag.contains(&format!("href=\"{href}\""))).unwrap_or_default();
    tag.split("integrity=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_string()
}

/// Hardening finding 13: the server kept `index.html` (and the integrity hashes it names) from
/// start-up but served scripts from disk, so a rebuild into the same folder under a running
/// server left the wallet a white page. What it serves is one build, whatever the folder holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_under_a_running_server_does_not_mix_two_builds() {
    let db = TestDb::sqlite();
    let dist = tempfile::tempdir().unwrap();
    let build = |script: &str| {
        let page = format!(
            "<!doctype html><html><head><link rel=\"modulepreload\" href=\"/app.js\" integrity=\"{}\">\
             <script type=\"module\">import init from '/app.js';init();</script></head></html>",
            integrity(script.as_bytes())
        );
        std::fs::write(dist.path().join("index.html"), page).unwrap();
        std::fs::write(dist.path().join("app.js"), script).unwrap();
    };
    build("export default function init() { /* build 1 */ }");
    let app = TestApp::new(&db, dist.path()).await;
    // A rebuild lands in the folder while the server runs.
    build("export default function init() { /* build 2 */ }");
    std::fs::write(dist.path().join("new.js"), "export const x = 1;").unwrap();

    let (_, page) = app.get("/wallet").await;
    let page = String::from_utf8(page).unwrap();
    let (response, script) = app.get("/app.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        integrity_in(&page, "/app.js"),
        integrity(&script),
        "the page names the script it is served with: {}",
        String::from_utf8_lossy(&script)
    );
    let etag = response.headers()[header::ETAG].clone();
    let again = Request::get("/app.js").header(header::IF_NONE_MATCH, etag).body(Body::empty()).unwrap();
    assert_eq!(
        app.send(again).await.0.status(),
        StatusCode::NOT_MODIFIED,
        "a browser's copy is checked by its ETag"
    );
    let (response, _) = app.get("/new.js").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "a file of the new build is not served");
    app.stop().await;
}
