//! `/settings/payment-methods`: the linked debit cards and bank accounts, each with Remove (after
//! a confirmation), and the forms to add either. Each list has its own loading (a skeleton),
//! error (with a retry) and empty state (one line, and the form to add the first one).

use leptos::prelude::*;
use purse_api::{BankAccount, Card};

use crate::api_client::{self, ApiError};
use crate::components::activity_row::ActivityAvatar;
use crate::components::bank_form::BankForm;
use crate::components::card_form::CardForm;
use crate::components::dialog::Modal;
use crate::components::focus::focus_later;
use crate::components::gate::SignedInOnly;
use crate::components::states::{EmptyState, ErrorState, SkeletonList};
use crate::flows::activity_feed::{RowAvatar, RowIcon};
use crate::flows::method_removal::Removal;
use crate::format::{bank_label, card_expiry, card_label};
use crate::text::{Funding, t};

/// A list as read: `None` while reading.
pub type Loaded<T> = Option<Result<Vec<T>, ApiError>>;

#[component]
pub fn PaymentMethodsPage() -> impl IntoView {
    view! { <SignedInOnly><MethodsLoader /></SignedInOnly> }
}

#[component]
fn MethodsLoader() -> impl IntoView {
    let cards = RwSignal::new(None::<Result<Vec<Card>, ApiError>>);
    let banks = RwSignal::new(None::<Result<Vec<BankAccount>, ApiError>>);
    let load_cards = move || {
        cards.set(None);
        leptos::task::spawn_local(async move {
            let answer = api_client::cards().await;
            let _ = cards.try_set(Some(answer));
        });
    };
    let load_banks = move || {
        banks.set(None);
        leptos::task::spawn_local(async move {
            let answer = api_client::bank_accounts().await;
            let _ = banks.try_set(Some(answer));
        });
    };
    load_cards();
    load_banks();
    view! {
        <PaymentMethodsView cards banks
            on_reload_cards=Callback::new(move |()| load_cards()) on_reload_banks=Callback::new(move |()| load_banks()) />
    }
}

/// Whether a list is read and empty.
fn is_empty<T: Send + Sync + 'static>(list: RwSignal<Loaded<T>>) -> Memo<bool> {
    Memo::new(move |_| list.with(|l| matches!(l, Some(Ok(items)) if items.is_empty())))
}

fn is_loaded<T: Send + Sync + 'static>(list: RwSignal<Loaded<T>>) -> Memo<bool> {
    Memo::new(move |_| list.with(|l| matches!(l, Some(Ok(_)))))
}

/// The page for the lists as read: a test can put it in any state.
#[component]
pub fn PaymentMethodsView(
    cards: RwSignal<Loaded<Card>>,
    banks: RwSignal<Loaded<BankAccount>>,
    on_reload_cards: Callback<()>,
    on_reload_banks: Callback<()>,
) -> impl IntoView {
    let removing = RwSignal::new(None::<Removal>);
    let remove_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let adding_card = RwSignal::new(false);
    let adding_bank = RwSignal::new(false);
    let announcement = RwSignal::new(None::<&'static str>);
    let (no_cards, no_banks) = (is_empty(cards), is_empty(banks));
    let (cards_read, banks_read) = (is_loaded(cards), is_loaded(banks));

    let card_added = Callback::new(move |card: Card| {
        cards.update(|list| {
            if let Some(Ok(items)) = list {
                items.retain(|c| c.id != card.id);
                items.push(card);
            }
        });
        adding_card.set(false);
        announcement.set(Some(t(Funding::CardAdded)));
        focus_later("show-card-form");
    });
    let bank_added = Callback::new(move |account: BankAccount| {
        banks.update(|list| {
            if let Some(Ok(items)) = list {
                items.retain(|b| b.id != account.id);
                items.push(account);
            }
        });
        adding_bank.set(false);
        announcement.set(Some(t(Funding::BankAdded)));
        focus_later("show-bank-form");
    });
    let ask = move |removal: Removal| {
        remove_error.set(None);
        announcement.set(None);
        removing.set(Some(removal));
    };
    let close = Callback::new(move |()| {
        if !busy.get_untracked() {
            removing.set(None);
        }
    });
    let confirm = move |_| {
        let Some(removal) = removing.get_untracked() else { return };
        busy.set(true);
        remove_error.set(None);
        leptos::task::spawn_local(async move {
            let answer = match &removal {
                Removal::Card(card) => api_client::remove_card(&card.id).await,
                Removal::Bank(account) => api_client::remove_bank_account(&account.id).await,
            };
            let _ = busy.try_set(false);
            match answer {
                Ok(()) => {
                    match &removal {
                        Removal::Card(card) => cards.update(|list| {
                            if let Some(Ok(items)) = list {
                                items.retain(|c| c.id != card.id);
                            }
                        }),
                        Removal::Bank(account) => banks.update(|list| {
                            if let Some(Ok(items)) = list {
                                items.retain(|b| b.id != account.id);
                            }
                        }),
                    }
                    let _ = removing.try_set(None);
                    let _ = announcement.try_set(Some(t(Funding::Removed)));
                }
                Err(error) => {
                    let _ = remove_error.try_set(Some(error.message));
                }
            }
        });
    };

    view! {
        <section class="card funding" data-test="payment-methods-page" aria-labelledby="methods-title">
            <h1 id="methods-title">{t(Funding::PaymentMethodsTitle)}</h1>
            <p class="muted">{t(Funding::PaymentMethodsLead)}</p>
            <p class="form-success" id="methods-announcement" role="status">{move || announcement.get()}</p>
        </section>
        <section class="card methods" data-test="cards-section" aria-labelledby="cards-title">
            <h2 id="cards-title">{t(Funding::CardsTitle)}</h2>
            {move || match cards.get() {
                None => view! { <SkeletonList rows=2 /> }.into_any(),
                Some(Err(error)) => view! { <ErrorState permanent=error.is_permanent() message=error.message on_retry=on_reload_cards no_money_moved=true /> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! {
                    <EmptyState title=t(Funding::NoCardsTitle) body=t(Funding::NoCardsBody) />
                }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="method-list" data-test="card-list">
                        {items.into_iter().map(|card| {
                            let label = card_label(&card);
                            let detail = format!("{} {}", t(Funding::ExpiresShort), card_expiry(&card));
                            let id = card.id.clone();
                            view! { <MethodRow id label icon=RowIcon::Payment detail=Some(detail) test="remove-card" on_remove=Callback::new(move |()| ask(Removal::Card(card.clone()))) /> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {move || cards_read.get().then(|| if adding_card.get() || no_cards.get() {
                if no_cards.get() {
                    view! { <CardForm on_added=card_added /> }.into_any()
                } else {
                    view! { <CardForm on_added=card_added on_cancel=Callback::new(move |()| adding_card.set(false)) /> }.into_any()
                }
            } else {
                view! {
                    <button type="button" class="button button-secondary" id="show-card-form" data-test="show-card-form"
                        on:click=move |_| { adding_card.set(true); focus_later("card-number"); }>{t(Funding::AddCardAction)}</button>
                }.into_any()
            })}
        </section>
        <section class="card methods" data-test="banks-section" aria-labelledby="banks-title">
            <h2 id="banks-title">{t(Funding::BankAccountsTitle)}</h2>
            {move || match banks.get() {
                None => view! { <SkeletonList rows=2 /> }.into_any(),
                Some(Err(error)) => view! { <ErrorState permanent=error.is_permanent() message=error.message on_retry=on_reload_banks no_money_moved=true /> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! {
                    <EmptyState title=t(Funding::NoBanksTitle) body=t(Funding::NoBanksBody) />
                }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="method-list" data-test="bank-list">
                        {items.into_iter().map(|account| {
                            let label = bank_label(&account);
                            let id = account.id.clone();
                            view! { <MethodRow id label icon=RowIcon::Bank detail=None test="remove-bank" on_remove=Callback::new(move |()| ask(Removal::Bank(account.clone()))) /> }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            {move || banks_read.get().then(|| if adding_bank.get() || no_banks.get() {
                if no_banks.get() {
                    view! { <BankForm on_added=bank_added /> }.into_any()
                } else {
                    view! { <BankForm on_added=bank_added on_cancel=Callback::new(move |()| adding_bank.set(false)) /> }.into_any()
                }
            } else {
                view! {
                    <button type="button" class="button button-secondary" id="show-bank-form" data-test="show-bank-form"
                        on:click=move |_| { adding_bank.set(true); focus_later("bank-routing"); }>{t(Funding::AddBankAction)}</button>
                }.into_any()
            })}
        </section>
        <Modal open=Signal::derive(move || removing.with(Option::is_some)) on_close=close labelledby="remove-title" class="sheet">
            {move || removing.get().map(|removal| view! {
                <div class="confirm" data-test="remove-dialog">
                    <h2 id="remove-title" class="sheet-title">{removal.title()}</h2>
                    <p class="method-name">{removal.label()}</p>
                    <p class="muted">{t(Funding::RemoveBody)}</p>
                    <p class="form-error" id="remove-error" role="alert">{move || remove_error.get()}</p>
                    <div class="button-row">
                        <button type="button" class="button button-secondary" data-test="cancel-remove" disabled=move || busy.get()
                            on:click=move |_| close.run(())>{t(Funding::KeepIt)}</button>
                        <button type="button" class="button button-danger" data-test="confirm-remove" disabled=move || busy.get()
                            on:click=confirm>{move || if busy.get() { t(Funding::Removing) } else { t(Funding::Remove) }}</button>
                    </div>
                </div>
            })}
        </Modal>
    }
}

/// One card or bank account (an icon for which, not a letter), with its Remove button (named
/// for screen readers).
#[component]
fn MethodRow(
    id: String,
    label: String,
    icon: RowIcon,
    detail: Option<String>,
    test: &'static str,
    on_remove: Callback<()>,
) -> impl IntoView {
    view! {
        <li class="method-row" data-id=id>
            <ActivityAvatar avatar=RowAvatar::Icon(icon) />
            <span class="method-main">
                <span class="method-name">{label.clone()}</span>
                {detail.map(|detail| view! { <span class="muted method-detail">{detail}</span> })}
            </span>
            <button type="button" class="button button-small button-secondary" data-test=test
                aria-label=format!("{} {label}", t(Funding::Remove)) on:click=move |_| on_remove.run(())>
                {t(Funding::Remove)}
            </button>
        </li>
    }
}
