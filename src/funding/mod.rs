//! Money in and out, as plain state tested natively: the card form's and the bank-account
//! form's checks ([`card_form`], [`bank_form`]), adding money from a card ([`deposit`]) and
//! cashing out to a bank account or a card ([`withdraw`]). The pages (`pages::add_money`,
//! `pages::withdraw`, `pages::payment_methods`) only draw these and do the HTTP through
//! [`crate::api_client`].
//!
//! The checks and the fee are `purse_api::funding`'s, the very code the server runs: what the
//! browser previews is what the server charges.

pub mod bank_form;
pub mod card_form;
pub mod deposit;
pub mod withdraw;

use purse_api::{BankAccount, Card, Currency, Money};

use crate::format;

/// A linked card as people recognise it: `Visa •• 4242`.
pub fn card_label(card: &Card) -> String {
    format!("{} •• {}", card.brand.label(), card.last4)
}

/// When a card expires: `12/30`.
pub fn card_expiry(card: &Card) -> String {
    format!("{:02}/{:02}", card.exp_month, card.exp_year % 100)
}

/// A linked bank account as people recognise it: `Sandbox Bank •• 6789`.
pub fn bank_label(account: &BankAccount) -> String {
    format!("{} •• {}", account.bank_name, account.last4)
}

/// Minor units of USD as people read them: `2035` → `$20.35`.
pub fn usd_minor(minor: i64) -> String {
    format::money(&Money::from_minor(minor, Currency::Usd).amount_string(), Currency::Usd)
}

#[cfg(test)]
mod tests {
    use purse_api::CardBrand;

    use super::*;

    #[test]
    fn methods_read_as_people_know_them() {
        let card = Card {
            id: "card_1".into(),
            brand: CardBrand::Visa,
            last4: "4242".into(),
            exp_month: 3,
            exp_year: 2030,
        };
        assert_eq!(card_label(&card), "Visa •• 4242");
        assert_eq!(card_expiry(&card), "03/30");
        let bank = BankAccount { id: "ba_1".into(), bank_name: "Sandbox Bank".into(), last4: "6789".into() };
        assert_eq!(bank_label(&bank), "Sandbox Bank •• 6789");
        assert_eq!(usd_minor(2_035), "$20.35");
        assert_eq!(usd_minor(123_456), "$1,234.56");
    }
}
