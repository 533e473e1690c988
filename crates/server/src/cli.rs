//! The command line: `purse-server serve` and `purse-server audit`.
//!
//! Every failure ends in one line on stderr naming the problem (a malformed database URL, an
//! unreachable PostgreSQL, a port in use, a folder that cannot be written) and a non-zero exit,
//! never a panic trace.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use purse_api::compliance::{LimitKind, LimitTable, StateSet};
use purse_ledger::{Clock, Ledger, LedgerConfig};
use purse_rails::sanctions::{DEFAULT_THRESHOLD, SanctionsList};
use tokio::net::TcpListener;

use std::sync::Arc;

use purse_ledger::SystemClock;

use crate::flows::people::{Passwords, ServerKey};
use crate::flows::sandbox::{self, SandboxClock};
use crate::flows::{DEFAULT_BANK_SETTLE_S, Settings, checkout, demo, funding, payments, webhooks};
use crate::http::AppState;
use crate::http::listener::{self, Limits};
use crate::http::static_site::StaticSite;
use crate::store::Db;
use crate::store::health::WriteFailure;
use crate::time::Time;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/purse.db";
/// `/metrics`'s own address by default: loopback, the port after the app's default.
pub const DEFAULT_METRICS_ADDRESS: &str = "127.0.0.1:8081";

#[derive(Debug, Parser)]
#[command(name = "purse-server", version, about = "The Purse wallet server.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the web app.
    Serve(Box<ServeArgs>),
    /// Recompute every balance from the transfers and check every invariant; exits 1 on any
    /// violation.
    Audit(DatabaseArgs),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `sqlite:PATH` (created with its folder on first start) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PURSE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The built web app (Trunk's `dist`).
    #[arg(long, env = "PURSE_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,
    /// Load demo data (idempotent) and serve the demo timeline at `/` (the wallet stays at
    /// `/wallet`). Also shortens the grace window to 60 seconds unless `--grace-window-seconds`
    /// says otherwise.
    #[arg(long)]
    pub demo: bool,
    /// The sandbox clock: `POST /sandbox/clock/advance` moves the business clock forward and
    /// runs every job that came due on the way (implied by `--demo`; never in production).
    #[arg(long, env = "PURSE_SANDBOX_CLOCK")]
    pub sandbox_clock: bool,
    /// How long the sender of a first payment to someone can cancel it (default 600).
    #[arg(long, env = "PURSE_GRACE_WINDOW_SECONDS")]
    pub grace_window_seconds: Option<u32>,
    /// Money movements one person may start per minute.
    #[arg(long, env = "PURSE_MONEY_PER_MINUTE", default_value_t = Settings::default().money_per_minute)]
    pub money_per_minute: i64,
    /// The platform's fee on tips in basis points (0–10000; 250 = 2.5%), paid by the creator.
    #[arg(long, env = "PURSE_TIP_FEE_BPS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub tip_fee_bps: u32,
    /// Where Purse is licensed, as state codes separated by commas (`CA,TX,DC`); a person whose
    /// verified address is elsewhere is restricted. Default: every state and DC but New York.
    #[arg(long, env = "PURSE_LICENSED_STATES", value_parser = parse_states)]
    pub licensed_states: Option<StateSet>,
    /// `LARGE_TRANSFER`: one movement of this much or more is held for review (USD).
    #[arg(long, env = "PURSE_MONITOR_LARGE_TRANSFER", value_parser = parse_usd, default_value = "2000.00")]
    pub monitor_large_transfer: i64,
    /// `STRUCTURING`: the movement that makes this many in 24 hours between 90% and 100% of the
    /// large-transfer amount is held.
    #[arg(long, env = "PURSE_MONITOR_STRUCTURING_COUNT", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub monitor_structuring_count: u32,
    /// `VELOCITY_NEW_COUNTERPARTIES`: the payment to this many people paid for the first time
    /// within an hour is held.
    #[arg(long, env = "PURSE_MONITOR_NEW_COUNTERPARTIES", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub monitor_new_counterparties: u32,
    /// `PASS_THROUGH`: withdrawing within 24 hours this percentage or more of at least
    /// `--monitor-pass-through-min` received from others is held.
    #[arg(long, env = "PURSE_MONITOR_PASS_THROUGH_MIN", value_parser = parse_usd, default_value = "1000.00")]
    pub monitor_pass_through_min: i64,
    #[arg(long, env = "PURSE_MONITOR_PASS_THROUGH_PERCENT", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub monitor_pass_through_percent: u32,
    /// From this amount, two different officers must approve a held movement (USD).
    #[arg(long, env = "PURSE_TWO_PERSON_THRESHOLD", value_parser = parse_usd, default_value = "10000.00")]
    pub two_person_threshold: i64,
    /// The annual percentage yield paid on wallet balances, in percent (`4.00`; 0–100 with at
    /// most two decimals). Accrues daily, paid monthly. Default 0 (none); `--demo` 4.00.
    #[arg(long, env = "PURSE_APY", value_parser = parse_apy)]
    pub apy: Option<rust_decimal::Decimal>,
    /// A person (by handle) who is a compliance officer: the `/ops` console and endpoints.
    /// Repeat for each; they must have signed up. The demo's officers are cora and kemal.
    #[arg(long = "officer")]
    pub officers: Vec<String>,
    /// One tier's limit, as `TIER.KIND=AMOUNT` or `TIER.KIND=none` (`1.send=7500.00`,
    /// `0.receive=none`); KIND is send, receive, withdraw or deposit. Repeat for each limit to
    /// change; the rest keep API.md's defaults.
    #[arg(long = "limit", env = "PURSE_LIMITS", value_delimiter = ' ', value_parser = parse_limit)]
    pub limits: Vec<LimitFlag>,
    /// Seconds until the bank settles a standard withdrawal (default: a day; 60 in demo mode).
    #[arg(long, env = "PURSE_BANK_SETTLE_SECONDS")]
    pub bank_settle_seconds: Option<i64>,
    #[command(flatten)]
    pub server_key: ServerKeyArgs,
    /// Seconds a connection has to send a request's head, from its accept or the end of the
    /// previous answer (so also how long a kept-alive connection may sit idle).
    #[arg(long, env = "PURSE_HEADER_TIMEOUT_SECONDS", default_value_t = listener::DEFAULT_HEADER_TIMEOUT_S,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_seconds: u64,
    /// Open connections at most; more are refused.
    #[arg(long, env = "PURSE_MAX_CONNECTIONS", default_value_t = listener::DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Open connections at most from one client address (behind a proxy, every connection is
    /// the proxy's: raise this to `--max-connections`).
    #[arg(long, env = "PURSE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = listener::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Where `/metrics` is served: its own listener, off the app's port (loopback by default, so
    /// only the machine's own scraper reaches it).
    #[arg(long, env = "PURSE_METRICS_ADDR", default_value = DEFAULT_METRICS_ADDRESS)]
    pub metrics_address: SocketAddr,
    /// Purse is behind a reverse proxy: believe its `X-Forwarded-Proto` (HSTS over `https`).
    #[arg(long, env = "PURSE_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// The sanctions list: an OFAC SDN `sdn.csv` (an `alt.csv` beside it is read too). Replacing
    /// the files takes effect within seconds. Default: none (no one matches), or with `--demo`
    /// the fictional list Purse ships.
    #[arg(long, env = "PURSE_SANCTIONS_LIST")]
    pub sanctions_list: Option<PathBuf>,
    /// How alike a name must be to a listed one to be a match, 0 to 1.
    #[arg(long, env = "PURSE_SANCTIONS_THRESHOLD", default_value_t = DEFAULT_THRESHOLD, value_parser = parse_threshold)]
    pub sanctions_threshold: f64,
}

/// Where the server key comes from (see [`ServerKey`]): never the database. Every instance on
/// one database needs the same one. To rotate: the new key in `PURSE_SERVER_KEY` (or the file),
/// the old one in `PURSE_SERVER_KEY_PREVIOUS`.
#[derive(Debug, Args)]
pub struct ServerKeyArgs {
    /// The server key itself (64 hex digits); takes the place of the file.
    #[arg(long = "server-key", env = "PURSE_SERVER_KEY", hide_env_values = true)]
    pub value: Option<String>,
    /// A file holding the server key (64 hex digits), created (mode 0600) with a random one when
    /// missing. Default: `server-key` beside the SQLite database (keep a copy apart from the
    /// database's backups); with PostgreSQL there is no default (every instance needs the same
    /// key).
    #[arg(long = "server-key-file", env = "PURSE_SERVER_KEY_FILE")]
    pub file: Option<PathBuf>,
    /// The server key before the last rotation (64 hex digits), while what it kept moves off it.
    #[arg(long = "server-key-previous", env = "PURSE_SERVER_KEY_PREVIOUS", hide_env_values = true)]
    pub previous: Option<String>,
}

impl ServerKeyArgs {
    /// With PostgreSQL there is no default key: every instance needs the same one, given.
    pub fn check_given(&self, database_url: &str) -> anyhow::Result<()> {
        if self.value.is_none() && self.file.is_none() && database_url.starts_with("postgres") {
            anyhow::bail!(
                "with PostgreSQL, give the server key (--server-key-file or PURSE_SERVER_KEY): every \
                 instance on the database needs the same one"
            );
        }
        Ok(())
    }

    /// The key these arguments name for the database at `database_url`, creating its file
    /// if it is missing.
    pub fn load(&self, database_url: &str) -> anyhow::Result<ServerKey> {
        let parse = |text: &str, from: &str| {
            ServerKey::parse(text).with_context(|| format!("the server key {from} is not 64 hex digits"))
        };
        let current = match &self.value {
            Some(text) => parse(text, "given by --server-key (PURSE_SERVER_KEY)")?,
            None => {
                self.check_given(database_url)?;
                let file = &self.file.clone().unwrap_or_else(|| default_key_file(database_url));
                let text = match std::fs::read_to_string(file) {
                    Ok(text) => text,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        create_key_file(file)?;
                        tracing::warn!(file = %file.display(), "created a new server key file: back it up, apart from the database's backups");
                        std::fs::read_to_string(file)
                            .with_context(|| format!("cannot read the server key file {}", file.display()))?
                    }
                    Err(error) => {
                        return Err(anyhow::Error::new(error)
                            .context(format!("cannot read the server key file {}", file.display())));
                    }
                };
                parse(&text, &format!("in {}", file.display()))?
            }
        };
        let previous = self
            .previous
            .as_deref()
            .map(|text| parse(text, "given by --server-key-previous (PURSE_SERVER_KEY_PREVIOUS)"))
            .transpose()?;
        Ok(ServerKey::new(current, previous))
    }
}

/// `server-key` beside the SQLite database file.
fn default_key_file(database_url: &str) -> PathBuf {
    let sqlite = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    let folder = sqlite
        .map(|path| PathBuf::from(path.split('?').next().unwrap_or(path)))
        .and_then(|path| path.parent().map(PathBuf::from))
        .unwrap_or_default();
    folder.join("server-key")
}

fn create_key_file(file: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(folder) = file.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options
        .open(file)
        .with_context(|| format!("cannot create the server key file {}", file.display()))?;
    writeln!(out, "{}", ServerKey::generate())
        .with_context(|| format!("cannot write the server key file {}", file.display()))
}

/// Parses the command line, runs it, and turns any error into one line and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&anyhow::Error::new(error).context("cannot start the runtime")),
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(*args).await.map(|()| true),
            Command::Audit(args) => audit(&args).await,
        }
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => fail(&error),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    // `{:#}` joins the causes on one line: "cannot listen on …: Address already in use".
    eprintln!("purse-server: error: {error:#}");
    ExitCode::FAILURE
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let result = if std::env::var("PURSE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
    // Already initialised (tests): keep the first.
    drop(result);
}

/// The settings `args` ask for.
pub fn settings(args: &ServeArgs) -> Settings {
    let demo_window = if args.demo { 60 } else { Settings::default().grace_window_s };
    Settings {
        grace_window_s: args.grace_window_seconds.unwrap_or(demo_window),
        money_per_minute: args.money_per_minute,
        tip_fee_bps: args.tip_fee_bps,
        demo: args.demo,
        bank_settle_s: args.bank_settle_seconds.unwrap_or(if args.demo { 60 } else { DEFAULT_BANK_SETTLE_S }),
        trust_proxy: args.trust_proxy,
        apy: args.apy.unwrap_or(if args.demo { DEMO_APY } else { rust_decimal::Decimal::ZERO }),
        limits: limit_table(&args.limits),
        licensed_states: args.licensed_states.unwrap_or_default(),
        monitoring: purse_api::ops::Thresholds {
            large_minor: args.monitor_large_transfer,
            structuring_count: args.monitor_structuring_count,
            new_counterparties: args.monitor_new_counterparties,
            pass_through_min_minor: args.monitor_pass_through_min,
            pass_through_percent: args.monitor_pass_through_percent,
            two_person_minor: args.two_person_threshold,
        },
    }
}

/// The demo's yield: 4.00 %.
const DEMO_APY: rust_decimal::Decimal = rust_decimal::Decimal::from_parts(400, 0, 0, false, 2);

/// `--apy`: a percentage from 0 to 100 with at most two decimals.
fn parse_apy(text: &str) -> Result<rust_decimal::Decimal, String> {
    let apy: rust_decimal::Decimal =
        text.trim().parse().map_err(|_| format!("{text:?} is not a percentage like 4.00"))?;
    if apy.is_sign_negative() || apy > rust_decimal::Decimal::ONE_HUNDRED || apy.scale() > 2 {
        return Err(format!("{text:?}: the APY is a percentage from 0 to 100 with at most two decimals"));
    }
    Ok(apy)
}

/// API.md's limits with the flags' changes.
fn limit_table(flags: &[LimitFlag]) -> LimitTable {
    let mut table = LimitTable::default();
    for flag in flags {
        table.tiers[usize::from(flag.tier)].set(flag.kind, flag.limit_minor);
    }
    table
}

/// One `--limit`: a tier's limit of a kind, in minor units (`None`: no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitFlag {
    pub tier: u8,
    pub kind: LimitKind,
    pub limit_minor: Option<i64>,
}

fn parse_threshold(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|threshold| (0.0..=1.0).contains(threshold))
        .ok_or_else(|| format!("{text} is not a number from 0 to 1, such as 0.90"))
}

/// The fictional sanctions list shipped for the demo and tests.
pub const SHIPPED_SANCTIONS_LIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sanctions/sdn.csv");

/// The sanctions list `args` name (with `--demo` and none named, the shipped one), loaded;
/// `None` when there is none.
pub fn sanctions_list(args: &ServeArgs) -> anyhow::Result<Option<SanctionsList>> {
    let path = match &args.sanctions_list {
        Some(path) => path.clone(),
        None if args.demo => PathBuf::from(SHIPPED_SANCTIONS_LIST),
        None => return Ok(None),
    };
    let list = SanctionsList::open(&path, args.sanctions_threshold)
        .map_err(|error| anyhow::anyhow!("{}", error.0))?;
    tracing::info!(
        path = %path.display(),
        version = %list.list_version(),
        entries = list.len(),
        threshold = list.threshold(),
        "sanctions list loaded"
    );
    Ok(Some(list))
}

fn parse_limit(text: &str) -> Result<LimitFlag, String> {
    let shape = || format!("{text} is not TIER.KIND=AMOUNT, such as 1.send=7500.00 or 0.receive=none");
    let (name, value) = text.split_once('=').ok_or_else(shape)?;
    let (tier, kind) = name.split_once('.').ok_or_else(shape)?;
    let tier =
        tier.parse::<u8>().ok().filter(|t| purse_api::compliance::TIERS.contains(t)).ok_or_else(shape)?;
    let kind = LimitKind::parse(kind).ok_or_else(shape)?;
    let limit_minor = if value == "none" { None } else { Some(parse_usd(value)?) };
    Ok(LimitFlag { tier, kind, limit_minor })
}

fn parse_states(text: &str) -> Result<StateSet, String> {
    StateSet::parse_list(text).map_err(|entry| format!("{entry} is not a US state's code (such as CA or DC)"))
}

/// The connection limits `args` ask for.
pub fn limits(args: &ServeArgs) -> Limits {
    Limits {
        header_timeout: std::time::Duration::from_secs(args.header_timeout_seconds),
        max_connections: args.max_connections,
        max_connections_per_address: args.max_connections_per_address,
    }
}

/// Raises the open-file soft limit to the hard limit (each connection is a file handle; the
/// soft limit is often 1,024), and logs what it is.
fn raise_open_file_limit() {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft).ok();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, before, "open-file limit"),
        Err(error) => tracing::warn!(%error, before, "cannot raise the open-file limit"),
    }
}

/// A SQLite file the server may not write is named before SQLite opens it (which would fail on
/// whatever it wrote first). A file not made yet is SQLite's to make.
fn check_file_writable(url: &str) -> anyhow::Result<()> {
    use std::str::FromStr;
    let Some(options) =
        url.starts_with("sqlite:").then(|| sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()).flatten()
    else {
        return Ok(());
    };
    let path = options.get_filename();
    match std::fs::OpenOptions::new().append(true).open(path) {
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            anyhow::bail!("the database file {} is read-only ({error})", path.display())
        }
        _ => Ok(()),
    }
}

/// A write past the process's file-size limit fails (EFBIG) as one to a full disk does, and
/// health says so, instead of SIGXFSZ killing the server in the middle of a batch (PostgreSQL
/// ignores the signal for the same reason). Catching the signal is enough: nothing waits on it.
fn ignore_file_size_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Err(error) = signal(SignalKind::from_raw(libc::SIGXFSZ)) {
            tracing::warn!(%error, "cannot catch SIGXFSZ");
        }
    }
}

/// A USD amount such as `2500.00`, in minor units.
fn parse_usd(text: &str) -> Result<i64, String> {
    purse_api::Money::parse_written(text, purse_api::Currency::Usd)
        .map(purse_api::Money::to_minor)
        .ok()
        .filter(|minor| *minor >= 0)
        .ok_or_else(|| format!("{text} is not an amount such as 2500.00"))
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let stop = shutdown_signal();
    raise_open_file_limit();
    ignore_file_size_signal();
    let listener =
        TcpListener::bind(args.addr).await.with_context(|| format!("cannot listen on {}", args.addr))?;
    let metrics_listener = TcpListener::bind(args.metrics_address)
        .await
        .with_context(|| format!("cannot listen on {} for metrics", args.metrics_address))?;
    // Before anything touches the database: a sanctions list that cannot be read ends here.
    let sanctions = sanctions_list(&args)?;
    let url = &args.database.database_url;
    // Before anything touches the database: with PostgreSQL the key must be given.
    args.server_key.check_given(url)?;
    check_file_writable(url)?;
    // With `--sandbox-clock` one clock, the system time plus the persisted offset, for the
    // ledger, the flows and every job.
    let sandbox_clock =
        (args.demo || args.sandbox_clock).then(|| Arc::new(SandboxClock::new(Arc::new(SystemClock))));
    let clock: Arc<dyn Clock> = match &sandbox_clock {
        Some(sandbox_clock) => sandbox_clock.clone(),
        None => Arc::new(SystemClock),
    };
    let ledger = Ledger::open_with(url, LedgerConfig { clock: clock.clone(), ..LedgerConfig::default() })
        .await
        .context("cannot open the ledger")?;
    let db = Db::open(url).await.context("cannot open the server's tables")?;
    // A database that takes no writes is named as such here, not by the first write that fails.
    db.probe_write(Time::now(&SystemClock)).await.map_err(|error| {
        anyhow::anyhow!(
            "cannot write to the database: {} ({})",
            WriteFailure::of(&error).reason(),
            error.message()
        )
    })?;
    let site = StaticSite::load(&args.static_dir);
    let passwords = Passwords::production(args.server_key.load(url)?);
    if let Some(sandbox_clock) = &sandbox_clock {
        sandbox_clock.load(&db).await.context("cannot read the sandbox clock")?;
    }
    let mut state = AppState::new(ledger.clone(), db.clone(), site, clock, passwords)
        .await
        .context("cannot read the server's secrets")?
        .with_settings(settings(&args));
    if let Some(sandbox_clock) = sandbox_clock {
        state = state.with_sandbox_clock(sandbox_clock);
    }
    if let Some(sanctions) = sanctions {
        state = state.with_screening(Arc::new(sanctions));
    }
    if args.demo {
        demo::seed(&state).await.map_err(|e| anyhow::anyhow!("cannot load the demo data: {e}"))?;
    }
    for handle in &args.officers {
        if !crate::flows::cases::grant_officer(&state, handle).await? {
            anyhow::bail!("--officer {handle}: nobody has that handle (sign them up first)");
        }
        tracing::info!(handle, "a compliance officer");
    }
    let addr = listener.local_addr().context("cannot read the listening address")?;
    let metrics_addr = metrics_listener.local_addr().context("cannot read the metrics address")?;
    eprintln!("Metrics: http://{metrics_addr}/metrics");
    tracing::info!(%addr, database = ledger.backend(), demo = args.demo, "Purse is listening");
    eprintln!("Purse is running at http://{addr}/ (database: {}). Stop it with Ctrl-C.", ledger.backend());
    // The demo shop reaches Purse (and Purse its webhooks) at this address: loopback when
    // listening on every interface, since 0.0.0.0 is not somewhere to send a browser.
    let local = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], addr.port())),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    };
    if args.demo {
        eprintln!("{}", demo::sign_in_help(&format!("http://{addr}/")));
        eprintln!("Demo shop: http://{local}/demo/shop");
    }

    // Grace windows that ended while the server was down complete now, then every second.
    let jobs = payments::spawn_jobs(&state);
    // Checkouts whose 30 minutes ran out expire, cut-off confirmations and refunds finish;
    // webhooks owed (also from before a restart) are delivered.
    let checkout_jobs = checkout::spawn_jobs(&state);
    let webhooks = webhooks::spawn_worker(&state);
    let funding_jobs = funding::spawn_jobs(&state);
    // Decided cases whose money has not moved yet move it; cases of movements that failed close.
    let case_jobs = crate::flows::cases::spawn_jobs(&state);
    // Interest: days that ended (also while the server was down) accrue, months that ended pay.
    let interest_jobs = crate::flows::interest::spawn_jobs(&state);
    let sandbox_refresh = sandbox::spawn_refresh(&state);
    let mut app = crate::http::app(state.clone());
    if args.demo {
        // A separate router with its own state and headers: it uses Purse over HTTP, as a
        // merchant's own server would.
        app = app.merge(purse_demo_shop::router(purse_demo_shop::ShopConfig {
            purse_url: format!("http://{local}"),
            merchant_handle: "souq_books".to_string(),
            merchant_password: demo::PASSWORD.to_string(),
        }));
    }
    let (stopped, stopping_metrics) = tokio::sync::watch::channel(false);
    let metrics = tokio::spawn(listener::serve(
        metrics_listener,
        crate::http::metrics_app(state.clone()),
        limits(&args),
        async move { drop(stopping_metrics.clone().wait_for(|stopped| *stopped).await) },
    ));
    let stopping = state.clone();
    let stop = async move {
        stop.await;
        // Live event streams end, so the graceful stop does not wait on them forever.
        stopping.begin_stopping();
        stopped.send_replace(true);
    };
    listener::serve(listener, app, limits(&args), stop).await;
    drop(metrics.await);
    // In-flight requests are done; the jobs stop (they were told with the streams); now commit
    // whatever the ledger writer still holds.
    drop(jobs.await);
    drop(checkout_jobs.await);
    drop(funding_jobs.await);
    drop(case_jobs.await);
    drop(interest_jobs.await);
    if let Some(refresh) = sandbox_refresh {
        drop(refresh.await);
    }
    drop(webhooks.await);
    tracing::info!("stopping: flushing the ledger");
    ledger.shutdown().await;
    db.close().await;
    Ok(())
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are registered when this is
/// called, not when the future is first polled, so a signal that arrives during start-up is
/// not lost to the default action (which would kill the process without flushing).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = signals;
            let interrupted = async {
                match interrupt.as_mut() {
                    Some(signal) => drop(signal.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            let terminated = async {
                match terminate.as_mut() {
                    Some(signal) => drop(signal.recv().await),
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = interrupted => {},
                () = terminated => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested");
    }
}

/// Prints the audit; `Ok(false)` when it found violations. The report is this command's
/// output, so it goes to stdout.
#[allow(clippy::print_stdout)]
pub async fn audit(args: &DatabaseArgs) -> anyhow::Result<bool> {
    // Read-only: an audit moves nothing, creates nothing, and does not void expired holds.
    let ledger = Ledger::open_read_only(&args.database_url).await.context("cannot open the ledger")?;
    let report = ledger.audit().await.context("the audit could not run")?;
    ledger.shutdown().await;
    let summary = format!(
        "{} accounts, {} transfers, {} open pending, {} recorded refusals",
        report.accounts, report.transfers, report.open_pendings, report.recorded_rejections
    );
    if report.is_clean() {
        println!("audit: clean ({summary})");
        for (currency, totals) in &report.totals {
            println!(
                "  {currency}: debits = credits = {} posted, {} pending (minor units)",
                totals.debits_posted, totals.debits_pending
            );
        }
    } else {
        println!("audit: {} violation(s) ({summary})", report.violations.len());
        for violation in &report.violations {
            println!("  {violation}");
        }
    }
    let chain_intact = audit_chain(&args.database_url).await?;
    Ok(report.is_clean() && chain_intact)
}

/// Checks the compliance audit log's hash chain (read-only, as the ledger's audit) and prints
/// what it found; `Ok(false)` when the chain is broken.
#[allow(clippy::print_stdout)]
async fn audit_chain(database_url: &str) -> anyhow::Result<bool> {
    let db = Db::open_read_only(database_url).await.context("cannot open the server's tables")?;
    let result = check_chain(&db).await;
    db.close().await;
    let (intact, said) = result?;
    println!("audit log: {said}");
    Ok(intact)
}

/// Whether the chain holds, and what to say about it.
async fn check_chain(db: &Db) -> anyhow::Result<(bool, String)> {
    match db.audit_log_exists().await.context("cannot read the server's tables")? {
        (true, _) => {}
        // Migrated, yet no table: it was dropped.
        (false, true) => return Ok((false, "missing (the audit_log table was dropped)".into())),
        (false, false) => return Ok((true, "none yet (the server has not created it)".into())),
    }
    let report = crate::flows::audit::verify(db).await.context("cannot read the audit log")?;
    Ok(match &report.broken {
        None => (true, format!("verified ({} entries)", report.entries)),
        Some(broken) => (false, broken.to_string()),
    })
}
