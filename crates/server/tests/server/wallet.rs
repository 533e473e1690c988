//! The wallet, activity pages and receipts, who may see them, and the live event stream.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use purse_server::codes;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_shows_what_can_be_spent_and_what_is_on_hold() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        let (alice_id, bob_id) = (app.user("alice").await.id, app.user("bob").await.id);
        app.fund(1, "alice", 10_000, "Top-up").await;
        // Alice holds 30.00 for Bob; Bob holds 5.00 for Alice (he has nothing: funded first).
        app.fund(2, "bob", 1_000, "Top-up").await;
        app.move_money(
            3,
            codes::wallet_of(alice_id),
            codes::wallet_of(bob_id),
            3_000,
            "transfer",
            None,
            true,
        )
        .await;
        app.move_money(4, codes::wallet_of(bob_id), codes::wallet_of(alice_id), 500, "transfer", None, true)
            .await;
        assert_eq!(
            balance(&app, &alice).await,
            json!({"currency": "USD", "available": "70.00", "pending_in": "5.00", "pending_out": "30.00"}),
            "{}",
            db.backend
        );
        assert_eq!(
            balance(&app, &bob).await,
            json!({"currency": "USD", "available": "5.00", "pending_in": "30.00", "pending_out": "5.00"})
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_pages_newest_first_and_stay_put_while_new_items_arrive() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        app.sign_up("bob").await;
        let (alice_id, bob_id) = (app.user("alice").await.id, app.user("bob").await.id);
        app.fund(1, "alice", 10_000, "First top-up").await;
        for (id, amount) in [(2, 100), (3, 200), (4, 300), (5, 400)] {
            app.move_money(
                id,
                codes::wallet_of(alice_id),
                codes::wallet_of(bob_id),
                amount,
                "transfer",
                Some("rent"),
                false,
            )
            .await;
        }
        let page = |cursor: Option<String>| {
            let path = match cursor {
                Some(cursor) => format!("/api/v1/activity?limit=2&cursor={cursor}"),
                None => "/api/v1/activity?limit=2".to_string(),
            };
            let cookie = alice.clone();
            let app = &app;
            async move { app.call(Method::GET, &path, Some(&cookie), None).await.body }
        };
        let first = page(None).await;
        let amounts = |page: &Value| {
            page["items"].as_array().unwrap().iter().map(|i| i["amount"].clone()).collect::<Vec<_>>()
        };
        assert_eq!(amounts(&first), vec![json!("4.00"), json!("3.00")], "{}", db.backend);
        let item = &first["items"][0];
        assert_eq!(item["kind"], "transfer");
        assert_eq!(item["direction"], "out");
        assert_eq!(item["status"], "completed");
        assert_eq!(item["currency"], "USD");
        assert_eq!(item["fee"], "0.00");
        assert_eq!(item["note"], "rent");
        assert_eq!(item["counterparty"], json!({"handle": "bob", "display_name": "BOB"}));
        assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(item["id"].as_str().unwrap().starts_with("tr_"));

        // Money arriving now does not shift the pages already handed out.
        app.move_money(6, codes::wallet_of(bob_id), codes::wallet_of(alice_id), 50, "transfer", None, false)
            .await;
        let second = page(first["next_cursor"].as_str().map(str::to_string)).await;
        assert_eq!(amounts(&second), vec![json!("2.00"), json!("1.00")]);
        let third = page(second["next_cursor"].as_str().map(str::to_string)).await;
        assert_eq!(amounts(&third), vec![json!("100.00")]);
        assert_eq!(
            third["items"][0]["counterparty"],
            Value::Null,
            "a deposit has no person on the other side"
        );
        assert_eq!(third["items"][0]["direction"], "in");
        assert_eq!(third["next_cursor"], Value::Null);
        let fresh = page(None).await;
        assert_eq!(fresh["items"][0]["amount"], "0.50");
        assert_eq!(fresh["items"][0]["direction"], "in");

        // Bob sees the same transfers from his side.
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_show_as_one_activity_whose_status_follows_the_ledger() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let alice = app.sign_up("alice").await;
    app.sign_up("bob").await;
    let (alice_wallet, bob_wallet) =
        (codes::wallet_of(app.user("alice").await.id), codes::wallet_of(app.user("bob").await.id));
    app.fund(1, "alice", 10_000, "Top-up").await;
    app.move_money(2, alice_wallet, bob_wallet, 1_000, "transfer", None, true).await;
    app.move_money(3, alice_wallet, bob_wallet, 2_000, "transfer", None, true).await;
    app.move_money(4, alice_wallet, bob_wallet, 3_000, "transfer", None, true).await;
    for request in [purse_ledger::TransferRequest::post(5, 2, 600), purse_ledger::TransferRequest::void(6, 3)]
    {
        app.ledger.create_transfer(request).await.unwrap().unwrap();
    }
    let items = app.call(Method::GET, "/api/v1/activity", Some(&alice), None).await.body["items"].clone();
    let summary: Vec<(Value, Value)> =
        items.as_array().unwrap().iter().map(|i| (i["status"].clone(), i["amount"].clone())).collect();
    assert_eq!(
        summary,
        vec![
            (json!("pending"), json!("30.00")),
            (json!("canceled"), json!("20.00")),
            (json!("completed"), json!("6.00")),
            (json!("completed"), json!("100.00")),
        ],
        "posts and voids are not items of their own"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_page_requests_name_their_parameter() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let alice = app.sign_up("alice").await;
    for id in 1..=3 {
        app.fund(id, "alice", 100, "x").await;
    }
    let cursor =
        app.call(Method::GET, "/api/v1/activity?limit=1", Some(&alice), None).await.body["next_cursor"]
            .as_str()
            .unwrap()
            .to_string();
    let mut tampered = cursor.clone().into_bytes();
    tampered[2] = if tampered[2] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let cases = [
        ("/api/v1/activity?limit=0", "limit"),
        ("/api/v1/activity?limit=101", "limit"),
        ("/api/v1/activity?limit=ten", "limit"),
        ("/api/v1/activity?limit=-5", "limit"),
        ("/api/v1/activity?cursor=nonsense", "cursor"),
        ("/api/v1/activity?colour=blue", "colour"),
    ];
    for (path, field) in cases {
        let answer = app.call(Method::GET, path, Some(&alice), None).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "invalid_request", Some(field)),
            "{path}"
        );
    }
    let answer =
        app.call(Method::GET, &format!("/api/v1/activity?cursor={tampered}"), Some(&alice), None).await;
    assert_eq!((answer.code(), answer.field()), ("invalid_request", Some("cursor")));
    let ok = app
        .call(Method::GET, &format!("/api/v1/activity?limit=100&cursor={cursor}"), Some(&alice), None)
        .await;
    assert_eq!(ok.body["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_is_its_owners_and_nobody_elses() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        let carol = app.sign_up("carol").await;
        let (alice_id, bob_id) = (app.user("alice").await.id, app.user("bob").await.id);
        app.fund(1, "alice", 5_000, "Top-up").await;
        app.move_money(
            2,
            codes::wallet_of(alice_id),
            codes::wallet_of(bob_id),
            1_250,
            "transfer",
            Some("lunch"),
            false,
        )
        .await;
        let listed =
            app.call(Method::GET, "/api/v1/activity", Some(&alice), None).await.body["items"][0].clone();
        let id = listed["id"].as_str().unwrap().to_string();

        let mine = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&alice), None).await;
        assert_eq!(mine.body["activity"], listed, "{}", db.backend);
        let theirs = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&bob), None).await;
        assert_eq!(theirs.body["activity"]["direction"], "in", "the other party sees it from their side");
        assert_eq!(theirs.body["activity"]["counterparty"]["handle"], "alice");

        let stranger = app.call(Method::GET, &format!("/api/v1/activity/{id}"), Some(&carol), None).await;
        let missing = app.call(Method::GET, "/api/v1/activity/tr_aaaaaaaaaaaaa", Some(&carol), None).await;
        assert_eq!((stranger.status, stranger.code()), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(
            stranger.raw, missing.raw,
            "someone else's id answers exactly like one that does not exist"
        );
        for garbage in ["tr_", "nonsense", "rq_aaaaaaaaaaaaa", "tr_!!!!!!!!!!!!!", "tr_aaaaaaaaaaaaaaaaaa"] {
            let answer =
                app.call(Method::GET, &format!("/api/v1/activity/{garbage}"), Some(&alice), None).await;
            assert_eq!(answer.code(), "not_found", "{garbage}");
        }
        // Nothing of Alice's shows in Carol's wallet or activity.
        assert_eq!(
            app.call(Method::GET, "/api/v1/activity", Some(&carol), None).await.body["items"],
            json!([])
        );
        assert_eq!(balance(&app, &carol).await["available"], "0.00");
        app.stop().await;
    }
}

/// Reads Server-Sent Events from a streaming body.
pub struct Events {
    body: Body,
    buffer: String,
}

#[derive(Debug)]
pub struct Received {
    pub event: String,
    pub id: String,
    pub data: Value,
}

impl Events {
    pub async fn open(app: &TestApp, cookie: &str, last_event_id: Option<&str>) -> Events {
        let mut request =
            Request::get("/api/v1/events").header(header::COOKIE, cookie).header(header::HOST, "purse.test");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response =
            purse_server::app(app.state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
        Events { body: response.into_body(), buffer: String::new() }
    }

    /// The next event (skipping keep-alive comments), within `limit`.
    /// The next `activity` event, skipping others (a balance sent again), within `limit` each.
    pub async fn next_activity(&mut self, limit: Duration) -> Option<Received> {
        loop {
            let received = self.next(limit).await?;
            if received.event == "activity" {
                return Some(received);
            }
        }
    }

    pub async fn next(&mut self, limit: Duration) -> Option<Received> {
        tokio::time::timeout(limit, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut received =
                        Received { event: String::new(), id: String::new(), data: Value::Null };
                    for line in block.lines() {
                        if let Some(value) =
                            line.strip_prefix("event: ").or_else(|| line.strip_prefix("event:"))
                        {
                            received.event = value.to_string();
                        } else if let Some(value) =
                            line.strip_prefix("id: ").or_else(|| line.strip_prefix("id:"))
                        {
                            received.id = value.to_string();
                        } else if let Some(value) =
                            line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:"))
                        {
                            received.data = serde_json::from_str(value).unwrap_or(Value::Null);
                        }
                    }
                    if !received.event.is_empty() {
                        return Some(received);
                    }
                    continue;
                }
                match self.body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            self.buffer.push_str(&String::from_utf8_lossy(data));
                        }
                    }
                    _ => return None,
                }
            }
        })
        .await
        .ok()
        .flatten()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_arriving_is_pushed_live_and_a_reconnect_gets_what_it_missed() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let second = Duration::from_secs(1);

        let mut events = Events::open(&app, &alice, None).await;
        let hello = events.next(second).await.expect("the balance on connect");
        assert_eq!(
            (hello.event.as_str(), hello.data["balances"][0]["available"].as_str()),
            ("balance", Some("0.00"))
        );

        app.fund(1, "alice", 2_500, "Birthday").await;
        let arrived = events.next(second).await.expect("an activity within a second");
        assert_eq!(arrived.event, "activity", "{}", db.backend);
        assert_eq!(arrived.data["amount"], "25.00");
        assert_eq!(arrived.data["note"], "Birthday");
        assert_eq!(arrived.data["direction"], "in");
        let balance = events.next(second).await.expect("then the balance");
        assert_eq!(balance.event, "balance");
        assert_eq!(balance.data["balances"][0]["available"], "25.00");
        let last_id = balance.id.clone();
        drop(events);

        // Offline: two more arrive. A reconnect with the last id gets both, oldest first.
        app.fund(2, "alice", 100, "one").await;
        app.fund(3, "alice", 200, "two").await;
        let mut again = Events::open(&app, &alice, Some(&last_id)).await;
        let first = again.next(second).await.unwrap();
        let next = again.next(second).await.unwrap();
        let balance = again.next(second).await.unwrap();
        assert_eq!((first.data["note"].as_str(), next.data["note"].as_str()), (Some("one"), Some("two")));
        assert_eq!(balance.data["balances"][0]["available"], "28.00");
        assert!(first.id < next.id || first.id.len() < next.id.len(), "ids grow");

        // A hold that is voided updates the same activity.
        let bob = app.sign_up("bob").await;
        let (alice_wallet, bob_wallet) =
            (codes::wallet_of(app.user("alice").await.id), codes::wallet_of(app.user("bob").await.id));
        app.move_money(4, alice_wallet, bob_wallet, 300, "transfer", None, true).await;
        // A late wake-up for the funds above may send the balance once more first (on
        // PostgreSQL a notification can arrive after the reconnect read past it): skip it.
        let held = again.next_activity(second).await.unwrap();
        assert_eq!(
            (held.data["status"].as_str(), held.data["direction"].as_str()),
            (Some("pending"), Some("out"))
        );
        again.next(second).await.unwrap();
        app.ledger.create_transfer(purse_ledger::TransferRequest::void(5, 4)).await.unwrap().unwrap();
        let canceled = again.next_activity(second).await.unwrap();
        assert_eq!(canceled.data["id"], held.data["id"]);
        assert_eq!(canceled.data["status"], "canceled");
        drop(bob);

        // The stream ends when the server stops.
        app.state.begin_stopping();
        let mut ended = false;
        for _ in 0..5 {
            if again.next(second).await.is_none() {
                ended = true;
                break;
            }
        }
        assert!(ended, "the stream ends on stop");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_a_transfer_through_one_instance_reaches_a_stream_on_another() {
    // Two instances on one database is the PostgreSQL deployment; runs when DATABASE_URL is set.
    let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
        eprintln!(
            "skipped: on_postgresql_a_transfer_through_one_instance_reaches_a_stream_on_another needs \
             DATABASE_URL=postgres://…"
        );
        return;
    };
    let db = TestDb::postgres(&base).await;
    let first = TestApp::new(&db, db.dir.path()).await;
    let second = TestApp::with_clock(&db, db.dir.path(), first.clock.clone()).await;
    let alice = first.sign_up("alice").await;
    let mut events = Events::open(&second, &alice, None).await;
    assert_eq!(events.next(Duration::from_secs(1)).await.unwrap().event, "balance");
    first.fund(1, "alice", 999, "From the other instance").await;
    let arrived = events.next(Duration::from_secs(1)).await.expect("within a second, on the other instance");
    assert_eq!((arrived.event.as_str(), arrived.data["amount"].as_str()), ("activity", Some("9.99")));
    drop(events);
    second.stop().await;
    first.stop().await;
}

/// Every event `events` sends until it ends or is quiet for a second.
async fn drain(events: &mut Events) -> Vec<Received> {
    let mut all = Vec::new();
    while let Some(event) = events.next(Duration::from_secs(1)).await {
        all.push(event);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_meets_a_database_error_skips_nothing_and_a_reconnect_delivers_it() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let mut events = Events::open(&app, &alice, None).await;
        let first = events.next(Duration::from_secs(1)).await.expect("the balance");
        let mut last_id = first.id.clone();
        drop(events);
        // Offline: two arrive.
        app.fund(1, "alice", 100, "one").await;
        app.fund(2, "alice", 200, "two").await;
        // The notes cannot be read (the database failing) when the client comes back.
        let sql = |text: &str| purse_server::store::Statement::new(text, vec![]);
        app.state.db.execute(&sql("ALTER TABLE transfer_notes RENAME TO transfer_notes_away")).await.unwrap();
        let mut failing = Events::open(&app, &alice, Some(&last_id)).await;
        let during = drain(&mut failing).await;
        assert!(
            during.iter().all(|event| event.event != "activity"),
            "{}: nothing could be built, so nothing is sent: {during:?}",
            db.backend
        );
        // Whatever the client was sent is where it resumes from, as a browser's EventSource does.
        if let Some(event) = during.last() {
            last_id = event.id.clone();
        }
        app.state.db.execute(&sql("ALTER TABLE transfer_notes_away RENAME TO transfer_notes")).await.unwrap();
        let mut again = Events::open(&app, &alice, Some(&last_id)).await;
        let after = drain(&mut again).await;
        let notes: Vec<&str> =
            after.iter().filter(|e| e.event == "activity").filter_map(|e| e.data["note"].as_str()).collect();
        assert_eq!(notes, ["one", "two"], "{}: every activity arrives: {after:?}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_person_keeps_at_most_ten_streams_and_a_new_one_closes_the_oldest() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let alice = app.sign_up("alice").await;
    let alice_id = app.user("alice").await.id;
    let mut streams = Vec::new();
    for _ in 0..12 {
        let mut events = Events::open(&app, &alice, None).await;
        assert_eq!(events.next(Duration::from_secs(1)).await.unwrap().event, "balance");
        streams.push(events);
    }
    assert_eq!(app.state.streams.count(alice_id), 10);
    app.fund(1, "alice", 100, "one").await;
    for (i, events) in streams.iter_mut().enumerate() {
        let got = drain(events).await;
        let activities = got.iter().filter(|e| e.event == "activity").count();
        assert_eq!(activities, usize::from(i >= 2), "stream {i}: {got:?}");
    }
    drop(streams);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while app.state.streams.count(alice_id) > 0 {
        assert!(std::time::Instant::now() < deadline, "closed streams are forgotten");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_from_far_behind_replays_at_most_five_hundred_and_then_the_balance() {
    let db = TestDb::sqlite();
    let app = TestApp::new(&db, db.dir.path()).await;
    let alice = app.sign_up("alice").await;
    for id in 1..=501 {
        app.fund(id, "alice", 1, "a cent").await;
    }
    let mut events = Events::open(&app, &alice, Some("0:0")).await;
    let got = drain(&mut events).await;
    let activities = got.iter().filter(|e| e.event == "activity").count();
    assert_eq!(activities, 0, "too far behind: it starts again from now");
    assert_eq!(got.last().map(|e| e.event.as_str()), Some("balance"));
    assert_eq!(got.last().unwrap().data["balances"][0]["available"], "5.01");
    // 500 behind is replayed whole.
    let mut events = Events::open(&app, &alice, Some(&format!("{}:0", first_timestamp(&app).await))).await;
    let got = drain(&mut events).await;
    assert_eq!(got.iter().filter(|e| e.event == "activity").count(), 500);
    app.stop().await;
}

/// The ledger timestamp of Alice's first transfer.
async fn first_timestamp(app: &TestApp) -> impl std::fmt::Display {
    let wallet = codes::wallet_of(app.user("alice").await.id);
    let first = app.ledger.account_transfers_after(wallet, None, 1).await.unwrap();
    first[0].timestamp.as_nanos()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_events_reach_a_stream_on_another_instance_within_a_second() {
    let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
        eprintln!(
            "skipped: on_postgresql_events_reach_a_stream_on_another_instance_within_a_second needs DATABASE_URL=postgres://…"
        );
        return;
    };
    let db = TestDb::postgres(&base).await;
    let first = TestApp::new(&db, db.dir.path()).await;
    let second = TestApp::with_clock(&db, db.dir.path(), first.clock.clone()).await;
    let alice = first.sign_up("alice").await;
    let bob = first.sign_up("bob").await;
    first.fund(1, "bob", 100_000, "Top-up").await;
    set_pin(&first, &bob).await;
    // Others keep both instances busy meanwhile.
    let mut load = Vec::new();
    for (n, app) in [(0_i64, &first), (1, &second)] {
        for c in 0..4_i64 {
            let payer = format!("payer{n}{c}");
            let cookie = app.sign_up(&payer).await;
            app.fund(100 + n * 10 + c, &payer, 1_000_000, "Top-up").await;
            let (state, stop) =
                (app.state.clone(), std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)));
            let flag = stop.clone();
            load.push((
                stop,
                tokio::spawn(async move {
                    let mut i = 0;
                    while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                        let body = json!({"to": "bob", "amount": "0.01", "currency": "USD"});
                        let key = format!("load-{i}");
                        call_state(
                            &state,
                            Method::POST,
                            "/api/v1/transfers",
                            Some(&cookie),
                            Some(body),
                            &[("idempotency-key", key.as_str())],
                        )
                        .await;
                        i += 1;
                    }
                }),
            ));
        }
    }
    // Alice watches on the second instance; Bob pays her through the first.
    let mut events = Events::open(&second, &alice, None).await;
    assert_eq!(events.next(Duration::from_secs(1)).await.unwrap().event, "balance");
    let mut latencies = Vec::new();
    for i in 0..40 {
        let body = json!({"to": "alice", "amount": "1.00", "currency": "USD", "pin": "1234"});
        let key = format!("across-{i}");
        let at = std::time::Instant::now();
        let sent = first
            .call_with(
                Method::POST,
                "/api/v1/transfers",
                Some(&bob),
                Some(body),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
        // Its activity (then the balance) on the other instance.
        loop {
            let event = events
                .next(Duration::from_secs(5))
                .await
                .expect("the payment's events, on the other instance");
            if event.event == "activity" && event.data["direction"] == "in" {
                latencies.push(at.elapsed());
                break;
            }
        }
    }
    for (stop, task) in load {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        task.await.unwrap();
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    let p50 = latencies[latencies.len() / 2];
    eprintln!(
        "across instances, from the send to the event: p50 {p50:?}, p99 {p99:?} over {} payments",
        latencies.len()
    );
    assert!(p99 < Duration::from_secs(1), "p99 {p99:?}: {latencies:?}");
    drop(events);
    second.stop().await;
    first.stop().await;
}
