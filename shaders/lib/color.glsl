// color.glsl: cosine palettes (after Inigo Quilez's notes), HSV, sRGB <-> linear, luma.
// Blend and blur in linear light; scenes output sRGB-encoded colour.

// a + b * cos(TAU * (c * t + d)): smooth palettes from four vec3s.
vec3 palette(float t, vec3 a, vec3 b, vec3 c, vec3 d) {
    return a + b * cos(6.28318530718 * (c * t + d));
}

// A few ready palettes, t in 0..1 (wraps).
vec3 palette_sunset(float t) { return palette(t, vec3(0.5), vec3(0.5), vec3(1.0), vec3(0.0, 0.10, 0.20)); }
vec3 palette_neon(float t) { return palette(t, vec3(0.5), vec3(0.5), vec3(1.0, 1.0, 0.5), vec3(0.8, 0.9, 0.3)); }
vec3 palette_ocean(float t) { return palette(t, vec3(0.5), vec3(0.5), vec3(1.0), vec3(0.3, 0.2, 0.2)); }
vec3 palette_fire(float t) { return palette(t, vec3(0.5, 0.3, 0.2), vec3(0.5, 0.4, 0.3), vec3(1.0, 0.8, 0.6), vec3(0.0, 0.1, 0.2)); }

vec3 hsv2rgb(vec3 c) {
    vec3 p = abs(fract(c.xxx + vec3(0.0, 2.0 / 3.0, 1.0 / 3.0)) * 6.0 - 3.0);
    return c.z * mix(vec3(1.0), clamp(p - 1.0, 0.0, 1.0), c.y);
}

vec3 rgb2hsv(vec3 c) {
    vec4 K = vec4(0.0, -1.0 / 3.0, 2.0 / 3.0, -1.0);
    vec4 p = mix(vec4(c.bg, K.wz), vec4(c.gb, K.xy), step(c.b, c.g));
    vec4 q = mix(vec4(p.xyw, c.r), vec4(c.r, p.yzx), step(p.x, c.r));
    float d = q.x - min(q.w, q.y);
    return vec3(abs(q.z + (q.w - q.y) / (6.0 * d + 1e-10)), d / (q.x + 1e-10), q.x);
}

// Exact piecewise sRGB transfer functions.
vec3 srgb_to_linear(vec3 c) {
    c = max(c, 0.0);
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c));
}

vec3 linear_to_srgb(vec3 c) {
    c = max(c, 0.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}

// Rec. 709 luma of linear RGB.
float luma(vec3 linear_rgb) { return dot(linear_rgb, vec3(0.2126, 0.7152, 0.0722)); }

// Soft shoulder: identity below 0.8, then an exponential roll-off toward 1 with matching slope,
// so bright additions (glow, flashes) never clip hard.
vec3 soft_clip(vec3 x) {
    x = max(x, 0.0);
    return mix(x, 1.0 - 0.2 * exp(-(x - 0.8) / 0.2), step(0.8, x));
}
