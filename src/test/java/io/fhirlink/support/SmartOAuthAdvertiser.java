package io.fhirlink.support;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestSecurityComponent;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.UriType;

/** Adds the SMART oauth-uris Azure publishes to the CapabilityStatement, so clients can discover the token endpoint. */
@Interceptor
final class SmartOAuthAdvertiser {

    /** {@code https://{aad}/{tenant}/oauth2/v2.0/}: token and authorize live under it. */
    private final String oauthBase;

    SmartOAuthAdvertiser(String oauthBase) {
        this.oauthBase = oauthBase;
    }

    @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
    public void advertise(IBaseConformance capabilityStatement) {
        CapabilityStatementRestSecurityComponent security =
                ((CapabilityStatement) capabilityStatement).getRestFirstRep().getSecurity();
        security.addService().addCoding()
                .setSystem("http://terminology.hl7.org/CodeSystem/restful-security-service").setCode("SMART-on-FHIR");
        Extension oauth = security.addExtension().setUrl(AzureFhirStandIn.OAUTH_URIS);
        oauth.addExtension("token", new UriType(oauthBase + "token"));
        oauth.addExtension("authorize", new UriType(oauthBase + "authorize"));
    }
}
