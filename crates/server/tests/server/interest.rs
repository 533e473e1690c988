//! Interest on balances (issue 22; API.md "Interest and statements"), through the sandbox
//! clock: what a month pays is what the formula gives, computed here independently (the daily
//! rate by bisection, not the server's Newton's method); balances are each day's end-of-day
//! posted balance; a zero balance and an APY of 0 accrue nothing, and turning interest on never
//! pays for the past; the job run twice, concurrently, on a second instance, after a restart
//! and after downtime posts each month once.

use std::str::FromStr;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use purse_ledger::{ManualClock, Timestamp};
use purse_server::codes;
use purse_server::flows::Settings;
use purse_server::flows::interest;
use purse_server::time::{CalendarMonth, Time};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub(crate) use crate::sandbox_clock::sandbox_instance as instance;
use crate::support::*;

const SECOND: i64 = 1_000_000_000;
const HOUR: i64 = 3_600 * SECOND;
const DAY: i64 = 24 * HOUR;

pub(crate) fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

pub(crate) fn with_apy(apy: &str) -> Settings {
    Settings { apy: dec(apy), grace_window_s: 60, bank_settle_s: 60, ..Settings::default() }
}

/// A fresh app on the sandbox clock, standing at [`START`] (2027-01-15T08:00:00Z).
pub(crate) async fn interest_app(db: &TestDb, apy: &str) -> TestApp {
    instance(db, Arc::new(ManualClock::new(Timestamp::from_nanos(START))), with_apy(apy)).await
}

/// Moves the sandbox clock to `at` (running every job on the way).
pub(crate) async fn advance_to(app: &TestApp, at: Time) {
    let seconds = (at.nanos() - app.state.now().nanos()) / SECOND;
    assert!(seconds > 0, "{at} is not ahead of {}", app.state.now());
    let moved =
        app.call(Method::POST, "/sandbox/clock/advance", None, Some(json!({"seconds": seconds}))).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
}

/// `YYYY-MM-DD` plus hours, as an instant.
pub(crate) fn on(month: &str, day: i64, hours: i64) -> Time {
    Time::from_nanos(CalendarMonth::parse(month).unwrap().start().nanos() + (day - 1) * DAY + hours * HOUR)
}

/// `(1 + x)^n`, by repeated multiplication (no shared code with the server).
fn grown(x: Decimal, n: u32) -> Decimal {
    (0..n).fold(Decimal::ONE, |acc, _| acc * (Decimal::ONE + x))
}

/// The daily rate `(1 + apy)^(1/365) − 1`, by bisection.
fn rate_by_bisection(apy_percent: &str) -> Decimal {
    let target = Decimal::ONE + dec(apy_percent) / Decimal::ONE_HUNDRED;
    let (mut low, mut high) = (Decimal::ZERO, dec("0.01"));
    for _ in 0..90 {
        let middle = (low + high) / Decimal::TWO;
        if grown(middle, 365) < target {
            low = middle;
        } else {
            high = middle;
        }
    }
    low
}

/// A day's accrual on `cents`, cut (not rounded) at 14 places.
fn day_of(cents: i64, rate: Decimal) -> Decimal {
    (Decimal::from(cents) * rate).trunc_with_scale(14)
}

/// A fresh session for `handle` (sessions end while the clock moves by weeks).
pub(crate) async fn log_in(app: &TestApp, handle: &str) -> String {
    let answer = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"handle": handle, "password": PASSWORD})))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.session_cookie().unwrap()
}

async fn interest_items(app: &TestApp, cookie: &str) -> Vec<Value> {
    let page = app.call(Method::GET, "/api/v1/activity?limit=100", Some(cookie), None).await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    page.body["items"].as_array().unwrap().iter().filter(|item| item["kind"] == "interest").cloned().collect()
}

async fn expense_paid(app: &TestApp) -> (u64, u64) {
    let account = app.ledger.lookup_account(codes::INTEREST_EXPENSE).await.unwrap().unwrap();
    (account.balances.debits_posted, account.balances.credits_posted)
}

async fn assert_audit_clean(app: &TestApp) {
    let report = app.ledger.audit().await.unwrap();
    assert!(report.is_clean(), "{report:?}");
}

fn cents(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_held_from_the_fourth_to_the_end_of_the_next_month_earns_what_the_formula_gives() {
    for db in TestDb::every_backend().await {
        let app = interest_app(&db, "3.65").await;
        app.sign_up("alice").await;
        app.sign_up("bob").await;
        advance_to(&app, on("2027-02", 4, 12)).await;
        app.fund(90_001, "alice", 100_000, "Savings").await;
        advance_to(&app, on("2027-04", 1, 1)).await;
        let (alice, bob) = (log_in(&app, "alice").await, log_in(&app, "bob").await);

        // Independently: 25 days of February at 1,000.00, paid on March 1st; 31 days of March
        // at 1,000.00 plus February's interest, with February's carry.
        let rate = rate_by_bisection("3.65");
        let february = day_of(100_000, rate) * Decimal::from(25);
        let feb_paid = february.trunc();
        let march_balance = 100_000 + i64::try_from(feb_paid.mantissa()).unwrap();
        let march = day_of(march_balance, rate) * Decimal::from(31) + (february - feb_paid);
        let mar_paid = march.trunc();
        // And floating point agrees to a millionth of a cent.
        #[allow(clippy::float_arithmetic)]
        let float = 25.0 * 100_000.0 * (1.0365_f64.powf(1.0 / 365.0) - 1.0);
        assert!(
            (february.to_string().parse::<f64>().unwrap() - float).abs() < 1e-6,
            "{february} against {float}"
        );
        let (feb_paid, mar_paid) =
            (i64::try_from(feb_paid.mantissa()).unwrap(), i64::try_from(mar_paid.mantissa()).unwrap());
        // (Python's decimal module agrees: 9.8223 cents a day.)
        assert_eq!((feb_paid, mar_paid), (245, 305), "1,000.00 at 3.65 % earns about 9.82 cents a day");

        // What the ledger paid, as two interest items in Alice's activity.
        let items = interest_items(&app, &alice).await;
        let amounts: Vec<_> = items.iter().map(|item| item["amount"].as_str().unwrap().to_string()).collect();
        assert_eq!(amounts, [cents(mar_paid), cents(feb_paid)], "newest first: {items:?}");
        for item in &items {
            assert_eq!(
                (&item["direction"], &item["status"], &item["counterparty"]),
                (&json!("in"), &json!("completed"), &Value::Null)
            );
            // Its own receipt.
            let receipt = app
                .call(
                    Method::GET,
                    &format!("/api/v1/activity/{}", item["id"].as_str().unwrap()),
                    Some(&alice),
                    None,
                )
                .await;
            assert_eq!(
                (receipt.status, &receipt.body["activity"]["kind"]),
                (StatusCode::OK, &json!("interest"))
            );
        }
        assert_eq!(
            items[1]["created_at"].as_str().unwrap().get(..10),
            Some("2027-03-01"),
            "paid as March begins"
        );
        // Each says the month it was earned in.
        assert_eq!((&items[0]["note"], &items[1]["note"]), (&json!("2027-03"), &json!("2027-02")));
        assert_eq!(
            available(&app, &alice).await,
            cents(100_000 + feb_paid + mar_paid),
            "the wallet holds what was paid"
        );

        // The rows: February's carry went into March, and each day's accrual is the formula's.
        let accrued =
            app.call(Method::GET, "/api/v1/me/interest/accruals?month=2027-02", Some(&alice), None).await;
        let days = accrued.body["items"].as_array().unwrap();
        assert_eq!(days.len(), 25, "{:?}", accrued.body);
        assert_eq!((&days[0]["date"], &days[24]["date"]), (&json!("2027-02-04"), &json!("2027-02-28")));
        let day_accrual = day_of(100_000, rate) / Decimal::ONE_HUNDRED;
        for day in days {
            assert_eq!(day["balance"], "1000.00");
            let (ours, theirs) = (dec(day["accrued"].as_str().unwrap()), day_accrual);
            assert!((ours - theirs).abs() <= dec("0.0000000000000001"), "{ours} against {theirs}");
        }
        let march_rows =
            app.call(Method::GET, "/api/v1/me/interest/accruals?month=2027-03", Some(&alice), None).await;
        let march_days = march_rows.body["items"].as_array().unwrap();
        assert_eq!(march_days.len(), 31);
        assert_eq!(
            march_days[0]["balance"],
            cents(march_balance),
            "the payment counts from the day it posted"
        );
        let carries = count(&app, "SELECT COUNT(*) FROM interest_payments WHERE carry <> '0'").await;
        assert_eq!(carries, 2, "each month carries its fraction of a cent");

        let summary = app.call(Method::GET, "/api/v1/me/interest", Some(&alice), None).await;
        assert_eq!(summary.status, StatusCode::OK);
        assert_eq!(
            summary.body,
            json!({"apy": "3.65", "accrued_this_month": "0.00", "paid_this_year": cents(feb_paid + mar_paid),
                   "next_payment_on": "2027-05-01", "first_month": "2027-01", "currency": "USD"})
        );
        let nothing = app.call(Method::GET, "/api/v1/me/interest", Some(&bob), None).await;
        assert_eq!(
            (&nothing.body["accrued_this_month"], &nothing.body["paid_this_year"]),
            (&json!("0.00"), &json!("0.00"))
        );

        // A zero balance accrues nothing.
        let bob_id = app.user("bob").await.id.0;
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM interest_accruals WHERE user_id = {bob_id}")).await,
            0
        );
        assert!(interest_items(&app, &bob).await.is_empty());

        // Half way through April: what has accrued shows, not yet paid.
        advance_to(&app, on("2027-04", 16, 1)).await;
        let alice = log_in(&app, "alice").await;
        let april = day_of(march_balance + mar_paid, rate) * Decimal::from(15) + (march - march.trunc());
        let summary = app.call(Method::GET, "/api/v1/me/interest", Some(&alice), None).await;
        assert_eq!(
            summary.body["accrued_this_month"],
            cents(i64::try_from(april.trunc().mantissa()).unwrap())
        );

        // The platform paid exactly that, from its interest-expense account; the books balance.
        assert_eq!(expense_paid(&app).await, ((feb_paid + mar_paid).cast_unsigned(), 0));
        assert_audit_clean(&app).await;
        let bad =
            app.call(Method::GET, "/api/v1/me/interest/accruals?month=2027-13", Some(&alice), None).await;
        assert_eq!((bad.status, bad.field()), (StatusCode::BAD_REQUEST, Some("month")));
        let nobody = app.call(Method::GET, "/api/v1/me/interest", None, None).await;
        assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_day_accrues_on_its_closing_balance_as_it_changes_mid_month() {
    for db in TestDb::every_backend().await {
        let app = interest_app(&db, "4.00").await;
        app.sign_up("alice").await;
        app.sign_up("bob").await;
        let (alice, bob) = (app.user("alice").await.id, app.user("bob").await.id);
        advance_to(&app, on("2027-02", 3, 10)).await;
        app.fund(90_011, "alice", 50_000, "Pay").await;
        advance_to(&app, on("2027-02", 3, 15)).await;
        // 200.00 to Bob the same afternoon: only the day's end counts.
        app.move_money(
            90_012,
            codes::wallet_of(alice),
            codes::wallet_of(bob),
            20_000,
            "transfer",
            Some("Rent"),
            false,
        )
        .await;
        advance_to(&app, Time::from_nanos(on("2027-02", 4, 24).nanos() - SECOND)).await;
        app.fund(90_013, "alice", 30_000, "Late").await;
        // Half a minute after midnight the day is not accrued yet (a batch stamped just before
        // midnight, or on an instance whose clock is a little behind, may still commit); a
        // minute after, it is.
        let february_4 = CalendarMonth::parse("2027-02").unwrap().first_day() + 3;
        let fourth = format!("SELECT COUNT(*) FROM interest_days WHERE day = {february_4}");
        advance_to(&app, Time::from_nanos(on("2027-02", 5, 0).nanos() + 30 * SECOND)).await;
        assert_eq!(count(&app, &fourth).await, 0);
        advance_to(&app, Time::from_nanos(on("2027-02", 5, 0).nanos() + 61 * SECOND)).await;
        assert_eq!(count(&app, &fourth).await, 1);
        advance_to(&app, on("2027-02", 6, 1)).await;

        let rate = rate_by_bisection("4.00");
        let expected = [
            (alice, 3, 30_000),
            (alice, 4, 60_000),
            (alice, 5, 60_000),
            (bob, 3, 20_000),
            (bob, 4, 20_000),
            (bob, 5, 20_000),
        ];
        for (person, day, balance) in expected {
            let sql = format!(
                "SELECT balance FROM interest_accruals WHERE user_id = {} AND day = {}",
                person.0,
                CalendarMonth::parse("2027-02").unwrap().first_day() + day - 1
            );
            assert_eq!(count(&app, &sql).await, balance, "person {person:?} on February {day}");
        }
        let total = "SELECT COUNT(*) FROM interest_accruals";
        assert_eq!(count(&app, total).await, 6, "nothing before the money arrived");
        // Each day's amount is the formula's on that balance.
        let listed = app
            .call(
                Method::GET,
                "/api/v1/me/interest/accruals?month=2027-02",
                Some(&app.sign_up("carol").await),
                None,
            )
            .await;
        assert_eq!(listed.body["items"], json!([]), "Carol has none, and sees nobody else's");
        for (person, balance) in [(alice, 60_000), (bob, 20_000)] {
            let stored = app
                .state
                .db
                .accruals(Some(person), 0, i64::MAX)
                .await
                .unwrap()
                .into_iter()
                .find(|row| row.balance == balance)
                .unwrap();
            let theirs = day_of(balance, rate);
            assert!(
                (stored.accrued - theirs).abs() <= dec("0.00000000000001"),
                "{} against {theirs}",
                stored.accrued
            );
        }
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apy_of_zero_pays_nothing_and_turning_interest_on_never_pays_for_the_past() {
    for db in TestDb::every_backend().await {
        let base = Arc::new(ManualClock::new(Timestamp::from_nanos(START)));
        let app = instance(&db, base.clone(), with_apy("0")).await;
        let _ = app.sign_up("alice").await;
        app.fund(90_021, "alice", 100_000, "Savings").await;
        advance_to(&app, on("2027-03", 2, 1)).await;
        let alice = log_in(&app, "alice").await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM interest_accruals").await, 0);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM interest_payments").await, 0);
        assert!(interest_items(&app, &alice).await.is_empty());
        assert_eq!(expense_paid(&app).await, (0, 0));
        // The days passed all the same, at a rate of 0.
        let days = count(&app, "SELECT COUNT(*) FROM interest_days WHERE daily_rate = '0'").await;
        assert_eq!(days, 17 + 28 + 1, "January 15th to March 1st");
        let summary = app.call(Method::GET, "/api/v1/me/interest", Some(&alice), None).await;
        assert_eq!(summary.body["apy"], "0.00");

        // Restarted at 4.00 %: only days from now on accrue.
        app.stop().await;
        let app = instance(&db, base.clone(), with_apy("4.00")).await;
        advance_to(&app, on("2027-03", 4, 1)).await;
        let alice = log_in(&app, "alice").await;
        let first = CalendarMonth::parse("2027-03").unwrap().first_day();
        let sql = format!(
            "SELECT COUNT(*) FROM interest_accruals WHERE day >= {} AND day <= {}",
            first + 1,
            first + 2
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM interest_accruals").await, 2);
        assert_eq!(count(&app, &sql).await, 2, "March 2nd and 3rd");
        assert_eq!(
            app.call(Method::GET, "/api/v1/me/interest", Some(&alice), None).await.body["apy"],
            "4.00"
        );

        // Down for ten days, then back at 0 %: the days it was down still earn the 4.00 % the
        // server had then; from the restart on, nothing.
        app.stop().await;
        base.advance_seconds(10 * 24 * 3_600);
        let app = instance(&db, base, with_apy("0")).await;
        interest::tick(&app.state).await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM interest_accruals").await, 2 + 10, "March 4th to 13th");
        let at_zero =
            format!("SELECT COUNT(*) FROM interest_days WHERE daily_rate = '0' AND day > {}", first + 1);
        assert_eq!(count(&app, &at_zero).await, 0);
        advance_to(&app, on("2027-03", 17, 1)).await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM interest_accruals").await, 12, "nothing at 0 %");
        assert_eq!(count(&app, &at_zero).await, 3, "March 14th (the restart) to 16th, at 0");
        assert_audit_clean(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_missed_while_down_accrue_at_start_and_runs_twice_or_on_two_instances_post_once() {
    for db in TestDb::every_backend().await {
        let base = Arc::new(ManualClock::new(Timestamp::from_nanos(START)));
        let app = instance(&db, base.clone(), with_apy("3.65")).await;
        app.sign_up("alice").await;
        app.fund(90_031, "alice", 100_000, "Savings").await;
        // The job runs once (today is its first day), then the server is down for 50 days: the
        // time passes without any job running.
        interest::tick(&app.state).await;
        assert_eq!(count(&app, "SELECT COUNT(*) FROM interest_days").await, 0);
        app.stop().await;
        base.advance_seconds(50 * 24 * 3_600);

        // Two instances start on the database at once, and each runs the job twice.
        let one = instance(&db, base.clone(), with_apy("3.65")).await;
        let two = instance(&db, base.clone(), with_apy("3.65")).await;
        tokio::join!(interest::tick(&one.state), interest::tick(&two.state), interest::tick(&one.state));
        interest::tick(&two.state).await;
        let alice = log_in(&one, "alice").await;
        // January 15th to March 5th (today is March 6th): 50 days accrued, January and February paid.
        assert_eq!(count(&one, "SELECT COUNT(*) FROM interest_days").await, 50);
        assert_eq!(count(&one, "SELECT COUNT(*) FROM interest_accruals").await, 50);
        let rate = rate_by_bisection("3.65");
        let january = day_of(100_000, rate) * Decimal::from(17);
        let jan_paid = i64::try_from(january.trunc().mantissa()).unwrap();
        let february = day_of(100_000, rate) * Decimal::from(28) + (january - january.trunc());
        let feb_paid = i64::try_from(february.trunc().mantissa()).unwrap();
        // January was paid only at the restart, so February accrued on 1,000.00 (a month that
        // ended while no server ran is paid when one starts).
        let feb = CalendarMonth::parse("2027-02").unwrap();
        let on_thousand = format!(
            "SELECT COUNT(*) FROM interest_accruals WHERE balance = 100000 AND day >= {} AND day <= {}",
            feb.first_day(),
            feb.last_day()
        );
        assert_eq!(count(&one, &on_thousand).await, 28);
        let items = interest_items(&one, &alice).await;
        let amounts: Vec<_> = items.iter().map(|item| item["amount"].as_str().unwrap().to_string()).collect();
        assert_eq!(amounts, [cents(feb_paid), cents(jan_paid)]);
        // Paid late, on March 6th, each still says its month.
        assert_eq!((&items[0]["note"], &items[1]["note"]), (&json!("2027-02"), &json!("2027-01")));
        assert_eq!(expense_paid(&one).await, ((jan_paid + feb_paid).cast_unsigned(), 0));

        // Even with its month's mark lost (a crash between the ledger and the mark), a run asks
        // the ledger for the same transfers again, and nothing moves twice.
        sqlx_execute(&one, "DELETE FROM interest_months").await;
        interest::tick(&one.state).await;
        let restarted = instance(&db, base.clone(), with_apy("3.65")).await;
        interest::tick(&restarted.state).await;
        assert_eq!(interest_items(&restarted, &alice).await.len(), 2);
        assert_eq!(expense_paid(&restarted).await, ((jan_paid + feb_paid).cast_unsigned(), 0));
        assert_eq!(count(&restarted, "SELECT COUNT(*) FROM interest_payments").await, 2);
        assert_eq!(count(&restarted, "SELECT COUNT(*) FROM interest_months").await, 2);
        assert_eq!(available(&restarted, &alice).await, cents(100_000 + jan_paid + feb_paid));
        assert_audit_clean(&restarted).await;
        for app in [one, two, restarted] {
            app.stop().await;
        }
    }
}

async fn sqlx_execute(app: &TestApp, sql: &str) {
    app.state.db.execute(&purse_server::store::Statement::new(sql, vec![])).await.unwrap();
}
