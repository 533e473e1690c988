//! The sandbox clock (API.md "Sandbox clock"): `404` without the flag; an advance moves `now`
//! and the offset; bad bodies name their field; jobs that fall due on the way run at their due
//! instant (a grace window's end, a checkout's expiry, a bank settlement), not at the target;
//! ledger timestamps stay monotonic, also across a restart and between instances.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use purse_ledger::{Clock, Ledger, LedgerConfig, ManualClock, Timestamp, TransferPage};
use purse_server::AppState;
use purse_server::codes;
use purse_server::flows::Settings;
use purse_server::flows::people::Passwords;
use purse_server::flows::sandbox::SandboxClock;
use purse_server::http::static_site::StaticSite;
use purse_server::store::Db;
use purse_server::time::Time;
use serde_json::{Value, json};

use crate::support::*;

const SECOND: i64 = 1_000_000_000;
const DAY: i64 = 24 * 60 * 60;

/// An app on the sandbox clock: a [`SandboxClock`] over a base clock the test holds still
/// (`app.clock`), the one clock of the ledger and the flows. Its offset is read from the
/// database, as the server does at start.
pub(crate) async fn sandbox_app(db: &TestDb, settings: Settings) -> TestApp {
    sandbox_instance(db, Arc::new(ManualClock::new(Timestamp::from_nanos(START))), settings).await
}

/// An instance on the sandbox clock over `base` (a second instance, or the same one after a
/// restart, shares the base and reads the persisted offset).
pub(crate) async fn sandbox_instance(db: &TestDb, base: Arc<ManualClock>, settings: Settings) -> TestApp {
    let clock = Arc::new(SandboxClock::new(base.clone()));
    let config = LedgerConfig { clock: clock.clone(), ..LedgerConfig::default() };
    let ledger = Ledger::open_with(&db.url, config).await.unwrap();
    let server_db = Db::open(&db.url).await.unwrap();
    clock.load(&server_db).await.unwrap();
    let state = AppState::new(
        ledger.clone(),
        server_db,
        StaticSite::load(db.dir.path()),
        clock.clone(),
        Passwords::for_tests(),
    )
    .await
    .unwrap()
    .with_settings(settings)
    .with_sandbox_clock(clock.clone());
    // One instance: the ledger's, the flows' and the sandbox clock.
    let same = |other: &Arc<dyn Clock>| std::ptr::addr_eq(Arc::as_ptr(other), Arc::as_ptr(&clock));
    assert!(same(ledger.clock()) && same(&state.clock));
    assert!(state.sandbox_clock.as_ref().is_some_and(|held| Arc::ptr_eq(held, &clock)));
    TestApp { ledger, state, clock: base }
}

async fn advance(app: &TestApp, body: Value) -> Answer {
    app.call(Method::POST, "/sandbox/clock/advance", None, Some(body)).await
}

async fn read_clock(app: &TestApp) -> Answer {
    let answer = app.call(Method::GET, "/sandbox/clock", None, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    // The same at its `/api/v1` path.
    let again = app.call(Method::GET, "/api/v1/sandbox/clock", None, None).await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &answer.body));
    answer
}

fn at(nanos: i64) -> String {
    Time::from_nanos(nanos).rfc3339()
}

/// The newest ledger transfer on `handle`'s wallet.
async fn newest_transfer(app: &TestApp, handle: &str) -> purse_ledger::Transfer {
    let wallet = codes::wallet_of(app.user(handle).await.id);
    let page = app.ledger.account_transfers(wallet, TransferPage { before: None, limit: 1 }).await.unwrap();
    page.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_without_the_flag_is_not_found_and_never_moves() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        assert!(app.state.sandbox_clock.is_none());
        for (method, path, body) in [
            (Method::GET, "/sandbox/clock", None),
            (Method::GET, "/api/v1/sandbox/clock", None),
            (Method::POST, "/sandbox/clock/advance", Some(json!({"days": 1}))),
            // Not even a bad body is read.
            (Method::POST, "/sandbox/clock/advance", Some(json!({"hours": -1}))),
        ] {
            let answer = app.call(method.clone(), path, None, body).await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{method} {path} on {}: {:?}",
                db.backend,
                answer.body
            );
        }
        assert_eq!(app.state.now(), Time::from_nanos(START));
        assert_eq!(count(&app, "SELECT offset_ns FROM sandbox_clock").await, 0);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_advance_moves_now_and_the_offset() {
    for db in TestDb::every_backend().await {
        let app = sandbox_app(&db, Settings::default()).await;
        let start = read_clock(&app).await;
        assert_eq!(start.body, json!({"now": at(START), "offset_seconds": 0}), "{}", db.backend);

        let moved = advance(&app, json!({"days": 1, "seconds": 30})).await;
        let target = START + (DAY + 30) * SECOND;
        assert_eq!(
            (moved.status, &moved.body),
            (StatusCode::OK, &json!({"now": at(target)})),
            "{}",
            db.backend
        );
        assert_eq!(read_clock(&app).await.body, json!({"now": at(target), "offset_seconds": DAY + 30}));
        assert_eq!(app.state.now(), Time::from_nanos(target));

        // Seconds alone, and nothing at all (a zero advance is allowed: the clock stays).
        let moved = advance(&app, json!({"seconds": 90})).await;
        assert_eq!(moved.body, json!({"now": at(target + 90 * SECOND)}));
        let stayed = advance(&app, json!({"days": 0})).await;
        assert_eq!(
            (stayed.status, &stayed.body),
            (StatusCode::OK, &json!({"now": at(target + 90 * SECOND)}))
        );
        // The base clock moving (the system time) moves the business clock with it.
        app.advance(5);
        assert_eq!(
            read_clock(&app).await.body,
            json!({"now": at(target + 95 * SECOND), "offset_seconds": DAY + 120})
        );
        // Persisted as it moved.
        assert_eq!(count(&app, "SELECT offset_ns FROM sandbox_clock").await, (DAY + 120) * SECOND);

        // Cookie-less, it needs no sign-in; with a session cookie, a cross-site POST is refused
        // as every other state-changing request is.
        let cookie = app.sign_up("alice").await;
        let cross = app
            .call_with(
                Method::POST,
                "/sandbox/clock/advance",
                Some(&cookie),
                Some(json!({"seconds": 1})),
                &[("sec-fetch-site", "cross-site")],
            )
            .await;
        assert_eq!((cross.status, cross.code()), (StatusCode::FORBIDDEN, "csrf_rejected"));
        assert_eq!(read_clock(&app).await.body["offset_seconds"], DAY + 120);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_refuses_bad_bodies_naming_the_field() {
    let db = TestDb::sqlite();
    let app = sandbox_app(&db, Settings::default()).await;
    #[rustfmt::skip]
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "days"),
        (json!({"days": null, "seconds": null}), "days"),
        (json!({"days": -1}), "days"),
        (json!({"seconds": -5}), "seconds"),
        (json!({"days": 1.5}), "days"),
        (json!({"seconds": "60"}), "seconds"),
        (json!({"hours": 1}), "hours"),
        (json!({"days": 1, "minutes": 1}), "minutes"),
        (json!({"days": 3_661}), "days"),
        (json!({"days": u64::MAX}), "days"),
        (json!({"seconds": 3_660 * 86_400 + 1}), "seconds"),
        (json!({"days": 3_660, "seconds": 1}), "seconds"),
    ];
    for (body, field) in cases {
        let answer = advance(&app, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "invalid_request", Some(field)),
            "{body}: {:?}",
            answer.body
        );
    }
    let not_json = app
        .call_with(
            Method::POST,
            "/sandbox/clock/advance",
            None,
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!((not_json.status, not_json.code()), (StatusCode::BAD_REQUEST, "invalid_request"));
    // Nothing moved; the most allowed is fine.
    assert_eq!(read_clock(&app).await.body["offset_seconds"], 0);
    let most = advance(&app, json!({"days": 3_660})).await;
    assert_eq!(most.status, StatusCode::OK, "{:?}", most.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_posts_a_grace_window_send_at_the_window_s_end() {
    for db in TestDb::every_backend().await {
        let app = sandbox_app(&db, Settings::default()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        app.fund(1, "alice", 10_000, "Top-up").await;
        set_pin(&app, &alice).await;
        let sent = app
            .call_with(
                Method::POST,
                "/api/v1/transfers",
                Some(&alice),
                Some(json!({"to": "bob", "amount": "20.00", "currency": "USD", "pin": "1234"})),
                &[("idempotency-key", "k1")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
        assert_eq!(sent.body["transfer"]["status"], "pending");
        let window_end = START + i64::from(Settings::default().grace_window_s) * SECOND;
        assert_eq!(sent.body["transfer"]["cancelable_until"], at(window_end));

        let moved = advance(&app, json!({"days": 1})).await;
        assert_eq!(moved.body, json!({"now": at(START + DAY * SECOND)}), "{}", db.backend);
        // Posted before the answer, by the advance itself (no job runs in tests otherwise).
        assert_eq!(available(&app, &bob).await, "20.00", "{}", db.backend);
        let bobs = app.call(Method::GET, "/api/v1/activity", Some(&bob), None).await;
        assert_eq!(bobs.body["items"][0]["status"], "completed");
        // Its activity line keeps the time it was sent (the ledger's, a few nanoseconds on).
        let created = bobs.body["items"][0]["created_at"].as_str().unwrap();
        assert!(created.starts_with("2027-01-15T08:00:00"), "{created}");
        // The post carries the window's end, not the target.
        let posted = newest_transfer(&app, "bob").await;
        assert!(posted.pending_id.is_some(), "{posted:?}");
        let stamp = posted.timestamp.as_nanos();
        assert!((window_end..window_end + SECOND).contains(&stamp), "posted at {}", at(stamp));
        // Too late to cancel.
        let cancel = app
            .call(
                Method::POST,
                &format!("/api/v1/transfers/{}/cancel", sent.body["transfer"]["id"].as_str().unwrap()),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(
            (cancel.status, cancel.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "cancel_window_closed"),
            "{:?}",
            cancel.body
        );
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_expires_an_open_checkout_at_its_expiry() {
    for db in TestDb::every_backend().await {
        let app = sandbox_app(&db, Settings::default()).await;
        let cookie = app.sign_up("souq").await;
        let made = app
            .call(Method::PUT, "/api/v1/me/merchant", Some(&cookie), Some(json!({"name": "Souq Books"})))
            .await;
        assert_eq!(made.status, StatusCode::OK, "{:?}", made.body);
        let key = app
            .call(Method::POST, "/api/v1/merchant/keys", Some(&cookie), Some(json!({"name": "Server"})))
            .await;
        let bearer = format!("Bearer {}", key.body["secret"].as_str().unwrap());
        let body = json!({
            "amount": "12.50",
            "currency": "USD",
            "description": "A book",
            "success_url": "https://shop.example/done",
            "cancel_url": "https://shop.example/cart",
        });
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
        let id = session.body["session"]["id"].as_str().unwrap().to_string();
        let expires_at = session.body["session"]["expires_at"].as_str().unwrap().to_string();
        assert_eq!(expires_at, at(START + 30 * 60 * SECOND));

        assert_eq!(advance(&app, json!({"seconds": 3_600})).await.status, StatusCode::OK);
        let read = app
            .call_with(
                Method::GET,
                &format!("/api/v1/checkout/sessions/{id}"),
                None,
                None,
                &[("authorization", &bearer)],
            )
            .await;
        assert_eq!(read.body["session"]["status"], "expired", "{}: {:?}", db.backend, read.body);
        // Expired by the job (its row), at the expiry, not at the target an hour in.
        assert_eq!(count(&app, "SELECT COUNT(*) FROM checkout_sessions WHERE status = 'expired'").await, 1);
        assert_eq!(
            count(&app, "SELECT updated_at FROM checkout_sessions").await,
            START + 30 * 60 * SECOND,
            "{}",
            db.backend
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_settles_a_standard_withdrawal_at_its_settle_time() {
    for db in TestDb::every_backend().await {
        // The production default: a day.
        let app = sandbox_app(&db, Settings::default()).await;
        let alice = app.sign_up("alice").await;
        set_pin(&app, &alice).await;
        let token = app
            .call(
                Method::POST,
                "/sandbox/card-network/tokens",
                None,
                Some(json!({"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"})),
            )
            .await;
        let card = app
            .call(Method::POST, "/api/v1/cards", Some(&alice), Some(json!({"token": token.body["token"]})))
            .await;
        let card = card.body["card"]["id"].as_str().unwrap().to_string();
        let deposit = app
            .call_with(
                Method::POST,
                "/api/v1/deposits",
                Some(&alice),
                Some(json!({"card_id": card, "amount": "100.00", "currency": "USD"})),
                &[("idempotency-key", "d1")],
            )
            .await;
        assert_eq!(deposit.status, StatusCode::CREATED, "{:?}", deposit.body);
        let bank = app
            .call(
                Method::POST,
                "/api/v1/bank-accounts",
                Some(&alice),
                Some(json!({"routing_number": "110000000", "account_number": "000123456789", "holder_name": "Alice Doe"})),
            )
            .await;
        let bank = bank.body["bank_account"]["id"].as_str().unwrap().to_string();
        let body = json!({"destination_id": bank, "amount": "20.00", "currency": "USD", "speed": "standard", "pin": "1234"});
        let sent = app
            .call_with(
                Method::POST,
                "/api/v1/withdrawals",
                Some(&alice),
                Some(body),
                &[("idempotency-key", "w1")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
        let settles = START + DAY * SECOND;
        assert_eq!(
            (&sent.body["withdrawal"]["status"], &sent.body["withdrawal"]["arrives_by"]),
            (&json!("pending"), &json!(at(settles)))
        );

        // Not yet: an hour short.
        advance(&app, json!({"seconds": DAY - 3_600})).await;
        assert_eq!(balance(&app, &alice).await["pending_out"], "20.00");
        // Past it: settled at the bank's time.
        let moved = advance(&app, json!({"days": 2})).await;
        assert_eq!(moved.body["now"], at(START + (3 * DAY - 3_600) * SECOND));
        let wallet = balance(&app, &alice).await;
        assert_eq!((&wallet["available"], &wallet["pending_out"]), (&json!("80.00"), &json!("0.00")));
        assert_eq!(
            count(&app, "SELECT updated_at FROM withdrawals WHERE status = 'completed'").await,
            settles,
            "{}",
            db.backend
        );
        let posted = newest_transfer(&app, "alice").await;
        assert!(posted.pending_id.is_some(), "{posted:?}");
        let stamp = posted.timestamp.as_nanos();
        assert!((settles..settles + SECOND).contains(&stamp), "settled at {}", at(stamp));
        assert!(app.ledger.audit().await.unwrap().is_clean());
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_clock_keeps_ledger_timestamps_monotonic_across_restarts_and_instances() {
    for db in TestDb::every_backend().await {
        let app = sandbox_app(&db, Settings::default()).await;
        app.sign_up("alice").await;
        let before = app.fund(1, "alice", 1_000, "Top-up").await.timestamp.as_nanos();
        assert_eq!(advance(&app, json!({"days": 2})).await.status, StatusCode::OK);
        let after = app.fund(2, "alice", 1_000, "Top-up").await.timestamp.as_nanos();
        assert!(after >= START + 2 * DAY * SECOND && after > before, "{}", at(after));

        // A second instance on the same database picks the advance up when it reads the clock,
        // and its own advance carries on from there.
        let other = sandbox_app(&db, Settings::default()).await;
        assert_eq!(read_clock(&other).await.body["offset_seconds"], 2 * DAY);
        let advanced = advance(&other, json!({"days": 1})).await;
        assert_eq!(advanced.body["now"], at(START + 3 * DAY * SECOND));
        assert_eq!(read_clock(&app).await.body["offset_seconds"], 3 * DAY, "{}", db.backend);
        other.stop().await;

        // Two advances at once: one after the other, neither lost, the clock never back.
        let (one, two) =
            tokio::join!(advance(&app, json!({"seconds": 60})), advance(&app, json!({"seconds": 60})));
        let mut nows = [one.body["now"].to_string(), two.body["now"].to_string()];
        nows.sort();
        assert_eq!(
            nows,
            [
                json!(at(START + (3 * DAY + 60) * SECOND)).to_string(),
                json!(at(START + (3 * DAY + 120) * SECOND)).to_string()
            ]
        );
        app.stop().await;

        // A restart (the same database opened again, the base clock back at START): the offset
        // was kept, so time goes on from where it stood.
        let again = sandbox_app(&db, Settings::default()).await;
        assert_eq!(
            read_clock(&again).await.body,
            json!({"now": at(START + (3 * DAY + 120) * SECOND), "offset_seconds": 3 * DAY + 120}),
            "{}",
            db.backend
        );
        let later = again.fund(3, "alice", 1_000, "Top-up").await.timestamp.as_nanos();
        assert!(later >= START + (3 * DAY + 120) * SECOND, "{}", at(later));
        assert!(again.ledger.audit().await.unwrap().is_clean());
        again.stop().await;
    }
}

#[tokio::test]
async fn sandbox_clock_paths_are_in_the_openapi_document() {
    let spec: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    assert!(spec["paths"]["/sandbox/clock"]["get"].is_object());
    assert!(spec["paths"]["/sandbox/clock/advance"]["post"].is_object());
    // Served outside /api/v1: the path says so.
    assert_eq!(spec["paths"]["/sandbox/clock/advance"]["servers"][0]["url"], "/");
}

/// A server process, killed if a test fails while it runs.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            drop(self.0.kill());
            drop(self.0.wait());
        }
    }
}

/// `purse-server serve` itself, with `args` and `env`, on `url`: the process and its address.
fn serve(url: &str, dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Running, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_purse-server"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url, "--static-dir"])
        .arg(dir.join("dist"))
        .args(args)
        .env("PURSE_METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Running(child);
    let mut lines = std::io::BufReader::new(stderr).lines();
    let addr = loop {
        let line = lines.next().expect("the server exited early").unwrap();
        if let Some(rest) = line.strip_prefix("Purse is running at http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    // Keep reading, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (child, addr)
}

/// One request over a new connection: the status and the body as JSON.
fn request(addr: &str, method: &str, path: &str, body: &str) -> (u16, Value) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn stop(mut server: Running) {
    let pid = server.0.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(server.0.wait().unwrap().success(), "a graceful stop exits 0");
}

#[test]
fn sandbox_clock_flag_of_the_server_itself_and_its_offset_across_a_real_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let (server, addr) = serve(&url, dir.path(), &["--sandbox-clock"], &[]);
    let (status, moved) = request(&addr, "POST", "/sandbox/clock/advance", r#"{"days": 2}"#);
    assert_eq!(status, 200, "{moved}");
    let (status, read) = request(&addr, "GET", "/sandbox/clock", "");
    assert_eq!((status, &read["offset_seconds"]), (200, &json!(2 * DAY)), "{read}");
    stop(server);

    // Production (no flag): both paths are not found, and the clock is the system's.
    let (server, addr) = serve(&url, dir.path(), &[], &[]);
    for (method, path, body) in [
        ("GET", "/sandbox/clock", ""),
        ("GET", "/api/v1/sandbox/clock", ""),
        ("POST", "/sandbox/clock/advance", r#"{"days": 1}"#),
    ] {
        let (status, answer) = request(&addr, method, path, body);
        assert_eq!(
            (status, &answer["error"]["code"]),
            (404, &json!("not_found")),
            "{method} {path}: {answer}"
        );
    }
    stop(server);

    // The flag by its variable: the offset kept from before the restarts.
    let (server, addr) = serve(&url, dir.path(), &[], &[("PURSE_SANDBOX_CLOCK", "true")]);
    let (status, read) = request(&addr, "GET", "/api/v1/sandbox/clock", "");
    assert_eq!((status, &read["offset_seconds"]), (200, &json!(2 * DAY)), "{read}");
    stop(server);
}
