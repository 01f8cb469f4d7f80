package io.chatserver.user;

import io.chatserver.errors.Refusal;
import io.chatserver.api.Body;
import io.chatserver.api.Ids;
import io.chatserver.api.Paging;
import io.chatserver.api.Responses;
import io.chatserver.api.Caller;
import io.chatserver.bus.SamplingOptions;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.UUID;

/** The caller's own profile and settings, and the admin's view of all users. */
public final class UserRoutes implements io.chatserver.api.Routes {

  public static final int NICKNAME_MAX = 50;
  public static final int SYSTEM_PROMPT_MAX = 20_000;

  private final UserStore users;
  /** Whether a model name is served now (true when that cannot be known: no worker is up). */
  private final java.util.function.Function<String, Future<Boolean>> served;

  public UserRoutes(UserStore users, java.util.function.Function<String, Future<Boolean>> served,
                    java.util.function.Predicate<String> knownPersonality) {
    this.users = users;
    this.served = served;
    this.knownPersonality = knownPersonality;
  }

  /** Whether a personality id is in the catalog. */
  private final java.util.function.Predicate<String> knownPersonality;

  @Override
  public void mount(Router router) {
    router.get("/api/users/me").handler(Responses.handle(200, this::me));
    router.put("/api/users/me").handler(Responses.handle(200, this::update));
    router.get("/api/admin/users").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::list));
    router.patch("/api/admin/users/:userId").handler(Caller.requireAdmin()).handler(Responses.handle(200, this::setRole));
  }

  private Future<JsonObject> me(RoutingContext ctx) {
    return users.profile(Caller.of(ctx).userId()).map(UserRoutes::found);
  }

  private Future<JsonObject> update(RoutingContext ctx) {
    Caller caller = Caller.of(ctx);
    Body body = Body.of(ctx).only(Set.of("nickname", "systemPrompt", "preferredModel", "settings", "acceptTerms",
        "defaultPersonality"));
    JsonObject changes = new JsonObject();
    if (body.has("nickname")) {
      changes.put("nickname", body.optionalString("nickname", 1, NICKNAME_MAX));
    }
    if (body.has("systemPrompt")) {
      changes.put("system_prompt", body.optionalString("systemPrompt", 0, SYSTEM_PROMPT_MAX));
    }
    if (body.has("preferredModel")) {
      changes.put("preferred_model", body.optionalString("preferredModel", 1, 200));
    }
    if (body.has("defaultPersonality")) {
      String personality = body.optionalString("defaultPersonality", 1, 64);
      if (personality != null && !knownPersonality.test(personality)) {
        throw Refusal.invalid("defaultPersonality", "no personality '" + personality + "'; see GET /api/personalities");
      }
      changes.put("default_personality", personality);
    }
    String preferred = changes.getString("preferred_model");
    Future<Boolean> modelOk = preferred == null ? Future.succeededFuture(true) : served.apply(preferred);
    Boolean accept = body.optionalBoolean("acceptTerms");
    if (accept != null) {
      if (!accept) {
        throw Refusal.invalid("acceptTerms", "acceptTerms can only be set to true");
      }
      changes.put("accept_terms", true);
    }
    JsonObject settingsPatch = body.has("settings") ? body.optionalObject("settings") : null;
    if (body.isNull("settings")) {
      changes.put("settings", new JsonObject());
    }
    Future<Void> checked = modelOk.compose(ok -> ok ? Future.<Void>succeededFuture() : Future.failedFuture(Refusal.invalid(
        "preferredModel", "model '" + preferred + "' is not served here; see GET /api/models")));
    if (settingsPatch == null) {
      return checked.compose(v -> users.update(caller.userId(), changes)).map(UserRoutes::found);
    }
    JsonObject valid = SamplingOptions.validate(settingsPatch, "settings");
    return checked.compose(v -> users.profile(caller.userId())).map(UserRoutes::found).compose(current -> {
      JsonObject merged = current.getJsonObject("settings").copy();
      for (String key : settingsPatch.fieldNames()) {
        if (settingsPatch.getValue(key) == null) {
          merged.remove(key);
          if (key.equals("n_predict")) {
            merged.remove("max_tokens");
          }
        }
      }
      merged.mergeIn(valid);
      changes.put("settings", merged);
      return users.update(caller.userId(), changes).map(UserRoutes::found);
    });
  }

  private Future<JsonObject> list(RoutingContext ctx) {
    Paging page = Paging.of(ctx, 50, 500);
    return users.count().compose(total -> users.list(page.limit(), page.offset()).map(items -> page.wrap(items, total)));
  }

  private Future<JsonObject> setRole(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "userId");
    Body body = Body.of(ctx).only(Set.of("role", "disabled"));
    String role = body.optionalEnum("role", Set.of("admin", "user"));
    Boolean disabled = body.optionalBoolean("disabled");
    if (role == null && disabled == null) {
      throw Refusal.invalid("role", "send role and/or disabled");
    }
    if (disabled != null) {
      if (id.equals(Caller.of(ctx).userId()) && disabled) {
        throw Refusal.conflict("an admin cannot disable their own account");
      }
      Future<JsonObject> done = users.setDisabled(id, disabled);
      return (role == null ? done : done.compose(u -> u == null ? Future.succeededFuture(null) : users.setRole(id, role)))
          .map(u -> {
            if (u == null) {
              throw Refusal.notFound("user");
            }
            return u;
          });
    }
    if (id.equals(Caller.of(ctx).userId()) && role.equals("user")) {
      throw Refusal.conflict("an admin cannot remove their own admin role");
    }
    return users.setRole(id, role).map(u -> {
      if (u == null) {
        throw Refusal.notFound("user");
      }
      return u;
    });
  }

  private static JsonObject found(JsonObject user) {
    if (user == null) {
      throw Refusal.notFound("user");
    }
    return user;
  }
}
