//! Pieces shared by pages.

pub mod activity_row;
pub mod bank_form;
pub mod card_form;
pub mod case_row;
pub mod decision_form;
pub mod dialog;
pub mod fields;
pub mod focus;
pub mod gate;
pub mod icons;
pub mod incoming_requests;
pub mod layout;
pub mod limit_note;
pub mod money;
pub mod officer_gate;
pub mod profile_preview;
pub mod review_summary;
pub mod sent_requests;
pub mod sign_in;
pub mod states;
pub mod tip_sheet;
