//! `/signin` and `/signup`. The forms check what they can before sending (the same rules the
//! server applies, from `purse-api`), then show the server's answer on the field it names.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use purse_api::people::{check_password, clean_display_name};
use purse_api::{Handle, LoginRequest, SignupRequest};

use crate::api_client::{self, ApiError};
use crate::components::fields::TextField;
use crate::session::use_session;
use crate::text::{Text, t};

/// Errors per field, plus one for the form as a whole.
#[derive(Clone, Copy)]
struct FormErrors {
    handle: RwSignal<Option<String>>,
    display_name: RwSignal<Option<String>>,
    password: RwSignal<Option<String>>,
    form: RwSignal<Option<String>>,
}

impl FormErrors {
    fn new() -> FormErrors {
        FormErrors {
            handle: RwSignal::new(None),
            display_name: RwSignal::new(None),
            password: RwSignal::new(None),
            form: RwSignal::new(None),
        }
    }

    fn clear(&self) {
        for signal in [self.handle, self.display_name, self.password, self.form] {
            signal.set(None);
        }
    }

    /// Puts the server's message where it belongs.
    fn show(&self, error: ApiError) {
        let target = match error.field.as_deref() {
            Some("handle") => self.handle,
            Some("display_name") => self.display_name,
            Some("password") => self.password,
            _ => self.form,
        };
        target.set(Some(error.message));
    }
}

#[component]
pub fn SignIn() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
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
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api_client::sign_in(&request).await {
                Ok(user) => {
                    session.set_user(Some(user));
                    navigate("/", Default::default());
                }
                Err(error) => errors.show(error),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="signin-title">
            <h1 id="signin-title">{t(Text::SignInTitle)}</h1>
            <form on:submit=submit novalidate=true>
                <TextField id="handle" label=t(Text::Handle) value=handle error=errors.handle autocomplete="username" />
                <TextField id="password" label=t(Text::Password) value=password error=errors.password kind="password" autocomplete="current-password" />
                <p class="form-error" role="alert">{move || errors.form.get()}</p>
                <button type="submit" class="button button-block" disabled=move || busy.get()>
                    {move || if busy.get() { t(Text::SigningIn) } else { t(Text::SignIn) }}
                </button>
            </form>
            <p class="muted form-switch">{t(Text::NoAccount)}" "<A href="/signup">{t(Text::CreateAccount)}</A></p>
        </section>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let handle = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let parsed = Handle::parse(&handle.get_untracked());
        let name = clean_display_name(&display_name.get_untracked());
        let secret = password.get_untracked();
        if let Err(reason) = &parsed {
            errors.handle.set(Some(format!("{}: {reason}.", t(Text::Handle))));
        }
        if name.is_none() {
            errors.display_name.set(Some("Enter your name (up to 50 characters).".into()));
        }
        if let Ok(parsed) = &parsed
            && let Err(reason) = check_password(&secret, parsed)
        {
            errors.password.set(Some(format!("Choose a stronger password: {reason}.")));
        }
        let (Ok(parsed), Some(name)) = (parsed, name) else { return };
        if errors.password.get_untracked().is_some() {
            return;
        }
        let request = SignupRequest { handle: parsed, display_name: name, password: secret };
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api_client::sign_up(&request).await {
                Ok(user) => {
                    session.set_user(Some(user));
                    navigate("/", Default::default());
                }
                Err(error) => errors.show(error),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="signup-title">
            <h1 id="signup-title">{t(Text::SignUpTitle)}</h1>
            <form on:submit=submit novalidate=true>
                <TextField id="handle" label=t(Text::Handle) value=handle error=errors.handle hint=t(Text::HandleHint) autocomplete="username" maxlength=16 />
                <TextField id="display_name" label=t(Text::DisplayName) value=display_name error=errors.display_name autocomplete="name" maxlength=50 />
                <TextField id="password" label=t(Text::Password) value=password error=errors.password kind="password" hint=t(Text::PasswordHint) autocomplete="new-password" />
                <p class="form-error" role="alert">{move || errors.form.get()}</p>
                <button type="submit" class="button button-block" disabled=move || busy.get()>
                    {move || if busy.get() { t(Text::CreatingAccount) } else { t(Text::SignUp) }}
                </button>
            </form>
            <p class="muted form-switch">{t(Text::HaveAccount)}" "<A href="/signin">{t(Text::SignIn)}</A></p>
        </section>
    }
}
