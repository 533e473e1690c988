//! `/settings/limits`: where the person stands. Their tier and status in a plain sentence
//! (restricted: "Purse isn't licensed in New York yet. You can see and withdraw your money;
//! nothing else can move."); one meter per limit (used of the limit as a bar and in words, what
//! is left, when room comes back); what the next tier unlocks and the form to reach it (tier 1:
//! legal name, date of birth, address, the last four of the SSN; tier 2: an identity document),
//! checked by the server's own rules before it is sent, with the server's field errors on their
//! fields; and what is held for review, with its reason code and what to do. Loading (a
//! skeleton), could not load (what went wrong, and a retry) and nothing held (one line) are
//! designed. The decisions are [`crate::flows::limits_view`]'s; this file draws them and does the
//! HTTP through [`api_client`].

use leptos::prelude::*;
use purse_api::compliance::{Compliance, Date, US_STATES, VerificationStatus};

use crate::api_client::{self, ApiError};
use crate::components::fields::{TextField, typed_into};
use crate::components::focus::focus_later;
use crate::components::gate::SignedInOnly;
use crate::components::limit_note::now_ms;
use crate::components::states::{EmptyState, ErrorState, SkeletonList};
use crate::flows::limits_view::{
    Outcome, VerifyForm, field, hold_view, last_rejection, meter_view, status_sentence, status_word,
    tier_label, tier_name, unlocks,
};
use crate::session::use_session;
use crate::text::{Limits, US_STATE_NAMES, t};

/// The sentence a verification ended with, at the top of the page.
const OUTCOME_ID: &str = "verify-outcome";

/// What `GET /me/compliance` answered: `None` while reading.
pub type Loaded = Option<Result<Compliance, ApiError>>;

#[component]
pub fn LimitsPage() -> impl IntoView {
    view! { <SignedInOnly><LimitsLoader /></SignedInOnly> }
}

#[component]
fn LimitsLoader() -> impl IntoView {
    let loaded = RwSignal::new(None::<Result<Compliance, ApiError>>);
    // Read again after a verification: what is shown stays until the new answer is in.
    let read = move || {
        leptos::task::spawn_local(async move {
            let answer = api_client::compliance().await;
            let _ = loaded.try_set(Some(answer));
        });
    };
    read();
    let retry = Callback::new(move |()| {
        loaded.set(None);
        read();
    });
    view! { <LimitsView loaded on_retry=retry on_changed=Callback::new(move |()| read()) /> }
}

/// The page for what was read: a test can put it in any state. `on_changed`: a verification
/// changed where the person stands (read it again).
#[component]
pub fn LimitsView(
    loaded: RwSignal<Loaded>,
    on_retry: Callback<()>,
    on_changed: Callback<()>,
) -> impl IntoView {
    // What the last verification from this page said: kept while the page is read again.
    let outcome = RwSignal::new(None::<Outcome>);
    // A verification that changed where the person stands is said at the top of the page, which
    // takes focus (and comes into view) while the page is read again; a rejection is said on the
    // form, which keeps what was typed.
    let answered = Callback::new(move |result: Outcome| {
        let changed = !matches!(result, Outcome::Rejected(_));
        outcome.set(Some(result));
        if changed {
            focus_later(OUTCOME_ID);
            on_changed.run(());
        }
    });
    view! {
        <section class="card limits-head" aria-labelledby="limits-title" data-test="limits">
            <h1 id="limits-title">{t(Limits::Title)}</h1>
            <p class="muted">{t(Limits::Lead)}</p>
            <div role="status" class="limits-outcome">
                {move || outcome.get().map(|o| view! {
                    <p class="notice verify-outcome" id=OUTCOME_ID tabindex="-1" data-outcome=o.name()>{o.sentence()}</p>
                })}
            </div>
            {move || match loaded.get() {
                None => view! { <SkeletonList rows=3 /> }.into_any(),
                Some(Err(error)) => {
                    let permanent = error.is_permanent();
                    let message = format!("{} {}", t(Limits::Unavailable), error.message);
                    view! { <ErrorState message=message on_retry=on_retry permanent=permanent /> }.into_any()
                }
                Some(Ok(compliance)) => view! { <Standing compliance /> }.into_any(),
            }}
        </section>
        {move || match loaded.get() {
            Some(Ok(compliance)) => view! {
                <Meters compliance=compliance.clone() />
                <NextTier compliance=compliance.clone() answered />
                <Holds compliance />
            }
            .into_any(),
            _ => ().into_any(),
        }}
    }
}

/// The tier and the status, in a word and a sentence.
#[component]
fn Standing(compliance: Compliance) -> impl IntoView {
    let (word, status) = status_word(compliance.status);
    view! {
        <div class="standing" data-tier=compliance.tier.to_string() data-status=status>
            <p class="standing-tier">
                <span class="tier-badge" data-test="tier">{tier_label(compliance.tier)}</span>
                <span class="standing-tier-name">{tier_name(compliance.tier)}</span>
            </p>
            <p class="standing-status">
                <span class="muted">{t(Limits::StatusLabel)}" "</span>
                <span class="badge status-badge" data-status=status data-test="status">{word}</span>
            </p>
            <p class="standing-sentence" data-test="status-sentence">{status_sentence(&compliance)}</p>
        </div>
    }
}

/// One meter per limit.
#[component]
fn Meters(compliance: Compliance) -> impl IntoView {
    let now = now_ms();
    let meters: Vec<_> = compliance.limits.iter().filter_map(|item| meter_view(item, now)).collect();
    view! {
        <section class="card limits-meters" aria-labelledby="limits-meters-title">
            <h2 id="limits-meters-title">{t(Limits::LimitsHeading)}</h2>
            <ul class="meters">
                {meters.into_iter().map(|meter| {
                    let label = format!("{}: {}", meter.title, meter.used);
                    view! {
                        <li class="meter" data-kind=meter.kind.as_str() data-full=meter.full.to_string()>
                            <div class="meter-head">
                                <h3 class="meter-title">{meter.title}</h3>
                                <span class="muted meter-limit">{meter.limit}</span>
                            </div>
                            <progress class="meter-bar" max=meter.limit_minor.to_string() value=meter.used_minor.to_string() aria-label=label></progress>
                            <p class="meter-words">
                                <span class="meter-used">{meter.used}</span>
                                <strong class="meter-left" data-test="meter-left">{meter.left}</strong>
                            </p>
                            <p class="muted meter-resets">{meter.resets}</p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// What the next tier unlocks, and the form to reach it (or that this is the top).
#[component]
fn NextTier(compliance: Compliance, answered: Callback<Outcome>) -> impl IntoView {
    let Some(next) = compliance.next_tier.clone() else {
        return view! {
            <section class="card limits-next" aria-labelledby="limits-next-title">
                <h2 id="limits-next-title">{tier_label(compliance.tier)}</h2>
                <p class="muted">{t(Limits::TopTier)}</p>
            </section>
        }
        .into_any();
    };
    let lines = unlocks(&compliance.limits, &next);
    let reviewing = compliance.verification.status == VerificationStatus::UnderReview;
    let rejected = last_rejection(&compliance);
    view! {
        <section class="card limits-next" aria-labelledby="limits-next-title">
            <h2 id="limits-next-title">{t(Limits::NextHeading).replace("{n}", &next.tier.to_string())}</h2>
            <p>{t(Limits::NextLead).replace("{n}", &next.tier.to_string())}</p>
            <ul class="unlocks">
                {lines.into_iter().map(|(kind, line)| view! { <li data-kind=kind.as_str()>{line}</li> }).collect_view()}
            </ul>
            {if reviewing {
                view! { <p class="notice" data-test="verification-under-review">{t(Limits::VerifyUnderReview)}</p> }.into_any()
            } else {
                view! {
                    {rejected.map(|why| view! { <p class="limits-rejected" data-test="verification-rejected">{why}</p> })}
                    <VerifyFormView level=next.tier answered />
                }
                .into_any()
            }}
        </section>
    }
    .into_any()
}

/// The verify form for `level` (1: who and where; 2: a document).
#[component]
fn VerifyFormView(level: u8, answered: Callback<Outcome>) -> impl IntoView {
    let session = use_session();
    let form = RwSignal::new(VerifyForm::for_tier(level));
    let text = || RwSignal::new(String::new());
    let (legal_name, date_of_birth, line1, city, postal_code, ssn_last4, document_number) =
        (text(), text(), text(), text(), text(), text(), text());
    let (state, document_type) = (text(), text());
    let problem = move |id: &'static str| Signal::derive(move || form.with(|f| f.problem(id)));
    let copy_fields = move |f: &mut VerifyForm| {
        f.legal_name = legal_name.get_untracked();
        f.date_of_birth = date_of_birth.get_untracked();
        f.line1 = line1.get_untracked();
        f.city = city.get_untracked();
        f.state = state.get_untracked();
        f.postal_code = postal_code.get_untracked();
        f.ssn_last4 = ssn_last4.get_untracked();
        f.document_type = document_type.get_untracked();
        f.document_number = document_number.get_untracked();
    };
    // Typing in a field takes its problem away.
    let typed = move |event: leptos::ev::Event| {
        if let Some((id, _)) = typed_into(&event) {
            form.update(|f| f.typed(&id));
        }
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        // The date of birth may not be after today (UTC, as the server's clock counts days).
        let today = Date::of_unix_ns(now_ms() * 1_000_000);
        let attempt = form
            .try_update(|f| {
                copy_fields(f);
                f.submit(today, api_client::new_idempotency_key)
            })
            .flatten();
        let Some((body, key)) = attempt else {
            if let Some(id) = form.with_untracked(VerifyForm::first_problem) {
                focus_later(id);
            }
            return;
        };
        leptos::task::spawn_local(async move {
            let answer = api_client::verify(&body, &key).await;
            if matches!(&answer, Err(error) if error.is_unauthenticated()) {
                session.set_user(None);
            }
            let Some(()) = form.try_update(|f| f.answer(&key, answer)) else { return };
            if let Some(outcome) = form.with_untracked(|f| f.outcome.clone()) {
                answered.run(outcome);
            } else if let Some(id) = form.with_untracked(VerifyForm::first_problem) {
                focus_later(id);
            }
        });
    };
    let sending = move || form.with(|f| f.sending);
    let (title, lead) = if level <= 1 {
        (t(Limits::VerifyTitle1), t(Limits::VerifyLead1))
    } else {
        (t(Limits::VerifyTitle2), t(Limits::VerifyLead2))
    };
    let fields = if level <= 1 {
        view! {
            <TextField id=field::LEGAL_NAME label=t(Limits::LegalName) value=legal_name error=problem(field::LEGAL_NAME)
                hint=t(Limits::LegalNameHint) autocomplete="name" maxlength=100 />
            <TextField id=field::DATE_OF_BIRTH label=t(Limits::DateOfBirth) value=date_of_birth error=problem(field::DATE_OF_BIRTH)
                hint=t(Limits::DateOfBirthHint) autocomplete="bday" maxlength=10 />
            <TextField id=field::LINE1 label=t(Limits::AddressLine) value=line1 error=problem(field::LINE1)
                autocomplete="address-line1" maxlength=100 />
            <div class="verify-row">
                <TextField id=field::CITY label=t(Limits::City) value=city error=problem(field::CITY)
                    autocomplete="address-level2" maxlength=100 />
                <SelectField id=field::STATE label=t(Limits::State) value=state error=problem(field::STATE) form
                    autocomplete="address-level1" placeholder=t(Limits::ChooseState)
                    options=US_STATES.iter().zip(US_STATE_NAMES).map(|(code, name)| (*code, name)).collect() />
                <TextField id=field::POSTAL_CODE label=t(Limits::PostalCode) value=postal_code error=problem(field::POSTAL_CODE)
                    hint=t(Limits::PostalCodeHint) autocomplete="postal-code" inputmode="numeric" maxlength=10 />
            </div>
            <TextField id=field::SSN_LAST4 label=t(Limits::SsnLast4) value=ssn_last4 error=problem(field::SSN_LAST4)
                hint=t(Limits::SsnLast4Hint) inputmode="numeric" maxlength=4 />
        }
        .into_any()
    } else {
        view! {
            <SelectField id=field::DOCUMENT_TYPE label=t(Limits::DocumentType) value=document_type error=problem(field::DOCUMENT_TYPE) form
                autocomplete="off" placeholder=t(Limits::ChooseDocument)
                options=vec![("passport", t(Limits::Passport)), ("driver_license", t(Limits::DriverLicense))] />
            <TextField id=field::DOCUMENT_NUMBER label=t(Limits::DocumentNumber) value=document_number error=problem(field::DOCUMENT_NUMBER)
                hint=t(Limits::DocumentNumberHint) maxlength=20 />
        }
        .into_any()
    };
    view! {
        <form class="verify-form" id="verify-form" data-level=level.to_string() on:submit=submit on:input=typed novalidate=true>
            <h3 class="verify-title">{title}</h3>
            <p class="muted">{lead}</p>
            <fieldset class="form-fields" disabled=sending>
                {fields}
            </fieldset>
            <p class="form-error" id="verify-error" role="alert">{move || form.with(|f| f.form_problem.clone())}</p>
            {move || form.with(|f| f.outcome.clone()).filter(|o| matches!(o, Outcome::Rejected(_))).map(|o| view! {
                <p class="limits-rejected" data-test="verify-rejected">{o.sentence()}</p>
            })}
            <button type="submit" class="button button-block" data-test="verify-submit" disabled=sending>
                {move || if sending() { t(Limits::Verifying) } else { t(Limits::Verify) }}
            </button>
        </form>
    }
}

/// A labelled select, its error tied to it as [`TextField`] does; choosing takes the problem
/// away.
#[component]
fn SelectField(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    form: RwSignal<VerifyForm>,
    autocomplete: &'static str,
    placeholder: &'static str,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described_by = {
        let error_id = error_id.clone();
        move || error.get().is_some().then(|| error_id.clone())
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            <select id=id name=id autocomplete=autocomplete
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=described_by
                on:change=move |event| {
                    value.set(event_target_value(&event));
                    form.update(|f| f.typed(id));
                }>
                <option value="" prop:selected=move || value.with(String::is_empty)>{placeholder}</option>
                {options.into_iter().map(|(code, name)| view! {
                    <option value=code prop:selected=move || value.with(|v| v == code)>{name}</option>
                }).collect_view()}
            </select>
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// What is held for review: "Pending review", the one generic sentence (never the reason code),
/// since when, what to do, and the payment's receipt.
#[component]
fn Holds(compliance: Compliance) -> impl IntoView {
    let holds: Vec<_> = compliance.holds.iter().map(hold_view).collect();
    view! {
        <section class="card limits-holds" aria-labelledby="limits-holds-title">
            <h2 id="limits-holds-title">{t(Limits::HoldsHeading)}</h2>
            {if holds.is_empty() {
                view! { <EmptyState title=t(Limits::NoHoldsTitle) body=t(Limits::NoHoldsBody) /> }.into_any()
            } else {
                view! {
                    <ul class="holds">
                        {holds.into_iter().map(|hold| view! {
                            <li class="hold" data-activity=hold.activity_id.clone()>
                                <p class="hold-status"><span class="badge" data-status="review">{t(Limits::PendingReview)}</span></p>
                                <p class="hold-message">{hold.message.clone()}</p>
                                <p class="muted"><time datetime=hold.since_at.clone()>{hold.since.clone()}</time></p>
                                <p>{t(Limits::HoldWhatToDo)}</p>
                                <a href=hold.href.clone()>{t(Limits::HoldSeePayment)}</a>
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
    }
}
