//! `/send` and the pay link `/pay/{handle}?amount=&note=`: send money to an @handle.
//!
//! Three steps: the form (recipient with a profile preview looked up as the typing pauses —
//! [`crate::flows::send_form::Lookup`] — the amount beside what the wallet can spend, refused
//! before the review when it cannot cover it, and a note, each checked by the same rules the
//! server applies), the review ([`crate::components::review_summary::ReviewSummary`]: to, from and the
//! balance after, fee, arrival, whether it can be canceled; the PIN above the threshold, or below
//! it once the server asks for it: see [`crate::flows::step_up`]), and the result, with a Cancel
//! button while a first payment's grace window is open. An amount over what is left of the
//! sending limit is refused before the review too, with when room comes back and the limits page
//! one tap away ([`crate::flows::limit_guard`]); so is everything, for a person where Purse is
//! not licensed. Each review is one attempt with one idempotency key
//! ([`crate::flows::attempt::Attempt`]): pressing Send again after a lost answer can never pay
//! twice.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use purse_api::compliance::LimitKind;
use purse_api::payments::clean_note;
use purse_api::{AmountText, ErrorCode, Handle, SendRequest, Transfer, TransferStatus};

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::focus::focus_later;
use crate::components::gate::SignedInOnly;
use crate::components::limit_note::{BlockedNote, LimitNote, use_headroom};
use crate::components::money::{AvailableLine, MoneyDisplay, ShortfallNote, use_available};
use crate::components::review_summary::ReviewSummary;
use crate::flows::activity_feed::held_for_review;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{LimitRefusal, is_recipient_unavailable, recipient_unavailable};
use crate::flows::review::{Party, Review, Shortfall, shortfall};
use crate::flows::send_form::{LOOKUP_PAUSE_MS, Lookup, check_amount, check_handle};
use crate::flows::step_up::{PinAnswer, StepUp};
use crate::format;
use crate::session::{Session, SessionState, use_session};
use crate::text::{Text, t};

fn signed_in_as(session: Session) -> Option<Handle> {
    match session.state.get_untracked() {
        SessionState::SignedIn(user) => Some(user.handle),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Form,
    Review,
    Done(Transfer),
}

#[component]
pub fn SendPage() -> impl IntoView {
    view! { <SignedInOnly><SendForm /></SignedInOnly> }
}

/// Looks the handle in `to` up as the typing pauses, and again when the network returns after a
/// lookup could not be made; only the latest lookup's answer lands in `lookup`.
fn watch_lookup(to: RwSignal<String>, lookup: RwSignal<Lookup>) {
    let ask = move |asked: Option<(u64, Handle)>| {
        let Some((number, handle)) = asked else { return };
        leptos::task::spawn_local(async move {
            let answer = api_client::profile(&handle).await;
            let _ = lookup.try_update(|l| l.answered(number, answer));
        });
    };
    Effect::new(move |_| {
        let text = to.get();
        lookup.update(|l| l.typed(&text));
        set_timeout(
            move || {
                if let Some(asked) = lookup.try_update(|l| l.paused(&text)) {
                    ask(asked);
                }
            },
            Duration::from_millis(LOOKUP_PAUSE_MS.into()),
        );
    });
    let online = window_event_listener(leptos::ev::online, move |_| {
        if let Some(asked) = lookup.try_update(Lookup::online) {
            ask(asked);
        }
    });
    on_cleanup(move || online.remove());
}

/// The person the handle names, under the recipient field, or what the lookup says (once: when
/// the field has its own error, that is the one shown).
#[component]
fn LookupPreview(lookup: RwSignal<Lookup>, to_error: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <div class="profile-preview" aria-live="polite" data-test="lookup">
            {move || match lookup.with(|l| l.profile().cloned()) {
                Some(person) => {
                    let initial = person.display_name.chars().next().unwrap_or('?').to_uppercase().to_string();
                    view! {
                        <div class="person">
                            <span class="avatar" aria-hidden="true">{initial}</span>
                            <span class="person-names">
                                <strong>{person.display_name.clone()}</strong>
                                <span class="muted">"@"{person.handle.to_string()}</span>
                            </span>
                            {person.paid_before.map(|paid| view! {
                                <span class="badge" data-paid-before=paid.to_string()>
                                    {if paid { t(Text::PaidBefore) } else { t(Text::FirstPayment) }}
                                </span>
                            })}
                        </div>
                    }.into_any()
                }
                None if to_error.get().is_some() => ().into_any(),
                None => {
                    let problem = lookup.with(Lookup::is_problem);
                    lookup.with(Lookup::message).map(|message| view! {
                        <p class=if problem { "field-error lookup-message" } else { "muted lookup-message" }>{message}</p>
                    }).into_any()
                }
            }}
        </div>
    }
}

#[component]
fn SendForm() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let to = RwSignal::new(params.get_untracked().get("handle").unwrap_or_default());
    let amount = RwSignal::new(query.get_untracked().get("amount").unwrap_or_default());
    let note = RwSignal::new(query.get_untracked().get("note").unwrap_or_default());
    let pin = RwSignal::new(String::new());
    let to_error = RwSignal::new(None::<String>);
    let amount_error = RwSignal::new(None::<String>);
    let note_error = RwSignal::new(None::<String>);
    let pin_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let short = RwSignal::new(None::<Shortfall>);
    let lookup = RwSignal::new(Lookup::default());
    let available = use_available(true);
    let headroom = use_headroom(LimitKind::Send);
    let over = RwSignal::new(None::<LimitRefusal>);
    let step = RwSignal::new(Step::Form);
    let busy = RwSignal::new(false);
    // Each review begins an attempt; every Send from that review goes under its key.
    let attempt: RwSignal<Attempt> = RwSignal::new(Attempt::default());
    // Whether the server asked for the PIN below the threshold: then this form asks for it.
    let step_up = RwSignal::new(StepUp::default());
    watch_lookup(to, lookup);
    // Typing takes the field's problem away (the lookup says what it finds).
    Effect::new(move |_| {
        to.track();
        to_error.set(None);
    });
    Effect::new(move |_| {
        amount.track();
        amount_error.set(None);
        short.set(None);
        over.set(None);
    });

    let review = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        for signal in [to_error, amount_error, note_error, pin_error, form_error] {
            signal.set(None);
        }
        short.set(None);
        over.set(None);
        let mut ok = true;
        let mut first_problem = None;
        if let Err(message) = check_handle(&to.get_untracked()) {
            to_error.set(Some(message.into()));
            first_problem = first_problem.or(Some("to"));
            ok = false;
        } else if lookup.with_untracked(|l| l.profile().is_none()) {
            // What the lookup says (looking, nobody, offline), said once: on the field.
            to_error.set(lookup.with_untracked(Lookup::message).or_else(|| Some(t(Text::LookingUp).into())));
            first_problem = first_problem.or(Some("to"));
            ok = false;
        } else if signed_in_as(session) == check_handle(&to.get_untracked()).ok() {
            to_error.set(Some(t(Text::NotYourself).into()));
            first_problem = first_problem.or(Some("to"));
            ok = false;
        }
        match check_amount(&amount.get_untracked()) {
            Err(message) => {
                amount_error.set(Some(message.into()));
                first_problem = first_problem.or(Some("amount"));
                ok = false;
            }
            Ok(value) => {
                // What the wallet cannot cover first (the server refuses in that order), then the
                // limit.
                if let Some(missing) = shortfall(value.to_minor(), available.get_untracked().as_deref()) {
                    short.set(Some(missing));
                    first_problem = first_problem.or(Some("amount"));
                    ok = false;
                } else if let Some(refusal) =
                    headroom.with_untracked(|h| h.as_ref().and_then(|h| h.check(value.to_minor())))
                {
                    over.set(Some(refusal));
                    first_problem = first_problem.or(Some("amount"));
                    ok = false;
                }
            }
        }
        if clean_note(Some(&note.get_untracked())).is_err() {
            note_error.set(Some(t(Text::NoteTooLong).into()));
            first_problem = first_problem.or(Some("note"));
            ok = false;
        }
        if ok {
            attempt.update(|a| {
                a.begin(api_client::new_idempotency_key);
            });
            pin.set(String::new());
            step.set(Step::Review);
        } else if let Some(id) = first_problem {
            focus_later(id);
        }
    };

    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        pin_error.set(None);
        form_error.set(None);
        let Ok(handle) = check_handle(&to.get_untracked()) else { return };
        let Ok(value) = check_amount(&amount.get_untracked()) else { return };
        let handle_text = handle.to_string();
        let request = SendRequest {
            to: handle,
            amount: AmountText::Text(value.money().amount_string()),
            currency: "USD".into(),
            note: clean_note(Some(&note.get_untracked())).ok().flatten(),
            pin: step_up.get_untracked().needs_pin(value).then(|| pin.get_untracked()),
        };
        busy.set(true);
        let key = attempt.with_untracked(|a| a.key().to_string());
        attempt.update(|a| a.sent(()));
        leptos::task::spawn_local(async move {
            let answer = api_client::send_money(&request, &key).await;
            // An answer that does not say what happened keeps the attempt (and its key) in
            // doubt: Edit waits, and Send again is its retry.
            let _ = attempt.try_update(|a| {
                if a.is_current(&key) {
                    a.answered(&answer);
                }
            });
            let heard = match &answer {
                Err(error) => step_up.try_update(|s| s.hear(value, error)).unwrap_or(PinAnswer::Other),
                Ok(_) => PinAnswer::Other,
            };
            let state = headroom.with_untracked(|h| h.as_ref().and_then(|h| h.state.clone()));
            match (answer, heard) {
                (Ok(transfer), _) => step.set(Step::Done(transfer)),
                // Over the limit after all (another payment got there first), or the account's
                // status: said as the form says it, back on the form.
                (Err(error), PinAnswer::Other)
                    if LimitRefusal::from_error(&error, LimitKind::Send, state.as_deref()).is_some() =>
                {
                    over.set(LimitRefusal::from_error(&error, LimitKind::Send, state.as_deref()));
                    step.set(Step::Form);
                }
                // Never why.
                (Err(error), PinAnswer::Other) if is_recipient_unavailable(&error) => {
                    let name = lookup.with_untracked(|l| l.profile().map(|p| p.display_name.clone()));
                    let name = name.unwrap_or_else(|| format!("@{handle_text}"));
                    to_error.set(Some(recipient_unavailable(&name)));
                    step.set(Step::Form);
                }
                // The same payment again, with the PIN, under this review's key.
                (Err(_), PinAnswer::Reveal) => focus_later("pin"),
                (Err(_), PinAnswer::Locked(sentence)) => form_error.set(Some(sentence)),
                (Err(error), PinAnswer::Other) => match error.field.as_deref() {
                    Some("pin") => pin_error.set(Some(error.message)),
                    Some("to") | Some("amount") | Some("note") | Some("currency")
                        if error.code != Some(ErrorCode::InsufficientFunds) =>
                    {
                        let target = match error.field.as_deref() {
                            Some("to") => to_error,
                            Some("note") => note_error,
                            _ => amount_error,
                        };
                        target.set(Some(error.message));
                        step.set(Step::Form);
                    }
                    _ => form_error.set(Some(error.message)),
                },
            }
            busy.set(false);
        });
    };

    let cancel = move |id: String| {
        busy.set(true);
        form_error.set(None);
        leptos::task::spawn_local(async move {
            match api_client::cancel_transfer(&id).await {
                Ok(transfer) => step.set(Step::Done(transfer)),
                Err(error) => form_error.set(Some(error.message)),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="send-title">
            <h1 id="send-title">{t(Text::SendTitle)}</h1>
            {move || match step.get() {
                Step::Form => view! {
                    <form on:submit=review novalidate=true>
                        <BlockedNote headroom=headroom id="send-blocked" />
                        <AvailableLine available=available id="send-available" />
                        <TextField id="to" label=t(Text::Recipient) value=to error=to_error hint=t(Text::RecipientHint) autocomplete="off" maxlength=16 />
                        <LookupPreview lookup=lookup to_error=to_error />
                        <TextField id="amount" label=t(Text::Amount) value=amount error=amount_error hint=t(Text::AmountHint) inputmode="decimal" maxlength=12 />
                        {move || short.get().map(|missing| view! { <ShortfallNote shortfall=missing id="send-short" /> })}
                        {move || over.get().filter(|_| headroom.with(|h| h.as_ref().and_then(|h| h.blocked()).is_none()))
                            .map(|refusal| view! { <LimitNote refusal=refusal id="send-limit" /> })}
                        <TextField id="note" label=t(Text::Note) value=note error=note_error hint=t(Text::NoteHint) maxlength=400 />
                        <button type="submit" class="button button-block">{t(Text::Review)}</button>
                    </form>
                }.into_any(),
                Step::Review => {
                    let person = lookup.with_untracked(|l| l.profile().cloned());
                    let handle = check_handle(&to.get_untracked()).map(|h| h.to_string()).unwrap_or_default();
                    let name = person.as_ref().map_or_else(|| handle.clone(), |p| p.display_name.clone());
                    let window = person.as_ref().and_then(|p| p.cancel_window_seconds);
                    let Ok(value) = check_amount(&amount.get_untracked()) else { return ().into_any() };
                    let summary = Review::send(Party::person(name, handle), value, available.get_untracked().as_deref(), window);
                    let with_pin = move || Some(value).filter(|v| step_up.get().needs_pin(*v));
                    view! {
                        <form on:submit=send novalidate=true>
                            <ReviewSummary review=summary id="send-review" busy=busy busy_label=t(Text::Sending)
                                can_edit=Signal::derive(move || !busy.get() && !attempt.with(|a| a.in_doubt()))
                                on_edit=Callback::new(move |()| step.set(Step::Form))>
                                {clean_note(Some(&note.get_untracked())).ok().flatten().map(|n| view! { <p class="muted">"“"{n}"”"</p> })}
                                {move || with_pin().map(|v| view! {
                                    <p class="muted" id="pin-reason" role="status">{step_up.get_untracked().reason(v)}</p>
                                    <TextField id="pin" label=t(Text::PaymentPin) value=pin error=pin_error kind="password" inputmode="numeric" maxlength=6 autocomplete="off" />
                                })}
                                <p class="form-error" role="alert">{move || form_error.get()}</p>
                            </ReviewSummary>
                        </form>
                    }.into_any()
                }
                Step::Done(transfer) => {
                    // Held for review: pending until an officer decides, and not the sender's
                    // to cancel; said with the one generic sentence.
                    let held = held_for_review(transfer.review.as_ref());
                    let pending = transfer.status == TransferStatus::Pending && held.is_none();
                    let id = transfer.id.clone();
                    view! {
                        <div class="done" role="status" data-held=held.is_some().then_some("true")>
                            <p class="done-title">
                                {match held {
                                    Some((words, _)) => words,
                                    None if transfer.status == TransferStatus::Canceled => t(Text::PaymentCanceled),
                                    None => t(Text::SentTitle),
                                }}
                            </p>
                            <p class="balance-amount"><MoneyDisplay amount=transfer.amount.clone() currency=transfer.currency /></p>
                            <p>"@"{transfer.to.to_string()}</p>
                            {held.map(|(_, message)| view! { <p class="notice review-hold" data-test="review-message">{message}</p> })}
                            {pending.then(|| view! {
                                <p class="muted">{t(Text::SentPending)}" "{transfer.cancelable_until.as_deref().map(format::when).unwrap_or_default()}</p>
                                <button type="button" class="button button-secondary" disabled=move || busy.get() on:click=move |_| cancel(id.clone())>
                                    {move || if busy.get() { t(Text::Canceling) } else { t(Text::CancelPayment) }}
                                </button>
                            })}
                            <p class="form-error" role="alert">{move || form_error.get()}</p>
                            <p><A href="/activity/{}".replace("{}", &transfer.id)>{t(Text::Receipt)}</A>" · "<A href="/wallet">{t(Text::BackToWallet)}</A></p>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}
