//! `/status`: whether Purse is up, from `GET /api/v1/healthz`.
//!
//! What the page shows is decided by [`StatusView`], a plain value tested natively; the view
//! only draws it: a skeleton while loading, the figures when healthy, and when not, what went
//! wrong in plain words, that no money moved, and a way to try again.

use leptos::prelude::*;

use crate::api_client;
use crate::flows::status_view::StatusView;
use crate::text::{Text, t};

#[component]
pub fn Status() -> impl IntoView {
    let health = LocalResource::new(api_client::health);
    let view_model = move || StatusView::from_outcome(health.get());
    view! {
        <section class="card" aria-labelledby="status-title">
            <h1 id="status-title">{t(Text::StatusTitle)}</h1>
            <div
                class="status"
                data-state=move || view_model().state()
                aria-live="polite"
                aria-busy=move || (view_model() == StatusView::Loading).to_string()
            >
                {move || match view_model() {
                    StatusView::Loading => view! {
                        <p class="visually-hidden">{t(Text::StatusLoading)}</p>
                        <div class="skeleton skeleton-line" aria-hidden="true"></div>
                        <div class="skeleton skeleton-line short" aria-hidden="true"></div>
                    }.into_any(),
                    StatusView::Healthy { database, version } => view! {
                        <p class="status-headline">
                            <span class="status-dot ok" aria-hidden="true"></span>
                            {t(Text::StatusHealthy)}
                        </p>
                        <p class="muted">{t(Text::StatusHealthyDetail)}</p>
                        <dl class="facts">
                            <div><dt>{t(Text::StatusDatabase)}</dt><dd class="fact-database">{database}</dd></div>
                            <div><dt>{t(Text::StatusVersion)}</dt><dd>{version}</dd></div>
                        </dl>
                    }.into_any(),
                    StatusView::Unavailable { message } => view! {
                        <p class="status-headline" role="alert">
                            <span class="status-dot down" aria-hidden="true"></span>
                            {t(Text::StatusUnavailable)}
                        </p>
                        <p class="status-message">{message}</p>
                        <p class="muted">{t(Text::StatusUnavailableDetail)}</p>
                        <button type="button" class="button" on:click=move |_| health.refetch()>
                            {t(Text::Retry)}
                        </button>
                    }.into_any(),
                }}
            </div>
        </section>
    }
}
