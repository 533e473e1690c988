//! The hosted checkout page's decisions, as plain state tested natively: which screen the page
//! shows for the public session and the time now (a session still open by its status but past
//! its `expires_at` is expired: the page does not wait for a reload), the countdown and what is
//! announced of it, the body of `POST …/confirm` with one idempotency key per attempt, and what
//! each answer of confirm and cancel turns the page into. The view (`pages::checkout`) only
//! draws a [`CheckoutFlow`] and does what [`Follow`] says.

use purse_api::checkout::is_absolute_http_url;
use purse_api::compliance::LimitKind;
use purse_api::people::is_valid_pin;
use purse_api::{Amount, CheckoutOutcome, CheckoutStatus, ConfirmCheckout, ErrorCode, PublicCheckoutSession};

use crate::api_client::ApiError;
use crate::flows::attempt::Attempt;
use crate::flows::limit_guard::{Headroom, LimitRefusal, is_recipient_unavailable, recipient_unavailable};
use crate::flows::review::{Party, Review, Shortfall, shortfall};
use crate::format;
use crate::text::{Text, t};

/// Under this many seconds left, the page tells screen readers (once) that time is short.
pub const WARN_SECONDS: i64 = 5 * 60;
/// Under this many seconds left, it tells them again.
pub const LAST_WARN_SECONDS: i64 = 60;

/// What the page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The session is being read: a skeleton.
    Loading,
    /// No such session (or a link that cannot name one).
    Unknown,
    /// The session could not be read (offline, a server failure): what went wrong and a retry.
    Unavailable(String),
    /// Open: the summary, the countdown, and the way to pay (sign in first if needed).
    Open,
    /// Paid or canceled just now: the browser is on its way to the merchant.
    Leaving(String),
    /// Paid before this page was opened (or in another tab).
    Complete,
    Expired,
    Canceled,
}

impl Screen {
    /// The `data-state` attribute tests and styles key on.
    pub fn state(&self) -> &'static str {
        match self {
            Screen::Loading => "loading",
            Screen::Unknown => "unknown",
            Screen::Unavailable(_) => "unavailable",
            Screen::Open => "open",
            Screen::Leaving(_) => "leaving",
            Screen::Complete => "complete",
            Screen::Expired => "expired",
            Screen::Canceled => "canceled",
        }
    }
}

/// Where an open session's page is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Ready,
    /// `POST …/confirm` is on its way.
    Paying,
    /// `POST …/cancel` is on its way.
    Canceling,
    /// Done here: going to this URL (the merchant's success or cancel page).
    Leaving(String),
}

/// What the view must do after an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Follow {
    /// Nothing more: the flow says it all.
    Stay,
    /// A full navigation to the merchant's site.
    Navigate(String),
    /// Read the public session again: it changed under us (paid in another tab, canceled).
    Reload,
    /// The sign-in ended: the session must say so, and the page asks to sign in again.
    SignIn,
}

/// How Cancel goes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelPlan {
    /// Signed in: `POST …/cancel`, then its `redirect_url`.
    Post,
    /// Nobody signed in (the server would refuse): straight to the merchant's `cancel_url`.
    Leave(String),
}

/// Problems, where they are shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Problems {
    /// Next to the PIN field.
    pub pin: Option<String>,
    /// In the alert region above the buttons.
    pub form: Option<String>,
    /// The server refused for the buyer's limit or status (a race with another payment, or
    /// unread before): said as the limit note says it.
    pub limit: Option<LimitRefusal>,
}

/// Everything the checkout page shows, for one session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckoutFlow {
    /// The session id from the URL.
    pub id: String,
    /// `None` while `GET …/public` is on its way.
    pub load: Option<Result<PublicCheckoutSession, ApiError>>,
    /// `expires_at` in milliseconds since the epoch (`None` if the server wrote it badly: then
    /// the page shows no countdown and leaves expiry to the server).
    pub expires_at_ms: Option<i64>,
    pub step: Step,
    pub problems: Problems,
    /// The attempts to pay: when the last one's fate is unknown (no answer, a server failure,
    /// still processing), the next reuses its key, so the buyer cannot pay twice.
    pub attempt: Attempt,
}

impl CheckoutFlow {
    pub fn new(id: impl Into<String>) -> CheckoutFlow {
        CheckoutFlow {
            id: id.into(),
            load: None,
            expires_at_ms: None,
            step: Step::Ready,
            problems: Problems::default(),
            attempt: Attempt::default(),
        }
    }

    /// A flow already holding `session` (as the page has it once loaded).
    pub fn loaded_with(session: PublicCheckoutSession) -> CheckoutFlow {
        let mut flow = CheckoutFlow::new(session.id.clone());
        flow.loaded(Ok(session));
        flow
    }

    /// Whether the page should ask the server about its id at all: ids are `cs_…`, letters,
    /// digits and `_`. Anything else cannot name a session (and must not reach another path).
    pub fn id_is_plausible(&self) -> bool {
        (1..=100).contains(&self.id.len())
            && self.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// The session is being read again (first load, a retry, or after it changed).
    pub fn reloading(&mut self) {
        self.load = None;
        self.problems = Problems::default();
    }

    /// Starts reading the session: the id to ask about, or `None` when the id cannot name a
    /// session (then the page is the unknown-session page at once, without asking).
    pub fn start_loading(&mut self) -> Option<String> {
        self.reloading();
        if self.id_is_plausible() {
            return Some(self.id.clone());
        }
        self.load = Some(Err(ApiError {
            status: Some(404),
            code: Some(ErrorCode::NotFound),
            message: t(Text::CheckoutUnknownTitle).to_string(),
            field: None,
            details: None,
        }));
        None
    }

    /// The answer of `GET …/public`.
    pub fn loaded(&mut self, answer: Result<PublicCheckoutSession, ApiError>) {
        self.expires_at_ms = answer.as_ref().ok().and_then(|session| rfc3339_ms(&session.expires_at));
        self.load = Some(answer);
        if !matches!(self.step, Step::Leaving(_)) {
            self.step = Step::Ready;
        }
    }

    /// The session, once read.
    pub fn session(&self) -> Option<&PublicCheckoutSession> {
        self.load.as_ref().and_then(|load| load.as_ref().ok())
    }

    /// What the page shows at `now_ms`.
    pub fn screen(&self, now_ms: i64) -> Screen {
        if let Step::Leaving(url) = &self.step {
            return Screen::Leaving(url.clone());
        }
        let session = match &self.load {
            None => return Screen::Loading,
            Some(Err(error)) if is_missing(error) => return Screen::Unknown,
            Some(Err(error)) => return Screen::Unavailable(error.message.clone()),
            Some(Ok(session)) => session,
        };
        match session.status {
            CheckoutStatus::Complete => Screen::Complete,
            CheckoutStatus::Canceled => Screen::Canceled,
            CheckoutStatus::Expired => Screen::Expired,
            // An attempt already on its way is the server's to decide, even at 00:00.
            CheckoutStatus::Open if self.step == Step::Paying => Screen::Open,
            CheckoutStatus::Open if self.remaining_seconds(now_ms) == Some(0) => Screen::Expired,
            CheckoutStatus::Open => Screen::Open,
        }
    }

    /// Whole seconds left until `expires_at`, rounded up (so `00:00` is shown only once it has
    /// passed); `None` without a readable expiry.
    pub fn remaining_seconds(&self, now_ms: i64) -> Option<i64> {
        let left_ms = self.expires_at_ms?.saturating_sub(now_ms).max(0);
        Some(left_ms.saturating_add(999) / 1000)
    }

    /// The countdown as shown: `mm:ss`.
    pub fn countdown(&self, now_ms: i64) -> Option<String> {
        self.remaining_seconds(now_ms).map(countdown_text)
    }

    /// What screen readers are told about the time left. It changes only when a threshold is
    /// crossed, so a polite live region holding it speaks a few times, never every second.
    pub fn announcement(&self, now_ms: i64) -> Option<&'static str> {
        if self.session().map(|s| s.status) != Some(CheckoutStatus::Open) {
            return None;
        }
        match self.remaining_seconds(now_ms)? {
            0 => Some(t(Text::CheckoutExpiredNow)),
            left if left <= LAST_WARN_SECONDS => Some(t(Text::CheckoutOneMinuteLeft)),
            left if left <= WARN_SECONDS => Some(t(Text::CheckoutFiveMinutesLeft)),
            _ => None,
        }
    }

    /// The amount for people: `$12.50`.
    pub fn amount_text(&self) -> String {
        self.session().map(|s| format::money(&s.amount, s.currency)).unwrap_or_default()
    }

    /// The pay button: `Pay $12.50`.
    pub fn pay_label(&self) -> String {
        format!("{} {}", t(Text::CheckoutPay), self.amount_text())
    }

    /// The review's lines for the buyer whose wallet can spend `available` (when read): to the
    /// merchant, from the Purse balance and what is left after, free, right away, final.
    pub fn summary(&self, available: Option<&str>) -> Option<Review> {
        let session = self.session()?;
        let amount = Amount::parse(&session.amount, session.currency.code()).ok()?;
        Some(Review::checkout(Party::named(session.merchant.name.clone()), amount, available))
    }

    /// What the buyer's wallet is short of (`None` when it covers it, or is unread).
    pub fn shortfall(&self, available: Option<&str>) -> Option<Shortfall> {
        let session = self.session()?;
        let amount = Amount::parse(&session.amount, session.currency.code()).ok()?;
        shortfall(amount.to_minor(), available)
    }

    /// Why the buyer cannot pay this session: what the server last refused, or else the sending
    /// limit and status as read (`headroom`): over what is left, restricted, frozen.
    pub fn limit_refusal(&self, headroom: Option<&Headroom>) -> Option<LimitRefusal> {
        if let Some(refusal) = &self.problems.limit {
            return Some(refusal.clone());
        }
        let session = self.session()?;
        let amount = Amount::parse(&session.amount, session.currency.code()).ok()?;
        headroom?.check(amount.to_minor())
    }

    /// What will happen, before it happens: `Souq Books receives $12.50 right away.`
    pub fn review_sentence(&self) -> String {
        let merchant = self.session().map(|s| s.merchant.name.as_str()).unwrap_or_default();
        format!("{merchant} {} {} {}", t(Text::Receives), self.amount_text(), t(Text::ReviewNow))
    }

    /// The merchant's `cancel_url`, if it is a web address the browser may be sent to.
    pub fn back_url(&self) -> Option<String> {
        self.session().and_then(|s| safe_url(&s.cancel_url))
    }

    /// What the page says while the browser goes to the merchant: `Paid. Taking you back to
    /// Souq Books…`.
    pub fn leaving_text(&self) -> String {
        let Some(session) = self.session() else { return String::new() };
        let words = match session.status {
            CheckoutStatus::Complete => t(Text::CheckoutLeavingPaid),
            _ => t(Text::CheckoutLeaving),
        };
        format!("{words} {}…", session.merchant.name)
    }

    /// Whether a button may start something (nothing else is on its way).
    pub fn is_busy(&self) -> bool {
        self.step != Step::Ready
    }

    /// "Pay": the body of `POST …/confirm` and the attempt's key, the page now paying. `None`
    /// (with the problem on the PIN field) when the PIN is not 4–6 digits, and `None` when the
    /// page cannot pay now (not open, expired, or already paying: a second click pays nothing).
    pub fn confirm(
        &mut self,
        pin: &str,
        now_ms: i64,
        new_key: impl FnOnce() -> String,
    ) -> Option<(ConfirmCheckout, String)> {
        if self.step != Step::Ready || self.screen(now_ms) != Screen::Open {
            return None;
        }
        self.problems = Problems::default();
        // Pasted PINs bring spaces along.
        let pin: String = pin.chars().filter(|c| !c.is_whitespace()).collect();
        if !is_valid_pin(&pin) {
            self.problems.pin = Some(t(Text::PinFormat).to_string());
            return None;
        }
        // An attempt whose fate is unknown keeps its key: if it did pay, the retry is answered
        // with that payment instead of paying again.
        let key = self.attempt.begin(new_key).to_owned();
        self.attempt.sent(());
        self.step = Step::Paying;
        Some((ConfirmCheckout { pin: Some(pin) }, key))
    }

    /// Turns the answer to the attempt with `key` into the next state (an answer to an older
    /// attempt changes nothing).
    pub fn answer(&mut self, key: &str, answer: Result<CheckoutOutcome, ApiError>) -> Follow {
        if !self.attempt.is_current(key) || self.step != Step::Paying {
            return Follow::Stay;
        }
        self.problems = Problems::default();
        self.step = Step::Ready;
        self.attempt.answered(&answer);
        let error = match answer {
            Ok(outcome) => {
                self.set_status(CheckoutStatus::Complete);
                return self.leave(&outcome.redirect_url);
            }
            Err(error) => error,
        };
        if let Some(refusal) = LimitRefusal::from_error(&error, LimitKind::Send, None) {
            self.problems.limit = Some(refusal);
            return Follow::Stay;
        }
        if is_recipient_unavailable(&error) {
            let merchant = self.session().map(|s| s.merchant.name.clone()).unwrap_or_default();
            self.problems.form =
                Some(format!("{} {}", recipient_unavailable(&merchant), t(Text::NoMoneyMoved)));
            return Follow::Stay;
        }
        match error.code {
            Some(ErrorCode::Unauthenticated) => {
                self.problems.form = Some(error.message);
                Follow::SignIn
            }
            Some(
                ErrorCode::PinRequired
                | ErrorCode::PinIncorrect
                | ErrorCode::PinLocked
                | ErrorCode::PinNotSet,
            ) => {
                self.problems.pin = Some(error.message);
                Follow::Stay
            }
            Some(ErrorCode::CheckoutExpired) => {
                self.set_status(CheckoutStatus::Expired);
                Follow::Stay
            }
            // Paid (perhaps in another tab) or canceled: the public session says which.
            Some(ErrorCode::CheckoutNotOpen) => Follow::Reload,
            Some(ErrorCode::NotFound) => {
                self.load = Some(Err(error));
                Follow::Stay
            }
            Some(ErrorCode::InsufficientFunds) => {
                self.problems.form = Some(format!("{} {}", error.message, t(Text::CheckoutAddMoney)));
                Follow::Stay
            }
            _ if error.field.as_deref() == Some("pin") => {
                self.problems.pin = Some(error.message);
                Follow::Stay
            }
            _ if self.attempt.in_doubt() => {
                self.problems.form = Some(format!("{} {}", error.message, t(Text::CheckoutRetrySafe)));
                Follow::Stay
            }
            _ => {
                self.problems.form = Some(format!("{} {}", error.message, t(Text::NoMoneyMoved)));
                Follow::Stay
            }
        }
    }

    /// "Cancel": how to go back, given whether someone is signed in; `None` while something is
    /// on its way.
    pub fn cancel(&mut self, signed_in: bool) -> Option<CancelPlan> {
        if self.step != Step::Ready {
            return None;
        }
        self.problems = Problems::default();
        if signed_in && self.session().is_some_and(|s| s.status == CheckoutStatus::Open) {
            self.step = Step::Canceling;
            return Some(CancelPlan::Post);
        }
        match self.back_url() {
            Some(url) => {
                self.step = Step::Leaving(url.clone());
                Some(CancelPlan::Leave(url))
            }
            None => {
                self.problems.form = Some(t(Text::UnexpectedAnswer).to_string());
                None
            }
        }
    }

    /// Turns the answer of `POST …/cancel` into the next state.
    pub fn cancel_answer(&mut self, answer: Result<CheckoutOutcome, ApiError>) -> Follow {
        if self.step != Step::Canceling {
            return Follow::Stay;
        }
        self.step = Step::Ready;
        let error = match answer {
            Ok(outcome) => {
                self.set_status(CheckoutStatus::Canceled);
                return self.leave(&outcome.redirect_url);
            }
            Err(error) => error,
        };
        match error.code {
            // Signed out meanwhile: nothing to cancel on the buyer's side; just go back.
            Some(ErrorCode::Unauthenticated) => match self.back_url() {
                Some(url) => self.leave(&url),
                None => Follow::SignIn,
            },
            Some(ErrorCode::CheckoutNotOpen | ErrorCode::CheckoutExpired) => Follow::Reload,
            Some(ErrorCode::NotFound) => {
                self.load = Some(Err(error));
                Follow::Stay
            }
            _ => {
                self.problems.form = Some(error.message);
                Follow::Stay
            }
        }
    }

    /// Off to `url`, if it is a web address; otherwise the server answered nonsense.
    fn leave(&mut self, url: &str) -> Follow {
        match safe_url(url) {
            Some(url) => {
                self.step = Step::Leaving(url.clone());
                Follow::Navigate(url)
            }
            None => {
                self.problems.form = Some(t(Text::UnexpectedAnswer).to_string());
                Follow::Stay
            }
        }
    }

    fn set_status(&mut self, status: CheckoutStatus) {
        if let Some(Ok(session)) = self.load.as_mut() {
            session.status = status;
        }
    }
}

/// `mm:ss`, minutes not capped (sessions last 30 minutes).
pub fn countdown_text(seconds: i64) -> String {
    let seconds = seconds.max(0);
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

/// `url` if the browser may be sent there: an absolute `http(s)://` address (never
/// `javascript:` or a relative path, whatever a server answered).
pub fn safe_url(url: &str) -> Option<String> {
    is_absolute_http_url(url).then(|| url.to_string())
}

/// An unknown session: the API's `404 not_found`.
fn is_missing(error: &ApiError) -> bool {
    error.code == Some(ErrorCode::NotFound)
}

/// An RFC 3339 time (`2026-11-23T10:30:00Z`, fractions and offsets allowed) as milliseconds
/// since the Unix epoch.
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits.bytes().all(|b| b.is_ascii_digit()).then(|| digits.parse().ok()).flatten()
    };
    let bytes = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 20
        || separators.iter().any(|&(at, byte)| bytes[at] != byte)
        || !matches!(bytes[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Fractions of a second: milliseconds kept, the rest dropped.
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = kept.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let offset = rest.get(1..)?;
            let (hours, minutes) = offset.split_once(':')?;
            if hours.len() != 2 || minutes.len() != 2 {
                return None;
            }
            sign * (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use purse_api::{Currency, Merchant};

    /// 2026-11-23T10:00:00Z.
    const NOW_MS: i64 = 1_795_428_000_000;

    fn session(status: CheckoutStatus) -> PublicCheckoutSession {
        PublicCheckoutSession {
            id: "cs_abc123".into(),
            merchant: Merchant { name: "Souq Books".into() },
            amount: "12.50".into(),
            currency: Currency::Usd,
            description: "Two paperbacks".into(),
            status,
            expires_at: "2026-11-23T10:30:00Z".into(),
            cancel_url: "https://souq.example/cart".into(),
        }
    }

    fn open() -> CheckoutFlow {
        CheckoutFlow::loaded_with(session(CheckoutStatus::Open))
    }

    fn refused(status: u16, code: ErrorCode, field: Option<&str>) -> ApiError {
        ApiError {
            status: Some(status),
            code: Some(code),
            message: "no".into(),
            field: field.map(Into::into),
            details: None,
        }
    }

    fn done(status: CheckoutStatus, url: &str) -> Result<CheckoutOutcome, ApiError> {
        Ok(CheckoutOutcome { status, redirect_url: url.into() })
    }

    /// A flow paying with key `k1`.
    fn paying() -> CheckoutFlow {
        let mut flow = open();
        assert!(flow.confirm("1234", NOW_MS, || "k1".into()).is_some());
        flow
    }

    #[test]
    fn times_are_read_as_rfc_3339() {
        let cases = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2026-11-23T10:00:00Z", Some(NOW_MS)),
            ("2026-11-23T10:00:00.250Z", Some(NOW_MS + 250)),
            ("2026-11-23T10:00:00.123456789Z", Some(NOW_MS + 123)),
            ("2026-11-23T12:00:00+02:00", Some(NOW_MS)),
            ("2000-02-29T00:00:00Z", Some(951_782_400_000)),
            ("2026-11-23 10:00:00Z", Some(NOW_MS)),
            ("2026-11-23T10:00:00", None),
            ("2026-13-23T10:00:00Z", None),
            ("2026-11-23T10:00:00.Z", None),
            ("2026-11-23T10:00Z", None),
            ("tomorrow", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(rfc3339_ms(text), expected, "{text}");
        }
    }

    #[test]
    fn which_screen_follows_the_answer_the_status_and_the_clock() {
        let check = |flow: &CheckoutFlow, now_ms: i64, expected: Screen| {
            assert_eq!(flow.screen(now_ms), expected, "{flow:?} at {now_ms}");
        };
        check(&CheckoutFlow::new("cs_abc123"), NOW_MS, Screen::Loading);
        let mut flow = CheckoutFlow::new("cs_nope");
        flow.loaded(Err(refused(404, ErrorCode::NotFound, None)));
        check(&flow, NOW_MS, Screen::Unknown);
        flow.loaded(Err(ApiError::network()));
        check(&flow, NOW_MS, Screen::Unavailable(t(Text::NetworkError).into()));
        flow.reloading();
        check(&flow, NOW_MS, Screen::Loading);

        check(&open(), NOW_MS, Screen::Open);
        check(&open(), NOW_MS + 30 * 60_000 - 1, Screen::Open);
        check(&open(), NOW_MS + 30 * 60_000, Screen::Expired);
        for (status, expected) in [
            (CheckoutStatus::Complete, Screen::Complete),
            (CheckoutStatus::Canceled, Screen::Canceled),
            (CheckoutStatus::Expired, Screen::Expired),
        ] {
            check(&CheckoutFlow::loaded_with(session(status)), NOW_MS, expected);
        }
        // A badly written expiry: no countdown, the server decides.
        let mut unreadable = session(CheckoutStatus::Open);
        unreadable.expires_at = "soon".into();
        let flow = CheckoutFlow::loaded_with(unreadable);
        assert_eq!((flow.countdown(NOW_MS), flow.screen(NOW_MS + 3_600_000)), (None, Screen::Open));
        // Paying when the clock runs out: the answer decides.
        check(&paying(), NOW_MS + 31 * 60_000, Screen::Open);
    }

    #[test]
    fn the_countdown_reads_mm_ss_and_speaks_only_when_a_threshold_is_crossed() {
        let flow = open();
        let at = |left_ms: i64| NOW_MS + 30 * 60_000 - left_ms;
        assert_eq!(flow.countdown(NOW_MS).as_deref(), Some("30:00"));
        assert_eq!(flow.countdown(at(65_000)).as_deref(), Some("01:05"));
        assert_eq!(flow.countdown(at(1)).as_deref(), Some("00:01"), "rounded up: 00:00 only when over");
        assert_eq!(flow.countdown(at(-5_000)).as_deref(), Some("00:00"));
        assert_eq!(countdown_text(9 * 60 + 7), "09:07");

        let spoken: Vec<Option<&str>> = [600_000, 300_001, 300_000, 200_000, 60_000, 1_000, 0]
            .into_iter()
            .map(|left| flow.announcement(at(left)))
            .collect();
        let (five, one, over) = (
            Some(t(Text::CheckoutFiveMinutesLeft)),
            Some(t(Text::CheckoutOneMinuteLeft)),
            Some(t(Text::CheckoutExpiredNow)),
        );
        assert_eq!(spoken, [None, None, five, five, one, one, over]);
        let paid = CheckoutFlow::loaded_with(session(CheckoutStatus::Complete));
        assert_eq!(paid.announcement(at(10_000)), None, "nothing to count down once paid");
    }

    #[test]
    fn the_page_says_who_is_paid_how_much() {
        let flow = open();
        assert_eq!(flow.pay_label(), "Pay $12.50");
        assert_eq!(flow.review_sentence(), "Souq Books receives $12.50 right away.");
        let review = flow.summary(Some("500.00")).unwrap();
        let lines: Vec<String> = review.lines.iter().map(crate::flows::review::Line::text).collect();
        assert_eq!(
            lines,
            [
                "To: Souq Books",
                "From: Purse balance · $500.00 now, $487.50 after",
                "Fee: Free",
                "Arrives: Right away",
                "Can be canceled: No · A refund is the merchant's to give",
            ]
        );
        assert_eq!((review.amount.as_str(), review.confirm.as_str()), ("$12.50", "Pay $12.50"));
        assert_eq!(review.confirm, flow.pay_label(), "the page's Pay button is the review's confirm");
        assert_eq!(flow.shortfall(Some("500.00")), None);
        assert_eq!(
            flow.shortfall(Some("2.50")).map(|s| s.message()).as_deref(),
            Some("You have $2.50 — add $10.00?"),
            "refused before the PIN is asked for"
        );
        assert_eq!(flow.back_url().as_deref(), Some("https://souq.example/cart"));
        let mut sneaky = session(CheckoutStatus::Open);
        sneaky.cancel_url = "javascript:alert(1)".into();
        assert_eq!(CheckoutFlow::loaded_with(sneaky).back_url(), None, "never a script URL");
    }

    #[test]
    fn paying_sends_the_pin_once_under_one_key_per_attempt() {
        let mut flow = open();
        for bad in ["", "123", "1234567", "12a4"] {
            assert_eq!(flow.confirm(bad, NOW_MS, || "k0".into()), None, "{bad:?}");
            assert_eq!(flow.problems.pin.as_deref(), Some(t(Text::PinFormat)));
            assert_eq!(flow.step, Step::Ready);
        }
        let (body, key) = flow.confirm(" 12 34 ", NOW_MS, || "k1".into()).unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"pin": "1234"}),
            "paste-friendly"
        );
        assert_eq!((key.as_str(), &flow.step), ("k1", &Step::Paying));
        assert_eq!(flow.confirm("1234", NOW_MS, || "k2".into()), None, "a second click pays nothing");
        assert_eq!(flow.cancel(true), None, "nor cancels while paying");

        // A wrong PIN settles the attempt: the next one is new.
        assert_eq!(flow.answer("k1", Err(refused(403, ErrorCode::PinIncorrect, Some("pin")))), Follow::Stay);
        assert_eq!((flow.problems.pin.as_deref(), &flow.step), (Some("no"), &Step::Ready));
        assert_eq!(flow.confirm("4321", NOW_MS, || "k2".into()).map(|(_, key)| key).as_deref(), Some("k2"));

        // Expired pages cannot pay.
        let mut late = open();
        assert_eq!(late.confirm("1234", NOW_MS + 31 * 60_000, || "k1".into()), None);
    }

    #[test]
    fn after_an_answer_that_may_have_paid_the_retry_reuses_the_key() {
        for unknown in [
            ApiError::network(),
            refused(503, ErrorCode::ServiceUnavailable, None),
            refused(409, ErrorCode::IdempotencyKeyInUse, None),
        ] {
            let mut flow = paying();
            assert_eq!(flow.answer("k1", Err(unknown.clone())), Follow::Stay);
            let form = flow.problems.form.clone().unwrap_or_default();
            assert!(form.ends_with(t(Text::CheckoutRetrySafe)), "{unknown:?}: {form}");
            let retry = flow.confirm("1234", NOW_MS, || "k2".into());
            assert_eq!(retry.map(|(_, key)| key).as_deref(), Some("k1"), "{unknown:?}: same key");
            // The retry is answered with the first attempt's payment.
            let follow = flow
                .answer("k1", done(CheckoutStatus::Complete, "https://souq.example/ok?session_id=cs_abc123"));
            assert_eq!(follow, Follow::Navigate("https://souq.example/ok?session_id=cs_abc123".into()));
        }
    }

    #[test]
    fn each_answer_turns_the_page_into_what_it_means() {
        let mut flow = paying();
        let url = "https://souq.example/ok?session_id=cs_abc123";
        assert_eq!(flow.answer("k0", done(CheckoutStatus::Complete, url)), Follow::Stay, "an older attempt");
        assert_eq!(flow.answer("k1", done(CheckoutStatus::Complete, url)), Follow::Navigate(url.into()));
        assert_eq!(flow.screen(NOW_MS), Screen::Leaving(url.into()));
        assert_eq!(flow.leaving_text(), "Paid. Taking you back to Souq Books…");

        let mut flow = paying();
        assert_eq!(flow.answer("k1", done(CheckoutStatus::Complete, "javascript:steal()")), Follow::Stay);
        assert_eq!(flow.problems.form.as_deref(), Some(t(Text::UnexpectedAnswer)));

        let mut flow = paying();
        assert_eq!(flow.answer("k1", Err(refused(422, ErrorCode::CheckoutExpired, None))), Follow::Stay);
        assert_eq!(flow.screen(NOW_MS), Screen::Expired);

        let mut flow = paying();
        assert_eq!(flow.answer("k1", Err(refused(422, ErrorCode::CheckoutNotOpen, None))), Follow::Reload);

        let mut flow = paying();
        assert_eq!(flow.answer("k1", Err(refused(404, ErrorCode::NotFound, None))), Follow::Stay);
        assert_eq!(flow.screen(NOW_MS), Screen::Unknown);

        let mut flow = paying();
        assert_eq!(flow.answer("k1", Err(refused(401, ErrorCode::Unauthenticated, None))), Follow::SignIn);
        assert_eq!(flow.problems.form.as_deref(), Some("no"));

        for code in [ErrorCode::PinRequired, ErrorCode::PinLocked, ErrorCode::PinNotSet] {
            let mut flow = paying();
            flow.answer("k1", Err(refused(403, code, None)));
            assert_eq!(
                (flow.problems.pin.as_deref(), flow.problems.form.as_deref()),
                (Some("no"), None),
                "{code}"
            );
        }

        let mut flow = paying();
        flow.answer("k1", Err(refused(422, ErrorCode::InsufficientFunds, Some("amount"))));
        assert_eq!(flow.problems.form, Some(format!("no {}", t(Text::CheckoutAddMoney))));
        assert!(!flow.attempt.in_doubt(), "refused: nothing was paid");

        let mut flow = paying();
        flow.answer("k1", Err(refused(429, ErrorCode::RateLimited, None)));
        assert_eq!(flow.problems.form, Some(format!("no {}", t(Text::NoMoneyMoved))));
        assert_eq!((flow.screen(NOW_MS), flow.is_busy()), (Screen::Open, false));
    }

    #[test]
    fn cancel_goes_back_to_the_merchant_signed_in_or_not() {
        let mut flow = open();
        assert_eq!(flow.cancel(false), Some(CancelPlan::Leave("https://souq.example/cart".into())));
        assert_eq!(flow.screen(NOW_MS), Screen::Leaving("https://souq.example/cart".into()));
        assert_eq!(flow.leaving_text(), "Taking you back to Souq Books…");

        let mut flow = open();
        assert_eq!(flow.cancel(true), Some(CancelPlan::Post));
        assert_eq!(flow.cancel(true), None, "once");
        let back = "https://souq.example/cart";
        assert_eq!(flow.cancel_answer(done(CheckoutStatus::Canceled, back)), Follow::Navigate(back.into()));

        let mut flow = open();
        flow.cancel(true);
        assert_eq!(
            flow.cancel_answer(Err(refused(401, ErrorCode::Unauthenticated, None))),
            Follow::Navigate(back.into())
        );

        let mut flow = open();
        flow.cancel(true);
        assert_eq!(flow.cancel_answer(Err(refused(422, ErrorCode::CheckoutNotOpen, None))), Follow::Reload);

        let mut flow = open();
        flow.cancel(true);
        assert_eq!(flow.cancel_answer(Err(ApiError::network())), Follow::Stay);
        assert_eq!((flow.problems.form.as_deref(), &flow.step), (Some(t(Text::NetworkError)), &Step::Ready));

        // A finished session's page goes back without asking the server.
        let mut flow = CheckoutFlow::loaded_with(session(CheckoutStatus::Complete));
        assert_eq!(flow.cancel(true), Some(CancelPlan::Leave(back.into())));
    }

    #[test]
    fn only_ids_that_could_be_sessions_are_asked_about() {
        assert!(CheckoutFlow::new("cs_abc123").id_is_plausible());
        for bad in ["", "..", "cs_1/../../wallet", "cs_1?x=1", "cs 1", "%2e%2e"] {
            let mut flow = CheckoutFlow::new(bad);
            assert_eq!(flow.start_loading(), None, "{bad:?}");
            assert_eq!(flow.screen(NOW_MS), Screen::Unknown, "{bad:?}");
        }
        let mut flow = CheckoutFlow::loaded_with(session(CheckoutStatus::Open));
        assert_eq!(flow.start_loading().as_deref(), Some("cs_abc123"));
        assert_eq!(flow.screen(NOW_MS), Screen::Loading);
    }

    #[test]
    fn a_payment_over_the_sending_limit_is_refused_before_pay_and_after_a_race() {
        use crate::flows::limit_guard::test_compliance::{MONDAY_MS, item, tier_0, with_status};
        use purse_api::compliance::{AccountStatus, LimitDetails, Window};
        let mut compliance = tier_0();
        compliance.limits[0] =
            item(LimitKind::Send, "250.00", "240.00", "10.00", Some("2026-12-10T10:00:00Z"));
        let headroom = Headroom::of(&compliance, LimitKind::Send);
        let flow = open();
        assert_eq!(flow.limit_refusal(None), None, "unread: the server decides");
        assert_eq!(
            flow.limit_refusal(Some(&headroom)).map(|r| r.sentence(MONDAY_MS)).as_deref(),
            Some("You can send $10.00 more until Thursday.")
        );
        assert_eq!(
            flow.limit_refusal(Some(&Headroom::of(&tier_0(), LimitKind::Send))),
            None,
            "$12.50 fits in $212.40"
        );
        let restricted = Headroom::of(&with_status(AccountStatus::Restricted, Some("NY")), LimitKind::Send);
        assert_eq!(
            flow.limit_refusal(Some(&restricted)).as_ref().map(LimitRefusal::name),
            Some("restricted")
        );

        let mut flow = paying();
        let details = LimitDetails {
            limit: "250.00".into(),
            used: "245.00".into(),
            remaining: "5.00".into(),
            window: Window::SevenDays,
            resets_at: None,
            tier: 0,
            next_tier: Some(1),
        };
        let raced = ApiError {
            details: Some(Box::new(details)),
            ..refused(422, ErrorCode::LimitExceeded, Some("amount"))
        };
        assert_eq!(flow.answer("k1", Err(raced)), Follow::Stay);
        assert_eq!(
            flow.limit_refusal(None).map(|r| r.sentence(0)).as_deref(),
            Some("You can send $5.00 more.")
        );
        let mut flow = paying();
        flow.answer("k1", Err(refused(403, ErrorCode::AccountFrozen, None)));
        assert_eq!(flow.limit_refusal(None), Some(LimitRefusal::Frozen));
        let mut flow = paying();
        flow.answer("k1", Err(refused(422, ErrorCode::RecipientUnavailable, None)));
        assert_eq!(
            flow.problems.form.as_deref(),
            Some("Souq Books can't receive this payment right now. No money has moved.")
        );
    }
}
