//! `AppError`: every failure an HTTP handler can answer with, rendered as API.md's error body.
//!
//! 4xx answers say what was wrong and which field; 5xx answers say only that something went
//! wrong, and the cause is logged once, here, with the request's id in the span.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use purse_api::{ErrorBody, ErrorCode, ErrorDetail, MoneyError};
use purse_ledger::LedgerError;

/// An API error: a code from API.md, a sentence for people, and the field at fault if one is.
#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds until trying again makes sense (`429`, `pin_locked`): sent as `Retry-After`.
    pub retry_after_s: Option<i64>,
    /// For 5xx only: what actually happened, for the log; never sent to the client.
    cause: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError { code, message: message.into(), field: None, retry_after_s: None, cause: None }
    }

    pub fn retry_after(mut self, seconds: i64) -> AppError {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> AppError {
        self.field = Some(field.into());
        self
    }

    pub fn invalid_request(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidRequest, message)
    }

    pub fn not_found() -> AppError {
        AppError::new(ErrorCode::NotFound, "There is nothing here.")
    }

    /// A failure that is ours, not the client's: answered as 500 with no details.
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        AppError {
            code: ErrorCode::InternalError,
            message: "Something went wrong on our side. Nothing was changed; please try again.".into(),
            field: None,
            retry_after_s: None,
            cause: Some(cause.to_string()),
        }
    }

    /// The database or another dependency is down: 503, with no details.
    pub fn unavailable(cause: impl std::fmt::Display) -> AppError {
        AppError {
            code: ErrorCode::ServiceUnavailable,
            message: "Purse is temporarily unavailable. Please try again shortly.".into(),
            field: None,
            retry_after_s: None,
            cause: Some(cause.to_string()),
        }
    }

    /// A query failed: [`AppError::unavailable`], with the failure as one line for the log.
    pub fn database(error: sqlx::Error) -> AppError {
        AppError::unavailable(crate::db::DbError::from(error))
    }

    /// The body API.md prescribes for this error.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail { code: self.code, message: self.message.clone(), field: self.field.clone() },
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Some(cause) = &self.cause {
            tracing::error!(code = %self.code, %cause, "request failed");
        }
        let retry_after = self.retry_after_s;
        let body = self.body();
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<LedgerError> for AppError {
    fn from(error: LedgerError) -> AppError {
        match error {
            LedgerError::Database(_) | LedgerError::ShutDown => AppError::unavailable(error),
            _ => AppError::internal(error),
        }
    }
}

impl From<MoneyError> for AppError {
    fn from(error: MoneyError) -> AppError {
        let field = match error.code() {
            ErrorCode::InvalidCurrency => "currency",
            _ => "amount",
        };
        AppError::new(error.code(), error.to_string()).with_field(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_out_of_the_message() {
        let error = AppError::internal("disk on fire at /var/lib/purse");
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.message.contains("disk"));
    }

    #[test]
    fn money_errors_name_their_field() {
        let amount: AppError = MoneyError::Malformed.into();
        assert_eq!((amount.code, amount.field.as_deref()), (ErrorCode::InvalidAmount, Some("amount")));
        let currency: AppError = MoneyError::UnknownCurrency.into();
        assert_eq!(
            (currency.code, currency.field.as_deref()),
            (ErrorCode::InvalidCurrency, Some("currency"))
        );
    }
}
