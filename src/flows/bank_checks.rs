//! The bank-account form's checks: the routing number against the ABA checksum as it is typed,
//! the account number (4–17 digits) and the holder's name, by `purse_api::funding`'s rules, so
//! the form refuses what `POST /bank-accounts` would.

use purse_api::funding::{HOLDER_NAME_MAX_CHARS, is_valid_account_number, is_valid_routing_number};
use purse_api::{ErrorCode, NewBankAccount};

use crate::api_client::ApiError;
use crate::text::{Funding, t};

/// What the routing-number field holds so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoutingStatus {
    Empty,
    /// Fewer than nine digits.
    Incomplete,
    Valid,
    /// Nine digits failing the checksum, too many, or not digits.
    Invalid,
}

/// Digits as people type them, without the spaces and dashes.
fn digits(typed: &str) -> String {
    typed.chars().filter(|c| *c != ' ' && *c != '-').collect()
}

pub fn routing_status(typed: &str) -> RoutingStatus {
    let routing = digits(typed);
    match routing.len() {
        0 => RoutingStatus::Empty,
        _ if !routing.bytes().all(|b| b.is_ascii_digit()) => RoutingStatus::Invalid,
        1..9 => RoutingStatus::Incomplete,
        _ if is_valid_routing_number(&routing) => RoutingStatus::Valid,
        _ => RoutingStatus::Invalid,
    }
}

/// What the form says under the routing number as it is typed: that it checks out, or that it
/// cannot be one (nothing while it is half typed).
pub fn routing_message(typed: &str) -> Option<(bool, &'static str)> {
    match routing_status(typed) {
        RoutingStatus::Valid => Some((true, t(Funding::RoutingValid))),
        RoutingStatus::Invalid => Some((false, t(Funding::RoutingInvalid))),
        RoutingStatus::Empty | RoutingStatus::Incomplete => None,
    }
}

/// What the bank form holds, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BankFields {
    pub routing: String,
    pub account: String,
    pub holder: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BankProblems {
    pub routing: Option<String>,
    pub account: Option<String>,
    pub holder: Option<String>,
    pub form: Option<String>,
}

/// The form checked: the body of `POST /bank-accounts`, or every problem at once.
pub fn check(fields: &BankFields) -> Result<NewBankAccount, BankProblems> {
    let mut problems = BankProblems::default();
    let routing = digits(&fields.routing);
    if routing_status(&routing) != RoutingStatus::Valid {
        problems.routing = Some(t(Funding::RoutingInvalid).to_string());
    }
    let account = digits(&fields.account);
    if !is_valid_account_number(&account) {
        problems.account = Some(t(Funding::AccountInvalid).to_string());
    }
    let holder = fields.holder.split_whitespace().collect::<Vec<_>>().join(" ");
    if holder.is_empty() || holder.chars().count() > HOLDER_NAME_MAX_CHARS {
        problems.holder = Some(t(Funding::HolderInvalid).to_string());
    }
    if problems == BankProblems::default() {
        Ok(NewBankAccount { routing_number: routing, account_number: account, holder_name: holder })
    } else {
        Err(problems)
    }
}

/// Where a refusal of `POST /bank-accounts` belongs on the form.
pub fn problems_from(error: ApiError) -> BankProblems {
    let mut problems = BankProblems::default();
    match (error.code, error.field.as_deref()) {
        (Some(ErrorCode::InvalidRoutingNumber), _) | (_, Some("routing_number")) => {
            problems.routing = Some(error.message)
        }
        (_, Some("account_number")) => problems.account = Some(error.message),
        (_, Some("holder_name")) => problems.holder = Some(error.message),
        _ => problems.form = Some(error.message),
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(routing: &str, account: &str, holder: &str) -> BankFields {
        BankFields { routing: routing.into(), account: account.into(), holder: holder.into() }
    }

    #[test]
    fn the_routing_number_is_checked_as_it_is_typed() {
        let cases = [
            ("", RoutingStatus::Empty, None),
            ("1100", RoutingStatus::Incomplete, None),
            ("110000000", RoutingStatus::Valid, Some(true)),
            ("110 000 000", RoutingStatus::Valid, Some(true)),
            ("021000021", RoutingStatus::Valid, Some(true)),
            ("110000001", RoutingStatus::Invalid, Some(false)),
            ("1100000000", RoutingStatus::Invalid, Some(false)),
            ("11000a", RoutingStatus::Invalid, Some(false)),
            ("000000000", RoutingStatus::Invalid, Some(false)),
        ];
        for (typed, status, ok) in cases {
            assert_eq!(routing_status(typed), status, "{typed:?}");
            assert_eq!(routing_message(typed).map(|(ok, _)| ok), ok, "{typed:?}");
        }
        assert_eq!(routing_message("110000000"), Some((true, t(Funding::RoutingValid))));
    }

    #[test]
    fn a_good_account_becomes_the_request_and_bad_ones_say_where() {
        assert_eq!(
            check(&fields("110000000", "0001 2345 6789", "  Alice   Martin ")),
            Ok(NewBankAccount {
                routing_number: "110000000".into(),
                account_number: "000123456789".into(),
                holder_name: "Alice Martin".into(),
            })
        );
        let problems = check(&fields("110000001", "123", " ")).err().unwrap_or_default();
        assert_eq!(problems.routing.as_deref(), Some(t(Funding::RoutingInvalid)));
        assert_eq!(problems.account.as_deref(), Some(t(Funding::AccountInvalid)));
        assert_eq!(problems.holder.as_deref(), Some(t(Funding::HolderInvalid)));
        let long_name = "a".repeat(HOLDER_NAME_MAX_CHARS + 1);
        assert!(check(&fields("110000000", "000123456789", &long_name)).is_err());
        assert!(check(&fields("110000000", "123456789012345678", "Alice")).is_err(), "18 digits");
    }

    #[test]
    fn refusals_land_on_their_field() {
        let refused = ApiError {
            status: Some(400),
            code: Some(ErrorCode::InvalidRoutingNumber),
            message: "That routing number isn't valid.".into(),
            field: Some("routing_number".into()),
            details: None,
        };
        assert_eq!(problems_from(refused).routing.as_deref(), Some("That routing number isn't valid."));
        assert!(problems_from(ApiError::network()).form.is_some());
    }
}
