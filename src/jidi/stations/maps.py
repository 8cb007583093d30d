"""The service-point map (ZK-1.2.2): a map-provider interface in the shape of the common Chinese map services (geocoding,
a rendered map, navigation links to the map apps), and the offline default that the embedded build uses.

The offline map fetches nothing from anywhere: it draws the points as an SVG on the server from their coordinates (an
equirectangular projection, scaled by the cosine of the latitude, with a scale bar), and geocodes an address to its
district's centre (jidi.regions). The navigation links use the URL schemes of the map apps people have (Amap 高德,
Baidu 百度, Tencent 腾讯): the link holds only the point's own position and name; the app works out the way from where
the person is, on their phone. A production provider (an Amap or Tencent web-service key) implements the same interface.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from jidi import regions
from jidi.i18n import N_


@dataclasses.dataclass(frozen=True)
class MapPoint:
    code: str
    kind: str  # station | locker
    name: str
    latitude: float  # GCJ-02
    longitude: float


@dataclasses.dataclass(frozen=True)
class NavLink:
    app: str  # amap | baidu | tencent
    label: str  # an English message id
    url: str


APPS = {"amap": N_("Amap"), "baidu": N_("Baidu Maps"), "tencent": N_("Tencent Maps")}


class MapProvider(Protocol):
    name: str

    def geocode(self, region_code: str, address: str) -> tuple[float, float] | None:
        """(latitude, longitude) of an address (GCJ-02), or None."""

    def render(self, points: Sequence[MapPoint], title: str) -> str:
        # A group, not an image: its points are links to their entries in the list (an image may hold no control).
        """The map of these points as markup the page embeds (the offline default: an inline SVG)."""

    def navigation_links(self, point: MapPoint) -> list[NavLink]:
        """Links that open navigation to the point in the usual map apps."""


def navigation_links(point: MapPoint) -> list[NavLink]:
    """The map apps' URL schemes (web forms, which open the app where it is installed): walking directions to the point."""
    lat, lng, name = f"{point.latitude:.6f}", f"{point.longitude:.6f}", point.name
    return [
        NavLink("amap", APPS["amap"], "https://uri.amap.com/navigation?" + urlencode(
            {"to": f"{lng},{lat},{name}", "mode": "walk", "coordinate": "gaode", "callnative": "1", "src": "jidi"}, quote_via=quote)),
        NavLink("baidu", APPS["baidu"], "https://api.map.baidu.com/direction?" + urlencode(
            {"destination": f"latlng:{lat},{lng}|name:{name}", "mode": "walking", "coord_type": "gcj02", "output": "html",
             "src": "jidi"}, quote_via=quote)),
        NavLink("tencent", APPS["tencent"], "https://apis.map.qq.com/uri/v1/routeplan?" + urlencode(
            {"type": "walk", "to": name, "tocoord": f"{lat},{lng}", "referer": "jidi"}, quote_via=quote)),
    ]


class OfflineMap:
    """The embedded default: nothing fetched at run time."""

    name = "offline"
    WIDTH, HEIGHT, PAD = 640, 420, 40

    def geocode(self, region_code: str, address: str) -> tuple[float, float] | None:
        # The district's centre (jidi.regions' table): coarse, and nothing is asked of a geocoding service.
        return next(((lat, lng) for code, lat, lng in regions._centroids() if code == region_code), None)

    def navigation_links(self, point: MapPoint) -> list[NavLink]:
        return navigation_links(point)

    def bounds(self, points: Sequence[MapPoint]) -> tuple[float, float, float, float]:
        """(south, west, north, east), widened to at least ~1 km and padded a little."""
        lats = [p.latitude for p in points] or [39.9]
        lngs = [p.longitude for p in points] or [116.4]
        s, n, w, e = min(lats), max(lats), min(lngs), max(lngs)
        mid_lat, mid_lng = (s + n) / 2, (w + e) / 2
        half_lat, half_lng = max((n - s) / 2, 0.005) * 1.1, max((e - w) / 2, 0.005) * 1.1
        return mid_lat - half_lat, mid_lng - half_lng, mid_lat + half_lat, mid_lng + half_lng

    def project(self, bounds: tuple[float, float, float, float], lat: float, lng: float) -> tuple[float, float]:
        south, west, north, east = bounds
        k = math.cos(math.radians((south + north) / 2))
        span_x, span_y = (east - west) * k, north - south
        scale = min((self.WIDTH - 2 * self.PAD) / span_x, (self.HEIGHT - 2 * self.PAD) / span_y)
        ox = (self.WIDTH - span_x * scale) / 2
        oy = (self.HEIGHT - span_y * scale) / 2
        return ox + (lng - west) * k * scale, oy + (north - lat) * scale

    def render(self, points: Sequence[MapPoint], title: str) -> str:
        # A group, not an image: its points are links to their entries in the list (an image may hold no control).
        b = self.bounds(points)
        south, west, north, east = b
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.WIDTH} {self.HEIGHT}" role="group" '
               f'aria-label="{escape(title)}" data-testid="service-map" data-south="{south:.6f}" data-west="{west:.6f}" '
               f'data-north="{north:.6f}" data-east="{east:.6f}" data-pad="{self.PAD}" class="service-map">',
               f'<title>{escape(title)}</title>',
               f'<rect x="0" y="0" width="{self.WIDTH}" height="{self.HEIGHT}" fill="#f4f1ea" stroke="#c9c2b3"/>']
        for i in range(1, 8):  # a light grid, so that distances read
            x = self.WIDTH * i / 8
            out.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{self.HEIGHT}" stroke="#e4ded1" stroke-width="1"/>')
        for i in range(1, 6):
            y = self.HEIGHT * i / 6
            out.append(f'<line x1="0" y1="{y:.1f}" x2="{self.WIDTH}" y2="{y:.1f}" stroke="#e4ded1" stroke-width="1"/>')
        # A scale bar of a round distance about a fifth of the width.
        k = math.cos(math.radians((south + north) / 2))
        metres_per_px = (east - west) * k * 111_320 / (self.WIDTH - 2 * self.PAD)
        target = metres_per_px * self.WIDTH / 5
        bar_m = max(50, 10 ** math.floor(math.log10(target)) * min((1, 2, 5, 10), key=lambda f: abs(f * 10 ** math.floor(math.log10(target)) - target)))
        bar_px = bar_m / metres_per_px
        label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:.0f} m"
        out.append(f'<g data-testid="map-scale"><line x1="16" y1="{self.HEIGHT - 16}" x2="{16 + bar_px:.1f}" y2="{self.HEIGHT - 16}" '
                   f'stroke="#333" stroke-width="3"/><text x="16" y="{self.HEIGHT - 22}" font-size="12" fill="#333">{label}</text></g>')
        for n, p in enumerate(points, start=1):
            x, y = self.project(b, p.latitude, p.longitude)
            colour = "#d9480f" if p.kind == "locker" else "#1c7ed6"
            shape = (f'<rect x="{x - 8:.1f}" y="{y - 8:.1f}" width="16" height="16" fill="{colour}"/>' if p.kind == "locker"
                     else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{colour}"/>')
            out.append(f'<a href="#point-{escape(p.code)}" data-testid="map-point" data-code="{escape(p.code)}">{shape}'
                       f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="11" text-anchor="middle" fill="#fff">{n}</text>'
                       f'<text x="{x + 12:.1f}" y="{y + 4:.1f}" font-size="12" fill="#222">{escape(p.name)}</text></a>')
        out.append('<circle data-testid="map-you" r="7" fill="#2b8a3e" stroke="#fff" stroke-width="2" cx="-20" cy="-20" visibility="hidden"/>')
        out.append("</svg>")
        return "".join(out)
