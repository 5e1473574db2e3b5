package io.fhirlink.support;

import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tenants the Azure AD stand-in knows and the service principals in them, with the state of their credentials.
 * Tenant ids are matched without regard to case, as Azure AD does; client ids exactly.
 */
final class AadDirectory {

    private final Set<String> tenants = ConcurrentHashMap.newKeySet();
    /** Keyed by lower-case tenant + "|" + client id: an app is registered per tenant. */
    private final Map<String, ServicePrincipal> principals = new ConcurrentHashMap<>();
    private final Set<String> expiredSecrets = ConcurrentHashMap.newKeySet();
    /** Multi-tenant applications by client id: their home registration, copied into a tenant by consent. */
    private final Map<String, ServicePrincipal> multiTenantApps = new ConcurrentHashMap<>();

    void addTenant(String tenantId) {
        tenants.add(tenantId.toLowerCase(Locale.ROOT));
    }

    /** Adds the principal, and its tenant if that is new. */
    void register(ServicePrincipal principal) {
        addTenant(principal.tenantId());
        principals.put(key(principal.tenantId(), principal.clientId()), principal);
    }

    void registerMultiTenant(ServicePrincipal home) {
        register(home);
        multiTenantApps.put(home.clientId(), home);
    }

    void rotateCertificate(String clientId, X509Certificate certificate) {
        principals.replaceAll((key, app) -> app.clientId().equals(clientId) ? app.withCertificate(certificate) : app);
        multiTenantApps.computeIfPresent(clientId, (id, app) -> app.withCertificate(certificate));
    }

    /** Creates the multi-tenant app's principal in the tenant, with the home credentials and no role. */
    void grantConsent(String tenantId, String clientId) {
        ServicePrincipal home = multiTenantApps.get(clientId);
        if (home == null) {
            throw new IllegalArgumentException("no multi-tenant app " + clientId);
        }
        addTenant(tenantId);
        principals.putIfAbsent(key(tenantId, clientId),
                ServicePrincipal.create(tenantId, clientId, home.clientSecret(), home.certificate(), false));
    }

    void revokeConsent(String tenantId, String clientId) {
        principals.remove(key(tenantId, clientId));
    }

    void assignFhirDataWriter(String tenantId, String clientId, boolean writer) {
        ServicePrincipal app = principal(tenantId, clientId);
        if (app == null) {
            throw new IllegalArgumentException("no service principal of " + clientId + " in " + tenantId + " (consent first)");
        }
        principals.put(key(tenantId, clientId), app.withRole(writer));
    }

    void expireSecret(String clientId) {
        expiredSecrets.add(clientId);
    }

    boolean hasTenant(String tenantId) {
        return tenants.contains(tenantId.toLowerCase(Locale.ROOT));
    }

    /** The client's principal in the tenant, or null when it has none there. */
    ServicePrincipal principal(String tenantId, String clientId) {
        return principals.get(key(tenantId, clientId));
    }

    boolean secretExpired(String clientId) {
        return expiredSecrets.contains(clientId);
    }

    private static String key(String tenantId, String clientId) {
        return tenantId.toLowerCase(Locale.ROOT) + "|" + clientId;
    }
}
