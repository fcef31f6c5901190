package io.licensor.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * A group of routes of one feature. One instance serves every HTTP verticle: a group holds the
 * services it calls and nothing that belongs to one event loop.
 */
public interface Routes {

  /** Adds the group's routes; {@code body} reads a request body within the node's size limit. */
  void mount(Router router, BodyHandler body);
}
