package io.fhirlink.failure;

/** Reading a chain of causes, the one way the gateway does it everywhere. */
public final class Throwables {

    private Throwables() {
    }

    /** The first throwable in {@code t}'s cause chain that is a {@code type}, or null. */
    public static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** The innermost cause. */
    public static Throwable root(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    /** The innermost cause's message (its type when it has none), on one line: for answers and config errors. */
    public static String rootMessage(Throwable t) {
        Throwable root = root(t);
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("[\\r\\n]+", " ");
    }

    /** Type and message of the innermost cause, on one line: for log lines (never a stack trace). */
    public static String oneLine(Throwable t) {
        if (t == null) {
            return "unknown";
        }
        Throwable root = root(t);
        return root.getClass().getName() + ": " + rootMessage(root);
    }
}
