//! Money as people read it: symbol, grouping, the currency's decimals, tabular figures; a
//! direction shown by sign and words, never by colour alone. Also what the wallet can spend, as
//! every spending form shows it, and what it cannot cover.

use leptos::prelude::*;
use purse_api::{Currency, Direction};

use crate::flows::review::Shortfall;
use crate::format;
use crate::text::{ReviewText, Text, t};

#[component]
pub fn MoneyDisplay(
    #[prop(into)] amount: Signal<String>,
    currency: Currency,
    /// Show `+`/`−` and say "received"/"sent" to screen readers.
    #[prop(optional)]
    direction: Option<Direction>,
    #[prop(optional, into)] class: String,
) -> impl IntoView {
    let text = move || match direction {
        Some(direction) => format::signed_money(&amount.get(), currency, direction == Direction::In),
        None => format::money(&amount.get(), currency),
    };
    let spoken =
        direction.map(|direction| if direction == Direction::In { t(Text::Received) } else { t(Text::Sent) });
    view! {
        <span class=format!("money {class}") data-direction=direction.map(|d| if d == Direction::In { "in" } else { "out" })>
            {spoken.map(|words| view! { <span class="visually-hidden">{words}" "</span> })}
            {text}
        </span>
    }
}

/// What the wallet can spend now (`GET /wallet`'s `available`, USD), read once and, with `live`,
/// kept current by the live stream's balance events: every spending form shows it and refuses
/// what it cannot cover before the review. `None` until read (or when it cannot be: the server
/// still decides).
pub fn use_available(live: bool) -> RwSignal<Option<String>> {
    let available = RwSignal::new(None::<String>);
    let usd = |wallet: purse_api::Wallet| {
        wallet.balances.into_iter().find(|b| b.currency == Currency::Usd).map(|b| b.available)
    };
    leptos::task::spawn_local(async move {
        if let Ok(wallet) = crate::api_client::wallet().await {
            let _ = available.try_set(usd(wallet));
        }
    });
    if live {
        let stream = crate::live::Live::connect(crate::live::Handlers {
            activity: Box::new(|_| {}),
            balance: Box::new(move |wallet| {
                let _ = available.try_set(usd(wallet));
            }),
            case: None,
            request: Box::new(|_| {}),
            status: Box::new(|_| {}),
            resync: Box::new(move || {
                leptos::task::spawn_local(async move {
                    if let Ok(wallet) = crate::api_client::wallet().await {
                        let _ = available.try_set(usd(wallet));
                    }
                });
            }),
        });
        let stream = send_wrapper::SendWrapper::new(stream);
        on_cleanup(move || drop(stream));
    }
    available
}

/// "Available $548.00" on a spending form, once read.
#[component]
pub fn AvailableLine(#[prop(into)] available: Signal<Option<String>>, id: &'static str) -> impl IntoView {
    move || {
        available.get().map(|amount| {
            view! {
                <p class="available-balance" id=id data-test="available">
                    <span class="muted">{t(ReviewText::AvailableNow)}" "</span>
                    <MoneyDisplay amount=amount currency=Currency::Usd />
                </p>
            }
        })
    }
}

/// What cannot be afforded, said before the review: "You have $548.00 — add $352.00?" and Add
/// money one tap away, carrying the amount.
#[component]
pub fn ShortfallNote(shortfall: Shortfall, id: &'static str) -> impl IntoView {
    view! {
        <p class="shortfall" id=id role="alert" data-test="shortfall">
            <span>{shortfall.message()}</span>
            <a href=shortfall.add_money_href() target="_top" class="button button-secondary button-small" data-test="shortfall-add-money">
                {t(ReviewText::AddMoneyLink)}
            </a>
        </p>
    }
}
