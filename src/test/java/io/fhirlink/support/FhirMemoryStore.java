package io.fhirlink.support;

import ca.uhn.fhir.rest.server.exceptions.InvalidRequestException;
import ca.uhn.fhir.rest.server.exceptions.PreconditionFailedException;
import ca.uhn.fhir.rest.server.exceptions.ResourceGoneException;
import ca.uhn.fhir.rest.server.exceptions.ResourceNotFoundException;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.IdType;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Resource;

/**
 * Versioned in-memory resources for the FHIR stand-in. One lock guards everything, which makes a
 * transaction bundle trivially atomic: snapshot, apply, restore on failure. Stored resources are
 * never handed out, only copies, so callers cannot change history behind the store's back.
 */
final class FhirMemoryStore {

    /** One version of a resource; a delete is recorded as a version without content. */
    private record Version(Resource resource, boolean deleted) {
    }

    /** Outcome of an update: the stored copy and whether it created the resource. */
    record Written(Resource resource, boolean created) {
    }

    // type -> id -> versions (oldest first); insertion-ordered so searches are stable for paging
    private Map<String, Map<String, List<Version>>> data = new LinkedHashMap<>();

    /** Creates with a server-assigned id (a GUID, as Azure does) unless {@code id} is given. */
    synchronized Resource create(Resource resource, String id) {
        String type = resource.fhirType();
        String newId = id != null ? id : UUID.randomUUID().toString();
        if (versions(type, newId) != null) {
            throw new InvalidRequestException("Resource " + type + "/" + newId + " already exists");
        }
        return append(type, newId, resource, false);
    }

    synchronized Resource read(String type, String id) {
        Version latest = latest(type, id);
        if (latest.deleted()) {
            throw new ResourceGoneException(new IdType(type, id));
        }
        return latest.resource().copy();
    }

    synchronized Resource vread(String type, String id, String versionId) {
        List<Version> versions = existing(type, id);
        int index = parseVersion(versionId) - 1;
        if (index < 0 || index >= versions.size() || versions.get(index).deleted()) {
            throw new ResourceNotFoundException(new IdType(type, id, versionId));
        }
        return versions.get(index).resource().copy();
    }

    /**
     * Updates (or creates, when the id is new). {@code expectedVersion} comes from If-Match; a stale
     * one is refused with 412 like Azure does, which is what optimistic-locking tests need.
     */
    synchronized Written update(String type, String id, Resource resource, String expectedVersion) {
        List<Version> versions = versions(type, id);
        if (expectedVersion != null) {
            String current = versions == null ? null : String.valueOf(versions.size());
            if (!expectedVersion.equals(current)) {
                throw new PreconditionFailedException("Resource " + type + "/" + id + " is at version " + current
                        + ", not the expected version " + expectedVersion + ".");
            }
        }
        boolean created = versions == null || versions.get(versions.size() - 1).deleted();
        return new Written(append(type, id, resource, false), created);
    }

    /** Deletes; deleting something absent or already deleted succeeds, as in Azure. */
    synchronized void delete(String type, String id) {
        List<Version> versions = versions(type, id);
        if (versions != null && !versions.get(versions.size() - 1).deleted()) {
            append(type, id, null, true);
        }
    }

    /** Versions of one resource, newest first, without deletions. */
    synchronized List<Resource> history(String type, String id) {
        List<Resource> out = new ArrayList<>();
        for (Version v : existing(type, id)) {
            if (!v.deleted()) {
                out.add(0, v.resource().copy());
            }
        }
        return out;
    }

    /** Current resources of a type whose every parameter matches (AND), in creation order. */
    synchronized List<Resource> search(String type, Map<String, String> params) {
        List<Resource> out = new ArrayList<>();
        for (List<Version> versions : data.getOrDefault(type, Map.of()).values()) {
            Version latest = versions.get(versions.size() - 1);
            if (!latest.deleted() && params.entrySet().stream()
                    .allMatch(p -> matches(latest.resource(), p.getKey(), p.getValue()))) {
                out.add(latest.resource().copy());
            }
        }
        return out;
    }

    /** Runs work under the lock; on any exception every change it made is undone. */
    synchronized <T> T atomically(Supplier<T> work) {
        Map<String, Map<String, List<Version>>> snapshot = copy(data);
        try {
            return work.get();
        } catch (RuntimeException e) {
            data = snapshot;
            throw e;
        }
    }

    synchronized void clear() {
        data = new LinkedHashMap<>();
    }

    // ---------------------------------------------------------------- internals

    private Resource append(String type, String id, Resource resource, boolean deleted) {
        List<Version> versions = data.computeIfAbsent(type, t -> new LinkedHashMap<>()).computeIfAbsent(id, i -> new ArrayList<>());
        String versionId = String.valueOf(versions.size() + 1);
        Resource stored = null;
        if (!deleted) {
            stored = resource.copy();
            stored.setId(new IdType(type, id, versionId));
            stored.getMeta().setVersionId(versionId).setLastUpdated(new Date());
        }
        versions.add(new Version(stored, deleted));
        return stored == null ? null : stored.copy();
    }

    private List<Version> versions(String type, String id) {
        return data.getOrDefault(type, Map.of()).get(id);
    }

    private List<Version> existing(String type, String id) {
        List<Version> versions = versions(type, id);
        if (versions == null) {
            throw new ResourceNotFoundException(new IdType(type, id));
        }
        return versions;
    }

    private Version latest(String type, String id) {
        List<Version> versions = existing(type, id);
        return versions.get(versions.size() - 1);
    }

    private static int parseVersion(String versionId) {
        try {
            return Integer.parseInt(versionId);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Map<String, Map<String, List<Version>>> copy(Map<String, Map<String, List<Version>>> source) {
        // Versions hold private copies that are never mutated, so copying the containers suffices.
        Map<String, Map<String, List<Version>>> out = new LinkedHashMap<>();
        source.forEach((type, byId) -> {
            Map<String, List<Version>> ids = new LinkedHashMap<>();
            byId.forEach((id, versions) -> ids.put(id, new ArrayList<>(versions)));
            out.put(type, ids);
        });
        return out;
    }

    /** The few search parameters the stand-in understands; unknown ones are refused, not ignored. */
    static boolean matches(Resource r, String name, String value) {
        switch (name) {
            case "_id":
                return r.getIdElement().getIdPart().equals(value);
            case "identifier":
                return identifiers(r).stream().anyMatch(i -> tokenMatches(i, value));
            case "family":
                return r instanceof Patient p && p.getName().stream().anyMatch(n -> startsWith(n.getFamily(), value));
            case "given":
                return r instanceof Patient p && p.getName().stream()
                        .anyMatch(n -> n.getGiven().stream().anyMatch(g -> startsWith(g.getValue(), value)));
            case "name":
                return r instanceof Patient p && p.getName().stream().anyMatch(n -> nameMatches(n, value));
            case "subject":
            case "patient":
                return r instanceof Observation o && referenceMatches(o.getSubject().getReference(), value);
            default:
                throw new InvalidRequestException("Unknown search parameter '" + name + "' for " + r.fhirType());
        }
    }

    private static List<Identifier> identifiers(Resource r) {
        if (r instanceof Patient p) {
            return p.getIdentifier();
        }
        if (r instanceof Observation o) {
            return o.getIdentifier();
        }
        return List.of();
    }

    /** FHIR token syntax: {@code system|value}, {@code |value} (no system) or {@code value}. */
    private static boolean tokenMatches(Identifier identifier, String token) {
        int bar = token.indexOf('|');
        if (bar < 0) {
            return token.equals(identifier.getValue());
        }
        String system = token.substring(0, bar);
        String value = token.substring(bar + 1);
        boolean systemOk = system.isEmpty() ? !identifier.hasSystem() : system.equals(identifier.getSystem());
        return systemOk && (value.isEmpty() || value.equals(identifier.getValue()));
    }

    private static boolean nameMatches(HumanName n, String value) {
        return startsWith(n.getFamily(), value) || startsWith(n.getText(), value)
                || n.getGiven().stream().anyMatch(g -> startsWith(g.getValue(), value));
    }

    /** FHIR string search: case-insensitive, matches the start of the value. */
    private static boolean startsWith(String candidate, String value) {
        return candidate != null && candidate.toLowerCase().startsWith(value.toLowerCase());
    }

    /** {@code subject=123} and {@code subject=Patient/123} both match a reference "Patient/123". */
    private static boolean referenceMatches(String reference, String value) {
        if (reference == null) {
            return false;
        }
        return value.contains("/") ? reference.equals(value) || reference.endsWith("/" + value)
                : reference.endsWith("/" + value) || reference.equals(value);
    }
}
