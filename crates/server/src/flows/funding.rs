//! Money in and out: linked cards and bank accounts, deposits, withdrawal quotes, standard and
//! instant withdrawals, their daily caps, and the jobs that settle and recover them.
//!
//! A card is linked from the card network's token (the number never comes here); a bank
//! account's number goes to the bank rail and only its last four digits are kept. Every id a
//! person names must be their own: anyone else's is not found, like one that never was.
//!
//! Each movement is an operation on the money path ([`super::movement`]) with a row that follows
//! it: `processing` until the rail and the ledger have answered, then where it ended. Every step
//! is repeatable: the ledger transfers use the operation's fixed ids ([`crate::ids::ledger_id`])
//! and the rails answer a repeated `reference` as the first time, so a retry of the key, the
//! recovery job, or a settlement job that runs twice or stops halfway finishes a movement
//! exactly once.
//!
//! - **Deposit**: card clearing → wallet, posted once the card network approves the charge; a
//!   decline moves nothing and records `failed` with the reason.
//! - **Standard withdrawal**: wallet → bank clearing as a *pending* transfer (the money leaves
//!   the available balance at once); the bank rail is paid; when the payout settles the job
//!   posts the hold, when it comes back the job voids it (the money is available again).
//! - **Instant withdrawal**: the payout (wallet → card clearing) and its fee (wallet → platform
//!   fees) as one linked chain of holds; the card network's push approved posts both (linked),
//!   declined voids both.
//! - **Limits**: a deposit reserves its amount in `daily_totals` (the tier's `deposit` limit per
//!   UTC day) with the statement that checks the cap, in the group that records it, so concurrent
//!   deposits never pass the cap together; a withdrawal counts against the tier's rolling
//!   `withdraw` limit on the money path (`store::usage`); either gives its amount back when it
//!   fails or comes back.

use purse_api::compliance::{LimitDetails, LimitKind, Meter, Usage};
use purse_api::funding::{Speed, arrives_by_ns, quote_minor, withdrawal_fee_minor};
use purse_api::{
    ActivityKind, Amount, BankAccount, Card, Deposit, DepositResponse, DepositStatus, ErrorCode, Money,
    Withdrawal, WithdrawalQuote, WithdrawalResponse, WithdrawalStatus,
};
use purse_ledger::{CreateTransferError, Movement as LedgerMovement, TransferRequest};
use purse_rails::{CardOutcome, PayoutStatus};

use crate::codes;
use crate::flows::error::{Missing, Shortfall};
use crate::flows::movement::{
    self, Begun, Call, Caller, Counts, IdempotencyKey, Lookup, Movement, Outcome, PinRule, Rules,
};
use crate::flows::{FlowError, Flows};
use crate::ids::{OperationId, PersonId, Slot};
use crate::store::funding::{
    self as table, BankRow, Cap, CardRow, DepositRow, DepositState, Linked, NewCard, WithdrawalRow,
    WithdrawalState,
};
use crate::store::monitoring::Watched;
use crate::store::people::UserRow;
use crate::store::usage;
use crate::store::{Statement, StoredAnswer, notes};
use crate::time::Time;

pub fn card_view(flows: &Flows, card: &CardRow) -> Result<Card, FlowError> {
    Ok(Card {
        id: flows.ids.encode("card", card.id),
        brand: card.brand,
        last4: card.last4.clone(),
        exp_month: u32::try_from(card.exp_month).map_err(FlowError::internal)?,
        exp_year: u32::try_from(card.exp_year).map_err(FlowError::internal)?,
    })
}

pub fn bank_view(flows: &Flows, bank: &BankRow) -> BankAccount {
    BankAccount {
        id: flows.ids.encode("ba", bank.id),
        bank_name: bank.bank_name.clone(),
        last4: bank.last4.clone(),
    }
}

fn card_label(card: &CardRow) -> String {
    format!("{} •••• {}", card.brand.label(), card.last4)
}

fn bank_label(bank: &BankRow) -> String {
    format!("{} •••• {}", bank.bank_name, bank.last4)
}

/// Links the card a network token stands for (the token is used up).
pub async fn link_card(flows: &Flows, person: PersonId, token: &str) -> Result<Card, FlowError> {
    let Some(card) = flows.cards.redeem(token).await? else {
        return Err(FlowError::CardTokenUnknown);
    };
    let row = flows
        .db
        .insert_card(&NewCard {
            person,
            rail_token: &card.token,
            brand: card.brand,
            last4: &card.last4,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
            now: flows.now(),
        })
        .await?;
    card_view(flows, &row)
}

/// A person's linked cards, oldest first.
pub async fn cards(flows: &Flows, person: PersonId) -> Result<Vec<Card>, FlowError> {
    flows.db.cards(person).await?.iter().map(|card| card_view(flows, card)).collect()
}

/// Links a bank account (its routing number and account number already checked).
pub async fn link_bank(
    flows: &Flows,
    person: PersonId,
    routing: &str,
    account: &str,
    holder: &str,
) -> Result<BankAccount, FlowError> {
    let linked = flows.bank.link(routing, account, holder).await?;
    let row = flows
        .db
        .insert_bank_account(person, &linked.token, &linked.bank_name, &linked.last4, flows.now())
        .await?;
    Ok(bank_view(flows, &row))
}

pub async fn banks(flows: &Flows, person: PersonId) -> Result<Vec<BankAccount>, FlowError> {
    Ok(flows.db.bank_accounts(person).await?.iter().map(|bank| bank_view(flows, bank)).collect())
}

/// Removes `person`'s card or bank account `public_id` from what can be used; what is already
/// on its way to it carries on. Anyone else's (or one that never was) is not found.
pub async fn remove(flows: &Flows, what: Linked, person: PersonId, public_id: &str) -> Result<(), FlowError> {
    let prefix = match what {
        Linked::Card => "card",
        Linked::Bank => "ba",
    };
    let not_found = FlowError::NotFound(Missing::Thing);
    let id = flows.ids.decode(prefix, public_id).ok_or(not_found.clone())?;
    if flows.db.remove_linked(what, person, id, flows.now()).await? { Ok(()) } else { Err(not_found) }
}

/// `person`'s linked card `public_id` (`card_…`); `None` for anyone else's, a removed one, or
/// no card.
async fn own_card(flows: &Flows, person: PersonId, public_id: &str) -> Result<Option<CardRow>, FlowError> {
    let Some(id) = flows.ids.decode("card", public_id) else { return Ok(None) };
    Ok(flows.db.own_card(person, id).await?)
}

async fn own_bank(flows: &Flows, person: PersonId, public_id: &str) -> Result<Option<BankRow>, FlowError> {
    let Some(id) = flows.ids.decode("ba", public_id) else { return Ok(None) };
    Ok(flows.db.own_bank_account(person, id).await?)
}

/// When a withdrawal at `speed` made now arrives, by this server's bank settlement delay.
pub fn arrives_by(flows: &Flows, speed: Speed) -> Time {
    Time::from_nanos(arrives_by_ns(flows.now().nanos(), speed, flows.settings.bank_settle_s))
}

/// The fee and arrival a withdrawal of `amount` at `speed` would have, by the same code that
/// charges it.
pub fn quote(flows: &Flows, amount: Amount, speed: Speed) -> WithdrawalQuote {
    let figures = quote_minor(amount, speed);
    let money = |minor| Money::from_minor(minor, amount.currency()).amount_string();
    WithdrawalQuote {
        amount: money(figures.amount),
        fee: money(figures.fee),
        total: money(figures.total),
        arrives_by: arrives_by(flows, speed).rfc3339(),
    }
}

/// Deposits are capped per UTC day at the person's tier's `deposit` limit (API.md): a deposit
/// reserves its amount in `daily_totals` with the statement that checks the cap, in the group
/// that records it, so concurrent deposits never pass the cap together; one that fails gives its
/// amount back. (Withdrawals count against the rolling `withdraw` limit on the money path, see
/// `store::usage`; `daily_totals` rows of kind `withdrawal` from before are no longer read.)
struct DepositCap {
    person: PersonId,
    tier: u8,
}

impl DepositCap {
    fn limit(&self, flows: &Flows) -> i64 {
        flows.settings.limits.limit(self.tier, LimitKind::Deposit).unwrap_or(i64::MAX)
    }

    /// Records a deposit of `amount` (`statements`: its row, its note) together with its share
    /// of `day`'s cap, in one group; refuses it (nothing written) past the cap.
    async fn record(
        &self,
        flows: &Flows,
        amount: Amount,
        day: i64,
        statements: Vec<Statement>,
    ) -> Result<(), FlowError> {
        let minor = amount.to_minor();
        let limit = self.limit(flows);
        let mut group = vec![table::reserve_cap(Cap::Deposit, self.person, day, minor, limit)];
        group.extend(statements);
        let recorded = minor <= limit && flows.batcher.apply(group).await?;
        if recorded { Ok(()) } else { Err(self.refusal(flows, day).await) }
    }

    /// Over the cap: `limit_exceeded` with the day's figures.
    async fn refusal(&self, flows: &Flows, day: i64) -> FlowError {
        let used_minor = match flows.db.cap_used(Cap::Deposit, self.person, day).await {
            Ok(used) => used,
            Err(error) => return error.into(),
        };
        let now = flows.now();
        let meter = Meter::new(
            LimitKind::Deposit,
            self.limit(flows),
            Usage { used_minor, oldest_ns: None },
            now.nanos(),
        );
        let details = LimitDetails::of(&meter, self.tier, |ns| Time::from_nanos(ns).rfc3339());
        FlowError::LimitExceeded { kind: LimitKind::Deposit, details: Box::new(details) }
    }
}

/// The reference a rail knows a movement by: stable for the operation.
fn reference(prefix: &str, operation: OperationId) -> String {
    format!("{prefix}_{}", operation.0)
}

// ---------------------------------------------------------------------------------------------
// Deposits

/// `POST /deposits`: adds `amount` to `user`'s wallet from their card `card` (`card_…`), once
/// per key.
pub async fn deposit(
    flows: &Flows,
    user: &UserRow,
    key: &IdempotencyKey,
    hash: [u8; 32],
    card: &str,
    amount: Amount,
) -> Result<StoredAnswer, FlowError> {
    let call = Call { caller: Caller::Person(user), key, hash, pin: None };
    let tier = u8::try_from(user.tier).unwrap_or(0);
    movement::run(flows, call, Depositing { person: user.id, tier, card: card.to_string(), amount }).await
}

/// A deposit on the money path. The key is looked up first: a replay answers as the first
/// arrival did, even if the card is gone since.
struct Depositing {
    person: PersonId,
    tier: u8,
    card: String,
    amount: Amount,
}

impl Movement for Depositing {
    type Target = CardRow;

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::First, limited: true, outgoing: false }
    }

    async fn load(&self, flows: &Flows) -> Result<CardRow, FlowError> {
        own_card(flows, self.person, &self.card).await?.ok_or(FlowError::NotFound(Missing::DepositCard))
    }

    fn pin_rule(&self, _card: &CardRow) -> PinRule {
        PinRule::Never
    }

    /// Checked for standing only (a frozen or restricted person adds nothing); the day's cap is
    /// `DepositCap`'s.
    fn counts(&self, _card: &CardRow) -> Option<Counts> {
        let amount_minor = self.amount.to_minor();
        let (cost_minor, shortfall) = (0, Shortfall::Withdrawal);
        Some(Counts { kind: LimitKind::Deposit, recipient: None, amount_minor, cost_minor, shortfall })
    }

    async fn run(self, flows: &Flows, operation: OperationId, card: CardRow, begun: Begun) -> Outcome {
        let answer = async {
            let recorded = if begun == Begun::Resumed { flows.db.deposit(operation).await? } else { None };
            let row = match recorded {
                Some(row) => row,
                None => {
                    let cap = DepositCap { person: self.person, tier: self.tier };
                    record_deposit(flows, operation, &card, self.amount, &cap).await?
                }
            };
            let row = finish_deposit(flows, row, &card).await?;
            movement::created(&DepositResponse { deposit: deposit_view(flows, &row) })
        };
        Outcome::answer(answer.await)
    }
}

/// Records the deposit, its note and its share of today's cap, together; refuses what passes
/// the cap.
async fn record_deposit(
    flows: &Flows,
    operation: OperationId,
    card: &CardRow,
    amount: Amount,
    cap: &DepositCap,
) -> Result<DepositRow, FlowError> {
    let now = flows.now();
    let row = DepositRow {
        operation_id: operation,
        user_id: card.user_id,
        card_id: card.id,
        amount: amount.to_minor(),
        currency: amount.currency(),
        state: DepositState::Processing,
        failure_code: None,
        day: now.utc_day(),
        created_at: now,
    };
    let note = format!("From {}", card_label(card));
    let note = notes::put(operation.transfer(Slot::Main), ActivityKind::Deposit, Some(&note));
    cap.record(flows, amount, row.day, vec![table::insert_deposit(&row), note]).await?;
    Ok(row)
}

/// Charges `card` and credits the wallet, or records the decline; a deposit already finished
/// is returned as it is.
async fn finish_deposit(flows: &Flows, row: DepositRow, card: &CardRow) -> Result<DepositRow, FlowError> {
    if row.state != DepositState::Processing {
        return Ok(row);
    }
    let outcome = flows
        .cards
        .charge(&card.rail_token, row.amount, &reference("dep", row.operation_id), flows.now().nanos())
        .await?;
    match outcome {
        CardOutcome::Approved => {
            let request = TransferRequest::posted(
                row.operation_id.transfer(Slot::Main).0,
                LedgerMovement {
                    debit_account_id: codes::CARD_CLEARING,
                    credit_account_id: codes::wallet_of(row.user_id),
                    amount: row.amount.cast_unsigned(),
                    currency: row.currency,
                    code: codes::transfer::DEPOSIT,
                },
            );
            if let Err(reason) = flows.ledger.create_transfer(request).await? {
                return Err(FlowError::internal(format!("the ledger refused a deposit: {reason:?}")));
            }
            flows.batcher.apply(vec![table::complete_deposit(row.operation_id)]).await?;
            Ok(DepositRow { state: DepositState::Completed, ..row })
        }
        CardOutcome::Declined(code) => {
            flows
                .batcher
                .apply(vec![
                    table::fail_deposit(row.operation_id, code),
                    table::release_cap(Cap::Deposit, row.user_id, row.day, row.amount),
                ])
                .await?;
            Ok(DepositRow { state: DepositState::Failed, failure_code: Some(code), ..row })
        }
    }
}

pub fn deposit_view(flows: &Flows, row: &DepositRow) -> Deposit {
    Deposit {
        id: flows.ids.encode("dep", row.operation_id.0),
        status: if row.state == DepositState::Completed {
            DepositStatus::Completed
        } else {
            DepositStatus::Failed
        },
        failure_code: row.failure_code,
        amount: Money::from_minor(row.amount, row.currency).amount_string(),
        currency: row.currency,
    }
}

// ---------------------------------------------------------------------------------------------
// Withdrawals

/// Where a withdrawal goes.
#[derive(Clone, Debug)]
pub enum Destination {
    Bank(BankRow),
    Card(CardRow),
}

/// `POST /withdrawals`: withdraws `amount` at `speed` from `user`'s wallet to their bank
/// account (standard) or card (instant) `destination`, with the PIN, once per key. A replay
/// never has its PIN checked.
#[allow(clippy::too_many_arguments)]
pub async fn withdraw(
    flows: &Flows,
    user: &UserRow,
    key: &IdempotencyKey,
    hash: [u8; 32],
    pin: Option<&str>,
    destination: &str,
    speed: Speed,
    amount: Amount,
) -> Result<StoredAnswer, FlowError> {
    let call = Call { caller: Caller::Person(user), key, hash, pin };
    let withdrawal = Withdrawing { person: user.id, destination: destination.to_string(), speed, amount };
    movement::run(flows, call, withdrawal).await
}

/// A withdrawal on the money path. The key is looked up first: a replay answers as the first
/// arrival did (no PIN asked again), even if the destination is gone since.
struct Withdrawing {
    person: PersonId,
    destination: String,
    speed: Speed,
    amount: Amount,
}

impl Movement for Withdrawing {
    type Target = Destination;

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::First, limited: true, outgoing: true }
    }

    /// The caller's bank account (standard) or card (instant).
    async fn load(&self, flows: &Flows) -> Result<Destination, FlowError> {
        let id = self.destination.as_str();
        let not_found = FlowError::NotFound(Missing::WithdrawalDestination);
        match self.speed {
            Speed::Standard if id.starts_with("card_") => Err(FlowError::WrongDestination(Speed::Standard)),
            Speed::Instant if id.starts_with("ba_") => Err(FlowError::WrongDestination(Speed::Instant)),
            Speed::Standard => {
                own_bank(flows, self.person, id).await?.map(Destination::Bank).ok_or(not_found)
            }
            Speed::Instant => own_card(flows, self.person, id).await?.map(Destination::Card).ok_or(not_found),
        }
    }

    fn pin_rule(&self, _destination: &Destination) -> PinRule {
        PinRule::Always
    }

    /// The amount counts against the rolling `withdraw` limit (its fee is not withdrawn).
    fn counts(&self, _destination: &Destination) -> Option<Counts> {
        let amount_minor = self.amount.to_minor();
        let cost_minor = amount_minor + withdrawal_fee_minor(amount_minor, self.speed);
        Some(Counts {
            kind: LimitKind::Withdraw,
            recipient: None,
            amount_minor,
            cost_minor,
            shortfall: Shortfall::Withdrawal,
        })
    }

    /// `PASS_THROUGH` and the screening watch withdrawals (what was received is read then).
    fn watched(&self, _destination: &Destination) -> Option<Watched> {
        Some(Watched::Withdrawal { received_minor: 0 })
    }

    async fn run(
        self,
        flows: &Flows,
        operation: OperationId,
        destination: Destination,
        begun: Begun,
    ) -> Outcome {
        let answer = async {
            let recorded = if begun == Begun::Resumed { flows.db.withdrawal(operation).await? } else { None };
            let review = match &begun {
                Begun::Fresh { held: Some(held), .. } => Some(held.reason.as_str().to_owned()),
                Begun::Fresh { .. } => None,
                // Cut off before its row was recorded: its key's batch may have held it.
                Begun::Resumed => flows.db.case_reason(operation).await?,
            };
            let row = match recorded {
                Some(row) => row,
                None => {
                    record_withdrawal(flows, operation, self.person, &destination, self.amount, review)
                        .await?
                }
            };
            let row = finish_withdrawal(flows, row, &destination).await?;
            movement::created(&WithdrawalResponse { withdrawal: withdrawal_view(flows, &row) })
        };
        Outcome::answer(answer.await)
    }
}

/// Where `row` goes (removed or not: a withdrawal on its way carries on).
async fn destination_of(flows: &Flows, row: &WithdrawalRow) -> Result<Destination, FlowError> {
    match (row.bank_account_id, row.card_id) {
        (Some(bank), _) => Ok(Destination::Bank(flows.db.bank_account(bank).await?)),
        (None, Some(card)) => Ok(Destination::Card(flows.db.card(card).await?)),
        (None, None) => Err(FlowError::internal("a withdrawal goes nowhere")),
    }
}

/// Records the withdrawal, its notes and its share of today's cap, together; refuses what
/// passes the cap.
async fn record_withdrawal(
    flows: &Flows,
    operation: OperationId,
    person: PersonId,
    destination: &Destination,
    amount: Amount,
    review: Option<String>,
) -> Result<WithdrawalRow, FlowError> {
    let now = flows.now();
    let main = operation.transfer(Slot::Main);
    let (speed, card_id, bank_account_id, notes) = match destination {
        Destination::Bank(bank) => {
            let note = format!("To {}", bank_label(bank));
            (
                Speed::Standard,
                None,
                Some(bank.id),
                vec![notes::put(main, ActivityKind::Withdrawal, Some(&note))],
            )
        }
        Destination::Card(card) => {
            let note = format!("Instant to {}", card_label(card));
            let fee = operation.transfer(Slot::Fee);
            let notes = vec![
                notes::put(main, ActivityKind::Withdrawal, Some(&note)),
                notes::put(fee, ActivityKind::Fee, Some("Instant withdrawal fee")),
            ];
            (Speed::Instant, Some(card.id), None, notes)
        }
    };
    let minor = amount.to_minor();
    let row = WithdrawalRow {
        operation_id: operation,
        user_id: person,
        speed,
        card_id,
        bank_account_id,
        amount: minor,
        fee: withdrawal_fee_minor(minor, speed),
        currency: amount.currency(),
        state: WithdrawalState::Processing,
        failure_code: None,
        arrives_by: arrives_by(flows, speed),
        day: now.utc_day(),
        created_at: now,
        review,
    };
    let mut statements = vec![table::insert_withdrawal(&row)];
    statements.extend(notes);
    flows.batcher.apply(statements).await?;
    Ok(row)
}

/// Moves a withdrawal on from `from` to `to` (with the failure's code), in one group: it
/// happens once (a second run finds the row moved on and changes nothing). `release`: a payout
/// that came back, taken off the withdraw limit in the same group (a refused withdrawal is taken
/// off by its stored refusal, in its batch's lock order).
async fn mark(
    flows: &Flows,
    row: &WithdrawalRow,
    from: WithdrawalState,
    to: WithdrawalState,
    failure: Option<ErrorCode>,
    release: bool,
) -> Result<bool, FlowError> {
    let mut statements = vec![table::move_withdrawal(row.operation_id, from, to, failure, flows.now())];
    if release {
        statements.push(usage::release_uses(row.operation_id));
    }
    Ok(flows.batcher.apply(statements).await?)
}

/// Holds the money and sends it to `destination` (the row's): a bank account is paid and the
/// withdrawal is `pending` until it settles; a card is pushed to and the payout posted with its
/// fee. Repeatable at every step; a refused withdrawal answers its refusal again.
async fn finish_withdrawal(
    flows: &Flows,
    row: WithdrawalRow,
    destination: &Destination,
) -> Result<WithdrawalRow, FlowError> {
    match row.state {
        // Held for review: the money held, nothing sent until an officer approves.
        WithdrawalState::Processing if row.review.is_some() => hold_for_review(flows, row).await,
        WithdrawalState::Processing => match destination {
            Destination::Bank(bank) => hold_and_pay_out(flows, row, bank).await,
            Destination::Card(card) => hold_and_push(flows, row, card).await,
        },
        // Refused (its answer may not have been stored): the same refusal again.
        WithdrawalState::Failed => Err(match row.failure_code {
            Some(ErrorCode::InsufficientFunds) => FlowError::InsufficientFunds(Shortfall::Withdrawal),
            Some(ErrorCode::CardExpired) => FlowError::PayoutDeclined(ErrorCode::CardExpired),
            _ => FlowError::PayoutDeclined(ErrorCode::CardDeclined),
        }),
        _ => Ok(row),
    }
}

/// Standard: the wallet → bank clearing hold, then the bank's payout.
async fn hold_and_pay_out(
    flows: &Flows,
    row: WithdrawalRow,
    bank: &BankRow,
) -> Result<WithdrawalRow, FlowError> {
    hold_standard(flows, &row).await?;
    pay_out(flows, &row, bank).await?;
    mark(flows, &row, WithdrawalState::Processing, WithdrawalState::Pending, None, false).await?;
    Ok(WithdrawalRow { state: WithdrawalState::Pending, ..row })
}

/// The wallet → bank clearing hold of a standard withdrawal (refused: the row failed).
async fn hold_standard(flows: &Flows, row: &WithdrawalRow) -> Result<(), FlowError> {
    let hold = TransferRequest::pending(
        row.operation_id.transfer(Slot::Main).0,
        LedgerMovement {
            debit_account_id: codes::wallet_of(row.user_id),
            credit_account_id: codes::BANK_CLEARING,
            amount: row.amount.cast_unsigned(),
            currency: row.currency,
            code: codes::transfer::WITHDRAWAL,
        },
        0,
    );
    match flows.ledger.create_transfer(hold).await? {
        Ok(_) => Ok(()),
        Err(CreateTransferError::ExceedsCredits) => {
            // Its stored refusal takes it off the withdraw limit (in the batch's lock order).
            let short = Some(ErrorCode::InsufficientFunds);
            mark(flows, row, WithdrawalState::Processing, WithdrawalState::Failed, short, false).await?;
            Err(FlowError::InsufficientFunds(Shortfall::Withdrawal))
        }
        Err(reason) => Err(FlowError::internal(format!("the ledger refused a withdrawal: {reason:?}"))),
    }
}

/// The bank's payout of a held standard withdrawal.
async fn pay_out(flows: &Flows, row: &WithdrawalRow, bank: &BankRow) -> Result<(), FlowError> {
    let reference = reference("wd", row.operation_id);
    flows
        .bank
        .pay_out(&bank.rail_token, row.amount, &reference, row.arrives_by.nanos(), flows.now().nanos())
        .await?;
    Ok(())
}

/// Instant: the payout and its fee as one linked chain of holds, the card network's push, then
/// both posted (approved) or both voided (declined).
async fn hold_and_push(
    flows: &Flows,
    row: WithdrawalRow,
    card: &CardRow,
) -> Result<WithdrawalRow, FlowError> {
    hold_instant(flows, &row).await?;
    push(flows, row, card, WithdrawalState::Processing).await
}

/// An instant withdrawal's payout and fee holds, one linked chain (refused: the row failed).
async fn hold_instant(flows: &Flows, row: &WithdrawalRow) -> Result<(), FlowError> {
    let currency = row.currency;
    let wallet = codes::wallet_of(row.user_id);
    let id = |slot| row.operation_id.transfer(slot).0;
    let hold = |slot, credit_account_id, amount: i64, code| {
        TransferRequest::pending(
            id(slot),
            LedgerMovement {
                debit_account_id: wallet,
                credit_account_id,
                amount: amount.cast_unsigned(),
                currency,
                code,
            },
            0,
        )
    };
    let payout = hold(Slot::Main, codes::CARD_CLEARING, row.amount, codes::transfer::WITHDRAWAL);
    let fee = hold(Slot::Fee, codes::PLATFORM_FEES, row.fee, codes::transfer::FEE);
    let held = flows.ledger.create_transfers(vec![payout.linked(), fee]).await?;
    if held.iter().any(|result| matches!(result, Err(CreateTransferError::ExceedsCredits))) {
        // The payout or its fee (the chain fails together).
        let short = Some(ErrorCode::InsufficientFunds);
        mark(flows, row, WithdrawalState::Processing, WithdrawalState::Failed, short, false).await?;
        return Err(FlowError::InsufficientFunds(Shortfall::Withdrawal));
    }
    if let Some(Err(reason)) = held.iter().find(|result| result.is_err()) {
        return Err(FlowError::internal(format!("the ledger refused a withdrawal: {reason:?}")));
    }
    Ok(())
}

/// The card network's push of a held instant withdrawal, then both holds posted (approved) or
/// voided (declined); the row moves on from `from`.
async fn push(
    flows: &Flows,
    row: WithdrawalRow,
    card: &CardRow,
    from: WithdrawalState,
) -> Result<WithdrawalRow, FlowError> {
    let id = |slot| row.operation_id.transfer(slot).0;
    let pushed = flows
        .cards
        .push(&card.rail_token, row.amount, &reference("wd", row.operation_id), flows.now().nanos())
        .await?;
    let resolve = match pushed {
        CardOutcome::Approved => vec![
            TransferRequest::post(id(Slot::Post), id(Slot::Main), row.amount.cast_unsigned()).linked(),
            TransferRequest::post(id(Slot::FeePost), id(Slot::Fee), row.fee.cast_unsigned()),
        ],
        CardOutcome::Declined(_) => vec![
            TransferRequest::void(id(Slot::Void), id(Slot::Main)).linked(),
            TransferRequest::void(id(Slot::FeeVoid), id(Slot::Fee)),
        ],
    };
    // A second run (an officer's retry, the job) finds them resolved already.
    match flows.ledger.create_transfers(resolve).await?.first() {
        None
        | Some(
            Ok(_)
            | Err(
                CreateTransferError::PendingTransferAlreadyPosted
                | CreateTransferError::PendingTransferAlreadyVoided,
            ),
        ) => {}
        Some(Err(reason)) => {
            return Err(FlowError::internal(format!(
                "the ledger refused to resolve a withdrawal: {reason:?}"
            )));
        }
    }
    match pushed {
        CardOutcome::Approved => {
            mark(flows, &row, from, WithdrawalState::Completed, None, false).await?;
            Ok(WithdrawalRow { state: WithdrawalState::Completed, ..row })
        }
        CardOutcome::Declined(code) => {
            mark(flows, &row, from, WithdrawalState::Failed, Some(code), false).await?;
            Err(FlowError::PayoutDeclined(code))
        }
    }
}

/// A withdrawal held for review: its money held (as it would be on its way), nothing sent, the
/// row `pending` until an officer decides ([`release_held`], [`void_held`]).
async fn hold_for_review(flows: &Flows, row: WithdrawalRow) -> Result<WithdrawalRow, FlowError> {
    match row.speed {
        Speed::Standard => hold_standard(flows, &row).await?,
        Speed::Instant => hold_instant(flows, &row).await?,
    }
    mark(flows, &row, WithdrawalState::Processing, WithdrawalState::Pending, None, false).await?;
    Ok(WithdrawalRow { state: WithdrawalState::Pending, ..row })
}

/// An officer approved a held withdrawal (the case's decision is recorded first): the bank is
/// paid (it settles as any standard one) or the card pushed to, then the row is released.
/// `Ok(true)` once nothing is left to do; `Ok(false)` while the withdrawal is still being made
/// (its hold not yet in the ledger: the case's job tries again). Repeatable after stopping
/// anywhere: the rails take the operation's reference once, the ledger's ids are fixed.
pub async fn release_held(flows: &Flows, operation: OperationId) -> Result<bool, FlowError> {
    let Some(row) = flows.db.withdrawal(operation).await? else { return Ok(false) };
    match row.state {
        WithdrawalState::Processing => return Ok(false),
        WithdrawalState::Pending if row.review.is_some() => {}
        _ => return Ok(true),
    }
    match destination_of(flows, &row).await? {
        Destination::Bank(bank) => pay_out(flows, &row, &bank).await?,
        // A declined push voids the holds: the money is back, the withdrawal failed.
        Destination::Card(card) => match push(flows, row, &card, WithdrawalState::Pending).await {
            Ok(_) | Err(FlowError::PayoutDeclined(_)) => {}
            Err(error) => return Err(error),
        },
    }
    flows.batcher.apply(vec![table::clear_review(operation)]).await?;
    Ok(true)
}

/// An officer rejected a held withdrawal (the decision recorded first): its holds voided (the
/// money back), the withdrawal failed and taken off the withdraw limit. `Ok(false)` while it is
/// still being made.
pub async fn void_held(flows: &Flows, operation: OperationId) -> Result<bool, FlowError> {
    let Some(row) = flows.db.withdrawal(operation).await? else { return Ok(false) };
    match row.state {
        WithdrawalState::Processing => return Ok(false),
        WithdrawalState::Pending if row.review.is_some() => {}
        _ => return Ok(true),
    }
    let id = |slot| row.operation_id.transfer(slot).0;
    let voids = match row.speed {
        Speed::Standard => vec![TransferRequest::void(id(Slot::Void), id(Slot::Main))],
        Speed::Instant => vec![
            TransferRequest::void(id(Slot::Void), id(Slot::Main)).linked(),
            TransferRequest::void(id(Slot::FeeVoid), id(Slot::Fee)),
        ],
    };
    for result in flows.ledger.create_transfers(voids).await? {
        match result {
            Ok(_) | Err(CreateTransferError::PendingTransferAlreadyVoided) => {}
            Err(reason) => return Err(FlowError::internal(format!("the ledger refused a void: {reason:?}"))),
        }
    }
    mark(flows, &row, WithdrawalState::Pending, WithdrawalState::Failed, None, true).await?;
    flows.batcher.apply(vec![table::clear_review(operation)]).await?;
    Ok(true)
}

/// Where a withdrawal goes, as officers read it (`Chase •••• 6789`).
pub async fn destination_label(flows: &Flows, row: &WithdrawalRow) -> Result<String, FlowError> {
    Ok(match destination_of(flows, row).await? {
        Destination::Bank(bank) => bank_label(&bank),
        Destination::Card(card) => card_label(&card),
    })
}

pub fn withdrawal_view(flows: &Flows, row: &WithdrawalRow) -> Withdrawal {
    let status = match row.state {
        WithdrawalState::Completed => WithdrawalStatus::Completed,
        WithdrawalState::Failed => WithdrawalStatus::Failed,
        WithdrawalState::Returned => WithdrawalStatus::Returned,
        WithdrawalState::Processing | WithdrawalState::Pending => WithdrawalStatus::Pending,
    };
    Withdrawal {
        id: flows.ids.encode("wd", row.operation_id.0),
        status,
        amount: Money::from_minor(row.amount, row.currency).amount_string(),
        fee: Money::from_minor(row.fee, row.currency).amount_string(),
        arrives_by: row.arrives_by.rfc3339(),
        review: (row.review.is_some() && status == WithdrawalStatus::Pending).then(super::review::review),
    }
}

/// Settles standard withdrawals whose payouts the bank has settled or returned: the hold is
/// posted (settled) or voided (returned, the money available again and the cap given back).
/// Safe to run twice at once, or again after stopping at any point: the ledger's fixed ids
/// resolve each hold once, and each row moves on from `pending` once.
pub async fn settle_due(flows: &Flows) -> Result<usize, FlowError> {
    let now = flows.now();
    let due = flows.db.withdrawals_due(now).await?;
    let mut settled = 0;
    for row in due {
        // One withdrawal the bank or the database cannot answer for holds up no other.
        match settle(flows, &row, now).await {
            Ok(true) => settled += 1,
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, operation = row.operation_id.0, "a withdrawal did not settle; retrying")
            }
        }
    }
    Ok(settled)
}

/// Settles one due withdrawal if its payout settled or came back; `true` when this call moved
/// its row on.
async fn settle(flows: &Flows, row: &WithdrawalRow, now: Time) -> Result<bool, FlowError> {
    let status = flows.bank.payout_status(&reference("wd", row.operation_id), now.nanos()).await?;
    let main = row.operation_id.transfer(Slot::Main).0;
    let (request, to, release) = match status {
        PayoutStatus::InFlight => return Ok(false),
        PayoutStatus::Settled => (
            TransferRequest::post(row.operation_id.transfer(Slot::Post).0, main, row.amount.cast_unsigned()),
            WithdrawalState::Completed,
            false,
        ),
        PayoutStatus::Returned => (
            TransferRequest::void(row.operation_id.transfer(Slot::Void).0, main),
            WithdrawalState::Returned,
            true,
        ),
    };
    // The hold resolved the other way already (a payout returned after it had settled,
    // say): the row follows the ledger, which is the truth.
    let (to, release) = match flows.ledger.create_transfer(request).await? {
        Ok(_) => (to, release),
        Err(CreateTransferError::PendingTransferAlreadyPosted) => (WithdrawalState::Completed, false),
        Err(CreateTransferError::PendingTransferAlreadyVoided) => (WithdrawalState::Returned, true),
        Err(reason) => {
            return Err(FlowError::internal(format!(
                "the ledger refused to settle a withdrawal: {reason:?}"
            )));
        }
    };
    mark(flows, row, WithdrawalState::Pending, to, None, release).await
}

/// Deposits and withdrawals cut off while `processing` (the server stopped, a rail did not
/// answer) and not retried within the lease: finished as their retry would.
pub async fn recover(flows: &Flows) -> Result<usize, FlowError> {
    let stale_before = flows.now().minus_seconds(movement::RECOVER_AFTER_SECONDS);
    let deposits = flows.db.deposits_processing_since_before(stale_before).await?;
    let withdrawals = flows.db.withdrawals_processing_since_before(stale_before).await?;
    let mut finished = 0;
    // Each on its own: one that cannot finish yet holds up no other.
    for row in deposits {
        let operation = row.operation_id.0;
        match finish_cut_off_deposit(flows, row).await {
            Ok(_) => finished += 1,
            Err(error) => tracing::warn!(%error, operation, "a cut-off deposit did not finish; retrying"),
        }
    }
    for row in withdrawals {
        let operation = row.operation_id.0;
        match finish_cut_off_withdrawal(flows, row).await {
            Ok(_) => finished += 1,
            // Refusals (short of money, declined) are final states too.
            Err(error) if error.is_final_refusal() => finished += 1,
            Err(error) => tracing::warn!(%error, operation, "a cut-off withdrawal did not finish; retrying"),
        }
    }
    Ok(finished)
}

async fn finish_cut_off_deposit(flows: &Flows, row: DepositRow) -> Result<DepositRow, FlowError> {
    // Removed or not: a deposit under way carries on.
    let card = flows.db.card(row.card_id).await?;
    finish_deposit(flows, row, &card).await
}

async fn finish_cut_off_withdrawal(flows: &Flows, row: WithdrawalRow) -> Result<WithdrawalRow, FlowError> {
    let destination = destination_of(flows, &row).await?;
    finish_withdrawal(flows, row, &destination).await
}

/// Runs [`recover`] and [`settle_due`] once (the job's tick; see [`super::jobs`]).
pub async fn tick(flows: &Flows) {
    if let Err(error) = recover(flows).await {
        tracing::warn!(%error, "recovering deposits and withdrawals failed; retrying");
    }
    if let Err(error) = settle_due(flows).await {
        tracing::warn!(%error, "settling withdrawals failed; retrying");
    }
}

/// Runs [`tick`] at once and then every second until the server stops.
pub fn spawn_jobs(flows: &Flows) -> tokio::task::JoinHandle<()> {
    flows.spawn_every_second(|flows| async move { tick(&flows).await })
}
