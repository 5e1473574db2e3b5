-- One row per linked Azure FHIR server. The display name is the path segment clients use, so it is unique
-- across all organizations; the secret is AES-GCM ciphertext, never plaintext.
create table fhir_link (
    display_name          text        primary key,
    organization_id       text        not null,
    description           text,
    fhir_server_endpoint  text        not null,
    tenant_id             text        not null,
    client_id             text        not null,
    client_secret         text        not null,
    secret_key_id         text        not null,
    fhir_version          text,
    version               bigint      not null default 1,
    created_by            text,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now()
);

create index fhir_link_organization on fhir_link (organization_id);
