//! The people of a club or a school: members, each a performer or a coach, with a password
//! (kept only as its hash); the groups they are in; the pieces assigned to each group; who is
//! logged in; and how many times a name has just failed to log in. Only a club's database
//! has them ([`Store::club`](crate::Store::club)); who may see what is decided above, in the
//! rehearsal layer, from what is kept here.

use crate::StoreError;

/// What a member does in the club.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Rehearses the pieces assigned to their groups and sees their own takes.
    Performer,
    /// Sees the takes of the performers in their groups, and may change a verdict.
    Coach,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Performer => "performer",
            Role::Coach => "coach",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        [Role::Performer, Role::Coach].into_iter().find(|role| role.name() == name)
    }
}

/// A member of the club.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: i64,
}

/// A group of members (a class, a cast), to which pieces are assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub name: String,
}

/// A piece assigned to a group, perhaps by a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub piece_id: i64,
    pub group: Group,
    /// Unix seconds.
    pub due: Option<i64>,
}

/// The people of a club. Each call is one transaction.
pub trait Club {
    /// Adds a member; names are unique ignoring case.
    fn add_member(&self, name: &str, role: Role, password_hash: &str) -> Result<Member, StoreError>;
    /// The member with this name (ignoring case) and their password's hash, for logging in.
    fn member_to_log_in(&self, name: &str) -> Result<Option<(Member, String)>, StoreError>;
    fn member(&self, id: i64) -> Result<Member, StoreError>;
    /// Adds a group; names are unique ignoring case.
    fn add_group(&self, name: &str) -> Result<Group, StoreError>;
    /// Puts a member in a group (again changes nothing).
    fn join_group(&self, group: &str, member: &str) -> Result<(Group, Member), StoreError>;
    /// The groups a member is in.
    fn groups_of(&self, member_id: i64) -> Result<Vec<Group>, StoreError>;
    /// The members of a group, by name.
    fn members_of(&self, group_id: i64) -> Result<Vec<Member>, StoreError>;
    /// The pieces assigned to a group, the soonest due first.
    fn assignments_to(&self, group_id: i64) -> Result<Vec<Assignment>, StoreError>;
    /// The performers in any group a member is in (for a coach, the performers they coach).
    fn performers_with(&self, member_id: i64) -> Result<Vec<Member>, StoreError>;
    /// Assigns a piece to a group, or changes its due date.
    fn assign(&self, piece_id: i64, group: &str, due: Option<i64>) -> Result<Assignment, StoreError>;
    /// The assignments of the pieces assigned to any group the member is in.
    fn assignments_of(&self, member_id: i64) -> Result<Vec<Assignment>, StoreError>;

    /// Keeps a login session, known by the hash of its token, until `expires_at`.
    fn open_session(&self, token_hash: &str, member_id: i64, expires_at: i64) -> Result<(), StoreError>;
    /// The member logged in with this session, if it exists and has not expired.
    fn session_member(&self, token_hash: &str) -> Result<Option<Member>, StoreError>;
    fn close_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Notes a failed login under this name and returns how many there were since the first
    /// of the last `window` seconds.
    fn note_failed_login(&self, name: &str, window: i64) -> Result<u32, StoreError>;
    /// How many logins failed under this name in the last `window` seconds.
    fn failed_logins(&self, name: &str, window: i64) -> Result<u32, StoreError>;
    /// Forgets the failures under this name, after a login that succeeded.
    fn clear_failed_logins(&self, name: &str) -> Result<(), StoreError>;
}
