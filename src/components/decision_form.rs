//! An officer's decision with its required note: a labelled textarea and one button per action
//! (Approve / Reject, Freeze / Unfreeze). The note is checked before anything is sent: empty
//! (or too long), the field says why and takes focus, and no request leaves. The page makes the
//! call ([`DecisionForm`]'s `on_decide`) and tells it when it is busy and what went wrong.

use leptos::prelude::*;

use crate::flows::ops_view::check_note;
use crate::text::{Ops, t};

/// One of the form's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    /// What `on_decide` hears (approve / freeze: `true`).
    pub value: bool,
    pub label: &'static str,
    pub busy_label: &'static str,
    /// Drawn as the primary action (else secondary, or `danger`).
    pub primary: bool,
    pub danger: bool,
    /// `data-action`, for tests and styles.
    pub name: &'static str,
}

#[component]
pub fn DecisionForm(
    /// The textarea's id (its label's `for`, its hint's and error's prefix).
    id: &'static str,
    actions: Vec<Action>,
    /// The action being sent, while it is.
    busy: RwSignal<Option<bool>>,
    /// What the server said when it refused.
    error: RwSignal<Option<String>>,
    /// The note as typed (the page clears it after a decision that keeps the form).
    note: RwSignal<String>,
    on_decide: Callback<(bool, String)>,
) -> impl IntoView {
    let note_error = RwSignal::new(None::<String>);
    let field = NodeRef::<leptos::html::Textarea>::new();
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || match note_error.get() {
            Some(_) => format!("{hint_id} {error_id}"),
            None => hint_id.clone(),
        }
    };
    let decide = move |value: bool| {
        if busy.get_untracked().is_some() {
            return;
        }
        error.set(None);
        match check_note(&note.get_untracked()) {
            Ok(text) => {
                note_error.set(None);
                on_decide.run((value, text));
            }
            Err(problem) => {
                note_error.set(Some(problem.message().to_string()));
                if let Some(field) = field.get_untracked() {
                    let _ = field.focus();
                }
            }
        }
    };
    view! {
        <form class="decision-form" novalidate=true on:submit=move |event| event.prevent_default()>
            <div class="field" class:invalid=move || note_error.get().is_some()>
                <label for=id>{t(Ops::Note)}</label>
                <textarea
                    id=id
                    name=id
                    rows="3"
                    node_ref=field
                    aria-required="true"
                    prop:value=move || note.get()
                    on:input=move |event| {
                        note.set(event_target_value(&event));
                        note_error.set(None);
                    }
                    aria-invalid=move || note_error.get().is_some().to_string()
                    aria-describedby=described_by
                ></textarea>
                <p class="field-hint" id=hint_id>{t(Ops::NoteHint)}</p>
                <p class="field-error" id=error_id role="alert">{move || note_error.get()}</p>
            </div>
            <p class="form-error" role="alert">{move || error.get()}</p>
            <div class="decision-actions">
                {actions.into_iter().map(|action| {
                    let class = match (action.primary, action.danger) {
                        (true, _) => "button",
                        (false, true) => "button button-danger",
                        (false, false) => "button button-secondary",
                    };
                    view! {
                        <button type="button" class=class data-action=action.name
                            disabled=move || busy.get().is_some()
                            on:click=move |_| decide(action.value)>
                            {move || if busy.get() == Some(action.value) { action.busy_label } else { action.label }}
                        </button>
                    }
                }).collect_view()}
            </div>
        </form>
    }
}
