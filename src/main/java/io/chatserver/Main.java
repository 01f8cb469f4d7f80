package io.chatserver;

import io.chatserver.config.AppConfig;
import io.chatserver.inference.tools.Commands;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** The jar's entry point: {@code java -jar chat-server.jar [serve]} and the tool commands. */
@Command(name = "chat-server", mixinStandardHelpOptions = true, version = "chat-server 0.1",
    description = "LLM chat server. With no command, serves on the embedded defaults.",
    subcommands = {Main.Serve.class, Commands.ImportLlama2c.class, Commands.RandomModelCmd.class, Commands.Pull.class, Commands.Check.class, Commands.BenchGrammar.class,
        Commands.Bench.class})
public final class Main implements Callable<Integer> {

  static {
    Offline.forServer(System.getenv());
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    return new Serve().call();
  }

  @Command(name = "serve", description = "Run the server (configuration: conf/config.json and environment variables).")
  static final class Serve implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Serve.class);

    @Override
    public Integer call() throws Exception {
      JsonObject conf = AppConfig.load();
      ChatServer server;
      try {
        server = ChatServer.start(conf);
      } catch (Exception e) {
        log.error("chat-server could not start: {}", e.getMessage(), e);
        return 1;
      }
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        log.info("Shutting down");
        server.close();
        stopped.countDown();
      }, "shutdown"));
      stopped.await();
      return 0;
    }
  }
}
