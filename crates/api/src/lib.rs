//! `purse-api`: the types the browser and the server share.
//!
//! Money and currencies, the API error codes and body, and request/response structs. No IO,
//! no HTTP client, no web framework, no database: this crate compiles to wasm and to native,
//! so the browser previews exactly what the server will decide.

pub mod checkout;
pub mod compliance;
pub mod currency;
pub mod error;
pub mod funding;
pub mod handle;
pub mod health;
pub mod interest;
pub mod money;
pub mod ops;
pub mod payments;
pub mod people;
pub mod statements;
pub mod text;
pub mod tips;
pub mod wallet;

pub use checkout::{
    CheckoutOutcome, CheckoutPayment, CheckoutSession, CheckoutSessionResponse, CheckoutStatus,
    ConfirmCheckout, CreatedKey, CreatedWebhookEndpoint, KeyItem, KeyList, Merchant, MerchantResponse,
    MerchantSettings, NewCheckoutSession, NewKey, NewRefund, NewWebhookEndpoint, PublicCheckoutSession,
    Refund, RefundResponse, RefundStatus, WebhookData, WebhookDelivery, WebhookDeliveryList, WebhookEndpoint,
    WebhookEndpointList, WebhookEvent,
};
pub use currency::{Currency, CurrencyInfo};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use funding::{
    BankAccount, BankAccountList, BankAccountResponse, Card, CardBrand, CardDetails, CardList, CardResponse,
    CardToken, Deposit, DepositResponse, DepositStatus, NewBankAccount, NewCard, NewDeposit, NewWithdrawal,
    Speed, Withdrawal, WithdrawalQuote, WithdrawalResponse, WithdrawalStatus,
};
pub use handle::{Handle, HandleError};
pub use health::Health;
pub use money::{Amount, Money, MoneyError};
pub use payments::{
    AmountText, MoneyRequest, NewMoneyRequest, PaidRequest, PayRequestBody, PersonRef, RequestPage,
    RequestResponse, RequestStatus, SendRequest, Transfer, TransferResponse, TransferStatus,
};
pub use people::{
    LoginRequest, PasswordError, PinRequest, PublicProfile, Role, SessionResponse, SignupRequest, User,
    UserResponse,
};
pub use statements::{Statement, StatementEntry, StatementFormat};
pub use tips::{
    AnonymousTotal, Creator, CreatorDashboard, CreatorResponse, CreatorSettings, Goal, GoalSettings, NewTip,
    SupporterTotal, Tip, TipItem, TipPage, TipResponse, TipTotals,
};
pub use wallet::{
    Activity, ActivityKind, ActivityPage, ActivityResponse, ActivityStatus, Balance, Counterparty, Direction,
    Wallet,
};
