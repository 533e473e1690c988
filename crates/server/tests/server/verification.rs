//! Identity verification (issue 20): `POST /me/verification` through the sandbox provider, each
//! of its outcomes, tier 2 before tier 1, bad fields named, where Purse is licensed, the same
//! body twice, one person's session against another's, the demo people, and that no row, log
//! line or answer holds more of an SSN or a document number than its last four.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use futures_util::future::BoxFuture;
use purse_api::compliance::{AccountStatus, Region, StateSet, VerificationState, VerificationStatus};
use purse_rails::RailError;
use purse_rails::identity::{Screening, ScreeningHit};
use purse_rails::sanctions::{DEFAULT_THRESHOLD, SanctionsList};
use purse_server::cli::SHIPPED_SANCTIONS_LIST;
use purse_server::flows::Settings;
use purse_server::flows::verification::{Standing, standing};
use serde_json::{Value, json};

use crate::cli::{Server, bytes_under};
use crate::support::*;

const PATH: &str = "/api/v1/me/verification";

/// A tier 1 body: an adult in `state`.
fn identity(state: &str) -> Value {
    json!({
        "level": 1,
        "legal_name": "Omar Farouk",
        "date_of_birth": "1990-02-28",
        "address": {"line1": "1 Main St", "city": "Austin", "state": state, "postal_code": "78701"},
        "ssn_last4": "1234",
    })
}

fn document(number: &str) -> Value {
    json!({"level": 2, "document_type": "passport", "document_number": number})
}

/// `identity(state)` with `field` set to `value`.
fn identity_with(state: &str, field: &str, value: Value) -> Value {
    let mut body = identity(state);
    body[field] = value;
    body
}

async fn verify(app: &TestApp, cookie: &str, body: Value) -> Answer {
    app.call(Method::POST, PATH, Some(cookie), Some(body)).await
}

async fn standing_of(app: &TestApp, handle: &str) -> Standing {
    standing(&app.state, &app.user(handle).await).await.unwrap()
}

async fn rows(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM verifications").await
}

fn state(status: VerificationStatus, reason_code: Option<&str>) -> VerificationState {
    VerificationState { status, reason_code: reason_code.map(str::to_string) }
}

/// Asserts a `200` with this outcome and tier.
#[track_caller]
fn assert_outcome(answer: &Answer, status: &str, reason_code: Option<&str>, tier: u8) {
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let mut expected = json!({"verification": {"status": status}, "tier": tier});
    if let Some(code) = reason_code {
        expected["verification"]["reason_code"] = json!(code);
    }
    assert_eq!(answer.body, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sandbox_outcome_is_decided_by_the_input() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let omar = app.sign_up("omar").await;
        let before = standing_of(&app, "omar").await;
        assert_eq!(
            before,
            Standing {
                tier: 0,
                status: AccountStatus::Active,
                region: Region { state: None, available: true },
                verification: state(VerificationStatus::None, None),
            },
            "{}",
            db.backend
        );

        // SSN last four 0000: identity_mismatch, tier unchanged.
        let mismatch = verify(&app, &omar, identity_with("TX", "ssn_last4", json!("0000"))).await;
        assert_outcome(&mismatch, "rejected", Some("identity_mismatch"), 0);
        let after = standing_of(&app, "omar").await;
        assert_eq!((after.tier, after.status, after.region.state.clone()), (0, AccountStatus::Active, None));
        assert_eq!(after.verification, state(VerificationStatus::Rejected, Some("identity_mismatch")));

        // 18 tomorrow by the business clock (START is 2027-01-15): underage today, not tomorrow.
        let young = identity_with("TX", "date_of_birth", json!("2009-01-16"));
        assert_outcome(&verify(&app, &omar, young.clone()).await, "rejected", Some("underage"), 0);
        assert_eq!(app.user("omar").await.tier, 0);
        app.advance(24 * 60 * 60);
        assert_outcome(&verify(&app, &omar, young).await, "verified", None, 1);
        let user = app.user("omar").await;
        assert_eq!(
            (user.tier, user.status, user.region_state.as_deref()),
            (1, AccountStatus::Active, Some("TX"))
        );
        assert_eq!(
            standing_of(&app, "omar").await,
            Standing {
                tier: 1,
                status: AccountStatus::Active,
                region: Region { state: Some("TX".into()), available: true },
                verification: state(VerificationStatus::Verified, None),
            }
        );

        // A document starting FAIL: document_invalid, tier 1 kept; then a good one: tier 2.
        assert_outcome(
            &verify(&app, &omar, document("FAIL1234")).await,
            "rejected",
            Some("document_invalid"),
            1,
        );
        assert_outcome(
            &verify(&app, &omar, document("fail9876")).await,
            "rejected",
            Some("document_invalid"),
            1,
        );
        assert_eq!(app.user("omar").await.tier, 1);
        assert_eq!(
            standing_of(&app, "omar").await.verification.reason_code.as_deref(),
            Some("document_invalid")
        );
        assert_outcome(&verify(&app, &omar, document("X12345678")).await, "verified", None, 2);
        let user = app.user("omar").await;
        assert_eq!(
            (user.tier, user.status, user.region_state.as_deref()),
            (2, AccountStatus::Active, Some("TX"))
        );
        assert_eq!(standing_of(&app, "omar").await.verification, state(VerificationStatus::Verified, None));
        assert_eq!(
            rows(&app).await,
            6,
            "one row per answer: mismatch, underage, verified, two invalid, verified"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM verifications WHERE level = 2 AND document_last4 = '5678'")
                .await,
            1,
            "a document keeps its last four"
        );
        app.stop().await;
    }
}

/// Screening that matches one name (the sanctions list is issue 21's; this stands in for it).
#[derive(Debug)]
struct Matches(&'static str);

impl Screening for Matches {
    fn screen<'a>(&'a self, legal_name: &'a str) -> BoxFuture<'a, Result<Option<ScreeningHit>, RailError>> {
        let hit = legal_name.eq_ignore_ascii_case(self.0).then(|| ScreeningHit {
            list_version: "test".into(),
            entry: self.0.into(),
            score: 1.0,
        });
        Box::pin(async move { Ok(hit) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_the_screening_matches_goes_under_review() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let TestApp { ledger, state: app_state, clock } = app;
        let app =
            TestApp { ledger, state: app_state.with_screening(Arc::new(Matches("Ivan Listed"))), clock };
        let ivan = app.sign_up("ivan").await;
        let omar = app.sign_up("omar").await;
        let listed = identity_with("CA", "legal_name", json!("Ivan Listed"));
        assert_outcome(&verify(&app, &ivan, listed.clone()).await, "under_review", Some("manual_review"), 0);
        let user = app.user("ivan").await;
        assert_eq!(
            (user.tier, user.status, user.region_state),
            (0, AccountStatus::UnderReview, None),
            "{}",
            db.backend
        );
        assert_eq!(
            standing_of(&app, "ivan").await.verification,
            state(VerificationStatus::UnderReview, Some("manual_review"))
        );
        // The same again: the same answer, nothing new.
        assert_outcome(&verify(&app, &ivan, listed).await, "under_review", Some("manual_review"), 0);
        assert_eq!(rows(&app).await, 1);
        // Another name passes.
        assert_outcome(&verify(&app, &omar, identity("CA")).await, "verified", None, 1);
        assert_eq!(app.user("omar").await.status, AccountStatus::Active);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_on_the_shipped_sanctions_list_go_under_review() {
    let list = SanctionsList::open(SHIPPED_SANCTIONS_LIST, DEFAULT_THRESHOLD).unwrap();
    let version = list.list_version();
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let TestApp { ledger, state: app_state, clock } = app;
        let screening = Arc::new(SanctionsList::open(SHIPPED_SANCTIONS_LIST, DEFAULT_THRESHOLD).unwrap());
        let app = TestApp { ledger, state: app_state.with_screening(screening), clock };
        assert_eq!(app.state.screening.version(), Some(version.clone()), "{}", db.backend);
        for (handle, legal_name, status, tier) in [
            ("tariq", "Tariq al-Rashid", "under_review", 0),
            ("samir", "سمير حداد", "under_review", 0),
            ("omar", "Omar Farouk", "verified", 1),
            ("ali", "Ali Hassan Khan", "verified", 1),
        ] {
            let cookie = app.sign_up(handle).await;
            let body = identity_with("CA", "legal_name", json!(legal_name));
            let reason_code = (status == "under_review").then_some("manual_review");
            assert_outcome(&verify(&app, &cookie, body).await, status, reason_code, tier);
        }
        assert_eq!(app.user("tariq").await.status, AccountStatus::UnderReview, "{}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_before_tier_1_is_refused() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let omar = app.sign_up("omar").await;
        let early = verify(&app, &omar, document("X12345678")).await;
        assert_eq!(
            (early.status, early.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "verification_failed"),
            "{}",
            db.backend
        );
        assert!(!early.raw.windows(4).any(|w| w == b"1234"), "{:?}", early.body);
        assert_eq!((rows(&app).await, app.user("omar").await.tier), (0, 0));
        // A rejected tier 1 does not open tier 2 either.
        verify(&app, &omar, identity_with("TX", "ssn_last4", json!("0000"))).await;
        let still = verify(&app, &omar, document("X12345678")).await;
        assert_eq!(still.code(), "verification_failed");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fields_are_named_and_nothing_is_recorded() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let omar = app.sign_up("omar").await;
        let mut no_ssn = identity("TX");
        no_ssn.as_object_mut().unwrap().remove("ssn_last4");
        let mut no_city = identity("TX");
        no_city["address"].as_object_mut().unwrap().remove("city");
        let cases: Vec<(Value, &str)> = vec![
            (identity_with("TX", "date_of_birth", json!("2023-02-29")), "date_of_birth"),
            (identity_with("TX", "date_of_birth", json!("1990-13-01")), "date_of_birth"),
            (identity_with("TX", "date_of_birth", json!("2030-01-01")), "date_of_birth"),
            (identity("ZZ"), "address.state"),
            (identity("Texas"), "address.state"),
            (identity_with("TX", "ssn_last4", json!("123")), "ssn_last4"),
            (identity_with("TX", "ssn_last4", json!("123456789")), "ssn_last4"),
            (identity_with("TX", "ssn_last4", json!(123_456_789)), "ssn_last4"),
            (identity_with("TX", "legal_name", json!("")), "legal_name"),
            (identity_with("TX", "ssn", json!("123456789")), "ssn"),
            (identity_with("TX", "document_number", json!("X1234567")), "document_number"),
            (identity_with("TX", "level", json!(3)), "level"),
            (no_ssn, "ssn_last4"),
            (no_city, "address.city"),
            (json!({"level": 2, "document_type": "visa", "document_number": "ZX98765432"}), "document_type"),
            (
                json!({"level": 2, "document_type": "passport", "document_number": "ZX-98765432"}),
                "document_number",
            ),
            (
                json!({"level": 2, "document_type": "passport", "document_number": 987_654_321_012_i64}),
                "document_number",
            ),
            (json!({"level": 2, "document_type": "passport"}), "document_number"),
            (json!({"document_type": "passport", "document_number": "ZX98765432"}), "level"),
        ];
        for (body, field) in cases {
            let answer = verify(&app, &omar, body.clone()).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (StatusCode::BAD_REQUEST, "invalid_request", Some(field)),
                "{}: {body}: {:?}",
                db.backend,
                answer.body
            );
            let message = answer.body["error"]["message"].as_str().unwrap();
            assert!(message.ends_with('.') && !message.contains("line 1"), "{message}");
            // No answer repeats a number sent for the SSN or a document.
            for digits in ["123456789", "98765432", "987654321012"] {
                assert!(!message.contains(digits), "{body}: {message}");
            }
        }
        assert_eq!(rows(&app).await, 0);
        assert_eq!(app.user("omar").await.tier, 0);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_where_purse_is_not_licensed_restricts_the_person() {
    for db in TestDb::every_backend().await {
        // By default every state but New York.
        let app = TestApp::new(&db, db.dir.path()).await;
        let nadia = app.sign_up("nadia").await;
        let ny = identity_with(
            "NY",
            "address",
            json!({"line1": "145 Court St", "city": "Brooklyn", "state": "ny", "postal_code": "11201"}),
        );
        assert_outcome(&verify(&app, &nadia, ny.clone()).await, "verified", None, 1);
        let user = app.user("nadia").await;
        assert_eq!(
            (user.tier, user.status, user.region_state.as_deref()),
            (1, AccountStatus::Restricted, Some("NY"))
        );
        assert_eq!(
            standing_of(&app, "nadia").await.region,
            Region { state: Some("NY".into()), available: false }
        );
        // Tier 2 raises the tier; the restriction stays.
        assert_outcome(&verify(&app, &nadia, document("D9998877")).await, "verified", None, 2);
        assert_eq!(app.user("nadia").await.status, AccountStatus::Restricted);
        app.stop().await;

        // `--licensed-states NY,CA`: New York is fine, Texas is not.
        let settings =
            Settings { licensed_states: StateSet::parse_list("NY,CA").unwrap(), ..Settings::default() };
        let db = match db.backend {
            "sqlite" => TestDb::sqlite(),
            _ => TestDb::postgres(&std::env::var("DATABASE_URL").unwrap()).await,
        };
        let app = TestApp::with_settings(&db, db.dir.path(), settings).await;
        let nadia = app.sign_up("nadia").await;
        let omar = app.sign_up("omar").await;
        assert_outcome(&verify(&app, &nadia, ny).await, "verified", None, 1);
        assert_outcome(&verify(&app, &omar, identity("TX")).await, "verified", None, 1);
        assert_eq!(app.user("nadia").await.status, AccountStatus::Active);
        assert_eq!(
            standing_of(&app, "nadia").await.region,
            Region { state: Some("NY".into()), available: true }
        );
        assert_eq!(app.user("omar").await.status, AccountStatus::Restricted);
        assert_eq!(
            standing_of(&app, "omar").await.region,
            Region { state: Some("TX".into()), available: false }
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_submission_again_answers_the_same_and_records_nothing() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let omar = app.sign_up("omar").await;
        let rejected = identity_with("TX", "ssn_last4", json!("0000"));
        for _ in 0..3 {
            assert_outcome(
                &verify(&app, &omar, rejected.clone()).await,
                "rejected",
                Some("identity_mismatch"),
                0,
            );
        }
        assert_eq!(rows(&app).await, 1, "{}", db.backend);
        // At once, too: one row, one answer.
        let answers = futures_util::future::join_all(
            (0..6)
                .map(|_| call_state(&app.state, Method::POST, PATH, Some(&omar), Some(identity("TX")), &[])),
        )
        .await;
        for answer in &answers {
            assert_outcome(answer, "verified", None, 1);
        }
        assert_eq!(rows(&app).await, 2);
        // Tier 1 held: any tier 1 body answers the current state, asking no one.
        assert_outcome(&verify(&app, &omar, identity("CA")).await, "verified", None, 1);
        assert_outcome(&verify(&app, &omar, rejected).await, "verified", None, 1);
        assert_eq!(app.user("omar").await.region_state.as_deref(), Some("TX"));
        for _ in 0..2 {
            assert_outcome(&verify(&app, &omar, document("P7654321")).await, "verified", None, 2);
        }
        assert_outcome(&verify(&app, &omar, document("FAIL0000")).await, "verified", None, 2);
        assert_outcome(&verify(&app, &omar, identity("TX")).await, "verified", None, 2);
        assert_eq!(rows(&app).await, 3);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_verifies_only_its_own_person() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let alice = app.sign_up("alice").await;
        let bob = app.sign_up("bob").await;
        assert_outcome(&verify(&app, &alice, identity("CA")).await, "verified", None, 1);
        // Bob's session changes only Bob.
        assert_outcome(
            &verify(&app, &bob, identity_with("NY", "ssn_last4", json!("0000"))).await,
            "rejected",
            Some("identity_mismatch"),
            0,
        );
        assert_eq!(standing_of(&app, "alice").await.verification, state(VerificationStatus::Verified, None));
        assert_eq!(standing_of(&app, "alice").await.region.state.as_deref(), Some("CA"));
        assert_eq!(app.user("bob").await.tier, 0);
        // Nobody signed in, or another site riding Alice's cookie: nothing.
        let anonymous = app.call(Method::POST, PATH, None, Some(document("X12345678"))).await;
        assert_eq!((anonymous.status, anonymous.code()), (StatusCode::UNAUTHORIZED, "unauthenticated"));
        let forged = app
            .call_with(
                Method::POST,
                PATH,
                Some(&alice),
                Some(document("X12345678")),
                &[("origin", "https://evil.test")],
            )
            .await;
        assert_eq!((forged.status, forged.code()), (StatusCode::FORBIDDEN, "csrf_rejected"));
        let read = app.call(Method::GET, PATH, Some(&alice), None).await;
        assert_eq!(read.status, StatusCode::METHOD_NOT_ALLOWED, "no reading verifications by this path");
        assert_eq!(app.user("alice").await.tier, 1);
        assert_eq!(rows(&app).await, 2, "{}", db.backend);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_people_stand_where_the_demo_says() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        purse_server::flows::demo::seed(&app.state).await.unwrap();
        let recorded = rows(&app).await;
        assert_eq!(purse_server::flows::demo::seed(&app.state).await.unwrap(), 0);
        assert_eq!(rows(&app).await, recorded, "{}: seeding again records nothing", db.backend);
        let expect = [
            ("alice", 1, AccountStatus::Active, Some("CA"), VerificationStatus::Verified),
            ("bob", 1, AccountStatus::Active, Some("TX"), VerificationStatus::Verified),
            ("lina", 2, AccountStatus::Active, Some("WA"), VerificationStatus::Verified),
            ("nadia", 1, AccountStatus::Restricted, Some("NY"), VerificationStatus::Verified),
            ("omar", 0, AccountStatus::Active, None, VerificationStatus::None),
        ];
        for (handle, tier, status, region, verification) in expect {
            let standing = standing_of(&app, handle).await;
            assert_eq!(
                (
                    standing.tier,
                    standing.status,
                    standing.region.state.as_deref(),
                    standing.verification.status
                ),
                (tier, status, region, verification),
                "{handle}"
            );
        }
        // Nadia signs in with the demo password and has her 500.00.
        let login = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"handle": "nadia", "password": "purse-demo-pass"})),
            )
            .await;
        assert_eq!(login.body["user"]["display_name"], "Nadia Rahman");
        assert_eq!(available(&app, &login.session_cookie().unwrap()).await, "500.00");
        let report = app.ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{:?}", report.violations);
        app.stop().await;
    }
}

/// The binary, logging everything (`trace`, sqlx's statements included): omar verifies with a
/// document `ZX98765432` and is refused a nine-digit SSN part; neither the database files nor
/// the log nor any answer holds more than the last four.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_row_or_log_line_holds_more_than_the_last_four() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let missing_dist = dir.path().join("dist").display().to_string();
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let server = tokio::task::block_in_place(|| {
        Server::start_logging(&url, &missing_dist, "trace", Some(log.clone()))
    });
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"handle": "omar", "password": "purse-demo-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let mut answers = String::new();
    let bodies = [
        (identity_with("TX", "ssn_last4", json!("123456789")), 400),
        (identity_with("TX", "ssn_last4", json!(123_456_789)), 400),
        (identity_with("TX", "ssn_last4", json!("6789")), 200),
        (document("ZX98765432"), 200),
        (document("ZX98765432"), 200),
        (json!({"level": 2, "document_type": "passport", "document_number": 98_765_432_123_i64}), 400),
        (json!({"level": 2, "document_type": "ZX98765432", "document_number": "ZX98765432"}), 400),
    ];
    for (body, status) in bodies {
        let answer =
            http.post(format!("{base}{PATH}")).header("cookie", &cookie).json(&body).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{body}");
        answers.push_str(&answer.text().await.unwrap());
    }
    assert!(answers.contains(r#"{"verification":{"status":"verified"},"tier":2}"#), "{answers}");
    assert!(tokio::task::block_in_place(|| server.terminate()).success());

    let log = log.lock().unwrap().clone();
    assert!(log.contains(PATH) && log.contains("INSERT INTO verifications"), "the log was captured");
    for text in ["ZX987654", "X98765432", "12345678", "23456789", "98765432123"] {
        assert!(!log.contains(text), "the log holds {text}");
        assert!(!answers.contains(text), "an answer holds {text}: {answers}");
    }
    let files = bytes_under(dir.path());
    assert!(files.iter().any(|(name, _)| name.ends_with("purse.db")));
    for (name, bytes) in files {
        for text in ["ZX987654", "X98765432", "12345678", "23456789", "98765432123"] {
            assert!(!bytes.windows(text.len()).any(|w| w == text.as_bytes()), "{name} holds {text}");
        }
    }
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let kept: Vec<(i64, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT level, ssn_last4, document_last4 FROM verifications v JOIN users u ON u.id = v.user_id WHERE u.handle = 'omar' ORDER BY v.id")
            .fetch_all(&mut connection)
            .await
            .unwrap();
    assert_eq!(
        kept,
        vec![(1, Some("6789".into()), None), (2, None, Some("5432".into()))],
        "the last fours are kept"
    );
}
