package io.fhirlink.lifecycle;

/** Request bodies of the management API, for the lifecycle tests. */
final class LinkBodies {

    private LinkBodies() {
    }

    static String registration(String name, String endpoint, String clientId, String secret) {
        return """
                {"fhirDatabaseDisplayName": "%s", "description": "lifecycle test link",
                 "fhirServerEndpoint": "%s", "clientId": "%s", "clientSecret": "%s"}
                """.formatted(name, endpoint, clientId, secret);
    }

    static String update(String endpoint, String clientId, String secret, String description) {
        return """
                {"description": "%s", "fhirServerEndpoint": "%s", "clientId": "%s", "clientSecret": "%s"}
                """.formatted(description, endpoint, clientId, secret);
    }
}
