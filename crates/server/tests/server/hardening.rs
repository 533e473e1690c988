//! Regression tests of the hardening issue (h18): hidden characters in names (finding 6),
//! webhook address gaps (8), ids that shared their body across types (9), webhook secrets
//! at rest and other parties' objects (14).

use axum::http::{Method, StatusCode};
use purse_server::store::Db;
use serde_json::json;

use crate::support::*;

/// One text value read straight from the database.
async fn stored_text(app: &TestApp, sql: &str) -> String {
    match &app.state.db {
        Db::Sqlite(pool, _) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

/// A merchant named `name` (as sent) with a secret key; its cookie, secret and answer.
async fn merchant_named(app: &TestApp, handle: &str, name: &str) -> (String, String, Answer) {
    let cookie = app.sign_up(handle).await;
    let made = app.call(Method::PUT, "/api/v1/me/merchant", Some(&cookie), Some(json!({"name": name}))).await;
    assert_eq!(made.status, StatusCode::OK, "{:?}", made.body);
    let key = app
        .call(
            Method::POST,
            "/api/v1/merchant/keys",
            Some(&cookie),
            Some(json!({"name": "Ser\u{200B}ver\u{202E}"})),
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{:?}", key.body);
    (cookie, key.body["secret"].as_str().unwrap().to_string(), made)
}

// Finding 6: a display name "Bob Okafor\u{202E}gpj.exe" read "Bob Okaforexe.jpg".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn display_names_lose_bidi_controls_and_invisible_characters() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let body = json!({
            "handle": "bob",
            "display_name": "\u{200B} Bob\u{00A0} Okafor\u{202E}gpj.exe\u{2069}\u{FEFF} ",
            "password": "correct horse battery",
        });
        let made = app.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        assert_eq!(made.body["user"]["display_name"], "Bob Okaforgpj.exe", "{}", db.backend);
        let cookie = made.session_cookie().unwrap();
        let profile = app.call(Method::GET, "/api/v1/users/bob", Some(&cookie), None).await;
        assert_eq!(profile.body["display_name"], "Bob Okaforgpj.exe");
        assert_eq!(stored_text(&app, "SELECT display_name FROM users").await, "Bob Okaforgpj.exe");
        // Nothing but hidden characters is no name at all.
        let body = json!({"handle": "ghost", "display_name": "\u{202E}\u{200B}\u{3164}", "password": "correct horse battery"});
        let ghost = app.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
        assert_eq!((ghost.status, ghost.field()), (StatusCode::BAD_REQUEST, Some("display_name")));
        app.stop().await;
    }
}

// Finding 6: a merchant appeared as "Souq Books" while its name was reversed text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merchant_names_key_names_and_descriptions_lose_hidden_characters() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (cookie, secret, made) = merchant_named(&app, "souq", "\u{202E}skooB quoS\u{202C}").await;
        assert_eq!(made.body["merchant"]["name"], "skooB quoS", "{}", db.backend);
        assert_eq!(stored_text(&app, "SELECT name FROM merchants").await, "skooB quoS");
        let keys = app.call(Method::GET, "/api/v1/merchant/keys", Some(&cookie), None).await;
        assert_eq!(keys.body["items"][0]["name"], "Server");

        let body = json!({
            "amount": "12.50",
            "currency": "USD",
            "description": "The Cairo\n Trilogy\u{2066} (paper\u{00AD}back)\u{200F}",
            "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/no",
        });
        let bearer = format!("Bearer {secret}");
        let session = app
            .call_with(
                Method::POST,
                "/api/v1/checkout/sessions",
                None,
                Some(body),
                &[("authorization", &bearer), ("idempotency-key", "s1")],
            )
            .await;
        assert_eq!(session.status, StatusCode::CREATED, "{:?}", session.body);
        assert_eq!(session.body["session"]["description"], "The Cairo Trilogy (paperback)");
        let id = session.body["session"]["id"].as_str().unwrap();
        let public =
            app.call(Method::GET, &format!("/api/v1/checkout/sessions/{id}/public"), None, None).await;
        assert_eq!(public.body["merchant"]["name"], "skooB quoS");
        assert_eq!(public.body["description"], "The Cairo Trilogy (paperback)");
        assert_eq!(
            stored_text(&app, "SELECT description FROM checkout_sessions").await,
            "The Cairo Trilogy (paperback)"
        );
        app.stop().await;
    }
}

// Finding 6: goal titles (and, as before, notes and tip messages).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goal_titles_lose_hidden_characters() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let lina = app.sign_up("lina").await;
        let goal = json!({"title": "\u{2067}New\u{200B} camera\u{2069}\u{E0041}", "target": "500.00"});
        let set = app
            .call(
                Method::PUT,
                "/api/v1/me/creator",
                Some(&lina),
                Some(json!({"enabled": true, "goal": goal})),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
        assert_eq!(set.body["creator"]["goal"]["title"], "New camera", "{}", db.backend);
        let page = app.call(Method::GET, "/api/v1/creators/lina", Some(&lina), None).await;
        assert_eq!(page.body["goal"]["title"], "New camera");
        assert_eq!(stored_text(&app, "SELECT goal_title FROM creators").await, "New camera");
        let empty = json!({"enabled": true, "goal": {"title": "\u{202E} \u{200D}", "target": "5.00"}});
        let refused = app.call(Method::PUT, "/api/v1/me/creator", Some(&lina), Some(empty)).await;
        assert_eq!((refused.status, refused.field()), (StatusCode::BAD_REQUEST, Some("goal.title")));
        app.stop().await;
    }
}
