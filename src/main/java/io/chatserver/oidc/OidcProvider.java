package io.chatserver.oidc;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One OpenID provider people sign in with ({@code auth.oidc.providers}, or the {@code OIDC_*}
 * environment variables for one): where it is, this server's client there, and how its claims
 * make roles.
 *
 * @param roleClaim     the ID token claim that lists the person's groups or roles (a dotted path, e.g.
 *                      {@code realm_access.roles}); default {@code groups}
 * @param adminGroups   members of any of these are admins, others users, decided at every sign-in
 *                      (empty: roles are left as they are)
 * @param allowedGroups when not empty, only members of one of these may sign in
 */
public record OidcProvider(String id, String name, String issuer, String clientId, String clientSecret, List<String> scopes,
                           String roleClaim, List<String> adminGroups, List<String> allowedGroups) {

  static final Pattern ID = Pattern.compile("^[a-z0-9][a-z0-9_-]{0,31}$");

  /** The providers of {@code auth} ({@code oidc.providers}, and the environment's one as {@code oidc.issuer}, ...). */
  public static List<OidcProvider> fromConfig(JsonObject auth) {
    JsonObject oidc = auth.getJsonObject("oidc", new JsonObject());
    List<OidcProvider> out = new ArrayList<>();
    for (Object o : oidc.getJsonArray("providers", new JsonArray())) {
      if (!(o instanceof JsonObject p)) {
        throw new IllegalArgumentException("auth.oidc.providers must be a list of objects");
      }
      out.add(of(p));
    }
    if (oidc.getString("issuer") != null) {
      out.add(of(new JsonObject().put("id", oidc.getString("id", "oidc")).put("name", oidc.getString("name"))
          .put("issuer", oidc.getString("issuer")).put("clientId", oidc.getString("clientId"))
          .put("clientSecret", oidc.getString("clientSecret")).put("scopes", oidc.getString("scopes"))
          .put("roleClaim", oidc.getString("roleClaim")).put("adminGroups", oidc.getString("adminGroups"))
          .put("allowedGroups", oidc.getString("allowedGroups"))));
    }
    if (out.stream().map(OidcProvider::id).distinct().count() != out.size()) {
      throw new IllegalArgumentException("auth.oidc.providers: two providers have the same id");
    }
    return out;
  }

  private static OidcProvider of(JsonObject p) {
    String id = p.getString("id");
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("an OIDC provider's id must be 1-32 characters of a-z, 0-9, '_' and '-' (got " + id + ")");
    }
    String issuer = p.getString("issuer");
    if (issuer == null || !(issuer.startsWith("https://") || issuer.startsWith("http://"))) {
      throw new IllegalArgumentException("OIDC provider " + id + " needs an issuer URL");
    }
    if (p.getString("clientId") == null) {
      throw new IllegalArgumentException("OIDC provider " + id + " needs a clientId");
    }
    List<String> scopes = list(p.getValue("scopes"));
    if (scopes.isEmpty()) {
      scopes = List.of("openid", "profile", "email");
    } else if (!scopes.contains("openid")) {
      scopes = new ArrayList<>(scopes);
      scopes.add(0, "openid");
    }
    return new OidcProvider(id, p.getString("name") == null ? id : p.getString("name"), issuer, p.getString("clientId"),
        p.getString("clientSecret"), List.copyOf(scopes), p.getString("roleClaim") == null ? "groups" : p.getString("roleClaim"),
        list(p.getValue("adminGroups")), list(p.getValue("allowedGroups")));
  }

  /** A list from a JSON array or a comma- or space-separated string. */
  private static List<String> list(Object v) {
    List<String> out = new ArrayList<>();
    if (v instanceof JsonArray a) {
      a.forEach(x -> out.add(String.valueOf(x)));
    } else if (v instanceof String s) {
      for (String part : s.split("[,\\s]+")) {
        if (!part.isBlank()) {
          out.add(part.trim());
        }
      }
    }
    return List.copyOf(out);
  }

  /** The groups (or roles) the ID token's claims give, read at {@link #roleClaim} (a dotted path). */
  List<String> groups(JsonObject claims) {
    Object v = claims;
    for (String part : roleClaim.split("\\.")) {
      v = v instanceof JsonObject o ? o.getValue(part) : null;
    }
    List<String> out = new ArrayList<>();
    if (v instanceof JsonArray a) {
      a.forEach(x -> out.add(String.valueOf(x).replaceFirst("^/", ""))); // Keycloak writes groups as paths
    } else if (v instanceof String s) {
      out.add(s.replaceFirst("^/", ""));
    }
    return out;
  }
}
