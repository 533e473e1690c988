//! Requests for money made to the signed-in person: who asks, by name and @handle (names are not
//! unique), with a warning when the person has never paid them (an impostor may have taken a
//! friend's name); with Pay, which opens the review (payee, amount, the balance after: no money
//! moves before its confirm; the PIN above the threshold, or below it once the server asks:
//! [`crate::flows::step_up`]) or says first what the wallet is short of, and Decline, which asks
//! once ("Decline Bob's request for $12.00?"). Pay also refuses first what is over the sending
//! limit, or anything for a person whose status stops payments (the list reads the limit once:
//! [`use_headroom`]). Reloads whenever the wallet's [`RequestsVersion`] changes (the live stream
//! bumps it).

use leptos::prelude::*;
use purse_api::compliance::LimitKind;
use purse_api::{Amount, MoneyRequest, RequestStatus};
use wasm_bindgen::JsCast;

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::limit_note::{BlockedNote, LimitNote, use_headroom};
use crate::components::money::{MoneyDisplay, ShortfallNote};
use crate::components::review_summary::ReviewSummary;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{Headroom, LimitRefusal, is_recipient_unavailable, recipient_unavailable};
use crate::flows::review::{Party, Review, Shortfall, decline_question, shortfall};
use crate::flows::step_up::{PinAnswer, StepUp};
use crate::pages::wallet::RequestsVersion;
use crate::text::{ReviewText, Text, around_handle, t};

/// The sending limit the list's Pay buttons check, read once for the list.
#[derive(Clone, Copy, Debug)]
pub struct PayHeadroom(pub RwSignal<Option<Headroom>>);

#[component]
pub fn IncomingRequests() -> impl IntoView {
    let version = use_context::<RequestsVersion>().map_or_else(|| RwSignal::new(0), |v| v.0);
    let headroom = use_headroom(LimitKind::Send);
    provide_context(PayHeadroom(headroom));
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
                <BlockedNote headroom=headroom id="requests-blocked" />
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

/// Where a request's row is.
#[derive(Clone, Debug, PartialEq)]
enum RowStep {
    /// Pay and Decline.
    Ask,
    /// Reading the balance before the review.
    Opening,
    /// The wallet cannot cover it: what it has, and Add money.
    Short(Shortfall),
    /// Over the sending limit, or the account's status stops it.
    OverLimit(LimitRefusal),
    /// The review, with what the wallet could spend when it opened.
    Review(Option<String>),
    /// "Decline Bob's request for $12.00?"
    ConfirmDecline,
    Done(&'static str),
}

#[component]
pub fn IncomingRequest(request: MoneyRequest, version: RwSignal<u32>) -> impl IntoView {
    let amount = Amount::parse(&request.amount, request.currency.code()).ok();
    let headroom = use_context::<PayHeadroom>().map(|h| h.0);
    let limit_check = move |minor: i64| {
        headroom.and_then(|h| h.with_untracked(|h| h.as_ref().and_then(|h| h.check(minor))))
    };
    let known_state =
        move || headroom.and_then(|h| h.with_untracked(|h| h.as_ref().and_then(|h| h.state.clone())));
    let requester = request.to.display_name.clone();
    // Above the threshold, or once the server asked for it (the day's payments without it).
    let step_up = RwSignal::new(StepUp::default());
    let with_pin = move || amount.filter(|a| step_up.get().needs_pin(*a));
    let row = NodeRef::<leptos::html::Li>::new();
    let pin = RwSignal::new(String::new());
    let pin_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let step = RwSignal::new(RowStep::Ask);
    // Whether a Pay of this row may have paid (no answer, a server failure): then the review
    // stays, and its retry goes under the same key.
    let in_doubt = RwSignal::new(false);
    // One attempt per row, begun when the row is drawn: every Pay of this row goes under its key.
    let key = Attempt::<()>::default().begin(api_client::new_idempotency_key).to_owned();
    let id = request.id.clone();
    let payee = Party::person(request.to.display_name.clone(), request.to.handle.to_string());
    let money = crate::format::money(&request.amount, request.currency);
    let row_id = request.id.clone();

    // Pay: read the balance, then the review (or what is missing).
    let open_review = move |_| {
        error.set(None);
        step.set(RowStep::Opening);
        leptos::task::spawn_local(async move {
            let available = api_client::wallet().await.ok().and_then(|wallet| {
                wallet
                    .balances
                    .into_iter()
                    .find(|b| b.currency == purse_api::Currency::Usd)
                    .map(|b| b.available)
            });
            let missing = amount.and_then(|a| shortfall(a.to_minor(), available.as_deref()));
            let over = amount.and_then(|a| limit_check(a.to_minor()));
            let next = match (missing, over) {
                (Some(missing), _) => RowStep::Short(missing),
                (None, Some(refusal)) => RowStep::OverLimit(refusal),
                (None, None) => RowStep::Review(available),
            };
            // Only the Pay that is still opening: a Decline asked meanwhile keeps its question.
            let _ = step.try_update(|step| {
                if *step == RowStep::Opening {
                    *step = next;
                }
            });
        });
    };
    let pay = {
        let id = id.clone();
        let requester = requester.clone();
        move |event: leptos::ev::SubmitEvent| {
            let requester = requester.clone();
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
                in_doubt.set(matches!(&answer, Err(failure) if failure.is_uncertain()));
                match (answer, heard) {
                    (Ok(_), _) => {
                        step.set(RowStep::Done(t(Text::PaidIt)));
                        version.update(|v| *v += 1);
                    }
                    // Pay again, with the PIN, under this row's key.
                    (Err(_), PinAnswer::Reveal) => focus_pin(row),
                    (Err(_), PinAnswer::Locked(sentence)) => error.set(Some(sentence)),
                    (Err(failure), PinAnswer::Other) if failure.field.as_deref() == Some("pin") => {
                        pin_error.set(Some(failure.message))
                    }
                    (Err(failure), PinAnswer::Other)
                        if LimitRefusal::from_error(&failure, LimitKind::Send, known_state().as_deref())
                            .is_some() =>
                    {
                        if let Some(refusal) =
                            LimitRefusal::from_error(&failure, LimitKind::Send, known_state().as_deref())
                        {
                            step.set(RowStep::OverLimit(refusal));
                        }
                    }
                    (Err(failure), PinAnswer::Other) if is_recipient_unavailable(&failure) => {
                        error.set(Some(recipient_unavailable(&requester)))
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
                    step.set(RowStep::Done(t(Text::DeclinedIt)));
                    version.update(|v| *v += 1);
                }
                Err(failure) => error.set(Some(failure.message)),
            }
            busy.set(false);
        });
    };
    let pin_id: &'static str = "request-pin";
    let question = decline_question(&request.to.display_name, &money);
    let step_name = move || match step.get() {
        RowStep::Ask | RowStep::Opening => "ask",
        RowStep::Short(_) => "short",
        RowStep::OverLimit(_) => "over-limit",
        RowStep::Review(_) => "review",
        RowStep::ConfirmDecline => "decline",
        RowStep::Done(_) => "done",
    };
    view! {
        <li class="request-row" data-request=request.id.clone() data-step=step_name node_ref=row>
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
            {move || match step.get() {
                RowStep::Done(word) => view! { <p role="status">{word}</p> }.into_any(),
                RowStep::Ask | RowStep::Opening => view! {
                    <div class="button-row request-actions">
                        <button type="button" class="button button-secondary" data-action="decline" disabled=move || busy.get() || step.get() == RowStep::Opening
                            on:click=move |_| { step.set(RowStep::ConfirmDecline); focus_in(row, "[data-action=decline-yes]"); }>{t(Text::Decline)}</button>
                        <button type="button" class="button" data-action="pay" disabled=move || amount.is_none() || step.get() == RowStep::Opening
                            on:click=open_review>{t(Text::Pay)}</button>
                    </div>
                    <p class="form-error" role="alert">{move || error.get()}</p>
                }.into_any(),
                RowStep::Short(missing) => view! {
                    <ShortfallNote shortfall=missing id="request-short" />
                    <div class="button-row">
                        <button type="button" class="button button-secondary" data-action="back" on:click=move |_| step.set(RowStep::Ask)>{t(ReviewText::Back)}</button>
                    </div>
                }.into_any(),
                RowStep::OverLimit(refusal) => view! {
                    <LimitNote refusal=refusal id="request-limit" />
                    <div class="button-row">
                        <button type="button" class="button button-secondary" data-action="back" on:click=move |_| step.set(RowStep::Ask)>{t(ReviewText::Back)}</button>
                    </div>
                }.into_any(),
                RowStep::ConfirmDecline => view! {
                    <div class="decline-ask" role="group" aria-label=question.clone()>
                        <p class="decline-question">{question.clone()}</p>
                        <div class="button-row">
                            <button type="button" class="button button-secondary" data-action="decline-no" disabled=move || busy.get()
                                on:click=move |_| step.set(RowStep::Ask)>{t(ReviewText::DeclineNo)}</button>
                            <button type="button" class="button" data-action="decline-yes" disabled=move || busy.get()
                                on:click=decline.clone()>{t(ReviewText::DeclineYes)}</button>
                        </div>
                        <p class="form-error" role="alert">{move || error.get()}</p>
                    </div>
                }.into_any(),
                RowStep::Review(available) => {
                    let Some(value) = amount else { return ().into_any() };
                    let summary = Review::pay_request(payee.clone(), value, available.as_deref());
                    view! {
                        <form class="request-actions" on:submit=pay.clone() novalidate=true>
                            <ReviewSummary review=summary id=format!("review-{row_id}") busy=busy busy_label=t(Text::Paying)
                                can_edit=Signal::derive(move || !busy.get() && !in_doubt.get())
                                on_edit=Callback::new(move |()| step.set(RowStep::Ask))>
                                {move || with_pin().map(|a| view! {
                                    <p class="muted" role="status">{step_up.get_untracked().reason(a)}</p>
                                    <TextField id=pin_id label=t(Text::PaymentPin) value=pin error=pin_error kind="password" inputmode="numeric" maxlength=6 autocomplete="off" />
                                })}
                                <p class="form-error" role="alert">{move || error.get()}</p>
                            </ReviewSummary>
                        </form>
                    }.into_any()
                }
            }}
        </li>
    }
}

/// Focuses the PIN field of `row` once it is drawn.
fn focus_pin(row: NodeRef<leptos::html::Li>) {
    focus_in(row, "input[type=password]");
}

/// Focuses the first element matching `css` in `row` once it is drawn.
fn focus_in(row: NodeRef<leptos::html::Li>, css: &'static str) {
    request_animation_frame(move || {
        let Some(row) = row.try_get_untracked().flatten() else { return };
        let found = row.query_selector(css).ok().flatten();
        if let Some(element) = found.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}
