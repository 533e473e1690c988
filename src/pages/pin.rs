//! `/settings/pin`: set the payment PIN, or change it with the current one.

use leptos::prelude::*;
use leptos_router::components::A;
use purse_api::PinRequest;
use purse_api::people::is_valid_pin;

use crate::api_client;
use crate::components::fields::TextField;
use crate::session::{SessionState, use_session};
use crate::text::{Text, t};

/// What the page can show, from the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    Checking,
    SignedOut,
    SignedIn { pin_set: bool },
}

#[component]
pub fn PinSettings() -> impl IntoView {
    let session = use_session();
    // Once signed in, the gate keeps its first value: saving the PIN updates the person's
    // details, and the form must not be rebuilt (it shows the success message).
    let gate = Memo::new(move |previous: Option<&Gate>| match (session.state.get(), previous) {
        (SessionState::SignedIn(_), Some(signed_in @ Gate::SignedIn { .. })) => *signed_in,
        (SessionState::SignedIn(user), _) => Gate::SignedIn { pin_set: user.pin_set },
        (SessionState::Checking, _) => Gate::Checking,
        _ => Gate::SignedOut,
    });
    move || {
        match gate.get() {
        Gate::Checking => ().into_any(),
        Gate::SignedIn { pin_set } => view! { <PinForm pin_set=pin_set /> }.into_any(),
        Gate::SignedOut => view! {
            <section class="card"><p>{t(Text::SignInTitle)}</p><A href="/signin" attr:class="button">{t(Text::SignIn)}</A></section>
        }
        .into_any(),
    }
    }
}

#[component]
fn PinForm(pin_set: bool) -> impl IntoView {
    let session = use_session();
    let pin_set = RwSignal::new(pin_set);
    let current = RwSignal::new(String::new());
    let pin = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let current_error = RwSignal::new(None::<String>);
    let pin_error = RwSignal::new(None::<String>);
    let confirm_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        for signal in [current_error, pin_error, confirm_error, form_error] {
            signal.set(None);
        }
        saved.set(false);
        let new_pin = pin.get_untracked();
        if !is_valid_pin(&new_pin) {
            pin_error.set(Some(t(Text::PinFormat).into()));
            return;
        }
        if confirm.get_untracked() != new_pin {
            confirm_error.set(Some(t(Text::PinMismatch).into()));
            return;
        }
        let had_pin = pin_set.get_untracked();
        let request = PinRequest { pin: new_pin, current_pin: had_pin.then(|| current.get_untracked()) };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::set_pin(&request).await {
                Ok(()) => {
                    saved.set(true);
                    pin_set.set(true);
                    for signal in [current, pin, confirm] {
                        signal.set(String::new());
                    }
                    session.state.update(|state| {
                        if let SessionState::SignedIn(user) = state {
                            user.pin_set = true;
                        }
                    });
                }
                Err(error) => match error.field.as_deref() {
                    Some("current_pin") | Some("pin") if had_pin => current_error.set(Some(error.message)),
                    Some("pin") => pin_error.set(Some(error.message)),
                    _ => form_error.set(Some(error.message)),
                },
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="pin-title">
            <h1 id="pin-title">{move || if pin_set.get() { t(Text::ChangePin) } else { t(Text::PinTitle) }}</h1>
            <p class="muted">{move || if pin_set.get() { t(Text::PinChangeLead) } else { t(Text::PinSetLead) }}</p>
            <form on:submit=submit novalidate=true>
                {move || pin_set.get().then(|| view! {
                    <TextField id="current_pin" label=t(Text::CurrentPin) value=current error=current_error kind="password" inputmode="numeric" maxlength=6 autocomplete="off" />
                })}
                <TextField id="pin" label=t(Text::NewPin) value=pin error=pin_error kind="password" inputmode="numeric" maxlength=6 hint=t(Text::PinHint) autocomplete="off" />
                <TextField id="confirm_pin" label=t(Text::ConfirmPin) value=confirm error=confirm_error kind="password" inputmode="numeric" maxlength=6 autocomplete="off" />
                <p class="form-error" role="alert">{move || form_error.get()}</p>
                <p class="form-success" role="status">{move || saved.get().then(|| t(Text::PinSaved))}</p>
                <button type="submit" class="button button-block" disabled=move || busy.get()>
                    {move || if busy.get() { t(Text::SavingPin) } else { t(Text::SavePin) }}
                </button>
            </form>
            <p><A href="/wallet">{t(Text::BackToWallet)}</A></p>
        </section>
    }
}
