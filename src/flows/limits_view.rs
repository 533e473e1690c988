//! The limits page's decisions (`pages::limits`), as plain data tested natively: the tier and
//! the status in a plain sentence; one meter per limit (used of the limit, what is left, when
//! room comes back), from `GET /me/compliance`'s items read as the server's own
//! [`purse_api::compliance::Meter`]s; what the next tier unlocks; the verify form for the next
//! tier ([`VerifyForm`]: checked field by field by `VerificationRequest::check`, the server's own
//! checks, before anything is sent; the server's `field` put on the field it names; one
//! idempotency key per attempt) and what its answer says; and the holds with the generic message
//! and what to do.

use purse_api::ErrorCode;
use purse_api::compliance::{
    AccountStatus, Address, Compliance, Date, DocumentType, FieldProblem, Hold, LimitItem, LimitKind,
    NextTier, VerificationRequest, VerificationResponse, VerificationStatus, Window,
};

use crate::api_client::ApiError;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{meter_of, state_name};
use crate::format;
use crate::text::{Limits, t};

/// "Tier 1".
pub fn tier_label(tier: u8) -> String {
    t(Limits::TierN).replace("{n}", &tier.to_string())
}

/// What a tier means: "Not verified yet", "Identity verified", "ID document verified".
pub fn tier_name(tier: u8) -> &'static str {
    match tier {
        0 => t(Limits::Tier0Name),
        1 => t(Limits::Tier1Name),
        _ => t(Limits::Tier2Name),
    }
}

/// The status in one word, and its `data-status`.
pub fn status_word(status: AccountStatus) -> (&'static str, &'static str) {
    let word = match status {
        AccountStatus::Active => t(Limits::StatusActive),
        AccountStatus::UnderReview => t(Limits::StatusUnderReview),
        AccountStatus::Restricted => t(Limits::StatusRestricted),
        AccountStatus::Frozen => t(Limits::StatusFrozen),
    };
    (word, status.as_str())
}

/// The status as a plain sentence: "Purse isn't licensed in New York yet. You can see and
/// withdraw your money; nothing else can move."
pub fn status_sentence(compliance: &Compliance) -> String {
    match compliance.status {
        AccountStatus::Active => t(Limits::SentenceActive).to_string(),
        AccountStatus::UnderReview => t(Limits::SentenceUnderReview).to_string(),
        AccountStatus::Restricted => match compliance.region.state.as_deref().and_then(state_name) {
            Some(name) => t(Limits::SentenceRestricted).replace("{state}", name),
            None => t(Limits::SentenceRestrictedSomewhere).to_string(),
        },
        AccountStatus::Frozen => t(Limits::SentenceFrozen).to_string(),
    }
}

/// What a limit limits, as a heading: "Sending".
pub fn kind_title(kind: LimitKind) -> &'static str {
    match kind {
        LimitKind::Send => t(Limits::KindSend),
        LimitKind::Receive => t(Limits::KindReceive),
        LimitKind::Withdraw => t(Limits::KindWithdraw),
        LimitKind::Deposit => t(Limits::KindDeposit),
    }
}

/// The window in words: "in any 7 days".
pub fn window_words(window: Window) -> &'static str {
    match window {
        Window::Day => t(Limits::WindowDay),
        Window::SevenDays => t(Limits::Window7d),
        Window::ThirtyDays => t(Limits::Window30d),
    }
}

/// One limit as its meter shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeterView {
    pub kind: LimitKind,
    /// "Sending".
    pub title: &'static str,
    /// "$250.00 in any 7 days".
    pub limit: String,
    /// "$37.60 of $250.00 used".
    pub used: String,
    /// "$212.40 left".
    pub left: String,
    /// "More room from Thursday", or "Nothing used yet".
    pub resets: String,
    /// For the bar: used and limit in cents (used at most the limit).
    pub used_minor: i64,
    pub limit_minor: i64,
    /// Nothing is left.
    pub full: bool,
}

/// The meter of a limit on the wire, from `now_ms` ("More room from Thursday"); `None` when
/// the server wrote it unreadably.
pub fn meter_view(item: &LimitItem, now_ms: i64) -> Option<MeterView> {
    let meter = meter_of(item)?;
    let money = format::usd_minor;
    let resets = match &item.resets_at {
        Some(at) if meter.used_minor > 0 => {
            t(Limits::MoreRoomFrom).replace("{when}", &format::until(at, now_ms))
        }
        _ => t(Limits::NothingUsed).to_string(),
    };
    Some(MeterView {
        kind: item.kind,
        title: kind_title(item.kind),
        limit: format!("{} {}", money(meter.limit_minor), window_words(item.window)),
        used: t(Limits::UsedOf)
            .replace("{used}", &money(meter.used_minor))
            .replace("{limit}", &money(meter.limit_minor)),
        left: t(Limits::Left).replace("{amount}", &money(meter.remaining_minor)),
        resets,
        used_minor: meter.used_minor.clamp(0, meter.limit_minor.max(0)),
        limit_minor: meter.limit_minor.max(1),
        full: meter.remaining_minor <= 0,
    })
}

/// What the next tier unlocks, one line per kind: "Sending: $7,500.00 in any 7 days"; a kind
/// limited now and not at the next tier: "Receiving: No limit".
pub fn unlocks(current: &[LimitItem], next: &NextTier) -> Vec<(LimitKind, String)> {
    LimitKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let then = next.unlocks.iter().find(|item| item.kind == kind);
            let now = current.iter().any(|item| item.kind == kind);
            let limit = match then.and_then(meter_of) {
                Some(meter) => {
                    format!("{} {}", format::usd_minor(meter.limit_minor), window_words(kind.window()))
                }
                None if now => t(Limits::NoLimit).to_string(),
                None => return None,
            };
            Some((kind, format!("{}: {limit}", kind_title(kind))))
        })
        .collect()
}

/// A hold as the page lists it: never its reason code (a person sees the same sentence for
/// every hold, and nothing of sanctions or reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldView {
    pub activity_id: String,
    /// The one generic sentence, in the reader's language (the app's own, as the server's).
    pub message: String,
    /// "Held since Dec 7, 14:05".
    pub since: String,
    /// When, as the server wrote it (for `<time datetime>`).
    pub since_at: String,
    /// Where its receipt is.
    pub href: String,
}

pub fn hold_view(hold: &Hold) -> HoldView {
    HoldView {
        activity_id: hold.activity_id.clone(),
        message: t(Limits::ReviewMessage).to_string(),
        since: t(Limits::HoldSince).replace("{when}", &format::when(&hold.since)),
        since_at: hold.since.clone(),
        href: format!("/activity/{}", hold.activity_id),
    }
}

/// The fields of the verify form, by their ids (also the `for` of their labels).
pub mod field {
    pub const LEGAL_NAME: &str = "verify-legal-name";
    pub const DATE_OF_BIRTH: &str = "verify-date-of-birth";
    pub const LINE1: &str = "verify-line1";
    pub const CITY: &str = "verify-city";
    pub const STATE: &str = "verify-state";
    pub const POSTAL_CODE: &str = "verify-postal-code";
    pub const SSN_LAST4: &str = "verify-ssn-last4";
    pub const DOCUMENT_TYPE: &str = "verify-document-type";
    pub const DOCUMENT_NUMBER: &str = "verify-document-number";
}

/// The form field a body field is (the server's `field`, `VerificationRequest::check`'s), and
/// what to say there.
pub fn field_problem(field: &str) -> Option<(&'static str, &'static str)> {
    Some(match field {
        "legal_name" => (field::LEGAL_NAME, t(Limits::ErrLegalName)),
        "date_of_birth" => (field::DATE_OF_BIRTH, t(Limits::ErrDateOfBirth)),
        "address" | "address.line1" => (field::LINE1, t(Limits::ErrAddressLine)),
        "address.city" => (field::CITY, t(Limits::ErrCity)),
        "address.state" => (field::STATE, t(Limits::ErrState)),
        "address.postal_code" => (field::POSTAL_CODE, t(Limits::ErrPostalCode)),
        "ssn_last4" => (field::SSN_LAST4, t(Limits::ErrSsnLast4)),
        "document_type" => (field::DOCUMENT_TYPE, t(Limits::ErrDocumentType)),
        "document_number" => (field::DOCUMENT_NUMBER, t(Limits::ErrDocumentNumber)),
        _ => return None,
    })
}

/// What a verification that did not pass says, by its reason code.
pub fn rejection_text(reason_code: Option<&str>) -> &'static str {
    match reason_code {
        Some("identity_mismatch") => t(Limits::RejectedIdentityMismatch),
        Some("underage") => t(Limits::RejectedUnderage),
        Some("document_invalid") => t(Limits::RejectedDocument),
        _ => t(Limits::RejectedOther),
    }
}

/// How a verification ended, for the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Verified: the person is now at `tier` (the page reads its limits again).
    Verified { tier: u8 },
    /// Being looked at.
    UnderReview,
    /// Not verified: why, in plain words.
    Rejected(&'static str),
}

impl Outcome {
    pub fn sentence(&self) -> String {
        match self {
            Outcome::Verified { tier } => t(Limits::Verified).replace("{n}", &tier.to_string()),
            Outcome::UnderReview => t(Limits::VerifyUnderReview).to_string(),
            Outcome::Rejected(text) => (*text).to_string(),
        }
    }

    /// Its `data-outcome`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Verified { .. } => "verified",
            Outcome::UnderReview => "under_review",
            Outcome::Rejected(_) => "rejected",
        }
    }
}

/// The verify form for one level (1: who and where; 2: a document), as typed, with its problems
/// (by field id) and its attempts at `POST /me/verification`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct VerifyForm {
    pub level: u8,
    pub legal_name: String,
    pub date_of_birth: String,
    pub line1: String,
    pub city: String,
    /// A postal code from the select (`TX`), or empty.
    pub state: String,
    pub postal_code: String,
    pub ssn_last4: String,
    /// `passport`, `driver_license`, or empty.
    pub document_type: String,
    pub document_number: String,
    /// Problems by field id ([`field`]).
    pub problems: Vec<(&'static str, String)>,
    /// Not about one field.
    pub form_problem: Option<String>,
    pub sending: bool,
    pub outcome: Option<Outcome>,
    attempt: Attempt,
}

impl VerifyForm {
    /// The form for reaching `tier` (1 or 2).
    pub fn for_tier(tier: u8) -> VerifyForm {
        VerifyForm { level: tier, ..VerifyForm::default() }
    }

    /// The problem on field `id`, if any.
    pub fn problem(&self, id: &str) -> Option<String> {
        self.problems.iter().find(|(field, _)| *field == id).map(|(_, problem)| problem.clone())
    }

    /// Typing in field `id` takes its problem away.
    pub fn typed(&mut self, id: &str) {
        self.problems.retain(|(field, _)| *field != id);
    }

    /// The body as typed, for this level only.
    pub fn body(&self) -> VerificationRequest {
        let text = |value: &str| Some(value.trim().to_string());
        match self.level {
            1 => VerificationRequest {
                level: 1,
                legal_name: text(&self.legal_name),
                date_of_birth: text(&self.date_of_birth),
                address: Some(Address {
                    line1: self.line1.trim().to_string(),
                    city: self.city.trim().to_string(),
                    state: self.state.trim().to_string(),
                    postal_code: self.postal_code.trim().to_string(),
                }),
                ssn_last4: text(&self.ssn_last4),
                ..VerificationRequest::default()
            },
            level => VerificationRequest {
                level,
                document_type: match self.document_type.as_str() {
                    "passport" => Some(DocumentType::Passport),
                    "driver_license" => Some(DocumentType::DriverLicense),
                    _ => None,
                },
                document_number: text(&self.document_number),
                ..VerificationRequest::default()
            },
        }
    }

    /// "Verify": the body and its key when every field holds by the server's own checks
    /// (`today` for the date of birth); otherwise the first problem on its field (the checks
    /// stop at the first, in the form's order) and `None`. Nothing while one is on its way.
    pub fn submit(
        &mut self,
        today: Date,
        new_key: impl FnOnce() -> String,
    ) -> Option<(VerificationRequest, String)> {
        if self.sending {
            return None;
        }
        self.problems.clear();
        self.form_problem = None;
        self.outcome = None;
        let body = self.body();
        if let Err(FieldProblem { field, .. }) = body.check(today) {
            let (id, text) = field_problem(field).unwrap_or((field::LEGAL_NAME, t(Limits::RejectedOther)));
            self.problems.push((id, text.to_string()));
            return None;
        }
        let key = self.attempt.begin(new_key).to_string();
        self.attempt.sent(());
        self.sending = true;
        Some((body, key))
    }

    /// The first field with a problem, to focus.
    pub fn first_problem(&self) -> Option<&'static str> {
        self.problems.first().map(|(id, _)| *id)
    }

    /// The answer to the attempt under `key` (another's changes nothing).
    pub fn answer(&mut self, key: &str, answer: Result<VerificationResponse, ApiError>) {
        if !self.attempt.is_current(key) || !self.sending {
            return;
        }
        self.sending = false;
        self.attempt.answered(&answer);
        let error = match answer {
            Ok(response) => {
                self.outcome = Some(match response.verification.status {
                    VerificationStatus::Verified => Outcome::Verified { tier: response.tier },
                    VerificationStatus::UnderReview | VerificationStatus::None => Outcome::UnderReview,
                    VerificationStatus::Rejected => {
                        Outcome::Rejected(rejection_text(response.verification.reason_code.as_deref()))
                    }
                });
                return;
            }
            Err(error) => error,
        };
        if self.attempt.in_doubt() {
            self.form_problem = Some(format!("{} {}", error.message, t(Limits::VerifyRetrySafe)));
            return;
        }
        match error.field.as_deref().and_then(field_problem) {
            Some((id, text)) if error.code == Some(ErrorCode::InvalidRequest) => {
                self.problems.push((id, text.to_string()))
            }
            _ => self.form_problem = Some(error.message),
        }
    }
}

/// The page's verification line when the last one did not pass (and nothing has been sent from
/// this page since): why, in plain words.
pub fn last_rejection(compliance: &Compliance) -> Option<&'static str> {
    (compliance.verification.status == VerificationStatus::Rejected)
        .then(|| rejection_text(compliance.verification.reason_code.as_deref()))
}

#[cfg(test)]
mod tests {
    use purse_api::compliance::VerificationState;

    use super::*;
    use crate::flows::limit_guard::test_compliance::{MONDAY_MS, tier_0, with_status};

    const TODAY: Date = Date { year: 2026, month: 12, day: 7 };

    fn omar() -> VerifyForm {
        VerifyForm {
            legal_name: "Omar Farouk".into(),
            date_of_birth: "1990-02-28".into(),
            line1: "1 Main St".into(),
            city: "Austin".into(),
            state: "TX".into(),
            postal_code: "78701".into(),
            ssn_last4: "1234".into(),
            ..VerifyForm::for_tier(1)
        }
    }

    fn answered(
        status: VerificationStatus,
        reason: Option<&str>,
        tier: u8,
    ) -> Result<VerificationResponse, ApiError> {
        Ok(VerificationResponse {
            verification: VerificationState { status, reason_code: reason.map(Into::into) },
            tier,
        })
    }

    fn refused(status: u16, code: ErrorCode, field: Option<&str>, message: &str) -> ApiError {
        ApiError {
            status: Some(status),
            code: Some(code),
            message: message.into(),
            field: field.map(Into::into),
            details: None,
        }
    }

    #[test]
    fn the_status_says_where_the_person_stands_in_a_plain_sentence() {
        assert_eq!(tier_label(0), "Tier 0");
        assert_eq!(tier_name(0), "Not verified yet");
        assert_eq!(status_word(AccountStatus::UnderReview), ("Under review", "under_review"));
        assert!(status_sentence(&tier_0()).starts_with("Everything works"));
        assert_eq!(
            status_sentence(&with_status(AccountStatus::Restricted, Some("NY"))),
            "Purse isn't licensed in New York yet. You can see and withdraw your money; nothing else can move."
        );
        assert!(status_sentence(&with_status(AccountStatus::Restricted, None)).contains("where you live"));
        assert!(
            status_sentence(&with_status(AccountStatus::Frozen, None)).starts_with("Your account is frozen")
        );
    }

    #[test]
    fn each_limit_is_a_meter_with_used_left_and_when_room_comes_back() {
        let compliance = tier_0();
        let send = meter_view(&compliance.limits[0], MONDAY_MS).unwrap();
        assert_eq!(send.title, "Sending");
        assert_eq!(send.limit, "$250.00 in any 7 days");
        assert_eq!(send.used, "$37.60 of $250.00 used");
        assert_eq!(send.left, "$212.40 left");
        assert_eq!(send.resets, "More room from Thursday");
        assert_eq!((send.used_minor, send.limit_minor, send.full), (3_760, 25_000, false));
        let receive = meter_view(&compliance.limits[1], MONDAY_MS).unwrap();
        assert_eq!(
            (receive.limit.as_str(), receive.resets.as_str()),
            ("$1,000.00 in any 30 days", "Nothing used yet")
        );
        let withdraw = meter_view(&compliance.limits[2], MONDAY_MS).unwrap();
        assert!(withdraw.full);
        assert_eq!(withdraw.resets, "More room from tomorrow");
        let deposit = meter_view(&compliance.limits[3], MONDAY_MS).unwrap();
        assert_eq!(deposit.limit, "$500.00 per day");
    }

    #[test]
    fn the_next_tier_says_what_it_unlocks_and_what_it_stops_limiting() {
        let compliance = tier_0();
        let lines: Vec<String> = unlocks(&compliance.limits, compliance.next_tier.as_ref().unwrap())
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(
            lines,
            [
                "Sending: $7,500.00 in any 7 days",
                "Receiving: No limit",
                "Withdrawing: $7,500.00 in any 7 days",
                "Adding money: $2,500.00 per day",
            ]
        );
    }

    #[test]
    fn holds_say_the_generic_message_never_the_code_and_link_to_the_payment() {
        let hold = Hold {
            activity_id: "tr_abc".into(),
            reason_code: "manual_review".into(),
            message: purse_api::ops::REVIEW_MESSAGE.into(),
            since: "2026-12-07T14:05:00Z".into(),
        };
        let view = hold_view(&hold);
        assert_eq!(view.href, "/activity/tr_abc");
        assert_eq!(view.message, purse_api::ops::REVIEW_MESSAGE);
        assert!(!format!("{view:?}").contains("manual_review"), "the code is not kept: {view:?}");
        assert_eq!(view.since, "Held since Dec 7, 14:05");
    }

    #[test]
    fn the_form_is_checked_by_the_servers_own_rules_before_anything_is_sent() {
        type Case = (fn(&mut VerifyForm), &'static str, &'static str);
        let cases: [Case; 6] = [
            (
                |f| f.legal_name = " ".into(),
                field::LEGAL_NAME,
                "Enter your legal name (up to 100 characters).",
            ),
            (
                |f| f.date_of_birth = "1990-02-30".into(),
                field::DATE_OF_BIRTH,
                "Enter your date of birth as YYYY-MM-DD, like 1990-02-28.",
            ),
            (|f| f.city = String::new(), field::CITY, "Enter your city (up to 100 characters)."),
            (|f| f.state = String::new(), field::STATE, "Choose your state."),
            (
                |f| f.postal_code = "7870".into(),
                field::POSTAL_CODE,
                "Enter a ZIP code: 5 digits, or 5 and 4 like 78701-1234.",
            ),
            (
                |f| f.ssn_last4 = "123".into(),
                field::SSN_LAST4,
                "Enter exactly the last 4 digits of your SSN.",
            ),
        ];
        for (spoil, id, text) in cases {
            let mut form = omar();
            spoil(&mut form);
            assert_eq!(form.submit(TODAY, || "k".into()), None, "{id}");
            assert_eq!((form.first_problem(), form.problem(id).as_deref()), (Some(id), Some(text)));
            assert!(!form.sending);
            form.typed(id);
            assert_eq!(form.problem(id), None, "typing takes it away");
        }
        let (body, key) = omar().submit(TODAY, || "k1".into()).unwrap();
        assert_eq!(key, "k1");
        assert_eq!(body.address.as_ref().map(|a| a.state.as_str()), Some("TX"));
        assert_eq!((body.ssn_last4.as_deref(), body.document_number), (Some("1234"), None));
        let mut document = VerifyForm { document_number: "X1234567".into(), ..VerifyForm::for_tier(2) };
        assert_eq!(document.submit(TODAY, || "k".into()), None);
        assert_eq!(document.first_problem(), Some(field::DOCUMENT_TYPE));
        document.document_type = "passport".into();
        let (body, _) = document.submit(TODAY, || "k2".into()).unwrap();
        assert_eq!(
            (body.level, body.document_type, body.legal_name),
            (2, Some(DocumentType::Passport), None)
        );
    }

    #[test]
    fn each_answer_says_what_happened_and_a_lost_one_is_retried_under_its_key() {
        let mut form = omar();
        let (_, key) = form.submit(TODAY, || "k1".into()).unwrap();
        assert_eq!(form.submit(TODAY, || "k2".into()), None, "one at a time");
        form.answer("other", answered(VerificationStatus::Verified, None, 1));
        assert!(form.sending, "another attempt's answer changes nothing");
        form.answer(&key, Err(ApiError::network()));
        assert!(form.form_problem.as_deref().unwrap().ends_with("Trying again sends the same details once."));
        let (_, again) = form.submit(TODAY, || "k2".into()).unwrap();
        assert_eq!(again, "k1", "a retry keeps the key");
        form.answer(&again, answered(VerificationStatus::Verified, None, 1));
        assert_eq!(form.outcome, Some(Outcome::Verified { tier: 1 }));
        assert_eq!(form.outcome.as_ref().unwrap().sentence(), "You're verified: welcome to tier 1.");

        let mut form = omar();
        let (_, key) = form.submit(TODAY, || "k3".into()).unwrap();
        form.answer(&key, answered(VerificationStatus::Rejected, Some("identity_mismatch"), 0));
        assert_eq!(form.outcome, Some(Outcome::Rejected(t(Limits::RejectedIdentityMismatch))));
        let (_, next) = form.submit(TODAY, || "k4".into()).unwrap();
        assert_eq!(next, "k4", "a final answer: the next attempt is new");
        form.answer(&next, answered(VerificationStatus::UnderReview, None, 0));
        assert_eq!(form.outcome.as_ref().map(Outcome::name), Some("under_review"));

        let mut form = omar();
        let (_, key) = form.submit(TODAY, || "k5".into()).unwrap();
        form.answer(
            &key,
            Err(refused(400, ErrorCode::InvalidRequest, Some("address.state"), "Not a state.")),
        );
        assert_eq!(form.problem(field::STATE).as_deref(), Some("Choose your state."));
        let (_, key) = form.submit(TODAY, || "k6".into()).unwrap();
        form.answer(
            &key,
            Err(refused(422, ErrorCode::VerificationFailed, None, "Verify your identity first.")),
        );
        assert_eq!(form.form_problem.as_deref(), Some("Verify your identity first."));
        assert_eq!(rejection_text(Some("underage")), "You must be 18 or older to use Purse.");
        assert_eq!(rejection_text(Some("document_invalid")), t(Limits::RejectedDocument));
    }

    #[test]
    fn a_rejected_verification_is_said_on_the_page() {
        let mut compliance = tier_0();
        assert_eq!(last_rejection(&compliance), None);
        compliance.verification =
            VerificationState { status: VerificationStatus::Rejected, reason_code: Some("underage".into()) };
        assert_eq!(last_rejection(&compliance), Some("You must be 18 or older to use Purse."));
    }
}
