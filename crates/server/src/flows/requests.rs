//! Requests for money: asking someone, listing (telling the payer whether they have paid the
//! requester before), and the payer paying (on the money path) or declining, or the requester
//! canceling. Only the payer pays or declines; only the requester
//! cancels; anyone else is told the request does not exist.
//!
//! A request that closes without money moving (declined or canceled) leaves an activity line
//! for both people ([`activity`]: kind `request`, status `canceled`, id `rq_…`), merged into
//! `GET /activity` by when it closed and pushed live with the `request` event.
//!
//! Paying claims the request for the paying operation (`paying_operation_id`, with a lease)
//! before the ledger moves money, so two payments of one request (two devices, two keys) move
//! money once: the second finds the request claimed or paid and is refused.

use std::collections::HashMap;

use purse_api::{
    Activity, ActivityKind, ActivityStatus, Amount, Direction, Handle, Money, MoneyRequest, PaidRequest,
    PersonRef, RequestPage, RequestStatus,
};
use purse_ledger::TransferId;

use crate::codes;
use crate::flows::error::{Forbidden, Missing, Party, Shortfall};
use crate::flows::movement::{
    self, Begun, Call, Caller, Counts, IdempotencyKey, Lookup, Movement, Outcome, PinRule, Recipient, Rules,
};
use crate::flows::payments::{self, Plan};
use crate::flows::{FlowError, Flows, limits, people};
use crate::ids::{OperationId, PersonId, Slot};
use crate::store::StoredAnswer;
use crate::store::monitoring::Watched;
use crate::store::payments::PaymentRow;
use crate::store::people::UserRow;
use crate::store::requests::{RequestRow, Side};

/// How long a payment holds its claim on a request.
const CLAIM_SECONDS: i64 = 5 * movement::RECOVER_AFTER_SECONDS;

/// A request for money, checked by the HTTP layer (the amount, the note).
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub from: Handle,
    pub amount: Amount,
    pub note: Option<String>,
}

/// Which side of the request a person acts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Payer,
    Requester,
}

/// Asks `new.from` for money on `user`'s behalf. A request is a money movement: count it first
/// ([`count`]), before it is checked.
pub async fn create(flows: &Flows, user: &UserRow, new: NewRequest) -> Result<MoneyRequest, FlowError> {
    let payer = people::recipient(flows, user, &new.from, Party::Payer).await?;
    let row = flows
        .db
        .insert_request(
            user.id,
            payer.id,
            new.amount.to_minor(),
            new.amount.currency(),
            new.note.as_deref(),
            flows.now(),
        )
        .await?;
    announce(flows, &row).await;
    view(flows, &row, &people_of(flows, std::slice::from_ref(&row)).await?)
}

/// Counts a request for money by `user` against the money limit.
pub async fn count(flows: &Flows, user: &UserRow) -> Result<(), FlowError> {
    limits::check_money(flows, user.id).await
}

/// `person`'s requests on `side`, newest first, from `before` (a cursor's position), at most
/// `limit`.
pub async fn list(
    flows: &Flows,
    person: PersonId,
    side: Side,
    before: i64,
    limit: u32,
) -> Result<RequestPage, FlowError> {
    let rows = flows.db.requests_page(person, side, before, i64::from(limit) + 1).await?;
    let (rows, next_cursor) = super::page(flows, rows, limit, |row| row.id);
    let names = people_of(flows, &rows).await?;
    let mut items: Vec<MoneyRequest> =
        rows.iter().map(|row| view(flows, row, &names)).collect::<Result<_, _>>()?;
    if side == Side::Payer {
        let paid = paid_before(flows, person, &rows).await?;
        for (item, row) in items.iter_mut().zip(&rows) {
            item.from_paid_before = paid.get(&row.requester_id).copied();
        }
    }
    Ok(RequestPage { items, next_cursor })
}

/// For the requesters of `payer`'s open requests among `rows`: whether `payer` has paid them
/// before, by the grace window's own rule (an earlier pending or completed payment, canceled ones
/// not counting: [`crate::store::Db::has_paid_before`]). One look-up per requester. So a payer
/// can tell a request from someone they know from one by a new account with the same name.
async fn paid_before(
    flows: &Flows,
    payer: PersonId,
    rows: &[RequestRow],
) -> Result<HashMap<PersonId, bool>, FlowError> {
    let mut paid = HashMap::new();
    for row in rows.iter().filter(|row| row.status == RequestStatus::Open) {
        if let std::collections::hash_map::Entry::Vacant(entry) = paid.entry(row.requester_id) {
            entry.insert(flows.db.has_paid_before(payer, row.requester_id).await?);
        }
    }
    Ok(paid)
}

/// `POST /requests/{id}/pay`: the payer pays request `id`, at once (no grace window: the
/// requester asked for this money), once per key.
pub async fn pay(
    flows: &Flows,
    user: &UserRow,
    id: i64,
    key: &IdempotencyKey,
    hash: [u8; 32],
    pin: Option<&str>,
) -> Result<StoredAnswer, FlowError> {
    let call = Call { caller: Caller::Person(user), key, hash, pin };
    movement::run(flows, call, Pay { id, payer: user.id }).await
}

/// Paying a request, on the money path.
struct Pay {
    id: i64,
    payer: PersonId,
}

impl Movement for Pay {
    /// The request, and its amount.
    type Target = (RequestRow, Amount);

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::AfterTarget, limited: true, outgoing: true }
    }

    async fn load(&self, flows: &Flows) -> Result<(RequestRow, Amount), FlowError> {
        let row = find_for(flows, self.payer, self.id, Role::Payer).await?;
        let amount = Amount::from_minor(row.amount, row.currency)?;
        Ok((row, amount))
    }

    fn pin_rule(&self, (_, amount): &(RequestRow, Amount)) -> PinRule {
        PinRule::StepUp(*amount)
    }

    fn counts(&self, (row, _): &(RequestRow, Amount)) -> Option<Counts> {
        Some(Counts::payment(row.amount, Some(Recipient::Person(row.requester_id)), Shortfall::Payment))
    }

    fn watched(&self, (row, _): &(RequestRow, Amount)) -> Option<Watched> {
        Some(Watched::Payment { recipient: row.requester_id })
    }

    fn check_first(
        &self,
        _flows: &Flows,
        _caller: &Caller<'_>,
        (row, _): &(RequestRow, Amount),
    ) -> Result<(), FlowError> {
        if row.status == RequestStatus::Open { Ok(()) } else { Err(not_open(row)) }
    }

    async fn run(
        self,
        flows: &Flows,
        operation: OperationId,
        (row, amount): (RequestRow, Amount),
        begun: Begun,
    ) -> Outcome {
        let review = match begun {
            Begun::Fresh { held: Some(held), .. } => Some(held.reason.as_str().to_owned()),
            _ => None,
        };
        match claimed(flows, operation, &row).await {
            Ok(()) => pay_claimed(flows, operation, &row, amount, review).await,
            Err(error) => Outcome::answer(Err(error)),
        }
    }
}

/// Claims the request for `operation` (or finds that this very operation did, before it was
/// cut off); refuses when it can't be.
async fn claimed(flows: &Flows, operation: OperationId, row: &RequestRow) -> Result<(), FlowError> {
    // Resumed after this very operation paid it: carry on to the same answer.
    let paid_by_this = row.status == RequestStatus::Paid && row.paying_operation_id == Some(operation);
    if !paid_by_this && !claim(flows, operation, row).await? {
        let current = flows.db.request(row.id).await?.unwrap_or_else(|| row.clone());
        return Err(not_open(&current));
    }
    Ok(())
}

/// Moves the money of a claimed request and marks it paid: the payment's new state (stored
/// with the answer) and the answer.
async fn pay_claimed(
    flows: &Flows,
    operation: OperationId,
    row: &RequestRow,
    amount: Amount,
    review: Option<String>,
) -> Outcome {
    let plan = Plan {
        sender_id: row.payer_id,
        recipient_id: row.requester_id,
        amount,
        note: row.note.clone(),
        request_id: Some(row.id),
        kind: ActivityKind::Request,
        grace_window: false,
        review,
    };
    let made = payments::execute(flows, operation, &plan).await;
    let settled = payments::settled_state(&made);
    let answer = match made {
        Ok(payment) => mark_paid(flows, operation, row, &payment).await,
        Err(error @ FlowError::InsufficientFunds(_)) => {
            match flows.db.unclaim_request(row.id, operation).await {
                Ok(()) => Err(error),
                Err(store) => Err(store.into()),
            }
        }
        Err(error) => Err(error),
    };
    Outcome { payment: settled, answer, after: Vec::new() }
}

/// Marks a request paid by `payment` and tells both people; the answer to its payer.
async fn mark_paid(
    flows: &Flows,
    operation: OperationId,
    row: &RequestRow,
    payment: &PaymentRow,
) -> Result<StoredAnswer, FlowError> {
    flows.db.mark_request_paid(row.id, operation, flows.now()).await?;
    let paid = flows.db.request(row.id).await?.ok_or_else(|| FlowError::internal("a request vanished"))?;
    announce(flows, &paid).await;
    let names = people_of(flows, std::slice::from_ref(&paid)).await?;
    let requester = names.get(&paid.requester_id).ok_or_else(|| FlowError::internal("no requester"))?;
    movement::ok(&PaidRequest {
        request: view(flows, &paid, &names)?,
        transfer: payments::view(flows, payment, &requester.handle)?,
    })
}

/// Takes the request for `operation`: it must be open and not claimed by another payment
/// still within its lease (see [`paid_by_earlier_claim`] for one whose lease ran out).
async fn claim(flows: &Flows, operation: OperationId, row: &RequestRow) -> Result<bool, FlowError> {
    if paid_by_earlier_claim(flows, row, Some(operation)).await? {
        return Ok(false);
    }
    let now = flows.now();
    Ok(flows.db.claim_request(row.id, operation, now.plus_seconds(CLAIM_SECONDS), now).await?)
}

/// Whether another operation (not `except`) holding a claim on this open request did move
/// the money (its request was cut off after the ledger committed). If so the request is
/// marked paid, so that neither a second payment nor a decline or cancel can follow it.
async fn paid_by_earlier_claim(
    flows: &Flows,
    row: &RequestRow,
    except: Option<OperationId>,
) -> Result<bool, FlowError> {
    let Some(previous) = row.paying_operation_id.filter(|previous| Some(*previous) != except) else {
        return Ok(false);
    };
    if row.status != RequestStatus::Open {
        return Ok(false);
    }
    let transfer: TransferId = previous.transfer(Slot::Main);
    if flows.ledger.lookup_transfers(&[transfer]).await?.is_empty() {
        return Ok(false);
    }
    flows.db.mark_request_paid_by_claim(row.id, flows.now()).await?;
    Ok(true)
}

/// The payer says no to request `id`.
pub async fn decline(flows: &Flows, user: &UserRow, id: i64) -> Result<MoneyRequest, FlowError> {
    let row = find_for(flows, user.id, id, Role::Payer).await?;
    close(flows, row, RequestStatus::Declined).await
}

/// The requester takes request `id` back.
pub async fn cancel(flows: &Flows, user: &UserRow, id: i64) -> Result<MoneyRequest, FlowError> {
    let row = find_for(flows, user.id, id, Role::Requester).await?;
    close(flows, row, RequestStatus::Canceled).await
}

/// Closes an open request nobody is paying. Closing it the same way twice answers the same.
async fn close(flows: &Flows, row: RequestRow, to: RequestStatus) -> Result<MoneyRequest, FlowError> {
    if row.status == to {
        return respond(flows, row).await;
    }
    let not_found = || FlowError::NotFound(Missing::Thing);
    if paid_by_earlier_claim(flows, &row, None).await? {
        let current = flows.db.request(row.id).await?.ok_or_else(not_found)?;
        return Err(not_open(&current));
    }
    let closed = flows.db.close_request(row.id, to, flows.now()).await?;
    let current = flows.db.request(row.id).await?.ok_or_else(not_found)?;
    if !closed {
        return Err(not_open(&current));
    }
    announce(flows, &current).await;
    respond(flows, current).await
}

async fn respond(flows: &Flows, row: RequestRow) -> Result<MoneyRequest, FlowError> {
    let names = people_of(flows, std::slice::from_ref(&row)).await?;
    view(flows, &row, &names)
}

/// Why a request cannot be paid or closed now: its status, or `None` while it is being paid.
fn not_open(row: &RequestRow) -> FlowError {
    FlowError::RequestNotOpen(Some(row.status).filter(|status| *status != RequestStatus::Open))
}

/// The request `id` for `person` acting as `role`. Not theirs at all: not found; theirs in the
/// other role: forbidden.
async fn find_for(flows: &Flows, person: PersonId, id: i64, role: Role) -> Result<RequestRow, FlowError> {
    let row = flows.db.request(id).await?.ok_or(FlowError::NotFound(Missing::Thing))?;
    let (allowed, other) = match role {
        Role::Payer => (row.payer_id == person, row.requester_id == person),
        Role::Requester => (row.requester_id == person, row.payer_id == person),
    };
    if allowed {
        Ok(row)
    } else if other {
        Err(FlowError::Forbidden(match role {
            Role::Payer => Forbidden::OnlyPayerAnswers,
            Role::Requester => Forbidden::OnlyRequesterCancels,
        }))
    } else {
        Err(FlowError::NotFound(Missing::Thing))
    }
}

/// Wakes both people's live streams.
async fn announce(flows: &Flows, row: &RequestRow) {
    let accounts = [codes::wallet_of(row.payer_id), codes::wallet_of(row.requester_id)];
    if let Err(error) = flows.ledger.announce(&accounts).await {
        tracing::warn!(%error, "could not announce a request change");
    }
}

/// Whether `row` closed without money moving, so that it is an activity line of its own (a
/// paid request's line is its payment's).
pub fn is_closed_unpaid(row: &RequestRow) -> bool {
    matches!(row.status, RequestStatus::Declined | RequestStatus::Canceled)
}

/// The activity line a declined or canceled request leaves for `person` (either side): kind
/// `request`, status `canceled`, `in` for the requester (money asked for that will not come),
/// `out` for the payer, dated when it closed, with `request_status` saying who closed it.
pub fn activity(
    flows: &Flows,
    row: &RequestRow,
    person: PersonId,
    people: &HashMap<PersonId, UserRow>,
) -> Activity {
    let requester = row.requester_id == person;
    let other = if requester { row.payer_id } else { row.requester_id };
    Activity {
        id: flows.ids.encode("rq", row.id),
        kind: ActivityKind::Request,
        direction: if requester { Direction::In } else { Direction::Out },
        status: ActivityStatus::Canceled,
        amount: Money::from_minor(row.amount, row.currency).amount_string(),
        currency: row.currency,
        fee: Money::zero(row.currency).amount_string(),
        counterparty: people.get(&other).and_then(people::counterparty),
        note: row.note.clone(),
        created_at: row.updated_at.rfc3339(),
        request_status: Some(row.status),
        review: None,
    }
}

/// `GET /activity/rq_…`: the line of request `id` for `person`, when it is theirs and closed
/// without money moving; anything else is not found.
pub async fn activity_item(flows: &Flows, person: PersonId, id: i64) -> Result<Activity, FlowError> {
    let row = flows
        .db
        .request(id)
        .await?
        .filter(|row| (row.payer_id == person || row.requester_id == person) && is_closed_unpaid(row))
        .ok_or(FlowError::NotFound(Missing::Thing))?;
    let names = people_of(flows, std::slice::from_ref(&row)).await?;
    Ok(activity(flows, &row, person, &names))
}

/// The people named in `rows`, by id.
pub async fn people_of(flows: &Flows, rows: &[RequestRow]) -> Result<HashMap<PersonId, UserRow>, FlowError> {
    let ids = rows.iter().flat_map(|r| [r.payer_id, r.requester_id]);
    Ok(flows.db.people_by_id(ids).await?)
}

/// A request on the wire.
pub fn view(
    flows: &Flows,
    row: &RequestRow,
    people: &HashMap<PersonId, UserRow>,
) -> Result<MoneyRequest, FlowError> {
    let person = |id: PersonId| -> Result<PersonRef, FlowError> {
        let user = people.get(&id).ok_or_else(|| FlowError::internal("a person in a request vanished"))?;
        Ok(PersonRef {
            handle: Handle::parse(&user.handle).map_err(FlowError::internal)?,
            display_name: user.display_name.clone(),
        })
    };
    Ok(MoneyRequest {
        id: flows.ids.encode("rq", row.id),
        status: row.status,
        from: person(row.payer_id)?,
        to: person(row.requester_id)?,
        amount: Money::from_minor(row.amount, row.currency).amount_string(),
        currency: row.currency,
        note: row.note.clone(),
        created_at: row.created_at.rfc3339(),
        from_paid_before: None,
    })
}
