// The output pass of scope (scope.toml).
//
// Persistence is the previous frame (u_prev) decaying like phosphor (green lasts longest); the
// new trace is drawn with a lighten blend so the screen never saturates.
#include "scene_kit.glsl"
#include "scope_ring.glsl"

uniform float p_hue = 0.35;          // trace colour (palette position), 0..1
uniform float p_persistence_s = 0.35;// phosphor fade time constant, seconds
uniform float p_intensity = 1.0;     // trace brightness

const int K = 2;        // ring: segments either side of the pixel's own that can reach it
const int STRIDE = 4;   // ring: every 4th sample (128 points round), a cleaner closed curve

float wave(int i) {
    return texelFetch(u_waveform, ivec2(clamp(i, 0, 511), 0), 0).r;
}

float seg_dist(vec2 p, vec2 a, vec2 b) {
    vec2 pa = p - a, ba = b - a;
    float h = clamp(dot(pa, ba) / max(dot(ba, ba), 1e-9), 0.0, 1.0);
    return length(pa - ba * h);
}

// Distance to the waveform wrapped round a circle of radius R. The amplitude is windowed to zero
// at the seam (the bottom) so the closed trace has no jump between the last and first sample.
// Directions advance by a fixed rotation per point (no trig inside the loop: llvmpipe pays
// dearly for sin/cos).
float ring_trace(vec2 p, float R, float amp, float spin) {
    const float POINTS = 512.0 / float(STRIDE);
    float a = fract((sc_atan2(p.x, -p.y) + spin) / SC_TAU);   // 0..1 from the bottom
    int c = int(a * POINTS);
    float turns0 = float(c - K) / POINTS - spin / SC_TAU;
    vec2 dir = vec2(sc_sin_turns(turns0), -sc_cos_turns(turns0));
    mat2 stepRot = sc_rot(SC_TAU / POINTS);   // dir(t) turns counter-clockwise as t grows
    float best = 1e9;
    vec2 prevPt = vec2(0.0);
    for (int k = -K; k <= K; k++) {
        int i = c + k;
        float t = clamp(float(i) / POINTS, 0.0, 1.0);
        float win = 4.0 * t * (1.0 - t);    // parabolic window, zero at the seam
        vec2 pt = (R + amp * win * wave(i * STRIDE)) * dir;
        if (k > -K) best = min(best, seg_dist(p, prevPt, pt));
        prevPt = pt;
        dir = stepRot * dir;
    }
    return best;
}

// Distance to the classic horizontal trace across the full width: the two segments either side
// of this pixel's sample (three reads; at 720p a sample is ~2.5 px wide).
float line_trace(vec2 p, float y0, float amp, float halfWidth) {
    float x01 = (p.x + halfWidth) / (2.0 * halfWidth);
    int c = int(x01 * 511.0 + 0.5);
    float dx = 2.0 * halfWidth / 511.0;
    vec2 a = vec2(-halfWidth + float(c - 1) * dx, y0 + amp * wave(c - 1));
    vec2 b = vec2(-halfWidth + float(c) * dx, y0 + amp * wave(c));
    vec2 d = vec2(-halfWidth + float(c + 1) * dx, y0 + amp * wave(c + 1));
    return min(seg_dist(p, a, b), seg_dist(p, b, d));
}

// Beam profile: a one-pixel AA core plus a glow that reaches exactly zero at REACH, so the
// early-out bands never show as edges.
float beam(float d, float width, float glowR) {
    float px = 1.0 / u_resolution.y;
    float core = clamp((width + 0.5 * px - d) / px, 0.0, 1.0);
    float g = max(0.0, 1.0 - d / REACH);
    return core + g * g * glowR / (glowR + d);
}

void main() {
    vec2 aspect = vec2(u_aspect, 1.0);
    vec2 p = (v_uv - 0.5) * aspect;

    // Phosphor: red and blue fade faster than green, so afterglow turns toward green-cyan.
    vec3 prev = texelFetch(u_prev, ivec2(gl_FragCoord.xy), 0).rgb;  // 1:1, no filtering needed
    vec3 tau = max(p_persistence_s, 0.02) * vec3(0.6, 1.0, 0.8);
    prev /= 1.0 + u_dt / tau;   // one-step decay: exp() per channel costs more than it adds

    // Ring radius kicks out on the beat and swells with the bass; slow spin keyed to the bar.
    float R = scope_ring_radius();
    float spin = SC_TAU * 0.25 * (u_bar_count + sc_ease_out(u_bar_phase * 1.5));
    float amp = scope_ring_amp();
    // Only pixels near a trace walk the samples: most of the frame is far from both.
    vec2 pr = p - SCOPE_RING_CENTRE;   // the ring sits above the horizon trace
    float r = length(pr);
#ifdef REACTOR_OUTSIDE_REGION
    float dr = 1.0;  // outside the ring's square (scope_region.frag) the ring lights nothing
#else
    float dr = abs(r - R) < amp + REACH ? ring_trace(pr, R, amp, spin) : 1.0;
#endif
    float lineAmp = 0.1 * p_gain;
    float dl = abs(p.y + 0.36) < lineAmp + REACH ? line_trace(p, -0.36, lineAmp, 0.5 * u_aspect) : 1.0;

    // Beam: a hairline core plus a glow measured in frame heights; onsets thicken it.
    float width = 0.0012 + 0.0015 * u_onset;
    float beamR = beam(dr, width, 0.003 + 0.004 * u_beat_pulse) * 1.2;
    float beamL = beam(dl, width, 0.003) * 0.9;

    float energy = (0.5 + 0.7 * u_level) * p_intensity;
    vec3 ringCol = sc_neon(0.0 + 0.15 * u_brightness, p_hue);
    vec3 lineCol = sc_neon(0.3 + 0.15 * u_brightness, p_hue);
    vec3 trace = (ringCol * beamR + lineCol * beamL * 0.7) * energy;
    // Graticule: a faint fixed grid, like the glass of a real scope.
    vec2 g = abs(fract(p / 0.1 + 0.5) - 0.5) * 0.1 * u_resolution.y;   // pixels to the grid line
    float grid = clamp(1.0 - min(g.x, g.y), 0.0, 1.0) * 0.05;
    // max(), not +: anything added here would pile up through the feedback every frame.
    vec3 col = max(max(prev, sc_tonemap(trace)), vec3(0.2, 0.5, 0.4) * grid);
    fragColor = vec4(clamp(col, 0.0, 1.0), 1.0);
}
