//! What the status page (`pages::status`) shows, from `GET /api/v1/healthz`: loading, healthy
//! (and on which database, which version), or unavailable with what went wrong.

use purse_api::Health;

use crate::api_client::ApiError;
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
        "sqlite" => t(Text::StatusDatabaseSqlite).to_string(),
        "postgres" => t(Text::StatusDatabasePostgres).to_string(),
        other => other.to_string(),
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
