package io.fhirlink.config;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * A Camel message's headers: names compared ignoring case, as Camel requires, in a hash table instead of Camel's
 * {@code TreeMap} (each look-up there is a handful of case-insensitive string comparisons, and every proxied call
 * copies and reads a few dozen headers). Names keep the case of their first {@code put}, and iterate in insertion
 * order (HTTP header order, for the caller's and the FHIR server's headers); values may be null. Not thread-safe, as
 * Camel's own map is not: a message belongs to one exchange.
 *
 * <p>Entries sit in insertion-ordered arrays; an open-addressing index of their positions, keyed by a hash of the
 * name folded to lower case, finds them. Removal (rare: a route dropping headers) compacts the arrays and rebuilds
 * the index.
 */
public final class CaseInsensitiveHeaders extends AbstractMap<String, Object> {

    private static final int INITIAL = 16;

    private String[] names;
    private Object[] values;
    private int[] hashes;
    /** Position + 1 of the entry in each slot, 0 where empty; its length a power of two, at least twice the entries. */
    private int[] slots;
    private int size;
    private int modifications;
    private Set<Map.Entry<String, Object>> entrySet;
    private Set<String> keySet;

    public CaseInsensitiveHeaders() {
        this(INITIAL);
    }

    public CaseInsensitiveHeaders(Map<String, ?> headers) {
        this(Math.max(INITIAL, headers.size()));
        for (Map.Entry<String, ?> header : headers.entrySet()) {
            put(header.getKey(), header.getValue());
        }
    }

    private CaseInsensitiveHeaders(int capacity) {
        names = new String[capacity];
        values = new Object[capacity];
        hashes = new int[capacity];
        slots = new int[Integer.highestOneBit(capacity * 2 - 1) << 1];
    }

    /** A hash of the name that ignores case the way {@link String#equalsIgnoreCase} does. */
    static int hash(String name) {
        int h = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                c += 'a' - 'A';
            } else if (c >= 0x80) {
                c = Character.toLowerCase(Character.toUpperCase(c));
            }
            h = 31 * h + c;
        }
        return h ^ (h >>> 16);
    }

    private int positionOf(Object key) {
        if (!(key instanceof String name)) {
            return -1;
        }
        int h = hash(name);
        int mask = slots.length - 1;
        for (int slot = h & mask; ; slot = (slot + 1) & mask) {
            int entry = slots[slot] - 1;
            if (entry < 0) {
                return -1;
            }
            if (hashes[entry] == h && names[entry].equalsIgnoreCase(name)) {
                return entry;
            }
        }
    }

    @Override
    public Object get(Object key) {
        int position = positionOf(key);
        return position < 0 ? null : values[position];
    }

    @Override
    public boolean containsKey(Object key) {
        return positionOf(key) >= 0;
    }

    @Override
    public Object put(String name, Object value) {
        int h = hash(name); // a null name fails here, as it does in Camel's map
        int mask = slots.length - 1;
        int slot = h & mask;
        for (int entry; (entry = slots[slot] - 1) >= 0; slot = (slot + 1) & mask) {
            if (hashes[entry] == h && names[entry].equalsIgnoreCase(name)) {
                Object previous = values[entry];
                values[entry] = value;
                return previous;
            }
        }
        if (size == names.length) {
            grow();
            put(name, value);
            return null;
        }
        names[size] = name;
        values[size] = value;
        hashes[size] = h;
        slots[slot] = ++size;
        modifications++;
        return null;
    }

    private void grow() {
        int capacity = names.length * 2;
        names = Arrays.copyOf(names, capacity);
        values = Arrays.copyOf(values, capacity);
        hashes = Arrays.copyOf(hashes, capacity);
        slots = new int[capacity * 2];
        reindex();
    }

    private void reindex() {
        Arrays.fill(slots, 0);
        int mask = slots.length - 1;
        for (int entry = 0; entry < size; entry++) {
            int slot = hashes[entry] & mask;
            while (slots[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            slots[slot] = entry + 1;
        }
    }

    @Override
    public Object remove(Object key) {
        int position = positionOf(key);
        if (position < 0) {
            return null;
        }
        Object previous = values[position];
        removeAt(position);
        return previous;
    }

    private void removeAt(int position) {
        int after = size - position - 1;
        System.arraycopy(names, position + 1, names, position, after);
        System.arraycopy(values, position + 1, values, position, after);
        System.arraycopy(hashes, position + 1, hashes, position, after);
        size--;
        names[size] = null;
        values[size] = null;
        modifications++;
        reindex();
    }

    @Override
    public void clear() {
        Arrays.fill(names, 0, size, null);
        Arrays.fill(values, 0, size, null);
        Arrays.fill(slots, 0);
        size = 0;
        modifications++;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        if (entrySet == null) {
            entrySet = new AbstractSet<>() {
                @Override
                public Iterator<Map.Entry<String, Object>> iterator() {
                    return new Entries<>() {
                        @Override
                        Map.Entry<String, Object> at(int position) {
                            return new Header(position);
                        }
                    };
                }

                @Override
                public int size() {
                    return size;
                }

                @Override
                public void clear() {
                    CaseInsensitiveHeaders.this.clear();
                }
            };
        }
        return entrySet;
    }

    /** Names, with {@code contains} and {@code remove} ignoring case like the map's own look-ups. */
    @Override
    public Set<String> keySet() {
        if (keySet == null) {
            keySet = new AbstractSet<>() {
                @Override
                public Iterator<String> iterator() {
                    return new Entries<>() {
                        @Override
                        String at(int position) {
                            return names[position];
                        }
                    };
                }

                @Override
                public int size() {
                    return size;
                }

                @Override
                public boolean contains(Object name) {
                    return containsKey(name);
                }

                @Override
                public boolean remove(Object name) {
                    int position = positionOf(name);
                    if (position < 0) {
                        return false;
                    }
                    removeAt(position);
                    return true;
                }

                @Override
                public void clear() {
                    CaseInsensitiveHeaders.this.clear();
                }
            };
        }
        return keySet;
    }

    /** Insertion order; {@code remove} drops the last entry returned, as every map's iterators may. */
    private abstract class Entries<T> implements Iterator<T> {
        private int next;
        private int last = -1;
        private int expected = modifications;

        abstract T at(int position);

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public T next() {
            if (modifications != expected) {
                throw new ConcurrentModificationException();
            }
            if (next >= size) {
                throw new NoSuchElementException();
            }
            last = next++;
            return at(last);
        }

        @Override
        public void remove() {
            if (last < 0) {
                throw new IllegalStateException();
            }
            if (modifications != expected) {
                throw new ConcurrentModificationException();
            }
            removeAt(last);
            next = last;
            last = -1;
            expected = modifications;
        }
    }

    /** One entry, read and written in place (until the map's entries move: a removal before it). */
    private final class Header implements Map.Entry<String, Object> {
        private final int position;

        Header(int position) {
            this.position = position;
        }

        @Override
        public String getKey() {
            return names[position];
        }

        @Override
        public Object getValue() {
            return values[position];
        }

        @Override
        public Object setValue(Object value) {
            Object previous = values[position];
            values[position] = value;
            return previous;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Map.Entry<?, ?> entry && getKey().equals(entry.getKey())
                    && java.util.Objects.equals(getValue(), entry.getValue());
        }

        @Override
        public int hashCode() {
            return getKey().hashCode() ^ java.util.Objects.hashCode(getValue());
        }

        @Override
        public String toString() {
            return getKey() + "=" + getValue();
        }
    }
}
