//! Purse inside someone else's page: the social app's timeline.
//!
//! A host page includes the loader (`/embed.js`, a stable URL) and marks mount points:
//! `<div data-purse-tip data-creator="lina" data-post="42">` becomes a Tip button for that post,
//! `<div data-purse-wallet>` the wallet launcher. [`start`] mounts Leptos into a shadow root
//! inside each mount point, so the host's CSS and ours cannot reach each other; watches the page
//! for mount points added later (a timeline loads more posts) and unmounts those removed; and
//! keeps one overlay (its own shadow root at the end of `<body>`) for the tip sheet and the
//! wallet drawer, modal dialogs in the browser's top layer above anything the host stacks.
//!
//! The host and Purse talk only through DOM events. In: `purse:open` (dispatched anywhere in
//! the document) opens the wallet drawer. Out: `purse:tip-sent` on the Tip button's mount
//! point, bubbling, with the tip as `detail`. The host never reaches into the wallet's state.
//!
//! Purse's API takes cookie-authenticated writes only from its own origin (API.md's CSRF rule),
//! so a host serves Purse under its own origin (the demo timeline is served by Purse itself).

use std::any::Any;
use std::cell::RefCell;

use leptos::prelude::*;
use purse_api::tips::is_valid_post_id;
use purse_api::{Handle, Role, Tip, User};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Document, Element};

use crate::components::dialog::Modal;
use crate::components::sign_in::SignInForm;
use crate::components::states::SkeletonList;
use crate::components::tip_sheet::{self, TipSheet};
use crate::flows::next_path::{self, Reopen};
use crate::pages::wallet::WalletHome;
use crate::session::{provide_session, use_session};
use crate::text::{Text, t};

/// Marks a mount point Purse has mounted, so it is never mounted twice at once.
const MOUNTED: &str = "data-purse-mounted";
/// Marks a mount point whose shadow root is Purse's (kept when the view is unmounted).
const USED: &str = "data-purse-used";
const MOUNT_POINTS: &str =
    "[data-purse-tip]:not([data-purse-mounted]), [data-purse-wallet]:not([data-purse-mounted])";
/// The stylesheets every shadow root loads, relative to where the loader lives.
const STYLESHEETS: [&str; 3] = ["tokens.css", "main.css", "embed.css"];
/// The drawer's title, for its dialog's `aria-labelledby`.
const DRAWER_TITLE_ID: &str = "drawer-title";

/// What every mounted piece shares: which dialog is open, and the tips sent from this page.
#[derive(Clone, Copy, Debug)]
pub struct EmbedState {
    pub drawer_open: RwSignal<bool>,
    /// The post being tipped.
    pub tip: RwSignal<Option<TipTarget>>,
    /// Every post tipped from this page, so their buttons say so.
    pub sent: RwSignal<Vec<TipTarget>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipTarget {
    pub creator: Handle,
    pub post_id: Option<String>,
}

impl EmbedState {
    fn new() -> EmbedState {
        EmbedState {
            drawer_open: RwSignal::new(false),
            tip: RwSignal::new(None),
            sent: RwSignal::new(Vec::new()),
        }
    }

    fn open_drawer(self) {
        self.tip.set(None);
        self.drawer_open.set(true);
    }
}

/// The running embed: the reactive root every mount hangs from, and the mounts themselves.
struct Running {
    root: Owner,
    base: String,
    embed: EmbedState,
    /// Each mount point with its view (dropping the handle unmounts it).
    mounts: Vec<(Element, Box<dyn Any>)>,
}

thread_local! {
    static RUNNING: RefCell<Option<Running>> = const { RefCell::new(None) };
}

/// Where the loader lives, so the shadow roots load our stylesheets from there: the loader sets
/// `globalThis.__purseEmbed` before it starts the wasm (`/` if it did not).
pub fn base_url() -> String {
    js_sys::Reflect::get(&js_sys::global(), &"__purseEmbed".into())
        .ok()
        .and_then(|value| value.as_string())
        .unwrap_or_else(|| "/".to_string())
}

/// Starts the embed: the shared state, the overlay, every mount point there is and every one
/// the host adds later.
pub fn start(base: String) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    // The session starts asking the server before anything is mounted (mounting would set this
    // up otherwise); an error means it already was.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let root = Owner::new();
    let embed = root.with(|| {
        provide_session();
        let embed = EmbedState::new();
        provide_context(embed);
        embed
    });
    RUNNING.with(|running| *running.borrow_mut() = Some(Running { root, base, embed, mounts: Vec::new() }));
    mount_overlay(&document, embed);
    mount_all(&document);
    watch(&document);
    listen_for_open(&document, embed);
    reopen_after_sign_up(&document, embed);
}

/// Opens again what the embed's sign-in had open when it sent the person to sign up
/// (`next_path::host_return`): the tip sheet for a creator with a Tip button on this page, or the
/// drawer; then takes those parameters off the address, so a reload opens nothing.
fn reopen_after_sign_up(document: &Document, embed: EmbedState) {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else { return };
    let values: Vec<(&str, String)> = ["purse-open", "purse-tip", "purse-post"]
        .into_iter()
        .filter_map(|name| Some((name, params.get(name)?)))
        .collect();
    let Some(open) = next_path::reopen(values.iter().map(|(name, value)| (*name, value.as_str()))) else {
        return;
    };
    match open {
        Reopen::Tip { creator, post } => {
            let Ok(creator) = Handle::parse(&creator) else { return };
            // A handle is letters, digits and `_`: safe inside the selector's quotes.
            let selector = format!("[data-purse-tip][data-creator=\"{creator}\"]");
            if document.query_selector(&selector).ok().flatten().is_some() {
                embed.drawer_open.set(false);
                embed.tip.set(Some(TipTarget { creator, post_id: post.filter(|p| is_valid_post_id(p)) }));
            }
        }
        Reopen::Wallet => embed.open_drawer(),
    }
    let path = location.pathname().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    let clean = format!("{path}{}{hash}", next_path::without_reopen(&search));
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&clean));
    }
}

/// Mounts every mount point not mounted yet.
fn mount_all(document: &Document) {
    let Ok(found) = document.query_selector_all(MOUNT_POINTS) else { return };
    for index in 0..found.length() {
        if let Some(element) = found.item(index).and_then(|node| node.dyn_into::<Element>().ok()) {
            mount_point(document, element);
        }
    }
}

/// A shadow root on `host` with Purse's stylesheets and one container to mount into. A mount
/// point Purse used before (moved, or given other attributes) gets its own shadow root back,
/// emptied.
fn shadow_container(document: &Document, host: &Element) -> Option<web_sys::HtmlElement> {
    let shadow = match host.shadow_root() {
        Some(ours) if host.has_attribute(USED) => {
            ours.set_inner_html("");
            ours
        }
        Some(_) => {
            web_sys::console::warn_1(&"Purse: this mount point already has a shadow root; skipped.".into());
            return None;
        }
        None => host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).ok()?,
    };
    let _ = host.set_attribute(USED, "");
    let base = RUNNING.with(|r| r.borrow().as_ref().map(|r| r.base.clone())).unwrap_or_default();
    for sheet in STYLESHEETS {
        let link = document.create_element("link").ok()?;
        link.set_attribute("rel", "stylesheet").ok()?;
        link.set_attribute("href", &format!("{base}{sheet}")).ok()?;
        shadow.append_child(&link).ok()?;
    }
    let container = document.create_element("div").ok()?;
    container.set_class_name("purse-root");
    shadow.append_child(&container).ok()?;
    container.dyn_into().ok()
}

/// Mounts `view` into a shadow root on `host`, as a child of the embed's reactive root (so it
/// sees the session and the shared state), and keeps it until `host` leaves the page.
fn mount_into<V: IntoView + 'static>(document: &Document, host: Element, view: impl FnOnce() -> V + 'static) {
    let _ = host.set_attribute(MOUNTED, "");
    let Some(container) = shadow_container(document, &host) else { return };
    let Some(root) = RUNNING.with(|r| r.borrow().as_ref().map(|r| r.root.clone())) else { return };
    let handle = root.with(|| leptos::mount::mount_to(container, view));
    RUNNING.with(|r| {
        if let Some(running) = r.borrow_mut().as_mut() {
            running.mounts.push((host, Box::new(handle)));
        }
    });
}

fn mount_point(document: &Document, element: Element) {
    if element.has_attribute("data-purse-wallet") {
        mount_into(document, element, || view! { <WalletLauncher /> });
        return;
    }
    let creator = element.get_attribute("data-creator").unwrap_or_default();
    let Ok(creator) = Handle::parse(&creator) else {
        let _ = element.set_attribute(MOUNTED, "");
        let message = format!("Purse: data-creator=\"{creator}\" is not a handle; no Tip button here.");
        web_sys::console::warn_1(&message.into());
        return;
    };
    let post_id = element.get_attribute("data-post").filter(|post| {
        let valid = is_valid_post_id(post);
        if !valid {
            let message = format!("Purse: data-post=\"{post}\" is not a post id (1–64 printable characters); tipping the creator without it.");
            web_sys::console::warn_1(&message.into());
        }
        valid
    });
    mount_into(document, element, move || view! { <TipButton creator post_id /> });
}

/// Mounts mount points as the host adds them; unmounts views whose mount point left the page
/// (one put back later is mounted again) or whose `data-creator`/`data-post` changed (a list
/// that reuses its elements gets a button for the new post); puts the overlay back if the host
/// replaced the whole body.
fn watch(document: &Document) {
    let observed = document.clone();
    let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |records: js_sys::Array| {
        let mut removed = false;
        let mut changed = Vec::new();
        for record in records.iter() {
            if let Ok(record) = record.dyn_into::<web_sys::MutationRecord>() {
                removed |= record.removed_nodes().length() > 0;
                if record.type_() == "attributes"
                    && let Some(element) = record.target().and_then(|t| t.dyn_into::<Element>().ok())
                {
                    changed.push(element);
                }
            }
        }
        if removed || !changed.is_empty() {
            unmount_where(|host| !host.is_connected() || changed.contains(host));
        }
        // Changed mount points are mounted afresh, a refused one (a bad handle) included.
        for element in &changed {
            let _ = element.remove_attribute(MOUNTED);
        }
        if observed.query_selector("[data-purse-overlay]").ok().flatten().is_none()
            && let Some(embed) = RUNNING.with(|r| r.borrow().as_ref().map(|r| r.embed))
        {
            mount_overlay(&observed, embed);
        }
        mount_all(&observed);
    });
    let Ok(observer) = web_sys::MutationObserver::new(callback.as_ref().unchecked_ref()) else { return };
    let options = web_sys::MutationObserverInit::new();
    options.set_child_list(true);
    options.set_subtree(true);
    options.set_attribute_filter(&js_sys::Array::of2(&"data-creator".into(), &"data-post".into()));
    if let Some(target) = document.document_element() {
        let _ = observer.observe_with_options(&target, &options);
    }
    // The page keeps watching for as long as it lives.
    callback.forget();
    std::mem::forget(observer);
}

/// Unmounts the views whose mount point `gone` says is gone, and frees those mount points to be
/// mounted again.
fn unmount_where(gone: impl Fn(&Element) -> bool) {
    // Dropped outside the borrow: unmounting runs cleanups that may look at RUNNING.
    let dropped: Vec<(Element, Box<dyn Any>)> = RUNNING.with(|r| {
        let mut running = r.borrow_mut();
        let Some(running) = running.as_mut() else { return Vec::new() };
        let (dropped, kept) = running.mounts.drain(..).partition(|(host, _)| gone(host));
        running.mounts = kept;
        dropped
    });
    for (host, handle) in dropped {
        drop(handle);
        let _ = host.remove_attribute(MOUNTED);
    }
}

/// `purse:open`, dispatched by the host anywhere in the document, opens the wallet drawer.
fn listen_for_open(document: &Document, embed: EmbedState) {
    let open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| embed.open_drawer());
    let _ = document.add_event_listener_with_callback("purse:open", open.as_ref().unchecked_ref());
    open.forget();
}

/// Tells the host page a tip was sent: `purse:tip-sent`, bubbling (and out of any shadow root),
/// on the Tip button's mount point (the first one for the tip's creator and post, found when
/// the answer arrives, so a sheet closed meanwhile or a post re-rendered changes nothing; the
/// document if the host removed it). `detail` is what the host needs to thank the person: the tip's
/// id, creator, amount, currency, post and whether it was anonymous; never the message.
pub fn announce_tip(tip: &Tip) {
    // Built field by field: serde_json's `Value` would cost the embed kilobytes.
    let detail = js_sys::Object::new();
    let optional = |text: &Option<String>| text.as_deref().map_or(wasm_bindgen::JsValue::NULL, Into::into);
    let fields: [(&str, wasm_bindgen::JsValue); 7] = [
        ("id", tip.id.as_str().into()),
        ("creator", tip.creator.as_str().into()),
        ("amount", tip.amount.as_str().into()),
        ("currency", tip.currency.code().into()),
        ("post_id", optional(&tip.post_id)),
        ("anonymous", tip.anonymous.into()),
        ("created_at", tip.created_at.as_str().into()),
    ];
    for (name, value) in fields {
        let _ = js_sys::Reflect::set(&detail, &name.into(), &value);
    }
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict("purse:tip-sent", &init) else { return };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let target: web_sys::EventTarget = match mount_point_of(&document, tip) {
        Some(element) => element.into(),
        None => document.into(),
    };
    let _ = target.dispatch_event(&event);
}

/// The first connected Tip mount point for `tip`'s creator and post.
fn mount_point_of(document: &Document, tip: &Tip) -> Option<Element> {
    let found = document.query_selector_all("[data-purse-tip]").ok()?;
    (0..found.length()).filter_map(|i| found.item(i)?.dyn_into::<Element>().ok()).find(|element| {
        let creator = element.get_attribute("data-creator").and_then(|c| Handle::parse(&c).ok());
        creator.as_ref() == Some(&tip.creator) && element.get_attribute("data-post") == tip.post_id
    })
}

/// The overlay: its own shadow root at the end of `<body>`, holding the two dialogs.
fn mount_overlay(document: &Document, embed: EmbedState) {
    let Some(body) = document.body() else { return };
    let Ok(host) = document.create_element("div") else { return };
    let _ = host.set_attribute("data-purse-overlay", "");
    let _ = body.append_child(&host);
    mount_into(document, host, move || view! { <Overlay embed /> });
}

#[component]
fn Overlay(embed: EmbedState) -> impl IntoView {
    let tip_open = Signal::derive(move || embed.tip.with(Option::is_some));
    let close_tip = Callback::new(move |()| embed.tip.set(None));
    // Lives with the overlay, not the sheet: a tip still being sent when the sheet is closed
    // is still announced, and its button still says so.
    let sent = Callback::new(move |tip: Tip| {
        embed.sent.update(|sent| {
            sent.push(TipTarget { creator: tip.creator.clone(), post_id: tip.post_id.clone() })
        });
        announce_tip(&tip);
    });
    let close_drawer = Callback::new(move |()| embed.drawer_open.set(false));
    view! {
        <Modal open=tip_open on_close=close_tip labelledby=tip_sheet::TITLE_ID class="sheet">
            {move || embed.tip.get().map(|target| view! {
                <TipSheet creator=target.creator post_id=target.post_id on_sent=sent on_close=close_tip />
            })}
        </Modal>
        <Modal open=embed.drawer_open on_close=close_drawer labelledby=DRAWER_TITLE_ID class="drawer">
            <Drawer />
        </Modal>
    }
}

/// The Tip button for one post.
#[component]
fn TipButton(creator: Handle, post_id: Option<String>) -> impl IntoView {
    let embed = expect_context::<EmbedState>();
    let label = format!("@{creator} {}", t(Text::TipForPost));
    let target = TipTarget { creator, post_id };
    let tipped = {
        let target = target.clone();
        Memo::new(move |_| embed.sent.with(|sent| sent.contains(&target)))
    };
    let open = move |_| {
        embed.drawer_open.set(false);
        embed.tip.set(Some(target.clone()));
    };
    view! {
        <button type="button" class="tip-button" class:tipped=tipped aria-haspopup="dialog" on:click=open>
            <span class="tip-icon" aria-hidden="true">"$"</span>
            <span>{move || if tipped.get() { t(Text::TipTipped) } else { t(Text::TipButton) }}</span>
            <span class="visually-hidden">" "{label}</span>
        </button>
    }
}

/// The wallet launcher: opens the drawer.
#[component]
fn WalletLauncher() -> impl IntoView {
    let embed = expect_context::<EmbedState>();
    view! {
        <button type="button" class="button wallet-launcher" aria-haspopup="dialog" on:click=move |_| embed.open_drawer()>
            <span class="brand-mark" aria-hidden="true">"◆"</span>
            <span>{t(Text::WalletButton)}</span>
        </button>
    }
}

/// The wallet in the drawer: the wallet home for a signed-in person (live while open), the
/// sign-in form otherwise (branded as Purse's: it sits inside the host's timeline).
#[component]
fn Drawer() -> impl IntoView {
    let session = use_session();
    let person = Memo::new(move |_| session.person());
    view! {
        <h2 id=DRAWER_TITLE_ID class="drawer-title">{t(Text::WalletDrawerTitle)}</h2>
        {move || match person.get() {
            None => view! { <SkeletonList rows=3 /> }.into_any(),
            Some(None) => view! {
                <section class="card">
                    <SignInForm return_to=crate::session::return_path().map(|here| next_path::host_return(&here, &Reopen::Wallet)) />
                </section>
            }.into_any(),
            Some(Some(user)) => view! { <SignedInDrawer user /> }.into_any(),
        }}
    }
}

#[component]
fn SignedInDrawer(user: User) -> impl IntoView {
    let creator = user.roles.contains(&Role::Creator);
    view! {
        <WalletHome user=user />
        <p class="drawer-links">
            <a href="/wallet">{t(Text::OpenFullWallet)}</a>
            {creator.then(|| view! { " · "<a href="/creator">{t(Text::CreatorTitle)}</a> })}
        </p>
    }
}
