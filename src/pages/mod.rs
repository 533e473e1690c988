//! One module per page.

pub mod add_money;
pub mod auth;
pub mod checkout;
pub mod creator;
pub mod home;
pub mod limits;
pub mod not_found;
pub mod ops_audit;
pub mod ops_case;
pub mod ops_person;
pub mod ops_queue;
pub mod payment_methods;
pub mod pin;
pub mod profile;
pub mod receipt;
pub mod request;
pub mod send;
pub mod statements;
pub mod status;
pub mod wallet;
pub mod withdraw;
