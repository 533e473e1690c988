//! `/ops/audit`: the audit log (officers only), newest first, a page at a time: sequence, time,
//! actor, action, subject, note and the entry's hash (shortened; the whole in its title). Above
//! it the server's check of the chain: "Chain verified — N entries", or an alert naming the
//! first broken entry.

use leptos::prelude::*;
use purse_api::ops::{AuditEntry, ChainCheck};

use crate::api_client;
use crate::components::officer_gate::OfficerOnly;
use crate::components::states::{ErrorState, SkeletonList};
use crate::flows::ops_view::{ChainMark, chain_mark, short_hash};
use crate::format;
use crate::text::{Ops, Text, t};

const PAGE_SIZE: u32 = 50;

#[component]
pub fn OpsAuditPage() -> impl IntoView {
    view! { <OfficerOnly><AuditLog /></OfficerOnly> }
}

/// What is read so far.
#[derive(Clone, Debug, Default, PartialEq)]
struct Log {
    items: Vec<AuditEntry>,
    next_cursor: Option<String>,
    chain: Option<ChainCheck>,
    loading: bool,
    error: Option<String>,
}

#[component]
fn AuditLog() -> impl IntoView {
    let log = RwSignal::new(Log::default());
    let load_next = move || {
        let cursor = log.with_untracked(|l| l.next_cursor.clone());
        log.update(|l| {
            l.loading = true;
            l.error = None;
        });
        leptos::task::spawn_local(async move {
            match api_client::ops_audit(cursor.as_deref(), PAGE_SIZE).await {
                Ok(page) => log.update(|l| {
                    l.items.extend(page.items);
                    l.next_cursor = page.next_cursor;
                    l.chain = Some(page.chain);
                    l.loading = false;
                }),
                Err(error) => log.update(|l| {
                    l.loading = false;
                    l.error = Some(error.message);
                }),
            }
        });
    };
    load_next();
    view! {
        <section class="card ops-audit" aria-labelledby="ops-audit-title">
            <h1 id="ops-audit-title">{t(Ops::AuditTitle)}</h1>
            <p class="muted">{t(Ops::AuditLead)}</p>
            {move || {
                let current = log.get();
                let Some(chain) = current.chain.clone() else {
                    return match current.error {
                        Some(message) => view! { <ErrorState message on_retry=move |()| load_next() no_money_moved=true /> }.into_any(),
                        None => view! { <SkeletonList rows=4 /> }.into_any(),
                    };
                };
                let mark = match chain_mark(&chain) {
                    ChainMark::Verified(text) => view! { <p class="ops-chain" data-verified="true">"✓ "{text}</p> }.into_any(),
                    ChainMark::Broken(text) => view! { <p class="ops-chain" data-verified="false" role="alert">{text}</p> }.into_any(),
                };
                if current.items.is_empty() {
                    return view! { {mark}<div class="empty-state"><p class="empty-title">{t(Ops::AuditEmpty)}</p></div> }.into_any();
                }
                let broken = chain.first_broken;
                view! {
                    {mark}
                    <div class="ops-table-wrap" tabindex="0">
                        <table class="ops-table" aria-labelledby="ops-audit-title">
                            <thead><tr>
                                <th scope="col">{t(Ops::ColSeq)}</th>
                                <th scope="col">{t(Ops::ColTime)}</th>
                                <th scope="col">{t(Ops::ColActor)}</th>
                                <th scope="col">{t(Ops::ColAction)}</th>
                                <th scope="col">{t(Ops::ColSubject)}</th>
                                <th scope="col">{t(Ops::ColNote)}</th>
                                <th scope="col">{t(Ops::ColHash)}</th>
                            </tr></thead>
                            <tbody>
                                {current.items.into_iter().map(|entry| view! {
                                    <tr data-seq=entry.seq data-broken=(broken == Some(entry.seq)).then_some("true")>
                                        <td class="ops-num">{entry.seq}</td>
                                        <td><time datetime=entry.at.clone()>{format::when(&entry.at)}</time></td>
                                        <td><bdi>{entry.actor.clone()}</bdi></td>
                                        <td><code>{entry.action.clone()}</code></td>
                                        <td><bdi>{entry.subject.clone()}</bdi></td>
                                        <td class="ops-note-cell">{entry.note.clone()}</td>
                                        <td><code title=entry.hash.clone()>{short_hash(&entry.hash).to_string()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {match (current.loading, current.error, current.next_cursor.is_some()) {
                        (true, _, _) => view! { <SkeletonList rows=2 /> }.into_any(),
                        (false, Some(message), _) => view! { <ErrorState message on_retry=move |()| load_next() no_money_moved=true /> }.into_any(),
                        (false, None, true) => view! {
                            <button type="button" class="button button-secondary load-more" on:click=move |_| load_next()>{t(Text::LoadMore)}</button>
                        }.into_any(),
                        (false, None, false) => ().into_any(),
                    }}
                }.into_any()
            }}
        </section>
    }
}
