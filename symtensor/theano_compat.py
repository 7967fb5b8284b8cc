"""Run unmodified Theano scripts on symtensor.

``install()`` puts a finder on ``sys.meta_path`` that answers ``import theano`` and every
``theano.X.Y`` import with an alias module reading its attributes from ``symtensor.X.Y``
(the classes and functions are symtensor's own objects).  A Theano module or name
symtensor lacks fails with an ImportError or AttributeError saying "symtensor does not
implement theano.X.Y".

From the command line::

    python -m symtensor.theano_compat script.py [args...]

runs ``script.py`` as ``__main__`` with ``sys.argv = ['script.py', args...]`` and the
script's folder first on ``sys.path``, as ``python script.py`` would.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import types

PREFIX = "theano"
TARGET = "symtensor"


def _target_name(fullname: str) -> str:
    return TARGET + fullname[len(PREFIX):]


def _theano_name(module_name: str) -> str:
    return PREFIX + module_name[len(TARGET):]


class TheanoModule(types.ModuleType):
    """``theano.X.Y``: an alias module that forwards attribute reads to ``symtensor.X.Y``.

    A name symtensor lacks raises AttributeError("symtensor does not implement
    theano.X.Y.name"); symtensor submodules come back as their ``theano`` aliases.
    """

    def __init__(self, name: str, target: types.ModuleType):
        super().__init__(name, target.__doc__)
        self.__dict__["_symtensor_module"] = target

    def __getattr__(self, name):
        target = self.__dict__["_symtensor_module"]
        try:
            value = getattr(target, name)
        except AttributeError:
            if name.startswith("__") or not hasattr(target, "__path__"):
                raise AttributeError(f"symtensor does not implement {self.__name__}.{name}") \
                    from None
            try:  # a submodule not imported yet (theano.sandbox.rng_mrg, ...)
                return importlib.import_module(f"{self.__name__}.{name}")
            except ImportError:
                raise AttributeError(f"symtensor does not implement {self.__name__}.{name}") \
                    from None
        if isinstance(value, types.ModuleType) and value.__name__.startswith(TARGET + "."):
            return importlib.import_module(_theano_name(value.__name__))
        return value

    def __dir__(self):
        return sorted(set(dir(self.__dict__["_symtensor_module"])) | set(self.__dict__))

    def __repr__(self):
        return f"<module {self.__name__!r} (alias of {self._symtensor_module.__name__!r})>"


class TheanoAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``theano[.X.Y]`` imports with aliases of the modules ``symtensor[.X.Y]``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != PREFIX and not fullname.startswith(PREFIX + "."):
            return None
        name = _target_name(fullname)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is not None and (name == err.name or name.startswith(err.name + ".")):
                raise ImportError(f"symtensor does not implement {fullname}",
                                  name=fullname) from None
            raise
        return importlib.util.spec_from_loader(fullname, self,
                                               is_package=hasattr(module, "__path__"))

    def create_module(self, spec):
        return TheanoModule(spec.name, importlib.import_module(_target_name(spec.name)))

    def exec_module(self, module):
        pass


_FINDER = TheanoAliasFinder()


def install() -> None:
    """Make ``theano`` imports resolve to symtensor (idempotent)."""
    if not any(isinstance(f, TheanoAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    """Remove the finder and forget the ``theano`` aliases already imported."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, TheanoAliasFinder)]
    for name in [n for n in sys.modules if n == PREFIX or n.startswith(PREFIX + ".")]:
        del sys.modules[name]


def run_script(path: str, args: list[str] | None = None) -> dict:
    """Run the Theano script ``path`` as ``__main__`` on symtensor; return its globals."""
    install()
    path = os.fspath(path)
    sys.argv = [path, *(args or [])]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    return runpy.run_path(path, run_name="__main__")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m symtensor.theano_compat script.py [args...]", file=sys.stderr)
        return 2
    run_script(argv[0], argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
