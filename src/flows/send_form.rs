//! The send and request forms' decisions: the amount and the @handle as typed, checked by the
//! same rules the server applies (API.md). (What the send's review says is
//! [`crate::flows::review`].)
//! The forms (`pages::send`, `pages::request`) draw them. Also the send form's handle lookup
//! ([`Lookup`]): debounced, an older answer ignored, retried when the network comes back.

use purse_api::{Amount, ErrorCode, Handle, PublicProfile};

use crate::api_client::ApiError;
use crate::text::{ReviewText, Text, t};

/// How long the typing must pause before a handle is looked up.
pub const LOOKUP_PAUSE_MS: u32 = 250;

/// Where the lookup of the handle in the recipient field stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LookupState {
    /// Nothing to look up: the field does not hold a handle.
    Idle,
    /// A handle, waiting for the typing to pause.
    Waiting(Handle),
    /// `GET /users/{handle}` is on its way, as lookup number `u64`.
    Looking(Handle, u64),
    Found(PublicProfile),
    /// The server said nobody has it (a real 404).
    Missing(Handle),
    /// No answer (offline): looked up again when the network returns.
    Offline(Handle),
    /// Another failure, said as the server said it.
    Failed(Handle, String),
}

/// The send form's handle lookup, as a small state machine fed with what the person types, the
/// end of the pause, the answers (each tagged with its number: only the latest counts) and the
/// browser's `online` event. The view owns the timer and the calls; this decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub state: LookupState,
    /// The number of the latest lookup asked for: an answer with another number is old news.
    latest: u64,
}

impl Default for Lookup {
    fn default() -> Lookup {
        Lookup { state: LookupState::Idle, latest: 0 }
    }
}

impl Lookup {
    /// The recipient field now reads `text`: wait for the pause (or nothing, when it is no handle;
    /// or no change, when it names the person already found or being looked up). Any lookup on
    /// its way for another handle is dropped.
    pub fn typed(&mut self, text: &str) {
        let Ok(handle) = check_handle(text) else {
            self.latest += 1;
            self.state = LookupState::Idle;
            return;
        };
        if self.handle() == Some(&handle)
            && !matches!(self.state, LookupState::Offline(_) | LookupState::Failed(..))
        {
            return;
        }
        self.latest += 1;
        self.state = LookupState::Waiting(handle);
    }

    /// The pause after typing `text` is over: the lookup to make (its number and the handle), if
    /// the field still reads the same handle and it is still waiting.
    pub fn paused(&mut self, text: &str) -> Option<(u64, Handle)> {
        let LookupState::Waiting(handle) = &self.state else { return None };
        if check_handle(text).ok().as_ref() != Some(handle) {
            return None;
        }
        Some(self.look(handle.clone()))
    }

    fn look(&mut self, handle: Handle) -> (u64, Handle) {
        self.latest += 1;
        self.state = LookupState::Looking(handle.clone(), self.latest);
        (self.latest, handle)
    }

    /// The answer to lookup `number` (ignored unless it is the latest).
    pub fn answered(&mut self, number: u64, answer: Result<PublicProfile, ApiError>) {
        let LookupState::Looking(handle, current) = &self.state else { return };
        if *current != number {
            return;
        }
        let handle = handle.clone();
        self.state = match answer {
            Ok(profile) => LookupState::Found(profile),
            Err(error) if error.code == Some(ErrorCode::NotFound) => LookupState::Missing(handle),
            Err(error) if error.status.is_none() => LookupState::Offline(handle),
            Err(error) => LookupState::Failed(handle, error.message),
        };
    }

    /// The network is back: the lookup that could not be made, made again.
    pub fn online(&mut self) -> Option<(u64, Handle)> {
        match &self.state {
            LookupState::Offline(handle) | LookupState::Failed(handle, _) => Some(self.look(handle.clone())),
            _ => None,
        }
    }

    /// The handle it is about.
    pub fn handle(&self) -> Option<&Handle> {
        match &self.state {
            LookupState::Idle => None,
            LookupState::Found(profile) => Some(&profile.handle),
            LookupState::Waiting(handle)
            | LookupState::Looking(handle, _)
            | LookupState::Missing(handle)
            | LookupState::Offline(handle)
            | LookupState::Failed(handle, _) => Some(handle),
        }
    }

    pub fn profile(&self) -> Option<&PublicProfile> {
        match &self.state {
            LookupState::Found(profile) => Some(profile),
            _ => None,
        }
    }

    /// What the preview says when no one is shown (one place: the form does not repeat it).
    pub fn message(&self) -> Option<String> {
        match &self.state {
            LookupState::Waiting(_) | LookupState::Looking(..) => Some(t(Text::LookingUp).to_string()),
            LookupState::Missing(_) => Some(t(Text::NoSuchPerson).to_string()),
            LookupState::Offline(_) => Some(t(ReviewText::LookupOffline).to_string()),
            LookupState::Failed(_, message) => Some(message.clone()),
            LookupState::Idle | LookupState::Found(_) => None,
        }
    }

    /// Whether the message is a problem (said as an error) rather than progress.
    pub fn is_problem(&self) -> bool {
        matches!(self.state, LookupState::Missing(_) | LookupState::Offline(_) | LookupState::Failed(..))
    }
}

/// The amount as typed, by API.md's rule.
pub fn check_amount(text: &str) -> Result<Amount, &'static str> {
    Amount::parse(text.trim(), "USD").map_err(|_| t(Text::AmountFormat))
}

/// A handle as typed (a leading `@` is fine).
pub fn check_handle(text: &str) -> Result<Handle, &'static str> {
    Handle::parse(text.trim()).map_err(|_| t(Text::HandleFormat))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bob() -> PublicProfile {
        PublicProfile {
            handle: Handle::parse("bob").unwrap(),
            display_name: "Bob Okafor".into(),
            is_creator: false,
            paid_before: Some(false),
            cancel_window_seconds: Some(600),
        }
    }

    fn missing() -> ApiError {
        ApiError {
            status: Some(404),
            code: Some(ErrorCode::NotFound),
            message: "no".into(),
            field: None,
            details: None,
        }
    }

    #[test]
    fn a_handle_is_looked_up_once_the_typing_pauses_and_only_the_latest_answer_counts() {
        let mut lookup = Lookup::default();
        lookup.typed("bo");
        assert_eq!((lookup.state.clone(), lookup.message()), (LookupState::Idle, None), "no handle yet");
        lookup.typed("bobb");
        assert_eq!(lookup.state, LookupState::Waiting(Handle::parse("bobb").unwrap()));
        lookup.typed("bob");
        assert_eq!(lookup.paused("bobb"), None, "the pause of an older text asks nothing");
        let (first, handle) = lookup.paused("bob").unwrap();
        assert_eq!(handle.to_string(), "bob");
        assert_eq!(lookup.message().as_deref(), Some("Looking up…"));
        // Typing on while "bob" is looked up: its answer is ignored, whatever it says.
        lookup.typed("bobby");
        lookup.answered(first, Err(missing()));
        assert_eq!(lookup.state, LookupState::Waiting(Handle::parse("bobby").unwrap()));
        let (second, _) = lookup.paused("bobby").unwrap();
        lookup.answered(first, Err(missing()));
        assert!(matches!(lookup.state, LookupState::Looking(_, n) if n == second), "still ignored");
        lookup.typed("bob");
        let (third, _) = lookup.paused("bob").unwrap();
        lookup.answered(second, Err(missing()));
        assert!(
            matches!(lookup.state, LookupState::Looking(_, n) if n == third),
            "bobby's answer is old news"
        );
        lookup.answered(third, Ok(bob()));
        assert_eq!(lookup.profile(), Some(&bob()));
        assert_eq!(lookup.message(), None);
        lookup.typed("@bob");
        assert_eq!(lookup.profile(), Some(&bob()), "the same person: nothing looked up again");
        lookup.typed("b!");
        assert_eq!((lookup.state.clone(), lookup.message()), (LookupState::Idle, None));
    }

    #[test]
    fn nobody_has_that_handle_only_on_a_real_404_and_offline_is_retried_when_the_network_returns() {
        let mut lookup = Lookup::default();
        lookup.typed("bob");
        let (first, _) = lookup.paused("bob").unwrap();
        lookup.answered(first, Err(ApiError::network()));
        assert!(lookup.is_problem());
        assert_ne!(lookup.message().as_deref(), Some(t(Text::NoSuchPerson)), "offline is not nobody");
        assert_eq!(lookup.message().as_deref(), Some(t(ReviewText::LookupOffline)));
        let (again, handle) = lookup.online().unwrap();
        assert_eq!(handle.to_string(), "bob");
        assert_eq!(lookup.message().as_deref(), Some("Looking up…"), "the offline message goes");
        lookup.answered(again, Ok(bob()));
        assert_eq!(lookup.profile().map(|p| p.display_name.as_str()), Some("Bob Okafor"));
        assert_eq!(lookup.online(), None, "nothing to retry once found");

        let mut lookup = Lookup::default();
        lookup.typed("nobody");
        let (number, _) = lookup.paused("nobody").unwrap();
        lookup.answered(number, Err(missing()));
        assert_eq!(lookup.message().as_deref(), Some("Nobody on Purse has that handle."));
        assert_eq!(lookup.online(), None, "a real 404 is not retried");
        let server = ApiError {
            status: Some(503),
            code: Some(ErrorCode::ServiceUnavailable),
            message: "busy".into(),
            field: None,
            details: None,
        };
        lookup.typed("bobby");
        let (number, _) = lookup.paused("bobby").unwrap();
        lookup.answered(number, Err(server));
        assert_eq!(lookup.message().as_deref(), Some("busy"));
        assert!(lookup.online().is_some(), "a failure is retried when the network returns too");
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
