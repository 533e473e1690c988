//! The payment-methods page's confirmation (`pages::payment_methods`): which card or bank
//! account it asks about removing, and how it names it.

use purse_api::{BankAccount, Card};

use crate::format::{bank_label, card_label};
use crate::text::{Funding, t};

/// What the confirmation asks about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removal {
    Card(Card),
    Bank(BankAccount),
}

impl Removal {
    /// The dialog's title: `Remove this card?`.
    pub fn title(&self) -> &'static str {
        match self {
            Removal::Card(_) => t(Funding::RemoveCardTitle),
            Removal::Bank(_) => t(Funding::RemoveBankTitle),
        }
    }

    /// What it would remove, as people recognise it: `Visa •• 4242`.
    pub fn label(&self) -> String {
        match self {
            Removal::Card(card) => card_label(card),
            Removal::Bank(account) => bank_label(account),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::test_card::visa;

    #[test]
    fn the_confirmation_names_what_it_would_remove() {
        let card = Removal::Card(visa());
        assert_eq!((card.title(), card.label().as_str()), (t(Funding::RemoveCardTitle), "Visa •• 4242"));
        let account =
            BankAccount { id: "ba_1".into(), bank_name: "Sandbox Bank".into(), last4: "6789".into() };
        let bank = Removal::Bank(account);
        assert_eq!(
            (bank.title(), bank.label().as_str()),
            (t(Funding::RemoveBankTitle), "Sandbox Bank •• 6789")
        );
    }
}
