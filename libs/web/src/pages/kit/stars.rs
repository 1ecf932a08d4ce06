//! How a rating of one to five stars reads, on the customer's pages and the staff's alike.

use maud::{Markup, html};

/// "4 of 5 stars", with the stars drawn for the eye only.
pub fn stars_text(stars: u8) -> Markup {
    let drawn: String = (1..=5)
        .map(|n| if n <= stars { '★' } else { '☆' })
        .collect();
    html! {
        span class="stars" aria-hidden="true" { (drawn) }
        " " span { (stars) " of 5 stars" }
    }
}
