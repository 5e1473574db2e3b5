import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * What a missing operator hook costs per call (README "Changing a route"): a route with ten hooks nobody defined,
 * as the proxy route calls them ({@code to direct:...?block=false&failIfNoConsumers=false}), and one with ten Java
 * steps that check a volatile for a hook, against the same route without either. Prints the median and the minimum
 * ns per call over 10 measured rounds of 300,000 calls; (hooks − base) / 10 is one hook's cost.
 *
 * <pre>java -cp /tmp/build-bench/bench-classes:$TEST_CP HookCost   (bench/run builds both)</pre>
 */
public final class HookCost {

    private static volatile Processor hook; // never set: the Java variant finds no hook

    public static void main(String[] args) throws Exception {
        CamelContext camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:base").id("base").process(e -> { }).id("base-step");
                var direct = from("direct:withDirectHooks").id("withDirectHooks").process(e -> { }).id("direct-step");
                for (int i = 0; i < 10; i++) {
                    direct = direct.to("direct:missing-hook?block=false&failIfNoConsumers=false").id("hook" + i);
                }
                var guard = from("direct:withJavaChecks").id("withJavaChecks").process(e -> { }).id("guard-step");
                for (int i = 0; i < 10; i++) {
                    guard = guard.process(e -> {
                        Processor h = hook;
                        if (h != null) {
                            h.process(e);
                        }
                    }).id("check" + i);
                }
            }
        });
        camel.start();
        ProducerTemplate template = camel.createProducerTemplate();
        Map<String, List<Double>> results = new TreeMap<>();
        int calls = 300_000;
        for (int round = 0; round < 12; round++) {
            for (String uri : new String[] {"direct:base", "direct:withDirectHooks", "direct:withJavaChecks"}) {
                Endpoint endpoint = camel.getEndpoint(uri);
                long start = System.nanoTime();
                for (int i = 0; i < calls; i++) {
                    template.sendBody(endpoint, "x");
                }
                if (round >= 2) { // two warm-up rounds
                    results.computeIfAbsent(uri, k -> new ArrayList<>()).add((double) (System.nanoTime() - start) / calls);
                }
            }
        }
        results.forEach((uri, ns) -> {
            Collections.sort(ns);
            System.out.printf("%-24s median %5.0f ns/call   min %5.0f ns/call%n", uri, ns.get(ns.size() / 2), ns.get(0));
        });
        camel.stop();
    }
}
