package io.fhirlink.ops;

import com.github.benmanes.caffeine.cache.stats.CacheStats;
import io.fhirlink.auth.UpstreamTokens;
import io.fhirlink.links.LinkDirectory;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.apache.camel.support.service.ServiceSupport;

/**
 * fhir-link's own MBeans, beside Camel's route and processor MBeans: the link cache (with operations to evict one
 * link or all), the Azure token cache, and (through {@link TrafficStats}) per-link traffic. Registered when the
 * gateway starts, removed when it stops.
 */
public final class OperatorMBeans extends ServiceSupport {

    public interface LinkCacheMBean {
        long getSize();

        long getHits();

        long getMisses();

        long getEvictions();

        long getDatabaseLookups();

        /** Drops one link (and its Azure tokens) from this gateway's caches; the next request reads it again. */
        void evict(String displayName);

        void evictAll();
    }

    public interface TokenCacheMBean {
        long getSize();

        long getHits();

        long getMisses();

        long getEvictions();

        long getTokenRequests();

        long getTokenFailures();
    }

    private final MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    private final List<ObjectName> registered = new ArrayList<>();
    private final String jmxPrefix;
    private final LinkDirectory links;
    private final UpstreamTokens tokens;
    private final TrafficStats traffic;

    public OperatorMBeans(String jmxPrefix, LinkDirectory links, UpstreamTokens tokens, TrafficStats traffic) {
        this.jmxPrefix = jmxPrefix;
        this.links = links;
        this.tokens = tokens;
        this.traffic = traffic;
    }

    @Override
    protected void doStart() throws JMException {
        register("LinkCache", new StandardMBean(new LinkCacheMBean() {
            public long getSize() {
                return links.size();
            }

            public long getHits() {
                return links.stats().hitCount();
            }

            public long getMisses() {
                return links.stats().missCount();
            }

            public long getEvictions() {
                return links.stats().evictionCount();
            }

            public long getDatabaseLookups() {
                return links.databaseLookups();
            }

            public void evict(String displayName) {
                links.evict(displayName);
            }

            public void evictAll() {
                links.evictAll();
            }
        }, LinkCacheMBean.class));
        register("TokenCache", new StandardMBean(new TokenCacheMBean() {
            public long getSize() {
                return tokens.size();
            }

            public long getHits() {
                return stats().hitCount();
            }

            public long getMisses() {
                return stats().missCount();
            }

            public long getEvictions() {
                return stats().evictionCount();
            }

            public long getTokenRequests() {
                return tokens.tokenRequests();
            }

            public long getTokenFailures() {
                return tokens.tokenFailures();
            }

            private CacheStats stats() {
                return tokens.stats();
            }
        }, TokenCacheMBean.class));
    }

    private void register(String type, Object mbean) throws JMException {
        ObjectName name = new ObjectName(jmxPrefix + ",type=" + type);
        if (jmx.isRegistered(name)) {
            jmx.unregisterMBean(name);
        }
        jmx.registerMBean(mbean, name);
        registered.add(name);
    }

    @Override
    protected void doStop() {
        for (ObjectName name : registered) {
            try {
                jmx.unregisterMBean(name);
            } catch (JMException ignored) {
                // already gone
            }
        }
        registered.clear();
        traffic.unregisterAll();
    }
}
