package io.fhirlink.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fhirlink.config.Settings;
import io.fhirlink.fhir.FhirRequest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The CapabilityStatement through a link describes the gateway's security, not the FHIR server's: the server
 * advertises its own tenant's Azure AD authorize and token URLs (SMART {@code oauth-uris}), and a client that follows
 * them gets a token the gateway refuses. Its {@code rest.security} becomes: bearer tokens of the gateway's callers
 * (issuer and audience from FHIRLINK_CALLER_*), {@code cors} as configured, no SMART endpoints (the gateway has none:
 * {@code .well-known/smart-configuration} is 501). Only a 200 capability read is parsed, JSON or XML; every other
 * answer passes this step at the cost of one comparison.
 */
public final class CapabilitySecurity {

    static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
    static final String SECURITY_SERVICE_SYSTEM = "http://terminology.hl7.org/CodeSystem/restful-security-service";
    private static final String FHIR_NS = "http://hl7.org/fhir";
    private static final Logger LOG = LoggerFactory.getLogger(CapabilitySecurity.class);

    private final ObjectMapper json;
    private final boolean cors;
    private final String description;

    public CapabilitySecurity(ObjectMapper json, Settings settings) {
        this.json = json;
        this.cors = settings.corsEnabled();
        this.description = describe(settings.callerIssuers(), settings.callerAudience());
    }

    /**
     * Azure AD's authorize and token endpoints depend on the caller's own tenant ({@code {tid}} in the issuer), which
     * the gateway cannot know before the token: the description names the issuer and the audience instead.
     */
    static String describe(List<String> issuers, String audience) {
        boolean azureAd = issuers.stream().allMatch(i -> i.startsWith("https://login.microsoftonline.com/")
                || i.startsWith("https://sts.windows.net/"));
        String from = issuers.stream().map(i -> i.replace("{tid}", "{your tenant id}")).collect(Collectors.joining(", "));
        return (azureAd ? "Azure AD" : "OAuth 2.0") + " bearer tokens (JWT) for audience " + audience + ", issued by "
                + from + ": send 'Authorization: Bearer <token>'. The gateway offers no SMART on FHIR endpoints.";
    }

    /** Route step, after the URL rewrite. */
    public void describe(Exchange exchange) {
        FhirRequest request = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class);
        Message message = exchange.getMessage();
        if (!request.isCapabilityStatement() || !(message.getBody() instanceof byte[] body)
                || !Integer.valueOf(200).equals(message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class))) {
            return;
        }
        String type = String.valueOf(message.getHeader(Exchange.CONTENT_TYPE)).toLowerCase(Locale.ROOT);
        try {
            if (type.contains("json")) {
                message.setBody(rewriteJson(body));
            } else if (type.contains("xml")) {
                message.setBody(rewriteXml(body));
            }
        } catch (Exception e) {
            // not a CapabilityStatement we can read: it goes out as the FHIR server sent it, and the operator hears
            LOG.warn("CapabilityStatement of link {} kept as sent, its security could not be rewritten: {}",
                    request.displayName(), e.toString());
        }
    }

    byte[] rewriteJson(byte[] body) throws IOException {
        JsonNode root = json.readTree(body);
        if (root instanceof ObjectNode statement && "CapabilityStatement".equals(statement.path("resourceType").asText())
                && statement.get("rest") instanceof ArrayNode rests) {
            for (JsonNode rest : rests) {
                if (rest instanceof ObjectNode server) {
                    describeJson(server);
                }
            }
            return json.writeValueAsBytes(statement);
        }
        return body;
    }

    private void describeJson(ObjectNode rest) {
        ObjectNode security = rest.get("security") instanceof ObjectNode s ? s : rest.putObject("security");
        if (security.get("extension") instanceof ArrayNode extensions) {
            for (int i = extensions.size() - 1; i >= 0; i--) {
                if (OAUTH_URIS.equals(extensions.get(i).path("url").asText())) {
                    extensions.remove(i);
                }
            }
            if (extensions.isEmpty()) {
                security.remove("extension");
            }
        }
        security.put("cors", cors);
        ObjectNode service = security.putArray("service").addObject();
        service.putArray("coding").addObject().put("system", SECURITY_SERVICE_SYSTEM).put("code", "OAuth")
                .put("display", "OAuth");
        service.put("text", "OAuth 2.0 bearer tokens");
        security.put("description", description);
    }

    byte[] rewriteXml(byte[] body) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        // a FHIR answer has no DTD: refusing one keeps entity tricks out
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        Document document = factory.newDocumentBuilder().parse(new ByteArrayInputStream(body));
        Element statement = document.getDocumentElement();
        if (!"CapabilityStatement".equals(statement.getLocalName())) {
            return body;
        }
        for (Element rest : children(statement, "rest")) {
            describeXml(document, rest);
        }
        document.setXmlStandalone(true);
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
        TransformerFactory transformers = TransformerFactory.newInstance();
        transformers.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        transformers.newTransformer().transform(new DOMSource(document), new StreamResult(out));
        return out.toByteArray();
    }

    /** FHIR XML keeps element order: security's extensions, then cors, service, description. */
    private void describeXml(Document document, Element rest) {
        List<Element> found = children(rest, "security");
        Element security;
        if (found.isEmpty()) {
            security = document.createElementNS(FHIR_NS, "security");
            // rest is mode, documentation?, security?, ...
            List<Element> before = children(rest, "documentation").isEmpty() ? children(rest, "mode")
                    : children(rest, "documentation");
            Node next = before.isEmpty() ? rest.getFirstChild() : before.get(0).getNextSibling();
            rest.insertBefore(security, next);
        } else {
            security = found.get(0);
        }
        for (Element child : children(security, null)) {
            boolean smart = "extension".equals(child.getLocalName()) && OAUTH_URIS.equals(child.getAttribute("url"));
            if (smart || List.of("cors", "service", "description").contains(child.getLocalName())) {
                security.removeChild(child);
            }
        }
        security.appendChild(valued(document, "cors", Boolean.toString(cors)));
        Element service = document.createElementNS(FHIR_NS, "service");
        Element coding = document.createElementNS(FHIR_NS, "coding");
        coding.appendChild(valued(document, "system", SECURITY_SERVICE_SYSTEM));
        coding.appendChild(valued(document, "code", "OAuth"));
        coding.appendChild(valued(document, "display", "OAuth"));
        service.appendChild(coding);
        service.appendChild(valued(document, "text", "OAuth 2.0 bearer tokens"));
        security.appendChild(service);
        security.appendChild(valued(document, "description", description));
    }

    private static Element valued(Document document, String name, String value) {
        Element element = document.createElementNS(FHIR_NS, name);
        element.setAttribute("value", value);
        return element;
    }

    private static List<Element> children(Element parent, String localName) {
        List<Element> elements = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && FHIR_NS.equals(e.getNamespaceURI())
                    && (localName == null || localName.equals(e.getLocalName()))) {
                elements.add(e);
            }
        }
        return elements;
    }
}
