//! Moving keyboard focus to what a person continues with, when a step replaces the control they
//! were on (a done screen, a form that opened).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Focuses the element with `id` once the next frame is drawn (the element may be new).
pub fn focus_later(id: &'static str) {
    request_animation_frame(move || {
        let element = document().get_element_by_id(id);
        if let Some(element) = element.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = element.focus();
        }
    });
}
