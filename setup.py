from setuptools import find_packages, setup

setup(
    name="symtensor",
    version="0.1.0",
    description="A small, fast, Theano-compatible symbolic tensor framework",
    long_description=open("README.rst").read(),
    python_requires=">=3.11",
    packages=find_packages(
        include=["symtensor", "symtensor.*", "symtensor_cuda", "symtensor_cuda.*"]),
    package_data={"symtensor_cuda": ["kernels/*.cu", "kernels/*.cuh", "emulator/*.h"]},
    install_requires=["numpy>=2.0", "numba>=0.60", "scipy>=1.11"],
    extras_require={
        "test": ["pytest>=7", "hypothesis>=6", "pillow", "matplotlib", "graphviz", "ruff"],
        "viz": ["graphviz", "matplotlib"],
        "cuda": ["pycuda"],
        "bench": ["matplotlib", "torch==2.13.0"],
    },
)
