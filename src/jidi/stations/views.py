"""Pages: the service-point map (ZK-1.2.2), the standing choice for lockers and stations, and the order page's part
(the pickup code of a parcel waiting for its recipient, and the recipient's choice for a parcel on its way)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request

from jidi import errors
from jidi.kit.deps import ContainerDep, Csrf, OptionalPageUser, PageUser, redirect, render, render_error, templates
from jidi.kit.permissions import Kind
from jidi.shipping import states
from jidi.stations import maps

router = APIRouter(include_in_schema=False)
MAP_PAGE = "/service-points"

Text = lambda n: Annotated[str, Form(max_length=n)]  # noqa: E731


def _map_points(points) -> list[maps.MapPoint]:
    return [maps.MapPoint(p.code, p.kind, p.name, p.latitude, p.longitude) for p in points]


@router.get(MAP_PAGE)
def map_page(request: Request, user: OptionalPageUser, c: ContainerDep):
    """The points on a map the server draws (nothing fetched from elsewhere), with navigation links. "Nearest to me"
    reads the browser's location only on this page, only after the person asks, and only in the browser: it is never
    sent to jidi."""
    points = c.stations.points()
    provider = maps.OfflineMap()
    located = Kind.GEOLOCATION not in (c.devices.turned_off(user.id) if user else frozenset())
    return render(request, "service_points.html", user=user, points=points,
                  svg=provider.render(_map_points(points), "Service points"),
                  links={p.code: provider.navigation_links(mp) for p, mp in zip(points, _map_points(points), strict=True)},
                  locate=located)


STANDING = "delivery_settings.html"


@router.get("/settings/delivery")
def standing_page(request: Request, user: PageUser, c: ContainerDep, saved: Annotated[str, Query(max_length=10)] = ""):
    return render(request, STANDING, user=user, standing=c.stations.standing(user.id), points=c.stations.points(), saved=saved)


@router.post("/settings/delivery", dependencies=[Csrf])
def standing_submit(request: Request, user: PageUser, c: ContainerDep, allow_locker: Text(3) = "", allow_station: Text(3) = "",
                    point_code: Text(24) = ""):
    try:
        c.stations.set_standing(user.id, allow_locker == "on", allow_station == "on", point_code or None)
    except errors.AppError as err:
        return render_error(request, STANDING, err, user=user, standing=c.stations.standing(user.id), points=c.stations.points(),
                            saved="")
    return redirect("/settings/delivery?saved=1")


@router.post("/orders/{waybill_no}/delivery-choice", dependencies=[Csrf])
def choice_submit(waybill_no: str, user: PageUser, c: ContainerDep, choice: Text(10) = "", point_code: Text(24) = ""):
    c.stations.choose(user.id, waybill_no, choice, point_code or None)
    return redirect(f"/orders/{waybill_no}")


def parcel_pickup(request: Request, user, order):
    """For the order page: (pickup view or None, whether the recipient may still choose, the points)."""
    if user is None or order is None or order.mine_as != "recipient":
        return None
    c = request.app.state.container
    found = c.stations.pickup_for(user.id, order.waybill_no)
    can_choose = found is None and order.status not in states.TERMINAL
    return {"pickup": found, "can_choose": can_choose, "points": c.stations.points() if can_choose else []}


templates.env.globals["parcel_pickup"] = parcel_pickup
