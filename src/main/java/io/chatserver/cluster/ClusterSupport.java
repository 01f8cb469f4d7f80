package io.chatserver.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the node's Vert.x: plain, or clustered with Hazelcast from {@code cluster/hazelcast.xml}
 * with the cluster name, members, port and interface of {@code conf: cluster}.
 */
public final class ClusterSupport {

  private static final Logger log = LoggerFactory.getLogger(ClusterSupport.class);

  private ClusterSupport() {}

  public static Vertx start(JsonObject conf) throws Exception {
    return start(conf, null);
  }

  /** As above, with Vert.x reporting its metrics into {@code metrics} (null: none). */
  public static Vertx start(JsonObject conf, io.chatserver.metrics.Metrics metrics) throws Exception {
    JsonObject c = conf.getJsonObject("cluster", new JsonObject());
    if (!c.getBoolean("enabled", false)) {
      return metrics == null ? Vertx.vertx() : metrics.apply(Vertx.builder(), new VertxOptions()).build();
    }
    String host = c.getString("host", "127.0.0.1");
    Config hz = hazelcastConfig(c);
    log.info("Joining cluster '{}' as {}:{} (members {})", hz.getClusterName(), host, hz.getNetworkConfig().getPort(),
        hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    VertxOptions options = new VertxOptions().setEventBusOptions(new EventBusOptions()
        .setHost(host).setPort(c.getInteger("eventBusPort", 0)).setClusterPublicHost(host));
    io.vertx.core.VertxBuilder builder = metrics == null ? Vertx.builder().with(options) : metrics.apply(Vertx.builder(), options);
    return builder.withClusterManager(new HazelcastClusterManager(hz)).buildClustered()
        .toCompletionStage().toCompletableFuture().get();
  }

  static Config hazelcastConfig(JsonObject c) {
    Config hz;
    try (InputStream in = ClusterSupport.class.getResourceAsStream("/cluster/hazelcast.xml")) {
      if (in == null) {
        throw new IllegalStateException("cluster/hazelcast.xml is missing from the classpath");
      }
      hz = Config.loadFromStream(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String host = c.getString("host", "127.0.0.1");
    hz.setClusterName(c.getString("name", "chat-server"));
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(c.getInteger("port", 5701)).setPortAutoIncrement(true);
    net.getInterfaces().setEnabled(true).clear().addInterface(host);
    net.setPublicAddress(host + ":" + net.getPort());
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(members(c.getValue("members")));
    hz.setProperty("hazelcast.local.localAddress", host);
    return hz;
  }

  static List<String> members(Object v) {
    List<String> out = new ArrayList<>();
    if (v instanceof String s) {
      for (String m : s.split(",")) {
        if (!m.isBlank()) {
          out.add(m.trim());
        }
      }
    } else if (v instanceof io.vertx.core.json.JsonArray a) {
      a.forEach(x -> out.add(String.valueOf(x)));
    }
    if (out.isEmpty()) {
      out.add("127.0.0.1");
    }
    return out;
  }
}
