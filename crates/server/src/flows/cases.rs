//! What compliance officers do (`/ops`): the queue of cases, a case with its evidence, approving
//! (the held movement completes) and rejecting (it is voided, the money back with the payer),
//! freezing and unfreezing a person, and a case's report. Every decision is written with its
//! audit entry in one transaction (`WriteBatcher::audited`); money moves first, by the held
//! transfer's fixed ids, so the ledger decides between an approval and a rejection racing, and
//! an officer's retry after a failure finishes what moved.
//!
//! The two-person rule: a case at or above `Thresholds::two_person_minor` needs approvals of two
//! different officers; the same officer approving again is `second_approver_required`. Each
//! approval is recorded, and whoever's approval makes the count completes the movement (two at
//! once both complete it: posting is idempotent).

use std::collections::{BTreeMap, HashMap};

use purse_api::compliance::AccountStatus;
use purse_api::ops::{
    Approval, Case, CaseMovement, CasePage, CasePerson, CaseReport, CaseStatus, Evidence, NOTE_MAX_CHARS,
    OpsPerson, OpsPersonPage, ReasonCode, ReportMovement, ReportSubject, SanctionsEvidence, rule_sentence,
};
use purse_api::{Currency, Direction, Money};
use purse_ledger::{CreateTransferError, TransferRequest};

use crate::flows::error::Missing;
use crate::flows::{FlowError, Flows, funding, wallet};
use crate::ids::{PersonId, Slot};
use crate::store::audit::NewEntry;
use crate::store::cases::{self, CaseRow, DecisionRow};
use crate::store::operations::{KeyOutcome, Settlement};
use crate::store::payments::{PaymentState, StateChange};
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
    let limit = i64::from(limit.clamp(1, 100));
    let mut rows = flows.db.cases(open, before, limit + 1).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = if more { rows.last().map(|row| flows.ids.cursor(row.id)) } else { None };
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
            let stored: serde_json::Value =
                serde_json::from_str(&row.evidence).map_err(FlowError::internal)?;
            let inputs: BTreeMap<String, String> =
                serde_json::from_value(stored["inputs"].clone()).unwrap_or_default();
            let hits: Vec<ReasonCode> = serde_json::from_value(stored["hits"].clone()).unwrap_or_default();
            let sanctions = stored.get("sanctions").filter(|s| !s.is_null()).map(|s| SanctionsEvidence {
                name: s["name"].as_str().unwrap_or_default().to_owned(),
                handle: format!("@{}", subject.handle),
                list_version: s["list_version"].as_str().unwrap_or_default().to_owned(),
                entry: s["entry"].as_str().unwrap_or_default().to_owned(),
                score: s["score"].as_str().unwrap_or_default().to_owned(),
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

fn entry(flows: &Flows, officer: &UserRow, action: &str, subject: String, note: &str) -> NewEntry {
    NewEntry {
        at: flows.now(),
        actor: officer.handle.clone(),
        action: action.to_owned(),
        subject,
        note: note.to_owned(),
    }
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
    if before.len() + 1 < needed {
        // The first of two: recorded, the case stays open.
        let statements = cases::decide(row.id, officer.id, "approve", &note, flows.now());
        let entries = vec![entry(flows, officer, "case.approval", subject(flows, &row), &note)];
        flows.batcher.audited(statements, entries).await?;
        let after = approvals(&flows.db.decisions(&[row.id]).await?);
        if after.len() < needed {
            return get(flows, public_id).await;
        }
        // Another officer approved meanwhile: this approval completes it.
        return complete(flows, officer, &row, &note, false).await;
    }
    complete(flows, officer, &row, &note, true).await
}

/// Moves the held money (or clears the hit) and closes the case as approved, with its audit
/// entry; `record` also records this officer's approval.
async fn complete(
    flows: &Flows,
    officer: &UserRow,
    row: &CaseRow,
    note: &str,
    record: bool,
) -> Result<Case, FlowError> {
    release(flows, row).await?;
    let now = flows.now();
    let mut statements =
        if record { cases::decide(row.id, officer.id, "approve", note, now) } else { Vec::new() };
    statements.push(cases::close(row.id, CaseStatus::Approved, now));
    if row.reason_code == ReasonCode::SanctionsMatch.as_str() {
        statements.extend(cases::clear_screenings(row.subject_id));
    }
    let entries = vec![entry(flows, officer, "case.approved", subject(flows, row), note)];
    let (closed, _) = flows.batcher.audited(statements, entries).await?;
    if !closed {
        // Decided meanwhile (by another officer): the case as it stands.
        let now_row = flows.db.case(row.id).await?.ok_or_else(not_found)?;
        if now_row.status == CaseStatus::Rejected {
            return Err(FlowError::CaseClosed(CaseStatus::Rejected));
        }
    }
    let row = flows.db.case(row.id).await?.ok_or_else(not_found)?;
    detailed(flows, &row).await
}

/// Completes the held movement: a payment's pending transfer posted, a withdrawal sent.
async fn release(flows: &Flows, row: &CaseRow) -> Result<(), FlowError> {
    let Some(operation) = row.operation_id else { return Ok(()) };
    match row.movement.as_str() {
        "payment" => {
            let payment = flows.db.payment_by_operation(operation).await?.ok_or_else(not_found)?;
            if let Some(tip) = flows.db.tip(operation).await? {
                super::tips::release_held(flows, &payment, tip.fee).await?;
            } else {
                let post = TransferRequest::post(
                    operation.transfer(Slot::Post).0,
                    payment.transfer_id.0,
                    payment.amount.cast_unsigned(),
                );
                match flows.ledger.create_transfer(post).await? {
                    Ok(_) | Err(CreateTransferError::PendingTransferAlreadyPosted) => {}
                    Err(CreateTransferError::PendingTransferAlreadyVoided) => {
                        return Err(FlowError::CaseClosed(CaseStatus::Rejected));
                    }
                    Err(reason) => {
                        return Err(FlowError::internal(format!("the ledger refused a release: {reason:?}")));
                    }
                }
            }
            let change = StateChange {
                from: &[PaymentState::Pending, PaymentState::Processing],
                to: PaymentState::Completed,
            };
            flows
                .batcher
                .settle(Settlement { operation, payment: Some(change), key: KeyOutcome::Keep })
                .await?;
            Ok(())
        }
        "withdrawal" => funding::release_held(flows, operation).await,
        _ => Ok(()),
    }
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
    match row.status {
        CaseStatus::Rejected => return detailed(flows, &row).await,
        CaseStatus::Approved => return Err(FlowError::CaseClosed(CaseStatus::Approved)),
        CaseStatus::Open => {}
    }
    if let Some(operation) = row.operation_id {
        match row.movement.as_str() {
            "payment" => {
                let payment = flows.db.payment_by_operation(operation).await?.ok_or_else(not_found)?;
                let void = TransferRequest::void(operation.transfer(Slot::Void).0, payment.transfer_id.0);
                match flows.ledger.create_transfer(void).await? {
                    Ok(_) | Err(CreateTransferError::PendingTransferAlreadyVoided) => {}
                    Err(CreateTransferError::PendingTransferAlreadyPosted) => {
                        return Err(FlowError::CaseClosed(CaseStatus::Approved));
                    }
                    Err(reason) => {
                        return Err(FlowError::internal(format!("the ledger refused a void: {reason:?}")));
                    }
                }
                // Canceled: its limit uses are given back in the same batch.
                let change = StateChange {
                    from: &[PaymentState::Pending, PaymentState::Processing],
                    to: PaymentState::Canceled,
                };
                flows
                    .batcher
                    .settle(Settlement { operation, payment: Some(change), key: KeyOutcome::Keep })
                    .await?;
                if let Some(request) = payment.request_id {
                    flows.batcher.apply(vec![cases::reopen_request(request, operation, flows.now())]).await?;
                }
            }
            "withdrawal" => funding::void_held(flows, operation).await?,
            _ => {}
        }
    }
    let now = flows.now();
    let mut statements = cases::decide(row.id, officer.id, "reject", &note, now);
    statements.push(cases::close(row.id, CaseStatus::Rejected, now));
    let mut entries = vec![entry(flows, officer, "case.rejected", subject(flows, &row), &note)];
    if row.reason_code == ReasonCode::SanctionsMatch.as_str() {
        // A match an officer confirms: nothing moves for that person any more.
        statements.push(cases::set_status(
            row.subject_id,
            &["active", "under_review", "restricted"],
            "frozen",
        ));
        let person = flows.db.users_by_ids(&[row.subject_id]).await?.pop().ok_or_else(not_found)?;
        entries.push(entry(flows, officer, "person.frozen", format!("person:@{}", person.handle), &note));
    }
    let (closed, _) = flows.batcher.audited(statements, entries).await?;
    if !closed {
        let now_row = flows.db.case(row.id).await?.ok_or_else(not_found)?;
        if now_row.status == CaseStatus::Approved {
            return Err(FlowError::CaseClosed(CaseStatus::Approved));
        }
    }
    let row = flows.db.case(row.id).await?.ok_or_else(not_found)?;
    detailed(flows, &row).await
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
        (
            cases::set_status(user.id, &["active", "under_review", "restricted"], "frozen"),
            "person.frozen",
            AccountStatus::Frozen,
        )
    } else {
        let licensed =
            user.region_state.as_deref().is_none_or(|state| flows.settings.licensed_states.contains(state));
        let to = if licensed { AccountStatus::Active } else { AccountStatus::Restricted };
        (cases::set_status(user.id, &["frozen"], to.as_str()), "person.unfrozen", to)
    };
    let entries = vec![entry(flows, officer, action, format!("person:@{}", user.handle), &note)];
    let (changed, _) = flows.batcher.audited(vec![statement.must_change()], entries).await?;
    let status =
        if changed { to } else { flows.db.users_by_ids(&[user.id]).await?.pop().map_or(to, |u| u.status) };
    Ok(OpsPerson { status, ..ops_person(&user, false) })
}

/// `GET /ops/cases/{id}/report`: for cases of [`REPORT_FROM_MINOR`] or more.
pub async fn report(flows: &Flows, public_id: &str) -> Result<CaseReport, FlowError> {
    let row = find(flows, public_id).await?;
    if row.amount < REPORT_FROM_MINOR {
        return Err(not_found());
    }
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
    sanctions: serde_json::Value,
) -> Result<(), FlowError> {
    let evidence =
        serde_json::json!({"inputs": {}, "hits": [ReasonCode::SanctionsMatch], "sanctions": sanctions});
    let now = flows.now();
    let statement = cases::open_verification_case(person, &evidence.to_string(), now);
    let system = NewEntry {
        at: now,
        actor: "system".to_owned(),
        action: "case.opened".to_owned(),
        subject: format!("person:{}", person.0),
        note: ReasonCode::SanctionsMatch.as_str().to_owned(),
    };
    flows.batcher.audited(vec![statement], vec![system]).await?;
    Ok(())
}
