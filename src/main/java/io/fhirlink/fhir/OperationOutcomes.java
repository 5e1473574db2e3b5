package io.fhirlink.fhir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The FHIR R4 OperationOutcome the gateway answers with when it, not the linked server, ends a request. */
public final class OperationOutcomes {

    private OperationOutcomes() {
    }

    public static ObjectNode of(ObjectMapper json, String issueCode, String diagnostics) {
        ObjectNode outcome = json.createObjectNode();
        outcome.put("resourceType", "OperationOutcome");
        ObjectNode issue = outcome.putArray("issue").addObject();
        issue.put("severity", "error");
        issue.put("code", issueCode);
        issue.put("diagnostics", diagnostics);
        return outcome;
    }
}
