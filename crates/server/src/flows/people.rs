//! People and sessions: signing up (a person and their wallet), signing in and out, the
//! payment PIN, profiles, and finding who a handle names. Passwords and PINs are argon2id
//! hashes; a session is a random 256-bit token of which only the SHA-256 is stored, so every
//! instance shares sessions and signing out ends one everywhere.

use std::collections::HashMap;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params};
use base64::Engine;
use purse_api::{Counterparty, Handle, PublicProfile, Role, User};
use purse_ledger::{AccountFlags, NewAccount};
use sha2::{Digest, Sha256};

use crate::codes;
use crate::flows::error::{Missing, Party};
use crate::flows::{FlowError, Flows, limits, pin};
use crate::ids::PersonId;
use crate::store::people::{InsertUserError, NewUser, ROLE_CREATOR, ROLE_MERCHANT, UserRow};

/// How long a session lasts.
pub const SESSION_SECONDS: i64 = 30 * 24 * 3600;

/// `N` bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A new opaque id: `prefix_` and 22 characters of base32 (112 random bits).
pub fn new_public_id(prefix: &str) -> String {
    let bytes = random_bytes::<14>();
    format!("{prefix}_{}", data_encoding::BASE32_DNSSEC.encode(&bytes))
}

/// argon2id with the cost in force (OWASP's minimum in production; cheaper in tests).
#[derive(Clone, Debug)]
pub struct Passwords {
    params: Params,
}

impl Passwords {
    /// m = 19 MiB, t = 2, p = 1: OWASP's recommended minimum for argon2id.
    pub fn production() -> Passwords {
        Passwords { params: Params::new(19 * 1024, 2, 1, None).unwrap_or_default() }
    }

    /// Fast, for tests only: the same algorithm at the lowest cost.
    pub fn for_tests() -> Passwords {
        Passwords { params: Params::new(Params::MIN_M_COST.max(8), 1, 1, None).unwrap_or_default() }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, argon2::Version::V0x13, self.params.clone())
    }

    /// Hashes on a blocking thread: argon2 is deliberately slow.
    pub async fn hash(&self, secret: &str) -> Result<String, FlowError> {
        let (argon2, secret) = (self.argon2(), secret.to_string());
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2.hash_password(secret.as_bytes(), &salt).map(|hash| hash.to_string())
        })
        .await
        .map_err(FlowError::internal)?
        .map_err(FlowError::internal)
    }

    /// Checks `secret` against a stored hash, on a blocking thread. With no hash (an unknown
    /// handle), still spends the time of a real check, so timing does not tell who exists.
    pub async fn verify(&self, stored: Option<&str>, secret: &str) -> Result<bool, FlowError> {
        let argon2 = self.argon2();
        let secret = secret.to_string();
        let stored = match stored {
            Some(stored) => stored.to_string(),
            None => DUMMY_HASH.get_or_init(|| self.dummy()).clone(),
        };
        tokio::task::spawn_blocking(move || {
            let Ok(hash) = PasswordHash::new(&stored) else { return false };
            argon2.verify_password(secret.as_bytes(), &hash).is_ok()
        })
        .await
        .map_err(FlowError::internal)
    }

    fn dummy(&self) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2().hash_password(b"no such person", &salt).map(|h| h.to_string()).unwrap_or_default()
    }
}

/// A hash of nothing anyone knows, checked against when the handle does not exist.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A fresh session token (for the cookie) and its hash (for the database).
pub fn new_session_token() -> (String, [u8; 32]) {
    let token = random_bytes::<32>();
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token);
    (text, Sha256::digest(token).into())
}

/// The hash of a session token as the cookie carries it, if it is a well-formed one.
pub fn token_hash(token: &str) -> Option<[u8; 32]> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).ok()?;
    (bytes.len() == 32).then(|| Sha256::digest(&bytes).into())
}

/// Who a handle names: all a payment needs of its recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub handle: String,
}

/// Handles already looked up, with their person. Never stale: nobody is ever deleted and a
/// handle never changes (no flow does either; one that did would have to clear this). An
/// unknown handle is not remembered, so a person who signs up is found at once.
#[derive(Debug, Default)]
pub struct HandleCache {
    people: std::sync::Mutex<HashMap<String, Person>>,
}

/// Beyond this many entries the cache starts over.
const HANDLE_CACHE_MAX: usize = 100_000;

impl HandleCache {
    pub fn get(&self, handle: &str) -> Option<Person> {
        self.people.lock().ok()?.get(handle).cloned()
    }

    pub fn put(&self, person: Person) {
        if let Ok(mut people) = self.people.lock() {
            if people.len() >= HANDLE_CACHE_MAX {
                people.clear();
            }
            people.insert(person.handle.clone(), person);
        }
    }
}

/// The API view of a stored person.
pub fn user_view(row: &UserRow) -> Result<User, FlowError> {
    Ok(User {
        id: row.public_id.clone(),
        handle: Handle::parse(&row.handle).map_err(FlowError::internal)?,
        display_name: row.display_name.clone(),
        pin_set: row.pin_hash.is_some(),
        roles: roles(row.roles),
    })
}

/// Everyone is a member; the stored bits add creator and merchant.
pub fn roles(bits: i64) -> Vec<Role> {
    let mut roles = vec![Role::Member];
    if bits & ROLE_CREATOR != 0 {
        roles.push(Role::Creator);
    }
    if bits & ROLE_MERCHANT != 0 {
        roles.push(Role::Merchant);
    }
    roles
}

/// The person as the other side of something (a payment, a tip): `None` if the stored handle
/// no longer parses.
pub fn counterparty(row: &UserRow) -> Option<Counterparty> {
    Some(Counterparty { handle: Handle::parse(&row.handle).ok()?, display_name: row.display_name.clone() })
}

/// A new person (already checked: display name, password), their wallet, and a session: the
/// person and the session's token. (Count the sign-up first: [`count_sign_up`].)
pub async fn sign_up(
    flows: &Flows,
    handle: &Handle,
    display_name: &str,
    password: &str,
) -> Result<(UserRow, String), FlowError> {
    let user = create_person(flows, handle, display_name, password, None, 0).await?;
    let token = open_session(flows, &user).await?;
    Ok((user, token))
}

/// Counts a sign-up from `address` against its limit (before the request is checked).
pub async fn count_sign_up(flows: &Flows, address: &str) -> Result<(), FlowError> {
    limits::check(flows, limits::SIGNUP_PER_ADDRESS, address).await
}

/// Creates a person and their wallet (a USD account that can never go below zero).
pub async fn create_person(
    flows: &Flows,
    handle: &Handle,
    display_name: &str,
    password: &str,
    pin: Option<&str>,
    roles: i64,
) -> Result<UserRow, FlowError> {
    let password_hash = flows.passwords.hash(password).await?;
    let pin_hash = match pin {
        Some(pin) => Some(flows.passwords.hash(pin).await?),
        None => None,
    };
    let public_id = new_public_id("usr");
    let user = flows
        .db
        .insert_user(NewUser {
            public_id: &public_id,
            handle: handle.as_str(),
            display_name,
            password_hash: &password_hash,
            pin_hash: pin_hash.as_deref(),
            roles,
            created_at: flows.now(),
        })
        .await
        .map_err(|error| match error {
            InsertUserError::HandleTaken => FlowError::HandleTaken(handle.clone()),
            InsertUserError::Store(error) => error.into(),
        })?;
    ensure_wallet(flows, user.id).await?;
    Ok(user)
}

/// Creates the person's wallet if it does not exist yet (idempotent: the account id is fixed).
pub async fn ensure_wallet(flows: &Flows, person: PersonId) -> Result<(), FlowError> {
    let wallet = NewAccount {
        id: codes::wallet_of(person),
        currency: purse_api::Currency::Usd,
        code: codes::account::USER_WALLET,
        flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
    };
    for result in flows.ledger.create_accounts(vec![wallet]).await? {
        result.map_err(FlowError::internal)?;
    }
    Ok(())
}

/// Signs `handle` in from `address`: the person and a new session's token. The same refusal
/// for an unknown handle and a wrong password, in the same time.
pub async fn sign_in(
    flows: &Flows,
    address: &str,
    handle: &Handle,
    password: &str,
) -> Result<(UserRow, String), FlowError> {
    limits::check(flows, limits::LOGIN_PER_ADDRESS, address).await?;
    limits::check(flows, limits::LOGIN_PER_HANDLE, handle.as_str()).await?;
    let user = flows.db.user_by_handle(handle.as_str()).await?;
    let stored = user.as_ref().map(|u| u.password_hash.as_str());
    let matches = flows.passwords.verify(stored, password).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(FlowError::InvalidCredentials);
    };
    let token = open_session(flows, &user).await?;
    Ok((user, token))
}

/// Opens a session for `user`; its token.
pub async fn open_session(flows: &Flows, user: &UserRow) -> Result<String, FlowError> {
    let (token, hash) = new_session_token();
    let now = flows.now();
    flows.db.insert_session(&hash, user.id, now, now.plus_seconds(SESSION_SECONDS)).await?;
    Ok(token)
}

/// Ends the session whose token hashes to `session`, for every instance.
pub async fn sign_out(flows: &Flows, session: &[u8; 32]) -> Result<(), FlowError> {
    Ok(flows.db.delete_session(session).await?)
}

/// The person a live session belongs to.
pub async fn session_user(flows: &Flows, session: &[u8; 32]) -> Result<Option<UserRow>, FlowError> {
    Ok(flows.db.session_user(session, flows.now()).await?)
}

/// Sets `user`'s payment PIN (already checked to be 4–6 digits); changing one needs the
/// current one (`current`), checked by the PIN rule.
pub async fn set_pin(
    flows: &Flows,
    user: &UserRow,
    new: &str,
    current: Option<&str>,
) -> Result<(), FlowError> {
    if user.pin_hash.is_some() {
        pin::verify(flows, user, current).await?;
    }
    let hash = flows.passwords.hash(new).await?;
    Ok(flows.db.set_pin(user.id, &hash).await?)
}

/// What `viewer` may see of the person `handle` names.
pub async fn profile(flows: &Flows, viewer: &UserRow, handle: Handle) -> Result<PublicProfile, FlowError> {
    let user = flows.db.user_by_handle(handle.as_str()).await?;
    let user = user.ok_or(FlowError::NotFound(Missing::Thing))?;
    let paid_before =
        if user.id == viewer.id { None } else { Some(flows.db.has_paid_before(viewer.id, user.id).await?) };
    Ok(PublicProfile {
        handle,
        display_name: user.display_name.clone(),
        is_creator: user.is_creator(),
        paid_before,
        cancel_window_seconds: (paid_before == Some(false)).then_some(flows.settings.grace_window_s),
    })
}

/// The person `handle` names, who must not be `me`: who money goes to (or is asked from).
pub async fn recipient(
    flows: &Flows,
    me: &UserRow,
    handle: &Handle,
    party: Party,
) -> Result<Person, FlowError> {
    if handle.as_str() == me.handle {
        return Err(FlowError::SelfPayment(party));
    }
    if let Some(person) = flows.handles.get(handle.as_str()) {
        return Ok(person);
    }
    let row = flows
        .db
        .user_by_handle(handle.as_str())
        .await?
        .ok_or_else(|| FlowError::RecipientNotFound { handle: handle.clone(), party })?;
    let person = Person { id: row.id, handle: row.handle };
    flows.handles.put(person.clone());
    Ok(person)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_to_their_hash_and_nothing_else_does() {
        let (token, hash) = new_session_token();
        assert_eq!(token_hash(&token), Some(hash));
        assert_eq!(token_hash("not-base64!"), None);
        assert_eq!(token_hash("c2hvcnQ"), None);
    }

    #[tokio::test]
    async fn passwords_verify_only_themselves() {
        let passwords = Passwords::for_tests();
        let hash = passwords.hash("correct horse").await.unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(passwords.verify(Some(&hash), "correct horse").await.unwrap_or(false));
        assert!(!passwords.verify(Some(&hash), "correct horsE").await.unwrap_or(true));
        assert!(!passwords.verify(None, "anything").await.unwrap_or(true));
    }
}
