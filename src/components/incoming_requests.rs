//! Requests for money made to the signed-in person, with Pay (PIN above the threshold) and
//! Decline. Reloads whenever the wallet's [`RequestsVersion`] changes (the live stream bumps it).

use leptos::prelude::*;
use purse_api::payments::needs_pin;
use purse_api::{Amount, MoneyRequest, RequestStatus};

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::money::MoneyDisplay;
use crate::flows::attempt::Attempt;
use crate::pages::wallet::RequestsVersion;
use crate::text::{Text, t};

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
fn IncomingRequest(request: MoneyRequest, version: RwSignal<u32>) -> impl IntoView {
    let with_pin = Amount::parse(&request.amount, request.currency.code()).is_ok_and(needs_pin);
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
            let entered = with_pin.then(|| pin.get_untracked());
            busy.set(true);
            leptos::task::spawn_local(async move {
                match api_client::pay_request(&id, entered, &key).await {
                    Ok(_) => {
                        done.set(Some(t(Text::PaidIt)));
                        version.update(|v| *v += 1);
                    }
                    Err(failure) if failure.field.as_deref() == Some("pin") => {
                        pin_error.set(Some(failure.message))
                    }
                    Err(failure) => error.set(Some(failure.message)),
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
        <li class="request-row" data-request=request.id.clone()>
            <p>
                <strong>{request.to.display_name.clone()}</strong>" "{t(Text::AsksFor)}" "
                <MoneyDisplay amount=request.amount.clone() currency=request.currency />
            </p>
            {request.note.clone().map(|note| view! { <p class="muted">"“"{note}"”"</p> })}
            {move || match done.get() {
                Some(word) => view! { <p role="status">{word}</p> }.into_any(),
                None => view! {
                    <form class="request-actions" on:submit=pay.clone() novalidate=true>
                        {with_pin.then(|| view! {
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
