//! `/activity/{id}`: one receipt, in full: who or what (an anonymous tip says so), how much (a
//! canceled or failed amount unsigned and struck through, its status in words), the fee, when,
//! and the reference; a payment held for review says so ("Pending review") with the one
//! generic sentence. Interest says it was paid by Purse, the month it is for (when its date
//! tells) and the APY (`GET /me/interest`'s). A receipt that is not there (or not the reader's) says so, with no Try
//! again; any other failure offers one.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use purse_api::{ActivityKind, Direction};

use crate::api_client;
use crate::components::activity_row::{
    ActivityAmount, ActivityAvatar, closed_request, kind_label, status_label, title,
};
use crate::components::money::MoneyDisplay;
use crate::components::states::{ErrorState, SkeletonList};
use crate::flows::activity_feed::{amount_counts, held_for_review, is_anonymous_tip, row_avatar};
use crate::flows::statements_view::{apy_pays, apy_text, interest_month};
use crate::format;
use crate::text::{Statements, Text, t};

#[component]
pub fn Receipt() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let receipt = LocalResource::new(move || {
        let id = id();
        async move { api_client::activity(&id).await }
    });
    view! {
        <section class="card receipt" aria-labelledby="receipt-title">
            <p><A href="/wallet">{t(Text::BackToWallet)}</A></p>
            {move || match receipt.get() {
                None => view! { <SkeletonList rows=3 /> }.into_any(),
                Some(Err(error)) if error.status == Some(404) => view! {
                    <h1 id="receipt-title">{t(Text::Receipt)}</h1>
                    <p>{t(Text::ReceiptMissing)}</p>
                }.into_any(),
                Some(Err(error)) => view! {
                    <h1 id="receipt-title">{t(Text::Receipt)}</h1>
                    <ErrorState permanent=error.is_permanent() message=error.message on_retry=move |()| receipt.refetch() no_money_moved=true />
                }.into_any(),
                Some(Ok(activity)) => {
                    // A request closed without money moving: what happened. "Received from" only
                    // for money that was received: a canceled payment is a payment from them, its
                    // status in words below.
                    let closed = closed_request(&activity);
                    // Held for review: not yet sent or received ("Payment to Bob Okafor").
                    let held = held_for_review(activity.review.as_ref());
                    let moved = amount_counts(activity.status) && held.is_none();
                    let heading = match (activity.direction, &activity.counterparty) {
                        (_, Some(person)) if closed.is_some() => {
                            format!("{}: {}", person.display_name, closed.unwrap_or_default())
                        }
                        (Direction::In, Some(person)) if moved => format!("{} {} {}", t(Text::Received), t(Text::From), person.display_name),
                        (Direction::Out, Some(person)) if moved => format!("{} {} {}", t(Text::Sent), t(Text::To), person.display_name),
                        (Direction::In, Some(person)) => format!("{} {} {}", kind_label(activity.kind), t(Text::From), person.display_name),
                        (Direction::Out, Some(person)) => format!("{} {} {}", kind_label(activity.kind), t(Text::To), person.display_name),
                        _ if activity.kind == ActivityKind::Interest => t(Statements::InterestPaidBy).to_string(),
                        _ => title(&activity),
                    };
                    let avatar = row_avatar(&activity, &title(&activity));
                    let anonymous = is_anonymous_tip(&activity);
                    let status_words = held.map_or_else(|| status_label(activity.status), |(words, _)| words);
                    view! {
                        <div class="receipt-head">
                            <ActivityAvatar avatar large=true />
                            <h1 id="receipt-title">{heading}</h1>
                        </div>
                        <p class="receipt-amount" data-status=format!("{:?}", activity.status).to_lowercase()>
                            <ActivityAmount activity=activity.clone() />
                        </p>
                        {held.map(|(_, message)| view! { <p class="notice review-hold" data-test="review-message">{message}</p> })}
                        <dl class="facts">
                            <div><dt>{t(Text::ReceiptStatus)}</dt><dd class="receipt-status">{status_words}</dd></div>
                            <div><dt>{t(Text::Activity)}</dt><dd>{kind_label(activity.kind)}</dd></div>
                            {anonymous.then(|| view! {
                                <div><dt>{t(Text::From)}</dt><dd class="receipt-anonymous">{t(Text::Anonymous)}</dd></div>
                            })}
                            {activity.counterparty.clone().map(|person| view! {
                                <div><dt>{if activity.direction == Direction::In { t(Text::From) } else { t(Text::To) }}</dt>
                                <dd>{person.display_name}" · @"{person.handle.to_string()}</dd></div>
                            })}
                            {activity.note.clone().filter(|_| activity.kind != ActivityKind::Interest).map(|note| view! { <div><dt>{t(Text::ReceiptNote)}</dt><dd>{note}</dd></div> })}
                            {(activity.kind == ActivityKind::Interest).then(|| view! { <InterestFacts note=activity.note.clone() created_at=activity.created_at.clone() /> })}
                            <div><dt>{t(Text::ReceiptFee)}</dt><dd><MoneyDisplay amount=activity.fee.clone() currency=activity.currency /></dd></div>
                            <div><dt>{t(Text::ReceiptWhen)}</dt><dd><time datetime=activity.created_at.clone()>{format::when(&activity.created_at)}</time></dd></div>
                            <div><dt>{t(Text::ReceiptId)}</dt><dd class="receipt-id">{activity.id.clone()}</dd></div>
                        </dl>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// An interest payment's facts: the month it is for (written on it by the server) and the APY
/// paid today (labelled as today's: the month may have earned at another).
#[component]
fn InterestFacts(note: Option<String>, created_at: String) -> impl IntoView {
    let summary = LocalResource::new(api_client::interest);
    let month = interest_month(note.as_deref(), &created_at);
    view! {
        {month.map(|month| view! {
            <div data-test="interest-period"><dt>{t(Statements::Period)}</dt><dd>{month.label()}</dd></div>
        })}
        {move || match summary.get() {
            Some(Ok(summary)) if apy_pays(&summary.apy) => Some(view! {
                <div data-test="interest-rate"><dt>{t(Statements::Rate)}</dt><dd>{apy_text(&summary.apy)}</dd></div>
            }),
            _ => None,
        }}
    }
}
