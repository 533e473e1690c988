//! What compliance officers do (`/ops`): the queue of cases, a case with its evidence, approving
//! (the held movement completes) and rejecting (it is voided, the money back with the payer),
//! freezing and unfreezing a person, and a case's report. A decision is written first, the case
//! closed with its audit entries in one transaction (`WriteBatcher::audited`), so an approval and
//! a rejection racing cannot both win; the held money moves after it, by the held transfer's
//! fixed ids, and [`tick`] finishes what a failure or a stop left.
//!
//! The two-person rule: a case at or above `Thresholds::two_person_minor` needs approvals of two
//! different officers; the same officer approving again is `second_approver_required`. Each
//! approval is recorded, and whoever's approval makes the count completes the movement (two at
//! once both complete it: posting is idempotent).

use std::collections::HashMap;

use purse_api::compliance::AccountStatus;
use purse_api::ops::{
    Approval, Case, CaseMovement, CasePage, CasePerson, CaseReport, CaseStatus, Evidence, NOTE_MAX_CHARS,
    OpsPerson, OpsPersonPage, ReasonCode, ReportMovement, ReportSubject, SanctionsEvidence, rule_sentence,
};
use purse_api::{Currency, Direction, Money};
use purse_ledger::{CreateTransferError, TransferRequest};

use crate::flows::error::{Forbidden, Missing};
use crate::flows::{FlowError, Flows, funding, wallet};
use crate::ids::{PersonId, Slot};
use crate::store::audit::NewEntry;
use crate::store::cases::{self, CaseRow, DecisionRow, StoredEvidence, StoredMatch};
use crate::store::operations::{KeyOutcome, Settlement};
use crate::store::payments::{PaymentRow, PaymentState, StateChange};
use crate::store::people::UserRow;
use crate::time::Time;

/// Cases from this amount (USD) have a report.
pub const REPORT_FROM_MINOR: i64 = 200_000;

fn not_found() -> FlowError {
    FlowError::NotFound(Missing::Thing)
}

/// An officer's note: required, at most [`NOTE_MAX_CHARS`], cleaned like all person-written text.
pub fn note(text: &str) -> Result<String, FlowError> {
    let cleaned = purse_api::text::clean_text(text, purse_api::text::Lines::Many);
    if cleaned.is_empty() || cleaned.chars().count() > NOTE_MAX_CHARS {
        return Err(FlowError::InvalidNote);
    }
    Ok(cleaned)
}

/// The case a public id names.
async fn find(flows: &Flows, public_id: &str) -> Result<CaseRow, FlowError> {
    let id = flows.ids.decode("cs", public_id).ok_or_else(not_found)?;
    flows.db.case(id).await?.ok_or_else(not_found)
}

/// `GET /ops/cases`: open cases (or closed ones), newest first.
/// `before` is a cursor's position (the last case id of the page before).
pub async fn list(flows: &Flows, open: bool, limit: u32, before: Option<i64>) -> Result<CasePage, FlowError> {
    let rows = flows.db.cases(open, before, i64::from(limit) + 1).await?;
    let (rows, next_cursor) = super::page(flows, rows, limit, |row| row.id);
    Ok(CasePage { items: views(flows, &rows).await?, next_cursor })
}

/// `GET /ops/cases/{id}`: the case with the person's recent activity.
pub async fn get(flows: &Flows, public_id: &str) -> Result<Case, FlowError> {
    let row = find(flows, public_id).await?;
    detailed(flows, &row).await
}

async fn detailed(flows: &Flows, row: &CaseRow) -> Result<Case, FlowError> {
    let mut case = views(flows, std::slice::from_ref(row)).await?.pop().ok_or_else(not_found)?;
    case.evidence.recent_activity = wallet::activity_page(flows, row.subject_id, None, 20).await?.items;
    Ok(case)
}

/// The cases as officers read them, with every lookup done once.
pub async fn views(flows: &Flows, rows: &[CaseRow]) -> Result<Vec<Case>, FlowError> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let decisions = flows.db.decisions(&ids).await?;
    let mut people: Vec<PersonId> = rows
        .iter()
        .flat_map(|row| [Some(row.subject_id), row.payer_id, row.counterparty_id])
        .flatten()
        .chain(decisions.iter().map(|d| d.operator_id))
        .collect();
    people.sort_unstable();
    people.dedup();
    let users: HashMap<PersonId, UserRow> =
        flows.db.users_by_ids(&people).await?.into_iter().map(|user| (user.id, user)).collect();
    let mut withdrawals = HashMap::new();
    for row in rows.iter().filter(|row| row.movement == "withdrawal") {
        if let Some(operation) = row.operation_id
            && let Some(withdrawal) = flows.db.withdrawal(operation).await?
        {
            withdrawals.insert(row.id, funding::destination_label(flows, &withdrawal).await?);
        }
    }
    let t = flows.settings.monitoring;
    rows.iter()
        .map(|row| {
            let handle =
                |id: PersonId| users.get(&id).map_or_else(|| "?".to_owned(), |u| format!("@{}", u.handle));
            let subject =
                users.get(&row.subject_id).ok_or_else(|| FlowError::internal("a case's person vanished"))?;
            let reason = ReasonCode::parse(&row.reason_code).ok_or_else(|| {
                FlowError::internal(format!("a stored reason code is not one: {}", row.reason_code))
            })?;
            let StoredEvidence { inputs, hits, sanctions } = StoredEvidence::parse(&row.evidence)?;
            let sanctions = sanctions.map(|m| SanctionsEvidence {
                name: m.name,
                handle: format!("@{}", subject.handle),
                list_version: m.list_version,
                entry: m.entry,
                score: m.score,
            });
            let currency = Currency::from_code(&row.currency).unwrap_or(Currency::Usd);
            let movement = row.operation_id.map(|operation| CaseMovement {
                activity_id: flows.ids.encode("tr", operation.transfer(Slot::Main).0),
                kind: if row.movement == "withdrawal" { "withdrawal" } else { "transfer" }.to_owned(),
                amount: Money::from_minor(row.amount, currency).amount_string(),
                currency,
                from: row.payer_id.map(handle).unwrap_or_default(),
                to: match row.counterparty_id {
                    Some(id) => handle(id),
                    None => withdrawals.get(&row.id).cloned().unwrap_or_else(|| "bank".to_owned()),
                },
                created_at: row.opened_at.rfc3339(),
            });
            let of = |d: &DecisionRow| Approval {
                operator: users.get(&d.operator_id).map_or_else(String::new, |u| u.handle.clone()),
                at: d.at.rfc3339(),
                note: d.note.clone(),
            };
            let mine = decisions.iter().filter(|d| d.case_id == row.id);
            Ok(Case {
                id: flows.ids.encode("cs", row.id),
                reason_code: reason,
                status: row.status,
                person: CasePerson {
                    handle: subject.handle.clone(),
                    display_name: subject.display_name.clone(),
                    tier: u8::try_from(subject.tier).unwrap_or(0),
                    status: subject.status,
                },
                movement,
                evidence: Evidence {
                    rule: rule_sentence(reason, &t),
                    inputs,
                    hits,
                    sanctions,
                    recent_activity: Vec::new(),
                },
                approvals: mine.clone().filter(|d| d.decision == "approve").map(of).collect(),
                rejection: mine.clone().find(|d| d.decision == "reject").map(of),
                approvals_needed: u8::try_from(row.approvals_needed).unwrap_or(1),
                opened_at: row.opened_at.rfc3339(),
                closed_at: row.closed_at.map(Time::rfc3339),
            })
        })
        .collect()
}

/// The audit log's subject for a case.
fn subject(flows: &Flows, row: &CaseRow) -> String {
    format!("case:{}", flows.ids.encode("cs", row.id))
}

/// The audit log's subject for a person.
fn person_subject(handle: &str) -> String {
    format!("person:@{handle}")
}

/// An audit entry now, by `actor` (an officer's handle, or [`SYSTEM`]).
fn entry(flows: &Flows, actor: &str, action: &str, subject: String, note: &str) -> NewEntry {
    NewEntry {
        at: flows.now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject,
        note: note.to_owned(),
    }
}

/// The actor of what the server does itself.
const SYSTEM: &str = "system";

/// Refuses an officer deciding a case they are part of (their own payment, or one to them).
fn not_a_party(officer: &UserRow, row: &CaseRow) -> Result<(), FlowError> {
    let parties = [Some(row.subject_id), row.payer_id, row.counterparty_id];
    if parties.contains(&Some(officer.id)) {
        return Err(FlowError::Forbidden(Forbidden::OwnCase));
    }
    Ok(())
}

/// `POST /ops/cases/{id}/approve`.
pub async fn approve(
    flows: &Flows,
    officer: &UserRow,
    public_id: &str,
    text: &str,
) -> Result<Case, FlowError> {
    let note = note(text)?;
    let row = find(flows, public_id).await?;
    not_a_party(officer, &row)?;
    match row.status {
        CaseStatus::Approved => return detailed(flows, &row).await,
        CaseStatus::Rejected => return Err(FlowError::CaseClosed(CaseStatus::Rejected)),
        CaseStatus::Open => {}
    }
    let approvals = |decisions: &[DecisionRow]| {
        let mut officers: Vec<PersonId> =
            decisions.iter().filter(|d| d.decision == "approve").map(|d| d.operator_id).collect();
        officers.sort_unstable();
        officers.dedup();
        officers
    };
    let before = approvals(&flows.db.decisions(&[row.id]).await?);
    let needed = usize::try_from(row.approvals_needed).unwrap_or(1);
    if before.contains(&officer.id) {
        return Err(FlowError::SecondApproverRequired);
    }
    let mut record = true;
    if before.len() + 1 < needed {
        // The first of two: recorded, the case stays open.
        let statements = cases::decide(row.id, officer.id, "approve", &note, flows.now());
        let entries = vec![entry(flows, &officer.handle, "case.approval", subject(flows, &row), &note)];
        flows.batcher.audited(statements, entries).await?;
        if approvals(&flows.db.decisions(&[row.id]).await?).len() < needed {
            return get(flows, public_id).await;
        }
        // Another officer approved meanwhile: this approval completes it.
        record = false;
    }
    let now = flows.now();
    let mut statements =
        if record { cases::decide(row.id, officer.id, "approve", &note, now) } else { Vec::new() };
    statements.push(cases::close(row.id, CaseStatus::Approved, now));
    if row.reason_code == ReasonCode::SanctionsMatch.as_str() {
        statements.extend(cases::clear_screenings(row.subject_id));
    }
    let entries = vec![entry(flows, &officer.handle, "case.approved", subject(flows, &row), &note)];
    decided(flows, &row, CaseStatus::Approved, statements, entries).await
}

/// `POST /ops/cases/{id}/reject`.
pub async fn reject(
    flows: &Flows,
    officer: &UserRow,
    public_id: &str,
    text: &str,
) -> Result<Case, FlowError> {
    let note = note(text)?;
    let row = find(flows, public_id).await?;
    not_a_party(officer, &row)?;
    match row.status {
        CaseStatus::Rejected => return detailed(flows, &row).await,
        CaseStatus::Approved => return Err(FlowError::CaseClosed(CaseStatus::Approved)),
        CaseStatus::Open => {}
    }
    let now = flows.now();
    let mut statements = cases::decide(row.id, officer.id, "reject", &note, now);
    statements.push(cases::close(row.id, CaseStatus::Rejected, now));
    statements.extend(row.operation_id.map(cases::forget_watch));
    let mut entries = vec![entry(flows, &officer.handle, "case.rejected", subject(flows, &row), &note)];
    if row.reason_code == ReasonCode::SanctionsMatch.as_str() {
        // A match an officer confirms: nothing moves for that person any more.
        statements.push(cases::freeze(row.subject_id));
        let person = flows.db.users_by_ids(&[row.subject_id]).await?.pop().ok_or_else(not_found)?;
        entries.push(entry(flows, &officer.handle, "person.frozen", person_subject(&person.handle), &note));
    }
    decided(flows, &row, CaseStatus::Rejected, statements, entries).await
}

/// Records a decision (the case closed as `status`, guarded on it being open, with its audit
/// entries, in one transaction), then moves the money as decided. Only one decision ever closes
/// a case, so an approval and a rejection racing cannot both act; the money moves after the
/// decision is durable, and [`tick`] finishes it if that fails or the server stops (the case
/// stays `settled = 0` until it has).
async fn decided(
    flows: &Flows,
    row: &CaseRow,
    status: CaseStatus,
    statements: Vec<crate::store::Statement>,
    entries: Vec<NewEntry>,
) -> Result<Case, FlowError> {
    let (closed, _) = flows.batcher.audited(statements, entries).await?;
    let now_row = flows.db.case(row.id).await?.ok_or_else(not_found)?;
    if !closed && now_row.status != status {
        return Err(FlowError::CaseClosed(now_row.status));
    }
    if let Err(error) = settle(flows, &now_row).await {
        tracing::warn!(%error, case = row.id, "a decided case's money did not move yet; the job retries");
    }
    // Settling changes nothing an officer reads.
    detailed(flows, &now_row).await
}

/// Moves the money of a decided case, if it has not moved yet: approved, the held movement
/// completes (a payment or tip posted, a withdrawal sent); rejected, it is voided (the money back
/// with the payer, a paid request open again). Marks the case settled once nothing is left to
/// do. A movement still being made (its hold not yet in the ledger) waits for the next try.
/// Safe to run twice at once: the ledger's fixed ids and the rows' guarded states decide.
pub async fn settle(flows: &Flows, row: &CaseRow) -> Result<(), FlowError> {
    if row.status == CaseStatus::Open || row.settled {
        return Ok(());
    }
    let approved = row.status == CaseStatus::Approved;
    let done = match (row.operation_id, row.movement.as_str()) {
        (Some(operation), "payment") => {
            let payment = flows.db.payment_by_operation(operation).await?;
            match payment {
                None => false,
                Some(payment) => match payment.state {
                    PaymentState::Processing => false,
                    PaymentState::Pending if approved => {
                        post_held(flows, &payment).await?;
                        true
                    }
                    PaymentState::Pending => {
                        void_held(flows, &payment).await?;
                        true
                    }
                    PaymentState::Completed | PaymentState::Canceled | PaymentState::Failed => true,
                },
            }
        }
        (Some(operation), "withdrawal") => {
            if approved {
                funding::release_held(flows, operation).await?
            } else {
                funding::void_held(flows, operation).await?
            }
        }
        _ => true,
    };
    if done {
        flows.batcher.apply(vec![cases::settled(row.id)]).await?;
    }
    Ok(())
}

/// Posts a held payment (a tip with its fee).
async fn post_held(flows: &Flows, payment: &PaymentRow) -> Result<(), FlowError> {
    let operation = payment.operation_id;
    if let Some(tip) = flows.db.tip(operation).await? {
        super::tips::release_held(flows, payment, tip.fee).await?;
    } else {
        let post = TransferRequest::post(
            operation.transfer(Slot::Post).0,
            payment.transfer_id.0,
            payment.amount.cast_unsigned(),
        );
        match flows.ledger.create_transfer(post).await? {
            Ok(_) | Err(CreateTransferError::PendingTransferAlreadyPosted) => {}
            Err(reason) => {
                return Err(FlowError::internal(format!("the ledger refused a release: {reason:?}")));
            }
        }
    }
    let change = StateChange { from: &[PaymentState::Pending], to: PaymentState::Completed };
    flows.batcher.settle(Settlement { operation, payment: Some(change), key: KeyOutcome::Keep }).await?;
    Ok(())
}

/// Voids a held payment: the money back with the payer, its limits given back (the payment
/// canceled, in the same batch), a paid request open again.
async fn void_held(flows: &Flows, payment: &PaymentRow) -> Result<(), FlowError> {
    let operation = payment.operation_id;
    let void = TransferRequest::void(operation.transfer(Slot::Void).0, payment.transfer_id.0);
    match flows.ledger.create_transfer(void).await? {
        Ok(_) | Err(CreateTransferError::PendingTransferAlreadyVoided) => {}
        Err(reason) => return Err(FlowError::internal(format!("the ledger refused a void: {reason:?}"))),
    }
    let change = StateChange { from: &[PaymentState::Pending], to: PaymentState::Canceled };
    flows.batcher.settle(Settlement { operation, payment: Some(change), key: KeyOutcome::Keep }).await?;
    if let Some(request) = payment.request_id {
        flows.batcher.apply(vec![cases::reopen_request(request, operation, flows.now())]).await?;
    }
    Ok(())
}

/// The job: finishes decided cases whose money has not moved, and closes open cases whose
/// movement never happened (the ledger refused it for want of money), as `system`.
pub async fn tick(flows: &Flows) {
    match flows.db.cases_unsettled().await {
        Ok(rows) => {
            for row in rows {
                if let Err(error) = settle(flows, &row).await {
                    tracing::warn!(%error, case = row.id, "a decided case's money did not move; retrying");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "could not read the decided cases; retrying"),
    }
    match flows.db.cases_of_failed_movements().await {
        Ok(rows) => {
            for row in rows {
                let now = flows.now();
                let statements =
                    vec![cases::close(row.id, CaseStatus::Rejected, now), cases::settled(row.id)];
                let note = "The held movement did not go through: the payer's balance could not cover it.";
                let system = entry(flows, SYSTEM, "case.closed", subject(flows, &row), note);
                if let Err(error) = flows.batcher.audited(statements, vec![system]).await {
                    tracing::warn!(%error, case = row.id, "could not close a case whose movement failed; retrying");
                }
            }
        }
        Err(error) => tracing::warn!(%error, "could not read cases of failed movements; retrying"),
    }
}

/// Runs [`tick`] at once and then every second until the server stops.
pub fn spawn_jobs(flows: &Flows) -> tokio::task::JoinHandle<()> {
    flows.spawn_every_second(|flows| async move { tick(&flows).await })
}

async fn person_by_handle(flows: &Flows, handle: &str) -> Result<UserRow, FlowError> {
    let handle = handle.trim_start_matches('@').to_ascii_lowercase();
    flows.db.user_by_handle(&handle).await?.ok_or_else(not_found)
}

fn ops_person(user: &UserRow, full: bool) -> OpsPerson {
    OpsPerson {
        handle: user.handle.clone(),
        status: user.status,
        display_name: full.then(|| user.display_name.clone()),
        tier: full.then(|| u8::try_from(user.tier).unwrap_or(0)),
    }
}

/// `GET /ops/people/{handle}`.
pub async fn person(flows: &Flows, handle: &str) -> Result<OpsPersonPage, FlowError> {
    let user = person_by_handle(flows, handle).await?;
    let rows = flows.db.cases_of(user.id).await?;
    Ok(OpsPersonPage { person: ops_person(&user, true), cases: views(flows, &rows).await? })
}

/// `POST /ops/people/{handle}/freeze` (`frozen`) and `/unfreeze` (back to `active`, or
/// `restricted` when they live where Purse is not licensed).
pub async fn set_frozen(
    flows: &Flows,
    officer: &UserRow,
    handle: &str,
    frozen: bool,
    text: &str,
) -> Result<OpsPerson, FlowError> {
    let note = note(text)?;
    let user = person_by_handle(flows, handle).await?;
    let (statement, action, to) = if frozen {
        (cases::freeze(user.id), "person.frozen", AccountStatus::Frozen)
    } else {
        let licensed =
            user.region_state.as_deref().is_none_or(|state| flows.settings.licensed_states.contains(state));
        let to = if licensed { AccountStatus::Active } else { AccountStatus::Restricted };
        (cases::set_status(user.id, &["frozen"], to.as_str()), "person.unfrozen", to)
    };
    let entries = vec![entry(flows, &officer.handle, action, person_subject(&user.handle), &note)];
    let (changed, _) = flows.batcher.audited(vec![statement.must_change()], entries).await?;
    let status =
        if changed { to } else { flows.db.users_by_ids(&[user.id]).await?.pop().map_or(to, |u| u.status) };
    Ok(OpsPerson { status, ..ops_person(&user, false) })
}

/// `GET /ops/cases/{id}/report`: for cases of [`REPORT_FROM_MINOR`] or more.
pub async fn report(flows: &Flows, officer: &UserRow, public_id: &str) -> Result<CaseReport, FlowError> {
    let row = find(flows, public_id).await?;
    if row.amount < REPORT_FROM_MINOR {
        return Err(not_found());
    }
    // Who exported what a regulator may be sent, and when.
    let exported =
        entry(flows, &officer.handle, "case.report_exported", subject(flows, &row), "SAR-ready report");
    flows.batcher.audited(Vec::new(), vec![exported]).await?;
    let case = views(flows, std::slice::from_ref(&row)).await?.pop().ok_or_else(not_found)?;
    let subject = flows.db.users_by_ids(&[row.subject_id]).await?.pop().ok_or_else(not_found)?;
    let kept = flows.db.latest_verification(subject.id, Some(1)).await?.map(|v| v.kept);
    let since = row.opened_at.minus_seconds(30 * 86_400);
    let page = wallet::activity_page(flows, subject.id, None, 100).await?;
    let currency = Currency::from_code(&row.currency).unwrap_or(Currency::Usd);
    let mut movements: Vec<ReportMovement> = Vec::new();
    if let Some(held) = &case.movement {
        movements.push(ReportMovement {
            activity_id: held.activity_id.clone(),
            kind: held.kind.clone(),
            direction: "out".to_owned(),
            status: format!("{:?}", case.status).to_lowercase(),
            amount: held.amount.clone(),
            currency: held.currency,
            counterparty: Some(held.to.clone()),
            at: held.created_at.clone(),
        });
    }
    for item in page.items {
        // RFC 3339 in UTC, written alike: their order is the text's.
        if item.created_at < since.rfc3339()
            || case.movement.as_ref().is_some_and(|m| m.activity_id == item.id)
        {
            continue;
        }
        movements.push(ReportMovement {
            activity_id: item.id,
            kind: serde_json::to_value(item.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            direction: if item.direction == Direction::In { "in" } else { "out" }.to_owned(),
            status: serde_json::to_value(item.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            amount: item.amount,
            currency: item.currency,
            counterparty: item.counterparty.map(|c| format!("@{}", c.handle)),
            at: item.created_at,
        });
    }
    let times: Vec<&String> = movements.iter().map(|m| &m.at).collect();
    let first = times.iter().min().map_or_else(|| row.opened_at.rfc3339(), |t| (*t).clone());
    let last = times.iter().max().map_or_else(|| row.opened_at.rfc3339(), |t| (*t).clone());
    let mut notes: Vec<Approval> = case.approvals.clone();
    notes.extend(case.rejection.clone());
    notes.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(CaseReport {
        case_id: case.id.clone(),
        generated_at: flows.now().rfc3339(),
        reason_code: case.reason_code,
        rule: case.evidence.rule.clone(),
        status: case.status,
        subject: ReportSubject {
            handle: subject.handle.clone(),
            display_name: subject.display_name.clone(),
            tier: u8::try_from(subject.tier).unwrap_or(0),
            status: subject.status,
            legal_name: kept.as_ref().and_then(|k| k.legal_name.clone()),
            date_of_birth: kept.as_ref().and_then(|k| k.date_of_birth.clone()),
            address: kept.as_ref().and_then(|k| {
                Some(format!(
                    "{}, {}, {} {}",
                    k.address_line1.as_deref()?,
                    k.address_city.as_deref()?,
                    k.address_state.as_deref()?,
                    k.address_postal_code.as_deref()?
                ))
            }),
            ssn_last4: kept.as_ref().and_then(|k| k.ssn_last4.clone()),
            joined_at: subject.created_at.rfc3339(),
        },
        movements,
        total_amount: Money::from_minor(row.amount, currency).amount_string(),
        currency,
        first_movement_at: first,
        last_movement_at: last,
        notes,
    })
}

/// A sanctions hit at verification (no money held): a case for officers, and its audit entry.
pub async fn open_for_verification(
    flows: &Flows,
    person: PersonId,
    sanctions: StoredMatch,
) -> Result<(), FlowError> {
    let handle = flows.db.users_by_ids(&[person]).await?.pop().map(|u| u.handle).unwrap_or_default();
    let evidence = StoredEvidence {
        hits: vec![ReasonCode::SanctionsMatch],
        sanctions: Some(sanctions),
        ..Default::default()
    };
    let statement = cases::open_verification_case(person, &evidence, flows.now());
    let note = ReasonCode::SanctionsMatch.as_str();
    let system = entry(flows, SYSTEM, "case.opened", person_subject(&handle), note);
    flows.batcher.audited(vec![statement], vec![system]).await?;
    Ok(())
}

/// Makes `handle` a compliance officer (`serve --officer`, the demo), with an audit entry when
/// that changed anything. `false`: nobody has that handle.
pub async fn grant_officer(flows: &Flows, handle: &str) -> Result<bool, FlowError> {
    let Some(user) = flows.db.user_by_handle(handle).await? else { return Ok(false) };
    if !user.officer {
        let note = "The compliance role, given at start-up.";
        let granted = entry(flows, SYSTEM, "officer.granted", person_subject(&user.handle), note);
        let grant = crate::store::people::make_officer(&user.handle).must_change();
        flows.batcher.audited(vec![grant], vec![granted]).await?;
    }
    Ok(true)
}
