//! `/u/{handle}`: a person's profile, with their pay link and its QR code, and a Tip button when
//! they are a creator (the same tip sheet a host page's Tip buttons open).

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
                    let label = format!("{} @{}", t(Text::PayLink), person.handle);
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
                        <div class="qr" inner_html=code></div>
                        <p class="muted">{t(Text::PayLinkHint)}" @"{person.handle.to_string()}": "<a href=link.clone() class="pay-link">{link.clone()}</a></p>
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
