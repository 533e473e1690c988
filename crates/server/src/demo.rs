//! `--demo`: a small, fixed set of ledger accounts and transfers, so a fresh server has
//! something to show. Idempotent by construction: fixed ids, and a transfer's id is its
//! idempotency key, so loading twice changes nothing.

use purse_api::{Amount, Currency};
use purse_ledger::{AccountFlags, AccountId, Ledger, Movement, NewAccount, TransferRequest};

/// What an account is for (the ledger's account `code`).
pub mod account_code {
    pub const USER_WALLET: u16 = 1;
    pub const MERCHANT: u16 = 2;
    pub const PLATFORM_FEES: u16 = 3;
    pub const CARD_CLEARING: u16 = 4;
    pub const BANK_CLEARING: u16 = 5;
}

/// Why money moved (the ledger's transfer `code`).
pub mod transfer_code {
    pub const P2P: u16 = 1;
    pub const TIP: u16 = 2;
    pub const CHECKOUT: u16 = 3;
    pub const DEPOSIT: u16 = 5;
}

pub const BANK_CLEARING: AccountId = AccountId(1);
pub const PLATFORM_FEES: AccountId = AccountId(2);
/// Demo wallets.
pub const WALLETS: [AccountId; 3] = [AccountId(1001), AccountId(1002), AccountId(1003)];

/// Loads the demo data; returns how many rows were new.
pub async fn seed(ledger: &Ledger) -> anyhow::Result<usize> {
    let usd = Currency::Usd;
    let mut accounts = vec![
        NewAccount {
            id: BANK_CLEARING,
            currency: usd,
            code: account_code::BANK_CLEARING,
            flags: AccountFlags::NONE,
        },
        NewAccount {
            id: PLATFORM_FEES,
            currency: usd,
            code: account_code::PLATFORM_FEES,
            flags: AccountFlags::NONE,
        },
    ];
    for wallet in WALLETS {
        accounts.push(NewAccount {
            id: wallet,
            currency: usd,
            code: account_code::USER_WALLET,
            flags: AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
        });
    }
    let mut created = 0;
    for (account, result) in accounts.iter().zip(ledger.create_accounts(accounts.clone()).await?) {
        let outcome = result.map_err(|reason| anyhow::anyhow!("demo {}: {reason}", account.id))?;
        created += usize::from(outcome.created);
    }

    let minor = |amount: &str| -> anyhow::Result<u64> {
        let amount = Amount::parse(amount, usd.code())?;
        Ok(u64::try_from(amount.to_minor())?)
    };
    let movement = |debit: AccountId, credit: AccountId, amount: u64, code: u16| Movement {
        debit_account_id: debit,
        credit_account_id: credit,
        amount,
        currency: usd,
        code,
    };
    let (deposit, p2p, tip) = (minor("100.00")?, minor("12.50")?, minor("3.00")?);
    let mut transfers: Vec<TransferRequest> = WALLETS
        .iter()
        .map(|wallet| {
            TransferRequest::posted(
                wallet.0,
                movement(BANK_CLEARING, *wallet, deposit, transfer_code::DEPOSIT),
            )
        })
        .collect();
    transfers.push(TransferRequest::posted(2_001, movement(WALLETS[0], WALLETS[1], p2p, transfer_code::P2P)));
    transfers.push(TransferRequest::posted(2_002, movement(WALLETS[1], WALLETS[2], tip, transfer_code::TIP)));
    for (request, result) in transfers.iter().zip(ledger.create_transfers(transfers.clone()).await?) {
        let outcome = result.map_err(|reason| anyhow::anyhow!("demo {}: {reason}", request.id))?;
        created += usize::from(outcome.created);
    }
    tracing::info!(created, "demo data loaded");
    Ok(created)
}
