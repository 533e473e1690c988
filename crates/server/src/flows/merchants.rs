//! Merchant accounts and their secret keys.
//!
//! A merchant is a person's account with the merchant role and a `merchants` row (its name, as
//! buyers see it). Its server calls the merchant API with a secret key (`sk_…`): made from the
//! merchant's own session, shown once, stored only as its SHA-256, listed by name and prefix,
//! revocable. A revoked key and an unknown one are refused exactly alike.

use purse_api::{CreatedKey, KeyItem};
use sha2::{Digest, Sha256};

use crate::flows::error::{Forbidden, Missing};
use crate::flows::{FlowError, Flows};
use crate::ids::PersonId;
use crate::store::people::UserRow;

/// What every secret key starts with.
pub const KEY_PREFIX: &str = "sk_";
/// How much of a key lists show.
const SHOWN_CHARS: usize = 11;

/// A new secret key: `sk_` and 52 characters of base32 (256 random bits), and its hash.
pub fn new_secret() -> (String, [u8; 32]) {
    let secret = format!(
        "{KEY_PREFIX}{}",
        data_encoding::BASE32_NOPAD.encode(&super::people::random_bytes::<32>()).to_lowercase()
    );
    let hash = Sha256::digest(secret.as_bytes()).into();
    (secret, hash)
}

/// What lists show of a secret: enough to tell keys apart, far too little to use.
pub fn shown_prefix(secret: &str) -> String {
    secret.chars().take(SHOWN_CHARS).collect()
}

/// Who may have keys, endpoints and deliveries: a merchant account.
pub fn require_merchant(user: &UserRow) -> Result<PersonId, FlowError> {
    if user.is_merchant() { Ok(user.id) } else { Err(FlowError::Forbidden(Forbidden::NotAMerchant)) }
}

/// The merchant a secret key belongs to (a live key of an account that is still a merchant);
/// `None` for anything else.
pub async fn merchant_by_key(flows: &Flows, secret: &str) -> Result<Option<PersonId>, FlowError> {
    let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    Ok(flows.db.merchant_by_key(&hash).await?)
}

/// A merchant's name as buyers see it (its `merchants` row, else the account's display name).
pub async fn name_of(flows: &Flows, merchant: PersonId) -> Result<String, FlowError> {
    flows.db.merchant_name(merchant).await?.ok_or_else(|| FlowError::internal("a merchant vanished"))
}

/// Makes `user` a merchant called `name` (already checked), or renames it.
pub async fn set_merchant(flows: &Flows, user: &UserRow, name: &str) -> Result<(), FlowError> {
    Ok(flows.db.set_merchant(user.id, name, flows.now()).await?)
}

/// A new key called `name` for `merchant`, its secret shown this once.
pub async fn create_key(flows: &Flows, merchant: PersonId, name: &str) -> Result<CreatedKey, FlowError> {
    let (secret, hash) = new_secret();
    let prefix = shown_prefix(&secret);
    let now = flows.now();
    let id = flows.db.insert_key(merchant, name, &prefix, &hash, now).await?;
    Ok(CreatedKey {
        id: flows.ids.encode("key", id),
        name: name.to_string(),
        prefix,
        secret,
        created_at: now.rfc3339(),
    })
}

/// `merchant`'s keys, newest first.
pub async fn keys(flows: &Flows, merchant: PersonId) -> Result<Vec<KeyItem>, FlowError> {
    Ok(flows
        .db
        .keys(merchant)
        .await?
        .into_iter()
        .map(|row| KeyItem {
            id: flows.ids.encode("key", row.id),
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at.rfc3339(),
            revoked: row.revoked_at.is_some(),
        })
        .collect())
}

/// Revokes `merchant`'s key `id` (twice is fine); anyone else's is not found.
pub async fn revoke_key(flows: &Flows, merchant: PersonId, id: i64) -> Result<(), FlowError> {
    if flows.db.revoke_key(merchant, id, flows.now()).await? {
        Ok(())
    } else {
        Err(FlowError::NotFound(Missing::Thing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_shown_only_by_a_short_prefix() {
        let (a, hash_a) = new_secret();
        let (b, _) = new_secret();
        assert!(a.starts_with("sk_") && a.len() == 3 + 52, "{a}");
        assert_ne!(a, b);
        assert_eq!(hash_a, <[u8; 32]>::from(Sha256::digest(a.as_bytes())));
        assert_eq!(shown_prefix(&a).len(), SHOWN_CHARS);
        assert!(a.starts_with(&shown_prefix(&a)));
    }
}
