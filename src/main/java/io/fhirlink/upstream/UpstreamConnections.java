package io.fhirlink.upstream;

import io.fhirlink.config.Settings;
import io.fhirlink.failure.PrivateAddressRefused;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The one connection pool all calls to FHIR servers share (camel-http would otherwise make one per endpoint):
 * keep-alive connections with the gateway's trust store and timeouts, and a DNS check at connect time, so a host
 * that resolved to a public address when its link was registered cannot later be pointed at the gateway's own
 * network (DNS rebinding). Private addresses are refused unless FHIRLINK_ALLOW_PRIVATE_ADDRESSES.
 */
public final class UpstreamConnections {

    private UpstreamConnections() {
    }

    public static PoolingHttpClientConnectionManager create(Settings settings, SSLContext tls) {
        DnsResolver dns = settings.allowPrivateAddresses() ? SystemDefaultDnsResolver.INSTANCE : new PublicOnlyDns();
        return PoolingHttpClientConnectionManagerBuilder.create()
                .setTlsSocketStrategy(new DefaultClientTlsStrategy(tls))
                .setDnsResolver(dns)
                .setMaxConnTotal(400)
                .setMaxConnPerRoute(200)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.ofMilliseconds(settings.upstreamConnectTimeoutMs()))
                        .setSocketTimeout(Timeout.ofMilliseconds(settings.upstreamResponseTimeoutMs()))
                        // Azure's front door closes idle connections after a few minutes: do not reuse stale ones
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        .setTimeToLive(TimeValue.of(5, TimeUnit.MINUTES))
                        .build())
                .build();
    }

    /** The system resolver, refusing any answer that holds a non-public address. */
    static final class PublicOnlyDns extends SystemDefaultDnsResolver {
        @Override
        public InetAddress[] resolve(String host) throws UnknownHostException {
            InetAddress[] addresses = super.resolve(host);
            for (InetAddress address : addresses) {
                if (!EndpointPolicy.isPublic(address)) {
                    throw new PrivateAddressRefused(host);
                }
            }
            return addresses;
        }
    }
}
