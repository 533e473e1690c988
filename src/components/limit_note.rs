//! Limits on the money forms, drawn once: [`use_headroom`] reads `GET /me/compliance` once for a
//! form (the one place every money form gets its limit from), and [`LimitNote`] says why an
//! amount cannot go ("You can send $212.40 more until Thursday.") with the limits page one tap
//! away, and, for a person where Purse is not licensed, that withdrawing still works. The
//! decisions are [`crate::flows::limit_guard`]'s.

use leptos::prelude::*;
use purse_api::compliance::LimitKind;

use crate::flows::limit_guard::{Headroom, LIMITS_PATH, LimitRefusal};
use crate::text::{Limits, t};

/// The limit of `kind` and where the person stands, read once from `GET /me/compliance`:
/// `None` until read, and when it cannot be read (then the server alone decides, and its
/// refusal is shown as the same sentence).
pub fn use_headroom(kind: LimitKind) -> RwSignal<Option<Headroom>> {
    let headroom = RwSignal::new(None::<Headroom>);
    leptos::task::spawn_local(async move {
        if let Ok(compliance) = crate::api_client::compliance().await {
            let _ = headroom.try_set(Some(Headroom::of(&compliance, kind)));
        }
    });
    headroom
}

/// The reader's clock now, for "until Thursday".
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Why the amount (or anything) cannot go, and the way to the limits page (and, for a
/// restricted person, to withdrawing).
#[component]
pub fn LimitNote(refusal: LimitRefusal, id: &'static str) -> impl IntoView {
    let sentence = refusal.sentence(now_ms());
    view! {
        <div class="limit-note" id=id role="alert" data-test="limit-note" data-refusal=refusal.name()>
            <p>{sentence}</p>
            <p class="limit-note-links">
                <a href=LIMITS_PATH target="_top" class="button button-secondary button-small" data-test="limit-note-link">
                    {t(Limits::SeeLimits)}
                </a>
                {refusal.offers_withdraw().then(|| view! {
                    <a href="/withdraw" target="_top" class="button button-secondary button-small" data-test="limit-note-withdraw">
                        {t(Limits::WithdrawInstead)}
                    </a>
                })}
            </p>
        </div>
    }
}

/// The note for a person whose status stops this form's movements, from the form's headroom
/// (nothing while it is unread or nothing stops them).
#[component]
pub fn BlockedNote(#[prop(into)] headroom: Signal<Option<Headroom>>, id: &'static str) -> impl IntoView {
    move || {
        headroom
            .with(|h| h.as_ref().and_then(Headroom::blocked))
            .map(|refusal| view! { <LimitNote refusal=refusal id=id /> })
    }
}
