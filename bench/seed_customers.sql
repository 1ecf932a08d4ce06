-- Benchmark data for the customers list: the workshop :'slug' gets :customers customers with
-- common surnames (a search for one matches about one in twenty), each with a vehicle.
create temporary table bench_big as select id as tenant_id from tenants where slug = :'slug';
insert into customers (tenant_id, id, name, email, phone, search, created_at, updated_at)
select b.tenant_id, gen_random_uuid(), n.name, 'driver' || g || '@bench.example', '+4930' || (1000000 + g),
       lower(n.name || ' driver' || g || '@bench.example +4930' || (1000000 + g)), now(), now()
  from bench_big b, generate_series(1, :customers) g,
       lateral (select (array['Anna', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Greta', 'Hugo'])[1 + g % 8] || ' ' ||
                       (array['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann',
                              'Koch', 'Richter', 'Klein', 'Wolf', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Hofmann', 'Hartmann'])[1 + (g / 8) % 20]
                       || ' ' || g as name) n;
