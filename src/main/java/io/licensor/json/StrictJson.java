package io.licensor.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import io.licensor.errors.Problem;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The checks a request body, and a publishing license's decrypted payload, pass before they are
 * read as JSON: valid UTF-8, no key twice in one
 * object (a document that means different things to different parsers is refused, not resolved
 * "last one wins"), nesting at most {@link #MAX_DEPTH} deep, and strings and numbers of sane length.
 * One pass over the tokens; the body is already bounded by {@code http.maxBodyBytes}.
 */
public final class StrictJson {

  public static final int MAX_DEPTH = 32;

  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_DEPTH)
          .maxNumberLength(100)
          .maxStringLength(1 << 20)
          .build())
      .build();

  private StrictJson() {
  }

  /** Throws 400 malformed-json, saying which rule the body broke (never quoting it). */
  public static void check(byte[] body) {
    // the JDK's decoder is strict (overlong forms, surrogates, code points past U+10FFFF); Jackson's is not
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body));
    } catch (CharacterCodingException e) {
      throw Problem.MALFORMED_JSON.with("the body is not valid UTF-8");
    }
    try (JsonParser parser = FACTORY.createParser(body)) {
      // every token is read: duplicates, depth and encoding are checked on the way
      int depth = 0;
      int roots = 0;
      for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
        if (depth == 0 && ++roots > 1) {
          throw Problem.MALFORMED_JSON.with("the body holds more than one JSON value");
        }
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
      }
      if (roots == 0) {
        // Jackson ends a document at a NUL byte: "\t\0" is no JSON at all (found by RequestJsonFuzzTest)
        throw Problem.MALFORMED_JSON.with("the body holds no JSON value");
      }
    } catch (StreamConstraintsException e) {
      throw Problem.MALFORMED_JSON.with("the body is nested more than " + MAX_DEPTH + " deep, or holds an oversized value");
    } catch (JsonParseException e) {
      String message = String.valueOf(e.getOriginalMessage());
      if (message.startsWith("Duplicate field")) {
        throw Problem.MALFORMED_JSON.with("the body has a key twice in one object");
      }
      if (message.contains("UTF-8") || message.contains("UTF8")) {
        throw Problem.MALFORMED_JSON.with("the body is not valid UTF-8");
      }
      throw Problem.MALFORMED_JSON.with("the body is not valid JSON");
    } catch (IOException e) {
      throw Problem.MALFORMED_JSON.with("the body is not valid JSON");
    }
  }

  /**
   * A JSON number that is whole and from {@code min} to {@code max} (as a long: a number past the
   * range of a long counts as its end), or null if it is not one; the caller says what is wrong.
   */
  public static Long wholeNumber(Object value, long min, long max) {
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.longValue() < min
        || n.longValue() > max) {
      return null;
    }
    return n.longValue();
  }

  /**
   * A member that must be a non-blank string of at most {@code maxLength} characters without
   * control characters; else 400 invalid-request naming the member.
   */
  public static String requiredText(JsonObject json, String name, int maxLength) {
    Object v = json.getValue(name);
    if (!(v instanceof String s) || s.isBlank()) {
      throw Problem.INVALID_REQUEST.with(name + " is required (a non-empty string)");
    }
    if (s.length() > maxLength) {
      throw Problem.INVALID_REQUEST.with(name + " may have at most " + maxLength + " characters");
    }
    if (s.chars().anyMatch(Character::isISOControl)) {
      throw Problem.INVALID_REQUEST.with(name + " may not contain control characters");
    }
    return s;
  }
}
