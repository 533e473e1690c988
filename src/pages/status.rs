//! `/status`: whether Purse is up, from `GET /api/v1/healthz`.
//!
//! What the page shows is decided by [`StatusView`], a plain value tested natively; the view
//! only draws it: a skeleton while loading, the figures when healthy, and when not, what went
//! wrong in plain words, that no money moved, and a way to try again.

use leptos::prelude::*;
use purse_api::Health;

use crate::api_client::{self, ApiError};
use crate::text::{Text, t};

/// Everything the status page can show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusView {
    Loading,
    Healthy { database: String, version: String },
    Unavailable { message: String },
}

impl StatusView {
    /// From the health call's outcome (`None` while it is in flight).
    pub fn from_outcome(outcome: Option<Result<Health, ApiError>>) -> StatusView {
        match outcome {
            None => StatusView::Loading,
            Some(Ok(health)) if health.status == "ok" => {
                StatusView::Healthy { database: database_name(&health.database), version: health.version }
            }
            Some(Ok(_)) => StatusView::Unavailable { message: t(Text::UnexpectedAnswer).to_string() },
            Some(Err(error)) => StatusView::Unavailable { message: error.message },
        }
    }

    /// The `data-state` attribute tests and styles key on.
    pub fn state(&self) -> &'static str {
        match self {
            StatusView::Loading => "loading",
            StatusView::Healthy { .. } => "healthy",
            StatusView::Unavailable { .. } => "unavailable",
        }
    }
}

/// The backend's name as people know it.
fn database_name(backend: &str) -> String {
    match backend {
        "sqlite" => "SQLite".to_string(),
        "postgres" => "PostgreSQL".to_string(),
        other => other.to_string(),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_what_the_call_returned() {
        let healthy = Health { status: "ok".into(), database: "postgres".into(), version: "0.1.0".into() };
        let cases = [
            (None, StatusView::Loading),
            (
                Some(Ok(healthy.clone())),
                StatusView::Healthy { database: "PostgreSQL".into(), version: "0.1.0".into() },
            ),
            (
                Some(Ok(Health { status: "degraded".into(), ..healthy })),
                StatusView::Unavailable { message: t(Text::UnexpectedAnswer).into() },
            ),
            (
                Some(Err(ApiError::network())),
                StatusView::Unavailable { message: t(Text::NetworkError).into() },
            ),
        ];
        for (outcome, expected) in cases {
            assert_eq!(StatusView::from_outcome(outcome.clone()), expected, "{outcome:?}");
        }
    }
}
