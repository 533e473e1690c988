//! The card form: number (its brand shown as it is typed), expiry and CVC, checked by
//! [`crate::flows::card_checks`]. It posts the details straight to the card network's sandbox
//! (never to the wallet API), empties the number and CVC the moment the network answers with a
//! token, then links the token with `POST /cards`. Nothing here logs anything.

use leptos::prelude::*;
use purse_api::Card;

use crate::api_client;
use crate::components::fields::{TextField, typed_into};
use crate::flows::card_checks::{
    CardFields, CardProblems, brand_shown, check, live_number_problem, problems_from,
};
use crate::text::{Funding, t};

/// `(month, year)` now, by the browser's clock.
fn this_month() -> (u32, u32) {
    let now = js_sys::Date::new_0();
    (now.get_month() + 1, now.get_full_year())
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
    let month = RwSignal::new(String::new());
    let year = RwSignal::new(String::new());
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
    let expiry_error = problem(|p| p.expiry.clone());
    let cvc_error = problem(|p| p.cvc.clone());
    let brand = move || number.with(|typed| brand_shown(typed));

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let fields = CardFields {
            number: number.get_untracked(),
            month: month.get_untracked(),
            year: year.get_untracked(),
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
            for field in [number, month, year, cvc] {
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
    // Typing in a field takes its problem away (the live check of the number stays).
    let typed = move |event: leptos::ev::Event| {
        let Some((id, _)) = typed_into(&event) else { return };
        problems.update(|p| match id.as_str() {
            "card-number" => p.number = None,
            "card-exp-month" | "card-exp-year" => p.expiry = None,
            "card-cvc" => p.cvc = None,
            _ => {}
        });
    };

    view! {
        <form class="card-form" id="card-form" on:submit=submit on:input=typed novalidate=true
            aria-labelledby="card-form-title">
            <h2 id="card-form-title">{t(Funding::AddCardTitle)}</h2>
            <TextField id="card-number" label=t(Funding::CardNumber) value=number error=number_error hint=t(Funding::CardNumberHint)
                inputmode="numeric" autocomplete="cc-number" maxlength=23 />
            <p class="card-brand" id="card-brand" data-test="card-brand" aria-live="polite">{brand}</p>
            <fieldset class="expiry" class:invalid=move || expiry_error.get().is_some()>
                <legend>{t(Funding::CardExpiry)}</legend>
                <div class="expiry-fields">
                    <TextField id="card-exp-month" label=t(Funding::CardExpMonth) value=month error=Signal::derive(|| None::<String>)
                        inputmode="numeric" autocomplete="cc-exp-month" maxlength=2 />
                    <TextField id="card-exp-year" label=t(Funding::CardExpYear) value=year error=Signal::derive(|| None::<String>)
                        inputmode="numeric" autocomplete="cc-exp-year" maxlength=4 />
                </div>
                <p class="field-error" id="card-expiry-error" role="alert">{move || expiry_error.get()}</p>
            </fieldset>
            <TextField id="card-cvc" label=t(Funding::CardCvc) value=cvc error=cvc_error hint=t(Funding::CardCvcHint)
                inputmode="numeric" autocomplete="cc-csc" maxlength=4 />
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
