//! `--demo`: the people of the demo, once, made by the same flows as everyone's. `alice` and `bob` (members), `lina` and `omar`
//! (creators), `souq_books` (a merchant), each with password [`PASSWORD`] and PIN [`PIN`];
//! alice and bob get 500.00 USD each from the demo-funding account, through ordinary ledger
//! transfers. Idempotent: people are created only if their handle is free, and the funding
//! transfers have fixed ids (a transfer's id is its idempotency key). Lina's creator page gets
//! presets and a goal.

use purse_api::{ActivityKind, Amount, Currency, Handle};
use purse_ledger::{AccountFlags, Ledger, Movement, NewAccount, TransferId, TransferRequest};

use crate::codes;
use crate::flows::people::create_person;
use crate::flows::{FlowError, Flows, merchants};
use crate::store::notes;
use crate::store::people::{ROLE_CREATOR, ROLE_MERCHANT};
use crate::store::tips::CreatorRow;
use crate::time::Time;

pub const PASSWORD: &str = "purse-demo-pass";
pub const PIN: &str = "1234";

/// `(handle, display name, roles, funded)`.
const PEOPLE: [(&str, &str, i64, bool); 5] = [
    ("alice", "Alice Martin", 0, true),
    ("bob", "Bob Okafor", 0, true),
    ("lina", "Lina Haddad", ROLE_CREATOR, false),
    ("omar", "Omar Farouk", ROLE_CREATOR, false),
    ("souq_books", "Souq Books", ROLE_MERCHANT, false),
];

/// Funding transfer ids: fixed, one per funded person, below any id the server hands out.
const FUNDING_IDS: [i64; 2] = [101, 102];

/// Loads the demo data; returns how many people were new.
pub async fn seed(flows: &Flows) -> Result<usize, FlowError> {
    ensure_demo_funding(&flows.ledger).await?;
    let mut created = 0;
    let mut funded = Vec::new();
    for (handle, display_name, roles, fund) in PEOPLE {
        let handle = Handle::parse(handle).map_err(FlowError::internal)?;
        let user = match flows.db.user_by_handle(handle.as_str()).await? {
            Some(user) => user,
            None => {
                created += 1;
                create_person(flows, &handle, display_name, PASSWORD, Some(PIN), roles).await?
            }
        };
        if fund {
            funded.push(user.id);
        }
    }
    let amount = Amount::parse("500.00", "USD").map_err(FlowError::internal)?;
    let amount = u64::try_from(amount.to_minor()).map_err(FlowError::internal)?;
    for (user_id, transfer_id) in funded.into_iter().zip(FUNDING_IDS) {
        let note = notes::put(TransferId(transfer_id), ActivityKind::Deposit, Some("Demo funds"));
        flows.db.execute(&note).await?;
        let request = TransferRequest::posted(
            transfer_id,
            Movement {
                debit_account_id: codes::DEMO_FUNDING,
                credit_account_id: codes::wallet_of(user_id),
                amount,
                currency: Currency::Usd,
                code: codes::transfer::DEPOSIT,
            },
        );
        flows.ledger.create_transfer(request).await?.map_err(FlowError::internal)?;
    }
    seed_creator_page(flows).await?;
    // The shop's name as buyers see it on the checkout page.
    if let Some(shop) = flows.db.user_by_handle("souq_books").await? {
        merchants::set_merchant(flows, &shop, "Souq Books").await?;
    }
    tracing::info!(created, "demo data loaded");
    Ok(created)
}

/// Lina's tip presets and goal, once (a creator who changed them keeps her own).
async fn seed_creator_page(flows: &Flows) -> Result<(), FlowError> {
    let lina = flows.db.user_by_handle("lina").await?;
    let Some(lina) = lina else { return Ok(()) };
    if flows.db.creator(lina.id).await?.is_some() {
        return Ok(());
    }
    let row = CreatorRow {
        user_id: lina.id,
        tip_presets: "[200,500,1000,2500]".to_string(),
        goal_title: Some("A new lens for night photos".to_string()),
        goal_target: Some(50_000),
        goal_since: Some(Time::EPOCH),
        updated_at: flows.now(),
    };
    Ok(flows.db.save_creator(&row).await?)
}

/// The account demo money comes from: it may go as negative as it likes.
async fn ensure_demo_funding(ledger: &Ledger) -> Result<(), FlowError> {
    let account = NewAccount {
        id: codes::DEMO_FUNDING,
        currency: Currency::Usd,
        code: codes::account::DEMO_FUNDING,
        flags: AccountFlags::NONE,
    };
    for result in ledger.create_accounts(vec![account]).await? {
        result.map_err(FlowError::internal)?;
    }
    Ok(())
}

/// How to use the demo, for the terminal.
pub fn sign_in_help(base_url: &str) -> String {
    let handles: Vec<&str> = PEOPLE.iter().map(|(handle, ..)| *handle).collect();
    let base_url = base_url.trim_end_matches('/');
    format!(
        "Demo: open {base_url} (a social timeline with Purse embedded; the wallet is at {base_url}/wallet) \
         and sign in as {} with password {PASSWORD}; payment PIN {PIN}.",
        handles.join(", ")
    )
}
