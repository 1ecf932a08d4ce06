//! The bell in the page header: the signed-in member's unread notifications, read once per
//! page view so every page shows it without JavaScript.

use pitlane_app::AppState;
use pitlane_notify::staff;
use poem::{Endpoint, Middleware, Request, Result, http::Method};

use crate::session::Auth;

/// The reader's unread count, for the bell in the page header.
#[derive(Debug, Clone, Copy)]
pub struct UnreadCount(pub u64);

/// Reads the unread count for signed-in page views (one indexed count), so every page's
/// header shows the bell without JavaScript.
pub struct LoadUnread;

impl<E: Endpoint> Middleware<E> for LoadUnread {
    type Output = LoadUnreadEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        LoadUnreadEndpoint { inner: ep }
    }
}

pub struct LoadUnreadEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for LoadUnreadEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        if req.method() == Method::GET
            && let Some(auth) = req.extensions().get::<Auth>().cloned()
            && let Some(state) = req.data::<AppState>()
        {
            // Usually read with the session already, in the same statement.
            let counted = match auth.unread {
                Some(n) => Ok(n),
                None => staff::unread_count(&state.store, &auth.actor).await,
            };
            match counted {
                Ok(n) => {
                    req.extensions_mut().insert(UnreadCount(n));
                }
                Err(err) => tracing::warn!(error = %err, "unread notifications"),
            }
        }
        self.inner.call(req).await
    }
}
