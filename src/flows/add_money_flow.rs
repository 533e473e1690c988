//! Adding money from a linked card: which card, how much (API.md's amount rule), the body of
//! `POST /deposits` with one idempotency key per attempt, and what its answer turns the page
//! into: the money added (and the new balance, read after), or why not in plain words.
//!
//! An attempt whose fate is unknown (no answer, a server failure) is kept as it was sent: the
//! retry sends the same body under the same key, so it cannot add the money twice, and the
//! form cannot be edited until the retry settles it. An amount over what is left of the deposit
//! limit is refused before the review ([`crate::flows::limit_guard`]), and so is anything for a
//! person whose status stops it.

use purse_api::compliance::LimitKind;
use purse_api::{Amount, AmountText, Card, Currency, Deposit, DepositStatus, ErrorCode, NewDeposit};

use crate::api_client::ApiError;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{Headroom, LimitRefusal};
use crate::flows::review::{Party, Review};
use crate::format::{self, card_label};
use crate::text::{Funding, Text, t};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Form,
    /// The review: what will happen, before it does ([`AddMoneyFlow::summary`]).
    Review,
    /// `POST /deposits` is on its way.
    Adding,
    /// Done: the deposit, the card it came from, and the wallet's balance once read.
    Added {
        deposit: Deposit,
        card: String,
        balance: Option<String>,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    pub amount: Option<String>,
    /// Above the button: declined, the server unreachable.
    pub form: Option<String>,
    /// Over the deposit limit, or the account's status stops it: the limit note says it.
    pub limit: Option<LimitRefusal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddMoneyFlow {
    pub cards: Vec<Card>,
    /// The card the money comes from.
    pub card_id: Option<String>,
    pub amount: String,
    pub step: Step,
    pub problems: Problems,
    /// The attempts at `POST /deposits`: the last one's key, and its body while in doubt.
    pub attempt: Attempt<NewDeposit>,
    /// The deposit limit and the person's status, once read (`None`: the server decides).
    pub headroom: Option<Headroom>,
}

impl AddMoneyFlow {
    /// The page for these linked cards, the first chosen.
    pub fn new(cards: Vec<Card>) -> AddMoneyFlow {
        let card_id = cards.first().map(|card| card.id.clone());
        AddMoneyFlow {
            cards,
            card_id,
            amount: String::new(),
            step: Step::Form,
            problems: Problems::default(),
            attempt: Attempt::default(),
            headroom: None,
        }
    }

    /// Why `amount` cannot be added: over what is left of the limit, or the account's status.
    fn limit_refusal(&self, amount: Amount) -> Option<LimitRefusal> {
        self.headroom.as_ref().and_then(|h| h.check(amount.to_minor()))
    }

    /// A card just linked: listed, and chosen.
    pub fn card_added(&mut self, card: Card) {
        if !self.attempt.in_doubt() {
            self.card_id = Some(card.id.clone());
        }
        self.cards.retain(|c| c.id != card.id);
        self.cards.push(card);
    }

    pub fn card(&self) -> Option<&Card> {
        self.card_id.as_ref().and_then(|id| self.cards.iter().find(|card| &card.id == id))
    }

    /// The amount as typed, by API.md's rule.
    pub fn amount(&self) -> Result<Amount, &'static str> {
        Amount::parse(self.amount.trim(), "USD").map_err(|_| t(Text::AmountFormat))
    }

    /// The button says what it will do: `Add $50.00` (`Add money` until the amount is one).
    pub fn button_label(&self) -> String {
        match self.amount() {
            Ok(amount) => format!(
                "{} {}",
                t(Funding::AddVerb),
                format::money(&amount.money().amount_string(), amount.currency())
            ),
            Err(_) => t(Text::NavAddMoney).to_string(),
        }
    }

    /// Whether what was typed may change: not while an attempt is on its way or in doubt.
    pub fn can_edit(&self) -> bool {
        self.step == Step::Form && !self.attempt.in_doubt()
    }

    /// The review of what is typed, once it holds: to the Purse balance (what it holds now,
    /// `available`, and after), from the card, free, right away.
    pub fn summary(&self, available: Option<&str>) -> Option<Review> {
        let amount = self.amount().ok()?;
        let card = self.card()?;
        Some(Review::add_money(Party::named(card_label(card)), amount, available))
    }

    /// "Review": to the review when the form holds, the problem on its field otherwise. While an
    /// attempt is in doubt, straight back to its review: the confirm retries it as it was.
    pub fn review(&mut self) -> bool {
        if self.step != Step::Form {
            return false;
        }
        self.problems = Problems::default();
        if !self.attempt.in_doubt() {
            let amount = match self.amount() {
                Ok(amount) => amount,
                Err(problem) => {
                    self.problems.amount = Some(problem.to_string());
                    return false;
                }
            };
            if let Some(refusal) = self.limit_refusal(amount) {
                self.problems.limit = Some(refusal);
                return false;
            }
            if self.card().is_none() {
                self.problems.form = Some(t(Funding::ChooseCard).to_string());
                return false;
            }
        }
        self.step = Step::Review;
        true
    }

    /// "Edit": back to the form, what was typed kept (not while an attempt is in doubt).
    pub fn edit(&mut self) {
        if self.step == Step::Review && !self.attempt.in_doubt() {
            self.problems = Problems::default();
            self.step = Step::Form;
        }
    }

    /// The review's "Add $50.00" (or the form's, for a page without the review step): the body
    /// of `POST /deposits` and its key, the page now adding; `None` (with the
    /// problems on their fields) when the form does not hold, or while an attempt is on its way.
    pub fn submit(&mut self, new_key: impl FnOnce() -> String) -> Option<(NewDeposit, String)> {
        if !matches!(self.step, Step::Form | Step::Review) {
            return None;
        }
        self.problems = Problems::default();
        if let Some(retry) = self.attempt.retry() {
            self.step = Step::Adding;
            return Some(retry);
        }
        let amount = match self.amount() {
            Ok(amount) => amount,
            Err(problem) => {
                self.problems.amount = Some(problem.to_string());
                self.step = Step::Form;
                return None;
            }
        };
        if let Some(refusal) = self.limit_refusal(amount) {
            self.problems.limit = Some(refusal);
            self.step = Step::Form;
            return None;
        }
        let Some(card) = self.card() else {
            self.problems.form = Some(t(Funding::ChooseCard).to_string());
            self.step = Step::Form;
            return None;
        };
        let request = NewDeposit {
            card_id: card.id.clone(),
            amount: AmountText::Text(amount.money().amount_string()),
            currency: amount.currency().code().to_string(),
        };
        self.step = Step::Adding;
        Some(self.attempt.start(request, new_key))
    }

    /// Turns the answer to the attempt with `key` into the next step (an answer to an older
    /// attempt changes nothing).
    pub fn answer(&mut self, key: &str, answer: Result<Deposit, ApiError>) {
        if !self.attempt.is_current(key) || self.step != Step::Adding {
            return;
        }
        self.step = Step::Form;
        self.attempt.answered(&answer);
        let error = match answer {
            Ok(deposit) if deposit.status == DepositStatus::Completed => {
                let card = self.card().map(card_label).unwrap_or_default();
                self.step = Step::Added { deposit, card, balance: None };
                return;
            }
            // The card network said no: final, nothing moved; the next attempt is a new one.
            Ok(deposit) => {
                self.problems.form = Some(failure_text(deposit.failure_code).to_string());
                return;
            }
            Err(error) => error,
        };
        if self.attempt.in_doubt() {
            // Back to the review: its confirm retries the same deposit under the same key.
            self.problems.form = Some(format!("{} {}", error.message, t(Funding::DepositRetrySafe)));
            self.step = Step::Review;
            return;
        }
        let state = self.headroom.as_ref().and_then(|h| h.state.clone());
        if let Some(refusal) = LimitRefusal::from_error(&error, LimitKind::Deposit, state.as_deref()) {
            self.problems.limit = Some(refusal);
            return;
        }
        match (error.code, error.field.as_deref()) {
            (Some(ErrorCode::CardDeclined | ErrorCode::CardExpired), _) => {
                self.problems.form = Some(failure_text(error.code).to_string());
            }
            (Some(ErrorCode::LimitExceeded), _) | (_, Some("amount")) => {
                self.problems.amount = Some(format!("{} {}", error.message, t(Text::NoMoneyMoved)));
            }
            _ => self.problems.form = Some(format!("{} {}", error.message, t(Text::NoMoneyMoved))),
        }
    }

    /// The wallet's balance, read after the money was added.
    pub fn balance_read(&mut self, available: String) {
        if let Step::Added { balance, .. } = &mut self.step {
            *balance = Some(available);
        }
    }

    /// "Add more": the form again, empty.
    pub fn again(&mut self) {
        if matches!(self.step, Step::Added { .. }) {
            self.amount.clear();
            self.problems = Problems::default();
            self.step = Step::Form;
        }
    }

    /// What the done screen says: `$50.00 from Visa •• 4242 is in your wallet.`
    pub fn added_text(&self) -> Option<String> {
        let Step::Added { deposit, card, .. } = &self.step else { return None };
        let money = format::money(&deposit.amount, deposit.currency);
        Some(format!("{money} {} {card} {}", t(Text::From), t(Funding::AddedInWallet)))
    }

    /// The new balance, once read: `Your balance is $150.00.`
    pub fn balance_text(&self) -> Option<String> {
        let Step::Added { balance: Some(balance), .. } = &self.step else { return None };
        Some(format!("{} {}.", t(Funding::BalanceNow), format::money(balance, Currency::Usd)))
    }
}

/// Why a deposit did not go through, in plain words (a decline never says more: the card
/// network does not tell why).
pub fn failure_text(code: Option<ErrorCode>) -> &'static str {
    match code {
        Some(ErrorCode::CardExpired) => t(Funding::DepositCardExpired),
        Some(ErrorCode::CardDeclined) => t(Funding::DepositDeclined),
        _ => t(Funding::DepositFailed),
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::flows::test_card::visa;

    fn deposit(status: DepositStatus, failure_code: Option<ErrorCode>) -> Deposit {
        Deposit { id: "dep_1".into(), status, failure_code, amount: "50.00".into(), currency: Currency::Usd }
    }

    fn flow(amount: &str) -> AddMoneyFlow {
        let mut flow = AddMoneyFlow::new(vec![visa()]);
        flow.amount = amount.into();
        flow
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
    fn the_review_says_the_balance_after_from_which_card_and_edit_keeps_the_amount() {
        let mut flow = flow("25");
        assert!(flow.review());
        let review = flow.summary(Some("0.00")).unwrap();
        let lines: Vec<String> = review.lines.iter().map(crate::flows::review::Line::text).collect();
        assert_eq!(
            lines,
            [
                "To: Purse balance · $0.00 now, $25.00 after",
                "From: Visa •• 4242",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · Added money stays in your wallet until you send or withdraw it",
            ]
        );
        assert_eq!((review.amount.as_str(), review.confirm.as_str()), ("$25.00", "Add $25.00"));
        flow.edit();
        assert_eq!((flow.step.clone(), flow.amount.as_str()), (Step::Form, "25"));
        let mut bad = self::flow("0");
        assert!(!bad.review(), "refused before the review");
        assert_eq!(bad.problems.amount.as_deref(), Some(t(Text::AmountFormat)));
    }

    #[test]
    fn the_button_says_how_much_it_adds() {
        assert_eq!(flow("50").button_label(), "Add $50.00");
        assert_eq!(flow(" 1234.5 ").button_label(), "Add $1,234.50");
        for bad in ["", "0", "1.001", "abc", "10000.01"] {
            assert_eq!(flow(bad).button_label(), t(Text::NavAddMoney), "{bad:?}");
        }
    }

    #[test]
    fn adding_sends_the_card_and_amount_under_a_fresh_key_and_shows_the_balance_after() {
        let mut flow = flow("50");
        let (request, key) = flow.submit(|| "k1".into()).unwrap_or_else(|| unreachable!());
        assert_eq!(
            request,
            NewDeposit {
                card_id: "card_1".into(),
                amount: AmountText::Text("50.00".into()),
                currency: "USD".into()
            }
        );
        assert_eq!((key.as_str(), &flow.step), ("k1", &Step::Adding));
        assert_eq!(flow.submit(|| "k2".into()), None, "a second click adds nothing");
        flow.answer("k1", Ok(deposit(DepositStatus::Completed, None)));
        assert_eq!(flow.added_text().as_deref(), Some("$50.00 from Visa •• 4242 is in your wallet."));
        assert_eq!(flow.balance_text(), None);
        flow.balance_read("150.00".into());
        assert_eq!(flow.balance_text().as_deref(), Some("Your balance is $150.00."));
        flow.again();
        assert_eq!((flow.step.clone(), flow.amount.as_str()), (Step::Form, ""));
    }

    #[test]
    fn a_bad_amount_or_no_card_is_refused_before_anything_is_sent() {
        let mut bad = flow("1.001");
        assert_eq!(bad.submit(|| "k".into()), None);
        assert_eq!(bad.problems.amount.as_deref(), Some(t(Text::AmountFormat)));
        let mut no_card = AddMoneyFlow::new(Vec::new());
        no_card.amount = "5".into();
        assert_eq!(no_card.submit(|| "k".into()), None);
        assert_eq!(no_card.problems.form.as_deref(), Some(t(Funding::ChooseCard)));
        no_card.card_added(visa());
        assert!(no_card.submit(|| "k".into()).is_some(), "a card just linked is chosen");
    }

    #[test]
    fn a_declined_card_says_so_plainly_and_the_next_attempt_is_new() {
        let mut flow = flow("50");
        flow.submit(|| "k1".into());
        flow.answer("k1", Ok(deposit(DepositStatus::Failed, Some(ErrorCode::CardDeclined))));
        assert_eq!(flow.step, Step::Form);
        assert_eq!(flow.problems.form.as_deref(), Some(t(Funding::DepositDeclined)));
        assert!(flow.can_edit());
        assert_eq!(flow.submit(|| "k2".into()).map(|(_, key)| key).as_deref(), Some("k2"));
        // Declined as an error answer instead: the same words.
        flow.answer("k2", Err(refused(ErrorCode::CardDeclined, "Declined.")));
        assert_eq!(flow.problems.form.as_deref(), Some(t(Funding::DepositDeclined)));
    }

    #[test]
    fn the_daily_cap_is_shown_on_the_amount_with_what_is_left() {
        let mut flow = flow("3000");
        flow.submit(|| "k1".into());
        flow.answer("k1", Err(refused(ErrorCode::LimitExceeded, "You can add $2,500.00 more today.")));
        assert_eq!(
            flow.problems.amount.as_deref(),
            Some("You can add $2,500.00 more today. No money has moved.")
        );
    }

    #[test]
    fn an_attempt_in_doubt_is_retried_as_it_was_and_cannot_be_edited_meanwhile() {
        let mut flow = flow("50");
        let (first, _) = flow.submit(|| "k1".into()).unwrap_or_else(|| unreachable!());
        flow.answer("k1", Err(ApiError::network()));
        assert!(!flow.can_edit());
        assert!(flow.problems.form.as_deref().is_some_and(|p| p.ends_with(t(Funding::DepositRetrySafe))));
        flow.amount = "70".into();
        let retry = flow.submit(|| "k2".into());
        assert_eq!(retry, Some((first, "k1".into())), "same body, same key");
        flow.answer("old", Ok(deposit(DepositStatus::Completed, None)));
        assert_eq!(flow.step, Step::Adding, "an older answer changes nothing");
        flow.answer("k1", Ok(deposit(DepositStatus::Completed, None)));
        assert!(matches!(flow.step, Step::Added { .. }));
        assert!(!flow.attempt.in_doubt());
    }

    #[test]
    fn adding_more_than_the_deposit_limit_allows_is_refused_before_the_review() {
        use crate::flows::limit_guard::test_compliance::{MONDAY_MS, tier_0, with_status};
        use purse_api::compliance::{AccountStatus, LimitDetails, Window};
        let mut over = flow("400.01");
        over.headroom = Some(Headroom::of(&tier_0(), LimitKind::Deposit));
        assert!(!over.review());
        assert_eq!(
            over.problems.limit.as_ref().map(|r| r.sentence(MONDAY_MS)).as_deref(),
            Some("You can add $400.00 more until tomorrow.")
        );
        assert_eq!(over.submit(|| "k".into()), None, "and not sent");
        over.amount = "400.00".into();
        assert!(over.review(), "exactly what is left goes");

        let mut restricted = flow("5.00");
        restricted.headroom =
            Some(Headroom::of(&with_status(AccountStatus::Restricted, Some("NY")), LimitKind::Deposit));
        assert!(!restricted.review());
        assert_eq!(restricted.problems.limit.as_ref().map(LimitRefusal::name), Some("restricted"));

        let mut raced = flow("50.00");
        raced.submit(|| "k1".into());
        let details = LimitDetails {
            limit: "500.00".into(),
            used: "480.00".into(),
            remaining: "20.00".into(),
            window: Window::Day,
            resets_at: None,
            tier: 0,
            next_tier: Some(1),
        };
        let refusal = ApiError {
            status: Some(422),
            code: Some(ErrorCode::LimitExceeded),
            message: "Over.".into(),
            field: Some("amount".into()),
            details: Some(Box::new(details)),
        };
        raced.answer("k1", Err(refusal));
        assert_eq!(
            raced.problems.limit.as_ref().map(|r| r.sentence(0)).as_deref(),
            Some("You can add $20.00 more.")
        );
        assert_eq!(raced.step, Step::Form);
    }
}
