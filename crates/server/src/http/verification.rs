//! `POST /me/verification`: tier 1 (who and where) or tier 2 (an identity document). A bad
//! field is `400 invalid_request` naming it; no answer ever repeats what was sent for the SSN or
//! the document number (serde's messages quote the value at fault: those are replaced here).

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use purse_api::compliance::{
    FieldProblem, NAME_MAX_CHARS, Problem, VerificationRequest, VerificationResponse,
};

use crate::flows::verification;
use crate::http::error::ApiError;
use crate::http::json::ApiJson;
use crate::http::session::CurrentUser;
use crate::http::state::AppState;

/// `POST /me/verification`.
pub async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
    VerificationBody(body): VerificationBody,
) -> Result<Json<VerificationResponse>, ApiError> {
    let checked = body.check(verification::today(&state)).map_err(field_problem)?;
    Ok(Json(verification::submit(&state, user.row.id, &checked).await?))
}

/// The body, read by [`ApiJson`], with every refusal that could quote a value (a wrong type, an
/// unknown document type, a body that is not an object) told in a sentence of our own.
#[derive(Debug)]
pub struct VerificationBody(pub VerificationRequest);

impl<S: Send + Sync> FromRequest<S> for VerificationBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<VerificationBody, ApiError> {
        match ApiJson::<VerificationRequest>::from_request(request, state).await {
            Ok(ApiJson(body)) => Ok(VerificationBody(body)),
            Err(error) => Err(without_values(error)),
        }
    }
}

/// Keeps the JSON reader's sentences that quote no value (a field missing or unknown, a body
/// that is not JSON); any other is replaced by one naming only the field.
fn without_values(error: ApiError) -> ApiError {
    let quotes_nothing =
        ["Missing field", "Unknown field", "The body"].iter().any(|p| error.message.starts_with(p));
    if quotes_nothing || error.code != purse_api::ErrorCode::InvalidRequest {
        return error;
    }
    match error.field.clone() {
        Some(field) => ApiError::invalid_request(format!("The field {field} has a value of the wrong kind."))
            .with_field(field),
        None => ApiError::invalid_request("Send the verification as a JSON object."),
    }
}

/// A field at fault, as `400 invalid_request` with a plain sentence.
fn field_problem(problem: FieldProblem) -> ApiError {
    let FieldProblem { field, problem } = problem;
    let message = match problem {
        Problem::Missing => format!("Enter {}.", describe(field)),
        Problem::BadText => {
            format!("Enter {} (1 to {NAME_MAX_CHARS} characters, on one line).", describe(field))
        }
        Problem::BadDate => {
            "Enter your date of birth as YYYY-MM-DD: a date that exists, not in the future.".to_string()
        }
        Problem::NotAState => "Enter the state as its two-letter code, such as CA or TX.".to_string(),
        Problem::BadPostalCode => "Enter a ZIP code of 5 digits (or 5, a dash and 4).".to_string(),
        Problem::BadSsnLast4 => "Enter only the last 4 digits of your Social Security number.".to_string(),
        Problem::BadDocumentNumber => "Enter the document number: 4 to 20 letters and digits.".to_string(),
        Problem::BadLevel => "The level is 1 (who you are) or 2 (an identity document).".to_string(),
        Problem::NotForLevel => {
            format!(
                "{} is not part of a level {} verification.",
                capitalised(describe(field)),
                sent_with_level(field)
            )
        }
    };
    ApiError::invalid_request(message).with_field(field)
}

/// A field as a person calls it.
fn describe(field: &str) -> &'static str {
    match field {
        "legal_name" => "your legal name",
        "date_of_birth" => "your date of birth",
        "address" => "your address",
        "address.line1" => "the street address",
        "address.city" => "the city",
        "address.state" => "the state",
        "address.postal_code" => "the ZIP code",
        "ssn_last4" => "the last 4 digits of your Social Security number",
        "document_type" => "the document type (passport or driver_license)",
        "document_number" => "the document number",
        _ => "the level",
    }
}

/// The level a field of the other level was sent with.
fn sent_with_level(field: &str) -> u8 {
    if field.starts_with("document") { 1 } else { 2 }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
