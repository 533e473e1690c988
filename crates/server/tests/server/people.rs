//! People and sessions: sign-up, sign-in, sign-out, `/me`, PINs, profiles, with a table of bad
//! inputs per endpoint, CSRF, rate limits and the PIN lock (the clock moved, never slept).

use axum::http::{Method, StatusCode, header};
use serde_json::json;

use crate::support::*;

fn signup(handle: &str, display_name: &str, password: &str) -> serde_json::Value {
    json!({"handle": handle, "display_name": display_name, "password": password})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_gives_a_session_a_wallet_and_a_profile() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let answer = app
            .call(Method::POST, "/api/v1/auth/signup", None, Some(signup("@Alice_1", "  Alice  ", PASSWORD)))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}: {:?}", db.backend, answer.body);
        let user = &answer.body["user"];
        assert_eq!(user["handle"], "alice_1");
        assert_eq!(user["display_name"], "Alice");
        assert_eq!(user["pin_set"], false);
        assert_eq!(user["roles"], json!(["member"]));
        assert!(user["id"].as_str().is_some_and(|id| id.starts_with("usr_")));
        let set_cookie = answer.headers[header::SET_COOKIE].to_str().unwrap().to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        let cookie = answer.session_cookie().unwrap();

        let me = app.call(Method::GET, "/api/v1/me", Some(&cookie), None).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["user"], *user);

        let wallet = app.call(Method::GET, "/api/v1/wallet", Some(&cookie), None).await;
        assert_eq!(
            wallet.body,
            json!({"balances": [{"currency": "USD", "available": "0.00", "pending_in": "0.00", "pending_out": "0.00"}]})
        );
        // The wallet is a ledger account that can never go below zero.
        let account =
            app.ledger.lookup_account(purse_server::codes::wallet_of(app.user("alice_1").await.id)).await;
        let account = account.unwrap().unwrap();
        assert!(account.flags.contains(purse_ledger::AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS));

        let profile = app.call(Method::GET, "/api/v1/users/@ALICE_1", Some(&cookie), None).await;
        assert_eq!(profile.body, json!({"handle": "alice_1", "display_name": "Alice", "is_creator": false}));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_sign_up_gets_its_code_and_names_its_field() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    app.sign_up("taken").await;
    let long = "x".repeat(51);
    let cases: Vec<(serde_json::Value, StatusCode, &str, Option<&str>)> = vec![
        (
            json!({"display_name": "A", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("handle"),
        ),
        (
            json!({"handle": "ann", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("display_name"),
        ),
        (
            json!({"handle": "ann", "display_name": "A"}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("password"),
        ),
        (
            json!({"handle": "ann", "display_name": "A", "password": PASSWORD, "admin": true}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("admin"),
        ),
        (
            json!({"handle": 7, "display_name": "A", "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("handle"),
        ),
        (
            json!({"handle": "ann", "display_name": ["A"], "password": PASSWORD}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("display_name"),
        ),
        (signup("an", "A", PASSWORD), StatusCode::BAD_REQUEST, "invalid_request", Some("handle")),
        (
            signup("a234567890123456", "A", PASSWORD),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            Some("handle"),
        ),
        (signup("ann-marie", "A", PASSWORD), StatusCode::BAD_REQUEST, "invalid_request", Some("handle")),
        (signup("ann", "   ", PASSWORD), StatusCode::BAD_REQUEST, "invalid_request", Some("display_name")),
        (signup("ann", &long, PASSWORD), StatusCode::BAD_REQUEST, "invalid_request", Some("display_name")),
        (signup("ann", "A", "short"), StatusCode::BAD_REQUEST, "weak_password", Some("password")),
        (signup("ann", "A", &"ab".repeat(65)), StatusCode::BAD_REQUEST, "weak_password", Some("password")),
        (signup("ann", "A", "ann12345"), StatusCode::BAD_REQUEST, "weak_password", Some("password")),
        (signup("ann", "A", "zzzzzzzzzzzz"), StatusCode::BAD_REQUEST, "weak_password", Some("password")),
        (signup("TAKEN", "Another", PASSWORD), StatusCode::CONFLICT, "handle_taken", Some("handle")),
        (signup("@Taken", "Another", PASSWORD), StatusCode::CONFLICT, "handle_taken", Some("handle")),
    ];
    for (body, status, code, field) in cases {
        let answer = app.call(Method::POST, "/api/v1/auth/signup", None, Some(body.clone())).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (status, code, field),
            "{body}: {:?}",
            answer.body
        );
        assert!(answer.session_cookie().is_none(), "{body}: no session for a refused sign-up");
    }
    assert!(app.state.db.user_by_handle("ann").await.unwrap().is_none(), "nothing was created");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_says_the_same_for_an_unknown_handle_and_a_wrong_password() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    app.sign_up("bob").await;
    let login = |handle: &str, password: &str| json!({"handle": handle, "password": password});
    let ok = app.call(Method::POST, "/api/v1/auth/login", None, Some(login("@BOB", PASSWORD))).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["user"]["handle"], "bob");
    assert!(ok.session_cookie().is_some());

    let wrong =
        app.call(Method::POST, "/api/v1/auth/login", None, Some(login("bob", "wrong password!"))).await;
    let unknown = app.call(Method::POST, "/api/v1/auth/login", None, Some(login("nobody", PASSWORD))).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.code(), "invalid_credentials");
    assert_eq!(wrong.raw, unknown.raw, "byte for byte the same answer");
    assert!(wrong.session_cookie().is_none());

    let bad = [
        (json!({"handle": "bob"}), "password"),
        (json!({"password": PASSWORD}), "handle"),
        (json!({"handle": "b", "password": PASSWORD}), "handle"),
        (json!({"handle": "bob", "password": PASSWORD, "remember": true}), "remember"),
    ];
    for (body, field) in bad {
        let answer = app.call(Method::POST, "/api/v1/auth/login", None, Some(body.clone())).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "invalid_request", Some(field)),
            "{body}"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_limited_per_handle_until_the_window_passes() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    app.sign_up("carol").await;
    let wrong = json!({"handle": "carol", "password": "not the password"});
    for attempt in 1..=10 {
        let answer = app.call(Method::POST, "/api/v1/auth/login", None, Some(wrong.clone())).await;
        assert_eq!(answer.code(), "invalid_credentials", "attempt {attempt}");
    }
    // The eleventh, even with the right password, waits.
    let right = json!({"handle": "carol", "password": PASSWORD});
    let limited = app.call(Method::POST, "/api/v1/auth/login", None, Some(right.clone())).await;
    assert_eq!((limited.status, limited.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let retry_after: i64 = limited.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    app.advance(u32::try_from(retry_after).unwrap());
    let again = app.call(Method::POST, "/api/v1/auth/login", None, Some(right)).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_on_every_instance() {
    for db in TestDb::every_backend().await {
        let first = TestApp::new(&db, db.dir.path()).await;
        let second = TestApp::with_clock(&db, db.dir.path(), first.clock.clone()).await;
        let cookie = first.sign_up("dana").await;
        assert_eq!(second.call(Method::GET, "/api/v1/me", Some(&cookie), None).await.status, StatusCode::OK);

        let out = first.call(Method::POST, "/api/v1/auth/logout", Some(&cookie), None).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert!(out.headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
        for app in [&first, &second] {
            let me = app.call(Method::GET, "/api/v1/me", Some(&cookie), None).await;
            assert_eq!(
                (me.status, me.code()),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
                "{}",
                db.backend
            );
        }
        second.stop().await;
        first.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_out_requests_are_refused_everywhere() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let cases = [
        (Method::GET, "/api/v1/me"),
        (Method::PUT, "/api/v1/me/pin"),
        (Method::GET, "/api/v1/wallet"),
        (Method::GET, "/api/v1/activity"),
        (Method::GET, "/api/v1/activity/tr_aaaaaaaaaaaaa"),
        (Method::GET, "/api/v1/events"),
        (Method::GET, "/api/v1/users/alice"),
        (Method::POST, "/api/v1/auth/logout"),
    ];
    for (method, path) in cases {
        for cookie in [
            None,
            Some("purse_session=forged"),
            Some("purse_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ] {
            let body = (method == Method::PUT).then(|| json!({"pin": "1234"}));
            let answer = app.call(method.clone(), path, cookie, body).await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
                "{method} {path} {cookie:?}"
            );
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_request_with_the_cookie_is_refused() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let cookie = app.sign_up("erin").await;
    let pin = Some(json!({"pin": "2468"}));
    let refused = [
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "https://evil.test")],
        vec![("origin", "null")],
    ];
    for headers in refused {
        let answer = app.call_with(Method::PUT, "/api/v1/me/pin", Some(&cookie), pin.clone(), &headers).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::FORBIDDEN, "csrf_rejected"), "{headers:?}");
        let logout = app.call_with(Method::POST, "/api/v1/auth/logout", Some(&cookie), None, &headers).await;
        assert_eq!(logout.code(), "csrf_rejected", "{headers:?}");
    }
    assert_eq!(app.call(Method::GET, "/api/v1/me", Some(&cookie), None).await.body["user"]["pin_set"], false);
    let allowed = [vec![("sec-fetch-site", "same-origin")], vec![("origin", "http://purse.test")], vec![]];
    for headers in allowed {
        let answer = app
            .call_with(
                Method::PUT,
                "/api/v1/me/pin",
                Some(&cookie),
                Some(json!({"pin": "2468", "current_pin": "2468"})),
                &headers,
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{headers:?}: {:?}", answer.body);
    }
    // A cross-site read is harmless and allowed (the browser keeps the answer from the page).
    let read = app
        .call_with(Method::GET, "/api/v1/me", Some(&cookie), None, &[("sec-fetch-site", "cross-site")])
        .await;
    assert_eq!(read.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pin_is_set_changed_and_locked_after_five_wrong_tries() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let cookie = app.sign_up("fred").await;
        let put =
            |body: serde_json::Value| app.call(Method::PUT, "/api/v1/me/pin", Some(&cookie), Some(body));

        for (body, field) in [
            (json!({"pin": "123"}), "pin"),
            (json!({"pin": "1234567"}), "pin"),
            (json!({"pin": "12a4"}), "pin"),
            (json!({"pin": 1234}), "pin"),
            (json!({}), "pin"),
            (json!({"pin": "1234", "pin2": "1"}), "pin2"),
        ] {
            let answer = put(body.clone()).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (StatusCode::BAD_REQUEST, "invalid_request", Some(field)),
                "{body}"
            );
        }
        assert_eq!(put(json!({"pin": "1234"})).await.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.call(Method::GET, "/api/v1/me", Some(&cookie), None).await.body["user"]["pin_set"],
            true
        );

        let missing = put(json!({"pin": "5678"})).await;
        assert_eq!((missing.status, missing.code()), (StatusCode::FORBIDDEN, "pin_required"));
        for attempt in 1..=4 {
            let wrong = put(json!({"pin": "5678", "current_pin": "0000"})).await;
            assert_eq!(
                (wrong.status, wrong.code(), wrong.field()),
                (StatusCode::FORBIDDEN, "pin_incorrect", Some("current_pin")),
                "try {attempt}"
            );
        }
        let fifth = put(json!({"pin": "5678", "current_pin": "0000"})).await;
        assert_eq!((fifth.status, fifth.code()), (StatusCode::FORBIDDEN, "pin_locked"));
        assert_eq!(fifth.headers[header::RETRY_AFTER], "900");
        // Locked: even the right PIN waits.
        let right = put(json!({"pin": "5678", "current_pin": "1234"})).await;
        assert_eq!(right.code(), "pin_locked");
        app.advance(15 * 60);
        let after = put(json!({"pin": "5678", "current_pin": "1234"})).await;
        assert_eq!(after.status, StatusCode::NO_CONTENT, "{}: {:?}", db.backend, after.body);
        // The run of wrong PINs starts again from zero.
        let wrong = put(json!({"pin": "1111", "current_pin": "1234"})).await;
        assert_eq!(wrong.code(), "pin_incorrect");
        assert!(wrong.body["error"]["message"].as_str().unwrap().contains('4'), "{:?}", wrong.body);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_show_only_what_is_public() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    purse_server::flows::demo::seed(&app.state).await.unwrap();
    let cookie = app.sign_up("gina").await;
    let lina = app.call(Method::GET, "/api/v1/users/lina", Some(&cookie), None).await;
    assert_eq!(
        lina.body,
        json!({"handle": "lina", "display_name": "Lina Haddad", "is_creator": true,
               "paid_before": false, "cancel_window_seconds": 600})
    );
    // One's own profile says nothing about paying oneself.
    let own = app.call(Method::GET, "/api/v1/users/gina", Some(&cookie), None).await;
    assert_eq!(own.body, json!({"handle": "gina", "display_name": "GINA", "is_creator": false}));
    let alice = app.call(Method::GET, "/api/v1/users/Alice", Some(&cookie), None).await;
    assert_eq!(alice.body["is_creator"], false);
    let nobody = app.call(Method::GET, "/api/v1/users/nobody", Some(&cookie), None).await;
    assert_eq!((nobody.status, nobody.code()), (StatusCode::NOT_FOUND, "not_found"));
    let bad = app.call(Method::GET, "/api/v1/users/no!", Some(&cookie), None).await;
    assert_eq!(
        (bad.status, bad.code(), bad.field()),
        (StatusCode::BAD_REQUEST, "invalid_request", Some("handle"))
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_its_people_once_with_their_money() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    assert_eq!(purse_server::flows::demo::seed(&app.state).await.unwrap(), 8);
    assert_eq!(purse_server::flows::demo::seed(&app.state).await.unwrap(), 0, "a second run changes nothing");
    let login = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"handle": "alice", "password": "purse-demo-pass"})),
        )
        .await;
    let cookie = login.session_cookie().unwrap();
    assert_eq!(login.body["user"]["pin_set"], true);
    let wallet = app.call(Method::GET, "/api/v1/wallet", Some(&cookie), None).await;
    assert_eq!(wallet.body["balances"][0]["available"], "500.00", "funded once, not twice");
    let activity = app.call(Method::GET, "/api/v1/activity", Some(&cookie), None).await;
    assert_eq!(activity.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(activity.body["items"][0]["kind"], "deposit");
    assert_eq!(activity.body["items"][0]["note"], "Demo funds");
    let merchant = app.user("souq_books").await;
    assert_eq!(
        purse_server::flows::people::roles(merchant.roles, merchant.officer),
        vec![purse_api::Role::Member, purse_api::Role::Merchant]
    );
    let report = app.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{:?}", report.violations);
    app.stop().await;
}

/// Issue 19: the SPA's first question on every page, `GET /session`, answers `200` signed out
/// (`GET /me`'s `401` was an error in the console of every signed-out page), and the person when
/// signed in; `GET /me` itself is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_is_signed_in_is_asked_without_a_401() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let nobody = app.call(Method::GET, "/api/v1/session", None, None).await;
        assert_eq!((nobody.status, &nobody.body), (StatusCode::OK, &serde_json::json!({"user": null})));
        let stale = app.call(Method::GET, "/api/v1/session", Some("purse_session=stale"), None).await;
        assert_eq!((stale.status, &stale.body["user"]), (StatusCode::OK, &serde_json::Value::Null));
        let signed_in = app.call(Method::GET, "/api/v1/session", Some(&alice), None).await;
        let me = app.call(Method::GET, "/api/v1/me", Some(&alice), None).await;
        assert_eq!(signed_in.status, StatusCode::OK, "{}", db.backend);
        assert_eq!(signed_in.body["user"]["handle"], "alice");
        assert_eq!(signed_in.body["user"], me.body["user"]);
        let me_signed_out = app.call(Method::GET, "/api/v1/me", None, None).await;
        assert_eq!(
            (me_signed_out.status, me_signed_out.code()),
            (StatusCode::UNAUTHORIZED, "unauthenticated")
        );
        app.stop().await;
    }
}
