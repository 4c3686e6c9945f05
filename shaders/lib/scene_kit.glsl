// scene_kit.glsl: small helpers shared by the abstract scenes (tunnel, kaleido, flow, rings,
// trails, scope, raymarch, fractal). Every name starts with sc_ so it can never collide with
// the render core's noise/color/math/image libraries when a scene includes both.
#ifndef SCENE_KIT_GLSL
#define SCENE_KIT_GLSL

const float SC_PI = 3.14159265359;
const float SC_TAU = 6.28318530718;

// Fast sine/cosine (max error about 0.001): llvmpipe evaluates sin/cos/exp/pow as long
// polynomials per pixel, so palettes and rotations use these parabolic approximations instead.
// Arguments in turns (1.0 = one full cycle).
vec3 sc_sin_turns(vec3 t) {
    t -= floor(t + 0.5);                 // -0.5 .. 0.5
    vec3 y = 8.0 * t - 16.0 * t * abs(t);
    return 0.225 * (y * abs(y) - y) + y;
}
float sc_sin_turns(float t) {
    t -= floor(t + 0.5);
    float y = 8.0 * t - 16.0 * t * abs(t);
    return 0.225 * (y * abs(y) - y) + y;
}
vec3 sc_cos_turns(vec3 t) { return sc_sin_turns(t + 0.25); }
float sc_cos_turns(float t) { return sc_sin_turns(t + 0.25); }

// atan(y, x) in radians, -pi..pi, like the built-in (max error 1.2e-5 rad, 0.01 px at a frame
// height from the centre of a 720p frame). The built-in costs about 1.2 ms a 720p frame on
// llvmpipe; this is one division, an odd degree-9 polynomial on the octant and three selects.
// Coefficients: a Lawson (iteratively reweighted) minimax fit of atan on [0, 1].
float sc_atan2(float y, float x) {
    vec2 a = abs(vec2(x, y));
    float t = min(a.x, a.y) / max(max(a.x, a.y), 1e-30);
    float s = t * t;
    float r = t * (0.99986633 + s * (-0.33030478 + s * (0.18015921 + s * (-0.08515619 + s * 0.02084502))));
    r = a.y > a.x ? 1.57079633 - r : r;
    r = x < 0.0 ? SC_PI - r : r;
    return y < 0.0 ? -r : r;
}

// Integer-free hashes (Dave Hoskins style): stable across drivers, no sin() precision issues.
float sc_hash12(vec2 p) {
    vec3 p3 = fract(vec3(p.xyx) * 0.1031);
    p3 += dot(p3, p3.yzx + 33.33);
    return fract((p3.x + p3.y) * p3.z);
}

float sc_hash11(float p) {
    p = fract(p * 0.1031);
    p *= p + 33.33;
    p *= p + p;
    return fract(p);
}

vec2 sc_hash22(vec2 p) {
    vec3 p3 = fract(vec3(p.xyx) * vec3(0.1031, 0.1030, 0.0973));
    p3 += dot(p3, p3.yzx + 33.33);
    return fract((p3.xx + p3.yz) * p3.zy);
}

// Value noise in -1..1 with its analytic gradient in .yz (quintic fade, so the gradient is
// continuous: curl fields built from it have no creases).
vec3 sc_noised(vec2 p) {
    vec2 i = floor(p);
    vec2 f = fract(p);
    vec2 u = f * f * f * (f * (f * 6.0 - 15.0) + 10.0);
    vec2 du = 30.0 * f * f * (f * (f - 2.0) + 1.0);
    float a = sc_hash12(i);
    float b = sc_hash12(i + vec2(1.0, 0.0));
    float c = sc_hash12(i + vec2(0.0, 1.0));
    float d = sc_hash12(i + vec2(1.0, 1.0));
    float k1 = b - a, k2 = c - a, k4 = a - b - c + d;
    float v = a + k1 * u.x + k2 * u.y + k4 * u.x * u.y;
    vec2 g = du * vec2(k1 + k4 * u.y, k2 + k4 * u.x);
    return vec3(2.0 * v - 1.0, 2.0 * g);
}

float sc_noise(vec2 p) {
    vec2 i = floor(p);
    vec2 f = fract(p);
    vec2 u = f * f * (3.0 - 2.0 * f);
    float a = sc_hash12(i);
    float b = sc_hash12(i + vec2(1.0, 0.0));
    float c = sc_hash12(i + vec2(0.0, 1.0));
    float d = sc_hash12(i + vec2(1.0, 1.0));
    return mix(mix(a, b, u.x), mix(c, d, u.x), u.y);
}

// Fractal sum of value noise, 0..1; octaves is a small compile-time-ish loop bound.
float sc_fbm(vec2 p, int octaves) {
    float sum = 0.0, amp = 0.5, norm = 0.0;
    // Rotating each octave hides the value-noise grid.
    mat2 m = mat2(1.6, 1.2, -1.2, 1.6);
    for (int i = 0; i < octaves; i++) {
        sum += amp * sc_noise(p);
        norm += amp;
        p = m * p + 17.0;
        amp *= 0.5;
    }
    return sum / norm;
}

// Inigo Quilez's cosine palette: a + b * cos(2 pi (c t + d)).
vec3 sc_palette(float t, vec3 a, vec3 b, vec3 c, vec3 d) {
    return a + b * sc_cos_turns(c * t + d);
}

// The house neon palette, rotated by hue (0..1).
vec3 sc_neon(float t, float hue) {
    return sc_palette(t, vec3(0.5), vec3(0.5), vec3(1.0), vec3(0.0, 0.33, 0.67) + hue);
}

// Rotation by a radians (fast trig: an angle error of 0.001 is invisible).
mat2 sc_rot(float a) {
    float t = a * (1.0 / SC_TAU);
    float c = sc_cos_turns(t), s = sc_sin_turns(t);
    return mat2(c, s, -s, c);
}

// A soft glow falloff without exp(): 1 at d = 0, half at d = radius.
float sc_glow(float d, float radius) {
    float x = d / radius;
    return 1.0 / (1.0 + x * x);
}

// Beat accents: 1 on the beat, exponential decay; k is decays per unit of phase.
float sc_punch(float phase, float k) {
    return exp(-k * phase);
}

// Ease-out cubic for phase-driven moves that land softly.
float sc_ease_out(float x) {
    x = clamp(x, 0.0, 1.0);
    return 1.0 - (1.0 - x) * (1.0 - x) * (1.0 - x);
}

// Coverage of a band of half-width w around a signed distance d, anti-aliased over one pixel.
float sc_band(float d, float w) {
    float aa = max(fwidth(d), 1e-5);
    return clamp((w - abs(d)) / aa + 0.5, 0.0, 1.0);
}

// Linear-light to display sRGB with a soft shoulder so bright accents roll off, never clip hard.
// Written without pow/exp: on llvmpipe (the CPU rasterizer) transcendentals dominate the cost of
// a simple scene, while sqrt and division are cheap.
vec3 sc_tonemap(vec3 lin) {
    // Identity below 0.6, then a rational shoulder with matching slope that approaches 1.
    vec3 l = max(lin, 0.0);
    vec3 y = max(l - 0.6, 0.0) / 0.4;
    vec3 x = min(l, 0.6) + 0.4 * y / (1.0 + y);
    // sRGB encode approximated from square roots (max error about 0.3/255 above 0.0031).
    vec3 s1 = sqrt(x), s2 = sqrt(s1), s3 = sqrt(s2);
    vec3 enc = 0.662002687 * s1 + 0.684122060 * s2 - 0.323583601 * s3 - 0.0225411470 * x;
    return clamp(mix(x * 12.92, enc, step(0.0031308, x)), 0.0, 1.0);
}

// Spectrum sampled at log-frequency position x in 0..1 (bilinear between bins).
float sc_spectrum(sampler2D spec, float x) {
    // textureLod: no mip chain here, and skipping the implicit LOD saves work on llvmpipe.
    return textureLod(spec, vec2(clamp(x, 0.0, 1.0) * (63.0 / 64.0) + 0.5 / 64.0, 0.5), 0.0).r;
}

#endif
