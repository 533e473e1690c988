//! `/checkout/{id}`: the hosted checkout page a merchant sends a buyer to.
//!
//! The merchant, what is bought, the amount and a live countdown to expiry; signing in inline
//! when nobody is (the page stays put); then who pays, the review's lines (to, from and the
//! balance after, fee, arrival, whether it can be canceled: the page is its own review, and Pay
//! its confirm), what the wallet is short of when it cannot cover it, what is over the sending
//! limit (or that the buyer's status stops payments), the PIN, Pay and Cancel. Paying or
//! canceling ends with a full navigation to the merchant's site. Every other state has its own
//! page: loading, unknown session, could not load (with a retry), already paid, expired (also
//! the moment the countdown reaches zero) and canceled. The decisions are
//! [`crate::flows::checkout_flow::CheckoutFlow`]; this file draws them and does the HTTP through
//! [`api_client`].

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use purse_api::compliance::LimitKind;
use purse_api::{PublicCheckoutSession, User};

use crate::api_client;
use crate::components::fields::TextField;
use crate::components::focus::focus_later;
use crate::components::limit_note::{LimitNote, use_headroom};
use crate::components::money::{MoneyDisplay, ShortfallNote, use_available};
use crate::components::review_summary::ReviewLines;
use crate::components::sign_in::SignInForm;
use crate::components::states::ErrorState;
use crate::flows::checkout_flow::{CancelPlan, CheckoutFlow, Follow, Screen, Step};
use crate::flows::limit_guard::Headroom;
use crate::session::{Session, SessionState, use_session};
use crate::text::{Text, t};

/// The heading every screen has, focused when the screen changes under the person.
const TITLE_ID: &str = "checkout-title";
const PIN_ID: &str = "checkout-pin";

/// The browser's clock, in milliseconds since the epoch.
fn clock_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The page for the route: reads the session, ticks the clock every second, and sends the
/// browser to the merchant when the flow says so.
#[component]
pub fn CheckoutPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let flow = RwSignal::new(CheckoutFlow::new(id.get_untracked()));
    let now = RwSignal::new(clock_ms());
    if let Ok(ticker) = set_interval_with_handle(move || now.set(clock_ms()), Duration::from_secs(1)) {
        on_cleanup(move || ticker.clear());
    }

    let load = move || {
        let Some(Some(id)) = flow.try_update(CheckoutFlow::start_loading) else { return };
        leptos::task::spawn_local(async move {
            let answer = api_client::checkout_session(&id).await;
            // Only if the page still shows that session (it may have moved on or closed).
            if flow.try_with_untracked(|f| f.id == id) == Some(true) {
                flow.update(|f| f.loaded(answer));
                now.set(clock_ms());
            }
        });
    };
    // The first load, and another whenever the URL names another session.
    Effect::new(move |_| {
        let id = id.get();
        if flow.with_untracked(|f| f.id != id) {
            flow.set(CheckoutFlow::new(id));
        }
        load();
    });

    let on_leave = Callback::new(|url: String| {
        let _ = window().location().set_href(&url);
    });
    view! { <CheckoutView flow now on_reload=Callback::new(move |()| load()) on_leave /> }
}

/// Everything the page shows for `flow` at `now` (milliseconds since the epoch): a test can put
/// it in any state. `on_reload` reads the session again; `on_leave` goes to the merchant.
#[component]
pub fn CheckoutView(
    flow: RwSignal<CheckoutFlow>,
    #[prop(into)] now: Signal<i64>,
    on_reload: Callback<()>,
    on_leave: Callback<String>,
) -> impl IntoView {
    let screen = Memo::new(move |_| flow.with(|f| f.screen(now.get())));
    let announcement = Memo::new(move |_| flow.with(|f| f.announcement(now.get())));
    // When the screen changes under the person (paid, expired, canceled, read again after a
    // retry), the button they were on is gone: focus goes to the new screen's heading, which also
    // reads it out. Not on the first screen, and not for the skeleton in between.
    Effect::new(move |settled: Option<Option<&'static str>>| {
        let settled = settled.flatten();
        let current = screen.with(Screen::state);
        if current == "loading" {
            return settled;
        }
        if settled.is_some_and(|settled| settled != current) {
            focus_later(TITLE_ID);
        }
        Some(current)
    });

    view! {
        <section class="checkout" data-state=move || screen.with(Screen::state) aria-labelledby=TITLE_ID
            aria-busy=move || (screen.get() == Screen::Loading).to_string()>
            {move || match screen.get() {
                Screen::Loading => view! { <Loading /> }.into_any(),
                Screen::Unknown => view! {
                    <Ended symbol="?" title=Text::CheckoutUnknownTitle body=Text::CheckoutUnknownBody flow now />
                }.into_any(),
                Screen::Unavailable(message) => view! {
                    <h1 id=TITLE_ID tabindex="-1">{t(Text::CheckoutUnavailableTitle)}</h1>
                    <ErrorState message on_retry=on_reload no_money_moved=true />
                }.into_any(),
                Screen::Open => view! {
                    <Summary flow now open=true />
                    <PayPanel flow now on_reload on_leave />
                }.into_any(),
                Screen::Leaving(url) => view! {
                    <div class="checkout-leaving" role="status">
                        <h1 id=TITLE_ID tabindex="-1">{flow.with_untracked(CheckoutFlow::leaving_text)}</h1>
                        <a class="button button-block" href=url>{t(Text::CheckoutContinue)}</a>
                    </div>
                }.into_any(),
                Screen::Complete => view! {
                    <Ended symbol="✓" title=Text::CheckoutCompleteTitle body=Text::CheckoutCompleteBody flow now />
                }.into_any(),
                Screen::Expired => view! {
                    <Ended symbol="◷" title=Text::CheckoutExpiredTitle body=Text::CheckoutExpiredBody flow now />
                }.into_any(),
                Screen::Canceled => view! {
                    <Ended symbol="×" title=Text::CheckoutCanceledTitle body=Text::CheckoutCanceledBody flow now />
                }.into_any(),
            }}
            // Outside the screens, so it is still there to speak when the screen changes; it
            // changes only when a threshold is crossed.
            <p class="visually-hidden" id="checkout-announcement" aria-live="polite" aria-atomic="true">
                {move || announcement.get()}
            </p>
            <p class="checkout-footer"><span class="brand-mark" aria-hidden="true">"◆"</span>" "{t(Text::CheckoutSecured)}</p>
        </section>
    }
}

/// The page's shape in grey while the session is read.
#[component]
fn Loading() -> impl IntoView {
    view! {
        <h1 id=TITLE_ID class="visually-hidden">{t(Text::CheckoutLoading)}</h1>
        <div class="checkout-summary" aria-hidden="true">
            <div class="skeleton-row">
                <div class="skeleton skeleton-avatar"></div>
                <div class="skeleton-lines">
                    <div class="skeleton skeleton-line"></div>
                    <div class="skeleton skeleton-line short"></div>
                </div>
            </div>
            <div class="skeleton skeleton-balance"></div>
        </div>
        <div class="checkout-pay" aria-hidden="true">
            <div class="skeleton skeleton-line"></div>
            <div class="skeleton skeleton-button"></div>
        </div>
    }
}

/// Who is paid, for what, how much, and (on the open page) how long is left. On the open page
/// the merchant's name is the page's heading; the other screens have their own.
#[component]
fn Summary(flow: RwSignal<CheckoutFlow>, #[prop(into)] now: Signal<i64>, open: bool) -> impl IntoView {
    let Some(session) = flow.with_untracked(|f| f.session().cloned()) else { return ().into_any() };
    let PublicCheckoutSession { merchant, amount, currency, description, .. } = session;
    let initial = merchant.name.chars().next().unwrap_or('?').to_uppercase().to_string();
    let name = if open {
        view! { <h1 id=TITLE_ID class="checkout-merchant" tabindex="-1">{merchant.name}</h1> }.into_any()
    } else {
        view! { <p class="checkout-merchant">{merchant.name}</p> }.into_any()
    };
    let countdown = Memo::new(move |_| flow.with(|f| f.countdown(now.get())));
    view! {
        <div class="checkout-summary" role="group" aria-label=t(Text::CheckoutSummary)>
            <div class="person">
                <span class="avatar avatar-large" aria-hidden="true">{initial}</span>
                <div class="person-names">
                    {name}
                    <span class="muted checkout-description">{description}</span>
                </div>
            </div>
            <p class="checkout-amount"><MoneyDisplay amount=amount currency=currency /></p>
            {move || (open && countdown.get().is_some()).then(|| view! {
                <p class="checkout-timer">
                    <span class="timer-dot" aria-hidden="true"></span>
                    {t(Text::CheckoutExpiresIn)}" "
                    <span class="countdown" role="timer">{move || countdown.get().unwrap_or_default()}</span>
                </p>
            })}
        </div>
    }
    .into_any()
}

/// The way to pay: sign in first when nobody is, then who pays, the PIN, Pay and Cancel.
#[component]
fn PayPanel(
    flow: RwSignal<CheckoutFlow>,
    #[prop(into)] now: Signal<i64>,
    on_reload: Callback<()>,
    on_leave: Callback<String>,
) -> impl IntoView {
    let session = use_session();
    // Rebuilt only when who is signed in changes, not when their details do.
    let person = Memo::new(move |_| session.person().map(|person| person.map(|user| user.handle)));
    let pin = RwSignal::new(String::new());
    // What the buyer's wallet can spend, read once signed in and kept current by the live stream.
    let available = RwSignal::new(None::<String>);
    // The buyer's sending limit and status, read once signed in.
    let headroom = RwSignal::new(None::<Headroom>);
    Effect::new(move |_| {
        if matches!(person.get(), Some(Some(_))) {
            let read = use_available(true);
            Effect::new(move |_| available.set(read.get()));
            let limit = use_headroom(LimitKind::Send);
            Effect::new(move |_| headroom.set(limit.get()));
        }
    });
    let refusal = Memo::new(move |_| headroom.with(|h| flow.with(|f| f.limit_refusal(h.as_ref()))));
    let pin_error = Signal::derive(move || flow.with(|f| f.problems.pin.clone()));
    let form_error = move || flow.with(|f| f.problems.form.clone());
    let step = Memo::new(move |_| flow.with(|f| f.step.clone()));
    let busy = move || step.get() != Step::Ready;

    let follow = move |next: Follow| match next {
        Follow::Stay => {}
        Follow::Navigate(url) => {
            let _ = on_leave.try_run(url);
        }
        Follow::Reload => {
            let _ = on_reload.try_run(());
        }
        Follow::SignIn => session.set_user(None),
    };

    let pay = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let attempt = flow
            .try_update(|f| {
                f.confirm(&pin.get_untracked(), now.get_untracked(), api_client::new_idempotency_key)
            })
            .flatten();
        let Some((body, key)) = attempt else {
            if flow.with_untracked(|f| f.problems.pin.is_some()) {
                focus_later(PIN_ID);
            }
            return;
        };
        let id = flow.with_untracked(|f| f.id.clone());
        leptos::task::spawn_local(async move {
            let answer = api_client::confirm_checkout(&id, &body, &key).await;
            // The page may have closed meanwhile.
            let Some(next) = flow.try_update(|f| f.answer(&key, answer)) else { return };
            if flow.with_untracked(|f| f.problems.pin.is_some()) {
                pin.set(String::new());
                focus_later(PIN_ID);
            }
            follow(next);
        });
    };

    let cancel = move |_| {
        let signed_in = signed_in_user(session).is_some();
        match flow.try_update(|f| f.cancel(signed_in)).flatten() {
            Some(CancelPlan::Leave(url)) => on_leave.run(url),
            Some(CancelPlan::Post) => {
                let id = flow.with_untracked(|f| f.id.clone());
                leptos::task::spawn_local(async move {
                    let answer = api_client::cancel_checkout(&id).await;
                    if let Some(next) = flow.try_update(|f| f.cancel_answer(answer)) {
                        follow(next);
                    }
                });
            }
            None => {}
        }
    };

    let other_account = move |_| {
        leptos::task::spawn_local(async move {
            // Signed out here whatever the answer: the cookie is the server's to end.
            let _ = api_client::sign_out().await;
            session.set_user(None);
        });
    };

    let signed_in_view = move || {
        let Some(user) = signed_in_user(session) else { return ().into_any() };
        let pin_set = user.pin_set;
        view! {
            <form class="checkout-form" on:submit=pay novalidate=true>
                <p class="checkout-payer">
                    {t(Text::CheckoutPayingAs)}" "<strong>{user.display_name.clone()}</strong>" "
                    <span class="muted">"@"{user.handle.to_string()}</span>
                </p>
                {move || flow.with(|f| f.summary(available.get().as_deref())).map(|review| {
                    let label = review.announcement();
                    view! {
                        <div class="checkout-review" role="group" aria-label=label>
                            <ReviewLines lines=review.lines />
                        </div>
                    }
                })}
                {move || flow.with(|f| f.shortfall(available.get().as_deref())).map(|short| view! {
                    <ShortfallNote shortfall=short id="checkout-short" />
                })}
                {move || refusal.get().map(|refusal| view! { <LimitNote refusal=refusal id="checkout-limit" /> })}
                {if pin_set {
                    view! {
                        <TextField id=PIN_ID label=t(Text::PaymentPin) value=pin error=pin_error hint=t(Text::CheckoutPinHint)
                            kind="password" inputmode="numeric" autocomplete="off" maxlength=12 />
                        <button type="submit" class="button button-block checkout-pay-button"
                            disabled=move || busy() || flow.with(|f| f.shortfall(available.get().as_deref()).is_some()) || refusal.with(Option::is_some)>
                            {move || if step.get() == Step::Paying { t(Text::Paying).to_string() } else { flow.with_untracked(CheckoutFlow::pay_label) }}
                        </button>
                    }.into_any()
                } else {
                    view! {
                        <p class="notice checkout-notice">
                            {t(Text::CheckoutPinNotSet)}" "<a href="/settings/pin">{t(Text::SetPinAction)}</a>
                        </p>
                    }.into_any()
                }}
            </form>
        }
        .into_any()
    };

    view! {
        <div class="checkout-pay">
            {move || match person.get() {
                None => view! {
                    <div class="skeleton skeleton-line" aria-hidden="true"></div>
                    <div class="skeleton skeleton-button" aria-hidden="true"></div>
                }.into_any(),
                Some(None) => view! {
                    <h2 class="checkout-step-title">{t(Text::CheckoutSignInTitle)}</h2>
                    <p class="muted">{t(Text::CheckoutSignInLead)}</p>
                    <SignInForm on_signed_in=Callback::new(move |_| {
                        flow.update(|f| f.problems = Default::default());
                        focus_later(PIN_ID);
                    }) />
                }.into_any(),
                Some(Some(_)) => signed_in_view(),
            }}
            <p class="form-error" id="checkout-error" role="alert">{form_error}</p>
            <button type="button" class="button button-secondary button-block checkout-cancel" disabled=busy on:click=cancel>
                {move || if step.get() == Step::Canceling { t(Text::Canceling) } else { t(Text::CheckoutCancel) }}
            </button>
            {move || matches!(person.get(), Some(Some(_))).then(|| view! {
                <button type="button" class="link-button checkout-other" disabled=busy on:click=other_account>
                    {t(Text::CheckoutOtherAccount)}
                </button>
            })}
        </div>
    }
}

/// Who is signed in, without making the caller depend on it.
fn signed_in_user(session: Session) -> Option<User> {
    session.state.with_untracked(|state| match state {
        SessionState::SignedIn(user) => Some(user.clone()),
        _ => None,
    })
}

/// A finished, expired, canceled or unknown session: what happened, that no money moved when
/// none did, and the way back to the merchant when there is one.
#[component]
fn Ended(
    symbol: &'static str,
    title: Text,
    body: Text,
    flow: RwSignal<CheckoutFlow>,
    #[prop(into)] now: Signal<i64>,
) -> impl IntoView {
    let back = flow.with_untracked(|f| f.back_url().zip(f.session().map(|s| s.merchant.name.clone())));
    view! {
        <div class="checkout-ended">
            <span class="checkout-symbol" aria-hidden="true">{symbol}</span>
            <h1 id=TITLE_ID tabindex="-1">{t(title)}</h1>
            <p class="muted">{t(body)}</p>
        </div>
        <Summary flow now open=false />
        {back.map(|(url, name)| view! {
            <a class="button button-block checkout-back" href=url>{format!("{} {name}", t(Text::CheckoutBackTo))}</a>
        })}
    }
}
