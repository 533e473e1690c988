//! The `purse-server` binary: one-line errors for bad start-up input, a graceful stop on
//! SIGTERM that leaves a ledger the auditor passes, and `audit` exiting non-zero on damage.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_purse-server");

fn run(args: &[&str]) -> Output {
    Command::new(BINARY)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("PURSE_ADDR")
        .env("PURSE_METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

/// A server key, for starts that must get past it.
const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Asserts a start-up failure: non-zero exit, one line on stderr mentioning `expected`.
fn check_fails(args: &[&str], expected: &str) {
    let output = run(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} should fail; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line expected, got:\n{stderr}");
    assert!(lines[0].starts_with("purse-server: error: "), "{args:?}: {stderr}");
    assert!(lines[0].contains(expected), "{args:?}: expected {expected:?} in {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[test]
fn bad_start_up_input_gets_one_line_and_a_failing_exit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let free_db = format!("sqlite://{}/ok.db", dir.path().display());
    let under_file = format!("sqlite://{}/data/purse.db", file.display());

    check_fails(
        &["serve", "--database-url", "mysql://root@localhost/purse", "--addr", "127.0.0.1:0"],
        "unsupported database URL",
    );
    check_fails(
        &[
            "serve",
            "--database-url",
            "postgres://nobody:hunter2@127.0.0.1:1/purse",
            "--addr",
            "127.0.0.1:0",
            "--server-key",
            KEY,
        ],
        "cannot connect",
    );
    check_fails(&["serve", "--database-url", &free_db, "--addr", &taken_addr], "cannot listen on");
    check_fails(&["serve", "--database-url", &under_file, "--addr", "127.0.0.1:0"], "cannot create folder");
    check_fails(
        &["serve", "--database-url", "sqlite:///proc/purse/purse.db", "--addr", "127.0.0.1:0"],
        "cannot create folder",
    );
    // A folder that exists but takes no new files, even for root: sysfs.
    check_fails(
        &["serve", "--database-url", "sqlite:///sys/purse.db", "--addr", "127.0.0.1:0"],
        "cannot open /sys/purse.db",
    );
    check_fails(
        &["serve", "--database-url", &free_db, "--addr", "127.0.0.1:0", "--server-key", "not hex"],
        "the server key given by --server-key (PURSE_SERVER_KEY) is not 64 hex digits",
    );
    check_fails(
        &[
            "serve",
            "--database-url",
            &free_db,
            "--addr",
            "127.0.0.1:0",
            "--server-key-file",
            &file.display().to_string(),
        ],
        "is not 64 hex digits",
    );
    let no_list = dir.path().join("lists/sdn.csv").display().to_string();
    check_fails(
        &["serve", "--database-url", &free_db, "--addr", "127.0.0.1:0", "--sanctions-list", &no_list],
        &format!("cannot read the sanctions list {no_list}"),
    );
    check_fails(&["audit", "--database-url", "postgres://[::1"], "invalid PostgreSQL URL");
    // An audit opens read-only: a ledger that is not there is an error, not a new empty one.
    let absent = dir.path().join("absent/purse.db");
    check_fails(&["audit", "--database-url", &format!("sqlite://{}", absent.display())], "cannot open");
    assert!(!absent.parent().map(std::path::Path::exists).unwrap_or(true), "the audit created nothing");
    // The password never reaches the terminal.
    let output = run(&[
        "serve",
        "--database-url",
        "postgres://nobody:hunter2@127.0.0.1:1/purse",
        "--addr",
        "127.0.0.1:0",
        "--server-key",
        KEY,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot connect") && !stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains(KEY), "nor does the server key: {stderr}");
    drop(taken);
}

pub(crate) struct Server {
    child: Child,
    pub(crate) addr: String,
    /// Where `/metrics` is served, if the server said.
    metrics_addr: Option<String>,
    /// Reads the log until the server closes it.
    reader: Option<std::thread::JoinHandle<()>>,
}

/// A test that fails leaves no server behind.
impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

impl Server {
    fn start(database_url: &str, static_dir: &str) -> Server {
        Server::start_logging(database_url, static_dir, "warn", None)
    }

    /// Starts the server logging at `level`, every line of its log kept in `log` if given.
    pub(crate) fn start_logging(
        database_url: &str,
        static_dir: &str,
        level: &str,
        log: Option<std::sync::Arc<std::sync::Mutex<String>>>,
    ) -> Server {
        Server::start_with(database_url, static_dir, level, log, &[])
    }

    /// Starts the server with settings given as environment variables (`PURSE_…`).
    fn start_with(
        database_url: &str,
        static_dir: &str,
        level: &str,
        log: Option<std::sync::Arc<std::sync::Mutex<String>>>,
        settings: &[(&str, &str)],
    ) -> Server {
        let mut child = Command::new(BINARY)
            .args([
                "serve",
                "--demo",
                "--addr",
                "127.0.0.1:0",
                "--database-url",
                database_url,
                "--static-dir",
                static_dir,
            ])
            // Metrics on a free port of their own, so servers of tests running at once do not
            // compete for the default one.
            .env("PURSE_METRICS_ADDR", "127.0.0.1:0")
            .envs(settings.iter().copied())
            .env("RUST_LOG", level)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut metrics_addr = None;
        let addr = loop {
            assert!(Instant::now() < deadline, "the server did not start");
            let line = lines.next().expect("the server exited early").unwrap();
            if let Some(log) = &log {
                log.lock().unwrap().push_str(&line);
            }
            if let Some(rest) = line.strip_prefix("Metrics: http://") {
                metrics_addr = rest.split('/').next().map(str::to_string);
            }
            if let Some(rest) = line.strip_prefix("Purse is running at http://") {
                break rest.split('/').next().unwrap().to_string();
            }
        };
        let reader = std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(log) = &log {
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        Server { child, addr, metrics_addr, reader: Some(reader) }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.request(&format!("GET {path} HTTP/1.1\r\n"), "");
        (status, body)
    }

    /// `GET path` from the metrics listener.
    fn get_metrics(&self, path: &str) -> (u16, String) {
        let addr = self.metrics_addr.clone().expect("the server says where its metrics are");
        let (status, _, body) = request_to(&addr, &format!("GET {path} HTTP/1.1\r\n"), "");
        (status, body)
    }

    /// `POST path` with a form: the status and the response's head (its headers).
    fn post_form(&self, path: &str, form: &str) -> (u16, String) {
        let head = format!(
            "POST {path} HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        );
        let (status, head, _) = self.request(&head, form);
        (status, head)
    }

    /// Sends `head` (request line and headers) and `body` over a new connection: the status,
    /// the response's head and its body.
    fn request(&self, head: &str, body: &str) -> (u16, String, String) {
        request_to(&self.addr, head, body)
    }

    pub(crate) fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Every line it wrote is read once it has exited.
                if let Some(reader) = self.reader.take() {
                    reader.join().unwrap();
                }
                return status;
            }
            assert!(Instant::now() < deadline, "no graceful stop within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Sends `head` (request line and headers) and `body` to `addr` over a new connection: the
/// status, the response's head and its body.
fn request_to(addr: &str, head: &str, body: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "{head}Host: {addr}\r\nConnection: close\r\n\r\n{body}").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (status, head.to_string(), body.to_string())
}

/// Hardening finding 12: `/metrics` answered on the app's port, to anyone. It has a listener of
/// its own (`--metrics-address`, loopback by default).
#[test]
fn metrics_are_served_on_their_own_listener_and_not_on_the_app_port() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let server = Server::start(&url, &dir.path().join("dist").display().to_string());
    assert_eq!(server.get("/api/v1/healthz").0, 200);
    let (status, body) = server.get_metrics("/metrics");
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(r#"purse_http_requests_total{method="GET",route="/api/v1/healthz",status="200"} 1"#),
        "{body}"
    );
    let (status, body) = server.get("/metrics");
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains("purse_http_requests_total"), "{body}");
    assert!(server.terminate().success());
}

#[test]
fn serve_answers_stops_cleanly_on_sigterm_and_leaves_an_audited_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let missing_dist = dir.path().join("dist").display().to_string();
    let server = Server::start(&url, &missing_dist);
    let (status, body) = server.get("/api/v1/healthz");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""database":"sqlite""#), "{body}");
    // The server key (the PIN pepper's source) is kept beside the database, never in it, readable by its owner only.
    let pepper = dir.path().join("data/server-key");
    let text = std::fs::read_to_string(&pepper).unwrap();
    assert_eq!(text.trim().len(), 64, "{text}");
    assert!(text.trim().chars().all(|c| c.is_ascii_hexdigit()), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&pepper).unwrap().permissions().mode() & 0o777, 0o600);
    }
    for page in ["/", "/wallet"] {
        let (status, body) = server.get(page);
        assert_eq!(status, 503, "{page}: the web app is not built, so neither is the demo timeline: {body}");
    }
    // The demo shop runs beside Purse and uses it over HTTP as a merchant's server would: an
    // order becomes a checkout session, and the buyer is sent to its hosted page.
    let (status, shop) = server.get("/demo/shop");
    assert_eq!(status, 200, "{shop}");
    let product = shop.split("name=\"product\" value=\"").nth(1).and_then(|rest| rest.split('"').next());
    let product = product.expect("the shop lists a book");
    let (status, head) = server.post_form("/demo/shop/orders", &format!("product={product}"));
    assert_eq!(status, 303, "{head}");
    let location = head.lines().find_map(|line| line.strip_prefix("location: ")).unwrap_or_default();
    assert!(location.contains("/checkout/cs_"), "to the hosted checkout page: {head}");
    let exit = server.terminate();
    assert!(exit.success(), "graceful stop exits 0, got {exit:?}");

    // Start again: the demo data is there once, not twice.
    let server = Server::start(&url, &missing_dist);
    assert!(server.terminate().success());
    // Another server key would find every PIN and webhook secret unreadable: refused at start.
    let other_key = "ab".repeat(32);
    check_fails(
        &["serve", "--database-url", &url, "--addr", "127.0.0.1:0", "--server-key", &other_key],
        "the server key is not the one this database was used with",
    );
    // With PostgreSQL there is no default key: every instance needs the same one.
    if let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) {
        check_fails(
            &["serve", "--database-url", &base, "--addr", "127.0.0.1:0"],
            "with PostgreSQL, give the server key",
        );
    }
    let output = run(&["audit", "--database-url", &url]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    // The platform's fee, card and bank clearing and interest-expense accounts, the demo's
    // funding account and eight wallets (the two officers' too); three funding transfers
    // (alice, bob, nadia).
    assert!(stdout.starts_with("audit: clean (13 accounts, 3 transfers"), "{stdout}");
}

#[test]
fn audit_fails_on_a_tampered_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purse.db");
    let url = format!("sqlite://{}", path.display());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let ledger = purse_ledger::Ledger::open(&url).await.unwrap();
        let db = purse_server::store::Db::open(&url).await.unwrap();
        let site = purse_server::http::static_site::StaticSite::load(dir.path());
        let clock = std::sync::Arc::new(purse_ledger::SystemClock);
        let passwords = purse_server::flows::people::Passwords::for_tests();
        let state = purse_server::AppState::new(ledger.clone(), db, site, clock, passwords).await.unwrap();
        purse_server::flows::demo::seed(&state).await.unwrap();
        ledger.shutdown().await;
        use sqlx::Connection;
        let mut connection = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE accounts SET credits_posted = credits_posted + 100 WHERE id = 1000000001")
            .execute(&mut connection)
            .await
            .unwrap();
    });
    let output = run(&["audit", "--database-url", &url]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("audit: "), "{stdout}");
    assert!(stdout.contains("violation"), "{stdout}");
    assert!(stdout.contains("account 1000000001"), "{stdout}");
}

/// Every file under `dir`, read whole.
pub(crate) fn bytes_under(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(bytes_under(&path));
        } else {
            files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_number_never_reaches_the_database_or_the_logs() {
    const NUMBER: &str = "4242424242424242";
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let missing_dist = dir.path().join("dist").display().to_string();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    // Everything the server logs, at the most detailed level.
    let server = tokio::task::block_in_place(|| {
        Server::start_logging(&url, &missing_dist, "trace", Some(log.clone()))
    });
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"handle": "alice", "password": "purse-demo-pass"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();

    // A typo, the number as a JSON number, an expired card, then the card itself.
    for body in [
        serde_json::json!({"number": "4242424242424241", "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
        serde_json::json!({"number": 4_242_424_242_424_242u64, "exp_month": 12, "exp_year": 2030, "cvc": "123"}),
        serde_json::json!({"number": NUMBER, "exp_month": 12, "exp_year": 2020, "cvc": "123"}),
        serde_json::json!({"number": NUMBER, "exp_month": "x", "exp_year": 2030, "cvc": "123"}),
    ] {
        let refused =
            http.post(format!("{base}/sandbox/card-network/tokens")).json(&body).send().await.unwrap();
        assert!(refused.status().is_client_error());
        assert!(!refused.text().await.unwrap().contains("424242424242"));
    }
    let token: serde_json::Value = http
        .post(format!("{base}/sandbox/card-network/tokens"))
        .json(&serde_json::json!({"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let card: serde_json::Value = http
        .post(format!("{base}/api/v1/cards"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"token": token["token"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in ["dep-1", "dep-2", "dep-1"] {
        let deposit = http
            .post(format!("{base}/api/v1/deposits"))
            .header("cookie", &cookie)
            .header("idempotency-key", key)
            .json(&serde_json::json!({"card_id": card["card"]["id"], "amount": "25.00", "currency": "USD"}))
            .send()
            .await
            .unwrap();
        assert_eq!(deposit.status(), 201);
    }
    let wallet: serde_json::Value = http
        .get(format!("{base}/api/v1/wallet"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wallet["balances"][0]["available"], "550.00", "500.00 of demo money and two deposits");
    assert!(tokio::task::block_in_place(|| server.terminate()).success());

    let log = log.lock().unwrap().clone();
    // The log was captured: it has the requests (and the SQL sqlx ran) in it.
    assert!(log.contains("/sandbox/card-network/tokens") && log.contains("/api/v1/deposits"), "{log}");
    assert!(log.contains("INSERT INTO sandbox_card_tokens"), "trace shows the statements");
    for digits in [NUMBER, "4242 4242 4242 4242", "424242424242"] {
        assert!(!log.contains(digits), "the log holds {digits}");
    }
    let files = bytes_under(dir.path());
    assert!(files.iter().any(|(name, _)| name.ends_with("purse.db")));
    for (name, bytes) in files {
        assert!(!bytes.windows(12).any(|window| window == b"424242424242"), "{name} holds the number");
    }
}

/// A connection to `server` from `local` (any address on the loopback network, so a test can be
/// several clients).
async fn connect_from(server: &str, local: &str) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    socket.connect(server.parse().unwrap()).await.unwrap()
}

/// What `stream` says before it closes, or `None` if it is still open after `wait`. A reset
/// counts as closed.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, wait: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut said = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut said)).await {
        Ok(_) => Some(String::from_utf8_lossy(&said).into_owned()),
        Err(_) => None,
    }
}

/// `GET /api/v1/healthz` over a new connection from `local`: its status line.
async fn health_from(server: &str, local: &str) -> String {
    use tokio::io::AsyncWriteExt;
    let mut stream = connect_from(server, local).await;
    let request = format!("GET /api/v1/healthz HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, Duration::from_secs(10)).await.expect("healthz answers");
    answer.lines().next().unwrap_or_default().to_string()
}

/// Hardening finding 1: connections that sent half a request line, or nothing, were never
/// closed and nothing limited them, until file handles ran out and health checks failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed_and_capped_while_health_answers() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let missing_dist = dir.path().join("dist").display().to_string();
    let settings = [("PURSE_HEADER_TIMEOUT_SECONDS", "1"), ("PURSE_MAX_CONNECTIONS_PER_ADDRESS", "40")];
    let server =
        tokio::task::block_in_place(|| Server::start_with(&url, &missing_dist, "error", None, &settings));
    let addr = server.addr.clone();

    // 40 connections from one address, every other one stopping halfway through its request
    // line; then 10 more from the same address, beyond its cap.
    let opened = std::time::Instant::now();
    let mut held = Vec::new();
    for n in 0..40 {
        let mut stream = connect_from(&addr, "127.0.0.1").await;
        if n % 2 == 1 {
            stream.write_all(b"GET /api/v1/hea").await.unwrap();
        }
        held.push(stream);
    }
    let mut beyond = Vec::new();
    for _ in 0..10 {
        beyond.push(connect_from(&addr, "127.0.0.1").await);
    }
    // Another client is served meanwhile.
    assert_eq!(health_from(&addr, "127.0.0.2").await, "HTTP/1.1 200 OK");
    for (n, stream) in beyond.iter_mut().enumerate() {
        let said = read_until_closed(stream, Duration::from_secs(5)).await;
        let said = said.unwrap_or_else(|| panic!("connection {n} beyond the cap is still open after 5 s"));
        assert!(said.starts_with("HTTP/1.1 503"), "beyond the cap: {said:?}");
    }
    // Every held connection is closed once the 1 s header timeout passes, without an answer.
    for (n, stream) in held.iter_mut().enumerate() {
        let left = Duration::from_secs(6).saturating_sub(opened.elapsed());
        let said = read_until_closed(stream, left).await;
        let said = said.unwrap_or_else(|| panic!("held connection {n} is still open 6 s after it opened"));
        assert!(!said.starts_with("HTTP/1.1 503"), "connection {n} was within the cap: {said:?}");
    }
    // A kept-alive connection that goes quiet after an answer is closed too.
    let mut kept = connect_from(&addr, "127.0.0.1").await;
    let request = format!("GET /api/v1/healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    kept.write_all(request.as_bytes()).await.unwrap();
    let said = read_until_closed(&mut kept, Duration::from_secs(6)).await;
    let said = said.expect("an idle kept-alive connection is closed within the header timeout");
    assert!(said.starts_with("HTTP/1.1 200"), "{said:?}");
    // The places came back: the first address is served again.
    assert_eq!(health_from(&addr, "127.0.0.1").await, "HTTP/1.1 200 OK");
    assert!(tokio::task::block_in_place(|| server.terminate()).success());
}
/// `GET /api/v1/healthz` until `done` says yes to its status and body, for at most `wait`.
async fn health_until(server: &str, wait: Duration, done: impl Fn(&str, &str) -> bool) -> Option<String> {
    use tokio::io::AsyncWriteExt;
    let deadline = Instant::now() + wait;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(server).await {
            let request =
                format!("GET /api/v1/healthz HTTP/1.1\r\nHost: {server}\r\nConnection: close\r\n\r\n");
            if stream.write_all(request.as_bytes()).await.is_ok()
                && let Some(answer) = read_until_closed(&mut stream, Duration::from_secs(5)).await
            {
                let status = answer.lines().next().unwrap_or_default().to_string();
                let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body).to_string();
                if done(&status, &body) {
                    return Some(body);
                }
                last = answer;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("healthz never said so within {wait:?}; last answer: {last}")
}

/// Hardening finding 21: `/api/v1/healthz` answered 200 while every SQLite write failed. The
/// fault is real: the running server's file-size limit drops to 0 bytes, so every write to a
/// file fails in the kernel (EFBIG) as it would on a full disk, while reads still work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_unavailable_while_database_writes_fail() {
    use rlimit::Resource;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/data/purse.db", dir.path().display());
    let missing_dist = dir.path().join("dist").display().to_string();
    let server = tokio::task::block_in_place(|| Server::start_with(&url, &missing_dist, "off", None, &[]));
    let addr = server.addr.clone();
    health_until(&addr, Duration::from_secs(5), |status, _| status == "HTTP/1.1 200 OK").await;

    let pid = i32::try_from(server.child.id()).unwrap();
    let (_, hard) = rlimit::getrlimit(Resource::FSIZE).unwrap();
    rlimit::prlimit(pid, Resource::FSIZE, Some((0, hard)), None).unwrap();
    let body =
        health_until(&addr, Duration::from_secs(5), |status, _| status.starts_with("HTTP/1.1 503")).await;
    let body = json_of(&body.unwrap_or_default());
    assert_eq!(body["error"]["code"], "service_unavailable", "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("cannot write"), "the reason: {message}");

    // Writes work again: so does health, within a probe or two.
    rlimit::prlimit(pid, Resource::FSIZE, Some((hard, hard)), None).unwrap();
    health_until(&addr, Duration::from_secs(5), |status, _| status == "HTTP/1.1 200 OK").await;
    assert!(tokio::task::block_in_place(|| server.terminate()).success());
}

fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Hardening finding 21: a database the server may only read made start-up say "cannot read
/// the server's secrets"; it names what failed.
#[test]
fn a_read_only_database_is_named_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purse.db");
    let url = format!("sqlite://{}", path.display());
    let missing_dist = dir.path().join("dist").display().to_string();
    // A database made by a first start.
    let server = Server::start(&url, &missing_dist);
    assert!(server.terminate().success());

    let read_only = format!("{url}?mode=ro");
    check_fails(&["serve", "--database-url", &read_only, "--addr", "127.0.0.1:0"], "is read-only");

    // The file itself without write permission, unless we are root (whom permissions do not
    // stop: SQLite would write it).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    if std::fs::OpenOptions::new().append(true).open(&path).is_ok() {
        eprintln!("skipped the file-permission case: this test runs as root");
        return;
    }
    check_fails(&["serve", "--database-url", &url, "--addr", "127.0.0.1:0"], "is read-only");
}
