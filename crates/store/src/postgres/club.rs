//! The club's people on PostgreSQL (see `crate::club`).

use postgres::{Row, Transaction};

use super::PostgresStore;
use crate::error::Context;
use crate::pieces::title_key;
use crate::store::now;
use crate::{Assignment, Club, Group, Member, Role, StoreError};

const MEMBER_SELECT: &str = "SELECT member.id, member.name, member.role, member.created_at FROM member";

impl Club for PostgresStore {
    fn add_member(&self, name: &str, role: Role, password_hash: &str) -> Result<Member, StoreError> {
        const ACTION: &str = "adding a member";
        let name = clean_name(name, "member")?;
        self.transaction(ACTION, |db, _| {
            let created_at = now();
            let id: i64 = db
                .query_one(
                    "INSERT INTO member (name, name_key, role, password_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[&name, &title_key(name), &role.name(), &password_hash, &created_at],
                )
                .map_err(|error| name_taken_or(error, "member", name, ACTION))?
                .get(0);
            Ok(Member { id, name: name.to_owned(), role, created_at })
        })
    }

    fn member_to_log_in(&self, name: &str) -> Result<Option<(Member, String)>, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                "SELECT id, name, role, created_at, password_hash FROM member WHERE name_key = $1",
                &[&title_key(name.trim())],
            )
            .context("looking for a member")?;
        Ok(row.map(|row| (member_from_row(&row), row.get(4))))
    }

    fn member(&self, id: i64) -> Result<Member, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(&format!("{MEMBER_SELECT} WHERE id = $1"), &[&id])
            .context("reading a member")?;
        row.map(|row| member_from_row(&row)).ok_or(StoreError::NoSuchMember { name: format!("number {id}") })
    }

    fn add_group(&self, name: &str) -> Result<Group, StoreError> {
        const ACTION: &str = "adding a group";
        let name = clean_name(name, "group")?;
        self.transaction(ACTION, |db, _| {
            let id: i64 = db
                .query_one(
                    "INSERT INTO club_group (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING id",
                    &[&name, &title_key(name), &now()],
                )
                .map_err(|error| name_taken_or(error, "group", name, ACTION))?
                .get(0);
            Ok(Group { id, name: name.to_owned() })
        })
    }

    fn join_group(&self, group: &str, member: &str) -> Result<(Group, Member), StoreError> {
        const ACTION: &str = "putting a member in a group";
        self.transaction(ACTION, |db, _| {
            let group = group_named(db, group)?;
            let member = db
                .query_opt(&format!("{MEMBER_SELECT} WHERE name_key = $1"), &[&title_key(member.trim())])
                .context(ACTION)?
                .map(|row| member_from_row(&row))
                .ok_or_else(|| StoreError::NoSuchMember { name: member.trim().to_owned() })?;
            db.execute(
                "INSERT INTO group_member (group_id, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&group.id, &member.id],
            )
            .context(ACTION)?;
            Ok((group, member))
        })
    }

    fn groups_of(&self, member_id: i64) -> Result<Vec<Group>, StoreError> {
        let rows = self.rows(
            "reading a member's groups",
            "SELECT club_group.id, club_group.name FROM club_group
                 JOIN group_member ON group_member.group_id = club_group.id
                 WHERE group_member.member_id = $1 ORDER BY club_group.name_key COLLATE \"C\"",
            &[&member_id],
        )?;
        Ok(rows.iter().map(group_from_row).collect())
    }

    fn members_of(&self, group_id: i64) -> Result<Vec<Member>, StoreError> {
        let rows = self.rows(
            "reading a group's members",
            &format!(
                "{MEMBER_SELECT} JOIN group_member ON group_member.member_id = member.id
                     WHERE group_member.group_id = $1 ORDER BY member.name_key COLLATE \"C\""
            ),
            &[&group_id],
        )?;
        Ok(rows.iter().map(member_from_row).collect())
    }

    fn assignments_to(&self, group_id: i64) -> Result<Vec<Assignment>, StoreError> {
        let rows = self.rows(
            "reading a group's assignments",
            "SELECT assignment.piece_id, club_group.id, club_group.name, assignment.due FROM assignment
                 JOIN club_group ON club_group.id = assignment.group_id
                 WHERE assignment.group_id = $1
                 ORDER BY assignment.due NULLS LAST, assignment.piece_id",
            &[&group_id],
        )?;
        Ok(rows.iter().map(assignment_from_row).collect())
    }

    fn performers_with(&self, member_id: i64) -> Result<Vec<Member>, StoreError> {
        let rows = self.rows(
            "reading a group's performers",
            &format!(
                "{MEMBER_SELECT} WHERE member.role = 'performer' AND member.id IN (
                         SELECT others.member_id FROM group_member AS others
                         JOIN group_member AS mine ON mine.group_id = others.group_id
                         WHERE mine.member_id = $1)
                     ORDER BY member.name_key COLLATE \"C\""
            ),
            &[&member_id],
        )?;
        Ok(rows.iter().map(member_from_row).collect())
    }

    fn assign(&self, piece_id: i64, group: &str, due: Option<i64>) -> Result<Assignment, StoreError> {
        const ACTION: &str = "assigning a piece";
        self.transaction(ACTION, |db, _| {
            super::rows::piece_by_id(db, piece_id)?;
            let group = group_named(db, group)?;
            db.execute(
                "INSERT INTO assignment (piece_id, group_id, due, assigned_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (piece_id, group_id) DO UPDATE SET due = excluded.due",
                &[&piece_id, &group.id, &due, &now()],
            )
            .context(ACTION)?;
            Ok(Assignment { piece_id, group, due })
        })
    }

    fn assignments_of(&self, member_id: i64) -> Result<Vec<Assignment>, StoreError> {
        let rows = self.rows(
            "reading a member's assignments",
            "SELECT assignment.piece_id, club_group.id, club_group.name, assignment.due FROM assignment
                 JOIN club_group ON club_group.id = assignment.group_id
                 JOIN group_member ON group_member.group_id = assignment.group_id
                 WHERE group_member.member_id = $1
                 ORDER BY assignment.due NULLS LAST, assignment.piece_id, club_group.id",
            &[&member_id],
        )?;
        Ok(rows.iter().map(assignment_from_row).collect())
    }

    fn open_session(&self, token_hash: &str, member_id: i64, expires_at: i64) -> Result<(), StoreError> {
        const ACTION: &str = "keeping a login";
        self.transaction(ACTION, |db, _| {
            // Expired sessions are swept as new ones come, so the table stays small.
            db.execute("DELETE FROM login_session WHERE expires_at <= $1", &[&now()]).context(ACTION)?;
            db.execute(
                "INSERT INTO login_session (token_hash, member_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                &[&token_hash, &member_id, &now(), &expires_at],
            )
            .context(ACTION)?;
            Ok(())
        })
    }

    fn session_member(&self, token_hash: &str) -> Result<Option<Member>, StoreError> {
        let row = self
            .client
            .borrow_mut()
            .query_opt(
                &format!(
                    "{MEMBER_SELECT} JOIN login_session ON login_session.member_id = member.id
                     WHERE login_session.token_hash = $1 AND login_session.expires_at > $2"
                ),
                &[&token_hash, &now()],
            )
            .context("checking a login")?;
        Ok(row.map(|row| member_from_row(&row)))
    }

    fn close_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.client
            .borrow_mut()
            .execute("DELETE FROM login_session WHERE token_hash = $1", &[&token_hash])
            .context("logging out")?;
        Ok(())
    }

    fn note_failed_login(&self, name: &str, window: i64) -> Result<u32, StoreError> {
        const ACTION: &str = "noting a failed login";
        let key = title_key(name.trim());
        self.transaction(ACTION, |db, _| {
            let now = now();
            db.execute("DELETE FROM failed_login WHERE at <= $1", &[&(now - window)]).context(ACTION)?;
            db.execute("INSERT INTO failed_login (name_key, at) VALUES ($1, $2)", &[&key, &now]).context(ACTION)?;
            count_failures(db, &key, now - window)
        })
    }

    fn failed_logins(&self, name: &str, window: i64) -> Result<u32, StoreError> {
        let key = title_key(name.trim());
        self.transaction("counting failed logins", |db, _| count_failures(db, &key, now() - window))
    }

    fn clear_failed_logins(&self, name: &str) -> Result<(), StoreError> {
        self.client
            .borrow_mut()
            .execute("DELETE FROM failed_login WHERE name_key = $1", &[&title_key(name.trim())])
            .context("forgetting failed logins")?;
        Ok(())
    }
}

fn count_failures(db: &mut Transaction, key: &str, since: i64) -> Result<u32, StoreError> {
    let count: i64 = db
        .query_one("SELECT count(*) FROM failed_login WHERE name_key = $1 AND at > $2", &[&key, &since])
        .context("counting failed logins")?
        .get(0);
    Ok(count as u32)
}

fn group_named(db: &mut Transaction, name: &str) -> Result<Group, StoreError> {
    db.query_opt("SELECT id, name FROM club_group WHERE name_key = $1", &[&title_key(name.trim())])
        .context("looking for a group")?
        .map(|row| group_from_row(&row))
        .ok_or_else(|| StoreError::NoSuchGroup { name: name.trim().to_owned() })
}

fn clean_name<'a>(name: &'a str, what: &'static str) -> Result<&'a str, StoreError> {
    let name = name.trim();
    if name.is_empty() { Err(StoreError::EmptyName { what }) } else { Ok(name) }
}

fn name_taken_or(error: postgres::Error, what: &'static str, name: &str, action: &'static str) -> StoreError {
    if error.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
        StoreError::NameTaken { what, name: name.to_owned() }
    } else {
        StoreError::Postgres { action, error }
    }
}

fn member_from_row(row: &Row) -> Member {
    let role: String = row.get(2);
    Member {
        id: row.get(0),
        name: row.get(1),
        // The column's CHECK admits the two names only.
        role: Role::from_name(&role).unwrap_or(Role::Performer),
        created_at: row.get(3),
    }
}

/// An assignment from the columns piece id, group id, group name, due.
fn assignment_from_row(row: &Row) -> Assignment {
    Assignment { piece_id: row.get(0), group: Group { id: row.get(1), name: row.get(2) }, due: row.get(3) }
}

fn group_from_row(row: &Row) -> Group {
    Group { id: row.get(0), name: row.get(1) }
}

#[cfg(test)]
mod tests {
    use crate::testing::ThrowawayDatabase;
    use crate::{Club, PostgresStore, Role, Store, StoreError};

    #[test]
    fn members_groups_and_assignments_say_who_rehearses_what_with_whom() {
        let database = ThrowawayDatabase::new();
        let store = PostgresStore::open(&database.url).unwrap();
        let ada = store.add_member("Ada", Role::Performer, "hash-a").unwrap();
        let ben = store.add_member("Ben", Role::Performer, "hash-b").unwrap();
        let cleo = store.add_member("Cleo", Role::Coach, "hash-c").unwrap();
        assert!(matches!(store.add_member(" ada ", Role::Coach, "x"), Err(StoreError::NameTaken { .. })));
        assert!(matches!(store.add_member("  ", Role::Coach, "x"), Err(StoreError::EmptyName { .. })));
        let (found, hash) = store.member_to_log_in("ADA").unwrap().unwrap();
        assert_eq!((found, hash.as_str()), (ada.clone(), "hash-a"));

        store.add_group("Year 10").unwrap();
        store.add_group("Choir").unwrap();
        store.join_group("year 10", "Ada").unwrap();
        store.join_group("Year 10", "Cleo").unwrap();
        store.join_group("Year 10", "Cleo").unwrap();
        store.join_group("Choir", "Ben").unwrap();
        assert!(matches!(store.join_group("Nope", "Ada"), Err(StoreError::NoSuchGroup { .. })));
        assert!(matches!(store.join_group("Choir", "Nobody"), Err(StoreError::NoSuchMember { .. })));
        assert_eq!(
            store.performers_with(cleo.id).unwrap(),
            std::slice::from_ref(&ada),
            "a coach's performers are in their groups"
        );
        assert_eq!(store.performers_with(ben.id).unwrap(), std::slice::from_ref(&ben));

        let piece = store.add_piece("Ozymandias", "I met a traveller").unwrap();
        store.assign(piece.id, "Year 10", Some(1_800_000_000)).unwrap();
        let assigned = store.assignments_of(ada.id).unwrap();
        assert_eq!(
            (assigned[0].piece_id, assigned[0].group.name.as_str(), assigned[0].due),
            (piece.id, "Year 10", Some(1_800_000_000))
        );
        assert_eq!(store.assignments_of(ben.id).unwrap(), []);
        assert_eq!(store.groups_of(cleo.id).unwrap().len(), 1);
        store.remove_piece(piece.id).unwrap();
        assert_eq!(store.assignments_of(ada.id).unwrap(), [], "a removed piece's assignments go with it");
    }

    #[test]
    fn sessions_end_when_they_expire_or_are_closed_and_failures_are_counted() {
        let database = ThrowawayDatabase::new();
        let store = PostgresStore::open(&database.url).unwrap();
        let ada = store.add_member("Ada", Role::Performer, "hash").unwrap();
        let now = crate::store::now();
        store.open_session("live", ada.id, now + 60).unwrap();
        store.open_session("expired", ada.id, now - 1).unwrap();
        assert_eq!(store.session_member("live").unwrap(), Some(ada.clone()));
        assert_eq!(store.session_member("expired").unwrap(), None);
        assert_eq!(store.session_member("never").unwrap(), None);
        store.close_session("live").unwrap();
        assert_eq!(store.session_member("live").unwrap(), None);

        assert_eq!(store.note_failed_login("ada", 60).unwrap(), 1);
        assert_eq!(store.note_failed_login("ADA ", 60).unwrap(), 2);
        assert_eq!(store.failed_logins("Ada", 60).unwrap(), 2);
        store.clear_failed_logins("ada").unwrap();
        assert_eq!(store.failed_logins("ada", 60).unwrap(), 0);
    }
}
