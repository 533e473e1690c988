//! One activity in a list: who (their name and @handle: names are not unique) or what, when, how
//! much (signed), and its status when it is not simply done. The whole row links to the receipt.

use leptos::prelude::*;
use purse_api::{Activity, ActivityKind, ActivityStatus, Direction, RequestStatus};

use crate::components::money::MoneyDisplay;
use crate::format;
use crate::text::{Text, t};

/// The kind as people call it.
pub fn kind_label(kind: ActivityKind) -> &'static str {
    t(match kind {
        ActivityKind::Transfer => Text::KindTransfer,
        ActivityKind::Tip => Text::KindTip,
        ActivityKind::Request => Text::KindRequest,
        ActivityKind::Checkout => Text::KindCheckout,
        ActivityKind::Refund => Text::KindRefund,
        ActivityKind::Deposit => Text::KindDeposit,
        ActivityKind::Withdrawal => Text::KindWithdrawal,
        ActivityKind::Fee => Text::KindFee,
        ActivityKind::Interest => Text::KindInterest,
    })
}

pub fn status_label(status: ActivityStatus) -> &'static str {
    t(match status {
        ActivityStatus::Pending => Text::StatusPending,
        ActivityStatus::Completed => Text::StatusCompleted,
        ActivityStatus::Canceled => Text::StatusCanceled,
        ActivityStatus::Failed => Text::StatusFailed,
        ActivityStatus::Returned => Text::StatusReturned,
    })
}

/// The row's title: the other person, or what happened.
pub fn title(activity: &Activity) -> String {
    match &activity.counterparty {
        Some(person) => person.display_name.clone(),
        None => kind_label(activity.kind).to_string(),
    }
}

/// The row's second line: the note, else the kind; then when. (The other person's @handle is on
/// the first line, beside their name.)
pub fn subtitle(activity: &Activity) -> String {
    let what = match (closed_request(activity), &activity.note) {
        (Some(words), Some(note)) => format!("{words}: {note}"),
        (Some(words), None) => words.to_string(),
        (None, Some(note)) => note.clone(),
        (None, None) => kind_label(activity.kind).to_string(),
    };
    format!("{what} · {}", format::when(&activity.created_at))
}

/// A request that closed without money moving, in words from the reader's side ("Declined your
/// request"); `None` for everything else.
pub fn closed_request(activity: &Activity) -> Option<&'static str> {
    let asked = activity.direction == Direction::In;
    Some(t(match (activity.request_status?, asked) {
        (RequestStatus::Declined, true) => Text::DeclinedYourRequest,
        (RequestStatus::Declined, false) => Text::YouDeclinedTheirRequest,
        (RequestStatus::Canceled, true) => Text::YouCanceledYourRequest,
        (RequestStatus::Canceled, false) => Text::CanceledTheirRequest,
        (RequestStatus::Open | RequestStatus::Paid, _) => return None,
    }))
}

#[component]
pub fn ActivityRow(activity: Activity, #[prop(optional)] fresh: bool) -> impl IntoView {
    let initial = title(&activity).chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    let status = activity.status;
    let href = format!("/activity/{}", activity.id);
    view! {
        <li class="activity-row" class:fresh=fresh data-status=format!("{status:?}").to_lowercase() data-id=activity.id.clone()>
            <a class="activity-link" href=href>
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="activity-main">
                    <span class="activity-name">
                        <span class="activity-title">{title(&activity)}</span>
                        {activity.counterparty.as_ref().map(|person| view! {
                            " "<bdi class="activity-handle">"@"{person.handle.to_string()}</bdi>
                        })}
                    </span>
                    <span class="activity-sub">{subtitle(&activity)}</span>
                </span>
                <span class="activity-side">
                    {if closed_request(&activity).is_some() {
                        // No money moved: no sign, no "received".
                        view! { <MoneyDisplay amount=activity.amount.clone() currency=activity.currency class="activity-amount" /> }.into_any()
                    } else {
                        view! { <MoneyDisplay amount=activity.amount.clone() currency=activity.currency direction=activity.direction class="activity-amount" /> }.into_any()
                    }}
                    {(status != ActivityStatus::Completed).then(|| view! {
                        <span class="badge" data-status=format!("{status:?}").to_lowercase()>{status_label(status)}</span>
                    })}
                </span>
            </a>
        </li>
    }
}
