//! Merchant accounts and their secret keys.
//!
//! A merchant is a person's account with the merchant role and a `merchants` row (its name, as
//! buyers see it). Its server calls the merchant API with `Authorization: Bearer sk_…`: a key
//! made from the merchant's own session, shown once, stored only as its SHA-256, listed by name
//! and prefix, revocable. A revoked or unknown key is `401 unauthenticated`, exactly alike.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use purse_api::ErrorCode;
use sha2::{Digest, Sha256};

use crate::auth::{CurrentUser, ROLE_MERCHANT};
use crate::db::{UserRow, with_pool};
use crate::error::AppError;
use crate::state::AppState;

/// What every secret key starts with.
pub const KEY_PREFIX: &str = "sk_";
/// How much of a key lists show.
const SHOWN_CHARS: usize = 11;

/// A key as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A new secret key: `sk_` and 52 characters of base32 (256 random bits), and its hash.
pub fn new_secret() -> (String, [u8; 32]) {
    let secret = format!(
        "{KEY_PREFIX}{}",
        data_encoding::BASE32_NOPAD.encode(&crate::auth::random_bytes::<32>()).to_lowercase()
    );
    let hash = Sha256::digest(secret.as_bytes()).into();
    (secret, hash)
}

/// What lists show of a secret: enough to tell keys apart, far too little to use.
pub fn shown_prefix(secret: &str) -> String {
    secret.chars().take(SHOWN_CHARS).collect()
}

/// The merchant a request's secret key belongs to; `401 unauthenticated` for a missing,
/// malformed, unknown or revoked key.
#[derive(Clone, Copy, Debug)]
pub struct MerchantKey {
    pub merchant_id: i64,
}

impl FromRequestParts<AppState> for MerchantKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<MerchantKey, AppError> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| s.starts_with(KEY_PREFIX) && s.len() <= 128)
            .ok_or_else(unauthenticated)?;
        let hash: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let merchant: Option<i64> = with_pool!(&state.db, |pool| {
            sqlx::query_scalar(
                "SELECT k.merchant_id FROM merchant_keys k JOIN users u ON u.id = k.merchant_id \
                 WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND (u.roles & $2) <> 0",
            )
            .bind(hash.to_vec())
            .bind(ROLE_MERCHANT)
            .fetch_optional(pool)
            .await
            .map_err(AppError::database)?
        });
        merchant.map(|merchant_id| MerchantKey { merchant_id }).ok_or_else(unauthenticated)
    }
}

fn unauthenticated() -> AppError {
    AppError::new(
        ErrorCode::Unauthenticated,
        "Send a valid secret key as `Authorization: Bearer sk_…`. Revoked keys no longer work.",
    )
}

/// The signed-in person, who must be a merchant (`403 forbidden` otherwise).
pub fn require_merchant(user: &CurrentUser) -> Result<&UserRow, AppError> {
    if user.row.roles & ROLE_MERCHANT == 0 {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "Only a merchant account can do this. Turn on merchant mode first (PUT /me/merchant).",
        ));
    }
    Ok(&user.row)
}

/// A merchant's name as buyers see it (its `merchants` row, else the account's display name).
pub async fn name_of(state: &AppState, merchant: i64) -> Result<String, AppError> {
    let name: Option<String> = with_pool!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT COALESCE(m.name, u.display_name) FROM users u LEFT JOIN merchants m ON m.user_id = u.id \
             WHERE u.id = $1",
        )
        .bind(merchant)
        .fetch_optional(pool)
        .await
        .map_err(AppError::database)?
    });
    name.ok_or_else(|| AppError::internal("a merchant vanished"))
}

/// Makes `user` a merchant called `name` (or renames it).
pub async fn set_merchant(state: &AppState, user: &UserRow, name: &str) -> Result<(), AppError> {
    let now = state.now();
    with_pool!(&state.db, |pool| {
        let mut tx = pool.begin().await.map_err(AppError::database)?;
        sqlx::query(
            "INSERT INTO merchants (user_id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name",
        )
        .bind(user.id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(AppError::database)?;
        sqlx::query("UPDATE users SET roles = roles | $1 WHERE id = $2")
            .bind(ROLE_MERCHANT)
            .bind(user.id)
            .execute(&mut *tx)
            .await
            .map_err(AppError::database)?;
        tx.commit().await.map_err(AppError::database)?;
    });
    Ok(())
}

/// Stores a new key for `merchant`; returns its row and the secret (to show once).
pub async fn create_key(state: &AppState, merchant: i64, name: &str) -> Result<(KeyRow, String), AppError> {
    let (secret, hash) = new_secret();
    let prefix = shown_prefix(&secret);
    let now = state.now();
    let id: i64 = with_pool!(&state.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO merchant_keys (merchant_id, name, prefix, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(merchant)
        .bind(name)
        .bind(&prefix)
        .bind(hash.to_vec())
        .bind(now)
        .fetch_one(pool)
        .await
        .map_err(AppError::database)?
    });
    let row = KeyRow {
        id,
        merchant_id: merchant,
        name: name.to_string(),
        prefix,
        created_at: now,
        revoked_at: None,
    };
    Ok((row, secret))
}

/// `merchant`'s keys, newest first.
pub async fn keys(state: &AppState, merchant: i64) -> Result<Vec<KeyRow>, AppError> {
    Ok(with_pool!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, merchant_id, name, prefix, created_at, revoked_at FROM merchant_keys \
             WHERE merchant_id = $1 ORDER BY id DESC",
        )
        .bind(merchant)
        .fetch_all(pool)
        .await
        .map_err(AppError::database)?
    }))
}

/// Revokes `merchant`'s key `id`; `false` if it has no such key. Revoking twice is fine.
pub async fn revoke_key(state: &AppState, merchant: i64, id: i64) -> Result<bool, AppError> {
    let found = with_pool!(&state.db, |pool| {
        sqlx::query(
            "UPDATE merchant_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND merchant_id = $3",
        )
        .bind(state.now())
        .bind(id)
        .bind(merchant)
        .execute(pool)
        .await
        .map_err(AppError::database)?
        .rows_affected()
    });
    Ok(found == 1)
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
