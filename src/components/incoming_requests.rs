//! Requests for money made to the signed-in person: who asks, by name and @handle (names are not
//! unique), with a warning when the person has never paid them (an impostor may have taken a
//! friend's name); with Pay (PIN above the threshold, or below
//! it once the server asks: [`crate::flows::step_up`]) and Decline. Reloads whenever the wallet's [`RequestsVersion`] changes (the live stream bumps it).

use leptos::prelude::*;
use purse_api::{Amount, MoneyRequest, RequestStatus};
use wasm_bindgen::JsCast;

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::money::MoneyDisplay;
use crate::flows::attempt::Attempt;
use crate::flows::step_up::{PinAnswer, StepUp};
use crate::pages::wallet::RequestsVersion;
use crate::text::{Text, around_handle, t};

#[component]
pub fn IncomingRequests() -> impl IntoView {
    let version = use_context::<RequestsVersion>().map_or_else(|| RwSignal::new(0), |v| v.0);
    let items = RwSignal::new(None::<Result<Vec<MoneyRequest>, String>>);
    Effect::new(move |_| {
        version.track();
        leptos::task::spawn_local(async move {
            let answer = api_client::requests(true)
                .await
                .map(|page| page.items.into_iter().filter(|r| r.status == RequestStatus::Open).collect())
                .map_err(|error| error.message);
            items.set(Some(answer));
        });
    });
    move || {
        match items.get() {
        Some(Ok(open)) if !open.is_empty() => view! {
            <section class="card requests" aria-labelledby="requests-title">
                <h2 id="requests-title">{t(Text::RequestsForYou)}</h2>
                <ul class="request-list">
                    {open.into_iter().map(|request| view! { <IncomingRequest request=request version=version /> }).collect_view()}
                </ul>
            </section>
        }
        .into_any(),
        Some(Err(message)) => view! { <section class="card requests"><p class="form-error" role="alert">{message}</p></section> }.into_any(),
        _ => ().into_any(),
    }
    }
}

#[component]
pub fn IncomingRequest(request: MoneyRequest, version: RwSignal<u32>) -> impl IntoView {
    let amount = Amount::parse(&request.amount, request.currency.code()).ok();
    // Above the threshold, or once the server asked for it (the day's payments without it).
    let step_up = RwSignal::new(StepUp::default());
    let with_pin = move || amount.filter(|a| step_up.get().needs_pin(*a));
    let row = NodeRef::<leptos::html::Li>::new();
    let pin = RwSignal::new(String::new());
    let pin_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let done = RwSignal::new(None::<&'static str>);
    // One attempt per row, begun when the row is drawn: every Pay of this row goes under its key.
    let key = Attempt::<()>::default().begin(api_client::new_idempotency_key).to_owned();
    let id = request.id.clone();
    let pay = {
        let id = id.clone();
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            pin_error.set(None);
            error.set(None);
            let (id, key) = (id.clone(), key.clone());
            let entered =
                amount.filter(|a| step_up.get_untracked().needs_pin(*a)).map(|_| pin.get_untracked());
            busy.set(true);
            leptos::task::spawn_local(async move {
                let answer = api_client::pay_request(&id, entered, &key).await;
                let heard = match (&answer, amount) {
                    (Err(failure), Some(amount)) => {
                        step_up.try_update(|s| s.hear(amount, failure)).unwrap_or(PinAnswer::Other)
                    }
                    _ => PinAnswer::Other,
                };
                match (answer, heard) {
                    (Ok(_), _) => {
                        done.set(Some(t(Text::PaidIt)));
                        version.update(|v| *v += 1);
                    }
                    // Pay again, with the PIN, under this row's key.
                    (Err(_), PinAnswer::Reveal) => focus_pin(row),
                    (Err(_), PinAnswer::Locked(sentence)) => error.set(Some(sentence)),
                    (Err(failure), PinAnswer::Other) if failure.field.as_deref() == Some("pin") => {
                        pin_error.set(Some(failure.message))
                    }
                    (Err(failure), PinAnswer::Other) => error.set(Some(failure.message)),
                }
                busy.set(false);
            });
        }
    };
    let decline = move |_| {
        let id = id.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::close_request(&id, true).await {
                Ok(_) => {
                    done.set(Some(t(Text::DeclinedIt)));
                    version.update(|v| *v += 1);
                }
                Err(failure) => error.set(Some(failure.message)),
            }
            busy.set(false);
        });
    };
    let pin_id: &'static str = "request-pin";
    view! {
        <li class="request-row" data-request=request.id.clone() node_ref=row>
            <p>
                <strong>{request.to.display_name.clone()}</strong>" "
                <bdi class="request-handle">"@"{request.to.handle.to_string()}</bdi>" "{t(Text::AsksFor)}" "
                <MoneyDisplay amount=request.amount.clone() currency=request.currency />
            </p>
            {(request.from_paid_before == Some(false)).then(|| {
                let (before, after) = around_handle(t(Text::NotPaidBefore));
                view! {
                    <p class="request-warning" data-paid-before="false">
                        {before}<bdi>"@"{request.to.handle.to_string()}</bdi>{after}
                    </p>
                }
            })}
            {request.note.clone().map(|note| view! { <p class="muted">"“"{note}"”"</p> })}
            {move || match done.get() {
                Some(word) => view! { <p role="status">{word}</p> }.into_any(),
                None => view! {
                    <form class="request-actions" on:submit=pay.clone() novalidate=true>
                        {move || with_pin().map(|a| view! {
                            <p class="muted" role="status">{step_up.get_untracked().reason(a)}</p>
                            <TextField id=pin_id label=t(Text::PaymentPin) value=pin error=pin_error kind="password" inputmode="numeric" maxlength=6 autocomplete="off" />
                        })}
                        <div class="button-row">
                            <button type="button" class="button button-secondary" disabled=move || busy.get() on:click=decline.clone()>{t(Text::Decline)}</button>
                            <button type="submit" class="button" disabled=move || busy.get()>
                                {move || if busy.get() { t(Text::Paying) } else { t(Text::Pay) }}
                            </button>
                        </div>
                        <p class="form-error" role="alert">{move || error.get()}</p>
                    </form>
                }.into_any(),
            }}
        </li>
    }
}

/// Focuses the PIN field of `row` once it is drawn.
fn focus_pin(row: NodeRef<leptos::html::Li>) {
    request_animation_frame(move || {
        let Some(row) = row.try_get_untracked().flatten() else { return };
        let input = row.query_selector("input[type=password]").ok().flatten();
        if let Some(input) = input.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = input.focus();
        }
    });
}
