//! The card form: number (grouped as it is typed, 4-4-4-4 or American Express's 4-6-5, its
//! brand shown), one "MM / YY" expiry field (the slash put in by itself, pastes like `12/29`
//! taken) and CVC, each with the `autocomplete` a browser fills cards from, checked by
//! [`crate::flows::card_checks`]. It posts the details straight to the card network's sandbox
//! (never to the wallet API), empties the number and CVC the moment the network answers with a
//! token, then links the token with `POST /cards`. Nothing here logs anything.

use leptos::prelude::*;
use purse_api::Card;
use wasm_bindgen::JsCast;

use crate::api_client;
use crate::components::fields::TextField;
use crate::flows::card_checks::{
    CardFields, CardProblems, brand_shown, caret_after_digits, check, delete_past_space, format_expiry,
    group_number, live_expiry_problem, live_number_problem, problems_from,
};
use crate::text::{Funding, t};

/// `(month, year)` now, by the browser's clock.
fn this_month() -> (u32, u32) {
    let now = js_sys::Date::new_0();
    (now.get_month() + 1, now.get_full_year())
}

/// Shows what was just typed into `input` as `format` writes it (grouped digits, "MM / YY"),
/// keeping the caret beside the digit it was at (at the end if it was at the end). Returns the
/// text as shown. Deleting is told to `format` (so Backspace can take an inserted slash away).
fn reformat(
    event: &leptos::ev::Event,
    input: &web_sys::HtmlInputElement,
    format: fn(&str, bool) -> String,
) -> String {
    let typed = input.value();
    let deleting = js_sys::Reflect::get(event, &"inputType".into())
        .ok()
        .and_then(|kind| kind.as_string())
        .is_some_and(|kind| kind.starts_with("delete"));
    let shown = format(&typed, deleting);
    if shown != typed {
        // Every character here is ASCII: UTF-16 offsets are byte offsets.
        let caret = input.selection_start().ok().flatten().map_or(typed.len(), |at| at as usize);
        let at = if caret >= typed.len() {
            shown.len()
        } else {
            caret_after_digits(
                &shown,
                typed.get(..caret).unwrap_or("").chars().filter(char::is_ascii_digit).count(),
            )
        };
        input.set_value(&shown);
        let at = u32::try_from(at).unwrap_or(0);
        let _ = input.set_selection_range(at, at);
    }
    shown
}

#[component]
pub fn CardForm(
    /// The card is linked.
    on_added: Callback<Card>,
    /// When given, a Cancel button calls it (there are other cards to go back to).
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let number = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let cvc = RwSignal::new(String::new());
    let problems = RwSignal::new(CardProblems::default());
    let busy = RwSignal::new(false);
    let problem =
        move |pick: fn(&CardProblems) -> Option<String>| Signal::derive(move || problems.with(pick));
    // A number that cannot become a card number is wrong as soon as it is typed; a half-typed
    // one is not wrong yet.
    let number_error = Signal::derive(move || {
        problems
            .with(|p| p.number.clone())
            .or_else(|| number.with(|typed| live_number_problem(typed)).map(str::to_string))
    });
    let expiry_error = Signal::derive(move || {
        problems
            .with(|p| p.expiry.clone())
            .or_else(|| expiry.with(|typed| live_expiry_problem(typed)).map(str::to_string))
    });
    let cvc_error = problem(|p| p.cvc.clone());
    let brand = move || number.with(|typed| brand_shown(typed));

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let fields = CardFields {
            number: number.get_untracked(),
            expiry: expiry.get_untracked(),
            cvc: cvc.get_untracked(),
        };
        let details = match check(&fields, this_month()) {
            Ok(details) => details,
            Err(found) => {
                problems.set(found);
                return;
            }
        };
        problems.set(CardProblems::default());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let token = api_client::tokenize_card(&details).await;
            drop(details);
            let token = match token {
                Ok(token) => token,
                Err(error) => {
                    let _ = problems.try_set(problems_from(error));
                    let _ = busy.try_set(false);
                    return;
                }
            };
            // The network has the card now: the page keeps none of it.
            for field in [number, expiry, cvc] {
                let _ = field.try_set(String::new());
            }
            match api_client::add_card(token.token).await {
                Ok(card) => {
                    let _ = on_added.try_run(card);
                }
                Err(error) => {
                    let _ = problems.try_set(problems_from(error));
                }
            }
            let _ = busy.try_set(false);
        });
    };
    // Typing in a field takes its problem away (the live checks stay), and the number and the
    // expiry are shown as they are printed on the card.
    let typed = move |event: leptos::ev::Event| {
        let Some(input) =
            event.target().and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        match input.id().as_str() {
            "card-number" => {
                let kind = js_sys::Reflect::get(&event, &"inputType".into()).ok().and_then(|k| k.as_string());
                let caret = input.selection_start().ok().flatten().map(|at| at as usize);
                if let (Some(kind), Some(caret)) = (kind, caret)
                    && kind.starts_with("delete")
                    && let Some((text, at)) = delete_past_space(
                        &number.get_untracked(),
                        &input.value(),
                        caret,
                        kind == "deleteContentForward",
                    )
                {
                    input.set_value(&text);
                    let at = u32::try_from(at).unwrap_or(0);
                    let _ = input.set_selection_range(at, at);
                }
                number.set(reformat(&event, &input, |typed, _| group_number(typed)));
                problems.update(|p| p.number = None);
            }
            "card-exp" => {
                expiry.set(reformat(&event, &input, format_expiry));
                problems.update(|p| p.expiry = None);
            }
            "card-cvc" => problems.update(|p| p.cvc = None),
            _ => {}
        }
    };

    view! {
        <form class="card-form" id="card-form" on:submit=submit on:input=typed novalidate=true
            aria-labelledby="card-form-title">
            <h2 id="card-form-title">{t(Funding::AddCardTitle)}</h2>
            <div class="card-number-field">
                <TextField id="card-number" label=t(Funding::CardNumber) value=number error=number_error hint=t(Funding::CardNumberHint)
                    inputmode="numeric" autocomplete="cc-number" maxlength=23 />
                <p class="card-brand" id="card-brand" data-test="card-brand" aria-live="polite">{brand}</p>
            </div>
            <div class="card-row">
                <TextField id="card-exp" label=t(Funding::CardExpiry) value=expiry error=expiry_error hint=t(Funding::CardExpiryHint)
                    inputmode="numeric" autocomplete="cc-exp" maxlength=12 />
                <TextField id="card-cvc" label=t(Funding::CardCvc) value=cvc error=cvc_error hint=t(Funding::CardCvcHint)
                    inputmode="numeric" autocomplete="cc-csc" maxlength=4 />
            </div>
            <p class="muted card-secure">{t(Funding::CardSecureNote)}</p>
            <p class="form-error" id="card-form-error" role="alert">{move || problems.with(|p| p.form.clone())}</p>
            <div class="button-row">
                {on_cancel.map(|on_cancel| view! {
                    <button type="button" class="button button-secondary" data-test="card-cancel" disabled=move || busy.get()
                        on:click=move |_| on_cancel.run(())>{t(Funding::CancelAction)}</button>
                })}
                <button type="submit" class="button" id="card-submit" data-test="card-submit" disabled=move || busy.get()>
                    {move || if busy.get() { t(Funding::SavingCard) } else { t(Funding::SaveCard) }}
                </button>
            </div>
        </form>
    }
}
