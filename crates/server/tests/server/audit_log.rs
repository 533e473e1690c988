//! The compliance audit log (issue 21): appenders at once (tasks, and on PostgreSQL two
//! instances) make one unbroken chain; a known entry's hash is the SHA-256 the contract
//! describes; the database refuses UPDATE and DELETE; an edited row makes `purse-server audit`
//! fail and name it; a guarded decision that changed nothing records nothing.

use std::process::{Command, Output};

use purse_server::flows::audit::{self, NewEntry};
use purse_server::store::{Db, Statement, Value};
use sha2::{Digest, Sha256};

use crate::support::{START, TestApp, TestDb};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn entry(app: &TestApp, actor: &str, action: &str, subject: &str, note: &str) -> NewEntry {
    NewEntry {
        at: app.state.now(),
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        note: note.into(),
    }
}

/// Runs `sql` straight on the database, as someone with its password would: how many rows it
/// changed, or the database's refusal.
async fn raw(db: &Db, sql: &str) -> Result<u64, String> {
    let result = match db {
        Db::Sqlite(pool, _) => sqlx::query(sql).execute(pool).await.map(|done| done.rows_affected()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|done| done.rows_affected()),
    };
    result.map_err(|error| error.to_string())
}

/// Every entry's `seq`, in order.
async fn seqs(db: &Db) -> Vec<i64> {
    db.audit_in_order(0, 100_000).await.unwrap().iter().map(|row| row.seq).collect()
}

/// `purse-server audit` on `url`.
fn audit_binary(url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_purse-server"))
        .args(["audit", "--database-url", url])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

/// Appends from `tasks` tasks at once on `app`, each `per_task` records of two entries.
fn append_at_once(
    app: &TestApp,
    tasks: usize,
    per_task: usize,
    tag: &str,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..tasks)
        .map(|task| {
            let state = app.state.clone();
            let entries = |n: usize| {
                let subject = format!("case:{tag}-{task}-{n}");
                vec![
                    entry(app, "system", "case.opened", &subject, "LARGE_TRANSFER"),
                    entry(app, "cora", "case.approval", &subject, &format!("checked {n}")),
                ]
            };
            let records: Vec<Vec<NewEntry>> = (0..per_task).map(entries).collect();
            tokio::spawn(async move {
                for entries in records {
                    let (applied, written) = audit::record(&state, entries, Vec::new()).await.unwrap();
                    assert!(applied);
                    assert_eq!(written.len(), 2);
                    assert_eq!(
                        written[1].prev_hash, written[0].hash,
                        "a record's entries are linked in order"
                    );
                    assert_eq!(written[1].seq, written[0].seq + 1);
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_from_many_tasks_at_once_make_one_unbroken_chain() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        for task in append_at_once(&app, 16, 5, "a") {
            task.await.unwrap();
        }
        let report = audit::verify(&app.state.db).await.unwrap();
        assert_eq!(report.broken, None, "{}", db.backend);
        assert_eq!(report.entries, 160, "{}", db.backend);
        assert_eq!(
            seqs(&app.state.db).await,
            (1..=160).collect::<Vec<i64>>(),
            "{}: no gap, no twice",
            db.backend
        );
        let head = app.state.db.audit_head().await.unwrap().unwrap();
        assert_eq!(head.seq, 160);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_two_instances_appending_at_once_make_one_unbroken_chain() {
    let Some(base) = std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres")) else {
        eprintln!(
            "skipped: on_postgresql_two_instances_appending_at_once_make_one_unbroken_chain needs \
             DATABASE_URL=postgres://…"
        );
        return;
    };
    let db = TestDb::postgres(&base).await;
    let first = TestApp::new(&db, db.dir.path()).await;
    let second = TestApp::with_clock(&db, db.dir.path(), first.clock.clone()).await;
    let mut tasks = append_at_once(&first, 8, 6, "first");
    tasks.extend(append_at_once(&second, 8, 6, "second"));
    for task in tasks {
        task.await.unwrap();
    }
    for instance in [&first, &second] {
        let report = audit::verify(&instance.state.db).await.unwrap();
        assert_eq!((report.broken, report.entries), (None, 192));
    }
    assert_eq!(seqs(&first.state.db).await, (1..=192).collect::<Vec<i64>>());
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_entrys_hash_is_the_sha256_of_the_previous_hash_and_its_canonical_json() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let note = "تجميد احترازي \"hold\"";
        let (applied, written) = audit::record(
            &app.state,
            vec![entry(&app, "cora", "person.frozen", "person:@alice", note)],
            vec![],
        )
        .await
        .unwrap();
        assert!(applied);
        assert_eq!(START, 1_800_000_000_000_000_000, "the literal below is this instant");
        // Written by hand: keys sorted, no whitespace, the Arabic as itself, the quotes escaped.
        let canonical = format!(
            "{{\"action\":\"person.frozen\",\"actor\":\"cora\",\"at\":\"2027-01-15T08:00:00Z\",\
             \"note\":\"تجميد احترازي \\\"hold\\\"\",\"prev_hash\":\"{GENESIS}\",\"seq\":1,\
             \"subject\":\"person:@alice\"}}"
        );
        let expected: String = Sha256::digest(format!("{GENESIS}{canonical}").as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let first = &written[0];
        assert_eq!(
            (first.seq, first.at.as_str(), first.prev_hash.as_str()),
            (1, "2027-01-15T08:00:00Z", GENESIS)
        );
        assert_eq!(first.hash, expected, "{}", db.backend);
        assert_eq!(audit::entry_hash(GENESIS, first), expected);
        // As stored and as the page lists it.
        let page = audit::page(&app.state, 20, i64::MAX).await.unwrap();
        assert_eq!(page.items, written, "{}", db.backend);
        assert!(page.chain.verified);

        // The next entry links to it.
        let (_, next) = audit::record(
            &app.state,
            vec![entry(&app, "kemal", "person.unfrozen", "person:@alice", "")],
            vec![],
        )
        .await
        .unwrap();
        assert_eq!((next[0].seq, next[0].prev_hash.as_str()), (2, expected.as_str()));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_lists_the_newest_first_with_a_cursor_and_the_chain_checked() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let entries: Vec<NewEntry> =
            (1..=5).map(|n| entry(&app, "cora", "case.rejected", &format!("case:cs_{n}"), "no")).collect();
        audit::record(&app.state, entries, vec![]).await.unwrap();
        let first = audit::page(&app.state, 2, i64::MAX).await.unwrap();
        assert_eq!(first.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 4]);
        assert_eq!((first.chain.verified, first.chain.entries, first.chain.first_broken), (true, 5, None));
        let cursor = first.next_cursor.expect("more follow");
        let before = app.state.ids.read_cursor(&cursor).expect("a cursor this server reads");
        let second = audit::page(&app.state, 2, before).await.unwrap();
        assert_eq!(second.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 2]);
        let before = app.state.ids.read_cursor(&second.next_cursor.unwrap()).unwrap();
        let last = audit::page(&app.state, 2, before).await.unwrap();
        assert_eq!(last.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [1]);
        assert_eq!(last.next_cursor, None);
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_refuses_to_update_or_delete_an_entry() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        audit::record(&app.state, vec![entry(&app, "cora", "person.frozen", "person:@bob", "x")], vec![])
            .await
            .unwrap();
        let mut refused = vec![
            "UPDATE audit_log SET note = 'nothing happened' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            // Even one that matches nothing.
            "DELETE FROM audit_log WHERE seq = 99",
        ];
        if db.backend == "postgres" {
            refused.push("TRUNCATE audit_log");
        }
        for sql in refused {
            match raw(&app.state.db, sql).await {
                Err(error) => {
                    assert!(error.contains("the audit log is append-only"), "{}: {sql}: {error}", db.backend)
                }
                Ok(changed) => {
                    assert_eq!(changed, 0, "{}: {sql} changed a row", db.backend);
                    assert!(
                        db.backend == "sqlite" && sql.contains("99"),
                        "{}: {sql} was allowed",
                        db.backend
                    );
                }
            }
        }
        let rows = app.state.db.audit_in_order(0, 10).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].note, "x");
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_note_makes_purse_server_audit_fail_and_name_its_entry() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        let entries: Vec<NewEntry> =
            (1..=3).map(|n| entry(&app, "cora", "case.approved", &format!("case:cs_{n}"), "fine")).collect();
        audit::record(&app.state, entries, vec![]).await.unwrap();

        let intact = tokio::task::block_in_place(|| audit_binary(&db.url));
        let stdout = String::from_utf8_lossy(&intact.stdout);
        assert!(
            intact.status.success(),
            "{}: {stdout}{}",
            db.backend,
            String::from_utf8_lossy(&intact.stderr)
        );
        assert!(stdout.starts_with("audit: clean"), "the ledger's audit first: {stdout}");
        assert!(stdout.contains("\naudit log: verified (3 entries)\n"), "{}: {stdout}", db.backend);

        // Someone with the database's keys, past the append-only trigger.
        let (disable, enable) = match db.backend {
            "sqlite" => ("DROP TRIGGER audit_log_no_update", None),
            _ => (
                "ALTER TABLE audit_log DISABLE TRIGGER USER",
                Some("ALTER TABLE audit_log ENABLE TRIGGER USER"),
            ),
        };
        raw(&app.state.db, disable).await.unwrap();
        assert_eq!(
            raw(&app.state.db, "UPDATE audit_log SET note = 'nothing to see' WHERE seq = 2").await,
            Ok(1)
        );
        if let Some(enable) = enable {
            raw(&app.state.db, enable).await.unwrap();
        }
        let check = audit::verify(&app.state.db).await.unwrap();
        assert_eq!(check.check().first_broken, Some(2));
        assert!(!audit::page(&app.state, 20, i64::MAX).await.unwrap().chain.verified);

        let broken = tokio::task::block_in_place(|| audit_binary(&db.url));
        let stdout = String::from_utf8_lossy(&broken.stdout);
        assert_eq!(broken.status.code(), Some(1), "{}: {stdout}", db.backend);
        assert!(
            stdout.contains("\naudit log: broken at seq 2 (its hash does not match its contents)\n"),
            "{}: {stdout}",
            db.backend
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_write_that_changes_nothing_appends_nothing() {
    for db in TestDb::every_backend().await {
        let app = TestApp::new(&db, db.dir.path()).await;
        app.sign_up("alice").await;
        // A decision guarded by the state it moves from, as deciding a case is.
        let decide = || {
            Statement::new(
                "UPDATE users SET display_name = $1 WHERE handle = $2 AND display_name = $3",
                vec![Value::from("Alice A"), Value::from("alice"), Value::from("ALICE")],
            )
            .must_change()
        };
        let decided = || vec![entry(&app, "cora", "person.renamed", "person:@alice", "as asked")];
        let (applied, written) = audit::record(&app.state, decided(), vec![decide()]).await.unwrap();
        assert!(applied, "{}", db.backend);
        assert_eq!(written.len(), 1);
        assert_eq!(app.user("alice").await.display_name, "Alice A");

        // The same decision again: decided already, so no entry.
        let (applied, written) = audit::record(&app.state, decided(), vec![decide()]).await.unwrap();
        assert!(!applied, "{}", db.backend);
        assert_eq!(written, vec![]);
        // And at once with one that applies, in one batch: only that one's entry.
        let again = app.state.batcher.audited(vec![decide()], decided());
        let other = app
            .state
            .batcher
            .audited(vec![], vec![entry(&app, "kemal", "case.opened", "case:cs_9", "STRUCTURING")]);
        let (again, other) = tokio::join!(again, other);
        let ((skipped, none), (made, one)) = (again.unwrap(), other.unwrap());
        assert!(!skipped && none.is_empty());
        assert!(made && one.len() == 1);
        assert_eq!(seqs(&app.state.db).await, [1, 2], "{}", db.backend);
        assert_eq!(audit::verify(&app.state.db).await.unwrap().broken, None);
        app.stop().await;
    }
}
