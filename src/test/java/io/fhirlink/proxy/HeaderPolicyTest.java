package io.fhirlink.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which headers cross the gateway: an allow-list upstream, a drop-list on the way back. */
@Tag("unit")
class HeaderPolicyTest {

    @ParameterizedTest
    @ValueSource(strings = {"Accept", "content-type", "If-Match", "If-None-Match", "If-None-Exist", "If-Modified-Since",
            "If-Unmodified-Since", "Prefer", "x-ms-profile-validation", "X-MS-Conditional-Delete-Max-Delete-Count",
            "x-ms-use-partial-indices", "x-ms-query-latency-over-efficiency", "x-ms-enable-chained-search",
            "x-ms-bundle-processing-logic"})
    void forwardUpstream_allowsTheFhirAndAzureRequestHeaders(String name) {
        assertThat(HeaderPolicy.forwardUpstream(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Authorization", "Cookie", "Host", "X-Forwarded-For", "X-Forwarded-Host", "Forwarded",
            "Accept-Encoding", "Connection", "Transfer-Encoding", "Upgrade", "TE", "Proxy-Authorization",
            "X-Original-URL", "x-ms-client-principal", "X-Request-Id", "CamelHttpUri"})
    void forwardUpstream_keepsEverythingElseBack(String name) {
        assertThat(HeaderPolicy.forwardUpstream(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Connection", "Keep-Alive", "Proxy-Authenticate", "Transfer-Encoding", "Upgrade", "Trailer",
            "Content-Length", "Set-Cookie", "WWW-Authenticate", "Access-Control-Allow-Origin",
            "Access-Control-Allow-Credentials", "Alt-Svc", "Server", "Strict-Transport-Security", "CamelHttpResponseCode",
            "org.apache.camel.Anything"})
    void passBack_dropsHopByHopCookiesChallengesCorsAndCamelHeaders(String name) {
        assertThat(HeaderPolicy.passBack(name)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Type", "ETag", "Last-Modified", "Location", "Content-Location", "Retry-After",
            "x-ms-retry-after-ms", "x-ms-request-charge", "X-Request-Id", "Vary"})
    void passBack_keepsEndToEndHeaders(String name) {
        assertThat(HeaderPolicy.passBack(name)).isTrue();
    }
}
