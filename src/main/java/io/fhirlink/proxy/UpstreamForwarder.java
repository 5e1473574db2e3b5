package io.fhirlink.proxy;

import io.fhirlink.config.Settings;
import io.fhirlink.failure.PrivateAddressRefused;
import io.fhirlink.fhir.FhirRequest;
import io.fhirlink.links.Link;
import io.fhirlink.upstream.EndpointPolicy;
import io.fhirlink.upstream.UpstreamClients;
import io.fhirlink.upstream.UpstreamClients.Target;
import io.netty.buffer.Unpooled;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * The call to the linked FHIR server, without a thread waiting for it. Sends the method, the raw path and query
 * byte for byte, the message's headers (the allow-listed ones {@link UpstreamRequest} left, the Azure token, and any
 * an operator's step added; Camel's own are not sent) and the body with its length; follows no redirect. Before a
 * byte is sent, the connection's peer address must be public (a host that resolved to a public address when it was
 * linked may resolve to the gateway's own network later). The answer's status and headers replace the message's;
 * a small body is read whole, a larger one stays a paused stream ({@link StreamedAnswer}).
 */
public final class UpstreamForwarder extends AsyncProcessorSupport {

    /** Answers up to this size are read whole; larger ones stream. */
    static final int SMALL_BODY_BYTES = 256 * 1024;
    /**
     * A CapabilityStatement is read whole up to this size (Azure's are a few hundred KB): its security section is
     * rewritten ({@link CapabilitySecurity}), which needs the whole document.
     */
    static final int CAPABILITY_BODY_BYTES = 8 * 1024 * 1024;

    private final Vertx vertx;
    private final UpstreamClients clients;
    private final boolean allowPrivateAddresses;
    private final long responseTimeoutMs;
    private final long deadlineMs;

    public UpstreamForwarder(Vertx vertx, UpstreamClients clients, Settings settings) {
        this.vertx = vertx;
        this.clients = clients;
        this.allowPrivateAddresses = settings.allowPrivateAddresses();
        this.responseTimeoutMs = settings.upstreamResponseTimeoutMs();
        this.deadlineMs = settings.upstreamDeadlineMs();
    }

    /**
     * The call is made on the caller's request context, whatever thread the route resumed on (a token request's, a
     * worker's, another event loop's): the upstream's answer then arrives on the event loop that writes to the
     * caller, and a response's events cannot race the handlers set for them from another thread.
     */
    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        Context caller = exchange.getProperty(EventLoopHttpConsumer.REQUEST_CONTEXT, Context.class);
        if (caller != null && Vertx.currentContext() != caller) {
            caller.runOnContext(v -> forward(exchange, callback));
        } else {
            forward(exchange, callback);
        }
        return false;
    }

    private void forward(Exchange exchange, AsyncCallback callback) {
        Message message = exchange.getMessage();
        Target target = clients.targetFor(exchange.getProperty(Link.PROPERTY, Link.class));
        RequestOptions options = requestOptions(target,
                exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class).upstream(), message);
        Buffer body = bodyOf(message.getBody());
        UpstreamCall call = new UpstreamCall(vertx, deadlineMs);
        target.client().request(options)
                .compose(request -> {
                    call.started(request);
                    request.exceptionHandler(e -> { }); // a failure fails the response future, which answers it
                    Future<Void> refused = refuseNonPublicPeer(request, target);
                    if (refused != null) {
                        return refused.mapEmpty();
                    }
                    return body == null ? request.send() : request.send(body);
                })
                .onComplete(sent -> {
                    if (sent.failed()) {
                        call.done();
                        exchange.setException(call.failure(sent.cause()));
                        callback.done(false);
                    } else {
                        receive(sent.result(), call, exchange, callback);
                    }
                });
    }

    private RequestOptions requestOptions(Target target, FhirRequest request, Message message) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.valueOf(request.method()))
                .setHost(target.host())
                .setPort(target.port())
                .setSsl(target.ssl())
                .setURI(target.basePath() + "/" + request.path()
                        + (request.rawQuery() == null ? "" : "?" + request.rawQuery()))
                .setFollowRedirects(false)
                .setIdleTimeout(responseTimeoutMs);
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            String name = header.getKey();
            if (name.regionMatches(true, 0, "Camel", 0, 5) || HOP_OR_FRAMING.contains(name)) {
                continue;
            }
            if (header.getValue() instanceof List<?> values) {
                values.forEach(v -> options.addHeader(name, String.valueOf(v)));
            } else if (header.getValue() != null) {
                options.addHeader(name, header.getValue().toString());
            }
        }
        return options;
    }

    /** Set by the client itself from the request and its body. */
    private static final Set<String> HOP_OR_FRAMING = HeaderPolicy.ignoringCase(
            "host", "content-length", "transfer-encoding", "connection", "keep-alive", "te", "upgrade", "expect");

    private static Buffer bodyOf(Object body) {
        if (body instanceof byte[] bytes) {
            return Buffer.buffer(Unpooled.wrappedBuffer(bytes));
        }
        if (body instanceof Buffer buffer) {
            return buffer;
        }
        return body instanceof String text ? Buffer.buffer(text) : null;
    }

    /**
     * A body of known length, copied once into an array of that size as its pieces arrive ({@code body()} would grow
     * a buffer piece by piece and copy it out once more). A HEAD answer declares a length and has no body.
     */
    private static void readWhole(HttpClientResponse response, int declared, UpstreamCall call, Exchange exchange,
            AsyncCallback callback) {
        byte[] whole = new byte[declared];
        int[] filled = {0};
        boolean[] finished = {false};
        response.handler(chunk -> {
            int n = Math.min(chunk.length(), whole.length - filled[0]);
            chunk.getBytes(0, n, whole, filled[0]);
            filled[0] += n;
        });
        response.endHandler(v -> {
            if (!finished[0]) {
                finished[0] = true;
                call.done();
                exchange.getMessage().setBody(filled[0] == whole.length ? whole : Arrays.copyOf(whole, filled[0]));
                callback.done(false);
            }
        });
        response.exceptionHandler(e -> {
            if (!finished[0]) {
                finished[0] = true;
                call.done();
                exchange.setException(call.failure(e));
                callback.done(false);
            }
        });
        response.resume();
    }

    /** Null when the peer may be reached, else the refusal (the connection is dropped unused). */
    private Future<Void> refuseNonPublicPeer(HttpClientRequest request, Target target) {
        if (allowPrivateAddresses) {
            return null;
        }
        SocketAddress peer = request.connection().remoteAddress();
        try {
            if (peer != null && peer.hostAddress() != null && EndpointPolicy.isPublic(InetAddress.getByName(peer.hostAddress()))) {
                return null;
            }
        } catch (UnknownHostException notAnAddress) {
            // refused below
        }
        request.connection().close();
        return Future.failedFuture(new PrivateAddressRefused(target.host()));
    }

    private void receive(HttpClientResponse response, UpstreamCall call, Exchange exchange, AsyncCallback callback) {
        response.pause();
        Message message = exchange.getMessage();
        Map<String, Object> headers = message.getHeaders();
        headers.clear();
        // one pass over the answer's headers (names() and getAll() would build a set and a list per name); the
        // message's map ignores case, so a repeated header becomes one entry with its values in order
        for (Map.Entry<String, String> header : response.headers()) {
            Object before = headers.putIfAbsent(header.getKey(), header.getValue());
            if (before instanceof List<?>) {
                @SuppressWarnings("unchecked")
                List<String> values = (List<String>) before;
                values.add(header.getValue());
            } else if (before != null) {
                List<String> values = new ArrayList<>(2);
                values.add((String) before);
                values.add(header.getValue());
                headers.put(header.getKey(), values);
            }
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, response.statusCode());
        message.setBody(null);
        int wholeUpTo = exchange.getProperty(FhirRequest.PROPERTY, FhirRequest.class).isCapabilityStatement()
                ? CAPABILITY_BODY_BYTES : SMALL_BODY_BYTES;
        long declared = RequestBodyReader.declaredLength(response.getHeader("Content-Length"));
        if (declared >= 0 && declared <= wholeUpTo) {
            readWhole(response, (int) declared, call, exchange, callback);
            return;
        }
        // unknown or large: read up to the threshold, then decide between a whole body and a stream
        Buffer head = Buffer.buffer();
        boolean[] decided = {false};
        response.handler(chunk -> {
            head.appendBuffer(chunk);
            if (!decided[0] && head.length() > wholeUpTo) {
                decided[0] = true;
                response.pause();
                message.setBody(new StreamedAnswer(head, response, call, vertx));
                callback.done(false);
            }
        });
        response.endHandler(v -> {
            if (!decided[0]) {
                decided[0] = true;
                call.done();
                message.setBody(head.getBytes());
                callback.done(false);
            }
        });
        response.exceptionHandler(e -> {
            if (!decided[0]) {
                decided[0] = true;
                call.done();
                exchange.setException(call.failure(e));
                callback.done(false);
            }
        });
        response.resume();
    }
}
