//! The platform's own pages, on its address rather than a workshop's: the front page,
//! sign-up, the workshop picker, and the operator's views.

pub mod home;
pub mod operator;
pub mod picker;
pub mod signup;

use poem::Route;

pub fn routes(routes: Route) -> Route {
    [
        home::routes,
        signup::routes,
        picker::routes,
        operator::routes,
    ]
    .into_iter()
    .fold(routes, |routes, add| add(routes))
}
