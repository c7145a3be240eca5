"""Image stimulus sets: the stimuli of Brain-Score vision are image files, shipped in a ZIP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from brainio.errors import FormatError, PluginMissingError
from brainio.stimuli import StimulusSet

if TYPE_CHECKING:
    from PIL import Image as PILImage

__all__ = ["ImageStimulusSet", "MissingDependencyError"]


class MissingDependencyError(PluginMissingError, ImportError):
    """An optional dependency of a plugin (e.g. Pillow for images) is not installed."""


class ImageStimulusSet(StimulusSet):
    """A :class:`brainio.stimuli.StimulusSet` whose stimuli are images.

    ``get_stimulus(id)`` gives an image's local path (no extra dependency);
    ``load_image(id)`` opens it with Pillow (``pip install 'brainio-vision[images]'``).
    ``registry_key`` is the Brain-Score key it was registered under (also in ``attrs``).
    """

    @property
    def _constructor(self) -> type[ImageStimulusSet]:
        return ImageStimulusSet

    @property
    def registry_key(self) -> str | None:
        return self.attrs.get("registry_key")

    def load_image(self, stimulus_id: Any) -> PILImage.Image:
        """The image of ``stimulus_id``, read into memory (its file is closed again)."""
        image_module = _pillow()
        path = self.get_stimulus(stimulus_id)
        try:
            with image_module.open(path) as image:
                image.load()
        except OSError as error:  # includes PIL.UnidentifiedImageError
            raise FormatError(
                f"Stimulus '{stimulus_id}' of stimulus set '{getattr(self, 'identifier', None)}': "
                f"{path} is not an image Pillow can read ({error}). Run `brainio cache verify`; "
                "if the file is intact, it is not an image (use get_stimulus for its path)."
            ) from None
        return image


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependencyError(
            "Loading images needs Pillow, an optional dependency of brainio-vision: "
            "pip install 'brainio-vision[images]'. Without it, get_stimulus(stimulus_id) still "
            "gives each image's path."
        ) from None
    return Image
