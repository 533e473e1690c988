//! People and sessions on the wire: sign-up, sign-in, the signed-in person, PINs, profiles.

use serde::{Deserialize, Serialize};

use crate::handle::Handle;

/// `POST /auth/signup`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    pub handle: Handle,
    pub display_name: String,
    pub password: String,
}

/// `POST /auth/login`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub handle: Handle,
    pub password: String,
}

/// `PUT /me/pin`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    pub pin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_pin: Option<String>,
}

/// What a person may do besides holding a wallet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Creator,
    Merchant,
    /// A compliance officer: the `/ops` console and its endpoints.
    Compliance,
}

/// The signed-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub handle: Handle,
    pub display_name: String,
    pub pin_set: bool,
    pub roles: Vec<Role>,
}

/// `{"user": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserResponse {
    pub user: User,
}

/// `GET /session`: `{"user": … | null}`, `200` signed in or not (so a signed-out page asks
/// without a `401` in the browser's console).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    pub user: Option<User>,
}

/// `GET /users/{handle}`: what anyone may see of a person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicProfile {
    pub handle: Handle,
    pub display_name: String,
    pub is_creator: bool,
    /// Whether the viewer has a pending or completed payment to this person (absent on one's
    /// own profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_before: Option<bool>,
    /// When the viewer has never paid this person: how long a first payment can be canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_window_seconds: Option<u32>,
}

/// Password rule: 10 to 128 characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Display names: 1 to 50 characters after trimming.
pub const DISPLAY_NAME_MAX_CHARS: usize = 50;

/// Why a password is refused (`400 weak_password`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    #[error("use at most {PASSWORD_MAX_CHARS} characters")]
    TooLong,
    #[error("don't build your password from your handle")]
    SameAsHandle,
    #[error("use more than one distinct character")]
    OneCharacter,
}

/// The password rule, shared by the sign-up form (to warn early) and the server (to decide).
pub fn check_password(password: &str, handle: &Handle) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    // Mostly the handle: fewer than six characters left once it is taken out.
    let without_handle = password.to_lowercase().replace(handle.as_str(), "");
    if without_handle.chars().count() < 6 {
        return Err(PasswordError::SameAsHandle);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(PasswordError::OneCharacter);
    }
    Ok(())
}

/// A display name as stored: cleaned by the one rule for person-written text
/// ([`crate::text::clean_text`], one line), then 1–50 characters.
pub fn clean_display_name(raw: &str) -> Option<String> {
    crate::text::clean_bounded(raw, crate::text::Lines::One, DISPLAY_NAME_MAX_CHARS).ok()
}

/// A payment PIN: 4 to 6 ASCII digits.
pub fn is_valid_pin(pin: &str) -> bool {
    (4..=6).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        let handle = Handle::parse("alice").unwrap_or_else(|_| unreachable!());
        let cases = [
            ("correct horse", Ok(())),
            ("0123456789", Ok(())),
            ("123456789", Err(PasswordError::TooShort)),
            ("", Err(PasswordError::TooShort)),
            ("aaaaaaaaaaaa", Err(PasswordError::OneCharacter)),
            ("alice12345", Err(PasswordError::SameAsHandle)),
            ("ALICEalice!", Err(PasswordError::SameAsHandle)),
            ("alice-in-wonderland", Ok(())),
        ];
        for (password, expected) in cases {
            assert_eq!(check_password(password, &handle), expected, "{password:?}");
        }
        assert_eq!(check_password(&"x1".repeat(65), &handle), Err(PasswordError::TooLong));
        assert_eq!(check_password(&"x1".repeat(64), &handle), Ok(()));
        // Characters, not bytes: ten Arabic letters are enough.
        assert_eq!(check_password("كلمةمرورقو", &handle), Ok(()));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(clean_display_name("  Alice  ").as_deref(), Some("Alice"));
        assert_eq!(clean_display_name("   "), None);
        assert_eq!(clean_display_name("a\u{7}b").as_deref(), Some("ab"));
        assert_eq!(clean_display_name("Bob Okafor\u{202E}gpj.exe").as_deref(), Some("Bob Okaforgpj.exe"));
        assert_eq!(clean_display_name("\u{202E}\u{200B}"), None);
        assert_eq!(clean_display_name(&"x".repeat(50)).map(|s| s.len()), Some(50));
        assert_eq!(clean_display_name(&"x".repeat(51)), None);
        assert_eq!(clean_display_name("لينا").as_deref(), Some("لينا"));
    }

    #[test]
    fn pins_are_four_to_six_digits() {
        for (pin, ok) in [
            ("1234", true),
            ("123456", true),
            ("123", false),
            ("1234567", false),
            ("12a4", false),
            ("١٢٣٤", false),
        ] {
            assert_eq!(is_valid_pin(pin), ok, "{pin}");
        }
    }
}
