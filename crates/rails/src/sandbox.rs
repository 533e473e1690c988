//! The sandbox rails, Purse's embedded default: a card network and a bank that behave like the
//! real ones, with API.md's test cards and bank numbers, kept in their own `sandbox_*` tables.
//!
//! The card network's endpoint, `POST /sandbox/card-network/tokens` (served by the server's
//! HTTP layer, which rate-limits it and calls [`SandboxCards::tokenize`]), is the PCI boundary
//! (as Stripe Elements is): the card form posts the number there, never to the wallet API. The
//! number is checked (Luhn, brand, expiry, CVC) and dropped here: what is kept is the brand,
//! the last four digits, the expiry and the behaviour the test card stands for. The body is
//! read by hand so that no refusal can echo what was sent.
//!
//! The sandbox's tables are created by the server's migrations (`1006_funding.sql`, where they
//! have always been; moving them would change the checksums of databases already migrated).
//!
//! Test cards: `4000000000000002` is declined, `4000000000009995` declines for insufficient
//! funds (both `card_declined`), any other valid number is approved. A card past its expiry
//! is refused (`card_expired`). Bank: an account number ending in `0002` has its payouts
//! returned when they settle; the rest settle.

use purse_api::funding::{CardBrand, card_brand, card_digits, card_unexpired, is_valid_card_number, last4};
use purse_api::{CardToken, ErrorCode};
use rand_core::{OsRng, RngCore};
use serde_json::Value;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use crate::{BankOnFile, BankRail, CardOnFile, CardOutcome, CardRail, PayoutStatus, RailError, RailResult};

/// The sandbox routing number of API.md.
pub const SANDBOX_ROUTING: &str = "110000000";

/// Where the sandbox keeps its tables: the server's database (either backend).
#[derive(Clone, Debug)]
pub enum SandboxDb {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool `$db` holds.
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            SandboxDb::Sqlite($pool) => $body,
            SandboxDb::Postgres($pool) => $body,
        }
    };
}

/// A new opaque id: `prefix_` and 22 characters of base32 (112 random bits).
fn new_public_id(prefix: &str) -> String {
    let mut bytes = [0u8; 14];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{}", data_encoding::BASE32_DNSSEC.encode(&bytes))
}

/// Why the card network refused a card: the code, a sentence that never repeats the number,
/// and the field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardRefusal {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl CardRefusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> CardRefusal {
        CardRefusal { code, message: message.into(), field: None }
    }

    fn invalid(message: impl Into<String>) -> CardRefusal {
        CardRefusal::new(ErrorCode::InvalidRequest, message)
    }

    fn with_field(mut self, field: impl Into<String>) -> CardRefusal {
        self.field = Some(field.into());
        self
    }
}

/// What tokenizing a card gave when it gave no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenizeError {
    /// The card was refused (a bad number, expiry or CVC).
    Refused(CardRefusal),
    /// The network could not keep the token.
    Rail(RailError),
}

/// What the network keeps of a card: never the number or the CVC.
#[derive(Debug, PartialEq, Eq)]
struct Checked {
    brand: CardBrand,
    last4: String,
    exp_month: u32,
    exp_year: u32,
    behaviour: &'static str,
}

/// Checks a card body: fields, number (Luhn and brand), month, year, CVC, then expiry.
fn read_card(body: &Value, now: i64) -> Result<Checked, CardRefusal> {
    let Some(fields) = body.as_object() else {
        return Err(CardRefusal::invalid("Send the card as a JSON object."));
    };
    if let Some(unknown) =
        fields.keys().find(|k| !matches!(k.as_str(), "number" | "exp_month" | "exp_year" | "cvc"))
    {
        return Err(CardRefusal::invalid("The body has a field the card network does not take.")
            .with_field(unknown.clone()));
    }
    let bad_number = || {
        CardRefusal::new(ErrorCode::InvalidCardNumber, "That card number is not valid.").with_field("number")
    };
    let digits = fields.get("number").and_then(Value::as_str).and_then(card_digits).ok_or_else(bad_number)?;
    if !is_valid_card_number(&digits) {
        return Err(bad_number());
    }
    let brand = card_brand(&digits).ok_or_else(bad_number)?;
    let exp_month = number_field(fields.get("exp_month"))
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| CardRefusal::invalid("The expiry month is 1 to 12.").with_field("exp_month"))?;
    let exp_year = number_field(fields.get("exp_year"))
        .map(|y| if y < 100 { y + 2000 } else { y })
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| CardRefusal::invalid("The expiry year is like 2030.").with_field("exp_year"))?;
    let cvc_ok = fields
        .get("cvc")
        .and_then(Value::as_str)
        .is_some_and(|cvc| cvc.len() == brand.cvc_digits() && cvc.bytes().all(|b| b.is_ascii_digit()));
    if !cvc_ok {
        return Err(CardRefusal::invalid(format!(
            "The security code is the {} digits on the card.",
            brand.cvc_digits()
        ))
        .with_field("cvc"));
    }
    let (now_month, now_year) = month_and_year(now);
    if !card_unexpired(exp_month, exp_year, now_month, now_year) {
        return Err(
            CardRefusal::new(ErrorCode::CardExpired, "This card has expired.").with_field("exp_month")
        );
    }
    let behaviour = match digits.as_str() {
        "4000000000000002" => "decline",
        "4000000000009995" => "insufficient_funds",
        _ => "approve",
    };
    Ok(Checked { brand, last4: last4(&digits), exp_month, exp_year, behaviour })
}

/// A whole number sent as a JSON number or as digits.
fn number_field(value: Option<&Value>) -> Option<u32> {
    match value? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) if !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

/// The UTC month (1–12) and year of `now` (ns).
pub fn month_and_year(now: i64) -> (u32, u32) {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    (u32::from(u8::from(at.month())), u32::try_from(at.year()).unwrap_or(0))
}

pub fn brand_name(brand: CardBrand) -> &'static str {
    match brand {
        CardBrand::Visa => "visa",
        CardBrand::Mastercard => "mastercard",
        CardBrand::Amex => "amex",
        CardBrand::Discover => "discover",
    }
}

pub fn parse_brand(name: &str) -> Option<CardBrand> {
    serde_json::from_value(Value::String(name.to_string())).ok()
}

/// The sandbox card network, wallet side.
#[derive(Clone, Debug)]
pub struct SandboxCards {
    db: SandboxDb,
}

impl SandboxCards {
    pub fn new(db: impl Into<SandboxDb>) -> SandboxCards {
        SandboxCards { db: db.into() }
    }

    /// `POST /sandbox/card-network/tokens`' work: checks the card body (`{number, exp_month,
    /// exp_year, cvc}`) as of `now` (ns), keeps what may be kept, and answers a token. The
    /// body is dropped here, with the number in it.
    pub async fn tokenize(&self, body: Value, now: i64) -> Result<CardToken, TokenizeError> {
        let card = read_card(&body, now).map_err(TokenizeError::Refused)?;
        drop(body);
        let token = new_public_id("tok");
        let stored: Result<u64, sqlx::Error> = with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO sandbox_card_tokens (token, brand, last4, exp_month, exp_year, behaviour, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&token)
            .bind(brand_name(card.brand))
            .bind(&card.last4)
            .bind(i64::from(card.exp_month))
            .bind(i64::from(card.exp_year))
            .bind(card.behaviour)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        stored.map_err(|error| TokenizeError::Rail(error.into()))?;
        Ok(CardToken {
            token,
            brand: card.brand,
            last4: card.last4,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
        })
    }

    /// A charge or push: answered once per reference, from the card's behaviour and expiry.
    async fn move_money(
        &self,
        kind: &'static str,
        token: &str,
        amount: i64,
        reference: &str,
        now: i64,
    ) -> Result<CardOutcome, RailError> {
        if let Some(outcome) = self.outcome(reference).await? {
            return Ok(outcome);
        }
        let card: Option<(String, i64, i64)> = with_pool!(&self.db, |pool| {
            sqlx::query_as("SELECT behaviour, exp_month, exp_year FROM sandbox_card_tokens WHERE token = $1")
                .bind(token)
                .fetch_optional(pool)
                .await?
        });
        let Some((behaviour, exp_month, exp_year)) = card else {
            return Err(RailError(format!("the card network does not know the card of {reference}")));
        };
        let (now_month, now_year) = month_and_year(now);
        let month = u32::try_from(exp_month).unwrap_or(0);
        let year = u32::try_from(exp_year).unwrap_or(0);
        let outcome = if !card_unexpired(month, year, now_month, now_year) {
            "card_expired"
        } else if behaviour == "approve" {
            "approved"
        } else {
            "card_declined"
        };
        with_pool!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO sandbox_card_movements (reference, token, kind, amount, outcome, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reference) DO NOTHING",
            )
            .bind(reference)
            .bind(token)
            .bind(kind)
            .bind(amount)
            .bind(outcome)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        // A concurrent twin may have answered first: its answer stands.
        self.outcome(reference).await?.ok_or_else(|| RailError(format!("the charge {reference} vanished")))
    }

    async fn outcome(&self, reference: &str) -> Result<Option<CardOutcome>, RailError> {
        let outcome: Option<String> = with_pool!(&self.db, |pool| {
            sqlx::query_scalar("SELECT outcome FROM sandbox_card_movements WHERE reference = $1")
                .bind(reference)
                .fetch_optional(pool)
                .await?
        });
        Ok(outcome.map(|outcome| match outcome.as_str() {
            "approved" => CardOutcome::Approved,
            refused => CardOutcome::Declined(ErrorCode::parse(refused).unwrap_or(ErrorCode::CardDeclined)),
        }))
    }
}

impl CardRail for SandboxCards {
    fn redeem(&self, token: &str) -> RailResult<'_, Option<CardOnFile>> {
        let token = token.to_string();
        Box::pin(async move {
            let row: Option<(String, String, i64, i64)> = with_pool!(&self.db, |pool| {
                sqlx::query_as(
                    "UPDATE sandbox_card_tokens SET linked = 1 WHERE token = $1 AND linked = 0 \
                     RETURNING brand, last4, exp_month, exp_year",
                )
                .bind(&token)
                .fetch_optional(pool)
                .await?
            });
            Ok(row.and_then(|(brand, last4, exp_month, exp_year)| {
                Some(CardOnFile {
                    token: token.clone(),
                    brand: parse_brand(&brand)?,
                    last4,
                    exp_month: u32::try_from(exp_month).ok()?,
                    exp_year: u32::try_from(exp_year).ok()?,
                })
            }))
        })
    }

    fn charge(
        &self,
        card_token: &str,
        amount: i64,
        reference: &str,
        now: i64,
    ) -> RailResult<'_, CardOutcome> {
        let (token, reference) = (card_token.to_string(), reference.to_string());
        Box::pin(async move { self.move_money("charge", &token, amount, &reference, now).await })
    }

    fn push(&self, card_token: &str, amount: i64, reference: &str, now: i64) -> RailResult<'_, CardOutcome> {
        let (token, reference) = (card_token.to_string(), reference.to_string());
        Box::pin(async move { self.move_money("push", &token, amount, &reference, now).await })
    }
}

/// The sandbox bank.
#[derive(Clone, Debug)]
pub struct SandboxBank {
    db: SandboxDb,
}

impl SandboxBank {
    pub fn new(db: impl Into<SandboxDb>) -> SandboxBank {
        SandboxBank { db: db.into() }
    }
}

/// A bank's name from its routing number, for the few the sandbox knows.
pub fn bank_name(routing_number: &str) -> String {
    match routing_number {
        SANDBOX_ROUTING => "Sandbox Bank".to_string(),
        "021000021" => "JPMorgan Chase".to_string(),
        "026009593" => "Bank of America".to_string(),
        "121000248" => "Wells Fargo".to_string(),
        other => format!("Bank {other}"),
    }
}

impl BankRail for SandboxBank {
    fn link(
        &self,
        routing_number: &str,
        account_number: &str,
        _holder_name: &str,
    ) -> RailResult<'_, BankOnFile> {
        let routing = routing_number.to_string();
        let last4 = last4(account_number);
        // All the sandbox keeps of the number: whether its payouts come back.
        let returns = account_number.ends_with("0002");
        Box::pin(async move {
            let token = new_public_id("btok");
            with_pool!(&self.db, |pool| {
                sqlx::query(
                    "INSERT INTO sandbox_bank_accounts (token, routing_number, last4, returns, created_at) \
                     VALUES ($1, $2, $3, $4, 0)",
                )
                .bind(&token)
                .bind(&routing)
                .bind(&last4)
                .bind(i64::from(returns))
                .execute(pool)
                .await?
                .rows_affected()
            });
            Ok(BankOnFile { token, bank_name: bank_name(&routing), last4 })
        })
    }

    fn pay_out(
        &self,
        account_token: &str,
        amount: i64,
        reference: &str,
        settle_at: i64,
        now: i64,
    ) -> RailResult<'_, ()> {
        let (token, reference) = (account_token.to_string(), reference.to_string());
        Box::pin(async move {
            with_pool!(&self.db, |pool| {
                sqlx::query(
                    "INSERT INTO sandbox_bank_payouts (reference, token, amount, settle_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (reference) DO NOTHING",
                )
                .bind(&reference)
                .bind(&token)
                .bind(amount)
                .bind(settle_at)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
            });
            Ok(())
        })
    }

    fn payout_status(&self, reference: &str, now: i64) -> RailResult<'_, PayoutStatus> {
        let reference = reference.to_string();
        Box::pin(async move {
            let row: Option<(i64, i64)> = with_pool!(&self.db, |pool| {
                sqlx::query_as(
                    "SELECT p.settle_at, a.returns FROM sandbox_bank_payouts p \
                     JOIN sandbox_bank_accounts a ON a.token = p.token WHERE p.reference = $1",
                )
                .bind(&reference)
                .fetch_optional(pool)
                .await?
            });
            match row {
                None => Err(RailError(format!("the bank knows no payout {reference}"))),
                Some((settle_at, _)) if settle_at > now => Ok(PayoutStatus::InFlight),
                Some((_, returns)) if returns != 0 => Ok(PayoutStatus::Returned),
                Some(_) => Ok(PayoutStatus::Settled),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2027-01-15.
    const NOW: i64 = 1_799_971_200 * 1_000_000_000;

    fn card(number: &str, month: u32, year: u32, cvc: &str) -> Result<Checked, CardRefusal> {
        read_card(
            &serde_json::json!({"number": number, "exp_month": month, "exp_year": year, "cvc": cvc}),
            NOW,
        )
    }

    fn code(result: Result<Checked, CardRefusal>) -> (ErrorCode, Option<String>) {
        match result {
            Ok(_) => (ErrorCode::InternalError, None),
            Err(error) => (error.code, error.field),
        }
    }

    #[test]
    fn test_cards_keep_only_brand_last4_expiry_and_behaviour() {
        let ok = card("4242 4242 4242 4242", 12, 2030, "123");
        assert_eq!(
            ok.ok(),
            Some(Checked {
                brand: CardBrand::Visa,
                last4: "4242".into(),
                exp_month: 12,
                exp_year: 2030,
                behaviour: "approve"
            })
        );
        assert_eq!(card("4000000000000002", 1, 27, "123").map(|c| c.behaviour).ok(), Some("decline"));
        assert_eq!(
            card("4000000000009995", 1, 2027, "123").map(|c| c.behaviour).ok(),
            Some("insufficient_funds")
        );
        assert_eq!(
            card("5555555555554444", 1, 2027, "999").map(|c| c.brand).ok(),
            Some(CardBrand::Mastercard)
        );
        assert_eq!(card("378282246310005", 1, 2027, "1234").map(|c| c.brand).ok(), Some(CardBrand::Amex));
    }

    #[test]
    fn bad_cards_are_refused_with_their_codes() {
        let number = Some("number".to_string());
        assert_eq!(
            code(card("4242424242424241", 12, 2030, "123")),
            (ErrorCode::InvalidCardNumber, number.clone())
        );
        assert_eq!(code(card("4242", 12, 2030, "123")), (ErrorCode::InvalidCardNumber, number.clone()));
        assert_eq!(
            code(card("4242x4242x4242x4242", 12, 2030, "123")),
            (ErrorCode::InvalidCardNumber, number.clone())
        );
        assert_eq!(code(card("", 12, 2030, "123")), (ErrorCode::InvalidCardNumber, number));
        assert_eq!(
            code(card("4242424242424242", 13, 2030, "123")),
            (ErrorCode::InvalidRequest, Some("exp_month".into()))
        );
        assert_eq!(
            code(card("4242424242424242", 0, 2030, "123")),
            (ErrorCode::InvalidRequest, Some("exp_month".into()))
        );
        assert_eq!(
            code(card("4242424242424242", 1, 3000, "123")),
            (ErrorCode::InvalidRequest, Some("exp_year".into()))
        );
        assert_eq!(
            code(card("4242424242424242", 12, 2030, "12")),
            (ErrorCode::InvalidRequest, Some("cvc".into()))
        );
        assert_eq!(
            code(card("4242424242424242", 12, 2030, "1234")),
            (ErrorCode::InvalidRequest, Some("cvc".into()))
        );
        assert_eq!(
            code(card("378282246310005", 12, 2030, "123")),
            (ErrorCode::InvalidRequest, Some("cvc".into()))
        );
        assert_eq!(
            code(card("4242424242424242", 12, 2026, "123")),
            (ErrorCode::CardExpired, Some("exp_month".into()))
        );
        // The month the card expires in is still good.
        assert!(card("4242424242424242", 1, 2027, "123").is_ok());
        let number_as_json_number = serde_json::json!({"number": 4242424242424242u64, "exp_month": 1, "exp_year": 2030, "cvc": "123"});
        assert_eq!(code(read_card(&number_as_json_number, NOW)).0, ErrorCode::InvalidCardNumber);
        let extra = serde_json::json!({"number": "4242424242424242", "exp_month": 1, "exp_year": 2030, "cvc": "123", "pin": "1"});
        assert_eq!(code(read_card(&extra, NOW)), (ErrorCode::InvalidRequest, Some("pin".into())));
    }

    #[test]
    fn no_refusal_repeats_the_number() {
        for number in ["4242424242424241", "4242424242424242"] {
            for (month, year, cvc) in [(12, 2030, "1"), (12, 2020, "123"), (13, 2030, "123")] {
                let refusal =
                    card(number, month, year, cvc).err().map(|e| format!("{} {:?}", e.message, e.field));
                assert!(refusal.as_deref().is_some_and(|text| !text.contains("4242")), "{refusal:?}");
            }
        }
    }

    #[test]
    fn months_are_utc() {
        assert_eq!(month_and_year(NOW), (1, 2027));
        assert_eq!(month_and_year(0), (1, 1970));
        assert_eq!(bank_name(SANDBOX_ROUTING), "Sandbox Bank");
        assert_eq!(parse_brand(brand_name(CardBrand::Amex)), Some(CardBrand::Amex));
    }
}
