//! One idempotency key per attempt at a money move: the one type every money-moving flow and
//! form keeps its attempts in, so "retrying after a lost answer cannot move the money twice" is
//! written once.
//!
//! The rules, each tested below:
//!
//! - **A new attempt gets a fresh key** ([`Attempt::begin`], [`Attempt::start`]).
//! - **An attempt in doubt keeps its key**: once sent, an attempt is in doubt until an answer
//!   says what happened; an answer that does not (none arrived, a server failure, the same key
//!   still being processed: [`ApiError::is_uncertain`]) leaves it in doubt, and the next attempt
//!   is its retry, under its key. A flow that keeps what it sent ([`Attempt::start`]) sends it
//!   again exactly ([`Attempt::retry`]); one that asks for the PIN again rebuilds the request and
//!   only keeps the key.
//! - **A final answer settles it**: done, or refused; the next attempt gets a fresh key.
//! - **Only the current key's answer counts** ([`Attempt::is_current`]).
//!
//! Who begins, sends and reports what:
//!
//! - The tip sheet (`tip_flow`) begins an attempt at "Continue", sends it at "Send tip" and
//!   reports every answer; the checkout page (`checkout_flow`) begins and sends at "Pay" and
//!   reports every answer. Both ask for the PIN again on a retry.
//! - Adding money and withdrawing (`add_money_flow`, `withdraw_flow`) start an attempt with its
//!   body, retry it as it was, and report every answer.
//! - The send form (`pages::send`) begins an attempt at each "Review", sends every press of
//!   "Send" from that review under its key and reports every answer: while one is in doubt,
//!   Edit waits, so the next Send is its retry.
//! - A request to pay (`components::incoming_requests`) begins one attempt when its row is drawn
//!   and sends every "Pay" of that row under its key; it does not report answers either.

use crate::api_client::ApiError;

/// The attempts at one money move, each under its idempotency key (see the rules above).
/// `R` is what a flow keeps of what it sent, to send it again as it was; `()` for flows that
/// rebuild the request for a retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt<R = ()> {
    /// The current attempt's key (empty before the first).
    key: String,
    /// Whether the current attempt's fate is unknown.
    in_doubt: bool,
    /// What was sent under `key`, kept while it is in doubt.
    sent: Option<R>,
}

/// No attempt yet.
impl<R> Default for Attempt<R> {
    fn default() -> Attempt<R> {
        Attempt { key: String::new(), in_doubt: false, sent: None }
    }
}

impl<R: Clone> Attempt<R> {
    /// The key for the attempt about to be made: a fresh one from `new_key`, unless the last
    /// attempt is in doubt (then this is its retry, under its key). Lent, not copied: a flow
    /// that only needs it later reads [`Attempt::key`] and copies nothing now.
    pub fn begin(&mut self, new_key: impl FnOnce() -> String) -> &str {
        if !self.in_doubt || self.key.is_empty() {
            self.key = new_key();
        }
        &self.key
    }

    /// The current attempt went out with `request`: in doubt until an answer says what happened.
    pub fn sent(&mut self, request: R) {
        self.in_doubt = true;
        self.sent = Some(request);
    }

    /// A new attempt: `request` under the key [`Attempt::begin`] gives, in doubt until an answer
    /// says what happened.
    pub fn start(&mut self, request: R, new_key: impl FnOnce() -> String) -> (R, String) {
        let key = self.begin(new_key).to_owned();
        self.sent(request.clone());
        (request, key)
    }

    /// The attempt in doubt, to send again as it was, under its key.
    pub fn retry(&self) -> Option<(R, String)> {
        if !self.in_doubt {
            return None;
        }
        self.sent.clone().map(|request| (request, self.key.clone()))
    }

    /// The answer to the current attempt: it stays in doubt when the answer does not say what
    /// happened ([`ApiError::is_uncertain`]), and is settled otherwise.
    pub fn answered<T>(&mut self, answer: &Result<T, ApiError>) {
        match answer {
            Err(error) if error.is_uncertain() => self.in_doubt = true,
            _ => self.settled(),
        }
    }

    /// The answer was certain (done, or refused): the next attempt is a new one.
    pub fn settled(&mut self) {
        self.in_doubt = false;
        self.sent = None;
    }

    /// Whether an answer under `key` is to the current attempt (an older one's changes nothing).
    pub fn is_current(&self, key: &str) -> bool {
        !self.key.is_empty() && key == self.key
    }

    /// Whether the last attempt's fate is unknown: what was sent may not change.
    pub fn in_doubt(&self) -> bool {
        self.in_doubt
    }

    /// The current attempt's key (empty before the first).
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use purse_api::ErrorCode;

    use super::*;

    fn refused(status: u16, code: ErrorCode) -> ApiError {
        ApiError { status: Some(status), code: Some(code), message: "no".into(), field: None, details: None }
    }

    /// Answers that do not say whether money moved.
    fn unknown_fates() -> [Result<(), ApiError>; 4] {
        [
            Err(ApiError::network()),
            Err(refused(500, ErrorCode::InternalError)),
            Err(refused(503, ErrorCode::ServiceUnavailable)),
            Err(refused(409, ErrorCode::IdempotencyKeyInUse)),
        ]
    }

    /// Answers that do.
    fn final_answers() -> [Result<(), ApiError>; 4] {
        [
            Ok(()),
            Err(refused(403, ErrorCode::PinIncorrect)),
            Err(refused(422, ErrorCode::InsufficientFunds)),
            Err(refused(422, ErrorCode::IdempotencyKeyMismatch)),
        ]
    }

    /// A key source that says how often it was asked.
    fn keys() -> impl FnMut() -> String {
        let mut made = 0;
        move || {
            made += 1;
            format!("k{made}")
        }
    }

    #[test]
    fn a_new_attempt_gets_a_fresh_key() {
        let mut next = keys();
        let mut attempt = Attempt::<()>::default();
        assert_eq!((attempt.key(), attempt.in_doubt()), ("", false), "no attempt yet");
        assert_eq!(attempt.begin(&mut next), "k1");
        // Begun but never sent (the tip sheet's "Edit", the send form's review again): nothing
        // went out, so the next attempt is new.
        assert_eq!(attempt.begin(&mut next), "k2");
        assert!(!attempt.in_doubt());
    }

    #[test]
    fn an_attempt_in_doubt_keeps_its_key_across_retries() {
        for answer in unknown_fates() {
            let mut next = keys();
            let mut attempt = Attempt::<()>::default();
            let key = attempt.begin(&mut next).to_owned();
            attempt.sent(());
            assert!(attempt.in_doubt(), "sent, no answer yet");
            attempt.answered(&answer);
            assert!(attempt.in_doubt(), "{answer:?}");
            assert_eq!(attempt.begin(&mut next), key, "{answer:?}: the retry goes under the same key");
            attempt.sent(());
            attempt.answered(&answer);
            assert_eq!(attempt.begin(&mut next), key, "{answer:?}: as often as it takes");
        }
    }

    #[test]
    fn an_answer_in_doubt_holds_the_key_even_before_the_flow_says_it_sent() {
        let mut next = keys();
        let mut attempt = Attempt::<()>::default();
        attempt.begin(&mut next);
        attempt.answered(&Err::<(), _>(ApiError::network()));
        assert!(attempt.in_doubt());
        assert_eq!(attempt.begin(&mut next), "k1");
    }

    #[test]
    fn a_final_answer_settles_the_attempt_and_the_next_gets_a_fresh_key() {
        for answer in final_answers() {
            let mut next = keys();
            let mut attempt = Attempt::<()>::default();
            attempt.begin(&mut next);
            attempt.sent(());
            attempt.answered(&Err::<(), _>(ApiError::network()));
            // The retry, then its final answer.
            assert_eq!(attempt.begin(&mut next), "k1");
            attempt.sent(());
            attempt.answered(&answer);
            assert!(!attempt.in_doubt(), "{answer:?}");
            assert_eq!(attempt.key(), "k1", "{answer:?}: the key stays until the next attempt");
            assert_eq!(attempt.begin(&mut next), "k2", "{answer:?}");
        }
    }

    #[test]
    fn only_the_current_keys_answer_counts() {
        let mut next = keys();
        let mut attempt = Attempt::<()>::default();
        assert!(!attempt.is_current(""), "no attempt yet: nothing is current");
        attempt.begin(&mut next);
        assert!(attempt.is_current("k1"));
        attempt.begin(&mut next);
        assert!(!attempt.is_current("k1") && attempt.is_current("k2"));
    }

    #[test]
    fn what_was_sent_is_retried_as_it_was_and_forgotten_once_settled() {
        let mut attempt = Attempt::<&str>::default();
        assert_eq!(attempt.start("first", || "k1".into()), ("first", "k1".to_string()));
        attempt.answered(&Err::<(), _>(refused(502, ErrorCode::ServiceUnavailable)));
        assert_eq!(attempt.retry(), Some(("first", "k1".to_string())));
        attempt.answered(&Ok(()));
        assert_eq!(attempt.retry(), None);
        assert_eq!(attempt.start("second", || "k2".into()), ("second", "k2".to_string()));
    }

    #[test]
    fn an_attempt_keeps_its_key_while_in_doubt_and_a_new_one_gets_a_new_key() {
        let mut attempt = Attempt::<&str>::default();
        assert_eq!((attempt.retry(), attempt.in_doubt(), attempt.is_current("")), (None, false, false));
        assert_eq!(attempt.start("first", || "k1".into()), ("first", "k1".to_string()));
        assert!(attempt.in_doubt() && attempt.is_current("k1"));
        // Unknown fate: the same request, under the same key.
        assert_eq!(attempt.retry(), Some(("first", "k1".to_string())));
        assert_eq!(attempt.retry(), Some(("first", "k1".to_string())), "as often as it takes");
        attempt.settled();
        assert_eq!((attempt.retry(), attempt.in_doubt()), (None, false));
        assert_eq!(attempt.key(), "k1", "settled, the key stays until the next attempt");
        // A new request: a new key, and the old key's answer is no longer the current one.
        assert_eq!(attempt.start("second", || "k2".into()), ("second", "k2".to_string()));
        assert!(!attempt.is_current("k1"), "an old key's answer is ignored");
        assert!(attempt.is_current("k2"));
        assert_eq!(attempt.retry(), Some(("second", "k2".to_string())));
    }
}
