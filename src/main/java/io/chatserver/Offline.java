package io.chatserver;

/**
 * Keeps every process of ours off the network at start-up: DJL must never look up its cloud
 * metadata address or download native libraries. Called before anything can touch DJL. A GPU host
 * points DJL at a local CUDA libtorch with DJL's own variables (PYTORCH_LIBRARY_PATH,
 * PYTORCH_VERSION, PYTORCH_FLAVOR), or opts in to one download with MODEL_ALLOW_NATIVE_DOWNLOAD=true.
 */
public final class Offline {

  private Offline() {}

  public static void enforce() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("DJL_OFFLINE", "true");
  }

  /** The environment variable that lets DJL download its CUDA native once (off unless set to true). */
  public static final String ALLOW_NATIVE_DOWNLOAD = "MODEL_ALLOW_NATIVE_DOWNLOAD";

  /**
   * The server's own start: offline, unless an operator opted in to let DJL fetch its matching
   * native library (a CUDA build, chosen by PYTORCH_FLAVOR) once; never any usage tracking.
   */
  public static void forServer(java.util.Map<String, String> env) {
    enforce();
    if ("true".equalsIgnoreCase(env.get(ALLOW_NATIVE_DOWNLOAD))) {
      System.setProperty("ai.djl.offline", "false");
      System.setProperty("DJL_OFFLINE", "false");
    }
  }
}
