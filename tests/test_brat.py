"""BRAT output: T lines, N lines for concept ids, A lines for assertion, and the config brat
needs to show them."""

from __future__ import annotations

from medner_cli.doc import Doc
from medner_cli.read import read_brat_ann
from medner_cli.write import annotation_conf, brat_ann, tools_conf


def test_ids_and_flags_become_n_and_a_lines():
    doc = Doc("d", "No Lasix.\r\nRenal failure")
    lasix = doc.span(3, 8, "Chemical", ids=["MESH:D005665", "DRUGBANK:DB00695", "OTHER:1"],
                     name="Furosemide",
                     assertion={"negated": True, "uncertain": False, "historical": False,
                                "hypothetical": False, "family": True, "cues": []})
    renal = doc.span(11, 24, "Disease")
    doc.entities = [renal, lasix]
    lines = brat_ann(doc).decode().splitlines()
    assert lines == ["T1\tChemical 3 8\tLasix", "T2\tDisease 11 24\tRenal failure",
                     "N1\tReference T1 MESH:D005665\tFurosemide",
                     "N2\tReference T1 DRUGBANK:DB00695\tFurosemide",
                     "A1\tNegated T1", "A2\tFamily T1"]
    # a reader of T lines gets the entities back
    assert [(e.start, e.end, e.text) for e in read_brat_ann(brat_ann(doc), "x.ann", doc.text)] \
        == [(3, 8, "Lasix"), (11, 24, "Renal failure")]


def test_config_declares_what_the_ann_files_use():
    conf = annotation_conf(["Chemical", "Disease"]).decode()
    assert "[attributes]\nNegated\tArg:<ENTITY>\n" in conf and "Family\tArg:<ENTITY>" in conf
    tools = tools_conf().decode()
    assert tools.startswith("[normalization]\n") and "\nMESH\t<URL>:" in tools
    assert "DRUGBANK\t<URL>:" in tools and "%s" in tools
