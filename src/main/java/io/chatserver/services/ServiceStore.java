package io.chatserver.services;

import io.chatserver.api.ApiError;
import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Upstream services in PostgreSQL; API keys are sealed with {@link SecretBox} before they are written. */
public final class ServiceStore {

  private static final String COLUMNS =
      "id, name, base_url, api_key_enc, enabled, models, timeout_ms, max_concurrent, headers, created_at, updated_at";

  private final Pool pool;
  private final SecretBox box;

  public ServiceStore(Pool pool, SecretBox box) {
    this.pool = pool;
    this.box = box;
  }

  /** The deployment's public id (every node that shares the services key has it): see {@link SecretBox#fingerprint}. */
  public String instanceId() {
    return box.fingerprint();
  }

  /** The store of a node, its keys sealed with {@code conf: services.key} (or the key generated into {@code dataDir}). */
  public static ServiceStore open(Pool pool, io.vertx.core.json.JsonObject conf, java.nio.file.Path dataDir) {
    String key = conf.getJsonObject("services", new io.vertx.core.json.JsonObject()).getString("key");
    return new ServiceStore(pool, new SecretBox(io.chatserver.auth.SecretStore.servicesKey(key, dataDir)));
  }

  /** The fields of a new or changed service; null fields of a change are left as they are (apiKeyChange: see below). */
  public record Fields(String name, String baseUrl, boolean apiKeySet, String apiKey, Boolean enabled, JsonArray models,
                       boolean modelsSet, Integer timeoutMs, Integer maxConcurrent, JsonObject headers) {}

  public Future<List<UpstreamService>> list() {
    return pool.query("SELECT " + COLUMNS + " FROM upstream_services ORDER BY name").execute().map(rs -> {
      List<UpstreamService> out = new ArrayList<>();
      rs.forEach(r -> out.add(of(r)));
      return out;
    });
  }

  public Future<UpstreamService> get(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM upstream_services WHERE id = $1").execute(Tuple.of(id))
        .map(rs -> Rows.first(rs, this::of));
  }

  public Future<UpstreamService> create(Fields f) {
    Tuple t = Tuple.tuple().addUUID(UUID.randomUUID()).addString(f.name()).addString(f.baseUrl())
        .addString(f.apiKey() == null ? null : box.seal(f.apiKey())).addBoolean(f.enabled() == null || f.enabled())
        .addValue(f.models()).addInteger(f.timeoutMs() == null ? 60_000 : f.timeoutMs())
        .addInteger(f.maxConcurrent() == null ? 8 : f.maxConcurrent())
        .addValue(f.headers() == null ? new JsonObject() : f.headers());
    return pool.preparedQuery("INSERT INTO upstream_services (id, name, base_url, api_key_enc, enabled, models, timeout_ms, "
            + "max_concurrent, headers) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " + COLUMNS)
        .execute(t).map(rs -> of(rs.iterator().next())).recover(ServiceStore::duplicate);
  }

  public Future<UpstreamService> update(UUID id, Fields f) {
    return pool.preparedQuery("UPDATE upstream_services SET name = COALESCE($2, name), base_url = COALESCE($3, base_url), "
            + "api_key_enc = CASE WHEN $4 THEN $5 ELSE api_key_enc END, enabled = COALESCE($6, enabled), "
            + "models = CASE WHEN $7 THEN $8 ELSE models END, timeout_ms = COALESCE($9, timeout_ms), "
            + "max_concurrent = COALESCE($10, max_concurrent), headers = COALESCE($11, headers), "
            + "updated_at = clock_timestamp() WHERE id = $1 RETURNING " + COLUMNS)
        .execute(Tuple.tuple().addUUID(id).addString(f.name()).addString(f.baseUrl()).addBoolean(f.apiKeySet())
            .addString(f.apiKey() == null ? null : box.seal(f.apiKey())).addBoolean(f.enabled()).addBoolean(f.modelsSet())
            .addValue(f.models()).addInteger(f.timeoutMs()).addInteger(f.maxConcurrent()).addValue(f.headers()))
        .map(rs -> Rows.first(rs, this::of)).recover(ServiceStore::duplicate);
  }

  public Future<Boolean> delete(UUID id) {
    return pool.preparedQuery("DELETE FROM upstream_services WHERE id = $1").execute(Tuple.of(id)).map(rs -> rs.rowCount() > 0);
  }

  private static <T> Future<T> duplicate(Throwable e) {
    if (Rows.isUniqueViolation(e)) {
      return Future.failedFuture(ApiError.conflict("a service with that name already exists"));
    }
    return Future.failedFuture(e);
  }

  private UpstreamService of(Row r) {
    String sealed = r.getString("api_key_enc");
    Object models = r.getValue("models");
    List<String> allowed = null;
    if (models instanceof JsonArray a) {
      allowed = new ArrayList<>();
      for (Object o : a) {
        allowed.add(String.valueOf(o));
      }
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (r.getValue("headers") instanceof JsonObject h) {
      h.forEach(e -> headers.put(e.getKey(), String.valueOf(e.getValue())));
    }
    return new UpstreamService(r.getUUID("id"), r.getString("name"), r.getString("base_url"),
        sealed == null ? null : box.open(sealed), r.getBoolean("enabled"), allowed, r.getInteger("timeout_ms"),
        r.getInteger("max_concurrent"), headers, Rows.time(r, "created_at"), Rows.time(r, "updated_at"));
  }
}
