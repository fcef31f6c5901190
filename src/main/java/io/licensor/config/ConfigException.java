package io.licensor.config;

/** A setting is missing or invalid; the message names it. Start-up stops on this. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
