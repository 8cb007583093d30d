"""The privacy policy as code: milliseconds to generate the policy (gather the content from the catalog, recipients,
retention declarations and operator profile, write both languages, hash them), to render it as HTML, and to classify
the structured diff of two versions (a material and an editorial edit)."""
from __future__ import annotations

import copy
import datetime as dt
import time

from bench.harness import emit, log, median, size
from jidi.policy.classify import classify
from jidi.policy.document import to_html


def _ms(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(variant) -> None:
    c = variant.container
    n = 5 if size().mode == "smoke" else 200
    day = dt.date(2026, 12, 20)

    def generate():
        content = c.policy.content()
        return c.policy.render(content, "2026-12-20", day)

    zh, en, _ = generate()
    gen = _ms(generate, n)
    emit("policy.generate", median(gen), "ms", iterations=n, chars_zh=len(zh), chars_en=len(en),
         note="content from the catalog, recipients, retention and operator profile; both texts and their hash")
    html = _ms(lambda: to_html(zh), n)
    emit("policy.render_html", median(html), "ms", iterations=n)
    base = c.policy.content()
    material = copy.deepcopy(base)
    material["rights"]["deadline"]["days"] += 5
    material["operator"]["contacts"][0]["value"] = "dpo@example.cn"
    editorial = copy.deepcopy(base)
    editorial["collection"][0]["items"][0]["label"] = ["改写", "reworded"]
    editorial["operator"]["address"] = ["新地址", "a new address"]
    assert classify(base, material).material and not classify(base, editorial).material
    m = _ms(lambda: classify(base, material), n * 5)
    e = _ms(lambda: classify(base, editorial), n * 5)
    emit("policy.classify_diff", median(m + e), "ms", iterations=len(m) + len(e),
         material_ms=round(median(m), 3), editorial_ms=round(median(e), 3))
    log(f"policy: generate {median(gen):.2f} ms, html {median(html):.2f} ms, classify {median(m + e):.3f} ms")
