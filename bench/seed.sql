-- Benchmark data: :tenants tenants, each with :branches branches and an owner who can sign in
-- with the password whose hash is :'hash'. Run as the owner role after `pitlane-server migrate`.
insert into tenants (id, slug, name, status, plan, created_at, updated_at)
select gen_random_uuid(), 't' || g, 'Workshop ' || g, 'active', 'trial', now(), now()
  from generate_series(1, :tenants) g;

insert into branches (tenant_id, id, name, address_line1, city, country, time_zone, business_hours, created_at, updated_at)
select t.id, gen_random_uuid(), 'Branch ' || b, b || ' Main Street', 'City ' || b, 'DE', 'Europe/Berlin',
       '{"mon": [["08:00", "17:00"]], "tue": [["08:00", "17:00"]], "wed": [["08:00", "17:00"]], "thu": [["08:00", "17:00"]], "fri": [["08:00", "17:00"]]}'::jsonb,
       now(), now()
  from tenants t, generate_series(1, :branches) b;

insert into users (id, email, name, password_hash, created_at, updated_at)
select gen_random_uuid(), 'owner@' || slug || '.bench', 'Owner of ' || slug, :'hash', now(), now() from tenants;

insert into memberships (tenant_id, id, user_id, role, status, created_at)
select t.id, gen_random_uuid(), u.id, 'owner', 'active', now()
  from tenants t join users u on u.email = 'owner@' || t.slug || '.bench';
