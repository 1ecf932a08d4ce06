//! Form pieces: every input has a label, its hint and error are tied to it for screen
//! readers, and what was typed is kept when the form comes back with an error.
//!
//! A field's id is `f-{name}`. A page with several forms that share field names (an amount
//! to pay and an amount to refund) gives the others a scope, `f-{scope}-{name}`
//! ([`Field::within`], [`select_in`], [`textarea_in`], [`error_summary_in`]), so no id is
//! used twice and every label points at its own input.

use maud::{Markup, html};
use pitlane_domain::FieldErrors;

use super::layout::PageCtx;

pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub autocomplete: Option<&'a str>,
    pub required: bool,
    /// Which of the page's forms the field is in, when it is not the page's only one.
    pub scope: Option<&'a str>,
}

/// The id of a form field: `f-{name}`, or `f-{scope}-{name}` in a scoped form.
pub fn field_id(scope: Option<&str>, name: &str) -> String {
    match scope {
        Some(scope) => format!("f-{scope}-{name}"),
        None => format!("f-{name}"),
    }
}

impl<'a> Field<'a> {
    pub fn new(name: &'a str, label: &'a str, value: &'a str) -> Self {
        Self {
            name,
            label,
            kind: "text",
            value,
            hint: None,
            autocomplete: None,
            required: false,
            scope: None,
        }
    }

    /// Puts the field in one of the page's forms (see the module's notes on ids).
    pub fn within(mut self, scope: &'a str) -> Self {
        self.scope = Some(scope);
        self
    }

    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn autocomplete(mut self, value: &'a str) -> Self {
        self.autocomplete = Some(value);
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn render(&self, errors: &FieldErrors) -> Markup {
        let error = errors.message_for(self.name);
        let id = field_id(self.scope, self.name);
        let described = describedby(&id, self.hint.is_some(), error.is_some());
        html! {
            div class="field" {
                label for=(id) { (self.label) }
                @if let Some(hint) = self.hint { span class="hint" id=(format!("{id}-hint")) { (hint) } }
                input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                    autocomplete=[self.autocomplete] required[self.required]
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
                @if let Some(error) = error { span class="error" id=(format!("{id}-error")) { (error) } }
            }
        }
    }
}

pub fn describedby(id: &str, hint: bool, error: bool) -> Option<String> {
    let parts: Vec<String> = [
        hint.then(|| format!("{id}-hint")),
        error.then(|| format!("{id}-error")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The form a guest types their one-time code into (`id` names what it confirms).
pub fn one_time_code_form(
    ctx: &PageCtx,
    action: &str,
    id: uuid::Uuid,
    button: &str,
    errors: &FieldErrors,
) -> Markup {
    html! {
        form class="stack card" method="post" action=(ctx.link(action)) novalidate {
            (csrf_input(ctx))
            input type="hidden" name="id" value=(id);
            (Field::new("code", "Code", "").autocomplete("one-time-code").hint("6 digits").required().render(errors))
            div { button class="button" type="submit" { (button) } }
        }
    }
}

pub fn csrf_input(ctx: &PageCtx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

/// A summary at the top of a form that failed, so nobody has to hunt for what went wrong.
/// `labels` names the fields as the form shows them; each entry links to its field.
pub fn error_summary(errors: &FieldErrors, labels: &[(&str, &str)]) -> Markup {
    error_summary_in(errors, labels, None)
}

/// [`error_summary`] for a form whose fields are in `scope`: its links lead to them.
pub fn error_summary_in(
    errors: &FieldErrors,
    labels: &[(&str, &str)],
    scope: Option<&str>,
) -> Markup {
    let label_of = |field: &str| {
        labels
            .iter()
            .find(|(name, _)| *name == field)
            .map_or_else(|| field.replace('_', " "), |(_, label)| (*label).to_owned())
    };
    html! {
        @if !errors.is_empty() {
            div class="notice error" role="alert" {
                p { strong { "Please correct the following:" } }
                ul {
                    @for e in &errors.0 {
                        // The form token has no field to jump to.
                        @if e.field == "csrf" { li { (label_of(&e.field)) ": " (e.message) } }
                        @else { li { a href=(format!("#{}", field_id(scope, &e.field))) { (label_of(&e.field)) ": " (e.message) } } }
                    }
                }
            }
        }
    }
}

/// A local path to go back to after a form, or `fallback`; never another site.
pub fn local_path(raw: &str, fallback: &str) -> String {
    // Browsers drop tabs and line breaks from addresses and read `\` as `/`, so
    // `/\t/evil.example` would become `//evil.example`: another site. Only a plain path on
    // this site passes.
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.contains('\\')
        && !raw.contains("://")
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        raw.to_owned()
    } else {
        fallback.to_owned()
    }
}

/// A posted form, as the name–value pairs it was sent as (repeated names included, for
/// checkbox groups). The one way pages read a form: handlers take it as an extractor.
#[derive(Debug, Clone, Default)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn parse(body: &str) -> Self {
        Self::parse_bytes(body.as_bytes())
    }

    pub fn parse_bytes(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A group of checkboxes with a legend; `checked` says which values are ticked.
pub fn checkbox_group(
    name: &str,
    legend: &str,
    options: &[(String, String)],
    checked: &[String],
    errors: &FieldErrors,
) -> Markup {
    choice_group("checkbox", name, legend, options, checked, errors)
}

/// A group of radio buttons with a legend (one choice of several); `chosen` is the value
/// picked, if any.
pub fn radio_group(
    name: &str,
    legend: &str,
    options: &[(String, String)],
    chosen: &str,
    errors: &FieldErrors,
) -> Markup {
    choice_group("radio", name, legend, options, &[chosen.to_owned()], errors)
}

fn choice_group(
    input_type: &str,
    name: &str,
    legend: &str,
    options: &[(String, String)],
    checked: &[String],
    errors: &FieldErrors,
) -> Markup {
    let error = errors.message_for(name);
    let id = format!("f-{name}");
    html! {
        fieldset class="field checks" id=(id) aria-describedby=[error.map(|_| format!("{id}-error"))] {
            legend { (legend) }
            @for (value, label) in options {
                label class="check" {
                    input type=(input_type) name=(name) value=(value) checked[checked.contains(value)];
                    " " (label)
                }
            }
            @if let Some(error) = error { span class="error" id=(format!("{id}-error")) { (error) } }
        }
    }
}

/// A select with a label; `value` is the chosen option.
pub fn select(
    name: &str,
    label: &str,
    options: &[(String, String)],
    value: &str,
    errors: &FieldErrors,
) -> Markup {
    select_in(None, name, label, options, value, errors)
}

/// [`select`] in one of the page's forms (see the module's notes on ids).
pub fn select_in(
    scope: Option<&str>,
    name: &str,
    label: &str,
    options: &[(String, String)],
    value: &str,
    errors: &FieldErrors,
) -> Markup {
    let error = errors.message_for(name);
    let id = field_id(scope, name);
    html! {
        div class="field" {
            label for=(id) { (label) }
            select id=(id) name=(name) aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))] {
                @for (v, l) in options {
                    option value=(v) selected[v == value] { (l) }
                }
            }
            @if let Some(error) = error { span class="error" id=(format!("{id}-error")) { (error) } }
        }
    }
}

/// A multi-line text field with a label, kept as typed when the form comes back.
pub fn textarea(name: &str, label: &str, value: &str, errors: &FieldErrors) -> Markup {
    textarea_in(None, name, label, value, errors)
}

/// [`textarea`] in one of the page's forms (see the module's notes on ids).
pub fn textarea_in(
    scope: Option<&str>,
    name: &str,
    label: &str,
    value: &str,
    errors: &FieldErrors,
) -> Markup {
    let error = errors.message_for(name);
    let id = field_id(scope, name);
    html! {
        div class="field" {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3" aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-error"))] { (value) }
            @if let Some(error) = error { span class="error" id=(format!("{id}-error")) { (error) } }
        }
    }
}

impl Pairs {
    /// The trimmed value of `name`, or `None` when left empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|s| !s.is_empty())
    }

    /// `name` parsed as `T` when given; a field error saying `message` when it does not parse.
    pub fn parsed<T: std::str::FromStr>(
        &self,
        name: &str,
        message: &str,
        errors: &mut FieldErrors,
    ) -> Option<T> {
        let raw = self.get(name).trim();
        if raw.is_empty() {
            return None;
        }
        match raw.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                errors.add(name, message);
                None
            }
        }
    }

    /// An odometer reading as people write it (`12,345`, `12 345`), when given.
    pub fn mileage(&self, name: &str, errors: &mut FieldErrors) -> Option<i64> {
        let raw: String = self
            .get(name)
            .chars()
            .filter(|c| !matches!(c, ',' | ' '))
            .collect();
        if raw.is_empty() {
            return None;
        }
        raw.parse()
            .map_err(|_| errors.add(name, "write the mileage as a whole number"))
            .ok()
    }

    /// The value of `name` as an id, if it is one.
    pub fn id(&self, name: &str) -> Option<uuid::Uuid> {
        uuid::Uuid::try_parse(self.get(name).trim()).ok()
    }
}

/// `path?a=1&b=2`, leaving out empty values: links that carry a page's choices.
pub fn query_link(path: &str, pairs: &[(&str, String)]) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    format!("{path}?{q}")
}

/// The status for a page: 422 when it comes back with errors.
pub fn status_for(errors: &FieldErrors) -> poem::http::StatusCode {
    if errors.is_empty() {
        poem::http::StatusCode::OK
    } else {
        poem::http::StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The form of a page that came back with errors, and what was typed in it; the page draws
/// that form with both and every other form as it would anyway.
#[derive(Debug, Default)]
pub struct Returned {
    pub form: &'static str,
    pub pairs: Pairs,
    pub errors: FieldErrors,
}

static NO_ERRORS: std::sync::LazyLock<FieldErrors> = std::sync::LazyLock::new(FieldErrors::new);

impl Returned {
    pub fn new(form: &'static str, pairs: Pairs, errors: FieldErrors) -> Self {
        Self {
            form,
            pairs,
            errors,
        }
    }

    /// Whether `form` is the one that came back.
    pub fn is(&self, form: &str) -> bool {
        !self.form.is_empty() && self.form == form
    }

    /// The messages for `form`: its errors if it came back, none otherwise.
    pub fn errors_of(&self, form: &str) -> &FieldErrors {
        if self.is(form) {
            &self.errors
        } else {
            &NO_ERRORS
        }
    }

    /// What was typed into `form`, if it came back.
    pub fn typed(&self, form: &str) -> Option<&Pairs> {
        self.is(form).then_some(&self.pairs)
    }

    /// The value of `name` as typed into `form`, or `""`.
    pub fn value(&self, form: &str, name: &str) -> &str {
        self.typed(form).map_or("", |p| p.get(name))
    }
}

/// A posted form that may carry files (`multipart/form-data`, whose form token is in the
/// address): its fields as [`Pairs`], and each chosen file's field name and bytes. An
/// url-encoded form reads as one without files. The one way pages read uploads.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pub form: Pairs,
    pub files: Vec<(String, Vec<u8>)>,
    /// The upload could not be read to its end (cut off, or larger than allowed).
    pub cut_off: bool,
}

impl Posted {
    /// The files chosen in the field `name`, or the message for the form (at `field`) when
    /// the upload did not arrive whole.
    pub fn files_of(
        self,
        name: &str,
        field: &str,
    ) -> Result<Vec<Vec<u8>>, pitlane_domain::ServiceError> {
        if self.cut_off {
            return Err(pitlane_domain::FieldErrors::single(
                field,
                "the upload was cut off or too large; photos up to 10 MB",
            )
            .into());
        }
        Ok(self
            .files
            .into_iter()
            .filter(|(n, _)| n == name)
            .map(|(_, bytes)| bytes)
            .collect())
    }
}

/// The `photo` file of an upload: its bytes, or the message for the form.
pub fn uploaded_photo(posted: Posted) -> Result<Vec<u8>, pitlane_domain::ServiceError> {
    posted
        .files_of("photo", "photo")?
        .into_iter()
        .next()
        .ok_or_else(|| pitlane_domain::FieldErrors::single("photo", "choose a photo first").into())
}
