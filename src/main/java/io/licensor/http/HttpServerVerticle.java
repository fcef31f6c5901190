package io.licensor.http;

import io.licensor.tls.ServerCertificate;
import io.licensor.tls.TlsPolicy;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP API on an event loop (one instance per core by default; they share the port). Routes
 * authenticate, validate, and hand over to the services; failures go to {@link ProblemResponses}.
 */
public final class HttpServerVerticle extends VerticleBase {

  /** Where the server listens, how large a body may be, and how long a stop waits for requests in progress. */
  /** {@code tlsEngine}: where HTTPS runs ({@code tls.TlsEngines}); unused on plain HTTP. */
  /** {@code corsOrigins}: browser origins allowed to call across origins (empty: no CORS headers, browsers refuse). */
  public record Settings(String host, int port, int maxBodyBytes, int shutdownGraceSeconds, SSLEngineOptions tlsEngine,
                         List<String> corsOrigins, boolean accessLog) {
  }

  private final Settings settings;
  private final Auth auth;
  private final List<Routes> routes;
  private final AtomicInteger actualPort;
  private final ServerCertificate certificate;
  private HttpServer server;

  /**
   * {@code routes}: the features' route groups, shared by every instance. With a null
   * certificate, plain HTTP (the configuration allows that only on loopback).
   */
  public HttpServerVerticle(Settings settings, Auth auth, List<Routes> routes, AtomicInteger actualPort,
                            ServerCertificate certificate) {
    this.settings = settings;
    this.auth = auth;
    this.routes = List.copyOf(routes);
    this.actualPort = actualPort;
    this.certificate = certificate;
  }

  /**
   * On every answer: {@code X-Content-Type-Options: nosniff}; over HTTPS, HSTS for a year; and on
   * the API's answers (tenants, keys, audit, backups, licenses) {@code Cache-Control: no-store},
   * unless the route set its own (a tenant's current key and JWKS may be cached for the rollover
   * window, SPEC §4).
   */
  private void securityHeaders(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response.putHeader("X-Content-Type-Options", "nosniff");
    if (certificate != null) {
      response.putHeader("Strict-Transport-Security", "max-age=31536000");
    }
    if (ctx.request().path().startsWith("/v1/")) {
      ctx.addHeadersEndHandler(v -> {
        if (!response.headers().contains("Cache-Control")) {
          response.putHeader("Cache-Control", "no-store");
        }
      });
    }
    ctx.next();
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(Requests::assignId);
    if (settings.accessLog()) {
      router.route().handler(AccessLog::handle);
    }
    router.route().handler(this::securityHeaders);
    if (!settings.corsOrigins().isEmpty()) {
      // before authentication: a preflight (OPTIONS) carries no token
      router.route().handler(Cors.handler(settings.corsOrigins()));
    }
    router.route().handler(auth.beforeBody());
    BodyHandler body = BodyHandler.create(false).setBodyLimit(settings.maxBodyBytes());
    routes.forEach(group -> group.mount(router, body));
    router.route().failureHandler(ProblemResponses::handle);
    router.errorHandler(404, ProblemResponses::handle);
    AllowedMethods allowed = new AllowedMethods(router);
    router.errorHandler(405, ctx -> {
      String allow = allowed.forPath(ctx.normalizedPath());
      if (allow != null) {
        ctx.response().putHeader("Allow", allow);
      }
      ProblemResponses.handle(ctx);
    });
    router.errorHandler(413, ProblemResponses::handle);
    router.errorHandler(500, ProblemResponses::handle);

    HttpServerOptions options = new HttpServerOptions()
        .setHost(settings.host())
        .setPort(settings.port())
        .setIdleTimeout(120)
        .setMaxInitialLineLength(8192)
        .setMaxHeaderSize(16 * 1024);
    if (certificate != null) {
      TlsPolicy.refuseClientRenegotiation();
      options.setSsl(true)
          .setSslEngineOptions(settings.tlsEngine().copy())
          .setEnabledSecureTransportProtocols(TlsPolicy.PROTOCOLS)
          .setKeyCertOptions(new PemKeyCertOptions()
              .setCertValue(Buffer.buffer(certificate.certificatePem()))
              .setKeyValue(Buffer.buffer(certificate.keyPem())));
      TlsPolicy.CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    }
    server = vertx.createHttpServer(options).requestHandler(router);
    return server.listen().onSuccess(s -> actualPort.set(s.actualPort()));
  }

  @Override
  public Future<?> stop() {
    // no new connections; requests in progress finish (their connections then close), for up to the grace period
    return server == null ? Future.succeededFuture()
        : server.shutdown(settings.shutdownGraceSeconds(), TimeUnit.SECONDS);
  }
}
