-- Every replica caches links (and their Azure tokens). Any committed change to a link is announced on channel
-- fhir_link_changed with the display name as payload, so each replica drops that entry at once
-- (io.fhirlink.links.LinkChangeListener). A trigger rather than a NOTIFY in each statement: it runs in the same
-- transaction as the change (delivered on commit, never for a rollback) and covers every writer, including
-- `fhir-link reencrypt-secrets` and an operator's own SQL.
create function fhir_link_announce_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        -- a replica may remember the name as unknown
        perform pg_notify('fhir_link_changed', new.display_name);
    elsif tg_op = 'DELETE' then
        perform pg_notify('fhir_link_changed', old.display_name);
    else
        perform pg_notify('fhir_link_changed', new.display_name);
        if new.display_name <> old.display_name then
            perform pg_notify('fhir_link_changed', old.display_name);
        end if;
    end if;
    return null;
end
$$;

create trigger fhir_link_changed
    after insert or update or delete on fhir_link
    for each row execute function fhir_link_announce_change();

-- '*' (never a display name) asks replicas to drop every cached link.
create function fhir_link_announce_truncate() returns trigger language plpgsql as $$
begin
    perform pg_notify('fhir_link_changed', '*');
    return null;
end
$$;

create trigger fhir_link_truncated
    after truncate on fhir_link
    for each statement execute function fhir_link_announce_truncate();
