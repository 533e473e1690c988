//! Every string a person reads, in one place, so a translation table (Arabic is next) can
//! replace this one without touching a view.

/// A piece of interface text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Brand,
    Tagline,
    SkipToContent,
    NavHome,
    NavStatus,
    MainNavigation,
    HomeTitle,
    HomeLead,
    HomeStatusLink,
    StatusTitle,
    StatusLoading,
    StatusHealthy,
    StatusHealthyDetail,
    StatusDatabase,
    StatusVersion,
    StatusUnavailable,
    StatusUnavailableDetail,
    Retry,
    NotFoundTitle,
    NotFoundLead,
    BackHome,
    NetworkError,
    UnexpectedAnswer,
}

/// The English text for `key`.
pub fn en(key: Text) -> &'static str {
    match key {
        Text::Brand => "Purse",
        Text::Tagline => "Money that moves at the speed of your timeline.",
        Text::SkipToContent => "Skip to content",
        Text::NavHome => "Home",
        Text::NavStatus => "Status",
        Text::MainNavigation => "Main",
        Text::HomeTitle => "Your wallet is almost here",
        Text::HomeLead => "Send money, tip creators and pay in a tap. Sign-in and your wallet arrive next.",
        Text::HomeStatusLink => "Check that Purse is up",
        Text::StatusTitle => "System status",
        Text::StatusLoading => "Checking Purse…",
        Text::StatusHealthy => "All systems normal",
        Text::StatusHealthyDetail => "Payments are flowing and the ledger answers.",
        Text::StatusDatabase => "Ledger database",
        Text::StatusVersion => "Server version",
        Text::StatusUnavailable => "Purse can't be reached right now",
        Text::StatusUnavailableDetail => "No money has moved. Try again in a moment.",
        Text::Retry => "Try again",
        Text::NotFoundTitle => "This page doesn't exist",
        Text::NotFoundLead => "The link may be old or mistyped.",
        Text::BackHome => "Go to Purse home",
        Text::NetworkError => "We couldn't reach Purse. Check your connection and try again.",
        Text::UnexpectedAnswer => "Purse answered in a way we didn't expect.",
    }
}

/// The text for `key` in the current language (English until a second table exists).
pub fn t(key: Text) -> &'static str {
    en(key)
}
