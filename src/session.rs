//! Who is signed in, for the whole app: a context every page reads. Loaded once from
//! `GET /me` at start, then kept by sign-in, sign-up and sign-out.

use leptos::prelude::*;
use purse_api::User;

use crate::api_client;

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
