//! The send and request forms' decisions: the amount and the @handle as typed, checked by the
//! same rules the server applies (API.md), and what the send form's review says will happen.
//! The forms (`pages::send`, `pages::request`) draw them.

use purse_api::{Amount, Handle};

use crate::format;
use crate::text::{Text, t};

/// The amount as typed, by API.md's rule.
pub fn check_amount(text: &str) -> Result<Amount, &'static str> {
    Amount::parse(text.trim(), "USD").map_err(|_| t(Text::AmountFormat))
}

/// A handle as typed (a leading `@` is fine).
pub fn check_handle(text: &str) -> Result<Handle, &'static str> {
    Handle::parse(text.trim()).map_err(|_| t(Text::HandleFormat))
}

/// "10 minutes", "1 minute", "45 seconds".
pub fn window_words(seconds: u32) -> String {
    match seconds {
        s if s % 60 == 0 && s >= 120 => format!("{} {}", s / 60, t(Text::WindowMinutes)),
        60 => t(Text::WindowOneMinute).to_string(),
        s => format!("{s} {}", t(Text::WindowSeconds)),
    }
}

/// What the review step says will happen, naming the person by name and @handle (names are not
/// unique: the handle says who it really is).
pub fn review_sentence(name: &str, handle: &str, amount: &str, first_payment_window: Option<u32>) -> String {
    let money = format::money(amount, purse_api::Currency::Usd);
    match first_payment_window {
        Some(seconds) => format!(
            "{name} (@{handle}) {} {money}; {} {} {} @{handle}.",
            t(Text::Receives),
            t(Text::ReviewWithWindow),
            window_words(seconds),
            t(Text::ReviewBecause)
        ),
        None => format!("{name} (@{handle}) {} {money} {}", t(Text::Receives), t(Text::ReviewNow)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_says_what_will_happen() {
        assert_eq!(
            review_sentence("Bob", "bob", "20.00", Some(600)),
            "Bob (@bob) receives $20.00; you can cancel for 10 minutes because this is your first payment to @bob."
        );
        assert_eq!(
            review_sentence("Bob", "bob", "1234.50", None),
            "Bob (@bob) receives $1,234.50 right away."
        );
        assert_eq!(window_words(60), "1 minute");
        assert_eq!(window_words(45), "45 seconds");
    }

    #[test]
    fn the_form_refuses_what_the_api_would() {
        for bad in ["", "0", "-1", "1.001", "1e3", "+5", "5.", "10000.01", "abc"] {
            assert!(check_amount(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_amount(" 12.5 ").map(|a| a.to_minor()), Ok(1250));
        assert!(check_handle("@Bob").is_ok());
        assert!(check_handle("b!").is_err());
    }
}
