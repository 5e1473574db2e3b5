package io.fhirlink.proxy;

import io.fhirlink.auth.CallerAuthenticator;
import io.fhirlink.auth.LinkAccess;
import io.fhirlink.links.LinkDirectory;
import io.fhirlink.ops.RequestLog;
import org.apache.camel.spi.Registry;

/**
 * The proxy route's steps, each bound as {@code <bean>.<method>}, the bean method it runs
 * (fhir-proxy.camel.yaml: {@code process: {id: resolve-link, ref: linkDirectory.resolve}}). The route runs on the
 * event loops for every FHIR call, where a {@code bean:} step's reflection and parameter binding were a measurable
 * share of the gateway's own cost ({@link RouteStep}); the beans stay bound under their names, so a route file
 * that calls them with {@code bean:} (an operator's copy of an older route) works as before.
 */
public final class ProxySteps {

    private ProxySteps() {
    }

    /** Binds the steps of the beans already in the registry. */
    public static void bind(Registry registry) {
        RequestLog requestLog = bean(registry, "requestLog", RequestLog.class);
        FhirRequestParser parser = bean(registry, "fhirRequestParser", FhirRequestParser.class);
        CallerAuthenticator callers = bean(registry, "callerAuthenticator", CallerAuthenticator.class);
        LinkDirectory links = bean(registry, "linkDirectory", LinkDirectory.class);
        LinkAccess access = bean(registry, "linkAccess", LinkAccess.class);
        InflightLimits inflight = bean(registry, "inflightLimits", InflightLimits.class);
        RequestBodyReader body = bean(registry, "requestBodyReader", RequestBodyReader.class);
        UpstreamRequest upstreamRequest = bean(registry, "upstreamRequest", UpstreamRequest.class);
        UpstreamResponse upstreamResponse = bean(registry, "upstreamResponse", UpstreamResponse.class);
        CapabilitySecurity capability = bean(registry, "capabilitySecurity", CapabilitySecurity.class);
        AnswerWriter answer = bean(registry, "answerWriter", AnswerWriter.class);

        bind(registry, RouteStep.of("requestLog.beginFhir", requestLog::beginFhir));
        bind(registry, RouteStep.of("fhirRequestParser.parse", parser::parse));
        bind(registry, RouteStep.async("callerAuthenticator.authenticateFhirCaller", callers::authenticateFhirCaller));
        bind(registry, RouteStep.async("linkDirectory.resolve", links::resolve));
        bind(registry, RouteStep.of("linkAccess.authorize", access::authorize));
        bind(registry, RouteStep.of("inflightLimits.admit", inflight::admit));
        bind(registry, RouteStep.async("requestBodyReader.readAsync", body::readAsync));
        bind(registry, RouteStep.of("upstreamRequest.prepare", upstreamRequest::prepare));
        bind(registry, RouteStep.async("upstreamRequest.attachToken", upstreamRequest::attachToken));
        bind(registry, RouteStep.of("upstreamRequest.renewToken", upstreamRequest::renewToken));
        bind(registry, RouteStep.of("upstreamResponse.prepare", upstreamResponse::prepare));
        bind(registry, RouteStep.of("capabilitySecurity.describe", capability::describe));
        bind(registry, RouteStep.async("answerWriter.write", answer::write));
    }

    private static void bind(Registry registry, RouteStep step) {
        registry.bind(step.toString(), step);
    }

    private static <T> T bean(Registry registry, String name, Class<T> type) {
        T bean = registry.lookupByNameAndType(name, type);
        if (bean == null) {
            throw new IllegalStateException("no bean " + name + " for the proxy route's steps");
        }
        return bean;
    }
}
