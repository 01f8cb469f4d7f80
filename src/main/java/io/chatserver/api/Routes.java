package io.chatserver.api;

import io.vertx.ext.web.Router;

/** A feature's HTTP routes, mounted behind the authentication wall. */
public interface Routes {
  void mount(Router router);
}
