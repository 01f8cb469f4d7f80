package io.chatserver.generation;

/** A follow of a job (see {@link GenerationService#follow}); cancelling stops the deliveries (the job goes on). */
@FunctionalInterface
public interface Following {
  void cancel();
}
