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

/// The body of a public id (what follows its prefix and `_`).
fn body_of(id: &str) -> &str {
    id.split_once('_').unwrap().1
}

// Finding 9: `rq_X`, `card_X`, `ba_X`, `we_X`, `key_X`, `tip_X`/`tr_X` had the same body for
// the same row number, so an id of one type named the same row of another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_of_the_same_row_number_differ_by_type_and_cross_typed_ids_are_not_found() {
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), demo()).await;
        let (souq, _, _) = merchant_named(&app, "souq", "Souq Books").await;
        let alice = app.sign_up("alice").await;
        // Row 1 of each table.
        let request = app
            .call(
                Method::POST,
                "/api/v1/requests",
                Some(&souq),
                Some(json!({"from": "alice", "amount": "1.00", "currency": "USD"})),
            )
            .await;
        let request = request.body["request"]["id"].as_str().unwrap().to_string();
        let token = app
            .call(
                Method::POST,
                "/sandbox/card-network/tokens",
                None,
                Some(json!({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"})),
            )
            .await;
        let card = app
            .call(Method::POST, "/api/v1/cards", Some(&souq), Some(json!({"token": token.body["token"]})))
            .await;
        let card = card.body["card"]["id"].as_str().unwrap().to_string();
        let bank =
            json!({"routing_number": "110000000", "account_number": "000123456789", "holder_name": "Souq"});
        let bank = app.call(Method::POST, "/api/v1/bank-accounts", Some(&souq), Some(bank)).await;
        let bank = bank.body["bank_account"]["id"].as_str().unwrap().to_string();
        let endpoint = app
            .call(
                Method::POST,
                "/api/v1/merchant/webhook-endpoints",
                Some(&souq),
                Some(json!({"url": "https://shop.example/hooks", "events": ["refund.created"]})),
            )
            .await;
        let endpoint = endpoint.body["id"].as_str().unwrap().to_string();
        let keys = app.call(Method::GET, "/api/v1/merchant/keys", Some(&souq), None).await;
        let key = keys.body["items"][0]["id"].as_str().unwrap().to_string();
        let ids = [&request, &card, &bank, &endpoint, &key];
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert_ne!(body_of(a), body_of(b), "{a} and {b} share their body ({})", db.backend);
            }
        }
        // An id of one type where another is expected names nothing, even the caller's own
        // row of that number.
        let cases = [
            (Method::DELETE, format!("/api/v1/cards/card_{}", body_of(&request))),
            (Method::DELETE, format!("/api/v1/bank-accounts/ba_{}", body_of(&card))),
            (Method::DELETE, format!("/api/v1/merchant/webhook-endpoints/we_{}", body_of(&key))),
            (Method::DELETE, format!("/api/v1/merchant/keys/key_{}", body_of(&endpoint))),
            (Method::POST, format!("/api/v1/requests/rq_{}/cancel", body_of(&bank))),
        ];
        for (method, path) in cases {
            let answer = app.call(method, &path, Some(&souq), None).await;
            assert_eq!((answer.status, answer.code()), (StatusCode::NOT_FOUND, "not_found"), "{path}");
        }
        // Each still names its own row.
        let listed = app.call(Method::GET, "/api/v1/cards", Some(&souq), None).await;
        assert_eq!(listed.body["items"][0]["id"], card.as_str());
        for (method, path) in [
            (Method::POST, format!("/api/v1/requests/{request}/cancel")),
            (Method::DELETE, format!("/api/v1/cards/{card}")),
            (Method::DELETE, format!("/api/v1/bank-accounts/{bank}")),
            (Method::DELETE, format!("/api/v1/merchant/webhook-endpoints/{endpoint}")),
            (Method::DELETE, format!("/api/v1/merchant/keys/{key}")),
        ] {
            let answer = app.call(method, &path, Some(&souq), None).await;
            assert!(answer.status.is_success(), "{path}: {:?}", answer.body);
        }
        // A tip's id and its transfer's activity id differ too, and neither stands for the other.
        app.fund(1, "alice", 10_000, "Top-up").await;
        let lina = app.sign_up("lina").await;
        let on =
            app.call(Method::PUT, "/api/v1/me/creator", Some(&lina), Some(json!({"enabled": true}))).await;
        assert_eq!(on.status, StatusCode::OK);
        let tip = app
            .call_with(
                Method::POST,
                "/api/v1/tips",
                Some(&alice),
                Some(json!({"creator": "lina", "amount": "1.00", "currency": "USD"})),
                &[("idempotency-key", "t1")],
            )
            .await;
        assert_eq!(tip.status, StatusCode::CREATED, "{:?}", tip.body);
        let tip = tip.body["tip"]["id"].as_str().unwrap().to_string();
        let activity = app.call(Method::GET, "/api/v1/activity", Some(&alice), None).await;
        let transfer = activity.body["items"][0]["id"].as_str().unwrap().to_string();
        assert_ne!(body_of(&tip), body_of(&transfer));
        let forged = app
            .call(Method::GET, &format!("/api/v1/activity/tr_{}", body_of(&tip)), Some(&alice), None)
            .await;
        assert_eq!(forged.status, StatusCode::NOT_FOUND);
        let real = app.call(Method::GET, &format!("/api/v1/activity/{transfer}"), Some(&alice), None).await;
        assert_eq!(real.status, StatusCode::OK);
        app.stop().await;
    }
}

fn demo() -> purse_server::flows::Settings {
    purse_server::flows::Settings { demo: true, ..purse_server::flows::Settings::default() }
}

/// A host name (not `localhost`) that this machine resolves to a loopback address: its own
/// name, or one of the loopback aliases `/etc/hosts` usually carries.
fn name_resolving_to_loopback() -> String {
    use std::net::ToSocketAddrs;
    let own = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default().trim().to_string();
    let candidates = [own.as_str(), "ip6-localhost", "ip6-loopback", "localhost.localdomain", "runsc", "vm"];
    candidates
        .into_iter()
        .filter(|name| !name.is_empty())
        .find(|name| {
            (*name, 443).to_socket_addrs().is_ok_and(|mut addresses| addresses.any(|a| a.ip().is_loopback()))
        })
        .map(str::to_string)
        .expect("some name other than localhost resolves to loopback on this machine")
}

// Finding 8: host names that resolve to loopback passed registration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_hosts_are_resolved_at_registration_and_internal_ranges_refused() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, _, _) = merchant_named(&app, "souq", "Souq Books").await;
        let name = name_resolving_to_loopback();
        for url in [
            format!("https://{name}/hooks"),
            format!("https://{name}:8443/hooks"),
            "https://[::ffff:7f00:1]/hooks".to_string(),
            "https://[::ffff:0:a00:1]/hooks".to_string(),
            "https://[64:ff9b:1::5db8:d822]/hooks".to_string(),
            "https://[64:ff9b::a00:1]/hooks".to_string(),
            "https://[fec0::1]/hooks".to_string(),
        ] {
            let answer = app
                .call(
                    Method::POST,
                    "/api/v1/merchant/webhook-endpoints",
                    Some(&souq),
                    Some(json!({"url": url, "events": ["refund.created"]})),
                )
                .await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (StatusCode::BAD_REQUEST, "invalid_url", Some("url")),
                "{url} ({})",
                db.backend
            );
        }
        app.stop().await;
    }
}

// Finding 8: a delivery's error told whether an internal name resolved and what it pointed at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_say_only_that_they_could_not_connect() {
    use purse_server::flows::webhooks;
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, secret, _) = merchant_named(&app, "souq", "Souq Books").await;
        let merchant = app.user("souq").await.id;
        let events = ",checkout.session.expired,";
        // Written past the registration check, as if DNS had changed since.
        for url in [
            "https://does-not-exist.invalid/hooks",
            &format!("https://{}/hooks", name_resolving_to_loopback()),
            "https://10.1.2.3/hooks",
        ] {
            webhooks::create_endpoint(&app.state, merchant, url, events).await.unwrap();
        }
        let bearer = format!("Bearer {secret}");
        let body = json!({"amount": "1.00", "currency": "USD", "description": "x",
            "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/no"});
        let made = app
            .call_with(
                Method::POST,
                "/api/v1/checkout/sessions",
                None,
                Some(body),
                &[("authorization", &bearer), ("idempotency-key", "s1")],
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED);
        app.advance(30 * 60);
        assert_eq!(purse_server::flows::checkout::expire_due(&app.state).await.unwrap(), 1);
        assert_eq!(webhooks::deliver_due(&app.state, &webhooks::client()).await.unwrap(), 3);
        let listed = app.call(Method::GET, "/api/v1/merchant/webhook-deliveries", Some(&souq), None).await;
        let errors: Vec<&str> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["last_error"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(errors, ["could not connect"; 3], "{}", db.backend);
        app.stop().await;
    }
}

/// The stored `secret` column of every webhook endpoint.
async fn stored_secrets(app: &TestApp) -> Vec<String> {
    let sql = "SELECT secret FROM webhook_endpoints ORDER BY id";
    match &app.state.db {
        Db::Sqlite(pool, _) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap(),
    }
}

// Finding 14: webhook signing secrets were stored in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_secrets_are_encrypted_at_rest_and_deliveries_still_verify() {
    use purse_server::flows::webhooks;
    for db in TestDb::every_backend().await {
        let app = TestApp::with_settings(&db, db.dir.path(), demo()).await;
        let (souq, secret, _) = merchant_named(&app, "souq", "Souq Books").await;
        let received =
            std::sync::Arc::new(std::sync::Mutex::new(Vec::<(axum::http::HeaderMap, Vec<u8>)>::new()));
        let log = received.clone();
        let router = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let log = log.clone();
                async move {
                    log.lock().unwrap().push((headers, body.to_vec()));
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let made = app
            .call(
                Method::POST,
                "/api/v1/merchant/webhook-endpoints",
                Some(&souq),
                Some(json!({"url": url, "events": ["checkout.session.expired"]})),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
        let signing = made.body["secret"].as_str().unwrap().to_string();
        let stored = stored_secrets(&app).await;
        assert_eq!(stored.len(), 1);
        let body = &signing["whsec_".len()..];
        assert!(
            !stored[0].contains(body) && !stored[0].starts_with("whsec_"),
            "{} stores {:?}",
            db.backend,
            stored[0]
        );

        let bearer = format!("Bearer {secret}");
        let session = json!({"amount": "1.00", "currency": "USD", "description": "x",
            "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/no"});
        let made = app
            .call_with(
                Method::POST,
                "/api/v1/checkout/sessions",
                None,
                Some(session),
                &[("authorization", &bearer), ("idempotency-key", "s1")],
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED);
        app.advance(30 * 60);
        assert_eq!(purse_server::flows::checkout::expire_due(&app.state).await.unwrap(), 1);
        assert_eq!(webhooks::deliver_due(&app.state, &webhooks::client()).await.unwrap(), 1);
        let (headers, body) = received.lock().unwrap()[0].clone();
        let header = headers["purse-signature"].to_str().unwrap();
        let t: i64 = header.split(',').next().unwrap().strip_prefix("t=").unwrap().parse().unwrap();
        assert_eq!(
            header,
            webhooks::signature(&signing, t, &body),
            "signed with the secret the merchant got"
        );
        server.abort();

        // A secret kept in clear before sealing is sealed when the server starts, and opens
        // to the same secret.
        let clear = "whsec_kept_in_clear_before_sealing";
        let sql = format!("UPDATE webhook_endpoints SET secret = '{clear}'");
        match &app.state.db {
            Db::Sqlite(pool, _) => drop(sqlx::query(&sql).execute(pool).await.unwrap()),
            Db::Postgres(pool) => drop(sqlx::query(&sql).execute(pool).await.unwrap()),
        }
        let clock = app.clock.clone();
        app.stop().await;
        let restarted = TestApp::with_clock(&db, db.dir.path(), clock).await;
        let stored = stored_secrets(&restarted).await;
        assert!(!stored[0].contains("kept_in_clear"), "{} still stores {:?}", db.backend, stored[0]);
        assert_eq!(restarted.state.webhook_secrets.open(&stored[0]).ok().as_deref(), Some(clear));
        restarted.stop().await;
    }
}

// Finding 14: another party's object answers 404, never 403, even to someone who is no merchant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_merchants_endpoint_or_key_is_not_found_for_anyone_else() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (souq, _, _) = merchant_named(&app, "souq", "Souq Books").await;
        let (other, _, _) = merchant_named(&app, "other", "Other Shop").await;
        let bob = app.sign_up("bob").await;
        let endpoint = app
            .call(
                Method::POST,
                "/api/v1/merchant/webhook-endpoints",
                Some(&souq),
                Some(json!({"url": "https://shop.example/hooks", "events": ["refund.created"]})),
            )
            .await;
        let endpoint = endpoint.body["id"].as_str().unwrap().to_string();
        let keys = app.call(Method::GET, "/api/v1/merchant/keys", Some(&souq), None).await;
        let key = keys.body["items"][0]["id"].as_str().unwrap().to_string();
        for cookie in [&other, &bob] {
            for path in [
                format!("/api/v1/merchant/webhook-endpoints/{endpoint}"),
                format!("/api/v1/merchant/keys/{key}"),
            ] {
                let answer = app.call(Method::DELETE, &path, Some(cookie), None).await;
                assert_eq!(
                    (answer.status, answer.code()),
                    (StatusCode::NOT_FOUND, "not_found"),
                    "{path} ({})",
                    db.backend
                );
            }
        }
        app.stop().await;
    }
}
