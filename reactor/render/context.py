"""OpenGL context creation.

Headless rendering uses EGL (Mesa llvmpipe on a machine without a GPU); the live window path
creates its own context with glfw and attaches with ``attach_context``.
"""

from __future__ import annotations

from reactor.errors import ReactorError

_EGL_PACKAGES = "libegl1 libgl1 libgl1-mesa-dri libegl-mesa0"
_MIN_GL_VERSION = 330


def create_context(headless: bool = True):
    """Create a moderngl context with OpenGL 3.3 core or newer.

    Parameters
    ----------
    headless : bool
        True: a standalone EGL context (no display needed). False: attach to the context that is
        current on this thread (a window made by glfw), as ``attach_context`` does.

    Returns
    -------
    moderngl.Context

    Raises
    ------
    ReactorError
        EGL or OpenGL 3.3 is unavailable; the message names the Debian packages to install.
    """
    if not headless:
        return attach_context()
    try:
        import moderngl
    except ImportError as exc:  # pragma: no cover - moderngl is a hard dependency
        raise ReactorError(f"moderngl is not importable ({exc}); pip install moderngl") from None
    try:
        ctx = moderngl.create_standalone_context(require=_MIN_GL_VERSION, backend="egl")
    except Exception as exc:  # moderngl/glcontext raise several types for a missing libEGL
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ReactorError(f"cannot create a headless OpenGL (EGL) context: {first}; "
                           f"on Debian/Ubuntu install: apt-get install {_EGL_PACKAGES}") from None
    return ctx


def attach_context():
    """Attach moderngl to the OpenGL context current on this thread (made by a window library)."""
    import moderngl

    try:
        return moderngl.create_context(require=_MIN_GL_VERSION)
    except Exception as exc:
        raise ReactorError(f"cannot use the window's OpenGL context (need OpenGL 3.3 core): {exc}") from None


def describe(ctx) -> str:
    """One line naming the GL renderer and version, for logs and benchmark tables."""
    info = ctx.info
    return f"{info.get('GL_RENDERER', '?')} (GL {info.get('GL_VERSION', '?')})"
