package io.licensor.tenants;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("A node's revoked documents, read as deltas")
class RevokedDocumentsTest {

  static RevokedDocuments.Change revoked(String id, long seq) {
    return new RevokedDocuments.Change(id, true, seq);
  }

  static RevokedDocuments.Change unrevoked(String id, long seq) {
    return new RevokedDocuments.Change(id, false, seq);
  }

  @Test
  @DisplayName("the changes past what the node knows are made, in order; older ones are not made twice")
  void delta() {
    RevokedDocuments first = RevokedDocuments.NONE.with(List.of(revoked("a", 1), revoked("b", 2), unrevoked("c", 3)));
    assertThat(first.ids()).containsExactlyInAnyOrder("a", "b");
    assertThat(first.through()).isEqualTo(3);
    // the database answers the changes past 3 and its newest row (here 5)
    RevokedDocuments next = first.with(List.of(unrevoked("a", 4), revoked("c", 5)));
    assertThat(next.ids()).containsExactlyInAnyOrder("b", "c");
    assertThat(next.through()).isEqualTo(5);
    assertThat(next.with(List.of(revoked("c", 5)))).as("nothing new: the same list").isSameAs(next);
    assertThat(RevokedDocuments.NONE.with(List.of())).isSameAs(RevokedDocuments.NONE);
  }

  @Test
  @DisplayName("past the overlay's limit the changes are folded into the list; lookups agree before and after")
  void folding() {
    RevokedDocuments list = RevokedDocuments.of(Set.of("keep", "drop"), 0);
    long seq = 1;
    list = list.with(List.of(unrevoked("drop", seq++)));
    for (int i = 0; i < RevokedDocuments.OVERLAY_LIMIT + 10; i++) {
      list = list.with(List.of(revoked("d" + i, seq++)));
      assertThat(list.contains("d" + i)).isTrue();
    }
    assertThat(list.contains("keep")).isTrue();
    assertThat(list.contains("drop")).isFalse();
    assertThat(list.size()).isEqualTo(RevokedDocuments.OVERLAY_LIMIT + 11);
    list = list.with(List.of(unrevoked("d3", seq++), revoked("drop", seq++)));
    assertThat(list.contains("d3")).isFalse();
    assertThat(list.contains("drop")).isTrue();
    assertThat(list.through()).isEqualTo(seq - 1);
  }

  @Test
  @DisplayName("a database older than the node's list (restored) makes the node read the whole list")
  void databaseWentBack() {
    RevokedDocuments known = RevokedDocuments.of(Set.of("a", "b"), 10);
    assertThat(known.with(List.of(revoked("a", 7)))).isNull();
    assertThat(known.with(List.of())).as("no rows at all any more").isNull();
  }
}
