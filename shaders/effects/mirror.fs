/*{
    "DESCRIPTION": "Folds the picture into mirrored segments around the centre",
    "CREDIT": "reactor",
    "ISFVSN": "2",
    "CATEGORIES": ["Stylize"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "segments", "TYPE": "float", "DEFAULT": 6.0, "MIN": 2.0, "MAX": 12.0},
        {"NAME": "amount", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0, "IDENTITY": 0.0},
        {"NAME": "spin", "TYPE": "float", "DEFAULT": 0.0, "MIN": -1.0, "MAX": 1.0}
    ]
}*/

const float TAU = 6.28318530718;

// atan, sin and cos by short polynomials: the built-ins are long per-pixel polynomials on a CPU
// rasterizer (about 2 ms a 720p frame together), and a mirror needs no more than these give
// (atan within 1.2e-5 rad; sin and cos within 6e-7 on 0..pi/2, the only angles the fold makes).
// Coefficients: minimax (Lawson) fits of each function on its interval.
float fast_atan2(float y, float x) {
    vec2 m = abs(vec2(x, y));
    float t = min(m.x, m.y) / max(max(m.x, m.y), 1e-30);
    float s = t * t;
    float r = t * (0.99986633 + s * (-0.33030478 + s * (0.18015921 + s * (-0.08515619 + s * 0.02084502))));
    r = m.y > m.x ? 1.57079633 - r : r;
    r = x < 0.0 ? 3.14159265 - r : r;
    return y < 0.0 ? -r : r;
}

vec2 cos_sin_quarter(float a) {  // (cos a, sin a) for a in 0..pi/2
    float s = a * a;
    float c = 1.0 + s * (-0.49999905 + s * (0.041663586 + s * (-0.0013853710 + s * 2.3154036e-05)));
    return vec2(c, a * (0.99999662 + s * (-0.16664828 + s * (0.0083063253 - s * 0.00018363655))));
}

void main() {
    vec2 uv = isf_FragNormCoord;
    float aspect = RENDERSIZE.x / RENDERSIZE.y;
    vec2 p = (uv - 0.5) * vec2(aspect, 1.0);
    float r = length(p);
    float a = fast_atan2(p.y, p.x) + spin * TAU;
    float wedge = TAU / floor(segments);
    a = mod(a, wedge);
    a = min(a, wedge - a);                       // mirror inside each wedge: seamless edges
    vec2 folded = cos_sin_quarter(a) * r / vec2(aspect, 1.0) + 0.5;
    vec2 q = mix(uv, folded, amount);
    gl_FragColor = IMG_NORM_PIXEL(inputImage, clamp(q, 0.0, 1.0));
}
