//! The sign-in form, on its own so the `/signin` page, the hosted checkout, the tip sheet and
//! the wallet drawer on a host page all use the same one, with the way to sign up under it. It
//! is branded wherever it is: the Purse mark, "Sign in with Purse", one line on what Purse is,
//! and fields named "Purse handle" and "Purse password", so inside someone else's timeline
//! nobody takes it for the host site's own sign-in. It checks the handle before sending and
//! shows the server's answer on the field it names (a `429` says how long to wait); on success
//! it sets the session (views that branch on the session move on by themselves) and tells
//! `on_signed_in`.
//! Its sign-up link carries the page it is on as `?next=`, so a new account lands back there.

use leptos::prelude::*;
use purse_api::{Handle, LoginRequest, User};

use crate::api_client::{self, ApiError};
use crate::components::fields::TextField;
use crate::flows::next_path;
use crate::session::{return_path, use_session};
use crate::text::{Text, t};

/// Errors per field, plus one for the form as a whole.
#[derive(Clone, Copy, Debug)]
pub struct FormErrors {
    pub handle: RwSignal<Option<String>>,
    pub display_name: RwSignal<Option<String>>,
    pub password: RwSignal<Option<String>>,
    pub form: RwSignal<Option<String>>,
}

impl FormErrors {
    pub fn new() -> FormErrors {
        FormErrors {
            handle: RwSignal::new(None),
            display_name: RwSignal::new(None),
            password: RwSignal::new(None),
            form: RwSignal::new(None),
        }
    }

    pub fn clear(&self) {
        for signal in [self.handle, self.display_name, self.password, self.form] {
            signal.set(None);
        }
    }

    /// Puts the server's message where it belongs.
    pub fn show(&self, error: ApiError) {
        let target = match error.field.as_deref() {
            Some("handle") => self.handle,
            Some("display_name") => self.display_name,
            Some("password") => self.password,
            _ => self.form,
        };
        target.set(Some(error.message));
    }
}

impl Default for FormErrors {
    fn default() -> FormErrors {
        FormErrors::new()
    }
}

/// The Purse mark (`public/favicon.svg`, drawn inline so it needs no request and works inside a
/// host page's shadow root): decorative, the words beside it say "Purse".
#[component]
pub fn PurseMark() -> impl IntoView {
    view! {
        <svg class="purse-mark" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false">
            <rect width="32" height="32" rx="8" fill="#3d5afe" />
            <path d="M16 6 26 16 16 26 6 16z" fill="#fff" />
        </svg>
    }
}

#[component]
pub fn SignInForm(
    #[prop(optional)] on_signed_in: Option<Callback<User>>,
    /// Where sign-up brings the person back to, when not the page itself (the embed's host page,
    /// with what was open: `next_path::host_return`).
    #[prop(optional_no_strip)]
    return_to: Option<String>,
) -> impl IntoView {
    let session = use_session();
    let handle = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let parsed = match Handle::parse(&handle.get_untracked()) {
            Ok(parsed) => parsed,
            Err(reason) => {
                errors.handle.set(Some(format!("{}: {reason}.", t(Text::Handle))));
                return;
            }
        };
        let request = LoginRequest { handle: parsed, password: password.get_untracked() };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::sign_in(&request).await {
                Ok(user) => {
                    session.set_user(Some(user.clone()));
                    if let Some(signed_in) = on_signed_in {
                        let _ = signed_in.try_run(user);
                    }
                }
                Err(error) => errors.show(error),
            }
            busy.set(false);
        });
    };

    view! {
        <form class="sign-in-form" on:submit=submit novalidate=true aria-labelledby="purse-signin-title">
            <div class="purse-signin-brand" data-test="purse-signin-brand">
                <PurseMark />
                <div class="purse-signin-words">
                    <p class="purse-signin-title" id="purse-signin-title">{t(Text::SignInWithPurse)}</p>
                    <p class="purse-signin-what">{t(Text::PurseInOneLine)}</p>
                </div>
            </div>
            <TextField id="handle" label=t(Text::PurseHandle) value=handle error=errors.handle autocomplete="username" />
            <TextField id="password" label=t(Text::PursePassword) value=password error=errors.password kind="password" autocomplete="current-password" />
            <p class="form-error" role="alert">{move || errors.form.get()}</p>
            <button type="submit" class="button button-block" disabled=move || busy.get()>
                {move || if busy.get() { t(Text::SigningIn) } else { t(Text::SignInWithPurse) }}
            </button>
        </form>
        <p class="muted form-switch">{t(Text::NoAccount)}" "<a href=next_path::auth_href("/signup", return_to.or_else(return_path).as_deref())>{t(Text::CreateAccount)}</a></p>
    }
}
