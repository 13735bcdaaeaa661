"""Build the Cython extensions of rltheory.

OpenMP is used when the compiler accepts ``-fopenmp`` (checked by compiling and
linking a tiny program); otherwise the kernels build serially, ``prange``
degrading to a plain ``range``.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

_OPENMP_PROBE = r"""
#include <omp.h>
int main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }
"""


def _compiler_supports_openmp(compiler_cmd):
    """Return True when ``compiler_cmd -fopenmp`` compiles and links a probe."""
    if os.environ.get("RLTHEORY_NO_OPENMP"):
        return False
    if shutil.which(compiler_cmd) is None:
        return False
    workdir = tempfile.mkdtemp()
    try:
        src = os.path.join(workdir, "probe.c")
        with open(src, "w") as f:
            f.write(_OPENMP_PROBE)
        result = subprocess.run(
            [compiler_cmd, "-fopenmp", src, "-o", os.path.join(workdir, "probe")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        return result.returncode == 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


class BuildExtWithOpenMP(build_ext):
    """``build_ext`` that adds ``-fopenmp`` only when the compiler supports it."""

    def build_extensions(self):
        compiler = self.compiler.compiler_so[0] if hasattr(self.compiler, "compiler_so") else "cc"
        use_openmp = sys.platform != "win32" and _compiler_supports_openmp(compiler)
        for ext in self.extensions:
            ext.extra_compile_args = list(ext.extra_compile_args or []) + ["-O3"]
            if use_openmp:
                ext.extra_compile_args.append("-fopenmp")
                ext.extra_link_args = list(ext.extra_link_args or []) + ["-fopenmp"]
        super().build_extensions()


def _extension(name):
    path = name.replace(".", "/") + ".pyx"
    return Extension(
        name,
        [path],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )


_PYX_MODULES = [
    "rltheory.tabular._kernels",
    "rltheory.tabular._soft_kernels",
    "rltheory.tabular._robust_kernels",
    "rltheory.distributional._kernels",
]

setup(
    ext_modules=cythonize(
        [_extension(m) for m in _PYX_MODULES if os.path.exists(m.replace(".", "/") + ".pyx")],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
    cmdclass={"build_ext": BuildExtWithOpenMP},
)
