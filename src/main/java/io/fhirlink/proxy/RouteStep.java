package io.fhirlink.proxy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * One bean method as a Camel processor, for a {@code process: {ref: ...}} step: what a {@code bean:} step does with
 * that method, without the bean component's work on every call (the method looked up by name, its parameters bound
 * by expressions, a provisional exchange property set and removed, a reflective call, a completion stage always
 * resumed asynchronously). A step whose stage is already complete (a cache hit) continues at once; otherwise the
 * route resumes when the stage completes, with its failure as the exchange's exception, as a {@code bean:} step
 * would.
 */
public final class RouteStep extends AsyncProcessorSupport {

    private final String name;
    private final Function<Exchange, CompletionStage<Void>> step;

    private RouteStep(String name, Function<Exchange, CompletionStage<Void>> step) {
        this.name = name;
        this.step = step;
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** A step that does its work before it returns. */
    public static RouteStep of(String name, Consumer<Exchange> step) {
        return new RouteStep(name, exchange -> {
            step.accept(exchange);
            return DONE;
        });
    }

    /** A step that may have to wait (a cache miss, a body still arriving): the route resumes when it completes. */
    public static RouteStep async(String name, Function<Exchange, CompletionStage<Void>> step) {
        return new RouteStep(name, step);
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        CompletionStage<Void> stage;
        try {
            stage = step.apply(exchange);
        } catch (Throwable e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
        if (stage instanceof CompletableFuture<Void> future && future.isDone() && !future.isCompletedExceptionally()) {
            callback.done(true); // the warm path: nothing chained, nothing scheduled
            return true;
        }
        stage.whenComplete((ignored, failure) -> {
            if (failure != null) {
                exchange.setException(failure);
            }
            callback.done(false);
        });
        return false;
    }

    /** The bean and method, as the route's dump and JMX show it. */
    @Override
    public String toString() {
        return name;
    }
}
