//! Contacts of every source, with their numbers and addresses.

use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::{now_ms, Store, StoreError};

/// A phone number, SIP address or e-mail of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPoint {
    /// `phone`, `sip` or `email`.
    pub kind: String,
    /// Label (work, mobile…).
    pub label: Option<String>,
    /// As entered.
    pub value: String,
}

/// A contact to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewContact {
    /// `personal`, `company`, `users` or `device`.
    pub source: String,
    /// The directory's id for it.
    pub remote_id: Option<String>,
    /// Name.
    pub display_name: String,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Extension (users).
    pub extension: Option<String>,
    /// Favourite.
    pub favorite: bool,
    /// Numbers and addresses.
    pub points: Vec<ContactPoint>,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Row id.
    pub id: i64,
    /// Source.
    pub source: String,
    /// Name.
    pub display_name: String,
    /// Company.
    pub company: Option<String>,
    /// Job title.
    pub title: Option<String>,
    /// Extension.
    pub extension: Option<String>,
    /// Favourite.
    pub favorite: bool,
    /// Numbers and addresses.
    pub points: Vec<ContactPoint>,
}

/// The form numbers and addresses are compared in: digits and a leading +
/// for phone numbers, lower case for addresses.
pub fn normalize(kind: &str, value: &str) -> String {
    match kind {
        "phone" => {
            let plus = value.trim_start().starts_with('+');
            let digits: String = value.chars().filter(|c| c.is_ascii_digit()).collect();
            if plus {
                format!("+{digits}")
            } else {
                digits
            }
        }
        _ => value.trim().trim_start_matches("sip:").to_ascii_lowercase(),
    }
}

fn row(r: &Row) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: r.get("id")?,
        source: r.get("source")?,
        display_name: r.get("display_name")?,
        company: r.get("company")?,
        title: r.get("title")?,
        extension: r.get("extension")?,
        favorite: r.get("favorite")?,
        points: Vec::new(),
    })
}

impl Store {
    fn load_points(&self, contacts: &mut [Contact]) -> Result<(), StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT kind, label, value FROM contact_points WHERE contact_id = ?1",
        )?;
        for c in contacts {
            c.points = st
                .query_map([c.id], |r| {
                    Ok(ContactPoint {
                        kind: r.get(0)?,
                        label: r.get(1)?,
                        value: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
        }
        Ok(())
    }

    /// Adds a contact; returns its id.
    pub fn add_contact(&self, c: &NewContact) -> Result<i64, StoreError> {
        if c.display_name.trim().is_empty() {
            return Err(StoreError::Invalid("contact", "a name is required".into()));
        }
        if !matches!(
            c.source.as_str(),
            "personal" | "company" | "users" | "device"
        ) {
            return Err(StoreError::Invalid(
                "contact",
                format!("unknown source '{}'", c.source),
            ));
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO contacts(source, remote_id, display_name, company, title, extension, favorite, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![c.source, c.remote_id, c.display_name.trim(), c.company, c.title, c.extension, c.favorite, now_ms()],
        )?;
        let id = tx.last_insert_rowid();
        for p in &c.points {
            tx.execute(
                "INSERT INTO contact_points(contact_id, kind, label, value, normalized) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![id, p.kind, p.label, p.value, normalize(&p.kind, &p.value)],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Deletes a contact.
    pub fn delete_contact(&self, id: i64) -> Result<(), StoreError> {
        if self
            .conn()
            .execute("DELETE FROM contacts WHERE id = ?1", [id])?
            == 0
        {
            return Err(StoreError::NotFound("contact", id));
        }
        Ok(())
    }

    /// Sets or clears the favourite star.
    pub fn set_favorite(&self, id: i64, favorite: bool) -> Result<(), StoreError> {
        if self.conn().execute(
            "UPDATE contacts SET favorite = ?1 WHERE id = ?2",
            (favorite, id),
        )? == 0
        {
            return Err(StoreError::NotFound("contact", id));
        }
        Ok(())
    }

    /// Contacts of a section: `all`, `favorites`, or a source name; by name.
    pub fn contacts(&self, section: &str) -> Result<Vec<Contact>, StoreError> {
        let mut out = {
            let conn = self.conn();
            let (sql, arg): (&str, Option<&str>) = match section {
                "all" => ("SELECT * FROM contacts ORDER BY display_name COLLATE NOCASE", None),
                "favorites" => ("SELECT * FROM contacts WHERE favorite = 1 ORDER BY display_name COLLATE NOCASE", None),
                s => ("SELECT * FROM contacts WHERE source = ?1 ORDER BY display_name COLLATE NOCASE", Some(s)),
            };
            let mut st = conn.prepare(sql)?;
            let rows = match arg {
                Some(a) => st.query_map([a], row)?.collect::<Result<Vec<_>, _>>()?,
                None => st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?,
            };
            rows
        };
        self.load_points(&mut out)?;
        Ok(out)
    }

    /// Search as you type: names containing the words, or numbers and
    /// addresses starting with what was typed.
    pub fn search_contacts(&self, input: &str, limit: u32) -> Result<Vec<Contact>, StoreError> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(Vec::new());
        }
        let like = format!(
            "%{}%",
            input
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let phone = normalize("phone", input);
        let addr = format!(
            "{}%",
            normalize("sip", input)
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let phone_like = if phone.trim_start_matches('+').is_empty() {
            "\u{0}".to_string()
        } else {
            format!("%{phone}%")
        };
        let mut out = {
            let conn = self.conn();
            let mut st = conn.prepare_cached(
                "SELECT * FROM contacts WHERE display_name LIKE ?1 ESCAPE '\\' OR id IN (
                    SELECT contact_id FROM contact_points WHERE normalized LIKE ?2 ESCAPE '\\' OR normalized LIKE ?3)
                 ORDER BY favorite DESC, display_name COLLATE NOCASE LIMIT ?4",
            )?;
            let rows = st
                .query_map(rusqlite::params![like, addr, phone_like, limit], row)?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        self.load_points(&mut out)?;
        Ok(out)
    }
}
