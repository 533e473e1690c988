//! `/signin` and `/signup`. The forms (sign-in's is `components::sign_in`, shared with the
//! embedded wallet) check what they can before sending (the same rules the
//! server applies, from `purse-api`), then show the server's answer on the field it names.
//! Both follow a `?next=` back to where the person was (a pay link, a checkout), by the rule of
//! [`crate::flows::next_path`]: a path on this origin, or the wallet.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use purse_api::people::{check_password, clean_display_name};
use purse_api::{Handle, SignupRequest};

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::sign_in::{FormErrors, SignInForm};
use crate::flows::next_path;
use crate::session::{next_param, return_path, use_session};
use crate::text::{Text, t};

#[component]
pub fn SignIn() -> impl IntoView {
    let navigate = use_navigate();
    let signed_in = Callback::new(move |_user| go_next(&navigate));
    view! {
        <section class="card form-card" aria-labelledby="signin-title">
            <h1 id="signin-title">{t(Text::SignInTitle)}</h1>
            <SignInForm on_signed_in=signed_in />
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
            errors.display_name.set(Some(t(Text::DisplayNameInvalid).into()));
        }
        if let Ok(parsed) = &parsed
            && let Err(reason) = check_password(&secret, parsed)
        {
            errors.password.set(Some(format!("{} {reason}.", t(Text::PasswordWeak))));
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
                    go_next(&navigate);
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
            <p class="muted form-switch">{t(Text::HaveAccount)}" "<a href=next_path::auth_href("/signin", return_path().as_deref())>{t(Text::SignIn)}</a></p>
        </section>
    }
}

/// Follows `next` after signing in or up: the SPA's own pages by the router, a host page's (the
/// embed sent the person here) by loading it, so the host page and the embed start again.
fn go_next(navigate: &impl Fn(&str, leptos_router::NavigateOptions)) {
    let next = next_param();
    let to = next_path::after_sign_in(next.as_deref());
    if next_path::is_host_page(to)
        && let Some(window) = web_sys::window()
        && window.location().assign(to).is_ok()
    {
        return;
    }
    navigate(to, Default::default());
}
