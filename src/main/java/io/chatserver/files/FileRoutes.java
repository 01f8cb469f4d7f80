package io.chatserver.files;

import io.chatserver.api.ApiError;
import io.chatserver.api.Body;
import io.chatserver.api.Caller;
import io.chatserver.api.Ids;
import io.chatserver.api.Responses;
import io.chatserver.api.Routes;
import io.chatserver.transfer.ChatTransfer;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Files on a chat: upload ({@code POST /api/chats/{id}/files?name=...} with the file's bytes as the
 * body, checked by content), list, download (with its type and an attachment disposition), delete;
 * and the seed's {@code GET /api/chats/{id}/downloads/{name}}: {@code export.json} and
 * {@code export.md} are the chat's exports, any other name the newest file of that name.
 */
public final class FileRoutes implements Routes {

  /** Paths whose body is a file's bytes, not JSON (the router gives them their own size limit). */
  public static final String UPLOAD_PATH = "^/api/chats/[^/]+/files$";
  public static final int NAME_MAX = 255;

  private final FileStore files;
  private final ChatTransfer transfer;
  private final long maxBytes;

  public FileRoutes(FileStore files, ChatTransfer transfer, long maxBytes) {
    this.files = files;
    this.transfer = transfer;
    this.maxBytes = maxBytes;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/chats/:chatId/files").handler(Responses.handle(201, this::upload));
    router.get("/api/chats/:chatId/files").handler(Responses.handle(200, ctx -> files.list(Caller.of(ctx).userId(),
        Ids.pathParam(ctx, "chatId")).map(items -> {
          if (items == null) {
            throw ApiError.notFound("chat");
          }
          return new JsonObject().put("items", items);
        })));
    router.get("/api/chats/:chatId/files/:fileId").handler(ctx -> send(ctx, files.download(Caller.of(ctx).userId(),
        Ids.pathParam(ctx, "chatId"), Ids.pathParam(ctx, "fileId"), null)));
    router.delete("/api/chats/:chatId/files/:fileId").handler(Responses.handle(204, ctx -> files.delete(Caller.of(ctx).userId(),
            Ids.pathParam(ctx, "chatId"), Ids.pathParam(ctx, "fileId"))
        .compose(ok -> ok ? Future.<Void>succeededFuture() : Future.failedFuture(ApiError.notFound("file")))));
    router.get("/api/chats/:chatId/downloads/:name").handler(this::downloads);
  }

  private Future<JsonObject> upload(RoutingContext ctx) {
    String name = ctx.queryParams().get("name");
    if (name == null || name.isBlank() || name.length() > NAME_MAX || name.contains("/") || name.contains("\\")
        || !io.chatserver.errors.TextRules.wellFormed(name) || name.chars().anyMatch(c -> c < 0x20)) {
      throw ApiError.badRequest("name", "give the file's name as ?name= (1-" + NAME_MAX + " characters, no slashes)");
    }
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ApiError.badRequest("body", "send the file's bytes as the request body");
    }
    if (body.length() > maxBytes) {
      throw new ApiError(413, "payload_too_large", "a file may be at most " + maxBytes + " bytes");
    }
    byte[] bytes = body.getBytes();
    FileKind kind;
    String text;
    try {
      kind = FileKind.of(name, bytes);
      text = kind.extract(bytes);
    } catch (FileKind.Refused e) {
      throw new ApiError(415, "unsupported_media_type", e.getMessage());
    }
    UUID user = Caller.of(ctx).userId();
    UUID chatId = Ids.pathParam(ctx, "chatId");
    return files.save(user, chatId, name.strip(), kind, bytes, text).map(f -> {
      if (f == null) {
        throw ApiError.notFound("chat");
      }
      return f;
    });
  }

  private void downloads(RoutingContext ctx) {
    UUID user = Caller.of(ctx).userId();
    UUID chatId = Ids.pathParam(ctx, "chatId");
    String name = ctx.pathParam("name");
    if (name.equals("export.json")) {
      transfer.exportChat(user, chatId).onFailure(ctx::fail).onSuccess(doc -> attachment(ctx, "export.json",
          "application/json; charset=utf-8", Buffer.buffer(doc.encode())));
    } else if (name.equals("export.md")) {
      transfer.markdownChat(user, chatId).onFailure(ctx::fail).onSuccess(md -> attachment(ctx, "export.md",
          "text/markdown; charset=utf-8", Buffer.buffer(md)));
    } else {
      send(ctx, files.download(user, chatId, null, name));
    }
  }

  private static void send(RoutingContext ctx, Future<FileStore.Download> file) {
    file.onFailure(ctx::fail).onSuccess(f -> {
      if (f == null) {
        ctx.fail(ApiError.notFound("file"));
      } else {
        attachment(ctx, f.name(), f.contentType().startsWith("text/") ? f.contentType() + "; charset=utf-8" : f.contentType(), f.data());
      }
    });
  }

  /** The bytes as a download: its type, never sniffed, never rendered inline, never cached by others. */
  private static void attachment(RoutingContext ctx, String name, String type, Buffer data) {
    String ascii = name.replaceAll("[^A-Za-z0-9._ -]", "_");
    ctx.response().putHeader("Content-Type", type)
        .putHeader("Content-Disposition", "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''"
            + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"))
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Security-Policy", "default-src 'none'; sandbox")
        .putHeader("Cache-Control", "private, no-store")
        .end(data);
  }
}
