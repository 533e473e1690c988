//! `/settings/pin`: set the payment PIN, or change it with the current one.

use leptos::prelude::*;
use leptos_router::components::A;
use purse_api::PinRequest;
use purse_api::people::is_valid_pin;

use crate::api_client;
use crate::components::fields::TextField;
use crate::session::{SessionState, use_session};
use crate::text::{Text, t};

#[component]
pub fn PinSettings() -> impl IntoView {
    let session = use_session();
    move || {
        match session.state.get() {
        SessionState::SignedIn(user) => view! { <PinForm pin_set=user.pin_set /> }.into_any(),
        SessionState::Checking => ().into_any(),
        _ => view! {
            <section class="card"><p>{t(Text::SignInTitle)}</p><A href="/signin" attr:class="button">{t(Text::SignIn)}</A></section>
        }
        .into_any(),
    }
    }
}

#[component]
fn PinForm(pin_set: bool) -> impl IntoView {
    let session = use_session();
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
        let request = PinRequest { pin: new_pin, current_pin: pin_set.then(|| current.get_untracked()) };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::set_pin(&request).await {
                Ok(()) => {
                    saved.set(true);
                    for signal in [current, pin, confirm] {
                        signal.set(String::new());
                    }
                    session.refresh();
                }
                Err(error) => match error.field.as_deref() {
                    Some("current_pin") | Some("pin") if pin_set => current_error.set(Some(error.message)),
                    Some("pin") => pin_error.set(Some(error.message)),
                    _ => form_error.set(Some(error.message)),
                },
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="pin-title">
            <h1 id="pin-title">{if pin_set { t(Text::ChangePin) } else { t(Text::PinTitle) }}</h1>
            <p class="muted">{if pin_set { t(Text::PinChangeLead) } else { t(Text::PinSetLead) }}</p>
            <form on:submit=submit novalidate=true>
                {pin_set.then(|| view! {
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
            <p><A href="/">{t(Text::BackToWallet)}</A></p>
        </section>
    }
}
