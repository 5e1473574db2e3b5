package io.fhirlink.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-link proxy traffic, for operators: JMX MBeans {@code io.fhirlink:port=<http port>,type=LinkTraffic,name=<link>} (requests,
 * answers by status class, failures by kind, and the link's state from {@link LinkHealth}) and the Micrometer timer {@code fhirlink.proxy.requests} (Prometheus
 * {@code fhirlink_proxy_requests_seconds}) tagged with link and status class, with a latency histogram.
 */
public final class TrafficStats {

    private static final Logger LOG = LoggerFactory.getLogger(TrafficStats.class);

    /** What JMX shows for one link. */
    public interface LinkTrafficMBean {
        long getRequests();

        long getStatus2xx();

        long getStatus3xx();

        long getStatus4xx();

        long getStatus5xx();

        long getFailuresBadGateway();

        long getFailuresTimeout();

        long getFailuresSecurity();

        /** The link's state as this replica last saw it ({@link LinkState#wireName()}), as fhirlink_link_state. */
        String getState();

        /** 1 while the state is ok, as fhirlink_link_up. */
        int getUp();

        String getStateSince();

        String getLastSuccessAt();

        String getLastFailureAt();

        String getLastFailureCause();

        String getLastFailureAdvice();
    }

    static final class LinkTraffic implements LinkTrafficMBean {
        final String link;
        final LinkHealth health;
        final LongAdder requests = new LongAdder();
        final LongAdder[] byClass = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
        final LongAdder badGateway = new LongAdder();
        final LongAdder timeout = new LongAdder();
        final LongAdder security = new LongAdder();
        /** The Micrometer timer of each status class, made on first use. */
        final Timer[] timers = new Timer[5];

        LinkTraffic(String link, LinkHealth health) {
            this.link = link;
            this.health = health;
        }

        @Override
        public long getRequests() {
            return requests.sum();
        }

        @Override
        public long getStatus2xx() {
            return byClass[1].sum();
        }

        @Override
        public long getStatus3xx() {
            return byClass[2].sum();
        }

        @Override
        public long getStatus4xx() {
            return byClass[3].sum();
        }

        @Override
        public long getStatus5xx() {
            return byClass[4].sum();
        }

        @Override
        public long getFailuresBadGateway() {
            return badGateway.sum();
        }

        @Override
        public long getFailuresTimeout() {
            return timeout.sum();
        }

        @Override
        public long getFailuresSecurity() {
            return security.sum();
        }

        @Override
        public String getState() {
            return health.current(link).map(s -> s.state()).orElse(LinkState.NOT_YET_USED).wireName();
        }

        @Override
        public int getUp() {
            return LinkState.OK.wireName().equals(getState()) ? 1 : 0;
        }

        @Override
        public String getStateSince() {
            return health.current(link).map(s -> text(s.since())).orElse(null);
        }

        @Override
        public String getLastSuccessAt() {
            return health.current(link).map(s -> text(s.lastSuccessAt())).orElse(null);
        }

        @Override
        public String getLastFailureAt() {
            return failure().map(f -> text(f.at())).orElse(null);
        }

        @Override
        public String getLastFailureCause() {
            return failure().map(LinkStatus.Failure::cause).orElse(null);
        }

        @Override
        public String getLastFailureAdvice() {
            return failure().map(LinkStatus.Failure::advice).orElse(null);
        }

        private Optional<LinkStatus.Failure> failure() {
            return health.current(link).map(LinkStatus::lastFailure);
        }

        private static String text(Object value) {
            return value == null ? null : value.toString();
        }
    }

    private final Map<String, LinkTraffic> links = new ConcurrentHashMap<>();
    private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    private final String jmxPrefix;
    private final LinkHealth health;
    private volatile MeterRegistry meters;

    /** {@code jmxPrefix} like {@code io.fhirlink:port=8080}: the domain and the keys naming this gateway. */
    public TrafficStats(String jmxPrefix, LinkHealth health) {
        this.jmxPrefix = jmxPrefix;
        this.health = health;
    }

    /** Set once Camel's Micrometer registry exists (after start-up). */
    public void useMeterRegistry(MeterRegistry registry) {
        this.meters = registry;
    }

    void record(String link, int status, String failure, long nanos) {
        LinkTraffic traffic = links.computeIfAbsent(link, this::register);
        traffic.requests.increment();
        int statusClass = Math.max(1, Math.min(5, status / 100));
        traffic.byClass[statusClass - 1].increment();
        if (failure != null) {
            switch (failure) {
                case "transient" -> traffic.badGateway.increment();
                case "timeout" -> traffic.timeout.increment();
                case "security" -> traffic.security.increment();
                default -> { }
            }
        }
        MeterRegistry registry = meters;
        if (registry != null) {
            Timer timer = traffic.timers[statusClass - 1];
            if (timer == null) {
                // Micrometer returns the one registered timer for the same name and tags: a race makes no duplicate
                timer = Timer.builder("fhirlink.proxy.requests")
                        .description("Requests proxied to linked FHIR servers")
                        .tag("link", link)
                        .tag("status_class", statusClass + "xx")
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(60))
                        .register(registry);
                traffic.timers[statusClass - 1] = timer;
            }
            timer.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    private LinkTraffic register(String link) {
        LinkTraffic traffic = new LinkTraffic(link, health);
        try {
            jmx.registerMBean(new StandardMBean(traffic, LinkTrafficMBean.class), name(link));
        } catch (JMException e) {
            LOG.warn("link traffic of '{}' is not visible over JMX: {}", link, e.getMessage());
        }
        return traffic;
    }

    /** Unregisters every per-link MBean (at shutdown). */
    public void unregisterAll() {
        for (String link : links.keySet()) {
            try {
                jmx.unregisterMBean(name(link));
            } catch (JMException ignored) {
                // already gone
            }
        }
    }

    private ObjectName name(String link) throws JMException {
        return new ObjectName(jmxPrefix + ",type=LinkTraffic,name=" + ObjectName.quote(link));
    }
}
