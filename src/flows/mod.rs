//! Flows: the state of the app's screens and forms and every decision they make, as plain Rust
//! tested natively (`cargo test -p purse-web`, no browser).
//!
//! **The rule.** A type or function that decides something about what a screen shows or does —
//! which step it is on, whether what was typed holds by API.md's rules, the body of the request
//! it sends and under which idempotency key, what each answer of the server turns it into, the
//! sentence it builds from data — is a flow, and lives here: one file per screen or form, named
//! for what it holds (`tip_flow.rs` holds `TipFlow`), with its native tests beside it. Pages
//! (`pages/`) and components (`components/`) keep only what needs a browser: the view and its
//! signals, focus and timers, and the calls through [`crate::api_client`]. They draw a flow, feed
//! it what the person does, make the calls it asks for and hand the answers back. Nothing here
//! uses Leptos, the DOM or the network; the DOM is tested in `tests/web.rs`.
//!
//! Not flows, because they decide nothing about what happens next: values as people read them
//! ([`crate::format`]), the words themselves ([`crate::text`]), QR codes ([`crate::qr`]), and an
//! enum that only names which branch a view draws.
//!
//! - [`attempt`]: one idempotency key per attempt at a money move; every flow below that moves
//!   money keeps its attempts in an [`attempt::Attempt`].
//! - [`step_up`]: when a payment to a person asks for the PIN, and why (the send form, the tip
//!   sheet and paying a request share it).
//! - [`tip_flow`]: the tip sheet (`components::tip_sheet`).
//! - [`checkout_flow`]: the hosted checkout page (`pages::checkout`).
//! - [`add_money_flow`]: adding money from a card (`pages::add_money`).
//! - [`withdraw_flow`]: cashing out to a bank account or a card (`pages::withdraw`).
//! - [`card_checks`], [`bank_checks`]: the card form's and the bank-account form's checks
//!   (`components::card_form`, `components::bank_form`).
//! - [`method_removal`]: what the payment-methods page asks before removing a card or an account.
//! - [`review`]: the review every money flow shows before money moves (one model for all six),
//!   and what cannot be afforded.
//! - [`send_form`]: the send and request forms' checks and the send review's sentence
//!   (`pages::send`, `pages::request`).
//! - [`activity_feed`]: the activity list, paged and live (`pages::wallet`).
//! - [`sent_list`]: the request page's sent requests, live, with Cancel (`components::sent_requests`).
//! - [`next_path`]: where sign-in and sign-up bring a person back to, never another origin
//!   (`session`, `pages::auth`, `components::gate`).
//! - [`creator_dashboard`]: the creator dashboard's presets and supporters (`pages::creator`).
//! - [`status_view`]: the status page (`pages::status`).
//! - [`limits_view`]: the limits and verification page (`pages::limits`): tier, status, meters,
//!   what the next tier unlocks, the verify form, holds.
//! - [`ops_view`]: the compliance console (`pages::ops_*`): who sees it, the decision note, the
//!   queue paged and live, the approvals-needed sentence, reports, the audit chain's mark.
//! - [`statements_view`]: the statements page (`pages::statements`): the month picker back to the
//!   account's first month, totals and entries, downloads; interest's APY line and the month an
//!   interest payment is for.
//! - [`limit_guard`]: every money form's limit check before sending, and the sentence for the
//!   server's limit and status refusals (`components::limit_note` draws it).

pub mod activity_feed;
pub mod add_money_flow;
pub mod attempt;
pub mod bank_checks;
pub mod card_checks;
pub mod checkout_flow;
pub mod creator_dashboard;
pub mod limit_guard;
pub mod limits_view;
pub mod method_removal;
pub mod next_path;
pub mod ops_view;
pub mod review;
pub mod send_form;
pub mod sent_list;
pub mod statements_view;
pub mod status_view;
pub mod step_up;
pub mod tip_flow;
pub mod withdraw_flow;

/// The card the flows' tests pay with.
#[cfg(test)]
pub(crate) mod test_card {
    use purse_api::{Card, CardBrand};

    pub(crate) fn visa() -> Card {
        Card {
            id: "card_1".into(),
            brand: CardBrand::Visa,
            last4: "4242".into(),
            exp_month: 12,
            exp_year: 2030,
        }
    }
}
