//! The activity feed as plain state: pages appended at the end, live items merged in at the
//! top or updated in place; and how one activity is drawn (a row, a receipt): whose initial or
//! which icon stands at its start, whether it is an anonymous tip, and whether its amount counts
//! (a canceled or failed payment moved nothing: no sign, no colour, struck through), and what a
//! movement held for review says (the same words for every hold, never why). The view only
//! draws it; the rules are tested natively.

use purse_api::ops::Review;
use purse_api::{Activity, ActivityKind, ActivityPage, ActivityStatus, Direction};

use crate::text::{Limits, t};

/// A movement held for review (`review` present): its status word ("Pending review") and the
/// one generic sentence, from the app's own tables (so in the reader's language). Whatever
/// reason code came with it is never shown: both sides see the same words for every hold.
pub fn held_for_review(review: Option<&Review>) -> Option<(&'static str, &'static str)> {
    review.map(|_| (t(Limits::PendingReview), t(Limits::ReviewMessage)))
}

/// The picture at the start of a row: the other person's initial, or an icon for what happened
/// when no person is on the other side (money added, withdrawn, fees, interest, an anonymous
/// tip).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowAvatar {
    Initial(String),
    Icon(RowIcon),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowIcon {
    /// Money added from a card.
    AddMoney,
    /// Money withdrawn to a bank account or a card.
    Withdraw,
    Fee,
    Interest,
    Refund,
    /// A tip whose sender chose not to be named.
    Anonymous,
    /// Any other payment without a person on the other side; a debit card.
    Payment,
    /// A bank account.
    Bank,
}

impl RowIcon {
    /// The class the icon is drawn with (`avatar-icon-…`).
    pub fn name(self) -> &'static str {
        match self {
            RowIcon::AddMoney => "add-money",
            RowIcon::Withdraw => "withdraw",
            RowIcon::Fee => "fee",
            RowIcon::Interest => "interest",
            RowIcon::Refund => "refund",
            RowIcon::Anonymous => "anonymous",
            RowIcon::Payment => "payment",
            RowIcon::Bank => "bank",
        }
    }
}

/// A tip received from someone who chose not to be named (API.md: its creator sees no
/// counterparty).
pub fn is_anonymous_tip(activity: &Activity) -> bool {
    activity.kind == ActivityKind::Tip
        && activity.counterparty.is_none()
        && activity.direction == Direction::In
}

/// What stands at the start of `activity`'s row; `title` is the row's title (its first letter is
/// the initial).
pub fn row_avatar(activity: &Activity, title: &str) -> RowAvatar {
    let icon = match activity.kind {
        ActivityKind::Deposit => Some(RowIcon::AddMoney),
        ActivityKind::Withdrawal => Some(RowIcon::Withdraw),
        ActivityKind::Fee => Some(RowIcon::Fee),
        ActivityKind::Interest => Some(RowIcon::Interest),
        _ if activity.counterparty.is_some() => None,
        _ if is_anonymous_tip(activity) => Some(RowIcon::Anonymous),
        ActivityKind::Refund => Some(RowIcon::Refund),
        _ => Some(RowIcon::Payment),
    };
    match icon {
        Some(icon) => RowAvatar::Icon(icon),
        None => {
            RowAvatar::Initial(title.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default())
        }
    }
}

/// Whether the amount moved (or is on its way): not for a canceled or failed payment, nor one
/// that came back. Those are shown without a sign or a colour, struck through, beside their
/// status in words.
pub fn amount_counts(status: ActivityStatus) -> bool {
    matches!(status, ActivityStatus::Completed | ActivityStatus::Pending)
}

/// Where the next page stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageState {
    /// More may exist; nothing is being fetched.
    Idle,
    Loading,
    /// The last fetch failed with this message; it can be retried.
    Failed(String),
    /// Everything has been fetched.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feed {
    pub items: Vec<Activity>,
    pub next_cursor: Option<String>,
    pub state: PageState,
    /// Whether the first page has arrived (before that, show a skeleton).
    pub loaded: bool,
}

impl Default for Feed {
    fn default() -> Feed {
        Feed { items: Vec::new(), next_cursor: None, state: PageState::Idle, loaded: false }
    }
}

impl Feed {
    /// The cursor to fetch next, marking the feed as loading; `None` when nothing should be
    /// fetched (already loading, failed and not retried, or done).
    pub fn start_next(&mut self) -> Option<Option<String>> {
        match self.state {
            PageState::Idle => {
                self.state = PageState::Loading;
                Some(self.next_cursor.clone())
            }
            _ => None,
        }
    }

    /// After a failure, allows the next [`Feed::start_next`].
    pub fn retry(&mut self) {
        if matches!(self.state, PageState::Failed(_)) {
            self.state = PageState::Idle;
        }
    }

    pub fn apply_page(&mut self, page: ActivityPage) {
        for item in page.items {
            if !self.items.iter().any(|known| known.id == item.id) {
                self.items.push(item);
            }
        }
        self.state = if page.next_cursor.is_some() { PageState::Idle } else { PageState::Done };
        self.next_cursor = page.next_cursor;
        self.loaded = true;
    }

    pub fn fail(&mut self, message: String) {
        self.state = PageState::Failed(message);
    }

    /// A live activity: an update of a known item (same id) replaces it where it is; a new
    /// one goes on top. Returns whether it was new.
    pub fn merge_live(&mut self, activity: Activity) -> bool {
        match self.items.iter_mut().find(|known| known.id == activity.id) {
            Some(known) => {
                *known = activity;
                false
            }
            None => {
                self.items.insert(0, activity);
                true
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.loaded && self.items.is_empty() && self.state == PageState::Done
    }
}

#[cfg(test)]
mod tests {
    use purse_api::{ActivityKind, ActivityStatus, Currency, Direction};

    use super::*;

    #[test]
    fn a_held_movement_says_pending_review_with_the_generic_message_never_its_code() {
        assert_eq!(held_for_review(None), None);
        for code in ["manual_review", "SANCTIONS_MATCH", "LARGE_TRANSFER"] {
            let review = Review { reason_code: code.into(), message: "anything the server said".into() };
            let (badge, message) = held_for_review(Some(&review)).unwrap();
            assert_eq!(badge, "Pending review");
            assert_eq!(message, purse_api::ops::REVIEW_MESSAGE, "the app's words are the API's sentence");
            assert!(!message.contains(code) && !badge.contains(code), "{code}");
        }
    }

    fn item(id: &str, status: ActivityStatus) -> Activity {
        Activity {
            id: id.into(),
            kind: ActivityKind::Transfer,
            direction: Direction::In,
            status,
            amount: "1.00".into(),
            currency: Currency::Usd,
            fee: "0.00".into(),
            counterparty: None,
            note: None,
            created_at: "2026-11-22T10:00:00Z".into(),
            request_status: None,
            review: None,
        }
    }

    fn page(ids: &[&str], next: Option<&str>) -> ActivityPage {
        ActivityPage {
            items: ids.iter().map(|id| item(id, ActivityStatus::Completed)).collect(),
            next_cursor: next.map(str::to_string),
        }
    }

    #[test]
    fn pages_append_until_done_and_never_load_twice_at_once() {
        let mut feed = Feed::default();
        assert_eq!(feed.start_next(), Some(None));
        assert_eq!(feed.start_next(), None, "already loading");
        feed.apply_page(page(&["c", "b"], Some("k1")));
        assert_eq!(feed.start_next(), Some(Some("k1".into())));
        feed.fail("offline".into());
        assert_eq!(feed.start_next(), None, "a failure waits for a retry");
        feed.retry();
        assert_eq!(feed.start_next(), Some(Some("k1".into())));
        feed.apply_page(page(&["b", "a"], None));
        let ids: Vec<&str> = feed.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a"], "no duplicates across pages");
        assert_eq!(feed.state, PageState::Done);
        assert_eq!(feed.start_next(), None);
        assert!(!feed.is_empty());
    }

    #[test]
    fn live_items_go_on_top_and_updates_stay_in_place() {
        let mut feed = Feed::default();
        feed.apply_page(page(&["b", "a"], None));
        assert!(feed.merge_live(item("c", ActivityStatus::Pending)));
        assert!(!feed.merge_live(item("c", ActivityStatus::Canceled)));
        assert!(!feed.merge_live(item("a", ActivityStatus::Returned)));
        let view: Vec<(&str, ActivityStatus)> =
            feed.items.iter().map(|i| (i.id.as_str(), i.status)).collect();
        assert_eq!(
            view,
            [
                ("c", ActivityStatus::Canceled),
                ("b", ActivityStatus::Completed),
                ("a", ActivityStatus::Returned)
            ]
        );
    }

    #[test]
    fn people_get_their_initial_and_everything_else_an_icon() {
        use purse_api::{Counterparty, Handle};
        let bob = || Some(Counterparty { handle: Handle::parse("bob").unwrap(), display_name: "bob".into() });
        let of = |kind: ActivityKind, direction: Direction, counterparty: Option<Counterparty>| Activity {
            kind,
            direction,
            counterparty,
            ..item("x", ActivityStatus::Completed)
        };
        assert_eq!(
            row_avatar(&of(ActivityKind::Transfer, Direction::In, bob()), "bob"),
            RowAvatar::Initial("B".into())
        );
        assert_eq!(
            row_avatar(&of(ActivityKind::Tip, Direction::Out, bob()), "bob"),
            RowAvatar::Initial("B".into())
        );
        for (kind, direction, icon) in [
            (ActivityKind::Deposit, Direction::In, RowIcon::AddMoney),
            (ActivityKind::Withdrawal, Direction::Out, RowIcon::Withdraw),
            (ActivityKind::Fee, Direction::Out, RowIcon::Fee),
            (ActivityKind::Interest, Direction::In, RowIcon::Interest),
            (ActivityKind::Refund, Direction::In, RowIcon::Refund),
            (ActivityKind::Tip, Direction::In, RowIcon::Anonymous),
            (ActivityKind::Checkout, Direction::Out, RowIcon::Payment),
        ] {
            assert_eq!(row_avatar(&of(kind, direction, None), "M"), RowAvatar::Icon(icon), "{kind:?}");
        }
        // Money added or withdrawn is never a person's letter, even with someone named.
        assert_eq!(
            row_avatar(&of(ActivityKind::Deposit, Direction::In, bob()), "bob"),
            RowAvatar::Icon(RowIcon::AddMoney)
        );

        assert!(is_anonymous_tip(&of(ActivityKind::Tip, Direction::In, None)));
        assert!(!is_anonymous_tip(&of(ActivityKind::Tip, Direction::In, bob())));
        assert!(!is_anonymous_tip(&of(ActivityKind::Transfer, Direction::In, None)));
    }

    #[test]
    fn a_canceled_or_failed_amount_does_not_count() {
        assert!(amount_counts(ActivityStatus::Completed));
        assert!(amount_counts(ActivityStatus::Pending));
        assert!(!amount_counts(ActivityStatus::Canceled));
        assert!(!amount_counts(ActivityStatus::Failed));
        assert!(!amount_counts(ActivityStatus::Returned));
    }

    #[test]
    fn empty_means_loaded_and_nothing_there() {
        let mut feed = Feed::default();
        assert!(!feed.is_empty(), "not before the first page");
        feed.start_next();
        feed.apply_page(page(&[], None));
        assert!(feed.is_empty());
    }
}
