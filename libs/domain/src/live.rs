//! Topics of the live-update stream, and who may follow each.

use crate::{Actor, ServiceError, permissions::Permission};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Delivery state of the workshop's messages.
    Messages,
    /// The reader's own in-app notifications (each reader hears only their own).
    Notifications,
}

impl Topic {
    pub const ALL: [Topic; 2] = [Topic::Messages, Topic::Notifications];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Messages => "messages",
            Topic::Notifications => "notifications",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// Refuses a reader who may not follow this topic.
    pub fn authorize(self, actor: &Actor) -> Result<(), ServiceError> {
        match self {
            Topic::Messages => actor.require(Permission::SettingsManage),
            Topic::Notifications => Ok(()),
        }
    }
}
