package io.chatserver.bot;

import io.chatserver.errors.Refusal;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Ids;
import io.chatserver.api.Paging;
import io.chatserver.api.Responses;
import io.chatserver.bus.SamplingOptions;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Bots: users browse and search the enabled ones ({@code /api/bots}, {@code /api/bots/start}) and
 * start chats with them (the chat routes); admins manage them under {@code /api/admin/bots}, with
 * an image (PNG, JPEG or WebP up to 1 MiB, recognised by its bytes, not by what the client says).
 */
public final class BotRoutes implements io.chatserver.api.Routes {

  public static final int IMAGE_MAX = 1 << 20;
  private static final Pattern CODE = Pattern.compile("^[a-z0-9-]{1,50}$");
  private static final Set<String> FIELDS = Set.of("code", "name", "description", "systemPrompt", "model", "settings",
      "starters", "start", "enabled");

  private final BotStore bots;

  public BotRoutes(BotStore bots) {
    this.bots = bots;
  }

  @Override
  public void mount(Router router) {
    router.get("/api/bots").handler(Responses.handle(200, ctx -> page(ctx, false, false)));
    router.get("/api/bots/start").handler(Responses.handle(200, ctx -> page(ctx, false, true)));
    router.get("/api/bots/:botId").handler(Responses.handle(200, ctx -> found(bots.get(Ids.pathParam(ctx, "botId"), false))));
    router.get("/api/bots/:botId/image").handler(this::image);
    router.get("/api/admin/bots").handler(Caller.requireAdmin()).handler(Responses.handle(200, ctx -> page(ctx, true, false)));
    router.post("/api/admin/bots").handler(Caller.requireAdmin()).handler(Responses.handle(201, ctx ->
        bots.create(fields(Body.of(ctx).only(FIELDS), true))));
    router.get("/api/admin/bots/:botId").handler(Caller.requireAdmin()).handler(Responses.handle(200, ctx ->
        found(bots.get(Ids.pathParam(ctx, "botId"), true))));
    router.put("/api/admin/bots/:botId").handler(Caller.requireAdmin()).handler(Responses.handle(200, ctx ->
        found(bots.update(Ids.pathParam(ctx, "botId"), fields(Body.of(ctx).only(FIELDS), false)))));
    router.delete("/api/admin/bots/:botId").handler(Caller.requireAdmin()).handler(Responses.handle(204, ctx ->
        bots.delete(Ids.pathParam(ctx, "botId")).compose(ok -> ok ? Future.<Void>succeededFuture()
            : Future.failedFuture(Refusal.notFound("bot")))));
    router.put("/api/admin/bots/:botId/image").handler(Caller.requireAdmin()).handler(Responses.handle(204, this::upload));
  }

  private Future<JsonObject> page(RoutingContext ctx, boolean all, boolean startOnly) {
    Paging page = Paging.of(ctx, 50, 200);
    String q = ctx.queryParams().get("q");
    if (q != null && q.length() > 200) {
      throw Refusal.invalid("q", "q must be at most 200 characters");
    }
    return bots.list(q, all, startOnly, page.limit(), page.offset()).map(r -> r.put("limit", page.limit()).put("offset", page.offset()));
  }

  private static Future<JsonObject> found(Future<JsonObject> bot) {
    return bot.map(b -> {
      if (b == null) {
        throw Refusal.notFound("bot");
      }
      return b;
    });
  }

  private void image(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "botId");
    bots.image(id).onFailure(ctx::fail).onSuccess(img -> {
      if (img == null) {
        ctx.fail(Refusal.notFound("image"));
        return;
      }
      String etag = img.getString("etag");
      ctx.response().putHeader("ETag", etag).putHeader("Cache-Control", "private, max-age=3600")
          .putHeader("X-Content-Type-Options", "nosniff");
      if (etag.equals(ctx.request().getHeader("If-None-Match"))) {
        ctx.response().setStatusCode(304).end();
        return;
      }
      ctx.response().putHeader("Content-Type", img.getString("type")).end(Buffer.buffer(img.getBinary("bytes")));
    });
  }

  private Future<Void> upload(RoutingContext ctx) {
    UUID id = Ids.pathParam(ctx, "botId");
    Buffer bytes = ctx.body() == null ? null : ctx.body().buffer();
    if (bytes == null || bytes.length() == 0) {
      throw Refusal.invalid("image", "send the image bytes as the body (PNG, JPEG or WebP)");
    }
    if (bytes.length() > IMAGE_MAX) {
      throw Refusal.tooLarge("a bot image may be at most 1 MiB");
    }
    String type = sniff(bytes.getBytes(0, Math.min(12, bytes.length())));
    if (type == null) {
      throw Refusal.unsupportedType("the image must be PNG, JPEG or WebP (recognised by its content)");
    }
    return bots.setImage(id, bytes, type).compose(ok -> ok ? Future.<Void>succeededFuture()
        : Future.failedFuture(Refusal.notFound("bot")));
  }

  /** The image type from the file's first bytes, or null. */
  static String sniff(byte[] b) {
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G' && b[4] == 0x0d && b[5] == 0x0a
        && b[6] == 0x1a && b[7] == 0x0a) {
      return "image/png";
    }
    if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
      return "image/jpeg";
    }
    if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E'
        && b[10] == 'B' && b[11] == 'P') {
      return "image/webp";
    }
    return null;
  }

  private static BotStore.Fields fields(Body b, boolean creating) {
    String code = creating ? b.requiredString("code", 1, 50) : b.optionalString("code", 1, 50);
    if (code != null && !CODE.matcher(code).matches()) {
      throw Refusal.invalid("code", "code must be 1-50 characters of a-z, 0-9 and '-'");
    }
    String name = creating ? b.requiredString("name", 1, 100) : b.optionalString("name", 1, 100);
    JsonObject settings = b.has("settings") ? SamplingOptions.validate(b.optionalObject("settings"), "settings") : null;
    JsonArray starters = b.optionalArray("starters");
    if (starters != null && (starters.size() > 8
        || !starters.stream().allMatch(s -> s instanceof String t && !t.isBlank() && t.length() <= 500))) {
      throw Refusal.invalid("starters", "starters must be at most 8 prompts of at most 500 characters");
    }
    return new BotStore.Fields(code, name, b.optionalString("description", 0, 2000), b.has("systemPrompt"),
        b.optionalString("systemPrompt", 0, 20_000), b.has("model"), b.optionalString("model", 1, 200), settings, starters,
        b.optionalBoolean("start"), b.optionalBoolean("enabled"));
  }
}
