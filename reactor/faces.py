"""Faces in a still picture: where the head, eyes, mouth and chin are.

The detector is OpenCV 4.x's Haar cascades (``opencv-python-headless<5``), whose models ship
inside the wheel (``cv2.data.haarcascades``), so nothing is downloaded at run time; it is an
optional extra (``pip install reactor[faces]``). Without it, ``detect_faces`` returns no faces
and says so once; rendering goes on with a centred, salient-region crop.

Haar gives a face box and (usually) the two eyes; the rest of the face comes from its
proportions and the picture itself: the mouth line is the darkest row between the lips in the
lower face, the chin ~1.15 face-box heights below the top, the head with hair ~1.6 boxes tall.
Good enough to frame a picture and to place a mouth/jaw warp; not a 468-point mesh.

Coordinates here are normalized to the *source* picture: x right, y down, 0..1, origin top-left
(as an image editor shows them). ``Face.mapped`` moves a face into a fitted frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

log = logging.getLogger(__name__)

EYE_LINE = 0.37
"""Eye line in a Haar frontal-face box, fraction of its height from its top."""
MOUTH_SEARCH = (0.66, 0.92)
"""Band of the face box (fractions of its height) searched for the lip line."""
MOUTH_WIDTH = 0.42
"""Mouth width, fraction of the face-box width."""
CHIN = 1.12
"""Chin, fraction of the face-box height below its top."""
HAIR_TOP = -0.38
"""Top of the hair, fraction of the face-box height above its top (headroom starts there)."""
DETECT_SIDE_PX = 640
"""Pictures are searched at most this many pixels on the longest side (speed; faces stay > 30 px)."""


@dataclass(frozen=True)
class Face:
    """One face, normalized to the picture it was found in (x right, y down, 0..1).

    Attributes
    ----------
    box : (x, y, w, h)
        The detector's face box (brows to mouth, cheek to cheek).
    left_eye, right_eye : (x, y)
        Eye centres (left and right as seen in the picture).
    mouth : (x, y, w, h)
        Mouth region centred on the lip line.
    chin_y : float
        Bottom of the chin.
    aspect : float
        Width / height of the picture, so distances can be compared in one unit.
    """

    box: tuple[float, float, float, float]
    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    mouth: tuple[float, float, float, float]
    chin_y: float
    aspect: float

    @property
    def head(self) -> tuple[float, float, float, float]:
        """The head with hair: (x, y, w, h), from the hair top to the chin."""
        x, y, w, h = self.box
        top = y + HAIR_TOP * h
        return (x - 0.12 * w, top, 1.24 * w, y + CHIN * h - top)

    @property
    def eye_y(self) -> float:
        return 0.5 * (self.left_eye[1] + self.right_eye[1])

    @property
    def centre_x(self) -> float:
        return self.box[0] + 0.5 * self.box[2]

    def mapped(self, scale_x: float, offset_x: float, scale_y: float, offset_y: float, aspect: float) -> "Face":
        """This face after ``x' = x * scale_x + offset_x`` (and y likewise), in a frame of ``aspect``."""
        def px(p):
            return (p[0] * scale_x + offset_x, p[1] * scale_y + offset_y)

        def rect(r):
            return (r[0] * scale_x + offset_x, r[1] * scale_y + offset_y, r[2] * scale_x, r[3] * scale_y)

        return replace(self, box=rect(self.box), left_eye=px(self.left_eye), right_eye=px(self.right_eye),
                       mouth=rect(self.mouth), chin_y=self.chin_y * scale_y + offset_y, aspect=aspect)


_cascades = None
_noted = False


def detector_available() -> bool:
    """True when OpenCV (4.x, with its Haar cascades) can be imported."""
    return _load() is not None


def _load():
    global _cascades
    if _cascades is None:
        try:
            import cv2

            root = cv2.data.haarcascades
            face = cv2.CascadeClassifier(root + "haarcascade_frontalface_default.xml")
            eye = cv2.CascadeClassifier(root + "haarcascade_eye.xml")
            if face.empty() or eye.empty():
                raise ImportError("Haar cascades missing from the OpenCV wheel")
            _cascades = (cv2, face, eye)
        except (ImportError, AttributeError) as exc:
            _cascades = (None, None, str(exc))
    return None if _cascades[0] is None else _cascades


def detect_faces(image: np.ndarray, *, max_faces: int = 4) -> list[Face]:
    """Faces in ``image`` (float (h, w[, c]) in 0..1), largest first; [] with no detector.

    Without OpenCV this logs one line (once per process) and returns no faces.
    """
    global _noted
    loaded = _load()
    if loaded is None:
        if not _noted:
            log.warning("no face detector (pip install 'opencv-python-headless<5'): framing the centre")
            _noted = True
        return []
    cv2, face_cc, eye_cc = loaded
    grey = _grey_u8(image)
    h0, w0 = grey.shape
    k = min(1.0, DETECT_SIDE_PX / max(h0, w0))
    small = cv2.resize(grey, (max(1, round(w0 * k)), max(1, round(h0 * k))), interpolation=cv2.INTER_AREA) if k < 1 else grey
    small = cv2.equalizeHist(small)
    hs, ws = small.shape
    min_px = max(24, int(0.06 * min(hs, ws)))
    found = face_cc.detectMultiScale(small, scaleFactor=1.08, minNeighbors=6, minSize=(min_px, min_px))
    boxes = sorted((tuple(int(v) for v in b) for b in np.reshape(found, (-1, 4))), key=lambda b: -b[2] * b[3])
    faces = []
    for (x, y, w, h) in boxes[:max_faces]:
        faces.append(_landmarks(small, eye_cc, x, y, w, h, ws, hs))
    return faces


def _grey_u8(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image, np.float32)
    g = a if a.ndim == 2 else a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    return np.clip(g * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _landmarks(grey, eye_cc, x, y, w, h, W, H) -> Face:
    """Eyes from the eye cascade (or proportions), mouth line from the picture, chin from proportions."""
    eyes = []
    upper = grey[y:y + int(0.6 * h), x:x + w]
    if upper.size:
        found = eye_cc.detectMultiScale(upper, scaleFactor=1.1, minNeighbors=5, minSize=(max(6, w // 8),) * 2,
                                        maxSize=(w // 2, w // 2))
        eyes = [(x + ex + ew / 2, y + ey + eh / 2) for ex, ey, ew, eh in np.reshape(found, (-1, 4))]
    left = [e for e in eyes if e[0] < x + 0.5 * w]
    right = [e for e in eyes if e[0] >= x + 0.5 * w]
    ey_default = y + EYE_LINE * h
    le = min(left, key=lambda e: abs(e[1] - ey_default)) if left else (x + 0.3 * w, ey_default)
    re = min(right, key=lambda e: abs(e[1] - ey_default)) if right else (x + 0.7 * w, ey_default)
    if abs(le[1] - re[1]) > 0.15 * h:  # one eye a brow or a nostril: trust the proportions
        le, re = (x + 0.3 * w, ey_default), (x + 0.7 * w, ey_default)
    mx = 0.5 * (le[0] + re[0])
    my = _lip_line(grey, mx, x, y, w, h)
    mw, mh = MOUTH_WIDTH * w, 0.14 * h
    return Face(box=(x / W, y / H, w / W, h / H), left_eye=(le[0] / W, le[1] / H), right_eye=(re[0] / W, re[1] / H),
                mouth=((mx - mw / 2) / W, (my - mh / 2) / H, mw / W, mh / H),
                chin_y=(y + CHIN * h) / H, aspect=W / H)


def _lip_line(grey, mx, x, y, w, h) -> float:
    """Row of the lip line: the darkest (smoothed) row across the mouth in the lower face."""
    r0, r1 = int(y + MOUTH_SEARCH[0] * h), int(y + MOUTH_SEARCH[1] * h)
    c0, c1 = int(mx - 0.18 * w), int(mx + 0.18 * w)
    band = grey[max(0, r0):min(grey.shape[0], r1), max(0, c0):min(grey.shape[1], c1)].astype(np.float32)
    if band.shape[0] < 5 or band.shape[1] < 3:
        return y + 0.79 * h
    rows = np.sort(band, axis=1)[:, : max(1, band.shape[1] // 3)].mean(axis=1)  # dark third of each row
    rows = np.convolve(rows, np.ones(3) / 3, mode="same")
    prior = np.abs(np.linspace(MOUTH_SEARCH[0], MOUTH_SEARCH[1], len(rows)) - 0.79) * 60.0
    return float(max(0, r0) + np.argmin(rows[1:-1] + prior[1:-1]) + 1)
