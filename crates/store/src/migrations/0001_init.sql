-- Handset schema, version 1. Secrets (passwords) are never stored here: they
-- live in the OS keyring.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    display_name  TEXT,
    user          TEXT NOT NULL,
    domain        TEXT NOT NULL,
    auth_user     TEXT,
    server        TEXT,
    transport     TEXT NOT NULL DEFAULT 'udp',
    expires       INTEGER NOT NULL DEFAULT 600,
    keepalive     INTEGER NOT NULL DEFAULT 30,
    register      INTEGER NOT NULL DEFAULT 1,
    enabled       INTEGER NOT NULL DEFAULT 1,
    extra         TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL
);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,               -- personal, company, users, device
    remote_id     TEXT,                        -- id at the directory server
    display_name  TEXT NOT NULL,
    company       TEXT,
    title         TEXT,
    extension     TEXT,
    favorite      INTEGER NOT NULL DEFAULT 0,
    extra         TEXT NOT NULL DEFAULT '{}',
    updated_at    INTEGER NOT NULL,
    UNIQUE (source, remote_id)
);

CREATE TABLE contact_points (
    contact_id    INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,               -- phone, sip, email
    label         TEXT,
    value         TEXT NOT NULL,
    normalized    TEXT NOT NULL
);
CREATE INDEX contact_points_normalized ON contact_points(normalized);

CREATE TABLE calls (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    direction     TEXT NOT NULL,               -- incoming, outgoing
    remote_uri    TEXT NOT NULL,
    remote_name   TEXT,
    started_at    INTEGER NOT NULL,            -- unix ms
    answered_at   INTEGER,
    ended_at      INTEGER,
    end_reason    TEXT,
    missed        INTEGER NOT NULL DEFAULT 0,
    seen          INTEGER NOT NULL DEFAULT 0,
    video         INTEGER NOT NULL DEFAULT 0,
    avg_mos       REAL,
    sip_call_id   TEXT
);
CREATE INDEX calls_started ON calls(started_at DESC);

CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,               -- messages, sms, whatsapp
    kind          TEXT NOT NULL DEFAULT 'direct', -- direct, group
    account_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    peer          TEXT,                        -- remote URI or number (direct)
    group_id      TEXT UNIQUE,                 -- group chats
    title         TEXT,
    description   TEXT,
    picture       BLOB,
    last_activity INTEGER NOT NULL,
    UNIQUE (channel, account_id, peer)
);
CREATE INDEX conversations_activity ON conversations(last_activity DESC);

CREATE TABLE group_members (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    uri             TEXT NOT NULL,
    role            TEXT NOT NULL DEFAULT 'member',
    PRIMARY KEY (conversation_id, uri)
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,             -- globally unique (CPIM/IMDN Message-ID)
    direction       TEXT NOT NULL,             -- in, out
    sender          TEXT NOT NULL,
    content_type    TEXT NOT NULL DEFAULT 'text/plain',
    body            TEXT NOT NULL,
    created_at      INTEGER NOT NULL,          -- unix ms (sender's timestamp for incoming)
    received_at     INTEGER,
    status          TEXT NOT NULL,             -- pending, sent, delivered, read, failed, received
    failure         TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    read            INTEGER NOT NULL DEFAULT 0,
    UNIQUE (message_id, direction)
);
CREATE INDEX messages_conversation ON messages(conversation_id, created_at);
CREATE INDEX messages_outbox ON messages(status, next_attempt_at) WHERE direction = 'out';

CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;

CREATE TABLE voicemails (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
    remote_id     TEXT NOT NULL UNIQUE,
    caller        TEXT,
    received_at   INTEGER NOT NULL,
    duration_ms   INTEGER,
    heard         INTEGER NOT NULL DEFAULT 0,
    audio_path    TEXT
);

CREATE TABLE meetings (
    id            INTEGER PRIMARY KEY,
    remote_id     TEXT UNIQUE,
    title         TEXT NOT NULL,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER,
    conference_uri TEXT,
    link          TEXT,
    participants  TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE settings (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL
);
