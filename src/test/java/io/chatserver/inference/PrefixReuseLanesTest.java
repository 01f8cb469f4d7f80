package io.chatserver.inference;

/** Every prefix-reuse test with the KV cache split over two lanes: a reused prefix is copied in each lane's own cache. */
class PrefixReuseLanesTest extends PrefixReuseTest {

  @Override
  int lanes() {
    return 2;
  }
}
