//! The outbox loses nothing: 1,000 messages from `handset-cli chat send`,
//! the sender killed with SIGKILL part-way, restarted with `chat flush` →
//! the receiver has all 1,000, exactly once, in order.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use handset_harness::{Kamailio, KamailioOptions};
use handset_interop::cli;

const N: usize = 1000;

fn chat_args(kam: &Kamailio, user: &str, db: &std::path::Path) -> Vec<String> {
    vec![
        "chat".into(),
        "--user".into(),
        user.into(),
        "--server".into(),
        kam.udp_addr().to_string(),
        "--domain".into(),
        "127.0.0.1".into(),
        "--bind".into(),
        "127.0.0.1:0".into(),
        "--db".into(),
        db.display().to_string(),
        "--wait".into(),
        "180".into(),
    ]
}

#[test]
fn a_thousand_messages_survive_a_sigkill_of_the_sender() {
    let kam = Kamailio::start(KamailioOptions::default());
    let dir = tempfile_dir();
    let (a_db, b_db) = (dir.join("a.sqlite"), dir.join("b.sqlite"));

    let mut args = chat_args(&kam, "102", &b_db);
    args.extend(["listen".into(), "--count".into(), N.to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut receiver = cli(&args, Some("pw102"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("receiver");
    let got = Arc::new(AtomicUsize::new(0));
    let counter = got.clone();
    let out = receiver.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.contains(r#""type":"messageReceived""#) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));

    let mut args = chat_args(&kam, "101", &a_db);
    args.extend([
        "send".into(),
        "102".into(),
        "msg".into(),
        "--repeat".into(),
        N.to_string(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut sender = cli(&args, Some("pw101"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sender");
    // wait until every message is on disk, then kill it while it sends
    let out = BufReader::new(sender.stdout.take().unwrap());
    let mut queued = false;
    for line in out.lines().map_while(Result::ok) {
        if line.contains(r#""type":"queued""#) {
            queued = true;
            break;
        }
    }
    assert!(queued, "the sender never queued its messages");
    let t = Instant::now();
    while got.load(Ordering::SeqCst) < 100 && t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let at_kill = got.load(Ordering::SeqCst);
    sender.kill().expect("SIGKILL"); // Child::kill sends SIGKILL
    let _ = sender.wait();
    eprintln!("sender killed after {at_kill} messages had arrived");
    assert!(at_kill < N, "the sender finished before it could be killed");

    let mut args = chat_args(&kam, "101", &a_db);
    args.push("flush".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let t = Instant::now();
    let status = cli(&args, Some("pw101")).status().expect("flush");
    assert!(status.success(), "flush: {status:?}");
    eprintln!("flush took {:.2?}", t.elapsed());

    let status = wait_child(&mut receiver, Duration::from_secs(60));
    assert!(status, "the receiver did not get {N} messages");
    reader.join().unwrap();

    let db = rusqlite::Connection::open(&b_db).unwrap();
    let bodies: Vec<String> = db
        .prepare("SELECT body FROM messages WHERE direction = 'in' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<String> = (1..=N).map(|i| format!("msg {i}")).collect();
    assert_eq!(bodies.len(), N, "exactly once");
    assert_eq!(bodies, expected, "in order");
}

fn wait_child(child: &mut std::process::Child, timeout: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < timeout {
        if let Ok(Some(s)) = child.try_wait() {
            return s.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    false
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("handset-chat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
