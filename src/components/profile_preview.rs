//! The person a handle names, under the recipient field of the send and request forms: looked up
//! as soon as the field holds a valid handle (`GET /users/{handle}`), with whether the signed-in
//! person has paid them before. And [`PayIntent`]: a pay link's payee and amount, shown to a
//! signed-out person above the sign-in, so they know what they are signing in to do.

use leptos::prelude::*;
use purse_api::{ErrorCode, Handle, PublicProfile};

use crate::api_client;
use crate::components::money::MoneyDisplay;
use crate::flows::send_form::{check_amount, check_handle};
use crate::text::{Text, t};

/// Looks `handle` up whenever it becomes a valid handle; the answer lands in `profile`.
pub fn watch_profile(to: RwSignal<String>, profile: RwSignal<Option<Result<PublicProfile, String>>>) {
    Effect::new(move |previous: Option<Option<Handle>>| {
        let handle = check_handle(&to.get()).ok();
        if previous.as_ref() == Some(&handle) {
            return handle;
        }
        profile.set(None);
        if let Some(handle) = handle.clone() {
            leptos::task::spawn_local(async move {
                let answer = api_client::profile(&handle).await.map_err(|error| match error.code {
                    Some(ErrorCode::NotFound) => t(Text::NoSuchPerson).to_string(),
                    _ => error.message,
                });
                // Only if the field still names the same person.
                if check_handle(&to.get_untracked()).ok().as_ref() == Some(&handle) {
                    profile.set(Some(answer));
                }
            });
        }
        handle
    });
}

/// The profile preview under the recipient field.
#[component]
pub fn ProfilePreview(
    to: RwSignal<String>,
    profile: RwSignal<Option<Result<PublicProfile, String>>>,
    #[prop(default = true)] show_paid_before: bool,
) -> impl IntoView {
    view! {
        <div class="profile-preview" aria-live="polite">
            {move || match profile.get() {
                None if check_handle(&to.get()).is_ok() => view! { <p class="muted">{t(Text::LookingUp)}</p> }.into_any(),
                None => ().into_any(),
                Some(Err(message)) => view! { <p class="field-error">{message}</p> }.into_any(),
                Some(Ok(person)) => {
                    let initial = person.display_name.chars().next().unwrap_or('?').to_uppercase().to_string();
                    view! {
                        <div class="person">
                            <span class="avatar" aria-hidden="true">{initial}</span>
                            <span class="person-names">
                                <strong>{person.display_name.clone()}</strong>
                                <span class="muted">"@"{person.handle.to_string()}</span>
                            </span>
                            {show_paid_before.then(|| person.paid_before.map(|paid| view! {
                                <span class="badge" data-paid-before=paid.to_string()>
                                    {if paid { t(Text::PaidBefore) } else { t(Text::FirstPayment) }}
                                </span>
                            }))}
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// Whom and how much a pay link (`/pay/{handle}?amount=&note=`) is about to pay, for a person
/// who must sign in first: the @handle (a display name is only for signed-in people: `GET
/// /users/{handle}` answers no one signed out, so handles cannot be listed anonymously; the send
/// form names the person once signed in), the amount only when it is one the send form would
/// take, and the note.
#[component]
pub fn PayIntent(handle: String, amount: Option<String>, note: Option<String>) -> impl IntoView {
    let handle = check_handle(&handle).ok();
    let amount = amount.and_then(|text| check_amount(&text).ok()).map(|value| value.money().amount_string());
    let note = note
        .map(|note| note.trim().to_string())
        .filter(|note| !note.is_empty() && note.chars().count() <= 280);
    view! {
        <section class="card pay-intent" aria-labelledby="pay-intent-title">
            <h2 id="pay-intent-title" class="muted pay-intent-lead">{t(Text::PayIntentLead)}</h2>
            {handle.map(|handle| {
                let initial = handle.as_str().chars().next().unwrap_or('?').to_uppercase().to_string();
                view! {
                    <div class="person pay-intent-who">
                        <span class="avatar" aria-hidden="true">{initial}</span>
                        <strong><bdi>"@"{handle.to_string()}</bdi></strong>
                    </div>
                }
            })}
            {amount.map(|amount| view! {
                <p class="balance-amount pay-intent-amount"><MoneyDisplay amount=amount currency=purse_api::Currency::Usd /></p>
            })}
            {note.map(|note| view! { <p class="muted pay-intent-note">"“"{note}"”"</p> })}
        </section>
    }
}
