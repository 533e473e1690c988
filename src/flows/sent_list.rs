//! The request page's "Sent requests" as plain state: the person's outgoing requests with their
//! status, kept current by the live stream's `request` events, and Cancel on an open one, which
//! asks once before it sends (`components::sent_requests` draws it).

use purse_api::{Handle, MoneyRequest, RequestStatus};

use crate::text::Text;

/// What the list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Listing {
    /// The first answer has not come (a skeleton).
    #[default]
    Loading,
    /// It could not be read: the message, and a retry.
    Failed(String),
    /// Newest first; empty is its own state (one line and what to do next).
    Loaded(Vec<MoneyRequest>),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SentList {
    pub listing: Listing,
    /// The request whose Cancel was pressed once and now asks "are you sure?".
    pub confirming: Option<String>,
    /// The request being canceled (its buttons wait).
    pub canceling: Option<String>,
    /// The last cancel that failed: the request and what went wrong.
    pub error: Option<(String, String)>,
}

/// A request's status in words (never colour alone).
pub fn status_word(status: RequestStatus) -> Text {
    match status {
        RequestStatus::Open => Text::RequestOpen,
        RequestStatus::Paid => Text::RequestPaid,
        RequestStatus::Declined => Text::RequestDeclined,
        RequestStatus::Canceled => Text::RequestCanceled,
    }
}

impl SentList {
    /// The answer of `GET /requests?direction=outgoing`.
    pub fn loaded(&mut self, answer: Result<Vec<MoneyRequest>, String>) {
        self.listing = match answer {
            Ok(items) => Listing::Loaded(items),
            Err(message) => Listing::Failed(message),
        };
    }

    /// Reading again (after a failure, or after the live stream was replaced).
    pub fn reload(&mut self) {
        if matches!(self.listing, Listing::Failed(_)) {
            self.listing = Listing::Loading;
        }
    }

    /// A `request` event of the live stream, for the person signed in as `me`: one of theirs
    /// (they asked for the money) is updated in place, or goes on top when new; a request made
    /// *to* them is not this list's. Returns whether the list changed.
    pub fn live(&mut self, request: MoneyRequest, me: &Handle) -> bool {
        if &request.to.handle != me {
            return false;
        }
        let Listing::Loaded(items) = &mut self.listing else { return false };
        if request.status != RequestStatus::Open && self.confirming.as_deref() == Some(request.id.as_str()) {
            // Paid or declined while its Cancel was asking: nothing left to cancel.
            self.confirming = None;
        }
        match items.iter_mut().find(|known| known.id == request.id) {
            Some(known) if *known == request => false,
            Some(known) => {
                *known = request;
                true
            }
            None => {
                items.insert(0, request);
                true
            }
        }
    }

    /// Cancel pressed on `id`: ask first (only an open request can be canceled).
    pub fn ask_cancel(&mut self, id: &str) {
        let open = self.find(id).is_some_and(|request| request.status == RequestStatus::Open);
        if open && self.canceling.is_none() {
            self.confirming = Some(id.to_string());
            self.error = None;
        }
    }

    /// "Keep it": no longer asking.
    pub fn keep(&mut self) {
        self.confirming = None;
    }

    /// "Yes, cancel": the request to send `POST /requests/{id}/cancel` for, once.
    pub fn confirm_cancel(&mut self) -> Option<String> {
        if self.canceling.is_some() {
            return None;
        }
        let id = self.confirming.take()?;
        self.canceling = Some(id.clone());
        Some(id)
    }

    /// The server's answer to the cancel.
    pub fn canceled(&mut self, answer: Result<MoneyRequest, String>) {
        let Some(id) = self.canceling.take() else { return };
        match answer {
            Ok(request) => {
                if let Listing::Loaded(items) = &mut self.listing
                    && let Some(known) = items.iter_mut().find(|known| known.id == request.id)
                {
                    *known = request;
                }
            }
            Err(message) => self.error = Some((id, message)),
        }
    }

    fn find(&self, id: &str) -> Option<&MoneyRequest> {
        match &self.listing {
            Listing::Loaded(items) => items.iter().find(|request| request.id == id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use purse_api::{Currency, PersonRef};

    use super::*;

    fn person(handle: &str) -> PersonRef {
        PersonRef { handle: Handle::parse(handle).unwrap(), display_name: handle.to_uppercase() }
    }

    fn request(id: &str, from: &str, to: &str, status: RequestStatus) -> MoneyRequest {
        MoneyRequest {
            id: id.into(),
            status,
            from: person(from),
            to: person(to),
            amount: "12.00".into(),
            currency: Currency::Usd,
            note: None,
            created_at: "2026-12-07T12:00:00Z".into(),
            from_paid_before: None,
        }
    }

    fn alice() -> Handle {
        Handle::parse("alice").unwrap()
    }

    fn loaded(items: Vec<MoneyRequest>) -> SentList {
        let mut list = SentList::default();
        list.loaded(Ok(items));
        list
    }

    fn statuses(list: &SentList) -> Vec<(String, RequestStatus)> {
        match &list.listing {
            Listing::Loaded(items) => items.iter().map(|r| (r.id.clone(), r.status)).collect(),
            other => panic!("not loaded: {other:?}"),
        }
    }

    #[test]
    fn starts_loading_then_shows_the_answer_or_what_went_wrong() {
        let mut list = SentList::default();
        assert_eq!(list.listing, Listing::Loading);
        list.loaded(Err("Purse can't be reached.".into()));
        assert_eq!(list.listing, Listing::Failed("Purse can't be reached.".into()));
        list.reload();
        assert_eq!(list.listing, Listing::Loading);
        list.loaded(Ok(Vec::new()));
        assert_eq!(list.listing, Listing::Loaded(Vec::new()));
    }

    #[test]
    fn a_live_change_of_ones_own_request_updates_it_in_place_and_a_new_one_goes_on_top() {
        let mut list = loaded(vec![request("rq_1", "bob", "alice", RequestStatus::Open)]);
        assert!(list.live(request("rq_1", "bob", "alice", RequestStatus::Declined), &alice()));
        assert!(list.live(request("rq_2", "carol", "alice", RequestStatus::Open), &alice()));
        assert!(
            !list.live(request("rq_2", "carol", "alice", RequestStatus::Open), &alice()),
            "the same twice"
        );
        // Asked of Alice by someone else: the wallet's "Requests for you", not this list.
        assert!(!list.live(request("rq_3", "alice", "dan", RequestStatus::Open), &alice()));
        assert_eq!(
            statuses(&list),
            vec![("rq_2".into(), RequestStatus::Open), ("rq_1".into(), RequestStatus::Declined)]
        );
        let mut waiting = SentList::default();
        assert!(!waiting.live(request("rq_1", "bob", "alice", RequestStatus::Open), &alice()), "loading");
    }

    #[test]
    fn cancel_asks_once_then_sends_once_and_shows_the_answer() {
        let mut list = loaded(vec![
            request("rq_2", "carol", "alice", RequestStatus::Paid),
            request("rq_1", "bob", "alice", RequestStatus::Open),
        ]);
        list.ask_cancel("rq_2");
        assert_eq!(list.confirming, None, "a paid request has no Cancel");
        assert_eq!(list.confirm_cancel(), None, "nothing asked, nothing sent");
        list.ask_cancel("rq_1");
        assert_eq!(list.confirming.as_deref(), Some("rq_1"));
        list.keep();
        assert_eq!(list.confirm_cancel(), None, "kept");
        list.ask_cancel("rq_1");
        assert_eq!(list.confirm_cancel().as_deref(), Some("rq_1"));
        assert_eq!(list.confirm_cancel(), None, "sent once");
        list.ask_cancel("rq_1");
        assert_eq!(list.confirming, None, "not while it is being canceled");
        list.canceled(Ok(request("rq_1", "bob", "alice", RequestStatus::Canceled)));
        assert_eq!(list.canceling, None);
        assert_eq!(statuses(&list)[1], ("rq_1".into(), RequestStatus::Canceled));
    }

    #[test]
    fn a_failed_cancel_says_why_on_its_request_and_a_request_paid_meanwhile_stops_asking() {
        let mut list = loaded(vec![request("rq_1", "bob", "alice", RequestStatus::Open)]);
        list.ask_cancel("rq_1");
        let id = list.confirm_cancel().unwrap();
        list.canceled(Err("This request was already paid.".into()));
        assert_eq!(list.error, Some((id, "This request was already paid.".into())));
        assert_eq!(statuses(&list), vec![("rq_1".into(), RequestStatus::Open)]);
        list.ask_cancel("rq_1");
        assert_eq!(list.error, None, "asking again clears it");
        list.live(request("rq_1", "bob", "alice", RequestStatus::Paid), &alice());
        assert_eq!(list.confirming, None);
    }

    #[test]
    fn every_status_has_its_word() {
        let words: Vec<&str> =
            [RequestStatus::Open, RequestStatus::Paid, RequestStatus::Declined, RequestStatus::Canceled]
                .into_iter()
                .map(|status| crate::text::t(status_word(status)))
                .collect();
        assert_eq!(words, ["Open", "Paid", "Declined", "Canceled"]);
    }
}
