package io.fhirlink.support;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.FifoMemoryPagingProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.util.List;

/** The HAPI FHIR R4 plain server behind the FHIR stand-in: Patient, Observation and system operations in memory. */
final class MemoryRestfulServer {

    private MemoryRestfulServer() {
    }

    static RestfulServer create(FhirMemoryStore store, int pageSize, Object interceptor) {
        RestfulServer server = new RestfulServer(FhirContext.forR4Cached());
        server.setDefaultResponseEncoding(EncodingEnum.JSON); // Azure answers JSON unless asked otherwise
        FifoMemoryPagingProvider paging = new FifoMemoryPagingProvider(1000);
        paging.setDefaultPageSize(pageSize);
        paging.setMaximumPageSize(1000);
        server.setPagingProvider(paging);
        server.registerProviders(List.of(
                new MemoryFhirProviders.PatientProvider(store),
                new MemoryFhirProviders.ObservationProvider(store),
                new MemoryFhirProviders.SystemProvider(store)));
        server.registerInterceptor(interceptor);
        return server;
    }
}
