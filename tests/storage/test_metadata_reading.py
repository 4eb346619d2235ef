"""Where the reader finds metadata: a PNG's XMP chunk (which FluxDesk writes beside its own chunk), and which
record wins when a file holds two."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from xml.sax.saxutils import escape

from storage_support import make_image

from fluxdesk.core.metadata import ImageRecord, to_json
from fluxdesk.storage.metadata_io import read_image_metadata

RECORD = ImageRecord(model="flux-2-pro", prompt="a paper boat on a puddle", seed=9, width=64, height=48)


def chunk(ctype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", zlib.crc32(ctype + payload))


def xmp_itxt(record: ImageRecord, description: str) -> bytes:
    """An iTXt ``XML:com.adobe.xmp`` chunk as XMP's specification puts it in a PNG: uncompressed UTF-8."""
    packet = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
              '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:fluxdesk="urn:fluxdesk:image:1.0/">'
              f"<fluxdesk:record>{escape(to_json(record))}</fluxdesk:record>"
              f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{escape(description)}</rdf:li></rdf:Alt>'
              '</dc:description></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>')
    return chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet.encode("utf-8"))


def png_with(*chunks: bytes) -> bytes:
    data = make_image("PNG")
    return data[:33] + b"".join(chunks) + data[33:]


def test_a_png_whose_record_is_only_in_its_xmp_chunk_is_read_quietly() -> None:
    reading = read_image_metadata(png_with(xmp_itxt(RECORD, RECORD.prompt)))
    assert reading.record == RECORD and reading.damage is None
    assert reading.unused == ()  # the description holds the prompt alone, as FluxDesk writes it: no complaint


def test_the_pngs_own_record_chunk_wins_over_its_xmp_whichever_comes_first() -> None:
    shortened = replace(RECORD, prompt="a paper", truncated=True)
    own = chunk(b"tEXt", b"fluxdesk\x00" + to_json(RECORD).encode())
    for chunks in ((xmp_itxt(shortened, "x"), own), (own, xmp_itxt(shortened, "x"))):
        assert read_image_metadata(png_with(*chunks)).record == RECORD


def test_an_xmp_description_with_a1111_settings_is_read_when_nothing_else_is() -> None:
    text = "a paper boat\nSteps: 20, Seed: 9, Size: 64x48, Model: flux-dev"
    packet = xmp_itxt(RECORD, text).replace(b"<fluxdesk:record>", b"<x:none>").replace(b"</fluxdesk:record>",
                                                                                        b"</x:none>")
    payload = packet[8:-4]
    reading = read_image_metadata(png_with(chunk(b"iTXt", payload)))
    assert reading.record is None and reading.a1111 is not None and reading.a1111["seed"] == 9
