//! A club's people: members added with a password (kept as an Argon2id hash), logging in and
//! out (a session token the browser keeps, the store only its SHA-256), a bounded number of
//! failed logins, and who may see what:
//!
//! - a performer sees the pieces assigned to their groups and their own takes;
//! - a coach sees the pieces assigned to their groups and the takes of the performers in them.
//!
//! The stage asks [`Viewer`] before it answers; a take or a piece a member may not see is
//! answered as if it did not exist, so that its existence does not show either.

use std::collections::HashSet;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use encore_store::{Club, Member, Role, Store, Take};
use sha2::{Digest, Sha256};

use crate::RehearsalError;

/// The shortest password a member may have.
pub const SHORTEST_PASSWORD: usize = 8;
/// How long a login lasts: a rehearsal evening, not a week.
pub const SESSION_SECONDS: i64 = 12 * 60 * 60;
/// Failed logins under one name within [`FAILED_LOGIN_WINDOW`] seconds before more are refused
/// until the window has passed, so that a password cannot be guessed by trying.
pub const MOST_FAILED_LOGINS: u32 = 5;
pub const FAILED_LOGIN_WINDOW: i64 = 15 * 60;

/// The club of a store that has one.
pub fn club_of(store: &dyn Store) -> Result<&dyn Club, RehearsalError> {
    store.club().ok_or(RehearsalError::NotAClub)
}

/// Adds a member with this password (kept only as its hash).
pub fn add_member(store: &dyn Store, name: &str, role: Role, password: &str) -> Result<Member, RehearsalError> {
    if password.chars().count() < SHORTEST_PASSWORD {
        return Err(RehearsalError::ShortPassword { shortest: SHORTEST_PASSWORD });
    }
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|error| RehearsalError::Password(error.to_string()))?;
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|error| RehearsalError::Password(error.to_string()))?
        .to_string();
    Ok(club_of(store)?.add_member(name, role, &hash)?)
}

/// A member logged in: the token their browser keeps, and until when.
#[derive(Debug, Clone)]
pub struct Login {
    pub member: Member,
    pub token: String,
    pub expires_at: i64,
}

/// Logs a member in by name and password. A wrong name and a wrong password are refused alike;
/// past [`MOST_FAILED_LOGINS`] failures under a name, even the right password waits.
pub fn log_in(store: &dyn Store, name: &str, password: &str) -> Result<Login, RehearsalError> {
    let club = club_of(store)?;
    if club.failed_logins(name, FAILED_LOGIN_WINDOW)? >= MOST_FAILED_LOGINS {
        return Err(RehearsalError::TooManyLogins { minutes: FAILED_LOGIN_WINDOW / 60 });
    }
    let member = club.member_to_log_in(name)?.and_then(|(member, hash)| {
        let parsed = PasswordHash::new(&hash).ok()?;
        argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok().then_some(member)
    });
    let Some(member) = member else {
        club.note_failed_login(name, FAILED_LOGIN_WINDOW)?;
        return Err(RehearsalError::WrongLogin);
    };
    club.clear_failed_logins(name)?;
    let token: String = random_bytes::<32>()?.iter().map(|byte| format!("{byte:02x}")).collect();
    let expires_at = now() + SESSION_SECONDS;
    club.open_session(&token_hash(&token), member.id, expires_at)?;
    Ok(Login { member, token, expires_at })
}

/// The member a session token belongs to, if it is live.
pub fn member_of_session(store: &dyn Store, token: &str) -> Result<Option<Member>, RehearsalError> {
    Ok(club_of(store)?.session_member(&token_hash(token))?)
}

pub fn log_out(store: &dyn Store, token: &str) -> Result<(), RehearsalError> {
    Ok(club_of(store)?.close_session(&token_hash(token))?)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], RehearsalError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| RehearsalError::Password(error.to_string()))?;
    Ok(bytes)
}

fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Now, in unix seconds.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64)
}

/// What one member may see, read once per request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub member: Member,
    pieces: HashSet<i64>,
    /// The performers whose takes this member sees: themselves, or a coach's performers.
    performers: HashSet<i64>,
}

impl Viewer {
    pub fn of(store: &dyn Store, member: Member) -> Result<Viewer, RehearsalError> {
        let club = club_of(store)?;
        let pieces = club.assignments_of(member.id)?.into_iter().map(|assignment| assignment.piece_id).collect();
        let performers = match member.role {
            Role::Performer => HashSet::from([member.id]),
            Role::Coach => club.performers_with(member.id)?.into_iter().map(|performer| performer.id).collect(),
        };
        Ok(Viewer { member, pieces, performers })
    }

    pub fn sees_piece(&self, piece_id: i64) -> bool {
        self.pieces.contains(&piece_id)
    }

    /// A take of a piece this member sees, by a performer whose takes they see.
    pub fn sees_take(&self, take: &Take) -> bool {
        self.sees_piece(take.piece_id) && take.performer_id.is_some_and(|id| self.performers.contains(&id))
    }

    pub fn is_coach(&self) -> bool {
        self.member.role == Role::Coach
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_store::testing::ThrowawayDatabase;
    use encore_store::{NewTake, PostgresStore};

    #[test]
    fn a_member_logs_in_with_their_password_and_out_again() {
        let database = ThrowawayDatabase::new();
        let store = PostgresStore::open(&database.url).unwrap();
        assert!(matches!(
            add_member(&store, "Ada", Role::Performer, "short"),
            Err(RehearsalError::ShortPassword { .. })
        ));
        let ada = add_member(&store, "Ada", Role::Performer, "a long secret").unwrap();
        let (_, hash) = store.member_to_log_in("Ada").unwrap().unwrap();
        assert!(hash.starts_with("$argon2id$") && !hash.contains("a long secret"), "{hash}");

        assert!(matches!(log_in(&store, "Ada", "a wrong secret"), Err(RehearsalError::WrongLogin)));
        assert!(matches!(log_in(&store, "Nobody", "a long secret"), Err(RehearsalError::WrongLogin)));
        let login = log_in(&store, "ada", "a long secret").unwrap();
        assert_eq!(login.member, ada);
        assert_eq!(login.token.len(), 64);
        assert_eq!(member_of_session(&store, &login.token).unwrap(), Some(ada));
        log_out(&store, &login.token).unwrap();
        assert_eq!(member_of_session(&store, &login.token).unwrap(), None);
    }

    #[test]
    fn after_five_wrong_passwords_even_the_right_one_waits() {
        let database = ThrowawayDatabase::new();
        let store = PostgresStore::open(&database.url).unwrap();
        add_member(&store, "Ada", Role::Performer, "a long secret").unwrap();
        for _ in 0..MOST_FAILED_LOGINS {
            assert!(matches!(log_in(&store, "Ada", "guess"), Err(RehearsalError::WrongLogin)));
        }
        let error = log_in(&store, "Ada", "a long secret").unwrap_err();
        assert!(matches!(error, RehearsalError::TooManyLogins { minutes: 15 }), "{error:?}");
    }

    #[test]
    fn performers_see_their_own_takes_and_coaches_their_groups_takes() {
        let database = ThrowawayDatabase::new();
        let store = PostgresStore::open(&database.url).unwrap();
        let club = club_of(&store).unwrap();
        let ada = club.add_member("Ada", Role::Performer, "h").unwrap();
        let ben = club.add_member("Ben", Role::Performer, "h").unwrap();
        let cleo = club.add_member("Cleo", Role::Coach, "h").unwrap();
        let dan = club.add_member("Dan", Role::Coach, "h").unwrap();
        club.add_group("Year 10").unwrap();
        club.add_group("Choir").unwrap();
        for (group, member) in [("Year 10", "Ada"), ("Year 10", "Ben"), ("Year 10", "Cleo"), ("Choir", "Dan")] {
            club.join_group(group, member).unwrap();
        }
        let assigned = store.add_piece("Ozymandias", "I met a traveller").unwrap();
        let other = store.add_piece("Sonnet 18", "Shall I compare thee").unwrap();
        club.assign(assigned.id, "Year 10", None).unwrap();
        let audio = store.save_audio(b"a voice", "wav").unwrap();
        let take_by = |performer: i64| {
            store
                .add_take(&NewTake {
                    piece_id: assigned.id,
                    script_version_id: assigned.script.id,
                    audio: &audio,
                    source_name: "take.wav".into(),
                    duration: None,
                    performer_id: Some(performer),
                })
                .unwrap()
        };
        let (adas, bens) = (take_by(ada.id), take_by(ben.id));

        let as_ada = Viewer::of(&store, ada).unwrap();
        assert!(as_ada.sees_piece(assigned.id) && !as_ada.sees_piece(other.id));
        assert!(as_ada.sees_take(&adas) && !as_ada.sees_take(&bens));
        let as_cleo = Viewer::of(&store, cleo).unwrap();
        assert!(as_cleo.is_coach() && as_cleo.sees_take(&adas) && as_cleo.sees_take(&bens));
        let as_dan = Viewer::of(&store, dan).unwrap();
        assert!(!as_dan.sees_piece(assigned.id) && !as_dan.sees_take(&adas), "another group's coach sees nothing");
    }
}
