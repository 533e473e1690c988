//! `/statements`: a month's statement. A month picker (a labelled select: this month, so far,
//! and the months before it back to the account's first; last month to begin with, this month
//! for a new account), the month's totals (opening, in, out, interest, fees, closing), its
//! posted entries (date, description linking to the receipt, the signed amount, the balance
//! after; amounts isolated left to right, so a sign stays beside its number in Arabic), and links that download it as CSV, OFX or camt.053 (`purse-YYYY-MM.csv`, `.ofx`,
//! `.xml`: plain links to the API, the session cookie goes with them). Loading (a skeleton),
//! nothing posted (one line), could not load (what went wrong, and a retry) and no statement
//! for the month are designed. The decisions are [`crate::flows::statements_view`]'s; this file
//! draws them and does the HTTP through [`api_client`].

use std::collections::HashMap;

use leptos::prelude::*;
use purse_api::{Direction, Statement, StatementFormat};

use crate::api_client::{self, ApiError};
use crate::components::gate::SignedInOnly;
use crate::components::limit_note::now_ms;
use crate::components::money::MoneyDisplay;
use crate::components::states::{EmptyState, ErrorState, SkeletonList};
use crate::flows::statements_view::{
    Found, Picker, YearMonth, current_month, entry_view, failure, first_month, totals,
};
use crate::text::{Statements, t};

/// A month's statement as read: `None` while it is being read.
pub type Loaded = Option<Result<Statement, ApiError>>;

/// The statements read so far, by month.
pub type Read = HashMap<YearMonth, Loaded>;

/// The month select's id (its label's `for`).
const MONTH_ID: &str = "statement-month";

#[component]
pub fn StatementsPage() -> impl IntoView {
    view! { <SignedInOnly><StatementsLoader /></SignedInOnly> }
}

#[component]
fn StatementsLoader() -> impl IntoView {
    let picker = RwSignal::new(None::<Picker>);
    let read = RwSignal::new(Read::new());
    // This month is the server's (its clock may stand ahead of the browser's); the browser's
    // when the server cannot say.
    leptos::task::spawn_local(async move {
        let (this_month, first) = match api_client::interest().await {
            Ok(summary) => (current_month(&summary), first_month(&summary)),
            Err(_) => (None, None),
        };
        let this_month = this_month.unwrap_or_else(|| YearMonth::of_unix_ms(now_ms()));
        // Without the server's word, last month is offered (a 404 takes it away).
        let first = first.unwrap_or_else(|| this_month.previous());
        let _ = picker.try_set(Some(Picker::new(this_month, first)));
    });
    let fetch = move |month: YearMonth| {
        read.update(|read| {
            read.insert(month, None);
        });
        leptos::task::spawn_local(async move {
            let answer = api_client::statement(&month.code()).await;
            let found = Found::of(&answer);
            let _ = read.try_update(|read| read.insert(month, Some(answer)));
            let _ = picker.try_update(|picker| {
                if let Some(picker) = picker {
                    picker.answered(month, found);
                }
            });
        });
    };
    // Whatever is picked is read once.
    Effect::new(move |_| {
        let Some(selected) = picker.with(|p| p.as_ref().map(|p| p.selected)) else {
            return;
        };
        if !read.with(|read| read.contains_key(&selected)) {
            fetch(selected);
        }
    });
    // Trying again forgets the failed answer; the effect reads it again.
    let retry = Callback::new(move |month: YearMonth| {
        read.update(|read| {
            read.remove(&month);
        });
    });
    view! { <StatementsView picker read on_retry=retry /> }
}

/// The page for what was read: a test can put it in any state.
#[component]
pub fn StatementsView(
    picker: RwSignal<Option<Picker>>,
    read: RwSignal<Read>,
    on_retry: Callback<YearMonth>,
) -> impl IntoView {
    let selected = Memo::new(move |_| picker.with(|p| p.as_ref().map(|p| p.selected)));
    let options = Memo::new(move |_| picker.with(|p| p.as_ref().map(Picker::options).unwrap_or_default()));
    let on_change = move |event: leptos::ev::Event| {
        let code = event_target_value(&event);
        picker.update(|p| {
            if let Some(p) = p {
                p.select(&code);
            }
        });
    };
    view! {
        <section class="card statements-head" aria-labelledby="statements-title" data-test="statements">
            <h1 id="statements-title">{t(Statements::Title)}</h1>
            <p class="muted">{t(Statements::Lead)}</p>
            <div class="field statement-month-field">
                <label for=MONTH_ID>{t(Statements::MonthLabel)}</label>
                <select id=MONTH_ID name=MONTH_ID on:change=on_change disabled=move || selected.get().is_none()>
                    {move || {
                        let chosen = selected.get().map(YearMonth::code).unwrap_or_default();
                        options.get().into_iter().map(|(code, label)| {
                            let is_chosen = code == chosen;
                            view! { <option value=code prop:selected=is_chosen>{label}</option> }
                        }).collect_view()
                    }}
                </select>
            </div>
        </section>
        {move || {
            let Some(month) = selected.get() else {
                return view! { <section class="card"><SkeletonList rows=3 /></section> }.into_any();
            };
            match read.with(|read| read.get(&month).cloned().flatten()) {
                None => view! {
                    <section class="card statement" data-month=month.code()><SkeletonList rows=4 /></section>
                }
                .into_any(),
                Some(Err(error)) => {
                    let (message, permanent) = failure(&error);
                    view! {
                        <section class="card statement" data-month=month.code() data-state="error">
                            <ErrorState message=message permanent=permanent no_money_moved=true
                                on_retry=Callback::new(move |()| on_retry.run(month)) />
                        </section>
                    }
                    .into_any()
                }
                Some(Ok(statement)) => view! { <StatementBody month statement /> }.into_any(),
            }
        }}
    }
}

/// A statement read: its totals, its entries and its downloads.
#[component]
fn StatementBody(month: YearMonth, statement: Statement) -> impl IntoView {
    let currency = statement.currency;
    let totals = totals(&statement);
    let entries: Vec<_> = statement.entries.iter().map(|entry| entry_view(entry, currency)).collect();
    let downloads = [
        (StatementFormat::Csv, Statements::DownloadCsv),
        (StatementFormat::Ofx, Statements::DownloadOfx),
        (StatementFormat::Camt053, Statements::DownloadCamt),
    ];
    view! {
        <section class="card statement" aria-labelledby="statement-title" data-month=month.code() data-state="read">
            <h2 id="statement-title">{month.label()}</h2>
            <dl class="statement-totals">
                {totals.into_iter().map(|total| view! {
                    <div class="statement-total" data-total=total.name>
                        <dt>{total.label}</dt>
                        <dd class="money"><bdi dir="ltr">{total.amount}</bdi></dd>
                    </div>
                }).collect_view()}
            </dl>
        </section>
        <section class="card statement-entries-card" aria-labelledby="statement-entries-title">
            <h2 id="statement-entries-title">{t(Statements::EntriesHeading)}</h2>
            {if entries.is_empty() {
                view! { <EmptyState title=t(Statements::EmptyTitle) body=t(Statements::EmptyBody) /> }.into_any()
            } else {
                view! {
                    <ul class="statement-entries">
                        {entries.into_iter().map(|entry| {
                            let direction = if entry.direction == "in" { Direction::In } else { Direction::Out };
                            view! {
                                <li class="statement-entry" data-kind=entry.kind data-direction=entry.direction data-activity=entry.activity_id.clone()>
                                    <span class="statement-entry-main">
                                        <a class="statement-entry-description" href=entry.href.clone()><bdi>{entry.description.clone()}</bdi></a>
                                        <time class="muted" datetime=entry.booked_at.clone()>{entry.date.clone()}</time>
                                    </span>
                                    <span class="statement-entry-side">
                                        <bdi dir="ltr">
                                            <MoneyDisplay amount=entry.raw_amount.clone() currency=currency direction=direction class="statement-entry-amount" />
                                        </bdi>
                                        <span class="muted statement-entry-balance">
                                            {t(Statements::ColBalance)}" "<bdi dir="ltr">{entry.balance_after.clone()}</bdi>
                                        </span>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
        <section class="card statement-downloads" aria-labelledby="statement-downloads-title">
            <h2 id="statement-downloads-title">{t(Statements::DownloadHeading)}</h2>
            <p class="muted">{t(Statements::FormatsNote)}</p>
            <div class="actions statement-download-links">
                {downloads.into_iter().map(|(format, label)| {
                    let (href, file) = month.download(format);
                    view! {
                        <a class="button button-secondary" href=href download=file data-format=format.name()>{t(label)}</a>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}
