//! A modal dialog on the browser's own `<dialog>`: `showModal()` puts it in the top layer (above
//! anything the host page stacks, even from inside a shadow root), makes the rest of the page
//! inert so focus stays inside, closes on Escape, and gives focus back to what had it. A click
//! on the backdrop closes it too. Used for the tip sheet and the wallet drawer.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::text::{Text, t};

#[component]
pub fn Modal(
    /// Shown while true.
    #[prop(into)]
    open: Signal<bool>,
    /// The person closed it (Escape, the backdrop, or a close button calling this).
    on_close: Callback<()>,
    /// The id of the element naming the dialog.
    labelledby: &'static str,
    /// `sheet` (centred, bottom sheet on narrow screens) or `drawer` (the side of the page).
    class: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        let Some(element) = dialog.get() else { return };
        let element: &web_sys::HtmlDialogElement = element.unchecked_ref();
        match (open.get(), element.open()) {
            (true, false) => {
                let _ = element.show_modal();
            }
            (false, true) => element.close(),
            _ => {}
        }
    });
    // Escape closes the dialog itself (then `close` fires); keep the signal in step.
    let closed = move |_| {
        if open.get_untracked() {
            on_close.run(());
        }
    };
    // A click on the dialog element itself (not its content) is a click on the backdrop.
    let backdrop = move |event: leptos::ev::MouseEvent| {
        let on_dialog = event.target().zip(dialog.get_untracked()).is_some_and(|(target, element)| {
            let element: &web_sys::EventTarget = element.unchecked_ref();
            &target == element
        });
        if on_dialog {
            on_close.run(());
        }
    };
    view! {
        <dialog node_ref=dialog class=format!("modal {class}") aria-labelledby=labelledby on:close=closed on:click=backdrop>
            <button type="button" class="modal-close" aria-label=t(Text::Close) on:click=move |_| on_close.run(())>"×"</button>
            <div class="modal-body">{move || open.get().then(|| children())}</div>
        </dialog>
    }
}
