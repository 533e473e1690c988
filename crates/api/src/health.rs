//! `GET /api/v1/healthz`: what the server says about itself.

use serde::{Deserialize, Serialize};

/// The answer of `GET /api/v1/healthz` (200 when the database answers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// `"ok"` when every dependency answered.
    pub status: String,
    /// The ledger's storage: `"sqlite"` or `"postgres"`.
    pub database: String,
    /// The server's version (`CARGO_PKG_VERSION`).
    pub version: String,
}
