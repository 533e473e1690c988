//! The review every money flow shows before money moves: the amount large, then a line each for
//! to, from (the Purse balance and the balance after), fee, arrival and whether it can be
//! canceled, then Edit and a confirm button that names the action and the amount. It draws a
//! [`Review`] (built by [`crate::flows::review`]) inside the caller's `<form>` (whose submit is
//! the confirm), with the caller's extras (the PIN, errors) between the lines and the buttons.
//!
//! When it appears it takes focus (its heading, which reads "Review: Send $12.50 to Bob
//! Okafor"), so a screen reader announces it and the keyboard continues from there.

use leptos::prelude::*;

use crate::flows::review::{Line, Review};
use crate::text::{Text, t};

#[component]
pub fn ReviewSummary(
    review: Review,
    /// The id of the review's heading (several reviews may share a page: requests).
    #[prop(into)]
    id: String,
    /// Whether the confirm is on its way: the button says `busy_label` and is disabled.
    #[prop(into)]
    busy: Signal<bool>,
    busy_label: &'static str,
    /// Whether Edit may go back (not while an attempt's fate is unknown).
    #[prop(into, default = Signal::stored(true))]
    can_edit: Signal<bool>,
    on_edit: Callback<()>,
    /// Whether the heading takes focus when the review appears (a flow that focuses a PIN field
    /// instead says no).
    #[prop(default = true)]
    focus: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    if focus {
        request_animation_frame(move || {
            if let Some(heading) = heading.try_get_untracked().flatten() {
                let _ = heading.focus();
            }
        });
    }
    let announcement = review.announcement();
    let labelled_by = id.clone();
    let Review { amount, lines, confirm } = review;
    view! {
        <section class="review-summary" aria-labelledby=labelled_by data-review="">
            <h2 class="review-heading" id=id tabindex="-1" node_ref=heading>
                <span class="visually-hidden">{announcement}</span>
                <span class="review-amount money" aria-hidden="true">{amount}</span>
            </h2>
            <ReviewLines lines />
            {children.map(|children| children())}
            <div class="button-row review-actions">
                <button type="button" class="button button-secondary" data-action="edit"
                    disabled=move || !can_edit.get() on:click=move |_| on_edit.run(())>{t(Text::Edit)}</button>
                <button type="submit" class="button review-confirm" data-action="confirm" disabled=move || busy.get()>
                    {move || if busy.get() { busy_label.to_string() } else { confirm.clone() }}
                </button>
            </div>
        </section>
    }
}

/// The lines alone, for a page that is its own review (the hosted checkout: the merchant and the
/// amount are its heading, Pay its confirm).
#[component]
pub fn ReviewLines(lines: Vec<Line>) -> impl IntoView {
    view! {
        <dl class="review-lines">
            {lines.into_iter().map(|line| view! { <ReviewLine line /> }).collect_view()}
        </dl>
    }
}

#[component]
fn ReviewLine(line: Line) -> impl IntoView {
    let Line { kind, label, party, value, detail } = line;
    let what = match party {
        Some(party) => {
            let initial = party.initial();
            view! {
                <span class="person review-person">
                    <span class="avatar" aria-hidden="true">{initial}</span>
                    <span class="person-names">
                        <strong>{party.name}</strong>
                        {party.handle.map(|handle| view! { <bdi class="muted">"@"{handle}</bdi> })}
                    </span>
                </span>
            }
            .into_any()
        }
        None => view! { <span class="review-value">{value}</span> }.into_any(),
    };
    view! {
        <div class="review-line" data-line=kind.name()>
            <dt>{label}</dt>
            <dd>
                {what}
                {detail.map(|detail| view! { <span class="review-detail muted">{detail}</span> })}
            </dd>
        </div>
    }
}
