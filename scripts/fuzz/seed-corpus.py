"""Writes the fuzz seed corpus (native/fuzz/seeds/<target>/) from the test vectors' packets.

Run once when the vectors change: python3 scripts/fuzz/seed-corpus.py
Differential inputs start with a control byte: 0 codec, 1 receive stream, 2 round trip.
"""
import hashlib, json, os, pathlib

root = pathlib.Path(__file__).resolve().parents[2]
vectors = json.loads((root / 'native/core/tests/vectors/dtp.json').read_text())
seeds = root / 'native/fuzz/seeds'

packets = []
for section in ('decode', 'invalid', 'forward'):
    packets += [bytes.fromhex(c['bytes']) for c in vectors[section] if 'bytes' in c]
packets += [bytes.fromhex(c['out']) for c in vectors['forward']]

def write(target, data):
    d = seeds / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)

for p in packets:
    write('deserialize', p)
    write('differential', b'\x00' + p)
# Receive streams: every vector packet routed to the subscriber (top bit of the length).
stream = b''.join(bytes([0x80 | min(len(p), 0x7f)]) + p[:0x7f] for p in packets)
write('differential', b'\x01' + stream)
write('differential', b'\x41' + stream)
# Round trips: frames of 0, 1, 15988 (one full packet with no extension) and ~40 kB bytes.
write('differential', b'\x02' + bytes([0, 0, 0, 0, 1, 1, 0x3e, 0x74, 2, 0x13, 0x88, 3]))
write('differential', b'\x4a' + bytes([0x13, 0x88, 5, 0, 7, 1, 0x27, 0x10, 0x80]))
