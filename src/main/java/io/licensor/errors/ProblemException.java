package io.licensor.errors;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one exception type that carries a caller-visible failure. The router's failure handler
 * turns it into an {@code application/problem+json} response; anything else becomes a 500 with a
 * fixed text. No stack trace is captured: these are expected outcomes, not bugs.
 */
public final class ProblemException extends RuntimeException {

  private final Problem problem;
  private final Map<String, String> headers = new LinkedHashMap<>();

  public ProblemException(Problem problem, String detail) {
    super(detail, null, false, false);
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }

  public String detail() {
    return getMessage();
  }

  public ProblemException header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
