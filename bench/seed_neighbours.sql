-- The chain's neighbours for tests/examples/reports_bench.rs: {tenants} other workshops, each
-- with a branch, {orders} invoiced repair orders over the last year and their daily figures,
-- so the chain's rows are found among many tenants' in every table the reports read.
insert into tenants (id, slug, name, status, plan, created_at, updated_at)
select gen_random_uuid(), 'n' || g, 'Neighbour ' || g, 'active', 'trial', now(), now() from generate_series(1, {tenants}) g;
create temporary table bench_neighbours as select id from tenants where slug like 'n%';
insert into branches (tenant_id, id, name, country, time_zone, business_hours, created_at, updated_at)
select id, gen_random_uuid(), 'Main', 'DE', 'Europe/Berlin', '{}'::jsonb, now(), now() from bench_neighbours;
insert into customers (tenant_id, id, name, search, created_at, updated_at)
select id, gen_random_uuid(), 'Customer', 'customer', now(), now() from bench_neighbours;
insert into vehicles (tenant_id, id, customer_id, plate, created_at, updated_at)
select tenant_id, gen_random_uuid(), id, 'N 1', now(), now() from customers where tenant_id in (select id from bench_neighbours);
create temporary table bench_neighbour_orders as
select b.tenant_id, b.id as branch_id, v.customer_id, v.id as vehicle_id, g, gen_random_uuid() as id,
       now() - (g::float8 / {orders}) * interval '365 days' as at
  from branches b join vehicles v on v.tenant_id = b.tenant_id, generate_series(1, {orders}) g
 where b.tenant_id in (select id from bench_neighbours);
insert into repair_orders (tenant_id, id, number, branch_id, customer_id, vehicle_id, status, customer_name, total_minor, created_at, updated_at, closed_at)
select tenant_id, id, 1000 + g, branch_id, customer_id, vehicle_id, 'closed', 'Customer', 12000, at, at, at from bench_neighbour_orders;
insert into repair_order_lines (tenant_id, id, repair_order_id, position, kind, description, quantity_milli, unit_price_minor, decision, decided_at, created_at, updated_at)
select tenant_id, gen_random_uuid(), id, 1, 'labour', 'Service', 1000, 10000, 'approved', at, at, at from bench_neighbour_orders;
insert into invoices (tenant_id, id, number, branch_id, customer_id, vehicle_id, repair_order_id, status, currency, prices_include_tax,
                      customer_name, net_minor, tax_minor, total_minor, paid_minor, issued_at, due_at, created_at, updated_at)
select tenant_id, gen_random_uuid(), 'INV-' || g, branch_id, customer_id, vehicle_id, id, 'paid', 'EUR', false,
       'Customer', 10000, 2000, 12000, 12000, at, at, at, at from bench_neighbour_orders;
insert into daily_figures (tenant_id, id, branch_id, day, dimension, key, invoices, cars, labour_minor, net_minor, tax_minor, payments, payments_minor)
select tenant_id, gen_random_uuid(), branch_id, (at at time zone 'Europe/Berlin')::date, d.dimension, d.key,
       count(*), count(*), 10000 * count(*), 10000 * count(*), 2000 * count(*), count(*), 12000 * count(*)
  from bench_neighbour_orders, (values ('all', ''), ('method', 'cash')) as d(dimension, key)
 group by tenant_id, branch_id, (at at time zone 'Europe/Berlin')::date, d.dimension, d.key;
