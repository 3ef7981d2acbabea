//! The store against a real SQLite file.

use handset_store::{
    Channel, ContactPoint, Direction, MessageStatus, NewContact, NewIncoming, NewOutgoing,
    OpenOptions, Store, StoreError, SCHEMA_VERSION,
};

fn temp() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("handset.db");
    (dir, path)
}

#[test]
fn creates_migrates_and_uses_wal() {
    let (_d, path) = temp();
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    s.set_setting("theme", &"dark").unwrap();
    assert_eq!(
        s.setting::<String>("theme").unwrap().as_deref(),
        Some("dark")
    );
    let wal = path.with_file_name("handset.db-wal");
    assert!(wal.exists(), "WAL mode");
}

#[test]
fn corrupt_file_is_reported_then_moved_aside_only_when_asked() {
    let (_d, path) = temp();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        b"this is not an sqlite database, it is a text file that got here somehow",
    )
    .unwrap();
    match Store::open(&path) {
        Err(StoreError::Corrupt { .. }) => {}
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("opened a corrupt file"),
    }
    assert!(path.exists(), "nothing is deleted without asking");
    let s = Store::open_with(
        &path,
        OpenOptions {
            replace_corrupt: true,
        },
    )
    .unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    let backups: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .collect();
    assert_eq!(backups.len(), 1);
    assert!(std::fs::read(backups[0].path())
        .unwrap()
        .starts_with(b"this is not"));
}

#[test]
fn newer_schema_is_refused() {
    let (_d, path) = temp();
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(
        Store::open(&path),
        Err(StoreError::TooNew { found: 99, .. })
    ));
}

#[test]
fn outbox_lifecycle_and_incoming_dedup() {
    let s = Store::in_memory().unwrap();
    let conv = s
        .direct_conversation(Channel::Messages, None, "sip:102@example.com", None)
        .unwrap();
    assert_eq!(
        s.direct_conversation(Channel::Messages, None, "sip:102@example.com", None)
            .unwrap(),
        conv
    );
    let m = s
        .enqueue_outgoing(&NewOutgoing {
            conversation_id: conv,
            message_id: "m1".into(),
            sender: "sip:101@example.com".into(),
            content_type: "text/plain".into(),
            body: "hello".into(),
        })
        .unwrap();
    assert_eq!(m.status, MessageStatus::Pending);
    let due = s.due_outbox(handset_store::now_ms() + 1, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        s.outbox_retry("m1", "503 Service Unavailable", i64::MAX)
            .unwrap(),
        1
    );
    assert!(
        s.due_outbox(handset_store::now_ms() + 1, 10)
            .unwrap()
            .is_empty(),
        "waits for its retry time"
    );
    assert!(s
        .set_outgoing_status("m1", MessageStatus::Sent, None)
        .unwrap());
    assert!(s
        .set_outgoing_status("m1", MessageStatus::Read, None)
        .unwrap());
    assert!(
        !s.set_outgoing_status("m1", MessageStatus::Delivered, None)
            .unwrap(),
        "never backwards"
    );
    assert_eq!(
        s.message("m1", Direction::Out).unwrap().unwrap().status,
        MessageStatus::Read
    );

    let inc = NewIncoming {
        conversation_id: conv,
        message_id: "r1".into(),
        sender: "sip:102@example.com".into(),
        content_type: "text/plain".into(),
        body: "<script>alert(1)</script> café".into(),
        created_at: 5,
    };
    assert!(s.insert_incoming(&inc).unwrap().is_some());
    assert!(
        s.insert_incoming(&inc).unwrap().is_none(),
        "duplicate by message id dropped"
    );
    let convs = s.conversations(Some(Channel::Messages)).unwrap();
    assert_eq!(convs[0].unread, 1);
    assert_eq!(s.mark_read(conv).unwrap(), vec!["r1".to_string()]);
    assert_eq!(s.conversations(None).unwrap()[0].unread, 0);
    let hits = s.search("cafe", 10).unwrap();
    assert_eq!(hits.len(), 1, "diacritics removed");
    assert!(hits[0].highlighted.contains("\u{1}café\u{2}"));
    assert!(
        s.search("\"unbalanced", 10).is_ok(),
        "user input never breaks the query"
    );
    assert_eq!(s.messages(conv, None, 10).unwrap().len(), 2);
}

#[test]
fn committed_messages_survive_reopening() {
    let (_d, path) = temp();
    {
        let s = Store::open(&path).unwrap();
        let conv = s
            .direct_conversation(Channel::Sms, Some(1).filter(|_| false), "+15551234", None)
            .unwrap();
        for i in 0..100 {
            s.enqueue_outgoing(&NewOutgoing {
                conversation_id: conv,
                message_id: format!("m{i}"),
                sender: "me".into(),
                content_type: "text/plain".into(),
                body: format!("message {i}"),
            })
            .unwrap();
        }
        // dropped without any shutdown step
    }
    let s = Store::open(&path).unwrap();
    let due = s.due_outbox(i64::MAX, 1000).unwrap();
    assert_eq!(due.len(), 100);
    assert!(due
        .windows(2)
        .all(|w| (w[0].created_at, w[0].id) <= (w[1].created_at, w[1].id)));
}

#[test]
fn calls_history_missed_badge() {
    let s = Store::in_memory().unwrap();
    let id = s
        .start_call(&handset_store::NewCall {
            account_id: None,
            direction: handset_store::CallDirection::Incoming,
            remote_uri: "sip:103@x".into(),
            remote_name: None,
            started_at: 1000,
            video: false,
            sip_call_id: None,
        })
        .unwrap();
    s.call_ended(id, 2000, "cancelled", None).unwrap();
    assert_eq!(s.unseen_missed().unwrap(), 1);
    assert_eq!(s.call_history(true, 10).unwrap().len(), 1);
    s.mark_missed_seen().unwrap();
    assert_eq!(s.unseen_missed().unwrap(), 0);
}

#[test]
fn contacts_favorites_and_search() {
    let s = Store::in_memory().unwrap();
    let id = s
        .add_contact(&NewContact {
            source: "personal".into(),
            display_name: "Zoë Adams".into(),
            points: vec![ContactPoint {
                kind: "phone".into(),
                label: Some("mobile".into()),
                value: "+1 (555) 010-2030".into(),
            }],
            ..Default::default()
        })
        .unwrap();
    assert!(s
        .add_contact(&NewContact {
            source: "personal".into(),
            display_name: " ".into(),
            ..Default::default()
        })
        .is_err());
    s.set_favorite(id, true).unwrap();
    assert_eq!(s.contacts("favorites").unwrap().len(), 1);
    assert_eq!(s.search_contacts("adam", 10).unwrap().len(), 1);
    assert_eq!(s.search_contacts("555010", 10).unwrap().len(), 1);
    assert_eq!(s.search_contacts("100%", 10).unwrap().len(), 0);
}
