package io.fhirlink.ops;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.core.async.BlockingQueueFactory;
import org.apache.logging.log4j.core.config.Node;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginFactory;

/**
 * The queue between the threads that log (the event loops: an access line per call) and Log4j's async appender
 * thread that writes the lines ({@code <Async><LogBatchQueue/></Async>} in log4j2.xml). With Log4j's own queue the
 * writer sleeps on the queue's lock whenever it has caught up, so nearly every line woke it: a lock hand-off and a
 * futex call per request, about a tenth of the gateway's CPU under load. Here the writer polls instead: when the
 * queue is empty it pauses {@link #PAUSE_MS} ms and then writes everything that came meanwhile, flushed once at the
 * end of the batch. A line reaches the console at most that much later; a full queue still blocks the caller
 * rather than drop a line, as before.
 */
@Plugin(name = "LogBatchQueue", category = Node.CATEGORY, elementType = BlockingQueueFactory.ELEMENT_TYPE)
public final class LogBatchQueue<E> implements BlockingQueueFactory<E> {

    static final long PAUSE_MS = 5;

    @Override
    public BlockingQueue<E> create(int capacity) {
        return new Polled<>(capacity);
    }

    @PluginFactory
    public static <E> LogBatchQueue<E> createFactory() {
        return new LogBatchQueue<>();
    }

    /** An array queue whose {@code take} never waits to be signalled: nobody who offers pays for waking it. */
    static final class Polled<E> extends ArrayBlockingQueue<E> {

        private static final long PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(PAUSE_MS);

        Polled(int capacity) {
            super(capacity);
        }

        @Override
        public E take() throws InterruptedException {
            while (true) {
                E next = poll();
                if (next != null) {
                    return next;
                }
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                LockSupport.parkNanos(this, PAUSE_NANOS);
            }
        }
    }
}
