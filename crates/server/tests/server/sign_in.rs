//! Sign-in limits (the hardening issue, finding 11): wrong passwords from one address are
//! refused past ten for that handle there, but cannot lock the owner out from another address;
//! IPv6 clients count by their /64.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use purse_server::{AppState, app};
use tower::ServiceExt;

use crate::support::{PASSWORD, TestApp, TestDb};

/// `POST /auth/login` for `handle` with `password`, from `address`.
async fn login_from(state: &AppState, address: &str, handle: &str, password: &str) -> (StatusCode, String) {
    let body = serde_json::json!({"handle": handle, "password": password}).to_string();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::HOST, "purse.test")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let address: SocketAddr = address.parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(address));
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let raw = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&raw).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_wrong_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        app.sign_up("alice").await;
        let attacker = "198.51.100.9:5000";
        for i in 0..10 {
            let (status, body) = login_from(&app.state, attacker, "alice", "wrong password").await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "try {i}: {body}");
        }
        let (status, body) = login_from(&app.state, attacker, "alice", "wrong password").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{}: {body}", db.backend);
        // Even the right password waits there…
        let (status, _) = login_from(&app.state, attacker, "alice", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        // …but the owner, on their own network, signs in.
        let (status, body) = login_from(&app.state, "203.0.113.50:443", "alice", PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipv6_client_counts_by_its_64_whatever_address_it_picks() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    app.sign_up("alice").await;
    // Ten addresses of one /64: one subject.
    for i in 1..=10 {
        let address = format!("[2001:db8:7:7::{i:x}]:5000");
        let (status, _) = login_from(&app.state, &address, "alice", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = login_from(&app.state, "[2001:db8:7:7:ffff::1]:5000", "alice", "wrong password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The next /64 is someone else.
    let (status, _) = login_from(&app.state, "[2001:db8:7:8::1]:5000", "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
