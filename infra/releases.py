"""Reading the statistical releases shipped in ``infra/release_data`` (or another
folder of files named the same way): one county of one year, without parsing
the whole country — a village-level code starts with its county's code.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from domain.releases import RELEASES, CountyRelease, Row

SHIPPED = Path(__file__).parent / "release_data"
FILE = re.compile(r"^cn-divisions-(\d{4})-(areas|streets|villages)\.csv(\.gz)?$")
DIGITS = {"areas": 6, "streets": 9, "villages": 12}
# Counties' releases kept parsed per process (a large county's is ~100 kB).
CACHED_COUNTIES = 256
# Up to this many counties (a province: ~100), finding each one's lines beats
# parsing every line of the country (the whole country: the other way round).
FIND_AT_MOST = 300


class ReleaseFileError(ValueError):
    """A release file with a row the ledger cannot take: nothing is recorded from it."""

    def __init__(self, path: Path, line: int, reason: str):
        super().__init__(f"{path.name}, line {line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str


class ReleaseFiles:
    """The releases in one folder: ``cn-divisions-YYYY-{areas,streets,villages}.csv[.gz]``."""

    def __init__(self, folder: Path = SHIPPED):
        self.folder = folder
        self._cache: OrderedDict[tuple[int, str], CountyRelease] = OrderedDict()
        self._lock = threading.Lock()
        self.paths: dict[tuple[int, str], Path] = {}
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            match = FILE.match(path.name)
            if match and int(match[1]) in RELEASES:
                self.paths[(int(match[1]), match[2])] = path

    @classmethod
    def of_files(cls, year: int, areas: Path, streets: Path, villages: Path) -> ReleaseFiles:
        """Files named otherwise, taken as the release of ``year``."""
        files = cls(Path("/nonexistent"))
        files.paths = {(year, "areas"): areas, (year, "streets"): streets,
                       (year, "villages"): villages}
        return files

    def years(self) -> list[int]:
        return sorted({year for year, kind in self.paths if kind == "areas"
                       if (year, "streets") in self.paths and (year, "villages") in self.paths})

    def listed_counties(self) -> frozenset[str]:
        """Every county code some release lists (a few end in 00: 东莞市 441900 has
        its towns directly under it)."""
        return _listed(tuple(self.paths[(year, "areas")] for year in self.years()))

    def counts(self, year: int) -> dict[str, int]:
        """Counties, towns and village-level units: the manifest's, or counted."""
        manifest = self.folder / "manifest.json"
        if manifest.exists():
            known = json.loads(manifest.read_text()).get(str(year))
            if known:
                return dict(known)
        return {"counties": len(self.counties(year)),
                "towns": sum(1 for _ in self._rows(year, "streets", ())),
                "villages": sum(1 for _ in self._rows(year, "villages", ()))}

    def counties(self, year: int) -> dict[str, County]:
        return _counties(self.paths[(year, "areas")])

    def county(self, year: int, code: str) -> CountyRelease | None:
        return next(iter(self.select(year, {code})), None)

    def select(self, year: int, codes: set[str]) -> list[CountyRelease]:
        """The counties of ``codes`` that the release lists, each with its towns and
        villages; the files are read once however many counties are asked, and
        not at all for counties read lately (a reconciliation reads its county's
        release when it proposes, and again when it checks)."""
        counties = self.counties(year)
        wanted = sorted(c for c in codes if c in counties)
        with self._lock:
            cached = {c: self._cache[(year, c)] for c in wanted if (year, c) in self._cache}
        missing = {c for c in wanted if c not in cached}
        read = {r.county: r for r in self._read(year, missing, counties)} if missing else {}
        with self._lock:
            for code, county_release in read.items():
                self._cache[(year, code)] = county_release
            while len(self._cache) > CACHED_COUNTIES:
                self._cache.popitem(last=False)
        return [cached.get(c) or read[c] for c in wanted]

    def _read(self, year: int, codes: set[str],
              counties: dict[str, County]) -> list[CountyRelease]:
        # Few counties: find their lines without parsing the others. Many: parse every line.
        prefixes = tuple(sorted(codes)) if len(codes) <= FIND_AT_MOST else ()
        towns: dict[str, list[Row]] = {c: [] for c in codes}
        for _line, row in self._numbered(year, "streets", prefixes):
            if row["code"][:6] in towns:
                towns[row["code"][:6]].append(Row(row["code"], row["name"]))
        known = {t.code for rows in towns.values() for t in rows}
        villages: dict[str, list[Row]] = {c: [] for c in codes}
        for line, row in self._numbered(year, "villages", prefixes):
            if row["code"][:6] not in villages:
                continue
            if row["code"][:9] not in known:
                raise ReleaseFileError(self.paths[(year, "villages")], line(),
                                       f"village {row['code']} names no town of its county")
            villages[row["code"][:6]].append(Row(row["code"], row["name"], row["code"][:9]))
        return [CountyRelease(year, c, counties[c].name, counties[c].city_code,
                              tuple(towns[c]), tuple(villages[c])) for c in sorted(codes)]

    def _rows(self, year: int, kind: str, prefixes: tuple[str, ...]) -> Iterator[dict[str, str]]:
        for _line, row in self._numbered(year, kind, prefixes):
            yield row

    def _numbered(self, year: int, kind: str, prefixes: tuple[str, ...],
                  ) -> Iterator[tuple[Callable[[], int], dict[str, str]]]:
        """Rows (whose code starts with one of ``prefixes``, if any), checked, each
        with a function that answers its line number (counted only for an error)."""
        path = self.paths[(year, kind)]
        with path.open("rb") as raw:
            data = gzip.decompress(raw.read()) if path.suffix == ".gz" else raw.read()
        data = data.removeprefix(codecs.BOM_UTF8)
        body = data.find(b"\n") + 1
        header = next(csv.reader([data[:body].decode().rstrip("\r\n")]))
        # Bytes, not text: only the lines wanted are decoded.
        for start, end in _lines(data, body, tuple(p.encode() for p in prefixes)):

            def line(start: int = start) -> int:
                return data.count(b"\n", 0, start) + 1

            try:
                text = data[start:end].decode().rstrip("\r")
            except UnicodeDecodeError:
                raise ReleaseFileError(path, line(), "not UTF-8") from None
            values = next(csv.reader([text]))
            if len(values) != len(header):
                raise ReleaseFileError(path, line(), f"{len(values)} fields, not {len(header)}")
            row = dict(zip(header, values, strict=True))
            code, name = row.get("code", ""), row.get("name", "").strip()
            if not (code.isdigit() and code.isascii() and len(code) == DIGITS[kind]):
                raise ReleaseFileError(path, line(), f"code {code!r} is not {DIGITS[kind]} digits")
            if not name:
                raise ReleaseFileError(path, line(), f"{code} has no name")
            row["name"] = name
            yield line, row


def _lines(text: bytes, body: int, prefixes: tuple[bytes, ...]) -> Iterator[tuple[int, int]]:
    """(start, end) of each line from ``body`` on whose code starts with a prefix
    (every line without prefixes). A release lists a county's lines together:
    ``bytes.find`` (in C) jumps to each run of them, Python walks only the run."""
    if not prefixes:
        yield from _run(text, body, lambda _line: True)
        return
    quote = b'"' if text[body:body + 1] == b'"' else b""  # codes quoted or not, as line 2
    for prefix in prefixes:
        mark = b"\n" + quote + prefix
        found = text.find(mark, body - 1)
        while found != -1:
            end = yield from _run(text, found + 1, _coded(prefix))
            found = text.find(mark, end)


def _coded(prefix: bytes) -> Callable[[bytes], bool]:
    """Whether a line's code (quoted or not) starts with ``prefix``."""
    return lambda line: line.lstrip(b'"').startswith(prefix)


def _run(text: bytes, start: int,
         belongs: Callable[[bytes], bool]) -> Generator[tuple[int, int], None, int]:
    """Lines from ``start`` while they belong; answers where the run stopped."""
    while start < len(text):
        end = text.find(b"\n", start)
        end = len(text) if end == -1 else end
        if not belongs(text[start:start + 16]):
            return start - 1
        if end > start:
            yield start, end
        start = end + 1
    return len(text)


@lru_cache(maxsize=4)
def _listed(areas: tuple[Path, ...]) -> frozenset[str]:
    # Asked at each onboarding: all of China onboards some 3,000 counties.
    return frozenset(code for path in areas for code in _counties(path))


@lru_cache(maxsize=16)
def _counties(path: Path) -> dict[str, County]:
    with path.open("rb") as raw:
        stream = gzip.open(raw) if path.suffix == ".gz" else raw
        with io.TextIOWrapper(stream, encoding="utf-8-sig", newline="") as text:
            return {row["code"]: County(row["code"], row["name"].strip(), row["cityCode"])
                    for row in csv.DictReader(text)}
