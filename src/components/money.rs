//! Money as people read it: symbol, grouping, the currency's decimals, tabular figures; a
//! direction shown by sign and words, never by colour alone.

use leptos::prelude::*;
use purse_api::{Currency, Direction};

use crate::format;
use crate::text::{Text, t};

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
