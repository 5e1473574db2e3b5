package io.fhirlink.failure;

import java.net.UnknownHostException;

/** The host resolved to an address a link may not reach (thrown where the gateway connects: DNS or peer check). */
public final class PrivateAddressRefused extends UnknownHostException {

    public PrivateAddressRefused(String host) {
        super(host + " resolves to a private or local address, which links may not reach");
    }
}
