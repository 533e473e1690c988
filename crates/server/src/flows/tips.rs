//! Tips to creators: creator settings and pages, the tip (on the money path) with its linked
//! ledger chain (the tip, then the platform's fee from the creator), the creator's dashboard,
//! and what each side may see.
//!
//! A tip is a payment (its `payments` row, kind `tip`, no grace window) plus a `tips` row (the
//! post, whether it is anonymous, the fee). An anonymous tip's note carries `hide_sender`, so
//! the creator's activity, receipts and live events never name the sender; lists answer
//! `supporter: null` to the creator; supporter counts count without naming.

use purse_api::tips::{DEFAULT_PRESETS, fee_minor, period_starts};
use purse_api::{
    ActivityKind, Amount, AnonymousTotal, Counterparty, Creator, CreatorDashboard, Currency, Goal, Handle,
    Money, SupporterTotal, Tip, TipItem, TipPage, TipResponse, TipTotals,
};
use purse_ledger::{CreateTransferError, Movement as LedgerMovement, TransferRequest};

use crate::codes;
use crate::flows::error::{Missing, Party, Shortfall};
use crate::flows::movement::{
    self, Begun, Call, Caller, Counts, IdempotencyKey, Lookup, Movement, Outcome, PinRule, Recipient,
    Recorded, Rules,
};
use crate::flows::{FlowError, Flows, payments, people};
use crate::ids::{OperationId, PersonId, Slot};
use crate::store::StoredAnswer;
use crate::store::monitoring::Watched;
use crate::store::payments::{Draft, PaymentRow, PaymentState, TipDraft};
use crate::store::people::{ROLE_CREATOR, UserRow};
use crate::store::tips::{CreatorRow, TipRow, TipSide};
use crate::time::Time;

/// How many supporters the dashboard names.
const TOP_SUPPORTERS: i64 = 5;

/// The presets of `row` (or the defaults), as minor units.
pub fn presets(row: Option<&CreatorRow>) -> Vec<i64> {
    row.and_then(|r| serde_json::from_str(&r.tip_presets).ok()).unwrap_or_else(|| {
        DEFAULT_PRESETS.iter().filter_map(|p| Amount::parse(p, "USD").ok()).map(Amount::to_minor).collect()
    })
}

/// Dollars in minor units as the API writes them (`"5.00"`).
pub fn usd(minor: i64) -> String {
    Money::from_minor(minor, Currency::Usd).amount_string()
}

/// What anyone may see of a creator: settings, the goal's progress, how many supporters.
pub async fn creator_view(
    flows: &Flows,
    user: &UserRow,
    enabled: bool,
    row: Option<&CreatorRow>,
) -> Result<Creator, FlowError> {
    let goal = match row.and_then(|r| Some((r.goal_title.clone()?, r.goal_target?, r.goal_since))) {
        Some((title, target, since)) => {
            let raised = flows.db.tips_received_since(user.id, since.unwrap_or(Time::EPOCH)).await?;
            Some(Goal { title, target: usd(target), raised: usd(raised) })
        }
        None => None,
    };
    // People who tipped openly, plus one for each anonymous tip. Counting anonymous senders
    // as people would tell the creator whether an anonymous tip came from someone who had
    // tipped before (the count would not move), or from the same person as another one.
    let supporters = flows.db.supporter_count(user.id).await?;
    Ok(Creator {
        handle: Handle::parse(&user.handle).map_err(FlowError::internal)?,
        display_name: user.display_name.clone(),
        enabled,
        tip_presets: presets(row).into_iter().map(usd).collect(),
        goal,
        supporters: u64::try_from(supporters).unwrap_or(0),
    })
}

/// The public page of the creator `handle` names; anyone else is not found.
pub async fn creator(flows: &Flows, handle: &Handle) -> Result<Creator, FlowError> {
    let user = flows
        .db
        .user_by_handle(handle.as_str())
        .await?
        .filter(UserRow::is_creator)
        .ok_or(FlowError::NotFound(Missing::Thing))?;
    let row = flows.db.creator(user.id).await?;
    creator_view(flows, &user, true, row.as_ref()).await
}

/// A creator's goal, checked by the HTTP layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGoal {
    pub title: String,
    /// Minor units.
    pub target: i64,
}

/// Creator settings, checked by the HTTP layer: `None` keeps what is stored.
#[derive(Clone, Debug)]
pub struct NewSettings {
    pub enabled: bool,
    /// Minor units, ascending, each once.
    pub presets: Option<Vec<i64>>,
    /// `Some(None)` removes the goal.
    pub goal: Option<Option<NewGoal>>,
}

/// Turns creator mode on or off for `user`, with presets and a goal.
pub async fn set_creator(flows: &Flows, user: &UserRow, new: NewSettings) -> Result<Creator, FlowError> {
    let existing = flows.db.creator(user.id).await?;
    let now = flows.now();
    let presets = new.presets.unwrap_or_else(|| presets(existing.as_ref()));
    let (goal_title, goal_target, goal_since) = match new.goal {
        None => existing
            .as_ref()
            .map_or((None, None, None), |r| (r.goal_title.clone(), r.goal_target, r.goal_since)),
        Some(None) => (None, None, None),
        Some(Some(goal)) => {
            // The same goal keeps its progress; a new one starts from now.
            let same = existing.as_ref().is_some_and(|r| {
                r.goal_title.as_deref() == Some(goal.title.as_str()) && r.goal_target == Some(goal.target)
            });
            let since = if same { existing.as_ref().and_then(|r| r.goal_since) } else { Some(now) };
            (Some(goal.title), Some(goal.target), since)
        }
    };
    let row = CreatorRow {
        user_id: user.id,
        tip_presets: serde_json::to_string(&presets).map_err(FlowError::internal)?,
        goal_title,
        goal_target,
        goal_since,
        updated_at: now,
    };
    flows.db.save_creator(&row).await?;
    let roles = if new.enabled { user.roles | ROLE_CREATOR } else { user.roles & !ROLE_CREATOR };
    flows.db.set_roles(user.id, roles).await?;
    creator_view(flows, user, new.enabled, Some(&row)).await
}

/// `user`'s own dashboard (settings, totals, top supporters), with "today" and "this week" in
/// the reader's time zone (`utc_offset_minutes`). Works before creator mode is on, so the
/// settings form has something to show.
pub async fn dashboard(
    flows: &Flows,
    user: &UserRow,
    utc_offset_minutes: i32,
) -> Result<CreatorDashboard, FlowError> {
    let row = flows.db.creator(user.id).await?;
    let creator = creator_view(flows, user, user.is_creator(), row.as_ref()).await?;
    let (today, week) = period_starts(flows.now().nanos(), utc_offset_minutes);
    let (today, week) = (Time::from_nanos(today), Time::from_nanos(week));
    let totals = flows.db.tip_totals(user.id, today, week, Currency::Usd).await?;
    let top = flows.db.top_supporters(user.id, TOP_SUPPORTERS, Currency::Usd).await?;
    let people = flows.db.people_by_id(top.iter().map(|(id, _, _)| *id)).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let mut top_supporters = Vec::with_capacity(top.len());
    for (id, total, tips) in top {
        let supporter = people
            .get(&id)
            .and_then(people::counterparty)
            .ok_or_else(|| FlowError::internal("a supporter vanished"))?;
        top_supporters.push(SupporterTotal { supporter, total: usd(total), tips: count(tips) });
    }
    Ok(CreatorDashboard {
        creator,
        totals: TipTotals {
            currency: Currency::Usd,
            today: usd(totals.today),
            this_week: usd(totals.this_week),
            all_time: usd(totals.all_time),
            tips: count(totals.tips),
        },
        top_supporters,
        anonymous: AnonymousTotal { total: usd(totals.anonymous_total), tips: count(totals.anonymous_tips) },
    })
}

/// A tip, checked by the HTTP layer (the amount, the message, the post id).
#[derive(Clone, Debug)]
pub struct NewTip {
    pub creator: Handle,
    pub amount: Amount,
    pub message: Option<String>,
    pub post_id: Option<String>,
    pub anonymous: bool,
}

/// `POST /tips`: tips a creator, once per key (no grace window: a tip is meant), the platform's
/// fee (if set) from the creator in the same linked chain.
pub async fn tip(
    flows: &Flows,
    user: &UserRow,
    key: &IdempotencyKey,
    hash: [u8; 32],
    pin: Option<&str>,
    new: NewTip,
) -> Result<StoredAnswer, FlowError> {
    let person = people::recipient(flows, user, &new.creator, Party::Creator).await?;
    let creator = flows
        .db
        .users_by_ids(&[person.id])
        .await?
        .pop()
        .ok_or_else(|| FlowError::internal("a recipient vanished"))?;
    if !creator.is_creator() {
        return Err(FlowError::NotACreator(creator.handle));
    }
    let tip = TipDraft {
        post_id: new.post_id,
        anonymous: new.anonymous,
        fee: fee_minor(new.amount, flows.settings.tip_fee_bps),
    };
    let draft = Draft {
        review: None,
        sender_id: user.id,
        recipient_id: creator.id,
        amount: new.amount.to_minor(),
        currency: new.amount.currency(),
        note: new.message,
        kind: ActivityKind::Tip,
        request_id: None,
        hold_until: None,
        now: flows.now(),
        tip: Some(tip.clone()),
    };
    let call = Call { caller: Caller::Person(user), key, hash, pin };
    movement::run(flows, call, Tipping { draft, tip, amount: new.amount, creator: creator.handle }).await
}

/// A tip on the money path.
struct Tipping {
    /// The payment a first arrival records with its key (`tip` among its facts).
    draft: Draft,
    tip: TipDraft,
    amount: Amount,
    creator: String,
}

impl Movement for Tipping {
    type Target = ();

    fn rules(&self) -> Rules {
        Rules { lookup: Lookup::WhenPinNeeded, limited: true, outgoing: true }
    }

    async fn load(&self, _flows: &Flows) -> Result<(), FlowError> {
        Ok(())
    }

    fn pin_rule(&self, _target: &()) -> PinRule {
        PinRule::StepUp(self.amount)
    }

    fn counts(&self, _target: &()) -> Option<Counts> {
        Some(Counts::payment(
            self.draft.amount,
            Some(Recipient::Person(self.draft.recipient_id)),
            Shortfall::Tip,
        ))
    }

    fn watched(&self, _target: &()) -> Option<Watched> {
        Some(Watched::Payment { recipient: self.draft.recipient_id })
    }

    fn record(&self, _flows: &Flows, _target: &()) -> Recorded {
        Recorded { payment: Some(self.draft.clone()), ..Recorded::default() }
    }

    async fn run(self, flows: &Flows, operation: OperationId, _target: (), begun: Begun) -> Outcome {
        let (payment, tip) = match begun {
            Begun::Fresh { payment: Some(payment), .. } => {
                let TipDraft { post_id, anonymous, fee } = self.tip;
                (payment, TipRow { operation_id: operation, post_id, anonymous, fee })
            }
            // A resumed tip: its rows were recorded with its key, in the same batch, and say what
            // it is (the fee as it was then).
            _ => match resumed(flows, operation).await {
                Ok(recorded) => recorded,
                Err(error) => return Outcome::answer(Err(error)),
            },
        };
        let made = transfer(flows, payment, tip.fee).await;
        let state = payments::settled_state(&made);
        let answer = made.and_then(|payment| {
            movement::created(&TipResponse { tip: view(flows, &payment, &tip, &self.creator)? })
        });
        Outcome { payment: state, answer, after: Vec::new() }
    }
}

async fn resumed(flows: &Flows, operation: OperationId) -> Result<(PaymentRow, TipRow), FlowError> {
    let payment = flows
        .db
        .payment_by_operation(operation)
        .await?
        .ok_or_else(|| FlowError::internal("a resumed tip has no payment"))?;
    let tip = flows.db.tip(operation).await?.ok_or_else(|| FlowError::internal("a tip has no row"))?;
    Ok((payment, tip))
}

/// Moves a recorded tip: the tip from the supporter to the creator and, if there is a fee, the
/// fee from the creator to the platform, linked (both or neither). Returns the payment as
/// `completed`, or `insufficient_funds` when the supporter's wallet cannot pay it. A tip held
/// for review is the tip alone, pending (the fee is taken when an officer approves it:
/// [`release_held`]).
pub async fn transfer(flows: &Flows, payment: PaymentRow, fee: i64) -> Result<PaymentRow, FlowError> {
    let tip = LedgerMovement {
        debit_account_id: codes::wallet_of(payment.sender_id),
        credit_account_id: codes::wallet_of(payment.recipient_id),
        amount: payment.amount.cast_unsigned(),
        currency: payment.currency,
        code: codes::transfer::TIP,
    };
    let held = payment.review.is_some();
    let chain = if held {
        vec![TransferRequest::pending(payment.transfer_id.0, tip, 0)]
    } else {
        with_fee(TransferRequest::posted(payment.transfer_id.0, tip), &payment, fee)
    };
    let results = flows.ledger.create_transfers(chain).await?;
    match results.first() {
        Some(Ok(_)) => {
            let state = if held { PaymentState::Pending } else { PaymentState::Completed };
            Ok(PaymentRow { state, ..payment })
        }
        Some(Err(CreateTransferError::ExceedsCredits)) => Err(FlowError::InsufficientFunds(Shortfall::Tip)),
        other => Err(FlowError::internal(format!("the ledger refused a tip: {other:?} (all: {results:?})"))),
    }
}

/// `tip` (the tip itself, posted or a post of its hold) and, if there is a fee, the fee from the
/// creator to the platform, linked after it: both or neither.
fn with_fee(tip: TransferRequest, payment: &PaymentRow, fee: i64) -> Vec<TransferRequest> {
    if fee <= 0 {
        return vec![tip];
    }
    let fee = TransferRequest::posted(
        payment.operation_id.transfer(Slot::Fee).0,
        LedgerMovement {
            debit_account_id: codes::wallet_of(payment.recipient_id),
            credit_account_id: codes::PLATFORM_FEES,
            amount: fee.cast_unsigned(),
            currency: payment.currency,
            code: codes::transfer::FEE,
        },
    );
    vec![tip.linked(), fee]
}

/// A tip on the wire.
pub fn view(
    flows: &Flows,
    payment: &PaymentRow,
    tip: &TipRow,
    creator_handle: &str,
) -> Result<Tip, FlowError> {
    let currency = payment.currency;
    Ok(Tip {
        id: flows.ids.encode("tip", payment.transfer_id.0),
        creator: Handle::parse(creator_handle).map_err(FlowError::internal)?,
        amount: Money::from_minor(payment.amount, currency).amount_string(),
        currency,
        post_id: tip.post_id.clone(),
        message: payment.note.clone(),
        anonymous: tip.anonymous,
        fee: Money::from_minor(tip.fee, currency).amount_string(),
        created_at: payment.created_at.rfc3339(),
        review: (payment.review.is_some() && payment.state == PaymentState::Pending)
            .then(super::review::review),
    })
}

/// Who a list item names as the supporter: nobody, for an anonymous tip seen by its creator.
pub fn supporter(tip: &TipRow, sender: Option<&UserRow>, viewer_is_creator: bool) -> Option<Counterparty> {
    if tip.anonymous && viewer_is_creator {
        return None;
    }
    people::counterparty(sender?)
}

/// `person`'s completed tips on `side`, newest first, from `before` (a cursor's position), at
/// most `limit`; with what a creator received in all, when listing received ones.
pub async fn list(
    flows: &Flows,
    person: PersonId,
    side: TipSide,
    before: i64,
    limit: u32,
) -> Result<TipPage, FlowError> {
    let rows = flows.db.tips_page(person, side, before, i64::from(limit) + 1).await?;
    let (rows, next_cursor) = super::page(flows, rows, limit, |row| row.payment.operation_id.0);
    let ids = rows.iter().flat_map(|r| [r.payment.sender_id, r.payment.recipient_id]);
    let people = flows.db.people_by_id(ids).await?;
    let received = side == TipSide::Received;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        let creator =
            people.get(&row.payment.recipient_id).ok_or_else(|| FlowError::internal("no creator"))?;
        items.push(TipItem {
            tip: view(flows, &row.payment, &row.tip, &creator.handle)?,
            supporter: supporter(&row.tip, people.get(&row.payment.sender_id), received),
        });
    }
    let total_received =
        if received { Some(usd(flows.db.tips_received_since(person, Time::EPOCH).await?)) } else { None };
    Ok(TipPage { items, next_cursor, total_received })
}

/// An officer approved a held tip: the tip posted and its fee taken from the creator, linked
/// (both or neither). Repeatable: the ledger's fixed ids answer a second time as done.
pub async fn release_held(flows: &Flows, payment: &PaymentRow, fee: i64) -> Result<(), FlowError> {
    let post = TransferRequest::post(
        payment.operation_id.transfer(Slot::Post).0,
        payment.transfer_id.0,
        payment.amount.cast_unsigned(),
    );
    let chain = with_fee(post, payment, fee);
    match flows.ledger.create_transfers(chain).await?.first() {
        Some(Ok(_) | Err(CreateTransferError::PendingTransferAlreadyPosted)) => Ok(()),
        Some(Err(CreateTransferError::PendingTransferAlreadyVoided)) => {
            Err(FlowError::CaseClosed(purse_api::ops::CaseStatus::Rejected))
        }
        other => Err(FlowError::internal(format!("the ledger refused to release a tip: {other:?}"))),
    }
}
