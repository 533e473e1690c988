//! Who is signed in, for the whole app: a context every page reads. Loaded once from
//! `GET /session` at start (it answers `200` for a signed-out visitor, where `GET /me` would put a
//! `401` in the console of every signed-out page), then kept by sign-in, sign-up and sign-out.
//! And where sign-in brings a person back to ([`return_path`], by the rule of
//! [`crate::flows::next_path`]).

use leptos::prelude::*;
use purse_api::User;

use crate::api_client;
use crate::flows::next_path;

/// What the app knows about the person at the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Asking the server.
    Checking,
    SignedOut,
    SignedIn(User),
    /// The server could not be asked (offline): say so, and retry.
    Unknown(String),
}

#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub state: RwSignal<SessionState>,
}

impl Session {
    pub fn user(&self) -> Option<User> {
        match self.state.get() {
            SessionState::SignedIn(user) => Some(user),
            _ => None,
        }
    }

    /// Who is signed in, for views that branch on it: `None` while the server is being asked,
    /// `Some(None)` when nobody is (or the server could not say).
    pub fn person(&self) -> Option<Option<User>> {
        match self.state.get() {
            SessionState::Checking => None,
            SessionState::SignedIn(user) => Some(Some(user)),
            SessionState::SignedOut | SessionState::Unknown(_) => Some(None),
        }
    }

    pub fn set_user(&self, user: Option<User>) {
        self.state.set(match user {
            Some(user) => SessionState::SignedIn(user),
            None => SessionState::SignedOut,
        });
    }

    /// Asks the server who is signed in.
    pub fn refresh(&self) {
        let state = self.state;
        leptos::task::spawn_local(async move {
            state.set(match api_client::me().await {
                Ok(Some(user)) => SessionState::SignedIn(user),
                Ok(None) => SessionState::SignedOut,
                Err(error) => SessionState::Unknown(error.message),
            });
        });
    }
}

/// Creates the session context and starts asking the server.
pub fn provide_session() -> Session {
    let session = Session { state: RwSignal::new(SessionState::Checking) };
    provide_context(session);
    session.refresh();
    session
}

pub fn use_session() -> Session {
    use_context::<Session>().unwrap_or_else(|| Session { state: RwSignal::new(SessionState::SignedOut) })
}

/// Where signing in (or up) from the page on screen should bring the person back to: this page
/// with its query (a pay link's amount and note), or on the sign-in and sign-up pages the `next`
/// they carry. `None` when there is nowhere valid to come back to.
pub fn return_path() -> Option<String> {
    let location = web_sys::window()?.location();
    let path = location.pathname().ok()?;
    let search = location.search().unwrap_or_default();
    let next = web_sys::UrlSearchParams::new_with_str(&search).ok().and_then(|params| params.get("next"));
    next_path::here(&path, &search, next.as_deref())
}

/// The `next` parameter of the page on screen, when it is one to follow.
pub fn next_param() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let next = web_sys::UrlSearchParams::new_with_str(&search).ok()?.get("next")?;
    next_path::safe_next(&next).map(str::to_string)
}
