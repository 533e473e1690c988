//! The PIN rules an attacker with a stolen session meets (the hardening issue, findings 2, 3
//! and 15): a burst of PIN attempts checks at most five wrong ones; movements without the PIN
//! count against a rolling day's allowance of the step-up threshold; a locked PIN stops every
//! outgoing movement; PINs are stored under the server's pepper, and old argon2 ones move to it.

use axum::http::{Method, StatusCode};
use purse_server::AppState;
use serde_json::{Value, json};

use crate::support::{Answer, TestApp, TestDb, call_state, count, set_pin};

/// `POST /transfers` with its own key.
async fn send(app: &TestApp, cookie: &str, key: &str, body: Value) -> Answer {
    send_on(&app.state, cookie, key, body).await
}

/// The same through `state` alone, for tasks of their own (and another instance's state).
async fn send_on(state: &AppState, cookie: &str, key: &str, body: Value) -> Answer {
    call_state(
        state,
        Method::POST,
        "/api/v1/transfers",
        Some(cookie),
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

async fn to_bob(app: &TestApp, cookie: &str, key: &str, amount: &str) -> Answer {
    send(app, cookie, key, json!({"to": "bob", "amount": amount, "currency": "USD"})).await
}

/// Alice (100.00, PIN 1234) and Bob, signed in; Lina, a creator.
async fn people(app: &TestApp) -> (String, String) {
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    let lina = app.sign_up("lina").await;
    app.fund(1, "alice", 10_000, "Top-up").await;
    set_pin(app, &alice).await;
    let on = app.call(Method::PUT, "/api/v1/me/creator", Some(&lina), Some(json!({"enabled": true}))).await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    (alice, bob)
}

/// Alice tips Lina 1.00 without the PIN.
async fn small_tip(app: &TestApp, alice: &str, key: &str) -> Answer {
    let body = json!({"creator": "lina", "amount": "1.00", "currency": "USD"});
    app.call_with(Method::POST, "/api/v1/tips", Some(alice), Some(body), &[("idempotency-key", key)]).await
}

/// Bob asks Alice for 1.00, and Alice pays it without the PIN.
async fn pay_a_request_from_bob(app: &TestApp, alice: &str, bob: &str, key: &str) -> Answer {
    let body = json!({"from": "alice", "amount": "1.00", "currency": "USD"});
    let asked = app.call(Method::POST, "/api/v1/requests", Some(bob), Some(body)).await;
    let id = asked.body["request"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/requests/{id}/pay");
    app.call_with(Method::POST, &path, Some(alice), Some(json!({})), &[("idempotency-key", key)]).await
}

async fn pin_failures(app: &TestApp, handle: &str) -> i64 {
    app.user(handle).await.pin_failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_wrong_pins_check_at_most_five_and_the_lock_holds() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _) = people(&app).await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let (state, cookie) = (app.state.clone(), alice.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "0000"});
                send_on(&state, &cookie, &format!("burst-{i}"), body).await
            }));
        }
        let mut codes = std::collections::BTreeMap::<String, usize>::new();
        for task in tasks {
            let answer = task.await.unwrap();
            *codes.entry(answer.code().to_string()).or_default() += 1;
        }
        // Four say how many tries are left, the fifth locks; every other attempt was refused
        // before its PIN was looked at (locked, or while five were being checked).
        assert_eq!(codes.get("pin_incorrect"), Some(&4), "{}: {codes:?}", db.backend);
        let refused =
            codes.get("pin_locked").copied().unwrap_or(0) + codes.get("rate_limited").copied().unwrap_or(0);
        assert_eq!(refused, 16, "{}: {codes:?}", db.backend);
        assert_eq!(pin_failures(&app, "alice").await, 5, "{}: exactly five PINs were checked", db.backend);
        let right = send(
            &app,
            &alice,
            "after",
            json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "1234"}),
        )
        .await;
        assert_eq!((right.status, right.code()), (StatusCode::FORBIDDEN, "pin_locked"), "{}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_wrong_current_pins_on_put_me_pin_checks_at_most_five() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _) = people(&app).await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (state, cookie) = (app.state.clone(), alice.clone());
            tasks.push(tokio::spawn(async move {
                let body = json!({"pin": "5678", "current_pin": "0000"});
                call_state(&state, Method::PUT, "/api/v1/me/pin", Some(&cookie), Some(body), &[]).await
            }));
        }
        let mut incorrect = 0;
        for task in tasks {
            let answer = task.await.unwrap();
            assert_eq!(
                answer.status,
                if answer.code() == "rate_limited" {
                    StatusCode::TOO_MANY_REQUESTS
                } else {
                    StatusCode::FORBIDDEN
                }
            );
            incorrect += usize::from(answer.code() == "pin_incorrect");
        }
        assert_eq!(incorrect, 4, "{}", db.backend);
        assert_eq!(pin_failures(&app, "alice").await, 5, "{}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn movements_without_the_pin_are_allowed_up_to_the_threshold_in_a_day_not_per_payment() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob) = people(&app).await;
        // 4 × 12.50 = 50.00, half of it twelve hours later: at the threshold, no PIN needed.
        for i in 0..4 {
            if i == 2 {
                app.advance(12 * 3600);
            }
            let sent = to_bob(&app, &alice, &format!("small-{i}"), "12.50").await;
            assert_eq!(sent.status, StatusCode::CREATED, "{}: {:?}", db.backend, sent.body);
        }
        // One cent more, by any outgoing movement without the PIN, needs it.
        let send_more = to_bob(&app, &alice, "one-more", "0.01").await;
        assert_eq!(
            (send_more.status, send_more.code()),
            (StatusCode::FORBIDDEN, "pin_required"),
            "{}",
            db.backend
        );
        let tip = small_tip(&app, &alice, "tip-1").await;
        assert_eq!(tip.code(), "pin_required", "{}: {:?}", db.backend, tip.body);
        let pay = pay_a_request_from_bob(&app, &alice, &bob, "pay-1").await;
        assert_eq!(pay.code(), "pin_required", "{}: {:?}", db.backend, pay.body);
        // Nothing of the refused ones stayed: the same key with the PIN is a first arrival.
        let with_pin = send(
            &app,
            &alice,
            "one-more",
            json!({"to": "bob", "amount": "0.01", "currency": "USD", "pin": "1234"}),
        )
        .await;
        assert_eq!(with_pin.status, StatusCode::CREATED, "{}: {:?}", db.backend, with_pin.body);
        assert_eq!(allowance_used(&app, "alice").await, 5000, "{}", db.backend);
        // The day rolls: a day after the first two, their 25.00 is back, and only theirs.
        app.advance(12 * 3600);
        app.fund(2, "alice", 10_000, "Top-up").await;
        for i in 0..2 {
            let next_day = to_bob(&app, &alice, &format!("next-day-{i}"), "12.50").await;
            assert_eq!(next_day.status, StatusCode::CREATED, "{}: {:?}", db.backend, next_day.body);
        }
        let over = to_bob(&app, &alice, "next-day-over", "0.01").await;
        assert_eq!(over.code(), "pin_required", "{}: {:?}", db.backend, over.body);
        // The first two were cleared from the total as the day passed them; the rest still count.
        assert_eq!(allowance_used(&app, "alice").await, 5000, "{}", db.backend);
        let cleared = count(
            &app,
            "SELECT COUNT(*) FROM operations WHERE idempotency_key IN ('small-0', 'small-1') AND pinless_minor IS NULL",
        )
        .await;
        assert_eq!(cleared, 2, "{}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_movement_refused_by_the_rate_limit_does_not_use_the_allowance() {
    for db in TestDb::every_backend().await {
        let settings =
            purse_server::flows::Settings { money_per_minute: 3, ..purse_server::flows::Settings::default() };
        let app = TestApp::with_settings(&db, db.dir.path(), settings).await;
        let (alice, _) = people(&app).await;
        let mut codes = Vec::new();
        for i in 0..5 {
            let sent = to_bob(&app, &alice, &format!("quick-{i}"), "10.00").await;
            codes.push(if sent.status == StatusCode::CREATED {
                "created".to_string()
            } else {
                sent.code().into()
            });
        }
        assert_eq!(
            codes,
            ["created", "created", "created", "rate_limited", "rate_limited"],
            "{}",
            db.backend
        );
        assert_eq!(allowance_used(&app, "alice").await, 3000, "{}", db.backend);
        app.stop().await;
    }
}

/// What `handle` has moved without the PIN and still counts, in cents, as the database keeps it
/// (their `pinless_totals` row), after checking that it is the sum of their operations' amounts.
async fn allowance_used(app: &TestApp, handle: &str) -> i64 {
    let id = app.user(handle).await.id.0;
    let total = count(app, &format!("SELECT spent_minor FROM pinless_totals WHERE user_id = {id}")).await;
    let live = count(
        app,
        &format!(
            "SELECT CAST(COALESCE(SUM(pinless_minor), 0) AS BIGINT) FROM operations WHERE user_id = {id}"
        ),
    )
    .await;
    assert_eq!(total, live, "the total kept by the triggers is the sum of the live amounts");
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_movement_refused_for_the_money_does_not_use_the_allowance() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _) = people(&app).await;
        let spent = send(
            &app,
            &alice,
            "most",
            json!({"to": "bob", "amount": "90.00", "currency": "USD", "pin": "1234"}),
        )
        .await;
        assert_eq!(spent.status, StatusCode::CREATED, "{:?}", spent.body);
        // 10.00 left: 40.00 is refused for the money, and does not count.
        let short = to_bob(&app, &alice, "short", "40.00").await;
        assert_eq!(short.code(), "insufficient_funds", "{}: {:?}", db.backend, short.body);
        app.fund(2, "alice", 10_000, "Top-up").await;
        let fits = to_bob(&app, &alice, "fits", "50.00").await;
        assert_eq!(fits.status, StatusCode::CREATED, "{}: {:?}", db.backend, fits.body);
        assert_eq!(allowance_used(&app, "alice").await, 5000, "{}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_pin_stops_a_one_dollar_send_a_tip_and_a_request_payment() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob) = people(&app).await;
        for i in 0..5 {
            let wrong = send(
                &app,
                &alice,
                &format!("wrong-{i}"),
                json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "0000"}),
            )
            .await;
            assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        }
        let small = to_bob(&app, &alice, "small", "1.00").await;
        assert_eq!(
            (small.status, small.code()),
            (StatusCode::FORBIDDEN, "pin_locked"),
            "{}: {:?}",
            db.backend,
            small.body
        );
        let tip = small_tip(&app, &alice, "tip").await;
        assert_eq!(tip.code(), "pin_locked", "{}", db.backend);
        let pay = pay_a_request_from_bob(&app, &alice, &bob, "pay").await;
        assert_eq!(pay.code(), "pin_locked", "{}", db.backend);
        // Money coming in is not stopped: Bob can still pay Alice.
        assert_eq!(crate::support::available(&app, &alice).await, "100.00");
        app.advance(15 * 60);
        let later = to_bob(&app, &alice, "later", "1.00").await;
        assert_eq!(later.status, StatusCode::CREATED, "{}: {:?}", db.backend, later.body);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_are_peppered_and_an_old_argon2_pin_moves_to_the_pepper_when_checked_right() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _) = people(&app).await;
        let stored = app.user("alice").await.pin_hash.unwrap();
        assert!(stored.starts_with("pin1$"), "{stored}");
        assert!(!stored.contains("1234"));
        // A PIN stored before PINs were peppered.
        let old = app.state.passwords.hash("1234").await.unwrap();
        assert!(old.starts_with("$argon2id$"));
        let id = app.user("alice").await.id;
        app.state.db.set_pin(id, &old).await.unwrap();
        let wrong = send(
            &app,
            &alice,
            "old-wrong",
            json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "9999"}),
        )
        .await;
        assert_eq!(wrong.code(), "pin_incorrect");
        assert!(
            app.user("alice").await.pin_hash.unwrap().starts_with("$argon2id$"),
            "a wrong PIN changes nothing"
        );
        let right = send(
            &app,
            &alice,
            "old-right",
            json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "1234"}),
        )
        .await;
        assert_eq!(right.status, StatusCode::CREATED, "{}: {:?}", db.backend, right.body);
        let moved = app.user("alice").await;
        assert!(moved.pin_hash.as_deref().unwrap().starts_with("pin1$"), "{:?}", moved.pin_hash);
        assert_eq!(moved.pin_failures, 0);
        let again = send(
            &app,
            &alice,
            "new-right",
            json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "1234"}),
        )
        .await;
        assert_eq!(again.code(), "insufficient_funds", "the PIN passed; only the money is short");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_pin_still_replays_an_answered_send_and_money_still_comes_in() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob) = people(&app).await;
        let sent = to_bob(&app, &alice, "paid", "10.00").await;
        assert_eq!(sent.status, StatusCode::CREATED);
        for i in 0..5 {
            send(
                &app,
                &alice,
                &format!("wrong-{i}"),
                json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "0000"}),
            )
            .await;
        }
        // The answer was lost on the way: the retry gets it, not a refusal.
        let replay = to_bob(&app, &alice, "paid", "10.00").await;
        assert_eq!((replay.status, &replay.raw), (StatusCode::CREATED, &sent.raw), "{}", db.backend);
        // Money arriving is not outgoing: Bob pays Alice.
        app.fund(2, "bob", 1_000, "Top-up").await;
        set_pin(&app, &bob).await;
        let to_alice =
            send(&app, &bob, "to-alice", json!({"to": "alice", "amount": "5.00", "currency": "USD"})).await;
        assert_eq!(to_alice.status, StatusCode::CREATED, "{}: {:?}", db.backend, to_alice.body);
        // Her first payment from Bob waits out his grace window; it is on its way to her.
        let wallet = app.call(Method::GET, "/api/v1/wallet", Some(&alice), None).await;
        assert_eq!(wallet.body["balances"][0]["pending_in"], "5.00", "{:?}", wallet.body);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_under_an_unknown_server_key_is_our_failure_not_a_wrong_pin() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _) = people(&app).await;
        let id = app.user("alice").await.id;
        app.state
            .db
            .set_pin(id, "pin1$0badcafe$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await
            .unwrap();
        for i in 0..6 {
            let answer = send(
                &app,
                &alice,
                &format!("k{i}"),
                json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "1234"}),
            )
            .await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
                "{}",
                db.backend
            );
        }
        let user = app.user("alice").await;
        assert_eq!((user.pin_failures, user.pin_locked_until), (0, None), "{}: nothing counted", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_whose_end_was_never_written_cost_at_most_one_lock() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _) = people(&app).await;
        let id = app.user("alice").await.id;
        // Five attempts counted whose requests were cut off before their end was written, as
        // the fifth reservation leaves them: counted, and locked.
        let until = app.state.now().plus_seconds(15 * 60);
        let sql = "UPDATE users SET pin_failures = 5, pin_locked_until = $1 WHERE id = $2";
        let values = vec![purse_server::store::Value::from(until), purse_server::store::Value::from(id)];
        app.state.db.execute(&purse_server::store::Statement::new(sql, values)).await.unwrap();
        let body = json!({"to": "bob", "amount": "60.00", "currency": "USD", "pin": "1234"});
        assert_eq!(send(&app, &alice, "during", body.clone()).await.code(), "pin_locked");
        app.advance(15 * 60);
        let after = send(&app, &alice, "after", body).await;
        assert_eq!(after.status, StatusCode::CREATED, "{}: {:?}", db.backend, after.body);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_movements_through_two_instances_spend_the_allowance_once() {
    for db in TestDb::every_backend().await {
        // Two instances on one database on PostgreSQL (the deployment); one on SQLite.
        let first = TestApp::new(&db, db.dir.path()).await;
        let second = match db.backend {
            "postgres" => Some(TestApp::with_clock(&db, db.dir.path(), first.clock.clone()).await),
            _ => None,
        };
        let (alice, _) = people(&first).await;
        // Yesterday Alice spent her whole allowance: what the day passed is cleared by the first
        // batch that meets it, and no instance may count it twice (or not at all).
        for i in 0..4 {
            let sent = to_bob(&first, &alice, &format!("yesterday-{i}"), "12.50").await;
            assert_eq!(sent.status, StatusCode::CREATED, "{}: {:?}", db.backend, sent.body);
        }
        first.advance(24 * 3600);
        first.fund(3, "alice", 10_000, "Top-up").await;
        // Carol has 10.00: of her 2.00 sends, five are paid and the rest refused for the money,
        // which gives their amounts back.
        let carol = first.sign_up("carol").await;
        first.fund(2, "carol", 1_000, "Top-up").await;
        let states = [first.state.clone(), second.as_ref().unwrap_or(&first).state.clone()];
        let mut tasks = Vec::new();
        for i in 0..40 {
            let state = states[i % 2].clone();
            let (cookie, amount, who) =
                if i % 4 < 2 { (alice.clone(), "5.00", "alice") } else { (carol.clone(), "2.00", "carol") };
            tasks.push(tokio::spawn(async move {
                let body = json!({"to": "bob", "amount": amount, "currency": "USD"});
                (who, send_on(&state, &cookie, &format!("race-{i}"), body).await)
            }));
        }
        let mut codes = std::collections::BTreeMap::<(&str, String), usize>::new();
        for task in tasks {
            let (who, answer) = task.await.unwrap();
            let code = if answer.status == StatusCode::CREATED {
                "created".to_string()
            } else {
                answer.code().into()
            };
            *codes.entry((who, code)).or_default() += 1;
        }
        // Alice: 20 × 5.00 asked, exactly ten fit the 50.00; Carol: five paid, fifteen short.
        let expected = [
            (("alice", "created".to_string()), 10),
            (("alice", "pin_required".to_string()), 10),
            (("carol", "created".to_string()), 5),
            (("carol", "insufficient_funds".to_string()), 15),
        ];
        assert_eq!(codes, expected.into_iter().collect(), "{}", db.backend);
        assert_eq!(allowance_used(&first, "alice").await, 5000, "{}", db.backend);
        assert_eq!(allowance_used(&first, "carol").await, 1000, "{}", db.backend);
        assert_eq!(crate::support::available(&first, &alice).await, "100.00", "{}", db.backend);
        if let Some(second) = second {
            second.stop().await;
        }
        first.stop().await;
    }
}
