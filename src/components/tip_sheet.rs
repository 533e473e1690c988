//! The tip sheet: tip a creator for a post. Sign in inline when needed; the creator's name,
//! avatar and goal; their preset amounts or one typed; a message; an anonymous switch; the PIN
//! above the step-up threshold (or below it, once the server asks: the day's payments without
//! it passed the threshold); the review ([`ReviewSummary`]) that says what will happen; and
//! what the wallet can cover: presets above it are off (and say why), a bigger amount is refused
//! before the review with Add money one tap away; so is an amount over the sending limit, with when
//! room comes back and the limits page one tap away, and everything for a person whose status
//! stops payments ([`LimitNote`]). Its decisions are [`crate::flows::tip_flow::TipFlow`]; this file draws them.

use leptos::prelude::*;
use purse_api::compliance::LimitKind;
use purse_api::{Creator, Currency, ErrorCode, Handle, Tip};
use wasm_bindgen::JsCast;

use crate::api_client::{self, ApiError};
use crate::components::fields::TextField;
use crate::components::limit_note::{LimitNote, use_headroom};
use crate::components::money::{MoneyDisplay, ShortfallNote};
use crate::components::review_summary::ReviewSummary;
use crate::components::sign_in::SignInForm;
use crate::components::states::{ErrorState, SkeletonList};
use crate::flows::activity_feed::held_for_review;
use crate::flows::next_path::{self, Reopen};
use crate::flows::tip_flow::{Choice, Step, TipFlow};
use crate::format;
use crate::session::use_session;
use crate::text::{Text, t};

/// The id of the sheet's title, for the dialog's `aria-labelledby`.
pub const TITLE_ID: &str = "tip-title";

/// The whole sheet for `creator`'s post: signs the person in if needed, loads the creator,
/// then runs the flow. `on_sent` hears about each tip the server accepted.
#[component]
pub fn TipSheet(
    creator: Handle,
    post_id: Option<String>,
    on_sent: Callback<Tip>,
    on_close: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let signed_in = Memo::new(move |_| session.person().map(|person| person.map(|user| user.handle)));
    move || {
        let creator = creator.clone();
        let post_id = post_id.clone();
        match signed_in.get() {
            None => view! { <SheetTitle text=format!("{} @{creator}", t(Text::TipTitle)) /><SkeletonList rows=2 /> }
                .into_any(),
            Some(None) => {
                // A new account comes back to this host page with this sheet open again.
                let open = Reopen::Tip { creator: creator.to_string(), post: post_id.clone() };
                let back = crate::session::return_path().map(|here| next_path::host_return(&here, &open));
                view! {
                    <SheetTitle text=format!("{} @{creator}", t(Text::TipSignIn)) />
                    <SignInForm return_to=back />
                }
            }
            .into_any(),
            Some(Some(me)) if me == creator => view! {
                <SheetTitle text=format!("{} @{creator}", t(Text::TipTitle)) />
                <p>{t(Text::TipYourself)}</p>
                <button type="button" class="button button-block" on:click=move |_| on_close.run(())>{t(Text::Close)}</button>
            }
            .into_any(),
            Some(Some(_)) => view! { <LoadedSheet creator post_id on_sent on_close /> }.into_any(),
        }
    }
}

#[component]
fn SheetTitle(text: String) -> impl IntoView {
    view! { <h2 id=TITLE_ID class="sheet-title">{text}</h2> }
}

/// Loads the creator's page, then shows the form.
#[component]
fn LoadedSheet(
    creator: Handle,
    post_id: Option<String>,
    on_sent: Callback<Tip>,
    on_close: Callback<()>,
) -> impl IntoView {
    // What was loaded, the creator: the flow starts when the form is drawn, so no whole flow is
    // carried through the request (the embed is smaller for it).
    let loaded = RwSignal::new(None::<Result<Creator, ApiError>>);
    let available = RwSignal::new(None::<String>);
    // The sending limit, read once for the sheet.
    let headroom = use_headroom(LimitKind::Send);
    let load = {
        let creator = creator.clone();
        move || {
            let creator = creator.clone();
            loaded.set(None);
            leptos::task::spawn_local(async move {
                let page = api_client::creator(&creator).await;
                // What the wallet can spend, so presets above it are off from the start (unread:
                // all on, and the server decides).
                let wallet = api_client::wallet().await.ok();
                let _ = available.try_set(wallet.and_then(|wallet| {
                    wallet.balances.into_iter().find(|b| b.currency == Currency::Usd).map(|b| b.available)
                }));
                let _ = loaded.try_set(Some(page));
            });
        }
    };
    load();
    move || match loaded.get() {
        None => {
            view! { <SheetTitle text=format!("{} @{creator}", t(Text::TipTitle)) /><SkeletonList rows=3 /> }
                .into_any()
        }
        // The flow's signal belongs to this view, and goes with it.
        Some(Ok(page)) => {
            let mut flow = TipFlow::new(page, post_id.clone());
            flow.available = available.get_untracked();
            let flow = RwSignal::new(flow);
            Effect::new(move |_| {
                if let Some(read) = headroom.get() {
                    flow.update(|f| f.headroom = Some(read));
                }
            });
            view! { <TipForm flow on_sent on_close /> }.into_any()
        }
        Some(Err(error)) => {
            // Not a creator (or gone): nothing to retry. Anything else may pass.
            let message = match error.code {
                Some(ErrorCode::NotFound) => format!("@{creator} {}", t(Text::TipNotTaken)),
                _ => error.message,
            };
            let load = load.clone();
            view! {
                <SheetTitle text=format!("{} @{creator}", t(Text::TipTitle)) />
                <ErrorState message=message on_retry=move |()| load() no_money_moved=true />
            }
            .into_any()
        }
    }
}

/// The form, the confirmation and the result for a loaded creator: everything it shows comes
/// from `flow`, so a test can put the sheet in any state.
#[component]
pub fn TipForm(flow: RwSignal<TipFlow>, on_sent: Callback<Tip>, on_close: Callback<()>) -> impl IntoView {
    let session = use_session();
    // What the form starts from, read rather than copying the whole flow.
    let (custom, message, pin, creator) =
        flow.with_untracked(|f| (f.custom.clone(), f.message.clone(), f.pin.clone(), f.creator.clone()));
    let (custom, message, pin) = (RwSignal::new(custom), RwSignal::new(message), RwSignal::new(pin));
    let copy_fields = move |flow: &mut TipFlow| {
        flow.custom = custom.get_untracked();
        flow.message = message.get_untracked();
        flow.pin = pin.get_untracked();
    };
    let problem = move |pick: fn(&TipFlow) -> Option<String>| Signal::derive(move || flow.with(pick));
    // What the wallet is short of is said once, with Add money, by the shortfall note.
    let amount_error = problem(|f| f.problems.amount.clone().filter(|_| f.short.is_none()));
    let message_error = problem(|f| f.problems.message.clone());
    let pin_error = problem(|f| f.problems.pin.clone());
    let sheet = NodeRef::<leptos::html::Div>::new();

    // The step alone decides which form is drawn: choosing an amount or flipping the switch
    // changes the flow, not the form (so focus stays on the radio a keyboard is moving through).
    let step = Memo::new(move |_| flow.with(|f| f.step.clone()));
    // Whether the confirmation asks for the PIN: the server may ask for it after the fact.
    let needs_pin = Memo::new(move |_| flow.with(TipFlow::needs_pin));
    let pin_asked = Memo::new(move |_| needs_pin.get() && step.with(|s| *s == Step::Review));
    // Each step (the first included) puts focus where the person continues, and so does a PIN
    // field the server asked for.
    Effect::new(move |previous: Option<(std::mem::Discriminant<Step>, bool)>| {
        let current = (step.with(std::mem::discriminant), pin_asked.get());
        if previous != Some(current) {
            focus_marked(sheet);
        }
        current
    });

    let review = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        flow.update(|f| {
            copy_fields(f);
            f.review(api_client::new_idempotency_key);
        });
        pin.set(String::new());
    };

    let send = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((request, key)) = flow
            .try_update(|f| {
                copy_fields(f);
                f.send().map(|request| (request, f.attempt.key().to_string()))
            })
            .flatten()
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            let answer = api_client::tip(&request, &key).await;
            let available = match &answer {
                Err(error) if error.code == Some(ErrorCode::InsufficientFunds) => {
                    api_client::wallet().await.ok().and_then(|wallet| {
                        wallet.balances.into_iter().find(|b| b.currency == Currency::Usd).map(|b| b.available)
                    })
                }
                _ => None,
            };
            // The sheet may have been closed meanwhile: the callback and signals may be gone,
            // and that is fine (the tip itself is the server's and the host still hears of it).
            match &answer {
                Ok(tip) => {
                    let _ = on_sent.try_run(tip.clone());
                }
                Err(error) if error.is_unauthenticated() => session.set_user(None),
                Err(_) => {}
            }
            pin.set(String::new());
            flow.update(|f| f.answer(&key, answer, available));
        });
    };

    view! {
        <div class="tip-sheet" node_ref=sheet>
            <CreatorHeader creator=creator />
            {move || match step.get() {
                Step::Choose => view! {
                    <form class="tip-form" on:submit=review novalidate=true>
                        {move || flow.with(TipFlow::blocked).map(|refusal| view! {
                            <LimitNote refusal=refusal id="tip-blocked" />
                        })}
                        <Presets flow />
                        {move || flow.with(|f| f.choice == Some(Choice::Custom)).then(|| view! {
                            <TextField id="tip-custom" label=t(Text::TipOtherAmount) value=custom error=amount_error hint=t(Text::AmountHint) inputmode="decimal" maxlength=12 />
                        })}
                        {move || flow.with(|f| f.choice != Some(Choice::Custom) && f.short.is_none()).then(|| view! {
                            <p class="field-error" id="tip-amount-error" role="alert">{move || amount_error.get()}</p>
                        })}
                        {move || flow.with(|f| f.short.clone()).map(|short| view! {
                            <ShortfallNote shortfall=short id="tip-short" />
                        })}
                        {move || flow.with(|f| f.over_limit.clone().filter(|refusal| Some(refusal) != f.blocked().as_ref())).map(|refusal| view! {
                            <LimitNote refusal=refusal id="tip-limit" />
                        })}
                        {move || flow.with(|f| f.short.is_none() && f.short_of_funds.is_some()).then(|| view! {
                            <p class="muted"><a href="/add-money" target="_top">{t(Text::AddMoney)}</a></p>
                        })}
                        <TextField id="tip-message" label=t(Text::TipMessage) value=message error=message_error hint=t(Text::TipMessageHint) maxlength=400 />
                        <label class="switch">
                            <input type="checkbox" role="switch" id="tip-anonymous"
                                prop:checked=move || flow.with(|f| f.anonymous)
                                on:change=move |event| flow.update(|f| f.anonymous = event_target_checked(&event))
                                aria-describedby="tip-anonymous-hint" />
                            <span class="switch-track" aria-hidden="true"></span>
                            <span>{t(Text::TipAnonymous)}</span>
                        </label>
                        <p class="field-hint" id="tip-anonymous-hint">{t(Text::TipAnonymousHint)}</p>
                        <button type="submit" class="button button-block">{t(Text::TipContinue)}</button>
                    </form>
                }.into_any(),
                Step::Review | Step::Sending => {
                    let (note, summary) = flow.with_untracked(|current| {
                        (current.cleaned_message().ok().flatten(), current.summary())
                    });
                    let Some(summary) = summary else { return ().into_any() };
                    let pin_first = needs_pin.get_untracked();
                    view! {
                        <form class="tip-form" on:submit=send novalidate=true>
                            <ReviewSummary review=summary id="tip-review" focus=!pin_first
                                busy=Signal::derive(move || flow.with(|f| f.step == Step::Sending)) busy_label=t(Text::TipSending)
                                can_edit=Signal::derive(move || flow.with(TipFlow::can_edit))
                                on_edit=Callback::new(move |()| flow.update(TipFlow::edit))>
                                {note.map(|note| view! { <p class="muted tip-quote">"“"{note}"”"</p> })}
                                {move || needs_pin.get().then(|| view! {
                                    <p class="muted" id="tip-pin-reason" role="status">{flow.with_untracked(TipFlow::pin_reason)}</p>
                                    <div data-autofocus="">
                                        <TextField id="tip-pin" label=t(Text::PaymentPin) value=pin error=pin_error kind="password" inputmode="numeric" maxlength=6 autocomplete="off" />
                                    </div>
                                })}
                                <p class="form-error" role="alert">{move || flow.with(|f| f.problems.form.clone())}</p>
                            </ReviewSummary>
                        </form>
                    }.into_any()
                }
                Step::Sent(tip) => {
                    let name = flow.with_untracked(|f| f.creator.display_name.clone());
                    // Held for review: "Pending review" and the one generic sentence.
                    let held = held_for_review(tip.review.as_ref());
                    view! {
                        <div class="done" role="status" data-held=held.is_some().then_some("true")>
                            <p class="done-title" tabindex="-1" data-autofocus="">{held.map_or(t(Text::TipSentTitle), |(words, _)| words)}</p>
                            <p class="balance-amount"><MoneyDisplay amount=tip.amount.clone() currency=tip.currency /></p>
                            <p>{format!("{} {name} {}.", t(Text::TipSentTo), format::money(&tip.amount, tip.currency))}</p>
                            {held.map(|(_, message)| view! { <p class="notice review-hold" data-test="review-message">{message}</p> })}
                            <button type="button" class="button button-block" on:click=move |_| on_close.run(())>{t(Text::TipDone)}</button>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// Moves focus to the first input inside an element marked `data-autofocus` in `sheet`, or else
/// the first marked element, once the new step is drawn.
fn focus_marked(sheet: NodeRef<leptos::html::Div>) {
    request_animation_frame(move || {
        // The sheet may have closed since.
        let Some(root) = sheet.try_get_untracked().flatten() else { return };
        let find = |css: &str| root.query_selector(css).ok().flatten();
        let marked = find("[data-autofocus] input").or_else(|| find("[data-autofocus]"));
        if let Some(element) = marked.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

/// The creator: avatar, name, handle, and their goal's progress when they have one.
#[component]
fn CreatorHeader(creator: Creator) -> impl IntoView {
    let initial = creator.display_name.chars().next().unwrap_or('?').to_uppercase().to_string();
    let goal = creator.goal.clone();
    view! {
        <div class="person sheet-person">
            <span class="avatar avatar-large" aria-hidden="true">{initial}</span>
            <div class="person-names">
                <h2 id=TITLE_ID class="sheet-title">{format!("{} {}", t(Text::TipTitle), creator.display_name)}</h2>
                <span class="muted">"@"{creator.handle.to_string()}</span>
            </div>
        </div>
        {goal.map(|goal| view! { <GoalProgress title=goal.title raised=goal.raised target=goal.target /> })}
    }
}

/// A goal as a bar and words: "$120.00 raised of $500.00".
#[component]
pub fn GoalProgress(title: String, raised: String, target: String) -> impl IntoView {
    let minor =
        |amount: &str| purse_api::Money::parse_written(amount, Currency::Usd).map_or(0, |m| m.to_minor());
    let (raised_minor, target_minor) = (minor(&raised), minor(&target).max(1));
    let words = format!(
        "{} {} {}",
        format::money(&raised, Currency::Usd),
        t(Text::GoalRaised),
        format::money(&target, Currency::Usd)
    );
    view! {
        <div class="goal">
            <p class="goal-title"><span class="muted">{t(Text::GoalLabel)}": "</span>{title}</p>
            <progress class="goal-bar" max=target_minor.to_string() value=raised_minor.min(target_minor).to_string() aria-label=words.clone()></progress>
            <p class="muted goal-words">{words}</p>
        </div>
    }
}

/// The id of the sentence saying why some presets are off.
const PRESETS_OFF_ID: &str = "tip-presets-off";

/// The preset amounts and "Other", as one group of radio buttons drawn as pills; those above what
/// the wallet can spend are off, tied to the sentence that says why.
#[component]
fn Presets(flow: RwSignal<TipFlow>) -> impl IntoView {
    let presets = flow.with_untracked(TipFlow::presets);
    let reason = Memo::new(move |_| flow.with(TipFlow::presets_off_reason));
    view! {
        <fieldset class="presets" aria-describedby="tip-amount-error" data-autofocus="">
            <legend>{t(Text::TipAmount)}</legend>
            {presets.into_iter().enumerate().map(|(index, amount)| {
                let written = amount.money().amount_string();
                let fits = move || flow.with(|f| f.affordable(amount));
                view! {
                    <label class="preset" class:unavailable=move || !fits()>
                        <input type="radio" name="tip-amount" value=written.clone()
                            prop:checked=move || flow.with(|f| f.choice == Some(Choice::Preset(index)))
                            disabled=move || !fits()
                            aria-describedby=move || (!fits()).then_some(PRESETS_OFF_ID)
                            on:change=move |_| flow.update(|f| { f.choice = Some(Choice::Preset(index)); f.short = None; }) />
                        <span>{format::money(&written, Currency::Usd)}</span>
                    </label>
                }
            }).collect_view()}
            <label class="preset">
                <input type="radio" name="tip-amount" value="other"
                    prop:checked=move || flow.with(|f| f.choice == Some(Choice::Custom))
                    on:change=move |_| flow.update(|f| { f.choice = Some(Choice::Custom); f.short = None; }) />
                <span>{t(Text::TipOther)}</span>
            </label>
            {move || reason.get().map(|reason| view! { <p class="preset-reason" id=PRESETS_OFF_ID>{reason}</p> })}
        </fieldset>
    }
}
