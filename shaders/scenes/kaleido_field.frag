// Pass 1 of kaleido (half resolution): the ink field. r = the field f (0..1), g = the strength of
// its first warp, |w1|, which tints the palette.
#include "kaleido.glsl"

void main() {
    KaleidoFold k = kaleido_fold(v_uv);

    // The pattern streams outward: a translation along the wedge axis that advances on each beat
    // (eased) plus a slow drift, so motion reads as musical, never as jitter.
    float stream = 0.35 * (u_beat_count + sc_ease_out(u_beat_phase * 2.0)) + 0.1 * u_time;
    vec2 s = k.q * 3.2 - vec2(stream, 0.0);

    // Two-level domain warp of fbm: ink-like filaments. Warp strength breathes with the mids.
    float t = 0.15 * u_time;
    // The warp field only needs its broad shapes: two octaves each (noise is the main cost).
    vec2 w1 = vec2(sc_fbm(s + vec2(0.0, t), 2), sc_fbm(s + vec2(5.2, 1.3 - t), 2));
    float warp = 2.2 + 1.2 * u_mid_env;
    float f = sc_fbm(s + warp * w1 + vec2(1.7, 9.2), 4);
    fragColor = vec4(f, length(w1), 0.0, 1.0);
}
