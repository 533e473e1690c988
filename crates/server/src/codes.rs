//! What the server's ledger codes mean: account codes (what an account is for), transfer codes
//! (why money moved), the fixed platform accounts, and where people's wallets live.

use purse_api::ActivityKind;
use purse_ledger::AccountId;

use crate::ids::PersonId;

/// Account codes.
pub mod account {
    pub const USER_WALLET: u16 = 1;
    pub const MERCHANT: u16 = 2;
    pub const PLATFORM_FEES: u16 = 3;
    pub const CARD_CLEARING: u16 = 4;
    pub const BANK_CLEARING: u16 = 5;
    pub const DEMO_FUNDING: u16 = 6;
    /// What the platform pays as interest on balances: debit-normal, it goes negative by
    /// what was paid.
    pub const INTEREST_EXPENSE: u16 = 7;
}

/// Transfer codes.
pub mod transfer {
    pub const P2P: u16 = 1;
    pub const TIP: u16 = 2;
    pub const CHECKOUT: u16 = 3;
    pub const REFUND: u16 = 4;
    pub const DEPOSIT: u16 = 5;
    pub const WITHDRAWAL: u16 = 6;
    pub const FEE: u16 = 7;
    pub const INTEREST: u16 = 8;
}

/// Platform accounts have small fixed ids.
pub const PLATFORM_FEES: AccountId = AccountId(2);
/// Money charged to cards and pushed to them: debit-normal, it owes what cards have paid in.
pub const CARD_CLEARING: AccountId = AccountId(3);
/// Money paid out to banks.
pub const BANK_CLEARING: AccountId = AccountId(4);
/// Interest paid on balances comes from here (its balance is minus what was paid).
pub const INTEREST_EXPENSE: AccountId = AccountId(5);
/// Where demo money comes from (`--demo` only).
pub const DEMO_FUNDING: AccountId = AccountId(10);

/// People's wallets: this base plus the person's row id.
const WALLET_BASE: i64 = 1_000_000_000;

pub fn wallet_of(person: PersonId) -> AccountId {
    AccountId(WALLET_BASE + person.0)
}

/// The person whose wallet `account` is, if it is a wallet.
pub fn owner_of(account: AccountId) -> Option<PersonId> {
    (account.0 > WALLET_BASE).then_some(PersonId(account.0 - WALLET_BASE))
}

/// What an activity is, from why its money moved.
pub fn kind_of(code: u16) -> ActivityKind {
    match code {
        transfer::TIP => ActivityKind::Tip,
        transfer::CHECKOUT => ActivityKind::Checkout,
        transfer::REFUND => ActivityKind::Refund,
        transfer::DEPOSIT => ActivityKind::Deposit,
        transfer::WITHDRAWAL => ActivityKind::Withdrawal,
        transfer::FEE => ActivityKind::Fee,
        transfer::INTEREST => ActivityKind::Interest,
        _ => ActivityKind::Transfer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallets_map_to_their_owners_and_back() {
        assert_eq!(owner_of(wallet_of(PersonId(1))), Some(PersonId(1)));
        assert_eq!(owner_of(wallet_of(PersonId(987_654))), Some(PersonId(987_654)));
        assert_eq!(owner_of(PLATFORM_FEES), None);
        assert_eq!(owner_of(DEMO_FUNDING), None);
    }
}
