"""X12 837 (5010) intake: an interchange -> its envelope and one candidate claim per CLM loop.

    interchange = read_interchange(data, limits=...)   # separators, envelope, segments (linear)
    for part in claim_parts(interchange, received=...): # one ClaimPart per CLM, in file order
        part.fields, part.problems                     # candidate Claim fields + mapping problems

Pure: no I/O, no library. The strict implementation-guide check (pyx12) is an adapter behind
the `InterchangeValidator` port; this module only needs a structurally sound file.
"""
