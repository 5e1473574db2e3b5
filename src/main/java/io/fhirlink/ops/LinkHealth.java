package io.fhirlink.ops;

import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.failure.AzureAdRefusal;
import io.fhirlink.links.Link;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each link's health as this replica sees it, derived from the gateway's own token requests ({@link UpstreamTokens})
 * and the outcome of every proxied call ({@link RequestLog}, at completion), and from re-probes. Called on the event
 * loops: an observation that changes nothing costs a clock read and a field write. A change of state is handed to
 * {@link LinkStatusWriter} (its own thread, coalescing) at once; in the same state the last success or failure is
 * handed over at most once per {@link #REFRESH}, so a link in steady use causes no database work.
 * Prometheus {@code fhirlink_link_up{link}} and {@code fhirlink_link_state{link,state}} show the same.
 */
public final class LinkHealth implements UpstreamTokens.Outcomes {

    /** At most this often a link whose state has not changed has its last success or failure written again. */
    public static final Duration REFRESH = Duration.ofSeconds(60);
    private static final long REFRESH_MILLIS = REFRESH.toMillis();
    private static final Pattern AADSTS = Pattern.compile("AADSTS\\d+");

    static final String ADVICE_401 = "The FHIR server rejected the link's Azure AD token (HTTP 401), a newly requested one"
            + " too: check that the FHIR service's Authentication settings have Audience equal to the link's"
            + " fhirServerEndpoint and the Authority of the link's tenant.";
    static final String ADVICE_403 = "The FHIR server refused the link's application (HTTP 403): grant it the"
            + " 'FHIR Data Writer' role on the FHIR service (Access control (IAM)). Role assignments can take up to"
            + " 30 minutes to apply; then re-probe the link (POST /FhirServers/aadfhirrecord/{name}/probe).";

    /** What one observation says: a state, with the failure's cause and advice (none for {@code ok}). */
    record Verdict(LinkState state, String cause, String advice) {
        static final Verdict SUCCESS = new Verdict(LinkState.OK, null, null);
    }

    /** One link's state; the fields the warm path reads are volatile, every change happens under its monitor. */
    static final class Tracked {
        final String name;
        volatile long incarnation = Long.MIN_VALUE;
        volatile LinkState state = LinkState.NOT_YET_USED;
        volatile long lastSuccessMillis;
        volatile long lastWrittenMillis = Long.MIN_VALUE / 2;
        Instant since;
        LinkStatus.Failure lastFailure;
        boolean failureFromToken;
        boolean metered;

        Tracked(String name) {
            this.name = name;
        }

        /** A name deleted and linked again is another link: it starts over. */
        void startOver(long incarnation, Instant now) {
            this.incarnation = incarnation;
            state = LinkState.NOT_YET_USED;
            since = now;
            lastSuccessMillis = 0;
            lastFailure = null;
            failureFromToken = false;
            lastWrittenMillis = Long.MIN_VALUE / 2;
        }

        LinkStatus snapshot(Instant now) {
            return new LinkStatus(name, incarnation, state, since, now,
                    lastSuccessMillis == 0 ? null : Instant.ofEpochMilli(lastSuccessMillis), lastFailure);
        }
    }

    private final Clock clock;
    private final LinkStatusWriter writer;
    private final Map<String, Tracked> links = new ConcurrentHashMap<>();
    private volatile MeterRegistry meters;

    public LinkHealth(Clock clock, LinkStatusWriter writer) {
        this.clock = clock;
        this.writer = writer;
    }

    /** What a proxied call's completion tells ({@link RequestLog}): see {@link #classify}. */
    void exchangeCompleted(Link link, int status, Integer upstreamStatus, boolean tokenSent, String failure, String detail) {
        Verdict verdict = classify(status, upstreamStatus, tokenSent, failure, detail);
        if (verdict == Verdict.SUCCESS) {
            answered(link);
        } else if (verdict != null) {
            observe(link, verdict, false, false);
        }
    }

    /**
     * A proxied call's outcome as a link state, or null when it says nothing about the link: a FHIR answer to a call
     * that carried the link's token is a success (401 and 403 are not); Azure AD's refusal ({@code security}), no
     * answer ({@code transient} 502) or none in time ({@code timeout}) are failures. The gateway's own refusals
     * (a caller's bad token, limits, a 5xx of the FHIR server) are not the link's health.
     */
    static Verdict classify(int status, Integer upstreamStatus, boolean tokenSent, String failure, String detail) {
        if ("security".equals(failure)) {
            return new Verdict(LinkState.CREDENTIALS_REJECTED, aadstsCode(detail).orElse("azure-ad-refused"), detail);
        }
        if ("timeout".equals(failure) && status == 504) {
            return new Verdict(LinkState.UNREACHABLE, "timeout", detail);
        }
        if ("transient".equals(failure) && status == 502) {
            return new Verdict(LinkState.UNREACHABLE, "unreachable", detail);
        }
        if (upstreamStatus == null || !tokenSent) {
            return null;
        }
        if (upstreamStatus == 401) {
            return new Verdict(LinkState.CREDENTIALS_REJECTED, "http-401", ADVICE_401);
        }
        if (upstreamStatus == 403) {
            return new Verdict(LinkState.FORBIDDEN, "http-403", ADVICE_403);
        }
        return upstreamStatus < 500 ? Verdict.SUCCESS : null;
    }

    static Optional<String> aadstsCode(String text) {
        Matcher m = text == null ? null : AADSTS.matcher(text);
        return m != null && m.find() ? Optional.of(m.group()) : Optional.empty();
    }

    /** The FHIR server answered a call with the link's token: the warm path. */
    void answered(Link link) {
        Tracked t = links.get(link.displayName());
        long now = clock.millis();
        if (t != null && t.state == LinkState.OK && t.incarnation == incarnation(link)) {
            t.lastSuccessMillis = now;
            if (now - t.lastWrittenMillis < REFRESH_MILLIS) {
                return; // nothing new worth a write
            }
        }
        observe(link, Verdict.SUCCESS, false, false);
    }

    @Override
    public void issued(Link link) {
        Tracked t = tracked(link);
        synchronized (t) {
            // a token proves the credentials, not the role: it ends only a failure that a token request caused
            if (t.failureFromToken && t.state != LinkState.OK) {
                change(t, LinkState.OK, Instant.ofEpochMilli(clock.millis()));
                t.failureFromToken = false;
                writer.offer(written(t));
            }
        }
    }

    @Override
    public void refused(Link link, AzureAdRefusal refusal) {
        Verdict verdict = refusal.reachable()
                ? new Verdict(LinkState.CREDENTIALS_REJECTED, refusal.code() != null ? refusal.code() : refusal.error(),
                        refusal.advice() + " " + capitalized(refusal.remedy("/FhirServers/aadfhirrecord/" + link.displayName())) + ".")
                : new Verdict(LinkState.UNREACHABLE, "azure-ad-unreachable",
                        "Azure AD could not be reached for a token for the link; it is retried with the next call.");
        observe(link, verdict, true, false);
    }

    private static String capitalized(String text) {
        return Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    /** A probe (PUT or re-probe) passed: written before the caller is answered. */
    public LinkStatus probePassed(Link link) {
        return observe(link, Verdict.SUCCESS, false, true);
    }

    /** A probe failed with this state, cause and the probe's message: written before the caller is answered. */
    public LinkStatus probeFailed(Link link, LinkState state, String cause, String advice) {
        return observe(link, new Verdict(state, cause, advice), false, true);
    }

    private LinkStatus observe(Link link, Verdict verdict, boolean fromToken, boolean writeNow) {
        Tracked t = tracked(link);
        LinkStatus written = null;
        synchronized (t) {
            long millis = clock.millis();
            Instant now = Instant.ofEpochMilli(millis);
            if (t.incarnation != incarnation(link)) {
                t.startOver(incarnation(link), now);
            }
            boolean changed = t.state != verdict.state();
            if (changed) {
                change(t, verdict.state(), now);
            }
            if (verdict.state() == LinkState.OK) {
                t.lastSuccessMillis = millis;
                t.failureFromToken = false;
            } else {
                t.lastFailure = new LinkStatus.Failure(now, verdict.cause(), verdict.advice());
                t.failureFromToken = fromToken;
            }
            if (writeNow) {
                written = written(t);
            } else if (changed || millis - t.lastWrittenMillis >= REFRESH_MILLIS) {
                writer.offer(written(t));
            }
        }
        if (written != null) {
            writer.writeNow(written); // the management API's caller waits for it, on a worker thread
        }
        return written;
    }

    private static void change(Tracked t, LinkState state, Instant now) {
        t.state = state;
        t.since = now;
    }

    private LinkStatus written(Tracked t) {
        long millis = clock.millis();
        t.lastWrittenMillis = millis;
        return t.snapshot(Instant.ofEpochMilli(millis));
    }

    private Tracked tracked(Link link) {
        Tracked t = links.get(link.displayName());
        if (t == null) {
            t = links.computeIfAbsent(link.displayName(), Tracked::new);
            meter(t);
        }
        return t;
    }

    private static long incarnation(Link link) {
        return link.createdAt() == null ? 0 : link.createdAt().toInstant().toEpochMilli();
    }

    /** This replica's view of a link, for JMX; empty before its first observation. */
    public Optional<LinkStatus> current(String displayName) {
        Tracked t = links.get(displayName);
        if (t == null) {
            return Optional.empty();
        }
        synchronized (t) {
            return Optional.of(t.snapshot(Instant.ofEpochMilli(clock.millis())));
        }
    }

    /** Set once Camel's Micrometer registry exists (after start-up); links seen before get their gauges then. */
    public void useMeterRegistry(MeterRegistry registry) {
        this.meters = registry;
        links.values().forEach(this::meter);
    }

    private void meter(Tracked t) {
        MeterRegistry registry = meters;
        if (registry == null) {
            return;
        }
        synchronized (t) {
            if (t.metered) {
                return;
            }
            t.metered = true;
        }
        Gauge.builder("fhirlink.link.up", t, tracked -> tracked.state == LinkState.OK ? 1 : 0)
                .description("1 while the link's state is ok (as this replica last saw it), else 0")
                .tag("link", t.name).strongReference(true).register(registry);
        for (LinkState state : LinkState.values()) {
            Gauge.builder("fhirlink.link.state", t, tracked -> tracked.state == state ? 1 : 0)
                    .description("1 for the link's current state, 0 for the others")
                    .tag("link", t.name).tag("state", state.wireName()).strongReference(true).register(registry);
        }
    }
}
