//! `/u/{handle}`: a person's profile, with their pay link and its QR code (sized to the screen),
//! Copy link (the Clipboard API, with a "Copied" announced) and Share (the Web Share API, only
//! where the browser has it), and a Tip button when they are a creator (the same tip sheet a
//! host page's Tip buttons open).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use purse_api::{ErrorCode, Handle, PublicProfile};

use crate::api_client;
use crate::components::dialog::Modal;
use crate::components::states::{ErrorState, SkeletonList};
use crate::components::tip_sheet::{self, TipSheet};
use crate::qr;
use crate::text::{Text, t};

/// The absolute pay link for `handle` on this origin.
pub fn pay_link(origin: &str, handle: &Handle) -> String {
    format!("{origin}/pay/{handle}")
}

/// A Tip button and its sheet, for a creator's profile.
#[component]
fn TipCreator(creator: Handle) -> impl IntoView {
    let open = RwSignal::new(false);
    let close = Callback::new(move |()| open.set(false));
    let sent = Callback::new(|_| ());
    view! {
        <button type="button" class="button button-secondary button-block tip-profile" aria-haspopup="dialog" on:click=move |_| open.set(true)>
            {format!("{} @{creator}", t(Text::TipButton))}
        </button>
        <Modal open=open on_close=close labelledby=tip_sheet::TITLE_ID class="sheet">
            <TipSheet creator=creator.clone() post_id=None on_sent=sent on_close=close />
        </Modal>
    }
}

/// Copy link, and Share where the browser can (`navigator.share`, feature-detected: the button is
/// not drawn without it). "Copied" (or why not) is announced.
#[component]
fn ShareLink(link: String, title: String) -> impl IntoView {
    let said = RwSignal::new(None::<&'static str>);
    let can_share = share::available();
    let copy = {
        let link = link.clone();
        move |_| {
            said.set(None);
            share::copy(&link, move |copied| {
                said.set(Some(if copied { t(Text::LinkCopied) } else { t(Text::CopyFailed) }));
            });
        }
    };
    let share_it = move |_| share::share(&title, &link);
    view! {
        <div class="button-row share-row">
            <button type="button" class="button button-secondary" on:click=copy>{t(Text::CopyLink)}</button>
            {can_share.then(|| view! {
                <button type="button" class="button button-secondary" on:click=share_it>{t(Text::ShareLink)}</button>
            })}
        </div>
        <p class="share-said" role="status" data-said=move || said.get().map(|_| "yes")>{move || said.get()}</p>
    }
}

/// The browser's Clipboard and Web Share APIs, reached by name (they are newer than some
/// browsers, so nothing is assumed: each is looked up, and missing means no).
mod share {
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    fn navigator() -> Option<JsValue> {
        Reflect::get(&js_sys::global(), &"navigator".into()).ok().filter(|n| !n.is_undefined())
    }

    fn method(target: &JsValue, name: &str) -> Option<Function> {
        Reflect::get(target, &name.into()).ok()?.dyn_into::<Function>().ok()
    }

    /// Whether `navigator.share` exists.
    pub fn available() -> bool {
        navigator().and_then(|n| method(&n, "share")).is_some()
    }

    /// `navigator.clipboard.writeText(text)`; `done` hears whether it worked.
    pub fn copy(text: &str, done: impl Fn(bool) + 'static) {
        let done = std::rc::Rc::new(done);
        let clipboard = navigator().and_then(|n| Reflect::get(&n, &"clipboard".into()).ok());
        let promise = clipboard.and_then(|c| {
            let write = method(&c, "writeText")?;
            write.call1(&c, &JsValue::from(text)).ok()?.dyn_into::<Promise>().ok()
        });
        let Some(promise) = promise else { return (*done)(false) };
        let (worked, failed) = (done.clone(), done);
        let on_ok = Closure::once(move |_: JsValue| (*worked)(true));
        let on_err = Closure::once(move |_: JsValue| (*failed)(false));
        let _ = promise.then2(&on_ok, &on_err);
        on_ok.forget();
        on_err.forget();
    }

    /// `navigator.share({title, url})`; a person closing the share sheet is not an error.
    pub fn share(title: &str, url: &str) {
        let Some(navigator) = navigator() else { return };
        let Some(share) = method(&navigator, "share") else { return };
        let data = Object::new();
        let _ = Reflect::set(&data, &"title".into(), &title.into());
        let _ = Reflect::set(&data, &"url".into(), &url.into());
        if let Ok(promise) = share.call1(&navigator, &data).and_then(|p| p.dyn_into::<Promise>()) {
            let ignore = Closure::once(|_: JsValue| ());
            let _ = promise.catch(&ignore);
            ignore.forget();
        }
    }
}

#[component]
pub fn Profile() -> impl IntoView {
    let params = use_params_map();
    let profile = RwSignal::new(None::<Result<PublicProfile, String>>);
    let load = move || {
        let handle = params.get_untracked().get("handle").unwrap_or_default();
        profile.set(None);
        leptos::task::spawn_local(async move {
            let answer = match Handle::parse(&handle) {
                Ok(handle) => api_client::profile(&handle).await.map_err(|error| match error.code {
                    Some(ErrorCode::NotFound) => t(Text::NoSuchPerson).to_string(),
                    _ => error.message,
                }),
                Err(_) => Err(t(Text::NoSuchPerson).to_string()),
            };
            profile.set(Some(answer));
        });
    };
    Effect::new(move |_| {
        params.track();
        load();
    });
    view! {
        <section class="card profile" aria-labelledby="profile-title">
            {move || match profile.get() {
                None => view! { <h1 id="profile-title" class="visually-hidden">{t(Text::ProfileTitle)}</h1><SkeletonList rows=3 /> }.into_any(),
                Some(Err(message)) => view! {
                    <h1 id="profile-title">{t(Text::ProfileTitle)}</h1>
                    <ErrorState message=message on_retry=move |()| load() no_money_moved=false />
                }.into_any(),
                Some(Ok(person)) => {
                    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
                    let link = pay_link(&origin, &person.handle);
                    let label = format!("{} @{}", t(Text::QrLabel), person.handle);
                    let code = qr::svg(&link, &label).unwrap_or_default();
                    let initial = person.display_name.chars().next().unwrap_or('?').to_uppercase().to_string();
                    view! {
                        <div class="person person-large">
                            <span class="avatar" aria-hidden="true">{initial}</span>
                            <span class="person-names">
                                <h1 id="profile-title">{person.display_name.clone()}</h1>
                                <span class="muted">"@"{person.handle.to_string()}</span>
                            </span>
                        </div>
                        <h2>{t(Text::PayLink)}</h2>
                        <figure class="qr-figure">
                            <div class="qr" inner_html=code></div>
                            <figcaption class="muted">{t(Text::PayLinkHint)}" @"{person.handle.to_string()}": "<a href=link.clone() class="pay-link">{link.clone()}</a></figcaption>
                        </figure>
                        <ShareLink link=link.clone() title=person.display_name.clone() />
                        {person.paid_before.is_some().then(|| view! {
                            <A href=format!("/pay/{}", person.handle) attr:class="button button-block">{t(Text::SendTo)}</A>
                        })}
                        {(person.is_creator && person.paid_before.is_some()).then(|| view! { <TipCreator creator=person.handle.clone() /> })}
                    }.into_any()
                }
            }}
        </section>
    }
}
