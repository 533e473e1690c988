//! Loading, empty and error states, designed once.

use leptos::prelude::*;

use crate::live::LiveStatus;
use crate::text::{Text, t};

/// Grey rows where a list will be, announced as busy.
#[component]
pub fn SkeletonList(rows: usize) -> impl IntoView {
    view! {
        <div class="skeleton-list" aria-busy="true">
            <span class="visually-hidden">{t(Text::Loading)}</span>
            {(0..rows).map(|_| view! {
                <div class="skeleton-row" aria-hidden="true">
                    <div class="skeleton skeleton-avatar"></div>
                    <div class="skeleton-lines">
                        <div class="skeleton skeleton-line"></div>
                        <div class="skeleton skeleton-line short"></div>
                    </div>
                </div>
            }).collect_view()}
        </div>
    }
}

/// Nothing here yet: one line, and what to do next.
#[component]
pub fn EmptyState(
    title: &'static str,
    body: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <p class="empty-title">{title}</p>
            <p class="muted">{body}</p>
            {children.map(|children| children())}
        </div>
    }
}

/// What went wrong, in plain words, whether money moved, and a way to try again, unless trying
/// again cannot help (`permanent`: pass [`crate::api_client::ApiError::is_permanent`]; a `404`
/// stays a `404` however often it is asked).
#[component]
pub fn ErrorState(
    #[prop(into)] message: Signal<String>,
    #[prop(into)] on_retry: Callback<()>,
    /// Say that no money moved (true for every read).
    #[prop(optional)]
    no_money_moved: bool,
    /// Trying again cannot help: no Try again button.
    #[prop(optional)]
    permanent: bool,
) -> impl IntoView {
    view! {
        <div class="error-state" role="alert" data-permanent=permanent.to_string()>
            <p class="error-message">{move || message.get()}</p>
            {no_money_moved.then(|| view! { <p class="muted">{t(Text::NoMoneyMoved)}</p> })}
            {(!permanent).then(|| view! {
                <button type="button" class="button button-secondary" on:click=move |_| on_retry.run(())>
                    {t(Text::Retry)}
                </button>
            })}
        </div>
    }
}

/// Whether the live stream is open: a dot and a word, for pages that update by themselves.
#[component]
pub fn LiveIndicator(status: RwSignal<LiveStatus>) -> impl IntoView {
    view! {
        <p class="live-status" data-status=move || format!("{:?}", status.get()).to_lowercase()>
            <span class="live-dot" aria-hidden="true"></span>
            {move || match status.get() {
                LiveStatus::Open => t(Text::Live),
                LiveStatus::Connecting | LiveStatus::Reconnecting => t(Text::Reconnecting),
            }}
        </p>
    }
}
