package io.licensor.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP forwarder for the network-namespace tests: accepts on one address and pipes each
 * connection to another (the database from inside a namespace, or a namespaced node's HTTP on its
 * own loopback from the host). In the test JVM as an object, or in a namespace as
 * {@code main(listenHost, listenPort, targetHost, targetPort)}.
 */
public final class TcpForward implements AutoCloseable {

  private final ServerSocket server;
  private final Thread acceptor;

  public TcpForward(String listenHost, int listenPort, String targetHost, int targetPort) throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(listenHost, listenPort), 128);
    acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket in = server.accept();
          Socket out = new Socket();
          try {
            out.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
          } catch (IOException e) {
            in.close();
            continue;
          }
          pipe(in, out);
          pipe(out, in);
        } catch (IOException e) {
          // closed
        }
      }
    }, "tcp-forward-" + listenPort);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  private static void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16384];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side went away
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException e) {
          // closing anyway
        }
      }
    });
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }

  public static void main(String[] args) throws Exception {
    try (TcpForward f = new TcpForward(args[0], Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]))) {
      f.acceptor.join();
    }
  }
}
