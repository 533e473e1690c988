//! The tip sheet's decisions, as plain state tested natively: which amount is chosen (a preset
//! or one typed; presets above what the wallet can spend are off, and say why), whether it can
//! be sent as it is (an amount the wallet cannot cover is refused before the review, with the
//! way to add the difference), what the review says ([`crate::flows::review::Review::tip`]), and what an
//! answer from `POST /tips` turns the sheet into. An amount over what is left of the sending
//! limit is refused before the review too ([`crate::flows::limit_guard`]), and the server's limit
//! and status refusals read the same way. The view (`components::tip_sheet`) only
//! draws a [`TipFlow`] and feeds it what the person does.

use purse_api::compliance::LimitKind;
use purse_api::payments::clean_note;
use purse_api::{Amount, AmountText, Creator, Currency, ErrorCode, Money, NewTip, Tip};

use crate::api_client::ApiError;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{Headroom, LimitRefusal, is_recipient_unavailable, recipient_unavailable};
use crate::flows::review::{Party, Review, Shortfall, shortfall};
use crate::flows::step_up::{PinAnswer, StepUp};
use crate::format;
use crate::text::{ReviewText, Text, t};

/// Which amount the person picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// One of the creator's presets, by position.
    Preset(usize),
    /// The amount typed in [`TipFlow::custom`].
    Custom,
}

/// Where the sheet is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Choosing the amount, the message and whether to be anonymous.
    Choose,
    /// The confirmation: what will happen, and the PIN when the amount needs it.
    Review,
    /// `POST /tips` is on its way.
    Sending,
    /// Done: the server's tip.
    Sent(Box<Tip>),
}

/// Problems with what was typed, on the field they belong to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    pub amount: Option<String>,
    pub message: Option<String>,
    pub pin: Option<String>,
    /// Not about one field: shown above the buttons.
    pub form: Option<String>,
}

/// Everything the tip sheet shows, for one creator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipFlow {
    pub creator: Creator,
    pub post_id: Option<String>,
    pub choice: Option<Choice>,
    pub custom: String,
    pub message: String,
    pub anonymous: bool,
    pub pin: String,
    pub step: Step,
    pub problems: Problems,
    /// What the wallet could spend when a tip was refused for lack of money: amounts above it
    /// are offered no more, and the sheet says how much there is.
    pub short_of_funds: Option<String>,
    /// What the wallet can spend, as read when the sheet opened (`None` until read): presets
    /// above it are off, and a typed amount above it is refused before the review.
    pub available: Option<String>,
    /// The amount chosen was more than the wallet has: what it has, and what to add.
    pub short: Option<Shortfall>,
    /// The attempts at `POST /tips`: one begins at "Continue", under a fresh key, unless the last
    /// one's fate is unknown (no answer, a server failure, or still processing); then it is that
    /// one's retry, under its key, so a retry after a lost answer cannot tip twice, and until a
    /// retry settles it the tip cannot be edited.
    pub attempt: Attempt,
    /// Whether the server asked for the PIN below the threshold (the day's tips and payments
    /// without it passed it): from then on every tip from this sheet carries the PIN.
    pub step_up: StepUp,
    /// The sending limit and the person's status, once read (`None`: the server decides).
    pub headroom: Option<Headroom>,
    /// Why the chosen amount cannot go: over the limit, or the account's status (before the
    /// review, or as the server answered).
    pub over_limit: Option<LimitRefusal>,
}

impl TipFlow {
    pub fn new(creator: Creator, post_id: Option<String>) -> TipFlow {
        TipFlow {
            creator,
            post_id,
            choice: None,
            custom: String::new(),
            message: String::new(),
            anonymous: false,
            pin: String::new(),
            step: Step::Choose,
            problems: Problems::default(),
            short_of_funds: None,
            available: None,
            short: None,
            attempt: Attempt::default(),
            step_up: StepUp::default(),
            headroom: None,
            over_limit: None,
        }
    }

    /// Why nothing can be tipped from this account, whatever the amount (restricted, frozen).
    pub fn blocked(&self) -> Option<LimitRefusal> {
        self.headroom.as_ref().and_then(Headroom::blocked)
    }

    /// The creator's presets, as amounts (any the server wrote badly are left out).
    pub fn presets(&self) -> Vec<Amount> {
        self.creator.tip_presets.iter().filter_map(|p| Amount::parse(p, "USD").ok()).collect()
    }

    /// What the wallet can spend, in cents, as last known: the balance read when the sheet
    /// opened, or what a refusal for lack of money said since (the later one counts).
    fn spendable_minor(&self) -> Option<i64> {
        let read = |a: &Option<String>| {
            a.as_deref().and_then(|a| Money::parse_written(a, Currency::Usd).ok()).map(|m| m.to_minor())
        };
        read(&self.short_of_funds).or_else(|| read(&self.available))
    }

    /// Whether a preset may be offered: not above what the wallet can spend (when known).
    pub fn affordable(&self, amount: Amount) -> bool {
        self.spendable_minor().is_none_or(|available| amount.to_minor() <= available)
    }

    /// Why some presets are off (shown once, and tied to each one that is): `None` when all are
    /// on.
    pub fn presets_off_reason(&self) -> Option<String> {
        let available = self.spendable_minor()?;
        self.presets()
            .into_iter()
            .any(|p| !self.affordable(p))
            .then(|| format!("{} {}.", t(ReviewText::AbovePresetBalance), format::usd_minor(available)))
    }

    /// The review of the chosen tip, once it holds.
    pub fn summary(&self) -> Option<Review> {
        let amount = self.amount().ok()?;
        let creator = Party::person(self.creator.display_name.clone(), self.creator.handle.to_string());
        let available = self.spendable_minor().map(|m| Money::from_minor(m, Currency::Usd).amount_string());
        Some(Review::tip(creator, amount, available.as_deref(), self.anonymous))
    }

    /// The chosen amount, by API.md's rule.
    pub fn amount(&self) -> Result<Amount, String> {
        match self.choice {
            None => Err(t(Text::TipChooseAmount).to_string()),
            Some(Choice::Preset(index)) => {
                self.presets().get(index).copied().ok_or_else(|| t(Text::TipChooseAmount).to_string())
            }
            Some(Choice::Custom) => {
                Amount::parse(self.custom.trim(), "USD").map_err(|_| t(Text::AmountFormat).to_string())
            }
        }
    }

    /// The message as it will be sent: cleaned as notes are, `None` when empty.
    pub fn cleaned_message(&self) -> Result<Option<String>, String> {
        clean_note(Some(&self.message)).map_err(|_| t(Text::TipMessageTooLong).to_string())
    }

    /// Whether the chosen amount needs the payment PIN: above the threshold, or since the
    /// server asked for it.
    pub fn needs_pin(&self) -> bool {
        self.amount().is_ok_and(|amount| self.step_up.needs_pin(amount))
    }

    /// Why the confirmation asks for the PIN (shown only when [`TipFlow::needs_pin`]).
    pub fn pin_reason(&self) -> &'static str {
        self.amount().map_or(t(Text::PinNeeded), |amount| self.step_up.reason(amount))
    }

    /// "Continue": to the confirmation when the form holds, with a fresh key for this attempt;
    /// otherwise the problems, on their fields.
    pub fn review(&mut self, new_key: impl FnOnce() -> String) {
        self.problems = Problems::default();
        self.short = None;
        self.over_limit = None;
        let amount = self.amount();
        let message = self.cleaned_message();
        if let Err(problem) = &amount {
            self.problems.amount = Some(problem.clone());
        } else if let Ok(amount) = amount
            && !self.affordable(amount)
        {
            let available =
                self.spendable_minor().map(|m| Money::from_minor(m, Currency::Usd).amount_string());
            self.short = shortfall(amount.to_minor(), available.as_deref());
            self.problems.amount = Some(match &self.short {
                Some(short) => short.message(),
                None => t(Text::TipTooMuch).to_string(),
            });
        } else if let Ok(amount) = amount {
            self.over_limit = self.headroom.as_ref().and_then(|h| h.check(amount.to_minor()));
        }
        if let Err(problem) = message {
            self.problems.message = Some(problem);
        }
        if self.problems == Problems::default() && self.over_limit.is_none() {
            self.pin.clear();
            // An attempt whose fate is unknown keeps its key until a retry settles it.
            self.attempt.begin(new_key);
            self.step = Step::Review;
        }
    }

    /// Whether the confirmation may go back to the form: not while sending, and not while an
    /// attempt's fate is unknown (a changed tip under a new key could be paid twice).
    pub fn can_edit(&self) -> bool {
        self.step == Step::Review && !self.attempt.in_doubt()
    }

    /// "Edit": back to the form, nothing lost.
    pub fn edit(&mut self) {
        if self.can_edit() {
            self.problems = Problems::default();
            self.step = Step::Choose;
        }
    }

    /// "Send tip": the body of `POST /tips` for this attempt, the sheet now sending. `None` when
    /// it is not at the confirmation (already sending, say: a second click sends nothing).
    pub fn send(&mut self) -> Option<NewTip> {
        if self.step != Step::Review {
            return None;
        }
        let amount = self.amount().ok()?;
        let request = NewTip {
            creator: self.creator.handle.clone(),
            amount: AmountText::Text(amount.money().amount_string()),
            currency: amount.currency().code().to_string(),
            post_id: self.post_id.clone(),
            message: self.cleaned_message().ok().flatten(),
            anonymous: self.anonymous.then_some(true),
            pin: self.step_up.needs_pin(amount).then(|| self.pin.clone()),
        };
        self.problems = Problems::default();
        self.step = Step::Sending;
        self.attempt.sent(());
        Some(request)
    }

    /// What the confirmation says will happen.
    pub fn confirmation(&self) -> String {
        let amount = self.amount().map(|a| format::money(&a.money().amount_string(), Currency::Usd));
        let amount = amount.unwrap_or_default();
        let name = &self.creator.display_name;
        let who = if self.anonymous { t(Text::TipConfirmAnonymous) } else { t(Text::TipConfirmNamed) };
        format!("{name} {} {amount}. {who} {}", t(Text::Receives), t(Text::TipFinal))
    }

    /// Adds a sent tip to what the sheet shows as raised towards the creator's goal.
    fn count_towards_goal(&mut self, tip: &Tip) {
        let Some(goal) = self.creator.goal.as_mut() else { return };
        let raised = Money::parse_written(&goal.raised, tip.currency);
        let amount = Money::parse_written(&tip.amount, tip.currency);
        if let (Ok(raised), Ok(amount)) = (raised, amount)
            && let Ok(total) = raised.checked_add(amount)
        {
            goal.raised = total.amount_string();
        }
    }

    /// Turns the server's answer to the attempt with `key` into the next step (an answer to any
    /// other attempt is old news and changes nothing). A refusal for lack of money goes back to
    /// the form with what the wallet holds (`available`, read after the refusal; `None` when
    /// that could not be read), so the person can pick an amount that fits.
    pub fn answer(&mut self, key: &str, answer: Result<Tip, ApiError>, available: Option<String>) {
        if !self.attempt.is_current(key) {
            return;
        }
        self.problems = Problems::default();
        self.attempt.answered(&answer);
        let error = match answer {
            Ok(tip) => {
                self.count_towards_goal(&tip);
                self.step = Step::Sent(Box::new(tip));
                return;
            }
            Err(error) => error,
        };
        let heard = match self.amount() {
            Ok(amount) => self.step_up.hear(amount, &error),
            Err(_) => PinAnswer::Other,
        };
        match heard {
            // The same tip again, now with the PIN, under the same key (the refusal stored
            // nothing): the confirmation shows the field and says why.
            PinAnswer::Reveal => {
                self.step = Step::Review;
                return;
            }
            PinAnswer::Locked(sentence) => {
                self.problems.form = Some(sentence);
                self.step = Step::Review;
                return;
            }
            PinAnswer::Other => {}
        }
        let state = self.headroom.as_ref().and_then(|h| h.state.clone());
        if let Some(refusal) = LimitRefusal::from_error(&error, LimitKind::Send, state.as_deref()) {
            self.over_limit = Some(refusal);
            self.step = Step::Choose;
            return;
        }
        if is_recipient_unavailable(&error) {
            self.problems.form = Some(recipient_unavailable(&self.creator.display_name));
            self.step = Step::Review;
            return;
        }
        match (error.code, error.field.as_deref()) {
            (Some(ErrorCode::InsufficientFunds), _) => {
                let money = available.as_deref().map(|a| format::money(a, Currency::Usd));
                self.problems.amount = Some(match money {
                    Some(money) => format!("{} {money}. {}", t(Text::TipShortHave), t(Text::TipShortNext)),
                    None => t(Text::TipShort).to_string(),
                });
                self.short_of_funds = available;
                self.step = Step::Choose;
            }
            (_, Some("pin")) => {
                self.problems.pin = Some(error.message);
                self.step = Step::Review;
            }
            (_, Some("amount")) => {
                self.problems.amount = Some(error.message);
                self.step = Step::Choose;
            }
            (_, Some("message")) => {
                self.problems.message = Some(error.message);
                self.step = Step::Choose;
            }
            // The tip may or may not have gone. Retrying sends the same key, so it cannot go
            // twice.
            _ if self.attempt.in_doubt() => {
                self.problems.form = Some(format!("{} {}", error.message, t(Text::TipRetrySafe)));
                self.step = Step::Review;
            }
            _ => {
                self.problems.form = Some(error.message);
                self.step = Step::Review;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use purse_api::Handle;

    fn creator(presets: &[&str]) -> Creator {
        Creator {
            handle: Handle::parse("lina").unwrap(),
            display_name: "Lina Haddad".into(),
            enabled: true,
            tip_presets: presets.iter().map(|p| p.to_string()).collect(),
            goal: None,
            supporters: 0,
        }
    }

    fn flow() -> TipFlow {
        TipFlow::new(creator(&["1.00", "5.00", "10.00"]), Some("42".into()))
    }

    fn tip(amount: &str) -> Tip {
        Tip {
            id: "tip_abc".into(),
            creator: Handle::parse("lina").unwrap(),
            amount: amount.into(),
            currency: Currency::Usd,
            post_id: Some("42".into()),
            message: None,
            anonymous: false,
            fee: "0.00".into(),
            created_at: "2026-11-23T10:00:00Z".into(),
            review: None,
        }
    }

    fn refused(status: u16, code: ErrorCode, field: Option<&str>) -> ApiError {
        ApiError {
            status: Some(status),
            code: Some(code),
            message: "no".into(),
            field: field.map(Into::into),
            details: None,
        }
    }

    #[test]
    fn a_preset_or_a_typed_amount_is_checked_by_the_apis_rule() {
        let mut flow = flow();
        assert!(flow.amount().is_err(), "nothing chosen yet");
        flow.choice = Some(Choice::Preset(1));
        assert_eq!(flow.amount().map(Amount::to_minor), Ok(500));
        flow.choice = Some(Choice::Custom);
        for bad in ["", "0", "1.001", "-2", "10000.01", "five"] {
            flow.custom = bad.into();
            assert!(flow.amount().is_err(), "{bad:?}");
        }
        flow.custom = " 7.5 ".into();
        assert_eq!(flow.amount().map(Amount::to_minor), Ok(750));
        assert!(!flow.needs_pin());
        flow.custom = "50.01".into();
        assert!(flow.needs_pin(), "above the step-up threshold");
    }

    #[test]
    fn review_refuses_what_the_server_would_and_keeps_what_was_typed() {
        let mut flow = flow();
        flow.message = "m".repeat(281);
        flow.review(|| "k1".into());
        assert_eq!(flow.step, Step::Choose);
        assert!(flow.problems.amount.is_some() && flow.problems.message.is_some());
        flow.choice = Some(Choice::Preset(0));
        flow.message = "Thank you\u{200b}!".into();
        flow.review(|| "k1".into());
        assert_eq!((flow.step.clone(), flow.attempt.key()), (Step::Review, "k1"));
        assert_eq!(flow.cleaned_message(), Ok(Some("Thank you!".into())), "cleaned as notes are");
        flow.edit();
        assert_eq!((flow.step.clone(), flow.message.as_str()), (Step::Choose, "Thank you\u{200b}!"));
    }

    #[test]
    fn sending_asks_for_exactly_what_was_confirmed_and_only_once() {
        let mut flow = flow();
        assert_eq!(flow.send(), None, "nothing to send before the confirmation");
        flow.choice = Some(Choice::Preset(1));
        flow.message = " Merci\u{200b} ".into();
        flow.review(|| "k1".into());
        flow.pin = "1234".into();
        let request = flow.send().unwrap();
        assert_eq!(flow.step, Step::Sending);
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"creator": "lina", "amount": "5.00", "currency": "USD", "post_id": "42", "message": "Merci"}),
            "no PIN at 5.00, no anonymous flag unless asked"
        );
        assert_eq!(flow.send(), None, "a second click while sending sends nothing");

        let mut flow = TipFlow::new(creator(&["60"]), None);
        flow.choice = Some(Choice::Preset(0));
        flow.anonymous = true;
        flow.review(|| "k1".into());
        flow.pin = "1234".into();
        let request = flow.send().unwrap();
        assert_eq!(
            (request.amount, request.anonymous, request.pin.as_deref(), request.post_id),
            (AmountText::Text("60.00".into()), Some(true), Some("1234"), None)
        );
    }

    #[test]
    fn the_confirmation_names_the_creator_the_amount_and_who_they_will_see() {
        let mut flow = flow();
        flow.choice = Some(Choice::Preset(1));
        assert_eq!(
            flow.confirmation(),
            "Lina Haddad receives $5.00. They'll see it's from you. Tips are sent right away and can't be undone."
        );
        flow.anonymous = true;
        assert_eq!(
            flow.confirmation(),
            "Lina Haddad receives $5.00. They won't see who sent it. Tips are sent right away and can't be undone."
        );
    }

    #[test]
    fn presets_above_the_balance_are_off_and_say_why_so_an_empty_wallet_sees_none_enabled() {
        let mut flow = flow();
        assert_eq!(flow.presets_off_reason(), None, "unread: all on, the server decides");
        flow.available = Some("0.00".into());
        let offered: Vec<bool> = flow.presets().into_iter().map(|p| flow.affordable(p)).collect();
        assert_eq!(offered, [false, false, false], "a $0 wallet sees no preset enabled");
        assert_eq!(
            flow.presets_off_reason().as_deref(),
            Some("Amounts you can't choose are more than your balance of $0.00.")
        );
        flow.available = Some("5.00".into());
        let offered: Vec<bool> = flow.presets().into_iter().map(|p| flow.affordable(p)).collect();
        assert_eq!(offered, [true, true, false], "exactly the balance fits");
        // A typed amount above it is refused before the review, with what to add.
        flow.choice = Some(Choice::Custom);
        flow.custom = "7.50".into();
        flow.review(|| "k1".into());
        assert_eq!(flow.step, Step::Choose);
        assert_eq!(flow.problems.amount.as_deref(), Some("You have $5.00 — add $2.50?"));
        assert_eq!(
            flow.short.as_ref().map(Shortfall::add_money_href).as_deref(),
            Some("/add-money?amount=2.50")
        );
        flow.custom = "2".into();
        flow.review(|| "k1".into());
        assert_eq!((flow.step.clone(), flow.short.clone()), (Step::Review, None));
    }

    #[test]
    fn the_tip_review_names_the_creator_the_balance_after_and_the_button_the_tip() {
        let mut flow = flow();
        assert_eq!(flow.summary(), None, "nothing chosen: no review");
        flow.available = Some("5.00".into());
        flow.choice = Some(Choice::Custom);
        flow.custom = "2".into();
        let review = flow.summary().unwrap();
        let lines: Vec<String> = review.lines.iter().map(crate::flows::review::Line::text).collect();
        assert_eq!(
            lines,
            [
                "To: Lina Haddad @lina · They'll see it's from you",
                "From: Purse balance · $5.00 now, $3.00 after",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · Tips can't be undone",
            ]
        );
        assert_eq!((review.amount.as_str(), review.confirm.as_str()), ("$2.00", "Tip $2.00"));
    }

    #[test]
    fn short_of_funds_goes_back_to_amounts_that_fit() {
        let mut flow = flow();
        flow.choice = Some(Choice::Preset(2));
        flow.review(|| "k1".into());
        flow.answer(
            "k1",
            Err(refused(422, ErrorCode::InsufficientFunds, Some("amount"))),
            Some("6.20".into()),
        );
        assert_eq!(flow.step, Step::Choose);
        assert_eq!(
            flow.problems.amount.as_deref(),
            Some("Your wallet has $6.20. Choose a smaller amount, or add money to your wallet.")
        );
        let offered: Vec<bool> = flow.presets().into_iter().map(|p| flow.affordable(p)).collect();
        assert_eq!(offered, [true, true, false]);
        // The too-big amount is refused before it is sent again.
        flow.review(|| "k2".into());
        assert_eq!((flow.step.clone(), flow.attempt.key()), (Step::Choose, "k1"));
        flow.choice = Some(Choice::Preset(1));
        flow.review(|| "k2".into());
        assert_eq!((flow.step.clone(), flow.attempt.key()), (Step::Review, "k2"), "a new attempt, a new key");
    }

    #[test]
    fn after_an_answer_that_may_have_tipped_only_a_retry_with_the_same_key_is_possible() {
        for unknown in [
            ApiError::network(),
            refused(503, ErrorCode::ServiceUnavailable, None),
            refused(409, ErrorCode::IdempotencyKeyInUse, None),
        ] {
            let mut flow = flow();
            flow.choice = Some(Choice::Preset(1));
            flow.review(|| "k1".into());
            flow.answer("k1", Err(unknown.clone()), None);
            assert_eq!(flow.step, Step::Review, "{unknown:?}");
            assert!(flow.problems.form.as_deref().is_some_and(|m| m.ends_with(t(Text::TipRetrySafe))));
            assert!(!flow.can_edit());
            flow.edit();
            flow.review(|| "k2".into());
            assert_eq!(
                (flow.step.clone(), flow.attempt.key()),
                (Step::Review, "k1"),
                "{unknown:?}: same key"
            );
            // A refusal settles it: the tip did not go, so it may be changed again.
            flow.answer("k1", Err(refused(403, ErrorCode::PinIncorrect, Some("pin"))), None);
            assert!(flow.can_edit());
        }
        let mut flow = flow();
        flow.choice = Some(Choice::Preset(2));
        flow.review(|| "k1".into());
        flow.answer("k1", Err(refused(422, ErrorCode::InsufficientFunds, None)), None);
        assert_eq!(flow.problems.amount.as_deref(), Some(t(Text::TipShort)));
        assert!(flow.presets().into_iter().all(|p| flow.affordable(p)), "an unread wallet disables nothing");
    }

    #[test]
    fn a_small_tip_the_server_asks_the_pin_for_is_sent_again_with_it_under_the_same_key() {
        let mut flow = flow();
        flow.choice = Some(Choice::Preset(1));
        flow.review(|| "k1".into());
        assert!(!flow.needs_pin(), "5.00 is under the threshold");
        let first = flow.send().unwrap();
        assert_eq!(first.pin, None);
        flow.answer("k1", Err(refused(403, ErrorCode::PinRequired, Some("pin"))), None);
        assert_eq!(flow.step, Step::Review, "still confirming the same tip");
        assert!(flow.needs_pin(), "the confirmation now shows the PIN field");
        assert_eq!(flow.pin_reason(), t(Text::PinNeededToday));
        assert_eq!(
            flow.problems,
            Problems::default(),
            "the reason is said beside the field, not as an error"
        );
        flow.pin = "1234".into();
        let again = flow.send().unwrap();
        assert_eq!(
            (again.amount, again.pin.as_deref(), flow.attempt.key()),
            (AmountText::Text("5.00".into()), Some("1234"), "k1"),
            "the same tip, with the PIN, under the same key"
        );
        flow.answer("k1", Ok(tip("5.00")), None);
        assert_eq!(flow.step, Step::Sent(Box::new(tip("5.00"))));
        // A next tip from this sheet asks for the PIN at once.
        let mut next = flow.clone();
        next.step = Step::Choose;
        next.review(|| "k2".into());
        assert!(next.needs_pin() && next.attempt.key() == "k2");
    }

    #[test]
    fn a_locked_pin_refuses_a_small_tip_and_says_no_money_moved() {
        let mut flow = flow();
        flow.choice = Some(Choice::Preset(0));
        flow.review(|| "k1".into());
        flow.send();
        flow.answer("k1", Err(refused(403, ErrorCode::PinLocked, None)), None);
        assert_eq!(flow.step, Step::Review);
        assert_eq!(flow.problems.form, Some(format!("no {}", t(Text::NoMoneyMoved))));
        assert!(!flow.needs_pin() && flow.can_edit(), "no PIN field: no PIN helps while locked");
    }

    #[test]
    fn answers_land_where_they_belong() {
        let mut flow = flow();
        flow.choice = Some(Choice::Custom);
        flow.custom = "60.00".into();
        flow.review(|| "k1".into());
        flow.answer("k1", Err(refused(403, ErrorCode::PinIncorrect, Some("pin"))), None);
        assert_eq!((flow.step.clone(), flow.problems.pin.as_deref()), (Step::Review, Some("no")));
        flow.answer("k1", Err(refused(400, ErrorCode::InvalidRequest, Some("message"))), None);
        assert_eq!((flow.step.clone(), flow.problems.message.as_deref()), (Step::Choose, Some("no")));
        flow.review(|| "k2".into());
        flow.answer("k2", Err(refused(422, ErrorCode::NotACreator, Some("creator"))), None);
        assert_eq!((flow.step.clone(), flow.problems.form.as_deref()), (Step::Review, Some("no")));
        flow.answer("k1", Ok(tip("60.00")), None);
        assert_eq!(flow.step, Step::Review, "an answer to an older attempt changes nothing");
        flow.creator.goal =
            Some(purse_api::Goal { title: "Lens".into(), target: "500.00".into(), raised: "12.50".into() });
        flow.answer("k2", Ok(tip("60.00")), None);
        assert_eq!(flow.step, Step::Sent(Box::new(tip("60.00"))));
        assert_eq!(flow.creator.goal.map(|g| g.raised).as_deref(), Some("72.50"), "the goal moved");
    }

    #[test]
    fn a_tip_over_the_sending_limit_is_refused_before_the_review_and_after_a_race() {
        use crate::flows::limit_guard::test_compliance::{MONDAY_MS, tier_0, with_status};
        use purse_api::compliance::{AccountStatus, LimitDetails, Window};
        let mut flow = self::flow();
        flow.headroom = Some(Headroom::of(&tier_0(), LimitKind::Send));
        flow.choice = Some(Choice::Custom);
        flow.custom = "212.41".into();
        flow.review(|| "k1".into());
        assert_eq!(flow.step, Step::Choose);
        assert_eq!(
            flow.over_limit.as_ref().map(|r| r.sentence(MONDAY_MS)).as_deref(),
            Some("You can send $212.40 more until Thursday.")
        );
        flow.custom = "212.40".into();
        flow.review(|| "k1".into());
        assert_eq!(
            (flow.step.clone(), flow.over_limit.clone()),
            (Step::Review, None),
            "exactly what is left goes"
        );
        flow.pin = "1234".into();
        flow.send().unwrap();
        let details = LimitDetails {
            limit: "250.00".into(),
            used: "240.00".into(),
            remaining: "10.00".into(),
            window: Window::SevenDays,
            resets_at: None,
            tier: 0,
            next_tier: Some(1),
        };
        let raced = ApiError {
            details: Some(Box::new(details)),
            ..refused(422, ErrorCode::LimitExceeded, Some("amount"))
        };
        flow.answer("k1", Err(raced), None);
        assert_eq!(flow.step, Step::Choose);
        assert_eq!(
            flow.over_limit.as_ref().map(|r| r.sentence(0)).as_deref(),
            Some("You can send $10.00 more.")
        );

        let mut flow = self::flow();
        flow.headroom =
            Some(Headroom::of(&with_status(AccountStatus::Restricted, Some("NY")), LimitKind::Send));
        assert!(flow.blocked().is_some());
        flow.choice = Some(Choice::Preset(0));
        flow.review(|| "k1".into());
        assert_eq!(
            (flow.step.clone(), flow.over_limit.as_ref().map(LimitRefusal::name)),
            (Step::Choose, Some("restricted"))
        );

        let mut flow = self::flow();
        flow.choice = Some(Choice::Preset(0));
        flow.review(|| "k1".into());
        flow.send().unwrap();
        flow.answer("k1", Err(refused(422, ErrorCode::RecipientUnavailable, None)), None);
        assert_eq!(flow.problems.form.as_deref(), Some("Lina Haddad can't receive this payment right now."));
    }
}
