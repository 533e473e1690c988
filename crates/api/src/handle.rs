//! `Handle`: a person's @name. 3–15 characters of `a-z`, `0-9`, `_`, compared
//! case-insensitively; input may carry a leading `@`. Stored and answered in lower case,
//! without the `@`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A valid handle, lower case. An invalid one cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(String);

/// Why a string is not a handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    #[error("a handle has 3 to 15 characters")]
    Length,
    #[error("a handle has only letters a-z, digits and _")]
    Characters,
}

impl Handle {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 15;

    /// Parses user input: an optional leading `@`, then the handle in any case.
    pub fn parse(input: &str) -> Result<Handle, HandleError> {
        let bare = input.strip_prefix('@').unwrap_or(input);
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&bare.chars().count()) {
            return Err(HandleError::Length);
        }
        if !bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(HandleError::Characters);
        }
        Ok(Handle(bare.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Handle {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Handle {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Handle, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Handle::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handle_rule() {
        let cases: [(&str, Result<&str, HandleError>); 14] = [
            ("alice", Ok("alice")),
            ("@alice", Ok("alice")),
            ("Alice", Ok("alice")),
            ("@SOUQ_books", Ok("souq_books")),
            ("abc", Ok("abc")),
            ("a23456789012345", Ok("a23456789012345")),
            ("ab", Err(HandleError::Length)),
            ("@ab", Err(HandleError::Length)),
            ("a234567890123456", Err(HandleError::Length)),
            ("", Err(HandleError::Length)),
            ("al ice", Err(HandleError::Characters)),
            ("alice!", Err(HandleError::Characters)),
            ("@@alice", Err(HandleError::Characters)),
            ("ålice", Err(HandleError::Characters)),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Handle::parse(input).map(|h| h.as_str().to_string()),
                expected.map(str::to_string),
                "{input:?}"
            );
        }
    }
}
