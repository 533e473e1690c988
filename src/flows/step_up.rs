//! When a payment to a person asks for the payment PIN, and why: the one decision the send
//! form (`pages::send`), the tip sheet (`tip_flow`) and paying a request
//! (`components::incoming_requests`) share.
//!
//! A payment above the step-up threshold always needs the PIN, and the form asks for it up
//! front. One at or under it needs the PIN too once the person's payments without it in the
//! last day would pass the threshold: only the server knows that, and it answers
//! `403 pin_required`. Then the form shows the PIN field it did not show, says why, and the
//! person sends again under the same idempotency key (nothing was stored for the refusal, so
//! that is a first arrival). From then on this form asks for the PIN for any amount: the day's
//! total only grows, and a PIN given with a small payment is checked and the payment is not
//! counted. While the PIN is locked (`403 pin_locked`) every payment is refused, whatever its
//! amount: the form says so, and that no money moved.

use purse_api::payments::needs_pin;
use purse_api::{Amount, ErrorCode};

use crate::api_client::ApiError;
use crate::text::{Text, t};

/// Whether the server asked this form for the PIN below the threshold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepUp {
    /// The server answered `pin_required` for an amount the threshold alone would let through.
    asked_below_threshold: bool,
}

/// What a refusal means for the PIN field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinAnswer {
    /// The server wants the PIN the form did not ask for: show the field, focus it, say why
    /// ([`StepUp::reason`]), and send again under the same key.
    Reveal,
    /// The PIN is locked: payments of any amount are refused for now. The sentence to show
    /// (not on the PIN field: no PIN helps now).
    Locked(String),
    /// Anything else: the form handles it as before.
    Other,
}

impl StepUp {
    /// Whether a payment of `amount` is sent with the PIN.
    pub fn needs_pin(self, amount: Amount) -> bool {
        needs_pin(amount) || self.asked_below_threshold
    }

    /// Why the PIN is asked for `amount`: the threshold, or the day's payments without it.
    pub fn reason(self, amount: Amount) -> &'static str {
        if needs_pin(amount) { t(Text::PinNeeded) } else { t(Text::PinNeededToday) }
    }

    /// Reads the refusal of a payment of `amount` (sent with the PIN when
    /// [`StepUp::needs_pin`] said so).
    pub fn hear(&mut self, amount: Amount, error: &ApiError) -> PinAnswer {
        match error.code {
            Some(ErrorCode::PinRequired) if !self.needs_pin(amount) => {
                self.asked_below_threshold = true;
                PinAnswer::Reveal
            }
            Some(ErrorCode::PinLocked) => {
                PinAnswer::Locked(format!("{} {}", error.message, t(Text::NoMoneyMoved)))
            }
            _ => PinAnswer::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Amount {
        Amount::parse(text, "USD").unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(code: ErrorCode, field: Option<&str>) -> ApiError {
        ApiError {
            status: Some(403),
            code: Some(code),
            message: "no.".into(),
            field: field.map(Into::into),
            details: None,
        }
    }

    #[test]
    fn a_small_payment_asked_for_the_pin_shows_the_field_and_says_why() {
        let mut step_up = StepUp::default();
        assert!(!step_up.needs_pin(usd("20.00")) && step_up.needs_pin(usd("50.01")));
        assert_eq!(step_up.reason(usd("50.01")), t(Text::PinNeeded));
        assert_eq!(
            step_up.hear(usd("20.00"), &refused(ErrorCode::PinRequired, Some("pin"))),
            PinAnswer::Reveal
        );
        assert!(step_up.needs_pin(usd("20.00")), "sent again with the PIN");
        assert!(step_up.needs_pin(usd("0.01")), "and the form keeps asking: the day's total only grows");
        assert_eq!(
            step_up.reason(usd("20.00")),
            "For your security, enter your PIN: you've sent more than $50.00 without it today."
        );
        assert_eq!(
            step_up.reason(usd("60.00")),
            t(Text::PinNeeded),
            "above the threshold, the threshold says why"
        );
    }

    #[test]
    fn pin_required_with_the_field_shown_is_an_ordinary_pin_problem() {
        let mut step_up = StepUp::default();
        let required = refused(ErrorCode::PinRequired, Some("pin"));
        assert_eq!(step_up.hear(usd("60.00"), &required), PinAnswer::Other);
        assert_eq!(step_up, StepUp::default());
        step_up.hear(usd("5.00"), &required);
        assert_eq!(step_up.hear(usd("5.00"), &required), PinAnswer::Other, "revealed once");
        assert_eq!(
            step_up.hear(usd("5.00"), &refused(ErrorCode::PinIncorrect, Some("pin"))),
            PinAnswer::Other
        );
        assert_eq!(
            StepUp::default().hear(usd("5.00"), &refused(ErrorCode::InsufficientFunds, None)),
            PinAnswer::Other
        );
    }

    #[test]
    fn a_locked_pin_refuses_any_amount_and_says_no_money_moved() {
        for amount in ["0.01", "50.00", "50.01", "9000.00"] {
            let mut step_up = StepUp::default();
            assert_eq!(
                step_up.hear(usd(amount), &refused(ErrorCode::PinLocked, None)),
                PinAnswer::Locked(format!("no. {}", t(Text::NoMoneyMoved))),
                "{amount}"
            );
            assert_eq!(step_up, StepUp::default(), "{amount}: a lock asks for no PIN field");
        }
    }
}
