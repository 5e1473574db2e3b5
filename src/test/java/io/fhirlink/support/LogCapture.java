package io.fhirlink.support;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/** Adds one appender to every configured logger and raises the gateway's own loggers to DEBUG, then undoes it. */
public final class LogCapture {

    private static final String CAPTURE = "fhirlink-test-capture";

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<LoggerConfig> attachedTo = new ArrayList<>();
    private AbstractAppender appender;
    private Level fhirlinkLevel;

    public void attach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        appender = new AbstractAppender(CAPTURE, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringBuilder line = new StringBuilder(event.getLoggerName()).append(" ")
                        .append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    line.append(" ").append(trace);
                }
                lines.add(line.toString());
            }
        };
        appender.start();
        LoggerConfig fhirlink = config.getLoggerConfig("io.fhirlink");
        if (fhirlink.getName().equals("io.fhirlink")) {
            fhirlinkLevel = fhirlink.getLevel();
            fhirlink.setLevel(Level.DEBUG);
        }
        attachedTo.add(config.getRootLogger());
        for (LoggerConfig logger : config.getLoggers().values()) {
            if (!logger.isAdditive() && logger != config.getRootLogger()) {
                attachedTo.add(logger);
            }
        }
        attachedTo.forEach(logger -> logger.addAppender(appender, Level.ALL, null));
        context.updateLoggers();
    }

    public void detach() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        attachedTo.forEach(logger -> logger.removeAppender(CAPTURE));
        if (fhirlinkLevel != null) {
            context.getConfiguration().getLoggerConfig("io.fhirlink").setLevel(fhirlinkLevel);
        }
        context.updateLoggers();
        appender.stop();
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }
}
