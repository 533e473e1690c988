//! Requests for money: who may do what, paying once, bad inputs, and the live stream.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;
use crate::wallet::Events;

async fn ask(app: &TestApp, cookie: &str, body: Value) -> Answer {
    app.call(Method::POST, "/api/v1/requests", Some(cookie), Some(body)).await
}

async fn act(
    app: &TestApp,
    cookie: &str,
    id: &str,
    action: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
    let body = body.or_else(|| (action == "pay").then(|| json!({})));
    app.call_with(Method::POST, &format!("/api/v1/requests/{id}/{action}"), Some(cookie), body, &headers)
        .await
}

async fn list(app: &TestApp, cookie: &str, direction: &str) -> Value {
    app.call(Method::GET, &format!("/api/v1/requests?direction={direction}"), Some(cookie), None).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_payer_pays_or_declines_and_only_the_requester_cancels() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        let carol = app.sign_up("carol").await;
        app.fund(1, "alice", 10_000, "Top-up").await;

        // Bob asks Alice for 15.00.
        let made =
            ask(&app, &bob, json!({"from": "@alice", "amount": "15.00", "currency": "USD", "note": "Pizza"}))
                .await;
        assert_eq!(made.status, StatusCode::CREATED, "{} {:?}", db.backend, made.body);
        let request = &made.body["request"];
        assert_eq!(
            (
                request["status"].as_str(),
                request["from"]["handle"].as_str(),
                request["to"]["handle"].as_str()
            ),
            (Some("open"), Some("alice"), Some("bob"))
        );
        assert_eq!((request["amount"].as_str(), request["note"].as_str()), (Some("15.00"), Some("Pizza")));
        let id = request["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("rq_"));
        assert_eq!(list(&app, &alice, "incoming").await["items"][0]["id"], id.as_str());
        assert_eq!(list(&app, &bob, "outgoing").await["items"][0]["id"], id.as_str());
        assert_eq!(list(&app, &alice, "outgoing").await["items"], json!([]));
        assert_eq!(list(&app, &carol, "incoming").await["items"], json!([]));

        // The wrong people.
        assert_eq!(act(&app, &bob, &id, "pay", Some("b1"), None).await.code(), "forbidden");
        assert_eq!(act(&app, &bob, &id, "decline", None, None).await.code(), "forbidden");
        assert_eq!(act(&app, &alice, &id, "cancel", None, None).await.code(), "forbidden");
        for action in ["pay", "decline", "cancel"] {
            assert_eq!(
                act(&app, &carol, &id, action, Some("c1"), None).await.code(),
                "not_found",
                "{action}"
            );
        }
        assert_eq!(act(&app, &alice, "rq_AAAAAAAAAAAAA", "pay", Some("x"), None).await.code(), "not_found");
        assert_eq!(act(&app, &alice, &id, "pay", None, None).await.code(), "idempotency_key_required");

        // Alice pays: at once, even though she never paid Bob before.
        let paid = act(&app, &alice, &id, "pay", Some("pay-1"), None).await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
        assert_eq!(paid.body["request"]["status"], "paid");
        assert_eq!(paid.body["transfer"]["status"], "completed");
        assert_eq!(
            (paid.body["transfer"]["to"].as_str(), paid.body["transfer"]["note"].as_str()),
            (Some("bob"), Some("Pizza"))
        );
        let replay = act(&app, &alice, &id, "pay", Some("pay-1"), None).await;
        assert_eq!((replay.status, &replay.raw), (paid.status, &paid.raw));
        let twice = act(&app, &alice, &id, "pay", Some("pay-2"), None).await;
        assert_eq!((twice.status, twice.code()), (StatusCode::UNPROCESSABLE_ENTITY, "request_not_open"));
        assert_eq!(
            (available(&app, &alice).await.as_str(), available(&app, &bob).await.as_str()),
            ("85.00", "15.00")
        );
        let activity = app.call(Method::GET, "/api/v1/activity", Some(&bob), None).await;
        assert_eq!(activity.body["items"][0]["kind"], "request");
        assert_eq!(activity.body["items"][0]["note"], "Pizza");
        assert_eq!(act(&app, &alice, &id, "decline", None, None).await.code(), "request_not_open");
        assert_eq!(act(&app, &bob, &id, "cancel", None, None).await.code(), "request_not_open");

        // Declined, then nothing more; canceled, then nothing more.
        let second = ask(&app, &bob, json!({"from": "alice", "amount": "1.00", "currency": "USD"})).await;
        let second = second.body["request"]["id"].as_str().unwrap().to_string();
        let declined = act(&app, &alice, &second, "decline", None, None).await;
        assert_eq!(declined.body["request"]["status"], "declined");
        assert_eq!(
            act(&app, &alice, &second, "decline", None, None).await.body["request"]["status"],
            "declined"
        );
        assert_eq!(act(&app, &alice, &second, "pay", Some("pay-3"), None).await.code(), "request_not_open");
        assert_eq!(act(&app, &bob, &second, "cancel", None, None).await.code(), "request_not_open");
        let third = ask(&app, &bob, json!({"from": "alice", "amount": "2.00", "currency": "USD"})).await;
        let third = third.body["request"]["id"].as_str().unwrap().to_string();
        assert_eq!(act(&app, &bob, &third, "cancel", None, None).await.body["request"]["status"], "canceled");
        assert_eq!(act(&app, &alice, &third, "pay", Some("pay-4"), None).await.code(), "request_not_open");
        assert_eq!(available(&app, &alice).await, "85.00");
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

/// Finding 4 (impostors): display names are not unique, so an open incoming request says
/// whether its payer has paid the requester before, by the grace window's rule: an earlier
/// pending or completed payment counts, a canceled one does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incoming_request_says_whether_the_payer_has_paid_the_requester_before() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        let carol = app.sign_up("carol").await;
        app.fund(1, "alice", 10_000, "Top-up").await;
        let send = |to: &'static str, key: &'static str| {
            let alice = alice.clone();
            let app = &app;
            async move {
                let body = json!({"to": to, "amount": "5.00", "currency": "USD"});
                let answer = app
                    .call_with(
                        Method::POST,
                        "/api/v1/transfers",
                        Some(&alice),
                        Some(body),
                        &[("idempotency-key", key)],
                    )
                    .await;
                assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
                answer.body["transfer"]["id"].as_str().unwrap().to_string()
            }
        };
        // Who asked, and what Alice's incoming list says of each (newest first).
        let said = |items: &Value| -> Vec<(String, Value)> {
            items["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["to"]["handle"].as_str().unwrap().to_string(), r["from_paid_before"].clone()))
                .collect()
        };
        let bobs = ask(&app, &bob, json!({"from": "alice", "amount": "3.00", "currency": "USD"})).await;
        assert_eq!(bobs.body["request"].get("from_paid_before"), None, "not on the requester's answer");
        ask(&app, &carol, json!({"from": "alice", "amount": "4.00", "currency": "USD"})).await;
        assert_eq!(
            said(&list(&app, &alice, "incoming").await),
            [("carol".into(), json!(false)), ("bob".into(), json!(false))],
            "{}: Alice never paid either",
            db.backend
        );

        // A pending first payment counts; a canceled one does not.
        send("bob", "to-bob").await;
        let to_carol = send("carol", "to-carol").await;
        let canceled =
            app.call(Method::POST, &format!("/api/v1/transfers/{to_carol}/cancel"), Some(&alice), None).await;
        assert_eq!(canceled.body["transfer"]["status"], "canceled", "{:?}", canceled.body);
        assert_eq!(
            said(&list(&app, &alice, "incoming").await),
            [("carol".into(), json!(false)), ("bob".into(), json!(true))],
            "{}",
            db.backend
        );

        // Only the payer's open requests carry it.
        let outgoing = list(&app, &bob, "outgoing").await;
        assert_eq!(outgoing["items"][0].get("from_paid_before"), None);
        let id = bobs.body["request"]["id"].as_str().unwrap();
        let paid = act(&app, &alice, id, "pay", Some("pay-bob"), None).await;
        assert_eq!(paid.body["request"].get("from_paid_before"), None, "{:?}", paid.body);
        assert_eq!(
            said(&list(&app, &alice, "incoming").await),
            [("carol".into(), json!(false)), ("bob".into(), Value::Null)],
            "{}: a paid request no longer warns",
            db.backend
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_paid_from_several_devices_at_once_moves_money_once() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        app.fund(1, "alice", 10_000, "Top-up").await;
        // 6 × 5.00 stays within the day's 50.00 without the PIN, whichever devices get there.
        let made = ask(&app, &bob, json!({"from": "alice", "amount": "5.00", "currency": "USD"})).await;
        let id = made.body["request"]["id"].as_str().unwrap().to_string();
        let mut tasks = Vec::new();
        for i in 0..6 {
            let state = app.state.clone();
            let (cookie, id) = (alice.clone(), id.clone());
            tasks.push(tokio::spawn(
                async move { pay_from(&state, &cookie, &id, &format!("device-{i}")).await },
            ));
        }
        let mut paid = 0;
        for task in tasks {
            let (status, body) = task.await.unwrap();
            match status {
                StatusCode::OK => paid += 1,
                StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(body["error"]["code"], "request_not_open"),
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!(paid, 1, "{}", db.backend);
        assert_eq!(available(&app, &alice).await, "95.00");
        assert_eq!(available(&app, &bob).await, "5.00");
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

async fn pay_from(state: &purse_server::AppState, cookie: &str, id: &str, key: &str) -> (StatusCode, Value) {
    let path = format!("/api/v1/requests/{id}/pay");
    let answer =
        call_state(state, Method::POST, &path, Some(cookie), Some(json!({})), &[("idempotency-key", key)])
            .await;
    (answer.status, answer.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paying_a_request_needs_the_money_and_above_the_threshold_the_pin() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        app.fund(1, "alice", 6_000, "Top-up").await;
        let big = ask(&app, &bob, json!({"from": "alice", "amount": "55.00", "currency": "USD"})).await;
        let id = big.body["request"]["id"].as_str().unwrap().to_string();
        assert_eq!(act(&app, &alice, &id, "pay", Some("k1"), None).await.code(), "pin_not_set");
        set_pin(&app, &alice).await;
        assert_eq!(act(&app, &alice, &id, "pay", Some("k1"), None).await.code(), "pin_required");
        assert_eq!(
            act(&app, &alice, &id, "pay", Some("k1"), Some(json!({"pin": "0000"}))).await.code(),
            "pin_incorrect"
        );
        let bad_body =
            act(&app, &alice, &id, "pay", Some("k1"), Some(json!({"pin": "1234", "tip": "1"}))).await;
        assert_eq!((bad_body.code(), bad_body.field()), ("invalid_request", Some("tip")));
        let paid = act(&app, &alice, &id, "pay", Some("k1"), Some(json!({"pin": "1234"}))).await;
        assert_eq!(paid.status, StatusCode::OK, "{} {:?}", db.backend, paid.body);
        // Too much: refused, still open, and payable once there is money.
        let more = ask(&app, &bob, json!({"from": "alice", "amount": "20.00", "currency": "USD"})).await;
        let more = more.body["request"]["id"].as_str().unwrap().to_string();
        let broke = act(&app, &alice, &more, "pay", Some("k2"), None).await;
        assert_eq!((broke.status, broke.code()), (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds"));
        assert_eq!(list(&app, &alice, "incoming").await["items"][0]["status"], "open");
        app.fund(2, "alice", 5_000, "Top-up").await;
        assert_eq!(act(&app, &alice, &more, "pay", Some("k3"), None).await.status, StatusCode::OK);
        assert_eq!(available(&app, &bob).await, "75.00");
        app.stop().await;
    }
}

/// A bad request for money: its name, body, and the status, code and field it must get.
type Case<'a> = (&'a str, Value, StatusCode, &'a str, Option<&'a str>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_their_exact_code() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let bob = app.sign_up("bob").await;
        app.sign_up("alice").await;
        let with = |amount: Value| json!({"from": "alice", "amount": amount, "currency": "USD"});
        #[rustfmt::skip]
        let cases: Vec<Case<'_>> = vec![
            ("zero", with(json!("0")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("negative", with(json!("-1")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("too precise", with(json!("1.001")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("exponent", with(json!("1e3")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("number", with(json!(5)), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("huge", with(json!("9".repeat(30))), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("above the maximum", with(json!("10000.01")), StatusCode::BAD_REQUEST, "invalid_amount", Some("amount")),
            ("currency", json!({"from": "alice", "amount": "1.00", "currency": "ABC"}), StatusCode::BAD_REQUEST, "invalid_currency", Some("currency")),
            ("from himself", json!({"from": "BOB", "amount": "1.00", "currency": "USD"}), StatusCode::UNPROCESSABLE_ENTITY, "self_transfer", Some("from")),
            ("from nobody", json!({"from": "nobody", "amount": "1.00", "currency": "USD"}), StatusCode::UNPROCESSABLE_ENTITY, "recipient_not_found", Some("from")),
            ("bad handle", json!({"from": "a", "amount": "1.00", "currency": "USD"}), StatusCode::BAD_REQUEST, "invalid_request", Some("from")),
            ("long note", json!({"from": "alice", "amount": "1.00", "currency": "USD", "note": "x".repeat(281)}), StatusCode::BAD_REQUEST, "invalid_request", Some("note")),
            ("unknown field", json!({"from": "alice", "amount": "1.00", "currency": "USD", "to": "bob"}), StatusCode::BAD_REQUEST, "invalid_request", Some("to")),
        ];
        for (name, body, status, code, field) in cases {
            let answer = ask(&app, &bob, body).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (status, code, field),
                "{} {name}",
                db.backend
            );
        }
        for (query, field) in [
            ("", "direction"),
            ("?direction=sideways", "direction"),
            ("?direction=incoming&limit=0", "limit"),
            ("?direction=incoming&cursor=abc", "cursor"),
        ] {
            let answer = app.call(Method::GET, &format!("/api/v1/requests{query}"), Some(&bob), None).await;
            assert_eq!((answer.status, answer.field()), (StatusCode::BAD_REQUEST, Some(field)), "{query}");
        }
        assert_eq!(list(&app, &bob, "outgoing").await["items"], json!([]), "nothing was made");
        assert_eq!(
            app.call(Method::POST, "/api/v1/requests", None, Some(with(json!("1.00")))).await.code(),
            "unauthenticated"
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_page_newest_first() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let bob = app.sign_up("bob").await;
        let alice = app.sign_up("alice").await;
        for cents in 1..=5 {
            ask(&app, &bob, json!({"from": "alice", "amount": format!("0.0{cents}"), "currency": "USD"}))
                .await;
        }
        let page =
            app.call(Method::GET, "/api/v1/requests?direction=incoming&limit=2", Some(&alice), None).await;
        let amounts = |page: &Value| {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["amount"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(amounts(&page.body), ["0.05", "0.04"]);
        let cursor = page.body["next_cursor"].as_str().unwrap();
        let next = app
            .call(
                Method::GET,
                &format!("/api/v1/requests?direction=incoming&limit=2&cursor={cursor}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(amounts(&next.body), ["0.03", "0.02"]);
        let cursor = next.body["next_cursor"].as_str().unwrap();
        let last = app
            .call(
                Method::GET,
                &format!("/api/v1/requests?direction=incoming&limit=2&cursor={cursor}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(
            (amounts(&last.body), &last.body["next_cursor"]),
            (vec!["0.01".to_string()], &Value::Null)
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payer_sees_a_request_within_a_second_and_a_reconnect_gets_what_it_missed() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        let second = Duration::from_secs(1);
        let mut events = Events::open(&app, &alice, None).await;
        let hello = events.next(second).await.unwrap();
        assert_eq!(hello.event, "balance");
        ask(&app, &bob, json!({"from": "alice", "amount": "7.50", "currency": "USD", "note": "Taxi"})).await;
        let arrived = events.next(second).await.expect("within a second");
        assert_eq!(arrived.event, "request", "{}", db.backend);
        assert_eq!(
            (
                arrived.data["amount"].as_str(),
                arrived.data["to"]["handle"].as_str(),
                arrived.data["status"].as_str()
            ),
            (Some("7.50"), Some("bob"), Some("open"))
        );
        let balance = events.next(second).await.unwrap();
        let last_id = balance.id.clone();
        drop(events);

        // Offline, Bob cancels it (a moment later); the reconnect hears about it.
        app.advance(1);
        let id = arrived.data["id"].as_str().unwrap();
        assert_eq!(act(&app, &bob, id, "cancel", None, None).await.status, StatusCode::OK);
        let mut again = Events::open(&app, &alice, Some(&last_id)).await;
        let missed = again.next(second).await.unwrap();
        assert_eq!((missed.event.as_str(), missed.data["status"].as_str()), ("request", Some("canceled")));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_cut_off_after_the_ledger_keeps_the_request_from_being_paid_or_declined_again() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        app.fund(1, "alice", 10_000, "Top-up").await;
        let (alice_id, bob_id) = (app.user("alice").await.id, app.user("bob").await.id);
        let made = ask(&app, &bob, json!({"from": "alice", "amount": "12.00", "currency": "USD"})).await;
        let id = made.body["request"]["id"].as_str().unwrap().to_string();
        let request_id = app.state.ids.decode("rq", &id).unwrap();

        // A payment of it reached the ledger; then the server stopped before marking it paid,
        // and its claim's lease ran out.
        use purse_server::flows::movement::{self, Recorded, Started};
        let key = movement::IdempotencyKey("device-1".into());
        let hash = movement::request_hash("POST /requests/x/pay", &json!({}));
        let operation =
            match movement::open(&app.state, alice_id, &key, &hash, Recorded::default(), true, None)
                .await
                .unwrap()
            {
                Started::Run(operation, _) => operation,
                other => panic!("{other:?}"),
            };
        let plan = purse_server::flows::payments::Plan {
            sender_id: alice_id,
            recipient_id: bob_id,
            amount: purse_api::Amount::parse("12.00", "USD").unwrap(),
            note: None,
            request_id: Some(request_id),
            kind: purse_api::ActivityKind::Request,
            grace_window: false,
            review: None,
        };
        purse_server::flows::payments::execute(&app.state, operation, &plan).await.unwrap();
        let claim = "UPDATE money_requests SET paying_operation_id = $1, claim_until = 0 WHERE id = $2";
        match &app.state.db {
            purse_server::store::Db::Sqlite(pool, _) => {
                sqlx::query(claim).bind(operation.0).bind(request_id).execute(pool).await.unwrap();
            }
            purse_server::store::Db::Postgres(pool) => {
                sqlx::query(claim).bind(operation.0).bind(request_id).execute(pool).await.unwrap();
            }
        }

        let declined = act(&app, &alice, &id, "decline", None, None).await;
        assert_eq!(
            (declined.status, declined.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "request_not_open"),
            "{}",
            db.backend
        );
        assert_eq!(act(&app, &alice, &id, "pay", Some("device-2"), None).await.code(), "request_not_open");
        assert_eq!(list(&app, &alice, "incoming").await["items"][0]["status"], "paid");
        assert_eq!(
            (available(&app, &alice).await.as_str(), available(&app, &bob).await.as_str()),
            ("88.00", "12.00")
        );
        app.stop().await;
    }
}

/// The next event of `events` named `name` (skipping balances), within a second.
async fn next_named(events: &mut Events, name: &str) -> Value {
    loop {
        let received = events.next(Duration::from_secs(1)).await.unwrap_or_else(|| panic!("no {name} event"));
        if received.event == name {
            return received.data;
        }
    }
}

/// Issue 19: a declined request tells its requester (live, and as an activity line "Bob
/// declined your request"), a canceled one its payer; the line is each person's own (direction
/// by side) and nobody else's, and it sits among the transfers by when it closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declining_or_canceling_a_request_tells_the_other_side_live_and_in_activity() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        let carol = app.sign_up("carol").await;
        app.fund(1, "alice", 5_000, "Top-up").await;
        let mut alice_events = Events::open(&app, &alice, None).await;
        let mut bob_events = Events::open(&app, &bob, None).await;

        // Alice asks Bob for 12.00; Bob declines.
        app.advance(1);
        let made = ask(
            &app,
            &alice,
            json!({"from": "bob", "amount": "12.00", "currency": "USD", "note": "Tickets"}),
        )
        .await;
        let id = made.body["request"]["id"].as_str().unwrap().to_string();
        assert_eq!(next_named(&mut alice_events, "request").await["status"], "open");
        for action in ["decline", "cancel"] {
            let answer = act(&app, &carol, &id, action, None, None).await;
            assert_eq!((answer.status, answer.code()), (StatusCode::NOT_FOUND, "not_found"), "{action}");
        }
        app.advance(1);
        let declined = act(&app, &bob, &id, "decline", None, None).await;
        assert_eq!(declined.body["request"]["status"], "declined", "{} {:?}", db.backend, declined.body);

        // Alice hears it within a second: the request, then her activity line.
        let changed = next_named(&mut alice_events, "request").await;
        assert_eq!(
            (changed["id"].as_str(), changed["status"].as_str()),
            (Some(id.as_str()), Some("declined"))
        );
        let line = next_named(&mut alice_events, "activity").await;
        assert_eq!(
            (
                line["id"].as_str(),
                line["kind"].as_str(),
                line["direction"].as_str(),
                line["status"].as_str(),
                line["request_status"].as_str()
            ),
            (Some(id.as_str()), Some("request"), Some("in"), Some("canceled"), Some("declined"))
        );
        assert_eq!(
            (line["amount"].as_str(), line["counterparty"]["handle"].as_str(), line["note"].as_str()),
            (Some("12.00"), Some("bob"), Some("Tickets"))
        );
        // Bob's own line is an outgoing one, with Alice on the other side.
        let bobs = next_named(&mut bob_events, "activity").await;
        assert_eq!(
            (bobs["direction"].as_str(), bobs["counterparty"]["handle"].as_str()),
            (Some("out"), Some("alice"))
        );

        // In GET /activity, newest first, above the top-up; the receipt is each side's own.
        let page = app.call(Method::GET, "/api/v1/activity", Some(&alice), None).await;
        assert_eq!(page.body["items"][0], line, "{}", db.backend);
        assert_eq!(page.body["items"][1]["kind"], "deposit");
        let receipt = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&alice), None).await;
        assert_eq!(receipt.body["activity"], line);
        let receipt = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&bob), None).await;
        assert_eq!(receipt.body["activity"]["direction"], "out");
        let stranger = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&carol), None).await;
        assert_eq!((stranger.status, stranger.code()), (StatusCode::NOT_FOUND, "not_found"));
        let carols = app.call(Method::GET, "/api/v1/activity", Some(&carol), None).await;
        assert_eq!(carols.body["items"], json!([]));

        // An open request is no activity line (yet); Alice cancels one and Bob hears it.
        app.advance(1);
        let second = ask(&app, &alice, json!({"from": "bob", "amount": "3.00", "currency": "USD"})).await;
        let second = second.body["request"]["id"].as_str().unwrap().to_string();
        let open = app.call(Method::GET, &format!("/api/v1/activity/{second}"), Some(&alice), None).await;
        assert_eq!(open.status, StatusCode::NOT_FOUND);
        assert_eq!(next_named(&mut bob_events, "request").await["status"], "open");
        app.advance(1);
        assert_eq!(act(&app, &alice, &second, "cancel", None, None).await.status, StatusCode::OK);
        let gone = next_named(&mut bob_events, "request").await;
        assert_eq!((gone["id"].as_str(), gone["status"].as_str()), (Some(second.as_str()), Some("canceled")));
        let bobs = next_named(&mut bob_events, "activity").await;
        assert_eq!(
            (bobs["id"].as_str(), bobs["direction"].as_str(), bobs["request_status"].as_str()),
            (Some(second.as_str()), Some("out"), Some("canceled"))
        );

        // Paged one at a time, the lines and the transfer come in order, each once.
        let seen: Vec<String> = activity_pages(&app, &alice, 1).await.into_iter().flatten().collect();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!((seen[0].as_str(), seen[1].as_str()), (second.as_str(), id.as_str()));
        assert!(seen[2].starts_with("tr_"), "{seen:?}");
        app.stop().await;
    }
}

/// Every page of `cookie`'s activity, `limit` at a time, following `next_cursor`: each page's ids.
async fn activity_pages(app: &TestApp, cookie: &str, limit: u32) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/activity?limit={limit}&cursor={cursor}"),
            None => format!("/api/v1/activity?limit={limit}"),
        };
        let page = app.call(Method::GET, &path, Some(cookie), None).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        pages.push(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_str().unwrap().to_string())
                .collect(),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return pages,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_pages_never_end_inside_a_tie_so_nothing_is_skipped() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        app.fund(1, "alice", 1_000, "First top-up").await;
        app.advance(1);
        let mut asked = Vec::new();
        for amount in ["1.00", "2.00"] {
            let made = ask(&app, &alice, json!({"from": "bob", "amount": amount, "currency": "USD"})).await;
            asked.push(made.body["request"]["id"].as_str().unwrap().to_string());
        }
        // Bob declines both at one instant (the test clock stands still): two lines at one time.
        app.advance(1);
        for id in &asked {
            assert_eq!(act(&app, &bob, id, "decline", None, None).await.status, StatusCode::OK);
        }
        app.advance(1);
        app.fund(2, "alice", 1_000, "Second top-up").await;

        // Two at a time: the first page stops before the tie rather than inside it.
        let pages = activity_pages(&app, &alice, 2).await;
        let seen: Vec<&String> = pages.iter().flatten().collect();
        assert_eq!(seen.len(), 4, "{}: each line once: {pages:?}", db.backend);
        for id in &asked {
            assert!(seen.contains(&id), "{}: {id} was skipped: {pages:?}", db.backend);
        }
        assert_eq!(pages[0].len(), 1, "{}: the page ends before the tie: {pages:?}", db.backend);
        app.stop().await;
    }
}
