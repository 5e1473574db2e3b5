package io.fhirlink.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.config.Settings;
import java.net.InetAddress;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The public-address rule a link endpoint (and every upstream connection) must pass, without a socket: address
 * literals only, so nothing is resolved. Each special-purpose range of the IANA registries (RFC 6890 and its updates)
 * that is not globally reachable is listed with an address in it, and each has a public neighbour just outside it.
 */
@Tag("unit")
class EndpointPolicyTest {

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource(delimiter = '|', value = {
            "0.1.2.3             | 0.0.0.0/8 this network",
            "10.255.255.255      | 10.0.0.0/8 private",
            "100.64.0.0          | 100.64.0.0/10 carrier-grade NAT, first",
            "100.127.255.255     | 100.64.0.0/10 carrier-grade NAT, last",
            "127.1.2.3           | 127.0.0.0/8 loopback",
            "169.254.169.254     | 169.254.0.0/16 link-local (cloud metadata)",
            "172.31.255.255      | 172.16.0.0/12 private",
            "192.0.0.170         | 192.0.0.0/24 IETF protocol assignments",
            "192.0.2.1           | 192.0.2.0/24 documentation TEST-NET-1",
            "192.88.99.1         | 192.88.99.0/24 deprecated 6to4 relay anycast",
            "192.168.1.1         | 192.168.0.0/16 private",
            "198.18.0.1          | 198.18.0.0/15 benchmarking, first half",
            "198.19.255.255      | 198.18.0.0/15 benchmarking, last",
            "198.51.100.7        | 198.51.100.0/24 documentation TEST-NET-2",
            "203.0.113.200       | 203.0.113.0/24 documentation TEST-NET-3",
            "239.255.255.250     | 224.0.0.0/4 multicast",
            "240.0.0.1           | 240.0.0.0/4 reserved",
            "255.255.255.255     | 255.255.255.255/32 limited broadcast",
            "::                  | ::/128 unspecified",
            "::1                 | ::1/128 loopback",
            "::ffff:10.0.0.1     | ::ffff:0:0/96 IPv4-mapped, private",
            "::10.0.0.1          | ::/96 IPv4-compatible, private",
            "::ffff:0:127.0.0.1  | ::ffff:0:0:0/96 IPv4-translated, loopback",
            "::ffff:0:10.0.0.1   | ::ffff:0:0:0/96 IPv4-translated, private",
            "::ffff:0:192.0.2.1  | ::ffff:0:0:0/96 IPv4-translated, documentation",
            "64:ff9b::10.0.0.1   | 64:ff9b::/96 NAT64, private",
            "64:ff9b::192.0.2.1  | 64:ff9b::/96 NAT64, documentation",
            "64:ff9b:1::808:808  | 64:ff9b:1::/48 local-use NAT64",
            "100::1              | 100::/64 discard-only",
            "2001::1             | 2001::/23 IETF protocol assignments (Teredo)",
            "2001:2::1           | 2001::/23 IETF protocol assignments (benchmarking)",
            "2001:1ff:ffff::1    | 2001::/23 IETF protocol assignments, last /32",
            "2001:db8::1         | 2001:db8::/32 documentation",
            "2001:db8:ffff:ffff::1 | 2001:db8::/32 documentation, last",
            "2002:a00:1::1       | 2002::/16 6to4, private",
            "2002:c000:201::1    | 2002::/16 6to4, documentation",
            "3fff::1             | 3fff::/20 documentation",
            "3fff:fff:ffff::1    | 3fff::/20 documentation, last",
            "5f00::1             | 5f00::/16 segment routing SIDs",
            "fc00::1             | fc00::/7 unique local",
            "fdff:ffff::1        | fc00::/7 unique local, last",
            "fe80::1             | fe80::/10 link-local",
            "febf::1             | fe80::/10 link-local, last",
            "fec0::1             | fec0::/10 deprecated site-local",
            "ff02::1             | ff00::/8 multicast"})
    void isPublic_refusesSpecialPurposeAddress(String address, String range) throws Exception {
        assertThat(EndpointPolicy.isPublic(InetAddress.getByName(address))).as(range).isFalse();
    }

    @ParameterizedTest(name = "{0} (next to {1})")
    @CsvSource(delimiter = '|', value = {
            "1.0.0.1             | 0.0.0.0/8",
            "11.0.0.1            | 10.0.0.0/8",
            "100.63.255.255      | 100.64.0.0/10, below",
            "100.128.0.0         | 100.64.0.0/10, above",
            "128.0.0.1           | 127.0.0.0/8",
            "169.255.0.1         | 169.254.0.0/16",
            "172.32.0.1          | 172.16.0.0/12",
            "192.0.1.1           | 192.0.0.0/24",
            "192.0.3.1           | 192.0.2.0/24",
            "192.88.98.1         | 192.88.99.0/24",
            "192.169.0.1         | 192.168.0.0/16",
            "198.17.255.255      | 198.18.0.0/15, below",
            "198.20.0.0          | 198.18.0.0/15, above",
            "198.51.101.1        | 198.51.100.0/24",
            "203.0.114.1         | 203.0.113.0/24",
            "223.255.255.254     | 224.0.0.0/4",
            "::ffff:8.8.8.8      | ::ffff:0:0/96 IPv4-mapped",
            "::ffff:0:8.8.8.8    | ::ffff:0:0:0/96 IPv4-translated",
            "64:ff9b::808:808    | 64:ff9b::/96 NAT64",
            "2001:200::1         | 2001::/23",
            "2001:db9::1         | 2001:db8::/32",
            "2002:808:808::1     | 2002::/16 6to4",
            "3fff:1000::1        | 3fff::/20",
            "2606:4700:4700::1111 | global unicast 2000::/3"})
    void isPublic_acceptsPublicNeighbour(String address, String range) throws Exception {
        assertThat(EndpointPolicy.isPublic(InetAddress.getByName(address))).as(range).isTrue();
    }

    // ---------------------------------------------------------------- the whole rule for a link endpoint

    private static EndpointPolicy policy(String allowedHosts, boolean allowPrivate) {
        return new EndpointPolicy(Settings.from(Map.of("FHIRLINK_ALLOWED_FHIR_HOSTS", allowedHosts,
                "FHIRLINK_ALLOW_PRIVATE_ADDRESSES", Boolean.toString(allowPrivate))));
    }

    @ParameterizedTest
    @CsvSource({"ws-fhir.fhir.azurehealthcareapis.com", "myfhir.azurehealthcareapis.com", "A.B.AZUREHEALTHCAREAPIS.COM"})
    void hostAllowed_anySubdomainOfAStarPattern(String host) {
        assertThat(policy("*.azurehealthcareapis.com", false).hostAllowed(host.toLowerCase(java.util.Locale.ROOT))).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"azurehealthcareapis.com", "evilazurehealthcareapis.com", "azurehealthcareapis.com.evil.example",
            "fhir.azurehealthcareapis.co"})
    void hostAllowed_notTheBareDomainNorALookAlike(String host) {
        assertThat(policy("*.azurehealthcareapis.com", false).hostAllowed(host)).isFalse();
    }

    @Test
    void refusal_ofAHostNotAllowed_namesTheAllowedPatterns() {
        assertThat(policy("127.0.0.1,localhost", true).refusal(URI.create("https://example.org")))
                .hasValue("host 'example.org' is not an allowed FHIR server host (allowed: 127.0.0.1, localhost)");
    }

    @Test
    void refusal_ofAnAllowedHostResolvingToAPrivateAddress() {
        assertThat(policy("127.0.0.1,localhost", false).refusal(URI.create("https://127.0.0.1:8443")))
                .hasValue("host '127.0.0.1' resolves to a private or local address, which links may not use");
    }

    @Test
    void refusal_none_forAnAllowedHostWhenPrivateAddressesAreAllowed() {
        assertThat(policy("127.0.0.1,localhost", true).refusal(URI.create("https://127.0.0.1:8443"))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"0177.0.0.1", "2130706433", "0x7f000001", "127.000.000.001", "017700000001"})
    void refusal_ofANumericHostThatParsersReadDifferently(String host) {
        assertThat(policy("*", true).refusal(URI.create("https://" + host + ":8443")))
                .hasValueSatisfying(reason -> assertThat(reason).contains("is not a canonical IPv4 address"));
    }

    @Test
    void refusal_none_forAPublicAddressLiteral() {
        assertThat(policy("*", false).refusal(URI.create("https://8.8.8.8"))).isEmpty();
    }
}
