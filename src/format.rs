//! Amounts, times and linked payment methods as people read them. Pure functions, tested
//! natively.

use purse_api::{BankAccount, Card, Currency, Money};

use crate::text::{Limits, Month, Text, Weekday, t};

/// `1234.5` (at the currency's scale) as `$1,234.50`; `KD 1,234.500`, `¥1,235`.
pub fn money(amount: &str, currency: Currency) -> String {
    let Ok(value) = Money::parse_written(amount, currency) else { return format!("{amount} {currency}") };
    let negative = value.to_minor() < 0;
    let written = value.amount_string();
    let unsigned = written.trim_start_matches('-');
    let (whole, fraction) = unsigned.split_once('.').map_or((unsigned, None), |(w, f)| (w, Some(f)));
    let grouped = group_thousands(whole);
    let number = match fraction {
        Some(fraction) => format!("{grouped}.{fraction}"),
        None => grouped,
    };
    let symbol = currency.info().symbol;
    // A word-like symbol takes a space; a sign does not.
    let body = if symbol.chars().all(char::is_alphabetic) {
        format!("{symbol} {number}")
    } else {
        format!("{symbol}{number}")
    };
    if negative { format!("\u{2212}{body}") } else { body }
}

/// With a sign for direction: `+$25.00` in, `−$12.50` out.
pub fn signed_money(amount: &str, currency: Currency, incoming: bool) -> String {
    let plain = money(amount, currency);
    if incoming { format!("+{plain}") } else { format!("\u{2212}{plain}") }
}

/// Minor units of USD as people read them: `2035` → `$20.35`.
pub fn usd_minor(minor: i64) -> String {
    money(&Money::from_minor(minor, Currency::Usd).amount_string(), Currency::Usd)
}

/// A linked card as people recognise it: `Visa •• 4242`.
pub fn card_label(card: &Card) -> String {
    format!("{} •• {}", card.brand.label(), card.last4)
}

/// When a card expires: `12/30`.
pub fn card_expiry(card: &Card) -> String {
    format!("{:02}/{:02}", card.exp_month, card.exp_year % 100)
}

/// A linked bank account as people recognise it: `Sandbox Bank •• 6789`.
pub fn bank_label(account: &BankAccount) -> String {
    format!("{} •• {}", account.bank_name, account.last4)
}

/// How long to wait, as people say it: `30 seconds`, `1 minute`, `15 minutes`, `2 hours`
/// (rounded up: waiting a little longer works, a little shorter does not).
pub fn wait(seconds: u64) -> String {
    let (n, one, many) = if seconds < 60 {
        (seconds.max(1), Text::WaitOneSecond, Text::WaitSeconds)
    } else if seconds.div_ceil(60) < 60 {
        (seconds.div_ceil(60), Text::WaitOneMinute, Text::WaitMinutes)
    } else {
        (seconds.div_ceil(3600), Text::WaitOneHour, Text::WaitHours)
    };
    if n == 1 { t(one).to_string() } else { t(many).replace("{n}", &n.to_string()) }
}

fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// An RFC 3339 UTC time as `Nov 22, 14:05` (UTC; the browser shows local time where it can,
/// see [`when`]).
pub fn short_utc(rfc3339: &str) -> String {
    let date = rfc3339.get(0..10).unwrap_or("");
    let time = rfc3339.get(11..16).unwrap_or("");
    let month = date.get(5..7).and_then(|m| m.parse::<usize>().ok()).and_then(Month::numbered).map(t);
    let day = date.get(8..10).and_then(|d| d.parse::<u32>().ok());
    match (month, day) {
        (Some(month), Some(day)) => format!("{month} {day}, {time}"),
        _ => rfc3339.to_string(),
    }
}

/// An RFC 3339 UTC time's day as `Nov 22` (UTC: a statement's month is a UTC month).
pub fn day_utc(rfc3339: &str) -> String {
    let month = rfc3339.get(5..7).and_then(|m| m.parse::<usize>().ok()).and_then(Month::numbered).map(t);
    let day = rfc3339.get(8..10).and_then(|d| d.parse::<u32>().ok());
    match (month, day) {
        (Some(month), Some(day)) => format!("{month} {day}"),
        _ => rfc3339.to_string(),
    }
}

/// When something happened, in the reader's own time zone (in the browser).
pub fn when(rfc3339: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(rfc3339));
        if !date.get_time().is_nan() {
            let options = js_sys::Object::new();
            for (key, value) in
                [("month", "short"), ("day", "numeric"), ("hour", "2-digit"), ("minute", "2-digit")]
            {
                let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
            }
            return String::from(date.to_locale_string("en", &options));
        }
    }
    short_utc(rfc3339)
}

const DAY_MS: i64 = 86_400_000;

/// How many minutes the reader's clock is ahead of UTC at `ms` (in the browser, its time zone;
/// natively, UTC).
fn zone_minutes(ms: i64) -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        -(date.get_timezone_offset() as i64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ms;
        0
    }
}

/// The moment a limit gives room back, as people say it from now (`now_ms`), in the reader's
/// own time zone: a time later today (`18:30`), `tomorrow`, a day of the coming week
/// (`Thursday`), or further off a date (`Dec 12`). What the server wrote, shortened, if it is
/// not a time.
pub fn until(rfc3339: &str, now_ms: i64) -> String {
    let Some(at_ms) = crate::flows::checkout_flow::rfc3339_ms(rfc3339) else { return short_utc(rfc3339) };
    let local = |ms: i64| ms + zone_minutes(ms) * 60_000;
    day_phrase(local(at_ms), local(now_ms))
}

/// [`until`] on the reader's clock: both instants already moved into their time zone.
fn day_phrase(at_ms: i64, now_ms: i64) -> String {
    let (day, today) = (at_ms.div_euclid(DAY_MS), now_ms.div_euclid(DAY_MS));
    match day - today {
        ..=0 => {
            let minutes = at_ms.rem_euclid(DAY_MS) / 60_000;
            format!("{:02}:{:02}", minutes / 60, minutes % 60)
        }
        1 => t(Limits::Tomorrow).to_string(),
        // 1970-01-01 was a Thursday (day 4 counting from Sunday).
        2..=6 => t(Weekday::numbered(day + 4)).to_string(),
        _ => {
            let date = purse_api::compliance::Date::of_unix_ns(at_ms * 1_000_000);
            let month = Month::numbered(date.month as usize).map(t).unwrap_or_default();
            format!("{month} {}", date.day)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::test_card;

    #[test]
    fn amounts_read_like_money() {
        let cases = [
            ("0.00", Currency::Usd, "$0.00"),
            ("5.00", Currency::Usd, "$5.00"),
            ("1234.50", Currency::Usd, "$1,234.50"),
            ("1234567.89", Currency::Usd, "$1,234,567.89"),
            ("999.99", Currency::Usd, "$999.99"),
            ("-12.50", Currency::Usd, "\u{2212}$12.50"),
            ("1235", Currency::Jpy, "¥1,235"),
            ("1234.500", Currency::Kwd, "KD 1,234.500"),
            ("10.00", Currency::Eur, "€10.00"),
        ];
        for (amount, currency, expected) in cases {
            assert_eq!(money(amount, currency), expected, "{amount} {currency}");
        }
        assert_eq!(money("oops", Currency::Usd), "oops USD", "never hides what the server said");
    }

    #[test]
    fn direction_is_a_sign_not_only_a_colour() {
        assert_eq!(signed_money("25.00", Currency::Usd, true), "+$25.00");
        assert_eq!(signed_money("12.50", Currency::Usd, false), "\u{2212}$12.50");
    }

    #[test]
    fn methods_read_as_people_know_them() {
        let card = Card { exp_month: 3, ..test_card::visa() };
        assert_eq!(card_label(&card), "Visa •• 4242");
        assert_eq!(card_expiry(&card), "03/30");
        let bank = BankAccount { id: "ba_1".into(), bank_name: "Sandbox Bank".into(), last4: "6789".into() };
        assert_eq!(bank_label(&bank), "Sandbox Bank •• 6789");
        assert_eq!(usd_minor(2_035), "$20.35");
        assert_eq!(usd_minor(123_456), "$1,234.56");
    }

    #[test]
    fn waits_read_as_people_say_them_rounded_up() {
        let cases = [
            (0, "1 second"),
            (1, "1 second"),
            (30, "30 seconds"),
            (59, "59 seconds"),
            (60, "1 minute"),
            (61, "2 minutes"),
            (900, "15 minutes"),
            (3540, "59 minutes"),
            (3599, "1 hour"),
            (3600, "1 hour"),
            (7200, "2 hours"),
            (7201, "3 hours"),
        ];
        for (seconds, said) in cases {
            assert_eq!(wait(seconds), said, "{seconds}");
        }
    }

    #[test]
    fn times_are_short() {
        assert_eq!(short_utc("2026-11-22T14:05:09.123Z"), "Nov 22, 14:05");
        assert_eq!(short_utc("2026-01-02T00:00:00Z"), "Jan 2, 00:00");
        assert_eq!(short_utc("garbage"), "garbage");
        assert_eq!(day_utc("2026-11-22T23:59:59Z"), "Nov 22");
        assert_eq!(day_utc("2027-01-01T00:00:00Z"), "Jan 1");
        assert_eq!(day_utc("later"), "later");
    }

    #[test]
    fn room_comes_back_today_tomorrow_on_a_weekday_or_on_a_date() {
        // Monday 2026-12-07, 14:00 UTC.
        let now = 1_796_652_000_000;
        let cases = [
            ("2026-12-07T18:30:00Z", "18:30"),
            ("2026-12-07T23:59:59.999Z", "23:59"),
            ("2026-12-08T00:00:00Z", "tomorrow"),
            ("2026-12-10T10:00:00.123456789Z", "Thursday"),
            ("2026-12-13T23:00:00Z", "Sunday"),
            ("2026-12-14T00:00:00Z", "Dec 14"),
            ("2027-01-06T09:00:00Z", "Jan 6"),
            ("2026-12-01T09:00:00Z", "09:00"),
            ("soon", "soon"),
        ];
        for (at, said) in cases {
            assert_eq!(until(at, now), said, "{at}");
        }
    }
}
