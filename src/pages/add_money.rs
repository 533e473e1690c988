//! `/add-money`: money from a debit card into the wallet.
//!
//! Reads the linked cards (a skeleton meanwhile; what went wrong and a retry if it cannot).
//! No card yet: says so and shows the card form, which goes to the card network, not to Purse.
//! Then: which card, how much (`?amount=` starts it: the shortfall's Add money link carries what
//! is missing), and the review ([`crate::components::review_summary::ReviewSummary`]: the balance now and
//! after, the card, free, right away) whose confirm says it (`Add $50.00`); the result says what
//! happened and the new balance, or why nothing moved. An amount over what is left of the deposit
//! limit is refused before the review, with when room comes back and the limits page one tap
//! away. The decisions are
//! [`crate::flows::add_money_flow::AddMoneyFlow`]; this file draws them and does the HTTP through
//! [`api_client`].

use leptos::prelude::*;
use purse_api::compliance::LimitKind;
use purse_api::{Card, Currency};

use crate::api_client::{self, ApiError};
use crate::components::card_form::CardForm;
use crate::components::fields::{TextField, typed_into};
use crate::components::focus::focus_later;
use crate::components::gate::SignedInOnly;
use crate::components::limit_note::{LimitNote, use_headroom};
use crate::components::money::{MoneyDisplay, use_available};
use crate::components::review_summary::ReviewSummary;
use crate::components::states::{EmptyState, ErrorState, SkeletonList};
use crate::flows::add_money_flow::{AddMoneyFlow, Step};
use crate::format::{card_expiry, card_label};
use crate::session::use_session;
use crate::text::{Funding, Text, t};

#[component]
pub fn AddMoneyPage() -> impl IntoView {
    view! { <SignedInOnly><AddMoneyLoader /></SignedInOnly> }
}

#[component]
fn AddMoneyLoader() -> impl IntoView {
    let cards = RwSignal::new(None::<Result<Vec<Card>, ApiError>>);
    let load = move || {
        cards.set(None);
        leptos::task::spawn_local(async move {
            let answer = api_client::cards().await;
            let _ = cards.try_set(Some(answer));
        });
    };
    load();
    // `?amount=` (the shortfall's Add money link carries what is missing).
    let amount = leptos_router::hooks::use_query_map().get_untracked().get("amount");
    view! { <AddMoneyView cards on_reload=Callback::new(move |()| load()) amount /> }
}

/// The page for the cards as read (`None` while reading): a test can put it in any state.
#[component]
pub fn AddMoneyView(
    cards: RwSignal<Option<Result<Vec<Card>, ApiError>>>,
    on_reload: Callback<()>,
    /// The amount to start from (typed by the person, or carried by an Add money link).
    #[prop(default = None)]
    amount: Option<String>,
) -> impl IntoView {
    let state = move || match cards.with(|c| c.as_ref().map(Result::is_ok)) {
        None => "loading",
        Some(false) => "unavailable",
        Some(true) => "ready",
    };
    view! {
        <section class="card form-card funding" data-test="add-money-page" data-state=state aria-labelledby="add-money-title"
            aria-busy=move || (state() == "loading").to_string()>
            <h1 id="add-money-title">{t(Funding::AddMoneyTitle)}</h1>
            <p class="muted">{t(Funding::AddMoneyLead)}</p>
            {move || match cards.get() {
                None => view! { <SkeletonList rows=2 /> }.into_any(),
                Some(Err(error)) => view! { <ErrorState permanent=error.is_permanent() message=error.message on_retry=on_reload no_money_moved=true /> }.into_any(),
                Some(Ok(list)) => {
                    let mut flow = AddMoneyFlow::new(list);
                    flow.amount = amount.clone().unwrap_or_default();
                    view! { <DepositForm flow=RwSignal::new(flow) /> }.into_any()
                }
            }}
        </section>
    }
}

/// The card (or the card form when there is none), the amount, and the result: everything
/// comes from `flow`, so a test can put it in any state.
#[component]
pub fn DepositForm(flow: RwSignal<AddMoneyFlow>) -> impl IntoView {
    let has_cards = Memo::new(move |_| flow.with(|f| !f.cards.is_empty()));
    let adding_card = RwSignal::new(false);
    let added = Memo::new(move |_| flow.with(|f| matches!(f.step, Step::Added { .. })));
    let reviewing = Memo::new(move |_| flow.with(|f| matches!(f.step, Step::Review | Step::Adding)));
    // What the wallet holds now, for the review's balance after (kept current by the live stream).
    let available = use_available(true);
    // The deposit limit and the person's status, read once.
    let headroom = use_headroom(LimitKind::Deposit);
    Effect::new(move |_| {
        if let Some(read) = headroom.get() {
            flow.update(|f| f.headroom = Some(read));
        }
    });
    let on_card = Callback::new(move |card: Card| {
        flow.update(|f| f.card_added(card));
        adding_card.set(false);
        focus_later("deposit-amount");
    });
    view! {
        {move || {
            let (added, adding_card_now, has_cards_now) = (added.get(), adding_card.get(), has_cards.get());
            if added {
                view! { <Added flow /> }.into_any()
            } else if reviewing.get() {
                view! { <DepositReview flow available /> }.into_any()
            } else if adding_card_now || !has_cards_now {
                if has_cards_now {
                    view! { <CardForm on_added=on_card on_cancel=Callback::new(move |()| adding_card.set(false)) /> }.into_any()
                } else {
                    view! {
                        <EmptyState title=t(Funding::NoCardsTitle) body=t(Funding::NoCardsBody) />
                        <CardForm on_added=on_card />
                    }.into_any()
                }
            } else {
                view! { <AmountForm flow on_another=Callback::new(move |()| { adding_card.set(true); focus_later("card-number"); }) /> }.into_any()
            }
        }}
    }
}

#[component]
fn AmountForm(flow: RwSignal<AddMoneyFlow>, on_another: Callback<()>) -> impl IntoView {
    let amount = RwSignal::new(flow.with_untracked(|f| f.amount.clone()));
    let amount_error = Signal::derive(move || flow.with(|f| f.problems.amount.clone()));
    let locked = Memo::new(move |_| flow.with(|f| !f.can_edit()));
    let cards = Memo::new(move |_| flow.with(|f| f.cards.clone()));
    let blocked = Memo::new(move |_| flow.with(|f| f.headroom.as_ref().and_then(|h| h.blocked())));
    let over = Memo::new(move |_| {
        flow.with(|f| f.problems.limit.clone()).filter(|r| Some(r) != blocked.get().as_ref())
    });

    // The amount goes into the flow as it is typed.
    let typed = move |event: leptos::ev::Event| {
        if let Some((id, value)) = typed_into(&event)
            && id == "deposit-amount"
        {
            flow.update(|f| {
                f.amount = value;
                f.problems.amount = None;
                f.problems.limit = None;
            });
        }
    };

    // "Review": the review when the form holds; else the amount takes focus.
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if flow.try_update(AddMoneyFlow::review) != Some(true)
            && flow.with_untracked(|f| f.problems.amount.is_some())
        {
            focus_later("deposit-amount");
        }
    };
    view! {
        <form class="deposit-form" id="deposit-form" on:submit=submit on:input=typed novalidate=true>
            {move || blocked.get().map(|refusal| view! { <LimitNote refusal=refusal id="deposit-blocked" /> })}
            // Locked while an attempt is on its way or in doubt: a retry must send what was sent.
            <fieldset class="form-fields" disabled=move || locked.get()>
                <fieldset class="method-choice" data-test="deposit-cards">
                    <legend>{t(Funding::AddFrom)}</legend>
                    <For each=move || cards.get() key=|card| card.id.clone() let:card>
                        {
                            let id = card.id.clone();
                            let chosen = {
                                let id = id.clone();
                                move || flow.with(|f| f.card_id.as_ref() == Some(&id))
                            };
                            view! {
                                <label class="method-option">
                                    <input type="radio" name="deposit-card" id=format!("deposit-card-{id}") value=id.clone()
                                        prop:checked=chosen on:change=move |_| flow.update(|f| f.card_id = Some(id.clone())) />
                                    <span class="method-name">{card_label(&card)}</span>
                                    <span class="muted">{t(Funding::ExpiresShort)}" "{card_expiry(&card)}</span>
                                </label>
                            }
                        }
                    </For>
                </fieldset>
                <button type="button" class="link-button" data-test="use-another-card"
                    on:click=move |_| on_another.run(())>{t(Funding::UseAnotherCard)}</button>
                <TextField id="deposit-amount" label=t(Text::Amount) value=amount error=amount_error hint=t(Text::AmountHint)
                    inputmode="decimal" maxlength=12 />
                {move || over.get().map(|refusal| view! { <LimitNote refusal=refusal id="deposit-limit" /> })}
            </fieldset>
            <p class="form-error" id="deposit-error" role="alert">{move || flow.with(|f| f.problems.form.clone())}</p>
            <button type="submit" class="button button-block" id="deposit-submit" data-test="deposit-submit">
                {t(Text::Review)}
            </button>
        </form>
    }
}

/// The review: to the Purse balance (now and after), from the card, free, right away; Edit,
/// and "Add $50.00", which adds it.
#[component]
fn DepositReview(flow: RwSignal<AddMoneyFlow>, available: RwSignal<Option<String>>) -> impl IntoView {
    let session = use_session();
    let adding = Signal::derive(move || flow.with(|f| f.step == Step::Adding));
    let confirm = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let attempt = flow.try_update(|f| f.submit(api_client::new_idempotency_key)).flatten();
        let Some((request, key)) = attempt else {
            if flow.with_untracked(|f| f.problems.amount.is_some()) {
                focus_later("deposit-amount");
            }
            return;
        };
        leptos::task::spawn_local(async move {
            let answer = api_client::deposit(&request, &key).await;
            if matches!(&answer, Err(error) if error.is_unauthenticated()) {
                session.set_user(None);
            }
            if flow.try_update(|f| f.answer(&key, answer)).is_none() {
                return;
            }
            if flow.with_untracked(|f| matches!(f.step, Step::Added { .. })) {
                focus_later("deposit-done-title");
                let available = api_client::wallet().await.ok().and_then(|wallet| {
                    wallet.balances.into_iter().find(|b| b.currency == Currency::Usd).map(|b| b.available)
                });
                if let Some(available) = available {
                    let _ = flow.try_update(|f| f.balance_read(available));
                }
            }
        });
    };
    move || {
        let Some(summary) = flow.with_untracked(|f| f.summary(available.get().as_deref())) else {
            return ().into_any();
        };
        view! {
            <form class="deposit-form" id="deposit-review" on:submit=confirm novalidate=true>
                <ReviewSummary review=summary id="deposit-review-title" busy=adding busy_label=t(Funding::Adding)
                    can_edit=Signal::derive(move || flow.with(|f| f.step == Step::Review && !f.attempt.in_doubt()))
                    on_edit=Callback::new(move |()| flow.update(AddMoneyFlow::edit))>
                    <p class="form-error" id="deposit-error" role="alert">{move || flow.with(|f| f.problems.form.clone())}</p>
                </ReviewSummary>
            </form>
        }
        .into_any()
    }
}

/// The money is in: how much, from which card, and the balance now.
#[component]
fn Added(flow: RwSignal<AddMoneyFlow>) -> impl IntoView {
    let deposit = flow.with_untracked(|f| match &f.step {
        Step::Added { deposit, .. } => Some(deposit.clone()),
        _ => None,
    });
    let (amount, currency) = deposit.map_or((String::new(), Currency::Usd), |d| (d.amount, d.currency));
    view! {
        <div class="done" role="status" data-test="deposit-done">
            <p class="done-title" id="deposit-done-title" tabindex="-1">{t(Funding::AddedTitle)}</p>
            <p class="balance-amount"><MoneyDisplay amount=amount currency=currency /></p>
            <p id="deposit-done-text">{flow.with_untracked(AddMoneyFlow::added_text)}</p>
            <p id="deposit-balance" data-test="deposit-balance">{move || flow.with(AddMoneyFlow::balance_text)}</p>
            <div class="button-row">
                <button type="button" class="button button-secondary" data-test="deposit-again"
                    on:click=move |_| { flow.update(AddMoneyFlow::again); focus_later("deposit-amount"); }>{t(Funding::AddMore)}</button>
                <a class="button" href="/wallet" data-test="deposit-back">{t(Text::BackToWallet)}</a>
            </div>
        </div>
    }
}
