package io.fhirlink.upstream;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;

/**
 * camel-http's client as a proxy needs it: no automatic retries (Apache HttpClient would silently retry a 429 or
 * 503 after its Retry-After, hiding Azure's throttling from the caller and doubling load) and no redirects.
 */
public final class UpstreamHttpClient implements HttpClientConfigurer {

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.disableAutomaticRetries();
        builder.disableRedirectHandling();
    }
}
