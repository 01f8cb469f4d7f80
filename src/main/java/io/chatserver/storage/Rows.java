package io.chatserver.storage;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;

/** Conversions shared by the stores. */
public final class Rows {

  private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'");

  private Rows() {}

  /** A timestamp column as ISO-8601 UTC with microseconds (PostgreSQL's precision), or null. */
  public static String time(Row row, String column) {
    OffsetDateTime t = row.getOffsetDateTime(column);
    return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC).format(ISO);
  }

  /** Parses a timestamp written by {@link #time}, or any ISO-8601 offset date-time. */
  public static OffsetDateTime parseTime(String text) {
    return text == null ? null : OffsetDateTime.parse(text);
  }

  /** The first row mapped, or null when there is none. */
  public static <T> T first(RowSet<Row> rs, Function<Row, T> mapper) {
    var it = rs.iterator();
    return it.hasNext() ? mapper.apply(it.next()) : null;
  }

  /** Whether a failure is PostgreSQL refusing a duplicate of a unique key. */
  public static boolean isUniqueViolation(Throwable e) {
    return e instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState());
  }
}
