package io.chatserver.generation;

import java.util.UUID;

/**
 * What the rest of the server may hold of a job: an immutable reference, fixed once a worker
 * accepted the job. The job's changing state stays on the generation service's context; it is
 * read through {@link GenerationService#snapshot} and followed through {@link GenerationService#follow}.
 *
 * @param messageId   the assistant message the text is saved into (null for jobs saved in no chat)
 * @param baseContent text the saved message had before this job (a continued answer), "" otherwise
 */
public record JobRef(String id, UUID userId, String model, UUID messageId, String baseContent) {}
