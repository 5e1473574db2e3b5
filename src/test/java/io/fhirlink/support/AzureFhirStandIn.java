package io.fhirlink.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.HardcodedServerAddressStrategy;
import ca.uhn.fhir.rest.server.RestfulServer;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.hl7.fhir.instance.model.api.IBaseConformance;
import org.hl7.fhir.r4.model.CapabilityStatement;
import org.hl7.fhir.r4.model.CapabilityStatement.CapabilityStatementRestSecurityComponent;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.UriType;

/**
 * Stands in for an Azure FHIR server: a HAPI FHIR R4 plain server with in-memory Patient and
 * Observation data, on {@code https://127.0.0.1:{port}} with the FHIR base at the root (Azure's
 * endpoints have no path), guarded the way Azure guards it:
 *
 * <ul>
 *   <li>{@code GET /metadata} is anonymous and advertises the token URL (SMART oauth-uris);
 *   <li>everything else needs an Azure AD token from the {@link AzureAdStandIn} for this tenant with
 *       {@code aud} = {@link #baseUrl()} (401 "Authentication failed." otherwise) and the role
 *       "FHIR Data Writer" (403 "Authorization failed." otherwise).
 * </ul>
 *
 * It records every request and can inject faults (token rejection, throttling, delay), all
 * thread-safe, so gateway tests can check what was forwarded and how failures were handled.
 */
public final class AzureFhirStandIn implements AutoCloseable {

    public static final String OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";
    public static final int DEFAULT_PAGE_SIZE = 10;
    private static final String FHIR_JSON = "application/fhir+json; charset=utf-8";

    private final AzureAdStandIn aad;
    private final String tenantId;
    private final Server jetty;
    private final String baseUrl;
    private final FhirMemoryStore store = new FhirMemoryStore();
    private final FhirContext fhir = FhirContext.forR4Cached();

    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger tokensToReject = new AtomicInteger();
    private final AtomicInteger requestsToThrottle = new AtomicInteger();
    private volatile Duration responseDelay = Duration.ZERO;
    private volatile boolean ownCors;

    private AzureFhirStandIn(AzureAdStandIn aad, String tenantId, int pageSize) throws Exception {
        this.aad = aad;
        this.tenantId = tenantId;

        RestfulServer server = new RestfulServer(fhir);
        server.setDefaultResponseEncoding(EncodingEnum.JSON); // Azure answers JSON unless asked otherwise
        FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(1000);
        paging.setDefaultPageSize(pageSize);
        paging.setMaximumPageSize(1000);
        server.setPagingProvider(paging);
        server.registerProviders(List.of(
                new MemoryFhirProviders.PatientProvider(store),
                new MemoryFhirProviders.ObservationProvider(store),
                new MemoryFhirProviders.SystemProvider(store)));
        server.registerInterceptor(new SecurityAdvertiser());

        // Daemon threads so a forgotten close() cannot hang the test JVM; enough of them for load tests.
        QueuedThreadPool threads = new QueuedThreadPool(256, 8);
        threads.setName("fhir-stand-in");
        threads.setDaemon(true);
        jetty = new Server(threads);

        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setSslContext(TestCertificates.serverSslContext());
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // Jetty's own Date header came out twice on HAPI's error answers; the front door sets one instead.
        http.setSendDateHeader(false);
        // Marks requests secure (so HAPI sees https); SNI checks off since clients dial an IP.
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(jetty,
                new SslConnectionFactory(tls, HttpVersion.HTTP_1_1.asString()), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addFilter(new FilterHolder(new AzureFrontDoor()), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(server), "/*");
        jetty.setHandler(context);
        jetty.start();

        baseUrl = "https://127.0.0.1:" + connector.getLocalPort();
        // Links (paging "next", Location) must carry this base whatever Host header a proxy sends.
        server.setServerAddressStrategy(new HardcodedServerAddressStrategy(baseUrl));
    }

    /** Starts a FHIR server trusting tokens that {@code aad} issues for {@code tenantId}; pages of 10. */
    public static AzureFhirStandIn start(AzureAdStandIn aad, String tenantId) {
        return start(aad, tenantId, DEFAULT_PAGE_SIZE);
    }

    public static AzureFhirStandIn start(AzureAdStandIn aad, String tenantId, int pageSize) {
        try {
            return new AzureFhirStandIn(aad, tenantId, pageSize);
        } catch (Exception e) {
            throw new IllegalStateException("FHIR stand-in did not start", e);
        }
    }

    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code https://127.0.0.1:{port}}, no trailing slash: also the audience its tokens must carry. */
    public String baseUrl() {
        return baseUrl;
    }

    /** The scope to ask Azure AD for: {@code {baseUrl}/.default}. */
    public String scope() {
        return baseUrl + "/.default";
    }

    public String tenantId() {
        return tenantId;
    }

    // ---------------------------------------------------------------- data

    /** Stores {@code count} patients named {@code family} directly (no HTTP, not recorded); returns their ids. */
    public List<String> seedPatients(int count, String family) {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            Patient p = new Patient();
            p.addName().setFamily(family).addGiven("Seed" + i);
            p.addIdentifier().setSystem("urn:fhir-link:test").setValue(family + "-" + i);
            ids.add(store.create(p, null).getIdElement().getIdPart());
        }
        return ids;
    }

    /** Clears data, recorded requests and pending faults, for reuse across tests. */
    public void reset() {
        store.clear();
        requests.clear();
        tokensToReject.set(0);
        requestsToThrottle.set(0);
        responseDelay = Duration.ZERO;
        ownCors = false;
    }

    // ---------------------------------------------------------------- recording

    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    public void clearRequests() {
        requests.clear();
    }

    // ---------------------------------------------------------------- faults

    /** The next {@code n} requests that would pass authentication get 401 instead (a revoked token). */
    public void rejectNextTokens(int n) {
        tokensToReject.set(n);
    }

    /** The next {@code n} authenticated requests get 429 with Azure's retry headers (2 s). */
    public void throttleNext(int n) {
        requestsToThrottle.set(n);
    }

    /** Waits this long before answering anything (ZERO to stop). */
    public void setResponseDelay(Duration delay) {
        responseDelay = delay == null ? Duration.ZERO : delay;
    }

    /**
     * Answers with CORS headers of its own, as an Azure FHIR service with CORS settings does (any origin, its own
     * exposed header, credentials), so a test can show that they never reach the gateway's caller.
     */
    public void sendOwnCorsHeaders(boolean on) {
        ownCors = on;
    }

    // ---------------------------------------------------------------- Azure's front door

    private enum Verdict { OK, UNAUTHENTICATED, WRONG_AUDIENCE, FORBIDDEN }

    /**
     * Runs before HAPI on every request: records it, then applies delay, authentication,
     * authorization and throttling in that order, answering errors itself as Azure would.
     */
    private final class AzureFrontDoor implements Filter {
        @Override
        public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
            CachedBodyRequest request = new CachedBodyRequest((HttpServletRequest) req);
            HttpServletResponse response = (HttpServletResponse) res;
            response.setDateHeader("Date", System.currentTimeMillis());
            if (ownCors) {
                response.setHeader("Access-Control-Allow-Origin", "*");
                response.setHeader("Access-Control-Allow-Credentials", "true");
                response.setHeader("Access-Control-Expose-Headers", "x-ms-request-charge");
                response.setHeader("Access-Control-Max-Age", "86400");
                response.setHeader("Vary", "Origin");
            }
            requests.add(request.recorded());
            sleep(responseDelay);

            boolean anonymous = "GET".equals(request.getMethod()) && "/metadata".equals(request.getRequestURI());
            if (!anonymous) {
                Verdict verdict = check(request.getHeader("Authorization"));
                if (verdict == Verdict.OK && takeOne(tokensToReject)) {
                    verdict = Verdict.UNAUTHENTICATED;
                }
                switch (verdict) {
                    case WRONG_AUDIENCE:
                        response.setHeader("WWW-Authenticate",
                                "Bearer error=\"invalid_token\", error_description=\"The audience is invalid\"");
                        outcome(response, 401, OperationOutcome.IssueType.LOGIN, "Authentication failed.");
                        return;
                    case UNAUTHENTICATED:
                        outcome(response, 401, OperationOutcome.IssueType.LOGIN, "Authentication failed.");
                        return;
                    case FORBIDDEN:
                        outcome(response, 403, OperationOutcome.IssueType.FORBIDDEN, "Authorization failed.");
                        return;
                    default:
                        break;
                }
                if (takeOne(requestsToThrottle)) {
                    response.setHeader("Retry-After", "2");
                    response.setHeader("x-ms-retry-after-ms", "2000");
                    outcome(response, 429, OperationOutcome.IssueType.THROTTLED,
                            "The request rate exceeded the provisioned throughput; retry after 2000 ms.");
                    return;
                }
            }
            response.setHeader("x-ms-request-charge", "1.0");
            chain.doFilter(request, response);
        }
    }

    /** Azure's token checks: signature by Azure AD, lifetime, this tenant's issuer, audience, role. */
    private Verdict check(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Verdict.UNAUTHENTICATED;
        }
        try {
            SignedJWT jwt = SignedJWT.parse(authorization.substring(7).trim());
            if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm())
                    || !jwt.verify(new RSASSAVerifier(aad.upstreamSigningKey()))) {
                return Verdict.UNAUTHENTICATED;
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Date now = new Date();
            Date notBefore = claims.getNotBeforeTime();
            if (claims.getExpirationTime() == null || !claims.getExpirationTime().after(now)
                    || (notBefore != null && notBefore.getTime() > now.getTime() + 60_000)
                    || !AzureAdStandIn.upstreamIssuer(tenantId).equals(claims.getIssuer())) {
                return Verdict.UNAUTHENTICATED;
            }
            if (!claims.getAudience().contains(baseUrl)) {
                return Verdict.WRONG_AUDIENCE;
            }
            List<String> roles = claims.getStringListClaim("roles");
            return roles != null && roles.contains(AzureAdStandIn.FHIR_DATA_WRITER) ? Verdict.OK : Verdict.FORBIDDEN;
        } catch (ParseException | JOSEException e) {
            return Verdict.UNAUTHENTICATED;
        }
    }

    /** Azure's error body: an OperationOutcome with an id and lastUpdated, as FHIR JSON. */
    private void outcome(HttpServletResponse response, int status, OperationOutcome.IssueType code, String diagnostics)
            throws IOException {
        OperationOutcome oo = new OperationOutcome();
        oo.setId(UUID.randomUUID().toString());
        oo.getMeta().setLastUpdated(new Date());
        oo.addIssue().setSeverity(OperationOutcome.IssueSeverity.ERROR).setCode(code).setDiagnostics(diagnostics);
        byte[] body = fhir.newJsonParser().encodeResourceToString(oo).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType(FHIR_JSON);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** Decrements a fault counter if it is positive; true when this request should take the fault. */
    private static boolean takeOne(AtomicInteger counter) {
        return counter.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    private static void sleep(Duration delay) {
        if (!delay.isZero() && !delay.isNegative()) {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Adds the SMART oauth-uris Azure publishes, so clients can discover the token endpoint. */
    @Interceptor
    private final class SecurityAdvertiser {
        @Hook(Pointcut.SERVER_CAPABILITY_STATEMENT_GENERATED)
        public void advertise(IBaseConformance capabilityStatement) {
            String authority = aad.authorityHost() + "/" + tenantId + "/oauth2/v2.0/";
            CapabilityStatementRestSecurityComponent security =
                    ((CapabilityStatement) capabilityStatement).getRestFirstRep().getSecurity();
            security.addService().addCoding()
                    .setSystem("http://terminology.hl7.org/CodeSystem/restful-security-service").setCode("SMART-on-FHIR");
            Extension oauth = security.addExtension().setUrl(OAUTH_URIS);
            oauth.addExtension("token", new UriType(authority + "token"));
            oauth.addExtension("authorize", new UriType(authority + "authorize"));
        }
    }

    /**
     * Reads the body once so it can be both recorded and handed to HAPI. Parameters are parsed here
     * too: with the stream consumed, the container could no longer parse a form-encoded _search.
     */
    private static final class CachedBodyRequest extends HttpServletRequestWrapper {
        private final byte[] body;
        private final Map<String, String[]> parameters;

        CachedBodyRequest(HttpServletRequest request) throws IOException {
            super(request);
            body = request.getInputStream().readAllBytes();
            Map<String, List<String>> params = new LinkedHashMap<>();
            addParams(params, request.getQueryString());
            String type = request.getContentType();
            if (type != null && type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
                addParams(params, new String(body, StandardCharsets.UTF_8));
            }
            Map<String, String[]> frozen = new LinkedHashMap<>();
            params.forEach((k, v) -> frozen.put(k, v.toArray(String[]::new)));
            parameters = Collections.unmodifiableMap(frozen);
        }

        RecordedRequest recorded() {
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            for (Enumeration<String> names = getHeaderNames(); names.hasMoreElements(); ) {
                String name = names.nextElement();
                headers.computeIfAbsent(name, n -> new ArrayList<>()).addAll(Collections.list(getHeaders(name)));
            }
            headers.replaceAll((k, v) -> List.copyOf(v));
            return new RecordedRequest(getMethod(), getRequestURI(), getQueryString(),
                    Collections.unmodifiableMap(headers), body);
        }

        private static void addParams(Map<String, List<String>> into, String query) {
            if (query == null || query.isEmpty()) {
                return;
            }
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                into.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            }
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("blocking reads only");
                }
            };
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
    }
}
