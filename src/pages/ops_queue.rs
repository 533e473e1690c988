//! `/ops`: the compliance officers' review queue (officers only). Open or closed cases (a
//! toggle), newest first, a page at a time ("Show more"); live: a case opened or changed
//! anywhere arrives by the event stream, slides in at the top and is announced politely, and a
//! case closed by another officer leaves the Open view. Designed loading, empty and error
//! states.

use leptos::prelude::*;
use send_wrapper::SendWrapper;

use crate::api_client;
use crate::components::case_row::CaseRow;
use crate::components::officer_gate::OfficerOnly;
use crate::components::states::{EmptyState, ErrorState, LiveIndicator, SkeletonList};
use crate::flows::ops_view::{LiveChange, Queue, QueueView, new_case_announcement};
use crate::live::{Handlers, Live, LiveStatus};
use crate::text::{Ops, Text, t};

const PAGE_SIZE: u32 = 25;

#[component]
pub fn OpsQueuePage() -> impl IntoView {
    view! { <OfficerOnly><CaseQueue /></OfficerOnly> }
}

#[component]
fn CaseQueue() -> impl IntoView {
    let queue = RwSignal::new(Queue::new(QueueView::Open));
    let fresh = RwSignal::new(Vec::<String>::new());
    let announcement = RwSignal::new(String::new());
    let live_status = RwSignal::new(LiveStatus::Connecting);

    let load_next = move || {
        let Some((view, cursor)) = queue.try_update(|q| q.start_next().map(|c| (q.view, c))).flatten() else {
            return;
        };
        leptos::task::spawn_local(async move {
            let answer = api_client::ops_cases(view.query(), cursor.as_deref(), PAGE_SIZE).await;
            // The view may have changed meanwhile: this page is not the new view's.
            if queue.with_untracked(|q| q.view) != view {
                return;
            }
            match answer {
                Ok(page) => queue.update(|q| q.apply_page(page)),
                Err(error) => queue.update(|q| q.fail(error.message)),
            }
        });
    };
    let show = move |view: QueueView| {
        if queue.with_untracked(|q| q.view) != view {
            queue.set(Queue::new(view));
            fresh.set(Vec::new());
            load_next();
        }
    };
    load_next();

    let live = Live::connect(Handlers {
        activity: Box::new(|_| {}),
        balance: Box::new(|_| {}),
        request: Box::new(|_| {}),
        case: Some(Box::new(move |case| {
            let words = new_case_announcement(&case);
            let id = case.id.clone();
            if queue.try_update(|q| q.merge_live(case)) == Some(LiveChange::Added) {
                fresh.update(|ids| ids.push(id));
                announcement.set(words);
            }
        })),
        status: Box::new(move |status| live_status.set(status)),
        resync: Box::new(move || {
            let view = queue.with_untracked(|q| q.view);
            queue.set(Queue::new(view));
            load_next();
        }),
    });
    let live = SendWrapper::new(live);
    on_cleanup(move || drop(live));

    let tab = move |view: QueueView, label: &'static str| {
        view! {
            <button type="button" class="ops-toggle-option" data-view=view.query()
                aria-pressed=move || (queue.with(|q| q.view) == view).to_string()
                on:click=move |_| show(view)>
                {label}
            </button>
        }
    };

    view! {
        <section class="card ops-queue" aria-labelledby="ops-queue-title">
            <h1 id="ops-queue-title">{t(Ops::QueueTitle)}</h1>
            <p class="muted">{t(Ops::QueueLead)}</p>
            <div class="ops-toolbar">
                <div class="ops-toggle" role="group" aria-label=t(Ops::ViewLabel)>
                    {tab(QueueView::Open, t(Ops::OpenTab))}
                    {tab(QueueView::Closed, t(Ops::ClosedTab))}
                </div>
                <LiveIndicator status=live_status />
            </div>
            {move || {
                let current = queue.get();
                if !current.loaded {
                    return match current.error {
                        Some(message) => view! {
                            <ErrorState message=message on_retry=move |()| load_next() no_money_moved=true />
                        }.into_any(),
                        None => view! { <SkeletonList rows=4 /> }.into_any(),
                    };
                }
                if current.items.is_empty() {
                    return match current.view {
                        QueueView::Open => view! { <EmptyState title=t(Ops::EmptyOpenTitle) body=t(Ops::EmptyOpenBody) /> }.into_any(),
                        QueueView::Closed => view! { <EmptyState title=t(Ops::EmptyClosedTitle) body=t(Ops::EmptyClosedBody) /> }.into_any(),
                    };
                }
                let fresh_ids = fresh.get();
                let more = current.has_more();
                view! {
                    <ul class="case-list" data-view=current.view.query()>
                        {current.items.into_iter().map(|case| {
                            let is_fresh = fresh_ids.contains(&case.id);
                            view! { <CaseRow case=case fresh=is_fresh /> }
                        }).collect_view()}
                    </ul>
                    {match (current.loading, current.error) {
                        (true, _) => view! { <SkeletonList rows=2 /> }.into_any(),
                        (false, Some(message)) => view! {
                            <ErrorState message=message on_retry=move |()| load_next() no_money_moved=true />
                        }.into_any(),
                        (false, None) if more => view! {
                            <button type="button" class="button button-secondary load-more" on:click=move |_| load_next()>
                                {t(Text::LoadMore)}
                            </button>
                        }.into_any(),
                        (false, None) => ().into_any(),
                    }}
                }.into_any()
            }}
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-test="case-announcer">
                {move || announcement.get()}
            </div>
        </section>
    }
}
