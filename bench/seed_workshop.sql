-- Benchmark data for the workshop pages: in every tenant, :orders open repair orders at its
-- first branch, each for its own customer and vehicle, with four lines (labour, a part, a fee,
-- a discount) and a job. Run after seed.sql, as the owner role.
create temporary table first_branch as
select distinct on (tenant_id) tenant_id, id as branch_id from branches order by tenant_id, name;

insert into customers (tenant_id, id, name, email, search, created_at, updated_at)
select b.tenant_id, gen_random_uuid(), 'Customer ' || g, 'c' || g || '@bench.example', 'customer ' || g, now(), now()
  from first_branch b, generate_series(1, :orders) g;

insert into vehicles (tenant_id, id, customer_id, plate, make, model, year, created_at, updated_at)
select c.tenant_id, gen_random_uuid(), c.id, 'B ' || substr(c.id::text, 1, 6), 'Volkswagen', 'Golf', 2019, now(), now()
  from customers c;

insert into repair_orders (tenant_id, id, number, branch_id, customer_id, vehicle_id, status, concern, approval_version, follow_updates, customer_name, vehicle_label, total_minor, created_at, updated_at)
select v.tenant_id, gen_random_uuid(),
       1000 + row_number() over (partition by v.tenant_id order by v.id),
       b.branch_id, v.customer_id, v.id,
       (array['estimate', 'sent_for_approval', 'approved', 'in_progress', 'waiting_for_parts', 'quality_check', 'ready_for_pickup'])[1 + (row_number() over (partition by v.tenant_id order by v.id)) % 7],
       'Noise from the front', 0, false, c.name, '2019 Volkswagen Golf (' || v.plate || ')', 23500,
       now(), now() - (row_number() over (partition by v.tenant_id order by v.id)) * interval '1 minute'
  from vehicles v
  join first_branch b on b.tenant_id = v.tenant_id
  join customers c on c.tenant_id = v.tenant_id and c.id = v.customer_id;

insert into tenant_counters (tenant_id, id, name, value)
select tenant_id, gen_random_uuid(), 'repair_order', max(number) from repair_orders group by tenant_id;

insert into jobs (tenant_id, id, repair_order_id, branch_id, title, status, on_board, created_at, updated_at)
select o.tenant_id, gen_random_uuid(), o.id, o.branch_id, 'Front brakes', 'open', false, now(), now()
  from repair_orders o;

insert into repair_order_lines (tenant_id, id, repair_order_id, position, kind, description, quantity_milli, unit_price_minor, unit_cost_minor, taxable, job_id, decision, source, created_at, updated_at)
select j.tenant_id, gen_random_uuid(), j.repair_order_id, l.position, l.kind, l.description, l.quantity, l.price, l.cost, true,
       case when l.kind = 'labour' then j.id end, 'pending', 'manual', now(), now()
  from jobs j,
       (values (1, 'labour', 'Replace front brake pads', 1500, 12000, 4000),
               (2, 'part', 'Brake pads', 1000, 6000, 4000),
               (3, 'fee', 'Disposal', 1000, 500, 0),
               (4, 'discount', 'Loyalty', 1000, 1000, 0)) as l(position, kind, description, quantity, price, cost);
