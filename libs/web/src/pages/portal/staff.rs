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
    IntoResponse, Request, Response, Route, get, handler, post,
    web::{Data, Path, Redirect},
};
use uuid::Uuid;

use crate::pages::kit::{
    PageCtx, PageResult, Pairs, Staff,
    forms::{Field, checkbox_group, csrf_input, error_summary, select, status_for},
    page, submit, table_region,
};
use crate::{links::site_of, tenant::TenantScope};
use pitlane_app::state::AppState;

pub fn routes(routes: Route) -> Route {
    routes
        .at("/portal/staff", get(list))
        .at("/portal/staff/invitations", post(invite))
        .at("/apply", get(apply_form).post(apply))
        .at("/portal/staff/applications", get(applications))
        .at("/portal/staff/applications/:id/approve", post(approve))
        .at("/portal/staff/applications/:id/reject", post(reject))
        .at("/portal/staff/invitations/:id/revoke", post(revoke))
        .at("/portal/staff/roles", get(roles_list).post(create_role))
        .at("/portal/staff/roles/:id", get(role_detail).post(save_role))
        .at("/portal/staff/roles/:id/delete", post(delete_role))
        .at("/portal/staff/:id", get(member_detail).post(save_member))
        .at("/portal/staff/:id/status", post(member_status))
}

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

/// The signed-in member's name, as their invitations are signed.
fn name_of(staff: &Staff) -> &str {
    staff.ctx.auth.as_ref().map_or("", |a| a.name.as_str())
}

async fn staff_page(staff: &Staff, state: &AppState, view: StaffView) -> PageResult {
    let (ctx, actor) = (&staff.ctx, &staff.actor);
    let people = members::list(&state.store, actor).await?;
    let pending = invitations::pending(&state.store, actor).await?;
    let role_choices = role_options(state, actor).await?;
    let branches = branch_options(state, actor).await?;
    let branch_name = |id: &Uuid| {
        branches
            .iter()
            .find(|(b, _)| *b == id.to_string())
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
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
                (table_region("Members", html! {
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
                }))
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
                    (table_region("Pending invitations", html! {
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
                    }))
                }
            }
        },
    );
    Ok((status_for(&view.errors), body).into_response())
}

#[handler]
async fn list(staff: Staff, req: &Request, state: Data<&AppState>) -> PageResult {
    let notice = req.uri().query().and_then(|q| match q {
        "invited" => Some("The invitation is on its way.".to_owned()),
        "revoked" => Some("The invitation was revoked; its link no longer works.".to_owned()),
        "saved" => Some("Saved.".to_owned()),
        _ => None,
    });
    staff_page(
        &staff,
        &state,
        StaffView {
            invite: Pairs::default(),
            errors: FieldErrors::new(),
            notice,
        },
    )
    .await
}

#[handler]
async fn invite(
    staff: Staff,
    Data(state): Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    let site = &site_of(&state.config, &scope);
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let input = InvitationInput {
                email: p.get("email").to_owned(),
                name: Some(p.get("name").to_owned()),
                role: p.get("role").to_owned(),
                branches: branches_from(&p),
            };
            pitlane_billing::subscriptions::allow_one_more(
                &state.billing,
                &staff.actor,
                pitlane_billing::subscriptions::Limit::Staff,
                site,
            )
            .await?;
            invitations::invite(&state.identity, &staff.actor, name_of(staff), input, site).await?;
            Ok("/portal/staff?invited".to_owned())
        },
        |p, errors| async move {
            let view = StaffView {
                invite: p,
                errors,
                notice: None,
            };
            staff_page(staff, state, view).await
        },
    )
    .await
}

#[handler]
async fn revoke(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    invitations::revoke(&state.store, &staff.actor, id).await?;
    Ok(Redirect::see_other(staff.ctx.link("/portal/staff?revoked")).into_response())
}

async fn member_page(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    form: Option<&Pairs>,
    errors: &FieldErrors,
) -> PageResult {
    let ctx = &staff.ctx;
    let member = members::get(&state.store, &staff.actor, id).await?;
    let mut role_choices = role_options(state, &staff.actor).await?;
    let branches = branch_options(state, &staff.actor).await?;
    if !role_choices.iter().any(|(k, _)| *k == member.role.key()) {
        role_choices.insert(0, (member.role.key(), member.role.label().to_owned()));
    }
    let role = form.map_or_else(|| member.role.key(), |f| f.get("role").to_owned());
    let chosen = match form {
        Some(f) => branches_from(f),
        None => member.branches.limited().map(<[Uuid]>::to_vec),
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
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn member_detail(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    member_page(&staff, &state, id, None, &FieldErrors::new()).await
}

/// The member form (role and branches), or with `status_only` the (de)activation button.
async fn change_member(
    staff: Staff,
    state: &AppState,
    id: Uuid,
    form: Pairs,
    status_only: bool,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            let change = if status_only {
                MemberChange {
                    active: Some(p.get("active") == "true"),
                    ..MemberChange::default()
                }
            } else {
                MemberChange {
                    role: Some(p.get("role").to_owned()),
                    branches: Some(branches_from(&p)),
                    active: None,
                }
            };
            members::update(&state.store, &staff.actor, id, change).await?;
            Ok("/portal/staff?saved".to_owned())
        },
        |p, errors| async move {
            let typed = (!status_only).then_some(&p);
            member_page(staff, state, id, typed, &errors).await
        },
    )
    .await
}

#[handler]
async fn save_member(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    change_member(staff, &state, id, form, false).await
}

#[handler]
async fn member_status(
    staff: Staff,
    state: Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    change_member(staff, &state, id, form, true).await
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
    staff: &Staff,
    state: &AppState,
    form: &Pairs,
    errors: &FieldErrors,
) -> PageResult {
    let ctx = &staff.ctx;
    let custom = roles::list(&state.store, &staff.actor).await?;
    let body = page(
        ctx,
        "Roles",
        Some("staff"),
        html! {
            p { a href=(ctx.link("/portal/staff")) { "← Staff" } }
            h1 { "Roles" }
            section class="card" aria-labelledby="builtin-heading" {
                h2 id="builtin-heading" { "Built-in roles" }
                (table_region("Built-in roles", html! {
                    table {
                        thead { tr { th scope="col" { "Role" } th scope="col" { "Allows" } } }
                        tbody {
                            @for r in Role::ALL.iter().filter(|r| r.is_staff()) {
                                tr { td { (r.label()) } td { (r.permissions().keys().join(", ")) } }
                            }
                        }
                    }
                }))
            }
            section class="card" aria-labelledby="custom-heading" {
                h2 id="custom-heading" { "The workshop's own roles" }
                @if custom.is_empty() { p class="muted" { "None yet." } }
                @else {
                    (table_region("The workshop's own roles", html! {
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
                    }))
                }
            }
            section class="card" aria-labelledby="new-role-heading" {
                h2 id="new-role-heading" { "New role" }
                (role_form(ctx, &ctx.link("/portal/staff/roles"), form, errors, "Create the role"))
            }
        },
    );
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn roles_list(staff: Staff, state: Data<&AppState>) -> PageResult {
    roles_page(&staff, &state, &Pairs::default(), &FieldErrors::new()).await
}

fn role_input(pairs: &Pairs) -> RoleInput {
    RoleInput {
        name: pairs.get("name").to_owned(),
        description: Some(pairs.get("description").to_owned()),
        permissions: pairs.all("permissions"),
    }
}

#[handler]
async fn create_role(staff: Staff, Data(state): Data<&AppState>, form: Pairs) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            roles::create(&state.store, &staff.actor, role_input(&p)).await?;
            Ok("/portal/staff/roles".to_owned())
        },
        |p, errors| async move { roles_page(staff, state, &p, &errors).await },
    )
    .await
}

async fn role_page(
    staff: &Staff,
    state: &AppState,
    id: Uuid,
    form: Option<Pairs>,
    errors: &FieldErrors,
) -> PageResult {
    let ctx = &staff.ctx;
    let role = roles::get(&state.store, &staff.actor, id).await?;
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
    Ok((status_for(errors), body).into_response())
}

#[handler]
async fn role_detail(staff: Staff, state: Data<&AppState>, Path(id): Path<Uuid>) -> PageResult {
    role_page(&staff, &state, id, None, &FieldErrors::new()).await
}

#[handler]
async fn save_role(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |p| async move {
            roles::update(&state.store, &staff.actor, id, role_input(&p)).await?;
            Ok("/portal/staff/roles".to_owned())
        },
        |p, errors| async move { role_page(staff, state, id, Some(p), &errors).await },
    )
    .await
}

#[handler]
async fn delete_role(
    staff: Staff,
    Data(state): Data<&AppState>,
    Path(id): Path<Uuid>,
    form: Pairs,
) -> PageResult {
    let staff = &staff;
    submit(
        &staff.ctx,
        form,
        |_| async move {
            roles::delete(&state.store, &staff.actor, id).await?;
            Ok("/portal/staff/roles".to_owned())
        },
        // A role still given to someone: its page again, saying so.
        |_, errors| async move { role_page(staff, state, id, None, &errors).await },
    )
    .await
}

// ---- Mechanic applications ----

fn apply_page(
    ctx: &PageCtx,
    branches: &[(String, String)],
    form: &Pairs,
    errors: &FieldErrors,
    sent: bool,
) -> Response {
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
    (status_for(errors), body).into_response()
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
async fn apply_form(ctx: PageCtx, state: Data<&AppState>, scope: Data<&TenantScope>) -> Response {
    let branches = public_branches(&state, &scope).await;
    apply_page(
        &ctx,
        &branches,
        &Pairs::default(),
        &FieldErrors::new(),
        false,
    )
}

/// Not `submit`: the answer is the page itself, thanking the applicant.
#[handler]
async fn apply(
    ctx: PageCtx,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    form: Pairs,
) -> PageResult {
    let branches = public_branches(&state, &scope).await;
    let input = pitlane_identity::applications::ApplicationInput {
        name: form.get("name").into(),
        email: form.get("email").into(),
        phone: form.get("phone").into(),
        experience_years: form.get("experience_years").into(),
        certifications: form.get("certifications").into(),
        branches: form
            .all("branches")
            .iter()
            .filter_map(|b| Uuid::try_parse(b).ok())
            .collect(),
        message: form.get("message").into(),
    };
    match pitlane_identity::applications::apply(&state.store, scope.tenant_id(), input).await {
        Ok(_) => Ok(apply_page(
            &ctx,
            &branches,
            &form,
            &FieldErrors::new(),
            true,
        )),
        Err(ServiceError::Invalid(errors) | ServiceError::Conflict(errors)) => {
            Ok(apply_page(&ctx, &branches, &form, &errors, false))
        }
        Err(other) => Err(other.into()),
    }
}

#[handler]
async fn applications(staff: Staff, state: Data<&AppState>) -> PageResult {
    let ctx = &staff.ctx;
    let rows = pitlane_identity::applications::list(&state.store, &staff.actor).await?;
    Ok(page(ctx, "Mechanic applications", Some("staff"), html! {
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
                            (csrf_input(ctx))
                            button class="button" type="submit" { "Approve and invite" span class="visually-hidden" { " " (a.name) } }
                        }
                        form method="post" action=(ctx.link(&format!("/portal/staff/applications/{}/reject", a.id))) {
                            (csrf_input(ctx))
                            button class="button danger" type="submit" { "Reject" span class="visually-hidden" { " " (a.name) } }
                        }
                    }
                }
            }
        }
    })
    .into_response())
}

async fn decide(
    staff: &Staff,
    state: &AppState,
    scope: &TenantScope,
    id: Uuid,
    approving: bool,
) -> PageResult {
    let site = site_of(&state.config, scope);
    pitlane_identity::applications::decide(
        &state.identity,
        &staff.actor,
        name_of(staff),
        id,
        approving,
        &site,
    )
    .await?;
    Ok(Redirect::see_other(staff.ctx.link("/portal/staff/applications")).into_response())
}

#[handler]
async fn approve(
    staff: Staff,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<Uuid>,
) -> PageResult {
    decide(&staff, &state, &scope, id, true).await
}

#[handler]
async fn reject(
    staff: Staff,
    state: Data<&AppState>,
    scope: Data<&TenantScope>,
    Path(id): Path<Uuid>,
) -> PageResult {
    decide(&staff, &state, &scope, id, false).await
}
