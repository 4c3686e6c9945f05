// noise.glsl: hashes, value noise, simplex noise and fbm. Deterministic on every driver
// (integer hashing, no sin-based hash), so renders are the same run to run.

uint _pcg(uint v) {
    uint state = v * 747796405u + 2891336453u;
    uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// One PCG round over the lattice point mixed with two odd constants: one hash per lookup keeps
// noise cheap on CPU rasterizers (llvmpipe), where integer hashing dominates the cost.
uint _lattice(vec2 p) {
    uvec2 q = uvec2(ivec2(floor(p)) + 32768);
    return _pcg(q.x * 1597334677u ^ q.y * 3812015801u);
}

// Hash of an integer lattice point to [0, 1).
float hash12(vec2 p) { return float(_lattice(p)) * (1.0 / 4294967296.0); }

float hash13(vec3 p) {
    uvec3 q = uvec3(ivec3(floor(p)) + 32768);
    return float(_pcg(q.x * 1597334677u ^ q.y * 3812015801u ^ q.z * 2798796415u)) * (1.0 / 4294967296.0);
}

// Two hashes in [0, 1) from one 32-bit hash (16 bits each: plenty for gradients).
vec2 hash22(vec2 p) {
    uint h = _lattice(p);
    return vec2(float(h & 0xFFFFu), float(h >> 16u)) * (1.0 / 65536.0);
}

// Value noise in [0, 1], C2-smooth interpolation.
float value_noise(vec2 p) {
    vec2 i = floor(p), f = fract(p);
    vec2 u = f * f * f * (f * (f * 6.0 - 15.0) + 10.0);
    float a = hash12(i), b = hash12(i + vec2(1, 0)), c = hash12(i + vec2(0, 1)), d = hash12(i + vec2(1, 1));
    return mix(mix(a, b, u.x), mix(c, d, u.x), u.y);
}

float value_noise(vec3 p) {
    vec3 i = floor(p), f = fract(p);
    vec3 u = f * f * (3.0 - 2.0 * f);
    float n000 = hash13(i), n100 = hash13(i + vec3(1, 0, 0));
    float n010 = hash13(i + vec3(0, 1, 0)), n110 = hash13(i + vec3(1, 1, 0));
    float n001 = hash13(i + vec3(0, 0, 1)), n101 = hash13(i + vec3(1, 0, 1));
    float n011 = hash13(i + vec3(0, 1, 1)), n111 = hash13(i + vec3(1, 1, 1));
    return mix(mix(mix(n000, n100, u.x), mix(n010, n110, u.x), u.y),
               mix(mix(n001, n101, u.x), mix(n011, n111, u.x), u.y), u.z);
}

// 2D simplex noise in about [-1, 1].
float simplex(vec2 p) {
    const float F2 = 0.366025403784, G2 = 0.211324865405;
    vec2 i = floor(p + (p.x + p.y) * F2);
    vec2 x0 = p - i + (i.x + i.y) * G2;
    vec2 o = x0.x > x0.y ? vec2(1, 0) : vec2(0, 1);
    vec2 x1 = x0 - o + G2, x2 = x0 - 1.0 + 2.0 * G2;
    vec3 w = max(0.5 - vec3(dot(x0, x0), dot(x1, x1), dot(x2, x2)), 0.0);
    vec2 g0 = hash22(i) * 2.0 - 1.0, g1 = hash22(i + o) * 2.0 - 1.0, g2 = hash22(i + 1.0) * 2.0 - 1.0;
    vec3 n = vec3(dot(g0, x0), dot(g1, x1), dot(g2, x2));
    w *= w;
    return 90.0 * dot(w * w, n);
}

// Fractal sum of simplex noise, `octaves` <= 8, roughly [-1, 1].
float fbm(vec2 p, int octaves) {
    float sum = 0.0, amp = 0.5;
    mat2 m = mat2(1.6, 1.2, -1.2, 1.6);  // rotate+scale between octaves hides lattice artefacts
    for (int i = 0; i < 8; i++) {
        if (i >= octaves) break;
        sum += amp * simplex(p);
        p = m * p;
        amp *= 0.5;
    }
    return sum;
}

float fbm(vec2 p) { return fbm(p, 5); }

// Divergence-free 2D flow (curl of a noise potential); magnitude about 0..3.
vec2 curl_noise(vec2 p) {
    const float e = 0.01;
    float n1 = fbm(p + vec2(0, e), 3), n2 = fbm(p - vec2(0, e), 3);
    float n3 = fbm(p + vec2(e, 0), 3), n4 = fbm(p - vec2(e, 0), 3);
    return vec2(n1 - n2, n4 - n3) / (2.0 * e);
}
