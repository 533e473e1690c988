//! People and sessions: signing up (a person and their wallet), signing in and out, the
//! payment PIN, profiles, and finding who a handle names. Passwords are argon2id hashes, PINs
//! HMAC-SHA256 under a pepper kept outside the database ([`PinPepper`]); a session is a random 256-bit token of which only the SHA-256 is stored, so every
//! instance shares sessions and signing out ends one everywhere.

use std::collections::HashMap;
use std::sync::Arc;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params};
use base64::Engine;
use hmac::{Hmac, Mac};
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

/// How secrets are kept: passwords as argon2id (OWASP's minimum cost in production; cheaper in
/// tests), at most a few hashed at once; payment PINs as HMAC-SHA256 under a pepper that is
/// never in the database ([`PinPepper`]).
#[derive(Clone, Debug)]
pub struct Passwords {
    params: Params,
    pepper: Arc<PinPepper>,
    key: Arc<ServerKey>,
    gate: Arc<HashGate>,
}

impl Passwords {
    /// m = 19 MiB, t = 2, p = 1: OWASP's recommended minimum for argon2id; PINs under the
    /// pepper `key` gives.
    pub fn production(key: ServerKey) -> Passwords {
        Passwords::with(Params::new(19 * 1024, 2, 1, None).unwrap_or_default(), key)
    }

    /// Fast, for tests only: the same algorithm at the lowest cost, and a pepper everyone knows.
    pub fn for_tests() -> Passwords {
        Passwords::with(
            Params::new(Params::MIN_M_COST.max(8), 1, 1, None).unwrap_or_default(),
            ServerKey::new([7; 32], None),
        )
    }

    fn with(params: Params, key: ServerKey) -> Passwords {
        Passwords {
            params,
            pepper: Arc::new(key.pin_pepper()),
            key: Arc::new(key),
            gate: Arc::new(HashGate::sized_to_the_machine()),
        }
    }

    /// The server's key, which these PINs' pepper comes from (and other keys kept outside the
    /// database).
    pub fn server_key(&self) -> &ServerKey {
        &self.key
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, argon2::Version::V0x13, self.params.clone())
    }

    /// Hashes a password on a blocking thread: argon2 is deliberately slow (and takes 19 MiB),
    /// so only a few run at once ([`HashGate`]).
    pub async fn hash(&self, secret: &str) -> Result<String, FlowError> {
        let _turn = self.gate.enter().await?;
        let (argon2, secret) = (self.argon2(), secret.to_string());
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2.hash_password(secret.as_bytes(), &salt).map(|hash| hash.to_string())
        })
        .await
        .map_err(FlowError::internal)?
        .map_err(FlowError::internal)
    }

    /// Checks a password against a stored hash, on a blocking thread (in its turn, as
    /// [`Passwords::hash`]). With no hash (an unknown handle), still spends the time of a real
    /// check, so timing does not tell who exists.
    pub async fn verify(&self, stored: Option<&str>, secret: &str) -> Result<bool, FlowError> {
        let stored = match stored {
            Some(stored) => stored.to_string(),
            None => DUMMY_HASH.get_or_init(|| self.dummy()).clone(),
        };
        self.verify_argon2(stored, secret).await
    }

    async fn verify_argon2(&self, stored: String, secret: &str) -> Result<bool, FlowError> {
        let _turn = self.gate.enter().await?;
        let argon2 = self.argon2();
        let secret = secret.to_string();
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

    /// A PIN as stored: `pin1$<pepper id>$<salt>$<HMAC-SHA256(pepper, salt ‖ pin)>`.
    pub fn hash_pin(&self, pin: &str) -> String {
        self.pepper.hash(pin, &random_bytes::<16>())
    }

    /// Checks a PIN against its stored form. A PIN stored under an older pepper, or as argon2id
    /// (before PINs were peppered), is checked once that way; a right one comes back with
    /// what to store instead.
    pub async fn verify_pin(&self, stored: &str, pin: &str) -> Result<PinCheck, FlowError> {
        let right = match self.pepper.verify(stored, pin) {
            Some(PepperCheck { right, current: true }) => {
                return Ok(if right { PinCheck::Right { restore: None } } else { PinCheck::Wrong });
            }
            Some(PepperCheck { right, current: false }) => right,
            // Peppered under a key this server does not have (a wrong or lost server key): not
            // the person's mistake, and not to be counted as one.
            None if stored.starts_with(PIN_SCHEME) => {
                return Err(FlowError::internal(
                    "a PIN is stored under a server key this server does not have",
                ));
            }
            None => self.verify_argon2(stored.to_string(), pin).await?,
        };
        Ok(if right { PinCheck::Right { restore: Some(self.hash_pin(pin)) } } else { PinCheck::Wrong })
    }
}

/// What checking a PIN found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinCheck {
    /// The right PIN; `restore` is its new stored form when the old one is to be replaced.
    Right {
        restore: Option<String>,
    },
    Wrong,
}

/// The server's own secret, kept outside the database (an environment variable or a key file,
/// see `serve --server-key-file`); every instance on one database needs the same one. The keys
/// that protect what the database holds come from it: the PIN pepper, so a copy of the
/// database alone cannot test the 10^6 possible PINs, and the key webhook signing secrets are
/// sealed with. Rotation: the new key becomes `current` and the old one `previous` while what
/// it protects moves to the new one (a PIN when next checked right; webhook secrets at start).
pub struct ServerKey {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    pub fn new(current: [u8; 32], previous: Option<[u8; 32]>) -> ServerKey {
        ServerKey { current, previous }
    }

    /// The key for `purpose` (HMAC-SHA256 of the purpose under the server key), and the one the
    /// previous server key gave.
    pub fn derive(&self, purpose: &str) -> ([u8; 32], Option<[u8; 32]>) {
        let one = |key: &[u8; 32]| -> [u8; 32] {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
            mac.update(b"purse server key: ");
            mac.update(purpose.as_bytes());
            mac.finalize().into_bytes().into()
        };
        (one(&self.current), self.previous.as_ref().map(one))
    }

    fn pin_pepper(&self) -> PinPepper {
        let (current, previous) = self.derive("pin pepper");
        PinPepper { current, previous }
    }

    /// A key from its text: 64 hex digits (32 bytes).
    pub fn parse(text: &str) -> Option<[u8; 32]> {
        data_encoding::HEXLOWER_PERMISSIVE.decode(text.trim().as_bytes()).ok()?.try_into().ok()
    }

    /// A new random key, as the text [`ServerKey::parse`] reads.
    pub fn generate() -> String {
        data_encoding::HEXLOWER.encode(&random_bytes::<32>())
    }
}

/// The secret PINs are hashed under ([`ServerKey::derive`]d): each PIN is stored with the id of
/// the pepper it is under, so a PIN under the previous one is still checked, and moves.
struct PinPepper {
    current: [u8; 32],
    previous: Option<[u8; 32]>,
}

impl std::fmt::Debug for PinPepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinPepper(..)")
    }
}

struct PepperCheck {
    right: bool,
    current: bool,
}

const PIN_SCHEME: &str = "pin1";

impl PinPepper {
    /// A pepper's public name in stored PINs: the first 8 hex digits of its SHA-256.
    fn id(pepper: &[u8; 32]) -> String {
        data_encoding::HEXLOWER.encode(&Sha256::digest(pepper)[..4])
    }

    fn mac(pepper: &[u8; 32], salt: &[u8], pin: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(pepper)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(salt);
        mac.update(pin.as_bytes());
        mac
    }

    fn hash(&self, pin: &str, salt: &[u8]) -> String {
        let tag = PinPepper::mac(&self.current, salt, pin).finalize().into_bytes();
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        format!("{PIN_SCHEME}${}${}${}", PinPepper::id(&self.current), b64.encode(salt), b64.encode(tag))
    }

    /// `None` when `stored` is not a peppered PIN of a pepper this server has.
    fn verify(&self, stored: &str, pin: &str) -> Option<PepperCheck> {
        let mut parts = stored.split('$');
        let (Some(PIN_SCHEME), Some(id), Some(salt), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let (salt, tag) = (b64.decode(salt).ok()?, b64.decode(tag).ok()?);
        let (pepper, current) = if id == PinPepper::id(&self.current) {
            (&self.current, true)
        } else {
            (self.previous.as_ref().filter(|previous| id == PinPepper::id(previous))?, false)
        };
        // `verify_slice` compares in constant time.
        let right = PinPepper::mac(pepper, &salt, pin).verify_slice(&tag).is_ok();
        Some(PepperCheck { right, current })
    }
}

/// Bounds the argon2 work in flight: each hash takes 19 MiB and a core, so a burst of sign-ins
/// would otherwise take the memory and the cores from everyone (600 at once took 2.7 GiB).
/// As many run as there are cores; a short queue waits its turn; past it, `429`.
#[derive(Debug)]
pub struct HashGate {
    running: tokio::sync::Semaphore,
    admitted: tokio::sync::Semaphore,
}

impl HashGate {
    pub fn new(running: usize, queued: usize) -> HashGate {
        HashGate {
            running: tokio::sync::Semaphore::new(running),
            admitted: tokio::sync::Semaphore::new(running + queued),
        }
    }

    fn sized_to_the_machine() -> HashGate {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashGate::new(cores, 8 * cores)
    }

    /// A turn to hash: at once, after those ahead of it, or [`FlowError::RateLimited`] when
    /// the queue is full.
    pub async fn enter(
        &self,
    ) -> Result<(tokio::sync::SemaphorePermit<'_>, tokio::sync::SemaphorePermit<'_>), FlowError> {
        let admitted =
            self.admitted.try_acquire().map_err(|_| FlowError::RateLimited { retry_after_s: 1 })?;
        let running = self.running.acquire().await.map_err(FlowError::internal)?;
        Ok((admitted, running))
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
        roles: roles(row.roles, row.officer),
    })
}

/// Everyone is a member; the stored bits add creator and merchant, and an officer is one.
pub fn roles(bits: i64, officer: bool) -> Vec<Role> {
    let mut roles = vec![Role::Member];
    if bits & ROLE_CREATOR != 0 {
        roles.push(Role::Creator);
    }
    if bits & ROLE_MERCHANT != 0 {
        roles.push(Role::Merchant);
    }
    if officer {
        roles.push(Role::Compliance);
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
    limits::check(flows, limits::SIGNUP_PER_ADDRESS, &limits::address_subject(address)).await
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
    let pin_hash = pin.map(|pin| flows.passwords.hash_pin(pin));
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
    // Refused: too many tries from one address, or for one handle from one address. Slowed:
    // many tries for one handle from everywhere (they cannot lock its owner out).
    let address = limits::address_subject(address);
    let pair = format!("{}@{address}", handle.as_str());
    let (per_address, per_pair, per_handle) = tokio::join!(
        limits::check(flows, limits::LOGIN_PER_ADDRESS, &address),
        limits::check(flows, limits::LOGIN_PER_HANDLE_AND_ADDRESS, &pair),
        limits::count(flows, limits::LOGIN_PER_HANDLE, handle.as_str()),
    );
    per_address?;
    per_pair?;
    let delay = limits::login_backoff(per_handle?);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
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
        // Setting the new PIN clears the count the check made.
        let _passed = pin::verify(flows, user, current).await?;
    }
    Ok(flows.db.set_pin(user.id, &flows.passwords.hash_pin(new)).await?)
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

    #[tokio::test]
    async fn pins_are_peppered_by_the_server_key_and_move_to_a_new_one() {
        let old = Passwords::production(ServerKey::new([1; 32], None));
        let stored = old.hash_pin("1234");
        assert!(stored.starts_with("pin1$"), "{stored}");
        assert_ne!(old.hash_pin("1234"), stored, "salted");
        assert_eq!(old.verify_pin(&stored, "1234").await.unwrap(), PinCheck::Right { restore: None });
        assert_eq!(old.verify_pin(&stored, "1235").await.unwrap(), PinCheck::Wrong);
        // Without the server key, the database's copy tells nothing: another key cannot check it
        // (and says so, rather than calling the right PIN wrong).
        let stranger = Passwords::production(ServerKey::new([2; 32], None));
        assert!(matches!(stranger.verify_pin(&stored, "1234").await, Err(FlowError::Internal(_))));
        // Rotated: the old PIN still passes, and comes back to be stored under the new key.
        let rotated = Passwords::production(ServerKey::new([2; 32], Some([1; 32])));
        let PinCheck::Right { restore: Some(restored) } = rotated.verify_pin(&stored, "1234").await.unwrap()
        else {
            panic!("the old PIN should pass and move");
        };
        assert_eq!(rotated.verify_pin(&restored, "1234").await.unwrap(), PinCheck::Right { restore: None });
        assert_eq!(rotated.verify_pin(&stored, "9999").await.unwrap(), PinCheck::Wrong);
    }

    #[tokio::test]
    async fn the_hash_gate_refuses_past_its_queue() {
        let gate = HashGate::new(1, 1);
        let first = gate.enter().await.unwrap();
        // The queue's one place: admitted, waiting for the running one.
        let waiting = gate.admitted.try_acquire().unwrap();
        assert!(matches!(gate.enter().await, Err(FlowError::RateLimited { retry_after_s: 1 })));
        drop((first, waiting));
        assert!(gate.enter().await.is_ok());
    }
}
