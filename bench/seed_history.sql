-- Benchmark data for the reports at scale (tests/examples/reports_bench.rs): the chain
-- {chain} gets {branches} branches, 5 service advisors and 20 mechanics, 30,000 customers with
-- a vehicle each, and {orders} repair orders spread evenly over the last {days} days (four
-- lines, a job with its mechanic and clocked time, every third with an inspection); every order
-- but the newest 200 is invoiced (three or four lines, by category, technician and advisor) and
-- all but the last month's every third are paid. Run as a superuser; the daily figures are then
-- rebuilt by the application.
insert into branches (tenant_id, id, name, address_line1, city, country, time_zone, business_hours, created_at, updated_at)
select '{chain}', gen_random_uuid(), 'Branch ' || b, b || ' Ring Road', 'City ' || b, 'DE', 'Europe/Berlin',
       '{"mon": [["08:00", "17:00"]], "tue": [["08:00", "17:00"]], "wed": [["08:00", "17:00"]], "thu": [["08:00", "17:00"]], "fri": [["08:00", "17:00"]]}'::jsonb,
       now(), now()
  from generate_series(2, {branches}) b;
create temporary table bench_branches as
select id, (row_number() over (order by created_at, id) - 1)::int as n from branches where tenant_id = '{chain}';

insert into users (id, email, name, created_at, updated_at)
select gen_random_uuid(), 'staff' || g || '@chain.bench', 'Staff ' || g, now(), now() from generate_series(1, 25) g;
insert into memberships (tenant_id, id, user_id, role, status, created_at)
select '{chain}', gen_random_uuid(), u.id, case when g <= 5 then 'service_advisor' else 'mechanic' end, 'active', now()
  from generate_series(1, 25) g join users u on u.email = 'staff' || g || '@chain.bench';
create temporary table bench_advisors as
select id, (row_number() over (order by id) - 1)::int as n from memberships where tenant_id = '{chain}' and role = 'service_advisor';
create temporary table bench_mechanics as
select id, (row_number() over (order by id) - 1)::int as n from memberships where tenant_id = '{chain}' and role = 'mechanic';

insert into customers (tenant_id, id, name, email, search, created_at, updated_at)
select '{chain}', gen_random_uuid(), 'Customer ' || g, 'c' || g || '@chain.bench', 'customer ' || g,
       now() - interval '{days} days', now()
  from generate_series(1, 30000) g;
create temporary table bench_customers as
select id, name, (row_number() over (order by id) - 1)::int as n from customers where tenant_id = '{chain}';
insert into vehicles (tenant_id, id, customer_id, plate, make, model, year, created_at, updated_at)
select '{chain}', gen_random_uuid(), c.id, 'CH ' || c.n, 'Volkswagen', 'Golf', 2018, now(), now() from bench_customers c;
create temporary table bench_vehicles as
select v.id, v.customer_id, c.name, c.n from vehicles v join bench_customers c on c.id = v.customer_id;

create temporary table bench_orders as
select g, gen_random_uuid() as id, gen_random_uuid() as job, gen_random_uuid() as invoice,
       least(now() - interval '10 minutes',
             date_trunc('day', now() - interval '{days} days' + (g::float8 / {orders}) * interval '{days} days')
               + interval '6 hours' + (g % 10) * interval '1 hour') as at,
       g % {branches} as b, ((g::bigint * 7919) % 30000)::int as c, g % 5 as a, g % 20 as m,
       g > {orders} - 200 as open, g % 5 = 0 as declines,
       (array['brakes', 'service', 'tyres', 'diagnosis', 'electrical'])[g % 5 + 1] as category
  from generate_series(1, {orders}) g;

insert into repair_orders (tenant_id, id, number, branch_id, customer_id, vehicle_id, status, mileage_in, concern, advisor_id,
                           approval_method, approved_at, approved_by, approval_version, customer_name, vehicle_label,
                           total_minor, created_at, updated_at, closed_at)
select '{chain}', o.id, 1000 + o.g, b.id, v.customer_id, v.id,
       case when o.open then (array['estimate', 'approved', 'in_progress', 'waiting_for_parts', 'ready_for_pickup'])[o.g % 5 + 1] else 'closed' end,
       40000 + o.g % 90000, 'Noise from the front', a.id, 'phone', o.at + interval '20 minutes', v.name, 1, v.name,
       '2018 Volkswagen Golf (CH ' || v.n || ')', case when o.declines then 25800 else 29400 end,
       o.at, o.at + interval '3 hours', case when o.open then null else o.at + interval '4 hours' end
  from bench_orders o
  join bench_branches b on b.n = o.b
  join bench_vehicles v on v.n = o.c
  join bench_advisors a on a.n = o.a;

insert into jobs (tenant_id, id, repair_order_id, branch_id, title, skill, mechanic_id, status, created_at, updated_at, finished_at)
select '{chain}', o.job, o.id, b.id, 'Front brakes', o.category, m.id,
       case when o.open then 'assigned' else 'finished' end, o.at, o.at, case when o.open then null else o.at + interval '2 hours' end
  from bench_orders o join bench_branches b on b.n = o.b join bench_mechanics m on m.n = o.m;

insert into time_entries (tenant_id, id, job_id, mechanic_id, started_at, ended_at)
select '{chain}', gen_random_uuid(), o.job, m.id, o.at + interval '30 minutes', o.at + interval '120 minutes'
  from bench_orders o join bench_mechanics m on m.n = o.m;

insert into repair_order_lines (tenant_id, id, repair_order_id, position, kind, description, quantity_milli, unit_price_minor,
                                unit_cost_minor, taxable, job_id, decision, decided_at, source, created_at, updated_at)
select '{chain}', gen_random_uuid(), o.id, l.position, l.kind,
       case when l.position = 4 and o.declines then 'Wiper blades' else l.description end,
       l.quantity, l.price, l.cost, true, case when l.kind = 'labour' then o.job end,
       case when l.position = 4 and o.declines then 'declined' else 'approved' end,
       o.at + interval '20 minutes', 'manual', o.at, o.at
  from bench_orders o,
       (values (1, 'labour', 'Replace front brake pads', 1500, 10000, 3000),
               (2, 'part', 'Brake pads', 1000, 6000, 4000),
               (3, 'fee', 'Disposal', 1000, 500, 0),
               (4, 'part', 'Brake fluid', 2000, 1500, 700)) as l(position, kind, description, quantity, price, cost);

insert into inspections (tenant_id, id, repair_order_id, name, status, inspector_name, created_at, completed_at)
select '{chain}', gen_random_uuid(), o.id, 'Multi-point inspection', 'completed', 'Staff', o.at + interval '10 minutes', o.at + interval '40 minutes'
  from bench_orders o where o.g % 3 = 0;
insert into inspection_items (tenant_id, id, inspection_id, position, section, label, rating, updated_at)
select '{chain}', gen_random_uuid(), i.id, r.position, 'Brakes', r.label, r.rating, i.created_at
  from inspections i,
       (values (1, 'Front pads', 'green'), (2, 'Rear pads', 'yellow'), (3, 'Wipers', 'red')) as r(position, label, rating)
 where i.tenant_id = '{chain}';

-- Invoices: net 21,500 + 3,000 for the brake fluid when it was not declined; 20 % tax.
insert into invoices (tenant_id, id, number, branch_id, customer_id, vehicle_id, repair_order_id, advisor_id, status, currency,
                      prices_include_tax, customer_name, vehicle_label, net_minor, tax_minor, total_minor, paid_minor,
                      issued_at, due_at, created_at, updated_at)
select '{chain}', o.invoice, 'INV-' || o.g, b.id, v.customer_id, v.id, o.id, a.id,
       case when paid then 'paid' else 'issued' end, 'EUR', false, v.name, '2018 Volkswagen Golf (CH ' || v.n || ')',
       net, net / 5, net + net / 5, case when paid then net + net / 5 else 0 end,
       o.at + interval '3 hours', o.at + interval '17 days', o.at + interval '3 hours', o.at + interval '4 hours'
  from (select o.*, case when o.declines then 21500 else 24500 end as net,
               not (o.at > now() - interval '30 days' and o.g % 3 = 0) as paid
          from bench_orders o where not o.open) o
  join bench_branches b on b.n = o.b
  join bench_vehicles v on v.n = o.c
  join bench_advisors a on a.n = o.a;

insert into invoice_lines (tenant_id, id, invoice_id, position, kind, description, quantity_milli, unit_price_minor, tax_rate_bp,
                           tax_name, amount_minor, unit_cost_minor, billed_hours_milli, category, technician_id)
select '{chain}', gen_random_uuid(), o.invoice, l.position, l.kind, l.description, l.quantity, l.price, 2000, 'VAT',
       l.amount, l.cost, l.hours, o.category, case when l.kind = 'labour' then m.id end
  from bench_orders o join bench_mechanics m on m.n = o.m,
       (values (1, 'labour', 'Replace front brake pads', 1500, 10000, 15000, 3000, 1500),
               (2, 'part', 'Brake pads', 1000, 6000, 6000, 4000, 0),
               (3, 'fee', 'Disposal', 1000, 500, 500, 0, 0),
               (4, 'part', 'Brake fluid', 2000, 1500, 3000, 700, 0)) as l(position, kind, description, quantity, price, amount, cost, hours)
 where not o.open and not (l.position = 4 and o.declines);

insert into payments (tenant_id, id, invoice_id, number, method, amount_minor, received_at, created_at)
select '{chain}', gen_random_uuid(), i.id, 'P-' || i.number, (array['cash', 'card_terminal', 'bank_transfer', 'card_online'])[(abs(hashtext(i.number)) % 4) + 1],
       i.total_minor, i.issued_at + interval '1 hour', i.issued_at + interval '1 hour'
  from invoices i where i.tenant_id = '{chain}' and i.status = 'paid';

insert into tenant_counters (tenant_id, id, name, value)
values ('{chain}', gen_random_uuid(), 'repair_order', 1000 + {orders})
on conflict (tenant_id, name) do update set value = excluded.value;
