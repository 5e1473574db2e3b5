package io.fhirlink.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.annotation.ConditionalUrlParam;
import ca.uhn.fhir.rest.annotation.Create;
import ca.uhn.fhir.rest.annotation.Delete;
import ca.uhn.fhir.rest.annotation.History;
import ca.uhn.fhir.rest.annotation.IdParam;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Read;
import ca.uhn.fhir.rest.annotation.ResourceParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.annotation.Transaction;
import ca.uhn.fhir.rest.annotation.TransactionParam;
import ca.uhn.fhir.rest.annotation.Update;
import ca.uhn.fhir.rest.api.MethodOutcome;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.StringAndListParam;
import ca.uhn.fhir.rest.param.StringOrListParam;
import ca.uhn.fhir.rest.param.StringParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.exceptions.BaseServerResponseException;
import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Bundle.BundleEntryComponent;
import org.hl7.fhir.r4.model.Bundle.BundleType;
import org.hl7.fhir.r4.model.Bundle.HTTPVerb;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/** HAPI plain-server providers over a {@link FhirMemoryStore}: Patient, Observation, transaction/batch. */
final class MemoryFhirProviders {

    private MemoryFhirProviders() {
    }

    /**
     * The type-independent interactions, written once. HAPI finds annotated methods on superclasses
     * and takes the resource type from {@link #getResourceType()}, so the erased {@code T} is fine.
     */
    abstract static class TypedProvider<T extends Resource> implements IResourceProvider {
        final FhirMemoryStore store;
        private final Class<T> type;
        private final String typeName;

        TypedProvider(FhirMemoryStore store, Class<T> type) {
            this.store = store;
            this.type = type;
            this.typeName = FhirContext.forR4Cached().getResourceType(type);
        }

        @Override
        public Class<T> getResourceType() {
            return type;
        }

        /** Create; with If-None-Exist ({@code Type?identifier=...}) an existing match is returned instead (200). */
        @Create
        public MethodOutcome create(@ResourceParam T resource, @ConditionalUrlParam String conditionalUrl) {
            if (conditionalUrl != null) {
                List<Resource> matches = store.search(typeName, queryParams(conditionalUrl));
                if (matches.size() > 1) {
                    throw new PreconditionFailedException(
                            "Multiple matches for If-None-Exist " + conditionalUrl);
                }
                if (matches.size() == 1) {
                    return new MethodOutcome(matches.get(0).getIdElement(), false).setResource(matches.get(0));
                }
            }
            Resource stored = store.create(resource, null);
            return new MethodOutcome(stored.getIdElement(), true).setResource(stored);
        }

        /** Read and vread (HAPI passes the version in the id for {@code /_history/n}). */
        @Read(version = true)
        public T read(@IdParam IdType id) {
            Resource found = id.hasVersionIdPart()
                    ? store.vread(typeName, id.getIdPart(), id.getVersionIdPart())
                    : store.read(typeName, id.getIdPart());
            return type.cast(found);
        }

        /** Update or create-by-update. HAPI moves If-Match's version into the id, so a version means "expect this". */
        @Update
        public MethodOutcome update(@IdParam IdType id, @ResourceParam T resource) {
            FhirMemoryStore.Written written = store.update(typeName, id.getIdPart(), resource,
                    id.hasVersionIdPart() ? id.getVersionIdPart() : null);
            return new MethodOutcome(written.resource().getIdElement(), written.created()).setResource(written.resource());
        }

        @Delete
        public MethodOutcome delete(@IdParam IdType id) {
            store.delete(typeName, id.getIdPart());
            return new MethodOutcome();
        }

        @History
        public List<Resource> history(@IdParam IdType id) {
            return store.history(typeName, id.getIdPart());
        }

        /** Adds a parameter to a search map when present (HAPI passes null for absent ones). */
        static void put(Map<String, String> params, String name, Object param) {
            if (param instanceof StringParam s) {
                params.put(name, s.getValue());
            } else if (param instanceof TokenParam t) {
                params.put(name, t.getSystem() == null ? t.getValue() : t.getSystem() + "|" + t.getValue());
            } else if (param instanceof ReferenceParam r) {
                params.put(name, r.getValue());
            }
        }
    }

    static final class PatientProvider extends TypedProvider<Patient> {
        PatientProvider(FhirMemoryStore store) {
            super(store, Patient.class);
        }

        @Search
        public List<Resource> search(
                @OptionalParam(name = "_id") TokenParam id,
                @OptionalParam(name = "identifier") TokenParam identifier,
                @OptionalParam(name = "family") StringParam family,
                // repeated given= narrows the search (AND), as FHIR servers read repeated parameters
                @OptionalParam(name = "given") StringAndListParam given,
                @OptionalParam(name = "name") StringParam name) {
            Map<String, String> params = new HashMap<>();
            put(params, "_id", id);
            put(params, "identifier", identifier);
            put(params, "family", family);
            put(params, "name", name);
            List<Resource> found = store.search("Patient", params);
            if (given != null) {
                for (StringOrListParam anyOf : given.getValuesAsQueryTokens()) {
                    found.removeIf(r -> anyOf.getValuesAsQueryTokens().stream()
                            .noneMatch(v -> FhirMemoryStore.matches(r, "given", v.getValue())));
                }
            }
            return found;
        }
    }

    static final class ObservationProvider extends TypedProvider<Observation> {
        ObservationProvider(FhirMemoryStore store) {
            super(store, Observation.class);
        }

        @Search
        public List<Resource> search(
                @OptionalParam(name = "_id") TokenParam id,
                @OptionalParam(name = "identifier") TokenParam identifier,
                @OptionalParam(name = "subject") ReferenceParam subject,
                @OptionalParam(name = "patient") ReferenceParam patient) {
            Map<String, String> params = new HashMap<>();
            put(params, "_id", id);
            put(params, "identifier", identifier);
            put(params, "subject", subject);
            put(params, "patient", patient);
            return store.search("Observation", params);
        }
    }

    /**
     * System-level {@code POST /} with a transaction or batch bundle (HAPI routes both here).
     * A transaction is all-or-nothing and resolves {@code urn:uuid:} references between its
     * entries; a batch runs entries independently and reports each one's failure in place.
     */
    static final class SystemProvider {
        private static final Map<HTTPVerb, Integer> TRANSACTION_ORDER =
                Map.of(HTTPVerb.DELETE, 0, HTTPVerb.POST, 1, HTTPVerb.PUT, 2, HTTPVerb.GET, 3);
        private final FhirMemoryStore store;

        SystemProvider(FhirMemoryStore store) {
            this.store = store;
        }

        @Transaction
        public Bundle transaction(@TransactionParam Bundle bundle) {
            if (bundle.getType() == BundleType.BATCH) {
                return batch(bundle);
            }
            if (bundle.getType() != BundleType.TRANSACTION) {
                throw new InvalidRequestException("Expected a transaction or batch bundle, got " + bundle.getType());
            }
            return store.atomically(() -> {
                List<BundleEntryComponent> entries = bundle.getEntry();
                Map<String, String> newIds = assignIds(entries);
                entries.stream().filter(BundleEntryComponent::hasResource)
                        .forEach(e -> resolveReferences(e.getResource(), newIds));
                BundleEntryComponent[] answers = new BundleEntryComponent[entries.size()];
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < entries.size(); i++) {
                    order.add(i);
                }
                order.sort(Comparator.comparing(i -> TRANSACTION_ORDER.getOrDefault(entries.get(i).getRequest().getMethod(), 9)));
                for (int i : order) {
                    BundleEntryComponent entry = entries.get(i);
                    String assigned = entry.hasFullUrl() ? newIds.get(entry.getFullUrl()) : null;
                    answers[i] = execute(entry, assigned == null ? null : new IdType(assigned).getIdPart());
                }
                return response(BundleType.TRANSACTIONRESPONSE, List.of(answers));
            });
        }

        private Bundle batch(Bundle bundle) {
            List<BundleEntryComponent> answers = new ArrayList<>();
            for (BundleEntryComponent entry : bundle.getEntry()) {
                try {
                    answers.add(execute(entry, null));
                } catch (BaseServerResponseException e) {
                    OperationOutcome oo = new OperationOutcome();
                    oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR)
                            .setCode(OperationOutcome.IssueType.PROCESSING).setDiagnostics(e.getMessage());
                    BundleEntryComponent failed = new BundleEntryComponent();
                    failed.getResponse().setStatus(String.valueOf(e.getStatusCode())).setOutcome(oo);
                    answers.add(failed);
                }
            }
            return response(BundleType.BATCHRESPONSE, answers);
        }

        /**
         * Gives each POST entry with a {@code urn:uuid:} fullUrl its future "Type/id" up front (or the
         * id of the resource its If-None-Exist already matches), so references can be rewritten.
         */
        private Map<String, String> assignIds(List<BundleEntryComponent> entries) {
            Map<String, String> ids = new LinkedHashMap<>();
            for (BundleEntryComponent e : entries) {
                if (e.getRequest().getMethod() == HTTPVerb.POST && e.hasResource() && e.getFullUrl() != null
                        && e.getFullUrl().startsWith("urn:uuid:")) {
                    String type = e.getResource().fhirType();
                    String ifNoneExist = e.getRequest().getIfNoneExist();
                    List<Resource> matches = ifNoneExist == null ? List.of() : store.search(type, queryParams(ifNoneExist));
                    ids.put(e.getFullUrl(), matches.isEmpty()
                            ? type + "/" + UUID.randomUUID()
                            : matches.get(0).getIdElement().toUnqualifiedVersionless().getValue());
                }
            }
            return ids;
        }

        private static void resolveReferences(Resource resource, Map<String, String> newIds) {
            for (Reference ref : FhirContext.forR4Cached().newTerser().getAllPopulatedChildElementsOfType(resource, Reference.class)) {
                String target = newIds.get(ref.getReference());
                if (target != null) {
                    ref.setReference(target);
                }
            }
        }

        private BundleEntryComponent execute(BundleEntryComponent entry, String assignedId) {
            HTTPVerb method = entry.getRequest().getMethod();
            String url = entry.getRequest().getUrl();
            if (method == null || url == null) {
                throw new InvalidRequestException("Each entry needs request.method and request.url");
            }
            String path = url.contains("?") ? url.substring(0, url.indexOf('?')) : url;
            String[] parts = path.split("/");
            BundleEntryComponent answer = new BundleEntryComponent();
            switch (method) {
                case POST -> {
                    FhirMemoryStore.Written w = createOrMatch(entry, assignedId);
                    answer.setResource(w.resource());
                    written(answer, w.resource(), w.created() ? "201 Created" : "200 OK");
                }
                case PUT -> {
                    String ifMatch = entry.getRequest().getIfMatch();
                    String expected = ifMatch == null ? null : ifMatch.replaceAll("^W/\"|\"$", "");
                    FhirMemoryStore.Written w = store.update(parts[0], parts[1], entry.getResource(), expected);
                    answer.setResource(w.resource());
                    written(answer, w.resource(), w.created() ? "201 Created" : "200 OK");
                }
                case DELETE -> {
                    store.delete(parts[0], parts[1]);
                    answer.getResponse().setStatus("204 No Content");
                }
                case GET -> {
                    answer.setResource(get(url, parts));
                    answer.getResponse().setStatus("200 OK");
                }
                default -> throw new InvalidRequestException("Unsupported entry method " + method);
            }
            return answer;
        }

        private FhirMemoryStore.Written createOrMatch(BundleEntryComponent entry, String assignedId) {
            String ifNoneExist = entry.getRequest().getIfNoneExist();
            if (ifNoneExist != null) {
                List<Resource> matches = store.search(entry.getResource().fhirType(), queryParams(ifNoneExist));
                if (!matches.isEmpty()) {
                    return new FhirMemoryStore.Written(matches.get(0), false);
                }
            }
            return new FhirMemoryStore.Written(store.create(entry.getResource(), assignedId), true);
        }

        /** {@code Type/id}, {@code Type/id/_history/n} or {@code Type?query} (one searchset page, no paging). */
        private Resource get(String url, String[] parts) {
            if (url.contains("?") || parts.length == 1) {
                Bundle result = new Bundle().setType(BundleType.SEARCHSET);
                List<Resource> found = store.search(parts[0], queryParams(url));
                found.forEach(r -> result.addEntry().setResource(r).setFullUrl(r.getIdElement().toUnqualifiedVersionless().getValue()));
                return result.setTotal(found.size());
            }
            return parts.length >= 4 ? store.vread(parts[0], parts[1], parts[3]) : store.read(parts[0], parts[1]);
        }

        private static void written(BundleEntryComponent answer, Resource stored, String status) {
            answer.setFullUrl(stored.getIdElement().toUnqualifiedVersionless().getValue());
            answer.getResponse().setStatus(status)
                    .setLocation(stored.getIdElement().getValue())
                    .setEtag("W/\"" + stored.getMeta().getVersionId() + "\"")
                    .setLastModified(stored.getMeta().getLastUpdated());
        }

        private static Bundle response(BundleType type, List<BundleEntryComponent> entries) {
            Bundle out = new Bundle().setType(type);
            entries.forEach(out::addEntry);
            return out;
        }
    }

    /** Search parameters of {@code Type?a=1&b=2} (or a bare query); paging/format controls are skipped. */
    static Map<String, String> queryParams(String url) {
        Map<String, String> params = new HashMap<>();
        int q = url.indexOf('?');
        String query = q < 0 ? (url.contains("=") ? url : "") : url.substring(q + 1);
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && !pair.startsWith("_count") && !pair.startsWith("_format") && !pair.startsWith("_sort")) {
                params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }
}
