//! Moving keyboard focus to what a person continues with, when a step replaces the control they
//! were on (a done screen, a form that opened), and to a new page's heading after a client-side
//! route change.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::text::{Text, t};

/// Focuses the element with `id` once the next frame is drawn (the element may be new).
pub fn focus_later(id: &'static str) {
    request_animation_frame(move || {
        let element = document().get_element_by_id(id);
        if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}

/// How many frames [`focus_heading_later`] waits for a page's heading (a page may draw it once
/// its data arrives): about two seconds.
const HEADING_FRAMES: u32 = 120;

/// After a client-side route change: focuses the new page's main heading (`main h1`, made
/// focusable with `tabindex="-1"` if it is not), names the page in the document's title, and
/// puts its name in `announcement` (a status region: polite, read whole) for screen readers.
/// Waits for the heading a frame at a time; a page that draws none focuses `main` instead, so
/// focus never falls back to the document's body.
pub fn focus_heading_later(announcement: RwSignal<String>) {
    focus_heading_in(HEADING_FRAMES, announcement);
}

fn focus_heading_in(frames_left: u32, announcement: RwSignal<String>) {
    request_animation_frame(move || {
        let document = document();
        let heading = document
            .query_selector("main h1")
            .ok()
            .flatten()
            .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
        match heading {
            Some(heading) => {
                if !heading.has_attribute("tabindex") {
                    let _ = heading.set_attribute("tabindex", "-1");
                }
                let _ = heading.focus();
                let name = heading.text_content().unwrap_or_default();
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                document.set_title(&format!("{name} · {}", t(Text::Brand)));
                announcement.set(name);
            }
            None if frames_left > 0 => focus_heading_in(frames_left - 1, announcement),
            None => {
                document.set_title(t(Text::Brand));
                if let Some(main) =
                    document.get_element_by_id("main").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = main.focus();
                }
            }
        }
    });
}
