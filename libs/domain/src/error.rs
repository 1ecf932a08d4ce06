use std::fmt;

/// One field that failed to parse, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// All the fields of one input that failed, so a form can show every problem at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// Parses one field, recording its error under `field`; returns `None` when it failed.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(error) => {
                self.add(field, error.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn message_for(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// The same errors with `from` reported as `to` (when a page shows the field under
    /// another name).
    pub fn renamed(mut self, from: &str, to: &str) -> Self {
        for error in &mut self.0 {
            if error.field == from {
                error.field = to.to_owned();
            }
        }
        self
    }

    /// `Ok(())` when nothing failed, so callers can `?` after checking every field.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// What an application service can answer besides success. The web layer maps it once:
/// to problem+json on the API, to a themed page (with the form kept) in the portal.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("your role does not allow this ({0})")]
    Forbidden(&'static str),
    /// Missing, or another tenant's: the two are indistinguishable on purpose.
    #[error("not found")]
    NotFound,
    #[error("some fields need attention: {0}")]
    Invalid(FieldErrors),
    /// Well-formed but clashing with existing data (a taken name, say), per field.
    #[error("conflict: {0}")]
    Conflict(FieldErrors),
    /// Something broke on our side. The cause (with its own causes) is for the logs, never
    /// for responses.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl ServiceError {
    /// Something broke on our side, because of `cause` (an error, or a sentence saying what).
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        ServiceError::Internal(cause.into())
    }

    /// The whole chain of causes of an internal error, for its log line. The message names
    /// the first cause already; the causes of that cause follow.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self).and_then(|first| first.source());
        while let Some(err) = cause {
            text.push_str(": ");
            text.push_str(&err.to_string());
            cause = err.source();
        }
        text
    }
    /// The same answer with field `from` called `to`: a service's field shown on a form (or in
    /// an API) that names it differently.
    pub fn renamed(self, from: &str, to: &str) -> Self {
        match self {
            ServiceError::Invalid(e) => ServiceError::Invalid(e.renamed(from, to)),
            ServiceError::Conflict(e) => ServiceError::Conflict(e.renamed(from, to)),
            other => other,
        }
    }
}

impl From<FieldErrors> for ServiceError {
    fn from(errors: FieldErrors) -> Self {
        ServiceError::Invalid(errors)
    }
}
