//! `ApiQuery<T>`: the query-string extractor, whose rejections are API errors naming the
//! parameter (`400 invalid_request`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;
use crate::public_ids::PublicIds;

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ApiQuery<T>, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer).map(ApiQuery).map_err(|error| {
            let path = error.path().to_string();
            let message = error.into_inner().to_string();
            let named = message.split("unknown field `").nth(1).and_then(|rest| rest.split('`').next());
            let error = ApiError::invalid_request(format!("Bad query parameter: {message}."));
            match named.map(str::to_string).or(Some(path).filter(|p| !matches!(p.as_str(), "" | "." | "?"))) {
                Some(field) => error.with_field(field),
                None => error,
            }
        })
    }
}

/// The query of a list with two directions (`GET /requests`, `GET /me/tips`): which one,
/// `?limit=` and `?cursor=`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectedPage {
    pub direction: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// `?limit=` as API.md has it: 1–100, default 20.
pub fn page_limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(20),
        Some(text) => text.parse::<u32>().ok().filter(|limit| (1..=100).contains(limit)).ok_or_else(|| {
            ApiError::invalid_request("limit must be a whole number from 1 to 100.").with_field("limit")
        }),
    }
}

/// `?cursor=` of a list ordered by a descending position: where the page starts (before
/// `i64::MAX` for the first page). A cursor this server did not give out is `400
/// invalid_request`.
pub fn page_before(ids: &PublicIds, raw: Option<&str>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(i64::MAX),
        Some(cursor) => ids.read_cursor(cursor).ok_or_else(|| {
            ApiError::invalid_request("That cursor is not one this server gave out.").with_field("cursor")
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_api() {
        assert_eq!(page_limit(None).ok(), Some(20));
        assert_eq!(page_limit(Some("1")).ok(), Some(1));
        assert_eq!(page_limit(Some("100")).ok(), Some(100));
        for bad in ["0", "101", "-1", "ten", "", "1.5"] {
            let error = page_limit(Some(bad)).err();
            assert_eq!(error.and_then(|e| e.field), Some("limit".to_string()), "{bad}");
        }
    }
}
