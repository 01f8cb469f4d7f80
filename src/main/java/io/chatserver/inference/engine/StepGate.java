package io.chatserver.inference.engine;

/**
 * Paces a scheduler's decode steps: asked before each step while sequences run. The server's gate
 * is always open; a test can hold steps (and let a few through) so that what it checks never
 * depends on how fast the machine is.
 */
@FunctionalInterface
public interface StepGate {

  /** Whether a decode step may run now; may wait up to {@code waitMs} first (the scheduler asks again after other work). */
  boolean mayStep(long waitMs) throws InterruptedException;

  StepGate OPEN = waitMs -> true;
}
