"""Write edited/ from the public samples: the same files, with what ICPA needs to decide them.

    python services/intake/tests/data/x12/make_edited.py   # rewrites edited/ and the bundled samples

The public 5010 samples (linuxforhealth/, imsweb/) date from 1996-2006, code diagnoses in
ICD-9 (BK/BF) and name members ICPA has no policy for, so ICPA rejects every one of them (as it
should). The edited copies keep each file's envelope, loops and segments and change only: the
dates (November 2026: no bundled JSON sample's member has a claim near them, so the fraud
service's duplicate checks stay quiet when all samples run together), the diagnoses
(ICD-10-CM, ABK/ABF), the ids (ICPA policies, members and NPI of
local/src/icpa_local/data/policies.json) and the segment counts (SE01). The broken variants
each break one thing on purpose, named in their file name.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).parent
SAMPLES = HERE.parents[4] / "local" / "src" / "icpa_local" / "samples"
NPI = "1234567893"  # a clean provider in the local data (fraud watchlist free)


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def reseal(segs: list[str]) -> str:
    """SE01 counted again for every ST..SE (the edits add and remove segments)."""
    out: list[str] = []
    start = 0
    for seg in segs:
        if seg.startswith("ST*"):
            start = len(out)
        if seg.startswith("SE*"):
            parts = seg.split("*")
            parts[1] = str(len(out) - start + 1)
            seg = "*".join(parts)
        out.append(seg)
    return "~\n".join(out) + "~\n"


def claim_block(pcn: str, charge: str, diagnoses: list[str], lines: list[tuple[str, str, str]]) -> list[str]:
    """One 837P 2300 loop (CLM, HI, rendering provider) and its 2400 lines."""
    hi = "*".join(("ABK" if i == 0 else "ABF") + ":" + code.replace(".", "") for i, code in enumerate(diagnoses))
    block = [
        f"CLM*{pcn}*{charge}***11:B:1*Y*A*Y*I",
        f"HI*{hi}",
        f"NM1*82*1*KILDARE*BEN****XX*{NPI}",
        "PRV*PE*PXC*204C00000X",
    ]
    for n, (code, amount, day) in enumerate(lines, start=1):
        block += [f"LX*{n}", f"SV1*HC:{code}*{amount}*UN*1***1", f"DTP*472*D8*{day}"]
    return block


def professional() -> list[str]:
    """demo.example1.837 (LinuxForHealth, 837P X222A2) with three subscribers, one with a
    dependent: approve (office visit), deny (not covered by the plan), review (high amount),
    and a dependent's approved visit."""
    segs = segments((HERE / "linuxforhealth" / "demo.example1.837").read_text())
    head = segs[: segs.index("HL*2*1*22*1")]
    head = [s.replace("XX*1912301953", f"XX*{NPI}") for s in head]
    tail = segs[-3:]  # SE, GE, IEA
    body: list[str] = []
    hl = 1

    def subscriber(policy: str, member: str, name: str, children: bool) -> None:
        nonlocal hl
        hl += 1
        last, first = name.split()
        body.extend(
            [
                f"HL*{hl}*1*22*{1 if children else 0}",
                f"SBR*P*{'' if children else '18'}*{policy}******CI",
                f"NM1*IL*1*{last}*{first}****MI*{member}",
                "N3*236 N MAIN ST",
                "N4*MIAMI*FL*33413",
                "DMG*D8*19730501*M",
                "NM1*PR*2*KEY INSURANCE COMPANY*****PI*999996666",
            ]
        )

    subscriber("POL-GOLD001", "MBR000001", "SMITH TED", children=False)
    body += claim_block("PCN1001", "150.00", ["J06.9"], [("99213", "150.00", "20261103")])
    subscriber("POL-SILVER002", "MBR000003", "JONES ANNA", children=False)
    body += claim_block("PCN1002", "1250.00", ["K63.5"], [("45378", "1250.00", "20261104")])
    subscriber("POL-PLAT005", "MBR000006", "BROWN LEE", children=False)
    body += claim_block("PCN1003", "4800.00", ["S83.241A"], [("29881", "4800.00", "20261105")])
    subscriber("POL-GOLD001", "MBR000001", "SMITH TED", children=True)
    hl += 1
    body += [f"HL*{hl}*{hl - 1}*23*0", "PAT*19", "NM1*QC*1*SMITH*JANE", "N3*236 N MAIN ST", "N4*MIAMI*FL*33413"]
    body += ["DMG*D8*20100301*F", "REF*1W*MBR000002"]
    body += claim_block(
        "PCN1004", "178.00", ["J06.9", "R50.9"], [("99213", "150.00", "20261103"), ("85025", "28.00", "20261103")]
    )
    return head + body + tail


def institutional() -> list[str]:
    """institutional-claim.837i (LinuxForHealth, 837I X223A3), made valid under the 5010
    guide (pyx12 named its three errors: N403 needs 9 digits, CLM06 is not used on an 837I,
    DTP*434 is RD8) and given an ICPA member, ICD-10 codes, 2026 dates and ISA13 000000908."""
    segs = segments((HERE / "linuxforhealth" / "institutional-claim.837i").read_text())
    out: list[str] = []
    for seg in segs:
        if seg.startswith(("ISA*", "IEA*")):
            # Its own ISA13: the professional file shares the source's sender, receiver and
            # 000000907, and an interchange control number names one interchange per sender.
            seg = seg.replace("*000000907", "*000000908")
        elif seg.startswith("N4*") and seg.endswith("*17111"):
            seg = seg + "0001"
        elif seg.startswith("NM1*85*"):
            seg = re.sub(r"XX\*\d+", f"XX*{NPI}", seg)
        elif seg.startswith("SBR*P*18"):
            seg = "SBR*P*18*POL-GOLD001******MB"
        elif seg.startswith("NM1*IL*1*DOE*JON"):
            seg = "NM1*IL*1*DOE*JON*T***MI*MBR000001"
        elif seg.startswith("CLM*"):
            seg = "CLM*756048Q*89.93***13:A:1**A*Y*Y"
        elif seg.startswith("DTP*434"):
            seg = "DTP*434*RD8*20261117-20261117"
        elif seg.startswith("HI*BK:"):
            seg = "HI*ABK:J069"
        elif seg.startswith("HI*BF:"):
            seg = "HI*ABF:R509"
        elif seg.startswith(("HI*BH:", "HI*BE:", "HI*BG:")):
            continue  # occurrence/value/condition codes dated 1926-1991: not needed here
        elif seg.startswith("DTP*472"):
            seg = "DTP*472*D8*20261117"
        elif seg.startswith("SV2*0305"):
            seg = "SV2*0305*HC:85025*13.39*UN*1"
        elif seg.startswith("SV2*0730"):
            seg = "SV2*0730*HC:99213*76.54*UN*1"
        out.append(seg)
    return out


def broken(valid: list[str]) -> dict[str, str]:
    """One defect each, made on the valid professional file."""
    no_charge = [s.replace("CLM*PCN1002*1250.00*", "CLM*PCN1002**", 1) for s in valid]
    bad_count = reseal(valid).replace(f"SE*{len(valid) - 4}*", f"SE*{len(valid) - 2}*")
    truncated = reseal(valid)[: reseal(valid).index("GE*")]
    return {
        "broken-missing-claim-charge.837": reseal(no_charge),
        "broken-segment-count.837": bad_count,
        "broken-truncated-no-trailers.837": truncated,
    }


def main() -> None:
    edited = HERE / "edited"
    edited.mkdir(exist_ok=True)
    p = professional()
    files = {"837p-four-claims.837": reseal(p), "837i-institutional.837i": reseal(institutional()), **broken(p)}
    for name, text in files.items():
        (edited / name).write_text(text)
    bundled = {
        "x12-837p-approve-deny-review.837": files["837p-four-claims.837"],
        "x12-837i-approve-institutional.837": files["837i-institutional.837i"],
        "x12-rejected-missing-claim-charge.837": files["broken-missing-claim-charge.837"],
    }
    for name, text in bundled.items():
        (SAMPLES / name).write_text(text)


if __name__ == "__main__":
    main()
