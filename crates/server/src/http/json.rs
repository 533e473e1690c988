//! `ApiJson<T>`: the JSON body extractor, whose every rejection is an API.md error body.
//!
//! Not valid JSON, an unknown field or a wrong type: `400 invalid_request` naming the field
//! (its path, like `items[2].amount`). Over the body limit: `413 payload_too_large`. Not
//! `application/json`: `415 unsupported_media_type`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use purse_api::ErrorCode;
use serde::de::DeserializeOwned;

use crate::http::error::ApiError;

/// Request bodies larger than this are refused with `413 payload_too_large`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<ApiJson<T>, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
                )
            } else {
                ApiError::invalid_request("The body could not be read.")
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Deserializes `bytes`, naming the field at fault on failure.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = describe(&inner);
        // serde names a missing or unknown field in the message, not in the path.
        let raw = inner.to_string();
        let named = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|prefix| raw.split(prefix).nth(1))
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string);
        // `.` is the document itself and `?` an unknown place (a syntax error).
        let path = Some(path).filter(|p| !matches!(p.as_str(), "" | "." | "?"));
        let field = match (path, named) {
            (None, named) => named,
            (Some(path), Some(name)) if !path.ends_with(name.as_str()) => Some(format!("{path}.{name}")),
            (Some(path), _) => Some(path),
        };
        let error = ApiError::invalid_request(message);
        match field {
            Some(field) => error.with_field(field),
            None => error,
        }
    })?;
    deserializer.end().map_err(|_| ApiError::invalid_request("The body has data after the JSON value."))?;
    Ok(value)
}

/// serde's message without its "at line 1 column 9" suffix.
fn describe(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof => "The body is not valid JSON.".to_string(),
        Category::Data | Category::Io => {
            let text = error.to_string();
            let text = text.split(" at line ").next().unwrap_or(&text).to_string();
            let mut sentence = text;
            if let Some(first) = sentence.get(0..1) {
                sentence = first.to_uppercase() + &sentence[1..];
            }
            format!("{sentence}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Send {
        to: String,
        amount: String,
        note: Option<String>,
    }

    fn check(body: &str, expected_field: Option<&str>) {
        let error = parse::<Send>(body.as_bytes()).expect_err(body);
        assert_eq!(error.code, ErrorCode::InvalidRequest, "{body}");
        assert_eq!(error.field.as_deref(), expected_field, "{body}: {}", error.message);
        assert!(!error.message.contains("line"), "{}", error.message);
    }

    #[test]
    fn every_bad_body_names_its_field() {
        check("{", None);
        check("not json", None);
        check(r#"{"to":"bob","amount":5}"#, Some("amount"));
        check(r#"{"to":"bob","amount":"5","colour":"red"}"#, Some("colour"));
        check(r#"{"to":"bob"}"#, Some("amount"));
        check(r#"{"to":7,"amount":"5"}"#, Some("to"));
        check(r#"{"to":"bob","amount":"5","note":[]}"#, Some("note"));
        check(r#"{"to":"bob","amount":"5"} {}"#, None);
    }

    #[test]
    fn a_good_body_parses() {
        let send: Result<Send, _> = parse(br#"{"to":"bob","amount":"5.00"}"#);
        assert!(send.is_ok());
    }
}
