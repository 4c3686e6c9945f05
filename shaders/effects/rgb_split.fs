/*{
    "DESCRIPTION": "Splits red and blue apart along a direction, with a soft scanline glow",
    "CREDIT": "reactor",
    "ISFVSN": "2",
    "CATEGORIES": ["Glitch"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "split", "TYPE": "float", "DEFAULT": 0.0, "MIN": 0.0, "MAX": 0.05, "IDENTITY": 0.0},
        {"NAME": "direction", "TYPE": "point2D", "DEFAULT": [1.0, 0.2], "MIN": [-1.0, -1.0], "MAX": [1.0, 1.0]},
        {"NAME": "glow", "TYPE": "float", "DEFAULT": 0.15, "MIN": 0.0, "MAX": 1.0}
    ]
}*/

void main() {
    vec2 uv = isf_FragNormCoord;
    vec2 d = normalize(direction + vec2(1e-5)) * split;
    vec4 c = IMG_NORM_PIXEL(inputImage, uv);
    c.r = IMG_NORM_PIXEL(inputImage, clamp(uv + d, 0.0, 1.0)).r;
    c.b = IMG_NORM_PIXEL(inputImage, clamp(uv - d, 0.0, 1.0)).b;
    // Scanlines: every other pixel row (what 0.5 + 0.5 sin(pi y) is at pixel centres, without a sin).
    float lines = step(fract(gl_FragCoord.y * 0.5), 0.5);
    c.rgb += glow * c.rgb * lines * split * 20.0;
    gl_FragColor = vec4(c.rgb, 1.0);
}
