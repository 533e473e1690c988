//! The wallet home: one big balance (what is available, and what is pending when anything is),
//! the two primary actions (pay, request) and the two secondary ones (add money, withdraw) as a
//! row of labelled icon buttons, then the activity with infinite scroll; the balance and the
//! activity kept live by the event stream. Under the balance, when the server pays interest, the
//! APY and what has been earned this month (read again whenever the balance changes), and the
//! way to the monthly statements. New money slides in at the top and is announced to
//! screen readers. `/activity` draws the same activity alone ([`WalletHome`]'s `activity_only`).

use leptos::prelude::*;
use purse_api::interest::InterestSummary;
use purse_api::{Currency, Direction, Money, User, Wallet};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api_client::{self, ApiError};
use crate::components::activity_row::ActivityRow;
use crate::components::icons::{Icon, icon};
use crate::components::money::MoneyDisplay;
use crate::components::states::{EmptyState, ErrorState, LiveIndicator, SkeletonList};
use crate::flows::activity_feed::{Feed, PageState};
use crate::flows::statements_view::apy_line;
use crate::format;
use crate::live::{Handlers, Live, LiveStatus};
use crate::text::{Statements, Text, received_announcement, t};

const PAGE_SIZE: u32 = 20;

/// Bumped whenever the live stream says a request for money changed, for whatever lists them.
#[derive(Clone, Copy, Debug)]
pub struct RequestsVersion(pub RwSignal<u32>);

#[component]
pub fn WalletHome(
    user: User,
    /// Shown between the actions and the activity (the SPA's incoming requests; the embed's
    /// drawer leaves them to the full wallet). They read [`RequestsVersion`] from context.
    #[prop(optional)]
    children: Option<ChildrenFn>,
    /// The activity page: the activity alone, under its own main heading.
    #[prop(optional)]
    activity_only: bool,
) -> impl IntoView {
    let wallet: RwSignal<Option<Result<Wallet, ApiError>>> = RwSignal::new(None);
    let feed = RwSignal::new(Feed::default());
    let fresh = RwSignal::new(Vec::<String>::new());
    let announcement = RwSignal::new(String::new());
    let live_status = RwSignal::new(LiveStatus::Connecting);
    let requests_version = RwSignal::new(0u32);
    provide_context(RequestsVersion(requests_version));

    // What the balance earns: nothing shown until read, nor when it cannot be.
    let interest = RwSignal::new(None::<InterestSummary>);
    let load_interest = move || {
        if activity_only {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(summary) = api_client::interest().await {
                let _ = interest.try_set(Some(summary));
            }
        });
    };
    let load_wallet = move || {
        leptos::task::spawn_local(async move { wallet.set(Some(api_client::wallet().await)) });
        load_interest();
    };
    let load_next = move || {
        let Some(cursor) = feed.try_update(Feed::start_next).flatten() else { return };
        leptos::task::spawn_local(async move {
            match api_client::activity_page(cursor.as_deref(), PAGE_SIZE).await {
                Ok(page) => feed.update(|f| f.apply_page(page)),
                Err(error) => feed.update(|f| f.fail(error.message)),
            }
        });
    };
    load_wallet();
    load_next();

    let live = Live::connect(Handlers {
        activity: Box::new(move |activity| {
            let is_new = feed.try_update(|f| f.merge_live(activity.clone())).unwrap_or(false);
            if is_new {
                fresh.update(|ids| ids.push(activity.id.clone()));
                // A declined request's line is no money received.
                if activity.direction == Direction::In && activity.request_status.is_none() {
                    let amount = format::money(&activity.amount, activity.currency);
                    let from =
                        activity.counterparty.as_ref().map(|p| format!("{} (@{})", p.display_name, p.handle));
                    announcement.set(received_announcement(&amount, from.as_deref()));
                }
            }
        }),
        balance: Box::new(move |update| {
            wallet.set(Some(Ok(update)));
            load_interest();
        }),
        case: None,
        request: Box::new(move |_| requests_version.update(|v| *v += 1)),
        status: Box::new(move |status| live_status.set(status)),
        resync: Box::new(move || {
            load_wallet();
            requests_version.update(|v| *v += 1);
            feed.set(Feed::default());
            load_next();
        }),
    });
    let live = SendWrapper::new(live);
    on_cleanup(move || drop(live));

    let heading = move || {
        if activity_only {
            view! { <h1 id="activity-title">{t(Text::Activity)}</h1> }.into_any()
        } else {
            view! { <h2 id="activity-title">{t(Text::Activity)}</h2> }.into_any()
        }
    };
    let summary = (!activity_only).then(|| view! {
        <section class="card balance-card" aria-labelledby="balance-title">
            <h1 id="balance-title" class="balance-label">{t(Text::AvailableBalance)}</h1>
            {move || match wallet.get() {
                None => view! { <div class="skeleton skeleton-balance" aria-hidden="true"></div> }.into_any(),
                Some(Err(error)) => view! {
                    <ErrorState permanent=error.is_permanent() message=error.message on_retry=move |()| load_wallet() no_money_moved=true />
                }.into_any(),
                Some(Ok(wallet)) => balance_view(&wallet).into_any(),
            }}
            {move || interest.get().as_ref().and_then(apy_line).map(|(earning, earned)| view! {
                <p class="balance-interest" data-test="wallet-apy">
                    <span class="balance-apy">{earning}</span>
                    <span class="balance-earned" data-test="wallet-earned">{earned}</span>
                </p>
            })}
            <LiveIndicator status=live_status />
            <p class="balance-links">
                <a href="/statements" data-test="wallet-statements">{t(Statements::WalletLink)}</a>
            </p>
        </section>
        <div class="actions quick-actions">
            <a href="/send" class="quick-action quick-action-primary">{icon(Icon::Pay)}<span>{t(Text::NavPay)}</span></a>
            <a href="/request" class="quick-action quick-action-primary">{icon(Icon::Request)}<span>{t(Text::NavRequest)}</span></a>
            <a href="/add-money" class="quick-action" data-test="wallet-add-money">{icon(Icon::AddMoney)}<span>{t(Text::NavAddMoney)}</span></a>
            <a href="/withdraw" class="quick-action" data-test="wallet-withdraw">{icon(Icon::Withdraw)}<span>{t(Text::NavWithdraw)}</span></a>
        </div>
        {children.map(|children| children())}
        {(!user.pin_set).then(|| view! {
            <aside class="card notice">
                <p>{t(Text::SetPinPrompt)}</p>
                <a href="/settings/pin" class="button button-secondary">{t(Text::SetPinAction)}</a>
            </aside>
        })}
    });

    view! {
        {summary}
        <section class="card activity" aria-labelledby="activity-title">
            {heading}
            {move || {
                let current = feed.get();
                if !current.loaded {
                    return match current.state {
                        PageState::Failed(message) => view! {
                            <ErrorState message=message on_retry=move |()| { feed.update(Feed::retry); load_next(); } no_money_moved=true />
                        }.into_any(),
                        _ => view! { <SkeletonList rows=4 /> }.into_any(),
                    };
                }
                if current.is_empty() {
                    return view! { <EmptyState title=t(Text::ActivityEmptyTitle) body=t(Text::ActivityEmptyBody) /> }.into_any();
                }
                let fresh_ids = fresh.get();
                view! {
                    <ul class="activity-list">
                        {current.items.into_iter().map(|activity| {
                            let is_fresh = fresh_ids.contains(&activity.id);
                            view! { <ActivityRow activity=activity fresh=is_fresh /> }
                        }).collect_view()}
                    </ul>
                    {match current.state {
                        PageState::Idle => view! { <LoadMore on_load=Callback::new(move |()| load_next()) /> }.into_any(),
                        PageState::Loading => view! { <SkeletonList rows=2 /> }.into_any(),
                        PageState::Failed(message) => view! {
                            <ErrorState message=message on_retry=move |()| { feed.update(Feed::retry); load_next(); } no_money_moved=true />
                        }.into_any(),
                        PageState::Done => ().into_any(),
                    }}
                }.into_any()
            }}
        </section>
        <div class="visually-hidden" aria-live="polite" aria-atomic="true">{move || announcement.get()}</div>
    }
}

fn balance_view(wallet: &Wallet) -> impl IntoView {
    let balance = wallet.balances.first().cloned();
    let currency = balance.as_ref().map_or(Currency::Usd, |b| b.currency);
    let available = balance.as_ref().map_or_else(|| "0.00".to_string(), |b| b.available.clone());
    let is_set = |amount: &str| Money::parse_written(amount, currency).is_ok_and(|m| !m.is_zero());
    let pending_out = balance.as_ref().map(|b| b.pending_out.clone()).filter(|a| is_set(a));
    let pending_in = balance.as_ref().map(|b| b.pending_in.clone()).filter(|a| is_set(a));
    view! {
        <p class="balance-amount"><MoneyDisplay amount=available currency=currency /></p>
        {(pending_in.is_some() || pending_out.is_some()).then(|| view! {
            <p class="balance-pending">
                {pending_in.map(|amount| view! {
                    <span>{t(Text::PendingIn)}" "<MoneyDisplay amount=amount currency=currency /></span>
                })}
                {pending_out.map(|amount| view! {
                    <span>{t(Text::PendingOut)}" "<MoneyDisplay amount=amount currency=currency /></span>
                })}
            </p>
        })}
    }
}

/// A "show more" button that also loads by itself when it scrolls into view.
#[component]
fn LoadMore(on_load: Callback<()>) -> impl IntoView {
    let button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        let Some(element) = button.get() else { return };
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            let visible = entries.iter().any(|entry| {
                entry.dyn_into::<web_sys::IntersectionObserverEntry>().is_ok_and(|e| e.is_intersecting())
            });
            if visible {
                on_load.run(());
            }
        });
        if let Ok(observer) = web_sys::IntersectionObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&element);
            let kept = SendWrapper::new((observer, callback));
            on_cleanup(move || kept.0.disconnect());
        }
    });
    view! {
        <button type="button" class="button button-secondary load-more" node_ref=button on:click=move |_| on_load.run(())>
            {t(Text::LoadMore)}
        </button>
    }
}
