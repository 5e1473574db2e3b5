-- Link health (issue 14): what the gateway last saw of each link, shared by every replica, and the secret's end date.
--
-- fhir_link_status is written by io.fhirlink.ops.LinkStatusWriter only when a link's state changes or at most once a
-- minute per link, off the proxy's event loops; never one write per request. It is a table of its own so that these
-- writes do not fire fhir_link_changed (V2), which would drop every replica's cached link and tokens.
-- Replicas merge: a state older than the stored one (observed_at) never replaces it; last_success_at only grows;
-- the newer failure wins.
alter table fhir_link add column client_secret_expires_on date;

create table fhir_link_status (
    display_name         text        primary key references fhir_link (display_name) on delete cascade,
    state                text        not null,
    since                timestamptz not null,
    observed_at          timestamptz not null,
    last_success_at      timestamptz,
    last_failure_at      timestamptz,
    last_failure_cause   text,
    last_failure_advice  text,
    written_at           timestamptz not null default now()
);

-- One row per link whose client secret is near its end date: the day its warning was last logged, so that one
-- replica (whichever claims the day first) logs it once a day.
create table fhir_link_expiry_warning (
    display_name  text primary key references fhir_link (display_name) on delete cascade,
    warned_on     date not null
);

-- What the management API shows: a link and its status (no status row yet = not-yet-used). l.* is expanded when the
-- view is created: a later migration that adds a column to fhir_link recreates this view.
create view fhir_link_with_status as
select l.*,
       s.state               as status_state,
       s.since               as status_since,
       s.last_success_at     as status_last_success_at,
       s.last_failure_at     as status_last_failure_at,
       s.last_failure_cause  as status_last_failure_cause,
       s.last_failure_advice as status_last_failure_advice
from fhir_link l
left join fhir_link_status s on s.display_name = l.display_name;
