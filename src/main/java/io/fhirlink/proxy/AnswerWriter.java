package io.fhirlink.proxy;

import io.fhirlink.config.ExchangeKeys;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

/**
 * The last step: a whole body is left to the consumer, which writes it in one piece with its Content-Length; a
 * streamed answer is piped to the caller here, and the step completes when its last byte is written (or it broke
 * off), so the exchange ends when the answer does.
 */
public final class AnswerWriter {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** Route step, last. */
    public CompletionStage<Void> write(Exchange exchange) {
        Message message = exchange.getMessage();
        if (!(message.getBody() instanceof StreamedAnswer answer) || !(exchange.getIn() instanceof HttpMessage http)) {
            return DONE;
        }
        message.setBody(null);
        HttpServerResponse response = http.getResponse();
        Integer status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        response.setStatusCode(status == null ? 200 : status);
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            String name = header.getKey();
            if (!HeaderPolicy.passBack(name)) {
                continue;
            }
            AnswerHeaders.put(response, name, header.getValue());
        }
        response.setChunked(true);
        return answer.pipeTo(response).thenAccept(complete -> {
            if (!complete) {
                exchange.setProperty(ExchangeKeys.FAILURE, "transient");
            }
        });
    }
}
