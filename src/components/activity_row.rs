//! One activity in a list: who (their initial, name and @handle: names are not unique) or what
//! (an icon: money added, withdrawn, a fee, interest, an anonymous tip), when, how much (signed;
//! a canceled or failed amount unsigned, neutral and struck through), and its status in words
//! when it is not simply done ("Pending review" and the one generic sentence when held for
//! review). The whole row links to the receipt.

use leptos::prelude::*;
use purse_api::{Activity, ActivityKind, ActivityStatus, Direction, RequestStatus};

use crate::components::money::MoneyDisplay;
use crate::flows::activity_feed::{
    RowAvatar, RowIcon, amount_counts, held_for_review, is_anonymous_tip, row_avatar,
};
use crate::flows::statements_view::interest_month;
use crate::format;
use crate::text::{Statements, Text, t};

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

/// The row's title: the other person, or what happened ("Anonymous tip" for a tip whose sender
/// is not named).
pub fn title(activity: &Activity) -> String {
    match &activity.counterparty {
        Some(person) => person.display_name.clone(),
        None if is_anonymous_tip(activity) => t(Text::AnonymousTip).to_string(),
        None => kind_label(activity.kind).to_string(),
    }
}

/// An icon's drawing: 24 × 24, in the text's colour (one path each, strokes only).
fn icon_path(icon: RowIcon) -> &'static str {
    match icon {
        RowIcon::AddMoney => "M12 4v11M7 10l5 5 5-5M5 20h14",
        RowIcon::Withdraw => "M12 20V9M7 14l5-5 5 5M5 4h14",
        RowIcon::Fee => "M3 12V3h9l9 9-9 9zM8 7.5h.01",
        RowIcon::Interest => "M3 17l6-6 4 4 8-8M15 7h6v6",
        RowIcon::Refund => "M9 14 4 9l5-5M4 9h11a5 5 0 0 1 0 10h-3",
        RowIcon::Anonymous => "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21c0-4 4-6 8-6s8 2 8 6",
        RowIcon::Payment => "M3 6h18v12H3zM3 10h18M7 15h4",
        RowIcon::Bank => "M3 10l9-6 9 6M5 10v8M10 10v8M14 10v8M19 10v8M3 20h18",
    }
}

/// The picture at the start of a row or a receipt: an initial, or an icon.
#[component]
pub fn ActivityAvatar(avatar: RowAvatar, #[prop(optional)] large: bool) -> impl IntoView {
    match avatar {
        RowAvatar::Initial(initial) => {
            view! { <span class="avatar" class:avatar-large=large aria-hidden="true">{initial}</span> }.into_any()
        }
        RowAvatar::Icon(icon) => view! {
            <span class=format!("avatar avatar-icon avatar-icon-{}", icon.name()) class:avatar-large=large aria-hidden="true">
                <svg viewBox="0 0 24 24" width="22" height="22" fill="none" stroke="currentColor" stroke-width="2"
                    stroke-linecap="round" stroke-linejoin="round" focusable="false">
                    <path d=icon_path(icon) />
                </svg>
            </span>
        }
        .into_any(),
    }
}

/// The amount: signed and coloured when it moved; unsigned, neutral and struck through when it
/// did not (the status beside it says why, in words).
#[component]
pub fn ActivityAmount(activity: Activity, #[prop(optional, into)] class: String) -> impl IntoView {
    if amount_counts(activity.status) {
        view! { <MoneyDisplay amount=activity.amount currency=activity.currency direction=activity.direction class=class /> }
            .into_any()
    } else {
        view! { <MoneyDisplay amount=activity.amount currency=activity.currency class=format!("{class} money-void") /> }
            .into_any()
    }
}

/// The row's second line: the note, else the kind (for interest, the month it is for when the
/// date tells); then when. (The other person's @handle is on the first line, beside their name.)
pub fn subtitle(activity: &Activity) -> String {
    let what = if activity.kind == ActivityKind::Interest {
        // Its note is the month it was earned in.
        interest_month(activity.note.as_deref(), &activity.created_at)
            .map(|month| t(Statements::InterestFor).replace("{month}", &month.label()))
            .unwrap_or_else(|| kind_label(activity.kind).to_string())
    } else {
        match (closed_request(activity), &activity.note) {
            (Some(words), Some(note)) => format!("{words}: {note}"),
            (Some(words), None) => words.to_string(),
            (None, Some(note)) => note.clone(),
            (None, None) => kind_label(activity.kind).to_string(),
        }
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
    let avatar = row_avatar(&activity, &title(&activity));
    let status = activity.status;
    let held = held_for_review(activity.review.as_ref());
    let href = format!("/activity/{}", activity.id);
    view! {
        <li class="activity-row" class:fresh=fresh data-status=format!("{status:?}").to_lowercase() data-id=activity.id.clone()>
            <a class="activity-link" href=href>
                <ActivityAvatar avatar />
                <span class="activity-main">
                    <span class="activity-name">
                        <span class="activity-title">{title(&activity)}</span>
                        {activity.counterparty.as_ref().map(|person| view! {
                            " "<bdi class="activity-handle">"@"{person.handle.to_string()}</bdi>
                        })}
                    </span>
                    <span class="activity-sub">{subtitle(&activity)}</span>
                    {held.map(|(_, message)| view! { <span class="activity-review">{message}</span> })}
                </span>
                <span class="activity-side">
                    <ActivityAmount activity=activity.clone() class="activity-amount" />
                    {match held {
                        Some((words, _)) => Some(view! { <span class="badge" data-status="review">{words}</span> }.into_any()),
                        None => (status != ActivityStatus::Completed).then(|| view! {
                            <span class="badge" data-status=format!("{status:?}").to_lowercase()>{status_label(status)}</span>
                        }.into_any()),
                    }}
                </span>
            </a>
        </li>
    }
}
