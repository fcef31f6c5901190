package io.licensor;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code log.format} json: the console appender of logback.xml switched to logback's JsonEncoder —
 * one JSON object per line with {@code timestamp} (epoch ms), {@code level}, {@code loggerName},
 * {@code message}, the record's key-value pairs ({@code requestId} on access-log and request lines)
 * and any throwable. Applied once the configuration is read, before the node starts.
 */
final class LogFormat {

  private LogFormat() {
  }

  static void apply(String format) {
    if (!"json".equals(format) || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Appender<ILoggingEvent> appender = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
    if (appender instanceof OutputStreamAppender<ILoggingEvent> console) {
      JsonEncoder encoder = new JsonEncoder();
      encoder.setContext(context);
      encoder.setWithFormattedMessage(true);
      encoder.start();
      console.stop();
      console.setEncoder(encoder);
      console.start();
    }
  }
}
