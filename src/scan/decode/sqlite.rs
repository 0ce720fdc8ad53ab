//! SQLite databases (a committed `db.sqlite3`, Django's default database): every text cell is
//! rendered as `column = 'value'` under a `[table]` line, one cell per line, so that the
//! detectors see the name that says what a value is (`secret = '...'` of allauth's
//! `socialaccount_socialapp`, `key = '...'` of `authtoken_token`). A row that stores settings as
//! key and value (`constance_config`) also gets a `KEY = 'value'` line.
//!
//! The database is opened in memory from a copy of the blob (never a file), read-only, with an
//! untrusted schema, a bound on the length of any value and on the work of any query.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::bounded::{Allowance, Stop};
use super::sniff::{packed, SQLITE_MAGIC};
use super::Spot;
use crate::model::Cell;

/// SQLite virtual-machine steps between two checks of the work bound.
const STEPS_PER_CHECK: i32 = 10_000;
/// Checks allowed per database (about a billion steps): a hostile schema cannot make a query
/// run for minutes.
const CHECKS: u64 = 100_000;

/// What a database yields.
#[derive(Debug)]
pub enum Item {
    /// A table, rendered.
    Table(Rendered),
    /// A BLOB cell holding a packed format (a gzip'd value), to open on its own.
    Packed {
        /// The cell.
        cell: Cell,
        /// Its bytes.
        data: Vec<u8>,
    },
    /// What could not be read: the database, or one table of it.
    Unread {
        /// The table, when one table failed.
        table: Option<String>,
        /// Why.
        stop: Stop,
    },
}

/// A table as text, with the cell each line belongs to.
#[derive(Debug)]
pub struct Rendered {
    /// `[table]`, then `column = 'value'` per text cell.
    pub text: Vec<u8>,
    /// Per line of `text`, where it is in the database.
    pub spots: Vec<Spot>,
}

/// Reads every table of the database in `data`, within `max_value` bytes per value and the
/// allowance.
pub fn read(data: &[u8], max_value: u64, allowance: &Allowance<'_>, each: &mut dyn FnMut(Item)) {
    let connection = match open(data, max_value) {
        Ok(c) => c,
        Err(e) => {
            return each(Item::Unread {
                table: None,
                stop: Stop::Corrupt(format!("sqlite: {e}")),
            })
        }
    };
    let tables = match table_names(&connection) {
        Ok(t) => t,
        Err(e) => {
            return each(Item::Unread {
                table: None,
                stop: Stop::Corrupt(format!("sqlite: {e}")),
            })
        }
    };
    for table in tables {
        if let Err(stop) = read_table(&connection, &table, allowance, each) {
            let spent = matches!(stop, Stop::BlobAllowance | Stop::ScanAllowance);
            each(Item::Unread {
                table: Some(table),
                stop,
            });
            if spent {
                return;
            }
        }
    }
}

fn open(data: &[u8], max_value: u64) -> rusqlite::Result<Connection> {
    let mut connection = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_MEMORY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut copy = data.to_vec();
    // A database committed in WAL mode reads as an ordinary one (its -wal file was never
    // committed); the in-memory copy cannot open WAL.
    if copy.len() > 19 && copy.starts_with(SQLITE_MAGIC) && copy[18] == 2 && copy[19] == 2 {
        copy[18] = 1;
        copy[19] = 1;
    }
    let len = copy.len();
    connection.deserialize_read_exact("main", &copy[..], len, true)?;
    connection.set_limit(
        Limit::SQLITE_LIMIT_LENGTH,
        i32::try_from(max_value).unwrap_or(i32::MAX),
    )?;
    use rusqlite::config::DbConfig;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    let checks = Arc::new(AtomicU64::new(0));
    connection.progress_handler(
        STEPS_PER_CHECK,
        Some(move || checks.fetch_add(1, Ordering::Relaxed) >= CHECKS),
    )?;
    Ok(connection)
}

/// The ordinary tables (not views, not virtual tables, whose modules may not exist here; their
/// shadow tables hold the content and are read).
fn table_names(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = connection.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' \
         AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY name",
    )?;
    let names = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(names)
}

/// Names of a column that holds a setting's name, and of one that holds its value.
const KEY_COLUMNS: [&str; 4] = ["key", "name", "setting", "variable"];
const VALUE_COLUMNS: [&str; 3] = ["value", "val", "data"];

fn read_table(
    connection: &Connection,
    table: &str,
    allowance: &Allowance<'_>,
    each: &mut dyn FnMut(Item),
) -> Result<(), Stop> {
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    let corrupt = |e: rusqlite::Error| Stop::Corrupt(format!("sqlite: {table}: {e}"));
    let (mut statement, with_rowid) =
        match connection.prepare(&format!("SELECT rowid, * FROM {quoted}")) {
            Ok(s) => (s, true),
            Err(_) => (
                connection
                    .prepare(&format!("SELECT * FROM {quoted}"))
                    .map_err(corrupt)?,
                false,
            ),
        };
    let columns: Vec<String> = statement.column_names().map(str::to_string).collect();
    let first_value = usize::from(with_rowid);
    let key_column = find(&columns[first_value..], &KEY_COLUMNS).map(|i| i + first_value);
    let value_column = find(&columns[first_value..], &VALUE_COLUMNS).map(|i| i + first_value);
    let mut rendered = Rendered {
        text: Vec::new(),
        spots: Vec::new(),
    };
    let mut rows = statement.query([]).map_err(corrupt)?;
    while let Some(row) = rows.next().map_err(corrupt)? {
        let rowid = if with_rowid {
            row.get::<_, i64>(0).ok()
        } else {
            None
        };
        push_line(
            &mut rendered,
            format!("[{table}]").as_bytes(),
            Spot::NOWHERE,
        );
        for (index, column) in columns.iter().enumerate().skip(first_value) {
            let cell = || Cell {
                table: table.to_string(),
                column: column.clone(),
                rowid,
            };
            let value = match row.get_ref(index).map_err(corrupt)? {
                ValueRef::Text(t) => t,
                ValueRef::Blob(b) if packed(b).is_some() => {
                    allowance.charge(b.len() as u64)?;
                    each(Item::Packed {
                        cell: cell(),
                        data: b.to_vec(),
                    });
                    continue;
                }
                ValueRef::Blob(b) if std::str::from_utf8(b).is_ok() => b,
                _ => continue,
            };
            if value.is_empty() {
                continue;
            }
            allowance.charge(value.len() as u64 + column.len() as u64)?;
            let cell = Arc::new(cell());
            // In a key/value row the value is named by the key cell, not by its column.
            let setting = (Some(index) == value_column)
                .then(|| key_column.and_then(|k| row.get_ref(k).ok()))
                .flatten()
                .and_then(|name| match name {
                    ValueRef::Text(name) if is_setting_name(name) => Some(name),
                    _ => None,
                });
            push_cell(
                &mut rendered,
                setting.unwrap_or(column.as_bytes()),
                value,
                &cell,
            );
        }
    }
    drop(rows);
    if !rendered.text.is_empty() {
        each(Item::Table(rendered));
    }
    Ok(())
}

/// Whether a key cell holds a setting's name (`AWS_SECRET_ACCESS_KEY`, `stripe.secret`), not
/// free text.
fn is_setting_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn find(columns: &[String], names: &[&str]) -> Option<usize> {
    columns
        .iter()
        .position(|c| names.iter().any(|n| c.eq_ignore_ascii_case(n)))
}

fn push_line(rendered: &mut Rendered, line: &[u8], spot: Spot) {
    rendered.text.extend_from_slice(line);
    rendered.text.push(b'\n');
    rendered.spots.push(spot);
}

/// `name = 'value'` (the quote the value does not hold; none for a value holding both or a
/// newline), each line of the value spotted at its cell.
fn push_cell(rendered: &mut Rendered, name: &[u8], value: &[u8], cell: &Arc<Cell>) {
    let quote: &[u8] =
        if value.contains(&b'\n') || (value.contains(&b'\'') && value.contains(&b'"')) {
            b""
        } else if value.contains(&b'\'') {
            b"\""
        } else {
            b"'"
        };
    let mut prefix = name.to_vec();
    prefix.extend_from_slice(b" = ");
    prefix.extend_from_slice(quote);
    let prefix_chars = String::from_utf8_lossy(&prefix).chars().count() as u32;
    for (n, line) in value.split(|&b| b == b'\n').enumerate() {
        let mut text = Vec::with_capacity(line.len() + prefix.len() + 1);
        if n == 0 {
            text.extend_from_slice(&prefix);
        }
        text.extend_from_slice(line);
        if n == 0 && !value.contains(&b'\n') {
            text.extend_from_slice(quote);
        }
        let spot = Spot {
            line: n as u32 + 1,
            column: 1,
            prefix: Some(if n == 0 { prefix_chars } else { 0 }),
            cell: Some(cell.clone()),
        };
        push_line(rendered, &text, spot);
    }
}
