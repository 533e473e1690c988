//! `/request`: ask someone for money. They see it live and can pay or decline; the requests the
//! person has sent are listed under the form ([`SentRequests`]), live, with Cancel. A person
//! whose status stops money moving (where Purse is not licensed, or frozen) is told so above the
//! form.

use leptos::prelude::*;
use leptos_router::components::A;
use purse_api::compliance::LimitKind;
use purse_api::payments::clean_note;
use purse_api::{AmountText, MoneyRequest, NewMoneyRequest, PublicProfile};

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::gate::SignedInOnly;
use crate::components::limit_note::{BlockedNote, use_headroom};
use crate::components::money::MoneyDisplay;
use crate::components::profile_preview::{ProfilePreview, watch_profile};
use crate::components::sent_requests::SentRequests;
use crate::flows::send_form::{check_amount, check_handle};
use crate::text::{Text, t};

#[component]
pub fn RequestPage() -> impl IntoView {
    view! { <SignedInOnly><RequestForm /><SentRequests /></SignedInOnly> }
}

#[component]
fn RequestForm() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let from_error = RwSignal::new(None::<String>);
    let amount_error = RwSignal::new(None::<String>);
    let note_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let profile = RwSignal::new(None::<Result<PublicProfile, String>>);
    let done = RwSignal::new(None::<MoneyRequest>);
    let busy = RwSignal::new(false);
    let headroom = use_headroom(LimitKind::Receive);
    watch_profile(from, profile);

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        for signal in [from_error, amount_error, note_error, form_error] {
            signal.set(None);
        }
        let handle = check_handle(&from.get_untracked());
        let value = check_amount(&amount.get_untracked());
        let cleaned = clean_note(Some(&note.get_untracked()));
        if let Err(message) = &handle {
            from_error.set(Some((*message).into()));
        }
        if let Err(message) = &value {
            amount_error.set(Some((*message).into()));
        }
        if cleaned.is_err() {
            note_error.set(Some(t(Text::NoteTooLong).into()));
        }
        let (Ok(handle), Ok(value), Ok(cleaned)) = (handle, value, cleaned) else { return };
        let request = NewMoneyRequest {
            from: handle,
            amount: AmountText::Text(value.money().amount_string()),
            currency: "USD".into(),
            note: cleaned,
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::request_money(&request).await {
                Ok(made) => done.set(Some(made)),
                Err(error) => match error.field.as_deref() {
                    Some("from") => from_error.set(Some(error.message)),
                    Some("amount") | Some("currency") => amount_error.set(Some(error.message)),
                    Some("note") => note_error.set(Some(error.message)),
                    _ => form_error.set(Some(error.message)),
                },
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="request-title">
            <h1 id="request-title">{t(Text::RequestTitle)}</h1>
            {move || match done.get() {
                Some(made) => view! {
                    <div class="done" role="status">
                        <p class="done-title">{t(Text::RequestSent)}</p>
                        <p class="balance-amount"><MoneyDisplay amount=made.amount.clone() currency=made.currency /></p>
                        <p>{t(Text::RequestFrom)}" "{made.from.display_name.clone()}" (@"{made.from.handle.to_string()}")"</p>
                        <p><A href="/wallet">{t(Text::BackToWallet)}</A></p>
                    </div>
                }.into_any(),
                None => view! {
                    <BlockedNote headroom=headroom id="request-blocked" />
                    <form on:submit=submit novalidate=true>
                        <TextField id="from" label=t(Text::RequestFrom) value=from error=from_error hint=t(Text::RecipientHint) maxlength=16 />
                        <ProfilePreview to=from profile=profile show_paid_before=false />
                        <TextField id="amount" label=t(Text::Amount) value=amount error=amount_error hint=t(Text::AmountHint) inputmode="decimal" maxlength=12 />
                        <TextField id="note" label=t(Text::Note) value=note error=note_error hint=t(Text::NoteHint) maxlength=400 />
                        <p class="form-error" role="alert">{move || form_error.get()}</p>
                        <button type="submit" class="button button-block" disabled=move || busy.get()>
                            {move || if busy.get() { t(Text::Requesting) } else { t(Text::RequestNow) }}
                        </button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}
