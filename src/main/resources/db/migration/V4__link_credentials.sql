-- Link credentials (issue 14 items 4-5): a link signs in to Azure AD with a client secret (as before), a certificate
-- (a client assertion signed with its key), or the platform's own multi-tenant application.
--
-- client_secret keeps holding the sealed material (AES-GCM, io.fhirlink.links.SecretCipher, re-encrypted by
-- `fhir-link reencrypt-secrets` like before): the secret, the certificate's private key (PKCS#8 PEM), or nothing
-- (an empty string, sealed) for the platform application, whose credential is the gateway's configuration.
-- client_certificate is the certificate chain (PEM): public, stored in the clear, shown by subject and thumbprint.
-- client_secret_expires_on is the certificate's notAfter date for certificates, so the expiry gauge and warnings
-- (io.fhirlink.ops.CredentialExpiry) cover both.
alter table fhir_link add column credential text not null default 'secret'
    check (credential in ('secret', 'certificate', 'platform'));
alter table fhir_link add column client_certificate text;
alter table fhir_link add constraint fhir_link_certificate_present
    check ((credential = 'certificate') = (client_certificate is not null));

-- l.* was expanded when V3 created the view: recreate it so it shows the new columns (dropped first: "or replace"
-- cannot insert columns before the status ones).
drop view fhir_link_with_status;
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
