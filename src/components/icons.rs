//! The few line icons the shell and the wallet's actions draw: inline SVG (no request, no font),
//! in the text's colour, hidden from assistive technology (the label beside each one names it).
//! Icons that point (pay, request) carry `icon-directional` and mirror under `dir="rtl"`.

use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    Home,
    Pay,
    Request,
    Activity,
    Profile,
    AddMoney,
    Withdraw,
    Creator,
}

impl Icon {
    /// The SVG path (24 × 24, drawn with a 2 px stroke).
    fn path(self) -> &'static str {
        match self {
            Icon::Home => "M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z",
            Icon::Pay => "M7 17 17 7M9 7h8v8",
            Icon::Request => "M17 7 7 17m8 0H7V9",
            Icon::Activity => "M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0zM12 7v5l3 2",
            Icon::Profile => "M16 8a4 4 0 1 1-8 0 4 4 0 0 1 8 0zM4 21c0-4 4-6 8-6s8 2 8 6",
            Icon::AddMoney => "M12 5v14M5 12h14",
            Icon::Withdraw => "M12 3v12m-5-5 5 5 5-5M5 21h14",
            Icon::Creator => "m12 3 2.6 5.6 6.1.7-4.5 4.2 1.2 6L12 16.6l-5.4 2.9 1.2-6-4.5-4.2 6.1-.7z",
        }
    }

    fn directional(self) -> bool {
        matches!(self, Icon::Pay | Icon::Request)
    }
}

/// The icon, decorative: whatever holds it has a text label.
pub fn icon(kind: Icon) -> impl IntoView {
    let class = if kind.directional() { "icon icon-directional" } else { "icon" };
    view! {
        <svg class=class viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <path d=kind.path() />
        </svg>
    }
}
