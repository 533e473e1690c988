//! The only module that talks to the server. Every call returns the server's answer or an
//! [`ApiError`] a page can show as is: the server's own message when it sent one, a plain
//! sentence otherwise. Nothing is turned into `None`.

use purse_api::{ErrorBody, ErrorCode, Health};
use serde::de::DeserializeOwned;

use crate::text::{Text, t};

/// A failed call, ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status, or `None` when no answer arrived at all.
    pub status: Option<u16>,
    /// The API's error code, when the server sent one.
    pub code: Option<ErrorCode>,
    /// What to tell the person.
    pub message: String,
}

impl ApiError {
    /// No answer: offline, DNS, the server down.
    pub fn network() -> ApiError {
        ApiError { status: None, code: None, message: t(Text::NetworkError).to_string() }
    }

    /// Turns a non-2xx answer into an error: the API's error body when there is one.
    pub fn from_answer(status: u16, body: &str) -> ApiError {
        match serde_json::from_str::<ErrorBody>(body) {
            Ok(body) => {
                ApiError { status: Some(status), code: Some(body.error.code), message: body.error.message }
            }
            Err(_) => {
                ApiError { status: Some(status), code: None, message: t(Text::UnexpectedAnswer).to_string() }
            }
        }
    }
}

/// `GET /api/v1/healthz`.
pub async fn health() -> Result<Health, ApiError> {
    get_json("/api/v1/healthz").await
}

async fn get_json<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = gloo_net::http::Request::get(path)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|_| ApiError::network())?;
    let status = response.status();
    let body = response.text().await.map_err(|_| ApiError::network())?;
    decode(status, &body)
}

/// The answer as `T` for 2xx, as an [`ApiError`] otherwise.
pub fn decode<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        serde_json::from_str(body).map_err(|_| ApiError {
            status: Some(status),
            code: None,
            message: t(Text::UnexpectedAnswer).to_string(),
        })
    } else {
        Err(ApiError::from_answer(status, body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_decode_into_values_or_errors_worth_showing() {
        let ok: Result<Health, ApiError> =
            decode(200, r#"{"status":"ok","database":"sqlite","version":"0.1.0"}"#);
        assert_eq!(ok.map(|h| h.database), Ok("sqlite".to_string()));

        let api_error: Result<Health, ApiError> = decode(
            503,
            r#"{"error":{"code":"service_unavailable","message":"Purse is temporarily unavailable."}}"#,
        );
        assert_eq!(
            api_error,
            Err(ApiError {
                status: Some(503),
                code: Some(ErrorCode::ServiceUnavailable),
                message: "Purse is temporarily unavailable.".into(),
            })
        );

        let html_404: Result<Health, ApiError> = decode(404, "<html>Not Found</html>");
        assert_eq!(html_404.map_err(|e| (e.status, e.code)), Err((Some(404), None)));

        let garbage: Result<Health, ApiError> = decode(200, "{}");
        assert_eq!(garbage.map_err(|e| e.message), Err(t(Text::UnexpectedAnswer).to_string()));
    }
}
