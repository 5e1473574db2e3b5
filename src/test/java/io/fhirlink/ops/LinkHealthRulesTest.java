package io.fhirlink.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.fhirlink.ops.LinkHealth.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** What a proxied call's completion says of its link's health ({@link LinkHealth#classify}), without Camel. */
@Tag("unit")
class LinkHealthRulesTest {

    @Test
    void azureAdRefusal_isCredentialsRejected_withItsAadstsCode() {
        Verdict verdict = LinkHealth.classify(502, null, false, "security",
                "Azure AD refused the link's credentials: AADSTS7000222: the client secret has expired.");

        assertThat(verdict.state()).isEqualTo(LinkState.CREDENTIALS_REJECTED);
        assertThat(verdict.cause()).isEqualTo("AADSTS7000222");
    }

    @Test
    void fhirServer401And403_withTheLinksToken_areCredentialsRejectedAndForbidden() {
        assertThat(LinkHealth.classify(401, 401, true, null, null).state()).isEqualTo(LinkState.CREDENTIALS_REJECTED);
        assertThat(LinkHealth.classify(403, 403, true, null, null).state()).isEqualTo(LinkState.FORBIDDEN);
    }

    @Test
    void noAnswerOrNoneInTime_isUnreachable() {
        assertThat(LinkHealth.classify(502, null, true, "transient", "could not be reached").cause()).isEqualTo("unreachable");
        assertThat(LinkHealth.classify(504, null, true, "timeout", "too slow").cause()).isEqualTo("timeout");
    }

    @Test
    void anyFhirAnswerBelow500_withTheLinksToken_isSuccess() {
        assertThat(LinkHealth.classify(404, 404, true, null, null)).isSameAs(Verdict.SUCCESS);
        assertThat(LinkHealth.classify(429, 429, true, null, null)).isSameAs(Verdict.SUCCESS);
    }

    @Test
    void whatSaysNothingOfTheLink_isIgnored() {
        assertThat(LinkHealth.classify(200, 200, false, null, null)).as("anonymous metadata").isNull();
        assertThat(LinkHealth.classify(503, null, false, "transient", "in-flight limit")).as("gateway's own limit").isNull();
        assertThat(LinkHealth.classify(500, 500, true, null, null)).as("FHIR server's 5xx").isNull();
        assertThat(LinkHealth.classify(401, null, false, "login", "no caller token")).as("caller's token").isNull();
    }
}
