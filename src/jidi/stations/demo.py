"""Demo service points near the demo parcels' recipients (Shanghai Zhangjiang, Guangzhou Tianhe, Beijing Haidian): a
station and a locker each, so that `make run` shows the map with navigation links. Each point's device key is printed
once, when the point is made."""
from __future__ import annotations

import uuid

POINTS = (
    ("station", "SH-ZJ-S01", "张江路菜鸟驿站", "上海张江便民服务有限公司", "310115", "张江路90号", 31.2047, 121.5904, "08:30-21:30"),
    ("locker", "SH-ZJ-L01", "张江路88弄智能快递柜", "丰巢网络技术有限公司", "310115", "张江路88弄小区东门", 31.2061, 121.5889, "00:00-24:00"),
    ("station", "GZ-TH-S01", "天河路驿站", "广州天河社区服务有限公司", "440106", "天河路383号", 23.1328, 113.3305, "09:00-21:00"),
    ("locker", "GZ-TH-L01", "太古汇智能快递柜", "丰巢网络技术有限公司", "440106", "天河路385号北门", 23.1339, 113.3322, "00:00-24:00"),
    ("station", "BJ-HD-S01", "中关村大街驿站", "北京海淀便民服务有限公司", "110108", "中关村大街29号", 39.9837, 116.3163, "08:00-22:00"),
)


def load(c, customer_id: uuid.UUID) -> list[str]:
    existing = {p.code for p in c.stations.points()}
    lines = []
    for kind, code, name, operator, region, address, lat, lng, hours in POINTS:
        if code in existing:
            continue
        _, key = c.stations.create_point(kind, code, name, operator, region, address, lat, lng, hours)
        lines.append(f"service point {code}  device key (shown once): {key}")
    base = c.settings.base_url.rstrip("/")
    return [f"stations  map {base}/service-points, consent {base}/settings/delivery (customer)", *lines]
