//! Cashing out: standard (to a bank account, free, settled by the bank rail later) or instant
//! (to a debit card, at once, for a fee); where to; how much, with a preview computed as it is
//! typed by `purse_api::funding::quote_minor` (the server charges by the same function); the
//! PIN every withdrawal needs; the body of `POST /withdrawals` with one idempotency key per
//! attempt; and what the answer turns the page into.
//!
//! As for deposits, an attempt whose fate is unknown is retried exactly as it was sent, under
//! its key, and the form is locked until the retry settles it. An amount over what is left of the
//! withdrawal limit is refused before the review ([`crate::flows::limit_guard`]); a restricted
//! person can still withdraw, a frozen one cannot.

use purse_api::compliance::LimitKind;
use purse_api::funding::{QuoteMinor, quote_minor};
use purse_api::people::is_valid_pin;
use purse_api::{
    Amount, AmountText, BankAccount, Card, Currency, ErrorCode, Money, NewWithdrawal, Speed, Withdrawal,
    WithdrawalQuote, WithdrawalStatus,
};

use crate::api_client::ApiError;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{Headroom, LimitRefusal};
use crate::flows::review::{Party, Review, Shortfall, shortfall};
use crate::format::{self, bank_label, card_label, usd_minor};
use crate::text::{Funding, Text, t};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Form,
    /// The review: what will happen, before it does ([`WithdrawFlow::summary`]).
    Review,
    /// `POST /withdrawals` is on its way.
    Sending,
    /// Done: the server's withdrawal and where it went (`Visa •• 4242`).
    Done {
        withdrawal: Withdrawal,
        destination: String,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    pub amount: Option<String>,
    pub destination: Option<String>,
    pub pin: Option<String>,
    pub form: Option<String>,
    /// Over the withdrawal limit, or the account is frozen: the limit note says it.
    pub limit: Option<LimitRefusal>,
}

/// The wire name of a speed.
pub fn speed_name(speed: Speed) -> &'static str {
    match speed {
        Speed::Standard => "standard",
        Speed::Instant => "instant",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawFlow {
    pub cards: Vec<Card>,
    pub banks: Vec<BankAccount>,
    /// What the wallet can spend (as the server wrote it), when read.
    pub available: Option<String>,
    pub speed: Speed,
    /// The chosen bank account (standard) or card (instant).
    pub destination: Option<String>,
    pub amount: String,
    /// When a standard withdrawal would arrive, from `GET /quotes/withdrawal`.
    pub arrives_by: Option<String>,
    pub step: Step,
    pub problems: Problems,
    /// The attempts at `POST /withdrawals`: the last one's key, and its body while in doubt.
    pub attempt: Attempt<NewWithdrawal>,
    /// The withdrawal limit and the person's status, once read (`None`: the server decides).
    pub headroom: Option<Headroom>,
}

impl WithdrawFlow {
    /// The page for these cards and bank accounts: standard to the first bank account when
    /// there is one, else instant to the first card.
    pub fn new(cards: Vec<Card>, banks: Vec<BankAccount>, available: Option<String>) -> WithdrawFlow {
        let speed = if banks.is_empty() && !cards.is_empty() { Speed::Instant } else { Speed::Standard };
        let mut flow = WithdrawFlow {
            cards,
            banks,
            available,
            speed,
            destination: None,
            amount: String::new(),
            arrives_by: None,
            step: Step::Form,
            problems: Problems::default(),
            attempt: Attempt::default(),
            headroom: None,
        };
        flow.destination = flow.destinations().first().map(|(id, _)| id.clone());
        flow
    }

    /// Where money can go at the chosen speed: ids and labels.
    pub fn destinations(&self) -> Vec<(String, String)> {
        match self.speed {
            Speed::Standard => self.banks.iter().map(|b| (b.id.clone(), bank_label(b))).collect(),
            Speed::Instant => self.cards.iter().map(|c| (c.id.clone(), card_label(c))).collect(),
        }
    }

    /// The chosen destination's label.
    pub fn destination_label(&self) -> Option<String> {
        let chosen = self.destination.as_ref()?;
        self.destinations().into_iter().find(|(id, _)| id == chosen).map(|(_, label)| label)
    }

    /// Whether what was typed may change: not while an attempt is on its way or in doubt.
    pub fn can_edit(&self) -> bool {
        self.step == Step::Form && !self.attempt.in_doubt()
    }

    /// Another speed: its first destination chosen.
    pub fn set_speed(&mut self, speed: Speed) {
        if !self.can_edit() || speed == self.speed {
            return;
        }
        self.speed = speed;
        self.destination = self.destinations().first().map(|(id, _)| id.clone());
        self.problems = Problems::default();
    }

    pub fn set_destination(&mut self, id: String) {
        if self.can_edit() && self.destinations().iter().any(|(known, _)| *known == id) {
            self.destination = Some(id);
        }
    }

    /// The amount as typed, by API.md's rule.
    pub fn amount(&self) -> Result<Amount, &'static str> {
        Amount::parse(self.amount.trim(), "USD").map_err(|_| t(Text::AmountFormat))
    }

    /// What arrives, the fee and what leaves the wallet, for the amount as typed.
    pub fn quote(&self) -> Option<QuoteMinor> {
        self.amount().ok().map(|amount| quote_minor(amount, self.speed))
    }

    /// The preview under the amount: `Fee $0.35 · Total $20.35 · Arrives instantly`, or
    /// `Free · Arrives by Nov 22, 14:05` (`Free` until the quote says when). `None` until the
    /// amount is one.
    pub fn preview(&self) -> Option<String> {
        let quote = self.quote()?;
        Some(match self.speed {
            Speed::Instant => format!(
                "{} {} · {} {} · {}",
                t(Funding::PreviewFee),
                usd_minor(quote.fee),
                t(Funding::PreviewTotal),
                usd_minor(quote.total),
                t(Funding::PreviewInstantly)
            ),
            Speed::Standard => match &self.arrives_by {
                Some(time) => {
                    format!(
                        "{} · {} {}",
                        t(Funding::PreviewFree),
                        t(Funding::PreviewArrivesBy),
                        format::when(time)
                    )
                }
                None => t(Funding::PreviewFree).to_string(),
            },
        })
    }

    /// The amount to ask `GET /quotes/withdrawal` about (standard only: instant arrives now and
    /// its fee is computed here), written at the currency's scale.
    pub fn quote_wanted(&self) -> Option<String> {
        (self.speed == Speed::Standard)
            .then(|| self.amount().ok())
            .flatten()
            .map(|a| a.money().amount_string())
    }

    /// The quote's answer: its arrival time, if the page still asks about a standard withdrawal
    /// (a failed quote leaves the preview at `Free`: the withdrawal itself does not need it).
    pub fn quoted(&mut self, answer: Result<WithdrawalQuote, ApiError>) {
        if self.speed == Speed::Standard
            && let Ok(quote) = answer
        {
            self.arrives_by = Some(quote.arrives_by);
        }
    }

    /// The total is more than the wallet has (as last read): what it has and what to add.
    pub fn short(&self) -> Option<Shortfall> {
        shortfall(self.quote()?.total, self.available.as_deref())
    }

    /// What to say instead of sending: `You have $100.00 — add $0.73?`.
    pub fn shortfall(&self) -> Option<String> {
        self.short().map(|short| short.message())
    }

    /// The review of what is typed, once it holds: where to, from the balance (and what is
    /// left after the amount and the fee), the fee, when it arrives, and that it is final.
    pub fn summary(&self) -> Option<Review> {
        let amount = self.amount().ok()?;
        let quote = self.quote()?;
        let arrives_by = self.arrives_by.as_deref().map(format::when);
        Some(Review::withdraw(
            Party::named(self.destination_label()?),
            amount,
            quote.fee,
            self.available.as_deref(),
            arrives_by.as_deref(),
            self.speed == Speed::Instant,
        ))
    }

    /// "Review": to the review when the form holds (the PIN is checked for its form here, by
    /// the server at the confirm); the problems on their fields otherwise. While an attempt is
    /// in doubt, straight back to its review: the confirm retries it as it was.
    pub fn review(&mut self, pin: &str) -> bool {
        if self.step != Step::Form {
            return false;
        }
        if self.attempt.in_doubt() {
            self.step = Step::Review;
            return true;
        }
        self.check(pin);
        if self.problems == Problems::default() {
            self.step = Step::Review;
        }
        self.step == Step::Review
    }

    /// "Edit": back to the form, what was typed kept (not while an attempt is in doubt).
    pub fn edit(&mut self) {
        if self.step == Step::Review && !self.attempt.in_doubt() {
            self.problems = Problems::default();
            self.step = Step::Form;
        }
    }

    /// The form's checks, each problem on its field.
    fn check(&mut self, pin: &str) {
        self.problems = Problems::default();
        if self.destination_label().is_none() {
            self.problems.destination = Some(t(Funding::ChooseDestination).to_string());
        }
        match self.amount() {
            Err(problem) => self.problems.amount = Some(problem.to_string()),
            Ok(amount) => {
                self.problems.amount = self.shortfall();
                if self.problems.amount.is_none() {
                    self.problems.limit = self.headroom.as_ref().and_then(|h| h.check(amount.to_minor()));
                }
            }
        }
        let pin: String = pin.chars().filter(|c| !c.is_whitespace()).collect();
        if !is_valid_pin(&pin) {
            self.problems.pin = Some(t(Text::PinFormat).to_string());
        }
    }

    /// The button says what it will do: `Withdraw $20.00`.
    pub fn button_label(&self) -> String {
        match self.amount() {
            Ok(amount) => {
                format!(
                    "{} {}",
                    t(Text::NavWithdraw),
                    format::money(&amount.money().amount_string(), Currency::Usd)
                )
            }
            Err(_) => t(Text::NavWithdraw).to_string(),
        }
    }

    /// The review's "Withdraw $20.00" (or the form's, for a page without the review step): the
    /// body of `POST /withdrawals` and its key, the page now sending; `None`
    /// (with the problems on their fields) when the form does not hold, or while an attempt is
    /// on its way.
    pub fn submit(&mut self, pin: &str, new_key: impl FnOnce() -> String) -> Option<(NewWithdrawal, String)> {
        if !matches!(self.step, Step::Form | Step::Review) {
            return None;
        }
        self.problems = Problems::default();
        if let Some(retry) = self.attempt.retry() {
            self.step = Step::Sending;
            return Some(retry);
        }
        self.check(pin);
        // Pasted PINs bring spaces along.
        let pin: String = pin.chars().filter(|c| !c.is_whitespace()).collect();
        let destination = self.destination_label().and(self.destination.clone());
        let (Some(destination), Ok(amount)) = (destination, self.amount()) else {
            self.step = Step::Form;
            return None;
        };
        if self.problems != Problems::default() {
            self.step = Step::Form;
            return None;
        }
        let request = NewWithdrawal {
            destination_id: destination,
            amount: AmountText::Text(amount.money().amount_string()),
            currency: amount.currency().code().to_string(),
            speed: speed_name(self.speed).to_string(),
            pin: Some(pin),
        };
        self.step = Step::Sending;
        Some(self.attempt.start(request, new_key))
    }

    /// Turns the answer to the attempt with `key` into the next step (an answer to an older
    /// attempt changes nothing).
    pub fn answer(&mut self, key: &str, answer: Result<Withdrawal, ApiError>) {
        if !self.attempt.is_current(key) || self.step != Step::Sending {
            return;
        }
        self.step = Step::Form;
        self.attempt.answered(&answer);
        let error = match answer {
            Ok(withdrawal) => {
                let destination = self.destination_label().unwrap_or_default();
                self.step = Step::Done { withdrawal, destination };
                return;
            }
            Err(error) => error,
        };
        if self.attempt.in_doubt() {
            // Back to the review: its confirm retries the same withdrawal under the same key.
            self.problems.form = Some(format!("{} {}", error.message, t(Funding::WithdrawRetrySafe)));
            self.step = Step::Review;
            return;
        }
        let nothing_moved = |message: &str| format!("{message} {}", t(Text::NoMoneyMoved));
        let state = self.headroom.as_ref().and_then(|h| h.state.clone());
        if let Some(refusal) = LimitRefusal::from_error(&error, LimitKind::Withdraw, state.as_deref()) {
            self.problems.limit = Some(refusal);
            return;
        }
        match (error.code, error.field.as_deref()) {
            (
                Some(
                    ErrorCode::PinRequired
                    | ErrorCode::PinIncorrect
                    | ErrorCode::PinLocked
                    | ErrorCode::PinNotSet,
                ),
                _,
            )
            | (_, Some("pin")) => self.problems.pin = Some(error.message),
            (Some(ErrorCode::CardDeclined), _) => {
                self.problems.form = Some(t(Funding::WithdrawDeclined).to_string())
            }
            (Some(ErrorCode::InsufficientFunds | ErrorCode::LimitExceeded), _) | (_, Some("amount")) => {
                self.problems.amount = Some(nothing_moved(&error.message))
            }
            (Some(ErrorCode::NotFound), _) | (_, Some("destination_id")) => {
                self.problems.destination = Some(nothing_moved(&error.message))
            }
            _ => self.problems.form = Some(nothing_moved(&error.message)),
        }
    }
}

/// What the done screen says: a title, and a sentence with the amount, where it went, the fee
/// and when it arrives.
pub fn done_text(withdrawal: &Withdrawal, destination: &str) -> (&'static str, String) {
    let money = |amount: &str| format::money(amount, Currency::Usd);
    let amount = money(&withdrawal.amount);
    let is_free = Money::parse_written(&withdrawal.fee, Currency::Usd).is_ok_and(Money::is_zero);
    let fee = if is_free {
        String::new()
    } else {
        format!(" {} {}.", t(Funding::PreviewFee), money(&withdrawal.fee))
    };
    match withdrawal.status {
        WithdrawalStatus::Pending => (
            t(Funding::WithdrawPendingTitle),
            format!(
                "{amount} {} {destination}. {} {}.{fee}",
                t(Funding::WithdrawOnItsWay),
                t(Funding::PreviewArrivesBy),
                format::when(&withdrawal.arrives_by)
            ),
        ),
        WithdrawalStatus::Completed => (
            t(Funding::WithdrawCompletedTitle),
            format!("{amount} {} {destination}.{fee}", t(Funding::WithdrawSentTo)),
        ),
        WithdrawalStatus::Returned => {
            (t(Text::StatusReturned), format!("{amount}: {}", t(Funding::WithdrawReturned)))
        }
        WithdrawalStatus::Failed => (t(Text::StatusFailed), t(Funding::WithdrawFailed).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use purse_api::funding::{INSTANT_FEE_MAX_MINOR, INSTANT_FEE_MIN_MINOR};

    use super::*;
    use crate::flows::test_card::visa;

    fn bank() -> BankAccount {
        BankAccount { id: "ba_1".into(), bank_name: "Sandbox Bank".into(), last4: "6789".into() }
    }

    fn flow(speed: Speed, amount: &str) -> WithdrawFlow {
        let mut flow = WithdrawFlow::new(vec![visa()], vec![bank()], Some("100.00".into()));
        flow.set_speed(speed);
        flow.amount = amount.into();
        flow
    }

    fn check_preview(speed: Speed, amount: &str, expected: Option<&str>) {
        assert_eq!(flow(speed, amount).preview().as_deref(), expected, "{speed:?} {amount:?}");
    }

    #[test]
    fn the_instant_preview_at_the_fee_edges() {
        let cases = [
            ("20.00", "Fee $0.35 · Total $20.35 · Arrives instantly"),
            ("20", "Fee $0.35 · Total $20.35 · Arrives instantly"),
            // The minimum: 1.75 % of 14.28 is 0.2499.
            ("0.01", "Fee $0.25 · Total $0.26 · Arrives instantly"),
            ("14.28", "Fee $0.25 · Total $14.53 · Arrives instantly"),
            ("14.58", "Fee $0.26 · Total $14.84 · Arrives instantly"),
            // Half a cent rounds up.
            ("30.00", "Fee $0.53 · Total $30.53 · Arrives instantly"),
            // The maximum.
            ("1428.28", "Fee $24.99 · Total $1,453.27 · Arrives instantly"),
            ("1428.29", "Fee $25.00 · Total $1,453.29 · Arrives instantly"),
            ("10000.00", "Fee $25.00 · Total $10,025.00 · Arrives instantly"),
        ];
        for (amount, expected) in cases {
            check_preview(Speed::Instant, amount, Some(expected));
        }
        for bad in ["", "0", "-1", "1.001", "10000.01", "abc"] {
            check_preview(Speed::Instant, bad, None);
        }
        assert!(t(Funding::SpeedInstantHint).contains(&usd_minor(INSTANT_FEE_MIN_MINOR)));
        assert!(
            t(Funding::SpeedInstantHint).contains(&usd_minor(INSTANT_FEE_MAX_MINOR)),
            "the hint is the rule"
        );
    }

    #[test]
    fn the_standard_preview_is_free_and_says_when_once_the_quote_does() {
        check_preview(Speed::Standard, "20.00", Some(t(Funding::PreviewFree)));
        let mut flow = flow(Speed::Standard, "20.00");
        assert_eq!(flow.quote_wanted().as_deref(), Some("20.00"));
        let quote = WithdrawalQuote {
            amount: "20.00".into(),
            fee: "0.00".into(),
            total: "20.00".into(),
            arrives_by: "2026-11-22T14:05:00Z".into(),
        };
        flow.quoted(Ok(quote.clone()));
        assert_eq!(flow.preview().as_deref(), Some("Free · Arrives by Nov 22, 14:05"));
        assert_eq!(flow.quote().map(|q| (q.fee, q.total)), Some((0, 2_000)));
        // Instant asks nobody; a quote landing after a switch to instant is ignored.
        let mut instant = self::flow(Speed::Instant, "20.00");
        assert_eq!(instant.quote_wanted(), None);
        instant.quoted(Ok(quote));
        assert_eq!(instant.arrives_by, None);
    }

    #[test]
    fn the_speed_decides_where_the_money_can_go() {
        let mut flow = flow(Speed::Standard, "");
        assert_eq!(flow.destinations(), [("ba_1".to_string(), "Sandbox Bank •• 6789".to_string())]);
        assert_eq!(flow.destination.as_deref(), Some("ba_1"));
        flow.set_speed(Speed::Instant);
        assert_eq!(flow.destination.as_deref(), Some("card_1"));
        flow.set_destination("ba_1".into());
        assert_eq!(flow.destination.as_deref(), Some("card_1"), "a bank account is no card");
        // With only a card, the page starts at instant; with nothing, at standard with nowhere.
        assert_eq!(WithdrawFlow::new(vec![visa()], Vec::new(), None).speed, Speed::Instant);
        let nothing = WithdrawFlow::new(Vec::new(), Vec::new(), None);
        assert_eq!((nothing.speed, nothing.destination), (Speed::Standard, None));
    }

    #[test]
    fn withdrawing_sends_the_choice_with_the_pin_under_a_fresh_key() {
        let mut flow = flow(Speed::Instant, "20.00");
        assert_eq!(flow.button_label(), "Withdraw $20.00");
        let (request, key) = flow.submit(" 1234 ", || "k1".into()).unwrap();
        assert_eq!(
            request,
            NewWithdrawal {
                destination_id: "card_1".into(),
                amount: AmountText::Text("20.00".into()),
                currency: "USD".into(),
                speed: "instant".into(),
                pin: Some("1234".into()),
            }
        );
        assert_eq!(key, "k1");
        assert_eq!(flow.submit("1234", || "k2".into()), None, "a second click sends nothing");
        let withdrawal = Withdrawal {
            id: "wd_1".into(),
            status: WithdrawalStatus::Completed,
            amount: "20.00".into(),
            fee: "0.35".into(),
            arrives_by: "2026-11-22T14:05:00Z".into(),
            review: None,
        };
        flow.answer("k1", Ok(withdrawal.clone()));
        assert_eq!(flow.step, Step::Done { withdrawal, destination: "Visa •• 4242".into() });
    }

    #[test]
    fn the_form_refuses_what_the_server_would_each_on_its_field() {
        let mut bad = flow(Speed::Instant, "1.001");
        assert_eq!(bad.submit("12", || "k".into()), None);
        assert_eq!(bad.problems.amount.as_deref(), Some(t(Text::AmountFormat)));
        assert_eq!(bad.problems.pin.as_deref(), Some(t(Text::PinFormat)));
        assert_eq!(bad.step, Step::Form);
        // 99.00 and its 1.73 fee do not fit in 100.00.
        let mut too_much = flow(Speed::Instant, "99.00");
        assert_eq!(too_much.submit("1234", || "k".into()), None);
        assert_eq!(too_much.problems.amount.as_deref(), Some("You have $100.00 — add $0.73?"));
        assert_eq!(too_much.short().map(|s| s.add_money_href()).as_deref(), Some("/add-money?amount=0.73"));
        assert!(!too_much.review("1234"), "refused before the review");
        assert!(flow(Speed::Standard, "100.00").submit("1234", || "k".into()).is_some(), "free: all of it");
        let mut nowhere = WithdrawFlow::new(Vec::new(), Vec::new(), None);
        nowhere.amount = "5".into();
        assert_eq!(nowhere.submit("1234", || "k".into()), None);
        assert_eq!(nowhere.problems.destination.as_deref(), Some(t(Funding::ChooseDestination)));
    }

    fn refused(code: ErrorCode, message: &str) -> ApiError {
        ApiError {
            status: Some(code.http_status()),
            code: Some(code),
            message: message.into(),
            field: None,
            details: None,
        }
    }

    #[test]
    fn refusals_land_where_they_belong() {
        let answered = |error: ApiError| {
            let mut flow = flow(Speed::Instant, "20.00");
            flow.submit("1234", || "k1".into());
            flow.answer("k1", Err(error));
            assert_eq!(flow.step, Step::Form);
            assert!(flow.can_edit(), "a refusal is final: the next attempt is new");
            flow.problems
        };
        assert_eq!(
            answered(refused(ErrorCode::PinIncorrect, "Wrong PIN.")).pin.as_deref(),
            Some("Wrong PIN.")
        );
        assert_eq!(
            answered(refused(ErrorCode::InsufficientFunds, "Not enough.")).amount.as_deref(),
            Some("Not enough. No money has moved.")
        );
        assert!(answered(refused(ErrorCode::LimitExceeded, "Daily limit.")).amount.is_some());
        assert_eq!(
            answered(refused(ErrorCode::CardDeclined, "Declined.")).form.as_deref(),
            Some(t(Funding::WithdrawDeclined))
        );
        assert!(answered(refused(ErrorCode::NotFound, "No such card.")).destination.is_some());
    }

    #[test]
    fn an_attempt_in_doubt_is_retried_as_it_was() {
        let mut flow = flow(Speed::Standard, "20.00");
        let (first, _) = flow.submit("1234", || "k1".into()).unwrap();
        flow.answer("k1", Err(ApiError::from_answer(502, "")));
        assert!(!flow.can_edit());
        assert!(flow.problems.form.as_deref().is_some_and(|p| p.ends_with(t(Funding::WithdrawRetrySafe))));
        flow.set_speed(Speed::Instant);
        assert_eq!(flow.speed, Speed::Standard, "locked while in doubt");
        assert_eq!(flow.step, Step::Review, "back at the review, whose confirm retries");
        flow.edit();
        assert_eq!(flow.step, Step::Review, "no editing while in doubt");
        assert_eq!(flow.submit("", || "k2".into()), Some((first, "k1".into())));
    }

    #[test]
    fn the_review_says_where_the_fee_what_is_left_and_when_and_edit_keeps_the_form() {
        let mut flow = flow(Speed::Instant, "40.00");
        assert!(flow.review("1234"));
        assert_eq!(flow.step, Step::Review);
        let review = flow.summary().unwrap();
        let lines: Vec<String> = review.lines.iter().map(crate::flows::review::Line::text).collect();
        assert_eq!(
            lines,
            [
                "To: Visa •• 4242",
                "From: Purse balance · $100.00 now, $59.30 after",
                "Fee: $0.70 · $40.70 leaves your wallet",
                "Arrives: Instantly",
                "Can be canceled: No · Instant withdrawals arrive at once",
            ]
        );
        assert_eq!((review.amount.as_str(), review.confirm.as_str()), ("$40.00", "Withdraw $40.00"));
        flow.edit();
        assert_eq!((flow.step.clone(), flow.amount.as_str()), (Step::Form, "40.00"), "the values kept");
        let mut standard = self::flow(Speed::Standard, "40.00");
        standard.arrives_by = Some("2026-11-22T14:05:00Z".into());
        let lines: Vec<String> =
            standard.summary().unwrap().lines.iter().map(crate::flows::review::Line::text).collect();
        assert_eq!(lines[2..4], ["Fee: Free", "Arrives: By Nov 22, 14:05"]);
        let mut bad = self::flow(Speed::Instant, "40.00");
        assert!(!bad.review("12"), "a PIN of the wrong form is refused before the review");
        assert_eq!(bad.problems.pin.as_deref(), Some(t(Text::PinFormat)));
    }

    #[test]
    fn the_done_screen_says_what_happened() {
        let withdrawal = |status, fee: &str| Withdrawal {
            id: "wd_1".into(),
            status,
            amount: "20.00".into(),
            fee: fee.into(),
            arrives_by: "2026-11-22T14:05:00Z".into(),
            review: None,
        };
        assert_eq!(
            done_text(&withdrawal(WithdrawalStatus::Pending, "0.00"), "Sandbox Bank •• 6789"),
            (
                t(Funding::WithdrawPendingTitle),
                "$20.00 is on its way to Sandbox Bank •• 6789. Arrives by Nov 22, 14:05.".to_string()
            )
        );
        assert_eq!(
            done_text(&withdrawal(WithdrawalStatus::Completed, "0.35"), "Visa •• 4242"),
            (t(Funding::WithdrawCompletedTitle), "$20.00 went to Visa •• 4242. Fee $0.35.".to_string())
        );
        assert_eq!(
            done_text(&withdrawal(WithdrawalStatus::Returned, "0.00"), "x").0,
            t(Text::StatusReturned)
        );
    }

    #[test]
    fn a_withdrawal_over_the_limit_is_refused_before_the_review_and_a_restricted_person_may_withdraw() {
        use crate::flows::limit_guard::test_compliance::{MONDAY_MS, item, tier_0, with_status};
        use purse_api::compliance::{AccountStatus, LimitDetails, Window};
        let mut compliance = tier_0();
        compliance.limits[2] =
            item(LimitKind::Withdraw, "250.00", "200.00", "50.00", Some("2026-12-10T10:00:00Z"));
        let mut over = flow(Speed::Standard, "50.01");
        over.headroom = Some(Headroom::of(&compliance, LimitKind::Withdraw));
        assert!(!over.review("1234"));
        assert_eq!(
            over.problems.limit.as_ref().map(|r| r.sentence(MONDAY_MS)).as_deref(),
            Some("You can withdraw $50.00 more until Thursday.")
        );
        assert_eq!(over.submit("1234", || "k".into()), None, "and not sent");
        over.amount = "50.00".into();
        assert!(over.review("1234"), "exactly what is left goes");

        let mut restricted = flow(Speed::Standard, "20.00");
        restricted.headroom =
            Some(Headroom::of(&with_status(AccountStatus::Restricted, Some("NY")), LimitKind::Withdraw));
        assert!(restricted.review("1234"), "withdrawing still works");
        let mut frozen = flow(Speed::Standard, "20.00");
        frozen.headroom = Some(Headroom::of(&with_status(AccountStatus::Frozen, None), LimitKind::Withdraw));
        assert!(!frozen.review("1234"));
        assert_eq!(frozen.problems.limit, Some(LimitRefusal::Frozen));

        let mut raced = flow(Speed::Instant, "20.00");
        raced.submit("1234", || "k1".into());
        let details = LimitDetails {
            limit: "250.00".into(),
            used: "240.00".into(),
            remaining: "10.00".into(),
            window: Window::SevenDays,
            resets_at: None,
            tier: 0,
            next_tier: Some(1),
        };
        raced.answer(
            "k1",
            Err(ApiError { details: Some(Box::new(details)), ..refused(ErrorCode::LimitExceeded, "Over.") }),
        );
        assert_eq!(
            raced.problems.limit.as_ref().map(|r| r.sentence(0)).as_deref(),
            Some("You can withdraw $10.00 more.")
        );
        assert_eq!(raced.problems.amount, None);
    }
}
