//! `merchants` (the name buyers see) and `merchant_keys` (secret keys: only their SHA-256, a
//! short prefix to tell them apart, and when they were revoked).

use crate::ids::PersonId;
use crate::store::people::ROLE_MERCHANT;
use crate::store::{Columns, Db, Row, Statement, StoreError, values};
use crate::time::Time;

/// A key as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub id: i64,
    pub merchant_id: PersonId,
    pub name: String,
    pub prefix: String,
    pub created_at: Time,
    pub revoked_at: Option<Time>,
}

impl Row for KeyRow {
    fn read(columns: &mut Columns<'_>) -> Result<KeyRow, StoreError> {
        Ok(KeyRow {
            id: columns.take()?,
            merchant_id: columns.take()?,
            name: columns.take()?,
            prefix: columns.take()?,
            created_at: columns.take()?,
            revoked_at: columns.take()?,
        })
    }
}

impl Db {
    /// The merchant whose live key hashes to `secret_hash` (a merchant still).
    pub async fn merchant_by_key(&self, secret_hash: &[u8; 32]) -> Result<Option<PersonId>, StoreError> {
        let found: Option<(PersonId,)> = self
            .optional(&Statement::new(
                "SELECT k.merchant_id FROM merchant_keys k JOIN users u ON u.id = k.merchant_id \
                 WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND (u.roles & $2) <> 0",
                values![secret_hash.as_slice(), ROLE_MERCHANT],
            ))
            .await?;
        Ok(found.map(|(merchant,)| merchant))
    }

    /// A merchant's name as buyers see it (its `merchants` row, else the account's display
    /// name); `None` for nobody.
    pub async fn merchant_name(&self, merchant: PersonId) -> Result<Option<String>, StoreError> {
        let found: Option<(String,)> = self
            .optional(&Statement::new(
                "SELECT COALESCE(m.name, u.display_name) FROM users u LEFT JOIN merchants m ON m.user_id = u.id \
                 WHERE u.id = $1",
                values![merchant],
            ))
            .await?;
        Ok(found.map(|(name,)| name))
    }

    /// Makes `person` a merchant called `name` (or renames it), together.
    pub async fn set_merchant(&self, person: PersonId, name: &str, now: Time) -> Result<(), StoreError> {
        self.transaction(&[
            Statement::new(
                "INSERT INTO merchants (user_id, name, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET name = excluded.name",
                values![person, name, now],
            ),
            Statement::new(
                "UPDATE users SET roles = roles | $1 WHERE id = $2",
                values![ROLE_MERCHANT, person],
            ),
        ])
        .await
    }

    /// Stores a new key; its id.
    pub async fn insert_key(
        &self,
        merchant: PersonId,
        name: &str,
        prefix: &str,
        secret_hash: &[u8; 32],
        now: Time,
    ) -> Result<i64, StoreError> {
        let (id,): (i64,) = self
            .returning(&Statement::new(
                "INSERT INTO merchant_keys (merchant_id, name, prefix, secret_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                values![merchant, name, prefix, secret_hash.as_slice(), now],
            ))
            .await?
            .ok_or_else(|| StoreError::Database("no key made".into()))?;
        Ok(id)
    }

    /// `merchant`'s keys, newest first.
    pub async fn keys(&self, merchant: PersonId) -> Result<Vec<KeyRow>, StoreError> {
        self.all(&Statement::new(
            "SELECT id, merchant_id, name, prefix, created_at, revoked_at FROM merchant_keys \
             WHERE merchant_id = $1 ORDER BY id DESC",
            values![merchant],
        ))
        .await
    }

    /// Revokes `merchant`'s key `id`; `false` if it has no such key. Revoking twice is fine.
    pub async fn revoke_key(&self, merchant: PersonId, id: i64, now: Time) -> Result<bool, StoreError> {
        let found = self
            .execute(&Statement::new(
                "UPDATE merchant_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND merchant_id = $3",
                values![now, id, merchant],
            ))
            .await?;
        Ok(found == 1)
    }
}
