//! One idempotency key per attempt at a money move: the rules every money-moving flow keeps its
//! attempts by.

/// The attempts at one money move, each under its idempotency key: a new request gets a fresh
/// key; a request whose fate is unknown (no answer, a server failure) is kept as it was sent,
/// to be retried with the same body under the same key, so it cannot move the money twice; and
/// only the answer to the current key counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt<R> {
    key: String,
    in_doubt: Option<R>,
}

/// No attempt yet.
impl<R> Default for Attempt<R> {
    fn default() -> Attempt<R> {
        Attempt { key: String::new(), in_doubt: None }
    }
}

impl<R: Clone> Attempt<R> {
    /// The attempt in doubt, to send again as it was, under its key.
    pub fn retry(&self) -> Option<(R, String)> {
        self.in_doubt.clone().map(|request| (request, self.key.clone()))
    }

    /// A new attempt: `request` under a fresh key, in doubt until [`Attempt::settled`].
    pub fn start(&mut self, request: R, new_key: impl FnOnce() -> String) -> (R, String) {
        self.key = new_key();
        self.in_doubt = Some(request.clone());
        (request, self.key.clone())
    }

    /// Whether an answer under `key` is to the current attempt (an older one's changes nothing).
    pub fn is_current(&self, key: &str) -> bool {
        !self.key.is_empty() && key == self.key
    }

    /// The answer was certain (done, or refused): the next attempt is a new one.
    pub fn settled(&mut self) {
        self.in_doubt = None;
    }

    /// Whether the last attempt's fate is unknown: what was sent may not change.
    pub fn in_doubt(&self) -> bool {
        self.in_doubt.is_some()
    }

    /// The current attempt's key (empty before the first).
    pub fn key(&self) -> &str {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
