"""Read, fetch and check the MNIST IDX files used by the tutorials.

The tutorials' own data file is ``mnist.pkl.gz``; this module lets them run
from the four IDX files published with MNIST instead (a folder holding
``train-images-idx3-ubyte.gz`` and friends), and fetches those files into a
cache folder when a user asks for the default dataset and has none.

Functions
---------
read_idx(path)                  one IDX file (gzipped or not) -> ndarray
load_idx_dir(dir)               four IDX files -> the pickle's three splits
download_mnist(dest_dir, urls)  fetch the four files, checking their MD5s
verify_checksum(path, md5)      raise ChecksumError unless the MD5 matches
"""

import gzip
import hashlib
import os
import shutil
import struct
import tempfile
import urllib.request

import numpy

__all__ = [
    "ChecksumError",
    "IDXFormatError",
    "MNIST_FILES",
    "MNIST_MD5",
    "MNIST_MIRRORS",
    "default_cache_dir",
    "download_mnist",
    "load_idx_dir",
    "read_idx",
    "verify_checksum",
]

# The four files, keyed by role.
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# MD5 sums of the official gzipped files (as listed by torchvision's MNIST
# dataset). The copy in the project's shared data folder was rebuilt from
# another export and does NOT match these; they are only for downloads.
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

# Public mirrors serving the official files under their usual names; tried
# in order (yann.lecun.com itself now often refuses scripted downloads).
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

# Split of the 60,000 training images used by mnist.pkl.gz.
N_TRAIN = 50000

# IDX type codes (third byte of the magic number) -> big-endian numpy dtype.
_IDX_DTYPES = {
    0x08: numpy.dtype(">u1"),
    0x09: numpy.dtype(">i1"),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}


class IDXFormatError(ValueError):
    """An IDX file whose header or length is not valid."""


class ChecksumError(ValueError):
    """A file whose MD5 sum is not the expected one."""


def default_cache_dir():
    """Folder where downloaded MNIST files are kept.

    ``$SYMTENSOR_CACHE/mnist`` when that variable is set, otherwise
    ``$XDG_CACHE_HOME/symtensor/mnist`` (``~/.cache/symtensor/mnist``).
    """
    root = os.environ.get("SYMTENSOR_CACHE")
    if root:
        return os.path.join(root, "mnist")
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return os.path.join(xdg, "symtensor", "mnist")


def _open(path):
    # Decide by the magic bytes, not the file name, so that an unpacked
    # file that kept its .gz suffix (or the reverse) still reads.
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def read_idx(path):
    """Read one IDX file (optionally gzipped) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    ndarray
        Shape and dtype as the header says (native byte order), e.g.
        ``uint8 (60000, 28, 28)`` for the training images.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    IDXFormatError
        If the header is not an IDX header or the data is too short or too
        long; the message names the file.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "tiny-idx1-ubyte")
    >>> with open(p, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    >>> read_idx(p)
    array([7, 8, 9], dtype=uint8)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"IDX file not found: {path!r}")
    try:
        with _open(path) as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise IDXFormatError(f"{path!r}: cannot decompress ({exc})") from exc

    if len(raw) < 4:
        raise IDXFormatError(
            f"{path!r}: {len(raw)} bytes, too short for an IDX header"
        )
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in _IDX_DTYPES or ndim == 0:
        raise IDXFormatError(
            f"{path!r}: bad IDX magic number 0x{raw[:4].hex()} (expected "
            "0x0000, a type code in "
            f"{sorted(hex(c) for c in _IDX_DTYPES)} and ndim >= 1)"
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise IDXFormatError(
            f"{path!r}: header says {ndim} dimensions but the file ends "
            f"after {len(raw)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_len])
    dtype = _IDX_DTYPES[code]
    expected = int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    actual = len(raw) - header_len
    if actual != expected:
        raise IDXFormatError(
            f"{path!r}: shape {shape} of {dtype.name} needs {expected} data "
            f"bytes, found {actual}"
        )
    data = numpy.frombuffer(raw, dtype=dtype, offset=header_len)
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def _find(directory, name):
    # Accept the gzipped file or its unpacked twin.
    for candidate in (name, name[: -len(".gz")]):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"MNIST IDX file {name!r} (or its unpacked form) not found in "
        f"{directory!r}"
    )


def load_idx_dir(directory):
    """Load the four MNIST IDX files as ``mnist.pkl.gz`` would give them.

    Parameters
    ----------
    directory : str or os.PathLike
        Folder holding ``train-images-idx3-ubyte.gz``,
        ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
        ``t10k-labels-idx1-ubyte.gz`` (gzipped or not).

    Returns
    -------
    ((train_x, train_y), (valid_x, valid_y), (test_x, test_y))
        ``*_x`` : float32 (N, 784), pixel / 256 so in [0, 1);
        ``*_y`` : int64 (N,). Train is the first 50,000 training images,
        valid the last 10,000, test the 10,000 test images, in file order
        (the split of ``mnist.pkl.gz``).
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"MNIST IDX folder not found: {directory!r}")
    arrays = {
        role: read_idx(_find(directory, name))
        for role, name in MNIST_FILES.items()
    }
    for split in ("train", "test"):
        images, labels = arrays[split + "_images"], arrays[split + "_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise IDXFormatError(
                f"{directory!r}: {split} images {images.shape} and labels "
                f"{labels.shape} do not pair up as (N, rows, cols) and (N,)"
            )

    def as_xy(images, labels):
        x = images.reshape(len(images), -1).astype(numpy.float32) / 256.0
        return x.astype(numpy.float32), labels.astype(numpy.int64)

    train_x, train_y = as_xy(arrays["train_images"], arrays["train_labels"])
    test_set = as_xy(arrays["test_images"], arrays["test_labels"])
    train_set = (train_x[:N_TRAIN], train_y[:N_TRAIN])
    valid_set = (train_x[N_TRAIN:], train_y[N_TRAIN:])
    return train_set, valid_set, test_set


def _md5(path, chunk=1 << 20):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path, md5):
    """Check that the file at ``path`` has MD5 sum ``md5``.

    Returns ``path`` when it matches; raises ``ChecksumError`` naming the
    file, the expected and the actual sum when it does not (the file is
    left alone: the caller decides whether to delete it).
    """
    path = os.fspath(path)
    actual = _md5(path)
    if actual != md5.lower():
        raise ChecksumError(
            f"checksum mismatch for {path!r}: expected MD5 {md5.lower()}, "
            f"got {actual}"
        )
    return path


def _fetch(url, dest):
    """Copy ``url`` to ``dest`` (tests replace this with a fake)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        with open(dest, "wb") as out:
            shutil.copyfileobj(response, out)


def download_mnist(dest_dir=None, urls=None):
    """Fetch the four official MNIST IDX files into ``dest_dir``.

    Files already there with the right MD5 are kept. Each missing file is
    fetched from the mirrors in turn into a temporary name, checked against
    ``MNIST_MD5`` and only then renamed into place, so a bad or partial
    download never stays in the cache.

    Parameters
    ----------
    dest_dir : str or os.PathLike, optional
        Target folder (created if needed); ``default_cache_dir()`` if None.
    urls : sequence of str, optional
        Mirror base URLs, each ending in ``/``; ``MNIST_MIRRORS`` if None.

    Returns
    -------
    str
        ``dest_dir``, ready for ``load_idx_dir``.

    Raises
    ------
    ChecksumError
        If a fetched file has the wrong MD5 on every mirror (bad files are
        deleted).
    OSError
        If a file cannot be fetched from any mirror.
    """
    dest_dir = os.fspath(dest_dir if dest_dir is not None else default_cache_dir())
    mirrors = list(MNIST_MIRRORS if urls is None else urls)
    if not mirrors:
        raise ValueError("download_mnist: no mirror URLs given")
    os.makedirs(dest_dir, exist_ok=True)

    for name in MNIST_FILES.values():
        target = os.path.join(dest_dir, name)
        if os.path.isfile(target):
            try:
                verify_checksum(target, MNIST_MD5[name])
                continue
            except ChecksumError:
                os.remove(target)
        failures = []
        for base in mirrors:
            url = base + name
            fd, part = tempfile.mkstemp(prefix=name + ".", suffix=".part", dir=dest_dir)
            os.close(fd)
            try:
                print(f"Downloading data from {url}")
                _fetch(url, part)
                verify_checksum(part, MNIST_MD5[name])
            except BaseException as exc:
                # Never leave a partial or corrupt file behind, whatever
                # stopped the download; only network and checksum failures
                # move on to the next mirror.
                if os.path.exists(part):
                    os.remove(part)
                if not isinstance(exc, (OSError, ChecksumError)):
                    raise
                failures.append((url, exc))
                continue
            os.replace(part, target)
            break
        else:
            detail = "; ".join(f"{u}: {e}" for u, e in failures)
            if all(isinstance(e, ChecksumError) for _, e in failures):
                raise ChecksumError(
                    f"no mirror served a valid {name!r} (bad files deleted): {detail}"
                )
            raise OSError(f"could not download {name!r} into {dest_dir!r}: {detail}")
    return dest_dir
