package io.chatserver.system;

import io.chatserver.api.ApiError;
import io.chatserver.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/**
 * The server's mode for the whole cluster: {@code normal}; {@code maintenance} (new answers get
 * 503 with the message, running ones finish); {@code read-only} (every write gets 503 with the
 * message). Kept in the database (so it survives restarts), held in memory on every API node, and
 * changed everywhere at once: a change is published on {@link Addresses#SYSTEM_STATUS}, and every
 * node also reads it again every 30 s in case it missed one.
 */
public final class SystemStatus {

  private static final Logger log = LoggerFactory.getLogger(SystemStatus.class);

  public enum Mode {
    NORMAL("normal"), MAINTENANCE("maintenance"), READ_ONLY("read-only");

    public final String wire;

    Mode(String wire) {
      this.wire = wire;
    }

    public static Mode parse(String s) {
      for (Mode m : values()) {
        if (m.wire.equals(s)) {
          return m;
        }
      }
      return null;
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private volatile JsonObject current = new JsonObject().put("mode", Mode.NORMAL.wire).put("message", "").putNull("since");

  public SystemStatus(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** Reads the stored status and follows changes from every node. */
  public Future<Void> start() {
    vertx.eventBus().<JsonObject>consumer(Addresses.SYSTEM_STATUS, m -> current = m.body());
    vertx.setPeriodic(30_000, t -> load().onFailure(e -> log.debug("Could not read the system status: {}", e.toString())));
    return load().recover(e -> {
      log.warn("Could not read the system status yet ({}); assuming normal", e.toString());
      return Future.succeededFuture();
    });
  }

  private Future<Void> load() {
    return pool.query("SELECT mode, message, since FROM system_status WHERE id = 1").execute().map(rs -> {
      if (rs.iterator().hasNext()) {
        current = json(rs.iterator().next());
      }
      return null;
    });
  }

  private static JsonObject json(Row r) {
    return new JsonObject().put("mode", r.getString("mode")).put("message", r.getString("message"))
        .put("since", r.getOffsetDateTime("since").toString());
  }

  public JsonObject current() {
    return current.copy();
  }

  public Mode mode() {
    Mode m = Mode.parse(current.getString("mode"));
    return m == null ? Mode.NORMAL : m;
  }

  /** Stores a new status and tells every node. */
  public Future<JsonObject> change(Mode mode, String message, UUID by) {
    return pool.preparedQuery("UPDATE system_status SET mode = $1, message = $2, since = clock_timestamp(), changed_by = $3 "
            + "WHERE id = 1 RETURNING mode, message, since")
        .execute(Tuple.of(mode.wire, message, by))
        .map(rs -> {
          JsonObject s = json(rs.iterator().next());
          current = s;
          vertx.eventBus().publish(Addresses.SYSTEM_STATUS, s);
          log.info("System status is now {}{}", mode.wire, message.isEmpty() ? "" : " (" + message + ")");
          return s;
        });
  }

  /** Null while new answers may start; else the 503 that says why not. */
  public ApiError refuseAnswers() {
    Mode m = mode();
    return m == Mode.NORMAL ? null : refusal(m);
  }

  /** Null while writes may go on; else the 503 that says why not. */
  public ApiError refuseWrites() {
    Mode m = mode();
    return m == Mode.READ_ONLY ? refusal(m) : null;
  }

  private ApiError refusal(Mode m) {
    String message = current.getString("message", "");
    String what = m == Mode.READ_ONLY ? "the server is read-only for now" : "the server is in maintenance: no new answers for now";
    return new ApiError(503, m == Mode.READ_ONLY ? "read_only" : "maintenance",
        message.isEmpty() ? what : what + ": " + message).retryAfter(60);
  }
}
