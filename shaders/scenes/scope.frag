// @description Phosphor oscilloscope: the live waveform drawn as a glowing ring and a horizon trace, with fading persistence
// @image false
// @feedback true
//
// Persistence is the previous frame (u_prev) decaying like phosphor (green lasts longest); the
// new trace is drawn with a lighten blend so the screen never saturates.
#include "scene_kit.glsl"

uniform float p_hue = 0.35;          // trace colour (palette position), 0..1
uniform float p_gain = 1.0;          // trace amplitude
uniform float p_persistence_s = 0.35;// phosphor fade time constant, seconds
uniform float p_intensity = 1.0;     // trace brightness

const int K = 2;   // samples either side of the pixel's own sample that can reach it

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
// Directions advance by a fixed rotation per sample (no trig inside the loop: llvmpipe pays
// dearly for sin/cos).
float ring_trace(vec2 p, float R, float amp, float spin) {
    float a = fract((atan(p.x, -p.y) + spin) / SC_TAU);   // 0..1 from the bottom
    int c = int(a * 511.0);
    float ang0 = float(c - K) / 511.0 * SC_TAU - spin;
    vec2 dir = vec2(sc_sin_turns(ang0 / SC_TAU), -sc_cos_turns(ang0 / SC_TAU));
    mat2 stepRot = sc_rot(-SC_TAU / 511.0);
    float best = 1e9;
    vec2 prevPt = vec2(0.0);
    for (int k = -K; k <= K; k++) {
        int i = c + k;
        float t = clamp(float(i) / 511.0, 0.0, 1.0);
        float win = 4.0 * t * (1.0 - t);    // parabolic window, zero at the seam
        vec2 pt = (R + amp * win * wave(i)) * dir;
        if (k > -K) best = min(best, seg_dist(p, prevPt, pt));
        prevPt = pt;
        dir = stepRot * dir;
    }
    return best;
}

// Distance to the classic horizontal trace across the full width: the vertical gap to the
// (linearly interpolated) waveform divided by the slope factor, two texture reads per pixel.
float line_trace(vec2 p, float y0, float amp, float halfWidth) {
    float x01 = (p.x + halfWidth) / (2.0 * halfWidth);
    float u = clamp(x01, 0.0, 1.0) * (511.0 / 512.0) + 0.5 / 512.0;
    float du = 1.0 / 512.0;
    float w0 = textureLod(u_waveform, vec2(u, 0.5), 0.0).r;
    float w1 = textureLod(u_waveform, vec2(u + du, 0.5), 0.0).r;
    float slope = amp * (w1 - w0) / (2.0 * halfWidth * du);   // dy/dx in frame heights
    return abs(p.y - (y0 + amp * w0)) / sqrt(1.0 + slope * slope);
}

void main() {
    vec2 aspect = vec2(u_aspect, 1.0);
    vec2 p = (v_uv - 0.5) * aspect;

    // Phosphor: red and blue fade faster than green, so afterglow turns toward green-cyan.
    vec3 prev = texture(u_prev, v_uv).rgb;
    vec3 tau = max(p_persistence_s, 0.02) * vec3(0.6, 1.0, 0.8);
    prev /= 1.0 + u_dt / tau;   // one-step decay: exp() per channel costs more than it adds

    // Ring radius kicks out on the beat and swells with the bass; slow spin keyed to the bar.
    float R = 0.24 + 0.05 * u_bass_env + 0.03 * u_beat_pulse;
    float spin = SC_TAU * 0.25 * (u_bar_count + sc_ease_out(u_bar_phase * 1.5));
    float amp = 0.14 * p_gain * (0.6 + 0.8 * u_level);
    // Only pixels near a trace walk the samples: most of the frame is far from both.
    float reach = 0.03;
    float r = length(p);
    float dr = abs(r - R) < amp + reach ? ring_trace(p, R, amp, spin) : 1.0;
    float lineAmp = 0.1 * p_gain;
    float dl = abs(p.y + 0.36) < lineAmp + reach ? line_trace(p, -0.36, lineAmp, 0.5 * u_aspect) : 1.0;

    // Beam: a hairline core plus a glow measured in frame heights.
    float px = 1.0 / u_resolution.y;
    float width = 0.0015 + 0.0015 * u_onset;
    float beamR = clamp((width + px * 0.5 - dr) / px, 0.0, 1.0) + 0.6 * sc_glow(dr, 0.004 + 0.006 * u_beat_pulse);
    float beamL = clamp((width + px * 0.5 - dl) / px, 0.0, 1.0) + 0.5 * sc_glow(dl, 0.004);

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
