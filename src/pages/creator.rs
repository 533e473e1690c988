//! `/creator`: the creator's dashboard. Tips arrive live (with their message, and the supporter
//! or "Anonymous"), totals for today, this week and all time, top supporters (anonymous tips
//! counted, never named), goal progress, and the settings: creator mode, presets, goal. Before
//! creator mode is on, the page is the way to turn it on.

use leptos::prelude::*;
use purse_api::{
    ActivityKind, Amount, AmountText, CreatorDashboard, CreatorSettings, Currency, Direction, GoalSettings,
    TipItem,
};
use send_wrapper::SendWrapper;

use crate::api_client::{self, ApiError};
use crate::components::fields::TextField;
use crate::components::gate::SignedInOnly;
use crate::components::money::MoneyDisplay;
use crate::components::states::{EmptyState, ErrorState, LiveIndicator, SkeletonList};
use crate::components::tip_sheet::GoalProgress;
use crate::flows::creator_dashboard::{parse_presets, presets_text, supporter_name};
use crate::format;
use crate::live::{Handlers, Live, LiveStatus};
use crate::session::use_session;
use crate::text::{Text, t, tips_count};

/// How many recent tips the dashboard lists.
const RECENT_TIPS: u32 = 20;

#[component]
pub fn CreatorPage() -> impl IntoView {
    view! { <SignedInOnly><Dashboard /></SignedInOnly> }
}

#[component]
fn Dashboard() -> impl IntoView {
    let dashboard = RwSignal::new(None::<Result<CreatorDashboard, ApiError>>);
    let tips = RwSignal::new(None::<Result<Vec<TipItem>, ApiError>>);
    let fresh = RwSignal::new(Vec::<String>::new());
    let announcement = RwSignal::new(String::new());
    let live_status = RwSignal::new(LiveStatus::Connecting);

    // The settings form starts from the first dashboard read and then keeps what the person
    // types: live tips reload the dashboard, never the form.
    let settings = RwSignal::new(None::<CreatorDashboard>);
    let load_dashboard = move || {
        leptos::task::spawn_local(async move {
            let answer = api_client::creator_dashboard().await;
            if let Ok(data) = &answer
                && settings.with_untracked(Option::is_none)
            {
                settings.set(Some(data.clone()));
            }
            dashboard.set(Some(answer));
        });
    };
    let saved = Callback::new(move |()| load_dashboard());
    // Reloads the list; tips not listed before are new, and slide in.
    let load_tips = move |live: bool| {
        leptos::task::spawn_local(async move {
            let answer = api_client::tips_received(RECENT_TIPS).await.map(|page| page.items);
            if live && let Ok(items) = &answer {
                let known: Vec<String> = tips.with_untracked(|t| {
                    t.as_ref()
                        .and_then(|r| r.as_ref().ok())
                        .map_or_else(Vec::new, |items| items.iter().map(|i| i.tip.id.clone()).collect())
                });
                let new: Vec<&TipItem> = items.iter().filter(|i| !known.contains(&i.tip.id)).collect();
                if let Some(newest) = new.first() {
                    let amount = format::money(&newest.tip.amount, newest.tip.currency);
                    announcement.set(format!(
                        "{}: {amount}, {}",
                        t(Text::CreatorTipReceived),
                        supporter_name(newest)
                    ));
                }
                fresh.update(|ids| ids.extend(new.iter().map(|i| i.tip.id.clone())));
            }
            tips.set(Some(answer));
        });
    };
    load_dashboard();
    load_tips(false);

    let live = Live::connect(Handlers {
        activity: Box::new(move |activity| {
            if activity.kind == ActivityKind::Tip && activity.direction == Direction::In {
                load_tips(true);
                load_dashboard();
            }
        }),
        balance: Box::new(|_| {}),
        case: None,
        request: Box::new(|_| {}),
        status: Box::new(move |status| live_status.set(status)),
        resync: Box::new(move || {
            load_dashboard();
            load_tips(false);
        }),
    });
    let live = SendWrapper::new(live);
    on_cleanup(move || drop(live));

    view! {
        {move || match dashboard.get() {
            None => view! { <section class="card"><SkeletonList rows=3 /></section> }.into_any(),
            Some(Err(error)) => view! {
                <section class="card"><ErrorState permanent=error.is_permanent() message=error.message on_retry=move |()| load_dashboard() no_money_moved=true /></section>
            }.into_any(),
            Some(Ok(data)) if !data.creator.enabled => view! {
                <section class="card hero" aria-labelledby="creator-title">
                    <h1 id="creator-title">{t(Text::CreatorOffTitle)}</h1>
                    <p class="lead">{t(Text::CreatorOffLead)}</p>
                </section>
            }.into_any(),
            Some(Ok(data)) => view! {
                <section class="card" aria-labelledby="creator-title">
                    <h1 id="creator-title">{t(Text::CreatorTitle)}</h1>
                    <LiveIndicator status=live_status />
                    <Totals data=data.clone() />
                    {data.creator.goal.clone().map(|goal| view! { <GoalProgress title=goal.title raised=goal.raised target=goal.target /> })}
                </section>
                <section class="card activity" aria-labelledby="tips-title">
                    <h2 id="tips-title">{t(Text::CreatorLiveTips)}</h2>
                    <TipList tips fresh />
                </section>
                <Supporters data=data />
            }.into_any(),
        }}
        {move || settings.get().map(|data| view! { <Settings data on_saved=saved /> })}
        <div class="visually-hidden" aria-live="polite" aria-atomic="true">{move || announcement.get()}</div>
    }
}

#[component]
fn Totals(data: CreatorDashboard) -> impl IntoView {
    let totals = data.totals;
    let currency = totals.currency;
    let stat = |label: Text, amount: String, class: &'static str| {
        view! {
            <div class=format!("stat {class}")>
                <dt>{t(label)}</dt>
                <dd><MoneyDisplay amount=amount currency=currency /></dd>
            </div>
        }
    };
    view! {
        <dl class="stats">
            {stat(Text::CreatorToday, totals.today, "stat-today")}
            {stat(Text::CreatorThisWeek, totals.this_week, "stat-week")}
            {stat(Text::CreatorAllTime, totals.all_time, "stat-all")}
        </dl>
        <p class="muted">{tips_count(totals.tips)}</p>
    }
}

#[component]
fn TipList(
    tips: RwSignal<Option<Result<Vec<TipItem>, ApiError>>>,
    fresh: RwSignal<Vec<String>>,
) -> impl IntoView {
    move || match tips.get() {
        None => view! { <SkeletonList rows=3 /> }.into_any(),
        Some(Err(error)) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
        Some(Ok(items)) if items.is_empty() => {
            view! { <EmptyState title=t(Text::CreatorNoTips) body=t(Text::CreatorNoTipsBody) /> }.into_any()
        }
        Some(Ok(items)) => {
            let fresh_ids = fresh.get();
            view! {
                <ul class="activity-list tip-list">
                    {items.into_iter().map(|item| {
                        let name = supporter_name(&item);
                        let initial = name.chars().next().unwrap_or('?').to_uppercase().to_string();
                        let is_fresh = fresh_ids.contains(&item.tip.id);
                        let anonymous = item.supporter.is_none();
                        view! {
                            <li class="activity-row tip-row" class:fresh=is_fresh data-id=item.tip.id.clone()>
                                <span class="avatar" class:anonymous=anonymous aria-hidden="true">{initial}</span>
                                <span class="activity-text">
                                    <span class="activity-title">{name}</span>
                                    <span class="activity-subtitle muted">
                                        {item.tip.message.clone().map(|m| format!("“{m}” · ")).unwrap_or_default()}
                                        {format::when(&item.tip.created_at)}
                                    </span>
                                </span>
                                <span class="activity-amount">
                                    <MoneyDisplay amount=item.tip.amount.clone() currency=item.tip.currency direction=Direction::In />
                                </span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }
    }
}

#[component]
fn Supporters(data: CreatorDashboard) -> impl IntoView {
    let anonymous = data.anonymous;
    view! {
        <section class="card" aria-labelledby="supporters-title">
            <h2 id="supporters-title">{t(Text::CreatorTopSupporters)}</h2>
            {if data.top_supporters.is_empty() {
                view! { <p class="muted">{t(Text::CreatorNoSupporters)}</p> }.into_any()
            } else {
                view! {
                    <ol class="supporters">
                        {data.top_supporters.into_iter().map(|s| view! {
                            <li class="supporter">
                                <span class="person-names">
                                    <strong>{s.supporter.display_name.clone()}</strong>
                                    <span class="muted">"@"{s.supporter.handle.to_string()}" · "{tips_count(s.tips)}</span>
                                </span>
                                <MoneyDisplay amount=s.total currency=Currency::Usd />
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            {(anonymous.tips > 0).then(|| view! {
                <p class="supporter anonymous-total">
                    <span class="person-names">
                        <strong>{t(Text::AnonymousSupporters)}</strong>
                        <span class="muted">{tips_count(anonymous.tips)}</span>
                    </span>
                    <MoneyDisplay amount=anonymous.total currency=Currency::Usd />
                </p>
            })}
        </section>
    }
}

/// Creator mode, presets and goal.
#[component]
fn Settings(data: CreatorDashboard, on_saved: Callback<()>) -> impl IntoView {
    let session = use_session();
    let creator = data.creator;
    // On the page that turns creator mode on, saving turns it on.
    let enabled = RwSignal::new(true);
    let presets = RwSignal::new(presets_text(&creator.tip_presets));
    let goal_title = RwSignal::new(creator.goal.as_ref().map(|g| g.title.clone()).unwrap_or_default());
    let goal_target = RwSignal::new(creator.goal.as_ref().map(|g| g.target.clone()).unwrap_or_default());
    let presets_error = RwSignal::new(None::<String>);
    let title_error = RwSignal::new(None::<String>);
    let target_error = RwSignal::new(None::<String>);
    let form_error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);

    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        for signal in [presets_error, title_error, target_error, form_error] {
            signal.set(None);
        }
        saved.set(false);
        let parsed = parse_presets(&presets.get_untracked());
        if let Err(message) = &parsed {
            presets_error.set(Some(message.to_string()));
        }
        let title = goal_title.get_untracked().trim().to_string();
        let target = goal_target.get_untracked().trim().to_string();
        let goal = if title.is_empty() {
            Some(None)
        } else if Amount::parse(&target, "USD").is_err() {
            target_error.set(Some(t(Text::CreatorGoalTargetNeeded).to_string()));
            None
        } else {
            Some(Some(GoalSettings { title, target: AmountText::Text(target) }))
        };
        let (Ok(parsed), Some(goal)) = (parsed, goal) else { return };
        let settings = CreatorSettings {
            enabled: enabled.get_untracked(),
            tip_presets: Some(parsed.iter().map(|p| AmountText::Text(p.clone())).collect()),
            goal: Some(goal),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::set_creator(&settings).await {
                Ok(_) => {
                    saved.set(true);
                    session.refresh();
                    // The page may have gone meanwhile.
                    let _ = on_saved.try_run(());
                }
                Err(error) => match error.field.as_deref() {
                    Some("tip_presets") => presets_error.set(Some(error.message)),
                    Some("goal.title") => title_error.set(Some(error.message)),
                    Some("goal.target") => target_error.set(Some(error.message)),
                    _ => form_error.set(Some(error.message)),
                },
            }
            busy.set(false);
        });
    };

    view! {
        <section class="card form-card" aria-labelledby="settings-title">
            <h2 id="settings-title">{t(Text::CreatorSettings)}</h2>
            <form on:submit=save novalidate=true>
                <label class="switch">
                    <input type="checkbox" role="switch" id="creator-enabled"
                        prop:checked=move || enabled.get()
                        on:change=move |event| enabled.set(event_target_checked(&event)) />
                    <span class="switch-track" aria-hidden="true"></span>
                    <span>{t(Text::CreatorEnabled)}</span>
                </label>
                <TextField id="presets" label=t(Text::CreatorPresets) value=presets error=presets_error hint=t(Text::CreatorPresetsHint) inputmode="decimal" maxlength=80 />
                <TextField id="goal-title" label=t(Text::CreatorGoalTitle) value=goal_title error=title_error hint=t(Text::CreatorGoalHint) maxlength=80 />
                <TextField id="goal-target" label=t(Text::CreatorGoalTarget) value=goal_target error=target_error inputmode="decimal" maxlength=12 />
                <p class="form-error" role="alert">{move || form_error.get()}</p>
                <p class="form-success" role="status">{move || saved.get().then(|| t(Text::CreatorSaved))}</p>
                <button type="submit" class="button button-block" disabled=move || busy.get()>
                    {move || if busy.get() { t(Text::CreatorSaving) } else { t(Text::CreatorSave) }}
                </button>
            </form>
        </section>
    }
}
