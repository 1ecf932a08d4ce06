-- Benchmark data for the other pages people live in, after seed.sql and seed_workshop.sql (as
-- the owner role). In every tenant, at its first branch: an issued invoice for each repair
-- order's customer (the invoice list), a bay, a service and 40 appointments over this week
-- (the calendar week), 8 open roadside requests (the dispatch board), and 60 days of daily
-- figures (the dashboard's tiles).
create temporary table bench_first_branch as
select distinct on (tenant_id) tenant_id, id as branch_id from branches order by tenant_id, name;
create temporary table bench_owner as
select tenant_id, id as membership_id from memberships where role = 'owner';

insert into invoices (tenant_id, id, number, branch_id, customer_id, vehicle_id, repair_order_id, status, currency, prices_include_tax,
                      customer_name, vehicle_label, net_minor, tax_minor, total_minor, paid_minor, issued_at, due_at, created_at, updated_at)
select o.tenant_id, gen_random_uuid(), 'INV-' || o.number, o.branch_id, o.customer_id, o.vehicle_id, o.id,
       (array['issued', 'partly_paid', 'paid'])[1 + o.number % 3], 'EUR', false,
       o.customer_name, o.vehicle_label, 19748, 3752, 23500, (o.number % 3) * 10000,
       now() - (o.number % 90) * interval '1 day', now() + interval '14 days',
       now() - (o.number % 90) * interval '1 day', now()
  from repair_orders o;

insert into bays (tenant_id, id, branch_id, name, kind, created_at)
select tenant_id, gen_random_uuid(), branch_id, 'Lift ' || n, 'lift', now()
  from bench_first_branch, generate_series(1, 4) n;

insert into services (tenant_id, id, name, duration_minutes, price_from_minor, bookable_online, created_at, updated_at)
select tenant_id, gen_random_uuid(), 'Oil change', 60, 8900, true, now(), now() from bench_first_branch;

-- Eight appointments a weekday, one an hour from 08:00, on the bays in turn, from this week's Monday.
insert into appointments (tenant_id, id, branch_id, customer_id, vehicle_id, service_id, bay_id, mechanic_id, starts_at, ends_at, status, source, created_at, updated_at)
select b.tenant_id, gen_random_uuid(), b.branch_id, v.customer_id, v.id, s.id, bay.id, m.membership_id,
       date_trunc('week', now()) + (slot.n / 8) * interval '1 day' + interval '8 hours' + (slot.n % 8) * interval '1 hour',
       date_trunc('week', now()) + (slot.n / 8) * interval '1 day' + interval '9 hours' + (slot.n % 8) * interval '1 hour',
       'confirmed', 'staff', now(), now()
  from bench_first_branch b
  join bench_owner m on m.tenant_id = b.tenant_id
  join services s on s.tenant_id = b.tenant_id
  cross join generate_series(0, 39) slot(n)
  join lateral (select id, row_number() over (order by name) - 1 as i from bays where bays.tenant_id = b.tenant_id) bay
    on bay.i = slot.n % 4
  join lateral (select id, customer_id from vehicles where vehicles.tenant_id = b.tenant_id order by id offset slot.n limit 1) v on true;

insert into roadside_requests (tenant_id, id, number, branch_id, customer_id, vehicle_id, plate, trouble, address, lat_micro, lon_micro,
                               status, ring, quote_minor, currency, eta_minutes, created_at, updated_at)
select b.tenant_id, gen_random_uuid(), r.n, b.branch_id, v.customer_id, v.id, 'B ' || r.n,
       (array['flat_tyre', 'battery', 'fuel', 'lockout', 'will_not_start', 'accident_tow', 'other'])[1 + r.n % 7],
       r.n || ' Ring Road', 52370216 + r.n * 1000, 4895168 + r.n * 1000,
       'requested', 'near', 6500, 'EUR', 25, now() - r.n * interval '3 minutes', now()
  from bench_first_branch b
  cross join generate_series(1, 8) r(n)
  join lateral (select id, customer_id from vehicles where vehicles.tenant_id = b.tenant_id order by id offset r.n limit 1) v on true;

insert into daily_figures (tenant_id, id, branch_id, day, dimension, key, invoices, cars, labour_minor, parts_minor, net_minor, tax_minor,
                           billed_hours_milli, payments, payments_minor, answered_lines, approved_lines, answered_value_minor, approved_value_minor)
select b.tenant_id, gen_random_uuid(), b.branch_id, current_date - d, 'all', '',
       6, 5, 72000, 36000, 108000, 20520, 9000, 5, 128520, 12, 9, 96000, 72000
  from bench_first_branch b, generate_series(0, 59) d;
