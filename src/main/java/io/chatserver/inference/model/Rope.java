package io.chatserver.inference.model;

/**
 * One rotary position embedding as Hugging Face's {@code modeling_rope_utils} computes it: the
 * inverse frequencies of {@code type} ({@code default}, {@code linear}, {@code llama3},
 * {@code longrope}) in float32 as torch does, cos/sin in the rotate-half layout, times the
 * attention factor. LongRoPE has two sets: the short factors while a sequence is within
 * {@code originalMax} positions, the long ones once it is longer (decided per forward pass, as
 * transformers does from the longest position of the pass). {@code factors} divides each frequency
 * by its own factor (a GGUF file's {@code rope_freqs}, held in {@code longFactor}).
 */
public record Rope(String type, double theta, double factor, double lowFreqFactor, double highFreqFactor, int originalMax,
                   double[] shortFactor, double[] longFactor, double attentionFactor) {

  public static Rope standard(double theta) {
    return new Rope("default", theta, 1, 0, 0, 0, null, null, 1.0);
  }

  public boolean hasLong() {
    return "longrope".equals(type);
  }

  /** Inverse frequencies (float32, as torch computes them); {@code useLong} picks LongRoPE's long factors. */
  float[] inverseFrequencies(int headDim, boolean useLong) {
    int half = headDim / 2;
    float[] inv = new float[half];
    for (int i = 0; i < half; i++) {
      float exponent = (float) (2 * i) / (float) headDim;
      float base = (float) Math.pow(theta, exponent);
      inv[i] = 1.0f / base;
    }
    switch (type) {
      case "linear" -> {
        for (int i = 0; i < half; i++) {
          inv[i] = (float) (inv[i] / factor);
        }
      }
      case "llama3" -> {
        double lowWavelen = originalMax / lowFreqFactor;
        double highWavelen = originalMax / highFreqFactor;
        for (int i = 0; i < half; i++) {
          float f = inv[i];
          float wavelen = (float) (2 * Math.PI / f);
          if (wavelen > lowWavelen) {
            inv[i] = (float) (f / factor);
          } else if (wavelen >= highWavelen) {
            float smooth = (float) ((originalMax / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor));
            inv[i] = (float) ((1 - smooth) * f / factor + smooth * f);
          }
        }
      }
      case "longrope" -> {
        double[] ext = useLong ? longFactor : shortFactor;
        for (int i = 0; i < half; i++) {
          float exponent = (float) (2 * i) / (float) headDim;
          inv[i] = (float) (1.0 / (float) ((float) ext[i] * (float) Math.pow(theta, exponent)));
        }
      }
      case "factors" -> {
        for (int i = 0; i < half; i++) {
          inv[i] = (float) (inv[i] / longFactor[i]); // llama.cpp's rope_freqs: a divisor per frequency
        }
      }
      default -> { }
    }
    return inv;
  }

  /**
   * cos and sin tables [positions, headDim] for positions 0..context-1 (and, for LongRoPE, the
   * long-factor tables after them: rows context..2*context-1).
   */
  float[][] tables(int headDim, int context) {
    int sets = hasLong() ? 2 : 1;
    int half = headDim / 2;
    float[] c = new float[sets * context * headDim];
    float[] s = new float[sets * context * headDim];
    float scale = (float) attentionFactor;
    for (int set = 0; set < sets; set++) {
      float[] inv = inverseFrequencies(headDim, set == 1);
      for (int p = 0; p < context; p++) {
        int row = (set * context + p) * headDim;
        for (int i = 0; i < half; i++) {
          float angle = inv[i] * (float) p;
          float cv = (float) Math.cos(angle) * scale;
          float sv = (float) Math.sin(angle) * scale;
          c[row + i] = cv;
          c[row + i + half] = cv;
          s[row + i] = sv;
          s[row + i + half] = sv;
        }
      }
    }
    return new float[][] {c, s};
  }
}
