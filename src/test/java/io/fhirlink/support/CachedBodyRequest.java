package io.fhirlink.support;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the body once, chunked or not, so it can be both recorded and handed to HAPI. Parameters are parsed here
 * too: with the stream consumed, the container could no longer parse a form-encoded _search.
 */
final class CachedBodyRequest extends HttpServletRequestWrapper {

    private final byte[] body;
    private final Map<String, String[]> parameters;

    CachedBodyRequest(HttpServletRequest request) throws IOException {
        super(request);
        body = request.getInputStream().readAllBytes();
        Map<String, List<String>> params = new LinkedHashMap<>();
        UrlEncodedPairs.forEach(request.getQueryString(), (name, value) -> add(params, name, value));
        String type = request.getContentType();
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            UrlEncodedPairs.forEach(new String(body, StandardCharsets.UTF_8), (name, value) -> add(params, name, value));
        }
        Map<String, String[]> frozen = new LinkedHashMap<>();
        params.forEach((k, v) -> frozen.put(k, v.toArray(String[]::new)));
        parameters = Collections.unmodifiableMap(frozen);
    }

    /** The request as it arrived: what the FHIR stand-in's tests read. */
    RecordedRequest recorded() {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Enumeration<String> names = getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            headers.computeIfAbsent(name, n -> new ArrayList<>()).addAll(Collections.list(getHeaders(name)));
        }
        headers.replaceAll((k, v) -> List.copyOf(v));
        return new RecordedRequest(getMethod(), getRequestURI(), getQueryString(), Collections.unmodifiableMap(headers), body);
    }

    @Override
    public ServletInputStream getInputStream() {
        return new CachedBodyInputStream(body);
    }

    @Override
    public BufferedReader getReader() {
        return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public String getParameter(String name) {
        String[] values = parameters.get(name);
        return values == null ? null : values[0];
    }

    @Override
    public Map<String, String[]> getParameterMap() {
        return parameters;
    }

    @Override
    public Enumeration<String> getParameterNames() {
        return Collections.enumeration(parameters.keySet());
    }

    @Override
    public String[] getParameterValues(String name) {
        return parameters.get(name);
    }

    private static void add(Map<String, List<String>> into, String name, String value) {
        into.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
}
