//! `purse-server`: the server that owns the ledger, serves the API and the built SPA.
//!
//! Three layers, each only calling the one below:
//!
//! - [`http`]: the router and its layers, extractors, one module per resource, and the mapping
//!   from flow errors to HTTP. [`app`] builds the whole router from an [`AppState`], so tests
//!   drive it with `app(state).oneshot(request)` and no socket.
//! - [`flows`]: what the product does, as functions over typed inputs that return a
//!   [`flows::FlowError`]; every money-moving request takes [`flows::movement::run`].
//! - [`store`]: every SQL statement of the server's own tables, and the write batcher.
//!
//! Beside them, leaves any layer may use: [`ids`] (typed ids), [`time`] (the one time type),
//! [`codes`] (what ledger codes mean), [`public_ids`] (ids and cursors as the API shows them).
//! [`cli`] is the command line (`serve`, `audit`): it puts the server together.

pub mod cli;
pub mod codes;
pub mod flows;
pub mod http;
pub mod ids;
pub mod public_ids;
pub mod statement_files;
pub mod store;
pub mod time;

pub use http::{ApiError, AppState, app};
