//! The staff pages: members with their roles and branches, invitations, the workshop's roles.
//! Every action goes through the same identity services as the API.

use maud::{Markup, html};
use pitlane_domain::{
    Actor, FieldErrors, ServiceError,
    permissions::{BranchScope, Permission, PermissionSet, Role},
};
use pitlane_identity::{
    invitations::{self, InvitationInput},
    members::{self, MemberChange},
    roles::{self, RoleInput},
};
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Data, Path, Redirect},
};
use uuid::Uuid;

use super::{
    errors::{expired_form, service_error_page, sign_in_redirect},
    forms::{Field, Pairs, checkbox_group, csrf_errors, csrf_input, error_summary, select},
    layout::{PageCtx, page},
};
use crate::{links::site_of, session::Auth, state::AppState, tenant::TenantScope};

/// The roles `actor` could hand out, for selects: built-in (but customer) and custom ones.
async fn role_options(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<(String, String)>, ServiceError> {
    let mut options: Vec<(String, String)> = Role::ALL
        .iter()
        .filter(|r| r.is_staff() && (actor.is_owner() || **r != Role::Owner))
        .map(|r| (r.key().to_owned(), r.label().to_owned()))
        .collect();
    for custom in roles::list(&state.store, actor).await? {
        options.push((format!("custom:{}", custom.id), custom.name));
    }
    Ok(options)
}

async fn branch_options(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<(String, String)>, ServiceError> {
    Ok(
        pitlane_tenancy::branches::overview(&state.store, actor, 500)
            .await?
            .into_iter()
            .map(|b| (b.id.to_string(), b.name))
            .collect(),
    )
}

fn permission_options() -> Vec<(String, String)> {
    Permission::ALL
        .iter()
        .map(|p| (p.key().to_owned(), format!("{} ({})", p.label(), p.key())))
        .collect()
}

/// `all` ticked (or nothing chosen) means every branch.
fn branches_from(pairs: &Pairs) -> Option<Vec<Uuid>> {
    if pairs.get("all_branches") == "yes" {
        return None;
    }
    let ids: Vec<Uuid> = pairs
        .all("branch")
        .iter()
        .filter_map(|id| Uuid::try_parse(id).ok())
        .collect();
    Some(ids)
}

fn branch_fields(
    branches: &[(String, String)],
    chosen: Option<&[Uuid]>,
    errors: &FieldErrors,
) -> Markup {
    let checked: Vec<String> = chosen
        .unwrap_or_default()
        .iter()
        .map(Uuid::to_string)
        .collect();
    html! {
        div class="field" {
            label class="check" {
                input type="checkbox" name="all_branches" value="yes" checked[chosen.is_none()];
                " Every branch (including branches added later)"
            }
        }
        (checkbox_group("branch", "Or only these branches", branches, &checked, errors))
    }
}

struct StaffView {
    invite: Pairs,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn staff_page(ctx: &PageCtx, state: &AppState, auth: &Auth, view: StaffView) -> Response {
    let actor = &auth.actor;
    let loaded = async {
        Ok::<_, ServiceError>((
            members::list(&state.store, actor).await?,
            invitations::pending(&state.store, actor).await?,
            role_options(state, actor).await?,
            branch_options(state, actor).await?,
        ))
    }
    .await;
    let (people, pending, role_choices, branches) = match loaded {
        Ok(found) => found,
        Err(err) => return service_error_page(ctx, err),
    };
    let branch_name = |id: &Uuid| {
        branches
            .iter()
            .find(|(b, _)| *b == id.to_string())
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    };
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let chosen_branches = if view.invite.0.is_empty() {
        None
    } else {
        branches_from(&view.invite)
    };
    let body = page(
        ctx,
        "Staff",
        Some("staff"),
        html! {
            h1 { "Staff" }
            @if let Some(notice) = &view.notice { div class="notice success" role="status" { (notice) } }
            p {
                a href=(ctx.link("/portal/staff/roles")) { "The workshop's roles and what they allow" }
                " · "
                a href=(ctx.link("/portal/staff/applications")) { "Mechanic applications" }
            }
            section class="card" aria-labelledby="members-heading" {
                h2 id="members-heading" { "Members" }
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Branches" } th scope="col" { "Status" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                    tbody {
                        @for m in &people {
                            tr {
                                td { (m.name) }
                                td { (m.email) }
                                td { (m.role.label()) }
                                td { @match &m.branches { BranchScope::All => "All", BranchScope::Only(ids) => (ids.iter().map(&branch_name).collect::<Vec<_>>().join(", ")) } }
                                td { @if m.active { "Active" } @else { "Deactivated" } }
                                td { a href=(ctx.link(&format!("/portal/staff/{}", m.membership_id))) { "Change" span class="visually-hidden" { " " (m.name) } } }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="invite-heading" {
                h2 id="invite-heading" { "Invite someone" }
                (error_summary(&view.errors, &[("email", "E-mail"), ("name", "Name"), ("role", "Role"), ("branches", "Branches"), ("branch", "Branches"), ("csrf", "Form")]))
                form class="stack" method="post" action=(ctx.link("/portal/staff/invitations")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("email", "E-mail", view.invite.get("email")).kind("email").required().render(&view.errors))
                    (Field::new("name", "Name (optional)", view.invite.get("name")).render(&view.errors))
                    (select("role", "Role", &role_choices, if view.invite.get("role").is_empty() { "mechanic" } else { view.invite.get("role") }, &view.errors))
                    (branch_fields(&branches, chosen_branches.as_deref(), &view.errors))
                    div { button class="button" type="submit" { "Send the invitation" } }
                }
            }
            section class="card" aria-labelledby="pending-heading" {
                h2 id="pending-heading" { "Pending invitations" }
                @if pending.is_empty() { p class="muted" { "None." } }
                @else {
                    table {
                        thead { tr { th scope="col" { "E-mail" } th scope="col" { "Role" } th scope="col" { "Expires" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                        tbody {
                            @for i in &pending {
                                tr {
                                    td { (i.email) }
                                    td { (role_choices.iter().find(|(k, _)| *k == i.custom_role_id.map_or_else(|| i.role.clone(), |id| format!("custom:{id}"))).map_or(i.role.as_str(), |(_, l)| l.as_str())) }
                                    td { (i.expires_at.format("%Y-%m-%d %H:%M UTC")) }
                                    td {
                                        form method="post" action=(ctx.link(&format!("/portal/staff/invitations/{}/revoke", i.id))) {
                                            (csrf_input(ctx))
                                            button class="link-button" type="submit" { "Revoke" span class="visually-hidden" { " the invitation for " (i.email) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let notice = req.uri().query().and_then(|q| match q {
        "invited" => Some("The invitation is on its way.".to_owned()),
        "revoked" => Some("The invitation was revoked; its link no longer works.".to_owned()),
        "saved" => Some("Saved.".to_owned()),
        _ => None,
    });
    staff_page(
        &ctx,
        &state,
        &auth,
        StaffView {
            invite: Pairs(Vec::new()),
            errors: FieldErrors::new(),
            notice,
        },
    )
    .await
}

#[handler]
pub async fn invite(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return staff_page(
            &ctx,
            &state,
            &auth,
            StaffView {
                invite: pairs,
                errors: csrf,
                notice: None,
            },
        )
        .await;
    }
    let input = InvitationInput {
        email: pairs.get("email").to_owned(),
        name: Some(pairs.get("name").to_owned()),
        role: pairs.get("role").to_owned(),
        branches: branches_from(&pairs),
    };
    let site = site_of(&state.config, &scope);
    let invited = match pitlane_billing::subscriptions::allow_one_more(
        &state.billing,
        &auth.actor,
        pitlane_billing::subscriptions::Limit::Staff,
        &site,
    )
    .await
    {
        Ok(()) => invitations::invite(&state.identity, &auth.actor, &auth.name, input, &site).await,
        Err(err) => Err(err),
    };
    match invited {
        Ok(_) => Redirect::see_other(ctx.link("/portal/staff?invited")).into_response(),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            staff_page(
                &ctx,
                &state,
                &auth,
                StaffView {
                    invite: pairs,
                    errors,
                    notice: None,
                },
            )
            .await
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn revoke(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, Pairs::parse(&body).get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    match invitations::revoke(&state.store, &auth.actor, id).await {
        Ok(()) => Redirect::see_other(ctx.link("/portal/staff?revoked")).into_response(),
        Err(err) => service_error_page(&ctx, err),
    }
}

async fn member_page(
    ctx: &PageCtx,
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    form: Option<&Pairs>,
    errors: &FieldErrors,
) -> Response {
    let loaded = async {
        Ok::<_, ServiceError>((
            members::get(&state.store, &auth.actor, id).await?,
            role_options(state, &auth.actor).await?,
            branch_options(state, &auth.actor).await?,
        ))
    }
    .await;
    let (member, mut role_choices, branches) = match loaded {
        Ok(found) => found,
        Err(err) => return service_error_page(ctx, err),
    };
    if !role_choices.iter().any(|(k, _)| *k == member.role.key()) {
        role_choices.insert(0, (member.role.key(), member.role.label().to_owned()));
    }
    let role = form.map_or_else(|| member.role.key(), |f| f.get("role").to_owned());
    let chosen = match form {
        Some(f) => branches_from(f),
        None => member.branches.limited().map(<[Uuid]>::to_vec),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        &member.name,
        Some("staff"),
        html! {
            p { a href=(ctx.link("/portal/staff")) { "← Staff" } }
            h1 { (member.name) }
            p { (member.email) " · " @if member.active { "Active" } @else { "Deactivated" } }
            (error_summary(errors, &[("role", "Role"), ("branches", "Branches"), ("branch", "Branches"), ("active", "Status"), ("csrf", "Form")]))
            form class="stack" method="post" action=(ctx.link(&format!("/portal/staff/{id}"))) novalidate {
                (csrf_input(ctx))
                (select("role", "Role", &role_choices, &role, errors))
                (branch_fields(&branches, chosen.as_deref(), errors))
                div { button class="button" type="submit" { "Save" } }
            }
            form method="post" action=(ctx.link(&format!("/portal/staff/{id}/status"))) {
                (csrf_input(ctx))
                @if member.active {
                    input type="hidden" name="active" value="false";
                    p class="muted" { "Deactivating signs them out everywhere at once. Nothing they did is deleted." }
                    button class="button danger" type="submit" { "Deactivate " (member.name) }
                } @else {
                    input type="hidden" name="active" value="true";
                    button class="button" type="submit" { "Reactivate " (member.name) }
                }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn member_detail(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    match ctx.auth.clone() {
        Some(auth) => member_page(&ctx, &state, &auth, id, None, &FieldErrors::new()).await,
        None => sign_in_redirect(&ctx),
    }
}

async fn change_member(
    req: &Request,
    state: &AppState,
    id: Uuid,
    body: &str,
    status_only: bool,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return member_page(
            &ctx,
            state,
            &auth,
            id,
            (!status_only).then_some(&pairs),
            &csrf,
        )
        .await;
    }
    let change = if status_only {
        MemberChange {
            active: Some(pairs.get("active") == "true"),
            ..MemberChange::default()
        }
    } else {
        MemberChange {
            role: Some(pairs.get("role").to_owned()),
            branches: Some(branches_from(&pairs)),
            active: None,
        }
    };
    match members::update(&state.store, &auth.actor, id, change).await {
        Ok(_) => Redirect::see_other(ctx.link("/portal/staff?saved")).into_response(),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            member_page(
                &ctx,
                state,
                &auth,
                id,
                (!status_only).then_some(&pairs),
                &errors,
            )
            .await
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn save_member(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    change_member(req, &state, id, &body, false).await
}

#[handler]
pub async fn member_status(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    change_member(req, &state, id, &body, true).await
}

// ---- Roles ----

fn role_form(
    ctx: &PageCtx,
    action: &str,
    form: &Pairs,
    errors: &FieldErrors,
    button: &str,
) -> Markup {
    html! {
        (error_summary(errors, &[("name", "Name"), ("description", "Description"), ("permissions", "Permissions"), ("role", "Role"), ("csrf", "Form")]))
        form class="stack" method="post" action=(action) novalidate {
            (csrf_input(ctx))
            (Field::new("name", "Name", form.get("name")).required().render(errors))
            (Field::new("description", "Description (optional)", form.get("description")).render(errors))
            (checkbox_group("permissions", "Permissions", &permission_options(), &form.all("permissions"), errors))
            div { button class="button" type="submit" { (button) } }
        }
    }
}

async fn roles_page(
    ctx: &PageCtx,
    state: &AppState,
    auth: &Auth,
    form: &Pairs,
    errors: &FieldErrors,
) -> Response {
    let custom = match roles::list(&state.store, &auth.actor).await {
        Ok(rows) => rows,
        Err(err) => return service_error_page(ctx, err),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        "Roles",
        Some("staff"),
        html! {
            p { a href=(ctx.link("/portal/staff")) { "← Staff" } }
            h1 { "Roles" }
            section class="card" aria-labelledby="builtin-heading" {
                h2 id="builtin-heading" { "Built-in roles" }
                table {
                    thead { tr { th scope="col" { "Role" } th scope="col" { "Allows" } } }
                    tbody {
                        @for r in Role::ALL.iter().filter(|r| r.is_staff()) {
                            tr { td { (r.label()) } td { (r.permissions().keys().join(", ")) } }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="custom-heading" {
                h2 id="custom-heading" { "The workshop's own roles" }
                @if custom.is_empty() { p class="muted" { "None yet." } }
                @else {
                    table {
                        thead { tr { th scope="col" { "Role" } th scope="col" { "Allows" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                        tbody {
                            @for r in &custom {
                                tr {
                                    td { (r.name) @if let Some(d) = &r.description { br; span class="muted" { (d) } } }
                                    td { (PermissionSet::from_stored(&r.permissions).keys().join(", ")) }
                                    td { a href=(ctx.link(&format!("/portal/staff/roles/{}", r.id))) { "Change" span class="visually-hidden" { " " (r.name) } } }
                                }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="new-role-heading" {
                h2 id="new-role-heading" { "New role" }
                (role_form(ctx, &ctx.link("/portal/staff/roles"), form, errors, "Create the role"))
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn roles_list(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    match ctx.auth.clone() {
        Some(auth) => {
            roles_page(&ctx, &state, &auth, &Pairs(Vec::new()), &FieldErrors::new()).await
        }
        None => sign_in_redirect(&ctx),
    }
}

fn role_input(pairs: &Pairs) -> RoleInput {
    RoleInput {
        name: pairs.get("name").to_owned(),
        description: Some(pairs.get("description").to_owned()),
        permissions: pairs.all("permissions"),
    }
}

#[handler]
pub async fn create_role(req: &Request, state: Data<&AppState>, body: String) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return roles_page(&ctx, &state, &auth, &pairs, &csrf).await;
    }
    match roles::create(&state.store, &auth.actor, role_input(&pairs)).await {
        Ok(_) => Redirect::see_other(ctx.link("/portal/staff/roles")).into_response(),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            roles_page(&ctx, &state, &auth, &pairs, &errors).await
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

async fn role_page(
    ctx: &PageCtx,
    state: &AppState,
    auth: &Auth,
    id: Uuid,
    form: Option<Pairs>,
    errors: &FieldErrors,
) -> Response {
    let role = match roles::get(&state.store, &auth.actor, id).await {
        Ok(r) => r,
        Err(err) => return service_error_page(ctx, err),
    };
    let form = form.unwrap_or_else(|| {
        let mut pairs = vec![
            ("name".to_owned(), role.name.clone()),
            (
                "description".to_owned(),
                role.description.clone().unwrap_or_default(),
            ),
        ];
        pairs.extend(
            PermissionSet::from_stored(&role.permissions)
                .keys()
                .into_iter()
                .map(|k| ("permissions".to_owned(), k)),
        );
        Pairs(pairs)
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = page(
        ctx,
        &role.name,
        Some("staff"),
        html! {
            p { a href=(ctx.link("/portal/staff/roles")) { "← Roles" } }
            h1 { (role.name) }
            (role_form(ctx, &ctx.link(&format!("/portal/staff/roles/{id}")), &form, errors, "Save"))
            form method="post" action=(ctx.link(&format!("/portal/staff/roles/{id}/delete"))) {
                (csrf_input(ctx))
                button class="button danger" type="submit" { "Delete " (role.name) }
            }
        },
    );
    (status, body).into_response()
}

#[handler]
pub async fn role_detail(req: &Request, state: Data<&AppState>, Path(id): Path<Uuid>) -> Response {
    let ctx = PageCtx::from_request(req);
    match ctx.auth.clone() {
        Some(auth) => role_page(&ctx, &state, &auth, id, None, &FieldErrors::new()).await,
        None => sign_in_redirect(&ctx),
    }
}

#[handler]
pub async fn save_role(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return role_page(&ctx, &state, &auth, id, Some(pairs), &csrf).await;
    }
    match roles::update(&state.store, &auth.actor, id, role_input(&pairs)).await {
        Ok(_) => Redirect::see_other(ctx.link("/portal/staff/roles")).into_response(),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            role_page(&ctx, &state, &auth, id, Some(pairs), &errors).await
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn delete_role(
    req: &Request,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let pairs = Pairs::parse(&body);
    if !csrf_errors(req, pairs.get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    match roles::delete(&state.store, &auth.actor, id).await {
        Ok(()) => Redirect::see_other(ctx.link("/portal/staff/roles")).into_response(),
        Err(ServiceError::Conflict(errors)) => {
            role_page(&ctx, &state, &auth, id, None, &errors).await
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

// ---- Mechanic applications ----

fn apply_page(
    ctx: &PageCtx,
    branches: &[(String, String)],
    form: &Pairs,
    errors: &FieldErrors,
    sent: bool,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let workshop = ctx.tenant().map(|t| t.name.clone()).unwrap_or_default();
    let body = page(
        ctx,
        "Work with us",
        None,
        html! {
            h1 { "Work as a mechanic at " (workshop) }
            @if sent {
                div class="notice success" role="status" { "Thank you. Your application is in; we will e-mail you when it is decided." }
            } @else {
                (error_summary(errors, &[("name", "Name"), ("email", "E-mail"), ("phone", "Phone"), ("experience_years", "Years of experience"), ("certifications", "Certifications"), ("branches", "Branches"), ("message", "Message"), ("csrf", "Form")]))
                form class="stack" method="post" action=(ctx.link("/apply")) novalidate {
                    (csrf_input(ctx))
                    (Field::new("name", "Name", form.get("name")).autocomplete("name").required().render(errors))
                    (Field::new("email", "E-mail", form.get("email")).kind("email").autocomplete("email").required().render(errors))
                    (Field::new("phone", "Phone (optional)", form.get("phone")).kind("tel").autocomplete("tel").hint("With the country code, such as +44 7911 123456.").render(errors))
                    (Field::new("experience_years", "Years of experience", form.get("experience_years")).kind("number").required().render(errors))
                    (Field::new("certifications", "Certifications (optional)", form.get("certifications")).hint("Such as ASE A1–A8, IMI Level 3, EV high-voltage.").render(errors))
                    (checkbox_group("branches", "Where you would like to work", branches, &form.all("branches"), errors))
                    (Field::new("message", "Anything else (optional)", form.get("message")).render(errors))
                    div { button class="button" type="submit" { "Send my application" } }
                }
            }
        },
    );
    (status, body).into_response()
}

async fn public_branches(state: &AppState, scope: &TenantScope) -> Vec<(String, String)> {
    pitlane_tenancy::branches::public_list(&state.store, &scope.ctx())
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|b| (b.id.to_string(), b.name))
                .collect()
        })
        .unwrap_or_default()
}

#[handler]
pub async fn apply_form(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let branches = public_branches(&state, &scope).await;
    apply_page(
        &ctx,
        &branches,
        &Pairs(Vec::new()),
        &FieldErrors::new(),
        false,
    )
}

#[handler]
pub async fn apply(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    body: String,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let branches = public_branches(&state, &scope).await;
    let pairs = Pairs::parse(&body);
    let csrf = csrf_errors(req, pairs.get("csrf"));
    if !csrf.is_empty() {
        return apply_page(&ctx, &branches, &pairs, &csrf, false);
    }
    let input = pitlane_identity::applications::ApplicationInput {
        name: pairs.get("name").into(),
        email: pairs.get("email").into(),
        phone: pairs.get("phone").into(),
        experience_years: pairs.get("experience_years").into(),
        certifications: pairs.get("certifications").into(),
        branches: pairs
            .all("branches")
            .iter()
            .filter_map(|b| Uuid::try_parse(b).ok())
            .collect(),
        message: pairs.get("message").into(),
    };
    match pitlane_identity::applications::apply(&state.store, scope.tenant_id(), input).await {
        Ok(_) => apply_page(&ctx, &branches, &pairs, &FieldErrors::new(), true),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            apply_page(&ctx, &branches, &pairs, &errors, false)
        }
        Err(other) => service_error_page(&ctx, other),
    }
}

#[handler]
pub async fn applications(req: &Request, state: Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    let rows = match pitlane_identity::applications::list(&state.store, &auth.actor).await {
        Ok(rows) => rows,
        Err(err) => return service_error_page(&ctx, err),
    };
    page(&ctx, "Mechanic applications", Some("staff"), html! {
        p { a href=(ctx.link("/portal/staff")) { "← Staff" } }
        h1 { "Mechanic applications" }
        p { "Mechanics apply at " a href=(ctx.link("/apply")) { "your site's application page" } ". Approving one sends them an invitation as a mechanic." }
        @if rows.is_empty() { p class="muted" { "No applications yet." } }
        @for a in &rows {
            section class="card" aria-label=(format!("Application from {}", a.name)) {
                h2 { (a.name) " " span class="muted" { "(" (a.status) ")" } }
                p { (a.email) @if let Some(p) = &a.phone { " · " (p) } }
                p { (a.experience_years) " years' experience" @if !a.certifications.is_empty() { " · " (a.certifications) } }
                @if let Some(m) = &a.message { p { (m) } }
                @if a.status == "pending" {
                    div class="actions" {
                        form method="post" action=(ctx.link(&format!("/portal/staff/applications/{}/approve", a.id))) {
                            (csrf_input(&ctx))
                            button class="button" type="submit" { "Approve and invite" span class="visually-hidden" { " " (a.name) } }
                        }
                        form method="post" action=(ctx.link(&format!("/portal/staff/applications/{}/reject", a.id))) {
                            (csrf_input(&ctx))
                            button class="button danger" type="submit" { "Reject" span class="visually-hidden" { " " (a.name) } }
                        }
                    }
                }
            }
        }
    })
    .into_response()
}

async fn decide(
    req: &Request,
    state: &AppState,
    scope: &TenantScope,
    id: Uuid,
    body: &str,
    approving: bool,
) -> Response {
    let ctx = PageCtx::from_request(req);
    let Some(auth) = ctx.auth.clone() else {
        return sign_in_redirect(&ctx);
    };
    if !csrf_errors(req, Pairs::parse(body).get("csrf")).is_empty() {
        return expired_form(&ctx);
    }
    let site = site_of(&state.config, scope);
    match pitlane_identity::applications::decide(
        &state.identity,
        &auth.actor,
        &auth.name,
        id,
        approving,
        &site,
    )
    .await
    {
        Ok(_) => Redirect::see_other(ctx.link("/portal/staff/applications")).into_response(),
        Err(err) => service_error_page(&ctx, err),
    }
}

#[handler]
pub async fn approve(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    decide(req, &state, &scope, id, &body, true).await
}

#[handler]
pub async fn reject(
    req: &Request,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<Uuid>,
    body: String,
) -> Response {
    decide(req, &state, &scope, id, &body, false).await
}
