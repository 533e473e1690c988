//! The frame every page slots into, phone first: a skip link; a compact header with the brand
//! and the person's avatar, which opens the account menu (PIN and limits — the payment PIN's
//! page —, limits and verification, payment methods, statements, for compliance officers the console, sign out), or the way to sign in; the one navigation landmark, a bottom tab bar on narrow screens
//! and a side rail on wide ones (the same `nav`, laid out by CSS: `style/shell.css`); the `main`
//! landmark; and a footer with the operators' status page. With the tab bar on a phone, `main` and
//! the footer scroll between the header and the bar (`.app-scroll`), so the bar never covers what
//! a person (or a test's click) reaches for. The hosted checkout (`/checkout/…`)
//! is a focused page: the brand only, no navigation, account or footer links to wander off
//! through (it has its own sign-in and its own way back to the merchant).
//!
//! On every client-side route change the page's main heading takes keyboard focus and its name
//! is announced ([`focus::focus_heading_later`]); `index.html`'s static shell is removed when
//! this mounts (see `lib.rs`).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_navigate};
use wasm_bindgen::JsCast;

use purse_api::Role;

use crate::api_client;
use crate::components::focus;
use crate::components::icons::{Icon, icon};
use crate::flows::ops_view::is_officer;
use crate::session::{SessionState, use_session};
use crate::text::{Funding, Limits, Ops, Statements, Text, t};

/// Moves keyboard focus to the page's content. The router handles every link click itself,
/// so the browser's own fragment navigation (which would focus `#main`) never happens: this
/// does it by hand.
fn skip_to_content(event: leptos::ev::MouseEvent) {
    event.prevent_default();
    let main = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.get_element_by_id("main"))
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(main) = main {
        let _ = main.focus();
    }
}

/// The tabs of the main navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Home,
    Pay,
    Activity,
    Profile,
    Creator,
}

/// Whether `tab` is the section the page at `path` belongs to (`handle`: the signed-in person's).
fn tab_is_current(tab: Tab, path: &str, handle: &str) -> bool {
    let path = path.trim_end_matches('/');
    match tab {
        Tab::Home => path.is_empty() || path == "/wallet",
        Tab::Pay => path == "/send" || path == "/request" || path.starts_with("/pay/"),
        Tab::Activity => path == "/activity" || path.starts_with("/activity/"),
        Tab::Profile => path.strip_prefix("/u/").is_some_and(|h| h.eq_ignore_ascii_case(handle)),
        Tab::Creator => path == "/creator",
    }
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let focused = Memo::new(move |_| location.pathname.with(|path| path.starts_with("/checkout/")));
    let signed_in = Memo::new(move |_| session.user().is_some());
    let with_nav = move || signed_in.get() && !focused.get();
    let announcement = RwSignal::new(String::new());

    // A client-side route change: the new page's heading takes focus and is announced. (Not on
    // the first render: a page just loaded starts at the top, as any page does.)
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|previous| previous != path) {
            focus::focus_heading_later(announcement);
        }
        path
    });

    view! {
        <a class="skip-link" href="#main" on:click=skip_to_content>{t(Text::SkipToContent)}</a>
        <div class="app-shell" class:app-shell-with-nav=with_nav class:app-shell-focused=move || focused.get()>
            <header class="app-header" class:app-header-focused=move || focused.get()>
                <A href="/wallet" attr:class="brand">
                    <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <path d="M12 2 22 12 12 22 2 12z" />
                    </svg>
                    <span>{t(Text::Brand)}</span>
                </A>
                {move || (!focused.get()).then(|| view! { <Account /> })}
                <div class="visually-hidden" id="route-announcer" role="status">
                    {move || announcement.get()}
                </div>
            </header>
            {move || with_nav().then(|| view! { <TabNav /> })}
            <div class="app-scroll">
                <main id="main" class="app-main" class:app-main-focused=move || focused.get() tabindex="-1">
                    {children()}
                </main>
                {move || (!focused.get()).then(|| view! {
                    <footer class="app-footer">
                        <A href="/status" attr:class="footer-link">{t(Text::NavStatus)}</A>
                    </footer>
                })}
            </div>
        </div>
    }
}

/// The main navigation: a tab bar at the bottom of a phone, a rail at the side of a laptop.
#[component]
fn TabNav() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let handle = move || session.user().map(|user| user.handle.to_string()).unwrap_or_default();
    let is_creator = move || session.user().is_some_and(|user| user.roles.contains(&Role::Creator));
    let tab = move |tab: Tab, href: String, kind: Icon, label: &'static str| {
        let current = move || {
            let handle = handle();
            location.pathname.with(|path| tab_is_current(tab, path, &handle)).then_some("page")
        };
        view! {
            <a href=href class="tab" aria-current=current>
                {icon(kind)}
                <span class="tab-label">{label}</span>
            </a>
        }
    };
    view! {
        <nav class="app-nav" aria-label=t(Text::MainNavigation)>
            {tab(Tab::Home, "/wallet".to_string(), Icon::Home, t(Text::NavHome))}
            {tab(Tab::Pay, "/send".to_string(), Icon::Pay, t(Text::NavPay))}
            {tab(Tab::Activity, "/activity".to_string(), Icon::Activity, t(Text::NavActivity))}
            {move || tab(Tab::Profile, format!("/u/{}", handle()), Icon::Profile, t(Text::NavProfile))}
            {move || is_creator().then(|| tab(Tab::Creator, "/creator".to_string(), Icon::Creator, t(Text::CreatorNav)))}
        </nav>
    }
}

/// The avatar and its menu when signed in; the way to sign in otherwise (a placeholder of the
/// avatar's size while the session is checked, so nothing moves).
#[component]
fn Account() -> impl IntoView {
    let session = use_session();
    move || {
        match session.state.get() {
        SessionState::SignedIn(user) => view! { <AccountMenu user=user /> }.into_any(),
        SessionState::SignedOut => view! {
            <div class="account"><A href="/signin" attr:class="button button-small account-sign-in">{t(Text::SignIn)}</A></div>
        }
        .into_any(),
        _ => view! { <div class="account"><span class="account-placeholder" aria-hidden="true"></span></div> }.into_any(),
    }
    }
}

/// A disclosure: the avatar button shows and hides a list of links and the sign-out button.
/// Escape closes it and returns focus to the button; so does focus leaving it (a click
/// elsewhere, Tab past its end) and following one of its links.
#[component]
fn AccountMenu(user: purse_api::User) -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let location = use_location();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let toggle = NodeRef::<leptos::html::Button>::new();
    let wrapper = NodeRef::<leptos::html::Div>::new();

    // Any route change (a link in the menu followed) closes it.
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|previous| previous != path) {
            open.set(false);
        }
        path
    });

    let close_and_refocus = move || {
        open.set(false);
        if let Some(button) = toggle.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        if event.key() == "Escape" && open.get_untracked() {
            event.prevent_default();
            close_and_refocus();
        }
    };
    let on_focusout = move |event: leptos::ev::FocusEvent| {
        let inside = event
            .related_target()
            .and_then(|target| target.dyn_into::<web_sys::Node>().ok())
            .zip(wrapper.get_untracked())
            .is_some_and(|(target, wrapper)| wrapper.contains(Some(&target)));
        if !inside {
            open.set(false);
        }
    };
    let sign_out = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Signed out here whatever the answer: the cookie is the server's to end.
            let _ = api_client::sign_out().await;
            session.set_user(None);
            busy.set(false);
            navigate("/wallet", Default::default());
        });
    };
    let initial = user.display_name.chars().next().unwrap_or('?').to_uppercase().to_string();
    let profile = format!("/u/{}", user.handle);
    view! {
        <div class="account" node_ref=wrapper on:keydown=on_keydown on:focusout=on_focusout>
            <button
                type="button"
                class="account-button"
                node_ref=toggle
                aria-expanded=move || open.get().to_string()
                aria-controls="account-menu"
                on:click=move |_| open.update(|open| *open = !*open)
            >
                <span class="avatar" aria-hidden="true">{initial}</span>
                <span class="account-name visually-hidden">
                    {t(Text::SignedInAs)}" "{user.display_name.clone()}
                </span>
            </button>
            <div id="account-menu" class="account-menu" hidden=move || !open.get() tabindex="-1">
                <p class="account-menu-who">
                    <span class="account-menu-name">{user.display_name.clone()}</span>
                    <span class="muted">"@"{user.handle.to_string()}</span>
                </p>
                <ul class="account-menu-list">
                    <li><a href=profile>{t(Text::MenuYourProfile)}</a></li>
                    <li><a href="/settings/pin">{t(Text::MenuPinAndLimits)}</a></li>
                    <li><a href="/settings/limits" data-test="menu-limits">{t(Limits::MenuItem)}</a></li>
                    <li><a href="/settings/payment-methods">{t(Funding::PaymentMethodsNav)}</a></li>
                    <li><a href="/statements" data-test="menu-statements">{t(Statements::MenuItem)}</a></li>
                    {is_officer(&user).then(|| view! {
                        <li><a href="/ops" data-test="menu-ops">{t(Ops::MenuItem)}</a></li>
                    })}
                </ul>
                <button type="button" class="account-sign-out" data-test="sign-out" on:click=sign_out disabled=move || busy.get()>
                    {move || if busy.get() { t(Text::SigningOut) } else { t(Text::SignOut) }}
                </button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_page_lights_the_tab_it_belongs_to() {
        assert!(tab_is_current(Tab::Home, "/", "nia"));
        assert!(tab_is_current(Tab::Home, "/wallet", "nia"));
        assert!(!tab_is_current(Tab::Home, "/send", "nia"));
        for path in ["/send", "/request", "/pay/bob"] {
            assert!(tab_is_current(Tab::Pay, path, "nia"), "{path}");
        }
        assert!(tab_is_current(Tab::Activity, "/activity", "nia"));
        assert!(tab_is_current(Tab::Activity, "/activity/abc", "nia"));
        assert!(tab_is_current(Tab::Profile, "/u/Nia", "nia"));
        assert!(!tab_is_current(Tab::Profile, "/u/bob", "nia"), "someone else's profile");
        assert!(tab_is_current(Tab::Creator, "/creator", "nia"));
        assert!(!tab_is_current(Tab::Pay, "/settings/pin", "nia"));
    }
}
