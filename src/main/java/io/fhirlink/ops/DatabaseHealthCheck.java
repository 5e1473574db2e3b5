package io.fhirlink.ops;

import java.sql.Connection;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: DOWN while PostgreSQL cannot be reached. Cached links keep being proxied meanwhile, but registrations
 * and unknown links cannot be served, so a load balancer should prefer a replica that can. Not a liveness check:
 * restarting the gateway does not bring a database back.
 */
public final class DatabaseHealthCheck extends AbstractHealthCheck {

    private final DataSource dataSource;

    public DatabaseHealthCheck(DataSource dataSource) {
        super("fhir-link", "database");
        this.dataSource = dataSource;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try (Connection connection = dataSource.getConnection()) {
            if (connection.isValid(2)) {
                builder.up();
            } else {
                builder.message("PostgreSQL did not answer a validity check").down();
            }
        } catch (Exception e) {
            builder.message("PostgreSQL unreachable: " + e.getClass().getSimpleName()).down();
        }
    }
}
