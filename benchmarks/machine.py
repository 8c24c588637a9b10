"""The machine a benchmark ran on, and the writing of its record (for the benchmark scripts)."""

import os
import platform
import resource

from fer_classic.utils.fileio import atomic_write


def machine_description():
    """One line: CPU model, cores, memory, Python and key library versions."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    versions = []
    for mod in ("numpy", "sklearn", "skimage", "cv2", "scipy"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}; " + ", ".join(versions))


def peak_memory_mb():
    """The largest resident set so far of this process or any finished child of it, in MB."""
    return max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024


def write_record(text, out=None):
    """Print a record and, given ``out``, write it there (atomically)."""
    print(text)
    if out:
        with atomic_write(out) as fh:
            fh.write(text)


if __name__ == "__main__":
    print(machine_description())
