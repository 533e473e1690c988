//! Sending money: bad inputs, idempotency, double spending, the grace window, cut-off
//! requests, notes, and the recipient seeing it live.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use purse_server::AppState;
use purse_server::flows::{movement as operations, payments};
use purse_server::ids::{OperationId, PersonId};
use serde_json::{Value, json};

use crate::support::*;
use crate::wallet::Events;

/// `POST /transfers` with `key` (none when `None`).
async fn send(app: &TestApp, cookie: &str, key: Option<&str>, body: Value) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    app.call_with(Method::POST, "/api/v1/transfers", Some(cookie), Some(body), &headers).await
}

/// Alice (100.00, PIN 1234), Bob and Carol, signed in.
async fn three(app: &TestApp) -> (String, String, String) {
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let carol = app.sign_up("carol").await;
    app.fund(1, "alice", 10_000, "Top-up").await;
    set_pin(app, &alice).await;
    (alice, bob, carol)
}

async fn audit_is_clean(app: &TestApp) {
    let report = app.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_payment_is_held_for_the_grace_window_and_later_ones_complete_at_once() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;

        let first = send(
            &app,
            &alice,
            Some("k1"),
            json!({"to": "@Bob", "amount": "20.00", "currency": "USD", "note": "Dinner"}),
        )
        .await;
        assert_eq!(first.status, StatusCode::CREATED, "{} {:?}", db.backend, first.body);
        let transfer = &first.body["transfer"];
        assert_eq!(
            (
                transfer["status"].as_str(),
                transfer["to"].as_str(),
                transfer["amount"].as_str(),
                transfer["note"].as_str()
            ),
            (Some("pending"), Some("bob"), Some("20.00"), Some("Dinner"))
        );
        let until = transfer["cancelable_until"].as_str().unwrap();
        // Ten minutes after now, to the nanosecond in RFC 3339.
        assert!(until.starts_with("2027-01-15T08:"), "{until}");
        assert!(transfer["id"].as_str().unwrap().starts_with("tr_"));
        // The money left Alice's available balance at once and shows as pending for both.
        assert_eq!(
            balance(&app, &alice).await,
            json!({"currency": "USD", "available": "80.00", "pending_in": "0.00", "pending_out": "20.00"})
        );
        assert_eq!(
            balance(&app, &bob).await,
            json!({"currency": "USD", "available": "0.00", "pending_in": "20.00", "pending_out": "0.00"})
        );
        let bobs = app.call(Method::GET, "/api/v1/activity", Some(&bob), None).await;
        assert_eq!(bobs.body["items"][0]["status"], "pending");
        assert_eq!(bobs.body["items"][0]["note"], "Dinner");
        assert_eq!(bobs.body["items"][0]["counterparty"]["handle"], "alice");
        assert_eq!(bobs.body["items"][0]["id"], transfer["id"]);

        // Someone she has paid before: completed at once, no window.
        let second =
            send(&app, &alice, Some("k2"), json!({"to": "bob", "amount": "5.00", "currency": "USD"})).await;
        assert_eq!(second.status, StatusCode::CREATED);
        assert_eq!(second.body["transfer"]["status"], "completed");
        assert!(second.body["transfer"].get("cancelable_until").is_none());
        assert_eq!(second.body["transfer"]["note"], Value::Null);
        assert_eq!(available(&app, &bob).await, "5.00");
        assert_eq!(available(&app, &alice).await, "75.00");
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

/// A bad send: its name, key, body, and the status, code and field it must get.
type Case<'a> = (&'a str, Option<&'a str>, Value, StatusCode, &'a str, Option<&'a str>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sends_get_their_exact_code_and_move_nothing() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        let no_pin = app.sign_up("dave").await;
        app.fund(2, "dave", 10_000, "Top-up").await;
        let body = |amount: Value| json!({"to": "bob", "amount": amount, "currency": "USD"});
        let long_key = "k".repeat(256);
        #[rustfmt::skip]
        let cases: Vec<Case<'_>> = vec![
            ("zero", Some("a1"), body(json!("0")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("zero with decimals", Some("a2"), body(json!("0.00")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("negative", Some("a3"), body(json!("-1")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("three decimals", Some("a4"), body(json!("1.001")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("exponent", Some("a5"), body(json!("1e3")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("plus sign", Some("a6"), body(json!("+5")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("leading space", Some("a7"), body(json!(" 5")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("trailing dot", Some("a8"), body(json!("5.")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("JSON number", Some("a9"), body(json!(5)), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("JSON float", Some("a10"), body(json!(5.5)), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("30 digits", Some("a11"), body(json!("1".repeat(30))), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("above the maximum", Some("a12"), body(json!("10000.01")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("leading zero", Some("a13"), body(json!("05")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("unknown currency", Some("c1"), json!({"to": "bob", "amount": "5.00", "currency": "XYZ"}), StatusCode::BAD_REQUEST, "invalid_currency", Some("currency")),
            ("lower-case currency", Some("c2"), json!({"to": "bob", "amount": "5.00", "currency": "usd"}), StatusCode::BAD_REQUEST, "invalid_currency", Some("currency")),
            ("currency not enabled", Some("c3"), json!({"to": "bob", "amount": "5.00", "currency": "EUR"}), StatusCode::BAD_REQUEST, "invalid_currency", Some("currency")),
            ("to herself", Some("s1"), json!({"to": "ALICE", "amount": "5.00", "currency": "USD"}), StatusCode::UNPROCESSABLE_ENTITY, "self_transfer", Some("to")),
            ("unknown recipient", Some("r1"), json!({"to": "nobody", "amount": "5.00", "currency": "USD"}), StatusCode::UNPROCESSABLE_ENTITY, "recipient_not_found", Some("to")),
            ("malformed handle", Some("r2"), json!({"to": "b!", "amount": "5.00", "currency": "USD"}), StatusCode::BAD_REQUEST, "invalid_request", Some("to")),
            ("insufficient funds", Some("f1"), json!({"to": "bob", "amount": "100.01", "currency": "USD", "pin": "1234"}), StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds", Some("amount")),
            ("note too long", Some("n1"), json!({"to": "bob", "amount": "5.00", "currency": "USD", "note": "n".repeat(281)}), StatusCode::BAD_REQUEST, "invalid_request", Some("note")),
            ("note not text", Some("n2"), json!({"to": "bob", "amount": "5.00", "currency": "USD", "note": 7}), StatusCode::BAD_REQUEST, "invalid_request", Some("note")),
            ("missing key", None, body(json!("5.00")), StatusCode::BAD_REQUEST, "idempotency_key_required", None),
            ("over-long key", Some(long_key.as_str()), body(json!("5.00")), StatusCode::BAD_REQUEST, "idempotency_key_required", None),
            ("unknown field", Some("u1"), json!({"to": "bob", "amount": "5.00", "currency": "USD", "memo": "x"}), StatusCode::BAD_REQUEST, "invalid_request", Some("memo")),
            ("missing recipient", Some("u2"), json!({"amount": "5.00", "currency": "USD"}), StatusCode::BAD_REQUEST, "invalid_request", None),
            ("PIN missing above 50.00", Some("p1"), body(json!("50.01")), StatusCode::FORBIDDEN, "pin_required", Some("pin")),
            ("PIN wrong", Some("p2"), json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "9999"}), StatusCode::FORBIDDEN, "pin_incorrect", Some("pin")),
        ];
        for (name, key, body, status, code, field) in cases {
            let answer = send(&app, &alice, key, body).await;
            assert_eq!(
                (answer.status, answer.code()),
                (status, code),
                "{} {name}: {:?}",
                db.backend,
                answer.body
            );
            if field.is_some() {
                assert_eq!(answer.field(), field, "{name}");
            }
        }
        // No PIN set yet: above the threshold is refused until there is one.
        let answer = send(&app, &no_pin, Some("x1"), body(json!("75.00"))).await;
        assert_eq!((answer.status, answer.code()), (StatusCode::FORBIDDEN, "pin_not_set"));
        // Exactly 50.00 needs no PIN; nothing above moved.
        assert_eq!(available(&app, &alice).await, "100.00");
        assert_eq!(balance(&app, &bob).await["pending_in"], "0.00");
        let ok = send(&app, &alice, Some("ok"), body(json!("50.00"))).await;
        assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
        assert_eq!(available(&app, &alice).await, "50.00");
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_replays_its_first_answer_refuses_another_body_and_one_twin_at_a_time() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, carol) = three(&app).await;
        let body = json!({"to": "bob", "amount": "12.34", "currency": "USD", "note": "Tickets"});

        let first = send(&app, &alice, Some("same"), body.clone()).await;
        let again = send(&app, &alice, Some("same"), body.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED);
        assert_eq!((again.status, &again.raw), (first.status, &first.raw), "byte for byte");
        // The PIN is not part of what the key names (and is never stored).
        let with_pin = send(
            &app,
            &alice,
            Some("same"),
            json!({"to": "bob", "amount": "12.34", "currency": "USD", "note": "Tickets", "pin": "1234"}),
        )
        .await;
        assert_eq!(with_pin.raw, first.raw);
        assert_eq!(available(&app, &alice).await, "87.66");
        assert_eq!(balance(&app, &bob).await["pending_in"], "12.34");

        let different = send(
            &app,
            &alice,
            Some("same"),
            json!({"to": "bob", "amount": "12.35", "currency": "USD", "note": "Tickets"}),
        )
        .await;
        assert_eq!(
            (different.status, different.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_mismatch")
        );
        // Keys belong to their user: Carol's "same" is hers.
        app.fund(3, "carol", 500, "Top-up").await;
        let carols =
            send(&app, &carol, Some("same"), json!({"to": "bob", "amount": "1.00", "currency": "USD"})).await;
        assert_eq!(carols.status, StatusCode::CREATED);

        // A refusal for lack of money is an answer too: replayed, not retried.
        let broke = json!({"to": "alice", "amount": "5.01", "currency": "USD"});
        let refused = send(&app, &carol, Some("broke"), broke.clone()).await;
        assert_eq!(refused.code(), "insufficient_funds");
        app.fund(4, "carol", 10_000, "Top-up").await;
        let replayed = send(&app, &carol, Some("broke"), broke).await;
        assert_eq!((replayed.status, &replayed.raw), (refused.status, &refused.raw));

        // Eight copies at once: one moves money, the others get its answer or 409.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let state = app.state.clone();
            let cookie = alice.clone();
            tasks.push(tokio::spawn(async move {
                post_transfer(
                    &state,
                    &cookie,
                    "twin",
                    json!({"to": "carol", "amount": "3.00", "currency": "USD"}),
                )
                .await
            }));
        }
        let mut created = Vec::new();
        for task in tasks {
            let (status, raw) = task.await.unwrap();
            match status {
                StatusCode::CREATED => created.push(raw),
                StatusCode::CONFLICT => {
                    assert_eq!(json(&raw)["error"]["code"], "idempotency_key_in_use");
                }
                other => panic!("{other}: {}", String::from_utf8_lossy(&raw)),
            }
        }
        assert!(!created.is_empty());
        assert!(created.windows(2).all(|pair| pair[0] == pair[1]), "every success is the same answer");
        assert_eq!(available(&app, &alice).await, "84.66", "{}", db.backend);
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

/// `POST /transfers` from another task.
async fn post_transfer(state: &AppState, cookie: &str, key: &str, body: Value) -> (StatusCode, Vec<u8>) {
    let headers = [("idempotency-key", key)];
    let answer =
        call_state(state, Method::POST, "/api/v1/transfers", Some(cookie), Some(body), &headers).await;
    (answer.status, answer.raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_sends_spend_exactly_what_there_is() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        // 60.00 with the PIN leaves 40.00; then 20 × 2.50 = 50.00 (all within the day's 50.00
        // without the PIN) against 40.00: exactly 16 fit.
        let first = json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "1234"});
        let (status, raw) = post_transfer(&app.state, &alice, "spend-first", first).await;
        assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&raw));
        let mut tasks = Vec::new();
        for i in 0..20 {
            let state = app.state.clone();
            let cookie = alice.clone();
            tasks.push(tokio::spawn(async move {
                let body = json!({"to": "bob", "amount": "2.50", "currency": "USD"});
                post_transfer(&state, &cookie, &format!("spend-{i}"), body).await
            }));
        }
        let (mut sent, mut refused) = (0, 0);
        for task in tasks {
            let (status, raw) = task.await.unwrap();
            match status {
                StatusCode::CREATED => sent += 1,
                StatusCode::UNPROCESSABLE_ENTITY => {
                    assert_eq!(json(&raw)["error"]["code"], "insufficient_funds");
                    refused += 1;
                }
                other => panic!("{other}: {}", String::from_utf8_lossy(&raw)),
            }
        }
        assert_eq!((sent, refused), (16, 4), "{}", db.backend);
        let alices = balance(&app, &alice).await;
        let bobs = balance(&app, &bob).await;
        let cents = |text: &Value| text.as_str().unwrap().replace('.', "").parse::<i64>().unwrap();
        assert_eq!(alices["available"], "0.00");
        // Concurrent first payments may each get a window; held or completed, 100.00 went out.
        assert_eq!(cents(&bobs["available"]) + cents(&bobs["pending_in"]), 10_000, "{bobs}");
        assert_eq!(cents(&alices["pending_out"]), cents(&bobs["pending_in"]));
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seventy_concurrent_sends_meet_the_limit_of_sixty_a_minute_and_replays_are_not_counted() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        assert_eq!(app.state.settings.money_per_minute, 60);
        // Hits of one person arrive in the same batches: each must still count once.
        let mut tasks = Vec::new();
        for i in 0..70 {
            let (state, cookie) = (app.state.clone(), alice.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"to": "bob", "amount": "0.01", "currency": "USD"});
                let key = format!("tip-{i}");
                let (status, raw) = post_transfer(&state, &cookie, &key, body).await;
                (key, status, raw)
            }));
        }
        let (mut sent, mut limited) = (Vec::new(), 0);
        for task in tasks {
            let (key, status, raw) = task.await.unwrap();
            match status {
                StatusCode::CREATED => sent.push((key, raw)),
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(json(&raw)["error"]["code"], "rate_limited");
                    limited += 1;
                }
                other => panic!("{other}: {}", String::from_utf8_lossy(&raw)),
            }
        }
        assert_eq!((sent.len(), limited), (60, 10), "{}", db.backend);
        assert_eq!(available(&app, &alice).await, "99.40", "only the 60 moved money");

        let body = json!({"to": "bob", "amount": "0.01", "currency": "USD"});
        let over = send(&app, &alice, Some("one-more"), body.clone()).await;
        assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS);
        let retry_after: i64 = over.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        // Refused over the limit, the key was not kept: its retry is refused the same way, not
        // told that the key is in use.
        let again = send(&app, &alice, Some("one-more"), body.clone()).await;
        assert_eq!((again.status, again.code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
        // A replay moves nothing, so the limit does not stop it.
        let (key, first) = &sent[0];
        assert_eq!(&send(&app, &alice, Some(key), body.clone()).await.raw, first);
        // Bob's own limit is his.
        app.fund(2, "bob", 100, "Top-up").await;
        let back =
            send(&app, &bob, Some("back"), json!({"to": "alice", "amount": "0.01", "currency": "USD"}));
        assert_eq!(back.await.status, StatusCode::CREATED);

        app.advance(61);
        assert_eq!(send(&app, &alice, Some("one-more"), body).await.status, StatusCode::CREATED);
        // Bob's 0.01 is a first payment, held in its grace window: not available yet.
        assert_eq!(available(&app, &alice).await, "99.39");
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sender_can_cancel_in_the_window_and_not_after() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, carol) = three(&app).await;

        let held = send(
            &app,
            &alice,
            Some("h1"),
            json!({"to": "bob", "amount": "30.00", "currency": "USD", "note": "Oops"}),
        )
        .await;
        let id = held.body["transfer"]["id"].as_str().unwrap().to_string();
        // Only the sender: Bob is told no, Carol that there is no such thing.
        assert_eq!(cancel(&app, &id, &bob).await.code(), "forbidden");
        assert_eq!(cancel(&app, &id, &carol).await.code(), "not_found");
        assert_eq!(cancel(&app, "tr_AAAAAAAAAAAAA", &alice).await.code(), "not_found");

        app.advance(9 * 60);
        let canceled = cancel(&app, &id, &alice).await;
        assert_eq!(canceled.status, StatusCode::OK, "{} {:?}", db.backend, canceled.body);
        assert_eq!(canceled.body["transfer"]["status"], "canceled");
        assert_eq!(
            cancel(&app, &id, &alice).await.body["transfer"]["status"],
            "canceled",
            "canceling twice is fine"
        );
        assert_eq!(available(&app, &alice).await, "100.00");
        assert_eq!(balance(&app, &bob).await["pending_in"], "0.00");
        for cookie in [&alice, &bob] {
            let receipt = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(cookie), None).await;
            assert_eq!(receipt.body["activity"]["status"], "canceled");
            assert_eq!(receipt.body["activity"]["note"], "Oops");
        }

        // A canceled payment does not count: the next one is a first payment again.
        let next =
            send(&app, &alice, Some("h2"), json!({"to": "bob", "amount": "10.00", "currency": "USD"})).await;
        assert_eq!(next.body["transfer"]["status"], "pending");
        let next_id = next.body["transfer"]["id"].as_str().unwrap().to_string();
        // The window ends: canceling is refused even before the job has run, and then it posts.
        app.advance(10 * 60);
        let late = cancel(&app, &next_id, &alice).await;
        assert_eq!((late.status, late.code()), (StatusCode::UNPROCESSABLE_ENTITY, "cancel_window_closed"));
        assert_eq!(payments::post_due(&app.state).await.unwrap(), 1);
        assert_eq!(payments::post_due(&app.state).await.unwrap(), 0, "once");
        assert_eq!(available(&app, &bob).await, "10.00");
        assert_eq!(available(&app, &alice).await, "90.00");
        let receipt = app.call(Method::GET, &format!("/api/v1/activity/{next_id}"), Some(&bob), None).await;
        assert_eq!(receipt.body["activity"]["status"], "completed");
        assert_eq!(cancel(&app, &next_id, &alice).await.code(), "cancel_window_closed");
        // A payment without a window was never cancelable.
        let instant =
            send(&app, &alice, Some("h3"), json!({"to": "bob", "amount": "1.00", "currency": "USD"})).await;
        let instant_id = instant.body["transfer"]["id"].as_str().unwrap().to_string();
        assert_eq!(cancel(&app, &instant_id, &alice).await.code(), "cancel_window_closed");
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_that_ends_while_the_server_is_stopped_completes_when_it_starts() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _, _) = three(&app).await;
        let held =
            send(&app, &alice, Some("k"), json!({"to": "bob", "amount": "40.00", "currency": "USD"})).await;
        assert_eq!(held.body["transfer"]["status"], "pending");
        let clock = app.clock.clone();
        app.stop().await;

        // Down for an hour; then a new instance starts its jobs.
        clock.advance_seconds(3600);
        let app = TestApp::with_clock(&db, db.dir.path(), clock).await;
        let jobs = payments::spawn_jobs(&app.state);
        let bob = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"handle": "bob", "password": PASSWORD})),
            )
            .await;
        let bob = bob.session_cookie().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while available(&app, &bob).await != "40.00" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: the hold was not posted on start",
                db.backend
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        app.state.begin_stopping();
        jobs.await.unwrap();
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_cut_off_before_or_after_the_ledger_is_finished_by_its_retry_and_moves_money_once() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        let alice_id = app.user("alice").await.id;
        let bob_id = app.user("bob").await.id;
        // Paid before (a first payment, held), so these complete at once.
        let earlier =
            send(&app, &alice, Some("earlier"), json!({"to": "bob", "amount": "1.00", "currency": "USD"}))
                .await;
        assert_eq!(earlier.body["transfer"]["status"], "pending");
        let body = |amount: &str| json!({"to": "bob", "amount": amount, "currency": "USD"});
        let hash = |amount: &str| {
            let request: purse_api::SendRequest = serde_json::from_value(body(amount)).unwrap();
            operations::request_hash("POST /transfers", &request)
        };
        let key = |k: &str| operations::IdempotencyKey(k.to_string());
        let plan = |amount: &str| payments::Plan {
            sender_id: alice_id,
            recipient_id: bob_id,
            amount: purse_api::Amount::parse(amount, "USD").unwrap(),
            note: None,
            request_id: None,
            kind: purse_api::ActivityKind::Transfer,
            grace_window: true,
            review: None,
        };

        // Cut off after the key was recorded, before the ledger: no money moved yet.
        started(&app, alice_id, &key("before"), &hash("2.00")).await;
        // Cut off after the ledger committed, before the answer was stored.
        let after = started(&app, alice_id, &key("after"), &hash("3.00")).await;
        payments::execute(&app.state, after, &plan("3.00")).await.unwrap();
        assert_eq!(available(&app, &bob).await, "3.00");

        // While the lease runs, a retry is told the key is in use.
        assert_eq!(send(&app, &alice, Some("before"), body("2.00")).await.code(), "idempotency_key_in_use");
        app.advance(operations::LEASE_SECONDS as u32 + 1);
        for (k, amount) in [("before", "2.00"), ("after", "3.00")] {
            let retry = send(&app, &alice, Some(k), body(amount)).await;
            assert_eq!(retry.status, StatusCode::CREATED, "{} {k}: {:?}", db.backend, retry.body);
            assert_eq!(retry.body["transfer"]["amount"], amount);
            let replay = send(&app, &alice, Some(k), body(amount)).await;
            assert_eq!(replay.raw, retry.raw);
        }
        assert_eq!(available(&app, &bob).await, "5.00", "each moved once");
        assert_eq!(available(&app, &alice).await, "94.00");
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_payment_whose_transfer_committed_is_recovered_by_the_job() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        let (alice_id, bob_id) = (app.user("alice").await.id, app.user("bob").await.id);
        let request: purse_api::SendRequest =
            serde_json::from_value(json!({"to": "bob", "amount": "8.00", "currency": "USD"})).unwrap();
        let hash = operations::request_hash("POST /transfers", &request);
        let key = operations::IdempotencyKey("k".into());
        let operation = started(&app, alice_id, &key, &hash).await;
        let plan = payments::Plan {
            sender_id: alice_id,
            recipient_id: bob_id,
            amount: purse_api::Amount::parse("8.00", "USD").unwrap(),
            note: None,
            request_id: None,
            kind: purse_api::ActivityKind::Transfer,
            grace_window: true,
            review: None,
        };
        let made = payments::execute(&app.state, operation, &plan).await.unwrap();
        assert_eq!(made.state, "pending", "the ledger holds it");
        // Cut off before its state and answer were stored (`operations::conclude`).
        let stored = app.state.db.payment_by_operation(operation).await.unwrap().unwrap();
        assert_eq!(stored.state, "processing");
        assert_eq!(payments::recover(&app.state).await.unwrap(), 0, "not while its lease runs");
        app.advance(11 * 60);
        assert_eq!(payments::recover(&app.state).await.unwrap(), 1);
        assert_eq!(payments::post_due(&app.state).await.unwrap(), 1, "then its window ends as usual");
        assert_eq!(available(&app, &bob).await, "8.00");
        assert_eq!(available(&app, &alice).await, "92.00");
        audit_is_clean(&app).await;
        app.stop().await;
    }
}

/// A new operation, as `POST /transfers` starts one.
async fn started(
    app: &TestApp,
    user_id: PersonId,
    key: &operations::IdempotencyKey,
    hash: &[u8; 32],
) -> OperationId {
    let recorded = operations::Recorded::default();
    match operations::open(&app.state, user_id, key, hash, recorded, true, None).await.unwrap() {
        operations::Started::Run(operation, operations::Begun::Fresh { payment: None, .. }) => operation,
        other => panic!("{other:?}"),
    }
}

async fn cancel(app: &TestApp, id: &str, cookie: &str) -> Answer {
    app.call(Method::POST, &format!("/api/v1/transfers/{id}/cancel"), Some(cookie), None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_lose_hidden_characters_and_show_on_both_receipts() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        let note = "  Rent \u{202E}tnuocca\u{202C} for\u{200B} May \u{2066}🏠\u{2069} ";
        let sent = send(
            &app,
            &alice,
            Some("n"),
            json!({"to": "bob", "amount": "9.00", "currency": "USD", "note": note}),
        )
        .await;
        assert_eq!(sent.body["transfer"]["note"], "Rent tnuocca for May 🏠");
        let id = sent.body["transfer"]["id"].as_str().unwrap();
        for cookie in [&alice, &bob] {
            let receipt = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(cookie), None).await;
            assert_eq!(receipt.body["activity"]["note"], "Rent tnuocca for May 🏠");
        }
        // 280 characters after cleaning is fine.
        let long = format!("{}\u{200B}", "é".repeat(280));
        let fine = send(
            &app,
            &alice,
            Some("long"),
            json!({"to": "bob", "amount": "1.00", "currency": "USD", "note": long}),
        )
        .await;
        assert_eq!(fine.status, StatusCode::CREATED);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_sees_a_payment_within_a_second() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob, _) = three(&app).await;
        let second = Duration::from_secs(1);
        let mut events = Events::open(&app, &bob, None).await;
        assert_eq!(events.next(second).await.unwrap().event, "balance");
        send(
            &app,
            &alice,
            Some("live"),
            json!({"to": "bob", "amount": "4.20", "currency": "USD", "note": "Coffee"}),
        )
        .await;
        let arrived = events.next(second).await.expect("within a second");
        assert_eq!(arrived.event, "activity", "{}", db.backend);
        assert_eq!(
            (arrived.data["amount"].as_str(), arrived.data["status"].as_str(), arrived.data["note"].as_str()),
            (Some("4.20"), Some("pending"), Some("Coffee"))
        );
        let balance = events.next(second).await.unwrap();
        assert_eq!(balance.data["balances"][0]["pending_in"], "4.20");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_is_free_within_seconds_of_its_request_dying_or_the_database_coming_back() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let (alice, _bob, _) = three(&app).await;
    let alice_id = app.user("alice").await.id;
    let body = |amount: &str| json!({"to": "bob", "amount": amount, "currency": "USD"});
    let hash = |amount: &str| {
        let request: purse_api::SendRequest = serde_json::from_value(body(amount)).unwrap();
        operations::request_hash("POST /transfers", &request)
    };

    // A request that died (SIGKILL) after recording its key: its retry waits only while the
    // lease lasts, seconds, not a minute.
    started(&app, alice_id, &operations::IdempotencyKey("died".into()), &hash("2.00")).await;
    let early = send(&app, &alice, Some("died"), body("2.00")).await;
    assert_eq!((early.status, early.code()), (StatusCode::CONFLICT, "idempotency_key_in_use"));
    assert_eq!(early.headers[axum::http::header::RETRY_AFTER], "1");
    app.advance(16);
    let resumed = send(&app, &alice, Some("died"), body("2.00")).await;
    assert_eq!(resumed.status, StatusCode::CREATED, "{:?}", resumed.body);

    // A request that failed while the database failed every write to keys (as on a full disk):
    // it could not let its key go. Once writes work again, the key is free at once, with no
    // time passing on the clock.
    let key = operations::IdempotencyKey("failed".into());
    let operation = started(&app, alice_id, &key, &hash("4.00")).await;
    let fail =
        "CREATE TRIGGER keys_fail BEFORE UPDATE ON operations BEGIN SELECT RAISE(ABORT, 'disk full'); END";
    app.state.db.execute(&purse_server::store::Statement::new(fail, vec![])).await.unwrap();
    let failure = purse_server::flows::FlowError::Unavailable("the ledger is unavailable".into());
    let concluded =
        operations::conclude(&app.state, operation, operations::Outcome::answer(Err(failure))).await;
    assert!(concluded.is_err());
    assert_eq!(send(&app, &alice, Some("failed"), body("4.00")).await.code(), "idempotency_key_in_use");
    let mend = "DROP TRIGGER keys_fail";
    app.state.db.execute(&purse_server::store::Statement::new(mend, vec![])).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let retry = send(&app, &alice, Some("failed"), body("4.00")).await;
        if retry.status == StatusCode::CREATED {
            break;
        }
        assert_eq!(retry.code(), "idempotency_key_in_use", "{:?}", retry.body);
        assert!(std::time::Instant::now() < deadline, "the key stayed taken after the database came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(available(&app, &alice).await, "94.00", "each moved once");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_terminated_connections_cost_a_retry_not_a_failed_request() {
    let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
        eprintln!(
            "skipped: on_postgresql_terminated_connections_cost_a_retry_not_a_failed_request needs \
             DATABASE_URL=postgres://…"
        );
        return;
    };
    let db = TestDb::postgres(&base).await;
    let app = TestApp::new(&db, db.dir.path()).await;
    let (alice, bob, _) = three(&app).await;
    // Fill the pools: several requests at once.
    let mut warm = Vec::new();
    for i in 0..8 {
        let (state, cookie) = (app.state.clone(), alice.clone());
        warm.push(tokio::spawn(async move {
            let body = json!({"to": "bob", "amount": "0.10", "currency": "USD"});
            post_transfer(&state, &cookie, &format!("warm-{i}"), body).await.0
        }));
    }
    for task in warm {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    for round in 0..3 {
        // A PostgreSQL restart, as the server sees it: every connection of ours terminated.
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let killed: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut admin)
        .await
        .unwrap();
        assert!(killed.len() >= 2, "the pools had connections to terminate: {}", killed.len());
        drop(admin);
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (state, cookie) = (app.state.clone(), alice.clone());
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    let body = json!({"to": "bob", "amount": "0.10", "currency": "USD"});
                    post_transfer(&state, &cookie, &format!("after-{round}-{i}"), body).await
                } else {
                    let answer =
                        call_state(&state, Method::GET, "/api/v1/wallet", Some(&cookie), None, &[]).await;
                    (answer.status, answer.raw)
                }
            }));
        }
        for task in tasks {
            let (status, raw) = task.await.unwrap();
            assert!(status.is_success(), "round {round}: {status} {}", String::from_utf8_lossy(&raw));
        }
    }
    let _ = bob;
    audit_is_clean(&app).await;
    app.stop().await;
}
