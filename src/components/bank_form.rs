//! The bank-account form: routing number (checked against the ABA checksum as it is typed),
//! account number and the holder's name, checked by [`crate::flows::bank_checks`], then
//! `POST /bank-accounts`.

use leptos::prelude::*;
use purse_api::BankAccount;

use crate::api_client;
use crate::components::fields::{TextField, typed_into};
use crate::flows::bank_checks::{BankFields, BankProblems, check, problems_from, routing_message};
use crate::text::{Funding, t};

#[component]
pub fn BankForm(
    /// The account is linked.
    on_added: Callback<BankAccount>,
    /// When given, a Cancel button calls it.
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let routing = RwSignal::new(String::new());
    let account = RwSignal::new(String::new());
    let holder = RwSignal::new(String::new());
    let problems = RwSignal::new(BankProblems::default());
    let busy = RwSignal::new(false);
    let live = Memo::new(move |_| routing.with(|typed| routing_message(typed)));
    // A routing number failing the checksum is wrong as soon as its nine digits are typed.
    let routing_error = Signal::derive(move || {
        problems.with(|p| p.routing.clone()).or_else(|| match live.get() {
            Some((false, message)) => Some(message.to_string()),
            _ => None,
        })
    });
    let routing_ok = move || match (live.get(), problems.with(|p| p.routing.is_none())) {
        (Some((true, message)), true) => Some(message),
        _ => None,
    };
    let problem =
        move |pick: fn(&BankProblems) -> Option<String>| Signal::derive(move || problems.with(pick));
    // Typing in a field takes its problem away (the live check of the routing number stays).
    let typed = move |event: leptos::ev::Event| {
        let Some((id, _)) = typed_into(&event) else { return };
        problems.update(|p| match id.as_str() {
            "bank-routing" => p.routing = None,
            "bank-account" => p.account = None,
            "bank-holder" => p.holder = None,
            _ => {}
        });
    };

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let fields = BankFields {
            routing: routing.get_untracked(),
            account: account.get_untracked(),
            holder: holder.get_untracked(),
        };
        let request = match check(&fields) {
            Ok(request) => request,
            Err(found) => {
                problems.set(found);
                return;
            }
        };
        problems.set(BankProblems::default());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api_client::add_bank_account(&request).await {
                Ok(bank_account) => {
                    for field in [routing, account, holder] {
                        let _ = field.try_set(String::new());
                    }
                    let _ = on_added.try_run(bank_account);
                }
                Err(error) => {
                    let _ = problems.try_set(problems_from(error));
                }
            }
            let _ = busy.try_set(false);
        });
    };

    view! {
        <form class="bank-form" id="bank-form" on:submit=submit on:input=typed novalidate=true
            aria-labelledby="bank-form-title">
            <h2 id="bank-form-title">{t(Funding::AddBankTitle)}</h2>
            <TextField id="bank-routing" label=t(Funding::RoutingNumber) value=routing error=routing_error hint=t(Funding::RoutingHint)
                inputmode="numeric" maxlength=11 />
            <p class="form-success routing-check" id="bank-routing-check" data-test="bank-routing-check" aria-live="polite">{routing_ok}</p>
            <TextField id="bank-account" label=t(Funding::AccountNumber) value=account error=problem(|p| p.account.clone())
                hint=t(Funding::AccountHint) inputmode="numeric" maxlength=21 />
            <TextField id="bank-holder" label=t(Funding::HolderName) value=holder error=problem(|p| p.holder.clone())
                autocomplete="name" maxlength=100 />
            <p class="form-error" id="bank-form-error" role="alert">{move || problems.with(|p| p.form.clone())}</p>
            <div class="button-row">
                {on_cancel.map(|on_cancel| view! {
                    <button type="button" class="button button-secondary" data-test="bank-cancel" disabled=move || busy.get()
                        on:click=move |_| on_cancel.run(())>{t(Funding::CancelAction)}</button>
                })}
                <button type="submit" class="button" id="bank-submit" data-test="bank-submit" disabled=move || busy.get()>
                    {move || if busy.get() { t(Funding::SavingBank) } else { t(Funding::SaveBank) }}
                </button>
            </div>
        </form>
    }
}
