package io.fhirlink.registration;

import io.fhirlink.proxy.RequestBodyReader;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * First step of every management route: a request whose body is never read (refused before its token was checked,
 * or too large) has its connection closed once the answer is written ({@link RequestBodyReader#closeIfBodyUnread}),
 * and the answer says so with {@code Connection: close}. Without the header, a client that keeps connections alive
 * sends its next request on the connection being closed and gets no answer at all ("header parser received no
 * bytes" from java.net.http).
 */
public final class UnreadBodyConnections {

    /** Route step, before anything that may refuse the request. */
    public void closeIfBodyUnread(Exchange exchange) {
        RequestBodyReader.closeIfBodyUnread(exchange);
        if (exchange.getIn() instanceof HttpMessage http) {
            HttpServerRequest request = http.getRequest();
            HttpServerResponse response = http.getResponse();
            // runs on the event loop just before the head is written, when it is known whether the body was read
            response.headersEndHandler(headersEnd -> {
                if (!request.isEnded()) {
                    response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
                }
            });
        }
    }
}
