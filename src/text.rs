//! Every string a person reads, in one place, so a translation table (Arabic is next) can
//! replace this one without touching a view. [`t`] speaks the app's language, chosen once at
//! start from the browser's ([`language_for`]): Arabic where a table has the key, English
//! otherwise.

/// A piece of interface text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Brand,
    SkipToContent,
    NavWallet,
    NavStatus,
    MainNavigation,
    NavHome,
    NavPay,
    NavActivity,
    NavProfile,
    MenuPinAndLimits,
    MenuYourProfile,
    SignIn,
    SignUp,
    SignOut,
    SigningOut,
    WelcomeTitle,
    WelcomeLead,
    CreateAccount,
    HaveAccount,
    NoAccount,
    Handle,
    HandleHint,
    DisplayName,
    Password,
    PasswordHint,
    DisplayNameInvalid,
    PasswordWeak,
    SignInTitle,
    SignInWithPurse,
    PurseInOneLine,
    PurseHandle,
    PursePassword,
    SignUpTitle,
    SigningIn,
    CreatingAccount,
    Available,
    AvailableBalance,
    PendingIn,
    PendingOut,
    Activity,
    ActivityEmptyTitle,
    ActivityEmptyBody,
    LoadMore,
    Loading,
    Retry,
    NoMoneyMoved,
    Live,
    Reconnecting,
    Received,
    Sent,
    From,
    To,
    StatusPending,
    StatusCompleted,
    StatusCanceled,
    StatusFailed,
    StatusReturned,
    KindTransfer,
    KindTip,
    KindRequest,
    KindCheckout,
    KindRefund,
    KindDeposit,
    KindWithdrawal,
    KindFee,
    KindInterest,
    AnonymousTip,
    Receipt,
    ReceiptAmount,
    ReceiptStatus,
    ReceiptWhen,
    ReceiptNote,
    ReceiptFee,
    ReceiptId,
    BackToWallet,
    ReceiptMissing,
    PinTitle,
    PinSetLead,
    PinChangeLead,
    NewPin,
    CurrentPin,
    ConfirmPin,
    PinHint,
    SavePin,
    SavingPin,
    PinSaved,
    PinMismatch,
    PinFormat,
    SetPinPrompt,
    SetPinAction,
    ChangePin,
    StatusTitle,
    StatusLoading,
    StatusHealthy,
    StatusHealthyDetail,
    StatusDatabase,
    StatusDatabaseSqlite,
    StatusDatabasePostgres,
    StatusVersion,
    StatusUnavailable,
    StatusUnavailableDetail,
    NotFoundTitle,
    NotFoundLead,
    BackHome,
    NetworkError,
    UnexpectedAnswer,
    RateLimitedWait,
    RateLimitedLater,
    PinLockedWait,
    WaitOneSecond,
    WaitSeconds,
    WaitOneMinute,
    WaitMinutes,
    WaitOneHour,
    WaitHours,
    SignedInAs,
    NavSend,
    NavRequest,
    SendTitle,
    RequestTitle,
    Recipient,
    RecipientHint,
    RequestFrom,
    Amount,
    AmountHint,
    Note,
    NoteHint,
    Review,
    Edit,
    SendNow,
    Sending,
    RequestNow,
    Requesting,
    PaymentPin,
    PinNeeded,
    PinNeededToday,
    PaidBefore,
    FirstPayment,
    NotPaidBefore,
    LookingUp,
    NoSuchPerson,
    SentTitle,
    SentPending,
    CancelPayment,
    Canceling,
    PaymentCanceled,
    RequestSent,
    SendAnother,
    RequestsForYou,
    Pay,
    Decline,
    Paying,
    PaidIt,
    DeclinedIt,
    AsksFor,
    NoRequests,
    SentRequests,
    RequestOpen,
    RequestPaid,
    RequestDeclined,
    RequestCanceled,
    RequestedFrom,
    CancelRequest,
    CancelRequestAsk,
    CancelRequestYes,
    KeepRequest,
    NoSentRequests,
    NoSentRequestsNext,
    DeclinedYourRequest,
    YouDeclinedTheirRequest,
    YouCanceledYourRequest,
    CanceledTheirRequest,
    PayIntentLead,
    SignInToContinue,
    CopyLink,
    LinkCopied,
    CopyFailed,
    ShareLink,
    QrLabel,
    AmountFormat,
    HandleFormat,
    NoteTooLong,
    NotYourself,
    ProfileTitle,
    PayLink,
    PayLinkHint,
    SendTo,
    ReviewWithWindow,
    ReviewBecause,
    WindowMinutes,
    WindowOneMinute,
    WindowSeconds,
    Receives,
    ReviewNow,
    TipButton,
    TipTitle,
    TipAmount,
    TipOther,
    TipOtherAmount,
    TipChooseAmount,
    TipMessage,
    TipMessageHint,
    TipMessageTooLong,
    TipAnonymous,
    TipAnonymousHint,
    TipContinue,
    TipSend,
    TipSending,
    TipTooMuch,
    TipConfirmNamed,
    TipConfirmAnonymous,
    TipFinal,
    TipShortHave,
    TipShortNext,
    TipShort,
    TipRetrySafe,
    TipSentTitle,
    TipSentTo,
    TipDone,
    TipSignIn,
    TipYourself,
    TipNotTaken,
    TipTipped,
    TipForPost,
    AddMoney,
    Close,
    WalletButton,
    WalletDrawerTitle,
    OpenFullWallet,
    GoalLabel,
    GoalRaised,
    CreatorNav,
    CreatorTitle,
    CreatorOffTitle,
    CreatorOffLead,
    CreatorToday,
    CreatorThisWeek,
    CreatorAllTime,
    CreatorTipsCount,
    CreatorTipOne,
    CreatorLiveTips,
    CreatorNoTips,
    CreatorNoTipsBody,
    CreatorTopSupporters,
    CreatorNoSupporters,
    Anonymous,
    AnonymousSupporters,
    CreatorSettings,
    CreatorEnabled,
    CreatorPresets,
    CreatorPresetsHint,
    CreatorGoalTitle,
    CreatorGoalHint,
    CreatorGoalTarget,
    CreatorSave,
    CreatorSaving,
    CreatorSaved,
    CreatorTipReceived,
    CreatorPresetsFormat,
    CreatorGoalTargetNeeded,
    CheckoutTitle,
    CheckoutSummary,
    CheckoutLoading,
    CheckoutPay,
    CheckoutExpiresIn,
    CheckoutFiveMinutesLeft,
    CheckoutOneMinuteLeft,
    CheckoutSignInTitle,
    CheckoutSignInLead,
    CheckoutPayingAs,
    CheckoutOtherAccount,
    CheckoutPinHint,
    CheckoutPinNotSet,
    CheckoutCancel,
    CheckoutAddMoney,
    CheckoutRetrySafe,
    CheckoutLeavingPaid,
    CheckoutLeaving,
    CheckoutContinue,
    CheckoutCompleteTitle,
    CheckoutCompleteBody,
    CheckoutExpiredTitle,
    CheckoutExpiredNow,
    CheckoutExpiredBody,
    CheckoutCanceledTitle,
    CheckoutCanceledBody,
    CheckoutBackTo,
    CheckoutUnknownTitle,
    CheckoutUnknownBody,
    CheckoutUnavailableTitle,
    CheckoutSecured,
    NavAddMoney,
    NavWithdraw,
}

/// The English text for `key`.
pub fn en(key: Text) -> &'static str {
    use Text::*;
    match key {
        Brand => "Purse",
        SkipToContent => "Skip to content",
        NavWallet => "Wallet",
        NavStatus => "Status",
        MainNavigation => "Main",
        NavHome => "Home",
        NavPay => "Pay",
        NavActivity => "Activity",
        NavProfile => "Profile",
        MenuPinAndLimits => "PIN and limits",
        MenuYourProfile => "Your profile",
        SignIn => "Sign in",
        SignUp => "Create account",
        SignOut => "Sign out",
        SigningOut => "Signing out…",
        WelcomeTitle => "Money that moves at the speed of your timeline",
        WelcomeLead => "Send money to friends, tip the creators you read, and pay in a tap.",
        CreateAccount => "Create your Purse",
        HaveAccount => "Already have a Purse?",
        NoAccount => "New to Purse?",
        Handle => "Handle",
        HandleHint => "3 to 15 letters, digits or _ — like @alice",
        DisplayName => "Your name",
        Password => "Password",
        PasswordHint => "At least 10 characters",
        DisplayNameInvalid => "Enter your name (up to 50 characters).",
        PasswordWeak => "Choose a stronger password:",
        SignInTitle => "Sign in to Purse",
        SignInWithPurse => "Sign in with Purse",
        PurseInOneLine => {
            "Purse is the wallet for sending money, tipping creators and paying in a tap. Use your Purse account here."
        }
        PurseHandle => "Purse handle",
        PursePassword => "Purse password",
        SignUpTitle => "Create your Purse",
        SigningIn => "Signing in…",
        CreatingAccount => "Creating your Purse…",
        Available => "Available",
        AvailableBalance => "Available balance",
        PendingIn => "On its way to you",
        PendingOut => "On hold",
        Activity => "Activity",
        ActivityEmptyTitle => "No activity yet",
        ActivityEmptyBody => "Money you receive or send shows up here.",
        LoadMore => "Show more",
        Loading => "Loading…",
        Retry => "Try again",
        NoMoneyMoved => "No money has moved.",
        Live => "Live",
        Reconnecting => "Reconnecting…",
        Received => "Received",
        Sent => "Sent",
        From => "from",
        To => "to",
        StatusPending => "Pending",
        StatusCompleted => "Completed",
        StatusCanceled => "Canceled",
        StatusFailed => "Failed",
        StatusReturned => "Returned",
        KindTransfer => "Payment",
        KindTip => "Tip",
        KindRequest => "Request",
        KindCheckout => "Purchase",
        KindRefund => "Refund",
        KindDeposit => "Money added",
        KindWithdrawal => "Withdrawal",
        KindFee => "Fee",
        KindInterest => "Interest",
        AnonymousTip => "Anonymous tip",
        Receipt => "Receipt",
        ReceiptAmount => "Amount",
        ReceiptStatus => "Status",
        ReceiptWhen => "When",
        ReceiptNote => "Note",
        ReceiptFee => "Fee",
        ReceiptId => "Reference",
        BackToWallet => "Back to wallet",
        ReceiptMissing => "This receipt doesn't exist, or it isn't yours.",
        PinTitle => "Payment PIN",
        PinSetLead => "Choose a 4 to 6 digit PIN. You'll enter it to confirm larger payments.",
        PinChangeLead => "Enter your current PIN, then the new one.",
        NewPin => "New PIN",
        CurrentPin => "Current PIN",
        ConfirmPin => "Repeat the new PIN",
        PinHint => "4 to 6 digits",
        SavePin => "Save PIN",
        SavingPin => "Saving…",
        PinSaved => "Your payment PIN is set.",
        PinMismatch => "The two PINs don't match.",
        PinFormat => "A PIN is 4 to 6 digits.",
        SetPinPrompt => "Set a payment PIN to confirm larger payments.",
        SetPinAction => "Set PIN",
        ChangePin => "Change payment PIN",
        StatusTitle => "System status",
        StatusLoading => "Checking Purse…",
        StatusHealthy => "All systems normal",
        StatusHealthyDetail => "Payments are flowing and the ledger answers.",
        StatusDatabase => "Ledger database",
        StatusDatabaseSqlite => "SQLite",
        StatusDatabasePostgres => "PostgreSQL",
        StatusVersion => "Server version",
        StatusUnavailable => "Purse can't be reached right now",
        StatusUnavailableDetail => "No money has moved. Try again in a moment.",
        NotFoundTitle => "This page doesn't exist",
        NotFoundLead => "The link may be old or mistyped.",
        BackHome => "Go to Purse home",
        NetworkError => "We couldn't reach Purse. Check your connection and try again.",
        UnexpectedAnswer => "Purse answered in a way we didn't expect.",
        RateLimitedWait => "Too many tries — wait {wait} and try again.",
        RateLimitedLater => "Too many tries — wait a little and try again.",
        PinLockedWait => "Too many wrong PINs: payments are locked. Wait {wait} and try again.",
        WaitOneSecond => "1 second",
        WaitSeconds => "{n} seconds",
        WaitOneMinute => "1 minute",
        WaitMinutes => "{n} minutes",
        WaitOneHour => "1 hour",
        WaitHours => "{n} hours",
        SignedInAs => "Signed in as",
        NavSend => "Send",
        NavRequest => "Request",
        SendTitle => "Send money",
        RequestTitle => "Request money",
        Recipient => "To",
        RecipientHint => "Their @handle",
        RequestFrom => "From",
        Amount => "Amount",
        AmountHint => "In dollars, like 12.50",
        Note => "Note (optional)",
        NoteHint => "Up to 280 characters, shown on both receipts",
        Review => "Review",
        Edit => "Edit",
        SendNow => "Send",
        Sending => "Sending…",
        RequestNow => "Send request",
        Requesting => "Sending request…",
        PaymentPin => "Payment PIN",
        PinNeeded => "Payments over $50.00 need your PIN.",
        PinNeededToday => "For your security, enter your PIN: you've sent more than $50.00 without it today.",
        PaidBefore => "You've paid them before",
        FirstPayment => "You haven't paid them before",
        NotPaidBefore => "You haven't paid {handle} before.",
        LookingUp => "Looking up…",
        NoSuchPerson => "Nobody on Purse has that handle.",
        SentTitle => "Sent",
        SentPending => "You can cancel until",
        CancelPayment => "Cancel payment",
        Canceling => "Canceling…",
        PaymentCanceled => "Canceled. The money is back in your wallet.",
        RequestSent => "Request sent",
        SendAnother => "Send more",
        RequestsForYou => "Requests for you",
        Pay => "Pay",
        Decline => "Decline",
        Paying => "Paying…",
        PaidIt => "Paid",
        DeclinedIt => "Declined",
        AsksFor => "asks for",
        NoRequests => "No requests right now.",
        SentRequests => "Sent requests",
        RequestOpen => "Open",
        RequestPaid => "Paid",
        RequestDeclined => "Declined",
        RequestCanceled => "Canceled",
        RequestedFrom => "from",
        CancelRequest => "Cancel request",
        CancelRequestAsk => "Cancel this request? They won't be able to pay it.",
        CancelRequestYes => "Yes, cancel it",
        KeepRequest => "Keep it",
        NoSentRequests => "You haven't asked anyone for money yet.",
        NoSentRequestsNext => "Ask someone",
        DeclinedYourRequest => "Declined your request",
        YouDeclinedTheirRequest => "You declined their request",
        YouCanceledYourRequest => "You canceled your request",
        CanceledTheirRequest => "Canceled their request",
        PayIntentLead => "You're about to pay",
        SignInToContinue => {
            "Sign in or create an account to continue. You'll come back here with everything filled in."
        }
        CopyLink => "Copy link",
        LinkCopied => "Copied",
        CopyFailed => "Couldn't copy. Select the link and copy it.",
        ShareLink => "Share",
        QrLabel => "QR code of the pay link for",
        AmountFormat => {
            "Enter an amount like 12.50: more than zero, at most two decimals, at most $10,000.00."
        }
        HandleFormat => "A handle is 3 to 15 letters, digits or _.",
        NoteTooLong => "A note has at most 280 characters.",
        NotYourself => "That's you. Choose someone else.",
        ProfileTitle => "Profile",
        PayLink => "Pay link",
        PayLinkHint => "Anyone with this code or link can send money to",
        SendTo => "Send money",
        ReviewWithWindow => "you can cancel for",
        ReviewBecause => "because this is your first payment to",
        WindowMinutes => "minutes",
        WindowOneMinute => "1 minute",
        WindowSeconds => "seconds",
        Receives => "receives",
        ReviewNow => "right away.",
        TipButton => "Tip",
        TipTitle => "Tip",
        TipAmount => "Amount",
        TipOther => "Other",
        TipOtherAmount => "Other amount",
        TipChooseAmount => "Choose an amount, or type one.",
        TipMessage => "Message (optional)",
        TipMessageHint => "Up to 280 characters. The creator sees it.",
        TipMessageTooLong => "A message has at most 280 characters.",
        TipAnonymous => "Tip anonymously",
        TipAnonymousHint => {
            "The creator won't see your name anywhere. Your own activity still shows the tip."
        }
        TipContinue => "Continue",
        TipSend => "Send tip",
        TipSending => "Sending tip…",
        TipTooMuch => "That's more than your wallet has. Choose a smaller amount.",
        TipConfirmNamed => "They'll see it's from you.",
        TipConfirmAnonymous => "They won't see who sent it.",
        TipFinal => "Tips are sent right away and can't be undone.",
        TipShortHave => "Your wallet has",
        TipShortNext => "Choose a smaller amount, or add money to your wallet.",
        TipShort => "Your wallet doesn't have enough for this tip. Nothing was sent.",
        TipRetrySafe => "Trying again won't tip twice.",
        TipSentTitle => "Tip sent",
        TipSentTo => "You tipped",
        TipDone => "Done",
        TipSignIn => "Sign in to tip",
        TipYourself => "This is you. You can't tip yourself.",
        TipNotTaken => "doesn't take tips.",
        TipTipped => "Tipped",
        TipForPost => "for this post",
        AddMoney => "Open your wallet",
        Close => "Close",
        WalletButton => "Wallet",
        WalletDrawerTitle => "Your wallet",
        OpenFullWallet => "Open the full wallet",
        GoalLabel => "Goal",
        GoalRaised => "raised of",
        CreatorNav => "Creator",
        CreatorTitle => "Creator dashboard",
        CreatorOffTitle => "Take tips from your readers",
        CreatorOffLead => {
            "Turn on tips to get a Tip button on your posts. Choose up to six amounts and, if you like, a goal."
        }
        CreatorToday => "Today",
        CreatorThisWeek => "This week",
        CreatorAllTime => "All time",
        CreatorTipsCount => "tips",
        CreatorTipOne => "tip",
        CreatorLiveTips => "Tips",
        CreatorNoTips => "No tips yet",
        CreatorNoTipsBody => "Tips on your posts show up here the moment they arrive.",
        CreatorTopSupporters => "Top supporters",
        CreatorNoSupporters => "Nobody has tipped openly yet.",
        Anonymous => "Anonymous",
        AnonymousSupporters => "Anonymous tips",
        CreatorSettings => "Tip settings",
        CreatorEnabled => "Take tips",
        CreatorPresets => "Preset amounts",
        CreatorPresetsHint => "1 to 6 amounts, separated by commas, like 1, 5, 10",
        CreatorGoalTitle => "Goal (optional)",
        CreatorGoalHint => "What you're raising for, up to 80 characters",
        CreatorGoalTarget => "Goal amount",
        CreatorSave => "Save settings",
        CreatorSaving => "Saving…",
        CreatorSaved => "Saved.",
        CreatorTipReceived => "New tip",
        CreatorPresetsFormat => "Enter 1 to 6 different amounts like 1, 5, 10.",
        CreatorGoalTargetNeeded => "Enter the amount you're raising, like 500.",
        CheckoutTitle => "Checkout",
        CheckoutSummary => "Order summary",
        CheckoutLoading => "Loading checkout…",
        CheckoutPay => "Pay",
        CheckoutExpiresIn => "Expires in",
        CheckoutFiveMinutesLeft => "Less than 5 minutes left to pay.",
        CheckoutOneMinuteLeft => "Less than 1 minute left to pay.",
        CheckoutSignInTitle => "Sign in to pay",
        CheckoutSignInLead => "Sign in to your Purse. You'll stay on this page.",
        CheckoutPayingAs => "Paying as",
        CheckoutOtherAccount => "Not you? Use another account",
        CheckoutPinHint => "The 4 to 6 digits you chose for payments",
        CheckoutPinNotSet => "Set a payment PIN first: every checkout needs it.",
        CheckoutCancel => "Cancel",
        CheckoutAddMoney => "No money has moved. Add money to your wallet, then try again.",
        CheckoutRetrySafe => "Trying again won't pay twice.",
        CheckoutLeavingPaid => "Paid. Taking you back to",
        CheckoutLeaving => "Taking you back to",
        CheckoutContinue => "Continue",
        CheckoutCompleteTitle => "Already paid",
        CheckoutCompleteBody => "This checkout has been paid. There's nothing more to do here.",
        CheckoutExpiredTitle => "This checkout has expired",
        CheckoutExpiredNow => "Time's up: this checkout has expired.",
        CheckoutExpiredBody => "No money has moved. Go back to the shop to start again.",
        CheckoutCanceledTitle => "This checkout was canceled",
        CheckoutCanceledBody => "No money has moved.",
        CheckoutBackTo => "Back to",
        CheckoutUnknownTitle => "We can't find this checkout",
        CheckoutUnknownBody => "The link may be old or mistyped. Go back to the shop and try again.",
        CheckoutUnavailableTitle => "This checkout can't be loaded right now",
        CheckoutSecured => "Payments by Purse",
        NavAddMoney => "Add money",
        NavWithdraw => "Withdraw",
    }
}

/// The reviews' text (every money flow's review before money moves, affordability, the send
/// form's handle lookup): a table of its own, next to the flows it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewText {
    Title,
    To,
    From,
    Fee,
    Arrives,
    CanCancel,
    PurseBalance,
    Now,
    After,
    Free,
    RightAway,
    Yes,
    No,
    For,
    Minutes,
    OneMinute,
    Seconds,
    FirstPaymentTo,
    SentAtOnce,
    TheyAsked,
    PaidAtOnce,
    TipAnonymous,
    TipNamed,
    TipsFinal,
    MerchantRefunds,
    LeavesWallet,
    Instantly,
    By,
    BankDays,
    InstantFinal,
    BankFinal,
    AddFinal,
    SendVerb,
    PayVerb,
    TipVerb,
    WithdrawVerb,
    AddVerb,
    ToWord,
    YouHave,
    AddLower,
    AddMoneyLink,
    Back,
    AvailableNow,
    AbovePresetBalance,
    DeclineAsk,
    RequestForWord,
    DeclineYes,
    DeclineNo,
    LookupOffline,
    Confirming,
}

pub fn en_review(key: ReviewText) -> &'static str {
    use ReviewText::*;
    match key {
        Title => "Review",
        To => "To",
        From => "From",
        Fee => "Fee",
        Arrives => "Arrives",
        CanCancel => "Can be canceled",
        PurseBalance => "Purse balance",
        Now => "now",
        After => "after",
        Free => "Free",
        RightAway => "Right away",
        Yes => "Yes",
        No => "No",
        For => "for",
        Minutes => "minutes",
        OneMinute => "1 minute",
        Seconds => "seconds",
        FirstPaymentTo => "because it's your first payment to",
        SentAtOnce => "It's sent at once",
        TheyAsked => "They asked you for this",
        PaidAtOnce => "A paid request can't be undone",
        TipAnonymous => "They won't see who sent it",
        TipNamed => "They'll see it's from you",
        TipsFinal => "Tips can't be undone",
        MerchantRefunds => "A refund is the merchant's to give",
        LeavesWallet => "leaves your wallet",
        Instantly => "Instantly",
        By => "By",
        BankDays => "In 1–3 business days",
        InstantFinal => "Instant withdrawals arrive at once",
        BankFinal => {
            "Once it's with the bank it can't be called back; if the bank returns it, the money comes back here"
        }
        AddFinal => "Added money stays in your wallet until you send or withdraw it",
        SendVerb => "Send",
        PayVerb => "Pay",
        TipVerb => "Tip",
        WithdrawVerb => "Withdraw",
        AddVerb => "Add",
        ToWord => "to",
        YouHave => "You have",
        AddLower => "add",
        AddMoneyLink => "Add money",
        Back => "Back",
        AvailableNow => "Available",
        AbovePresetBalance => "Amounts you can't choose are more than your balance of",
        DeclineAsk => "Decline",
        RequestForWord => "'s request for",
        DeclineYes => "Yes, decline",
        DeclineNo => "Keep it",
        LookupOffline => "You're offline: we'll look this handle up again when you're back.",
        Confirming => "Confirming…",
    }
}

/// Money in and out's pages' text (adding money, withdrawing, payment methods): a table of its
/// own, so the embed (which has none of those pages) does not carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Funding {
    PaymentMethodsNav,
    CancelAction,
    AddVerb,
    AddMoneyTitle,
    AddMoneyLead,
    AddFrom,
    UseAnotherCard,
    ChooseCard,
    Adding,
    AddedTitle,
    AddedInWallet,
    BalanceNow,
    AddMore,
    DepositDeclined,
    DepositCardExpired,
    DepositFailed,
    DepositRetrySafe,
    NoCardsTitle,
    NoCardsBody,
    AddCardTitle,
    CardNumber,
    CardNumberHint,
    CardExpiry,
    CardExpiryHint,
    CardCvc,
    CardCvcHint,
    CardSecureNote,
    SaveCard,
    SavingCard,
    CardAdded,
    CardNumberInvalid,
    CardMonthInvalid,
    CardExpiryFormat,
    CardExpiredText,
    CardCvcInvalid,
    PaymentMethodsTitle,
    PaymentMethodsLead,
    CardsTitle,
    BankAccountsTitle,
    ExpiresShort,
    Remove,
    Removing,
    RemoveCardTitle,
    RemoveBankTitle,
    RemoveBody,
    KeepIt,
    NoBanksTitle,
    NoBanksBody,
    AddBankTitle,
    RoutingNumber,
    RoutingHint,
    RoutingValid,
    RoutingInvalid,
    AccountNumber,
    AccountHint,
    AccountInvalid,
    HolderName,
    HolderInvalid,
    SaveBank,
    SavingBank,
    BankAdded,
    WithdrawTitle,
    WithdrawLead,
    SpeedLegend,
    SpeedStandard,
    SpeedStandardHint,
    SpeedInstant,
    SpeedInstantHint,
    WithdrawTo,
    WithdrawNoBank,
    WithdrawNoCard,
    AddBankAction,
    AddCardAction,
    ChooseDestination,
    PreviewFee,
    PreviewTotal,
    PreviewInstantly,
    PreviewFree,
    PreviewArrivesBy,
    WithdrawShortNext,
    WithdrawPinHint,
    WithdrawPinNotSet,
    Withdrawing,
    WithdrawRetrySafe,
    WithdrawDeclined,
    WithdrawPendingTitle,
    WithdrawOnItsWay,
    WithdrawCompletedTitle,
    WithdrawSentTo,
    WithdrawReturned,
    WithdrawFailed,
    SeeActivity,
    WithdrawMore,
    Removed,
}

/// The English text for `key`.
pub fn en_funding(key: Funding) -> &'static str {
    use Funding::*;
    match key {
        PaymentMethodsNav => "Payment methods",
        CancelAction => "Cancel",
        AddVerb => "Add",
        AddMoneyTitle => "Add money",
        AddMoneyLead => "Move money from your debit card into Purse. It's there at once.",
        AddFrom => "From",
        UseAnotherCard => "Use another card",
        ChooseCard => "Choose the card the money comes from.",
        Adding => "Adding…",
        AddedTitle => "Money added",
        AddedInWallet => "is in your wallet.",
        BalanceNow => "Your balance is",
        AddMore => "Add more",
        DepositDeclined => "Your card was declined. No money has moved. Try another card.",
        DepositCardExpired => "This card has expired. No money has moved. Add a card that's still valid.",
        DepositFailed => "Your card couldn't be charged. No money has moved.",
        DepositRetrySafe => "Trying again won't add the money twice.",
        NoCardsTitle => "No debit card yet",
        NoCardsBody => "Add a debit card to add money, and to withdraw in minutes.",
        AddCardTitle => "Add a debit card",
        CardNumber => "Card number",
        CardNumberHint => "The 12 to 19 digits on the front of the card",
        CardExpiry => "Expiry date",
        CardExpiryHint => "MM / YY, as printed on the card",
        CardCvc => "Security code (CVC)",
        CardCvcHint => "3 digits on the back (4 on the front for American Express)",
        CardSecureNote => {
            "Your card number goes straight to the card network. Purse keeps only a token and the last 4 digits."
        }
        SaveCard => "Add card",
        SavingCard => "Adding card…",
        CardAdded => "Card added.",
        CardNumberInvalid => "Check the card number: it isn't one we can take.",
        CardMonthInvalid => "Check the month: it's 01 to 12, like 12 / 29.",
        CardExpiryFormat => "Enter the expiry date as MM / YY, like 12 / 29.",
        CardExpiredText => "This card has expired. Use another card.",
        CardCvcInvalid => "Enter the security code: 3 digits (4 for American Express).",
        PaymentMethodsTitle => "Payment methods",
        PaymentMethodsLead => {
            "Cards add money and withdraw in minutes; withdrawing to a bank account is free."
        }
        CardsTitle => "Debit cards",
        BankAccountsTitle => "Bank accounts",
        ExpiresShort => "Expires",
        Remove => "Remove",
        Removing => "Removing…",
        RemoveCardTitle => "Remove this card?",
        RemoveBankTitle => "Remove this bank account?",
        RemoveBody => "You can add it again at any time. No money moves.",
        KeepIt => "Keep it",
        NoBanksTitle => "No bank account yet",
        NoBanksBody => "Add a bank account to withdraw for free.",
        AddBankTitle => "Add a bank account",
        RoutingNumber => "Routing number",
        RoutingHint => "9 digits, at the bottom left of a check",
        RoutingValid => "This routing number checks out.",
        RoutingInvalid => "That isn't a valid US routing number. Check the 9 digits.",
        AccountNumber => "Account number",
        AccountHint => "4 to 17 digits",
        AccountInvalid => "An account number is 4 to 17 digits.",
        HolderName => "Name on the account",
        HolderInvalid => "Enter the name on the account (up to 100 characters).",
        SaveBank => "Add bank account",
        SavingBank => "Adding bank account…",
        BankAdded => "Bank account added.",
        WithdrawTitle => "Withdraw money",
        WithdrawLead => "Move money from Purse to your bank account or debit card.",
        SpeedLegend => "How fast",
        SpeedStandard => "Standard",
        SpeedStandardHint => "Free, to your bank account, when the bank settles it",
        SpeedInstant => "Instant",
        SpeedInstantHint => "1.75% fee ($0.25 at least, $25.00 at most), to your debit card, right away",
        WithdrawTo => "To",
        WithdrawNoBank => "No bank account yet.",
        WithdrawNoCard => "No debit card yet.",
        AddBankAction => "Add a bank account",
        AddCardAction => "Add a debit card",
        ChooseDestination => "Choose where the money goes.",
        PreviewFee => "Fee",
        PreviewTotal => "Total",
        PreviewInstantly => "Arrives instantly",
        PreviewFree => "Free",
        PreviewArrivesBy => "Arrives by",
        WithdrawShortNext => "The amount and the fee must fit in it.",
        WithdrawPinHint => "Every withdrawal needs your payment PIN.",
        WithdrawPinNotSet => "Set a payment PIN first: every withdrawal needs it.",
        Withdrawing => "Withdrawing…",
        WithdrawRetrySafe => "Trying again won't withdraw twice.",
        WithdrawDeclined => {
            "The card network declined this card. No money has moved. Try a bank account or another card."
        }
        WithdrawPendingTitle => "On its way",
        WithdrawOnItsWay => "is on its way to",
        WithdrawCompletedTitle => "Withdrawn",
        WithdrawSentTo => "went to",
        WithdrawReturned => "the bank sent it back, and it's in your wallet again.",
        WithdrawFailed => "The withdrawal didn't go through. The money is in your wallet.",
        SeeActivity => "See it in your activity",
        WithdrawMore => "Withdraw more",
        Removed => "Removed.",
    }
}

/// The limits page's and the money forms' limit text (tiers, status, meters, verification,
/// holds; "You can send $212.40 more until Thursday."): a table of its own, with its Arabic in
/// [`ar_limits`], whose match has no catch-all (a new string does not build without its Arabic).
/// Placeholders: `{amount}`, `{when}`, `{state}`, `{name}`, `{used}`, `{limit}`, `{n}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    MenuItem,
    Title,
    Lead,
    TierN,
    Tier0Name,
    Tier1Name,
    Tier2Name,
    StatusLabel,
    StatusActive,
    StatusUnderReview,
    StatusRestricted,
    StatusFrozen,
    SentenceActive,
    SentenceUnderReview,
    SentenceRestricted,
    SentenceRestrictedSomewhere,
    SentenceFrozen,
    LimitsHeading,
    KindSend,
    KindReceive,
    KindWithdraw,
    KindDeposit,
    WindowDay,
    Window7d,
    Window30d,
    UsedOf,
    Left,
    MoreRoomFrom,
    NothingUsed,
    NoLimit,
    NextHeading,
    NextLead,
    TopTier,
    VerifyTitle1,
    VerifyLead1,
    VerifyTitle2,
    VerifyLead2,
    LegalName,
    LegalNameHint,
    DateOfBirth,
    DateOfBirthHint,
    AddressLine,
    City,
    State,
    ChooseState,
    PostalCode,
    PostalCodeHint,
    SsnLast4,
    SsnLast4Hint,
    DocumentType,
    ChooseDocument,
    Passport,
    DriverLicense,
    DocumentNumber,
    DocumentNumberHint,
    Verify,
    Verifying,
    ErrLegalName,
    ErrDateOfBirth,
    ErrAddressLine,
    ErrCity,
    ErrState,
    ErrPostalCode,
    ErrSsnLast4,
    ErrDocumentType,
    ErrDocumentNumber,
    Verified,
    VerifyUnderReview,
    RejectedIdentityMismatch,
    RejectedUnderage,
    RejectedDocument,
    RejectedOther,
    VerifyRetrySafe,
    HoldsHeading,
    NoHoldsTitle,
    NoHoldsBody,
    HoldSince,
    HoldWhatToDo,
    HoldSeePayment,
    SendLeftUntil,
    SendLeft,
    SendNoneUntil,
    SendNone,
    WithdrawLeftUntil,
    WithdrawLeft,
    WithdrawNoneUntil,
    WithdrawNone,
    DepositLeftUntil,
    DepositLeft,
    DepositNoneUntil,
    DepositNone,
    SeeLimits,
    RestrictedMove,
    RestrictedMoveSomewhere,
    FrozenMove,
    RecipientUnavailable,
    WithdrawInstead,
    Tomorrow,
    Unavailable,
    PendingReview,
    ReviewMessage,
}

/// The English text for `key`.
pub fn en_limits(key: Limits) -> &'static str {
    use Limits::*;
    match key {
        MenuItem => "Limits and verification",
        Title => "Limits and verification",
        Lead => "What you can move, what you've used, and how to raise your limits.",
        TierN => "Tier {n}",
        Tier0Name => "Not verified yet",
        Tier1Name => "Identity verified",
        Tier2Name => "ID document verified",
        StatusLabel => "Account",
        StatusActive => "Active",
        StatusUnderReview => "Under review",
        StatusRestricted => "Restricted",
        StatusFrozen => "Frozen",
        SentenceActive => "Everything works: send, receive, add and withdraw money within your limits.",
        SentenceUnderReview => {
            "We're taking a look at your account. You can keep using Purse; some payments may wait until we're done."
        }
        SentenceRestricted => {
            "Purse isn't licensed in {state} yet. You can see and withdraw your money; nothing else can move."
        }
        SentenceRestrictedSomewhere => {
            "Purse isn't licensed where you live yet. You can see and withdraw your money; nothing else can move."
        }
        SentenceFrozen => {
            "Your account is frozen: no money can move, withdrawals included. Contact support to sort it out."
        }
        LimitsHeading => "Your limits",
        KindSend => "Sending",
        KindReceive => "Receiving",
        KindWithdraw => "Withdrawing",
        KindDeposit => "Adding money",
        WindowDay => "per day",
        Window7d => "in any 7 days",
        Window30d => "in any 30 days",
        UsedOf => "{used} of {limit} used",
        Left => "{amount} left",
        MoreRoomFrom => "More room from {when}",
        NothingUsed => "Nothing used yet",
        NoLimit => "No limit",
        NextHeading => "Verify to reach tier {n}",
        NextLead => "Tier {n} lets you move more:",
        TopTier => "You're at the highest tier: these are the highest limits Purse has.",
        VerifyTitle1 => "Verify your identity",
        VerifyLead1 => {
            "Your legal name, date of birth, home address and the last 4 digits of your Social Security number. Purse keeps only those 4 digits."
        }
        VerifyTitle2 => "Verify with an ID document",
        VerifyLead2 => "Your passport or driver's license number. Purse keeps only its last 4 characters.",
        LegalName => "Legal name",
        LegalNameHint => "As it is on your ID",
        DateOfBirth => "Date of birth",
        DateOfBirthHint => "YYYY-MM-DD, like 1990-02-28",
        AddressLine => "Street address",
        City => "City",
        State => "State",
        ChooseState => "Choose your state",
        PostalCode => "ZIP code",
        PostalCodeHint => "5 digits, or 5 and 4 like 78701-1234",
        SsnLast4 => "Last 4 digits of your SSN",
        SsnLast4Hint => "Only these 4 digits, never the whole number",
        DocumentType => "Document",
        ChooseDocument => "Choose a document",
        Passport => "Passport",
        DriverLicense => "Driver's license",
        DocumentNumber => "Document number",
        DocumentNumberHint => "4 to 20 letters and digits, as printed",
        Verify => "Verify",
        Verifying => "Verifying…",
        ErrLegalName => "Enter your legal name (up to 100 characters).",
        ErrDateOfBirth => "Enter your date of birth as YYYY-MM-DD, like 1990-02-28.",
        ErrAddressLine => "Enter your street address (up to 100 characters).",
        ErrCity => "Enter your city (up to 100 characters).",
        ErrState => "Choose your state.",
        ErrPostalCode => "Enter a ZIP code: 5 digits, or 5 and 4 like 78701-1234.",
        ErrSsnLast4 => "Enter exactly the last 4 digits of your SSN.",
        ErrDocumentType => "Choose the kind of document.",
        ErrDocumentNumber => "A document number is 4 to 20 letters and digits.",
        Verified => "You're verified: welcome to tier {n}.",
        VerifyUnderReview => {
            "Thanks. We're checking your details and will raise your limits when we're done."
        }
        RejectedIdentityMismatch => "These details don't match our records. Check them and try again.",
        RejectedUnderage => "You must be 18 or older to use Purse.",
        RejectedDocument => "We couldn't accept this document. Check the number, or use another document.",
        RejectedOther => "We couldn't verify these details. Check them and try again.",
        VerifyRetrySafe => "Trying again sends the same details once.",
        HoldsHeading => "Held for review",
        NoHoldsTitle => "Nothing is held",
        NoHoldsBody => "A payment held for a check would show here, with what to do.",
        HoldSince => "Held since {when}",
        HoldWhatToDo => {
            "Nothing to do for now: when the review is done the payment goes through, or the money comes back to you."
        }
        HoldSeePayment => "See the payment",
        SendLeftUntil => "You can send {amount} more until {when}.",
        SendLeft => "You can send {amount} more.",
        SendNoneUntil => "You've reached your sending limit until {when}.",
        SendNone => "You've reached your sending limit.",
        WithdrawLeftUntil => "You can withdraw {amount} more until {when}.",
        WithdrawLeft => "You can withdraw {amount} more.",
        WithdrawNoneUntil => "You've reached your withdrawal limit until {when}.",
        WithdrawNone => "You've reached your withdrawal limit.",
        DepositLeftUntil => "You can add {amount} more until {when}.",
        DepositLeft => "You can add {amount} more.",
        DepositNoneUntil => "You've reached your limit for adding money until {when}.",
        DepositNone => "You've reached your limit for adding money.",
        SeeLimits => "See your limits",
        RestrictedMove => {
            "Purse isn't licensed in {state} yet, so you can't send or add money. Withdrawing still works."
        }
        RestrictedMoveSomewhere => {
            "Purse isn't licensed where you live yet, so you can't send or add money. Withdrawing still works."
        }
        FrozenMove => "Your account is frozen: no money can move, withdrawals included.",
        RecipientUnavailable => "{name} can't receive this payment right now.",
        WithdrawInstead => "Withdraw money",
        Tomorrow => "tomorrow",
        Unavailable => "Your limits can't be loaded right now.",
        PendingReview => "Pending review",
        ReviewMessage => {
            "This payment is being reviewed. Most reviews finish within one business day, and the money stays safe meanwhile."
        }
    }
}

/// The limits' Arabic: every key (no catch-all).
pub fn ar_limits(key: Limits) -> &'static str {
    use Limits::*;
    match key {
        MenuItem => "الحدود والتحقق",
        Title => "الحدود والتحقق",
        Lead => "ما يمكنك تحريكه، وما استخدمته، وكيف ترفع حدودك.",
        TierN => "المستوى {n}",
        Tier0Name => "لم يتم التحقق بعد",
        Tier1Name => "تم التحقق من الهوية",
        Tier2Name => "تم التحقق من وثيقة الهوية",
        StatusLabel => "الحساب",
        StatusActive => "نشط",
        StatusUnderReview => "قيد المراجعة",
        StatusRestricted => "مقيّد",
        StatusFrozen => "مجمّد",
        SentenceActive => "كل شيء يعمل: أرسل واستلم وأضف واسحب المال ضمن حدودك.",
        SentenceUnderReview => {
            "نراجع حسابك الآن. يمكنك متابعة استخدام Purse؛ وقد تنتظر بعض المدفوعات حتى ننتهي."
        }
        SentenceRestricted => {
            "Purse غير مرخّصة في {state} بعد. يمكنك رؤية أموالك وسحبها؛ ولا يمكن تحريك أي شيء آخر."
        }
        SentenceRestrictedSomewhere => {
            "Purse غير مرخّصة حيث تقيم بعد. يمكنك رؤية أموالك وسحبها؛ ولا يمكن تحريك أي شيء آخر."
        }
        SentenceFrozen => "حسابك مجمّد: لا يمكن تحريك أي مال، بما في ذلك السحب. تواصل مع الدعم لحل الأمر.",
        LimitsHeading => "حدودك",
        KindSend => "الإرسال",
        KindReceive => "الاستلام",
        KindWithdraw => "السحب",
        KindDeposit => "إضافة المال",
        WindowDay => "في اليوم",
        Window7d => "خلال أي 7 أيام",
        Window30d => "خلال أي 30 يومًا",
        UsedOf => "استُخدم {used} من {limit}",
        Left => "المتبقي {amount}",
        MoreRoomFrom => "يتسع المجال أكثر بدءًا من {when}",
        NothingUsed => "لم يُستخدم شيء بعد",
        NoLimit => "بلا حد",
        NextHeading => "تحقّق للوصول إلى المستوى {n}",
        NextLead => "يتيح لك المستوى {n} تحريك مبالغ أكبر:",
        TopTier => "أنت في أعلى مستوى: هذه أعلى الحدود في Purse.",
        VerifyTitle1 => "تحقّق من هويتك",
        VerifyLead1 => {
            "اسمك القانوني وتاريخ ميلادك وعنوان سكنك وآخر 4 أرقام من رقم الضمان الاجتماعي. لا تحتفظ Purse إلا بهذه الأرقام الأربعة."
        }
        VerifyTitle2 => "تحقّق بوثيقة هوية",
        VerifyLead2 => "رقم جواز سفرك أو رخصة القيادة. لا تحتفظ Purse إلا بآخر 4 رموز منه.",
        LegalName => "الاسم القانوني",
        LegalNameHint => "كما هو في هويتك",
        DateOfBirth => "تاريخ الميلاد",
        DateOfBirthHint => "YYYY-MM-DD، مثل 1990-02-28",
        AddressLine => "عنوان الشارع",
        City => "المدينة",
        State => "الولاية",
        ChooseState => "اختر ولايتك",
        PostalCode => "الرمز البريدي",
        PostalCodeHint => "5 أرقام، أو 5 و4 مثل 78701-1234",
        SsnLast4 => "آخر 4 أرقام من رقم الضمان الاجتماعي",
        SsnLast4Hint => "هذه الأرقام الأربعة فقط، وليس الرقم كاملًا أبدًا",
        DocumentType => "الوثيقة",
        ChooseDocument => "اختر وثيقة",
        Passport => "جواز السفر",
        DriverLicense => "رخصة القيادة",
        DocumentNumber => "رقم الوثيقة",
        DocumentNumberHint => "من 4 إلى 20 حرفًا ورقمًا، كما هو مطبوع",
        Verify => "تحقّق",
        Verifying => "جارٍ التحقق…",
        ErrLegalName => "أدخل اسمك القانوني (حتى 100 حرف).",
        ErrDateOfBirth => "أدخل تاريخ ميلادك بصيغة YYYY-MM-DD، مثل 1990-02-28.",
        ErrAddressLine => "أدخل عنوان الشارع (حتى 100 حرف).",
        ErrCity => "أدخل مدينتك (حتى 100 حرف).",
        ErrState => "اختر ولايتك.",
        ErrPostalCode => "أدخل رمزًا بريديًا: 5 أرقام، أو 5 و4 مثل 78701-1234.",
        ErrSsnLast4 => "أدخل آخر 4 أرقام بالضبط من رقم الضمان الاجتماعي.",
        ErrDocumentType => "اختر نوع الوثيقة.",
        ErrDocumentNumber => "رقم الوثيقة من 4 إلى 20 حرفًا ورقمًا.",
        Verified => "تم التحقق منك: مرحبًا بك في المستوى {n}.",
        VerifyUnderReview => "شكرًا. نراجع بياناتك وسنرفع حدودك عندما ننتهي.",
        RejectedIdentityMismatch => "هذه البيانات لا تطابق سجلاتنا. راجعها وحاول مجددًا.",
        RejectedUnderage => "يجب أن يكون عمرك 18 عامًا أو أكثر لاستخدام Purse.",
        RejectedDocument => "تعذّر قبول هذه الوثيقة. راجع الرقم أو استخدم وثيقة أخرى.",
        RejectedOther => "تعذّر التحقق من هذه البيانات. راجعها وحاول مجددًا.",
        VerifyRetrySafe => "المحاولة مجددًا ترسل البيانات نفسها مرة واحدة.",
        HoldsHeading => "محتجز للمراجعة",
        NoHoldsTitle => "لا شيء محتجز",
        NoHoldsBody => "إذا احتُجزت دفعة للتدقيق فستظهر هنا مع ما عليك فعله.",
        HoldSince => "محتجز منذ {when}",
        HoldWhatToDo => "لا شيء عليك الآن: عند انتهاء المراجعة تمر الدفعة، أو يعود المال إليك.",
        HoldSeePayment => "عرض الدفعة",
        SendLeftUntil => "يمكنك إرسال {amount} إضافية حتى {when}.",
        SendLeft => "يمكنك إرسال {amount} إضافية.",
        SendNoneUntil => "بلغت حد الإرسال حتى {when}.",
        SendNone => "بلغت حد الإرسال.",
        WithdrawLeftUntil => "يمكنك سحب {amount} إضافية حتى {when}.",
        WithdrawLeft => "يمكنك سحب {amount} إضافية.",
        WithdrawNoneUntil => "بلغت حد السحب حتى {when}.",
        WithdrawNone => "بلغت حد السحب.",
        DepositLeftUntil => "يمكنك إضافة {amount} أخرى حتى {when}.",
        DepositLeft => "يمكنك إضافة {amount} أخرى.",
        DepositNoneUntil => "بلغت حد إضافة المال حتى {when}.",
        DepositNone => "بلغت حد إضافة المال.",
        SeeLimits => "عرض حدودك",
        RestrictedMove => {
            "Purse غير مرخّصة في {state} بعد، لذا لا يمكنك إرسال المال أو إضافته. السحب لا يزال متاحًا."
        }
        RestrictedMoveSomewhere => {
            "Purse غير مرخّصة حيث تقيم بعد، لذا لا يمكنك إرسال المال أو إضافته. السحب لا يزال متاحًا."
        }
        FrozenMove => "حسابك مجمّد: لا يمكن تحريك أي مال، بما في ذلك السحب.",
        RecipientUnavailable => "لا يمكن لـ {name} استلام هذه الدفعة الآن.",
        WithdrawInstead => "سحب المال",
        Tomorrow => "غدًا",
        Unavailable => "تعذّر تحميل حدودك الآن.",
        PendingReview => "قيد المراجعة",
        ReviewMessage => {
            "هذه الدفعة قيد المراجعة. تنتهي معظم المراجعات خلال يوم عمل واحد، ويبقى المال آمنًا خلال ذلك."
        }
    }
}

impl Limits {
    /// Every key, for the test that checks each has its Arabic and keeps its placeholders.
    pub const ALL: [Limits; 101] = {
        use Limits::*;
        [
            MenuItem,
            Title,
            Lead,
            TierN,
            Tier0Name,
            Tier1Name,
            Tier2Name,
            StatusLabel,
            StatusActive,
            StatusUnderReview,
            StatusRestricted,
            StatusFrozen,
            SentenceActive,
            SentenceUnderReview,
            SentenceRestricted,
            SentenceRestrictedSomewhere,
            SentenceFrozen,
            LimitsHeading,
            KindSend,
            KindReceive,
            KindWithdraw,
            KindDeposit,
            WindowDay,
            Window7d,
            Window30d,
            UsedOf,
            Left,
            MoreRoomFrom,
            NothingUsed,
            NoLimit,
            NextHeading,
            NextLead,
            TopTier,
            VerifyTitle1,
            VerifyLead1,
            VerifyTitle2,
            VerifyLead2,
            LegalName,
            LegalNameHint,
            DateOfBirth,
            DateOfBirthHint,
            AddressLine,
            City,
            State,
            ChooseState,
            PostalCode,
            PostalCodeHint,
            SsnLast4,
            SsnLast4Hint,
            DocumentType,
            ChooseDocument,
            Passport,
            DriverLicense,
            DocumentNumber,
            DocumentNumberHint,
            Verify,
            Verifying,
            ErrLegalName,
            ErrDateOfBirth,
            ErrAddressLine,
            ErrCity,
            ErrState,
            ErrPostalCode,
            ErrSsnLast4,
            ErrDocumentType,
            ErrDocumentNumber,
            Verified,
            VerifyUnderReview,
            RejectedIdentityMismatch,
            RejectedUnderage,
            RejectedDocument,
            RejectedOther,
            VerifyRetrySafe,
            HoldsHeading,
            NoHoldsTitle,
            NoHoldsBody,
            HoldSince,
            HoldWhatToDo,
            HoldSeePayment,
            SendLeftUntil,
            SendLeft,
            SendNoneUntil,
            SendNone,
            WithdrawLeftUntil,
            WithdrawLeft,
            WithdrawNoneUntil,
            WithdrawNone,
            DepositLeftUntil,
            DepositLeft,
            DepositNoneUntil,
            DepositNone,
            SeeLimits,
            RestrictedMove,
            RestrictedMoveSomewhere,
            FrozenMove,
            RecipientUnavailable,
            WithdrawInstead,
            Tomorrow,
            Unavailable,
            PendingReview,
            ReviewMessage,
        ]
    };
}

/// The compliance console's text (officers only, `/ops`): a table of its own, with its Arabic in
/// [`ar_ops`], whose match has no catch-all (a new string does not build without its Arabic).
/// Placeholders: `{n}`, `{handle}`, `{amount}`, `{reason}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ops {
    MenuItem,
    ConsoleNav,
    QueueNav,
    AuditNav,
    QueueTitle,
    QueueLead,
    ViewLabel,
    OpenTab,
    ClosedTab,
    EmptyOpenTitle,
    EmptyOpenBody,
    EmptyClosedTitle,
    EmptyClosedBody,
    ColReason,
    ColAmount,
    ColPeople,
    ColOpened,
    NoMovement,
    NewCase,
    ReasonSanctions,
    ReasonLarge,
    ReasonStructuring,
    ReasonPassThrough,
    ReasonVelocity,
    CaseOpen,
    CaseApproved,
    CaseRejected,
    CaseTitle,
    BackToQueue,
    CaseMissing,
    EvidenceHeading,
    Rule,
    Inputs,
    Hits,
    SanctionsHeading,
    SanctionsName,
    SanctionsEntry,
    SanctionsScore,
    SanctionsList,
    Movement,
    Subject,
    RecentActivity,
    NoRecentActivity,
    ApprovalsHeading,
    NoApprovals,
    ApprovedBy,
    RejectedBy,
    NeedsSecond,
    NeedsTwo,
    DecideHeading,
    Note,
    NoteHint,
    NoteEmpty,
    NoteTooLong,
    Approve,
    Approving,
    Reject,
    Rejecting,
    DoneApproved,
    DoneApprovedOnce,
    DoneRejected,
    SecondApprover,
    ClosedCase,
    DownloadReport,
    PersonTitle,
    PersonStatus,
    PersonTier,
    PersonCases,
    PersonNoCases,
    PersonMissing,
    Freeze,
    Freezing,
    Unfreeze,
    Unfreezing,
    DoneFrozen,
    DoneUnfrozen,
    AuditTitle,
    AuditLead,
    ColSeq,
    ColTime,
    ColActor,
    ColAction,
    ColSubject,
    ColNote,
    ColHash,
    AuditEmpty,
    ChainVerified,
    ChainBroken,
    Unavailable,
}

/// The English text for `key`.
pub fn en_ops(key: Ops) -> &'static str {
    use Ops::*;
    match key {
        MenuItem => "Compliance",
        ConsoleNav => "Compliance console",
        QueueNav => "Cases",
        AuditNav => "Audit log",
        QueueTitle => "Review queue",
        QueueLead => "Held movements waiting for an officer, newest first.",
        ViewLabel => "Show cases",
        OpenTab => "Open",
        ClosedTab => "Closed",
        EmptyOpenTitle => "No open cases.",
        EmptyOpenBody => "New ones appear here as they're opened.",
        EmptyClosedTitle => "No closed cases yet.",
        EmptyClosedBody => "Cases you and other officers decide are listed here.",
        ColReason => "Reason",
        ColAmount => "Amount",
        ColPeople => "People",
        ColOpened => "Opened",
        NoMovement => "No money held",
        NewCase => "New case: {reason}, {amount}.",
        ReasonSanctions => "Sanctions match",
        ReasonLarge => "Large transfer",
        ReasonStructuring => "Structuring",
        ReasonPassThrough => "Pass-through",
        ReasonVelocity => "Many new counterparties",
        CaseOpen => "Open",
        CaseApproved => "Approved",
        CaseRejected => "Rejected",
        CaseTitle => "Case",
        BackToQueue => "Back to the queue",
        CaseMissing => "There is no such case.",
        EvidenceHeading => "Evidence",
        Rule => "Rule",
        Inputs => "Inputs",
        Hits => "Every rule hit",
        SanctionsHeading => "Sanctions match",
        SanctionsName => "Name screened",
        SanctionsEntry => "List entry",
        SanctionsScore => "Score",
        SanctionsList => "List version",
        Movement => "Held movement",
        Subject => "Person",
        RecentActivity => "Their recent activity",
        NoRecentActivity => "No other activity.",
        ApprovalsHeading => "Decisions so far",
        NoApprovals => "No officer has decided yet.",
        ApprovedBy => "Approved by",
        RejectedBy => "Rejected by",
        NeedsSecond => "Needs a second officer: {handle} approved it once.",
        NeedsTwo => "Two different officers must approve this case.",
        DecideHeading => "Decide",
        Note => "Note (required)",
        NoteHint => "Why you decide this way, for the record and any report. Up to 500 characters.",
        NoteEmpty => "Write a note: every decision needs one.",
        NoteTooLong => "Keep the note to 500 characters or fewer.",
        Approve => "Approve",
        Approving => "Approving…",
        Reject => "Reject",
        Rejecting => "Rejecting…",
        DoneApproved => "Approved: the held money moved.",
        DoneApprovedOnce => "Your approval is recorded. A second officer must approve it too.",
        DoneRejected => "Rejected: the money went back to the sender.",
        SecondApprover => "You already approved this case. A second officer must approve it.",
        ClosedCase => "This case is closed.",
        DownloadReport => "Download report (JSON)",
        PersonTitle => "Person",
        PersonStatus => "Status",
        PersonTier => "Tier",
        PersonCases => "Their cases",
        PersonNoCases => "No cases about this person.",
        PersonMissing => "There is no such person.",
        Freeze => "Freeze",
        Freezing => "Freezing…",
        Unfreeze => "Unfreeze",
        Unfreezing => "Unfreezing…",
        DoneFrozen => "Frozen: no money moves for this person.",
        DoneUnfrozen => "Unfrozen: this person can move money again.",
        AuditTitle => "Audit log",
        AuditLead => {
            "Every case opened and every officer's action, newest first. No one can change it quietly."
        }
        ColSeq => "#",
        ColTime => "Time",
        ColActor => "Actor",
        ColAction => "Action",
        ColSubject => "Subject",
        ColNote => "Note",
        ColHash => "Hash",
        AuditEmpty => "Nothing logged yet.",
        ChainVerified => "Chain verified — {n} entries",
        ChainBroken => {
            "The audit chain is broken at entry {n}: it and everything after it cannot be trusted. Run purse-server audit and escalate."
        }
        Unavailable => "The console can't be loaded right now.",
    }
}

/// The console's Arabic: every key (no catch-all).
pub fn ar_ops(key: Ops) -> &'static str {
    use Ops::*;
    match key {
        MenuItem => "الامتثال",
        ConsoleNav => "لوحة الامتثال",
        QueueNav => "الحالات",
        AuditNav => "سجل التدقيق",
        QueueTitle => "قائمة المراجعة",
        QueueLead => "حركات محتجزة تنتظر قرار موظف، الأحدث أولًا.",
        ViewLabel => "عرض الحالات",
        OpenTab => "مفتوحة",
        ClosedTab => "مغلقة",
        EmptyOpenTitle => "لا توجد حالات مفتوحة.",
        EmptyOpenBody => "تظهر الحالات الجديدة هنا فور فتحها.",
        EmptyClosedTitle => "لا توجد حالات مغلقة بعد.",
        EmptyClosedBody => "تظهر هنا الحالات التي تبتّ فيها أنت وزملاؤك.",
        ColReason => "السبب",
        ColAmount => "المبلغ",
        ColPeople => "الأطراف",
        ColOpened => "فُتحت",
        NoMovement => "لا مال محتجز",
        NewCase => "حالة جديدة: {reason}، {amount}.",
        ReasonSanctions => "تطابق مع قائمة العقوبات",
        ReasonLarge => "تحويل كبير",
        ReasonStructuring => "تجزئة المبالغ",
        ReasonPassThrough => "تمرير الأموال",
        ReasonVelocity => "أطراف جديدة كثيرة",
        CaseOpen => "مفتوحة",
        CaseApproved => "مقبولة",
        CaseRejected => "مرفوضة",
        CaseTitle => "الحالة",
        BackToQueue => "العودة إلى القائمة",
        CaseMissing => "لا توجد حالة بهذا الرقم.",
        EvidenceHeading => "الأدلة",
        Rule => "القاعدة",
        Inputs => "المعطيات",
        Hits => "كل القواعد المنطبقة",
        SanctionsHeading => "تطابق مع قائمة العقوبات",
        SanctionsName => "الاسم المفحوص",
        SanctionsEntry => "القيد في القائمة",
        SanctionsScore => "درجة التطابق",
        SanctionsList => "إصدار القائمة",
        Movement => "الحركة المحتجزة",
        Subject => "الشخص",
        RecentActivity => "نشاطه الأخير",
        NoRecentActivity => "لا نشاط آخر.",
        ApprovalsHeading => "القرارات حتى الآن",
        NoApprovals => "لم يبتّ أي موظف فيها بعد.",
        ApprovedBy => "وافق عليها",
        RejectedBy => "رفضها",
        NeedsSecond => "تحتاج إلى موظف ثانٍ: وافق عليها {handle} مرة واحدة.",
        NeedsTwo => "يجب أن يوافق على هذه الحالة موظفان مختلفان.",
        DecideHeading => "القرار",
        Note => "ملاحظة (مطلوبة)",
        NoteHint => "سبب قرارك، للسجل ولأي تقرير. حتى 500 حرف.",
        NoteEmpty => "اكتب ملاحظة: كل قرار يحتاج إلى ملاحظة.",
        NoteTooLong => "اجعل الملاحظة 500 حرف أو أقل.",
        Approve => "موافقة",
        Approving => "جارٍ الموافقة…",
        Reject => "رفض",
        Rejecting => "جارٍ الرفض…",
        DoneApproved => "تمت الموافقة: تحرّك المال المحتجز.",
        DoneApprovedOnce => "سُجّلت موافقتك. يجب أن يوافق موظف ثانٍ أيضًا.",
        DoneRejected => "تم الرفض: عاد المال إلى المرسل.",
        SecondApprover => "لقد وافقت على هذه الحالة من قبل. يجب أن يوافق عليها موظف ثانٍ.",
        ClosedCase => "هذه الحالة مغلقة.",
        DownloadReport => "تنزيل التقرير (JSON)",
        PersonTitle => "الشخص",
        PersonStatus => "الحالة",
        PersonTier => "المستوى",
        PersonCases => "حالاته",
        PersonNoCases => "لا توجد حالات تخص هذا الشخص.",
        PersonMissing => "لا يوجد شخص بهذا الاسم.",
        Freeze => "تجميد",
        Freezing => "جارٍ التجميد…",
        Unfreeze => "إلغاء التجميد",
        Unfreezing => "جارٍ إلغاء التجميد…",
        DoneFrozen => "تم التجميد: لن يتحرك أي مال لهذا الشخص.",
        DoneUnfrozen => "أُلغي التجميد: يمكن لهذا الشخص تحريك المال مجددًا.",
        AuditTitle => "سجل التدقيق",
        AuditLead => "كل حالة فُتحت وكل إجراء لموظف، الأحدث أولًا. لا يمكن لأحد تغييره خفية.",
        ColSeq => "رقم",
        ColTime => "الوقت",
        ColActor => "المنفّذ",
        ColAction => "الإجراء",
        ColSubject => "الموضوع",
        ColNote => "الملاحظة",
        ColHash => "البصمة",
        AuditEmpty => "لم يُسجَّل شيء بعد.",
        ChainVerified => "تم التحقق من السلسلة — {n} قيدًا",
        ChainBroken => {
            "سلسلة التدقيق مكسورة عند القيد {n}: لا يمكن الوثوق به ولا بما بعده. شغّل purse-server audit وصعّد الأمر."
        }
        Unavailable => "تعذّر تحميل لوحة الامتثال الآن.",
    }
}

impl Ops {
    /// Every key, for the test that checks each has its Arabic and keeps its placeholders.
    pub const ALL: [Ops; 89] = {
        use Ops::*;
        [
            MenuItem,
            ConsoleNav,
            QueueNav,
            AuditNav,
            QueueTitle,
            QueueLead,
            ViewLabel,
            OpenTab,
            ClosedTab,
            EmptyOpenTitle,
            EmptyOpenBody,
            EmptyClosedTitle,
            EmptyClosedBody,
            ColReason,
            ColAmount,
            ColPeople,
            ColOpened,
            NoMovement,
            NewCase,
            ReasonSanctions,
            ReasonLarge,
            ReasonStructuring,
            ReasonPassThrough,
            ReasonVelocity,
            CaseOpen,
            CaseApproved,
            CaseRejected,
            CaseTitle,
            BackToQueue,
            CaseMissing,
            EvidenceHeading,
            Rule,
            Inputs,
            Hits,
            SanctionsHeading,
            SanctionsName,
            SanctionsEntry,
            SanctionsScore,
            SanctionsList,
            Movement,
            Subject,
            RecentActivity,
            NoRecentActivity,
            ApprovalsHeading,
            NoApprovals,
            ApprovedBy,
            RejectedBy,
            NeedsSecond,
            NeedsTwo,
            DecideHeading,
            Note,
            NoteHint,
            NoteEmpty,
            NoteTooLong,
            Approve,
            Approving,
            Reject,
            Rejecting,
            DoneApproved,
            DoneApprovedOnce,
            DoneRejected,
            SecondApprover,
            ClosedCase,
            DownloadReport,
            PersonTitle,
            PersonStatus,
            PersonTier,
            PersonCases,
            PersonNoCases,
            PersonMissing,
            Freeze,
            Freezing,
            Unfreeze,
            Unfreezing,
            DoneFrozen,
            DoneUnfrozen,
            AuditTitle,
            AuditLead,
            ColSeq,
            ColTime,
            ColActor,
            ColAction,
            ColSubject,
            ColNote,
            ColHash,
            AuditEmpty,
            ChainVerified,
            ChainBroken,
            Unavailable,
        ]
    };
}

/// The statements page's and interest's text (`/statements`, the wallet home's APY line, an
/// interest payment's receipt): a table of its own, with its Arabic in [`ar_statements`], whose
/// match has no catch-all (a new string does not build without its Arabic). Placeholders:
/// `{month}`, `{apy}`, `{amount}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statements {
    MenuItem,
    WalletLink,
    Title,
    Lead,
    MonthLabel,
    MonthSoFar,
    Opening,
    MoneyIn,
    MoneyOut,
    Interest,
    Fees,
    Closing,
    EntriesHeading,
    ColBalance,
    EmptyTitle,
    EmptyBody,
    Unavailable,
    NoStatement,
    DownloadHeading,
    DownloadCsv,
    DownloadOfx,
    DownloadCamt,
    FormatsNote,
    EarningApy,
    EarnedThisMonth,
    InterestPaidBy,
    InterestFor,
    Period,
    Rate,
    ApyValue,
}

/// The English text for `key`.
pub fn en_statements(key: Statements) -> &'static str {
    use Statements::*;
    match key {
        MenuItem => "Statements",
        WalletLink => "Monthly statements",
        Title => "Statements",
        Lead => "What posted to your wallet, month by month, to read here or download.",
        MonthLabel => "Month",
        MonthSoFar => "{month} (so far)",
        Opening => "Opening balance",
        MoneyIn => "Money in",
        MoneyOut => "Money out",
        Interest => "Interest",
        Fees => "Fees",
        Closing => "Closing balance",
        EntriesHeading => "Posted activity",
        ColBalance => "Balance after",
        EmptyTitle => "No posted activity in this month",
        EmptyBody => "Money still pending at the month's end shows in the month it posts.",
        Unavailable => "This statement can't be loaded right now.",
        NoStatement => "There's no statement for this month.",
        DownloadHeading => "Download",
        DownloadCsv => "Download CSV",
        DownloadOfx => "Download OFX",
        DownloadCamt => "Download camt.053",
        FormatsNote => {
            "CSV opens in any spreadsheet. OFX and camt.053 are for bank and accounting software to import."
        }
        EarningApy => "Earning {apy}% APY",
        EarnedThisMonth => "{amount} earned this month",
        InterestPaidBy => "Interest paid by Purse",
        InterestFor => "For {month}",
        Period => "For",
        Rate => "Today's rate",
        ApyValue => "{apy}% APY",
    }
}

/// The statements' Arabic: every key (no catch-all).
pub fn ar_statements(key: Statements) -> &'static str {
    use Statements::*;
    match key {
        MenuItem => "كشوف الحساب",
        WalletLink => "كشوف الحساب الشهرية",
        Title => "كشوف الحساب",
        Lead => "ما سُجّل في محفظتك شهرًا بشهر، لتطّلع عليه هنا أو تنزّله.",
        MonthLabel => "الشهر",
        MonthSoFar => "{month} (حتى الآن)",
        Opening => "الرصيد الافتتاحي",
        MoneyIn => "الوارد",
        MoneyOut => "الصادر",
        Interest => "الفائدة",
        Fees => "الرسوم",
        Closing => "الرصيد الختامي",
        EntriesHeading => "الحركات المسجّلة",
        ColBalance => "الرصيد بعدها",
        EmptyTitle => "لا توجد حركات مسجّلة في هذا الشهر",
        EmptyBody => "المبالغ التي بقيت معلّقة حتى نهاية الشهر تظهر في الشهر الذي تُسجَّل فيه.",
        Unavailable => "تعذّر تحميل هذا الكشف الآن.",
        NoStatement => "لا يوجد كشف لهذا الشهر.",
        DownloadHeading => "التنزيل",
        DownloadCsv => "تنزيل CSV",
        DownloadOfx => "تنزيل OFX",
        DownloadCamt => "تنزيل camt.053",
        FormatsNote => {
            "يفتح ملف CSV في أي جدول بيانات، أما OFX وcamt.053 فصيغتان تستوردهما برامج البنوك والمحاسبة."
        }
        EarningApy => "تربح عائدًا سنويًا بنسبة {apy}%",
        EarnedThisMonth => "ربحت {amount} هذا الشهر",
        InterestPaidBy => "فائدة دفعتها لك Purse",
        InterestFor => "عن شهر {month}",
        Period => "عن فترة",
        Rate => "النسبة اليوم",
        ApyValue => "{apy}% سنويًا",
    }
}

impl Statements {
    /// Every key, for the test that checks each has its Arabic and keeps its placeholders.
    pub const ALL: [Statements; 30] = {
        use Statements::*;
        [
            MenuItem,
            WalletLink,
            Title,
            Lead,
            MonthLabel,
            MonthSoFar,
            Opening,
            MoneyIn,
            MoneyOut,
            Interest,
            Fees,
            Closing,
            EntriesHeading,
            ColBalance,
            EmptyTitle,
            EmptyBody,
            Unavailable,
            NoStatement,
            DownloadHeading,
            DownloadCsv,
            DownloadOfx,
            DownloadCamt,
            FormatsNote,
            EarningApy,
            EarnedThisMonth,
            InterestPaidBy,
            InterestFor,
            Period,
            Rate,
            ApyValue,
        ]
    };
}

/// The months' full names, January first, for a month on its own ("November 2026"): looked up
/// by number at run time, so arrays (see [`Month`]).
pub fn month_name(number: u32) -> &'static str {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const AR: [&str; 12] = [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ];
    let index = (number.clamp(1, 12) - 1) as usize;
    match language() {
        Language::Arabic => AR[index],
        Language::English => EN[index],
    }
}

/// The days of the week, Sunday first (as `Date.getDay()` numbers them), for "until Thursday":
/// looked up by number at run time, so a table of their own (see [`Month`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    Sunday,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
}

impl Weekday {
    /// The day numbered `number`, Sunday 0 (any number: it wraps).
    pub fn numbered(number: i64) -> Weekday {
        use Weekday::*;
        [Sunday, Monday, Tuesday, Wednesday, Thursday, Friday, Saturday][number.rem_euclid(7) as usize]
    }
}

pub fn en_weekday(key: Weekday) -> &'static str {
    const EN: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    EN[key as usize]
}

pub fn ar_weekday(key: Weekday) -> &'static str {
    const AR: [&str; 7] = ["الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"];
    AR[key as usize]
}

/// The US states' and DC's names, in `purse_api::compliance::US_STATES`' order (place names,
/// written as the US Postal Service does in both languages for now).
pub const US_STATE_NAMES: [&str; 51] = [
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "District of Columbia",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
];

/// The months' short names in dates (`Nov 22, 14:05`): a table of their own, because a date
/// looks its month up by number at run time, and a lookup by a key only known at run time links
/// the whole table it looks in; in [`Text`] that was every word of the app, in the embed too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Month {
    Jan,
    Feb,
    Mar,
    Apr,
    May,
    Jun,
    Jul,
    Aug,
    Sep,
    Oct,
    Nov,
    Dec,
}

impl Month {
    /// The month numbered `number` (January is 1).
    pub fn numbered(number: usize) -> Option<Month> {
        use Month::*;
        Some(match number {
            1 => Jan,
            2 => Feb,
            3 => Mar,
            4 => Apr,
            5 => May,
            6 => Jun,
            7 => Jul,
            8 => Aug,
            9 => Sep,
            10 => Oct,
            11 => Nov,
            12 => Dec,
            _ => return None,
        })
    }
}

/// The English text for `key`: an array by the key's place rather than a `match`, because the
/// key is only known at run time, and for that an array is one load where a `match` is a branch
/// per month.
pub fn en_month(key: Month) -> &'static str {
    const EN: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    EN[key as usize]
}

/// A key of one of the tables above.
pub trait Key: Copy {
    /// The English text.
    fn english(self) -> &'static str;

    /// The Arabic text, where the key has it (`None`: English stands in).
    fn arabic(self) -> Option<&'static str> {
        None
    }
}

/// The languages the app speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    English,
    Arabic,
}

impl Language {
    /// `lang` of the document.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Arabic => "ar",
        }
    }

    /// `dir` of the document.
    pub fn direction(self) -> &'static str {
        match self {
            Language::English => "ltr",
            Language::Arabic => "rtl",
        }
    }
}

thread_local! {
    static LANGUAGE: std::cell::Cell<Language> = const { std::cell::Cell::new(Language::English) };
}

/// Chooses the language [`t`] speaks from now on (the app does, once, at start).
pub fn set_language(language: Language) {
    LANGUAGE.with(|current| current.set(language));
}

pub fn language() -> Language {
    LANGUAGE.with(std::cell::Cell::get)
}

/// The language for a browser's preferred languages, in its order (`navigator.languages`, as
/// `ar-EG`, `en-US`…): the first that Purse speaks; English when none is.
pub fn language_for(preferred: &[String]) -> Language {
    preferred
        .iter()
        .find_map(|tag| {
            let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
            match primary.as_str() {
                "ar" => Some(Language::Arabic),
                "en" => Some(Language::English),
                _ => None,
            }
        })
        .unwrap_or(Language::English)
}

impl Key for Text {
    fn english(self) -> &'static str {
        en(self)
    }

    fn arabic(self) -> Option<&'static str> {
        ar(self)
    }
}

impl Key for ReviewText {
    fn english(self) -> &'static str {
        en_review(self)
    }

    fn arabic(self) -> Option<&'static str> {
        ar_review(self)
    }
}

impl Key for Funding {
    fn english(self) -> &'static str {
        en_funding(self)
    }

    fn arabic(self) -> Option<&'static str> {
        ar_funding(self)
    }
}

impl Key for Month {
    fn english(self) -> &'static str {
        en_month(self)
    }
}

impl Key for Limits {
    fn english(self) -> &'static str {
        en_limits(self)
    }

    fn arabic(self) -> Option<&'static str> {
        Some(ar_limits(self))
    }
}

impl Key for Ops {
    fn english(self) -> &'static str {
        en_ops(self)
    }

    fn arabic(self) -> Option<&'static str> {
        Some(ar_ops(self))
    }
}

impl Key for Statements {
    fn english(self) -> &'static str {
        en_statements(self)
    }

    fn arabic(self) -> Option<&'static str> {
        Some(ar_statements(self))
    }
}

impl Key for Weekday {
    fn english(self) -> &'static str {
        en_weekday(self)
    }

    fn arabic(self) -> Option<&'static str> {
        Some(ar_weekday(self))
    }
}

/// The text for `key` in the app's language ([`set_language`]): Arabic where the key has it,
/// English otherwise (and always in native tests, which never set one).
pub fn t(key: impl Key) -> &'static str {
    match language() {
        Language::Arabic => key.arabic().unwrap_or_else(|| key.english()),
        Language::English => key.english(),
    }
}

/// The Arabic text for the keys translated so far: the strings added since the second language
/// was planned, kept here so the table that replaces [`en`] starts from them. `None` for a key
/// not yet translated (English stands in: see [`t`]).
pub fn ar(key: Text) -> Option<&'static str> {
    use Text::*;
    match key {
        NavHome => Some("الرئيسية"),
        PurseInOneLine => {
            Some("Purse هي المحفظة لإرسال المال وإكرامية المبدعين والدفع بلمسة. استخدم حسابك في Purse هنا.")
        }
        SignInToContinue => Some("سجّل الدخول أو أنشئ حسابًا للمتابعة. ستعود إلى هنا وكل شيء معبأ."),
        NavPay => Some("الدفع"),
        NavActivity => Some("النشاط"),
        NavProfile => Some("الملف الشخصي"),
        MenuPinAndLimits => Some("الرمز السري والحدود"),
        MenuYourProfile => Some("ملفك الشخصي"),
        SignInWithPurse => Some("تسجيل الدخول عبر Purse"),
        PurseHandle => Some("اسم المستخدم في Purse"),
        PursePassword => Some("كلمة مرور Purse"),
        KindWithdrawal => Some("سحب"),
        KindInterest => Some("فائدة"),
        AnonymousTip => Some("إكرامية من مجهول"),
        RateLimitedWait => Some("محاولات كثيرة جدًا — انتظر {wait} ثم حاول مجددًا."),
        RateLimitedLater => Some("محاولات كثيرة جدًا — انتظر قليلًا ثم حاول مجددًا."),
        PinLockedWait => Some("رموز PIN خاطئة كثيرة: المدفوعات مقفلة. انتظر {wait} ثم حاول مجددًا."),
        WaitOneSecond => Some("ثانية واحدة"),
        WaitSeconds => Some("{n} ثانية"),
        WaitOneMinute => Some("دقيقة واحدة"),
        WaitMinutes => Some("{n} دقيقة"),
        WaitOneHour => Some("ساعة واحدة"),
        WaitHours => Some("{n} ساعة"),
        PinNeededToday => Some("حفاظًا على أمانك، أدخل رمز PIN: أرسلت اليوم أكثر من 50.00 $ دون إدخاله."),
        NotPaidBefore => Some("لم يسبق لك أن دفعت إلى {handle}."),
        SentRequests => Some("الطلبات المرسلة"),
        RequestOpen => Some("مفتوح"),
        RequestPaid => Some("مدفوع"),
        RequestDeclined => Some("مرفوض"),
        RequestCanceled => Some("ملغى"),
        RequestedFrom => Some("من"),
        CancelRequest => Some("إلغاء الطلب"),
        CancelRequestAsk => Some("إلغاء هذا الطلب؟ لن يتمكنوا من دفعه."),
        CancelRequestYes => Some("نعم، ألغِه"),
        KeepRequest => Some("أبقِه"),
        NoSentRequests => Some("لم تطلب المال من أحد بعد."),
        NoSentRequestsNext => Some("اطلب من شخص ما"),
        DeclinedYourRequest => Some("رفض طلبك"),
        YouDeclinedTheirRequest => Some("رفضتَ طلبهم"),
        YouCanceledYourRequest => Some("ألغيتَ طلبك"),
        CanceledTheirRequest => Some("ألغوا طلبهم"),
        PayIntentLead => Some("أنت على وشك أن تدفع"),
        CopyLink => Some("نسخ الرابط"),
        LinkCopied => Some("تم النسخ"),
        CopyFailed => Some("تعذّر النسخ. حدّد الرابط وانسخه."),
        ShareLink => Some("مشاركة"),
        QrLabel => Some("رمز QR لرابط الدفع إلى"),
        _ => None,
    }
}

/// The reviews' Arabic, as [`ar`]: every key (the match has no catch-all, so a new review
/// string does not build without its Arabic).
pub fn ar_review(key: ReviewText) -> Option<&'static str> {
    use ReviewText::*;
    match key {
        Title => Some("المراجعة"),
        To => Some("إلى"),
        From => Some("من"),
        Fee => Some("الرسوم"),
        Arrives => Some("يصل"),
        CanCancel => Some("يمكن إلغاؤه"),
        PurseBalance => Some("رصيد Purse"),
        Now => Some("الآن"),
        After => Some("بعد"),
        Free => Some("مجانًا"),
        RightAway => Some("فورًا"),
        Yes => Some("نعم"),
        No => Some("لا"),
        For => Some("لمدة"),
        Minutes => Some("دقائق"),
        OneMinute => Some("دقيقة واحدة"),
        Seconds => Some("ثوانٍ"),
        FirstPaymentTo => Some("لأنها دفعتك الأولى إلى"),
        SentAtOnce => Some("يُرسل فورًا"),
        TheyAsked => Some("طلبوا منك هذا"),
        PaidAtOnce => Some("لا يمكن التراجع عن طلب مدفوع"),
        TipAnonymous => Some("لن يعرفوا من أرسلها"),
        TipNamed => Some("سيرون أنها منك"),
        TipsFinal => Some("لا يمكن التراجع عن الإكراميات"),
        MerchantRefunds => Some("الاسترداد قرار التاجر"),
        LeavesWallet => Some("يخرج من محفظتك"),
        Instantly => Some("فورًا"),
        By => Some("بحلول"),
        BankDays => Some("خلال 1–3 أيام عمل"),
        InstantFinal => Some("السحب الفوري يصل في الحال"),
        BankFinal => Some("بعد وصوله إلى البنك لا يمكن استرجاعه؛ وإن أعاده البنك يعود المال إلى هنا"),
        AddFinal => Some("يبقى المال المضاف في محفظتك حتى ترسله أو تسحبه"),
        SendVerb => Some("أرسل"),
        PayVerb => Some("ادفع"),
        TipVerb => Some("أكرِم"),
        WithdrawVerb => Some("اسحب"),
        AddVerb => Some("أضف"),
        ToWord => Some("إلى"),
        YouHave => Some("لديك"),
        AddLower => Some("أضف"),
        AddMoneyLink => Some("إضافة مال"),
        Back => Some("رجوع"),
        AvailableNow => Some("المتاح"),
        AbovePresetBalance => Some("المبالغ التي لا يمكنك اختيارها أكبر من رصيدك البالغ"),
        DeclineAsk => Some("رفض"),
        RequestForWord => Some("طلب بمبلغ"),
        DeclineYes => Some("نعم، ارفض"),
        DeclineNo => Some("أبقِه"),
        LookupOffline => Some("أنت غير متصل: سنبحث عن اسم المستخدم هذا مجددًا عند عودتك."),
        Confirming => Some("جارٍ التأكيد…"),
    }
}

/// Money in and out's Arabic, as [`ar`] (`None`: not yet translated).
pub fn ar_funding(key: Funding) -> Option<&'static str> {
    use Funding::*;
    match key {
        PaymentMethodsLead => Some("البطاقات تضيف المال وتسحب خلال دقائق؛ والسحب إلى حساب مصرفي مجاني."),
        NoCardsBody => Some("أضف بطاقة خصم لإضافة المال وللسحب خلال دقائق."),
        CardExpiryHint => Some("MM / YY، كما هو مطبوع على البطاقة"),
        CardMonthInvalid => Some("تحقق من الشهر: من 01 إلى 12، مثل 12 / 29."),
        CardExpiryFormat => Some("أدخل تاريخ الانتهاء بصيغة MM / YY، مثل 12 / 29."),
        NoBanksBody => Some("أضف حسابًا مصرفيًا للسحب مجانًا."),
        _ => None,
    }
}

/// A sentence with one `{handle}` in it, as the words before and after the handle, so a view
/// can set the handle apart (`<bdi>`: it reads left to right inside an Arabic sentence).
pub fn around_handle(sentence: &'static str) -> (&'static str, &'static str) {
    sentence.split_once("{handle}").unwrap_or((sentence, ""))
}

/// "1 tip", "3 tips".
pub fn tips_count(count: u64) -> String {
    let word = if count == 1 { t(Text::CreatorTipOne) } else { t(Text::CreatorTipsCount) };
    format!("{count} {word}")
}

/// "Received $5.00 from Alice": an announcement for screen readers.
pub fn received_announcement(amount: &str, from: Option<&str>) -> String {
    match from {
        Some(name) => format!("{} {amount} {} {name}", t(Text::Received), t(Text::From)),
        None => format!("{} {amount}", t(Text::Received)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both tables say it, the Arabic in Arabic letters (or Purse's own words and the card's
    /// "MM / YY" beside them), with the same placeholders.
    fn check_arabic(key: impl std::fmt::Debug, english: &str, arabic: Option<&str>) {
        let arabic = arabic.unwrap_or_default();
        assert!(
            !arabic.is_empty() && arabic.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
            "{key:?}"
        );
        for placeholder in ["{handle}", "{wait}", "{n}"] {
            assert_eq!(english.contains(placeholder), arabic.contains(placeholder), "{key:?}: {placeholder}");
        }
    }

    #[test]
    fn every_new_sentence_has_its_arabic_and_keeps_its_placeholder() {
        for key in [
            Text::NavHome,
            Text::PurseInOneLine,
            Text::SignInToContinue,
            Text::NavPay,
            Text::NavActivity,
            Text::NavProfile,
            Text::MenuPinAndLimits,
            Text::MenuYourProfile,
            Text::SignInWithPurse,
            Text::PurseHandle,
            Text::PursePassword,
            Text::KindWithdrawal,
            Text::KindInterest,
            Text::AnonymousTip,
            Text::RateLimitedWait,
            Text::RateLimitedLater,
            Text::PinLockedWait,
            Text::WaitOneSecond,
            Text::WaitSeconds,
            Text::WaitOneMinute,
            Text::WaitMinutes,
            Text::WaitOneHour,
            Text::WaitHours,
            Text::PinNeededToday,
            Text::NotPaidBefore,
            Text::SentRequests,
            Text::RequestOpen,
            Text::RequestPaid,
            Text::RequestDeclined,
            Text::RequestCanceled,
            Text::RequestedFrom,
            Text::CancelRequest,
            Text::CancelRequestAsk,
            Text::CancelRequestYes,
            Text::KeepRequest,
            Text::NoSentRequests,
            Text::NoSentRequestsNext,
            Text::DeclinedYourRequest,
            Text::YouDeclinedTheirRequest,
            Text::YouCanceledYourRequest,
            Text::CanceledTheirRequest,
            Text::PayIntentLead,
            Text::CopyLink,
            Text::LinkCopied,
            Text::CopyFailed,
            Text::ShareLink,
            Text::QrLabel,
        ] {
            check_arabic(key, en(key), ar(key));
        }
        for key in [
            ReviewText::Title,
            ReviewText::To,
            ReviewText::From,
            ReviewText::Fee,
            ReviewText::Arrives,
            ReviewText::CanCancel,
            ReviewText::PurseBalance,
            ReviewText::Now,
            ReviewText::After,
            ReviewText::Free,
            ReviewText::RightAway,
            ReviewText::Yes,
            ReviewText::No,
            ReviewText::For,
            ReviewText::Minutes,
            ReviewText::OneMinute,
            ReviewText::Seconds,
            ReviewText::FirstPaymentTo,
            ReviewText::SentAtOnce,
            ReviewText::TheyAsked,
            ReviewText::PaidAtOnce,
            ReviewText::TipAnonymous,
            ReviewText::TipNamed,
            ReviewText::TipsFinal,
            ReviewText::MerchantRefunds,
            ReviewText::LeavesWallet,
            ReviewText::Instantly,
            ReviewText::By,
            ReviewText::BankDays,
            ReviewText::InstantFinal,
            ReviewText::BankFinal,
            ReviewText::AddFinal,
            ReviewText::SendVerb,
            ReviewText::PayVerb,
            ReviewText::TipVerb,
            ReviewText::WithdrawVerb,
            ReviewText::AddVerb,
            ReviewText::ToWord,
            ReviewText::YouHave,
            ReviewText::AddLower,
            ReviewText::AddMoneyLink,
            ReviewText::Back,
            ReviewText::AvailableNow,
            ReviewText::AbovePresetBalance,
            ReviewText::DeclineAsk,
            ReviewText::RequestForWord,
            ReviewText::DeclineYes,
            ReviewText::DeclineNo,
            ReviewText::LookupOffline,
            ReviewText::Confirming,
        ] {
            check_arabic(key, en_review(key), ar_review(key));
        }
        for key in [
            Funding::PaymentMethodsLead,
            Funding::NoCardsBody,
            Funding::CardExpiryHint,
            Funding::CardMonthInvalid,
            Funding::CardExpiryFormat,
            Funding::NoBanksBody,
        ] {
            check_arabic(key, en_funding(key), ar_funding(key));
        }
        assert_eq!(around_handle(t(Text::NotPaidBefore)), ("You haven't paid ", " before."));
        assert_eq!(
            around_handle(ar(Text::NotPaidBefore).unwrap_or_default()),
            ("لم يسبق لك أن دفعت إلى ", ".")
        );
        assert_eq!(around_handle(t(Text::PinNeeded)), (t(Text::PinNeeded), ""), "no placeholder: all before");
    }

    #[test]
    fn every_limits_string_has_its_arabic_with_the_same_placeholders() {
        for key in Limits::ALL {
            let (english, arabic) = (en_limits(key), ar_limits(key));
            assert!(arabic.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{key:?}");
            for placeholder in ["{amount}", "{when}", "{state}", "{name}", "{used}", "{limit}", "{n}"] {
                assert_eq!(
                    english.contains(placeholder),
                    arabic.contains(placeholder),
                    "{key:?}: {placeholder}"
                );
            }
        }
        for day in 0..7 {
            let day = Weekday::numbered(day);
            assert!(ar_weekday(day).chars().all(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{day:?}");
        }
        assert_eq!(
            [Weekday::numbered(0), Weekday::numbered(4), Weekday::numbered(-1)].map(t),
            ["Sunday", "Thursday", "Saturday"]
        );
        let names: Vec<(&str, &str)> =
            purse_api::compliance::US_STATES.into_iter().zip(US_STATE_NAMES).collect();
        for pair in [("AL", "Alabama"), ("DC", "District of Columbia"), ("NY", "New York"), ("WY", "Wyoming")]
        {
            assert!(names.contains(&pair), "{pair:?}");
        }
    }

    #[test]
    fn every_statements_string_has_its_arabic_with_the_same_placeholders() {
        for key in Statements::ALL {
            let (english, arabic) = (en_statements(key), ar_statements(key));
            assert!(arabic.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{key:?}");
            for placeholder in ["{month}", "{apy}", "{amount}"] {
                assert_eq!(
                    english.contains(placeholder),
                    arabic.contains(placeholder),
                    "{key:?}: {placeholder}"
                );
            }
        }
        assert_eq!([1, 11, 12].map(month_name), ["January", "November", "December"]);
        set_language(Language::Arabic);
        let arabic = [1, 11, 12].map(month_name);
        set_language(Language::English);
        assert_eq!(arabic, ["يناير", "نوفمبر", "ديسمبر"]);
    }

    #[test]
    fn every_console_string_has_its_arabic_with_the_same_placeholders() {
        for key in Ops::ALL {
            let (english, arabic) = (en_ops(key), ar_ops(key));
            assert!(arabic.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{key:?}");
            for placeholder in ["{n}", "{handle}", "{amount}", "{reason}"] {
                assert_eq!(
                    english.contains(placeholder),
                    arabic.contains(placeholder),
                    "{key:?}: {placeholder}"
                );
            }
        }
    }

    #[test]
    fn the_first_preferred_language_purse_speaks_is_chosen() {
        let cases: [(&[&str], Language); 6] = [
            (&[], Language::English),
            (&["ar"], Language::Arabic),
            (&["ar-EG", "en-US"], Language::Arabic),
            (&["fr-FR", "AR"], Language::Arabic),
            (&["en-GB", "ar"], Language::English),
            (&["de", "fr"], Language::English),
        ];
        for (preferred, expected) in cases {
            let preferred: Vec<String> = preferred.iter().map(|tag| tag.to_string()).collect();
            assert_eq!(language_for(&preferred), expected, "{preferred:?}");
        }
        assert_eq!((Language::Arabic.code(), Language::Arabic.direction()), ("ar", "rtl"));
    }

    #[test]
    fn in_arabic_t_speaks_arabic_where_a_table_has_it_and_english_elsewhere() {
        // Each test runs on a thread of its own: setting the language here touches no other.
        set_language(Language::Arabic);
        let spoken = (t(Ops::QueueTitle), t(Limits::PendingReview), t(Text::NavHome), t(Text::Brand));
        set_language(Language::English);
        assert_eq!(spoken, (ar_ops(Ops::QueueTitle), ar_limits(Limits::PendingReview), "الرئيسية", "Purse"));
        assert_eq!(t(Ops::QueueTitle), "Review queue");
    }

    #[test]
    fn months_are_numbered_from_january_to_december() {
        let names: Vec<&str> = (0..=13).filter_map(Month::numbered).map(t).collect();
        assert_eq!(
            names,
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        );
    }
}
