//! Tier limits on the money path (issue 20): each limit at its edges with `limit_exceeded`'s
//! figures, the rolling window coming back at the moment `resets_at` said, the recipient's
//! receive limit and standing, restricted and frozen people, API.md's order of refusals,
//! canceled and refused movements giving their room back, concurrent sends racing one limit
//! (also across two instances), and `GET /me/compliance`.

use axum::http::{Method, StatusCode};
use purse_server::AppState;
use serde_json::{Value, json};

use crate::funding::{VISA, link, link_bank};
use crate::support::{Answer, START, TestApp, TestDb, call_state, count, set_pin};

const DAY: u32 = 24 * 3600;

async fn execute(app: &TestApp, sql: &str) {
    match &app.state.db {
        purse_server::store::Db::Sqlite(pool, _) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
        purse_server::store::Db::Postgres(pool) => drop(sqlx::query(sql).execute(pool).await.unwrap()),
    }
}

async fn send_on(state: &AppState, cookie: &str, key: &str, to: &str, amount: &str) -> Answer {
    let body = json!({"to": to, "amount": amount, "currency": "USD", "pin": "1234"});
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

async fn send(app: &TestApp, cookie: &str, key: &str, to: &str, amount: &str) -> Answer {
    send_on(&app.state, cookie, key, to, amount).await
}

async fn compliance(app: &TestApp, cookie: &str) -> Value {
    let answer = app.call(Method::GET, "/api/v1/me/compliance", Some(cookie), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body
}

fn meter<'a>(compliance: &'a Value, kind: &str) -> &'a Value {
    compliance["limits"].as_array().unwrap().iter().find(|m| m["kind"] == kind).unwrap_or(&Value::Null)
}

/// The time `seconds` after the tests' clock started, as the API writes it.
fn at(seconds: i64) -> String {
    purse_server::time::Time::from_nanos(START + seconds * 1_000_000_000).rfc3339()
}

/// Alice (tier 0, PIN 1234, `funds` in minor units) and Bob (tier 0), signed in; Bob has sent
/// Alice nothing, and Alice has paid Bob before (so her sends to him have no grace window).
async fn people(app: &TestApp, funds: u64) -> (String, String) {
    let alice = app.sign_up("alice").await;
    let bob = app.sign_up("bob").await;
    app.fund(1, "alice", funds, "Top-up").await;
    set_pin(app, &alice).await;
    (alice, bob)
}

/// `handle`, signed up and taking tips; their session cookie.
async fn creator(app: &TestApp, handle: &str) -> String {
    let cookie = app.sign_up(handle).await;
    let on = app.call(Method::PUT, "/api/v1/me/creator", Some(&cookie), Some(json!({"enabled": true}))).await;
    assert_eq!(on.status, StatusCode::OK, "{:?}", on.body);
    cookie
}

async fn set_standing(app: &TestApp, handle: &str, column: &str, value: &str) {
    execute(app, &format!("UPDATE users SET {column} = {value} WHERE handle = '{handle}'")).await;
}

/// The trigger-kept totals equal the rows they sum, for everyone.
async fn assert_totals_match(app: &TestApp) {
    let off = count(
        app,
        "SELECT COUNT(*) FROM limit_totals t WHERE t.used_minor <> \
         (SELECT COALESCE(SUM(u.amount_minor), 0) FROM limit_uses u WHERE u.user_id = t.user_id AND u.kind = t.kind)",
    )
    .await;
    assert_eq!(off, 0, "limit_totals differ from limit_uses");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_send_limit_passes_at_its_edge_refuses_a_cent_more_and_comes_back_when_it_said() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob) = people(&app, 100_000).await;
        // 200.00 now, 50.00 a day later: exactly the tier 0 limit of 250.00 over 7 days.
        let first = send(&app, &alice, "s1", "bob", "200.00").await;
        assert_eq!(first.status, StatusCode::CREATED, "{}: {:?}", db.backend, first.body);
        app.advance(DAY);
        let second = send(&app, &alice, "s2", "bob", "50.00").await;
        assert_eq!(second.status, StatusCode::CREATED, "{}: {:?}", db.backend, second.body);

        let over = send(&app, &alice, "s3", "bob", "0.01").await;
        assert_eq!(
            (over.status, over.code(), over.field()),
            (StatusCode::UNPROCESSABLE_ENTITY, "limit_exceeded", Some("amount"))
        );
        let details = &over.body["error"]["details"];
        assert_eq!(
            details,
            &json!({"limit": "250.00", "used": "250.00", "remaining": "0.00", "window": "7d",
                    "resets_at": at(7 * i64::from(DAY)), "tier": 0, "next_tier": 1}),
            "{}",
            db.backend
        );
        // A refusal before anything moved is not stored: the same key is a first arrival later.
        assert_eq!(count(&app, "SELECT COUNT(*) FROM operations WHERE idempotency_key = 's3'").await, 0);

        // The meter says the same.
        let standing = compliance(&app, &alice).await;
        let sends = meter(&standing, "send");
        assert_eq!((sends["used"].as_str(), sends["remaining"].as_str()), (Some("250.00"), Some("0.00")));
        assert_eq!(sends["resets_at"].as_str(), Some(at(7 * i64::from(DAY)).as_str()));

        // A second before `resets_at`: still no room. At it: the first 200.00 has left the window.
        app.advance(6 * DAY - 1);
        let early = send(&app, &alice, "s3", "bob", "0.01").await;
        assert_eq!(early.code(), "limit_exceeded", "{}", db.backend);
        app.advance(1);
        let back = send(&app, &alice, "s3", "bob", "200.00").await;
        assert_eq!(back.status, StatusCode::CREATED, "{}: {:?}", db.backend, back.body);
        let over = send(&app, &alice, "s4", "bob", "0.01").await;
        assert_eq!(over.code(), "limit_exceeded");
        assert_eq!(over.body["error"]["details"]["used"], "250.00");
        assert_eq!(over.body["error"]["details"]["resets_at"], json!(at(8 * i64::from(DAY))));
        assert_totals_match(&app).await;
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_in_api_md_s_order_and_what_did_not_move_gives_its_room_back() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob) = people(&app, 100_000).await;
        // Over the limit and over the balance: insufficient_funds comes first.
        let both = send(&app, &alice, "k1", "bob", "1500.00").await;
        assert_eq!(both.code(), "insufficient_funds", "{}: {:?}", db.backend, both.body);
        // Over the limit only.
        let over = send(&app, &alice, "k2", "bob", "250.01").await;
        assert_eq!(over.code(), "limit_exceeded", "{}", db.backend);

        // A send the ledger refuses (more than the wallet holds, within the limit) does not count.
        let poor = app.sign_up("carol").await;
        set_pin(&app, &poor).await;
        app.fund(2, "carol", 1_000, "Top-up").await;
        let refused = send(&app, &poor, "c1", "bob", "20.00").await;
        assert_eq!(refused.code(), "insufficient_funds");
        let carol = compliance(&app, &poor).await;
        assert_eq!(meter(&carol, "send")["used"], "0.00", "{}: a refused send counts nothing", db.backend);

        // A canceled grace-window send gives its room back: Alice's first payment to Dan.
        app.sign_up("dan").await;
        let pending = send(&app, &alice, "d1", "dan", "100.00").await;
        assert_eq!(pending.body["transfer"]["status"], "pending", "{:?}", pending.body);
        assert_eq!(meter(&compliance(&app, &alice).await, "send")["used"], "100.00");
        let id = pending.body["transfer"]["id"].as_str().unwrap();
        let canceled =
            app.call(Method::POST, &format!("/api/v1/transfers/{id}/cancel"), Some(&alice), None).await;
        assert_eq!(canceled.status, StatusCode::OK, "{:?}", canceled.body);
        assert_eq!(meter(&compliance(&app, &alice).await, "send")["used"], "0.00", "{}", db.backend);
        assert_totals_match(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tips_and_paid_requests_count_as_sends_and_insufficient_funds_comes_before_the_recipient() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob) = people(&app, 100_000).await;
        let lina = creator(&app, "lina").await;
        let tip = app
            .call_with(
                Method::POST,
                "/api/v1/tips",
                Some(&alice),
                Some(json!({"creator": "lina", "amount": "100.00", "currency": "USD", "pin": "1234"})),
                &[("idempotency-key", "t1")],
            )
            .await;
        assert_eq!(tip.status, StatusCode::CREATED, "{}: {:?}", db.backend, tip.body);
        let asked = app
            .call(
                Method::POST,
                "/api/v1/requests",
                Some(&bob),
                Some(json!({"from": "alice", "amount": "150.00", "currency": "USD"})),
            )
            .await;
        let id = asked.body["request"]["id"].as_str().unwrap().to_string();
        let pay = |key: &'static str| {
            let (app, alice, path) = (&app, &alice, format!("/api/v1/requests/{id}/pay"));
            async move {
                app.call_with(
                    Method::POST,
                    &path,
                    Some(alice),
                    Some(json!({"pin": "1234"})),
                    &[("idempotency-key", key)],
                )
                .await
            }
        };
        assert_eq!(pay("p1").await.status, StatusCode::OK, "{}", db.backend);
        let standing = compliance(&app, &alice).await;
        assert_eq!(meter(&standing, "send")["used"], "250.00", "{}: the tip and the request", db.backend);
        assert_eq!(meter(&compliance(&app, &lina).await, "receive")["used"], "100.00");
        let over = send(&app, &alice, "s1", "bob", "0.01").await;
        assert_eq!(over.code(), "limit_exceeded");

        // Carol has 5.00 and sends 10.00 to a restricted Bob: insufficient_funds comes first.
        let carol = app.sign_up("carol").await;
        set_pin(&app, &carol).await;
        app.fund(2, "carol", 500, "Top-up").await;
        set_standing(&app, "bob", "status", "'restricted'").await;
        let poor = send(&app, &carol, "c1", "bob", "10.00").await;
        assert_eq!(poor.code(), "insufficient_funds", "{}", db.backend);
        let paid = send(&app, &carol, "c2", "bob", "1.00").await;
        assert_eq!(paid.code(), "recipient_unavailable", "{}", db.backend);
        assert_totals_match(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_over_their_receive_limit_restricted_or_frozen_cannot_be_paid() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, bob) = people(&app, 500_000).await;
        set_standing(&app, "alice", "tier", "2").await;
        // Bob (tier 0) may receive 1,000.00 in 30 days.
        let edge = send(&app, &alice, "r1", "bob", "1000.00").await;
        assert_eq!(edge.status, StatusCode::CREATED, "{}: {:?}", db.backend, edge.body);
        let over = send(&app, &alice, "r2", "bob", "0.01").await;
        assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(over.code(), "recipient_unavailable", "{}", db.backend);
        let message = over.body["error"]["message"].as_str().unwrap();
        assert!(
            !message.contains("limit") && over.body["error"].get("details").is_none(),
            "says not why: {message}"
        );
        let bobs = compliance(&app, &bob).await;
        assert_eq!(meter(&bobs, "receive")["remaining"], "0.00");
        assert_eq!(meter(&bobs, "receive")["window"], "30d");
        // Verified, Bob has no receive limit.
        set_standing(&app, "bob", "tier", "1").await;
        let after = send(&app, &alice, "r2", "bob", "0.01").await;
        assert_eq!(after.status, StatusCode::CREATED, "{:?}", after.body);

        // A restricted or frozen recipient cannot be paid, whatever their limits.
        for status in ["'restricted'", "'frozen'"] {
            set_standing(&app, "bob", "status", status).await;
            let refused = send(&app, &alice, &format!("r3-{status}"), "bob", "1.00").await;
            assert_eq!(refused.code(), "recipient_unavailable", "{} {status}", db.backend);
        }
        set_standing(&app, "bob", "status", "'active'").await;
        assert_totals_match(&app).await;
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restricted_person_moves_nothing_but_withdrawals_and_a_frozen_one_nothing_at_all() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob) = people(&app, 50_000).await;
        creator(&app, "lina").await;
        set_standing(&app, "alice", "status", "'restricted'").await;
        let sent = send(&app, &alice, "x1", "bob", "5.00").await;
        assert_eq!(
            (sent.status, sent.code()),
            (StatusCode::FORBIDDEN, "region_unavailable"),
            "{}",
            db.backend
        );
        let tip = app
            .call_with(
                Method::POST,
                "/api/v1/tips",
                Some(&alice),
                Some(json!({"creator": "lina", "amount": "1.00", "currency": "USD"})),
                &[("idempotency-key", "x2")],
            )
            .await;
        assert_eq!(tip.code(), "region_unavailable", "{}", db.backend);
        // A bad field is still named first.
        let bad = send(&app, &alice, "x4", "bob", "5.001").await;
        assert_eq!(bad.code(), "invalid_amount");
        // Withdrawing still works.
        let bank = link_bank(&app, &alice, "000123456789").await;
        let body = json!({"destination_id": bank, "amount": "20.00", "currency": "USD", "speed": "standard", "pin": "1234"});
        let out = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(body.clone()),
                &[("idempotency-key", "w1")],
            )
            .await;
        assert_eq!(out.status, StatusCode::CREATED, "{}: {:?}", db.backend, out.body);
        let standing = compliance(&app, &alice).await;
        assert_eq!(standing["status"], "restricted");
        assert_eq!(meter(&standing, "withdraw")["used"], "20.00");

        // Frozen: not even a withdrawal.
        set_standing(&app, "alice", "status", "'frozen'").await;
        let frozen = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(body),
                &[("idempotency-key", "w2")],
            )
            .await;
        assert_eq!(
            (frozen.status, frozen.code()),
            (StatusCode::FORBIDDEN, "account_frozen"),
            "{}",
            db.backend
        );
        let frozen = send(&app, &alice, "x3", "bob", "5.00").await;
        assert_eq!(frozen.code(), "account_frozen");
        // A replay of an answered key still answers as it did.
        let replay = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(json!({"destination_id": bank, "amount": "20.00", "currency": "USD", "speed": "standard", "pin": "1234"})),
                &[("idempotency-key", "w1")],
            )
            .await;
        assert_eq!(replay.status, StatusCode::CREATED);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_withdraw_limit_counts_seven_rolling_days() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob) = people(&app, 100_000).await;
        let bank = link_bank(&app, &alice, "000123456789").await;
        let withdraw = |key: &'static str, amount: &'static str| {
            let body = json!({"destination_id": bank, "amount": amount, "currency": "USD", "speed": "standard", "pin": "1234"});
            let (app, alice) = (&app, &alice);
            async move {
                app.call_with(
                    Method::POST,
                    "/api/v1/withdrawals",
                    Some(alice),
                    Some(body),
                    &[("idempotency-key", key)],
                )
                .await
            }
        };
        assert_eq!(withdraw("w1", "250.00").await.status, StatusCode::CREATED, "{}", db.backend);
        let over = withdraw("w2", "0.01").await;
        assert_eq!(over.code(), "limit_exceeded", "{}: {:?}", db.backend, over.body);
        assert_eq!(over.body["error"]["details"]["window"], "7d");
        assert_eq!(over.body["error"]["details"]["limit"], "250.00");
        app.advance(7 * DAY);
        assert_eq!(withdraw("w2", "0.01").await.status, StatusCode::CREATED, "{}", db.backend);
        app.stop().await;
    }
}

/// Tallies answers by code (`created` for a 201).
async fn tally(tasks: Vec<tokio::task::JoinHandle<Answer>>) -> std::collections::BTreeMap<String, usize> {
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for task in tasks {
        let answer = task.await.unwrap();
        let code = if answer.status == StatusCode::CREATED {
            "created".to_string()
        } else {
            answer.code().to_string()
        };
        *codes.entry(code).or_default() += 1;
    }
    codes
}

fn codes(pairs: &[(&str, usize)]) -> std::collections::BTreeMap<String, usize> {
    pairs.iter().map(|(code, n)| ((*code).to_string(), *n)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_racing_one_limit_pass_exactly_as_many_as_fit_on_two_instances() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        // A second instance on the same database (on SQLite, the same file).
        let other = TestApp::with_clock(&db, db.dir.path(), app.clock.clone()).await;
        let (alice, bob_cookie) = people(&app, 100_000).await;

        // The sender's limit: 250.00 of room, 20 sends of 35.00 from both instances, in waves of
        // four released together (five PIN checks in flight at once would lock the PIN, by the
        // hardening rule that at most five are ever checked in a row). The second wave straddles
        // the limit: exactly three of its four fit (245.00), then nothing does.
        let mut all = std::collections::BTreeMap::<String, usize>::new();
        for wave in 0..5 {
            let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(4));
            let mut tasks = Vec::new();
            for i in 0..4 {
                let state = if i % 2 == 0 { app.state.clone() } else { other.state.clone() };
                let (cookie, key, barrier) = (alice.clone(), format!("race-{wave}-{i}"), barrier.clone());
                tasks.push(tokio::spawn(async move {
                    barrier.wait().await;
                    send_on(&state, &cookie, &key, "bob", "35.00").await
                }));
            }
            for (code, n) in tally(tasks).await {
                *all.entry(code).or_default() += n;
            }
        }
        assert_eq!(all, codes(&[("created", 7), ("limit_exceeded", 13)]), "{}", db.backend);
        assert_eq!(meter(&compliance(&app, &alice).await, "send")["used"], "245.00");
        let sent = count(&app, "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments").await;
        assert_eq!(sent, 24_500, "{}", db.backend);

        // The recipient's limit: Bob (tier 0) may receive 1,000.00 in 30 days, less the 245.00
        // above; twenty people send him 60.00 each, released together, half through each instance.
        let mut senders = Vec::new();
        for i in 0..20 {
            if i == 10 {
                // Sign-ups are limited per address per hour; the windows here are days long.
                app.advance(3600);
            }
            let handle = format!("sender{i}");
            let cookie = app.sign_up(&handle).await;
            set_pin(&app, &cookie).await;
            app.fund(100 + i64::from(i), &handle, 10_000, "Top-up").await;
            senders.push(cookie);
        }
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = Vec::new();
        for (i, cookie) in senders.into_iter().enumerate() {
            let state = if i % 2 == 0 { app.state.clone() } else { other.state.clone() };
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                send_on(&state, &cookie, &format!("to-bob-{i}"), "bob", "60.00").await
            }));
        }
        // 755.00 of room: twelve of 60.00 fit (720.00), eight do not.
        assert_eq!(
            tally(tasks).await,
            codes(&[("created", 12), ("recipient_unavailable", 8)]),
            "{}",
            db.backend
        );
        let bob = app.user("bob").await;
        let received = count(
            &app,
            &format!(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE recipient_id = {}",
                bob.id.0
            ),
        )
        .await;
        assert_eq!(received, 24_500 + 72_000, "{}", db.backend);
        assert_eq!(meter(&compliance(&app, &bob_cookie).await, "receive")["used"], "965.00");
        assert_totals_match(&app).await;
        assert!(app.ledger.audit().await.unwrap().is_clean());
        other.stop().await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_shows_the_tier_its_meters_and_what_the_next_tier_unlocks() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let (alice, _bob) = people(&app, 10_000).await;
        let fresh = compliance(&app, &alice).await;
        assert_eq!(fresh["tier"], 0);
        assert_eq!(fresh["status"], "active");
        assert_eq!(fresh["region"], json!({"state": null, "available": true}));
        assert_eq!(fresh["verification"]["status"], "none");
        assert_eq!(fresh["holds"], json!([]));
        let kinds: Vec<&str> =
            fresh["limits"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["send", "receive", "withdraw", "deposit"]);
        assert_eq!(
            meter(&fresh, "send"),
            &json!({"kind": "send", "window": "7d", "limit": "250.00", "used": "0.00", "remaining": "250.00",
                    "currency": "USD", "resets_at": null})
        );
        // The deposit window is the UTC day: it resets at the next midnight.
        let midnight = (START / 86_400_000_000_000 + 1) * 86_400_000_000_000;
        assert_eq!(
            meter(&fresh, "deposit")["resets_at"].as_str(),
            Some(purse_server::time::Time::from_nanos(midnight).rfc3339().as_str())
        );
        let next = &fresh["next_tier"];
        assert_eq!(next["tier"], 1);
        let unlocks: Vec<(&str, &str)> = next["unlocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["kind"].as_str().unwrap(), m["limit"].as_str().unwrap()))
            .collect();
        assert_eq!(unlocks, [("send", "7500.00"), ("withdraw", "7500.00"), ("deposit", "2500.00")]);
        set_standing(&app, "alice", "tier", "2").await;
        let top = compliance(&app, &alice).await;
        assert_eq!((top["tier"].clone(), top["next_tier"].clone()), (json!(2), Value::Null));
        let signed_out = app.call(Method::GET, "/api/v1/me/compliance", None, None).await;
        assert_eq!(signed_out.status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_rolls_on_the_sandbox_clock_at_the_moment_resets_at_said() {
    for db in TestDb::every_backend().await {
        let app = crate::sandbox_clock::sandbox_app(&db, purse_server::flows::Settings::default()).await;
        let (alice, _bob) = people(&app, 100_000).await;
        assert_eq!(
            send(&app, &alice, "s1", "bob", "250.00").await.status,
            StatusCode::CREATED,
            "{}",
            db.backend
        );
        let over = send(&app, &alice, "s2", "bob", "1.00").await;
        let resets_at = over.body["error"]["details"]["resets_at"].as_str().unwrap().to_string();
        let advance = |body: Value| app.call(Method::POST, "/sandbox/clock/advance", None, Some(body));
        // A second short of it: still no room.
        let moved = advance(json!({"days": 6, "seconds": 86_399})).await;
        assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
        assert_eq!(send(&app, &alice, "s2", "bob", "1.00").await.code(), "limit_exceeded", "{}", db.backend);
        // At it: the whole limit is back, as the meter says.
        let moved = advance(json!({"seconds": 1})).await;
        assert_eq!(moved.body["now"].as_str(), Some(resets_at.as_str()), "{}", db.backend);
        let standing = compliance(&app, &alice).await;
        assert_eq!(meter(&standing, "send")["remaining"], "250.00", "{}", db.backend);
        assert_eq!(send(&app, &alice, "s2", "bob", "250.00").await.status, StatusCode::CREATED);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deposit_limit_is_the_utc_day_s_exactly_the_limit_passes_and_a_cent_more_is_refused() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let omar = app.sign_up("omar").await;
        let card_id = link(&app, &omar, VISA).await;
        let deposit = |key: &'static str, amount: &'static str| {
            let body = json!({"card_id": card_id, "amount": amount, "currency": "USD"});
            let (app, omar) = (&app, &omar);
            async move {
                app.call_with(
                    Method::POST,
                    "/api/v1/deposits",
                    Some(omar),
                    Some(body),
                    &[("idempotency-key", key)],
                )
                .await
            }
        };
        // Tier 0: 500.00 a UTC day.
        assert_eq!(deposit("d1", "300.00").await.status, StatusCode::CREATED, "{}", db.backend);
        assert_eq!(deposit("d2", "200.00").await.status, StatusCode::CREATED, "{}", db.backend);
        let over = deposit("d3", "0.01").await;
        assert_eq!((over.code(), over.field()), ("limit_exceeded", Some("amount")), "{}", db.backend);
        let midnight = (START / 86_400_000_000_000 + 1) * 86_400_000_000_000;
        assert_eq!(
            over.body["error"]["details"],
            json!({"limit": "500.00", "used": "500.00", "remaining": "0.00", "window": "day",
                   "resets_at": purse_server::time::Time::from_nanos(midnight).rfc3339(), "tier": 0, "next_tier": 1})
        );
        assert_eq!(meter(&compliance(&app, &omar).await, "deposit")["remaining"], "0.00");
        // The next UTC day has room again.
        let to_midnight = u32::try_from((midnight - START) / 1_000_000_000).unwrap();
        app.advance(to_midnight);
        assert_eq!(deposit("d4", "500.00").await.status, StatusCode::CREATED, "{}", db.backend);
        app.stop().await;
    }
}
