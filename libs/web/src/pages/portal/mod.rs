//! The staff's pages: sign-in and their account, the dashboard, the front desk, the floor,
//! parts, invoices, messages and the workshop's settings.

pub mod access;
pub mod account;
pub mod calendar;
pub mod campaigns;
pub mod customers;
pub mod dashboard;
pub mod desk_settings;
pub mod domains;
pub mod floor;
pub mod inbox;
pub mod inventory;
pub mod invoices;
pub mod messages;
pub mod notifications;
pub mod purchasing;
pub mod signin;
pub mod sso;
pub mod staff;
pub mod templates;
pub mod two_factor;
pub mod workshop;
pub mod workshop_settings;

use poem::Route;

/// Every staff page; each module adds its own.
pub fn routes(routes: Route) -> Route {
    [
        signin::routes,
        sso::routes,
        two_factor::routes,
        account::routes,
        access::routes,
        dashboard::routes,
        notifications::routes,
        staff::routes,
        domains::routes,
        customers::routes,
        calendar::routes,
        inbox::routes,
        campaigns::routes,
        desk_settings::routes,
        workshop::routes,
        floor::routes,
        workshop_settings::routes,
        inventory::routes,
        purchasing::routes,
        invoices::routes,
        messages::routes,
        templates::routes,
    ]
    .into_iter()
    .fold(routes, |routes, add| add(routes))
}
