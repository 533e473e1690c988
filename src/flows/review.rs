//! The review every money flow shows before money moves (send, pay a request, tip, checkout,
//! withdraw, add money), as plain data tested natively: the amount, then one line each for who
//! receives it, where it comes from (the Purse balance and the balance after), the fee, when it
//! arrives and whether it can be canceled, and a confirm button that names the action and the
//! amount ("Send $12.50"). [`crate::components::review_summary::ReviewSummary`] draws a [`Review`]; each
//! flow builds its own with one of the constructors below, so the six reviews say the same
//! things the same way.
//!
//! Also the one rule for what cannot be afforded ([`shortfall`]): refused before the review,
//! with the way to add the difference one tap away.

use purse_api::{Amount, Currency, Money};

use crate::format::{self, usd_minor};
use crate::text::{ReviewText, t};

/// Someone money goes to (or comes from), as a person row shows them: a name, and the @handle
/// that says who it really is (names are not unique). Merchants, cards and bank accounts have
/// no handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    /// Without the `@`.
    pub handle: Option<String>,
}

impl Party {
    pub fn person(name: impl Into<String>, handle: impl Into<String>) -> Party {
        Party { name: name.into(), handle: Some(handle.into()) }
    }

    pub fn named(name: impl Into<String>) -> Party {
        Party { name: name.into(), handle: None }
    }

    /// The letter the avatar shows.
    pub fn initial(&self) -> String {
        self.name.chars().next().unwrap_or('?').to_uppercase().to_string()
    }
}

/// Which line of the review: also its `data-line`, for styles and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    To,
    From,
    Fee,
    Arrival,
    Cancel,
}

impl LineKind {
    pub fn name(self) -> &'static str {
        match self {
            LineKind::To => "to",
            LineKind::From => "from",
            LineKind::Fee => "fee",
            LineKind::Arrival => "arrival",
            LineKind::Cancel => "cancel",
        }
    }
}

/// One line: a label, then who (a party) or what (a value), and a detail under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub label: &'static str,
    pub party: Option<Party>,
    pub value: String,
    pub detail: Option<String>,
}

impl Line {
    fn party(kind: LineKind, label: &'static str, party: Party, detail: Option<String>) -> Line {
        Line { kind, label, value: party.name.clone(), party: Some(party), detail }
    }

    fn value(kind: LineKind, label: &'static str, value: impl Into<String>, detail: Option<String>) -> Line {
        Line { kind, label, party: None, value: value.into(), detail }
    }

    /// The line as one sentence-ish string: what a test (or a screen reader) reads.
    pub fn text(&self) -> String {
        let who = match &self.party {
            Some(Party { name, handle: Some(handle) }) => format!("{name} @{handle}"),
            _ => self.value.clone(),
        };
        match &self.detail {
            Some(detail) => format!("{}: {who} · {detail}", self.label),
            None => format!("{}: {who}", self.label),
        }
    }
}

/// What a review shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// The amount, large: `$20.00`.
    pub amount: String,
    pub lines: Vec<Line>,
    /// The confirm button: `Pay $20.00`.
    pub confirm: String,
}

/// What the wallet can spend, as the server wrote it, in cents (`None` when unread or unreadable).
fn minor(written: Option<&str>) -> Option<i64> {
    written.and_then(|a| Money::parse_written(a, Currency::Usd).ok()).map(|m| m.to_minor())
}

fn money_of(amount: Amount) -> String {
    format::money(&amount.money().amount_string(), Currency::Usd)
}

/// "From: Purse balance · $548.00 now, $528.00 after" (or "$548.00 now" when it would go below
/// zero, which [`shortfall`] refuses before the review anyway; nothing when unread).
fn from_balance(available: Option<&str>, total_minor: i64) -> Line {
    let detail = minor(available).map(|now| match now.checked_sub(total_minor).filter(|after| *after >= 0) {
        Some(after) => format!(
            "{} {}, {} {}",
            usd_minor(now),
            t(ReviewText::Now),
            usd_minor(after),
            t(ReviewText::After)
        ),
        None => format!("{} {}", usd_minor(now), t(ReviewText::Now)),
    });
    Line::value(LineKind::From, t(ReviewText::From), t(ReviewText::PurseBalance), detail)
}

fn free() -> Line {
    Line::value(LineKind::Fee, t(ReviewText::Fee), t(ReviewText::Free), None)
}

fn right_away() -> Line {
    Line::value(LineKind::Arrival, t(ReviewText::Arrives), t(ReviewText::RightAway), None)
}

fn cancel(value: &'static str, detail: Option<String>) -> Line {
    Line::value(LineKind::Cancel, t(ReviewText::CanCancel), value, detail)
}

fn confirm(verb: ReviewText, amount: &str) -> String {
    format!("{} {amount}", t(verb))
}

/// "10 minutes", "1 minute", "45 seconds".
pub fn window_words(seconds: u32) -> String {
    match seconds {
        s if s % 60 == 0 && s >= 120 => format!("{} {}", s / 60, t(ReviewText::Minutes)),
        60 => t(ReviewText::OneMinute).to_string(),
        s => format!("{s} {}", t(ReviewText::Seconds)),
    }
}

impl Review {
    /// Sending to a person: free, right away, and cancelable for a while when it is the first
    /// payment to them (the server's grace window, from their profile).
    pub fn send(to: Party, amount: Amount, available: Option<&str>, window_seconds: Option<u32>) -> Review {
        let money = money_of(amount);
        let handle = to.handle.clone().unwrap_or_default();
        let cancel_line = match window_seconds {
            Some(seconds) => cancel(
                t(ReviewText::Yes),
                Some(format!(
                    "{} {}, {} @{handle}",
                    t(ReviewText::For),
                    window_words(seconds),
                    t(ReviewText::FirstPaymentTo)
                )),
            ),
            None => cancel(t(ReviewText::No), Some(t(ReviewText::SentAtOnce).to_string())),
        };
        Review {
            lines: vec![
                Line::party(LineKind::To, t(ReviewText::To), to, None),
                from_balance(available, amount.to_minor()),
                free(),
                right_away(),
                cancel_line,
            ],
            confirm: confirm(ReviewText::SendVerb, &money),
            amount: money,
        }
    }

    /// Paying a request someone made: to them, right away, final.
    pub fn pay_request(to: Party, amount: Amount, available: Option<&str>) -> Review {
        let money = money_of(amount);
        Review {
            lines: vec![
                Line::party(LineKind::To, t(ReviewText::To), to, Some(t(ReviewText::TheyAsked).to_string())),
                from_balance(available, amount.to_minor()),
                free(),
                right_away(),
                cancel(t(ReviewText::No), Some(t(ReviewText::PaidAtOnce).to_string())),
            ],
            confirm: confirm(ReviewText::PayVerb, &money),
            amount: money,
        }
    }

    /// Tipping a creator: who will see it from whom, right away, final.
    pub fn tip(creator: Party, amount: Amount, available: Option<&str>, anonymous: bool) -> Review {
        let money = money_of(amount);
        let seen = if anonymous { ReviewText::TipAnonymous } else { ReviewText::TipNamed };
        Review {
            lines: vec![
                Line::party(LineKind::To, t(ReviewText::To), creator, Some(t(seen).to_string())),
                from_balance(available, amount.to_minor()),
                free(),
                right_away(),
                cancel(t(ReviewText::No), Some(t(ReviewText::TipsFinal).to_string())),
            ],
            confirm: confirm(ReviewText::TipVerb, &money),
            amount: money,
        }
    }

    /// Paying a merchant's checkout: right away; a refund is the merchant's to give.
    pub fn checkout(merchant: Party, amount: Amount, available: Option<&str>) -> Review {
        let money = money_of(amount);
        Review {
            lines: vec![
                Line::party(LineKind::To, t(ReviewText::To), merchant, None),
                from_balance(available, amount.to_minor()),
                free(),
                right_away(),
                cancel(t(ReviewText::No), Some(t(ReviewText::MerchantRefunds).to_string())),
            ],
            confirm: confirm(ReviewText::PayVerb, &money),
            amount: money,
        }
    }

    /// Cashing out to `destination` (`Sandbox Bank •• 6789`): the fee and the total that leaves
    /// the wallet, and when it arrives (instantly, or by the quoted time; `arrives_by` already
    /// written for people). Once sent it cannot be canceled: it is on the rail.
    pub fn withdraw(
        destination: Party,
        amount: Amount,
        fee_minor: i64,
        available: Option<&str>,
        arrives_by: Option<&str>,
        instant: bool,
    ) -> Review {
        let money = money_of(amount);
        let total_minor = amount.to_minor().saturating_add(fee_minor);
        let fee = if fee_minor == 0 {
            free()
        } else {
            Line::value(
                LineKind::Fee,
                t(ReviewText::Fee),
                usd_minor(fee_minor),
                Some(format!("{} {}", usd_minor(total_minor), t(ReviewText::LeavesWallet))),
            )
        };
        let arrival = match (instant, arrives_by) {
            (true, _) => t(ReviewText::Instantly).to_string(),
            (false, Some(by)) => format!("{} {by}", t(ReviewText::By)),
            (false, None) => t(ReviewText::BankDays).to_string(),
        };
        let cancel_detail = if instant { ReviewText::InstantFinal } else { ReviewText::BankFinal };
        Review {
            lines: vec![
                Line::party(LineKind::To, t(ReviewText::To), destination, None),
                from_balance(available, total_minor),
                fee,
                Line::value(LineKind::Arrival, t(ReviewText::Arrives), arrival, None),
                cancel(t(ReviewText::No), Some(t(cancel_detail).to_string())),
            ],
            confirm: confirm(ReviewText::WithdrawVerb, &money),
            amount: money,
        }
    }

    /// Adding money from `card` (`Visa •• 4242`) to the Purse balance, with the balance after.
    pub fn add_money(card: Party, amount: Amount, available: Option<&str>) -> Review {
        let money = money_of(amount);
        let detail = minor(available).map(|now| {
            let after = now.saturating_add(amount.to_minor());
            format!(
                "{} {}, {} {}",
                usd_minor(now),
                t(ReviewText::Now),
                usd_minor(after),
                t(ReviewText::After)
            )
        });
        Review {
            lines: vec![
                Line::value(LineKind::To, t(ReviewText::To), t(ReviewText::PurseBalance), detail),
                Line::party(LineKind::From, t(ReviewText::From), card, None),
                free(),
                right_away(),
                cancel(t(ReviewText::No), Some(t(ReviewText::AddFinal).to_string())),
            ],
            confirm: confirm(ReviewText::AddVerb, &money),
            amount: money,
        }
    }

    /// The line of a kind.
    pub fn line(&self, kind: LineKind) -> Option<&Line> {
        self.lines.iter().find(|line| line.kind == kind)
    }

    /// What screen readers hear when the review appears: `Review: Send $12.50 to Bob Okafor`.
    pub fn announcement(&self) -> String {
        let to = self.line(LineKind::To).map(|line| line.value.clone()).unwrap_or_default();
        format!("{}: {} {} {to}", t(ReviewText::Title), self.confirm, t(ReviewText::ToWord))
    }
}

/// What cannot be afforded: what the wallet has, what is missing, and where to add it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub available_minor: i64,
    pub missing_minor: i64,
}

impl Shortfall {
    /// "You have $548.00 — add $352.00?"
    pub fn message(&self) -> String {
        format!(
            "{} {} — {} {}?",
            t(ReviewText::YouHave),
            usd_minor(self.available_minor),
            t(ReviewText::AddLower),
            usd_minor(self.missing_minor)
        )
    }

    /// Add money, carrying what is missing: `/add-money?amount=352.00`.
    pub fn add_money_href(&self) -> String {
        format!("/add-money?amount={}", Money::from_minor(self.missing_minor, Currency::Usd).amount_string())
    }
}

/// `total_minor` (what would leave the wallet) against what it can spend (as the server wrote
/// it): `None` when it fits, or when the balance is not known (the server decides then).
pub fn shortfall(total_minor: i64, available: Option<&str>) -> Option<Shortfall> {
    let available_minor = minor(available)?;
    let missing_minor = total_minor.checked_sub(available_minor)?;
    (missing_minor > 0).then_some(Shortfall { available_minor, missing_minor })
}

/// What Decline asks before it declines: "Decline Bob Okafor's request for $12.00?"
pub fn decline_question(name: &str, amount: &str) -> String {
    format!("{} {name}{} {amount}?", t(ReviewText::DeclineAsk), t(ReviewText::RequestForWord))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Amount {
        Amount::parse(text, "USD").unwrap()
    }

    /// Each line as the person reads it, then the amount and the button.
    fn check(review: Review, amount: &str, lines: [&str; 5], confirm: &str) {
        let read: Vec<String> = review.lines.iter().map(Line::text).collect();
        assert_eq!(read, lines);
        let kinds: Vec<&str> = review.lines.iter().map(|l| l.kind.name()).collect();
        assert_eq!(kinds, ["to", "from", "fee", "arrival", "cancel"], "the same order in every review");
        assert_eq!((review.amount.as_str(), review.confirm.as_str()), (amount, confirm));
    }

    #[test]
    fn a_send_review_names_the_person_the_balance_after_and_the_grace_window() {
        check(
            Review::send(Party::person("Bob Okafor", "bob"), usd("12.50"), Some("548.00"), Some(600)),
            "$12.50",
            [
                "To: Bob Okafor @bob",
                "From: Purse balance · $548.00 now, $535.50 after",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: Yes · for 10 minutes, because it's your first payment to @bob",
            ],
            "Send $12.50",
        );
        let again = Review::send(Party::person("Bob Okafor", "bob"), usd("12.50"), None, None);
        assert_eq!(
            again.lines[1].text(),
            "From: Purse balance",
            "an unread balance says nothing it does not know"
        );
        assert_eq!(again.lines[4].text(), "Can be canceled: No · It's sent at once");
        assert_eq!(again.announcement(), "Review: Send $12.50 to Bob Okafor");
        assert_eq!(window_words(60), "1 minute");
        assert_eq!(window_words(45), "45 seconds");
    }

    #[test]
    fn paying_a_request_says_who_asked_and_what_is_left() {
        check(
            Review::pay_request(Party::person("Bob Okafor", "bob"), usd("20.00"), Some("500.00")),
            "$20.00",
            [
                "To: Bob Okafor @bob · They asked you for this",
                "From: Purse balance · $500.00 now, $480.00 after",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · A paid request can't be undone",
            ],
            "Pay $20.00",
        );
    }

    #[test]
    fn declining_asks_once_naming_the_person_and_the_amount() {
        assert_eq!(decline_question("Bob", "$12.00"), "Decline Bob's request for $12.00?");
    }

    #[test]
    fn a_tip_review_says_who_will_see_it() {
        check(
            Review::tip(Party::person("Lina Haddad", "lina"), usd("2"), Some("5.00"), false),
            "$2.00",
            [
                "To: Lina Haddad @lina · They'll see it's from you",
                "From: Purse balance · $5.00 now, $3.00 after",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · Tips can't be undone",
            ],
            "Tip $2.00",
        );
        let anonymous = Review::tip(Party::person("Lina Haddad", "lina"), usd("2"), None, true);
        assert_eq!(anonymous.lines[0].text(), "To: Lina Haddad @lina · They won't see who sent it");
    }

    #[test]
    fn a_checkout_review_names_the_merchant() {
        check(
            Review::checkout(Party::named("Souq Books"), usd("12.50"), Some("500.00")),
            "$12.50",
            [
                "To: Souq Books",
                "From: Purse balance · $500.00 now, $487.50 after",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · A refund is the merchant's to give",
            ],
            "Pay $12.50",
        );
    }

    #[test]
    fn a_withdrawal_review_counts_the_fee_in_what_leaves_and_says_when_it_arrives() {
        check(
            Review::withdraw(Party::named("Visa •• 4242"), usd("40.00"), 50, Some("100.00"), None, true),
            "$40.00",
            [
                "To: Visa •• 4242",
                "From: Purse balance · $100.00 now, $59.50 after",
                "Fee: $0.50 · $40.50 leaves your wallet",
                "Arrives: Instantly",
                "Can be canceled: No · Instant withdrawals arrive at once",
            ],
            "Withdraw $40.00",
        );
        let standard = Review::withdraw(
            Party::named("Sandbox Bank •• 6789"),
            usd("40.00"),
            0,
            Some("100.00"),
            Some("Nov 22, 14:05"),
            false,
        );
        let read: Vec<String> = standard.lines.iter().map(Line::text).collect();
        assert_eq!(
            read[1..],
            [
                "From: Purse balance · $100.00 now, $60.00 after",
                "Fee: Free",
                "Arrives: By Nov 22, 14:05",
                "Can be canceled: No · Once it's with the bank it can't be called back; if the bank returns it, the money comes back here"
            ]
        );
        let unquoted = Review::withdraw(Party::named("Sandbox Bank •• 6789"), usd("1"), 0, None, None, false);
        assert_eq!(unquoted.lines[3].text(), "Arrives: In 1–3 business days");
    }

    #[test]
    fn an_add_money_review_shows_the_balance_after_on_the_to_line() {
        check(
            Review::add_money(Party::named("Visa •• 4242"), usd("25"), Some("0.00")),
            "$25.00",
            [
                "To: Purse balance · $0.00 now, $25.00 after",
                "From: Visa •• 4242",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · Added money stays in your wallet until you send or withdraw it",
            ],
            "Add $25.00",
        );
    }

    #[test]
    fn what_cannot_be_afforded_is_refused_with_the_difference_to_add() {
        let short = shortfall(90_000, Some("548.00")).unwrap();
        assert_eq!(short.message(), "You have $548.00 — add $352.00?");
        assert_eq!(short.add_money_href(), "/add-money?amount=352.00");
        assert_eq!(shortfall(54_800, Some("548.00")), None, "exactly the balance fits");
        assert_eq!(shortfall(1, None), None, "an unread balance refuses nothing: the server decides");
        let empty = shortfall(200, Some("0.00")).unwrap();
        assert_eq!(empty.message(), "You have $0.00 — add $2.00?");
    }
}
