"""`beam run PIPELINE.py [args] [Beam options]`: run a pipeline file's `run(argv)`.

The file is loaded as a module (a path such as `pipelines/dedup.py`, or a module name such as
`pipelines.dedup`) and its `run(argv)` is called with the remaining arguments; Beam options pass
through untouched. Without `--runner` the pipeline runs on Beam's in-process runner.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys

from curation.errors import ConfigError

USAGE = "usage: beam run PIPELINE.py [pipeline args] [Beam options]"


def load_pipeline(target: str):
    if target.endswith(".py") or os.sep in target:
        path = os.path.abspath(target)
        if not os.path.exists(path):
            # `beam run pipelines/dedup.py` from outside the checkout: the installed module of that name.
            dotted = target[:-3].replace(os.sep, ".") if target.endswith(".py") else target
            try:
                return importlib.import_module(dotted)
            except ImportError:
                raise ConfigError(f"no such pipeline file: {target}") from None
        rel = os.path.relpath(path)
        dotted = rel[:-3].replace(os.sep, ".") if not rel.startswith("..") else None
        if dotted:
            try:
                return importlib.import_module(dotted)
            except ImportError:
                pass
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(target)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] != "run" or len(argv) < 2:
        print(USAGE, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.path.insert(0, os.getcwd())
    try:
        module = load_pipeline(argv[1])
        if not hasattr(module, "run"):
            raise ConfigError(f"{argv[1]} has no run(argv) function")
        stats = module.run(argv[2:])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if isinstance(stats, dict) and "input_records" in stats:
        from curation.report import summary_table

        print(summary_table([stats]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
