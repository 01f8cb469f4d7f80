package io.chatserver.inference.model;

import com.sun.jna.Library;
import com.sun.jna.Native;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands freed native memory back to the system where the C library is glibc. Loading a model
 * frees many float32 temporaries (each tensor as read, before its cast, fusion or packing) between
 * the weights that stay; glibc keeps such holes in its heap and the process's resident memory
 * stays at the loader's high-water mark. {@code malloc_trim} returns every free page of its heaps.
 * Elsewhere (musl, macOS) it does nothing.
 */
final class NativeMemory {
  private static final Logger log = LoggerFactory.getLogger(NativeMemory.class);

  /** The one glibc function used. */
  private interface LibC extends Library {
    int malloc_trim(long pad);
  }

  private static final LibC LIBC = open();

  private NativeMemory() {}

  private static LibC open() {
    try {
      return Native.load("c", LibC.class);
    } catch (Throwable e) { // no JNA native, no libc by that name: nothing to trim
      return null;
    }
  }

  /** Returns the allocator's free pages to the system; true when it did so. */
  static boolean trim() {
    if (LIBC == null) {
      return false;
    }
    try {
      return LIBC.malloc_trim(0) == 1;
    } catch (UnsatisfiedLinkError e) { // a C library without malloc_trim
      log.debug("malloc_trim is not there: {}", e.getMessage());
      return false;
    }
  }
}
