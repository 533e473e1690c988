//! Monthly statements (issue 22; API.md "Interest and statements"): a month with interest, an
//! instant withdrawal and its fee, a checkout and its partial refund, a returned bank
//! withdrawal and a send with a formula for a note, read as JSON and downloaded as CSV, OFX and
//! camt.053, each file checked by `tests/statements/check_statement.py` (Python's own csv and
//! XML parsers, no Purse code): opening plus entries is closing in every format, equal to the
//! ledger and to the next month's opening. Nobody reaches another's statement; a future month,
//! one before the account and bad parameters are refused.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use crate::checkout::{confirm, merchant, open_session, refund};
use crate::funding::{VISA, link, link_bank, withdraw};
use crate::interest::{advance_to, interest_app, log_in, on};
use crate::support::*;

/// Runs the independent checker on a downloaded file and answers what it read.
fn checked(format: &str, bytes: &[u8]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("statement.{format}"));
    std::fs::write(&path, bytes).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/statements/check_statement.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(format)
        .arg(&path)
        .output()
        .expect("python3 runs the statement checker (CI has it)");
    assert!(
        output.status.success(),
        "the checker refused the {format} file: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(bytes)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn statement(app: &TestApp, cookie: Option<&str>, query: &str) -> Answer {
    app.call(Method::GET, &format!("/api/v1/statements?{query}"), cookie, None).await
}

async fn send(app: &TestApp, cookie: &str, key: &str, to: &str, amount: &str, note: &str) {
    let body = json!({"to": to, "amount": amount, "currency": "USD", "note": note, "pin": "1234"});
    let sent = app
        .call_with(Method::POST, "/api/v1/transfers", Some(cookie), Some(body), &[("idempotency-key", key)])
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
}

fn dollars(text: &str) -> i64 {
    let (whole, cents) = text.split_once('.').unwrap();
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    sign * (whole.trim_start_matches('-').parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_of_everything_adds_up_in_every_format_and_stays_its_owners() {
    for db in TestDb::every_backend().await {
        let app = interest_app(&db, "3.65").await;
        let alice = app.sign_up("alice").await;
        set_pin(&app, &alice).await;
        app.sign_up("bob").await;
        let (_, secret) = merchant(&app, "souq").await;
        app.fund(90_101, "alice", 100_000, "Savings").await;
        // January's interest (17 days of 1,000.00) is paid on February 1st.
        advance_to(&app, on("2027-02", 2, 10)).await;
        let alice = log_in(&app, "alice").await;

        // An instant withdrawal of 10.00 and its fee (1.75 %, at least 0.25).
        let visa = link(&app, &alice, VISA).await;
        let instant = withdraw(&app, &alice, "w1", &visa, "10.00", "instant").await;
        assert_eq!(instant.body["withdrawal"]["status"], "completed", "{:?}", instant.body);
        // A checkout of 12.50 and 5.00 of it refunded.
        let session = open_session(&app, &secret, "s1").await;
        let paid = confirm(&app, &alice, &session, "c1", Some("1234")).await;
        assert_eq!(paid.status, StatusCode::OK, "{:?}", paid.body);
        let refunded =
            refund(&app, &secret, "r1", json!({"checkout_session": session, "amount": "5.00"})).await;
        assert_eq!(refunded.status, StatusCode::CREATED, "{:?}", refunded.body);
        // A bank withdrawal that comes back: its money never left, so it is on no statement.
        let returns = link_bank(&app, &alice, "000111110002").await;
        let back = withdraw(&app, &alice, "w2", &returns, "30.00", "standard").await;
        assert_eq!(back.body["withdrawal"]["status"], "pending", "{:?}", back.body);
        // A first payment to Bob, held for its grace window, whose note is a formula.
        send(&app, &alice, "t1", "bob", "1.00", "=1+2").await;
        advance_to(&app, on("2027-02", 2, 11)).await;
        let alice = log_in(&app, "alice").await;
        let items = app.call(Method::GET, "/api/v1/activity?limit=50", Some(&alice), None).await.body;
        let returned = items["items"].as_array().unwrap().iter().any(|item| item["status"] == "returned");
        assert!(returned, "{items}");
        // February's interest is paid on March 1st: on March's statement.
        advance_to(&app, on("2027-03", 1, 1)).await;
        let alice = log_in(&app, "alice").await;

        let february = statement(&app, Some(&alice), "month=2027-02").await;
        assert_eq!(february.status, StatusCode::OK, "{:?}", february.body);
        let body = &february.body;
        assert_eq!((&body["month"], &body["currency"]), (&json!("2027-02"), &json!("USD")));
        assert_eq!(body["opening_balance"], "1000.00");
        let entries = body["entries"].as_array().unwrap();
        let mut kinds: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for entry in entries {
            kinds.entry(entry["kind"].as_str().unwrap().to_string()).or_default().push((
                entry["direction"].as_str().unwrap().to_string(),
                entry["amount"].as_str().unwrap().to_string(),
            ));
        }
        let pair = |direction: &str, amount: &str| vec![(direction.to_string(), amount.to_string())];
        assert_eq!(kinds["interest"], pair("in", "1.66"), "{body}");
        assert_eq!(kinds["withdrawal"], pair("out", "10.00"), "only the instant one: {body}");
        assert_eq!(kinds["fee"], pair("out", "0.25"));
        assert_eq!(kinds["checkout"], pair("out", "12.50"));
        assert_eq!(kinds["refund"], pair("in", "5.00"));
        assert_eq!(kinds["transfer"], pair("out", "1.00"));
        assert_eq!(entries.len(), 6, "{body}");
        let to_bob = entries.iter().find(|entry| entry["kind"] == "transfer").unwrap();
        assert_eq!(to_bob["description"], "To BOB (@bob) — =1+2");
        assert_eq!(to_bob["note"], "=1+2");
        assert_eq!(to_bob["counterparty"], json!({"handle": "bob", "display_name": "BOB"}));
        let interest = entries.iter().find(|entry| entry["kind"] == "interest").unwrap();
        assert_eq!(
            (&interest["note"], &interest["description"]),
            (&json!("2027-01"), &json!("Interest for 2027-01"))
        );
        assert_eq!(interest.get("counterparty"), None, "Purse pays it: nobody to name");
        assert!(entries.iter().all(|entry| entry["booked_at"].as_str().unwrap().starts_with("2027-02-")));
        // Every entry's activity is the person's own receipt.
        for entry in entries {
            let receipt = app
                .call(
                    Method::GET,
                    &format!("/api/v1/activity/{}", entry["activity_id"].as_str().unwrap()),
                    Some(&alice),
                    None,
                )
                .await;
            assert_eq!(receipt.status, StatusCode::OK, "{entry}");
        }
        // Opening plus entries is each balance after, and closing.
        let mut running = dollars(body["opening_balance"].as_str().unwrap());
        for entry in entries {
            let amount = dollars(entry["amount"].as_str().unwrap());
            running += if entry["direction"] == "in" { amount } else { -amount };
            assert_eq!(running, dollars(entry["balance_after"].as_str().unwrap()), "{entry}");
        }
        assert_eq!(body["closing_balance"], "982.91");
        assert_eq!(running, 98_291);
        assert_eq!(
            (&body["total_in"], &body["total_out"], &body["interest"], &body["fees"]),
            (&json!("6.66"), &json!("23.75"), &json!("1.66"), &json!("0.25"))
        );
        // The next month opens where this one closed, and the month so far closes at the wallet.
        let march = statement(&app, Some(&alice), "month=2027-03&currency=USD&format=json").await;
        assert_eq!(march.body["opening_balance"], body["closing_balance"]);
        assert_eq!(march.body["entries"][0]["kind"], "interest");
        assert_eq!(march.body["closing_balance"].as_str().unwrap(), available(&app, &alice).await);

        // The three files: named for the month, and each read back by Python's own parsers.
        for (format, media, name) in [
            ("csv", "text/csv; charset=utf-8", "purse-2027-02.csv"),
            ("ofx", "application/x-ofx", "purse-2027-02.ofx"),
            ("camt053", "application/xml", "purse-2027-02.xml"),
        ] {
            let file = statement(&app, Some(&alice), &format!("month=2027-02&format={format}")).await;
            assert_eq!(file.status, StatusCode::OK, "{format}: {}", String::from_utf8_lossy(&file.raw));
            assert_eq!(file.headers[header::CONTENT_TYPE], media);
            assert_eq!(
                file.headers[header::CONTENT_DISPOSITION].to_str().unwrap(),
                format!("attachment; filename=\"{name}\"")
            );
            let read = checked(format, &file.raw);
            assert_eq!(
                (&read["opening"], &read["closing"]),
                (&json!("1000.00"), &json!("982.91")),
                "{format}: {read}"
            );
            assert_eq!((&read["entries"], &read["sum"]), (&json!(6), &json!("-17.09")), "{format}: {read}");
            if format != "csv" {
                assert_eq!(read["currency"], "USD");
            }
            let descriptions = read["descriptions"].as_array().unwrap();
            assert!(descriptions.iter().any(|d| d == "To BOB (@bob) — =1+2"), "{format}: {read}");
            if format == "csv" {
                // The formula a person wrote is text to a spreadsheet.
                assert!(read["notes"].as_array().unwrap().iter().any(|note| note == "'=1+2"), "{read}");
                assert!(!String::from_utf8_lossy(&file.raw).contains(",=1+2"));
            }
        }

        // Bob's statement is his own: Alice's payment in, nothing of hers.
        let bob = log_in(&app, "bob").await;
        let his = statement(&app, Some(&bob), "month=2027-02").await;
        let his_entries = his.body["entries"].as_array().unwrap();
        assert_eq!(his_entries.len(), 1, "{:?}", his.body);
        assert_eq!(
            (&his_entries[0]["direction"], &his_entries[0]["description"]),
            (&json!("in"), &json!("From ALICE (@alice) — =1+2"))
        );
        // There is no way to name someone else's wallet.
        let theirs = statement(&app, Some(&bob), "month=2027-02&person=alice").await;
        assert_eq!((theirs.status, theirs.code()), (StatusCode::BAD_REQUEST, "invalid_request"));
        let nobody = statement(&app, None, "month=2027-02").await;
        assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);

        // What is refused, and how.
        for (query, status, code, field) in [
            ("month=2027-04", StatusCode::NOT_FOUND, "not_found", None),
            ("month=2030-01&format=csv", StatusCode::NOT_FOUND, "not_found", None),
            ("month=2026-12", StatusCode::NOT_FOUND, "not_found", None),
            ("month=2027-13", StatusCode::BAD_REQUEST, "invalid_request", Some("month")),
            ("month=Feb", StatusCode::BAD_REQUEST, "invalid_request", Some("month")),
            ("format=csv", StatusCode::BAD_REQUEST, "invalid_request", Some("month")),
            ("month=2027-02&format=pdf", StatusCode::BAD_REQUEST, "invalid_request", Some("format")),
            ("month=2027-02&currency=XYZ", StatusCode::BAD_REQUEST, "invalid_currency", Some("currency")),
        ] {
            let answer = statement(&app, Some(&alice), query).await;
            assert_eq!(
                (answer.status, answer.code(), answer.field()),
                (status, code, field),
                "{query}: {:?}",
                answer.body
            );
        }
        let report = app.ledger.audit().await.unwrap();
        assert!(report.is_clean(), "{report:?}");
        app.stop().await;
    }
}
