//! `--demo`: the people of the demo, once, made by the same flows as everyone's. `alice`, `bob`
//! and `nadia` (members), `lina` and `omar` (creators), `souq_books` (a merchant), each with
//! password [`PASSWORD`] and PIN [`PIN`]; alice, bob and nadia get 500.00 USD each from the
//! demo-funding account, through ordinary ledger transfers. Idempotent: people are created only
//! if their handle is free, the funding transfers have fixed ids (a transfer's id is its
//! idempotency key), and a verification at a tier already held changes nothing. Lina's creator
//! page gets presets and a goal.
//!
//! Verified through the verification flow (the sandbox provider): alice (California) and bob
//! (Texas) at tier 1, lina at tier 2, nadia at tier 1 with a New York address, so restricted
//! (where Purse is not licensed by default); omar stays at tier 0.

use purse_api::compliance::{Address, DocumentType, VerificationRequest};
use purse_api::{ActivityKind, Amount, Currency, Handle};
use purse_ledger::{AccountFlags, Ledger, Movement, NewAccount, TransferId, TransferRequest};

use crate::codes;
use crate::flows::people::create_person;
use crate::flows::{FlowError, Flows, merchants, verification};
use crate::store::notes;
use crate::store::people::{ROLE_CREATOR, ROLE_MERCHANT};
use crate::store::tips::CreatorRow;
use crate::time::Time;

pub const PASSWORD: &str = "purse-demo-pass";
pub const PIN: &str = "1234";

/// `(handle, display name, roles, funded)`.
const PEOPLE: [(&str, &str, i64, bool); 8] = [
    ("alice", "Alice Martin", 0, true),
    ("bob", "Bob Okafor", 0, true),
    ("lina", "Lina Haddad", ROLE_CREATOR, false),
    ("omar", "Omar Farouk", ROLE_CREATOR, false),
    ("souq_books", "Souq Books", ROLE_MERCHANT, false),
    // Last, so the others keep the ids they had before she came.
    ("nadia", "Nadia Rahman", 0, true),
    // The compliance officers (two, for the two-person rule).
    ("cora", "Cora Whitfield", 0, false),
    ("kemal", "Kemal Aydin", 0, false),
];

/// The compliance officers.
const OFFICERS: [&str; 2] = ["cora", "kemal"];

/// Funding transfer ids: fixed, one per funded person, below any id the server hands out.
const FUNDING_IDS: [i64; 3] = [101, 102, 103];

/// Who a demo person verifies as; a document makes tier 2.
struct DemoIdentity {
    handle: &'static str,
    legal_name: &'static str,
    born: &'static str,
    line1: &'static str,
    city: &'static str,
    state: &'static str,
    postal_code: &'static str,
    ssn_last4: &'static str,
    passport: Option<&'static str>,
}

const IDENTITIES: [DemoIdentity; 4] = [
    DemoIdentity {
        handle: "alice",
        legal_name: "Alice Martin",
        born: "1991-04-12",
        line1: "500 Market St",
        city: "San Francisco",
        state: "CA",
        postal_code: "94105",
        ssn_last4: "4821",
        passport: None,
    },
    DemoIdentity {
        handle: "bob",
        legal_name: "Bob Okafor",
        born: "1987-09-30",
        line1: "210 Congress Ave",
        city: "Austin",
        state: "TX",
        postal_code: "78701",
        ssn_last4: "7310",
        passport: None,
    },
    DemoIdentity {
        handle: "lina",
        legal_name: "Lina Haddad",
        born: "1994-01-22",
        line1: "88 Pike St",
        city: "Seattle",
        state: "WA",
        postal_code: "98101",
        ssn_last4: "5562",
        passport: Some("P48213377"),
    },
    // New York: where Purse is not licensed by default, so she is restricted.
    DemoIdentity {
        handle: "nadia",
        legal_name: "Nadia Rahman",
        born: "1996-07-08",
        line1: "145 Court St",
        city: "Brooklyn",
        state: "NY",
        postal_code: "11201",
        ssn_last4: "2284",
        passport: None,
    },
];

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
    for officer in OFFICERS {
        flows.db.execute(&crate::store::people::make_officer(officer)).await?;
    }
    seed_verifications(flows).await?;
    seed_creator_page(flows).await?;
    // The shop's name as buyers see it on the checkout page.
    if let Some(shop) = flows.db.user_by_handle("souq_books").await? {
        merchants::set_merchant(flows, &shop, "Souq Books").await?;
    }
    tracing::info!(created, "demo data loaded");
    Ok(created)
}

/// The demo people's verifications, through the flow (a tier already held answers as it is).
async fn seed_verifications(flows: &Flows) -> Result<(), FlowError> {
    for person in &IDENTITIES {
        let Some(user) = flows.db.user_by_handle(person.handle).await? else { continue };
        let identity = VerificationRequest {
            level: 1,
            legal_name: Some(person.legal_name.to_string()),
            date_of_birth: Some(person.born.to_string()),
            address: Some(Address {
                line1: person.line1.to_string(),
                city: person.city.to_string(),
                state: person.state.to_string(),
                postal_code: person.postal_code.to_string(),
            }),
            ssn_last4: Some(person.ssn_last4.to_string()),
            ..VerificationRequest::default()
        };
        let document = person.passport.map(|number| VerificationRequest {
            level: 2,
            document_type: Some(DocumentType::Passport),
            document_number: Some(number.to_string()),
            ..VerificationRequest::default()
        });
        for request in std::iter::once(identity).chain(document) {
            let checked = request
                .check(verification::today(flows))
                .map_err(|p| FlowError::internal(format!("{p:?}")))?;
            verification::submit(flows, user.id, &checked).await?;
        }
    }
    Ok(())
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
