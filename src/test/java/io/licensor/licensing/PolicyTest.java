package io.licensor.licensing;

import io.licensor.rights.Right;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Who gets which rights from a publisher's policy (no node: the policy alone). */
@DisplayName("A policy gives each user the rights of the grants that name them")
class PolicyTest {

  private static Policy policy(JsonObject... grants) {
    return Policy.fromJson(new JsonObject().put("grants", new JsonArray(java.util.List.of((Object[]) grants))));
  }

  private static JsonObject grant(String principal, String... rights) {
    return new JsonObject().put("principal", principal).put("rights", new JsonArray(java.util.List.of((Object[]) rights)));
  }

  @Test
  @DisplayName("a user named, a domain, a group and anyone: the rights of every grant that matches, OWNER as all")
  void rightsOfMatchingGrants() {
    Policy p = policy(grant("Alice@Contoso.com", "EDIT"), grant("*@contoso.com", "VIEW"), grant("group:legal", "PRINT"),
        grant("boss@contoso.com", "OWNER"));
    assertThat(p.rightsFor("alice@contoso.com", Set.of())).containsExactlyInAnyOrder(Right.VIEW, Right.EDIT);
    assertThat(p.rightsFor("bob@contoso.com", Set.of("legal"))).containsExactlyInAnyOrder(Right.VIEW, Right.PRINT);
    assertThat(p.rightsFor("eve@fabrikam.com", Set.of())).isEmpty();
    assertThat(p.rightsFor("eve@fabrikam.com", Set.of("legal"))).containsExactly(Right.PRINT);
    assertThat(p.rightsFor("boss@contoso.com", Set.of())).containsAll(EnumSet.allOf(Right.class));
    assertThat(policy(grant("*", "VIEW")).rightsFor("anyone@anywhere.test", Set.of())).containsExactly(Right.VIEW);
  }

  @Test
  @DisplayName("look-alike names are nobody: a KELVIN SIGN, two @, a domain that only ends the same")
  void lookAlikesMatchNothing() {
    Policy p = policy(grant("kim@contoso.com", "VIEW"), grant("*@contoso.com", "EDIT"));
    assertThat(p.rightsFor("\u212Aim@contoso.com", Set.of())).isEmpty();
    assertThat(p.rightsFor("eve@evil@contoso.com", Set.of())).isEmpty();
    assertThat(p.rightsFor("eve@notcontoso.com", Set.of())).isEmpty();
    assertThat(p.rightsFor("eve@sub.contoso.com", Set.of())).isEmpty();
  }

  @Test
  @DisplayName("a malformed policy is refused whole, saying what is wrong")
  void malformedPoliciesAreRefused() {
    assertThatThrownBy(() -> Policy.fromJson(new JsonObject().put("grants", new JsonArray())))
        .hasMessageContaining("non-empty");
    assertThatThrownBy(() -> policy(grant("alice@contoso.com", "VIEW", "FLY"))).hasMessageContaining("unknown right");
    assertThatThrownBy(() -> policy(grant("a*@contoso.com", "VIEW"))).hasMessageContaining("principal");
    assertThatThrownBy(() -> Policy.fromJson(new JsonObject().put("grants", new JsonArray().add(grant("*", "VIEW")))
        .put("notAfter", 1.5))).hasMessageContaining("notAfter");
  }

  @Test
  @DisplayName("its JSON form reads back as the same policy")
  void roundTrip() {
    Policy p = Policy.fromJson(new JsonObject().put("grants", new JsonArray().add(grant("group:hr", "VIEW", "PRINT")))
        .put("notAfter", 4_102_444_800L).put("licenseTtlSeconds", 3600));
    assertThat(Policy.fromJson(p.toJson())).isEqualTo(p);
  }
}
