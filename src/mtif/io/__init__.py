"""Reading and writing images: the one place pixels enter and leave the toolkit."""

from mtif.io.images import (
    IMAGE_EXTENSIONS,
    atomic_write_bytes,
    quantize,
    read_image,
    to_grey,
    write_image,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "atomic_write_bytes",
    "quantize",
    "read_image",
    "to_grey",
    "write_image",
]
