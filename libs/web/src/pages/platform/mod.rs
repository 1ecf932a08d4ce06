//! The platform's own pages, on its address rather than a workshop's: the front page,
//! sign-up, the workshop picker, and the operator's views.

page_modules!(home, signup, picker, operator,);
