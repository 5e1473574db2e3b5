package io.fhirlink.failure;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Azure AD refused a client-credentials request. {@code aadsts} is the AADSTS code parsed from the error
 * description (e.g. 7000215 for a wrong secret); {@code reachable} is false when Azure AD could not be asked.
 */
public final class AzureAdRefusal extends RuntimeException {

    private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+)");

    private final String aadsts;
    private final String error;
    private final boolean reachable;
    /** The link's credential kind ("secret", "certificate", "platform"): what a person must update differs. */
    private final String credential;
    /** Advice that only the caller knows (e.g. the platform application's consent URL), or null. */
    private final String advice;

    public AzureAdRefusal(String error, String description, boolean reachable) {
        this(error, description, reachable, "secret", null);
    }

    private AzureAdRefusal(String error, String description, boolean reachable, String credential, String advice) {
        super(firstLine(description), null, false, false);
        this.error = error;
        this.reachable = reachable;
        this.credential = credential;
        this.advice = advice;
        Matcher m = description == null ? null : AADSTS.matcher(description);
        this.aadsts = m != null && m.find() ? m.group(1) : null;
    }

    /** The same refusal for a link of this credential kind, with advice of the caller's own if not null. */
    public AzureAdRefusal forCredential(String kind, String ownAdvice) {
        return new AzureAdRefusal(error, getMessage(), reachable, kind, ownAdvice);
    }

    /** What an administrator must do to the link, e.g. "update the link's client secret (PUT {path})". */
    public String remedy(String linkPath) {
        return switch (credential) {
            case "certificate" -> "update the link's clientCertificate (PUT " + linkPath + ")";
            case "platform" -> "grant the platform application admin consent and the FHIR Data Writer role"
                    + " in the organization's tenant, or link with the organization's own application (PUT " + linkPath + ")";
            default -> "update the link's client secret (PUT " + linkPath + ")";
        };
    }

    /** "AADSTS7000215", or null when Azure AD gave no code. */
    public String code() {
        return aadsts == null ? null : "AADSTS" + aadsts;
    }

    public String error() {
        return error;
    }

    public boolean reachable() {
        return reachable;
    }

    /** What a person should do about it, in Azure's terms. */
    public String advice() {
        if (advice != null) {
            return advice;
        }
        if (aadsts == null) {
            return reachable ? "Azure AD refused the token request (" + error + ")."
                    : "Azure AD could not be reached (" + error + ").";
        }
        return switch (aadsts) {
            case "7000215" -> "AADSTS7000215: the client secret is wrong. Use the secret's Value (not its Secret ID) from the app registration's Certificates & secrets.";
            case "7000222" -> "AADSTS7000222: the client secret has expired. Create a new secret in the app registration.";
            case "700016" -> "AADSTS700016: no application with this client id exists in the tenant. Check clientId and tenantId.";
            case "90002" -> "AADSTS90002: the tenant was not found. Check tenantId (the Directory (tenant) ID of the app registration).";
            case "500011" -> "AADSTS500011: Azure AD does not know the FHIR server as a resource in this tenant. Check the endpoint and that the FHIR service is in the application's tenant.";
            case "7000112" -> "AADSTS" + aadsts + ": the application is disabled or not valid in this tenant.";
            case "700027" -> "AADSTS700027: Azure AD did not accept the signed client assertion: the certificate is not (or no longer) one of the app registration's certificates. Upload the certificate under Certificates & secrets, or send the link the one registered there.";
            case "700024" -> "AADSTS700024: the client assertion is not within its valid time range; check the gateway's clock.";
            default -> "AADSTS" + aadsts + ": " + getMessage();
        };
    }

    private static String firstLine(String description) {
        if (description == null) {
            return "no description";
        }
        int cut = description.indexOf('\n');
        String line = (cut < 0 ? description : description.substring(0, cut)).replace("\r", "");
        return line.length() > 300 ? line.substring(0, 300) : line;
    }
}
