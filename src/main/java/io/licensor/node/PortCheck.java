package io.licensor.node;

import io.licensor.config.ConfigException;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Whether the HTTP port can be bound, checked before anything else of a start: a port another
 * program holds is a configuration error naming the setting, at once, not a bare BindException
 * after the world, the database and the certificate have been set up.
 */
final class PortCheck {

  private PortCheck() {
  }

  static void free(String host, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(InetAddress.getByName(host), port), 1);
    } catch (BindException e) {
      throw inUse(host, port);
    } catch (IOException e) {
      throw new ConfigException("http.host (LICENSOR_HTTP_HOST): cannot listen on " + host + ":" + port + ": " + e.getMessage());
    }
  }

  static ConfigException inUse(String host, int port) {
    return new ConfigException("http.port (LICENSOR_HTTP_PORT, serve --port): " + host + ":" + port
        + " is in use by another program (another licensor node?)");
  }
}
