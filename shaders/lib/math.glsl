// math.glsl: constants, rotation, remapping, easing and anti-aliased steps.
// Units: angles in radians; "px" helpers use fwidth so edges stay one pixel soft at any size.

const float PI = 3.14159265358979;
const float TAU = 6.28318530717959;

// 2D rotation matrix (counter-clockwise by a radians).
mat2 rot2(float a) {
    float c = cos(a), s = sin(a);
    return mat2(c, s, -s, c);
}

float saturate(float x) { return clamp(x, 0.0, 1.0); }
vec3 saturate(vec3 x) { return clamp(x, 0.0, 1.0); }

// Map x from [a, b] to [c, d] (unclamped).
float remap(float x, float a, float b, float c, float d) { return c + (x - a) * (d - c) / (b - a); }

float ease_out_cubic(float t) { t = saturate(t); return 1.0 - pow(1.0 - t, 3.0); }
float ease_in_out_sine(float t) { return 0.5 - 0.5 * cos(PI * saturate(t)); }
float ease_out_expo(float t) { t = saturate(t); return t >= 1.0 ? 1.0 : 1.0 - exp2(-10.0 * t); }

// Impulse that jumps to 1 at phase 0 and decays exponentially; k = decay rate per unit phase.
float punch(float phase, float k) { return exp(-k * fract(phase)); }

// Anti-aliased step: 0 below edge, 1 above, one screen pixel of transition.
float aastep(float edge, float x) {
    float w = max(fwidth(x), 1e-6);
    return smoothstep(edge - 0.5 * w, edge + 0.5 * w, x);
}

// Anti-aliased fill of a signed distance field (inside where d < 0).
float aafill(float d) {
    float w = max(fwidth(d), 1e-6);
    return 1.0 - smoothstep(-0.5 * w, 0.5 * w, d);
}

// Anti-aliased line of half-width hw around d = 0.
float aaline(float d, float hw) { return aafill(abs(d) - hw); }

// Centred coordinates in frame-height units: (0,0) mid-frame, y up, |y| <= 0.5.
vec2 centered_uv(vec2 uv, float aspect) { return vec2((uv.x - 0.5) * aspect, uv.y - 0.5); }

// Inverse of centered_uv.
vec2 uncentered_uv(vec2 p, float aspect) { return vec2(p.x / aspect + 0.5, p.y + 0.5); }
