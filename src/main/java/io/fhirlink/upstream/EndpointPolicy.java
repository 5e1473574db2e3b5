package io.fhirlink.upstream;

import io.fhirlink.config.Settings;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which FHIR servers a link may point at: {@code https} only, a host matching {@code FHIRLINK_ALLOWED_FHIR_HOSTS}
 * ({@code *.} = any subdomain), and, unless {@code FHIRLINK_ALLOW_PRIVATE_ADDRESSES}, only public addresses, so a
 * link cannot be used to reach the gateway's own network (SSRF).
 */
public final class EndpointPolicy {

    private final List<String> allowedHosts;
    private final boolean allowPrivateAddresses;

    public EndpointPolicy(Settings settings) {
        this.allowedHosts = settings.allowedFhirHosts().stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
        this.allowPrivateAddresses = settings.allowPrivateAddresses();
    }

    /** Why the host may not be linked, or empty when it may. */
    public Optional<String> refusal(URI endpoint) {
        String host = endpoint.getHost().toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (isAmbiguousIpv4(host)) {
            // 0177.0.0.1 is 177.0.0.1 to Java but 127.0.0.1 to libc and curl; 2130706433 and 0x7f.1 are IPs to some
            // resolvers only. A link names its server by DNS name or a canonical address, never a spelling that
            // different parsers read differently.
            return Optional.of("host '" + host + "' is not a canonical IPv4 address (no leading zeros, hex, or fewer than four parts)");
        }
        if (!hostAllowed(host)) {
            return Optional.of("host '" + host + "' is not an allowed FHIR server host (allowed: "
                    + String.join(", ", allowedHosts) + ")");
        }
        if (allowPrivateAddresses) {
            return Optional.empty();
        }
        try {
            for (InetAddress address : InetAddress.getAllByName(host)) {
                if (!isPublic(address)) {
                    return Optional.of("host '" + host + "' resolves to a private or local address, which links may not use");
                }
            }
        } catch (UnknownHostException e) {
            return Optional.of("host '" + host + "' cannot be resolved; check the endpoint's spelling");
        }
        return Optional.empty();
    }

    private static final Pattern CANONICAL_IPV4 = Pattern.compile(
            "(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    /** Looks like a number to some resolver: only digits, dots and hex, and its last label is not alphabetic. */
    private static final Pattern NUMERIC_HOST = Pattern.compile(
            "(?:(?:0x[0-9a-f]*|\\d+)\\.?)+");

    static boolean isAmbiguousIpv4(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        return NUMERIC_HOST.matcher(h).matches() && !CANONICAL_IPV4.matcher(host).matches();
    }

    boolean hostAllowed(String host) {
        for (String pattern : allowedHosts) {
            if (pattern.equals("*")) {
                return true;
            }
            if (pattern.startsWith("*.")) {
                String suffix = pattern.substring(1);
                if (host.endsWith(suffix) && host.length() > suffix.length()) {
                    return true;
                }
            } else if (pattern.equals(host)) {
                return true;
            }
        }
        return false;
    }

    /**
     * IPv4 ranges that are not globally reachable (IANA IPv4 Special-Purpose Address Registry: RFC 6890 and its
     * updates), plus the deprecated 6to4 relay anycast, which relays to any address. A link to any of them reaches
     * the gateway's own network, a translator or relay, or no server at all.
     */
    private static final List<Cidr> NOT_PUBLIC_IPV4 = Cidr.all(
            "0.0.0.0/8", // "this network"
            "10.0.0.0/8", // private
            "100.64.0.0/10", // carrier-grade NAT
            "127.0.0.0/8", // loopback
            "169.254.0.0/16", // link-local, where cloud metadata endpoints answer
            "172.16.0.0/12", // private
            "192.0.0.0/24", // IETF protocol assignments
            "192.0.2.0/24", // documentation (TEST-NET-1)
            "192.88.99.0/24", // 6to4 relay anycast (deprecated)
            "192.168.0.0/16", // private
            "198.18.0.0/15", // benchmarking
            "198.51.100.0/24", // documentation (TEST-NET-2)
            "203.0.113.0/24", // documentation (TEST-NET-3)
            "224.0.0.0/4", // multicast
            "240.0.0.0/4"); // reserved, and the limited broadcast 255.255.255.255

    /** Special-purpose ranges inside IPv6 global unicast (2000::/3) that are not globally reachable servers. */
    private static final List<Cidr> NOT_PUBLIC_IPV6_UNICAST = Cidr.all(
            "2001::/23", // IETF protocol assignments: Teredo (an obfuscated IPv4 address), benchmarking, ORCHID
            "2001:db8::/32", // documentation
            "3fff::/20"); // documentation (RFC 9637)

    public static boolean isPublic(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return isPublicIpv4(b);
        }
        byte[] embedded = embeddedIpv4(b);
        if (embedded != null) {
            return isPublicIpv4(embedded);
        }
        // Only global unicast is meant to reach servers; everything else is loopback, unspecified, unique local,
        // link-local, site-local, multicast, discard-only, local-use NAT64, SRv6, or not assigned at all.
        if ((b[0] & 0xe0) != 0x20) {
            return false;
        }
        return NOT_PUBLIC_IPV6_UNICAST.stream().noneMatch(range -> range.contains(b));
    }

    private static boolean isPublicIpv4(byte[] address) {
        return NOT_PUBLIC_IPV4.stream().noneMatch(range -> range.contains(address));
    }

    /**
     * The IPv4 address an IPv6 address stands for, which a host stack, translator or relay will reach: IPv4-mapped
     * {@code ::ffff:a.b.c.d}, IPv4-compatible {@code ::a.b.c.d} (also {@code ::} and {@code ::1}, read as
     * {@code 0.0.0.x}), IPv4-translated {@code ::ffff:0:a.b.c.d} (SIIT), NAT64 {@code 64:ff9b::a.b.c.d} and 6to4
     * {@code 2002:aabb:ccdd::}; null for any other address.
     */
    private static byte[] embeddedIpv4(byte[] b) {
        if (zero(b, 0, 10) && (b[10] == (byte) 0xff && b[11] == (byte) 0xff || b[10] == 0 && b[11] == 0)
                || zero(b, 0, 8) && b[8] == (byte) 0xff && b[9] == (byte) 0xff && zero(b, 10, 12)
                || b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && zero(b, 4, 12)) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return Arrays.copyOfRange(b, 2, 6);
        }
        return null;
    }

    private static boolean zero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** An address prefix such as {@code 192.0.2.0/24}, written as a literal so no name is ever resolved. */
    private record Cidr(byte[] prefix, int bits) {

        static List<Cidr> all(String... ranges) {
            return Arrays.stream(ranges).map(Cidr::parse).toList();
        }

        static Cidr parse(String range) {
            int slash = range.indexOf('/');
            try {
                return new Cidr(InetAddress.getByName(range.substring(0, slash)).getAddress(),
                        Integer.parseInt(range.substring(slash + 1)));
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("not an address literal: " + range, e);
            }
        }

        boolean contains(byte[] address) {
            if (address.length != prefix.length) {
                return false;
            }
            int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != prefix[i]) {
                    return false;
                }
            }
            int rest = bits % 8;
            int mask = (0xff << (8 - rest)) & 0xff;
            return rest == 0 || (address[whole] & mask) == (prefix[whole] & mask);
        }
    }
}
