package io.chatserver;

/**
 * Keeps every process of ours off the network at start-up: DJL must never look up its cloud
 * metadata address or download native libraries. Called before anything can touch DJL.
 */
public final class Offline {

  private Offline() {}

  public static void enforce() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("DJL_OFFLINE", "true");
  }
}
