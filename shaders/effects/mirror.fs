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

void main() {
    vec2 uv = isf_FragNormCoord;
    float aspect = RENDERSIZE.x / RENDERSIZE.y;
    vec2 p = (uv - 0.5) * vec2(aspect, 1.0);
    float r = length(p);
    float a = atan(p.y, p.x) + spin * TAU;
    float wedge = TAU / floor(segments);
    a = mod(a, wedge);
    a = min(a, wedge - a);                       // mirror inside each wedge: seamless edges
    vec2 folded = vec2(cos(a), sin(a)) * r / vec2(aspect, 1.0) + 0.5;
    vec2 q = mix(uv, folded, amount);
    gl_FragColor = IMG_NORM_PIXEL(inputImage, clamp(q, 0.0, 1.0));
}
