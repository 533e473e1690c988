//! "Sent requests" on the request page: the signed-in person's requests for money
//! (`GET /requests?direction=outgoing`), each with its status in words, kept current by the
//! live stream (a payer paying or declining shows at once), and Cancel on an open one, which asks
//! once before `POST /requests/{id}/cancel`. The state and its rules are
//! [`crate::flows::sent_list`].

use leptos::prelude::*;
use purse_api::{MoneyRequest, RequestStatus};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

use crate::api_client;
use crate::components::money::MoneyDisplay;
use crate::components::states::{ErrorState, LiveIndicator, SkeletonList};
use crate::flows::sent_list::{Listing, SentList, status_word};
use crate::format;
use crate::live::{Handlers, Live, LiveStatus};
use crate::session::{SessionState, use_session};
use crate::text::{Text, t};

/// The "Yes, cancel it" button of the request asking, focused when it asks.
const CONFIRM_ID: &str = "sent-cancel-yes";

#[component]
pub fn SentRequests() -> impl IntoView {
    let me = match use_session().state.get_untracked() {
        SessionState::SignedIn(user) => Some(user.handle),
        _ => None,
    };
    let list = RwSignal::new(SentList::default());
    let status = RwSignal::new(LiveStatus::Connecting);
    let announcement = RwSignal::new(String::new());
    let load = move || {
        leptos::task::spawn_local(async move {
            let answer =
                api_client::requests(false).await.map(|page| page.items).map_err(|error| error.message);
            list.update(|list| list.loaded(answer));
        });
    };
    load();
    let live = Live::connect(Handlers {
        activity: Box::new(|_| ()),
        balance: Box::new(|_| ()),
        case: None,
        request: Box::new(move |request: MoneyRequest| {
            let Some(me) = &me else { return };
            let closed = request.status != RequestStatus::Open;
            let words = spoken(&request);
            if list.try_update(|list| list.live(request, me)).unwrap_or(false) && closed {
                announcement.set(words);
            }
        }),
        status: Box::new(move |now| status.set(now)),
        resync: Box::new(load),
    });
    let live = SendWrapper::new(live);
    on_cleanup(move || drop(live));

    let retry = move |()| {
        list.update(SentList::reload);
        load();
    };
    view! {
        <section class="card sent-requests" aria-labelledby="sent-title">
            <div class="sent-head">
                <h2 id="sent-title">{t(Text::SentRequests)}</h2>
                <LiveIndicator status=status />
            </div>
            <p class="visually-hidden" role="status">{move || announcement.get()}</p>
            {move || match list.with(|list| list.listing.clone()) {
                Listing::Loading => view! { <SkeletonList rows=2 /> }.into_any(),
                Listing::Failed(message) => view! {
                    <ErrorState message=message on_retry=retry no_money_moved=true />
                }.into_any(),
                Listing::Loaded(items) if items.is_empty() => view! {
                    <div class="empty-state sent-empty">
                        <p class="empty-title">{t(Text::NoSentRequests)}</p>
                        <button type="button" class="button button-secondary" on:click=|_| focus("from")>
                            {t(Text::NoSentRequestsNext)}
                        </button>
                    </div>
                }.into_any(),
                Listing::Loaded(items) => view! {
                    <ul class="sent-list">
                        {items.into_iter().map(|request| view! { <SentRow request=request list=list /> }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </section>
    }
}

/// One sent request: how much, from whom, its status in words, and Cancel while it is open.
#[component]
fn SentRow(request: MoneyRequest, list: RwSignal<SentList>) -> impl IntoView {
    let id = request.id.clone();
    let status = request.status;
    let state = format!("{status:?}").to_lowercase();
    let asking = {
        let id = id.clone();
        move || list.with(|list| list.confirming.as_deref() == Some(id.as_str()))
    };
    let busy = {
        let id = id.clone();
        move || list.with(|list| list.canceling.as_deref() == Some(id.as_str()))
    };
    let error = {
        let id = id.clone();
        move || {
            list.with(|list| {
                list.error.as_ref().filter(|(which, _)| *which == id).map(|(_, message)| message.clone())
            })
        }
    };
    let ask = {
        let id = id.clone();
        move |_| {
            list.update(|list| list.ask_cancel(&id));
            focus_later(CONFIRM_ID.to_string());
        }
    };
    let cancel_button = format!("sent-cancel-{id}");
    let keep = {
        let cancel_button = cancel_button.clone();
        move |_| {
            list.update(SentList::keep);
            focus_later(cancel_button.clone());
        }
    };
    let confirm = move |_| {
        let Some(id) = list.try_update(SentList::confirm_cancel).flatten() else { return };
        leptos::task::spawn_local(async move {
            let answer = api_client::close_request(&id, false).await.map_err(|error| error.message);
            list.update(|list| list.canceled(answer));
        });
    };
    let question = format!("sent-ask-{id}");
    view! {
        <li class="sent-row" data-request=id.clone() data-status=state.clone()>
            <div class="sent-main">
                <p class="sent-what">
                    <MoneyDisplay amount=request.amount.clone() currency=request.currency class="sent-amount" />" "
                    {t(Text::RequestedFrom)}" "<strong>{request.from.display_name.clone()}</strong>" "
                    <bdi class="request-handle">"@"{request.from.handle.to_string()}</bdi>
                </p>
                {request.note.clone().map(|note| view! { <p class="muted sent-note">"“"{note}"”"</p> })}
                <p class="muted sent-when">{format::when(&request.created_at)}</p>
            </div>
            <span class="sent-status" data-status=state.clone()>{t(status_word(status))}</span>
            {(status == RequestStatus::Open).then(|| view! {
                <div class="sent-actions">
                    {move || if asking() {
                        view! {
                            <div class="sent-confirm" role="group" aria-labelledby=question.clone()>
                                <p id=question.clone()>{t(Text::CancelRequestAsk)}</p>
                                <div class="button-row">
                                    <button type="button" class="button button-secondary" on:click=keep.clone()>{t(Text::KeepRequest)}</button>
                                    <button type="button" class="button button-danger" id=CONFIRM_ID on:click=confirm>{t(Text::CancelRequestYes)}</button>
                                </div>
                            </div>
                        }.into_any()
                    } else {
                        let (disabled, waiting) = (busy.clone(), busy.clone());
                        view! {
                            <button type="button" class="button button-secondary sent-cancel" id=cancel_button.clone() disabled=disabled on:click=ask.clone()>
                                {move || if waiting() { t(Text::Canceling) } else { t(Text::CancelRequest) }}
                            </button>
                        }.into_any()
                    }}
                </div>
            })}
            <p class="form-error" role="alert">{error}</p>
        </li>
    }
}

/// "Declined: $12.00 from Bob (@bob)", for screen readers when a status changes live.
fn spoken(request: &MoneyRequest) -> String {
    format!(
        "{}: {} {} {} (@{})",
        t(status_word(request.status)),
        format::money(&request.amount, request.currency),
        t(Text::RequestedFrom),
        request.from.display_name,
        request.from.handle
    )
}

fn focus(id: &str) {
    let element = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id));
    if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = element.focus();
    }
}

/// Focuses `id` once the view has drawn it.
fn focus_later(id: String) {
    request_animation_frame(move || focus(&id));
}
