"""Build hook: the data the project carries (``data/``: the island dataset, fleet, kit,
hazards, depths, sea areas, climate and bundled scenarios, with their provenance and licence
notes) travels in the wheel as ``routing/data``, where ``routing.inputs.bundled_data_dir``
finds it once installed. Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = Path(__file__).resolve().parent / "data"


class BuildWithData(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads data/ beside the code
        shutil.copytree(
            DATA,
            Path(self.build_lib) / "routing" / "data",
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )


setup(cmdclass={"build_py": BuildWithData})
