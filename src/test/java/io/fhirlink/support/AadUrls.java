package io.fhirlink.support;

/** Where the Azure AD stand-in's endpoints are: paths as Azure's, under {@code https://127.0.0.1:{port}}. */
record AadUrls(String authorityHost) {

    static final String JWKS_PATH = "/discovery/v2.0/keys";

    String tokenEndpoint(String tenant) {
        return authorityHost + "/" + tenant + "/oauth2/v2.0/token";
    }

    String jwks() {
        return authorityHost + JWKS_PATH;
    }

    String callerIssuer(String tid) {
        return authorityHost + "/" + tid + "/v2.0";
    }

    String errorPage(int code) {
        return authorityHost + "/error?code=" + code;
    }
}
