//! Identity: who a person says they are, checked by an [`IdentityProvider`] (as a card is
//! checked by the card network), and the sanctions [`Screening`] of their legal name.
//!
//! The server talks to a provider only through the trait: [`SandboxIdentity`] is the embedded
//! default, deciding by the input as API.md says; a real provider's adapter (Persona, Onfido…)
//! would implement the same trait. A provider is given the checked body
//! ([`Verification`]: the SSN's last four, a document's full number) and answers
//! [`IdentityOutcome`]; it must keep and log nothing of the document number beyond its last
//! four, as the server does.
//!
//! Screening is a hook of its own: the server screens the legal name of a verification that
//! the provider passed, and a match sends it to review. [`NoScreening`], the default, matches
//! no one; [`crate::sanctions::SanctionsList`] (OFAC SDN format) plugs in here.

use std::fmt;

use futures_util::future::BoxFuture;
use purse_api::compliance::{Date, Verification};

use crate::RailError;

/// How old a person must be, in years.
pub const MINIMUM_AGE_YEARS: i32 = 18;

/// The reason codes the sandbox answers.
pub mod reason {
    /// The SSN's last four do not match the name and date of birth.
    pub const IDENTITY_MISMATCH: &str = "identity_mismatch";
    /// Born less than 18 years ago.
    pub const UNDERAGE: &str = "underage";
    /// The document could not be read or is not genuine.
    pub const DOCUMENT_INVALID: &str = "document_invalid";
    /// A person will look at it (the same code whatever sent it there: a person under review is
    /// never told it was a sanctions match).
    pub const MANUAL_REVIEW: &str = "manual_review";
}

/// What a provider said of a verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityOutcome {
    Verified,
    /// Not verified, with the reason code the person is told.
    Rejected {
        reason_code: String,
    },
    /// Someone must look at it; the person is told the reason code.
    UnderReview {
        reason_code: String,
    },
}

impl IdentityOutcome {
    pub fn rejected(reason_code: &str) -> IdentityOutcome {
        IdentityOutcome::Rejected { reason_code: reason_code.to_string() }
    }

    pub fn under_review(reason_code: &str) -> IdentityOutcome {
        IdentityOutcome::UnderReview { reason_code: reason_code.to_string() }
    }
}

/// An identity provider.
pub trait IdentityProvider: Send + Sync + fmt::Debug {
    /// Checks a person's identity (tier 1) or document (tier 2); `today` is the business
    /// clock's date (how old someone is depends on it).
    fn verify<'a>(
        &'a self,
        verification: &'a Verification,
        today: Date,
    ) -> BoxFuture<'a, Result<IdentityOutcome, RailError>>;
}

/// A name a sanctions list matched.
#[derive(Clone, Debug, PartialEq)]
pub struct ScreeningHit {
    /// Which version of the list matched.
    pub list_version: String,
    /// The entry matched (its name as listed).
    pub entry: String,
    /// How close, 0 to 1.
    pub score: f64,
}

/// Sanctions screening of a person's legal name.
pub trait Screening: Send + Sync + fmt::Debug {
    /// The list's entry `legal_name` matches, if any.
    fn screen<'a>(&'a self, legal_name: &'a str) -> BoxFuture<'a, Result<Option<ScreeningHit>, RailError>>;

    /// The version of the list screened against now (a name screened against an older one is
    /// screened again); `None` when there is no list.
    fn version(&self) -> Option<String> {
        None
    }
}

/// Screening against no list: matches no one (the default until a list is given).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoScreening;

impl Screening for NoScreening {
    fn screen<'a>(&'a self, _legal_name: &'a str) -> BoxFuture<'a, Result<Option<ScreeningHit>, RailError>> {
        Box::pin(async { Ok(None) })
    }

    fn version(&self) -> Option<String> {
        None
    }
}

/// The sandbox identity provider, deciding by the input (API.md): SSN last four `0000` is
/// rejected (`identity_mismatch`); born less than 18 years before `today`, rejected
/// (`underage`); a document number starting `FAIL`, rejected (`document_invalid`); anything
/// else is verified. (A legal name the screening matches goes to review: the server's
/// [`Screening`], run after the provider.)
#[derive(Clone, Copy, Debug, Default)]
pub struct SandboxIdentity;

impl SandboxIdentity {
    /// The sandbox's decision, at once.
    pub fn decide(verification: &Verification, today: Date) -> IdentityOutcome {
        match verification {
            Verification::Identity { ssn_last4, date_of_birth, .. } => {
                if ssn_last4 == "0000" {
                    IdentityOutcome::rejected(reason::IDENTITY_MISMATCH)
                } else if !date_of_birth.at_least_years_before(MINIMUM_AGE_YEARS, today) {
                    IdentityOutcome::rejected(reason::UNDERAGE)
                } else {
                    IdentityOutcome::Verified
                }
            }
            Verification::Document { document_number, .. } => {
                if document_number.to_ascii_uppercase().starts_with("FAIL") {
                    IdentityOutcome::rejected(reason::DOCUMENT_INVALID)
                } else {
                    IdentityOutcome::Verified
                }
            }
        }
    }
}

impl IdentityProvider for SandboxIdentity {
    fn verify<'a>(
        &'a self,
        verification: &'a Verification,
        today: Date,
    ) -> BoxFuture<'a, Result<IdentityOutcome, RailError>> {
        Box::pin(async move { Ok(SandboxIdentity::decide(verification, today)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use purse_api::compliance::{Address, DocumentType};

    fn identity(ssn_last4: &str, born: Date) -> Verification {
        Verification::Identity {
            legal_name: "Omar Farouk".into(),
            date_of_birth: born,
            address: Address {
                line1: "1 Main St".into(),
                city: "Austin".into(),
                state: "TX".into(),
                postal_code: "78701".into(),
            },
            ssn_last4: ssn_last4.into(),
        }
    }

    fn document(number: &str) -> Verification {
        Verification::Document {
            document_type: DocumentType::Passport,
            document_last4: number[number.len() - 4..].to_string(),
            document_number: number.into(),
        }
    }

    const TODAY: Date = Date { year: 2027, month: 1, day: 15 };

    #[test]
    fn the_sandbox_decides_by_the_input() {
        let adult = Date { year: 1990, month: 6, day: 1 };
        assert_eq!(SandboxIdentity::decide(&identity("1234", adult), TODAY), IdentityOutcome::Verified);
        assert_eq!(
            SandboxIdentity::decide(&identity("0000", adult), TODAY),
            IdentityOutcome::rejected("identity_mismatch")
        );
        let eighteen_today = Date { year: 2009, month: 1, day: 15 };
        let eighteen_tomorrow = Date { year: 2009, month: 1, day: 16 };
        assert_eq!(
            SandboxIdentity::decide(&identity("1234", eighteen_today), TODAY),
            IdentityOutcome::Verified
        );
        assert_eq!(
            SandboxIdentity::decide(&identity("1234", eighteen_tomorrow), TODAY),
            IdentityOutcome::rejected("underage")
        );
        assert_eq!(SandboxIdentity::decide(&document("X1234567"), TODAY), IdentityOutcome::Verified);
        assert_eq!(
            SandboxIdentity::decide(&document("FAIL5678"), TODAY),
            IdentityOutcome::rejected("document_invalid")
        );
        assert_eq!(SandboxIdentity::decide(&document("XFAIL5678"), TODAY), IdentityOutcome::Verified);
    }
}
