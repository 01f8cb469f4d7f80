package io.chatserver.oidc;

import io.chatserver.storage.Rows;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/**
 * What sign-in through OpenID Connect keeps: the sign-ins on their way (state, nonce, PKCE
 * verifier; each taken once), the one-time login codes, and which account each (issuer, subject)
 * is. In the database, so any API node can finish what another began.
 */
final class OidcStore {

  /** A sign-in on its way: the provider, its nonce and PKCE verifier, and the account asking to link (or null). */
  record Pending(String provider, String nonce, String verifier, UUID linkUser) {}

  static final int PENDING_SECONDS = 600;
  static final int CODE_SECONDS = 60;

  private final Pool pool;

  OidcStore(Pool pool) {
    this.pool = pool;
  }

  Future<Void> begin(String state, String provider, String nonce, String verifier, UUID linkUser) {
    return pool.preparedQuery("INSERT INTO oidc_logins (state, provider, nonce, verifier, link_user) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(state, provider, nonce, verifier, linkUser)).mapEmpty();
  }

  /** Takes a sign-in by its state, once; null when unknown, used or older than 10 minutes. */
  Future<Pending> take(String state) {
    return pool.preparedQuery("DELETE FROM oidc_logins WHERE state = $1 RETURNING provider, nonce, verifier, link_user, "
            + "created_at > clock_timestamp() - make_interval(secs => $2) AS fresh")
        .execute(Tuple.of(state, PENDING_SECONDS))
        .map(rs -> Rows.first(rs, r -> Boolean.TRUE.equals(r.getBoolean("fresh"))
            ? new Pending(r.getString("provider"), r.getString("nonce"), r.getString("verifier"), r.getUUID("link_user")) : null));
  }

  /** The account of an identity, or null. */
  Future<UUID> account(String issuer, String subject) {
    return pool.preparedQuery("UPDATE user_identities SET last_login = clock_timestamp() WHERE issuer = $1 AND subject = $2 "
            + "RETURNING user_id").execute(Tuple.of(issuer, subject)).map(rs -> Rows.first(rs, r -> r.getUUID("user_id")));
  }

  /** Links an identity to an account; false when it is another account's already. */
  Future<Boolean> link(String issuer, String subject, UUID userId, String provider, String email) {
    return pool.preparedQuery("INSERT INTO user_identities (issuer, subject, user_id, provider, email) VALUES ($1, $2, $3, $4, $5) "
            + "ON CONFLICT (issuer, subject) DO UPDATE SET last_login = clock_timestamp() WHERE user_identities.user_id = $3 "
            + "RETURNING user_id")
        .execute(Tuple.of(issuer, subject, userId, provider, email)).map(rs -> rs.size() == 1);
  }

  Future<Void> issueCode(String codeHash, UUID userId, String provider) {
    return pool.preparedQuery("INSERT INTO oidc_codes (code_hash, user_id, provider) VALUES ($1, $2, $3)")
        .execute(Tuple.of(codeHash, userId, provider)).mapEmpty();
  }

  /** The account a login code signs in, once, within 60 s; null otherwise. */
  Future<UUID> redeem(String codeHash) {
    return pool.preparedQuery("DELETE FROM oidc_codes WHERE code_hash = $1 RETURNING user_id, "
            + "created_at > clock_timestamp() - make_interval(secs => $2) AS fresh")
        .execute(Tuple.of(codeHash, CODE_SECONDS))
        .map(rs -> Rows.first(rs, r -> Boolean.TRUE.equals(r.getBoolean("fresh")) ? r.getUUID("user_id") : null));
  }

  /** Forgets sign-ins and codes nobody finished (called now and then). */
  Future<Void> sweep() {
    return pool.query("DELETE FROM oidc_logins WHERE created_at < clock_timestamp() - interval '1 hour'").execute()
        .compose(v -> pool.query("DELETE FROM oidc_codes WHERE created_at < clock_timestamp() - interval '1 hour'").execute())
        .mapEmpty();
  }
}
