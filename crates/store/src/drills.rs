//! Drills: stretches of a piece's script to practise, each with its place in the schedule and
//! every review it had. A drill names its words by script index in the script version it was
//! made from; when the script is edited, the rehearsal layer moves it onto the new version or
//! retires it, so a drill never points at words that are no longer there. A retired drill keeps
//! its reviews and is simply no longer listed.

use encore_take::{DrillState, Rating, Schedule};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::error::Context;
use crate::pieces::no_such_piece_id;
use crate::store::now;
use crate::{SqliteStore, StoreError};

/// What `add_drill` needs.
#[derive(Debug, Clone)]
pub struct NewDrill<'a> {
    pub piece_id: i64,
    /// The script version whose words `first_word..=last_word` are.
    pub script_version_id: i64,
    pub first_word: usize,
    pub last_word: usize,
    /// The words as written, for lists and for judging an attempt.
    pub text: &'a str,
}

/// A drill in the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Drill {
    pub id: i64,
    pub piece_id: i64,
    pub script_version_id: i64,
    pub first_word: usize,
    pub last_word: usize,
    pub text: String,
    pub created_at: i64,
    pub schedule: Schedule,
    /// When its words left the script; `None` while it is practised.
    pub retired_at: Option<i64>,
}

/// The columns every backend reads a drill from, in this order.
pub(crate) const DRILL_SELECT: &str = "
    SELECT id, piece_id, script_version_id, first_word, last_word, text, created_at, due, stability,
           difficulty, elapsed_days, scheduled_days, reps, lapses, state, last_review, retired_at
    FROM drill";

impl SqliteStore {
    /// Adds a drill, never practised and due now.
    pub fn add_drill(&self, drill: &NewDrill) -> Result<Drill, StoreError> {
        const ACTION: &str = "adding a drill";
        let id = self.write(ACTION, |transaction| {
            let version_piece: Option<i64> = transaction
                .query_row("SELECT piece_id FROM script_version WHERE id = ?1", [drill.script_version_id], |row| {
                    row.get(0)
                })
                .optional()
                .context(ACTION)?;
            match version_piece {
                None => {
                    let piece_exists: bool = transaction
                        .query_row("SELECT EXISTS (SELECT 1 FROM piece WHERE id = ?1)", [drill.piece_id], |row| {
                            row.get(0)
                        })
                        .context(ACTION)?;
                    if !piece_exists {
                        return Err(no_such_piece_id(transaction, drill.piece_id));
                    }
                    return Err(StoreError::NoSuchScriptVersion { id: drill.script_version_id });
                }
                Some(piece_id) if piece_id != drill.piece_id => {
                    return Err(StoreError::ScriptVersionOfAnotherPiece {
                        script_version_id: drill.script_version_id,
                        piece_id: drill.piece_id,
                    });
                }
                Some(_) => {}
            }
            // The schedule's other columns default to a drill never practised (Schedule::new).
            let created = now();
            transaction
                .execute(
                    "INSERT INTO drill (piece_id, script_version_id, first_word, last_word, text, created_at, due)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                    params![
                        drill.piece_id,
                        drill.script_version_id,
                        drill.first_word as i64,
                        drill.last_word as i64,
                        drill.text,
                        created,
                    ],
                )
                .context(ACTION)?;
            Ok(transaction.last_insert_rowid())
        })?;
        self.drill(id)
    }

    /// The drills being practised, of one piece or of all, the soonest due first.
    pub fn drills(&self, piece_id: Option<i64>) -> Result<Vec<Drill>, StoreError> {
        const ACTION: &str = "reading drills";
        let mut statement = self
            .connection
            .prepare_cached(&format!(
                "{DRILL_SELECT} WHERE retired_at IS NULL AND (?1 IS NULL OR piece_id = ?1) ORDER BY due, id"
            ))
            .context(ACTION)?;
        let drills = statement.query_map([piece_id], drill_from_row).context(ACTION)?;
        drills.collect::<Result<_, _>>().context(ACTION)
    }

    /// A drill, retired or not.
    pub fn drill(&self, id: i64) -> Result<Drill, StoreError> {
        read_drill(&self.connection, id)
    }

    /// Keeps a review of a drill: how it went, the schedule it leads to, and the take of the
    /// whole piece it was part of (`None` for an attempt at the drill alone).
    pub fn review_drill(
        &self,
        id: i64,
        rating: Rating,
        schedule: &Schedule,
        take_id: Option<i64>,
    ) -> Result<Drill, StoreError> {
        const ACTION: &str = "keeping a drill's review";
        self.write(ACTION, |transaction| {
            read_drill(transaction, id)?;
            transaction
                .execute(
                    "INSERT INTO drill_review (drill_id, reviewed_at, rating, take_id) VALUES (?1, ?2, ?3, ?4)",
                    params![id, schedule.last_review.unwrap_or_else(now), rating.name(), take_id],
                )
                .context(ACTION)?;
            transaction
                .execute(
                    "UPDATE drill SET due = ?2, stability = ?3, difficulty = ?4, elapsed_days = ?5,
                                      scheduled_days = ?6, reps = ?7, lapses = ?8, state = ?9, last_review = ?10
                     WHERE id = ?1",
                    params![
                        id,
                        schedule.due,
                        schedule.stability,
                        schedule.difficulty,
                        schedule.elapsed_days,
                        schedule.scheduled_days,
                        schedule.reps,
                        schedule.lapses,
                        schedule.state.name(),
                        schedule.last_review,
                    ],
                )
                .context(ACTION)?;
            read_drill(transaction, id)
        })
    }

    /// Moves a drill onto another version of its piece's script, where its words now are.
    pub fn move_drill(
        &self,
        id: i64,
        script_version_id: i64,
        first_word: usize,
        last_word: usize,
    ) -> Result<Drill, StoreError> {
        const ACTION: &str = "moving a drill to the edited script";
        self.write(ACTION, |transaction| {
            let drill = read_drill(transaction, id)?;
            let version_piece: Option<i64> = transaction
                .query_row("SELECT piece_id FROM script_version WHERE id = ?1", [script_version_id], |row| row.get(0))
                .optional()
                .context(ACTION)?;
            if version_piece != Some(drill.piece_id) {
                return Err(StoreError::ScriptVersionOfAnotherPiece { script_version_id, piece_id: drill.piece_id });
            }
            transaction
                .execute(
                    "UPDATE drill SET script_version_id = ?2, first_word = ?3, last_word = ?4 WHERE id = ?1",
                    params![id, script_version_id, first_word as i64, last_word as i64],
                )
                .context(ACTION)?;
            read_drill(transaction, id)
        })
    }

    /// Retires a drill whose words left the script: it keeps its reviews and is no longer listed.
    pub fn retire_drill(&self, id: i64) -> Result<(), StoreError> {
        const ACTION: &str = "retiring a drill";
        self.write(ACTION, |transaction| {
            read_drill(transaction, id)?;
            transaction
                .execute("UPDATE drill SET retired_at = ?2 WHERE id = ?1 AND retired_at IS NULL", params![id, now()])
                .context(ACTION)?;
            Ok(())
        })
    }
}

/// Deletes a piece's drills and their reviews, children first; for `remove_piece`.
pub(crate) fn delete_drills_of_piece(transaction: &Transaction, piece_id: i64) -> Result<(), StoreError> {
    const ACTION: &str = "removing a piece's drills";
    transaction
        .execute("DELETE FROM drill_review WHERE drill_id IN (SELECT id FROM drill WHERE piece_id = ?1)", [piece_id])
        .context(ACTION)?;
    transaction.execute("DELETE FROM drill WHERE piece_id = ?1", [piece_id]).context(ACTION)?;
    Ok(())
}

fn read_drill(connection: &Connection, id: i64) -> Result<Drill, StoreError> {
    connection
        .prepare_cached(&format!("{DRILL_SELECT} WHERE id = ?1"))
        .and_then(|mut statement| statement.query_row([id], drill_from_row).optional())
        .context("reading a drill")?
        .ok_or(StoreError::NoSuchDrill { id })
}

fn drill_from_row(row: &Row) -> rusqlite::Result<Drill> {
    let state: String = row.get(14)?;
    Ok(Drill {
        id: row.get(0)?,
        piece_id: row.get(1)?,
        script_version_id: row.get(2)?,
        first_word: row.get::<_, i64>(3)? as usize,
        last_word: row.get::<_, i64>(4)? as usize,
        text: row.get(5)?,
        created_at: row.get(6)?,
        schedule: Schedule {
            due: row.get(7)?,
            stability: row.get(8)?,
            difficulty: row.get(9)?,
            elapsed_days: row.get(10)?,
            scheduled_days: row.get(11)?,
            reps: row.get(12)?,
            lapses: row.get(13)?,
            // The column's CHECK admits the four names only.
            state: DrillState::from_name(&state).unwrap_or(DrillState::New),
            last_review: row.get(15)?,
        },
        retired_at: row.get(16)?,
    })
}
