//! The compliance console's decisions (`pages::ops_queue`, `ops_case`, `ops_person`,
//! `ops_audit`): who may see it, the decision note's check (before any request), the queue
//! paged by cursor and kept live by `case` events (replaced by id, inserted newest first, a
//! closed case dropped from the Open view), the approvals-needed sentence, when a case has a
//! report, the words for a reason and a status, and the audit chain's mark.

use purse_api::ops::{Case, CasePage, CaseStatus, ChainCheck, NOTE_MAX_CHARS, ReasonCode};
use purse_api::{ErrorCode, Money, Role, User};

use crate::format;
use crate::text::{Ops, t};

/// Whether `user` is a compliance officer (everyone else gets the not-found page at `/ops`).
pub fn is_officer(user: &User) -> bool {
    user.roles.contains(&Role::Compliance)
}

/// What is wrong with a decision's note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteProblem {
    Empty,
    TooLong,
}

impl NoteProblem {
    pub fn message(self) -> &'static str {
        t(match self {
            NoteProblem::Empty => Ops::NoteEmpty,
            NoteProblem::TooLong => Ops::NoteTooLong,
        })
    }
}

/// The note as sent (trimmed), or why none can be: empty (or only spaces), or over
/// [`NOTE_MAX_CHARS`] characters (not bytes: Arabic notes count as people count).
pub fn check_note(note: &str) -> Result<String, NoteProblem> {
    let note = note.trim();
    if note.is_empty() {
        Err(NoteProblem::Empty)
    } else if note.chars().count() > NOTE_MAX_CHARS {
        Err(NoteProblem::TooLong)
    } else {
        Ok(note.to_string())
    }
}

/// Which cases a queue lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueView {
    Open,
    Closed,
}

impl QueueView {
    /// `status=` of `GET /ops/cases`.
    pub fn query(self) -> &'static str {
        match self {
            QueueView::Open => "open",
            QueueView::Closed => "closed",
        }
    }

    pub fn holds(self, status: CaseStatus) -> bool {
        (status == CaseStatus::Open) == (self == QueueView::Open)
    }
}

/// What a live case did to a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveChange {
    /// New to the list (worth announcing).
    Added,
    /// Already listed: replaced where it was.
    Replaced,
    /// Listed, but no longer this view's (closed while the Open view shows): dropped.
    Removed,
    /// Not this view's, or older than the pages read so far (the next page brings it).
    Ignored,
}

/// A queue of cases, newest first, read a page at a time and kept live.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    pub view: QueueView,
    pub items: Vec<Case>,
    pub next_cursor: Option<String>,
    /// The first page has arrived.
    pub loaded: bool,
    pub loading: bool,
    /// The last read failed, with this message.
    pub error: Option<String>,
}

impl Queue {
    pub fn new(view: QueueView) -> Queue {
        Queue { view, items: Vec::new(), next_cursor: None, loaded: false, loading: false, error: None }
    }

    /// Starts reading the next page: `Some(cursor)` to ask with (`None` inside: the first page),
    /// or `None` when a read is under way or every page is read.
    pub fn start_next(&mut self) -> Option<Option<String>> {
        if self.loading || (self.loaded && self.next_cursor.is_none()) {
            return None;
        }
        self.loading = true;
        self.error = None;
        Some(self.next_cursor.clone())
    }

    /// A page arrived: its cases after those listed (a case listed already, live, is not
    /// listed twice).
    pub fn apply_page(&mut self, page: CasePage) {
        for case in page.items {
            if !self.items.iter().any(|listed| listed.id == case.id) {
                self.items.push(case);
            }
        }
        self.next_cursor = page.next_cursor;
        self.loaded = true;
        self.loading = false;
    }

    pub fn fail(&mut self, message: String) {
        self.loading = false;
        self.error = Some(message);
    }

    /// Whether more pages can be asked for.
    pub fn has_more(&self) -> bool {
        self.loaded && self.next_cursor.is_some()
    }

    /// A `case` event: the case new or changed.
    pub fn merge_live(&mut self, case: Case) -> LiveChange {
        let listed = self.items.iter().position(|item| item.id == case.id);
        match (listed, self.view.holds(case.status)) {
            (Some(index), true) => {
                self.items[index] = case;
                LiveChange::Replaced
            }
            (Some(index), false) => {
                self.items.remove(index);
                LiveChange::Removed
            }
            (None, false) => LiveChange::Ignored,
            (None, true) => {
                let at = self.items.iter().position(|item| newer(&case, item));
                match at {
                    Some(index) => self.items.insert(index, case),
                    // Older than all listed: the end, unless a page still to read holds it.
                    None if self.next_cursor.is_some() || !self.loaded => return LiveChange::Ignored,
                    None => self.items.push(case),
                }
                LiveChange::Added
            }
        }
    }
}

/// Whether `a` comes before `b` newest first (RFC 3339 UTC times compare as text; the id
/// breaks ties).
fn newer(a: &Case, b: &Case) -> bool {
    (a.opened_at.as_str(), a.id.as_str()) > (b.opened_at.as_str(), b.id.as_str())
}

/// A handle as the console shows it, with one `@` however the server wrote it (`alice`,
/// `@alice`); a movement's other side that is no handle (`bank ••6789`) stays as written.
pub fn at_handle(handle: &str) -> String {
    if handle.contains(' ') { handle.to_string() } else { format!("@{}", handle.trim_start_matches('@')) }
}

/// A reason code in words.
pub fn reason_label(code: ReasonCode) -> &'static str {
    t(match code {
        ReasonCode::SanctionsMatch => Ops::ReasonSanctions,
        ReasonCode::LargeTransfer => Ops::ReasonLarge,
        ReasonCode::Structuring => Ops::ReasonStructuring,
        ReasonCode::PassThrough => Ops::ReasonPassThrough,
        ReasonCode::VelocityNewCounterparties => Ops::ReasonVelocity,
    })
}

pub fn case_status_label(status: CaseStatus) -> &'static str {
    t(match status {
        CaseStatus::Open => Ops::CaseOpen,
        CaseStatus::Approved => Ops::CaseApproved,
        CaseStatus::Rejected => Ops::CaseRejected,
    })
}

/// The amount a case holds, as people read it (`None`: a sanctions hit at verification).
pub fn case_amount(case: &Case) -> Option<String> {
    case.movement.as_ref().map(|movement| format::money(&movement.amount, movement.currency))
}

/// "New case: Large transfer, $2,500.00." for the queue's polite live region.
pub fn new_case_announcement(case: &Case) -> String {
    t(Ops::NewCase)
        .replace("{reason}", reason_label(case.reason_code))
        .replace("{amount}", &case_amount(case).unwrap_or_else(|| t(Ops::NoMovement).to_string()))
}

/// Where an open case stands on approvals, when it needs saying: two officers needed and none
/// yet ([`Approvals::NeedsTwo`]), or one of two given ([`Approvals::NeedsSecond`], with who).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approvals {
    NeedsTwo,
    NeedsSecond { by: String },
}

pub fn approvals_needed(case: &Case) -> Option<Approvals> {
    if case.status != CaseStatus::Open || case.approvals_needed < 2 {
        return None;
    }
    match case.approvals.as_slice() {
        [] => Some(Approvals::NeedsTwo),
        [first] => Some(Approvals::NeedsSecond { by: at_handle(&first.operator) }),
        _ => None,
    }
}

/// The sentence for [`approvals_needed`], with the officer's handle in its `{handle}`.
pub fn approvals_sentence(case: &Case) -> Option<String> {
    Some(match approvals_needed(case)? {
        Approvals::NeedsTwo => t(Ops::NeedsTwo).to_string(),
        Approvals::NeedsSecond { by } => t(Ops::NeedsSecond).replace("{handle}", &by),
    })
}

/// What an officer's decision did, from the case the server answered with.
pub fn decision_outcome(approve: bool, case: &Case) -> &'static str {
    t(match (approve, case.status) {
        (true, CaseStatus::Open) => Ops::DoneApprovedOnce,
        (true, _) => Ops::DoneApproved,
        (false, _) => Ops::DoneRejected,
    })
}

/// A refused decision in words: the two-person rule's `409` says what it means here; anything
/// else as the server said it.
pub fn decision_error(code: Option<ErrorCode>, message: &str) -> String {
    match code {
        Some(ErrorCode::SecondApproverRequired) => t(Ops::SecondApprover).to_string(),
        _ => message.to_string(),
    }
}

/// The amount from which a case has a report (`GET /ops/cases/{id}/report`).
const REPORT_FROM: &str = "2000";

/// Whether a case holds 2,000.00 or more, so its report can be downloaded.
pub fn has_report(case: &Case) -> bool {
    let Some(movement) = &case.movement else { return false };
    match (
        Money::parse_written(&movement.amount, movement.currency),
        Money::parse_written(REPORT_FROM, movement.currency),
    ) {
        (Ok(amount), Ok(from)) => amount.to_minor() >= from.to_minor(),
        _ => false,
    }
}

/// The first 12 hex digits of a hash, as the audit table shows it.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The audit log's mark: verified with how many entries, or broken at an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainMark {
    Verified(String),
    Broken(String),
}

pub fn chain_mark(chain: &ChainCheck) -> ChainMark {
    match (chain.verified, chain.first_broken) {
        (true, _) => ChainMark::Verified(t(Ops::ChainVerified).replace("{n}", &chain.entries.to_string())),
        (false, Some(entry)) => ChainMark::Broken(t(Ops::ChainBroken).replace("{n}", &entry.to_string())),
        // Not verified, no entry named: the server could not say where; say it is broken.
        (false, None) => ChainMark::Broken(t(Ops::ChainBroken).replace(" {n}", "")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use purse_api::Currency;
    use purse_api::compliance::AccountStatus;
    use purse_api::ops::{Approval, CaseMovement, CasePerson, Evidence};

    use super::*;

    fn case(id: &str, opened_at: &str, status: CaseStatus, amount: &str) -> Case {
        Case {
            id: id.into(),
            reason_code: ReasonCode::LargeTransfer,
            status,
            person: CasePerson {
                handle: "alice".into(),
                display_name: "Alice Martin".into(),
                tier: 1,
                status: AccountStatus::Active,
            },
            movement: Some(CaseMovement {
                activity_id: format!("tr_{id}"),
                kind: "transfer".into(),
                amount: amount.into(),
                currency: Currency::Usd,
                from: "alice".into(),
                to: "bob".into(),
                created_at: opened_at.into(),
            }),
            evidence: Evidence {
                rule: "One movement of 2,000.00 or more".into(),
                inputs: BTreeMap::new(),
                hits: vec![ReasonCode::LargeTransfer],
                sanctions: None,
                recent_activity: Vec::new(),
            },
            approvals: Vec::new(),
            rejection: None,
            approvals_needed: 1,
            opened_at: opened_at.into(),
            closed_at: None,
        }
    }

    fn open(id: &str, opened_at: &str) -> Case {
        case(id, opened_at, CaseStatus::Open, "2500.00")
    }

    fn ids(queue: &Queue) -> Vec<&str> {
        queue.items.iter().map(|case| case.id.as_str()).collect()
    }

    fn loaded(view: QueueView, items: Vec<Case>, next_cursor: Option<&str>) -> Queue {
        let mut queue = Queue::new(view);
        assert_eq!(queue.start_next(), Some(None), "the first page, without a cursor");
        queue.apply_page(CasePage { items, next_cursor: next_cursor.map(str::to_string) });
        queue
    }

    #[test]
    fn a_note_is_required_trimmed_and_at_most_500_characters() {
        let cases: [(&str, Result<&str, NoteProblem>); 6] = [
            ("", Err(NoteProblem::Empty)),
            ("   \n\t", Err(NoteProblem::Empty)),
            ("  Known customer; payroll.  ", Ok("Known customer; payroll.")),
            ("ع", Ok("ع")),
            (&"x".repeat(500), Ok(&"x".repeat(500))),
            (&"x".repeat(501), Err(NoteProblem::TooLong)),
        ];
        for (note, expected) in cases {
            assert_eq!(check_note(note).as_deref().map_err(|p| *p), expected, "{note:?}");
        }
        let arabic = "م".repeat(500);
        assert!(arabic.len() > 500 && check_note(&arabic).is_ok(), "characters, not bytes");
        assert_eq!(NoteProblem::Empty.message(), "Write a note: every decision needs one.");
    }

    #[test]
    fn a_live_case_is_replaced_by_id_inserted_newest_first_or_dropped_when_closed() {
        let listed = || {
            loaded(
                QueueView::Open,
                vec![open("c3", "2026-12-07T12:00:00Z"), open("c1", "2026-12-07T10:00:00Z")],
                None,
            )
        };
        type Step = (&'static str, Case, LiveChange, [&'static str; 3]);
        let steps: [Step; 5] = [
            ("newest", open("c4", "2026-12-07T13:00:00Z"), LiveChange::Added, ["c4", "c3", "c1"]),
            ("between", open("c2", "2026-12-07T11:00:00Z"), LiveChange::Added, ["c3", "c2", "c1"]),
            ("oldest, all read", open("c0", "2026-12-07T09:00:00Z"), LiveChange::Added, ["c3", "c1", "c0"]),
            (
                "closed elsewhere",
                case("c3", "2026-12-07T12:00:00Z", CaseStatus::Approved, "2500.00"),
                LiveChange::Removed,
                ["c1", "", ""],
            ),
            (
                "closed, never listed",
                case("c9", "2026-12-07T14:00:00Z", CaseStatus::Rejected, "2500.00"),
                LiveChange::Ignored,
                ["c3", "c1", ""],
            ),
        ];
        for (what, live, change, expected) in steps {
            let mut queue = listed();
            assert_eq!(queue.merge_live(live), change, "{what}");
            let expected: Vec<&str> = expected.into_iter().filter(|id| !id.is_empty()).collect();
            assert_eq!(ids(&queue), expected, "{what}");
        }

        // One approval of two: still open, replaced where it was (with its approval).
        let mut queue = listed();
        let mut approved_once = open("c1", "2026-12-07T10:00:00Z");
        approved_once.approvals.push(Approval { operator: "cora".into(), at: "t".into(), note: "ok".into() });
        assert_eq!(queue.merge_live(approved_once), LiveChange::Replaced);
        assert_eq!((ids(&queue), queue.items[1].approvals.len()), (vec!["c3", "c1"], 1));

        // An older case while pages remain: left to its page, which will not list it twice.
        let mut paged = loaded(QueueView::Open, vec![open("c3", "2026-12-07T12:00:00Z")], Some("cur"));
        assert_eq!(paged.merge_live(open("c0", "2026-12-07T09:00:00Z")), LiveChange::Ignored);
        assert_eq!(paged.merge_live(open("c5", "2026-12-07T15:00:00Z")), LiveChange::Added);
        assert_eq!(paged.start_next(), Some(Some("cur".to_string())));
        assert_eq!(paged.start_next(), None, "one read at a time");
        paged.apply_page(CasePage { items: vec![open("c5", "2026-12-07T15:00:00Z")], next_cursor: None });
        assert_eq!(ids(&paged), ["c5", "c3"], "not listed twice");
        assert!(!paged.has_more() && paged.start_next().is_none(), "every page read");

        // The Closed view takes closed cases and leaves open ones.
        let mut closed = loaded(QueueView::Closed, Vec::new(), None);
        assert_eq!(closed.merge_live(open("c7", "2026-12-07T16:00:00Z")), LiveChange::Ignored);
        let decided = case("c7", "2026-12-07T16:00:00Z", CaseStatus::Rejected, "2500.00");
        assert_eq!(closed.merge_live(decided), LiveChange::Added);
        assert_eq!(ids(&closed), ["c7"]);
    }

    #[test]
    fn a_failed_page_can_be_asked_for_again() {
        let mut queue = Queue::new(QueueView::Open);
        assert_eq!(queue.start_next(), Some(None));
        queue.fail("offline".into());
        assert_eq!((queue.loaded, queue.error.as_deref()), (false, Some("offline")));
        assert_eq!(queue.start_next(), Some(None), "the first page again");
        assert_eq!(queue.error, None);
    }

    #[test]
    fn the_approvals_sentence_says_when_a_second_officer_is_needed() {
        let approval =
            |operator: &str| Approval { operator: operator.into(), at: "t".into(), note: "n".into() };
        let big = |approvals: Vec<Approval>, needed: u8, status: CaseStatus| Case {
            approvals,
            approvals_needed: needed,
            ..case("c1", "2026-12-07T10:00:00Z", status, "12000.00")
        };
        let cases = [
            (big(vec![], 1, CaseStatus::Open), None),
            (big(vec![], 2, CaseStatus::Open), Some("Two different officers must approve this case.")),
            (
                big(vec![approval("cora")], 2, CaseStatus::Open),
                Some("Needs a second officer: @cora approved it once."),
            ),
            (big(vec![approval("cora"), approval("kemal")], 2, CaseStatus::Approved), None),
            (big(vec![approval("cora")], 2, CaseStatus::Rejected), None),
        ];
        for (case, expected) in cases {
            assert_eq!(approvals_sentence(&case).as_deref(), expected, "{:?}", case.approvals);
        }
        let once = big(vec![approval("cora")], 2, CaseStatus::Open);
        assert_eq!(decision_outcome(true, &once), t(Ops::DoneApprovedOnce));
        assert_eq!(
            decision_outcome(true, &Case { status: CaseStatus::Approved, ..once.clone() }),
            t(Ops::DoneApproved)
        );
        assert_eq!(decision_outcome(false, &once), t(Ops::DoneRejected));
    }

    #[test]
    fn the_second_approver_refusal_reads_as_what_it_means() {
        assert_eq!(
            decision_error(Some(ErrorCode::SecondApproverRequired), "second_approver_required"),
            "You already approved this case. A second officer must approve it."
        );
        assert_eq!(decision_error(Some(ErrorCode::Forbidden), "Not for you."), "Not for you.");
    }

    #[test]
    fn only_cases_of_2000_or_more_have_a_report() {
        for (amount, expected) in
            [("1999.99", false), ("2000.00", true), ("2500.00", true), ("12000.00", true)]
        {
            assert_eq!(has_report(&case("c", "t", CaseStatus::Open, amount)), expected, "{amount}");
        }
        let at_verification = Case { movement: None, ..open("c", "t") };
        assert!(!has_report(&at_verification), "no money held, no amount");
        assert_eq!(case_amount(&at_verification), None);
        assert_eq!(new_case_announcement(&open("c", "t")), "New case: Large transfer, $2,500.00.");
    }

    #[test]
    fn handles_get_one_at_sign_and_a_bank_stays_as_written() {
        for (written, shown) in [("alice", "@alice"), ("@alice", "@alice"), ("bank ••6789", "bank ••6789")]
        {
            assert_eq!(at_handle(written), shown, "{written}");
        }
    }

    #[test]
    fn the_chain_mark_counts_entries_or_names_the_first_broken_one() {
        let verified = ChainCheck { verified: true, entries: 42, first_broken: None };
        assert_eq!(chain_mark(&verified), ChainMark::Verified("Chain verified — 42 entries".into()));
        let broken = ChainCheck { verified: false, entries: 42, first_broken: Some(17) };
        match chain_mark(&broken) {
            ChainMark::Broken(text) => {
                assert!(text.starts_with("The audit chain is broken at entry 17:"), "{text}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(short_hash("0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short_hash("abc"), "abc");
    }

    #[test]
    fn only_officers_see_the_console() {
        let user = |roles: Vec<Role>| User {
            id: "u".into(),
            handle: purse_api::Handle::parse("cora").unwrap_or_else(|e| panic!("{e:?}")),
            display_name: "Cora".into(),
            pin_set: true,
            roles,
        };
        assert!(is_officer(&user(vec![Role::Member, Role::Compliance])));
        assert!(!is_officer(&user(vec![Role::Member, Role::Creator, Role::Merchant])));
    }
}
