//! The customer's pages on the workshop's branded site: its front page, booking, the repair's
//! live status and estimate, paying an invoice, the account, messages, unsubscribing.

pub mod account;
pub mod booking;
pub mod home;
pub mod messages;
pub mod pay;
pub mod repair;
pub mod unsubscribe;

use poem::Route;

/// Every page of the customer's site but [`unsubscribe`], which stands outside the form
/// token (see there).
pub fn routes(routes: Route) -> Route {
    [
        home::routes,
        account::routes,
        messages::routes,
        booking::routes,
        repair::routes,
        pay::routes,
    ]
    .into_iter()
    .fold(routes, |routes, add| add(routes))
}
