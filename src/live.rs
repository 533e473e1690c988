//! The live event stream (`GET /api/v1/events`, Server-Sent Events) as callbacks: activity,
//! balances, requests, and for compliance officers cases.
//!
//! The browser's `EventSource` reconnects by itself after a dropped connection, sending the
//! last event id, so nothing is missed. If the server refuses the stream (the connection is
//! closed for good), [`Live`] opens a new one after a growing pause and asks the page to
//! re-read what it shows, since the new stream starts from now.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use purse_api::ops::{Case, CaseResponse};
use purse_api::{Activity, MoneyRequest, Wallet};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};

/// How the stream stands, for a small indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Open,
    Reconnecting,
}

/// What the page wants to hear about.
pub struct Handlers {
    pub activity: Box<dyn Fn(Activity)>,
    pub balance: Box<dyn Fn(Wallet)>,
    /// A request for money to or from the person, new or changed.
    pub request: Box<dyn Fn(MoneyRequest)>,
    /// A compliance case, new or changed (officers' streams only; `None`: not listened for).
    pub case: Option<Box<dyn Fn(Case)>>,
    pub status: Box<dyn Fn(LiveStatus)>,
    /// After a stream was replaced: re-read the wallet and the first page.
    pub resync: Box<dyn Fn()>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handlers")
    }
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Live")
    }
}

struct Inner {
    source: Option<EventSource>,
    listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    handlers: Handlers,
    retry: Option<gloo_timers::callback::Timeout>,
    failures: u32,
    stopped: bool,
}

/// An open stream; closing it (drop) stops everything, including pending reconnects.
pub struct Live(Rc<RefCell<Inner>>);

const PATH: &str = "/api/v1/events";

impl Live {
    pub fn connect(handlers: Handlers) -> Live {
        let inner = Rc::new(RefCell::new(Inner {
            source: None,
            listeners: Vec::new(),
            handlers,
            retry: None,
            failures: 0,
            stopped: false,
        }));
        open(&inner);
        Live(inner)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.stopped = true;
            inner.retry = None;
            if let Some(source) = inner.source.take() {
                source.close();
            }
            inner.listeners.clear();
        }
    }
}

fn open(shared: &Rc<RefCell<Inner>>) {
    let Ok(source) = EventSource::new(PATH) else {
        schedule_reopen(shared);
        return;
    };
    let weak = Rc::downgrade(shared);
    let mut listeners = Vec::new();

    let on_activity = listener(&weak, |inner, event| {
        if let Some(activity) = data::<Activity>(&event) {
            (inner.handlers.activity)(activity);
        }
    });
    let on_balance = listener(&weak, |inner, event| {
        if let Some(wallet) = data::<Wallet>(&event) {
            (inner.handlers.balance)(wallet);
        }
    });
    let on_request = listener(&weak, |inner, event| {
        if let Some(request) = data::<MoneyRequest>(&event) {
            (inner.handlers.request)(request);
        }
    });
    let on_case = listener(&weak, |inner, event| {
        if let (Some(handler), Some(data)) = (&inner.handlers.case, data::<CaseResponse>(&event)) {
            handler(data.case);
        }
    });
    // `open` is a plain `Event`, not a `MessageEvent`.
    let weak_for_open = weak.clone();
    let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_event: web_sys::Event| {
        let Some(shared) = weak_for_open.upgrade() else { return };
        if let Ok(mut inner) = shared.try_borrow_mut() {
            inner.failures = 0;
            (inner.handlers.status)(LiveStatus::Open);
        }
    });
    let weak_for_error = weak.clone();
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_event: web_sys::Event| {
        let Some(shared) = weak_for_error.upgrade() else { return };
        let closed =
            shared.borrow().source.as_ref().is_some_and(|source| source.ready_state() == EventSource::CLOSED);
        (shared.borrow().handlers.status)(LiveStatus::Reconnecting);
        if closed {
            // The browser gave up (the server refused the stream): we try again ourselves.
            schedule_reopen(&shared);
        }
    });
    for (name, closure) in [
        ("activity", &on_activity),
        ("balance", &on_balance),
        ("request", &on_request),
        ("case", &on_case),
        ("open", &on_open),
        ("error", &on_error),
    ] {
        let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    }
    listeners.extend([on_activity, on_balance, on_request, on_case, on_open, on_error]);
    let mut inner = shared.borrow_mut();
    if let Some(old) = inner.source.replace(source) {
        old.close();
    }
    inner.listeners = listeners;
    (inner.handlers.status)(LiveStatus::Connecting);
}

fn schedule_reopen(shared: &Rc<RefCell<Inner>>) {
    let mut inner = shared.borrow_mut();
    if inner.stopped {
        return;
    }
    inner.failures = inner.failures.saturating_add(1);
    let delay_ms = 1_000u32.saturating_mul(1 << inner.failures.min(5)).min(30_000);
    let weak = Rc::downgrade(shared);
    inner.retry = Some(gloo_timers::callback::Timeout::new(delay_ms, move || {
        if let Some(shared) = weak.upgrade() {
            if shared.borrow().stopped {
                return;
            }
            open(&shared);
            (shared.borrow().handlers.resync)();
        }
    }));
}

fn listener(
    weak: &Weak<RefCell<Inner>>,
    handle: impl Fn(&mut Inner, MessageEvent) + 'static,
) -> Closure<dyn FnMut(web_sys::Event)> {
    let weak = weak.clone();
    Closure::new(move |event: web_sys::Event| {
        let Some(shared) = weak.upgrade() else { return };
        let Ok(event) = event.dyn_into::<MessageEvent>() else { return };
        if let Ok(mut inner) = shared.try_borrow_mut() {
            handle(&mut inner, event);
        }
    })
}

fn data<T: serde::de::DeserializeOwned>(event: &MessageEvent) -> Option<T> {
    serde_json::from_str(&event.data().as_string()?).ok()
}
