//! Topics of the live-update stream, and who may follow each.

use crate::{Actor, FieldErrors, ServiceError, permissions::Permission};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Delivery state of the workshop's messages.
    Messages,
    /// The reader's own in-app notifications (each reader hears only their own).
    Notifications,
    /// Appointments booked, moved, cancelled or checked in (the staff calendar).
    Calendar,
    /// Customer conversations: staff hear all; a customer hears only their own.
    Conversations,
    /// Repair orders, jobs and the job board (the workshop floor).
    Workshop,
    /// A repair order's progress as its customer follows it: events are addressed to the
    /// order (the listener's "user" is the order's id), so a reader hears only their car.
    Repair,
    /// An invoice as its customer follows it while paying (addressed to the invoice's id).
    Invoice,
    /// A roadside request as its driver, its mechanic and the dispatchers follow it: events
    /// are addressed to the request (the listener's "user" is the request's id), and the
    /// mechanic's position travels here while they are on the way.
    Roadside,
    /// The dispatch board: requests asked, taken, moving and closed, workshop-wide.
    Dispatch,
}

impl Topic {
    pub const ALL: [Topic; 9] = [
        Topic::Messages,
        Topic::Notifications,
        Topic::Calendar,
        Topic::Conversations,
        Topic::Workshop,
        Topic::Repair,
        Topic::Invoice,
        Topic::Roadside,
        Topic::Dispatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Messages => "messages",
            Topic::Notifications => "notifications",
            Topic::Calendar => "calendar",
            Topic::Conversations => "conversations",
            Topic::Workshop => "workshop",
            Topic::Repair => "repair",
            Topic::Invoice => "invoice",
            Topic::Roadside => "roadside",
            Topic::Dispatch => "dispatch",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// The topics a reader asks for (comma-separated), each checked against their role; all
    /// the topics they may follow when they name none.
    pub fn requested(list: Option<&str>, actor: &Actor) -> Result<Vec<Topic>, ServiceError> {
        let Some(list) = list.filter(|l| !l.trim().is_empty()) else {
            return Ok(Self::ALL
                .into_iter()
                .filter(|t| t.authorize(actor).is_ok())
                .collect());
        };
        let mut topics = Vec::new();
        for name in list.split(',').map(str::trim) {
            let topic = Self::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                ServiceError::Invalid(FieldErrors::single(
                    "topics",
                    format!("{name:?} is not a topic; use {}", known.join(", ")),
                ))
            })?;
            topic.authorize(actor)?;
            topics.push(topic);
        }
        Ok(topics)
    }

    /// Refuses a reader who may not follow this topic.
    pub fn authorize(self, actor: &Actor) -> Result<(), ServiceError> {
        match self {
            Topic::Messages => actor.require(Permission::SettingsManage),
            Topic::Notifications => Ok(()),
            Topic::Calendar => actor.require(Permission::CustomersRead),
            // Customers hear events addressed to them alone (the listener's user).
            Topic::Conversations if actor.role.is(crate::permissions::Role::Customer) => Ok(()),
            Topic::Conversations => actor.require(Permission::CustomersRead),
            Topic::Workshop => actor.require(Permission::RepairOrdersRead),
            // Followed through the order's signed link, never as a workshop-wide stream.
            Topic::Repair | Topic::Invoice => {
                Err(ServiceError::Forbidden(Permission::RepairOrdersRead.key()))
            }
            // One request at a time, after the service checked the reader may see it.
            Topic::Roadside => Err(ServiceError::Forbidden(Permission::JobsWork.key())),
            // Mechanics taking roadside jobs hear new requests too.
            Topic::Dispatch if actor.can(Permission::JobsWork) => Ok(()),
            Topic::Dispatch => actor.require(Permission::RoadsideDispatch),
        }
    }
}
