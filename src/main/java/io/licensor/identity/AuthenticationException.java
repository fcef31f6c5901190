package io.licensor.identity;

/** Why a token was not accepted; the text is safe to show the caller. */
final class AuthenticationException extends Exception {
  AuthenticationException(String message) {
    super(message, null, false, false);
  }
}
