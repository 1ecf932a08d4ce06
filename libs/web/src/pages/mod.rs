//! The pages, server-rendered with maud, grouped by who uses them: [`portal`] (staff),
//! [`site`] (the workshop's customers), [`platform`] (the platform's own address), and the
//! [`kit`] they are all made with. Each module adds its routes; this one assembles the two
//! page trees with the pipeline's middleware (see [`kit::pipeline`]).

/// Declares a group's page modules and its `routes()`, which folds in each module's own
/// `routes()`: a new page is its module and its name in its group's list, nothing else.
macro_rules! page_modules {
    ($($module:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// Every page of this group; each module adds its own.
        pub fn routes(routes: poem::Route) -> poem::Route {
            [$($module::routes),*]
                .into_iter()
                .fold(routes, |routes, add| add(routes))
        }
    };
}

pub mod kit;
pub mod platform;
pub mod portal;
pub mod site;

use poem::{Endpoint, EndpointExt, Response, Route};

use kit::{PageErrors, bell::LoadUnread, csrf::RequireFormToken};

/// A workshop's pages: the staff's portal and the customers' site.
pub fn tenant_routes() -> impl Endpoint<Output = Response> {
    let pages = [portal::routes, site::routes, kit::theme::routes]
        .into_iter()
        .fold(Route::new(), |routes, add| add(routes));
    site::unsubscribe::routes(Route::new())
        .nest("/", pages.with(RequireFormToken))
        .with(LoadUnread)
        .with(PageErrors)
}

/// The platform's pages.
pub fn platform_routes() -> impl Endpoint<Output = Response> {
    [platform::routes, kit::theme::routes]
        .into_iter()
        .fold(Route::new(), |routes, add| add(routes))
        .with(RequireFormToken)
        .with(PageErrors)
}
