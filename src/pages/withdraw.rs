//! `/withdraw`: money out of the wallet, standard (to a bank account, free) or instant (to a
//! debit card, for a fee).
//!
//! Reads the cards, the bank accounts and the balance (a skeleton meanwhile; what went wrong and
//! a retry if it cannot). Then the speed as a radio group, where to (or the way to add a place
//! when there is none), the amount with a preview as it is typed — the fee and the total from
//! `purse_api::funding::quote_minor`, the arrival of a standard withdrawal from
//! `GET /quotes/withdrawal` (asked once the typing pauses) — the PIN, and a button that says
//! what it will do. What the wallet cannot cover is refused before the review ("You have
//! $548.00 — add $352.00?", Add money one tap away), and so is what is over the withdrawal limit
//! (with when room comes back, and the limits page one tap away); the review
//! ([`crate::components::review_summary::ReviewSummary`]) says where to, the balance after, the fee,
//! the arrival and that it is final, and its confirm names the amount. The result says what happened, and links to the activity, where a standard
//! withdrawal turns completed by itself when the bank settles it. The decisions are
//! [`crate::flows::withdraw_flow::WithdrawFlow`]; this file draws them and does the HTTP.

use std::time::Duration;

use leptos::prelude::*;
use purse_api::compliance::LimitKind;
use purse_api::{BankAccount, Card, Currency, Speed, WithdrawalStatus};

use crate::api_client::{self, ApiError};
use crate::components::fields::{TextField, typed_into};
use crate::components::focus::focus_later;
use crate::components::gate::SignedInOnly;
use crate::components::limit_note::{LimitNote, use_headroom};
use crate::components::money::{MoneyDisplay, ShortfallNote, use_available};
use crate::components::review_summary::ReviewSummary;
use crate::components::states::{ErrorState, SkeletonList};
use crate::flows::activity_feed::held_for_review;
use crate::flows::withdraw_flow::{Step, WithdrawFlow, done_text, speed_name};
use crate::session::{SessionState, use_session};
use crate::text::{Funding, Limits, Text, t};

/// How long the typing must pause before the arrival time is asked for.
const QUOTE_PAUSE: Duration = Duration::from_millis(400);

/// What the page reads before it can show the form.
pub type Methods = (Vec<Card>, Vec<BankAccount>, Option<String>);

#[component]
pub fn WithdrawPage() -> impl IntoView {
    view! { <SignedInOnly><WithdrawLoader /></SignedInOnly> }
}

#[component]
fn WithdrawLoader() -> impl IntoView {
    let methods = RwSignal::new(None::<Result<Methods, ApiError>>);
    let load = move || {
        methods.set(None);
        leptos::task::spawn_local(async move {
            let answer = read_methods().await;
            let _ = methods.try_set(Some(answer));
        });
    };
    load();
    view! { <WithdrawView methods on_reload=Callback::new(move |()| load()) /> }
}

async fn read_methods() -> Result<Methods, ApiError> {
    let cards = api_client::cards().await?;
    let banks = api_client::bank_accounts().await?;
    let wallet = api_client::wallet().await?;
    let available = wallet.balances.into_iter().find(|b| b.currency == Currency::Usd).map(|b| b.available);
    Ok((cards, banks, available))
}

/// The page for what was read (`None` while reading): a test can put it in any state.
#[component]
pub fn WithdrawView(
    methods: RwSignal<Option<Result<Methods, ApiError>>>,
    on_reload: Callback<()>,
) -> impl IntoView {
    let state = move || match methods.with(|m| m.as_ref().map(Result::is_ok)) {
        None => "loading",
        Some(false) => "unavailable",
        Some(true) => "ready",
    };
    view! {
        <section class="card form-card funding" data-test="withdraw-page" data-state=state aria-labelledby="withdraw-title"
            aria-busy=move || (state() == "loading").to_string()>
            <h1 id="withdraw-title">{t(Funding::WithdrawTitle)}</h1>
            <p class="muted">{t(Funding::WithdrawLead)}</p>
            {move || match methods.get() {
                None => view! { <SkeletonList rows=3 /> }.into_any(),
                Some(Err(error)) => view! { <ErrorState permanent=error.is_permanent() message=error.message on_retry=on_reload no_money_moved=true /> }.into_any(),
                Some(Ok((cards, banks, available))) => {
                    view! { <WithdrawForm flow=RwSignal::new(WithdrawFlow::new(cards, banks, available)) /> }.into_any()
                }
            }}
        </section>
    }
}

/// The form and the result: everything comes from `flow`, so a test can put it in any state.
#[component]
pub fn WithdrawForm(flow: RwSignal<WithdrawFlow>) -> impl IntoView {
    let done = Memo::new(move |_| flow.with(|f| matches!(f.step, Step::Done { .. })));
    // The arrival of a standard withdrawal, asked once the typing pauses; an answer for an
    // amount no longer typed is dropped.
    let wanted = Memo::new(move |_| flow.with(WithdrawFlow::quote_wanted));
    Effect::new(move |_| {
        let Some(amount) = wanted.get() else { return };
        set_timeout(
            move || {
                if wanted.try_get_untracked().flatten().as_ref() != Some(&amount) {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let answer = api_client::withdrawal_quote(&amount, Speed::Standard).await;
                    if wanted.try_get_untracked().flatten().as_ref() == Some(&amount) {
                        let _ = flow.try_update(|f| f.quoted(answer));
                    }
                });
            },
            QUOTE_PAUSE,
        );
    });
    // What the wallet can spend, kept current by the live stream (the page read it first).
    let live = use_available(true);
    Effect::new(move |_| {
        if let Some(available) = live.get() {
            flow.update(|f| f.available = Some(available));
        }
    });
    // The withdrawal limit and the person's status, read once.
    let headroom = use_headroom(LimitKind::Withdraw);
    Effect::new(move |_| {
        if let Some(read) = headroom.get() {
            flow.update(|f| f.headroom = Some(read));
        }
    });
    // The PIN, typed on the form and sent by the review's confirm.
    let pin = RwSignal::new(String::new());
    let reviewing = Memo::new(move |_| flow.with(|f| matches!(f.step, Step::Review | Step::Sending)));
    move || {
        if done.get() {
            view! { <Done flow /> }.into_any()
        } else if reviewing.get() {
            view! { <WithdrawReview flow pin /> }.into_any()
        } else {
            view! { <Form flow pin /> }.into_any()
        }
    }
}

/// The form's first problem, to focus.
fn first_problem(flow: RwSignal<WithdrawFlow>) {
    let first = flow.with_untracked(|f| {
        if f.problems.destination.is_some() {
            None
        } else if f.problems.amount.is_some() {
            Some("withdraw-amount")
        } else if f.problems.pin.is_some() {
            Some("withdraw-pin")
        } else {
            None
        }
    });
    if let Some(id) = first {
        focus_later(id);
    }
}

/// The review: where to, from the balance and what is left, the fee, when it arrives, that it is
/// final; Edit, and "Withdraw $40.00", which sends it.
#[component]
fn WithdrawReview(flow: RwSignal<WithdrawFlow>, pin: RwSignal<String>) -> impl IntoView {
    let session = use_session();
    let Some(summary) = flow.with_untracked(WithdrawFlow::summary) else { return ().into_any() };
    let sending = Signal::derive(move || flow.with(|f| f.step == Step::Sending));
    let confirm = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let attempt =
            flow.try_update(|f| f.submit(&pin.get_untracked(), api_client::new_idempotency_key)).flatten();
        let Some((request, key)) = attempt else {
            first_problem(flow);
            return;
        };
        leptos::task::spawn_local(async move {
            let answer = api_client::withdraw(&request, &key).await;
            if matches!(&answer, Err(error) if error.is_unauthenticated()) {
                session.set_user(None);
            }
            if flow.try_update(|f| f.answer(&key, answer)).is_none() {
                return;
            }
            if flow.with_untracked(|f| f.problems.pin.is_some()) {
                let _ = pin.try_set(String::new());
                focus_later("withdraw-pin");
            } else if flow.with_untracked(|f| matches!(f.step, Step::Done { .. })) {
                focus_later("withdraw-done-title");
            } else {
                first_problem(flow);
            }
        });
    };
    view! {
        <form class="withdraw-form" id="withdraw-review" on:submit=confirm novalidate=true>
            <ReviewSummary review=summary id="withdraw-review-title" busy=sending busy_label=t(Funding::Withdrawing)
                can_edit=Signal::derive(move || flow.with(|f| f.step == Step::Review && !f.attempt.in_doubt()))
                on_edit=Callback::new(move |()| flow.update(WithdrawFlow::edit))>
                <p class="form-error" id="withdraw-error" role="alert">{move || flow.with(|f| f.problems.form.clone())}</p>
            </ReviewSummary>
        </form>
    }
    .into_any()
}

#[component]
fn Form(flow: RwSignal<WithdrawFlow>, pin: RwSignal<String>) -> impl IntoView {
    let session = use_session();
    let pin_set = session.state.with_untracked(|state| match state {
        SessionState::SignedIn(user) => user.pin_set,
        _ => false,
    });
    let amount = RwSignal::new(flow.with_untracked(|f| f.amount.clone()));
    let problem = move |pick: fn(&WithdrawFlow) -> Option<String>| Signal::derive(move || flow.with(pick));
    let amount_error = problem(|f| f.problems.amount.clone());
    let pin_error = problem(|f| f.problems.pin.clone());
    let destination_error = problem(|f| f.problems.destination.clone());
    let locked = Memo::new(move |_| flow.with(|f| !f.can_edit()));
    let speed = Memo::new(move |_| flow.with(|f| f.speed));
    let destinations = Memo::new(move |_| flow.with(WithdrawFlow::destinations));
    let available = Memo::new(move |_| flow.with(|f| f.available.clone()));
    let short = Memo::new(move |_| flow.with(WithdrawFlow::short));
    let blocked = Memo::new(move |_| flow.with(|f| f.headroom.as_ref().and_then(|h| h.blocked())));
    let over = Memo::new(move |_| {
        flow.with(|f| f.problems.limit.clone()).filter(|r| Some(r) != blocked.get().as_ref())
    });

    // The amount goes into the flow as it is typed (the preview follows it); typing takes a
    // field's problem away.
    let typed = move |event: leptos::ev::Event| {
        let Some((id, value)) = typed_into(&event) else { return };
        flow.update(|f| match id.as_str() {
            "withdraw-amount" => {
                f.amount = value;
                f.problems.amount = None;
                f.problems.limit = None;
            }
            "withdraw-pin" => f.problems.pin = None,
            _ => {}
        });
    };

    // "Review": the review when the form holds; else the first problem takes focus.
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if flow.try_update(|f| f.review(&pin.get_untracked())) != Some(true) {
            first_problem(flow);
        }
    };

    let speed_option = move |value: Speed, title: Funding, hint: Funding| {
        let name = speed_name(value);
        let id = format!("withdraw-speed-{name}");
        let (label_for, hint_id, described_by) = (id.clone(), format!("{id}-hint"), format!("{id}-hint"));
        view! {
            <label class="speed-option" for=label_for>
                <input type="radio" name="withdraw-speed" id=id value=name aria-describedby=described_by
                    prop:checked=move || speed.get() == value
                    on:change=move |_| flow.update(|f| f.set_speed(value)) />
                <span class="speed-text">
                    <span class="speed-title">{t(title)}</span>
                    <span class="muted" id=hint_id>{t(hint)}</span>
                </span>
            </label>
        }
    };

    view! {
        <form class="withdraw-form" id="withdraw-form" on:submit=submit on:input=typed novalidate=true>
            {move || blocked.get().map(|refusal| view! { <LimitNote refusal=refusal id="withdraw-blocked" /> })}
            {move || available.get().map(|available| view! {
                <p class="withdraw-available" data-test="withdraw-available">
                    <span class="muted">{t(Text::AvailableBalance)}": "</span>
                    <MoneyDisplay amount=available currency=Currency::Usd />
                </p>
            })}
            // Locked while an attempt is on its way or in doubt: a retry must send what was sent.
            <fieldset class="form-fields" disabled=move || locked.get()>
                <fieldset class="speed-options" data-test="withdraw-speed">
                    <legend>{t(Funding::SpeedLegend)}</legend>
                    {speed_option(Speed::Standard, Funding::SpeedStandard, Funding::SpeedStandardHint)}
                    {speed_option(Speed::Instant, Funding::SpeedInstant, Funding::SpeedInstantHint)}
                </fieldset>
                {move || {
                    let choices = destinations.get();
                    if choices.is_empty() {
                        let (missing, action) = match speed.get() {
                            Speed::Standard => (Funding::WithdrawNoBank, Funding::AddBankAction),
                            Speed::Instant => (Funding::WithdrawNoCard, Funding::AddCardAction),
                        };
                        let href = match speed.get() {
                            Speed::Standard => "/settings/payment-methods",
                            Speed::Instant => "/add-money",
                        };
                        return view! {
                            <p class="notice withdraw-nowhere" data-test="withdraw-no-destination">
                                <span>{t(missing)}</span>
                                <a href=href class="button button-secondary button-small" data-test="withdraw-add-destination">{t(action)}</a>
                            </p>
                            <p class="field-error" id="withdraw-destination-error" role="alert">{move || destination_error.get()}</p>
                        }.into_any();
                    }
                    view! {
                        <div class="field" class:invalid=move || destination_error.get().is_some()>
                            <label for="withdraw-destination">{t(Funding::WithdrawTo)}</label>
                            <select id="withdraw-destination" name="withdraw-destination"
                                aria-describedby="withdraw-destination-error"
                                on:change=move |event| flow.update(|f| f.set_destination(event_target_value(&event)))>
                                {choices.into_iter().map(|(id, label)| {
                                    let chosen = {
                                        let id = id.clone();
                                        move || flow.with(|f| f.destination.as_ref() == Some(&id))
                                    };
                                    view! { <option value=id prop:selected=chosen>{label}</option> }
                                }).collect_view()}
                            </select>
                            <p class="field-error" id="withdraw-destination-error" role="alert">{move || destination_error.get()}</p>
                        </div>
                    }.into_any()
                }}
                <TextField id="withdraw-amount" label=t(Text::Amount) value=amount error=amount_error hint=t(Text::AmountHint)
                    inputmode="decimal" maxlength=12 />
                <p class="preview" id="withdraw-preview" data-test="withdraw-preview" aria-live="polite">
                    {move || flow.with(WithdrawFlow::preview)}
                </p>
                {move || short.get().filter(|_| amount_error.with(Option::is_none)).map(|short| view! {
                    <ShortfallNote shortfall=short id="withdraw-short" />
                })}
                {move || over.get().map(|refusal| view! { <LimitNote refusal=refusal id="withdraw-limit" /> })}
                {pin_set.then(|| view! {
                    <TextField id="withdraw-pin" label=t(Text::PaymentPin) value=pin error=pin_error hint=t(Funding::WithdrawPinHint)
                        kind="password" inputmode="numeric" autocomplete="off" maxlength=12 />
                })}
            </fieldset>
            {if pin_set {
                view! {
                    <p class="form-error" id="withdraw-error" role="alert">{move || flow.with(|f| f.problems.form.clone())}</p>
                    <button type="submit" class="button button-block" id="withdraw-submit" data-test="withdraw-submit">
                        {t(Text::Review)}
                    </button>
                }.into_any()
            } else {
                view! {
                    <p class="notice" data-test="withdraw-pin-not-set">
                        <span>{t(Funding::WithdrawPinNotSet)}</span>
                        <a href="/settings/pin" class="button button-secondary button-small">{t(Text::SetPinAction)}</a>
                    </p>
                }.into_any()
            }}
        </form>
    }
}

/// What happened: the status, how much, where, the fee, when it arrives; and the way to the
/// activity, where a pending withdrawal turns completed by itself.
#[component]
fn Done(flow: RwSignal<WithdrawFlow>) -> impl IntoView {
    let Some((withdrawal, destination)) = flow.with_untracked(|f| match &f.step {
        Step::Done { withdrawal, destination } => Some((withdrawal.clone(), destination.clone())),
        _ => None,
    }) else {
        return ().into_any();
    };
    // Held for review: "Pending review" and the one generic sentence, whatever the rule.
    let held = held_for_review(withdrawal.review.as_ref());
    let (title, sentence) = match held {
        Some((words, message)) => (words, message.to_string()),
        None => done_text(&withdrawal, &destination),
    };
    let status = match withdrawal.status {
        _ if held.is_some() => "review",
        WithdrawalStatus::Pending => "pending",
        WithdrawalStatus::Completed => "completed",
        WithdrawalStatus::Failed => "failed",
        WithdrawalStatus::Returned => "returned",
    };
    let badge = match withdrawal.status {
        _ if held.is_some() => t(Limits::PendingReview),
        WithdrawalStatus::Pending => t(Text::StatusPending),
        WithdrawalStatus::Completed => t(Text::StatusCompleted),
        WithdrawalStatus::Failed => t(Text::StatusFailed),
        WithdrawalStatus::Returned => t(Text::StatusReturned),
    };
    // The form again, empty; the balance read again (it changed).
    let again = move |_| {
        flow.update(|f| {
            let (cards, banks) = (f.cards.clone(), f.banks.clone());
            *f = WithdrawFlow::new(cards, banks, None);
        });
        focus_later("withdraw-amount");
        leptos::task::spawn_local(async move {
            let available = api_client::wallet().await.ok().and_then(|wallet| {
                wallet.balances.into_iter().find(|b| b.currency == Currency::Usd).map(|b| b.available)
            });
            let _ = flow.try_update(|f| f.available = available);
        });
    };
    view! {
        <div class="done" role="status" data-test="withdraw-done" data-status=status>
            <p class="done-title" id="withdraw-done-title" tabindex="-1">{title}</p>
            <p class="balance-amount"><MoneyDisplay amount=withdrawal.amount.clone() currency=Currency::Usd /></p>
            <p id="withdraw-done-text">{sentence}</p>
            <span class="badge" id="withdraw-status" data-status=status>{badge}</span>
            <div class="button-row">
                <button type="button" class="button button-secondary" data-test="withdraw-again" on:click=again>{t(Funding::WithdrawMore)}</button>
                <a class="button" href="/wallet" data-test="withdraw-see-activity">{t(Funding::SeeActivity)}</a>
            </div>
        </div>
    }
    .into_any()
}
