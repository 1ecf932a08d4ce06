use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist for this tenant (which includes: it belongs to another tenant).
    #[error("not found")]
    NotFound,
    /// A unique key is taken; the text names the constraint, for logs, not for people.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database role may bypass row-level security; the text says how to fix the setup.
    #[error("{0}")]
    UnsafeRole(String),
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Db(DbErr),
    /// Text the database cannot (or must not) store, refused before it is sent: the column
    /// and what is wrong, for the person who typed it.
    #[error("{column} {message}")]
    Invalid {
        column: String,
        message: &'static str,
    },
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Conflict(detail),
            // PostgreSQL's exclusion constraints (no two bookings of one bay at once) refuse
            // like a unique key does; sea-orm has no variant for them.
            _ if err.to_string().contains("violates exclusion constraint") => {
                StoreError::Conflict(err.to_string())
            }
            _ => StoreError::Db(err),
        }
    }
}

impl StoreError {
    /// True when a unique constraint whose name or message mentions `needle` was violated.
    pub fn is_conflict_on(&self, needle: &str) -> bool {
        matches!(self, StoreError::Conflict(detail) if detail.contains(needle))
    }
}

impl From<StoreError> for pitlane_domain::ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => pitlane_domain::ServiceError::NotFound,
            StoreError::Invalid { column, message } => pitlane_domain::ServiceError::Invalid(
                pitlane_domain::FieldErrors::single(&column, message),
            ),
            other => pitlane_domain::ServiceError::internal(other),
        }
    }
}
