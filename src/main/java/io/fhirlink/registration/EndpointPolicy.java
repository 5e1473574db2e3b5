package io.fhirlink.registration;

import io.fhirlink.Settings;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

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

    private static final java.util.regex.Pattern CANONICAL_IPV4 = java.util.regex.Pattern.compile(
            "(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    /** Looks like a number to some resolver: only digits, dots and hex, and its last label is not alphabetic. */
    private static final java.util.regex.Pattern NUMERIC_HOST = java.util.regex.Pattern.compile(
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

    public static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (b.length == 4) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return !(first == 0 || first == 100 && second >= 64 && second < 128 // carrier-grade NAT
                    || first == 192 && second == 0 && (b[2] & 0xff) == 0 // IETF protocol assignments
                    || first == 198 && (second == 18 || second == 19) // benchmarking
                    || first >= 240);
        }
        // IPv6 unique local (fc00::/7) and IPv4-mapped or -compatible forms of private IPv4 addresses
        if ((b[0] & 0xfe) == 0xfc) {
            return false;
        }
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that a translator or relay will reach
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b) {
            return isPublicIpv4(java.util.Arrays.copyOfRange(b, 12, 16));
        }
        if (b[0] == 0x20 && b[1] == 0x02) {
            return isPublicIpv4(java.util.Arrays.copyOfRange(b, 2, 6));
        }
        boolean mapped = true;
        for (int i = 0; i < 10; i++) {
            mapped &= b[i] == 0;
        }
        if (mapped && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0))) {
            return isPublicIpv4(java.util.Arrays.copyOfRange(b, 12, 16));
        }
        return true;
    }

    private static boolean isPublicIpv4(byte[] address) {
        try {
            return isPublic(InetAddress.getByAddress(address));
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
